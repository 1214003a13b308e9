/* parse/page: an HTML article page into title, byline, date, language,
 * site name and main text. The main text comes from a Readability-style
 * scorer over libxml2's HTML tree: paragraphs vote for their ancestors,
 * link-heavy and boilerplate-named blocks lose, the best block and its
 * worthy siblings are kept. */
#include "parse/parse_int.h"
#include "core/mem.h"
#include "core/text.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
	int byline_dropped;   /* this pass removed the byline element already */
	int pass;             /* 0 strict; 1 keeps unlikely blocks; 2 ignores class
			       * names; 3 also skips conditional cleaning */
	json_t *meta;         /* meta property (RDFa, og:) key -> content */
	json_t *meta_name;    /* meta name/itemprop key -> content, second choice */
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
	"popup", "yom-remote", NULL };
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

/* Hidden by the hidden attribute, aria-hidden (images excepted: they are
 * often marked so and still shown) or an inline display:none /
 * visibility:hidden, however the style spaces and cases it. */
static int is_hidden(const xmlNode *n)
{
	const char *st = attr(n, "style"), *ah = attr(n, "aria-hidden");
	char css[256];
	size_t k = 0;

	if (attr(n, "hidden"))
		return 1;
	if (ah && !strcmp(ah, "true") && !tag(n, "img"))
		return 1;
	if (!st)
		return 0;
	for (; *st && k + 1 < sizeof(css); st++)
		if (!isspace((unsigned char)*st))
			css[k++] = (char)tolower((unsigned char)*st);
	css[k] = '\0';
	return strstr(css, "display:none") || strstr(css, "visibility:hidden");
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
		if (!bad && !tag(n, "body") && !tag(n, "html")) {
			char ci[512];
			class_id(n, ci, sizeof(ci));
			/* the byline element is metadata, not text (found by
			 * page_byline on the unpruned tree) */
			if (!p->byline_dropped && is_byline(n, ci)) {
				char *t = inner_text(n);
				int short_text = *t && strlen(t) < 100;
				free(t);
				if (short_text) {
					p->byline_dropped = 1;
					drop(n);
					continue;
				}
			}
			if (p->pass < 1 && (ci[0] != ' ' || ci[1]) && !tag(n, "a") && !tag(n, "article") &&
			    !tag(n, "main") && matches_any(ci, unlikely_words) && !matches_any(ci, maybe_words) &&
			    !tag(n, "table") && !tag(n, "code"))
				bad = 1;
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
	c->score = p->pass >= 2 ? 0 : class_weight(n);
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

/* ---- JSON-LD ------------------------------------------------------------- */

/* schema.org types whose datePublished and author describe the page's own
 * article (Readability's list, matched as words inside the type name so that
 * "ReportageNewsArticle" or "LiveBlogPosting" count too). */
static int ld_type_is_article(const char *t)
{
	static const char *const kinds[] = { "Article", "Posting", "Report", "APIReference", NULL };

	return t && matches_any(t, kinds);
}

/* @type may be one name or an array of names. */
static int ld_is_article(json_t *o)
{
	json_t *t = json_object_get(o, "@type"), *it;
	size_t i;

	if (json_is_string(t))
		return ld_type_is_article(json_string_value(t));
	json_array_foreach(t, i, it)
		if (ld_type_is_article(json_string_value(it)))
			return 1;
	return 0;
}

/* The article object in a JSON-LD document: the root, an element of a
 * root array, or a node of an @graph (in the root or in an array element).
 * Bounded: only those two levels are searched. */
static json_t *ld_find_article(json_t *j)
{
	json_t *it, *g;
	size_t i;

	if (json_is_object(j)) {
		if (ld_is_article(j))
			return j;
		g = json_object_get(j, "@graph");
		json_array_foreach(g, i, it)
			if (json_is_object(it) && ld_is_article(it))
				return it;
		return NULL;
	}
	json_array_foreach(j, i, it) {
		json_t *f = json_is_object(it) ? ld_find_article(it) : NULL;
		if (f)
			return f;
	}
	return NULL;
}

/* Reads one <script type="application/ld+json">; keeps it when it holds an
 * article. Many sites wrap the JSON in <![CDATA[ ... ]]> (a habit from
 * XHTML), which the HTML parser leaves in the script text. */
static void read_ld(struct page *p, const xmlNode *script)
{
	struct pm_buf b;
	const char *s;
	size_t len;
	json_t *j, *found;

	pm_buf_init(&b, 4u << 20);
	/* script text is skipped by text_of: read the raw children */
	for (const xmlNode *k = script->children; k; k = k->next)
		if (k->content)
			pm_buf_adds(&b, (const char *)k->content);
	s = b.data ? b.data : "";
	len = b.len;
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= 9 && !strncmp(s, "<![CDATA[", 9))
		s += 9, len -= 9;
	if (len >= 3 && !strncmp(s + len - 3, "]]>", 3))
		len -= 3;
	j = json_loadb(s, len, 0, NULL);
	pm_buf_release(&b);
	if (!j)
		return;
	found = ld_find_article(j);
	if (!found) {
		json_decref(j);
		return;
	}
	p->ld_root = j;
	p->ld = found;
}

/* ---- metadata ------------------------------------------------------------ */

/* Several authors are often given as repeated meta tags: those keys
 * collect every distinct value; the rest keep the first. */
static int meta_multi(const char *key)
{
	static const char *const multi[] = { "author", "dc:creator", "dcterm:creator", "dcterms:creator",
					     "article:author", "parsely-author", NULL };
	for (size_t i = 0; multi[i]; i++)
		if (!strcmp(key, multi[i]))
			return 1;
	return 0;
}

static void meta_put(json_t *into, const char *key, const char *content)
{
	const char *old = json_string_value(json_object_get(into, key));
	char *clean_v = pm_clean_text(content, strlen(content), 0, 1024);

	if (!clean_v)
		return;
	/* article:author is often a profile URL: no name to show */
	if (meta_multi(key) && (!strncasecmp(clean_v, "http://", 7) || !strncasecmp(clean_v, "https://", 8))) {
		free(clean_v);
		return;
	}
	if (!old) {
		json_object_set_new(into, key, json_string(clean_v));
	} else if (meta_multi(key) && !strstr(old, clean_v) && strlen(old) < 1024) {
		struct pm_buf b;
		pm_buf_init(&b, 0);
		pm_buf_addf(&b, "%s, %s", old, clean_v);
		json_object_set_new(into, key, json_string(pm_buf_str(&b)));
		pm_buf_release(&b);
	}
	free(clean_v);
}

/* A meta name as a lookup key: lower case, no white space, and the
 * Dublin Core spelling "DC.Title" read as "dc:title". "og:article:author"
 * (a common misspelling) is also filed as "article:author". */
static void meta_key(json_t *into, const char *name, const char *content)
{
	char key[128];
	size_t k = 0;

	for (const char *q = name; *q && k + 1 < sizeof(key); q++) {
		if (isspace((unsigned char)*q))
			continue;
		key[k++] = *q == '.' ? ':' : (char)tolower((unsigned char)*q);
	}
	key[k] = '\0';
	if (!k)
		return;
	meta_put(into, key, content);
	if (!strncmp(key, "og:article:", 11))
		meta_put(into, key + 3, content);
}

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
				for (char *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save))
					meta_key(k == 0 ? p->meta : p->meta_name, w, content);
			}
		} else if (tag(n, "script") && !p->ld && n->children) {
			const char *type = attr(n, "type");
			if (type && strcasestr(type, "ld+json"))
				read_ld(p, n);
		}
		if (depth < MAX_DEPTH)
			collect_meta(p, n->children, depth + 1);
	}
}

