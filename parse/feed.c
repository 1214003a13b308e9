/* parse/feed: RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 through libxml2 in recover
 * mode, read into the feed JSON of DESIGN.md. Never loads a DTD, never
 * substitutes entities, never touches the network. */
#include "parse/parse_int.h"
#include "core/mem.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define MAX_ENTITY_NAME 32
#define MAX_DECLARED 64

enum ns { NS_CORE, NS_ATOM, NS_DC, NS_DCTERMS, NS_CONTENT, NS_RDF, NS_XHTML, NS_OTHER };

struct fctx {
	xmlDocPtr doc;
	const char *root_ns;  /* namespace of the root element, or NULL */
	int atom;             /* root is <feed>: its own-namespace elements are Atom */
	size_t max_text;
	size_t max_entries;
	int atom03;
	struct pm_html_reuse *html; /* for escaped markup in text fields */
	int repair;           /* UTF-8 document: undo double-encoded text */
};

/* ---- entity repair ---------------------------------------------------- */

struct declared {
	char names[MAX_DECLARED][MAX_ENTITY_NAME + 1];
	int n;
};

static void scan_declared(const char *s, size_t len, struct declared *d)
{
	const char *p = s, *end = s + len;

	while (p < end && d->n < MAX_DECLARED) {
		const char *e = pm_find(p, (size_t)(end - p), "<!ENTITY", 8);
		if (!e)
			break;
		e += 8;
		while (e < end && isspace((unsigned char)*e))
			e++;
		const char *q = e;
		while (q < end && !isspace((unsigned char)*q) && q - e < MAX_ENTITY_NAME)
			q++;
		if (q > e && *e != '%') {
			memcpy(d->names[d->n], e, (size_t)(q - e));
			d->names[d->n][q - e] = '\0';
			d->n++;
		}
		p = q;
	}
}

static int is_declared(const struct declared *d, const char *name)
{
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->names[i], name))
			return 1;
	return 0;
}

static int name_char(unsigned char c, int first)
{
	return isalpha(c) || c == '_' || c == ':' || c >= 0x80 ||
	       (!first && (isdigit(c) || c == '-' || c == '.'));
}

/* Copies s (len bytes; not NUL-terminated: it may be the fetched body) to out, turning HTML entity names
 * (undefined in XML) into character references and bare '&' into "&amp;",
 * outside comments, CDATA and the DOCTYPE. Returns how many were repaired;
 * with none, out is left empty and s is the document as it stands (no
 * copy of a clean feed). *external is set when the DOCTYPE names an
 * external DTD (which may define the names). */
static int repair_entities(const char *s, size_t len, struct pm_buf *out, int *external)
{
	struct declared decl = { .n = 0 };
	size_t i = 0, start = 0;
	const char *lt = NULL, *amp = NULL; /* the next '<' and '&' at or after i */
	int fixes = 0;

	*external = 0;
	while (i < len) {
		/* only '<' and '&' matter: jump to the next one, within len
		 * (the text has no terminator; NULs in it are plain bytes) */
		if (!lt || lt < s + i)
			lt = memchr(s + i, '<', len - i);
		if (!lt)
			lt = s + len;
		if (!amp || amp < s + i)
			amp = memchr(s + i, '&', len - i);
		if (!amp)
			amp = s + len;
		i = (size_t)((lt < amp ? lt : amp) - s);
		if (i >= len)
			break;
		char c = s[i];
		if (c == '<' && (i + 1 >= len || s[i + 1] != '!')) {
			i++;
			continue;
		}
		if (c == '<' && i + 4 <= len && !memcmp(s + i, "<!--", 4)) {
			const char *e = pm_find(s + i + 4, len - i - 4, "-->", 3);
			i = e ? (size_t)(e - s) + 3 : len;
			continue;
		}
		if (c == '<' && i + 9 <= len && !memcmp(s + i, "<![CDATA[", 9)) {
			const char *e = pm_find(s + i + 9, len - i - 9, "]]>", 3);
			i = e ? (size_t)(e - s) + 3 : len;
			continue;
		}
		if (c == '<' && i + 9 <= len && !strncasecmp(s + i, "<!DOCTYPE", 9)) {
			size_t j = i + 9;
			int depth = 0;
			while (j < len && (s[j] != '>' || depth > 0)) {
				if (s[j] == '[')
					depth++;
				else if (s[j] == ']' && depth > 0)
					depth--;
				j++;
			}
			const char *bracket = memchr(s + i, '[', j - i);
			size_t head = bracket ? (size_t)(bracket - (s + i)) : j - i;
			if (pm_find(s + i, head, "SYSTEM", 6) || pm_find(s + i, head, "PUBLIC", 6))
				*external = 1;
			scan_declared(s + i, j - i, &decl);
			i = j < len ? j + 1 : len;
			continue;
		}
		if (c != '&') {
			i++;
			continue;
		}
		/* character reference: keep, but XML wants a lower-case x */
		if (i + 1 < len && s[i + 1] == '#') {
			size_t j = i + 2;
			int hex = j < len && (s[j] == 'x' || s[j] == 'X');
			if (hex)
				j++;
			size_t d0 = j;
			while (j < len && (hex ? isxdigit((unsigned char)s[j]) : isdigit((unsigned char)s[j])) &&
			       j - d0 < 8)
				j++;
			if (j > d0 && j < len && s[j] == ';') {
				if (hex && s[i + 2] == 'X') {
					pm_buf_add(out, s + start, i + 2 - start);
					pm_buf_addc(out, 'x');
					start = i + 3;
					fixes++;
				}
				i = j + 1;
				continue;
			}
			pm_buf_add(out, s + start, i - start);
			pm_buf_adds(out, "&amp;");
			start = ++i;
			fixes++;
			continue;
		}
		size_t j = i + 1;
		char name[MAX_ENTITY_NAME + 1];
		while (j < len && j - i - 1 < MAX_ENTITY_NAME && name_char((unsigned char)s[j], j == i + 1))
			j++;
		if (j > i + 1 && j < len && s[j] == ';') {
			memcpy(name, s + i + 1, j - i - 1);
			name[j - i - 1] = '\0';
			if (!strcmp(name, "amp") || !strcmp(name, "lt") || !strcmp(name, "gt") ||
			    !strcmp(name, "quot") || !strcmp(name, "apos") || is_declared(&decl, name)) {
				i = j + 1;
				continue;
			}
			const htmlEntityDesc *ent = htmlEntityLookup((const xmlChar *)name);
			pm_buf_add(out, s + start, i - start);
			if (ent) {
				pm_buf_addf(out, "&#%u;", ent->value);
				start = i = j + 1;
			} else {
				pm_buf_adds(out, "&amp;");
				start = ++i;
			}
			fixes++;
			continue;
		}
		pm_buf_add(out, s + start, i - start);
		pm_buf_adds(out, "&amp;");
		start = ++i;
		fixes++;
	}
	if (fixes)
		pm_buf_add(out, s + start, len - start);
	return fixes;
}

