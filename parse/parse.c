/* parse/parse: pm_parse_document, which tells feeds (XML or JSON) from
 * HTML pages by their content and hands each to its reader. */
#include "parse/parse_int.h"
#include "core/mem.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

enum kind { K_FEED, K_PAGE, K_JSON };

static int prefix_ci(const char *s, const char *end, const char *lit)
{
	size_t n = strlen(lit);
	return (size_t)(end - s) >= n && !strncasecmp(s, lit, n);
}

/* Looks at the first element of the decoded text. */
static enum kind sniff_kind(const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	int guard = 0;

	while (p < end && guard++ < 1000) {
		while (p < end && (isspace((unsigned char)*p)))
			p++;
		if (p >= end)
			break;
		if (*p == '{' || *p == '[')
			return K_JSON;
		if (*p != '<')
			break;
		if (prefix_ci(p, end, "<!--")) {
			const char *e = pm_find(p, (size_t)(end - p), "-->", 3);
			if (!e)
				break;
			p = e + 3;
			continue;
		}
		if (prefix_ci(p, end, "<?")) {
			const char *e = pm_find(p, (size_t)(end - p), "?>", 2);
			if (!e)
				break;
			p = e + 2;
			continue;
		}
		if (prefix_ci(p, end, "<!doctype")) {
			const char *q = p + 9;
			while (q < end && isspace((unsigned char)*q))
				q++;
			if (prefix_ci(q, end, "html"))
				return K_PAGE;
			const char *e = memchr(p, '>', (size_t)(end - p));
			const char *b = memchr(p, '[', (size_t)(end - p));
			if (b && e && b < e) {
				e = pm_find(b, (size_t)(end - b), "]>", 2);
				if (e)
					e++;
			}
			if (!e)
				break;
			p = e + 1;
			continue;
		}
		/* the root element's local name */
		const char *n = p + 1, *q = n;
		while (q < end && (isalnum((unsigned char)*q) || *q == ':' || *q == '-' || *q == '_'))
			q++;
		const char *colon = memchr(n, ':', (size_t)(q - n));
		if (colon)
			n = colon + 1;
		size_t nl = (size_t)(q - n);
		if ((nl == 3 && !strncasecmp(n, "rss", 3)) || (nl == 3 && !strncasecmp(n, "rdf", 3)) ||
		    (nl == 4 && !strncmp(n, "feed", 4)) || (nl == 7 && !strncmp(n, "channel", 7)))
			return K_FEED;
		if ((nl == 4 && !strncasecmp(n, "html", 4)) || (nl == 4 && !strncasecmp(n, "head", 4)) ||
		    (nl == 4 && !strncasecmp(n, "body", 4)))
			return K_PAGE;
		break;
	}
	/* no known root: a page if it looks like HTML anywhere near the top */
	size_t look = len < 4096 ? len : 4096;
	if (pm_find(s, look, "<html", 5) || pm_find(s, look, "<HTML", 5) || pm_find(s, look, "<body", 5) ||
	    pm_find(s, look, "<BODY", 5) || pm_find(s, look, "<div", 4) || pm_find(s, look, "<p>", 3))
		return K_PAGE;
	return K_FEED;
}

struct pm_parser *pm_parser_new(void)
{
	struct pm_parser *p = xcalloc(1, sizeof(*p));

	return p;
}

void pm_parser_free(struct pm_parser *p)
{
	if (!p)
		return;
	if (p->xml)
		xmlFreeParserCtxt(p->xml);
	pm_html_reuse_release(&p->html);
	free(p);
}

json_t *pm_parse_document(const char *body, size_t len, const char *url,
			  const char *content_type,
			  const struct pm_parse_opts *opts, struct pm_err *err)
{
	return pm_parse_document_with(NULL, body, len, url, content_type, opts, err);
}

/* Content-Location resolved against url, when that gives an http(s) URL
 * (a "javascript:" one is no base); NULL otherwise. Caller frees. */
static char *location_base(const char *url, const char *location)
{
	char *r;

	if (!location || !*location)
		return NULL;
	r = pm_url_resolve(url, location);
	if (r && strncasecmp(r, "http://", 7) && strncasecmp(r, "https://", 8)) {
		free(r);
		r = NULL;
	}
	return r;
}

/* The first language tag of a Content-Language header ("de, en" names
 * two) as the document's language, where the document names none. */
static void language_fallback(json_t *out, const char *header)
{
	json_t *o = out, *v;
	const char *key = "lang", *end;

	if (!out || !header)
		return;
	if (json_is_object(json_object_get(out, "feed"))) {
		o = json_object_get(out, "feed");
		key = "language";
	}
	if ((v = json_object_get(o, key)) && !json_is_null(v))
		return;
	header += strspn(header, " \t");
	end = header + strcspn(header, ",; \t");
	if (end > header && (v = json_stringn(header, (size_t)(end - header))))
		json_object_set_new(o, key, v);
}

json_t *pm_parse_document_with(struct pm_parser *p, const char *body, size_t len,
			       const char *url, const char *content_type,
			       const struct pm_parse_opts *opts, struct pm_err *err)
{
	struct pm_parser *own = NULL;
	struct pm_decoded dec;
	json_t *out = NULL;
	char *base = opts ? location_base(url, opts->content_location) : NULL;
	enum kind k;

	if (base)
		url = base;
	if (!p)
		p = own = pm_parser_new();
	if (!body)
		body = "";
	pm_decode_xml(body, len, content_type, &dec);
	k = sniff_kind(dec.text, dec.len);
	if (k == K_JSON) {
		struct pm_decoded jd;
		json_error_t je;
		pm_decode_other(body, len, content_type, 0, &jd);
		json_t *root = json_loadb(jd.text, jd.len, JSON_DECODE_ANY, &je);
		if (json_is_object(root) &&
		    (json_is_array(json_object_get(root, "items")) ||
		     (json_string_value(json_object_get(root, "version")) &&
		      strstr(json_string_value(json_object_get(root, "version")), "jsonfeed"))))
			out = pm_parse_json_feed(root, jd.encoding, url, opts);
		else if (!root)
			pm_err_set(err, PM_EINPUT, "not a feed: invalid JSON at line %d column %d: %s",
				   je.line, je.column, je.text);
		else
			pm_err_set(err, PM_EINPUT, "not a feed: JSON without \"items\"");
		json_decref(root);
		pm_decoded_release(&jd);
	} else if (k == K_PAGE) {
		struct pm_decoded hd;
		pm_decode_other(body, len, content_type, 1, &hd);
		out = pm_parse_html_page(&hd, url, opts);
		pm_decoded_release(&hd);
	} else {
		out = pm_parse_feed_xml(p, &dec, url, opts, err);
	}
	if (opts)
		language_fallback(out, opts->content_language);
	pm_decoded_release(&dec);
	pm_parser_free(own);
	free(base);
	return out;
}
