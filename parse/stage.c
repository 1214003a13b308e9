/* parse/stage: raw documents in, articles out. Feed entries that carry only
 * a summary (and whose feed has fetch_pages) go to the pages stream first;
 * their article is written once the page is back. seen: keys keep an
 * unchanged article from being written twice, across feeds and workers. */
#include "parse/stage.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/mem.h"
#include "parse/parse.h"

#include <stdlib.h>
#include <string.h>

#define SEEN_TTL_S (45 * 86400) /* longer than any feed keeps an item */

struct parse_ctx {
	const struct pm_config *cfg;
	struct pm_parser *parser; /* libxml2's contexts, kept between documents */
};

/* Borrowed string member, "" when absent. */
static const char *jstr(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v ? v : "";
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *source_json(const struct pm_source *src, const char *feed_id)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", json_string(src ? src->id : feed_id));
	json_object_set_new(o, "name", str_or_null(src ? src->name : feed_id));
	json_object_set_new(o, "country", str_or_null(src ? src->country : NULL));
	json_object_set_new(o, "region", str_or_null(src ? src->region : NULL));
	json_object_set_new(o, "type", str_or_null(src ? src->type : NULL));
	return o;
}

static json_t *feed_tags_json(const struct pm_source *src)
{
	json_t *a = json_array();

	for (size_t i = 0; src && i < src->ntags; i++)
		json_array_append_new(a, json_string(src->tags[i]));
	return a;
}

/* The value kept under seen:{id}: a hash of what the article says, so that
 * an edited article is written again and an unchanged one is not. */
static void content_hash(json_t *article, char out[17])
{
	const char *fields[] = { "title", "text", "summary", "published" };
	const char *prev = NULL;
	uint64_t h = 0, hv = 0;

	for (size_t i = 0; i < 4; i++) {
		const char *v = json_string_value(json_object_get(article, fields[i]));
		/* summary is often text itself: hashed once */
		if (v != prev)
			hv = v ? pm_hash64_str(v) : 0;
		prev = v;
		h = h * 31 + hv;
	}
	pm_id_hex(h, out);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Orders pointers into ids[] by the id, then by position. */
static int cmp_by_id(const void *a, const void *b)
{
	const char **x = *(const char **const *)a, **y = *(const char **const *)b;
	int c = strcmp(*x, *y);

	return c ? c : (x < y ? -1 : x > y);
}

/* One feed listing an item twice writes it once: seen[i] = 0 for every
 * repeat of an earlier id. Sorted, not compared pairwise: a feed may
 * carry thousands of items. */
static void mark_repeats(const char **ids, size_t m, int *seen)
{
	const char ***order = xcalloc(m + 1, sizeof(*order));

	for (size_t i = 0; i < m; i++)
		order[i] = &ids[i];
	qsort(order, m, sizeof(*order), cmp_by_id);
	for (size_t i = 1; i < m; i++)
		if (!strcmp(*order[i], *order[i - 1]))
			seen[order[i] - ids] = 0;
	free(order);
}

/* Writes the articles not seen before, or changed since, to articles:
 * one MGET for the seen: check of them all, then for each a pipelined unit
 * of its XADD and its seen: mark (both or neither), sent by the stage loop
 * before the raw entry is acknowledged. v[i] NULL is skipped. */
static int emit_articles(struct pm_queue *q, json_t *const *v, size_t n, struct pm_err *err)
{
	const char **ids = xcalloc(n + 1, sizeof(*ids)), **hv = xcalloc(n + 1, sizeof(*hv));
	char (*hash)[17] = xcalloc(n + 1, sizeof(*hash));
	json_t **art = xcalloc(n + 1, sizeof(*art));
	int *seen = xcalloc(n + 1, sizeof(*seen)), rc = 0;
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		const char *id = v[i] ? json_string_value(json_object_get(v[i], "id")) : NULL;

		if (!id)
			continue;
		content_hash(v[i], hash[m]);
		ids[m] = id;
		hv[m] = hash[m];
		art[m++] = v[i];
	}
	if (m && pm_queue_seen_check_many(q, ids, hv, m, seen, err) < 0)
		rc = -1;
	mark_repeats(ids, m, seen);
	for (size_t i = 0; rc == 0 && i < m; i++) {
		if (seen[i] == 0)
			continue;
		pm_queue_pipe_begin(q);
		rc = pm_queue_add_article(q, PM_STREAM_ARTICLES, art[i], err);
		pm_queue_pipe_seen_mark(q, ids[i], hv[i], SEEN_TTL_S);
		pm_queue_pipe_end(q);
	}
	free(ids);
	free(hv);
	free(hash);
	free(art);
	free(seen);
	return rc;
}

static int queue_page(struct pm_queue *q, const char *feed, json_t *stub, struct pm_err *err)
{
	const char *id = json_string_value(json_object_get(stub, "id"));
	const char *url = json_string_value(json_object_get(stub, "url"));
	char *key, *out;
	int seen, rc;

	if (!id || !url)
		return 0;
	key = xasprintf("page:%s", id);
	seen = pm_queue_seen_check(q, key, "1", err);
	if (seen != 1) {
		free(key);
		return seen < 0 ? -1 : 0;
	}
	out = json_dumps(stub, JSON_COMPACT);
	{
		struct pm_field f[3] = { { "feed", feed, strlen(feed) },
					 { "url", url, strlen(url) },
					 { "article", out, strlen(out) } };
		rc = pm_queue_add(q, "pages", f, 3, err);
	}
	free(out);
	if (rc == 0)
		rc = pm_queue_seen_mark(q, key, "1", SEEN_TTL_S, err);
	free(key);
	return rc;
}

/* The response headers fetch passed along (absent in entries of older
 * fetchers and for file: feeds). */