/* ---- tree helpers ----------------------------------------------------- */

static enum ns raw_ns(const xmlNode *n)
{
	const char *u;

	if (!n->ns || !n->ns->href)
		return NS_CORE;
	u = (const char *)n->ns->href;
	if (!strcmp(u, "http://www.w3.org/2005/Atom") || !strcmp(u, "http://purl.org/atom/ns#"))
		return NS_ATOM;
	if (!strcmp(u, "http://purl.org/dc/elements/1.1/") || !strcmp(u, "http://purl.org/dc/elements/1.0/"))
		return NS_DC;
	if (!strcmp(u, "http://purl.org/dc/terms/"))
		return NS_DCTERMS;
	if (!strcmp(u, "http://purl.org/rss/1.0/modules/content/"))
		return NS_CONTENT;
	if (!strcmp(u, "http://www.w3.org/1999/02/22-rdf-syntax-ns#"))
		return NS_RDF;
	if (!strcmp(u, "http://www.w3.org/1999/xhtml"))
		return NS_XHTML;
	if (!strcmp(u, "http://purl.org/rss/1.0/") || !strcmp(u, "http://my.netscape.com/rdf/simple/0.9/") ||
	    !strncmp(u, "http://backend.userland.com/rss", 31) ||
	    !strncmp(u, "http://blogs.law.harvard.edu/tech/rss", 37))
		return NS_CORE;
	return NS_OTHER;
}

static const char *attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (!strcasecmp((const char *)a->name, name) && a->children && a->children->content)
			return (const char *)a->children->content;
	return NULL;
}

