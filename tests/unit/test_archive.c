/* tests/unit/test_archive.c: the SQLite archive — idempotent puts,
 * replacement, story clustering, folded full-text search, every filter,
 * counts by key, CSV quoting, day bounds in a time zone, query errors. */
#include "archive/archive.h"
#include "archive/archive_int.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/time.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[64];

static char *db_path(const char *name)
{
	return xasprintf("%s/%s", tmpdir, name);
}

static json_t *art(const char *id, const char *published, const char *title, const char *text,
		   const char *src, const char *region, const char *type, const char *lang,
		   const char *tags_json)
{
	json_t *o = json_object(), *s = json_object();

	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "url", json_sprintf("https://example.org/%s", id));
	json_object_set_new(o, "title", json_string(title));
	json_object_set_new(o, "text", json_string(text));
	json_object_set_new(o, "published", json_string(published));
	json_object_set_new(o, "lang", json_string(lang));
	json_object_set_new(s, "id", json_string(src));
	json_object_set_new(s, "name", json_string(src));
	json_object_set_new(s, "country", json_string("ZZ"));
	json_object_set_new(s, "region", json_string(region));
	json_object_set_new(s, "type", json_string(type));
	json_object_set_new(o, "source", s);
	json_object_set_new(o, "tags", json_loads(tags_json, 0, NULL));
	return o;
}

static int put(struct pm_archive *a, json_t *o)
{
	struct pm_err err;
	int r;

	pm_err_init(&err);
	r = pm_archive_put(a, o, &err);
	if (r)
		fprintf(stderr, "put: %s\n", err.msg);
	json_decref(o);
	return r;
}

/* The stored cluster of article id, copied into buf (32 bytes); "(none)"
 * when the article or its cluster is missing. */
static const char *cluster_of(struct pm_archive *a, const char *id, char *buf)
{
	struct pm_err err;
	json_t *got = NULL;
	const char *c;

	pm_err_init(&err);
	snprintf(buf, 32, "(none)");
	if (pm_archive_get(a, id, 0, &got, &err) == 0 && got &&
	    (c = json_string_value(json_object_get(got, "cluster"))))
		snprintf(buf, 32, "%s", c);
	json_decref(got);
	return buf;
}

struct ids {
	struct pm_buf b;
	int n;
};

static int collect_ids(void *ctx, json_t *article)
{
	struct ids *x = ctx;

	if (x->n++)
		pm_buf_addc(&x->b, ' ');
	pm_buf_adds(&x->b, json_string_value(json_object_get(article, "id")) + 12);
	return 0;
}

/* Runs q and returns the last 4 hex digits of each id, space separated
 * (caller frees), or "ERR: message". */
static char *run(struct pm_archive *a, struct pm_query *q)
{
	struct ids x;
	struct pm_err err;

	memset(&x, 0, sizeof(x));
	pm_err_init(&err);
	pm_buf_add(&x.b, "", 0);
	if (pm_archive_query(a, q, 0, collect_ids, &x, &err)) {
		pm_buf_release(&x.b);
		return xasprintf("ERR: %s", err.msg);
	}
	return pm_buf_detach(&x.b, NULL);
}

static char *counts(struct pm_archive *a, struct pm_query *q, enum pm_count_by by, const char *tz)
{
	json_t *rows;
	struct pm_err err;
	char *s;

	pm_err_init(&err);
	if (pm_archive_count_by(a, q, by, tz, &rows, &err))
		return xasprintf("ERR: %s", err.msg);
	s = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);
	return s;
}

#define CHECK_RUN(a, q, want)                   \
	do {                                    \
		char *got_ = run((a), (q));     \
		CHECK_STR(got_, want);          \
		free(got_);                     \
	} while (0)

static void test_open_errors(void)
{
	struct pm_archive *a;
	struct pm_err err;
	char *p = db_path("missing.db"), *junk = db_path("junk.db");
	FILE *f;

	TEST("open errors");
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_READ, &a, &err) == -1);
	CHECK_INT(err.code, PM_EDEP);
	CHECK(strstr(err.msg, "cannot open archive") != NULL);
	f = fopen(junk, "w");
	fputs("this is not a database, just some text long enough to fill a header page..........", f);
	fclose(f);
	pm_err_init(&err);
	CHECK(pm_archive_open(junk, PM_ARCHIVE_READ, &a, &err) == -1);
	CHECK_INT(err.code, PM_EDEP);
	pm_err_init(&err);
	CHECK(pm_archive_open(junk, PM_ARCHIVE_WRITE, &a, &err) == -1);
	CHECK_INT(err.code, PM_EDEP);
	free(p);
	free(junk);
}

static void test_put(void)
{
	struct pm_archive *a, *r;
	struct pm_err err;
	struct pm_query q;
	char *p = db_path("put.db");
	json_t *o, *got;

	TEST("put idempotent and replacement");
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	o = art("00000000000000a1", "2026-03-10T08:00:00Z", "Old headline about the Court", "first body",
		"src-a", "europe", "public", "en", "[{\"tag\":\"icc\",\"score\":0.9},{\"tag\":\"arrest-warrant\",\"score\":0.5}]");
	json_object_set_new(o, "misinfo", json_loads("[{\"claim\":\"c1\",\"verdict\":\"false\",\"sentence\":\"s\",\"correction\":\"x\",\"reference\":\"art. 1\"}]", 0, NULL));
	json_object_set_new(o, "guid", json_string("urn:test:1"));
	json_incref(o);
	json_incref(o);
	CHECK(put(a, o) == 0);
	CHECK(put(a, o) == 0); /* the same article again */
	CHECK_INT(pm_archive_count(a), 1);
	CHECK(pm_archive_get(a, "00000000000000a1", 1, &got, &err) == 0 && got);
	CHECK_STR(json_string_value(json_object_get(got, "guid")), "urn:test:1"); /* extra fields kept */
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(got, "misinfo"), 0), "reference")), "art. 1");
	json_decref(got);
	CHECK(pm_archive_get(a, "00000000000000a1", 0, &got, &err) == 0 && got);
	CHECK(json_object_get(got, "guid") == NULL); /* DESIGN.md shape only */
	CHECK(json_object_get(json_array_get(json_object_get(got, "misinfo"), 0), "verdict") == NULL);
	CHECK_STR(json_string_value(json_object_get(got, "cluster")), "00000000000000a1");
	json_decref(got);

	/* a changed article replaces the old one, tags and misinfo too */
	json_object_set_new(o, "title", json_string("New headline on deferral"));
	json_object_set_new(o, "tags", json_loads("[{\"tag\":\"unsc-deferral\",\"score\":0.7}]", 0, NULL));
	json_object_set_new(o, "misinfo", json_array());
	CHECK(put(a, o) == 0);
	CHECK_INT(pm_archive_count(a), 1);
	CHECK(pm_archive_get(a, "00000000000000a1", 0, &got, &err) == 0 && got);
	CHECK_STR(json_string_value(json_object_get(got, "title")), "New headline on deferral");
	CHECK_INT(json_array_size(json_object_get(got, "tags")), 1);
	CHECK_INT(json_array_size(json_object_get(got, "misinfo")), 0);
	json_decref(got);
	pm_query_init(&q);
	q.text = "old";
	CHECK_RUN(a, &q, ""); /* the FTS index follows the replacement */
	q.text = "deferral";
	CHECK_RUN(a, &q, "00a1");

	/* input errors name the field and change nothing */
	o = art("00000000000000a2", "2026-03-10T08:00:00Z", "t", "x", "src-a", "mars", "public", "en", "[]");
	pm_err_init(&err);
	CHECK(pm_archive_put(a, o, &err) == -1);
	CHECK_INT(err.code, PM_EINPUT);
	CHECK(strstr(err.msg, "source.region") != NULL);
	json_object_set_new(json_object_get(o, "source"), "region", json_string("europe"));
	json_object_set_new(o, "published", json_string("yesterday"));
	CHECK(pm_archive_put(a, o, &err) == -1);
	CHECK(strstr(err.msg, "'published'") != NULL);
	json_object_set_new(o, "published", json_string("2026-03-10T09:00:00Z"));
	json_object_set_new(o, "id", json_string("xyz"));
	CHECK(pm_archive_put(a, o, &err) == -1);
	CHECK(strstr(err.msg, "'id'") != NULL);
	json_decref(o);
	CHECK_INT(pm_archive_count(a), 1);

	/* a failed put inside a batch leaves the batch's other puts */
	CHECK(pm_archive_begin(a, &err) == 0);
	CHECK(put(a, art("00000000000000a3", "2026-03-10T10:00:00Z", "Batch one", "x", "src-a", "europe", "public", "en", "[]")) == 0);
	o = art("00000000000000a4", "2026-03-10T10:00:00Z", "Batch bad", "x", "src-a", "europe", "public", "en", "[]");
	json_object_set_new(o, "tags", json_string("not an array"));
	CHECK(pm_archive_put(a, o, &err) == -1);
	json_decref(o);
	CHECK(pm_archive_commit(a, &err) == 0);
	CHECK_INT(pm_archive_count(a), 2);

	/* a reader sees the writer's commits (WAL) and cannot write */
	CHECK(pm_archive_open(p, PM_ARCHIVE_READ, &r, &err) == 0);
	CHECK_INT(pm_archive_count(r), 2);
	o = art("00000000000000a5", "2026-03-10T10:00:00Z", "x", "x", "src-a", "europe", "public", "en", "[]");
	CHECK(pm_archive_put(r, o, &err) == -1);
	json_decref(o);
	pm_archive_close(r);
	pm_archive_close(a);
	free(p);
}

