/* archive/query: reading the archive back — article objects, the filters of
 * 'pressmon query' and 'archive export', counts by key, and the aggregates
 * the daily digest needs. Every user value reaches SQL as a bound parameter. */
#include "archive/archive_int.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/time.h"

#include <stdlib.h>
#include <string.h>

#define MAX_FILL_KEYS 100000 /* bound on zero-filled day/week/month keys */

static json_t *str_or_null(sqlite3_stmt *st, int col)
{
	const char *s = pm_col_text(st, col);
	return s ? json_string(s) : json_null();
}

static int prep(struct pm_archive *a, const char *sql, sqlite3_stmt **st, struct pm_err *err)
{
	if (sqlite3_prepare_v2(a->db, sql, -1, st, NULL) != SQLITE_OK)
		return pm_archive_sqlerr(a, "preparing a query", err);
	return 0;
}

static json_t *real_or_null(sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return json_null();
	return json_real(sqlite3_column_double(st, col));
}

/* Tag order: best score first (no score last), then by name. */
static int cmp_tag(const void *x, const void *y)
{
	json_t *a = *(json_t *const *)x, *b = *(json_t *const *)y;
	json_t *sa = json_object_get(a, "score"), *sb = json_object_get(b, "score");

	if (json_is_number(sa) != json_is_number(sb))
		return json_is_number(sa) ? -1 : 1;
	if (json_is_number(sa) && json_number_value(sa) != json_number_value(sb))
		return json_number_value(sa) > json_number_value(sb) ? -1 : 1;
	return strcmp(json_string_value(json_object_get(a, "tag")),
		      json_string_value(json_object_get(b, "tag")));
}

/* Sorts an article's few tags in C: an ORDER BY set up a sorter (and its
 * allocations) for every article, a tenth of a digest's time. */
static void sort_tags(json_t *tags)
{
	size_t n = json_array_size(tags);
	json_t **v;

	if (n < 2)
		return;
	v = xmalloc(n * sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(tags, i));
	qsort(v, n, sizeof(v[0]), cmp_tag);
	json_array_clear(tags);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(tags, v[i]);
	free(v);
}

/* Every evidence span of an article, by tag: one range scan of the
 * evidence primary key (article, tag, ord) instead of one query per tag —
 * a digest builds 20,000 articles with several tags each. *out (OUT) maps
 * tag -> array. */
static int read_evidence(struct pm_archive *a, int64_t trid, json_t **out, struct pm_err *err)
{
	sqlite3_stmt *ev;
	json_t *by_tag = json_object(), *cur = NULL;
	char *cur_tag = NULL;
	int rc;

	*out = NULL;
	if (pm_archive_cached(a, "SELECT tag, field, pos_start, pos_end, text, rule FROM evidence"
			      " WHERE article = ?1 ORDER BY tag, ord", &ev, err)) {
		json_decref(by_tag);
		return -1;
	}
	sqlite3_bind_int64(ev, 1, trid);
	while ((rc = sqlite3_step(ev)) == SQLITE_ROW) {
		const char *tag = pm_col_text(ev, 0);
		json_t *e = json_object();

		if (!tag)
			tag = "";
		if (!cur_tag || strcmp(cur_tag, tag)) {
			free(cur_tag);
			cur_tag = xstrdup(tag);
			cur = json_array();
			json_object_set_new(by_tag, tag, cur);
		}
		json_object_set_new(e, "field", str_or_null(ev, 1));
		json_object_set_new(e, "start", json_integer(sqlite3_column_int64(ev, 2)));
		json_object_set_new(e, "end", json_integer(sqlite3_column_int64(ev, 3)));
		json_object_set_new(e, "text", str_or_null(ev, 4));
		json_object_set_new(e, "rule", str_or_null(ev, 5));
		json_array_append_new(cur, e);
	}
	sqlite3_reset(ev);
	free(cur_tag);
	if (rc != SQLITE_DONE) {
		json_decref(by_tag);
		return pm_archive_sqlerr(a, "reading evidence", err);
	}
	*out = by_tag;
	return 0;
}

static int build_tags(struct pm_archive *a, int64_t trid, int shape, json_t *art,
		      struct pm_err *err)
{
	sqlite3_stmt *st;
	json_t *tags = json_array(), *evidence = NULL;
	int full = shape == PM_BUILD_FULL;
	int rc;

	json_object_set_new(art, "tags", tags);
	if (full && read_evidence(a, trid, &evidence, err))
		return -1;
	/* cached: a query builds thousands of articles */
	if (pm_archive_cached(a, "SELECT tag, score FROM tags WHERE article = ?1", &st, err)) {
		json_decref(evidence);
		return -1;
	}
	sqlite3_bind_int64(st, 1, trid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *t = json_object();
		json_object_set_new(t, "tag", str_or_null(st, 0));
		json_object_set_new(t, "score", real_or_null(st, 1));
		if (full) {
			const char *tag = pm_col_text(st, 0);
			json_t *evs = tag ? json_object_get(evidence, tag) : NULL;
			json_object_set_new(t, "evidence", evs ? json_incref(evs) : json_array());
		}
		json_array_append_new(tags, t);
	}
	sqlite3_reset(st);
	json_decref(evidence);
	if (rc != SQLITE_DONE)
		return pm_archive_sqlerr(a, "reading tags", err);
	sort_tags(tags);
	return 0;
}

static int build_misinfo(struct pm_archive *a, int64_t trid, int shape, json_t *art,
			 struct pm_err *err)
{
	int full = shape == PM_BUILD_FULL || shape == PM_BUILD_DIGEST;
	sqlite3_stmt *st;
	json_t *mi = json_array();
	int rc;