static int has_elements(const xmlNode *n)
{
	for (const xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			return 1;
	return 0;
}

/* A <feed> in an unknown or no namespace is still read as Atom, and an RSS
 * root's own namespace is RSS, whatever URI it was given. */
static enum ns ctx_ns(const struct fctx *c, const xmlNode *n)
{
	enum ns ns = raw_ns(n);
	const char *u = n->ns && n->ns->href ? (const char *)n->ns->href : NULL;

	if (ns == NS_OTHER || ns == NS_CORE) {
		int same = (!u && !c->root_ns) || (u && c->root_ns && !strcmp(u, c->root_ns));
		if (same)
			return c->atom ? NS_ATOM : NS_CORE;
	}
	return ns;
}

/* The final form of a text field (pm_clean_text_opt). */
static char *clean(const struct fctx *c, const char *s, size_t len, int paragraphs)
{
	return pm_clean_text_opt(s, len, paragraphs, c->max_text, c->repair);
}

/* Text of the direct text children only (a category may hold an <image>). */
static char *direct_text(const struct fctx *c, const xmlNode *n)
{
	struct pm_buf b;
	char *r;

	pm_buf_init(&b, c->max_text * 2);
	for (const xmlNode *k = n->children; k; k = k->next)
		if (k->type != XML_ELEMENT_NODE)
			pm_node_text(k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE ||
				     k->type == XML_ENTITY_REF_NODE ? k : NULL, &b);
	r = clean(c, b.data, b.len, 0);
	pm_buf_release(&b);
	return r;
}

/* What pm_node_text collects from n's children into a buffer capped at
 * cap (b, initialised here; the caller releases it), without the copy when
 * n holds a single text node, as nearly every feed element does: *s then
 * points into the tree. A text longer than the cap is left out, as the
 * buffer would leave it. */
static void children_text(const xmlNode *n, size_t cap, struct pm_buf *b, const char **s,
			  size_t *len)
{
	const xmlNode *k = n->children;

	pm_buf_init(b, cap);
	if (k && !k->next && (k->type == XML_TEXT_NODE || k->type == XML_CDATA_SECTION_NODE)) {
		size_t l = k->content ? strlen((const char *)k->content) : 0;
		int fits = !cap || l <= cap;
		*s = fits && l ? (const char *)k->content : "";
		*len = fits ? l : 0;
		return;
	}
	pm_node_text(k, b);
	*s = b->data ? b->data : "";
	*len = b->len;
}

/* Plain text: no markup interpretation. */
static char *plain_text(const struct fctx *c, const xmlNode *n)
{
	struct pm_buf b;
	const char *s;
	size_t len;
	char *r;

	children_text(n, c->max_text * 2, &b, &s, &len);
	r = clean(c, s, len, 0);
	pm_buf_release(&b);
	return r;
}

static int b64val(int ch)
{
	if (ch >= 'A' && ch <= 'Z') return ch - 'A';
	if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9') return ch - '0' + 52;
	if (ch == '+' || ch == '-') return 62;
	if (ch == '/' || ch == '_') return 63;
	return -1;
}

/* Base64 of Atom 0.3 mode="base64"; libxml2 only encodes, so decoded here. */
static void b64_decode(const char *s, size_t len, struct pm_buf *out)
{
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < len; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			pm_buf_addc(out, (char)((acc >> bits) & 0xFF));
		}
	}
}

/* Text of a construct that may carry markup: Atom type text/html/xhtml
 * (or a MIME type), Atom 0.3 mode escaped/base64/xml, RSS escaped HTML. */
static char *rich_text(const struct fctx *c, const xmlNode *n, int paragraphs)
{
	const char *type = attr(n, "type"), *mode = attr(n, "mode"), *s;
	struct pm_buf b;
	size_t len;
	char *r;
	int html = 1;

	if (type && (!strcasecmp(type, "text") || !strcasecmp(type, "text/plain")))
		html = 0;
	if (ctx_ns(c, n) == NS_ATOM && !type && !mode)
		html = 0; /* Atom's default is text */
	children_text(n, c->max_text * 4, &b, &s, &len);
	/* Atom 1.0: a MIME type neither textual nor XML means base64 */
	if (!mode && type && strchr(type, '/') && strncasecmp(type, "text/", 5) &&
	    !strcasestr(type, "xml") && ctx_ns(c, n) == NS_ATOM && !c->atom03)
		mode = "base64";
	if (mode && !strcasecmp(mode, "base64")) {
		struct pm_buf d;
		pm_buf_init(&d, c->max_text * 4);
		b64_decode(s, len, &d);
		pm_buf_release(&b);
		b = d;
		s = b.data ? b.data : "";
		len = b.len;
		if (!type || strcasecmp(type, "text/plain"))
			html = 1;
	}
	if (has_elements(n) && !(mode && !strcasecmp(mode, "base64"))) {
		r = clean(c, s, len, paragraphs);
	} else if (html && len && (memchr(s, '<', len) || memchr(s, '&', len))) {
		r = pm_html_fragment_text_in(c->html, s, len, paragraphs, c->max_text, c->repair);
	} else {
		r = clean(c, s, len, paragraphs);
	}
	pm_buf_release(&b);
	return r;
}

static char *resolve_at(const struct fctx *c, const xmlNode *n, const char *ref)
{
	xmlChar *base;
	char *r;

	if (!ref)
		return NULL;
	base = xmlNodeGetBase(c->doc, n);
	r = pm_url_resolve((const char *)base, ref);
	xmlFree(base);
	if (r && !*r) {
		free(r);
		return NULL;
	}
	return r;
}

/* Sets key to a new string (taking s) unless already set: first one wins.
 * clean: s came from pm_clean_text (or joins its results), which always
 * writes valid UTF-8: no check needed. */
static void put_first_as(json_t *o, const char *key, char *s, int clean)
{
	json_t *v = json_object_get(o, key);

	if (s && (!v || json_is_null(v)))
		json_object_set_new_nocheck(o, key, clean ? json_stringn_nocheck(s, strlen(s)) : pm_json_text(s));
	free(s);
}

static void put_first(json_t *o, const char *key, char *s)
{
	put_first_as(o, key, s, 0);
}

static void put_text_first(json_t *o, const char *key, char *s)
{
	put_first_as(o, key, s, 1);
}