/* One text column of article id, read through the writer's connection,
 * into buf (64 bytes); "(none)" when absent. */
static const char *column_of(struct pm_archive *a, const char *col, const char *id, char *buf)
{
	char *sql = xasprintf("SELECT %s FROM articles WHERE id = ?1", col);
	sqlite3_stmt *st = NULL;

	snprintf(buf, 64, "(none)");
	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			snprintf(buf, 64, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	free(sql);
	return buf;
}

static void set_column(struct pm_archive *a, const char *col, const char *value, const char *id)
{
	char *sql = xasprintf("UPDATE articles SET %s = '%s' WHERE id = '%s'", col, value, id);

	CHECK(sqlite3_exec(a->db, sql, NULL, NULL, NULL) == SQLITE_OK);
	free(sql);
}

/* "Unchanged" is the article's JSON value, whatever the order of its
 * keys; a hash stored by an older pressmon (XXH3 of the sorted compact
 * text) still means unchanged; a changed article replaces either. A put
 * that writes restores the url, so a url set by hand shows what wrote. */
static void test_hash_forms(void)
{
	struct pm_archive *a;
	struct pm_err err;
	char *p = db_path("hash.db"), buf[64], legacy[17], *dump;
	const char *id = "00000000000000b1", *k, *keys[32];
	json_t *o, *rev, *v;
	size_t n = 0;

	TEST("unchanged by value, in the old and the new hash form");
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	o = art(id, "2026-03-10T08:00:00Z", "Headline on the Court", "body \u00e9 text", "src-a",
		"europe", "public", "en", "[{\"tag\":\"icc\",\"score\":0.5,\"evidence\":[{\"field\":\"title\",\"start\":0,\"end\":3}]}]");
	json_object_set_new(o, "guid", json_string("urn:test:b1"));
	json_object_set_new(o, "n", json_integer(7));
	json_object_set_new(o, "ok", json_true());
	json_object_set_new(o, "none", json_null());
	dump = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	pm_id_hex(pm_hash64(dump, strlen(dump)), legacy);
	free(dump);
	CHECK(put(a, json_incref(o)) == 0);
	CHECK(!strncmp(column_of(a, "hash", id, buf), "2:", 2) && strlen(buf) == 18);

	/* the same value with its keys in the reverse order */
	json_object_foreach(o, k, v)
		keys[n++] = k;
	rev = json_object();
	while (n--)
		json_object_set(rev, keys[n], json_object_get(o, keys[n]));
	set_column(a, "url", "marker-1", id);
	CHECK(put(a, rev) == 0);
	CHECK_STR(column_of(a, "url", id, buf), "marker-1");

	/* a cluster in the input is not part of the article */
	json_object_set_new(o, "cluster", json_string("0000000000000fff"));
	CHECK(put(a, json_incref(o)) == 0);
	CHECK_STR(column_of(a, "url", id, buf), "marker-1");
	json_object_del(o, "cluster");

	/* an archive written before: its hash in the old form */
	set_column(a, "hash", legacy, id);
	CHECK(put(a, json_incref(o)) == 0);
	CHECK_STR(column_of(a, "url", id, buf), "marker-1");
	CHECK_STR(column_of(a, "hash", id, buf), legacy);
	/* a wrong old-form hash, and a changed article, are written */
	set_column(a, "hash", "0123456789abcdef", id);
	CHECK(put(a, json_incref(o)) == 0);
	CHECK_STR(column_of(a, "url", id, buf), "https://example.org/00000000000000b1");
	set_column(a, "hash", legacy, id);
	set_column(a, "url", "marker-2", id);
	json_object_set_new(o, "n", json_integer(8));
	CHECK(put(a, json_incref(o)) == 0);
	CHECK_STR(column_of(a, "url", id, buf), "https://example.org/00000000000000b1");
	CHECK(!strncmp(column_of(a, "hash", id, buf), "2:", 2));
	/* numbers by value and type: 8 and 8.0 differ, as in the old form */
	set_column(a, "url", "marker-3", id);
	json_object_set_new(o, "n", json_real(8.0));
	CHECK(put(a, json_incref(o)) == 0);
	CHECK_STR(column_of(a, "url", id, buf), "https://example.org/00000000000000b1");
	json_decref(o);
	pm_archive_close(a);
	free(p);
}

static void test_cluster(void)
{
	struct pm_archive *a;
	struct pm_err err;
	char *p = db_path("cluster.db");
	json_t *o, *got;
	static const struct {
		const char *id, *published, *title, *fp, *want;
	} cases[] = {
		{ "0000000000000c01", "2026-03-10T08:00:00Z", "Warrant issued", "f0f0f0f0f0f0f0f0", "0000000000000c01" },
		/* 3 bits away, 2 days later: same story */
		{ "0000000000000c02", "2026-03-12T08:00:00Z", "Another headline", "f0f0f0f0f0f0f0f7", "0000000000000c01" },
		/* 4 bits away: another story */
		{ "0000000000000c03", "2026-03-10T09:00:00Z", "Third headline", "f0f0f0f0f0f0f00f", "0000000000000c03" },
		/* 1 bit from the first but 4 days away (4 bits from the second): another story */
		{ "0000000000000c04", "2026-03-14T08:00:01Z", "Fourth headline", "f1f0f0f0f0f0f0f0", "0000000000000c04" },
		/* same folded title as the first, no fingerprint */
		{ "0000000000000c05", "2026-03-09T08:00:00Z", "WARRANT  Issued!", NULL, "0000000000000c01" },
		/* the bits are spread over the four 16-bit bands */
		{ "0000000000000c06", "2026-03-10T12:00:00Z", "Sixth", "f1f0f0f1f0f1f0f0", "0000000000000c01" },
	};

	TEST("clustering");
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = art(cases[i].id, cases[i].published, cases[i].title, "body", "src", "africa", "wire", "en", "[]");
		if (cases[i].fp)
			json_object_set_new(o, "fingerprint", json_string(cases[i].fp));
		CHECK(put(a, o) == 0);
		CHECK(pm_archive_get(a, cases[i].id, 1, &got, &err) == 0 && got);
		CHECK_STR(json_string_value(json_object_get(got, "cluster")), cases[i].want);
		if (cases[i].fp)
			CHECK_STR(json_string_value(json_object_get(got, "fingerprint")), cases[i].fp);
		json_decref(got);
	}
	{
		time_t first;
		long long size;
		CHECK(pm_archive_cluster_info(a, "0000000000000c01", &first, &size, &err) == 0);
		CHECK_INT(size, 4);
		CHECK_INT(first, 1773043200); /* 2026-03-09T08:00:00Z, the earliest member */
	}
	pm_archive_close(a);
	free(p);
}

/* Wire copies: outlets rewrite the headline and a sentence or two of an
 * agency story; SimHash puts them 9-12 bits apart, MinHash still joins them. */
static void test_wire_copies(void)
{
	static const char *wire =
		"Judges at the court in The Hague unsealed an arrest warrant on Tuesday for a former "
		"militia commander accused of murder and persecution, hours after he was handed over by "
		"the authorities of a neighbouring state. The suspect is expected to appear before a "
		"pre-trial chamber later this week, a spokesperson said. Lawyers for victims welcomed "
		"the surrender and asked the court to move quickly to confirm the charges. The defence "
		"has not yet commented. The case is the second from the region to reach the courtroom "
		"this year, and rights groups said it showed that cooperation between states can work.";
	static const char *edited =
		"Judges at the court in The Hague unsealed an arrest warrant on Tuesday for a former "
		"militia commander accused of murder and persecution, hours after he was handed over by "
		"the authorities of a neighbouring state. He is due before a pre-trial chamber in the "
		"coming days. Lawyers for victims welcomed the surrender and asked the court to move "
		"quickly to confirm the charges. The defence has not yet commented. The case is the second "
		"from the region to reach the courtroom this year, and rights groups said it showed that "
		"cooperation between states can work.";
	static const char *other =
		"A former militia leader is now in custody in The Hague. Our correspondent reports that "
		"families in the camps met the news with relief but also with doubts, since several other "
		"suspects remain free and the government has refused to hand them over.";
	struct pm_archive *a;
	struct pm_err err;
	char *p = db_path("wire.db");
	char cl[32];

	TEST("wire copies cluster, other stories do not");
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	CHECK(put(a, art("0000000000000d01", "2026-03-10T08:00:00Z", "Commander's warrant unsealed",
			 wire, "wire", "europe", "wire", "en", "[]")) == 0);
	CHECK(put(a, art("0000000000000d02", "2026-03-10T09:30:00Z", "Militia chief in custody as judges act",
			 edited, "paper", "africa", "commercial", "en", "[]")) == 0);
	CHECK(put(a, art("0000000000000d03", "2026-03-10T10:00:00Z", "Relief and doubt in the camps",
			 other, "radio", "africa", "public", "en", "[]")) == 0);
	CHECK_STR(cluster_of(a, "0000000000000d02", cl), "0000000000000d01");
	CHECK_STR(cluster_of(a, "0000000000000d03", cl), "0000000000000d03");
	/* the same article again changes nothing */
	CHECK(put(a, art("0000000000000d02", "2026-03-10T09:30:00Z", "Militia chief in custody as judges act",
			 edited, "paper", "africa", "commercial", "en", "[]")) == 0);
	CHECK_STR(cluster_of(a, "0000000000000d02", cl), "0000000000000d01");
	/* four days later the same text is a new story (outside the window) */
	CHECK(put(a, art("0000000000000d04", "2026-03-14T12:00:00Z", "Commander's warrant unsealed again",
			 wire, "wire", "europe", "wire", "en", "[]")) == 0);
	CHECK_STR(cluster_of(a, "0000000000000d04", cl), "0000000000000d04");
	pm_archive_close(a);
	free(p);
}

