/* tests/unit/test_minhash.c: the MinHash signatures the archive stores
 * and clusters wire copies by must equal their definition (the minimum
 * over 3-shingles of the re-mixed shingle hash), whichever code path the
 * CPU takes, so that no change of code changes a stored signature. */
#include "archive/archive.h"
#include "archive/archive_int.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/text.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Texts that take every path of the tokenizer: ASCII words, case, marks,
 * ligatures, Arabic letter forms, CJK by character, digits, invalid UTF-8,
 * ignorables, long words. */
static const char *const samples[] = {
	"The International Criminal Court issued an arrest warrant on Monday.",
	"La Cour pénale internationale (CPI) a délivré un mandat d'arrêt.",
	"Международный уголовный суд выдал ордер на арест.",
	"أصدرت المحكمة الجنائية الدولية مذكرة توقيف بحق الرئيس",
	"国际刑事法院发布了逮捕令。国連安全保障理事会",
	"ﬁnal ＦＵＬＬＷＩＤＴＨ Straße ǅ İstanbul soft\xc2\xadhyphen zero\xe2\x80\x8bwidth",
	"bad \xff\xfe bytes \xc3 cut and 12,345.67 numbers 2026-03-01",
	"   leading and trailing spaces   ",
	"a",
	"Ünïcödé ÀÉÎÕÜ ḀḁẞỲỳ e\xcc\x81 combining",
	"supercalifragilisticexpialidocious-and-then-some-very-long-compound-word-that-goes-on",
};

/* Random texts from pieces of the samples: every sample's tokens, cut at
 * any byte, in any order. */
static char *random_text(unsigned long long *rs)
{
	struct pm_buf b = PM_BUF_INIT;
	unsigned parts = 1 + tl_rand(rs, 6);

	pm_buf_add(&b, "", 0);
	for (unsigned i = 0; i < parts; i++) {
		const char *s = samples[tl_rand(rs, sizeof(samples) / sizeof(*samples))];
		size_t len = strlen(s), from = tl_rand(rs, (unsigned)len);
		pm_buf_add(&b, s + from, 1 + tl_rand(rs, (unsigned)(len - from)));
		if (tl_rand(rs, 2))
			pm_buf_addc(&b, ' ');
	}
	return pm_buf_detach(&b, NULL);
}

/* The MinHash signature as defined: the PM_MH_K minima, over the 3-shingles
 * of the first 4,000 tokens of title and text, of splitmix64(h + (k + 1) *
 * golden) cut to 32 bits, h the pm_hash64 of the shingle's words each
 * followed by 0x1f. */
static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int minhash_ref(const char *title, const char *text, uint32_t sig[PM_MH_K])
{
	struct pm_tokens t[2];
	const char *w[4000];
	size_t wl[4000], n = 0, shingles = 0;

	for (int k = 0; k < PM_MH_K; k++)
		sig[k] = UINT32_MAX;
	for (int s = 0; s < 2; s++) {
		const char *x = s ? text : title;
		pm_tokens_init(&t[s]);
		pm_text_tokenize(x, strlen(x), &t[s]);
		for (size_t i = 0; i < t[s].n && n < 4000; i++, n++) {
			w[n] = pm_token_str(&t[s], i);
			wl[n] = t[s].v[i].norm_len;
		}
	}
	for (size_t i = 0; i + 3 <= n; i++) {
		struct pm_buf b = PM_BUF_INIT;
		uint64_t h;
		for (int j = 0; j < 3; j++) {
			pm_buf_add(&b, w[i + j], wl[i + j]);
			pm_buf_addc(&b, '\x1f');
		}
		h = pm_hash64(b.data, b.len);
		pm_buf_release(&b);
		for (int k = 0; k < PM_MH_K; k++) {
			uint32_t v = (uint32_t)mix64(h + (uint64_t)(k + 1) * 0x9e3779b97f4a7c15ULL);
			if (v < sig[k])
				sig[k] = v;
		}
		shingles++;
	}
	pm_tokens_release(&t[0]);
	pm_tokens_release(&t[1]);
	return shingles ? 0 : -1;
}

static void test_minhash(void)
{
	unsigned long long rs = 99;
	int same = 0, n = 0;

	TEST("minhash: the signature is its definition");
	for (int i = 0; i < 500; i++, n++) {
		char *title = random_text(&rs), *text = random_text(&rs);
		uint32_t got[PM_MH_K], want[PM_MH_K];
		int rg = pm_minhash(title, text, got), rw = minhash_ref(title, text, want);
		same += rg == rw && (rg || !memcmp(got, want, sizeof(got)));
		free(title);
		free(text);
	}
	CHECK(same == n);

	TEST("minhash: past 4,000 words only the first count");
	{
		struct pm_buf b = PM_BUF_INIT;
		uint32_t got[PM_MH_K], want[PM_MH_K];
		for (int i = 0; i < 5000; i++)
			pm_buf_addf(&b, "w%d ", i);
		CHECK(pm_minhash("a title", b.data, got) == 0);
		CHECK(minhash_ref("a title", b.data, want) == 0);
		CHECK(!memcmp(got, want, sizeof(got)));
		b.data[b.len / 2] = 'x'; /* beyond word 4,000: no change */
		CHECK(pm_minhash("a title", b.data, want) == 0);
		CHECK(!memcmp(got, want, sizeof(got)));
		pm_buf_release(&b);
	}

	TEST("minhash: fewer than three words have no signature");
	{
		uint32_t sig[PM_MH_K];
		CHECK(pm_minhash("", "two words", sig) == -1);
		CHECK(pm_minhash("one", "two three", sig) == 0);
	}
}

static void test_fold(void)
{
	unsigned long long rs = 12345;
	uint64_t hs[300];
	int same_ref = 0, same_generic = 0, n = 0;

	TEST("minhash: the CPU's fold and the generic one are the definition");
	for (int round = 0; round < 300; round++, n++) {
		uint32_t got[PM_MH_K], gen[PM_MH_K], want[PM_MH_K];
		size_t len = 1 + (size_t)round;
		for (size_t i = 0; i < len; i++)
			hs[i] = (uint64_t)tl_rand(&rs, 0xffffffffu) << 32 | tl_rand(&rs, 0xffffffffu);
		if (round % 7 == 0)
			hs[0] = UINT64_MAX; /* wraps when the offsets are added */
		for (int k = 0; k < PM_MH_K; k++) {
			want[k] = UINT32_MAX;
			for (size_t i = 0; i < len; i++) {
				uint32_t v = (uint32_t)mix64(hs[i] + (uint64_t)(k + 1) * 0x9e3779b97f4a7c15ULL);
				if (v < want[k])
					want[k] = v;
			}
		}
		pm_minhash_fold(hs, len, got);
		pm_minhash_fold_generic(hs, len, gen);
		same_ref += !memcmp(got, want, sizeof(got));
		same_generic += !memcmp(gen, want, sizeof(gen));
	}
	CHECK(same_ref == n);
	CHECK(same_generic == n);
}

int main(void)
{
	test_minhash();
	test_fold();
	printf("%d passed, %d failed\n", tl_passed, tl_failed);
	return tl_failed ? 1 : 0;
}