/* A meta value: <meta property> wins over <meta name> whatever the order,
 * as property is the attribute the vocabularies (RDFa, Open Graph) define. */
static const char *meta(const struct page *p, const char *key)
{
	const char *v = json_string_value(json_object_get(p->meta, key));
	if (!v || !*v)
		v = json_string_value(json_object_get(p->meta_name, key));
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

static xmlNode *body_of(xmlNode *root)
{
	int c = 0;
	xmlNode *b = find_first(root, "body", 0, &c);
	return b ? b : root;
}

/* ---- metadata fields ----------------------------------------------------- */

#define SIMILARITY_MAX 1024 /* bytes of each side compared */

/* Readability's text similarity: the share of b's words (by length) that
 * also occur in a; 1 when b says nothing a does not. */
static double similarity(const char *a, const char *b)
{
	struct pm_tokens ta, tb;
	size_t total = 0, unique = 0;

	pm_tokens_init(&ta);
	pm_tokens_init(&tb);
	/* quadratic in words: both sides are cut to a title's length, since a
	 * hostile page may put megabytes in <title> or the JSON-LD name */
	pm_text_tokenize(a, strnlen(a, SIMILARITY_MAX), &ta);
	pm_text_tokenize(b, strnlen(b, SIMILARITY_MAX), &tb);
	for (size_t i = 0; i < tb.n; i++) {
		size_t l = tb.v[i].norm_len + 1;
		int found = 0;
		total += l;
		for (size_t k = 0; k < ta.n && !found; k++)
			found = !strcmp(pm_token_str(&ta, k), pm_token_str(&tb, i));
		if (!found)
			unique += l;
	}
	pm_tokens_release(&ta);
	pm_tokens_release(&tb);
	return total ? 1.0 - (double)unique / (double)total : 0.0;
}

/* JSON-LD has both name and headline, and some sites put their own name
 * (or a category) in one of them: take the one closer to <title>. */
static char *ld_title(struct page *p, xmlNode *root)
{
	const char *name = json_string_value(json_object_get(p->ld, "name"));
	const char *head = json_string_value(json_object_get(p->ld, "headline"));

	if (name && !*name)
		name = NULL;
	if (head && !*head)
		head = NULL;
	if (name && head && strcmp(name, head)) {
		char *dt = doc_title(p, root);
		if (dt) {
			double sn = similarity(name, dt), sh = similarity(head, dt);
			free(dt);
			return clean(sh >= sn ? head : name);
		}
	}
	return clean(head ? head : name);
}

static char *page_title(struct page *p, xmlNode *root)
{
	static const char *const keys[] = { "dc:title", "dcterm:title", "dcterms:title", "og:title",
					    "weibo:article:title", "weibo:webpage:title", "title",
					    "twitter:title", "parsely-title", NULL };
	char *s = p->ld ? ld_title(p, root) : NULL;
	const char *v;

	for (size_t i = 0; !s && keys[i]; i++)
		if ((v = meta(p, keys[i])))
			s = clean(v);
	if (!s)
		s = doc_title(p, root);
	/* a declared title (JSON-LD, meta) is the publisher's own and is kept
	 * whole; only <title> loses the site name (doc_title) */
	return s;
}

static char *page_site_name(struct page *p)
{
	char *s = NULL;
	const char *v;

	if (p->ld) {
		json_t *pubr = json_object_get(p->ld, "publisher");
		if (json_is_object(pubr))
			s = clean(json_string_value(json_object_get(pubr, "name")));
	}
	if (!s && (v = meta(p, "og:site_name")))
		s = clean(v);
	return s;
}

/* A "byline" that is a date or a time ("Sunday, Feb 1, 2015 11:57 AM"):
 * a fifth of its visible characters are digits, or it parses as a date. */
static int date_like(const char *s)
{
	size_t digits = 0, vis = 0;
	time_t t;

	for (const char *q = s; *q; q++) {
		if (isspace((unsigned char)*q))
			continue;
		vis++;
		if (isdigit((unsigned char)*q))
			digits++;
	}
	return (vis && digits * 5 >= vis) || !pm_parse_date(s, &t);
}

/* A byline as people write it minus the "By" before it. Takes ownership of s;
 * NULL when it is no name: empty, a URL, a date, or too long. */
static char *byline_clean(char *s)
{
	static const char *const by[] = { "by ", "by:", "von ", "par ", "por ", "door ", "di ", NULL };
	char *r = s;

	if (!s)
		return NULL;
	for (size_t i = 0; by[i]; i++) {
		size_t l = strlen(by[i]);
		if (!strncasecmp(r, by[i], l) && r[l]) {
			r += l;
			break;
		}
	}
	while (*r == ' ' || *r == ':')
		r++;
	if (!*r || strlen(r) >= 100 || !strncasecmp(r, "http://", 7) || !strncasecmp(r, "https://", 8) ||
	    date_like(r)) {
		free(s);
		return NULL;
	}
	if (r != s)
		memmove(s, r, strlen(r) + 1);
	return s;
}

/* Text of an author element: an itemprop="author" block names the person
 * in its itemprop="name" child; otherwise the whole text. */
static char *byline_text(xmlNode *n)
{
	const char *ip = attr(n, "itemprop");

	if (ip && strstr(ip, "author")) {
		xmlNode *k = n->children, *stack[MAX_DEPTH];
		int sp = 0;
		/* iterative walk: the subtree is untrusted and may be deep */
		while (k || sp) {
			if (!k) {
				k = stack[--sp]->next;
				continue;
			}
			if (k->type == XML_ELEMENT_NODE) {
				const char *kp = attr(k, "itemprop");
				if (kp && !strcmp(kp, "name"))
					return inner_text(k);
				if (k->children && sp < MAX_DEPTH) {
					stack[sp++] = k;
					k = k->children;
					continue;
				}
			}
			k = k->next;
		}
	}
	return inner_text(n);
}

/* The first element of the page that names its author (rel=author,
 * itemprop=author, a byline-like class), in document order, over the whole
 * unpruned tree: bylines often sit in <aside> or <header> blocks the text
 * scorer drops. Comment authors, forms ("Follow author" buttons) and hidden
 * elements are skipped. */
static char *find_byline(xmlNode *n, int depth)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (tag(n, "script") || tag(n, "style") || tag(n, "noscript") || tag(n, "template") ||
		    tag(n, "head") || tag(n, "form") || tag(n, "button") || tag(n, "select") ||
		    is_hidden(n))
			continue;
		char ci[512];
		class_id(n, ci, sizeof(ci));
		if (strcasestr(ci, "comment"))
			continue;
		if (is_byline(n, ci)) {
			char *t = byline_clean(byline_text(n));
			if (t)
				return t;
		}
		if (depth < MAX_DEPTH) {
			char *t = find_byline(n->children, depth + 1);
			if (t)
				return t;
		}
	}
	return NULL;
}

