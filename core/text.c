/* core/text: display normalization (NFC) and the matching tokenizer.
 * Folding is done one code point at a time (core/text_fold.h) so that every
 * folded token keeps an exact byte range in the source text: the
 * classifier's evidence spans and the archive's highlights depend on it.
 * ASCII letters, the two-byte code points (from a table generated from
 * utf8proc at build time) and CJK ideographs take fast paths; everything
 * else calls utf8proc. */
#include "core/text.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/text_fold.h"

#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define MAX_TOKEN_BYTES 256 /* longer words are cut: nothing real is longer */

/* SSE2 (every x86-64) takes 16 bytes where the portable loops take 8 */
#if defined(__SSE2__) && !defined(PM_TEXT_NO_SSE2)
#include <emmintrin.h>
#define PM_SSE2 1

static inline __m128i load16(const char *p)
{
	return _mm_loadu_si128((const __m128i *)(const void *)p);
}

/* Bit k set when byte k of the 16 at p is printable ASCII, [0x20, 0x80)
 * (a signed compare: bytes >= 0x80 are negative). */
static inline unsigned printable16(const char *p)
{
	return (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(load16(p), _mm_set1_epi8(0x1F)));
}
#endif

/* Eight bytes at a time over plain ASCII, the bulk of news text: the
 * loops below look at each byte only where these say they must. */
#define ONES 0x0101010101010101ULL
#define HIGH 0x8080808080808080ULL

static inline uint64_t load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, 8);
	return w;
}

/* All eight bytes in [lo, 0x80), for lo in 1..0x7F. */
static inline int all_from(uint64_t w, unsigned lo)
{
	return !((w | (w - lo * ONES)) & HIGH);
}

/* 0x80 in each byte of w that is a space (exact, no false positives). */
static inline uint64_t space_bytes(uint64_t w)
{
	uint64_t t = w ^ (0x20 * ONES);

	return ~(((t & ~HIGH) + ~HIGH) | t) & HIGH;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define FIRST_BYTE_HIGH 0x8000000000000000ULL
#define LAST_BYTE_HIGH 0x80ULL
#else
#define FIRST_BYTE_HIGH 0x80ULL
#define LAST_BYTE_HIGH 0x8000000000000000ULL
#endif

int pm_text_nfc_stable_cp(int32_t cp)
{
	/* below U+0300, where the combining marks start; Cyrillic but its
	 * combining marks (U+0483..U+0489); Hebrew letters; Arabic letters
	 * and digits without the marks; general punctuation, currency signs;
	 * kana; CJK unified ideographs; Hangul syllables; fullwidth ASCII */
	if (cp < 0x300)
		return 1;
	if (cp < 0x2010)
		return (cp >= 0x400 && cp <= 0x482) || (cp >= 0x48A && cp <= 0x52F) ||
		       (cp >= 0x5D0 && cp <= 0x5EA) || (cp >= 0x620 && cp <= 0x64A) ||
		       (cp >= 0x660 && cp <= 0x66F) || (cp >= 0x671 && cp <= 0x6D5);
	return (cp <= 0x206F) || (cp >= 0x20A0 && cp <= 0x20CF) || (cp >= 0x3041 && cp <= 0x3096) ||
	       (cp >= 0x30A1 && cp <= 0x30FA) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
	       (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xFF01 && cp <= 0xFF5E);
}

/* Copies s, replacing invalid UTF-8 by U+FFFD and dropping C0 controls
 * (but tab, LF) and CR. Returns whether the result is certainly NFC
 * already: true when every code point is one that NFC leaves as it is
 * whatever surrounds it (pm_text_nfc_stable_cp), which lets nearly all
 * English, French, Russian, Arabic or Chinese text skip utf8proc. */
static int sanitize(const char *s, size_t len, struct pm_buf *out)
{
	size_t i = 0, run = 0;
	int stable = 1;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x80) { /* copied in runs: the common case */
			i++;
			while (i + 8 <= len && all_from(load8(s + i), 0x20))
				i += 8;
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
		if (stable && !pm_text_nfc_stable_cp(cp))
			stable = 0;
		i += (size_t)n;
		run = i;
	}
	if (run < i)
		pm_buf_add(out, s + run, i - run);
	return stable;
}

