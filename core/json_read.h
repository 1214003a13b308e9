/* core/json_read: json_loadb with a fast path for the JSON the workers
 * pass each other. Every stage after parse decodes one article object per
 * stream entry; jansson reads its input one code point at a time through a
 * stream callback, and that was 38% of the classifier's instructions.
 *
 * pm_json_loadb returns what json_loadb(buf, len, flags, err) returns: the
 * same values, the same members in the same order, and on a failure
 * jansson's own error. The fast path reads only what it is sure of (objects,
 * arrays, strings, true/false/null, integers up to 18 digits, finite
 * reals); anything else (a syntax error, a duplicate key, a number past
 * those, \u0000, text that is not UTF-8, nesting past 64, a flag other
 * than JSON_REJECT_DUPLICATES) goes to json_loadb from the start, so the
 * two can never disagree on what is an error. test_json_read compares
 * them on mutated input. */
#ifndef PM_CORE_JSON_READ_H
#define PM_CORE_JSON_READ_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* The caller owns the result (json_decref). err may be NULL. */
json_t *pm_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err /* OUT */);

/* Nonzero when one of the 8 bytes in x needs a look inside a JSON
 * string: non-ASCII, below 0x20, '"' or '\\'. (x - 0x20..) & ~x & 0x80..
 * flags a byte below 0x20; the other two are the zero-byte test on x xor
 * the character. */
static inline uint64_t pm_json_special8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return (x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

/* Length of the UTF-8 sequence at s (at most n bytes), 0 when jansson
 * would refuse it (its utf8_check_full): a bad lead or continuation byte,
 * overlong, a surrogate, past U+10FFFF, or cut short. The writer in
 * queue/stage.c checks with it too. */
static inline size_t pm_json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char u = s[0];
	size_t k;
	uint32_t v;

	if (u >= 0xC2 && u <= 0xDF)
		k = 2, v = u & 0x1F;
	else if (u >= 0xE0 && u <= 0xEF)
		k = 3, v = u & 0x0F;
	else if (u >= 0xF0 && u <= 0xF4)
		k = 4, v = u & 0x07;
	else
		return 0;
	if (n < k)
		return 0;
	for (size_t i = 1; i < k; i++) {
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (k == 3 && v < 0x800) ||
	    (k == 4 && v < 0x10000))
		return 0;
	return k;
}

#endif
