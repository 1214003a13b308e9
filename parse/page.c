/* parse/page: an HTML article page into title, byline, date, language,
 * site name and main text. The main text comes from a Readability-style
 * scorer over libxml2's HTML tree: paragraphs vote for their ancestors,
 * link-heavy and boilerplate-named blocks lose, the best block and its
 * worthy siblings are kept. */
#include "parse/parse_int.h"
#include "core/mem.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH 200
#define MAX_CANDS 100000

struct cand {
	xmlNode *n;
	double score;
};

struct page {
	htmlDocPtr doc;
	size_t max_text;
	struct cand *c;
	size_t nc, alloc;
	char *byline;         /* from the page's markup, when metadata has none */
	json_t *meta;         /* lower-case meta name/property -> content */
	json_t *ld;           /* the JSON-LD article object, if any (borrowed from ld_root) */
	json_t *ld_root;
};

/* ---- small tree helpers ------------------------------------------------- */

static int tag(const xmlNode *n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && !strcasecmp((const char *)n->name, name);
}

static const char *attr(const xmlNode *n, const char *name)
{
	for (const xmlAttr *a = n->properties; a; a = a->next)
		if (!strcasecmp((const char *)a->name, name) && a->children && a->children->content)
			return (const char *)a->children->content;
	return NULL;
}

static void text_of(const xmlNode *n, struct pm_buf *b, int depth)
{
	for (; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (n->content)
				pm_buf_adds(b, (const char *)n->content);
		} else if (n->type == XML_ELEMENT_NODE && depth < MAX_DEPTH &&
			   !tag(n, "script") && !tag(n, "style") && !tag(n, "noscript")) {
			text_of(n->children, b, depth + 1);
			if (tag(n, "br") || tag(n, "p") || tag(n, "div") || tag(n, "li"))
				pm_buf_addc(b, ' ');
		}
	}
}

/* Squashed text of an element (caller frees; never NULL). */
static char *inner_text(const xmlNode *n)
{
	struct pm_buf b;
	char *r;

	pm_buf_init(&b, 4u << 20);
	text_of(n->children, &b, 0);
	r = pm_clean_text(b.data, b.len, 0, 0);
	pm_buf_release(&b);
	return r ? r : xstrdup("");
}

static size_t text_len(const xmlNode *n)
{
	char *t = inner_text(n);
	size_t l = strlen(t);
	free(t);
	return l;
}

static void link_len_walk(const xmlNode *n, size_t *sum, int depth)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || depth > MAX_DEPTH)
			continue;
		if (tag(n, "a"))
			*sum += text_len(n);
		else
			link_len_walk(n->children, sum, depth + 1);
	}
}

static double link_density(const xmlNode *n)
{
	size_t total = text_len(n), links = 0;

	if (!total)
		return 0;
	link_len_walk(n->children, &links, 0);
	return (double)links / (double)total;
}

static int count_tag(const xmlNode *n, const char *name, int depth)
{
	int c = 0;

	for (n = n->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (tag(n, name))
			c++;
		if (depth < MAX_DEPTH)
			c += count_tag(n, name, depth + 1);
	}
	return c;
}

/* ---- class/id heuristics ------------------------------------------------ */

static int matches_any(const char *s, const char *const *words)
{
	for (size_t i = 0; words[i]; i++)
		if (strcasestr(s, words[i]))
			return 1;
	return 0;
}

static const char *const unlikely_words[] = {
	"-ad-", "ai2html", "banner", "breadcrumbs", "combx", "comment", "community",
	"cover-wrap", "disqus", "extra", "footer", "gdpr", "header", "legends", "menu",
	"related", "remark", "replies", "rss", "shoutbox", "sidebar", "skyscraper",
	"social", "sponsor", "supplemental", "ad-break", "agegate", "pagination", "pager",
	"popup", "yom-remote", "newsletter", "share", "cookie", "promo", NULL };
static const char *const maybe_words[] = {
	"and", "article", "body", "column", "content", "main", "mathjax", "shadow", NULL };
