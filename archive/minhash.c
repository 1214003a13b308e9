/* archive/minhash: MinHash signatures over word 3-shingles and their LSH
 * bands, so that wire copies with a new headline and a few edited sentences
 * (shingle Jaccard 0.7-0.9, SimHash 9-12 bits apart) still meet in one
 * story cluster, found through an index instead of a scan.
 * The k hash functions are one 64-bit shingle hash (xxHash via core/hash)
 * re-mixed with k fixed offsets through the splitmix64 finalizer: cheaper
 * than k hash passes, and as independent as MinHash needs in practice. */
#include "archive/archive_int.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/text.h"

#include <string.h>

#define SHINGLE 3
#define MAX_TOKENS 4000 /* a signature of the first 4,000 words is plenty */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void add_tokens(const char *s, struct pm_tokens *t, struct pm_buf *words,
		       size_t *n)
{
	if (!s)
		return;
	pm_text_tokenize(s, strlen(s), t);
	for (size_t i = 0; i < t->n && *n < MAX_TOKENS; i++, (*n)++) {
		pm_buf_add(words, pm_token_str(t, i), t->v[i].norm_len);
		pm_buf_addc(words, '\0');
	}
}

int pm_minhash(const char *title, const char *text, uint32_t sig[PM_MH_K])
{
	struct pm_tokens t;
	struct pm_buf words = PM_BUF_INIT;
	const char **w = NULL;
	size_t n = 0, shingles = 0;

	for (int k = 0; k < PM_MH_K; k++)
		sig[k] = UINT32_MAX;
	pm_tokens_init(&t);
	add_tokens(title, &t, &words, &n);
	add_tokens(text, &t, &words, &n);
	pm_tokens_release(&t);
	if (n >= SHINGLE) {
		w = xmalloc(n * sizeof(*w));
		for (size_t i = 0, off = 0; i < n; i++) {
			w[i] = words.data + off;
			off += strlen(w[i]) + 1;
		}
		/* one buffer for every shingle: a malloc per shingle was a third
		 * of the signature's cost */
		struct pm_buf sh = PM_BUF_INIT;
		for (size_t i = 0; i + SHINGLE <= n; i++) {
			uint64_t h;
			pm_buf_reset(&sh);
			for (int j = 0; j < SHINGLE; j++) {
				pm_buf_adds(&sh, w[i + j]);
				pm_buf_addc(&sh, '\x1f');
			}
			h = pm_hash64(sh.data, sh.len);
			for (int k = 0; k < PM_MH_K; k++) {
				uint32_t v = (uint32_t)mix64(h + (uint64_t)(k + 1) * 0x9e3779b97f4a7c15ULL);
				if (v < sig[k])
					sig[k] = v;
			}
			shingles++;
		}
		pm_buf_release(&sh);
		free(w);
	}
	pm_buf_release(&words);
	return shingles ? 0 : -1;
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
