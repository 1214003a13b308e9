/* tests/unit/test_archive_read.c: how the digest reads the archive — one
 * snapshot that a committing writer does not disturb, and the digest shape
 * of an article (no bodies, no evidence, misinfo with its correction) —
 * and the lean shape a query without body fields reads, built from the
 * columns sorted with its rows. */
#include "archive/archive.h"
#include "archive/archive_int.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/time.h"
#include "testlib.h"

#include <sqlite3.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

static json_t *article(const char *id, const char *published)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s,s:s,s:s},"
			 "s:[{s:s,s:f,s:[{s:s,s:i,s:i,s:s,s:s}]}],"
			 "s:[{s:s,s:s,s:s,s:s,s:s}]}",
			 "id", id, "url", "https://example.org/a", "title", "A headline",
			 "text", "The body of the article, which a digest never shows.",
			 "summary", "A summary.", "author", "A. Writer", "published", published,
			 "source", "id", "src-1", "name", "Outlet One", "country", "ZZ",
			 "region", "africa", "type", "commercial",
			 "tags", "tag", "icc", "score", 2.0, "evidence", "field", "text",
			 "start", 0, "end", 3, "text", "The", "rule", "icc/en",
			 "misinfo", "claim", "icc-is-un-court", "sentence", "A sentence.",
			 "verdict", "false", "correction", "A correction.",
			 "reference", "Rome Statute, art. 2");
}

static int collect(void *ctx, json_t *art)
{
	json_array_append((json_t *)ctx, art);
	return 0;
}

static long long count_day(struct pm_archive *a, time_t from, time_t to)
{
	struct pm_archive_stats st;
	struct pm_err err;

	pm_err_init(&err);
	if (pm_archive_stats(a, from, to, &st, &err)) {
		fprintf(stderr, "stats: %s\n", err.msg);
		return -1;
	}
	return st.articles;
}

static void test_snapshot(void)
{
	char *path = xasprintf("%s/snap.db", tmpdir);
	struct pm_archive *w = NULL, *r = NULL;
	struct pm_err err;
	json_t *o;
	time_t from, to;

	TEST("read snapshot");
	pm_err_init(&err);
	CHECK(pm_day_bounds(2026, 6, 15, "UTC", &from, &to) == 0);
	CHECK(pm_archive_open(path, PM_ARCHIVE_WRITE, &w, &err) == 0);
	o = article("00000000000000a1", "2026-06-15T08:00:00Z");
	CHECK(pm_archive_put(w, o, &err) == 0);
	json_decref(o);
	CHECK(pm_archive_open(path, PM_ARCHIVE_READ, &r, &err) == 0);
	CHECK(pm_archive_read_begin(r, &err) == 0);
	CHECK_INT(count_day(r, from, to), 1);
	/* the worker commits a second article while the digest reads */
	o = article("00000000000000a2", "2026-06-15T09:00:00Z");
	CHECK(pm_archive_put(w, o, &err) == 0);
	json_decref(o);
	CHECK_INT(count_day(r, from, to), 1);
	pm_archive_read_end(r);
	CHECK_INT(count_day(r, from, to), 2);
	pm_archive_read_end(r); /* twice, or without a read: harmless */
	/* a snapshot cannot start inside a writer's batch */
	CHECK(pm_archive_begin(w, &err) == 0);
	CHECK(pm_archive_read_begin(w, &err) == -1);
	CHECK(strstr(err.msg, "batch") != NULL);
	CHECK(pm_archive_commit(w, &err) == 0);
	pm_archive_close(r);
	pm_archive_close(w);
	free(path);
}