static void put_date_first(json_t *o, const char *key, const char *s)
{
	json_t *v = json_object_get(o, key), *d;

	if (v && !json_is_null(v))
		return;
	d = pm_date_json(s);
	if (json_is_null(d) && v) {
		json_decref(d);
		return;
	}
	json_object_set_new_nocheck(o, key, d);
}

static int rel_is(const xmlNode *n, const char *want)
{
	const char *rel = attr(n, "rel");
	if (!rel || !*rel)
		rel = "alternate";
	return !strcasecmp(rel, want) ||
	       (!strcmp(want, "alternate") && !strcasecmp(rel, "http://www.iana.org/assignments/relation/alternate"));
}

/* Atom author: "Name (email)" as feed readers show it. */
static char *atom_person(const struct fctx *c, const xmlNode *n)
{
	char *name = NULL, *email = NULL, *r;

	for (const xmlNode *k = n->children; k; k = k->next) {
		if (k->type != XML_ELEMENT_NODE)
			continue;
		if (!strcmp((const char *)k->name, "name") && !name)
			name = plain_text(c, k);
		else if (!strcmp((const char *)k->name, "email") && !email)
			email = plain_text(c, k);
	}
	if (name && email)
		r = xasprintf("%s (%s)", name, email);
	else if (name || email)
		r = xstrdup(name ? name : email);
	else
		r = plain_text(c, n);
	free(name);
	free(email);
	return r;
}

static void add_category(json_t *cats, const char *term, const char *scheme, const char *label)
{
	json_t *o;

	if (!term || !*term)
		return;
	o = json_object();
	json_object_set_new_nocheck(o, "term", json_string(term));
	json_object_set_new_nocheck(o, "scheme", scheme && *scheme ? json_string(scheme) : json_null());
	json_object_set_new_nocheck(o, "label", label && *label ? json_string(label) : json_null());
	json_array_append_new(cats, o);
}

static void add_enclosure(json_t *encs, char *url, const char *type, const char *length)
{
	json_t *o;
	char *end;
	long long n;

	if (!url)
		return;
	o = json_object();
	json_object_set_new_nocheck(o, "url", json_string(url));
	json_object_set_new_nocheck(o, "type", type && *type ? json_string(type) : json_null());
	n = length ? strtoll(length, &end, 10) : -1;
	json_object_set_new_nocheck(o, "length", length && end != length && n >= 0 ? json_integer(n) : json_null());
	json_array_append_new(encs, o);
	free(url);
}

static char *norm_lang(const char *s)
{
	char *r;

	if (!s)
		return NULL;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return NULL;
	r = xstrndup(s, strcspn(s, " \t\r\n"));
	for (char *p = r; *p; p++)
		if (*p == '_')
			*p = '-';
	return r;
}

/* ---- entries ---------------------------------------------------------- */

static json_t *new_entry(void)
{
	json_t *e = json_object();
	static const char *const keys[] = { "id", "title", "link", "author", "published",
					    "updated", "summary", "content", NULL };
	for (int i = 0; keys[i]; i++)
		json_object_set_new_nocheck(e, keys[i], json_null());
	json_object_set_new_nocheck(e, "categories", json_array());
	json_object_set_new_nocheck(e, "enclosures", json_array());
	return e;
}