	json_object_set_new(art, "misinfo", mi);
	if (pm_archive_cached(a, "SELECT claim, sentence, verdict, correction, reference FROM misinfo"
			      " WHERE article = ?1 ORDER BY ord", &st, err))
		return -1;
	sqlite3_bind_int64(st, 1, trid);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *m = json_object();
		json_object_set_new(m, "claim", str_or_null(st, 0));
		if (full)
			json_object_set_new(m, "verdict", str_or_null(st, 2));
		json_object_set_new(m, "sentence", str_or_null(st, 1));
		if (full) {
			json_object_set_new(m, "correction", str_or_null(st, 3));
			json_object_set_new(m, "reference", str_or_null(st, 4));
		}
		json_array_append_new(mi, m);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return pm_archive_sqlerr(a, "reading misinformation flags", err);
	return 0;
}

/* The article columns pm_archive_build reads, in the order article_from_row
 * takes them; the bodies (text, summary, author, fingerprint, extra) are
 * NULL in the shapes that do not show them: SQLite would copy each one out
 * of its overflow pages only for it to be dropped. */
#define ROW_COLS_BODY "a.id, a.url, a.title, a.text, a.summary, a.author, a.published," \
		      " a.fetched, a.lang, a.source_id, a.cluster, a.fingerprint, a.extra"
#define ROW_COLS_LEAN "a.id, a.url, a.title, NULL, NULL, NULL, a.published," \
		      " a.fetched, a.lang, a.source_id, a.cluster, NULL, NULL"
#define ROW_NCOLS 13
/* then, where the sources row s is joined: */
#define ROW_COLS_SOURCE "s.name, s.country, s.region, s.type"

/* The source object of source_id, from the 4 columns of st from column c
 * on (ROW_COLS_SOURCE). */
static json_t *source_object(sqlite3_stmt *st, int c, const char *source_id)
{
	json_t *src = json_object();

	json_object_set_new(src, "id", json_string(source_id));
	json_object_set_new(src, "name", str_or_null(st, c + 0));
	json_object_set_new(src, "country", str_or_null(st, c + 1));
	json_object_set_new(src, "region", str_or_null(st, c + 2));
	json_object_set_new(src, "type", str_or_null(st, c + 3));
	return src;
}

/* The source object of source_id read once per query: *memo maps ids to
 * objects, shared by the query's articles (a week's articles come from a
 * few hundred outlets; a join in the query's own SQL changed its plans). */
static int source_memo(struct pm_archive *a, json_t *memo, const char *source_id,
		       json_t **out, struct pm_err *err)
{
	sqlite3_stmt *st;
	json_t *src = json_object_get(memo, source_id);
	int rc;

	*out = NULL;
	if (src) {
		*out = json_incref(src);
		return 0;
	}
	if (pm_archive_cached(a, "SELECT " ROW_COLS_SOURCE " FROM sources s WHERE s.id = ?1", &st, err))
		return -1;
	sqlite3_bind_text(st, 1, source_id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		src = source_object(st, 0, source_id);
	} else if (rc == SQLITE_DONE) {
		/* as the LEFT JOIN: an id without a row has null fields */
		src = json_pack("{s:s, s:n, s:n, s:n, s:n}", "id", source_id, "name", "country",
				"region", "type");
	}
	sqlite3_reset(st);
	if (!src)
		return pm_archive_sqlerr(a, "reading a source", err);
	json_object_set_new(memo, source_id, src);
	*out = json_incref(src);
	return 0;
}

/* Builds the article object from the ROW_NCOLS columns of st's current
 * row that start at column c (ROW_COLS_*), with its tags and flags read by
 * trid. Its source: from the ROW_COLS_SOURCE columns that follow, or, with
 * memo, from source_memo. shape may carry PM_ARTICLE_NO_TAGS and
 * PM_ARTICLE_NO_MISINFO. */
static int article_from_row(struct pm_archive *a, sqlite3_stmt *st, int c, int64_t trid,
			    int shape, json_t *memo, json_t **out, struct pm_err *err)
{
	json_t *art, *src = NULL;
	int flags = shape & ~PM_ARTICLE_SHAPE;
	int body;
	const char *source_id = pm_col_text(st, c + 9);

	shape &= PM_ARTICLE_SHAPE;
	body = shape != PM_BUILD_DIGEST && shape != PM_BUILD_LEAN;
	*out = NULL;
	if (!source_id)
		src = json_null();
	else if (!memo)
		src = source_object(st, c + ROW_NCOLS, source_id);
	else if (source_memo(a, memo, source_id, &src, err))
		return -1;
	/* DESIGN.md key order: tests and people diff these lines */
	art = json_object();
	json_object_set_new(art, "id", str_or_null(st, c + 0));
	json_object_set_new(art, "url", str_or_null(st, c + 1));
	json_object_set_new(art, "title", str_or_null(st, c + 2));
	if (body) {
		json_object_set_new(art, "text", str_or_null(st, c + 3));
		json_object_set_new(art, "summary", str_or_null(st, c + 4));
		json_object_set_new(art, "author", str_or_null(st, c + 5));
	}
	json_object_set_new(art, "published", str_or_null(st, c + 6));
	json_object_set_new(art, "fetched", str_or_null(st, c + 7));
	json_object_set_new(art, "lang", str_or_null(st, c + 8));
	json_object_set_new(art, "source", src);
	if (!(flags & PM_ARTICLE_NO_TAGS) && build_tags(a, trid, shape, art, err))
		goto fail;
	if (!(flags & PM_ARTICLE_NO_MISINFO) && build_misinfo(a, trid, shape, art, err))
		goto fail;
	json_object_set_new(art, "cluster", str_or_null(st, c + 10));
	if (shape == PM_BUILD_FULL) {
		const char *extra = pm_col_text(st, c + 12);
		json_object_set_new(art, "fingerprint", str_or_null(st, c + 11));
		if (extra) {
			json_t *x = json_loads(extra, 0, NULL);
			if (json_is_object(x))
				json_object_update_missing(art, x);
			json_decref(x);
		}
	}
	*out = art;
	return 0;
fail:
	json_decref(art);
	return -1;
}