size_t pm_text_ascii_prefix(const char *s, size_t len)
{
	size_t i = 0;

#ifdef PM_SSE2
	while (len - i >= 16 && !_mm_movemask_epi8(load16(s + i)))
		i += 16;
#endif
	while (len - i >= 8 && !(load8(s + i) & HIGH))
		i += 8;
	while (i < len && (unsigned char)s[i] < 0x80)
		i++;
	return i;
}

int pm_text_valid_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		if (*p < 0x80) {
			p += pm_text_ascii_prefix((const char *)p, (size_t)(end - p));
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

/* The separator written where a run of white space ends: a paragraph
 * break, a line break or a space (nothing at the start of the text).
 * Returns the new length of out. */
static inline size_t space_out(char *out, size_t len, int keep_paragraphs, int newlines)
{
	if (!len)
		return 0;
	if (keep_paragraphs && newlines >= 2) {
		out[len++] = '\n';
		out[len++] = '\n';
	} else {
		out[len++] = keep_paragraphs && newlines == 1 ? '\n' : ' ';
	}
	return len;
}

/* Whether sanitize and NFC would hand s back unchanged: printable ASCII,
 * tab and newline only. */
static int plain_ascii(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
#ifdef PM_SSE2
		if (i + 16 <= len && printable16(s + i) == 0xFFFF) {
			i += 16;
			continue;
		}
#endif
		if (i + 8 <= len && all_from(load8(s + i), 0x20)) {
			i += 8;
			continue;
		}
		unsigned char c = (unsigned char)s[i++];
		if (!((c >= 0x20 && c < 0x80) || c == '\t' || c == '\n'))
			return 0;
	}
	return 1;
}

char *pm_text_squash(const char *s, size_t len, int keep_paragraphs)
{
	/* plain ASCII is its own display form: no copy for it */
	char *own = plain_ascii(s, len) ? NULL : pm_text_nfc(s, len);
	const char *nfc = own ? own : s;
	size_t n = own ? strlen(own) : len, i = 0, word = 0, olen = 0;
	/* words are copied and every run of white space becomes at most as
	 * many bytes as it had (two only for two newlines): n + 1 is room */
	char *out = xmalloc(n + 1);
	int newlines = 0, in_space = 0;

	while (i < n) {
		unsigned char b = (unsigned char)nfc[i];
		utf8proc_int32_t cp;
		utf8proc_ssize_t k;

		/* eight bytes of words and single spaces, none of them last or
		 * (at the start of the text) first, come out as they are; so
		 * do sixteen, tested at once (no two spaces side by side
		 * covers the pair the two halves meet at) */
#ifdef PM_SSE2
		if (!in_space && i + 16 <= n) {
			unsigned sp = (unsigned)_mm_movemask_epi8(
				_mm_cmpeq_epi8(load16(nfc + i), _mm_set1_epi8(' ')));
			if (printable16(nfc + i) == 0xFFFF && !(sp & ((sp << 1) | 0x8000)) &&
			    (i > word || !(sp & 1))) {
				i += 16;
				continue;
			}
		}
#endif
		if (!in_space && i + 8 <= n) {
			uint64_t w = load8(nfc + i), sp = space_bytes(w);
			if (all_from(w, 0x20) && !(sp & ((sp << 8) | LAST_BYTE_HIGH)) &&
			    (i > word || !(sp & FIRST_BYTE_HIGH))) {
				i += 8;
				continue;
			}
		}
		/* one plain space between two words comes out as it is: kept in
		 * the word's run, so that prose is copied in long runs rather
		 * than word by word */
		if (b == ' ' && !in_space && i > word && i + 1 < n &&
		    (unsigned char)nfc[i + 1] > ' ' && (unsigned char)nfc[i + 1] < 0x80) {
			i += 2;
			continue;
		}
		if (b < 0x80) { /* ASCII without a call into utf8proc */
			cp = b;
			k = 1;
		} else if ((k = utf8proc_iterate((const utf8proc_uint8_t *)nfc + i,
						 (utf8proc_ssize_t)(n - i), &cp)) <= 0) {
			k = 1;
			cp = 0xFFFD;
		}
		/* visible ASCII is never space: no call for it */
		if ((b <= ' ' || b >= 0x80) && is_space_cp(cp)) {
			if (!in_space && i > word) {
				memcpy(out + olen, nfc + word, i - word);
				olen += i - word;
			}
			in_space = 1;
			if (cp == '\n' || cp == 0x2029)
				newlines++;
		} else if (in_space) {
			olen = space_out(out, olen, keep_paragraphs, newlines);
			in_space = 0;
			newlines = 0;
			word = i;
		}
		i += (size_t)k;
	}
	if (!in_space && i > word) {
		memcpy(out + olen, nfc + word, i - word);
		olen += i - word;
	}
	out[olen] = '\0';
	free(own);
	return out;
}