/* The writer holds the clustering keys of the buckets it works in
 * (archive/nearidx): a wire copy must still find an original that another
 * connection stored meanwhile, and must not find one whose batch was
 * rolled back. */
static void test_cluster_writers(void)
{
	static const char *wire =
		"The prosecutor asked the judges on Monday to confirm seven charges against a former "
		"police chief, including murder and torture committed during the crackdown on protests "
		"two years ago. The confirmation hearing is set to last three days, and the defence "
		"will call two witnesses. Victims' lawyers said more than two hundred people had "
		"applied to take part in the proceedings, most of them relatives of those killed.";
	static const char *other =
		"Farmers in the north say the rains came late again this year and the harvest will be "
		"small, while prices at the market have doubled since the spring.";
	static const char *hearing =
		"The hearing opened with a minute of silence for the victims, and the presiding judge "
		"read out the rights of the accused before the prosecution began its statement.";
	struct pm_archive *a, *b;
	struct pm_err err;
	char *p = db_path("writers.db");
	json_t *got;
	char cl[32];

	TEST("a wire copy finds the original another connection stored");
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &b, &err) == 0);
	/* a's first put loads the bucket of the day into a's memory */
	CHECK(put(a, art("0000000000000f01", "2026-04-06T07:00:00Z", "Harvest late again",
			 other, "radio", "africa", "public", "en", "[]")) == 0);
	CHECK(put(b, art("0000000000000f02", "2026-04-06T08:00:00Z", "Seven charges sought",
			 wire, "wire", "europe", "wire", "en", "[]")) == 0);
	CHECK(put(a, art("0000000000000f03", "2026-04-06T09:00:00Z", "Prosecutor seeks seven charges",
			 wire, "paper", "africa", "commercial", "en", "[]")) == 0);
	CHECK_STR(cluster_of(a, "0000000000000f03", cl), "0000000000000f02");

	TEST("a wire copy does not find an original whose batch was rolled back");
	CHECK(pm_archive_begin(a, &err) == 0);
	CHECK(put(a, art("0000000000000f04", "2026-04-07T08:00:00Z", "Hearing opens",
			 hearing, "wire", "europe", "wire", "en", "[]")) == 0);
	CHECK(pm_archive_rollback(a) == 0);
	CHECK(pm_archive_begin(a, &err) == 0);
	CHECK(put(a, art("0000000000000f05", "2026-04-07T09:00:00Z", "Hearing opens in The Hague",
			 hearing, "paper", "africa", "commercial", "en", "[]")) == 0);
	CHECK(pm_archive_commit(a, &err) == 0);
	CHECK_STR(cluster_of(a, "0000000000000f05", cl), "0000000000000f05");
	CHECK(pm_archive_get(a, "0000000000000f04", 0, &got, &err) == 0 && !got);
	pm_archive_close(b);
	pm_archive_close(a);
	free(p);
}

/* The clusters of the in-memory look-ups (archive/nearidx) equal those of
 * SQLite's, which buckets too big to hold still use: the same 600 puts
 * (stories of wire copies with edited words, shared and changed titles,
 * replaced articles, times across four buckets) into two archives, one
 * with the keys in memory and one without, give every article the same
 * cluster and every cluster the same size. */