int pm_archive_build(struct pm_archive *a, int64_t trid, int shape, json_t **out,
		     struct pm_err *err)
{
	sqlite3_stmt *st;
	int s = shape & PM_ARTICLE_SHAPE;
	int body = s != PM_BUILD_DIGEST && s != PM_BUILD_LEAN;
	int rc, r;

	*out = NULL;
	if (pm_archive_cached(a, body ? "SELECT " ROW_COLS_BODY ", " ROW_COLS_SOURCE " FROM articles a"
			      " LEFT JOIN sources s ON s.id = a.source_id WHERE a.trid = ?1"
			      : "SELECT " ROW_COLS_LEAN ", " ROW_COLS_SOURCE " FROM articles a"
			      " LEFT JOIN sources s ON s.id = a.source_id WHERE a.trid = ?1",
			      &st, err))
		return -1;
	sqlite3_bind_int64(st, 1, trid);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : pm_archive_sqlerr(a, "reading an article", err);
	}
	r = article_from_row(a, st, 0, trid, shape, NULL, out, err);
	sqlite3_reset(st);
	return r;
}

int pm_archive_get(struct pm_archive *a, const char *id, int full, json_t **out,
		   struct pm_err *err)
{
	sqlite3_stmt *st;
	int rc;
	int64_t trid;
	uint64_t rid;

	*out = NULL;
	/* by rid (schema 8 has no index on the text id), then the exact text:
	 * an id whose hex digits differ in case is not this article */
	if (pm_id_parse(id, &rid))
		return 0;
	if (pm_archive_cached(a, "SELECT trid FROM articles WHERE rid = ?1 AND id = ?2", &st, err))
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)rid);
	sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	trid = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? 0 : pm_archive_sqlerr(a, "reading an article", err);
	return pm_archive_build(a, trid, full, out, err);
}

/* The scope test, on an articles row named a, with the tag list as ?3 */
#define IN_SCOPE "(?3 IS NULL OR EXISTS (SELECT 1 FROM tags t WHERE t.article = a.trid" \
		 " AND t.tag IN (SELECT value FROM json_each(?3))))"

void pm_archive_set_scope(struct pm_archive *a, json_t *tags)
{
	free(a->scope);
	a->scope = json_is_array(tags) ? json_dumps(tags, JSON_COMPACT) : NULL;
}

static void bind_scope(struct pm_archive *a, sqlite3_stmt *st, int i)
{
	if (a->scope)
		sqlite3_bind_text(st, i, a->scope, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int pm_archive_each_in_range(struct pm_archive *a, time_t from, time_t to,
			     int (*fn)(void *ctx, json_t *article), void *ctx,
			     struct pm_err *err)
{
	sqlite3_stmt *st;
	json_t *memo = json_object();
	int rc, r = 0;

	/* the article's columns are sorted with its trid (as in
	 * pm_archive_query): fetched again by trid after the sort, every row
	 * of a 20,000-article day was read from the file a second time */
	if (prep(a, "SELECT trid, " ROW_COLS_LEAN " FROM articles a WHERE ts >= ?1 AND ts < ?2 AND "
		    IN_SCOPE " ORDER BY ts, id", &st, err)) {
		json_decref(memo);
		return -1;
	}
	sqlite3_bind_int64(st, 1, (int64_t)from);
	sqlite3_bind_int64(st, 2, (int64_t)to);
	bind_scope(a, st, 3);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *art;
		if (article_from_row(a, st, 1, sqlite3_column_int64(st, 0), PM_BUILD_DIGEST, memo, &art, err)) {
			r = -1;
			break;
		}
		r = fn(ctx, art);
		json_decref(art);
		if (r) {
			r = 0;
			break;
		}
	}
	if (!r && rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = pm_archive_sqlerr(a, "reading articles", err);
	sqlite3_finalize(st);
	json_decref(memo);
	return r;
}

int pm_archive_stats(struct pm_archive *a, time_t from, time_t to,
		     struct pm_archive_stats *out, struct pm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (prep(a, "SELECT count(*), count(DISTINCT a.source_id),"
		    " count(DISTINCT nullif(s.country, '')), count(DISTINCT nullif(a.lang, ''))"
		    " FROM articles a LEFT JOIN sources s ON s.id = a.source_id"
		    " WHERE a.ts >= ?1 AND a.ts < ?2 AND " IN_SCOPE, &st, err))
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)from);
	sqlite3_bind_int64(st, 2, (int64_t)to);
	bind_scope(a, st, 3);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->articles = sqlite3_column_int64(st, 0);
		out->outlets = sqlite3_column_int64(st, 1);
		out->countries = sqlite3_column_int64(st, 2);
		out->languages = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return pm_archive_sqlerr(a, "counting articles", err);
	return 0;
}

int pm_archive_cluster_info(struct pm_archive *a, const char *cluster, time_t *first,
			    long long *size, struct pm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*first = 0;
	*size = 0;
	/* cached: the digest asks once per story */
	if (pm_archive_cached(a, "SELECT first_ts, size FROM clusters WHERE id = ?1", &st, err))
		return -1;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*first = (time_t)sqlite3_column_int64(st, 0);
		*size = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return pm_archive_sqlerr(a, "reading a story cluster", err);
	return 0;
}

