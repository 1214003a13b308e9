/* parse/fingerprint: 64-bit SimHash over word 3-shingles of the folded
 * text, so that wire copies with small edits land a few bits apart. */
#include "parse/parse.h"
#include "core/mem.h"
#include "core/hash.h"
#include "core/text.h"

#include <stdlib.h>
#include <string.h>

#define SHINGLE 3

/* byte_bits[x] has, in byte k, bit k of x: adding it to a uint64_t adds
 * one to eight byte-wide counters at once, 8 additions per shingle instead
 * of 64. */
#define BB(x) ((uint64_t)((x) & 1) | (uint64_t)((x) >> 1 & 1) << 8 | \
	       (uint64_t)((x) >> 2 & 1) << 16 | (uint64_t)((x) >> 3 & 1) << 24 | \
	       (uint64_t)((x) >> 4 & 1) << 32 | (uint64_t)((x) >> 5 & 1) << 40 | \
	       (uint64_t)((x) >> 6 & 1) << 48 | (uint64_t)((x) >> 7 & 1) << 56)
#define BB4(x) BB(x), BB((x) + 1), BB((x) + 2), BB((x) + 3)
#define BB16(x) BB4(x), BB4((x) + 4), BB4((x) + 8), BB4((x) + 12)
#define BB64(x) BB16(x), BB16((x) + 16), BB16((x) + 32), BB16((x) + 48)
static const uint64_t byte_bits[256] = { BB64(0), BB64(64), BB64(128), BB64(192) };

uint64_t pm_fingerprint(const char *text, size_t len)
{
	struct pm_tokens t;
	uint64_t lanes[8] = { 0 }, ones[64] = { 0 };
	size_t i, k, n, pending = 0;
	uint64_t fp = 0;
	int contiguous;

	if (!text || !len)
		return 0;
	pm_tokens_init(&t);
	pm_tokens_reserve(&t, len);
	pm_text_tokenize(text, len, &t);
	/* texts shorter than one shingle still get one feature */
	n = t.n >= SHINGLE ? t.n - SHINGLE + 1 : (t.n ? 1 : 0);
	/* the folded tokens lie one after the other in t.buf, each ended by
	 * a NUL: with the NULs made spaces, a shingle (its words joined by
	 * spaces) is the run from its first word to the end of its last */
	{
		/* the words are in order and apart: with no gap between
		 * them, their lengths (and NULs) add up to the buffer's */
		size_t sum = 0;
		for (k = 0; k < t.n; k++) {
			t.buf[t.v[k].norm + t.v[k].norm_len] = ' ';
			sum += t.v[k].norm_len + 1;
		}
		contiguous = !t.n || (t.v[0].norm == 0 && sum == t.len);
	}
	for (i = 0; i < n; i++) {
		size_t last = i + SHINGLE - 1 < t.n ? i + SHINGLE - 1 : t.n - 1;
		uint64_t h;

		if (contiguous) {
			h = pm_hash64(t.buf + t.v[i].norm,
				      t.v[last].norm + t.v[last].norm_len - t.v[i].norm);
		} else {
			/* not so laid out (never, as core/text is now): join the
			 * words on the stack unless they are very long */
			char local[256];
			size_t need = 0, at = 0;
			for (k = i; k <= last; k++)
				need += t.v[k].norm_len + 1;
			char *sh = need > sizeof(local) ? xmalloc(need) : local;
			for (k = i; k <= last; k++) {
				if (k > i)
					sh[at++] = ' ';
				memcpy(sh + at, t.buf + t.v[k].norm, t.v[k].norm_len);
				at += t.v[k].norm_len;
			}
			h = pm_hash64(sh, at);
			if (sh != local)
				free(sh);
		}
		/* written out: gcc -O2 keeps the loop, at three times the cost */
		lanes[0] += byte_bits[h & 0xFF];
		lanes[1] += byte_bits[(h >> 8) & 0xFF];
		lanes[2] += byte_bits[(h >> 16) & 0xFF];
		lanes[3] += byte_bits[(h >> 24) & 0xFF];
		lanes[4] += byte_bits[(h >> 32) & 0xFF];
		lanes[5] += byte_bits[(h >> 40) & 0xFF];
		lanes[6] += byte_bits[(h >> 48) & 0xFF];
		lanes[7] += byte_bits[h >> 56];
		/* a byte counter holds 255: empty the lanes before one can overflow */
		if (++pending == 255 || i + 1 == n) {
			for (int j = 0; j < 8; j++) {
				for (int b = 0; b < 8; b++)
					ones[8 * j + b] += (lanes[j] >> (8 * b)) & 0xFF;
				lanes[j] = 0;
			}
			pending = 0;
		}
	}
	/* the SimHash sum of +1 per set bit and -1 per clear one is positive
	 * when more than half the shingles set the bit */
	for (int b = 0; b < 64; b++)
		if (2 * ones[b] > n)
			fp |= (uint64_t)1 << b;
	pm_tokens_release(&t);
	return fp;
}

int pm_fingerprint_distance(uint64_t a, uint64_t b)
{
	return __builtin_popcountll(a ^ b);
}