static void header_opts(const struct pm_entry *e, struct pm_parse_opts *opts)
{
	opts->content_location = pm_entry_get(e, "content_location", NULL);
	opts->content_language = pm_entry_get(e, "content_language", NULL);
}

static int handle_page(struct parse_ctx *c, struct pm_queue *q, const struct pm_entry *e,
		       const char *body, size_t len, const char *url, const char *ctype,
		       struct pm_err *err)
{
	struct pm_parse_opts opts = { 0 };
	json_t *stub, *page, *merged;
	struct pm_err perr;
	int rc;

	if (!(stub = pm_entry_object(e, "article", err)))
		return -1;
	header_opts(e, &opts);
	pm_err_init(&perr);
	page = pm_parse_document_with(c->parser, body, len, url, ctype, &opts, &perr);
	if (page && !strcmp(jstr(page, "kind"), "page")) {
		merged = pm_article_merge_page(stub, page);
	} else {
		/* the page is unreadable: keep the feed's summary, lose nothing */
		pm_warn("page_unreadable", "url=%s error=\"%s\"", url, perr.msg);
		merged = json_incref(stub);
	}
	rc = emit_articles(q, &merged, 1, err);
	json_decref(merged);
	json_decref(page);
	json_decref(stub);
	return rc;
}

static int handle(void *vctx, struct pm_queue *q, const struct pm_entry *e, struct pm_err *err)
{
	struct parse_ctx *c = vctx;
	const char *kind = pm_entry_get(e, "kind", NULL);
	const char *feed = pm_entry_get(e, "feed", NULL);
	const char *url = pm_entry_get(e, "final_url", NULL);
	const char *ctype = pm_entry_get(e, "content_type", NULL);
	const char *fetched = pm_entry_get(e, "fetched_at", NULL);
	struct pm_parse_opts opts = { 0 };
	const char *body;
	const struct pm_source *src;
	json_t *doc, *articles, *pages = NULL, *source, *tags, *v;
	size_t len, i;
	int rc = 0;

	if (!url || !*url)
		url = pm_entry_get(e, "url", NULL);
	body = pm_entry_get(e, "body", &len);
	if (!feed || !body)
		return pm_err_set(err, PM_EINPUT, "raw entry %s lacks 'feed' or 'body'", e->id);
	if (kind && !strcmp(kind, "page"))
		return handle_page(c, q, e, body, len, url, ctype, err);

	src = pm_config_source(c->cfg, feed);
	header_opts(e, &opts);
	/* the order of the languages: the feed's own, then the one the
	 * operator set for it in feeds.conf, then the server's header */
	if (src && src->lang && *src->lang)
		opts.content_language = NULL;
	doc = pm_parse_document_with(c->parser, body, len, url, ctype, &opts, err);
	if (!doc)
		return -1;
	if (strcmp(jstr(doc, "kind"), "feed")) {
		json_decref(doc);
		return pm_err_set(err, PM_EINPUT, "feed '%s' at '%s' is not a feed (an HTML page?)",
				  feed, url ? url : "");
	}
	if (json_is_true(json_object_get(doc, "bozo")))
		pm_warn("feed_malformed", "feed=%s reason=\"%s\"", feed,
			jstr(doc, "bozo_reason"));
	source = source_json(src, feed);
	tags = feed_tags_json(src);
	articles = pm_articles_from_feed(doc, source, src ? src->lang : NULL, tags,
					 fetched, src ? src->fetch_pages : 0, &pages);
	json_array_foreach(pages, i, v) {
		if ((rc = queue_page(q, feed, v, err)) < 0)
			break;
	}
	if (rc == 0) {
		/* the articles whose page is fetched are written when it is back */
		size_t n = json_array_size(articles);
		json_t **emit = xcalloc(n + 1, sizeof(*emit));

		/* ids sent to the pages stream, sorted: a feed may send hundreds
		 * of items there, and a scan of them per article was quadratic */
		const char **pid = xcalloc(json_array_size(pages) + 1, sizeof(*pid));
		size_t np = 0, k;
		json_t *p;

		json_array_foreach(pages, k, p) {
			const char *id = json_string_value(json_object_get(p, "id"));
			if (id)
				pid[np++] = id;
		}
		qsort(pid, np, sizeof(*pid), cmp_str);
		json_array_foreach(articles, i, v) {
			const char *id = json_string_value(json_object_get(v, "id"));
			emit[i] = id && np && bsearch(&id, pid, np, sizeof(*pid), cmp_str) ? NULL : v;
		}
		rc = emit_articles(q, emit, n, err);
		free(pid);
		free(emit);
	}
	pm_debug("feed_parsed", "feed=%s entries=%zu pages=%zu", feed,
		 json_array_size(articles), json_array_size(pages));
	json_decref(articles);
	json_decref(pages);
	json_decref(tags);
	json_decref(source);
	json_decref(doc);
	return rc;
}

int pm_parse_stage_init(struct pm_stage *s, const struct pm_config *cfg, struct pm_err *err)
{
	struct parse_ctx *c = xcalloc(1, sizeof(*c));

	(void)err;
	c->cfg = cfg;
	c->parser = pm_parser_new();
	memset(s, 0, sizeof(*s));
	s->name = "parse";
	s->stream = "raw";
	s->handle = handle;
	s->ctx = c;
	/* raw entries carry whole documents (up to max_body each): a few at a
	 * time keep a worker's memory bounded */
	s->max_batch = 8;
	return 0;
}

void pm_parse_stage_release(struct pm_stage *s)
{
	struct parse_ctx *c = s->ctx;

	if (c)
		pm_parser_free(c->parser);
	free(s->ctx);
	s->ctx = NULL;
}