void pm_tokens_init(struct pm_tokens *t)
{
	memset(t, 0, sizeof(*t));
}

void pm_tokens_reserve(struct pm_tokens *t, size_t len)
{
	/* a word and its separator take two bytes at least, and the folded
	 * text is about as long as the source (the ASCII path asks for
	 * MAX_TOKEN_BYTES + 16 spare bytes) */
	size_t words = len / 6 + 16, bytes = len + MAX_TOKEN_BYTES + 64;

	if (t->alloc < words)
		XGROW(t->v, t->alloc, words);
	if (t->cap < bytes) {
		t->buf = xrealloc(t->buf, bytes);
		t->cap = bytes;
	}
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

#include "core/foldtab.inc"

struct tok_state {
	struct pm_tokens *t;
	int open;
	uint32_t start, end;
	unsigned counts[4];     /* by enum pm_fold_kind, for the open token */
	uint32_t sentence, para;
	int sentence_has_token;
	int newlines;           /* newlines in the current run of white space */
	size_t last_token_len;  /* folded length of the previous token */
};

/* Room for n more bytes (and a NUL) in the folded-token buffer. */
static inline void buf_reserve(struct pm_tokens *t, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t c = t->cap ? t->cap : 256;
		while (c < t->len + n + 1)
			c *= 2;
		t->buf = xrealloc(t->buf, c);
		t->cap = c;
	}
}

