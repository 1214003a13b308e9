/* parse/text: markup to plain text. One walker serves HTML trees from
 * libxml2's HTML parser and XHTML inside feeds, so both read the same way. */
#include "parse/parse_int.h"
#include "core/mem.h"
#include "core/text.h"

#include <libxml/HTMLparser.h>
#include <libxml/parserInternals.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 256 /* deeper markup is flattened: no real page nests deeper */

/* What the walker does with an element, by its name (any case). <object>
 * and <embed> are not skipped: the text inside <object> is its fallback,
 * what a reader without the plugin sees, and libxml2 reads the void
 * <embed> as a container of whatever follows it. */
enum tag_class { TAG_INLINE, TAG_BLOCK, TAG_SKIP, TAG_BR, TAG_PRE };

/* sorted by name for bsearch: one lookup per element instead of a
 * strcasecmp against each of the 57 names */
static const struct tag {
	const char *name;
	unsigned char cls;
} tags[] = {
	{ "address", TAG_BLOCK }, { "article", TAG_BLOCK }, { "aside", TAG_BLOCK },
	{ "blockquote", TAG_BLOCK }, { "body", TAG_BLOCK }, { "br", TAG_BR },
	{ "button", TAG_SKIP }, { "caption", TAG_BLOCK }, { "center", TAG_BLOCK },
	{ "dd", TAG_BLOCK }, { "details", TAG_BLOCK }, { "dialog", TAG_BLOCK },
	{ "dir", TAG_BLOCK }, { "div", TAG_BLOCK }, { "dl", TAG_BLOCK }, { "dt", TAG_BLOCK },
	{ "fieldset", TAG_BLOCK }, { "figcaption", TAG_BLOCK }, { "figure", TAG_BLOCK },
	{ "footer", TAG_BLOCK }, { "form", TAG_BLOCK }, { "h1", TAG_BLOCK }, { "h2", TAG_BLOCK },
	{ "h3", TAG_BLOCK }, { "h4", TAG_BLOCK }, { "h5", TAG_BLOCK }, { "h6", TAG_BLOCK },
	{ "head", TAG_SKIP }, { "header", TAG_BLOCK }, { "hgroup", TAG_BLOCK },
	{ "hr", TAG_BLOCK }, { "html", TAG_BLOCK }, { "iframe", TAG_SKIP },
	{ "legend", TAG_BLOCK }, { "li", TAG_BLOCK }, { "main", TAG_BLOCK },
	{ "menu", TAG_BLOCK }, { "nav", TAG_BLOCK }, { "noscript", TAG_SKIP },
	{ "ol", TAG_BLOCK }, { "p", TAG_BLOCK }, { "pre", TAG_PRE }, { "script", TAG_SKIP },
	{ "section", TAG_BLOCK }, { "select", TAG_SKIP }, { "style", TAG_SKIP },
	{ "summary", TAG_BLOCK }, { "table", TAG_BLOCK }, { "tbody", TAG_BLOCK },
	{ "td", TAG_BLOCK }, { "template", TAG_SKIP }, { "textarea", TAG_SKIP },
	{ "tfoot", TAG_BLOCK }, { "th", TAG_BLOCK }, { "thead", TAG_BLOCK },
	{ "tr", TAG_BLOCK }, { "ul", TAG_BLOCK },
};

static int tag_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct tag *)elem)->name);
}

static enum tag_class tag_class(const char *name)
{
	char low[12];
	const struct tag *t;
	size_t i;

	/* lower-cased as strcasecmp compares (ASCII letters only); a longer
	 * name than any listed is inline */
	for (i = 0; name[i]; i++) {
		if (i + 1 >= sizeof(low))
			return TAG_INLINE;
		low[i] = name[i] >= 'A' && name[i] <= 'Z' ? (char)(name[i] + 32) : name[i];
	}
	low[i] = '\0';
	t = bsearch(low, tags, sizeof(tags) / sizeof(tags[0]), sizeof(tags[0]), tag_cmp);
	return t ? (enum tag_class)t->cls : TAG_INLINE;
}

int pm_html_tag_listed(const char *name)
{
	return tag_class(name) != TAG_INLINE;
}

static void para(struct pm_buf *out)
{
	pm_buf_adds(out, "\n\n");
}

/* HTML text as a browser lays it out: outside <pre>, a line break in the
 * source is just a space. */