int pm_archive_source_counts(struct pm_archive *a, time_t from, time_t to, json_t **out,
			     struct pm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	*out = NULL;
	if (prep(a, "SELECT source_id, count(*) FROM articles WHERE ts >= ?1 AND ts < ?2"
		    " AND source_id IS NOT NULL GROUP BY source_id", &st, err))
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)from);
	sqlite3_bind_int64(st, 2, (int64_t)to);
	*out = json_object();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(*out, pm_col_text(st, 0), json_integer(sqlite3_column_int64(st, 1)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(*out);
		*out = NULL;
		return pm_archive_sqlerr(a, "counting articles per source", err);
	}
	return 0;
}

/* ---- filters ---- */

void pm_query_init(struct pm_query *q)
{
	memset(q, 0, sizeof(*q));
	q->limit = -1;
	q->sort = PM_SORT_PUBLISHED_DESC;
}

int pm_query_set_days(struct pm_query *q, const char *since, const char *until, const char *tz,
		      struct pm_err *err)
{
	int y, m, d;
	time_t s, e;

	if (since) {
		if (pm_date_parse(since, &y, &m, &d))
			return pm_err_set(err, PM_EINPUT, "--since '%s' is not a date YYYY-MM-DD", since);
		if (pm_day_bounds(y, m, d, tz, &s, &e))
			return pm_err_set(err, PM_EINPUT, "--tz '%s' is not a known time zone", tz ? tz : "");
		q->has_since = 1;
		q->since = s;
	}
	if (until) {
		if (pm_date_parse(until, &y, &m, &d))
			return pm_err_set(err, PM_EINPUT, "--until '%s' is not a date YYYY-MM-DD", until);
		if (pm_day_bounds(y, m, d, tz, &s, &e))
			return pm_err_set(err, PM_EINPUT, "--tz '%s' is not a known time zone", tz ? tz : "");
		q->has_until = 1;
		q->until = e; /* whole day, inclusive */
	}
	if (q->has_since && q->has_until && q->since >= q->until)
		return pm_err_set(err, PM_EINPUT, "--since '%s' is after --until '%s'", since, until);
	return 0;
}

int pm_sort_parse(const char *s, enum pm_sort *out)
{
	if (!strcmp(s, "published"))
		*out = PM_SORT_PUBLISHED;
	else if (!strcmp(s, "-published"))
		*out = PM_SORT_PUBLISHED_DESC;
	else if (!strcmp(s, "score"))
		*out = PM_SORT_SCORE;
	else
		return -1;
	return 0;
}

int pm_count_by_parse(const char *s, enum pm_count_by *out)
{
	static const char *const names[] = { "day", "week", "month", "tag", "source",
					     "region", "lang", "type" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*out = (enum pm_count_by)i;
			return 0;
		}
	return -1;
}

/* Bound parameters of a query under construction, in order. */
struct params {
	struct { int is_int; const char *s; int64_t i; } v[128];
	int n;
};

static int add_text(struct params *p, const char *s, struct pm_err *err)
{
	if (p->n >= (int)(sizeof(p->v) / sizeof(p->v[0])))
		return pm_err_set(err, PM_EINPUT, "too many filters (at most 50 tags)");
	p->v[p->n].is_int = 0;
	p->v[p->n++].s = s;
	return 0;
}

static int add_int(struct params *p, int64_t i, struct pm_err *err)
{
	if (p->n >= (int)(sizeof(p->v) / sizeof(p->v[0])))
		return pm_err_set(err, PM_EINPUT, "too many filters (at most 50 tags)");
	p->v[p->n].is_int = 1;
	p->v[p->n++].i = i;
	return 0;
}

static void bind_params(sqlite3_stmt *st, const struct params *p)
{
	for (int i = 0; i < p->n; i++) {
		if (p->v[i].is_int)
			sqlite3_bind_int64(st, i + 1, p->v[i].i);
		else
			sqlite3_bind_text(st, i + 1, p->v[i].s, -1, SQLITE_TRANSIENT);
	}
}

/* A tag filter: exact, or "prefix*" (compared with substr, not GLOB/LIKE,
 * so no user character is a wildcard). Appends SQL on column col. */
static int tag_cond(struct pm_buf *sql, struct params *p, const char *col, const char *tag,
		    char **owned, struct pm_err *err)
{
	size_t n = strlen(tag);

	if (n > 1 && tag[n - 1] == '*') {
		*owned = xstrndup(tag, n - 1);
		pm_buf_addf(sql, "substr(%s, 1, %zu) = ?", col, n - 1);
		return add_text(p, *owned, err);
	}
	pm_buf_addf(sql, "%s = ?", col);
	return add_text(p, tag, err);
}

struct built {
	struct pm_buf sql;
	struct params p;
	char *fts;
	char *owned[128]; /* two per tag at most */
	size_t nowned;
	const char *idx, *tsx; /* the order key (hex id) and time columns of the rows */
};

static void built_release(struct built *b)
{
	pm_buf_release(&b->sql);
	free(b->fts);
	for (size_t i = 0; i < b->nowned; i++)
		free(b->owned[i]);
}

/* The full-text index file is attached at a reader's first text query,
 * so that the reads without text (export, the digest, status) never open
 * it. ATTACH cannot run inside a transaction: a text query inside
 * pm_archive_read_begin finds no index (nothing makes one). */
int pm_archive_can_search(struct pm_archive *a, struct pm_err *err)
{
	if (!a->has_fts)
		pm_archive_fts_attach(a);
	if (a->has_fts)
		return 0;
	return pm_err_set(err, PM_EDEP,
			  "archive '%s' has no full-text index ('%s-fts' is missing or another archive's):"
			  " open it for writing once (pressmon archive import - < /dev/null) to build it",
			  a->path, a->path);
}