static void test_digest_shape(void)
{
	char *path = xasprintf("%s/shape.db", tmpdir);
	struct pm_archive *a = NULL;
	struct pm_err err;
	json_t *o, *got = json_array(), *art, *tag, *mi;
	time_t from, to;

	TEST("digest shape");
	pm_err_init(&err);
	CHECK(pm_day_bounds(2026, 6, 15, "UTC", &from, &to) == 0);
	CHECK(pm_archive_open(path, PM_ARCHIVE_WRITE, &a, &err) == 0);
	o = article("00000000000000b1", "2026-06-15T08:00:00Z");
	CHECK(pm_archive_put(a, o, &err) == 0);
	json_decref(o);
	CHECK(pm_archive_each_in_range(a, from, to, collect, got, &err) == 0);
	CHECK_INT((long long)json_array_size(got), 1);
	art = json_array_get(got, 0);
	CHECK_STR(json_string_value(json_object_get(art, "id")), "00000000000000b1");
	CHECK_STR(json_string_value(json_object_get(art, "title")), "A headline");
	CHECK(json_object_get(art, "text") == NULL);
	CHECK(json_object_get(art, "summary") == NULL);
	CHECK(json_object_get(art, "author") == NULL);
	CHECK_STR(json_string_value(json_object_get(json_object_get(art, "source"), "region")),
		  "africa");
	tag = json_array_get(json_object_get(art, "tags"), 0);
	CHECK_STR(json_string_value(json_object_get(tag, "tag")), "icc");
	CHECK(json_object_get(tag, "evidence") == NULL);
	mi = json_array_get(json_object_get(art, "misinfo"), 0);
	CHECK_STR(json_string_value(json_object_get(mi, "claim")), "icc-is-un-court");
	CHECK_STR(json_string_value(json_object_get(mi, "correction")), "A correction.");
	CHECK_STR(json_string_value(json_object_get(mi, "reference")), "Rome Statute, art. 2");
	{
		/* the lean query shape: the brief one without the bodies */
		struct pm_query q;
		json_t *lean = json_array(), *l;
		pm_query_init(&q);
		CHECK(pm_archive_query(a, &q, PM_ARTICLE_LEAN, collect, lean, &err) == 0);
		CHECK_INT((long long)json_array_size(lean), 1);
		l = json_array_get(lean, 0);
		CHECK_STR(json_string_value(json_object_get(l, "title")), "A headline");
		CHECK(json_object_get(l, "text") == NULL && json_object_get(l, "summary") == NULL);
		CHECK(json_object_get(l, "author") == NULL);
		mi = json_array_get(json_object_get(l, "misinfo"), 0);
		CHECK_STR(json_string_value(json_object_get(mi, "claim")), "icc-is-un-court");
		CHECK(json_object_get(mi, "correction") == NULL); /* as in the brief shape */
		CHECK(json_object_get(json_array_get(json_object_get(l, "tags"), 0), "evidence") == NULL);
		json_decref(lean);
	}
	/* the full shape still carries what the digest shape leaves out */
	CHECK(pm_archive_get(a, "00000000000000b1", 1, &o, &err) == 0 && o);
	if (o) {
		CHECK(json_object_get(o, "text") != NULL);
		tag = json_array_get(json_object_get(o, "tags"), 0);
		CHECK_INT((long long)json_array_size(json_object_get(tag, "evidence")), 1);
		json_decref(o);
	}
	json_decref(got);
	pm_archive_close(a);
	{
		/* the day counts of the headline read the time index alone: it
		 * holds every column they need (schema 6) */
		sqlite3 *db = NULL;
		sqlite3_stmt *st = NULL;
		int covering = 0;
		CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
		CHECK(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT count(*), count(DISTINCT source_id),"
					 " count(DISTINCT lang), max(trid) FROM articles WHERE ts >= 0 AND ts < 99",
					 -1, &st, NULL) == SQLITE_OK);
		while (st && sqlite3_step(st) == SQLITE_ROW)
			if (strstr((const char *)sqlite3_column_text(st, 3), "COVERING INDEX articles_ts"))
				covering = 1;
		sqlite3_finalize(st);
		sqlite3_close(db);
		CHECK(covering);
	}
	free(path);
}

/* count by day of one tag (read from tag_quarters) against the same count
 * through the tag rows (the tag given twice takes that path) */
static char *day_counts(struct pm_archive *a, int twice, const char *tz, int bounded)
{
	const char *tags[2] = { "icc", "icc" };
	struct pm_query q;
	struct pm_err err;
	json_t *rows = NULL;
	char *s;

	pm_query_init(&q);
	q.tags = tags;
	q.ntags = twice ? 2 : 1;
	if (bounded)
		CHECK(pm_query_set_days(&q, "2026-06-14", "2026-06-17", tz, &err) == 0);
	pm_err_init(&err);
	if (pm_archive_count_by(a, &q, PM_BY_DAY, tz, &rows, &err)) {
		fprintf(stderr, "count: %s\n", err.msg);
		return xstrdup("ERR");
	}
	s = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);
	return s;
}

