/* parse/fingerprint: 64-bit SimHash over word 3-shingles of the folded
 * text, so that wire copies with small edits land a few bits apart. */
#include "parse/parse.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/text.h"

#include <string.h>

#define SHINGLE 3

uint64_t pm_fingerprint(const char *text, size_t len)
{
	struct pm_tokens t;
	struct pm_buf sh;
	int64_t v[64];
	size_t i, k, n;
	uint64_t fp = 0;

	if (!text || !len)
		return 0;
	memset(v, 0, sizeof(v));
	pm_tokens_init(&t);
	pm_text_tokenize(text, len, &t);
	pm_buf_init(&sh, 0);
	/* texts shorter than one shingle still get one feature */
	n = t.n >= SHINGLE ? t.n - SHINGLE + 1 : (t.n ? 1 : 0);
	for (i = 0; i < n; i++) {
		pm_buf_reset(&sh);
		for (k = i; k < i + SHINGLE && k < t.n; k++) {
			if (k > i)
				pm_buf_addc(&sh, ' ');
			pm_buf_adds(&sh, pm_token_str(&t, k));
		}
		uint64_t h = pm_hash64(sh.data, sh.len);
		for (int b = 0; b < 64; b++)
			v[b] += (h >> b) & 1 ? 1 : -1;
	}
	if (n)
		for (int b = 0; b < 64; b++)
			if (v[b] > 0)
				fp |= (uint64_t)1 << b;
	pm_buf_release(&sh);
	pm_tokens_release(&t);
	return fp;
}

int pm_fingerprint_distance(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}