/* The one number sql selects from the archive at path, or -1. */
static long long count_rows(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long long n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Schema 10: every article with a signature and a time in a keyed bucket
 * (near_sql) has its PM_MH_BANDS rows in lsh, and lsh has no others: the
 * rows the writer queues for the commit (lsh_flush) must all arrive, and
 * a replaced article's must go. And articles.keyed is 1 exactly for the
 * dated rows of keyed buckets. Returns the number of rows that differ. */
static int lsh_rows_differ(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t (*want)[4] = NULL;
	size_t n = 0, cap = 0, got = 0;
	int differ = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		return -1;
	sqlite3_prepare_v2(db, "SELECT count(*) FROM articles WHERE ts IS NOT NULL AND"
			   " (keyed IS 1) <> (trid >> 38 IN (SELECT tb FROM near_sql))", -1, &st, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		differ += sqlite3_column_int(st, 0);
	else
		differ++;
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db, "SELECT trid, minhash FROM articles WHERE minhash IS NOT NULL"
			   " AND ts IS NOT NULL AND trid >> 38 IN (SELECT tb FROM near_sql)", -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		uint32_t mh[PM_MH_K];
		if (sqlite3_column_bytes(st, 1) != (int)sizeof(mh))
			continue;
		memcpy(mh, sqlite3_column_blob(st, 1), sizeof(mh));
		for (int b = 0; b < PM_MH_BANDS; b++) {
			if (n == cap)
				want = xrealloc(want, (cap = cap ? 2 * cap : 1024) * sizeof(*want));
			want[n][0] = sqlite3_column_int64(st, 0) >> 38;
			want[n][1] = b;
			want[n][2] = pm_minhash_band(mh, b);
			want[n][3] = sqlite3_column_int64(st, 0);
			n++;
		}
	}
	sqlite3_finalize(st);
	sqlite3_prepare_v2(db, "SELECT tb, band, value, trid FROM lsh", -1, &st, NULL);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t i;
		for (i = 0; i < n; i++)
			if (want[i][3] == sqlite3_column_int64(st, 3) && want[i][1] == sqlite3_column_int64(st, 1))
				break;
		got++;
		if (i == n || want[i][0] != sqlite3_column_int64(st, 0) ||
		    want[i][2] != sqlite3_column_int64(st, 2))
			differ++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(want);
	return differ + (got > n ? (int)(got - n) : (int)(n - got));
}

static void test_cluster_memory_equals_sql(void)
{
	struct pm_archive *m, *q, *h;
	struct pm_err err;
	char *pm = db_path("near-mem.db"), *pq = db_path("near-sql.db"), *ph = db_path("near-mix.db");
	unsigned long long seed = 11;
	char id[17], title[64], when[32], word[16], fphex[17];
	unsigned long long fp;
	int differ = 0, joined = 0, mixed_differ = 0;

	TEST("clusters from the in-memory keys equal SQLite's");
	pm_err_init(&err);
	CHECK(pm_archive_open(pm, PM_ARCHIVE_WRITE, &m, &err) == 0);
	CHECK(pm_archive_open(pq, PM_ARCHIVE_WRITE, &q, &err) == 0);
	pm_archive_near_off(q);
	/* h: the first half with the keys in memory, so that its buckets hold
	 * rows without SQL keys; then SQL only, which must key them first */
	CHECK(pm_archive_open(ph, PM_ARCHIVE_WRITE, &h, &err) == 0);
	CHECK(pm_archive_begin(m, &err) == 0 && pm_archive_begin(q, &err) == 0 &&
	      pm_archive_begin(h, &err) == 0);
	for (int i = 0; i < 600; i++) {
		unsigned story = tl_rand(&seed, 40), n = i < 500 ? (unsigned)i : tl_rand(&seed, 500);
		unsigned long long ws = story * 7919ULL + 1;
		struct pm_buf text;
		time_t t = (time_t)1782000000 + (time_t)story * 20000 + (time_t)tl_rand(&seed, 900000);
		char iso[PM_ISO_LEN];

		pm_buf_init(&text, 0);
		for (int w = 0; w < 60; w++) { /* the story's words, a few edited */
			snprintf(word, sizeof(word), "w%u", tl_rand(&ws, 300));
			if (tl_rand(&seed, 12) == 0)
				snprintf(word, sizeof(word), "x%u", tl_rand(&seed, 300));
			pm_buf_add(&text, word, strlen(word));
			pm_buf_addc(&text, w % 12 == 11 ? '.' : ' ');
		}
		snprintf(id, sizeof(id), "%016x", 0x7000u + n); /* n >= 500: a replacement */
		/* a shared title now and then; a fingerprint near the story's
		 * (0-4 bits flipped) for half of them; else LSH finds them */
		if (tl_rand(&seed, 6) == 0)
			snprintf(title, sizeof(title), "Story %u", story);
		else
			snprintf(title, sizeof(title), "Story %u, take %d", story, i);
		pm_time_iso(t, iso);
		snprintf(when, sizeof(when), "%s", iso);
		fp = story * 0x9e3779b97f4a7c15ULL;
		for (unsigned k = tl_rand(&seed, 5); k > 0; k--)
			fp ^= 1ULL << tl_rand(&seed, 64);
		snprintf(fphex, sizeof(fphex), "%016llx", fp);
		if (i == 300) {
			CHECK(pm_archive_commit(h, &err) == 0);
			pm_archive_close(h);
			CHECK(pm_archive_open(ph, PM_ARCHIVE_WRITE, &h, &err) == 0);
			pm_archive_near_off(h);
			CHECK(pm_archive_begin(h, &err) == 0);
		}
		for (int copy = 0; copy < 3; copy++) {
			json_t *o = art(id, when, title, text.data, "s1", "europe", "wire", "en", "[]");
			if (n % 2)
				json_object_set_new(o, "fingerprint", json_string(fphex));
			CHECK(put(copy == 0 ? m : copy == 1 ? q : h, o) == 0);
		}
		pm_buf_release(&text);
	}
	CHECK(pm_archive_commit(m, &err) == 0 && pm_archive_commit(q, &err) == 0 &&
	      pm_archive_commit(h, &err) == 0);
	for (int n = 0; n < 500; n++) {
		json_t *a = NULL, *b = NULL, *c = NULL;
		const char *ca, *cb, *cc;
		time_t fa = 0, fb = 0, fc = 0;
		long long sa = 0, sb = 0, sc = 0;

		snprintf(id, sizeof(id), "%016x", 0x7000u + (unsigned)n);
		CHECK(pm_archive_get(m, id, 0, &a, &err) == 0 && a);
		CHECK(pm_archive_get(q, id, 0, &b, &err) == 0 && b);
		ca = json_string_value(json_object_get(a, "cluster"));
		cb = json_string_value(json_object_get(b, "cluster"));
		joined += ca && strcmp(ca, id) != 0;
		if (!ca || !cb || strcmp(ca, cb) ||
		    pm_archive_cluster_info(m, ca, &fa, &sa, &err) || pm_archive_cluster_info(q, cb, &fb, &sb, &err) ||
		    fa != fb || sa != sb)
			differ++;
		CHECK(pm_archive_get(h, id, 0, &c, &err) == 0 && c);
		cc = json_string_value(json_object_get(c, "cluster"));
		if (!cc || !cb || strcmp(cc, cb) || pm_archive_cluster_info(h, cc, &fc, &sc, &err) ||
		    fc != fb || sc != sb)
			mixed_differ++;
		json_decref(a);
		json_decref(b);
		json_decref(c);
	}
	CHECK_INT(differ, 0);
	CHECK(joined > 200 && joined < 490); /* stories of several copies, not one */
	TEST("buckets written with the keys in memory, then looked in by SQL, cluster the same");
	CHECK_INT(mixed_differ, 0);
	pm_archive_close(m);
	pm_archive_close(q);
	pm_archive_close(h);
	TEST("the LSH rows queued in a batch all reach the table, replaced ones go");
	CHECK_INT(lsh_rows_differ(pm), 0);
	CHECK_INT(lsh_rows_differ(pq), 0);
	CHECK_INT(lsh_rows_differ(ph), 0);
	TEST("only buckets SQL looked in keep SQL look-up keys");
	CHECK_INT(count_rows(pm, "SELECT count(*) FROM near_sql"), 0);
	CHECK_INT(count_rows(pm, "SELECT count(*) FROM lsh"), 0);
	CHECK(count_rows(pq, "SELECT count(*) FROM near_sql") > 0);
	CHECK_INT(count_rows(pq, "SELECT count(*) FROM articles WHERE keyed IS NOT 1"), 0);
	CHECK_INT(count_rows(ph, "SELECT count(*) FROM articles WHERE keyed IS NOT 1"), 0);
	free(pm);
	free(pq);
	free(ph);
}

/* Schema 8 keys the clustering look-ups by a time bucket of 2^18 s: a
 * window of ±3 days that straddles a bucket boundary (2026-06-24T16:04:16Z
 * is 6799 * 2^18) finds its candidates on both sides, by title, by
 * fingerprint band and by MinHash band, and a window never reaches past
 * 3 days. */
static void test_cluster_buckets(void)
{
	static const char *wire =
		"The appeals chamber upheld the conviction of a former army officer on Thursday and "
		"confirmed a sentence of twelve years, rejecting every ground raised by the defence. "
		"Victims who had travelled to the seat of the court wept as the presiding judge read "
		"the summary. The officer, who has been in custody since his transfer four years ago, "
		"may apply for early release after serving two thirds of the term, a spokesperson said.";
	static const char *edited =
		"The appeals chamber upheld the conviction of a former army officer on Thursday and "
		"confirmed a sentence of twelve years, rejecting every ground raised by the defence. "
		"Victims wept in the public gallery as the judge read the summary. The officer, who has "
		"been in custody since his transfer four years ago, may apply for early release after "
		"serving two thirds of the term, a spokesperson said.";
	struct pm_archive *a;
	struct pm_err err;
	char *p = db_path("buckets.db");
	json_t *o, *got;
	char cl[32];
	static const struct {
		const char *id, *published, *title, *fp, *text, *want;
	} cases[] = {
		/* 1.5 days before the boundary, then 1.4 days after it */
		{ "0000000000000b01", "2026-06-23T04:04:16Z", "Boundary story", "00000000000000ff", "body", "0000000000000b01" },
		{ "0000000000000b02", "2026-06-26T01:40:16Z", "Boundary story", NULL, "body", "0000000000000b01" },
		/* 2 bits from b01's fingerprint, another title: a SimHash band */
		{ "0000000000000b03", "2026-06-26T01:40:16Z", "Another headline", "00000000000000fc", "body", "0000000000000b01" },
		/* a wire copy across the boundary: an LSH band */
		{ "0000000000000b04", "2026-06-23T16:04:16Z", "Appeal judgment upheld", NULL, NULL, "0000000000000b04" },
		{ "0000000000000b05", "2026-06-26T04:04:16Z", "Twelve years confirmed", NULL, NULL, "0000000000000b04" },
		/* 6.4 days apart, same title: two stories */
		{ "0000000000000b06", "2026-06-21T18:28:16Z", "Lone story", NULL, "body", "0000000000000b06" },
		{ "0000000000000b07", "2026-06-28T04:04:16Z", "Lone story", NULL, "body", "0000000000000b07" },
	};

	TEST("clustering windows across time buckets");
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	for (size_t i = 0; a && i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *text = cases[i].text ? cases[i].text : (i == 3 ? wire : edited);
		o = art(cases[i].id, cases[i].published, cases[i].title, text, "src", "africa", "wire", "en", "[]");
		if (cases[i].fp)
			json_object_set_new(o, "fingerprint", json_string(cases[i].fp));
		CHECK(put(a, o) == 0);
		got = NULL;
		CHECK_STR(cluster_of(a, cases[i].id, cl), cases[i].want);
	}
	/* an id in other case is not the article (lookups go by rid) */
	got = NULL;
	CHECK(pm_archive_get(a, "0000000000000B01", 0, &got, &err) == 0 && !got);
	pm_archive_close(a);
	free(p);
}

/* Retention: old articles go with everything hanging off them; bodies can
 * be dropped while titles, tags and search on titles stay. */
static void test_prune(void)
{
	struct pm_archive *a;
	struct pm_err err;
	char *p = db_path("prune.db");
	json_t *got = NULL;
	struct pm_query q;
	long long deleted, stripped;
	time_t before, strip;
	char *ids;

	TEST("prune");
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	CHECK(put(a, art("0000000000000e01", "2026-01-05T08:00:00Z", "Old ruling", "old body text",
			 "src", "africa", "wire", "en", "[{\"tag\":\"icc\",\"score\":2}]")) == 0);
	CHECK(put(a, art("0000000000000e02", "2026-02-05T08:00:00Z", "Middle hearing", "middle zebra body",
			 "src", "africa", "wire", "en", "[{\"tag\":\"icc\",\"score\":2}]")) == 0);
	CHECK(put(a, art("0000000000000e03", "2026-03-05T08:00:00Z", "New warrant", "new body text",
			 "src", "africa", "wire", "en", "[{\"tag\":\"icc\",\"score\":2}]")) == 0);
	pm_time_parse_iso("2026-02-01T00:00:00Z", &before);
	pm_time_parse_iso("2026-03-01T00:00:00Z", &strip);
	CHECK(pm_archive_prune(a, before, strip, &deleted, &stripped, &err) == 0);
	CHECK_INT(deleted, 1);
	CHECK_INT(stripped, 1);
	CHECK_INT(pm_archive_count(a), 2);
	CHECK(pm_archive_get(a, "0000000000000e02", 1, &got, &err) == 0 && got);
	CHECK_STR(json_string_value(json_object_get(got, "title")), "Middle hearing");
	CHECK_STR(json_string_value(json_object_get(got, "text")), "");
	CHECK_INT(json_array_size(json_object_get(got, "tags")), 1);
	json_decref(got);
	pm_query_init(&q);
	q.text = "zebra"; /* the dropped body is gone from the index too */
	ids = run(a, &q);
	CHECK_STR(ids, "");
	free(ids);
	q.text = "hearing";
	ids = run(a, &q);
	CHECK_STR(ids, "0e02"); /* collect_ids keeps the last four digits */
	free(ids);
	pm_archive_close(a);
	free(p);
}

/* A small archive for the filters. Times are UTC. */
static struct pm_archive *filter_archive(void)
{
	struct pm_archive *a;
	struct pm_err err;
	char *p = db_path("filters.db");
	json_t *o;

	pm_err_init(&err);
	if (pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		exit(1);
	}
	free(p);
	pm_archive_begin(a, &err);
	put(a, art("0000000000000001", "2026-03-01T10:00:00Z", "La Cour Pénale internationale siège",
		   "Les juges de la Cour ont siégé.", "nord", "europe", "public", "fr",
		   "[{\"tag\":\"icc\",\"score\":0.9},{\"tag\":\"situation:sudan\",\"score\":0.4}]"));
	put(a, art("0000000000000002", "2026-03-02T23:30:00Z", "Arrest warrant issued by the court",
		   "Judges issued an arrest warrant late on Monday.", "lake", "africa", "commercial", "en",
		   "[{\"tag\":\"icc\",\"score\":0.8},{\"tag\":\"arrest-warrant\",\"score\":0.7},{\"tag\":\"situation:sudan\",\"score\":0.6}]"));
	o = art("0000000000000003", "2026-03-03T09:00:00Z", "Council weighs a referral",
		"Members discussed whether the warrant should matter. The court only tries Africans, one said.",
		"andes", "americas", "wire", "es",
		"[{\"tag\":\"icc\",\"score\":0.5},{\"tag\":\"unsc-referral\",\"score\":0.9}]");
	json_object_set_new(o, "misinfo", json_loads("[{\"claim\":\"icc-only-targets-africa\",\"sentence\":\"The court only tries Africans, one said.\"}]", 0, NULL));
	put(a, o);
	put(a, art("0000000000000004", "2026-03-09T12:00:00Z", "Cricket council meets in Dubai",
		   "The cricket body met; no court was involved.", "gulf", "middle-east", "commercial", "en", "[]"));
	pm_archive_commit(a, &err);
	return a;
}

static void test_filters(struct pm_archive *a)
{
	struct pm_query q;
	const char *tags[2];
	struct pm_err err;

	TEST("filters");
	pm_query_init(&q);
	q.sort = PM_SORT_PUBLISHED;
	CHECK_RUN(a, &q, "0001 0002 0003 0004");
	q.sort = PM_SORT_PUBLISHED_DESC;
	CHECK_RUN(a, &q, "0004 0003 0002 0001");
	q.sort = PM_SORT_PUBLISHED;
	q.limit = 2;
	q.offset = 1;
	CHECK_RUN(a, &q, "0002 0003");
	pm_query_init(&q);
	q.sort = PM_SORT_PUBLISHED;
	q.tags = tags;
	tags[0] = "icc";
	q.ntags = 1;
	CHECK_RUN(a, &q, "0001 0002 0003");
	tags[1] = "situation:sudan";
	q.ntags = 2;
	CHECK_RUN(a, &q, "0001 0002");
	tags[1] = "situation:*";
	CHECK_RUN(a, &q, "0001 0002");
	tags[0] = "situation:%"; /* no wildcard but '*' */
	q.ntags = 1;
	CHECK_RUN(a, &q, "");
	q.ntags = 0;
	q.source = "lake";
	CHECK_RUN(a, &q, "0002");
	q.source = NULL;
	q.region = "americas";
	CHECK_RUN(a, &q, "0003");
	q.region = NULL;
	q.lang = "en";
	CHECK_RUN(a, &q, "0002 0004");
	q.type = "commercial";
	CHECK_RUN(a, &q, "0002 0004");
	q.lang = NULL;
	q.type = "wire";
	CHECK_RUN(a, &q, "0003");
	q.type = NULL;
	q.misinfo = "icc-only-targets-africa";
	CHECK_RUN(a, &q, "0003");
	q.misinfo = NULL;
	pm_err_init(&err);
	CHECK(pm_query_set_days(&q, "2026-03-02", "2026-03-03", NULL, &err) == 0);
	CHECK_RUN(a, &q, "0002 0003"); /* both days inclusive */
	/* score: the best score among the --tag tags */
	pm_query_init(&q);
	q.tags = tags;
	tags[0] = "icc";
	q.ntags = 1;
	q.sort = PM_SORT_SCORE;
	CHECK_RUN(a, &q, "0001 0002 0003");
	tags[0] = "icc";
	tags[1] = "unsc-referral";
	q.ntags = 2;
	CHECK_RUN(a, &q, "0003");
}

static void test_fts(struct pm_archive *a)
{
	struct pm_query q;

	TEST("full text");
	pm_query_init(&q);
	q.sort = PM_SORT_PUBLISHED;
	q.text = "penale"; /* folded like the classifier: finds "Pénale" */
	CHECK_RUN(a, &q, "0001");
	q.text = "PÉNALE";
	CHECK_RUN(a, &q, "0001");
	q.text = "pén*";
	CHECK_RUN(a, &q, "0001");
	q.text = "\"arrest warrant\"";
	CHECK_RUN(a, &q, "0002");
	q.text = "warrant";
	CHECK_RUN(a, &q, "0002 0003");
	q.text = "warrant NOT arrest";
	CHECK_RUN(a, &q, "0003");
	q.text = "council AND (cricket OR referral)";
	CHECK_RUN(a, &q, "0003 0004");
	q.text = "council cricket";
	CHECK_RUN(a, &q, "0004");
	q.text = "title:warrant";
	CHECK_RUN(a, &q, "0002");
	q.text = "NEAR(judges warrant, 3)";
	CHECK_RUN(a, &q, "0002");
	q.text = "members NEAR/2 warrant";
	CHECK_RUN(a, &q, "");
	q.text = "members NEAR/5 warrant";
	CHECK_RUN(a, &q, "0003");
	/* user text never becomes FTS5 syntax */
	q.text = "court:warrant";
	CHECK_RUN(a, &q, "");
	q.text = "\"rank) OR 1=1 --\"";
	CHECK_RUN(a, &q, "");
	q.text = "council";
	q.sort = PM_SORT_SCORE;
	CHECK_RUN(a, &q, "0004 0003"); /* bm25: the title and body both match in 0004 */
}

static void test_bad_query(void)
{
	static const struct {
		const char *q, *msg;
	} cases[] = {
		{ "arrest AND (warrant OR orden", "query: '(' is never closed at column 12" },
		{ "warrant)", "query: unexpected ')' at column 8" },
		{ "NOT warrant", "query: NOT needs a term before it (write 'a NOT b') at column 1" },
		{ "warrant OR", "query: OR needs a term on each side at column 9" },
		{ "\"open phrase", "query: unterminated quote at column 1" },
		{ "court ---", "query: a term with no searchable word at column 7" },
		{ "NEAR(court, 3)", "query: NEAR( needs at least two terms at column 1" },
		{ "a NEAR/x b", "query: NEAR/N needs a distance from 0 to 100 at column 3" },
		{ "   ", "query: empty" },
	};
	struct pm_err err;
	char *out;

	TEST("bad query");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pm_err_init(&err);
		out = NULL;
		CHECK(pm_fts_translate(cases[i].q, &out, &err) == -1);
		CHECK_INT(err.code, PM_EINPUT);
		CHECK_STR(err.msg, cases[i].msg);
		free(out);
	}
	CHECK(pm_fts_translate("Cour Pénale* OR title:\"mandat d'arrêt\"", &out, &err) == 0);
	CHECK_STR(out, "((\"cour\" AND \"penale\" *) OR title : \"mandat d arret\")");
	free(out);
	CHECK(pm_fts_translate("a b OR c", &out, &err) == 0);
	CHECK_STR(out, "((\"a\" AND \"b\") OR \"c\")");
	free(out);
}