static void check_counts_agree(struct pm_archive *a, const char *what)
{
	static const char *const tzs[] = { "UTC", "Asia/Kathmandu", "America/St_Johns", "Pacific/Chatham" };

	for (size_t i = 0; i < sizeof(tzs) / sizeof(tzs[0]); i++)
		for (int bounded = 0; bounded < 2; bounded++) {
			char *fast = day_counts(a, 0, tzs[i], bounded), *slow = day_counts(a, 1, tzs[i], bounded);
			if (strcmp(fast, slow))
				fprintf(stderr, "%s, %s: %s against %s\n", what, tzs[i], fast, slow);
			CHECK_STR(fast, slow);
			free(fast);
			free(slow);
		}
}

static void test_tag_quarters(void)
{
	char *path = xasprintf("%s/quarters.db", tmpdir);
	struct pm_archive *a = NULL;
	struct pm_err err;
	char id[17], when[32];
	json_t *o;
	long long deleted, stripped;

	TEST("per-quarter tag counts agree with the tag rows");
	pm_err_init(&err);
	CHECK(pm_archive_open(path, PM_ARCHIVE_WRITE, &a, &err) == 0);
	/* 40 articles over three days at odd minutes, across day bounds of
	 * zones 5:45, -3:30 and 12:45 from UTC */
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "00000000000c%04x", i);
		snprintf(when, sizeof(when), "2026-06-%02dT%02d:%02d:00Z", 14 + i % 3, (i * 7) % 24,
			 (i * 13) % 60);
		o = article(id, when);
		CHECK(pm_archive_put(a, o, &err) == 0);
		json_decref(o);
	}
	check_counts_agree(a, "after puts");
	/* a changed article moves to another day */
	o = article("00000000000c0003", "2026-06-16T23:59:00Z");
	json_object_set_new(o, "title", json_string("A changed headline"));
	CHECK(pm_archive_put(a, o, &err) == 0);
	json_decref(o);
	check_counts_agree(a, "after a replacement");
	CHECK(pm_archive_prune(a, (time_t)1781481600 /* 2026-06-15 */, 0, &deleted, &stripped, &err) == 0);
	CHECK(deleted > 0);
	check_counts_agree(a, "after prune");
	{
		char *fast = day_counts(a, 0, "UTC", 1);
		CHECK(strstr(fast, "\"2026-06-16\"") != NULL);
		free(fast);
	}
	pm_archive_close(a);
	free(path);
}

/* tag_quarters holds, for every tag and quarter, the number of its tag
 * rows: both ways of the difference are empty (quarters at 0 aside). */
static int quarters_match(struct pm_archive *a)
{
	static const char *const sql =
		"WITH want AS (SELECT tag, (ts - ((ts % 900) + 900) % 900) / 900 AS q, count(*) AS n"
		"  FROM tags WHERE ts IS NOT NULL GROUP BY 1, 2),"
		" have AS (SELECT tag, q, n FROM tag_quarters WHERE n <> 0)"
		" SELECT (SELECT count(*) FROM (SELECT * FROM want EXCEPT SELECT * FROM have))"
		"      + (SELECT count(*) FROM (SELECT * FROM have EXCEPT SELECT * FROM want)),"
		"      (SELECT count(*) FROM tags)";
	sqlite3_stmt *st;
	int diff = -1;

	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 1) > 0)
		diff = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return diff == 0;
}

/* Schema 9: the writer counts a batch's tag rows into tag_quarters at
 * commit; a replacement of an article of the same batch, a tag given
 * twice, a second tag, an article without a time and a rolled-back batch
 * leave the counts equal to the rows. */