static const char *const positive_words[] = {
	"article", "body", "content", "entry", "hentry", "h-entry", "main", "page",
	"pagination", "post", "text", "blog", "story", NULL };
static const char *const negative_words[] = {
	"-ad-", "hidden", "banner", "combx", "comment", "com-", "contact", "footer",
	"gdpr", "masthead", "media", "meta", "outbrain", "promo", "related", "scroll",
	"share", "shoutbox", "sidebar", "skyscraper", "sponsor", "shopping", "tags",
	"widget", NULL };

static void class_id(const xmlNode *n, char *out, size_t osz)
{
	const char *c = attr(n, "class"), *i = attr(n, "id");
	snprintf(out, osz, "%s %s", c ? c : "", i ? i : "");
}

static int class_weight(const xmlNode *n)
{
	int w = 0;
	const char *c = attr(n, "class"), *i = attr(n, "id");

	if (c && *c) {
		if (matches_any(c, negative_words))
			w -= 25;
		if (matches_any(c, positive_words))
			w += 25;
	}
	if (i && *i) {
		if (matches_any(i, negative_words))
			w -= 25;
		if (matches_any(i, positive_words))
			w += 25;
	}
	return w;
}

static int is_hidden(const xmlNode *n)
{
	const char *st = attr(n, "style"), *ah = attr(n, "aria-hidden");

	if (attr(n, "hidden"))
		return 1;
	if (ah && !strcmp(ah, "true") && !tag(n, "img"))
		return 1;
	if (st && (strcasestr(st, "display:none") || strcasestr(st, "display: none") ||
		   strcasestr(st, "visibility:hidden")))
		return 1;
	return 0;
}

static int is_byline(const xmlNode *n, const char *ci)
{
	const char *rel = attr(n, "rel"), *ip = attr(n, "itemprop");

	return (rel && !strcasecmp(rel, "author")) || (ip && strstr(ip, "author")) ||
	       strcasestr(ci, "byline") || strcasestr(ci, "author") || strcasestr(ci, "dateline") ||
	       strcasestr(ci, "writtenby");
}

static void drop(xmlNode *n)
{
	xmlUnlinkNode(n);
	xmlFreeNode(n);
}

/* Removes what is never content: scripts, forms, navigation, hidden and
 * boilerplate-named blocks; picks up a byline on the way. */