static void test_counts(struct pm_archive *a)
{
	struct pm_query q;
	struct pm_err err;
	const char *tags[1] = { "icc" };
	char *s;

	TEST("count by");
	pm_err_init(&err);
	pm_query_init(&q);
	s = counts(a, &q, PM_BY_DAY, NULL);
	CHECK_STR(s, "[{\"key\":\"2026-03-01\",\"count\":1},{\"key\":\"2026-03-02\",\"count\":1},"
		     "{\"key\":\"2026-03-03\",\"count\":1},{\"key\":\"2026-03-04\",\"count\":0},"
		     "{\"key\":\"2026-03-05\",\"count\":0},{\"key\":\"2026-03-06\",\"count\":0},"
		     "{\"key\":\"2026-03-07\",\"count\":0},{\"key\":\"2026-03-08\",\"count\":0},"
		     "{\"key\":\"2026-03-09\",\"count\":1}]");
	free(s);
	/* in Paris the 23:30 UTC article belongs to the next day */
	s = counts(a, &q, PM_BY_DAY, "Europe/Paris");
	CHECK(s && !strncmp(s, "[{\"key\":\"2026-03-01\",\"count\":1},{\"key\":\"2026-03-02\",\"count\":0},"
			       "{\"key\":\"2026-03-03\",\"count\":2}", 93));
	free(s);
	/* 2026-03-01 is a Sunday: ISO week 9; Monday 2 March starts week 10 */
	s = counts(a, &q, PM_BY_WEEK, NULL);
	CHECK_STR(s, "[{\"key\":\"2026-W09\",\"count\":1},{\"key\":\"2026-W10\",\"count\":2},"
		     "{\"key\":\"2026-W11\",\"count\":1}]");
	free(s);
	s = counts(a, &q, PM_BY_MONTH, NULL);
	CHECK_STR(s, "[{\"key\":\"2026-03\",\"count\":4}]");
	free(s);
	s = counts(a, &q, PM_BY_TAG, NULL);
	CHECK_STR(s, "[{\"key\":\"icc\",\"count\":3},{\"key\":\"situation:sudan\",\"count\":2},"
		     "{\"key\":\"arrest-warrant\",\"count\":1},{\"key\":\"unsc-referral\",\"count\":1}]");
	free(s);
	q.tags = tags;
	q.ntags = 1;
	s = counts(a, &q, PM_BY_REGION, NULL);
	CHECK_STR(s, "[{\"key\":\"africa\",\"count\":1},{\"key\":\"americas\",\"count\":1},{\"key\":\"europe\",\"count\":1}]");
	free(s);
	s = counts(a, &q, PM_BY_LANG, NULL);
	CHECK_STR(s, "[{\"key\":\"en\",\"count\":1},{\"key\":\"es\",\"count\":1},{\"key\":\"fr\",\"count\":1}]");
	free(s);
	/* since/until fill the range even where nothing was published */
	q.ntags = 0;
	CHECK(pm_query_set_days(&q, "2026-02-28", "2026-03-01", NULL, &err) == 0);
	s = counts(a, &q, PM_BY_DAY, NULL);
	CHECK_STR(s, "[{\"key\":\"2026-02-28\",\"count\":0},{\"key\":\"2026-03-01\",\"count\":1}]");
	free(s);
	q.text = "warrant";
	q.has_since = q.has_until = 0;
	s = counts(a, &q, PM_BY_SOURCE, NULL);
	CHECK_STR(s, "[{\"key\":\"andes\",\"count\":1},{\"key\":\"lake\",\"count\":1}]");
	free(s);
}