static void add_flowed(struct pm_buf *out, const char *s)
{
	const char *q;

	while ((q = strpbrk(s, "\r\n"))) {
		pm_buf_add(out, s, (size_t)(q - s));
		pm_buf_addc(out, ' ');
		s = q + 1;
	}
	pm_buf_adds(out, s);
}

/* flow: source line breaks in text become spaces (HTML pages), except
 * inside <pre>; 0 keeps them (feed text, where they may be intended). */
static void walk(const xmlNode *n, struct pm_buf *out, int depth, int flow, int single)
{
	for (; n; n = single ? NULL : n->next) {
		switch (n->type) {
		case XML_TEXT_NODE:
		case XML_CDATA_SECTION_NODE:
			if (n->content) {
				if (flow)
					add_flowed(out, (const char *)n->content);
				else
					pm_buf_adds(out, (const char *)n->content);
			}
			break;
		case XML_ENTITY_REF_NODE: {
			/* internal entities only, and only their literal text: never
			 * expand nested references (billion laughs) or external ones */
			const xmlEntity *e = (const xmlEntity *)n->children;
			if (e && e->etype == XML_INTERNAL_GENERAL_ENTITY && e->content &&
			    !strchr((const char *)e->content, '&') &&
			    !strchr((const char *)e->content, '<'))
				pm_buf_adds(out, (const char *)e->content);
			break;
		}
		case XML_ELEMENT_NODE: {
			enum tag_class cls = tag_class((const char *)n->name);
			if (cls == TAG_SKIP)
				break;
			if (cls == TAG_BR) {
				pm_buf_addc(out, '\n');
				break;
			}
			int block = cls == TAG_BLOCK || cls == TAG_PRE;
			if (block)
				para(out);
			if (depth < MAX_DEPTH)
				walk(n->children, out, depth + 1, flow && cls != TAG_PRE, 0);
			else if (n->children)
				pm_buf_addc(out, ' ');
			if (block)
				para(out);
			break;
		}
		default:
			break;
		}
	}
}

void pm_node_text(const xmlNode *node, struct pm_buf *out)
{
	walk(node, out, 0, 0, 0);
}

void pm_element_text(const xmlNode *node, struct pm_buf *out)
{
	walk(node, out, 0, 1, 1);
}

/* Code points U+0080..U+009F as windows-1252 meant them (&#146; for a
 * quote is common in feeds); the rest of the text is copied. */
static void map_c1(const char *s, size_t len, struct pm_buf *out)
{
	static const unsigned short c1[32] = {
		0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
		0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178 };
	size_t i = 0, start = 0;

	while (i + 1 < len) {
		unsigned char a = (unsigned char)s[i], b = (unsigned char)s[i + 1];
		if (a == 0xC2 && b >= 0x80 && b < 0xA0) {
			unsigned cp = c1[b - 0x80];
			char u[3];
			pm_buf_add(out, s + start, i - start);
			if (cp >= 0x800) {
				u[0] = (char)(0xE0 | (cp >> 12));
				u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
				u[2] = (char)(0x80 | (cp & 0x3F));
				pm_buf_add(out, u, 3);
			} else if (cp) {
				u[0] = (char)(0xC0 | (cp >> 6));
				u[1] = (char)(0x80 | (cp & 0x3F));
				pm_buf_add(out, u, 2);
			}
			i += 2;
			start = i;
			continue;
		}
		i++;
	}
	pm_buf_add(out, s + start, len - start);
}

static int has_c1(const char *s, size_t len)
{
	const char *p = s, *end = s + len;

	while (p + 1 < end && (p = memchr(p, 0xC2, (size_t)(end - p - 1)))) {
		if ((unsigned char)p[1] >= 0x80 && (unsigned char)p[1] < 0xA0)
			return 1;
		p++;
	}
	return 0;
}

/* The byte windows-1252 writes as code point cp (0x80..0x9F), 0 if none. */
static unsigned cp1252_byte(unsigned cp)
{
	static const unsigned short c1[32] = {
		0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
		0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
		0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
		0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178 };

	for (unsigned i = 0; i < 32; i++)
		if (c1[i] == cp)
			return 0x80 + i;
	return 0;
}

/* The byte the character at p (UTF-8, left bytes there) stands for in
 * Latin-1 or windows-1252, and its length in *k; 0 when none does. */