static void test_tag_quarters_batch(void)
{
	char *path = xasprintf("%s/quarters-batch.db", tmpdir);
	struct pm_archive *a = NULL;
	struct pm_err err;
	char id[17], when[32];
	json_t *o;

	TEST("per-quarter tag counts of batches agree with the tag rows");
	pm_err_init(&err);
	CHECK(pm_archive_open(path, PM_ARCHIVE_WRITE, &a, &err) == 0);
	CHECK(pm_archive_begin(a, &err) == 0);
	for (int i = 0; i < 30; i++) {
		json_t *tags;
		snprintf(id, sizeof(id), "00000000000d%04x", i);
		snprintf(when, sizeof(when), "2026-06-%02dT%02d:%02d:00Z", 14 + i % 3, (i * 5) % 24,
			 (i * 17) % 60);
		o = article(id, when);
		tags = json_object_get(o, "tags");
		if (i % 4 == 1) /* the same tag again: one row */
			json_array_append_new(tags, json_pack("{s:s,s:f}", "tag", "icc", "score", 3.0));
		if (i % 5 == 2)
			json_array_append_new(tags, json_pack("{s:s,s:f}", "tag", "arrest-warrant", "score", 1.0));
		if (i == 7) { /* no time at all */
			json_object_del(o, "published");
		}
		CHECK(pm_archive_put(a, o, &err) == 0);
		json_decref(o);
	}
	/* an article of this batch changed: to another day, other tags */
	o = article("00000000000d0004", "2026-06-16T23:59:00Z");
	json_object_set_new(o, "title", json_string("A changed headline"));
	json_array_append_new(json_object_get(o, "tags"), json_pack("{s:s,s:f}", "tag", "unsc-referral", "score", 1.0));
	CHECK(pm_archive_put(a, o, &err) == 0);
	json_decref(o);
	CHECK(pm_archive_commit(a, &err) == 0);
	CHECK(quarters_match(a));
	check_counts_agree(a, "after a batch");
	/* a batch rolled back counts nothing */
	CHECK(pm_archive_begin(a, &err) == 0);
	o = article("00000000000e0001", "2026-06-15T10:00:00Z");
	CHECK(pm_archive_put(a, o, &err) == 0);
	json_decref(o);
	CHECK(pm_archive_rollback(a) == 0);
	CHECK(quarters_match(a));
	/* and the next batch counts only its own */
	CHECK(pm_archive_begin(a, &err) == 0);
	o = article("00000000000e0002", "2026-06-15T10:07:00Z");
	CHECK(pm_archive_put(a, o, &err) == 0);
	json_decref(o);
	CHECK(pm_archive_commit(a, &err) == 0);
	CHECK(quarters_match(a));
	pm_archive_close(a);
	free(path);
}

/* An article of the lean-query test: source i % 4 (3: none), tags by i. */
static json_t *lean_article(int i)
{
	static const char *const src[] = { "src-a", "src-b", "src-c" };
	char id[17], pub[32];
	json_t *o;

	snprintf(id, sizeof(id), "%016x", 0x5000 + i * 7919);
	snprintf(pub, sizeof(pub), "2026-06-%02dT%02d:00:00Z", 10 + i % 5, i % 3); /* ties in time */
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:f}],s:[]}", "id", id, "url", "https://example.org/l",
		      "title", i % 2 ? "The court, \"quoted\"" : "Another court story",
		      "text", "A body the lean shape never reads.", "published", pub,
		      "tags", "tag", "icc", "score", 1.0 + i % 3, "misinfo");
	if (i % 4 < 3)
		json_object_set_new(o, "source", json_pack("{s:s,s:s,s:s}", "id", src[i % 4], "name",
							  "Outlet", "region", i % 4 ? "europe" : "africa"));
	else
		json_object_set_new(o, "source", json_null());
	if (i % 3 == 0)
		json_array_append_new(json_object_get(o, "tags"), json_pack("{s:s,s:n}", "tag", "unsc-referral", "score"));
	if (i % 5 == 0)
		json_array_append_new(json_object_get(o, "misinfo"),
				      json_pack("{s:s,s:s}", "claim", "icc-is-un-court", "sentence", "One."));
	return o;
}

/* The lean rows of a query (their columns sorted with them, or fetched
 * again by trid under a --limit) against each article read alone, less
 * what the flags leave out; *n (OUT) is how many rows came. */
static int lean_rows_agree(struct pm_archive *a, struct pm_query *q, int flags, long long *n)
{
	json_t *got = json_array(), *art;
	struct pm_err err;
	size_t i;
	int ok = 1;

	pm_err_init(&err);
	if (pm_archive_query(a, q, PM_ARTICLE_LEAN | flags, collect, got, &err)) {
		fprintf(stderr, "query: %s\n", err.msg);
		json_decref(got);
		return 0;
	}
	*n = (long long)json_array_size(got);
	json_array_foreach(got, i, art) {
		json_t *want = NULL;
		char *x, *y;
		if (pm_archive_get(a, json_string_value(json_object_get(art, "id")), 0, &want, &err) || !want) {
			ok = 0;
			break;
		}
		json_object_del(want, "text");
		json_object_del(want, "summary");
		json_object_del(want, "author");
		if (flags & PM_ARTICLE_NO_TAGS)
			json_object_del(want, "tags");
		if (flags & PM_ARTICLE_NO_MISINFO)
			json_object_del(want, "misinfo");
		/* key order too: output is diffed */
		x = json_dumps(art, JSON_COMPACT);
		y = json_dumps(want, JSON_COMPACT);
		if (strcmp(x, y)) {
			fprintf(stderr, "lean row differs:\n  %s\n  %s\n", x, y);
			ok = 0;
		}
		free(x);
		free(y);
		json_decref(want);
	}
	json_decref(got);
	return ok;
}