static void test_tz_bounds(struct pm_archive *a)
{
	struct pm_query q;
	struct pm_err err;

	TEST("date bounds with a time zone");
	pm_err_init(&err);
	/* 0002 is 2026-03-02T23:30Z: the 2nd in UTC, the 3rd in Paris (+01:00) */
	pm_query_init(&q);
	q.sort = PM_SORT_PUBLISHED;
	CHECK(pm_query_set_days(&q, "2026-03-02", "2026-03-02", NULL, &err) == 0);
	CHECK_RUN(a, &q, "0002");
	pm_query_init(&q);
	q.sort = PM_SORT_PUBLISHED;
	CHECK(pm_query_set_days(&q, "2026-03-02", "2026-03-02", "Europe/Paris", &err) == 0);
	CHECK_RUN(a, &q, "");
	pm_query_init(&q);
	q.sort = PM_SORT_PUBLISHED;
	CHECK(pm_query_set_days(&q, "2026-03-03", "2026-03-03", "Europe/Paris", &err) == 0);
	CHECK_RUN(a, &q, "0002 0003");
	pm_query_init(&q);
	q.sort = PM_SORT_PUBLISHED;
	CHECK(pm_query_set_days(&q, "2026-03-09", NULL, "America/New_York", &err) == 0);
	CHECK_RUN(a, &q, "0004");
	CHECK(pm_query_set_days(&q, "2026-03-10", "2026-03-09", NULL, &err) == -1);
	CHECK(strstr(err.msg, "after") != NULL);
	CHECK(pm_query_set_days(&q, "2026-13-01", NULL, NULL, &err) == -1);
	CHECK(strstr(err.msg, "--since") != NULL);
	CHECK(pm_query_set_days(&q, "2026-03-01", NULL, "Mars/Olympus", &err) == -1);
	CHECK(strstr(err.msg, "--tz") != NULL);
}

static void test_csv(void)
{
	struct pm_buf b = PM_BUF_INIT;
	json_t *o;
	char *s;

	TEST("csv quoting and fields");
	pm_buf_add(&b, "", 0);
	pm_csv_field(&b, "plain");
	pm_buf_addc(&b, ',');
	pm_csv_field(&b, "a, b");
	pm_buf_addc(&b, ',');
	pm_csv_field(&b, "say \"no\"");
	pm_buf_addc(&b, ',');
	pm_csv_field(&b, "two\r\nlines");
	pm_buf_addc(&b, ',');
	pm_csv_field(&b, NULL);
	CHECK_STR(pm_buf_str(&b), "plain,\"a, b\",\"say \"\"no\"\"\",\"two\r\nlines\",");
	pm_buf_release(&b);
	o = art("0000000000000009", "2026-03-01T00:00:00Z", "T", "x", "src", "europe", "ngo", "en",
		"[{\"tag\":\"icc\",\"score\":0.5},{\"tag\":\"voice:victims\",\"score\":0.25}]");
	s = pm_article_field_text(o, "tags");
	CHECK_STR(s, "icc;voice:victims");
	free(s);
	s = pm_article_field_text(o, "region");
	CHECK_STR(s, "europe");
	free(s);
	s = pm_article_field_text(o, "score");
	CHECK_STR(s, "0.5");
	free(s);
	CHECK(pm_article_field_text(o, "nonsense") == NULL);
	CHECK(!pm_article_field_valid("nonsense") && pm_article_field_valid("source_name"));
	{
		/* the borrowed text of a string field is what the built text
		 * says ("" for a null or missing value); the rest are built */
		static const char *const all[] = { "id", "url", "title", "text", "summary", "author",
						   "published", "fetched", "lang", "cluster", "source",
						   "source_name", "country", "region", "type" };
		const char *v;
		json_object_set_new(o, "author", json_null());
		for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
			s = pm_article_field_text(o, all[i]);
			CHECK(pm_article_field_borrow(o, all[i], &v) == 1);
			CHECK_STR(v ? v : "", s);
			free(s);
		}
		CHECK(pm_article_field_borrow(o, "author", &v) == 1 && v == NULL);
		CHECK(pm_article_field_borrow(o, "region", &v) == 1 && v && !strcmp(v, "europe"));
		CHECK(pm_article_field_borrow(o, "tags", &v) == 0 && v == NULL);
		CHECK(pm_article_field_borrow(o, "misinfo", &v) == 0);
		CHECK(pm_article_field_borrow(o, "score", &v) == 0);
		CHECK(pm_article_field_borrow(o, "nonsense", &v) == 0);
	}
	json_decref(o);
}

/* The batch writer: articles are indexed for full-text search when the
 * batch commits; one replaced inside its own batch is indexed once, with
 * its new text; a failed put leaves nothing behind; phrases bounded by
 * date find exactly the articles of those days (the full-text rowid is
 * ordered by time); tag-driven queries agree with the slow path; cluster
 * sizes grow by one per member; a count by day in a zone whose day started
 * off the quarter hour (local mean time, 1890) is still exact. */
static void test_batch_writer(void)
{
	struct pm_archive *a;
	struct pm_err err;
	struct pm_query q;
	char *p = db_path("batch.db"), *s;
	const char *tags[2] = { "icc", "arrest-warrant" };
	static const char *days[] = { "2026-04-30T23:59:59Z", "2026-05-01T00:00:00Z",
				      "2026-05-01T12:00:00Z", "2026-05-02T23:59:59Z",
				      "2026-05-03T00:00:00Z" };
	json_t *o;
	time_t first;
	long long size;

	TEST("batch writer, time-ordered full-text rowids, tag index");
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	CHECK(pm_archive_begin(a, &err) == 0);
	for (int i = 0; i < 5; i++) {
		char id[17];
		snprintf(id, sizeof(id), "00000000000e%04d", i);
		CHECK(put(a, art(id, days[i], "Warrant story",
				 "Judges issued an arrest warrant for the commander today.",
				 i % 2 ? "src-b" : "src-a", "europe", "wire", "en",
				 i % 2 ? "[{\"tag\":\"icc\",\"score\":0.9}]"
				       : "[{\"tag\":\"icc\",\"score\":0.5},{\"tag\":\"arrest-warrant\",\"score\":0.7}]")) == 0);
	}
	/* replaced in the same batch: the old text must not stay findable */
	CHECK(put(a, art("00000000000e0002", days[2], "Warrant story",
			 "Judges issued a summons for the commander today.", "src-a", "europe",
			 "wire", "en", "[{\"tag\":\"icc\",\"score\":0.5},{\"tag\":\"arrest-warrant\",\"score\":0.7}]")) == 0);
	/* a bad article fails alone and is never indexed */
	o = art("00000000000e0009", days[2], "Broken", "an arrest warrant in bad evidence",
		"src-a", "europe", "wire", "en", "[{\"tag\":\"icc\",\"evidence\":[1]}]");
	pm_err_init(&err);
	CHECK(pm_archive_put(a, o, &err) == -1);
	CHECK_INT(err.code, PM_EINPUT);
	json_decref(o);
	CHECK(pm_archive_commit(a, &err) == 0);

	pm_query_init(&q);
	q.sort = PM_SORT_PUBLISHED;
	q.text = "\"arrest warrant\"";
	CHECK_RUN(a, &q, "0000 0001 0003 0004");
	q.text = "summons";
	CHECK_RUN(a, &q, "0002");
	CHECK(pm_query_set_days(&q, "2026-05-01", "2026-05-02", NULL, &err) == 0);
	q.text = "\"arrest warrant\"";
	CHECK_RUN(a, &q, "0001 0003");
	q.text = "commander";
	CHECK_RUN(a, &q, "0001 0002 0003");
	q.sort = PM_SORT_SCORE;
	CHECK_RUN(a, &q, "0002 0003 0001"); /* bm25: the shorter text first, then the newest */
	q.sort = PM_SORT_PUBLISHED;
	/* the tags index drives; with a source filter articles are joined */
	q.text = NULL;
	q.tags = tags;
	q.ntags = 2;
	CHECK_RUN(a, &q, "0002");
	q.ntags = 1;
	CHECK_RUN(a, &q, "0001 0002 0003");
	q.source = "src-b";
	CHECK_RUN(a, &q, "0001 0003");
	q.source = NULL;
	s = counts(a, &q, PM_BY_DAY, NULL);
	CHECK_STR(s, "[{\"key\":\"2026-05-01\",\"count\":2},{\"key\":\"2026-05-02\",\"count\":1}]");
	free(s);
	q.tags = tags + 1;
	q.has_since = q.has_until = 0;
	s = counts(a, &q, PM_BY_DAY, "Asia/Kathmandu"); /* UTC+5:45: quarter hours */
	/* 04-30 23:59:59Z is 05-01 05:44:59 there, 05-03 00:00Z is 05-03 05:45 */
	CHECK_STR(s, "[{\"key\":\"2026-05-01\",\"count\":2},{\"key\":\"2026-05-02\",\"count\":0},"
		     "{\"key\":\"2026-05-03\",\"count\":1}]");
	free(s);
	/* every member a new put: one cluster of five (same title) */
	CHECK(pm_archive_cluster_info(a, "00000000000e0000", &first, &size, &err) == 0);
	CHECK_INT(size, 5);
	/* Amsterdam kept local mean time (+0:19:32) until 1937: its days start
	 * off the quarter hour, and the count falls back to seconds */
	CHECK(put(a, art("00000000000e0100", "1890-06-01T23:42:00Z", "Old story one", "Text one here.",
			 "src-a", "europe", "wire", "en", "[{\"tag\":\"old\",\"score\":1}]")) == 0);
	CHECK(put(a, art("00000000000e0101", "1890-06-01T23:35:00Z", "Old story two", "Text two here.",
			 "src-a", "europe", "wire", "en", "[{\"tag\":\"old\",\"score\":1}]")) == 0);
	{
		const char *old[1] = { "old" };
		pm_query_init(&q);
		q.tags = old;
		q.ntags = 1;
		s = counts(a, &q, PM_BY_DAY, "Europe/Amsterdam");
		/* 23:35 UTC is 23:54:32 local (June 1), 23:42 UTC is 00:01:32 (June 2):
		 * one quarter hour, two days */
		CHECK_STR(s, "[{\"key\":\"1890-06-01\",\"count\":1},{\"key\":\"1890-06-02\",\"count\":1}]");
		free(s);
	}
	pm_archive_close(a);
	free(p);
}