static unsigned mojibake_byte(const unsigned char *p, size_t left, unsigned *k)
{
	unsigned cp;

	if ((*p & 0xE0) == 0xC0 && left >= 2) {
		cp = ((unsigned)(*p & 0x1F) << 6) | (p[1] & 0x3F);
		*k = 2;
	} else if ((*p & 0xF0) == 0xE0 && left >= 3) {
		cp = ((unsigned)(*p & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
		*k = 3;
	} else {
		return 0; /* four bytes: no single byte gives it */
	}
	return cp <= 0xFF ? cp : cp1252_byte(cp);
}

/* UTF-8 text read as Latin-1 or windows-1252 and encoded again ("â€¦" for
 * "…"), undone as feed readers undo it: only when the whole field maps
 * back to bytes (every character Latin-1 or one of windows-1252's) and
 * those bytes are valid UTF-8 with at least one non-ASCII character. Real
 * Latin-1 text almost never passes, since each accented letter would have
 * to be followed by the right number of continuation characters. A new
 * buffer (*outlen bytes), or NULL when the text stays as it is. Written
 * by hand: no library does this check. */
static char *unmojibake(const char *s, size_t len, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned char *out, *o;
	unsigned b, k, need = 0;

	p += pm_text_ascii_prefix(s, len);
	if (p == end)
		return NULL;
	/* a dry run first: the bytes must make UTF-8's shape (a lead byte,
	 * then its continuation bytes). Real text fails at its first
	 * non-ASCII character or the one after (a curly quote is no lead
	 * byte, "é" is not followed by two continuation bytes), before
	 * anything is allocated: this runs on every field of a UTF-8 feed. */
	for (const unsigned char *q = p; q < end; q += k) {
		if (*q < 0x80) {
			if (need)
				return NULL;
			k = 1;
			continue;
		}
		if (!(b = mojibake_byte(q, (size_t)(end - q), &k)))
			return NULL;
		if (need) {
			if (b < 0x80 || b > 0xBF)
				return NULL;
			need--;
		} else if (b >= 0xC2 && b <= 0xDF) {
			need = 1;
		} else if (b >= 0xE0 && b <= 0xEF) {
			need = 2;
		} else if (b >= 0xF0 && b <= 0xF4) {
			need = 3;
		} else {
			return NULL;
		}
	}
	if (need || !pm_text_valid_utf8((const char *)p, (size_t)(end - p)))
		return NULL;
	out = xmalloc(len + 1);
	memcpy(out, s, (size_t)(p - (const unsigned char *)s));
	o = out + (p - (const unsigned char *)s);
	while (p < end) {
		if (*p < 0x80) {
			*o++ = *p++;
			continue;
		}
		*o++ = (unsigned char)mojibake_byte(p, (size_t)(end - p), &k);
		p += k;
	}
	*o = '\0';
	/* the shape was right; overlong forms and surrogates are not */
	if (!pm_text_valid_utf8((const char *)out, (size_t)(o - out))) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)(o - out);
	return (char *)out;
}

char *pm_clean_text(const char *s, size_t len, int paragraphs, size_t max)
{
	return pm_clean_text_opt(s, len, paragraphs, max, 0);
}

char *pm_clean_text_opt(const char *s, size_t len, int paragraphs, size_t max, int repair)
{
	struct pm_buf b;
	char *r, *fixed = NULL;
	size_t flen;

	if (!s || !len)
		return NULL;
	/* before the C1 mapping below, which drops the five code points
	 * windows-1252 leaves undefined: they are bytes of the UTF-8 */
	if (repair && (fixed = unmojibake(s, len, &flen))) {
		s = fixed;
		len = flen;
	}
	pm_buf_init(&b, 0);
	/* C1 code points are rare: without one, no copy is needed */
	if (has_c1(s, len)) {
		map_c1(s, len, &b);
		s = b.data ? b.data : "";
		len = b.len;
	}
	r = pm_text_squash(s, len, paragraphs);
	pm_buf_release(&b);
	free(fixed);
	if (!*r) {
		free(r);
		return NULL;
	}
	if (max && strlen(r) > max) {
		size_t n = max;
		while (n > 0 && ((unsigned char)r[n] & 0xC0) == 0x80)
			n--;
		r[n] = '\0';
	}
	return r;
}

/* UTF-8 text that libxml2 can read in place (see parse_int.h). */
static int plain_utf8(const char *s, size_t len)
{
	int plain = len >= 4 && len <= 0x7fffffff && pm_text_valid_utf8(s, len);

	for (size_t i = 0; i < 4 && plain; i++)
		plain = s[i] > 0 && (unsigned char)s[i] < 0x80;
	return plain;
}

htmlDocPtr pm_html_read(const char *s, size_t len, const char *url, int options)
{
	if (plain_utf8(s, len))
		return htmlReadMemory(s, (int)len, url, NULL, options | HTML_PARSE_IGNORE_ENC);
	if (len > (size_t)0x7fffffff)
		len = 0x7fffffff;
	return htmlReadMemory(s, (int)len, url, "UTF-8", options);
}

void pm_html_reuse_release(struct pm_html_reuse *h)
{
	if (!h)
		return;
	htmlFreeParserCtxt(h->plain);
	h->plain = NULL;
}

/* pm_html_read of plain UTF-8 through a kept context, reset instead of
 * built and freed per fragment (a seventh of a short fragment's
 * instructions). Not htmlCtxtReadMemory: on a context of its own, libxml2
 * 2.9 leaves the charset unset and reads the bytes as Latin-1, where
 * htmlReadMemory's context says UTF-8; so this is htmlDoRead's reuse path
 * with that one field as htmlReadMemory has it. Text that is not plain
 * goes to pm_html_read. */
static htmlDocPtr html_read_reusing(struct pm_html_reuse *h, const char *s, size_t len,
				    int options)
{
	xmlParserInputBufferPtr buf;
	xmlParserInputPtr in;
	htmlDocPtr doc;

	if (!plain_utf8(s, len))
		return pm_html_read(s, len, NULL, options);
	if (!h->plain && !(h->plain = htmlNewParserCtxt()))
		return pm_html_read(s, len, NULL, options);
	htmlCtxtReset(h->plain);
	buf = xmlParserInputBufferCreateMem(s, (int)len, XML_CHAR_ENCODING_NONE);
	if (!buf)
		return pm_html_read(s, len, NULL, options);
	/* all of the fragment is in the buffer: without the read callback,
	 * libxml2 does not call it for more on each step of the last 250
	 * bytes (read_utf8 in feed.c says more; so does the size limit) */
	if (len < XML_MAX_LOOKUP_LIMIT)
		buf->readcallback = NULL;
	in = xmlNewIOInputStream(h->plain, buf, XML_CHAR_ENCODING_NONE);
	if (!in) {
		xmlFreeParserInputBuffer(buf);
		return pm_html_read(s, len, NULL, options);
	}
	inputPush(h->plain, in);
	htmlCtxtUseOptions(h->plain, options | HTML_PARSE_IGNORE_ENC);
	h->plain->html = 1;
	h->plain->charset = XML_CHAR_ENCODING_UTF8;
	htmlParseDocument(h->plain);
	doc = h->plain->myDoc;
	h->plain->myDoc = NULL;
	return doc;
}

char *pm_html_fragment_text_in(struct pm_html_reuse *h, const char *html, size_t len,
			       int paragraphs, size_t max, int repair)
{
	const int options = HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
			    HTML_PARSE_NOWARNING | HTML_PARSE_NOIMPLIED | HTML_PARSE_COMPACT;
	htmlDocPtr doc;
	struct pm_buf b;
	char *r;

	if (!html || !len)
		return NULL;
	if (len > (size_t)0x7fffffff)
		len = 0x7fffffff;
	doc = h ? html_read_reusing(h, html, len, options) : pm_html_read(html, len, NULL, options);
	if (!doc)
		return pm_clean_text_opt(html, len, paragraphs, max, repair);
	pm_buf_init(&b, max ? max * 2 : 0);
	walk(doc->children, &b, 0, 0, 0);
	xmlFreeDoc(doc);
	r = pm_clean_text_opt(b.data, b.len, paragraphs, max, repair);
	pm_buf_release(&b);
	return r;
}

char *pm_html_fragment_text(const char *html, size_t len, int paragraphs, size_t max)
{
	return pm_html_fragment_text_in(NULL, html, len, paragraphs, max, 0);
}

json_t *pm_json_text(const char *s)
{
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	return pm_text_valid_utf8(s, n) ? json_stringn_nocheck(s, n) : NULL;
}