/* the ids of a query's rows, in order, as one string */
static char *query_ids(struct pm_archive *a, struct pm_query *q, int full)
{
	json_t *got = json_array(), *art;
	struct pm_err err;
	struct pm_buf b = PM_BUF_INIT;
	size_t i;

	pm_err_init(&err);
	pm_buf_add(&b, "", 0);
	if (pm_archive_query(a, q, full, collect, got, &err) == 0)
		json_array_foreach(got, i, art)
			pm_buf_addf(&b, "%s,", json_string_value(json_object_get(art, "id")));
	json_decref(got);
	return pm_buf_detach(&b, NULL);
}

static void test_lean_rows(void)
{
	char *path = xasprintf("%s/lean.db", tmpdir);
	struct pm_archive *w = NULL, *a = NULL;
	struct pm_err err;
	struct pm_query q;
	const char *tags[1] = { "icc" };
	long long n = 0;

	TEST("lean query rows built from the sorted columns");
	pm_err_init(&err);
	CHECK(pm_archive_open(path, PM_ARCHIVE_WRITE, &w, &err) == 0);
	for (int i = 0; i < 24; i++) {
		json_t *o = lean_article(i);
		CHECK(pm_archive_put(w, o, &err) == 0);
		json_decref(o);
	}
	pm_archive_close(w);
	CHECK(pm_archive_open(path, PM_ARCHIVE_QUERY, &a, &err) == 0); /* as query opens it */
	if (!a) {
		free(path);
		return;
	}
	pm_query_init(&q);
	CHECK(lean_rows_agree(a, &q, 0, &n));
	CHECK_INT(n, 24);
	CHECK(lean_rows_agree(a, &q, PM_ARTICLE_NO_TAGS | PM_ARTICLE_NO_MISINFO, &n));
	CHECK_INT(n, 24);
	q.tags = tags;
	q.ntags = 1;
	q.sort = PM_SORT_SCORE;
	CHECK(lean_rows_agree(a, &q, PM_ARTICLE_NO_MISINFO, &n));
	CHECK_INT(n, 24);
	q.sort = PM_SORT_PUBLISHED;
	q.text = "court";
	CHECK(lean_rows_agree(a, &q, PM_ARTICLE_NO_TAGS, &n));
	CHECK_INT(n, 24);
	q.text = "quoted";
	CHECK(pm_query_set_days(&q, "2026-06-11", "2026-06-13", NULL, &err) == 0);
	CHECK(lean_rows_agree(a, &q, 0, &n));
	CHECK(n > 0 && n < 24);
	{
		/* the same rows in the same order whether the columns are
		 * sorted with them (no --limit), fetched again under a --limit,
		 * or read with the bodies */
		char *carried, *limited, *body;
		pm_query_init(&q);
		carried = query_ids(a, &q, PM_ARTICLE_LEAN);
		q.limit = 100;
		limited = query_ids(a, &q, PM_ARTICLE_LEAN);
		q.limit = -1;
		body = query_ids(a, &q, 0);
		CHECK(strlen(carried) == 24 * 17);
		CHECK_STR(carried, limited);
		CHECK_STR(carried, body);
		q.limit = 5;
		q.offset = 3;
		free(limited);
		limited = query_ids(a, &q, PM_ARTICLE_LEAN);
		CHECK(strlen(limited) == 5 * 17 && !strncmp(limited, carried + 3 * 17, 5 * 17));
		CHECK(lean_rows_agree(a, &q, 0, &n));
		CHECK_INT(n, 5);
		free(carried);
		free(limited);
		free(body);
	}
	pm_archive_close(a);
	free(path);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pm-test-aread-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_snapshot();
	test_digest_shape();
	test_tag_quarters();
	test_tag_quarters_batch();
	test_lean_rows();
	{
		char *cmd = xasprintf("rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
		free(cmd);
	}
	return tl_summary();
}
