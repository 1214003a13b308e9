/* archive/minhash: MinHash signatures over word 3-shingles and their LSH
 * bands, so that wire copies with a new headline and a few edited sentences
 * (shingle Jaccard 0.7-0.9, SimHash 9-12 bits apart) still meet in one
 * story cluster, found through an index instead of a scan.
 * The k hash functions are one 64-bit shingle hash (xxHash via core/hash)
 * re-mixed with k fixed offsets through the splitmix64 finalizer: cheaper
 * than k hash passes, and as independent as MinHash needs in practice.
 * Signatures are stored: any change here must keep every bit of them
 * (tests/unit/test_minhash.c holds the definition). */
#include "archive/archive_int.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/text.h"

#include <string.h>

#define SHINGLE 3
#define MAX_TOKENS 4000 /* a signature of the first 4,000 words is plenty */

#define GOLDEN 0x9e3779b97f4a7c15ULL
#define MIX1 0xbf58476d1ce4e5b9ULL
#define MIX2 0x94d049bb133111ebULL

/* The K re-mixes of every shingle hash are the signature's cost (30
 * splitmix64 finalizers per shingle, 95% of it before): they run as
 * vectors of eight 64-bit lanes, GCC's and clang's vector extension, which
 * each target below compiles to its own instructions; AVX-512 (with its
 * 64-bit multiply) is taken when the CPU has it. The lanes past K are
 * computed and dropped. */
typedef uint64_t u64x8 __attribute__((vector_size(64)));
#define LANES 8
#define VECS ((PM_MH_K + LANES - 1) / LANES)

static inline __attribute__((always_inline)) void fold_body(const uint64_t *hs, size_t n,
							      uint32_t sig[PM_MH_K])
{
	u64x8 off[VECS], mn[VECS];

	for (int j = 0; j < VECS; j++)
		for (int l = 0; l < LANES; l++) {
			off[j][l] = (uint64_t)(j * LANES + l + 1) * GOLDEN;
			mn[j][l] = UINT32_MAX;
		}
	for (size_t i = 0; i < n; i++)
		for (int j = 0; j < VECS; j++) {
			u64x8 z = hs[i] + off[j], lt;
			z = (z ^ (z >> 30)) * MIX1;
			z = (z ^ (z >> 27)) * MIX2;
			z = (z ^ (z >> 31)) & UINT32_MAX;
			lt = (u64x8)(z < mn[j]);
			mn[j] = (z & lt) | (mn[j] & ~lt);
		}
	for (int k = 0; k < PM_MH_K; k++)
		sig[k] = (uint32_t)mn[k / LANES][k % LANES];
}

void pm_minhash_fold_generic(const uint64_t *hs, size_t n, uint32_t sig[PM_MH_K])
{
	fold_body(hs, n, sig);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
__attribute__((target("avx512f,avx512dq"))) static void fold_avx512(const uint64_t *hs, size_t n,
								 uint32_t sig[PM_MH_K])
{
	fold_body(hs, n, sig);
}

void pm_minhash_fold(const uint64_t *hs, size_t n, uint32_t sig[PM_MH_K])
{
	if (__builtin_cpu_supports("avx512dq"))
		fold_avx512(hs, n, sig);
	else
		fold_body(hs, n, sig);
}
#else
void pm_minhash_fold(const uint64_t *hs, size_t n, uint32_t sig[PM_MH_K])
{
	fold_body(hs, n, sig);
}
#endif

int pm_minhash(const char *title, const char *text, uint32_t sig[PM_MH_K])
{
	struct pm_tokens a, b;
	int rc;

	pm_tokens_init(&a);
	pm_tokens_init(&b);
	if (title)
		pm_text_tokenize(title, strlen(title), &a);
	if (text)
		pm_text_tokenize(text, strlen(text), &b);
	rc = pm_minhash_tokens(&a, &b, sig);
	pm_tokens_release(&a);
	pm_tokens_release(&b);
	return rc;
}

int pm_minhash_tokens(const struct pm_tokens *title, const struct pm_tokens *text,
		      uint32_t sig[PM_MH_K])
{
	const struct pm_tokens *parts[2] = { title, text };
	struct word {
		const char *s;
		size_t len;
	} *w;
	uint64_t *hs;
	size_t n = 0, avail = title->n + text->n;
	char small[256], *sh = small;
	size_t shcap = sizeof(small);

	if (avail > MAX_TOKENS)
		avail = MAX_TOKENS;
	if (avail < SHINGLE) {
		for (int k = 0; k < PM_MH_K; k++)
			sig[k] = UINT32_MAX;
		return -1;
	}
	w = xmalloc(avail * sizeof(*w));
	hs = xmalloc((avail - SHINGLE + 1) * sizeof(*hs));
	for (int p = 0; p < 2; p++)
		for (size_t i = 0; i < parts[p]->n && n < avail; i++, n++)
			w[n] = (struct word){ pm_token_str(parts[p], i), parts[p]->v[i].norm_len };
	/* each shingle: its words, each followed by 0x1f */
	for (size_t i = 0; i + SHINGLE <= n; i++) {
		size_t len = 0;
		for (int j = 0; j < SHINGLE; j++)
			len += w[i + j].len + 1;
		if (len > shcap) {
			shcap = 2 * len;
			sh = sh == small ? xmalloc(shcap) : xrealloc(sh, shcap);
		}
		len = 0;
		for (int j = 0; j < SHINGLE; j++) {
			memcpy(sh + len, w[i + j].s, w[i + j].len);
			len += w[i + j].len;
			sh[len++] = '\x1f';
		}
		hs[i] = pm_hash64(sh, len);
	}
	pm_minhash_fold(hs, n - SHINGLE + 1, sig);
	if (sh != small)
		free(sh);
	free(hs);
	free(w);
	return 0;
}

int64_t pm_minhash_band(const uint32_t sig[PM_MH_K], int band)
{
	uint32_t key[PM_MH_ROWS + 1];

	key[0] = (uint32_t)band;
	memcpy(key + 1, sig + band * PM_MH_ROWS, PM_MH_ROWS * sizeof(uint32_t));
	return (int64_t)pm_hash64(key, sizeof(key));
}

double pm_minhash_similarity(const uint32_t *a, const uint32_t *b)
{
	int same = 0;

	for (int k = 0; k < PM_MH_K; k++)
		same += a[k] == b[k];
	return (double)same / PM_MH_K;
}