long long pm_archive_search_lag(struct pm_archive *a)
{
	sqlite3_stmt *st = NULL;
	long long n = 0;

	if (!a->has_fts)
		return 0;
	/* the queue's rows after the applied one are numbered without gaps
	 * (AUTOINCREMENT; only applied rows are deleted): two look-ups, not
	 * a count */
	if (sqlite3_prepare_v2(a->db, "SELECT coalesce((SELECT max(seq) FROM main.fts_queue), 0)"
				      " - (SELECT v FROM fts.fts_state WHERE k = 'applied')",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n > 0 ? n : 0;
}

/* What a select is for: rows to show (with a score to sort by), rows to
 * show with the article's own columns (ROW_COLS_LEAN) after those three,
 * or only times to count (no score, no rank). */
enum sel_use { SEL_ROWS, SEL_ROWS_LEAN, SEL_COUNT };

/* Builds "SELECT id, ts, score FROM ... WHERE ..." for q (columns named
 * id, ts and score). Plans, checked with EXPLAIN QUERY PLAN on a
 * 1,000,000-article archive (docs/archive.md):
 * - with an exact --tag, the rows come from the tags index (tag, ts): the
 *   tag and the date range are one index range, and the articles table is
 *   joined only when a filter needs its columns (source, lang, region,
 *   type, TEXT) — a count by day of one tag never reads an article;
 * - with TEXT, the date range also bounds the full-text rowid (trid is
 *   ordered by time), so FTS5 reads only that part of each doclist;
 * - bm25 rank is computed only to sort by it. */
static int build_select(struct pm_archive *a, const struct pm_query *q, enum sel_use use,
			enum pm_sort sort, struct built *b, struct pm_err *err)
{
	size_t drive = q->ntags; /* the exact tag whose index drives, if any */
	int need_a, need_s;
	const char *idx, *tsx;

	memset(b, 0, sizeof(*b));
	pm_buf_init(&b->sql, 0);
	if (q->ntags > 50)
		return pm_err_set(err, PM_EINPUT, "too many --tag filters (at most 50)");
	if (q->text && *q->text && pm_fts_translate(q->text, &b->fts, err))
		return -1;
	/* the index is a file of its own (archive/ftsidx.h), which a writer
	 * creates; a reader only attaches it */
	if (b->fts && pm_archive_can_search(a, err))
		return -1;
	for (size_t i = 0; i < q->ntags && drive == q->ntags; i++) {
		size_t n = strlen(q->tags[i]);
		if (!(n > 1 && q->tags[i][n - 1] == '*'))
			drive = i;
	}
	need_s = q->region || q->type;
	/* rows are ordered by time, then by the article's hex id, which only
	 * the articles table has (tags are keyed by trid since schema 5) */
	need_a = use != SEL_COUNT || drive == q->ntags || q->source || q->lang || need_s || b->fts;
	/* idx: the article's key in tags, evidence and misinfo (its trid) */
	idx = drive < q->ntags ? "t0.article" : "a.trid";
	b->idx = "a.id";
	tsx = b->tsx = drive < q->ntags ? "t0.ts" : "a.ts";
	pm_buf_addf(&b->sql, "SELECT %s AS id, %s AS ts, ", idx, tsx);
	if (use == SEL_COUNT || sort != PM_SORT_SCORE) {
		pm_buf_adds(&b->sql, "NULL");
	} else if (b->fts) {
		/* bm25 rank: smaller is better; negate so larger is better like tag scores */
		pm_buf_adds(&b->sql, "-f.rank");
	} else {
		pm_buf_addf(&b->sql, "(SELECT max(t.score) FROM tags t WHERE t.article = %s", idx);
		if (q->ntags) {
			pm_buf_adds(&b->sql, " AND (");
			for (size_t i = 0; i < q->ntags; i++) {
				if (i)
					pm_buf_adds(&b->sql, " OR ");
				if (tag_cond(&b->sql, &b->p, "t.tag", q->tags[i], &b->owned[b->nowned++], err))
					return -1;
			}
			pm_buf_adds(&b->sql, ")");
		}
		pm_buf_adds(&b->sql, ")");
	}
	pm_buf_adds(&b->sql, " AS score");
	if (use == SEL_ROWS_LEAN)
		pm_buf_adds(&b->sql, ", " ROW_COLS_LEAN);
	pm_buf_adds(&b->sql, " FROM ");
	if (drive < q->ntags)
		pm_buf_adds(&b->sql, need_a ? "tags t0 JOIN articles a ON a.trid = t0.article" : "tags t0");
	else
		pm_buf_adds(&b->sql, "articles a");
	if (need_s)
		pm_buf_adds(&b->sql, " LEFT JOIN sources s ON s.id = a.source_id");
	if (b->fts) {
		pm_buf_addf(&b->sql, " JOIN (SELECT rowid AS r%s FROM articles_fts WHERE articles_fts MATCH ?",
			    use != SEL_COUNT && sort == PM_SORT_SCORE ? ", rank" : "");
		if (add_text(&b->p, b->fts, err))
			return -1;
		if (q->has_since) {
			pm_buf_adds(&b->sql, " AND rowid >= ?");
			if (add_int(&b->p, pm_trid_second((int64_t)q->since), err))
				return -1;
		}
		if (q->has_until) {
			pm_buf_adds(&b->sql, " AND rowid < ?");
			if (add_int(&b->p, pm_trid_second((int64_t)q->until), err))
				return -1;
		}
		pm_buf_adds(&b->sql, ") f ON f.r = a.trid");
	}
	pm_buf_adds(&b->sql, " WHERE 1");
	for (size_t i = 0; i < q->ntags; i++) {
		if (i == drive) {
			pm_buf_adds(&b->sql, " AND t0.tag = ?");
			if (add_text(&b->p, q->tags[i], err))
				return -1;
			continue;
		}
		pm_buf_addf(&b->sql, " AND EXISTS (SELECT 1 FROM tags t WHERE t.article = %s AND ", idx);
		if (tag_cond(&b->sql, &b->p, "t.tag", q->tags[i], &b->owned[b->nowned++], err))
			return -1;
		pm_buf_adds(&b->sql, ")");
	}
	if (q->source) {
		pm_buf_adds(&b->sql, " AND a.source_id = ?");
		if (add_text(&b->p, q->source, err))
			return -1;
	}
	if (q->region) {
		pm_buf_adds(&b->sql, " AND s.region = ?");
		if (add_text(&b->p, q->region, err))
			return -1;
	}
	if (q->type) {
		pm_buf_adds(&b->sql, " AND s.type = ?");
		if (add_text(&b->p, q->type, err))
			return -1;
	}
	if (q->lang) {
		pm_buf_adds(&b->sql, " AND a.lang = ?");
		if (add_text(&b->p, q->lang, err))
			return -1;
	}
	if (q->misinfo) {
		pm_buf_addf(&b->sql, " AND EXISTS (SELECT 1 FROM misinfo m WHERE m.article = %s AND m.claim = ?)", idx);
		if (add_text(&b->p, q->misinfo, err))
			return -1;
	}
	if (q->has_since) {
		pm_buf_addf(&b->sql, " AND %s >= ?", tsx);
		if (add_int(&b->p, (int64_t)q->since, err))
			return -1;
	}
	if (q->has_until) {
		pm_buf_addf(&b->sql, " AND %s < ?", tsx);
		if (add_int(&b->p, (int64_t)q->until, err))
			return -1;
	}
	return 0;
}

/* Prepares b's SQL; an FTS syntax error that slipped past the translator
 * is still the user's query, so it is reported as input. */
static int prepare_built(struct pm_archive *a, struct built *b, sqlite3_stmt **st,
			 struct pm_err *err)
{
	if (sqlite3_prepare_v2(a->db, pm_buf_str(&b->sql), -1, st, NULL) != SQLITE_OK)
		return pm_archive_sqlerr(a, "preparing the query", err);
	bind_params(*st, &b->p);
	return 0;
}

static int step_err(struct pm_archive *a, struct built *b, struct pm_err *err)
{
	if (b->fts && strstr(sqlite3_errmsg(a->db), "fts5"))
		return pm_err_set(err, PM_EINPUT, "query: %s", sqlite3_errmsg(a->db));
	return pm_archive_sqlerr(a, "running the query", err);
}

static int query_rows(struct pm_archive *a, const struct pm_query *q, int full,
		      int (*fn)(void *ctx, json_t *article), void *ctx, struct pm_err *err)
{
	struct built b;
	sqlite3_stmt *st = NULL;
	json_t *memo = NULL;
	int rc, ret = -1;
	/* Without bodies or a --limit, the sort carries the article's columns
	 * and each row is built from them. Fetched again by trid after the
	 * sort, every row's page had left SQLite's page cache while the sort
	 * filled up and was read from the file a second time: a week's phrase
	 * query made 4,963 reads for 2,581 rows (the sqlite3 shell, carrying
	 * its columns: 2,522). Bodies (2 KB apiece) are too much to sort; with
	 * a --limit SQLite keeps only the first rows of the sort, and carrying
	 * the columns of every candidate cost more than reading the few kept
	 * again (a day of 20,000 with --limit 2000: 1.2x the time). */
	enum sel_use use = (full & PM_ARTICLE_SHAPE) == PM_BUILD_LEAN && q->limit < 0
			   ? SEL_ROWS_LEAN : SEL_ROWS;

	if (build_select(a, q, use, q->sort, &b, err))
		goto out;
	/* qualified: "ts" alone is ambiguous when tags and articles are joined */
	switch (q->sort) {
	case PM_SORT_PUBLISHED:
		pm_buf_addf(&b.sql, " ORDER BY %s IS NULL, %s, %s", b.tsx, b.tsx, b.idx);
		break;
	case PM_SORT_PUBLISHED_DESC:
		pm_buf_addf(&b.sql, " ORDER BY %s IS NULL, %s DESC, %s", b.tsx, b.tsx, b.idx);
		break;
	case PM_SORT_SCORE:
		pm_buf_addf(&b.sql, " ORDER BY score IS NULL, score DESC, %s DESC, %s", b.tsx, b.idx);
		break;
	}
	/* no LIMIT clause without paging: with one, SQLite sorts into an
	 * ephemeral B-tree (to keep only the first rows) whose page-sized
	 * allocations were a tenth of a week's phrase query; without, its
	 * sorter sorts in a few large blocks */
	if (q->limit >= 0 || q->offset > 0) {
		pm_buf_adds(&b.sql, " LIMIT ? OFFSET ?");
		if (add_int(&b.p, q->limit < 0 ? -1 : q->limit, err) ||
		    add_int(&b.p, q->offset < 0 ? 0 : q->offset, err))
			goto out;
	}
	if (prepare_built(a, &b, &st, err))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *art;
		int64_t trid = sqlite3_column_int64(st, 0);
		int r;

		if (use == SEL_ROWS_LEAN) {
			if (!memo)
				memo = json_object();
			r = article_from_row(a, st, 3, trid, full, memo, &art, err);
		} else {
			r = pm_archive_build(a, trid, full, &art, err);
		}
		if (r)
			goto out;
		if (!art)
			continue;
		r = fn(ctx, art);
		json_decref(art);
		if (r)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		step_err(a, &b, err);
		goto out;
	}
	ret = 0;
out:
	json_decref(memo);
	sqlite3_finalize(st);
	built_release(&b);
	return ret;
}

/* ---- counts ---- */

static void day_key(enum pm_count_by by, int64_t days, char *out, size_t n)
{
	int y, m, d;

	pm_civil_from_days(days, &y, &m, &d);
	if (by == PM_BY_DAY) {
		snprintf(out, n, "%04d-%02d-%02d", y, m, d);
	} else if (by == PM_BY_MONTH) {
		snprintf(out, n, "%04d-%02d", y, m);
	} else {
		/* ISO 8601 week: the week's Thursday decides the year */
		int wd = (int)(((days + 3) % 7 + 7) % 7); /* 0 = Monday; 1970-01-01 was a Thursday */
		int64_t thu = days - wd + 3;
		int ty, tm, td;
		pm_civil_from_days(thu, &ty, &tm, &td);
		int64_t jan1 = pm_days_from_civil(ty, 1, 1);
		snprintf(out, n, "%04d-W%02d", ty, (int)((thu - jan1) / 7 + 1));
	}
}

/* Local day number (days since 1970-01-01 of the local date) of t in tz. */
static int local_days(time_t t, const char *tz, int64_t *out)
{
	char day[11];
	int y, m, d;

	if (pm_local_date(t, tz, day) || pm_date_parse(day, &y, &m, &d))
		return -1;
	*out = pm_days_from_civil(y, m, d);
	return 0;
}

/* Whether a count by time of q can be read from tag_quarters: one tag
 * without a wildcard, no other filter, and bounds on quarter hours (a
 * day's bound in any of today's time zones is one). */
static int by_tag_quarters(const struct pm_query *q)
{
	size_t n;

	if (q->ntags != 1 || !q->tags[0] || !*q->tags[0])
		return 0;
	n = strlen(q->tags[0]);
	if (q->tags[0][n - 1] == '*')
		return 0;
	if (q->source || q->region || q->lang || q->type || q->misinfo || (q->text && *q->text))
		return 0;
	if ((q->has_since && (int64_t)q->since % 900) || (q->has_until && (int64_t)q->until % 900))
		return 0;
	return 1;
}

static int count_time(struct pm_archive *a, const struct pm_query *q, enum pm_count_by by,
		      const char *tz, json_t *rows, struct pm_err *err)
{
	struct built b;
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;
	int64_t first = 0, last = 0, cur_day = 0;
	time_t day_start = 0, day_end = 0;
	int have = 0;
	int64_t *days = NULL;
	long long *counts = NULL;
	size_t nd = 0, alloc = 0, alloc2 = 0;
	/* SQLite counts per quarter hour, C turns quarters into local days:
	 * every time zone's day starts on a quarter hour today, so a quarter
	 * never straddles two days; if one does (an old local mean time), the
	 * count starts again per second */
	int64_t quarter = 900;

again:
	if (quarter == 900 && by_tag_quarters(q)) {
		/* one exact tag and at most a date range: the per-quarter counts
		 * (schema 7) hold the answer already */
		memset(&b, 0, sizeof(b));
		pm_buf_init(&b.sql, 0);
		pm_buf_adds(&b.sql, "SELECT q * 900 AS k, sum(n) FROM tag_quarters WHERE tag = ?");
		if (add_text(&b.p, q->tags[0], err))
			goto out;
		if (q->has_since) {
			pm_buf_adds(&b.sql, " AND q >= ?");
			if (add_int(&b.p, (int64_t)q->since / 900, err))
				goto out;
		}
		if (q->has_until) {
			pm_buf_adds(&b.sql, " AND q < ?");
			if (add_int(&b.p, (int64_t)q->until / 900, err))
				goto out;
		}
		pm_buf_adds(&b.sql, " GROUP BY q HAVING sum(n) > 0 ORDER BY q");
	} else if (build_select(a, q, SEL_COUNT, PM_SORT_PUBLISHED, &b, err)) {
		goto out;
	} else {
		struct pm_buf w = PM_BUF_INIT;
		pm_buf_addf(&w, "SELECT ts - ((ts %% %lld) + %lld) %% %lld AS k, count(*) FROM (%s)"
				" WHERE ts IS NOT NULL GROUP BY k ORDER BY k",
			    (long long)quarter, (long long)quarter, (long long)quarter, pm_buf_str(&b.sql));
		pm_buf_release(&b.sql);
		b.sql = w;
	}
	if (prepare_built(a, &b, &st, err))
		goto out;
	/* rows come in time order: local day bounds are computed once per day
	 * that has articles, not once per row */
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		time_t t = (time_t)sqlite3_column_int64(st, 0);
		if (have && t < day_end && t + quarter > day_end && quarter > 1) {
			sqlite3_finalize(st);
			st = NULL;
			built_release(&b);
			nd = 0;
			have = 0;
			quarter = 1;
			goto again;
		}
		if (!have || t >= day_end || t < day_start) {
			int y, m, d;
			if (local_days(t, tz, &cur_day)) {
				pm_err_set(err, PM_EINPUT, "--tz '%s' is not a known time zone", tz ? tz : "");
				goto out;
			}
			pm_civil_from_days(cur_day, &y, &m, &d);
			pm_day_bounds(y, m, d, tz, &day_start, &day_end);
			have = 1;
			if (!nd || days[nd - 1] != cur_day) {
				XGROW(days, alloc, nd + 1);
				XGROW(counts, alloc2, nd + 1);
				days[nd] = cur_day;
				counts[nd++] = 0;
			}
			if (t + quarter > day_end && quarter > 1) {
				/* this quarter straddles the new day's end */
				sqlite3_finalize(st);
				st = NULL;
				built_release(&b);
				nd = 0;
				have = 0;
				quarter = 1;
				goto again;
			}
		}
		counts[nd - 1] += sqlite3_column_int64(st, 1);
	}
	if (rc != SQLITE_DONE) {
		step_err(a, &b, err);
		goto out;
	}
	/* the range to fill: since/until when given, else the data's own */
	if (q->has_since && local_days(q->since, tz, &first) == 0)
		;
	else if (nd)
		first = days[0];
	if (q->has_until && local_days(q->until - 1, tz, &last) == 0)
		;
	else if (nd)
		last = days[nd - 1];
	if (!nd && !(q->has_since && q->has_until)) {
		ret = 0;
		goto out;
	}
	if (last - first > MAX_FILL_KEYS)
		first = last - MAX_FILL_KEYS; /* bound: older keys are dropped */
	{
		char key[16], prev[16] = "";
		size_t j = 0;
		json_t *row = NULL;
		for (int64_t dd = first; dd <= last; dd++) {
			long long c = 0;
			while (j < nd && days[j] < dd)
				j++;
			if (j < nd && days[j] == dd)
				c = counts[j];
			day_key(by, dd, key, sizeof(key));
			if (!row || strcmp(key, prev)) {
				row = json_object();
				json_object_set_new(row, "key", json_string(key));
				json_object_set_new(row, "count", json_integer(0));
				json_array_append_new(rows, row);
				snprintf(prev, sizeof(prev), "%s", key);
			}
			json_object_set_new(row, "count",
					    json_integer(json_integer_value(json_object_get(row, "count")) + c));
		}
	}
	ret = 0;
out:
	free(days);
	free(counts);
	sqlite3_finalize(st);
	built_release(&b);
	return ret;
}

