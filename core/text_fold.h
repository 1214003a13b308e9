/* core/text_fold: how one code point is classified and folded for
 * matching — shared by the tokenizer (core/text.c) and the generator of its
 * lookup table (core/gen/foldtab.c), so that the table and the slow path can
 * never disagree. Internal to core/. */
#ifndef PM_CORE_TEXT_FOLD_H
#define PM_CORE_TEXT_FOLD_H

#include <stdint.h>
#include <stdlib.h>
#include <utf8proc.h>

/* How a code point takes part in words. */
enum pm_fold_cls { PM_FOLD_SEP, PM_FOLD_WORD, PM_FOLD_CJK, PM_FOLD_IGNORE };
/* What it counts as, for the acronym and number flags of a token. */
enum pm_fold_kind { PM_FOLD_OTHER, PM_FOLD_LOWER, PM_FOLD_UPPER, PM_FOLD_DIGIT };

/* A table entry for one two-byte code point (U+0080..U+07FF). */
struct pm_fold2 {
	uint8_t cls;        /* enum pm_fold_cls */
	uint8_t kind;       /* enum pm_fold_kind */
	uint8_t len;        /* bytes of the folded form; PM_FOLD2_LONG: not in s */
	char s[5];          /* the folded form, UTF-8 */
};
#define PM_FOLD2_LONG 0xFF

static inline int pm_fold_is_cjk(utf8proc_int32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0x20000 && c <= 0x2FFFF) || (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
	       (c >= 0xFF66 && c <= 0xFF9D);
}

/* Arabic letter forms that writers use interchangeably; -1 drops c. */
static inline utf8proc_int32_t pm_fold_arabic(utf8proc_int32_t c)
{
	switch (c) {
	case 0x0622: case 0x0623: case 0x0625: case 0x0671: case 0x0672:
	case 0x0673:
		return 0x0627; /* alef with madda, hamza, wasla -> alef */
	case 0x0649: case 0x06CC: case 0x06D2:
		return 0x064A; /* alef maksura, Farsi yeh -> yeh */
	case 0x0629:
		return 0x0647; /* taa marbuta -> heh */
	case 0x06A9:
		return 0x0643; /* keheh -> kaf */
	case 0x0640:
		return -1;     /* tatweel */
	default:
		return c;
	}
}

static inline enum pm_fold_cls pm_fold_class(utf8proc_int32_t c)
{
	if (pm_fold_is_cjk(c))
		return PM_FOLD_CJK;
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return PM_FOLD_WORD;
	case UTF8PROC_CATEGORY_LM:
		return c == 0x0640 ? PM_FOLD_IGNORE : PM_FOLD_WORD;
	case UTF8PROC_CATEGORY_CF:
		return PM_FOLD_IGNORE; /* soft hyphen, ZWJ, ZWNJ, bidi marks */
	default:
		return PM_FOLD_SEP;
	}
}

static inline enum pm_fold_kind pm_fold_kind_of(utf8proc_int32_t c)
{
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LT:
		return PM_FOLD_UPPER;
	case UTF8PROC_CATEGORY_LL:
		return PM_FOLD_LOWER;
	case UTF8PROC_CATEGORY_ND:
		return PM_FOLD_DIGIT;
	default:
		return PM_FOLD_OTHER;
	}
}

/* The matching form of one code point into out[cap] (UTF-8): NFKC
 * compatibility mapping, case fold, marks stripped, Arabic forms folded.
 * Hangul syllables stay whole (NFKC keeps them composed). Returns the
 * byte count, or -1 when it does not fit. */
static inline int pm_fold_cp(utf8proc_int32_t c, char *out, int cap)
{
	utf8proc_int32_t dst[18];
	int boundclass = UTF8PROC_BOUNDCLASS_START, len = 0;
	utf8proc_ssize_t n;

	if (c >= 0xAC00 && c <= 0xD7A3) {
		dst[0] = c;
		n = 1;
	} else {
		n = utf8proc_decompose_char(c, dst, 18,
					    UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
					    UTF8PROC_STRIPMARK | UTF8PROC_IGNORE |
					    UTF8PROC_DECOMPOSE,
					    &boundclass);
		if (n < 0 || n > 18)
			return 0;
	}
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		utf8proc_int32_t f = pm_fold_arabic(dst[i]);
		utf8proc_uint8_t enc[4];
		utf8proc_ssize_t k;

		if (f < 0)
			continue;
		k = utf8proc_encode_char(f, enc);
		if (len + k > cap)
			return -1;
		for (utf8proc_ssize_t b = 0; b < k; b++)
			out[len++] = (char)enc[b];
	}
	return len;
}

/* The reference the tokenizer is checked against (tests, benchmark): the
 * matching form of a whole word s[0..n) by one utf8proc_map call, then the
 * Arabic folding, into out[cap]. Returns the byte count. */
static inline size_t pm_fold_reference(const char *s, size_t n, char *out, size_t cap)
{
	utf8proc_uint8_t *m = NULL;
	utf8proc_ssize_t mn = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &m,
					   UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE |
					   UTF8PROC_CASEFOLD | UTF8PROC_STRIPMARK | UTF8PROC_IGNORE);
	size_t len = 0;

	for (utf8proc_ssize_t k = 0; k < mn;) {
		utf8proc_int32_t c;
		utf8proc_ssize_t cl = utf8proc_iterate(m + k, mn - k, &c);

		if (cl <= 0)
			break;
		c = pm_fold_arabic(c);
		if (c >= 0 && len + 4 < cap)
			len += (size_t)utf8proc_encode_char(c, (utf8proc_uint8_t *)out + len);
		k += cl;
	}
	free(m);
	return len;
}

#endif