static void prune(struct page *p, xmlNode *n, int depth)
{
	xmlNode *next;

	for (; n; n = next) {
		next = n->next;
		if (n->type == XML_COMMENT_NODE) {
			drop(n);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue;
		const char *nm = (const char *)n->name;
		static const char *const never[] = {
			"script", "style", "noscript", "template", "iframe", "form", "nav",
			"aside", "footer", "button", "select", "textarea", "input", "svg",
			"object", "embed", "link", "meta", "dialog", "menu", NULL };
		int bad = 0;
		for (size_t i = 0; never[i]; i++)
			if (!strcasecmp(nm, never[i]))
				bad = 1;
		if (!bad && is_hidden(n))
			bad = 1;
		const char *role = attr(n, "role");
		if (!bad && role &&
		    (!strcasecmp(role, "menu") || !strcasecmp(role, "menubar") ||
		     !strcasecmp(role, "complementary") || !strcasecmp(role, "navigation") ||
		     !strcasecmp(role, "alert") || !strcasecmp(role, "alertdialog") ||
		     !strcasecmp(role, "dialog")))
			bad = 1;
		if (!bad && !tag(n, "body") && !tag(n, "html") && !tag(n, "a") && !tag(n, "article") &&
		    !tag(n, "main")) {
			char ci[512];
			class_id(n, ci, sizeof(ci));
			if (ci[0] != ' ' || ci[1]) {
				if (!p->byline && is_byline(n, ci)) {
					char *t = inner_text(n);
					if (*t && strlen(t) < 100) {
						p->byline = t;
						drop(n);
						continue;
					}
					free(t);
				}
				if (matches_any(ci, unlikely_words) && !matches_any(ci, maybe_words) &&
				    !tag(n, "table") && !tag(n, "code"))
					bad = 1;
			}
		}
		if (bad) {
			drop(n);
			continue;
		}
		if (depth < MAX_DEPTH)
			prune(p, n->children, depth + 1);
	}
}

/* ---- scoring ------------------------------------------------------------ */

static struct cand *cand_of(struct page *p, xmlNode *n)
{
	if (n->_private)
		return &p->c[(uintptr_t)n->_private - 1];
	if (p->nc >= MAX_CANDS)
		return NULL;
	XGROW(p->c, p->alloc, p->nc + 1);
	struct cand *c = &p->c[p->nc++];
	c->n = n;
	c->score = class_weight(n);
	const char *nm = (const char *)n->name;
	if (!strcasecmp(nm, "div") || !strcasecmp(nm, "article"))
		c->score += 5;
	else if (!strcasecmp(nm, "pre") || !strcasecmp(nm, "td") || !strcasecmp(nm, "blockquote"))
		c->score += 3;
	else if (!strcasecmp(nm, "address") || !strcasecmp(nm, "ol") || !strcasecmp(nm, "ul") ||
		 !strcasecmp(nm, "dl") || !strcasecmp(nm, "dd") || !strcasecmp(nm, "dt") ||
		 !strcasecmp(nm, "li") || !strcasecmp(nm, "form"))
		c->score -= 3;
	else if (nm[0] == 'h' && nm[1] >= '1' && nm[1] <= '6' && !nm[2])
		c->score -= 5;
	else if (!strcasecmp(nm, "th"))
		c->score -= 5;
	n->_private = (void *)(uintptr_t)p->nc;
	return c;
}

static int has_block_child(const xmlNode *n)
{
	static const char *const blocks[] = {
		"blockquote", "dl", "div", "img", "ol", "p", "pre", "table", "ul", "section",
		"article", "figure", "h1", "h2", "h3", "h4", "h5", "h6", NULL };
	for (n = n->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			for (size_t i = 0; blocks[i]; i++)
				if (!strcasecmp((const char *)n->name, blocks[i]))
					return 1;
	return 0;
}

static int scorable(const xmlNode *n)
{
	const char *nm = (const char *)n->name;
	if (!strcasecmp(nm, "p") || !strcasecmp(nm, "pre") || !strcasecmp(nm, "td") ||
	    !strcasecmp(nm, "section") || (nm[0] == 'h' && nm[1] >= '2' && nm[1] <= '6' && !nm[2]))
		return 1;
	/* a div holding only inline content is a paragraph in all but name */
	return !strcasecmp(nm, "div") && !has_block_child(n);
}

static void score_walk(struct page *p, xmlNode *n, int depth)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (scorable(n)) {
			char *t = inner_text(n);
			size_t len = strlen(t);
			if (len >= 25) {
				double s = 1;
				for (const char *q = t; *q; q++)
					if (*q == ',')
						s++;
				if (strstr(t, "\xEF\xBC\x8C")) /* full-width comma */
					s++;
				s += len / 100 > 3 ? 3 : (double)(len / 100);
				xmlNode *a = n->parent;
				for (int level = 0; a && a->type == XML_ELEMENT_NODE && level < 5;
				     a = a->parent, level++) {
					struct cand *c = cand_of(p, a);
					if (!c)
						break;
					c->score += s / (level == 0 ? 1 : level == 1 ? 2 : level * 3);
				}
			}
			free(t);
		}
		if (depth < MAX_DEPTH)
			score_walk(p, n->children, depth + 1);
	}
}

/* ---- cleaning the chosen content --------------------------------------- */

static int in_list(const xmlNode *n)
{
	for (n = n->parent; n; n = n->parent)
		if (tag(n, "ul") || tag(n, "ol"))
			return 1;
	return 0;
}

/* Readability's "conditional cleaning": lists, tables and divs that look
 * like link farms, image galleries or forms go. */