static int count_rows(struct pm_archive *a, const struct pm_query *q, enum pm_count_by by,
		      const char *tz, json_t **rows, struct pm_err *err)
{
	struct built b;
	struct pm_buf sql = PM_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc, ret = -1;
	const char *key;

	*rows = json_array();
	if (by == PM_BY_DAY || by == PM_BY_WEEK || by == PM_BY_MONTH) {
		if (count_time(a, q, by, tz, *rows, err)) {
			json_decref(*rows);
			*rows = NULL;
			return -1;
		}
		return 0;
	}
	if (build_select(a, q, SEL_COUNT, PM_SORT_PUBLISHED, &b, err))
		goto out;
	switch (by) {
	case PM_BY_TAG: key = "t.tag"; break;
	case PM_BY_SOURCE: key = "sel.source_id"; break;
	case PM_BY_REGION: key = "sel.region"; break;
	case PM_BY_LANG: key = "sel.lang"; break;
	default: key = "sel.type"; break;
	}
	/* the filtered ids, then the key of each: columns come from the join */
	pm_buf_addf(&sql, "WITH ids AS (%s), sel AS (SELECT a.trid, a.source_id, a.lang, s.region, s.type"
			  " FROM ids JOIN articles a ON a.trid = ids.id LEFT JOIN sources s ON s.id = a.source_id)"
			  " SELECT coalesce(nullif(%s, ''), 'unknown') AS k, count(*) AS c FROM sel%s"
			  " GROUP BY k ORDER BY c DESC, k",
		    pm_buf_str(&b.sql), key,
		    by == PM_BY_TAG ? " JOIN tags t ON t.article = sel.trid" : "");
	pm_buf_release(&b.sql);
	b.sql = sql;
	memset(&sql, 0, sizeof(sql));
	if (prepare_built(a, &b, &st, err))
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_object();
		json_object_set_new(row, "key", json_string(pm_col_text(st, 0)));
		json_object_set_new(row, "count", json_integer(sqlite3_column_int64(st, 1)));
		json_array_append_new(*rows, row);
	}
	if (rc != SQLITE_DONE) {
		step_err(a, &b, err);
		goto out;
	}
	ret = 0;
