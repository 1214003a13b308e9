/* core/text: display normalization (NFC) and the matching tokenizer.
 * Folding is done one code point at a time with utf8proc_decompose_char so
 * that every folded token keeps an exact byte range in the source text: the
 * classifier's evidence spans and the archive's highlights depend on it. */
#include "core/text.h"
#include "core/buf.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define MAX_TOKEN_BYTES 256 /* longer words are cut: nothing real is longer */

/* Copies s, replacing invalid UTF-8 by U+FFFD and dropping C0 controls
 * (but tab, LF) and CR. */
/* Copies s, replacing invalid UTF-8 by U+FFFD and dropping C0 controls
 * (but tab, LF) and CR. Returns whether the result is certainly NFC
 * already: true when every code point lies where NFC changes nothing
 * whatever surrounds it (below U+0300, where the combining marks start;
 * general punctuation and currency signs; CJK unified ideographs), which
 * lets nearly all English, French or Chinese text skip utf8proc. */
static int sanitize(const char *s, size_t len, struct pm_buf *out)
{
	size_t i = 0, run = 0;
	int stable = 1;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x80) { /* copied in runs: the common case */
			i++;
			continue;
		}
		if (run < i)
			pm_buf_add(out, s + run, i - run);
		if (c < 0x80) {
			if (c == '\t' || c == '\n')
				pm_buf_addc(out, (char)c);
			else if (c == '\r' && !(i + 1 < len && s[i + 1] == '\n'))
				pm_buf_addc(out, '\n');
			run = ++i;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
						      (utf8proc_ssize_t)(len - i), &cp);
		if (n <= 0) {
			pm_buf_add(out, "\xEF\xBF\xBD", 3);
			run = ++i;
			continue;
		}
		/* C1 controls carry nothing but trouble in display text */
		if (!(cp >= 0x80 && cp < 0xA0))
			pm_buf_add(out, s + i, (size_t)n);
		if (!(cp < 0x300 || (cp >= 0x2010 && cp <= 0x206F) ||
		      (cp >= 0x20A0 && cp <= 0x20CF) || (cp >= 0x4E00 && cp <= 0x9FFF)))
			stable = 0;
		i += (size_t)n;
		run = i;
	}
	if (run < i)
		pm_buf_add(out, s + run, i - run);
	return stable;
}

int pm_text_valid_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		utf8proc_int32_t cp;
		utf8proc_ssize_t n = utf8proc_iterate(p, end - p, &cp);
		if (n <= 0)
			return 0;
		p += n;
	}
	return 1;
}

char *pm_text_nfc(const char *s, size_t len)
{
	struct pm_buf clean = PM_BUF_INIT;
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t n;
	char *r;

	pm_buf_add(&clean, "", 0);
	if (sanitize(s, len, &clean))
		return pm_buf_detach(&clean, NULL);
	n = utf8proc_map((const utf8proc_uint8_t *)pm_buf_str(&clean),
			 (utf8proc_ssize_t)clean.len, &mapped,
			 UTF8PROC_STABLE | UTF8PROC_COMPOSE);
	if (n < 0) { /* cannot happen on sanitized input; keep it anyway */
		free(mapped);
		return pm_buf_detach(&clean, NULL);
	}
	pm_buf_release(&clean);
	r = xstrndup((const char *)mapped, (size_t)n);
	free(mapped);
	return r;
}

static int is_space_cp(utf8proc_int32_t cp)
{
	if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v')
		return 1;
	if (cp < 0x80)
		return 0;
	utf8proc_category_t cat = utf8proc_category(cp);
	return cat == UTF8PROC_CATEGORY_ZS || cat == UTF8PROC_CATEGORY_ZL ||
	       cat == UTF8PROC_CATEGORY_ZP || cp == 0x85;
}

char *pm_text_squash(const char *s, size_t len, int keep_paragraphs)
{
	char *nfc = pm_text_nfc(s, len);
	size_t n = strlen(nfc), i = 0, word = 0;
	struct pm_buf out = PM_BUF_INIT;
	int newlines = 0, in_space = 0;

	pm_buf_add(&out, "", 0);
	while (i < n) {
		unsigned char b = (unsigned char)nfc[i];
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;

		if (b < 0x80) { /* ASCII without a call into utf8proc */
			cp = b;
			k = 1;
		} else if ((k = utf8proc_iterate((const utf8proc_uint8_t *)nfc + i,
						 (utf8proc_ssize_t)(n - i), &cp)) <= 0) {
			k = 1;
			cp = 0xFFFD;
		}
		if (is_space_cp(cp)) {
			if (!in_space && i > word)
				pm_buf_add(&out, nfc + word, i - word);
			in_space = 1;
			if (cp == '\n' || cp == 0x2029)
				newlines++;
		} else if (in_space) {
			if (out.len) {
				if (keep_paragraphs && newlines >= 2)
					pm_buf_adds(&out, "\n\n");
				else if (keep_paragraphs && newlines == 1)
					pm_buf_addc(&out, '\n');
				else
					pm_buf_addc(&out, ' ');
			}
			in_space = 0;
			newlines = 0;
			word = i;
		}
		i += (size_t)k;
	}
	if (!in_space && i > word)
		pm_buf_add(&out, nfc + word, i - word);
	free(nfc);
	return pm_buf_detach(&out, NULL);
}