static void clean_conditionally(xmlNode *n, int depth)
{
	xmlNode *next;

	for (; n; n = next) {
		next = n->next;
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (depth < MAX_DEPTH)
			clean_conditionally(n->children, depth + 1);
		if (!(tag(n, "div") || tag(n, "ul") || tag(n, "ol") || tag(n, "table") ||
		      tag(n, "section") || tag(n, "header")))
			continue;
		int weight = class_weight(n);
		if (weight < 0) {
			drop(n);
			continue;
		}
		char *t = inner_text(n);
		size_t commas = 0, len = strlen(t);
		for (const char *q = t; *q; q++)
			if (*q == ',')
				commas++;
		free(t);
		if (commas >= 10)
			continue;
		int ps = count_tag(n, "p", 0), imgs = count_tag(n, "img", 0);
		int lis = count_tag(n, "li", 0) - 100, inputs = count_tag(n, "input", 0);
		int embeds = count_tag(n, "embed", 0) + count_tag(n, "object", 0) + count_tag(n, "video", 0);
		double ld = link_density(n);
		int list = tag(n, "ul") || tag(n, "ol");
		int remove = (imgs > 1 && (double)ps / imgs < 0.5 && !in_list(n)) ||
			     (!list && lis > ps) || (inputs > ps / 3) ||
			     (!list && len < 25 && (imgs == 0 || imgs > 2) && !tag(n, "table")) ||
			     (!list && weight < 25 && ld > 0.2) || (weight >= 25 && ld > 0.5) ||
			     ((embeds == 1 && len < 75) || embeds > 1);
		if (tag(n, "table") && count_tag(n, "td", 0) > 0 && ld < 0.5)
			remove = 0; /* data tables are content */
		if (remove)
			drop(n);
	}
}

/* ---- metadata ------------------------------------------------------------ */

static void collect_meta(struct page *p, xmlNode *n, int depth)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (tag(n, "meta")) {
			const char *content = attr(n, "content");
			const char *keys[3] = { attr(n, "property"), attr(n, "name"), attr(n, "itemprop") };
			for (int k = 0; k < 3 && content; k++) {
				if (!keys[k])
					continue;
				/* property may list several names separated by spaces */
				char buf[256];
				snprintf(buf, sizeof(buf), "%s", keys[k]);
				char *save = NULL;
				for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
					for (char *q = w; *q; q++)
						*q = (char)tolower((unsigned char)*q);
					if (!json_object_get(p->meta, w))
						json_object_set_new(p->meta, w, json_string(content));
				}
			}
		} else if (tag(n, "script")) {
			const char *type = attr(n, "type");
			if (type && strcasestr(type, "ld+json") && !p->ld && n->children) {
				struct pm_buf b;
				pm_buf_init(&b, 4u << 20);
				/* script text is skipped by text_of: read the raw children */
				for (xmlNode *k = n->children; k; k = k->next)
					if (k->content)
						pm_buf_adds(&b, (const char *)k->content);
				json_t *j = json_loadb(b.data ? b.data : "", b.len, 0, NULL);
				pm_buf_release(&b);
				if (j) {
					json_t *found = NULL;
					json_t *stack[4] = { j, json_object_get(j, "@graph"), NULL, NULL };
					for (int s = 0; s < 2 && !found; s++) {
						json_t *arr = stack[s], *it;
						size_t i;
						if (json_is_object(arr) && s == 0) {
							const char *t = json_string_value(json_object_get(arr, "@type"));
							if (t && (strstr(t, "Article") || strstr(t, "Posting") ||
								  strstr(t, "Report") || strstr(t, "NewsArticle")))
								found = arr;
							continue;
						}
						json_array_foreach(arr, i, it) {
							const char *t = json_string_value(json_object_get(it, "@type"));
							if (t && (strstr(t, "Article") || strstr(t, "Posting") ||
								  strstr(t, "Report")))
								found = it;
							if (found)
								break;
						}
					}
					if (!found && json_is_array(j)) {
						json_t *it;
						size_t i;
						json_array_foreach(j, i, it) {
							const char *t = json_string_value(json_object_get(it, "@type"));
							if (t && (strstr(t, "Article") || strstr(t, "Posting")))
								found = it;
							if (found)
								break;
						}
					}
					if (found) {
						p->ld_root = j;
						p->ld = found;
					} else {
						json_decref(j);
					}
				}
			}
		}
		if (depth < MAX_DEPTH)
			collect_meta(p, n->children, depth + 1);
	}
}

