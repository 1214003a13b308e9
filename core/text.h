/* core/text: the one text normalizer. Parse, classify and the archive's
 * full-text tokenizer all fold words here, so a word matches the same way
 * everywhere. Built on utf8proc; the only module that includes it. */
#ifndef PM_CORE_TEXT_H
#define PM_CORE_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Display form: valid UTF-8 (bad bytes become U+FFFD), C0 controls other
 * than tab and newline dropped, NFC. Returned string belongs to the caller. */
char *pm_text_nfc(const char *s, size_t len);
/* Whether NFC leaves code point cp as it is whatever comes before or
 * after it (combining class 0, its own NFC, never the second of a
 * composition): text made only of such code points is NFC already.
 * False for some code points that are (the list is of whole ranges). */
int pm_text_nfc_stable_cp(int32_t cp);

/* Whether s[0..len) is well-formed UTF-8 (no overlong forms, no
 * surrogates, nothing above U+10FFFF). */
int pm_text_valid_utf8(const char *s, size_t len);
/* Length of the ASCII run s starts with (16 or 8 bytes at a step). */
size_t pm_text_ascii_prefix(const char *s, size_t len);

/* Display form with white space folded: every run of white space (Unicode
 * Zs, tabs, newlines, U+00A0) becomes one space, ends trimmed. With
 * keep_paragraphs, a run containing a blank line becomes "\n\n" and a run
 * containing one newline becomes "\n". Returned string belongs to the caller. */
char *pm_text_squash(const char *s, size_t len, int keep_paragraphs);

enum pm_token_flags {
	PM_TOK_UPPER = 1, /* source had >= 2 letters, all upper case (acronym) */
	PM_TOK_CJK = 2,   /* one Han/Kana character */
	PM_TOK_NUM = 4    /* digits only */
};

struct pm_token {
	uint32_t norm;      /* offset of the folded token (NUL-terminated) in buf */
	uint32_t norm_len;  /* its length in bytes */
	uint32_t start;     /* byte range [start, end) in the source text */
	uint32_t end;
	uint32_t sentence;  /* sentence number in the text, from 0 */
	uint32_t para;      /* paragraph number (blank-line separated), from 0 */
	uint32_t flags;     /* enum pm_token_flags */
};

struct pm_tokens {
	struct pm_token *v;
	size_t n, alloc;
	char *buf;          /* folded tokens, each followed by NUL */
	size_t len, cap;
};

void pm_tokens_init(struct pm_tokens *t);
/* Room for the tokens of a text of about len bytes at once, instead of
 * growing step by step (a guess: more is still added when needed). */
void pm_tokens_reserve(struct pm_tokens *t, size_t len);
void pm_tokens_reset(struct pm_tokens *t);
void pm_tokens_release(struct pm_tokens *t);
/* Borrowed: the folded text of token i, valid until t changes. */
static inline const char *pm_token_str(const struct pm_tokens *t, size_t i)
{
	return t->buf + t->v[i].norm;
}

/* Matching form, token by token: NFKC compatibility folding, Unicode case
 * fold, marks stripped, default-ignorables removed, Arabic letter forms
 * folded (alef with hamza/madda/wasla -> alef, alef maksura and Farsi yeh ->
 * yeh, taa marbuta -> heh, keheh -> kaf, tatweel dropped). Words break at
 * Unicode class changes (letters, marks and digits form words; everything
 * else separates); each Han, Hiragana or Katakana character is its own
 * token. Invalid UTF-8 separates words. ASCII takes a fast path.
 * Replaces the contents of t. Texts longer than 4 GiB are cut. */
void pm_text_tokenize(const char *s, size_t len, struct pm_tokens *t);

/* pm_text_tokenize without its whole-word ASCII path (words go through
 * the general loop): the same tokens, for the test that says so. */
void pm_text_tokenize_ref(const char *s, size_t len, struct pm_tokens *t);

/* The folded tokens of s joined by single spaces ("Cour Pénale" ->
 * "cour penale"). Returned string belongs to the caller. */
char *pm_text_fold(const char *s, size_t len);
/* The same from the tokens of pm_text_tokenize. */
char *pm_tokens_join(const struct pm_tokens *t);

#endif