/* Migration 4 -> 5: a schema-4 archive made by the schema-4 build
 * (tests/fixtures/archive/schema4.db) opens for writing, migrates, and
 * every article reads back exactly as that build exported it (full shape:
 * tags, evidence, misinformation details, clusters, extra fields); search,
 * tag filters, replacement and prune work on the migrated data. */
static void test_migrate_4(void)
{
	struct pm_archive *a;
	struct pm_err err;
	struct pm_query q;
	char *p = db_path("schema4.db"), *cmd, *s, cl[32];
	FILE *f;
	char line[65536];
	int n = 0, same = 0, with_ev = 0, with_mi = 0, tagged_uw = 0;
	const char *tags[1] = { "unsc-referral" };
	long long deleted, stripped;
	json_t *got;

	TEST("a schema-4 archive migrates to the current schema and its data survives");
	pm_err_init(&err);
	cmd = xasprintf("cp tests/fixtures/archive/schema4.db '%s'", p);
	CHECK(system(cmd) == 0);
	free(cmd);
	CHECK(pm_archive_open(p, PM_ARCHIVE_READ, &a, &err) == -1); /* needs a writer first */
	CHECK(strstr(err.msg, "schema version 4") != NULL);
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	if (!a) {
		free(p);
		return;
	}
	CHECK_INT(pm_archive_count(a), 41);
	f = fopen("tests/fixtures/archive/schema4-export.ndjson", "r");
	CHECK(f != NULL);
	while (f && fgets(line, sizeof(line), f)) {
		json_t *want = json_loads(line, 0, NULL);
		const char *id = json_string_value(json_object_get(want, "id"));
		json_t *t;
		size_t i;

		n++;
		got = NULL;
		if (id && pm_archive_get(a, id, 1, &got, &err) == 0 && got && json_equal(got, want))
			same++;
		else if (got) {
			char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
			fprintf(stderr, "differs after migration: %s\n", g);
			free(g);
		}
		json_array_foreach(json_object_get(want, "tags"), i, t) {
			with_ev += json_array_size(json_object_get(t, "evidence")) > 0;
			tagged_uw += !strcmp(json_string_value(json_object_get(t, "tag")), "unsc-referral");
		}
		with_mi += (int)json_array_size(json_object_get(want, "misinfo"));
		json_decref(got);
		json_decref(want);
	}
	if (f)
		fclose(f);
	CHECK_INT(n, 41);
	CHECK_INT(same, 41);
	CHECK(with_ev > 0);
	CHECK_INT(with_mi, 3);
	/* the tag index and the misinfo claim index point at the new keys */
	pm_query_init(&q);
	q.tags = tags;
	q.ntags = 1;
	s = run(a, &q);
	CHECK_INT((int)(strlen(s) + 1) / 5, tagged_uw);
	free(s);
	pm_query_init(&q);
	q.misinfo = "icc-death-penalty";
	s = run(a, &q);
	CHECK_INT((int)strlen(s), 4);
	free(s);
	/* full-text search over the migrated index; the undated article too */
	pm_query_init(&q);
	q.text = "penale";
	CHECK_RUN(a, &q, "00aa");
	/* a wire copy of a migrated article joins its cluster through the
	 * migrated bands: the same text under a new id and headline */
	{
		json_t *first = NULL, *copy;
		char *want_cluster = NULL;
		f = fopen("tests/fixtures/archive/schema4-export.ndjson", "r");
		if (f && fgets(line, sizeof(line), f))
			first = json_loads(line, 0, NULL);
		if (f)
			fclose(f);
		CHECK(first != NULL);
		if (first) {
			want_cluster = xstrdup(json_string_value(json_object_get(first, "cluster")));
			copy = json_deep_copy(first);
			json_object_set_new(copy, "id", json_string("0000000000c0ffee"));
			json_object_set_new(copy, "title", json_string("An entirely different headline here"));
			json_object_set_new(copy, "fingerprint", json_string("ffffffffffffffff"));
			json_object_del(copy, "cluster");
			CHECK(put(a, copy) == 0);
			CHECK_STR(cluster_of(a, "0000000000c0ffee", cl), want_cluster);
			/* a changed article replaces the old one, tags and all */
			copy = json_deep_copy(first);
			json_object_set_new(copy, "tags", json_loads("[{\"tag\":\"replaced\",\"score\":1}]", 0, NULL));
			json_object_set_new(copy, "misinfo", json_array());
			CHECK(put(a, copy) == 0);
			CHECK(pm_archive_get(a, json_string_value(json_object_get(first, "id")), 1, &got, &err) == 0 && got);
			s = json_dumps(json_object_get(got, "tags"), JSON_COMPACT);
			CHECK_STR(s, "[{\"tag\":\"replaced\",\"score\":1.0,\"evidence\":[]}]");
			free(s);
			json_decref(got);
			free(want_cluster);
			json_decref(first);
		}
	}
	/* prune everything dated: only the undated article is left */
	CHECK(pm_archive_prune(a, (time_t)4102444800LL /* 2100 */, 0, &deleted, &stripped, &err) == 0);
	CHECK_INT(deleted, 41);
	CHECK_INT(pm_archive_count(a), 1);
	pm_archive_close(a);
	/* and it reopens at the current schema for readers */
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_READ, &a, &err) == 0);
	pm_archive_close(a);
	free(p);
}


/* The first column of the first row sql yields on the file at path, as
 * text (caller frees), or "" . */
static char *sql_text(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_text(st, 0))
		v = xstrdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v ? v : xstrdup("");
}

static char *text_ids(struct pm_archive *a, const char *text)
{
	struct pm_query q;

	pm_query_init(&q);
	q.text = text;
	return run(a, &q);
}

/* Whether a text query for text fails because there is no index. */
static int text_refused(struct pm_archive *a, const char *text)
{
	char *got = text_ids(a, text);
	int refused = strstr(got, "has no full-text index") != NULL;

	if (!refused)
		fprintf(stderr, "text query '%s': %s\n", text, got);
	free(got);
	return refused;
}

#define CHECK_TEXT(a, text, want)                       \
	do {                                            \
		char *got_ = text_ids((a), (text));     \
		CHECK_STR(got_, want);                  \
		free(got_);                             \
	} while (0)

/* The full-text index in its own file, by its own thread (ftsidx.h):
 * changes it has not seen yet are applied in order, an index file that is
 * missing or another archive's is rebuilt, a reader without one says so,
 * and the queue is emptied as the index applies it. */