static const char *meta(const struct page *p, const char *key)
{
	const char *v = json_string_value(json_object_get(p->meta, key));
	return v && *v ? v : NULL;
}

static char *clean(const char *s)
{
	return s ? pm_html_fragment_text(s, strlen(s), 0, 4096) : NULL;
}

static char *ld_author(json_t *a)
{
	if (json_is_string(a))
		return clean(json_string_value(a));
	if (json_is_object(a))
		return clean(json_string_value(json_object_get(a, "name")));
	if (json_is_array(a)) {
		struct pm_buf b;
		json_t *it;
		size_t i;
		pm_buf_init(&b, 0);
		json_array_foreach(a, i, it) {
			char *n = ld_author(it);
			if (n) {
				if (b.len)
					pm_buf_adds(&b, ", ");
				pm_buf_adds(&b, n);
				free(n);
			}
		}
		if (!b.len) {
			pm_buf_release(&b);
			return NULL;
		}
		return pm_buf_detach(&b, NULL);
	}
	return NULL;
}

static size_t word_count(const char *s)
{
	size_t n = 0;
	int in = 0;

	for (; *s; s++) {
		int sp = isspace((unsigned char)*s);
		if (!sp && !in)
			n++;
		in = !sp;
	}
	return n;
}

static xmlNode *find_first(xmlNode *n, const char *name, int depth, int *count)
{
	xmlNode *found = NULL;

	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (tag(n, name)) {
			(*count)++;
			if (!found)
				found = n;
		}
		if (depth < MAX_DEPTH) {
			xmlNode *f = find_first(n->children, name, depth + 1, count);
			if (!found)
				found = f;
		}
	}
	return found;
}

/* Title from <title>, minus the site name after a separator (Readability's
 * rules, so that short titles with a hierarchy keep their whole text). */
static char *doc_title(struct page *p, xmlNode *root)
{
	int cnt = 0;
	xmlNode *t = find_first(root, "title", 0, &cnt);
	char *orig = t ? inner_text(t) : NULL, *cur;
	int hier = 0;

	if (!orig || !*orig) {
		free(orig);
		return NULL;
	}
	cur = xstrdup(orig);
	/* separators surrounded by spaces: | - – — \ / > » */
	static const char *const seps[] = { " | ", " - ", " \xE2\x80\x93 ", " \xE2\x80\x94 ", " \\ ",
					    " / ", " > ", " \xC2\xBB ", NULL };
	const char *last = NULL, *first = NULL;
	size_t seplen_last = 0, seplen_first = 0;
	for (int i = 0; seps[i]; i++) {
		const char *q = orig, *f;
		while ((f = strstr(q, seps[i]))) {
			if (!last || f > last) {
				last = f;
				seplen_last = strlen(seps[i]);
			}
			if (!first || f < first) {
				first = f;
				seplen_first = strlen(seps[i]);
			}
			q = f + 1;
		}
		if (i >= 3 && strstr(orig, seps[i]))
			hier = 1;
	}
	if (last) {
		free(cur);
		cur = xstrndup(orig, (size_t)(last - orig));
		if (word_count(cur) < 3) {
			free(cur);
			cur = xstrdup(first + seplen_first);
		}
		(void)seplen_last;
	} else if (strstr(orig, ": ")) {
		int hc = 0;
		xmlNode *h1 = find_first(root, "h1", 0, &hc);
		int match = 0;
		if (h1) {
			char *ht = inner_text(h1);
			match = !strcmp(ht, orig);
			free(ht);
		}
		if (!match) {
			const char *lc = strrchr(orig, ':');
			free(cur);
			cur = xstrdup(lc + 1);
			if (word_count(cur) < 3) {
				free(cur);
				cur = xstrdup(strchr(orig, ':') + 1);
			} else if (word_count(orig) - word_count(cur) > 5) {
				free(cur);
				cur = xstrdup(orig);
			}
		}
	} else if (strlen(orig) > 150 || strlen(orig) < 15) {
		int hc = 0;
		xmlNode *h1 = find_first(root, "h1", 0, &hc);
		if (hc == 1) {
			free(cur);
			cur = inner_text(h1);
		}
	}
	char *sq = pm_clean_text(cur, strlen(cur), 0, 0);
	free(cur);
	cur = sq ? sq : xstrdup("");
	size_t wc = word_count(cur);
	if (wc <= 4 && (!hier || wc != word_count(orig) - 1)) {
		free(cur);
		cur = orig;
	} else {
		free(orig);
	}
	(void)p;
	return cur;
}