/* Byline: JSON-LD author, then author meta tags, then the page's markup. */
static char *page_byline(struct page *p, xmlNode *root)
{
	static const char *const keys[] = { "dc:creator", "dcterm:creator", "dcterms:creator", "author",
					    "parsely-author", "article:author", "sailthru:author", NULL };
	char *s = p->ld ? byline_clean(ld_author(json_object_get(p->ld, "author"))) : NULL;
	const char *v;

	for (size_t i = 0; !s && keys[i]; i++)
		if ((v = meta(p, keys[i])))
			s = byline_clean(clean(v));
	if (!s)
		s = find_byline(body_of(root), 0);
	return s;
}

/* First element carrying itemprop="datePublished" (its content or datetime),
 * else the first <time pubdate>. */
static const char *find_date_markup(xmlNode *n, int depth)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		const char *ip = attr(n, "itemprop"), *v;
		if ((ip && !strcasecmp(ip, "datePublished")) || (tag(n, "time") && attr(n, "pubdate"))) {
			if ((v = attr(n, "datetime")) || (v = attr(n, "content")))
				return v;
		}
		if (depth < MAX_DEPTH && (v = find_date_markup(n->children, depth + 1)))
			return v;
	}
	return NULL;
}

/* First <time datetime> inside the article element, else in the page. */
static const char *first_time(xmlNode *root)
{
	int c = 0;
	xmlNode *art = find_first(root, "article", 0, &c), *t;

	if (art && (t = find_first(art->children, "time", 0, &c)) && attr(t, "datetime"))
		return attr(t, "datetime");
	c = 0;
	t = find_first(root, "time", 0, &c);
	return t ? attr(t, "datetime") : NULL;
}

