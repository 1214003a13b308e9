/* parse/parse_int.h: what only the parse module's files share: decoding to
 * UTF-8, markup-to-text walking, and the per-kind parsers behind pm_parse_document. */
#ifndef PM_PARSE_INT_H
#define PM_PARSE_INT_H

#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stddef.h>
#include <string.h>

#include "core/buf.h"
#include "parse/parse.h"

#define PM_MAX_TEXT_DEFAULT ((size_t)1 << 20)
#define PM_MAX_ENTRIES_DEFAULT 10000

/* memmem for the short needles of the markup scans: glibc's memmem
 * prepares a two-way search on each call, which costs more than the
 * whole scan of a small feed. memchr for the first byte, memcmp for the
 * rest; the needles are a few bytes, so the worst case stays linear. */
static inline const char *pm_find(const char *h, size_t hl, const char *n, size_t nl)
{
	const char *end = h + hl, *p = h;

	if (!nl)
		return h;
	while ((size_t)(end - p) >= nl && (p = memchr(p, n[0], (size_t)(end - p) - nl + 1))) {
		if (!memcmp(p + 1, n + 1, nl - 1))
			return p;
		p++;
	}
	return NULL;
}

/* A document decoded to UTF-8 (BOM removed). */
struct pm_decoded {
	const char *text;      /* len bytes, not NUL-terminated: own, or the
				* body itself when that was valid UTF-8 */
	size_t len;
	char *own;             /* what pm_decoded_release frees */
	char encoding[64];     /* lower-case name it was decoded from */
	int bozo;
	char reason[256];      /* why bozo, "" otherwise */
};

void pm_decoded_release(struct pm_decoded *d);

/* Whether the markup walker treats the element NAME (any case) as other
 * than inline text (a block, a line break, <pre>, or skipped). */
int pm_html_tag_listed(const char *name);

/* Decodes an XML feed following feed readers' precedence: the RFC 3023
 * rules for the HTTP Content-Type charset, then the XML declaration, then
 * the BOM / first-bytes sniffing, then utf-8, then UTF-8 with its few bad
 * bytes as U+FFFD, then the charset uchardet guesses (East Asian and
 * non-Latin scripts only), then windows-1252.
 * Never fails: the last resort decodes byte by byte. */
void pm_decode_xml(const char *body, size_t len, const char *content_type,
		   struct pm_decoded *out /* OUT */);
/* Decodes an HTML page or JSON document: BOM, Content-Type charset, <meta
 * charset> in the first 2 KiB, else utf-8, lossy UTF-8 and the guess as
 * above, windows-1252. */
void pm_decode_other(const char *body, size_t len, const char *content_type, int html,
		     struct pm_decoded *out /* OUT */);
/* Converts len bytes from encoding enc to UTF-8; -1 if enc is unknown or the
 * bytes are invalid in it. *out belongs to the caller. */
int pm_iconv_utf8(const char *enc, const char *in, size_t len, char **out, size_t *outlen);
/* Charset parameter of a Content-Type value into out (lower case, quotes
 * removed), and the media type into type; "" when absent. */
void pm_content_type_split(const char *ct, char *type, size_t tsz, char *charset, size_t csz);

/* Appends the visible text of node and of its following siblings (pass
 * n->children for what is inside n) to out; HTML or XHTML, element names
 * taken without namespace: script/style dropped, block elements become
 * paragraph breaks, <br> a line break. Bounded by out's cap and by depth. */
void pm_node_text(const xmlNode *node, struct pm_buf *out);
/* The same for one HTML element alone (not its siblings), laid out as a
 * browser does: line breaks in the source are spaces outside <pre>. */
void pm_element_text(const xmlNode *node, struct pm_buf *out);
/* Final form of a text field: C1 controls read as windows-1252, white space
 * folded (paragraphs kept when asked), NFC, cut at max bytes on a character
 * boundary. Always valid UTF-8 (bad bytes become U+FFFD). Returns NULL for
 * an empty result. Caller frees. */
char *pm_clean_text(const char *s, size_t len, int paragraphs, size_t max);
/* pm_clean_text, and with repair set, text that is UTF-8 read as Latin-1
 * or windows-1252 and encoded again ("â€¦" for "…") is undone first, when
 * the whole field maps back to valid UTF-8 bytes (as feedparser does it
 * for UTF-8 feeds). */
char *pm_clean_text_opt(const char *s, size_t len, int paragraphs, size_t max, int repair);
/* htmlReadMemory of UTF-8 text. Told "UTF-8" by name, libxml2 copies the
 * whole input through its UTF-8 to UTF-8 converter; valid UTF-8 whose first
 * four bytes are ASCII without NUL can only be read as UTF-8 (not UTF-16/32
 * or EBCDIC), so it is read in place, with the document's own encoding
 * hints ignored as naming the encoding ignores them. */
htmlDocPtr pm_html_read(const char *s, size_t len, const char *url, int options);
/* Text of an HTML fragment (escaped markup in a feed). Caller frees; NULL if empty. */
char *pm_html_fragment_text(const char *html, size_t len, int paragraphs, size_t max);
/* The HTML parser context kept for the fragments of one document ({NULL}
 * to start; pm_html_reuse_release frees it). */
struct pm_html_reuse {
	htmlParserCtxtPtr plain;
};
void pm_html_reuse_release(struct pm_html_reuse *h);
/* pm_html_fragment_text through h's contexts (h NULL: a new one each time);
 * the same text. repair as for pm_clean_text_opt. */
char *pm_html_fragment_text_in(struct pm_html_reuse *h, const char *html, size_t len,
			       int paragraphs, size_t max, int repair);

/* What struct pm_parser keeps between documents (parse.h). */
struct pm_parser {
	xmlParserCtxtPtr xml;      /* the feed parser's context, NULL until used */
	struct pm_html_reuse html; /* escaped markup in text fields */
	unsigned long docs;        /* documents read through xml */
};

/* The parsers behind pm_parse_document; each returns a new object or NULL.
 * p holds the contexts to reuse (never NULL here). */
json_t *pm_parse_feed_xml(struct pm_parser *p, const struct pm_decoded *dec, const char *url,
			  const struct pm_parse_opts *opts, struct pm_err *err);
json_t *pm_parse_json_feed(json_t *root, const char *encoding, const char *url,
			   const struct pm_parse_opts *opts);
json_t *pm_parse_html_page(const struct pm_decoded *dec, const char *url,
			   const struct pm_parse_opts *opts);

/* pm_url_canonical always through curl's URL parser, without the shortcut
 * for URLs that are canonical already; for the test that the two agree. */
char *pm_url_canonical_curl(const char *url);

/* json_string(s), with the UTF-8 check done by core/text's validator (an
 * ASCII loop) instead of jansson's per-character one: NULL for invalid
 * UTF-8 as json_string gives. Long text fields are the parser's hot path. */
json_t *pm_json_text(const char *s);

/* Entry i of the date parser's word table (its folded word; *kind 1-12
 * a month, 0 a day name, -1 a word dropped), NULL past the end: for the
 * test that the table is folded and sorted. */
const char *pm_date_word_at(size_t i, int *kind);

/* A date as "YYYY-MM-DDTHH:MM:SSZ" JSON string, or JSON null. */
json_t *pm_date_json(const char *s);

#endif