static void set_str(json_t *o, const char *key, char *s)
{
	json_object_set_new(o, key, s && *s ? json_string(s) : json_null());
	free(s);
}

static void collect_links(xmlNode *n, json_t *links, const char *base, int depth)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (tag(n, "a") && attr(n, "href") && json_array_size(links) < 1000) {
			const char *h = attr(n, "href");
			if (*h && *h != '#' && strncasecmp(h, "javascript:", 11) && strncasecmp(h, "mailto:", 7)) {
				char *u = pm_url_resolve(base, h);
				if (u)
					json_array_append_new(links, json_string(u));
				free(u);
			}
		}
		if (depth < MAX_DEPTH)
			collect_links(n->children, links, base, depth + 1);
	}
}

static xmlNode *body_of(xmlNode *root)
{
	int c = 0;
	xmlNode *b = find_first(root, "body", 0, &c);
	return b ? b : root;
}

json_t *pm_parse_html_page(const struct pm_decoded *dec, const char *url,
			   const struct pm_parse_opts *opts)
{
	struct page p;
	json_t *out = json_object();
	xmlNode *root, *body, *top = NULL;
	const char *v;
	char *s;

	memset(&p, 0, sizeof(p));
	p.max_text = opts && opts->max_text ? opts->max_text : PM_MAX_TEXT_DEFAULT;
	p.meta = json_object();
	json_object_set_new(out, "kind", json_string("page"));
	{
		static const char *const keys[] = { "title", "byline", "published", "lang", "site_name", "text", NULL };
		for (int i = 0; keys[i]; i++)
			json_object_set_new(out, keys[i], json_null());
	}
	p.doc = dec->len < 0x7fffffff
			? htmlReadMemory(dec->text, (int)dec->len, url, "UTF-8",
					 HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
						 HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT)
			: NULL;
	root = p.doc ? xmlDocGetRootElement(p.doc) : NULL;
	if (!root) {
		json_object_set_new(out, "links", json_array());
		json_decref(p.meta);
		if (p.doc)
			xmlFreeDoc(p.doc);
		return out;
	}
	collect_meta(&p, root, 0);

	/* title */
	s = NULL;
	if (p.ld)
		s = clean(json_string_value(json_object_get(p.ld, "headline")));
	if (!s && (v = meta(&p, "dc:title")))
		s = clean(v);
	if (!s && (v = meta(&p, "og:title")))
		s = clean(v);
	if (!s && (v = meta(&p, "twitter:title")))
		s = clean(v);
	if (!s)
		s = doc_title(&p, root);
	set_str(out, "title", s);

	/* byline: metadata first, the page's own byline element later */
	s = NULL;
	if (p.ld)
		s = ld_author(json_object_get(p.ld, "author"));
	if (!s && (v = meta(&p, "dc:creator")))
		s = clean(v);
	if (!s && (v = meta(&p, "author")))
		s = clean(v);
	if (!s && (v = meta(&p, "parsely-author")))
		s = clean(v);
	if (!s && (v = meta(&p, "article:author")) && strncmp(v, "http", 4))
		s = clean(v);
	char *meta_byline = s;

	/* published */
	const char *pub = NULL;
	if (p.ld)
		pub = json_string_value(json_object_get(p.ld, "datePublished"));
	if (!pub)
		pub = meta(&p, "article:published_time");
	if (!pub)
		pub = meta(&p, "parsely-pub-date");
	if (!pub)
		pub = meta(&p, "datepublished");
	if (!pub)
		pub = meta(&p, "og:published_time");
	if (!pub)
		pub = meta(&p, "dc.date");
	if (!pub)
		pub = meta(&p, "date");
	json_t *pj = pm_date_json(pub);
	if (json_is_null(pj)) {
		int c = 0;
		xmlNode *t = find_first(root, "time", 0, &c);
		if (t && attr(t, "datetime")) {
			json_decref(pj);
			pj = pm_date_json(attr(t, "datetime"));
		}
	}
	json_object_set_new(out, "published", pj);

	/* lang */
	s = NULL;
	if ((v = attr(root, "lang")) || (v = attr(root, "xml:lang")))
		s = pm_clean_text(v, strlen(v), 0, 64);
	if (!s && (v = meta(&p, "og:locale")))
		s = pm_clean_text(v, strlen(v), 0, 64);
	if (s)
		for (char *q = s; *q; q++)
			if (*q == '_')
				*q = '-';
	set_str(out, "lang", s);

	/* site name */
	s = NULL;
	if (p.ld) {
		json_t *pubr = json_object_get(p.ld, "publisher");
		if (json_is_object(pubr))
			s = clean(json_string_value(json_object_get(pubr, "name")));
	}
	if (!s && (v = meta(&p, "og:site_name")))
		s = clean(v);
	set_str(out, "site_name", s);

	json_t *links = json_array();
	body = body_of(root);
	collect_links(body, links, url, 0);

	/* main text */
	prune(&p, body->children, 0);
	score_walk(&p, body->children, 0);
	double best = -1e9;
	for (size_t i = 0; i < p.nc; i++) {
		struct cand *c = &p.c[i];
		c->score *= 1.0 - link_density(c->n);
		if (c->score > best) {
			best = c->score;
			top = c->n;
		}
	}
	struct pm_buf text;
	pm_buf_init(&text, p.max_text * 2);
	if (top) {
		/* a top candidate alone in its parent stands for the parent */
		while (top->parent && top->parent->type == XML_ELEMENT_NODE && !tag(top->parent, "body") &&
		       xmlChildElementCount(top->parent) == 1)
			top = top->parent;
		double threshold = best * 0.2 > 10 ? best * 0.2 : 10;
		xmlNode *parent = top->parent;
		xmlNode *k = parent && parent->type == XML_ELEMENT_NODE ? parent->children : top;
		for (; k; k = k->next) {
			int keep = k == top;
			if (!keep && k->type == XML_ELEMENT_NODE) {
				double bonus = 0;
				const char *tc = attr(top, "class"), *kc = attr(k, "class");
				if (tc && kc && *tc && !strcmp(tc, kc))
					bonus = best * 0.2;
				if (k->_private && p.c[(uintptr_t)k->_private - 1].score + bonus >= threshold)
					keep = 1;
				else if (tag(k, "p")) {
					char *t = inner_text(k);
					size_t len = strlen(t);
					double ld = link_density(k);
					if ((len > 80 && ld < 0.25) ||
					    (len < 80 && len > 0 && ld == 0 && strstr(t, ". ")))
						keep = 1;
					free(t);
				}
			}
			if (keep && k->type == XML_ELEMENT_NODE) {
				clean_conditionally(k->children, 0);
				pm_buf_adds(&text, "\n\n");
				pm_node_text(k, &text);
			}
			if (k == top && !(parent && parent->type == XML_ELEMENT_NODE))
				break;
		}
	}
	if (!text.len)
		pm_node_text(body, &text);
	s = pm_clean_text(text.data, text.len, 1, p.max_text);
	pm_buf_release(&text);
	set_str(out, "text", s);
	if (!meta_byline)
		meta_byline = p.byline ? xstrdup(p.byline) : NULL;
	set_str(out, "byline", meta_byline);
	json_object_set_new(out, "links", links);

	/* _private pointed into p.c: the doc goes first */
	xmlFreeDoc(p.doc);
	free(p.c);
	free(p.byline);
	json_decref(p.meta);
	json_decref(p.ld_root);
	return out;
}