/* Published time: JSON-LD datePublished, the publication meta tags
 * (Open Graph article:, Parse.ly, Dublin Core, Sailthru, Highwire's
 * citation_), microdata, then <time>. The first that parses wins. */
static json_t *page_published(struct page *p, xmlNode *root)
{
	static const char *const keys[] = {
		"article:published_time", "article:published", "parsely-pub-date", "datepublished",
		"dc:date:issued", "dcterms:issued", "dc:date", "dcterms:date", "dcterms:created",
		"og:published_time", "pubdate", "publishdate", "publish-date", "publish_date",
		"sailthru:date", "citation_publication_date", "citation_date", "date", NULL };
	const char *cand[32];
	size_t n = 0;

	if (p->ld)
		cand[n++] = json_string_value(json_object_get(p->ld, "datePublished"));
	for (size_t i = 0; keys[i]; i++)
		cand[n++] = meta(p, keys[i]);
	cand[n++] = find_date_markup(root, 0);
	cand[n++] = first_time(root);
	for (size_t i = 0; i < n; i++) {
		json_t *j = cand[i] ? pm_date_json(cand[i]) : json_null();
		if (!json_is_null(j))
			return j;
		json_decref(j);
	}
	return json_null();
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

#define NTOP 5 /* top candidates compared when looking for a better one */

static int is_ancestor(const xmlNode *a, const xmlNode *n)
{
	int depth = 0;

	for (n = n->parent; n && depth < 4 * MAX_DEPTH; n = n->parent, depth++)
		if (n == a)
			return 1;
	return 0;
}

static double score_of(struct page *p, const xmlNode *n)
{
	return n->_private ? p->c[(uintptr_t)n->_private - 1].score : 0;
}

/* Readability's refinements of the best-scored block. An article split
 * into several blocks (steps, sections) scores each block about the same:
 * when three of the runners-up come within 75% of the best and share an
 * ancestor with it, that ancestor is the article. Then, a parent scoring
 * higher than its child on the way up holds more of the text. A block
 * alone in its parent stands for the parent (so that siblings of the
 * parent can join). */
static xmlNode *better_top(struct page *p, struct cand **best)
{
	xmlNode *top = best[0]->n, *a;
	double top_score = best[0]->score;
	int nalt = 0;
	const xmlNode *alt[NTOP];

	for (int i = 1; i < NTOP && best[i]; i++)
		if (top_score > 0 && best[i]->score / top_score >= 0.75)
			alt[nalt++] = best[i]->n;
	if (nalt >= 3) {
		for (a = top->parent; a && a->type == XML_ELEMENT_NODE && !tag(a, "body"); a = a->parent) {
			int holds = 0;
			for (int i = 0; i < nalt; i++)
				holds += is_ancestor(a, alt[i]);
			if (holds >= 3) {
				top = a;
				break;
			}
		}
	}
	double last = score_of(p, top), floor_ = last / 3;
	for (a = top->parent; a && a->type == XML_ELEMENT_NODE && !tag(a, "body"); a = a->parent) {
		if (!a->_private)
			continue;
		double ps = score_of(p, a);
		if (ps < floor_)
			break;
		if (ps > last) {
			top = a;
			break;
		}
		last = ps;
	}
	while (top->parent && top->parent->type == XML_ELEMENT_NODE && !tag(top->parent, "body") &&
	       xmlChildElementCount(top->parent) == 1)
		top = top->parent;
	return top;
}

/* One extraction pass over a fresh tree (each pass prunes it). */
static char *main_text(struct page *p, const struct pm_decoded *dec, const char *url)
{
	htmlDocPtr doc;
	xmlNode *root, *body, *top = NULL;
	char *s;

	doc = pm_html_read(dec->text, dec->len, url,
			   HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
				   HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		if (doc)
			xmlFreeDoc(doc);
		return NULL;
	}
	body = body_of(root);
	p->nc = 0;
	p->byline_dropped = 0;
	prune(p, body->children, 0);
	score_walk(p, body->children, 0);
	/* the five best candidates, best first */
	struct cand *best[NTOP] = { 0 };
	for (size_t i = 0; i < p->nc; i++) {
		struct cand *c = &p->c[i];
		c->score *= 1.0 - link_density(c->n);
		for (int t = 0; t < NTOP; t++) {
			if (!best[t] || c->score > best[t]->score) {
				memmove(&best[t + 1], &best[t], sizeof(best[0]) * (size_t)(NTOP - 1 - t));
				best[t] = c;
				break;
			}
		}
	}
	top = best[0] ? better_top(p, best) : NULL;
	struct pm_buf text;
	pm_buf_init(&text, p->max_text * 2);
	if (top) {
		struct cand *tc_ = cand_of(p, top);
		double top_score = tc_ ? tc_->score : 0;
		double threshold = top_score * 0.2 > 10 ? top_score * 0.2 : 10;
		xmlNode *parent = top->parent;
		xmlNode *k = parent && parent->type == XML_ELEMENT_NODE ? parent->children : top;
		for (; k; k = k->next) {
			int keep = k == top;
			if (!keep && k->type == XML_ELEMENT_NODE) {
				double bonus = 0;
				const char *tc = attr(top, "class"), *kc = attr(k, "class");
				if (tc && kc && *tc && !strcmp(tc, kc))
					bonus = top_score * 0.2;
				if (k->_private && p->c[(uintptr_t)k->_private - 1].score + bonus >= threshold)
					keep = 1;
				else if (tag(k, "p")) {
					char *t = inner_text(k);
					size_t len = strlen(t);
					double ld = link_density(k);
					if ((len > 80 && ld < 0.25) ||
					    (len < 80 && len > 0 && ld == 0 &&
					     (strstr(t, ". ") || t[len - 1] == '.')))
						keep = 1;
					free(t);
				}
			}
			if (keep && k->type == XML_ELEMENT_NODE) {
				if (p->pass < 3)
					clean_conditionally(k->children, 0);
				pm_buf_adds(&text, "\n\n");
				pm_element_text(k, &text);
			}
			if (k == top && !(parent && parent->type == XML_ELEMENT_NODE))
				break;
		}
	}
	if (!text.len)
		pm_element_text(body, &text);
	s = pm_clean_text(text.data, text.len, 1, p->max_text);
	pm_buf_release(&text);
	xmlFreeDoc(doc);
	return s;
}

json_t *pm_parse_html_page(const struct pm_decoded *dec, const char *url,
			   const struct pm_parse_opts *opts)
{
	struct page p;
	json_t *out = json_object();
	xmlNode *root, *body;
	const char *v;
	char *s;

	memset(&p, 0, sizeof(p));
	p.max_text = opts && opts->max_text ? opts->max_text : PM_MAX_TEXT_DEFAULT;
	p.meta = json_object();
	p.meta_name = json_object();
	json_object_set_new(out, "kind", json_string("page"));
	{
		static const char *const keys[] = { "title", "byline", "published", "lang", "site_name", "text", NULL };
		for (int i = 0; keys[i]; i++)
			json_object_set_new(out, keys[i], json_null());
	}
	p.doc = dec->len < 0x7fffffff
			? pm_html_read(dec->text, dec->len, url,
				       HTML_PARSE_RECOVER | HTML_PARSE_NONET | HTML_PARSE_NOERROR |
					       HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT)
			: NULL;
	root = p.doc ? xmlDocGetRootElement(p.doc) : NULL;
	if (!root) {
		json_object_set_new(out, "links", json_array());
		json_decref(p.meta);
		json_decref(p.meta_name);
		if (p.doc)
			xmlFreeDoc(p.doc);
		return out;
	}
	collect_meta(&p, root, 0);

	set_str(out, "title", page_title(&p, root));
	set_str(out, "site_name", page_site_name(&p));
	set_str(out, "byline", page_byline(&p, root));
	json_object_set_new(out, "published", page_published(&p, root));

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

	json_t *links = json_array();
	body = body_of(root);
	collect_links(body, links, url, 0);
	/* _private of the first tree's nodes is unused: each pass parses anew */
	s = NULL;
	for (p.pass = 0; p.pass < 4; p.pass++) {
		char *t = main_text(&p, dec, url);
		size_t tl = t ? strlen(t) : 0;
		if (t && (!s || tl > strlen(s))) {
			free(s);
			s = t;
		} else {
			free(t);
		}
		if (s && strlen(s) >= 500)
			break;
	}
	set_str(out, "text", s);
	json_object_set_new(out, "links", links);

	/* _private pointed into p.c: the doc goes first */
	xmlFreeDoc(p.doc);
	free(p.c);
	json_decref(p.meta);
	json_decref(p.meta_name);
	json_decref(p.ld_root);
	return out;
}