static json_t *parse_entry(const struct fctx *c, const xmlNode *item)
{
	json_t *e = new_entry();
	json_t *cats = json_object_get(e, "categories"), *encs = json_object_get(e, "enclosures");
	char *guid = NULL, *link = NULL, *alt_link = NULL;
	int guid_permalink = 0;

	for (const xmlNode *n = item->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		enum ns ns = ctx_ns(c, n);
		const char *nm = (const char *)n->name;
		if ((ns == NS_CORE || ns == NS_ATOM || ns == NS_DC) && !strcmp(nm, "title")) {
			put_text_first(e, "title", rich_text(c, n, 0));
		} else if (ns == NS_CORE && !strcmp(nm, "link")) {
			if (!link) {
				char *t = plain_text(c, n);
				link = t ? resolve_at(c, n, t) : NULL;
				free(t);
			}
		} else if (ns == NS_ATOM && !strcmp(nm, "link")) {
			const char *href = attr(n, "href");
			char *body = NULL;
			if (!href && (body = plain_text(c, n)))
				href = body;
			if (rel_is(n, "enclosure")) {
				add_enclosure(encs, resolve_at(c, n, href), attr(n, "type"), attr(n, "length"));
			} else if (rel_is(n, "alternate") && href) {
				const char *type = attr(n, "type");
				if (!alt_link || (type && strstr(type, "html") && !link)) {
					char *r = resolve_at(c, n, href);
					if (!alt_link)
						alt_link = r;
					else if (!link)
						link = r;
					else
						free(r);
				}
			}
			free(body);
		} else if (ns == NS_CORE && !strcmp(nm, "guid")) {
			if (!guid) {
				const char *pl = attr(n, "isPermaLink");
				guid = plain_text(c, n);
				guid_permalink = !pl || !strcasecmp(pl, "true");
			}
		} else if (ns == NS_ATOM && !strcmp(nm, "id")) {
			if (!guid) {
				char *t = plain_text(c, n);
				guid = t && c->doc->URL ? resolve_at(c, n, t) : (t ? xstrdup(t) : NULL);
				free(t);
			}
		} else if ((ns == NS_CORE || ns == NS_DC) && (!strcmp(nm, "author") || !strcmp(nm, "creator"))) {
			put_text_first(e, "author", plain_text(c, n));
		} else if (ns == NS_ATOM && (!strcmp(nm, "author") || !strcmp(nm, "contributor"))) {
			if (!strcmp(nm, "author"))
				put_text_first(e, "author", atom_person(c, n));
		} else if (ns == NS_ATOM && !strcmp(nm, "published")) {
			/* Atom 1.0's element beats Atom 0.3's <issued> wherever it stands */
			char *t = plain_text(c, n);
			json_t *d = pm_date_json(t);
			if (!json_is_null(d))
				json_object_set(e, "published", d);
			json_decref(d);
			free(t);
		} else if ((ns == NS_CORE && !strcmp(nm, "pubDate")) ||
			   (ns == NS_ATOM && (!strcmp(nm, "published") || !strcmp(nm, "issued"))) ||
			   (ns == NS_DCTERMS && (!strcmp(nm, "issued") || !strcmp(nm, "created")))) {
			char *t = plain_text(c, n);
			put_date_first(e, "published", t);
			free(t);
		} else if ((ns == NS_ATOM && (!strcmp(nm, "updated") || !strcmp(nm, "modified"))) ||
			   (ns == NS_DC && !strcmp(nm, "date")) ||
			   (ns == NS_DCTERMS && !strcmp(nm, "modified"))) {
			char *t = plain_text(c, n);
			put_date_first(e, "updated", t);
			free(t);
		} else if ((ns == NS_CORE && !strcmp(nm, "description")) ||
			   (ns == NS_ATOM && !strcmp(nm, "summary")) ||
			   (ns == NS_DC && !strcmp(nm, "description"))) {
			put_text_first(e, "summary", rich_text(c, n, 1));
		} else if (ns == NS_CORE && !strcmp(nm, "summary")) {
			/* RSS with both <description> and a made-up <summary>: the
			 * longer form is the content */
			put_text_first(e, json_is_null(json_object_get(e, "summary")) ? "summary" : "content",
				       rich_text(c, n, 1));
		} else if ((ns == NS_CORE && !strcmp(nm, "body")) && has_elements(n)) {
			struct pm_buf b;
			pm_buf_init(&b, c->max_text * 2);
			pm_node_text(n->children, &b);
			put_text_first(e, "content", clean(c, b.data, b.len, 1));
			pm_buf_release(&b);
		} else if ((ns == NS_CONTENT && !strcmp(nm, "encoded")) ||
			   (ns == NS_ATOM && !strcmp(nm, "content")) ||
			   (ns == NS_XHTML && !strcmp(nm, "body")) ||
			   (ns == NS_CORE && !strcmp(nm, "fullitem"))) {
			if (ns == NS_XHTML) {
				struct pm_buf b;
				pm_buf_init(&b, c->max_text * 2);
				pm_node_text(n->children, &b);
				put_text_first(e, "content", clean(c, b.data, b.len, 1));
				pm_buf_release(&b);
			} else {
				put_text_first(e, "content", rich_text(c, n, 1));
			}
		} else if (ns == NS_CORE && !strcmp(nm, "category")) {
			char *t = direct_text(c, n);
			add_category(cats, t, attr(n, "domain"), NULL);
			free(t);
		} else if (ns == NS_ATOM && !strcmp(nm, "category")) {
			add_category(cats, attr(n, "term"), attr(n, "scheme"), attr(n, "label"));
		} else if ((ns == NS_DC && !strcmp(nm, "subject")) || (ns == NS_CORE && !strcmp(nm, "tags"))) {
			char *t = plain_text(c, n);
			if (t && ns == NS_CORE) { /* a made-up comma list */
				char *save = NULL;
				for (char *p = strtok_r(t, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
					while (*p == ' ')
						p++;
					size_t l = strlen(p);
					while (l && p[l - 1] == ' ')
						p[--l] = '\0';
					add_category(cats, p, NULL, NULL);
				}
			} else {
				add_category(cats, t, NULL, NULL);
			}
			free(t);
		} else if (ns == NS_CORE && !strcmp(nm, "enclosure")) {
			add_enclosure(encs, resolve_at(c, n, attr(n, "url")), attr(n, "type"), attr(n, "length"));
		}
	}
	if (!link && alt_link) {
		link = alt_link;
		alt_link = NULL;
	}
	/* a permalink GUID stands for the missing link */
	if (!link && guid && guid_permalink &&
	    (!strncasecmp(guid, "http://", 7) || !strncasecmp(guid, "https://", 8)))
		link = xstrdup(guid);
	put_first(e, "link", link);
	put_first(e, "id", guid);
	free(alt_link);
	/* feed readers show the content where there is no summary */
	if (json_is_null(json_object_get(e, "summary")) && json_is_string(json_object_get(e, "content")))
		json_object_set(e, "summary", json_object_get(e, "content"));
	return e;
}

/* ---- feed level ------------------------------------------------------- */

static void parse_feed_meta(const struct fctx *c, const xmlNode *parent, json_t *f)
{
	char *alt = NULL;

	for (const xmlNode *n = parent->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		enum ns ns = ctx_ns(c, n);
		const char *nm = (const char *)n->name;
		if ((ns == NS_CORE || ns == NS_ATOM || ns == NS_DC) && !strcmp(nm, "title")) {
			put_text_first(f, "title", rich_text(c, n, 0));
		} else if (ns == NS_CORE && !strcmp(nm, "link")) {
			char *t = plain_text(c, n);
			put_first(f, "link", t ? resolve_at(c, n, t) : NULL);
			free(t);
		} else if (ns == NS_ATOM && !strcmp(nm, "link") && rel_is(n, "alternate")) {
			const char *type = attr(n, "type");
			char *r = resolve_at(c, n, attr(n, "href"));
			if (!type || strstr(type, "html"))
				put_first(f, "link", r);
			else if (!alt)
				alt = r;
			else
				free(r);
		} else if ((ns == NS_CORE && !strcmp(nm, "description")) ||
			   (ns == NS_ATOM && (!strcmp(nm, "subtitle") || !strcmp(nm, "tagline"))) ||
			   (ns == NS_DC && !strcmp(nm, "description"))) {
			put_text_first(f, "subtitle", rich_text(c, n, 0));
		} else if ((ns == NS_CORE || ns == NS_DC) && !strcmp(nm, "language")) {
			char *t = plain_text(c, n);
			put_first(f, "language", norm_lang(t));
			free(t);
		} else if ((ns == NS_CORE && (!strcmp(nm, "lastBuildDate") || !strcmp(nm, "pubDate"))) ||
			   (ns == NS_ATOM && (!strcmp(nm, "updated") || !strcmp(nm, "modified"))) ||
			   (ns == NS_DC && !strcmp(nm, "date"))) {
			char *t = plain_text(c, n);
			put_date_first(f, "updated", t);
			free(t);
		}
	}
	put_first(f, "link", alt);
}

static const char *rss_version(const xmlDoc *doc, const xmlNode *root)
{
	const char *v = attr(root, "version");
	const xmlDtd *dtd = xmlGetIntSubset((xmlDoc *)doc);

	if (!v)
		return "rss20"; /* no version: read as the RSS that is everywhere */
	while (isspace((unsigned char)*v))
		v++;
	if (!strcmp(v, "0.91")) {
		if (dtd && dtd->ExternalID && strcasestr((const char *)dtd->ExternalID, "netscape"))
			return "rss091n";
		if (dtd && dtd->SystemID && strcasestr((const char *)dtd->SystemID, "netscape"))
			return "rss091n";
		return "rss091u";
	}
	if (!strcmp(v, "0.92"))
		return "rss092";
	if (!strcmp(v, "0.93"))
		return "rss093";
	if (!strcmp(v, "0.94"))
		return "rss094";
	return "rss20";
}

static const char *detect_format(const xmlDoc *doc, const xmlNode *root, int *atom03)
{
	const char *nm = (const char *)root->name;

	*atom03 = 0;
	if (!strcmp(nm, "rss"))
		return rss_version(doc, root);
	if (!strcmp(nm, "RDF") || !strcmp(nm, "rdf")) {
		for (const xmlNs *d = root->nsDef; d; d = d->next) {
			if (d->href && !strcmp((const char *)d->href, "http://my.netscape.com/rdf/simple/0.9/"))
				return "rss090";
		}
		for (const xmlNode *n = root->children; n; n = n->next) {
			if (n->type == XML_ELEMENT_NODE && n->ns && n->ns->href) {
				const char *u = (const char *)n->ns->href;
				if (!strcmp(u, "http://my.netscape.com/rdf/simple/0.9/"))
					return "rss090";
				if (!strcmp(u, "http://purl.org/rss/1.0/"))
					return "rss10";
			}
		}
		return "rss10";
	}
	if (!strcmp(nm, "feed")) {
		const char *u = root->ns && root->ns->href ? (const char *)root->ns->href : "";
		const char *v = attr(root, "version");
		if (!strcmp(u, "http://www.w3.org/2005/Atom"))
			return "atom10";
		if (!strcmp(u, "http://purl.org/atom/ns#") || (v && !strcmp(v, "0.3"))) {
			*atom03 = 1;
			return "atom03";
		}
		return "atom10";
	}
	if (!strcmp(nm, "channel"))
		return "rss20";
	return NULL;
}

static void set_bozo(json_t *o, const char *reason)
{
	if (json_is_true(json_object_get(o, "bozo")))
		return;
	json_object_set_new_nocheck(o, "bozo", json_true());
	json_object_set_new_nocheck(o, "bozo_reason", json_string(reason));
}

/* In a broken document recover mode may nest later items inside an
 * unclosed element of an earlier one: look for them at any depth. */
static void collect_nested(const struct fctx *c, const xmlNode *parent, json_t *entries, int depth)
{
	for (const xmlNode *n = parent->children; n && depth < 64; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		enum ns ns = ctx_ns(c, n);
		const char *nm = (const char *)n->name;
		if (((ns == NS_CORE && !strcmp(nm, "item")) || (ns == NS_ATOM && !strcmp(nm, "entry"))) &&
		    json_array_size(entries) < c->max_entries)
			json_array_append_new(entries, parse_entry(c, n));
		collect_nested(c, n, entries, depth + 1);
	}
}

static void collect_entries(const struct fctx *c, const xmlNode *parent, json_t *entries, json_t *f,
			    int depth)
{
	for (const xmlNode *n = parent->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		enum ns ns = ctx_ns(c, n);
		const char *nm = (const char *)n->name;
		if (((ns == NS_CORE && !strcmp(nm, "item")) || (ns == NS_ATOM && !strcmp(nm, "entry")))) {
			if (json_array_size(entries) < c->max_entries)
				json_array_append_new(entries, parse_entry(c, n));
		} else if (ns == NS_CORE && !strcmp(nm, "channel") && depth == 0) {
			parse_feed_meta(c, n, f);
			collect_entries(c, n, entries, f, depth + 1);
		}
	}
}

/* A worker's context is dropped and made anew once its dictionary (every
 * element and attribute name it has seen, in every document) holds this
 * many bytes, so that a stream of documents with made-up names cannot
 * grow it without end. */
#define CTXT_MAX_DICT ((size_t)1 << 20)

static xmlParserCtxtPtr feed_ctxt(struct pm_parser *p)
{
	if (p->xml && xmlDictGetUsage(p->xml->dict) > CTXT_MAX_DICT) {
		xmlFreeParserCtxt(p->xml);
		p->xml = NULL;
	}
	if (!p->xml)
		p->xml = xmlNewParserCtxt();
	if (p->xml)
		/* libxml2 caps a dictionary at XML_MAX_DICTIONARY_LIMIT bytes; a
		 * fresh context gives that to each document, and so does this
		 * one over what earlier documents left in it */
		xmlDictSetLimit(p->xml->dict, XML_MAX_DICTIONARY_LIMIT + xmlDictGetUsage(p->xml->dict));
	return p->xml;
}

/* The document is UTF-8 already. Told so by name, libxml2 runs the whole
 * buffer through its UTF-8 to UTF-8 converter (a copy, a sixth of its
 * time on a news feed); left to its own look at the first four bytes it
 * reads UTF-8 in place. That look can only say UTF-8 (or nothing) when
 * they are ASCII without NUL (not UTF-16/32, not EBCDIC): otherwise the
 * encoding is named as before.
 * In the plain case the context is reset and fed by hand, which is
 * xmlCtxtReadMemory but for one field: its input (a copy of the document
 * in a growable buffer) is read by a callback that has nothing more to
 * give, and libxml2 still calls it, through three layers, each time fewer
 * than 250 bytes are left ahead: all the time in a feed of 500 bytes, a
 * fifth of its instructions. Without the callback, libxml2 takes the
 * buffer as all there is (xmlParserInputGrow returns at once). A static
 * input (xmlParserInputBufferCreateStatic) would avoid the copy too, but
 * libxml2 2.9 shrinks such a buffer wrongly and reads text twice in
 * documents over 500 bytes. */
static xmlDocPtr read_utf8(xmlParserCtxtPtr ctxt, const char *data,
			   size_t len, const char *url)
{
	const int options = XML_PARSE_RECOVER | XML_PARSE_NONET | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING | XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT;
	xmlParserInputBufferPtr buf;
	xmlParserInputPtr in;
	xmlDocPtr doc;
	int ascii = len >= 4;

	for (size_t i = 0; i < 4 && ascii; i++)
		ascii = data[i] > 0 && (unsigned char)data[i] < 0x80;
	if (!ascii)
		return xmlCtxtReadMemory(ctxt, data, (int)len, url, "UTF-8", options);
	xmlInitParser();
	xmlCtxtReset(ctxt);
	buf = xmlParserInputBufferCreateMem(data, (int)len, XML_CHAR_ENCODING_NONE);
	if (!buf)
		return NULL;
	/* libxml2 stops an input without its no-op callback once it looks
	 * XML_MAX_LOOKUP_LIMIT bytes ahead or back: a bigger document keeps it */
	if (len < XML_MAX_LOOKUP_LIMIT)
		buf->readcallback = NULL;
	in = xmlNewIOInputStream(ctxt, buf, XML_CHAR_ENCODING_NONE);
	if (!in) {
		xmlFreeParserInputBuffer(buf);
		return NULL;
	}
	inputPush(ctxt, in);
	xmlCtxtUseOptions(ctxt, options);
	if (url && ctxt->input && !ctxt->input->filename)
		ctxt->input->filename = (char *)xmlStrdup((const xmlChar *)url);
	xmlParseDocument(ctxt);
	/* recover mode: the tree is kept even when not well-formed */
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	return doc;
}

/* After a document: what the context still holds of it (its input, its
 * last error) goes now rather than at the next reset. */
static void feed_ctxt_done(struct pm_parser *p)
{
	if (p->xml)
		xmlCtxtReset(p->xml);
	p->docs++;
}

json_t *pm_parse_feed_xml(struct pm_parser *p, const struct pm_decoded *dec, const char *url,
			  const struct pm_parse_opts *opts, struct pm_err *err)
{
	struct pm_buf fixed;
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	json_t *out, *f;
	int external = 0, fixes;
	const char *xml;
	size_t xml_len;
	struct fctx c;
	const char *format = NULL;
	char reason[300];

	(void)err;
	pm_buf_init(&fixed, 0);
	pm_buf_add(&fixed, "", 0);
	fixes = repair_entities(dec->text, dec->len, &fixed, &external);
	out = json_object();
	json_object_set_new_nocheck(out, "kind", json_string("feed"));
	json_object_set_new_nocheck(out, "format", json_null());
	json_object_set_new_nocheck(out, "bozo", json_false());
	json_object_set_new_nocheck(out, "bozo_reason", json_null());
	json_object_set_new_nocheck(out, "encoding", json_string(dec->encoding));
	f = json_object();
	json_object_set_new_nocheck(f, "title", json_null());
	json_object_set_new_nocheck(f, "link", json_null());
	json_object_set_new_nocheck(f, "subtitle", json_null());
	json_object_set_new_nocheck(f, "language", json_null());
	json_object_set_new_nocheck(f, "updated", json_null());
	json_object_set_new_nocheck(out, "feed", f);
	json_object_set_new_nocheck(out, "entries", json_array());
	if (dec->bozo)
		set_bozo(out, dec->reason);

	ctxt = feed_ctxt(p);
	xml = fixes ? fixed.data : dec->text;
	xml_len = fixes ? fixed.len : dec->len;
	doc = ctxt && xml_len < 0x7fffffff ? read_utf8(ctxt, xml, xml_len, url) : NULL;
	if (ctxt && !ctxt->wellFormed) {
		const xmlError *e = &ctxt->lastError;
		char msg[200];
		snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "not well-formed");
		msg[strcspn(msg, "\n")] = '\0';
		snprintf(reason, sizeof(reason), "line %d: %s", e->line, msg);
		set_bozo(out, reason);
	}
	if (fixes && !external)
		set_bozo(out, "undefined entity or bare '&' (read as HTML)");
	pm_buf_release(&fixed);
	xmlNodePtr root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (root)
		format = detect_format(doc, root, &c.atom03);
	if (!format) {
		set_bozo(out, root ? "document is not a feed" : "no root element");
	} else {
		json_object_set_new_nocheck(out, "format", json_string(format));
		c.doc = doc;
		c.html = &p->html;
		/* as feedparser: only text read as UTF-8 can be UTF-8 twice */
		c.repair = !strcmp(dec->encoding, "utf-8");
		c.root_ns = root->ns && root->ns->href ? (const char *)root->ns->href : NULL;
		c.atom = !strcmp((const char *)root->name, "feed");
		c.max_text = opts && opts->max_text ? opts->max_text : PM_MAX_TEXT_DEFAULT;
		c.max_entries = opts && opts->max_entries ? opts->max_entries : PM_MAX_ENTRIES_DEFAULT;
		if (!strcmp((const char *)root->name, "channel"))
			parse_feed_meta(&c, root, f);
		if (!strcmp((const char *)root->name, "feed")) {
			parse_feed_meta(&c, root, f);
			xmlChar *raw = xmlGetNsProp(root, (const xmlChar *)"lang", XML_XML_NAMESPACE);
			put_first(f, "language", norm_lang((const char *)raw));
			xmlFree(raw);
		}
		if (ctxt && !ctxt->wellFormed)
			collect_nested(&c, root, json_object_get(out, "entries"), 0);
		else
			collect_entries(&c, root, json_object_get(out, "entries"), f, 0);
		if (ctxt && !ctxt->wellFormed) {
			/* the channel's own fields still come from the channel */
			for (xmlNode *n = root->children; n; n = n->next)
				if (n->type == XML_ELEMENT_NODE && !strcmp((const char *)n->name, "channel"))
					parse_feed_meta(&c, n, f);
		}
	}
	if (doc)
		xmlFreeDoc(doc);
	feed_ctxt_done(p);
	return out;
}