void pm_tokens_init(struct pm_tokens *t)
{
	memset(t, 0, sizeof(*t));
}

void pm_tokens_reset(struct pm_tokens *t)
{
	t->n = 0;
	t->len = 0;
}

void pm_tokens_release(struct pm_tokens *t)
{
	if (!t)
		return;
	free(t->v);
	free(t->buf);
	pm_tokens_init(t);
}

static int is_cjk(utf8proc_int32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0x20000 && c <= 0x2FFFF) || (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0x3040 && c <= 0x30FF) || (c >= 0x31F0 && c <= 0x31FF) ||
	       (c >= 0xFF66 && c <= 0xFF9D);
}

static utf8proc_int32_t fold_arabic(utf8proc_int32_t c)
{
	switch (c) {
	case 0x0622: case 0x0623: case 0x0625: case 0x0671: case 0x0672:
	case 0x0673:
		return 0x0627; /* alef forms */
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

enum cls { C_SEP, C_WORD, C_CJK, C_IGNORE };

static enum cls classify_cp(utf8proc_int32_t c)
{
	if (is_cjk(c))
		return C_CJK;
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT: case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ME: case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
		return C_WORD;
	case UTF8PROC_CATEGORY_LM:
		return c == 0x0640 ? C_IGNORE : C_WORD;
	case UTF8PROC_CATEGORY_CF:
		return C_IGNORE; /* soft hyphen, ZWJ, ZWNJ, bidi marks */
	default:
		return C_SEP;
	}
}

struct tok_state {
	struct pm_tokens *t;
	int open;
	uint32_t start, end;
	unsigned upper, lower, digits, others;
	uint32_t sentence, para;
	int sentence_has_token;
	size_t last_token_len;  /* folded length of the previous token */
	uint32_t last_token_flags;
};

static void buf_put(struct pm_tokens *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t c = t->cap ? t->cap : 256;
		while (c < t->len + n + 1)
			c *= 2;
		t->buf = xrealloc(t->buf, c);
		t->cap = c;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static void tok_open(struct tok_state *st, uint32_t at)
{
	struct pm_tokens *t = st->t;

	XGROW(t->v, t->alloc, t->n + 1);
	t->v[t->n].norm = (uint32_t)t->len;
	st->open = 1;
	st->start = at;
	st->upper = st->lower = st->digits = st->others = 0;
}

static void tok_close(struct tok_state *st)
{
	struct pm_tokens *t = st->t;
	struct pm_token *k;

	if (!st->open)
		return;
	st->open = 0;
	k = &t->v[t->n];
	k->norm_len = (uint32_t)(t->len - k->norm);
	if (k->norm_len == 0) /* only ignorables: nothing to keep */
		return;
	buf_put(t, "", 1);
	k->start = st->start;
	k->end = st->end;
	k->sentence = st->sentence;
	k->para = st->para;
	k->flags = 0;
	if (st->upper >= 2 && !st->lower)
		k->flags |= PM_TOK_UPPER;
	if (st->digits && !st->upper && !st->lower && !st->others)
		k->flags |= PM_TOK_NUM;
	st->sentence_has_token = 1;
	st->last_token_len = k->norm_len;
	st->last_token_flags = k->flags;
	t->n++;
}

static void put_cp(struct pm_tokens *t, utf8proc_int32_t c)
{
	utf8proc_uint8_t enc[4];
	utf8proc_ssize_t n = utf8proc_encode_char(c, enc);
	buf_put(t, (const char *)enc, (size_t)n);
}

/* Folds one code point into the open token. */
static void fold_into(struct tok_state *st, utf8proc_int32_t c)
{
	utf8proc_int32_t dst[18];
	int boundclass = UTF8PROC_BOUNDCLASS_START;
	utf8proc_ssize_t n;
	utf8proc_category_t cat = utf8proc_category(c);

	if (cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT)
		st->upper++;
	else if (cat == UTF8PROC_CATEGORY_LL)
		st->lower++;
	else if (cat == UTF8PROC_CATEGORY_ND)
		st->digits++;
	else
		st->others++;
	n = utf8proc_decompose_char(c, dst, 18,
				    UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
				    UTF8PROC_STRIPMARK | UTF8PROC_IGNORE |
				    UTF8PROC_DECOMPOSE,
				    &boundclass);
	if (n < 0 || n > 18)
		return;
	for (utf8proc_ssize_t i = 0; i < n; i++) {
		utf8proc_int32_t f = fold_arabic(dst[i]);
		if (f < 0)
			continue;
		if (st->t->len - st->t->v[st->t->n].norm >= MAX_TOKEN_BYTES)
			return;
		put_cp(st->t, f);
	}
}

static void sentence_break(struct tok_state *st)
{
	if (st->sentence_has_token) {
		st->sentence++;
		st->sentence_has_token = 0;
	}
}

void pm_text_tokenize(const char *s, size_t len, struct pm_tokens *t)
{
	struct tok_state st;
	size_t i = 0;
	int newlines = 0;

	if (len > UINT32_MAX - 1)
		len = UINT32_MAX - 1;
	pm_tokens_reset(t);
	memset(&st, 0, sizeof(st));
	st.t = t;
	while (i < len) {
		unsigned char b = (unsigned char)s[i];
		utf8proc_int32_t c;
		utf8proc_ssize_t n;
		enum cls cl;

		if (b < 0x80) { /* ASCII fast path */
			if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
			    (b >= 'A' && b <= 'Z')) {
				if (!st.open)
					tok_open(&st, (uint32_t)i);
				if (st.t->len - st.t->v[st.t->n].norm < MAX_TOKEN_BYTES) {
					char f = (b >= 'A' && b <= 'Z') ? (char)(b + 32) : (char)b;
					buf_put(t, &f, 1);
				}
				if (b >= 'A' && b <= 'Z')
					st.upper++;
				else if (b >= 'a')
					st.lower++;
				else
					st.digits++;
				st.end = (uint32_t)(i + 1);
				newlines = 0;
			} else {
				tok_close(&st);
				if (b == '\n') {
					if (++newlines == 2) {
						sentence_break(&st);
						if (t->n && t->v[t->n - 1].para == st.para)
							st.para++;
					}
				} else if (b != ' ' && b != '\t' && b != '\r') {
					newlines = 0;
				}
				if ((b == '.' || b == '!' || b == '?') &&
				    (i + 1 >= len || s[i + 1] == ' ' || s[i + 1] == '\n' ||
				     s[i + 1] == '\t' || s[i + 1] == '"' || s[i + 1] == '\r')) {
					/* "U.N. Security Council": a single-letter
					 * acronym part does not end a sentence */
					if (!(b == '.' && st.last_token_len == 1 &&
					      t->n && t->v[t->n - 1].end == i))
						sentence_break(&st);
				}
			}
			i++;
			continue;
		}
		n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
				     (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0) {
			tok_close(&st);
			i++;
			continue;
		}
		cl = classify_cp(c);
		if (cl == C_IGNORE) {
			if (st.open)
				st.end = (uint32_t)(i + (size_t)n);
		} else if (cl == C_WORD) {
			if (!st.open)
				tok_open(&st, (uint32_t)i);
			fold_into(&st, c);
			st.end = (uint32_t)(i + (size_t)n);
			newlines = 0;
		} else if (cl == C_CJK) {
			tok_close(&st);
			tok_open(&st, (uint32_t)i);
			fold_into(&st, c);
			st.end = (uint32_t)(i + (size_t)n);
			tok_close(&st);
			if (t->n)
				t->v[t->n - 1].flags |= PM_TOK_CJK;
			newlines = 0;
		} else {
			tok_close(&st);
			if (c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0x061F ||
			    c == 0x06D4 || c == 0x0964 || c == 0x2026)
				sentence_break(&st);
			else if (c == 0x2029) {
				sentence_break(&st);
				st.para++;
			}
			if (!is_space_cp(c))
				newlines = 0;
		}
		i += (size_t)n;
	}
	tok_close(&st);
}

char *pm_text_fold(const char *s, size_t len)
{
	struct pm_tokens t;
	struct pm_buf out = PM_BUF_INIT;

	pm_tokens_init(&t);
	pm_text_tokenize(s, len, &t);
	pm_buf_add(&out, "", 0);
	for (size_t i = 0; i < t.n; i++) {
		if (i)
			pm_buf_addc(&out, ' ');
		pm_buf_add(&out, pm_token_str(&t, i), t.v[i].norm_len);
	}
	pm_tokens_release(&t);
	return pm_buf_detach(&out, NULL);
}