static void test_fts_file(void)
{
	char *p = db_path("ftsfile.db"), *p2 = db_path("ftsother.db");
	char *fp = xasprintf("%s-fts", p), *fp2 = xasprintf("%s-fts", p2);
	struct pm_archive *a, *r;
	struct pm_err err;
	sqlite3 *lock = NULL;
	char *cmd, *totals;

	TEST("the full-text index file: changes applied in order, rebuilt when missing or foreign");
	pm_err_init(&err);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	/* passes of two queue rows: the changes made while the file is
	 * held take several, each stopping short of later changes */
	pm_archive_fts_pass_rows(a, 2);
	CHECK(access(fp, F_OK) == 0);
	CHECK(put(a, art("00000000000000f1", "2026-03-01T10:00:00Z", "Alpha headline", "apricot words here",
			 "s1", "europe", "wire", "en", "[]")) == 0);
	CHECK(put(a, art("00000000000000f2", "2026-02-28T11:00:00Z", "Beta headline", "blueberry words here",
			 "s1", "europe", "wire", "en", "[]")) == 0);
	CHECK(pm_archive_sync(a, &err) == 0);
	/* a reader sees what the thread indexed */
	CHECK(pm_archive_open(p, PM_ARCHIVE_QUERY, &r, &err) == 0);
	CHECK_TEXT(r, "apricot", "00f1");
	pm_archive_close(r);

	/* three versions of f1 (the last with a new time, so a new rowid)
	 * and f2 deleted, all while the index file is locked: the pass after
	 * takes out exactly the version it indexed */
	CHECK(sqlite3_open(fp, &lock) == SQLITE_OK);
	CHECK(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
	CHECK(put(a, art("00000000000000f1", "2026-03-01T10:00:00Z", "Alpha headline", "cherry words here",
			 "s1", "europe", "wire", "en", "[]")) == 0);
	CHECK(put(a, art("00000000000000f1", "2026-03-01T10:00:00Z", "Alpha headline", "damson words here",
			 "s1", "europe", "wire", "en", "[]")) == 0);
	/* f3: new, then moved in time (a new rowid) before it was indexed */
	CHECK(put(a, art("00000000000000f3", "2026-03-03T10:00:00Z", "Third", "fig words here",
			 "s1", "europe", "wire", "en", "[]")) == 0);
	CHECK(put(a, art("00000000000000f3", "2026-03-04T10:00:00Z", "Third", "grape words here",
			 "s1", "europe", "wire", "en", "[]")) == 0);
	{
		long long del = 0, strip = 0;
		CHECK(pm_archive_prune(a, 0, (time_t)1772323200 /* 2026-03-01T00:00Z */, &del, &strip,
				       &err) == 0);
		CHECK_INT(strip, 1); /* f2's body */
	}
	CHECK(count_rows(p, "SELECT count(*) FROM fts_queue WHERE had = 1") >= 3);
	/* a reader meanwhile: the changes are not searchable yet, and it
	 * can tell how many wait */
	CHECK(pm_archive_open(p, PM_ARCHIVE_QUERY, &r, &err) == 0);
	CHECK_TEXT(r, "damson", "");
	CHECK_TEXT(r, "blueberry", "00f2");
	CHECK(pm_archive_can_search(r, &err) == 0);
	/* f1 twice (2 rows each), f3 new, then moved (2), f2's body (2) */
	CHECK_INT(pm_archive_search_lag(r), 9);
	pm_archive_close(r);
	CHECK(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	CHECK_TEXT(a, "apricot", "");
	CHECK_TEXT(a, "cherry", "");
	CHECK_TEXT(a, "damson", "00f1");
	CHECK_TEXT(a, "blueberry", "");
	CHECK_TEXT(a, "beta", "00f2");
	CHECK_TEXT(a, "headline", "00f1 00f2");
	CHECK_TEXT(a, "fig", "");
	CHECK_TEXT(a, "grape", "00f3");
	/* the index holds one version per article: every word of the old
	 * ones is gone (a delete of a version it did not hold would leave
	 * these behind) */
	CHECK_INT(count_rows(fp, "SELECT count(*) FROM articles_fts_docsize"), 3);
	/* a second writer opens while the index file is held (as by another
	 * writer's long pass): its check only reads the file. Apart from the
	 * changes above, whose passes of two rows its thread would take over */
	{
		struct pm_archive *a2 = NULL;
		CHECK(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
		CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a2, &err) == 0);
		CHECK(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
		pm_archive_close(a2);
	}
	sqlite3_close(lock);
	/* the next batch deletes the applied rows */
	CHECK(pm_archive_begin(a, &err) == 0 && pm_archive_commit(a, &err) == 0);
	CHECK_INT(count_rows(p, "SELECT count(*) FROM fts_queue"), 0);
	pm_archive_close(a);

	/* FTS5's totals (documents, tokens per column: bm25's averages),
	 * to compare with the index built anew below: a pass that took out
	 * or put in a version other than the one it should leaves them off,
	 * though the words found may look right */
	totals = sql_text(fp, "SELECT hex(block) FROM articles_fts_data WHERE id = 1");
	CHECK(strlen(totals) > 0);

	/* no index file: a reader's text query says what to do; a writer
	 * builds it again from the articles */
	CHECK(unlink(fp) == 0);
	cmd = xasprintf("rm -f '%s-wal' '%s-shm'", fp, fp);
	CHECK(system(cmd) == 0);
	free(cmd);
	CHECK(pm_archive_open(p, PM_ARCHIVE_QUERY, &r, &err) == 0);
	CHECK(text_refused(r, "damson"));
	CHECK_TEXT(r, "", "00f3 00f1 00f2"); /* the rest works without it */
	pm_archive_close(r);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	pm_archive_close(a);
	CHECK(pm_archive_open(p, PM_ARCHIVE_QUERY, &r, &err) == 0);
	CHECK_TEXT(r, "damson", "00f1");
	CHECK_TEXT(r, "headline", "00f1 00f2");
	CHECK_TEXT(r, "blueberry", "");
	CHECK_TEXT(r, "grape", "00f3");
	pm_archive_close(r);
	{
		char *rebuilt = sql_text(fp, "SELECT hex(block) FROM articles_fts_data WHERE id = 1");
		CHECK_STR(rebuilt, totals);
		free(rebuilt);
	}
	free(totals);

	/* another archive's index file in its place is not taken for its
	 * own: rebuilt */
	CHECK(pm_archive_open(p2, PM_ARCHIVE_WRITE, &a, &err) == 0);
	CHECK(put(a, art("00000000000000e1", "2026-03-01T10:00:00Z", "Gamma", "elderberry", "s1", "europe",
			 "wire", "en", "[]")) == 0);
	pm_archive_close(a);
	cmd = xasprintf("cp '%s' '%s'", fp2, fp);
	CHECK(system(cmd) == 0);
	free(cmd);
	CHECK(pm_archive_open(p, PM_ARCHIVE_QUERY, &r, &err) == 0);
	CHECK(text_refused(r, "elderberry"));
	pm_archive_close(r);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	pm_archive_close(a);
	CHECK(pm_archive_open(p, PM_ARCHIVE_QUERY, &r, &err) == 0);
	CHECK_TEXT(r, "elderberry", "");
	CHECK_TEXT(r, "damson", "00f1");
	pm_archive_close(r);

	/* a writer without the index's thread (feed health) leaves what it
	 * changed to the next full writer */
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE | PM_ARCHIVE_NO_INDEX, &a, &err) == 0);
	CHECK(put(a, art("00000000000000f4", "2026-03-05T10:00:00Z", "Fourth", "huckleberry", "s1", "europe",
			 "wire", "en", "[]")) == 0);
	pm_archive_close(a);
	CHECK(pm_archive_open(p, PM_ARCHIVE_QUERY, &r, &err) == 0);
	CHECK_TEXT(r, "huckleberry", "");
	CHECK(pm_archive_can_search(r, &err) == 0);
	CHECK_INT(pm_archive_search_lag(r), 1);
	pm_archive_close(r);
	CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &a, &err) == 0);
	pm_archive_close(a);
	CHECK(pm_archive_open(p, PM_ARCHIVE_QUERY, &r, &err) == 0);
	CHECK_TEXT(r, "huckleberry", "00f4");
	CHECK(pm_archive_can_search(r, &err) == 0);
	CHECK_INT(pm_archive_search_lag(r), 0);
	pm_archive_close(r);
	/* two writers at once, each with its index thread: every queued
	 * change is applied once (a row applied twice would insert a rowid
	 * the index has, and fail the pass) */
	{
		struct pm_archive *w1, *w2;
		char id[17], text[64];
		long long n;

		CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &w1, &err) == 0);
		CHECK(pm_archive_open(p, PM_ARCHIVE_WRITE, &w2, &err) == 0);
		pm_archive_fts_pass_rows(w2, 7);
		for (int round = 0; round < 6; round++) {
			struct pm_archive *w = round % 2 ? w2 : w1;
			CHECK(pm_archive_begin(w, &err) == 0);
			for (int i = 0; i < 40; i++) {
				snprintf(id, sizeof(id), "00000000000%05x", 0x10000 + round * 100 + i);
				/* every other round rewrites the last round's */
				if (round % 2)
					snprintf(id, sizeof(id), "00000000000%05x", 0x10000 + (round - 1) * 100 + i);
				snprintf(text, sizeof(text), "kiwi round%d item%d", round, i);
				CHECK(put(w, art(id, "2026-03-06T10:00:00Z", "Kiwi", text, "s1", "europe", "wire",
						 "en", "[]")) == 0);
			}
			CHECK(pm_archive_commit(w, &err) == 0);
		}
		CHECK(pm_archive_sync(w1, &err) == 0);
		CHECK(pm_archive_sync(w2, &err) == 0);
		pm_archive_close(w1);
		pm_archive_close(w2);
		n = count_rows(p, "SELECT count(*) FROM articles");
		CHECK_INT(count_rows(fp, "SELECT count(*) FROM articles_fts_docsize"), n);
		/* closing the writers deleted the queue rows they applied */
		CHECK_INT(count_rows(p, "SELECT count(*) FROM fts_queue"), 0);
		CHECK_INT(n, 4 + 120);
		CHECK(pm_archive_open(p, PM_ARCHIVE_QUERY, &r, &err) == 0);
		{
			struct pm_query q;
			json_t *rows = NULL;
			pm_query_init(&q);
			q.text = "kiwi";
			CHECK(pm_archive_count_by(r, &q, PM_BY_TYPE, NULL, &rows, &err) == 0);
			CHECK_INT(json_integer_value(json_object_get(json_array_get(rows, 0), "count")), 120);
			json_decref(rows);
			q.text = "round0";
			CHECK(pm_archive_count_by(r, &q, PM_BY_TYPE, NULL, &rows, &err) == 0);
			CHECK_INT(json_array_size(rows), 0); /* rewritten in round 1 */
			json_decref(rows);
			q.text = "round5 item39";
			CHECK(pm_archive_count_by(r, &q, PM_BY_TYPE, NULL, &rows, &err) == 0);
			CHECK_INT(json_integer_value(json_object_get(json_array_get(rows, 0), "count")), 1);
			json_decref(rows);
		}
		pm_archive_close(r);
	}
	free(p);
	free(p2);
	free(fp);
	free(fp2);
}

int main(void)
{
	struct pm_archive *a;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/pm-test-archive-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	test_open_errors();
	test_put();
	test_hash_forms();
	test_cluster();
	test_wire_copies();
	test_cluster_buckets();
	test_cluster_writers();
	test_cluster_memory_equals_sql();
	test_batch_writer();
	test_prune();
	test_migrate_4();
	test_fts_file();
	a = filter_archive();
	test_filters(a);
	test_fts(a);
	test_counts(a);
	test_tz_bounds(a);
	pm_archive_close(a);
	test_bad_query();
	test_csv();
	{
		char *cmd = xasprintf("rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
		free(cmd);
	}
	return tl_summary();
}