out:
	if (ret) {
		json_decref(*rows);
		*rows = NULL;
	}
	sqlite3_finalize(st);
	built_release(&b);
	return ret;
}

/* A writer's own text query (tests, tools holding the writer): its full-
 * text index is written by another thread into another file, which the
 * writer's connection does not hold attached (its write transactions
 * would lock that file too): the index catches up, is attached for the
 * query (pm_archive_can_search) and detached again. */
static int writer_text_begin(struct pm_archive *a, const struct pm_query *q, struct pm_err *err)
{
	if (a->mode != PM_ARCHIVE_WRITE || !q->text || !*q->text)
		return 0;
	if (a->in_batch)
		return pm_err_set(err, PM_ERUNTIME, "archive '%s': no text query inside a batch", a->path);
	return pm_archive_sync(a, err);
}

int pm_archive_query(struct pm_archive *a, const struct pm_query *q, int full,
		     int (*fn)(void *ctx, json_t *article), void *ctx, struct pm_err *err)
{
	int ret;

	if (writer_text_begin(a, q, err))
		return -1;
	ret = query_rows(a, q, full, fn, ctx, err);
	if (a->mode == PM_ARCHIVE_WRITE)
		pm_archive_fts_detach(a);
	return ret;
}

int pm_archive_count_by(struct pm_archive *a, const struct pm_query *q, enum pm_count_by by,
			const char *tz, json_t **rows, struct pm_err *err)
{
	int ret;

	*rows = NULL;
	if (writer_text_begin(a, q, err))
		return -1;
	ret = count_rows(a, q, by, tz, rows, err);
	if (a->mode == PM_ARCHIVE_WRITE)
		pm_archive_fts_detach(a);
	return ret;
}