static inline void buf_put(struct pm_tokens *t, const char *s, size_t n)
{
	buf_reserve(t, n);
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

static inline void tok_open(struct tok_state *st, uint32_t at)
{
	struct pm_tokens *t = st->t;

	if (t->n + 1 > t->alloc)
		XGROW(t->v, t->alloc, t->n + 1);
	t->v[t->n].norm = (uint32_t)t->len;
	st->open = 1;
	st->start = at;
	memset(st->counts, 0, sizeof(st->counts));
}

/* Bytes folded so far into the open token. */
static inline size_t tok_len(const struct tok_state *st)
{
	return st->t->len - st->t->v[st->t->n].norm;
}

static inline void tok_close(struct tok_state *st)
{
	struct pm_tokens *t = st->t;
	struct pm_token *k;
	const unsigned *c = st->counts;

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
	if (c[PM_FOLD_UPPER] >= 2 && !c[PM_FOLD_LOWER])
		k->flags |= PM_TOK_UPPER;
	if (c[PM_FOLD_DIGIT] && !c[PM_FOLD_UPPER] && !c[PM_FOLD_LOWER] && !c[PM_FOLD_OTHER])
		k->flags |= PM_TOK_NUM;
	st->sentence_has_token = 1;
	st->last_token_len = k->norm_len;
	t->n++;
}

/* Adds the folded form f[0..n) of one source code point to the open token;
 * a token reaching MAX_TOKEN_BYTES takes no more code points. */
static inline void tok_add(struct tok_state *st, const char *f, size_t n)
{
	if (tok_len(st) < MAX_TOKEN_BYTES)
		buf_put(st->t, f, n);
}

static void sentence_break(struct tok_state *st)
{
	if (st->sentence_has_token) {
		st->sentence++;
		st->sentence_has_token = 0;
	}
}

/* A separator code point c at s[i]: ends the open token, counts blank
 * lines and sentence ends. */
static void separator(struct tok_state *st, const char *s, size_t len, size_t i,
		      utf8proc_int32_t c)
{
	struct pm_tokens *t = st->t;

	tok_close(st);
	if (c == '\n') {
		if (++st->newlines == 2) {
			sentence_break(st);
			if (t->n && t->v[t->n - 1].para == st->para)
				st->para++;
		}
		return;
	}
	if (c == '.' || c == '!' || c == '?') {
		if (i + 1 >= len || s[i + 1] == ' ' || s[i + 1] == '\n' || s[i + 1] == '\t' ||
		    s[i + 1] == '"' || s[i + 1] == '\r') {
			/* "U.N. Security Council": a single-letter acronym part
			 * does not end a sentence */
			if (!(c == '.' && st->last_token_len == 1 && t->n && t->v[t->n - 1].end == i))
				sentence_break(st);
		}
	} else if (c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == 0x061F || c == 0x06D4 ||
		   c == 0x0964 || c == 0x2026) {
		sentence_break(st);
	} else if (c == 0x2029) {
		sentence_break(st);
		st->para++;
	}
	if (!is_space_cp(c))
		st->newlines = 0;
}

/* ASCII letters and digits: bit 1 upper, 2 lower, 4 digit; 0 for the rest
 * (and for every byte >= 0x80). */
#define A_UP 1
#define A_LO 2
#define A_DI 4
static const uint8_t ascii_word[256] = {
	['0'] = A_DI, ['1'] = A_DI, ['2'] = A_DI, ['3'] = A_DI, ['4'] = A_DI,
	['5'] = A_DI, ['6'] = A_DI, ['7'] = A_DI, ['8'] = A_DI, ['9'] = A_DI,
	['A'] = A_UP, ['B'] = A_UP, ['C'] = A_UP, ['D'] = A_UP, ['E'] = A_UP,
	['F'] = A_UP, ['G'] = A_UP, ['H'] = A_UP, ['I'] = A_UP, ['J'] = A_UP,
	['K'] = A_UP, ['L'] = A_UP, ['M'] = A_UP, ['N'] = A_UP, ['O'] = A_UP,
	['P'] = A_UP, ['Q'] = A_UP, ['R'] = A_UP, ['S'] = A_UP, ['T'] = A_UP,
	['U'] = A_UP, ['V'] = A_UP, ['W'] = A_UP, ['X'] = A_UP, ['Y'] = A_UP,
	['Z'] = A_UP,
	['a'] = A_LO, ['b'] = A_LO, ['c'] = A_LO, ['d'] = A_LO, ['e'] = A_LO,
	['f'] = A_LO, ['g'] = A_LO, ['h'] = A_LO, ['i'] = A_LO, ['j'] = A_LO,
	['k'] = A_LO, ['l'] = A_LO, ['m'] = A_LO, ['n'] = A_LO, ['o'] = A_LO,
	['p'] = A_LO, ['q'] = A_LO, ['r'] = A_LO, ['s'] = A_LO, ['t'] = A_LO,
	['u'] = A_LO, ['v'] = A_LO, ['w'] = A_LO, ['x'] = A_LO, ['y'] = A_LO,
	['z'] = A_LO,
};

/* The ASCII fast path: a run of letters and digits from s[i], lower-cased
 * straight into the token buffer (c | 0x20 lower-cases a letter and leaves
 * a digit as it is). Returns where the run ends. */
static inline size_t ascii_run(struct tok_state *st, const char *s, size_t len, size_t i)
{
	struct pm_tokens *t = st->t;
	const unsigned char *u = (const unsigned char *)s;
	size_t j = i, room, n;
	unsigned mask = 0, up = 0;
	char *w;

	for (uint8_t k; j < len && (k = ascii_word[u[j]]); j++) {
		mask |= k;
		up += k & A_UP;
	}
	if (!st->open)
		tok_open(st, (uint32_t)i);
	room = tok_len(st) < MAX_TOKEN_BYTES ? MAX_TOKEN_BYTES - tok_len(st) : 0;
	n = j - i < room ? j - i : room;
	buf_reserve(t, n);
	w = t->buf + t->len;
	for (size_t k = 0; k < n; k++)
		w[k] = (char)(u[i + k] | 0x20);
	t->len += n;
	/* the flags need the number of capitals and whether there was any
	 * lower-case letter or digit */
	st->counts[PM_FOLD_UPPER] += up;
	st->counts[PM_FOLD_LOWER] += (mask & A_LO) != 0;
	st->counts[PM_FOLD_DIGIT] += (mask & A_DI) != 0;
	st->end = (uint32_t)j;
	st->newlines = 0;
	return j;
}


/* One block of ASCII word bytes at a time for the whole-word path: 16
 * with SSE2 (every x86-64), else 8 in a 64-bit word. word_block folds the
 * block at p into out (all of it written: letters lower-cased, the rest as
 * it is), returns a mask of the bytes that are no ASCII letter or digit
 * (stops) and sets *lower to the mask of lower-case letters; WM_BYTE(m) is
 * the block offset of the lowest-order marked byte, which is the first in
 * text order. Hand-written because no library classifies bytes this way. */
#ifdef PM_SSE2
#define WBLOCK 16
typedef uint32_t wmask;
#define WM_BYTE(m) ((size_t)__builtin_ctz(m))
#define WM_NEXT(m) ((m) << 1) /* the mark of the byte after marked byte m */
#define WM_LAST 0x8000u       /* the mark of the block's last byte */

/* 0xFF in each byte of x within [lo, lo + n): x - lo, as an unsigned byte,
 * is below n; moved by 0x80, that is a signed compare. */
static inline __m128i in_range(__m128i x, char lo, int n)
{
	return _mm_cmplt_epi8(_mm_add_epi8(x, _mm_set1_epi8((char)(0x80 - lo))),
			      _mm_set1_epi8((char)(-128 + n)));
}

static inline wmask word_block(const char *p, char *out, wmask *lower, wmask *space)
{
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
	__m128i let = in_range(_mm_or_si128(x, _mm_set1_epi8(0x20)), 'a', 26);
	__m128i dig = in_range(x, '0', 10), low = in_range(x, 'a', 26);

	_mm_storeu_si128((__m128i *)(void *)out,
			 _mm_or_si128(x, _mm_and_si128(let, _mm_set1_epi8(0x20))));
	*lower = (wmask)_mm_movemask_epi8(low);
	*space = (wmask)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')));
	return ~(wmask)_mm_movemask_epi8(_mm_or_si128(let, dig)) & 0xFFFFu;
}
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WBLOCK 8
typedef uint64_t wmask;
#define WM_BYTE(m) ((size_t)__builtin_ctzll(m) / 8)
#define WM_NEXT(m) ((m) << 8)
#define WM_LAST LAST_BYTE_HIGH

/* 0x80 in each byte of w that is an ASCII letter or digit (exact). For a
 * 7-bit byte x, x + (0x80 - lo) has its top bit set when x >= lo, and
 * x + (0x7F - hi) when x > hi; x | 0x20 maps A-Z onto a-z and no other
 * byte onto a-z. */
static inline uint64_t alnum_bytes(uint64_t w, uint64_t *letters)
{
	uint64_t t = w & ~HIGH, l = t | (0x20 * ONES);
	uint64_t let = (l + (0x80 - 'a') * ONES) & ~(l + (0x7F - 'z') * ONES);
	uint64_t dig = (t + (0x80 - '0') * ONES) & ~(t + (0x7F - '9') * ONES);

	*letters = let & ~w & HIGH;
	return (let | dig) & ~w & HIGH;
}

static inline wmask word_block(const char *p, char *out, wmask *lower, wmask *space)
{
	uint64_t x = load8(p), letters, word = alnum_bytes(x, &letters);

	*lower = letters & (x << 2); /* 0x20 (lower case) moved to 0x80 */
	*space = space_bytes(x);
	x |= letters >> 2;           /* a letter gains 0x20; a digit has it */
	memcpy(out, &x, 8);
	return ~word & HIGH;
}
#endif

/* The flags of an ASCII word without a lower-case letter (rare), counted
 * as ascii_run counts them: capitals and digits. */
static __attribute__((noinline)) unsigned caps_flags(const char *w, size_t n)
{
	unsigned up = 0, dig = 0, flags = 0;

	for (size_t k = 0; k < n; k++) {
		up += ascii_word[(unsigned char)w[k]] == A_UP;
		dig |= ascii_word[(unsigned char)w[k]] == A_DI;
	}
	if (up >= 2)
		flags |= PM_TOK_UPPER;
	if (dig && !up)
		flags |= PM_TOK_NUM;
	return flags;
}

/* Whole ASCII words from s[i] (a letter or digit; no token open), each
 * ending before an ASCII byte, and the single spaces between them, as
 * tokens: what tok_open, ascii_run and tok_close make of them. In such a
 * run the folded text is the source lower-cased with each space made a
 * NUL, at a fixed distance (delta) from it: so the run is folded a block
 * at a time straight into place, and every word that ends in a block
 * (two in sixteen bytes of English) is found from the block's mask of
 * stops, its record written at once, without going back to the text.
 * A full stop, comma and the like between two words, with the space
 * after it, is taken too, and the next run starts at the word after it.
 * Returns where it stopped: at i when the first word is not such a word
 * (longer than MAX_TOKEN_BYTES - WBLOCK, followed by a byte >= 0x80 that
 * may continue it, or running into the text's last block), which the
 * general path then takes. Without SSE2 on a big-endian machine the
 * general path does all. */
/* not inlined: alone, it keeps its state in registers (pointers rather
 * than offsets, so that few values live across the loop) */
static __attribute__((noinline)) size_t ascii_words_fast(struct tok_state *st, const char *s,
							 size_t len, size_t i)
{
#ifdef WBLOCK
	struct pm_tokens *t = st->t;
	const uint32_t para = st->para;
	uint32_t sentence = st->sentence;
	int has_token = st->sentence_has_token;
	const char *p, *ws, *lastblock;
	struct pm_token *v, *vroom;
	char *o;          /* where the folded byte of *p goes */
	char *obase, *olim; /* t->buf, and the last o with room for a block
			     * (in locals: the byte stores could alias t's) */
	size_t blen;      /* the folded text's length */
	wmask lower = 0;  /* lower-case letters seen in the open word */

	if (len - i < WBLOCK)
		return i;
	/* never pointers into NULL arrays */
	if (t->len + WBLOCK + 1 > t->cap)
		buf_reserve(t, WBLOCK + 1);
	if (t->n + WBLOCK > t->alloc)
		XGROW(t->v, t->alloc, t->n + WBLOCK);
	p = ws = s + i;
	lastblock = s + len - WBLOCK;
	blen = t->len;
	obase = t->buf;
	olim = obase + t->cap - (WBLOCK + 1);
	o = obase + blen;
	v = t->v + t->n;
	vroom = t->v + t->alloc - WBLOCK;
	for (;;) {
		wmask lw, sp, stop;

		/* the last bytes of the text are left to the general path
		 * (no block may be read past its end), and so is a word
		 * that could grow longer than MAX_TOKEN_BYTES */
		if (p - ws > MAX_TOKEN_BYTES - WBLOCK || p > lastblock)
			goto out;
		/* room for this block and the records of its words */
		if (o > olim) {
			size_t at = (size_t)(o - obase);
			t->len = blen;
			buf_reserve(t, at + WBLOCK + 1 - blen);
			obase = t->buf;
			olim = obase + t->cap - (WBLOCK + 1);
			o = obase + at;
		}
		if (v > vroom) {
			size_t at = (size_t)(v - t->v);
			XGROW(t->v, t->alloc, at + WBLOCK);
			v = t->v + at;
			vroom = t->v + t->alloc - WBLOCK;
		}
		stop = word_block(p, o, &lw, &sp);
		while (stop) {
			wmask low = stop & (0 - stop), upto = low | (low - 1);
			size_t pos = WM_BYTE(stop), n = (size_t)(p + pos - ws);
			unsigned flags = 0, c = ' ';

			/* a stop other than a space ends the run (after the
			 * word, unless it is a byte >= 0x80 that may go on
			 * with it), but for a few punctuation marks below */
			if (!(sp & low) && (c = (unsigned char)p[pos]) >= 0x80)
				goto out;
			lower |= lw & (low - 1);
			o[pos] = '\0';
			if (!lower)
				flags = caps_flags(ws, n);
			*v++ = (struct pm_token){ (uint32_t)blen, (uint32_t)n, (uint32_t)(ws - s),
						  (uint32_t)(ws - s + n), sentence, para, flags };
			blen += n + 1;
			has_token = 1;
			ws = p + pos;
			if (c != ' ') {
				/* ". ", "! ", "? ", ", ", "; " or ": " and another
				 * word, all in this block, are taken here as
				 * separator() takes them: a full stop after a
				 * one-letter word ("U.N.") ends no sentence */
				wmask sp1 = WM_NEXT(low), w2 = WM_NEXT(sp1);
				if ((low & WM_LAST) || (sp1 & WM_LAST) || !(sp & sp1) || (stop & w2))
					goto out;
				if (c == '!' || c == '?' || (c == '.' && n != 1)) {
					sentence++;
					has_token = 0;
				} else if (c != '.' && c != ',' && c != ';' && c != ':') {
					goto out;
				}
				/* the folded text has one NUL where the source
				 * has two bytes: a new run starts at the word */
				ws = p = p + pos + 2;
				o = obase + blen;
				lower = 0;
				goto next_run;
			}
			/* one space and another word: the common case, kept here */
			if (low & WM_LAST) {
				if (p + pos + 1 >= s + len || !ascii_word[(unsigned char)p[pos + 1]])
					goto out;
			} else if (stop & WM_NEXT(low)) {
				goto out;
			}
			ws = p + pos + 1;
			lower = 0;
			stop &= ~upto;
			lw &= ~upto;
		}
		lower |= lw;
		p += WBLOCK;
		o += WBLOCK;
next_run:;
	}
out:
	if (v != t->v + t->n) {
		st->end = v[-1].end;
		st->last_token_len = v[-1].norm_len;
		st->newlines = 0;
		st->sentence = sentence;
		st->sentence_has_token = has_token;
	}
	t->len = blen;
	t->n = (size_t)(v - t->v);
	/* ws: after the last word taken, or at the start of a word that is
	 * not for this path (the first, when it was the first), where the
	 * general path goes on */
	return (size_t)(ws - s);
#else
	(void)st;
	(void)s;
	(void)len;
	return i;
#endif
}

/* A word code point that was folded to f[0..n) (kind k) at [i, i+cl). */
static inline void word_cp(struct tok_state *st, size_t i, size_t cl, enum pm_fold_kind k,
			   const char *f, size_t n)
{
	if (!st->open)
		tok_open(st, (uint32_t)i);
	st->counts[k]++;
	tok_add(st, f, n);
	st->end = (uint32_t)(i + cl);
	st->newlines = 0;
}

/* A Han, Hiragana or Katakana character: a token of its own. */
static inline void cjk_cp(struct tok_state *st, size_t i, size_t cl, enum pm_fold_kind k,
			  const char *f, size_t n)
{
	tok_close(st);
	word_cp(st, i, cl, k, f, n);
	tok_close(st);
	if (st->t->n)
		st->t->v[st->t->n - 1].flags |= PM_TOK_CJK;
}

static void tokenize(const char *s, size_t len, struct pm_tokens *t, int fast)
{
	struct tok_state st;
	size_t i = 0;

	if (len > UINT32_MAX - 1)
		len = UINT32_MAX - 1;
	pm_tokens_reset(t);
	memset(&st, 0, sizeof(st));
	st.t = t;
	while (i < len) {
		unsigned char b = (unsigned char)s[i];
		utf8proc_int32_t c;
		utf8proc_ssize_t n;
		char f[80];
		int fl;

		if (b < 0x80) {
			size_t j;
			if (ascii_word[b] && !st.open && fast &&
			    (j = ascii_words_fast(&st, s, len, i)) != i)
				i = j;
			else if (ascii_word[b])
				i = ascii_run(&st, s, len, i);
			else if (b == ' ')
				tok_close(&st), i++;
			else
				separator(&st, s, len, i++, b);
			continue;
		}
		/* two-byte code points from the generated table */
		if (b >= 0xC2 && b <= 0xDF && i + 1 < len && ((unsigned char)s[i + 1] & 0xC0) == 0x80) {
			const struct pm_fold2 *e;

			c = (utf8proc_int32_t)(((b & 0x1F) << 6) | ((unsigned char)s[i + 1] & 0x3F));
			e = &fold2_tab[c - 0x80];
			if (e->cls == PM_FOLD_WORD && e->len != PM_FOLD2_LONG) {
				word_cp(&st, i, 2, (enum pm_fold_kind)e->kind, e->s, e->len);
				i += 2;
				continue;
			}
			if (e->cls == PM_FOLD_SEP) {
				separator(&st, s, len, i, c);
				i += 2;
				continue;
			}
		}
		n = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
				     (utf8proc_ssize_t)(len - i), &c);
		if (n <= 0) {
			tok_close(&st);
			i++;
			continue;
		}
		/* CJK unified ideographs have no case and no decomposition:
		 * they fold to themselves (test_core checks every one) */
		if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF)) {
			cjk_cp(&st, i, (size_t)n, PM_FOLD_OTHER, s + i, (size_t)n);
			i += (size_t)n;
			continue;
		}
		switch (pm_fold_class(c)) {
		case PM_FOLD_IGNORE:
			if (st.open)
				st.end = (uint32_t)(i + (size_t)n);
			break;
		case PM_FOLD_WORD:
			fl = pm_fold_cp(c, f, (int)sizeof(f));
			word_cp(&st, i, (size_t)n, pm_fold_kind_of(c), f, fl > 0 ? (size_t)fl : 0);
			break;
		case PM_FOLD_CJK:
			fl = pm_fold_cp(c, f, (int)sizeof(f));
			cjk_cp(&st, i, (size_t)n, pm_fold_kind_of(c), f, fl > 0 ? (size_t)fl : 0);
			break;
		default:
			separator(&st, s, len, i, c);
			break;
		}
		i += (size_t)n;
	}
	tok_close(&st);
}

void pm_text_tokenize(const char *s, size_t len, struct pm_tokens *t)
{
	tokenize(s, len, t, 1);
}

void pm_text_tokenize_ref(const char *s, size_t len, struct pm_tokens *t)
{
	tokenize(s, len, t, 0);
}

char *pm_tokens_join(const struct pm_tokens *t)
{
	struct pm_buf out = PM_BUF_INIT;

	pm_buf_add(&out, "", 0);
	for (size_t i = 0; i < t->n; i++) {
		if (i)
			pm_buf_addc(&out, ' ');
		pm_buf_add(&out, pm_token_str(t, i), t->v[i].norm_len);
	}
	return pm_buf_detach(&out, NULL);
}

char *pm_text_fold(const char *s, size_t len)
{
	struct pm_tokens t;
	char *r;

	pm_tokens_init(&t);
	pm_text_tokenize(s, len, &t);
	r = pm_tokens_join(&t);
	pm_tokens_release(&t);
	return r;
}
