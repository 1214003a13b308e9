/* archive: the SQLite store of tagged articles (WAL, FTS5 over core/text),
 * its query language, aggregations, import and export. The only module that
 * includes sqlite3. Schema and query language: docs/archive.md. */
#ifndef PM_ARCHIVE_H
#define PM_ARCHIVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/buf.h"
#include "core/err.h"

struct pm_archive;

/* PM_ARCHIVE_QUERY is a read-only open for one query that passes over its
 * rows once (query, export): a smaller page cache (archive/store.c). */
enum { PM_ARCHIVE_READ = 0, PM_ARCHIVE_WRITE = 1, PM_ARCHIVE_QUERY = 2 };
/* Or'ed with PM_ARCHIVE_WRITE: a writer without the full-text index's
 * thread, for one that stores no articles (feed health, every minute, by
 * workers of other stages). What it changed is indexed by the next full
 * writer (archive/ftsidx.h). */
#define PM_ARCHIVE_NO_INDEX 8

/* Schema version this build writes (PRAGMA user_version). */
#define PM_ARCHIVE_SCHEMA 11

/* Process-wide SQLite settings; call once before any thread opens an
 * archive (main does). Optional: an archive works without it, slower. */
void pm_archive_library_init(void);

/* Opens (creating and migrating when mode is WRITE) the archive at path.
 * Errors: PM_EDEP when the file cannot be opened or is not an archive. */
int pm_archive_open(const char *path, int mode, struct pm_archive **out, struct pm_err *err);
void pm_archive_close(struct pm_archive *a);

/* Batches: every put between begin and commit is one transaction (begun
 * IMMEDIATE, so the busy timeout applies and no writer sees "locked").
 * A put outside a batch is its own transaction. */
int pm_archive_begin(struct pm_archive *a, struct pm_err *err);
int pm_archive_commit(struct pm_archive *a, struct pm_err *err);
int pm_archive_rollback(struct pm_archive *a);

/* A writer's full-text index is written by a thread of its own, a batch
 * or so behind the commits (archive/ftsidx.h): waits until everything
 * committed so far is searchable. Closing the writer does this too; call
 * it first to hear of a failure. */
int pm_archive_sync(struct pm_archive *a, struct pm_err *err);

/* A read snapshot: every read between these sees the archive as it was at
 * the first one, even while the worker commits, and SQLite takes its read
 * lock once instead of once per statement (a digest runs some 60,000).
 * Not inside a batch. */
int pm_archive_read_begin(struct pm_archive *a, struct pm_err *err);
void pm_archive_read_end(struct pm_archive *a);

/* Stores one article object (DESIGN.md shape plus "fingerprint",
 * "evidence" in tags, full misinfo objects). Idempotent on "id"; a changed
 * article replaces the old version, its tags and misinfo too. A put that
 * fails on its input (PM_EINPUT, naming the field) leaves the archive and
 * an open batch as they were. A put that fails in SQLite after it began to
 * write (I/O, disk full) rolls the whole open batch back: later puts of
 * the batch fail, and pm_archive_commit fails and ends it. */
int pm_archive_put(struct pm_archive *a, json_t *article, struct pm_err *err);

/* A put in two steps, for a writer that prepares the next articles in
 * another thread while SQLite writes: pm_archive_prepare does everything
 * that needs no database (validation, the change hash, the folded title,
 * the MinHash signature) and may run in any thread, with no archive;
 * pm_archive_put_item then stores the item as pm_archive_put would (same
 * errors, same batch rules) in the archive's thread. *out (OUT) holds a
 * reference to article; free it with pm_archive_item_free (after a put or
 * instead of one). pm_archive_put is the two in one. */
struct pm_archive_item;
int pm_archive_prepare(json_t *article, struct pm_archive_item **out, struct pm_err *err);
int pm_archive_put_item(struct pm_archive *a, struct pm_archive_item *it, struct pm_err *err);
void pm_archive_item_free(struct pm_archive_item *it);

/* A writer's WAL is copied into the database file by a thread of its own
 * (archive/ckpt.h) once a commit leaves this many pages (8 KiB) in it:
 * 16,384 unless changed. A bulk writer that leaves the other core idle
 * (import) does better asking sooner. */
void pm_archive_checkpoint_at(struct pm_archive *a, int pages);

/* Number of articles stored. */
long long pm_archive_count(struct pm_archive *a);

/* The stored article with this id: *out (OUT) gets a new reference, or NULL
 * when there is none. full = 0: the DESIGN.md article object; full = 1: also
 * "fingerprint", evidence, misinfo details and any extra pipeline fields. */
int pm_archive_get(struct pm_archive *a, const char *id, int full, json_t **out,
		   struct pm_err *err);

/* Calls fn for every article whose published time (fetched time when no
 * published time) is in [from, to), in time order. fn gets a borrowed
 * article object and returns 0 to go on. The object has the full shape's
 * fields (misinfo with its verdict, correction and reference) except text,
 * summary, author, the tags' evidence and the extra pipeline fields: what a
 * digest shows, read without the bodies. fn must not change it: articles
 * of one outlet share one "source" object. */
int pm_archive_each_in_range(struct pm_archive *a, time_t from, time_t to,
			     int (*fn)(void *ctx, json_t *article), void *ctx,
			     struct pm_err *err);

/* Restricts pm_archive_each_in_range and pm_archive_stats to articles that
 * carry at least one of tags (a JSON array of strings, borrowed); NULL
 * lifts the restriction. The digest uses it to leave out what is not ICC
 * coverage (a cricket story is archived, but it is not news of the Court). */
void pm_archive_set_scope(struct pm_archive *a, json_t *tags);

/* Headline counts of the articles in [from, to). */
struct pm_archive_stats {
	long long articles;
	long long outlets;   /* distinct source ids */
	long long countries; /* distinct source countries */
	long long languages; /* distinct article languages */
};
int pm_archive_stats(struct pm_archive *a, time_t from, time_t to,
		     struct pm_archive_stats *out /* OUT */, struct pm_err *err);

/* A story cluster's first-seen time (earliest article time) and size, over
 * the whole archive. */
int pm_archive_cluster_info(struct pm_archive *a, const char *cluster,
			    time_t *first /* OUT */, long long *size /* OUT */,
			    struct pm_err *err);

/* Articles per source id in [from, to): *out (OUT) gets a new object
 * {"source id": count}. */
int pm_archive_source_counts(struct pm_archive *a, time_t from, time_t to,
			     json_t **out, struct pm_err *err);

/* ---- Queries (pressmon query, archive export) ---- */

enum pm_sort { PM_SORT_PUBLISHED_DESC = 0, PM_SORT_PUBLISHED, PM_SORT_SCORE };

struct pm_query {
	const char **tags;      /* all must be present; "prefix*" matches a prefix */
	size_t ntags;
	const char *source;     /* source id */
	const char *region, *lang, *type;
	const char *misinfo;    /* misinformation claim id */
	int has_since, has_until;
	time_t since, until;    /* [since, until) */
	const char *text;       /* user full-text query (see pm_fts_translate) */
	enum pm_sort sort;
	long long limit;        /* < 0: no limit */
	long long offset;
};

void pm_query_init(struct pm_query *q);
/* Sets since/until from whole days "YYYY-MM-DD" (either may be NULL), both
 * inclusive, local to tz (NULL: UTC). PM_EINPUT on a bad date or zone. */
int pm_query_set_days(struct pm_query *q, const char *since, const char *until,
		      const char *tz, struct pm_err *err);
int pm_sort_parse(const char *s, enum pm_sort *out);

/* 0 when a text query can run, with the full-text index attached; -1
 * with err (PM_EDEP) when there is no index of this archive beside it
 * (archive/ftsidx.h). Queries call it; so does a caller that wants to say
 * so before any output. */
int pm_archive_can_search(struct pm_archive *a, struct pm_err *err);
/* How many queued changes the full-text index has not applied yet (0
 * before pm_archive_can_search found one): it runs a batch or so behind
 * the writer, and much further while a writer rebuilds it. */
long long pm_archive_search_lag(struct pm_archive *a);

/* Calls fn with a borrowed article object (full: see pm_archive_get) for
 * each match, in the query's order. fn returns 0 to go on, and must not
 * change the object: in the lean shape articles of one outlet share one
 * "source" object. */
/* As pm_archive_query's `full`: the brief shape without text, summary and
 * author, for output that shows none of them (a CSV of ids and titles
 * need not copy 2,000 bodies out of the file). */
#define PM_ARTICLE_LEAN 3
/* Flags ORed into `full` for output that shows neither the tags (nor the
 * score taken from them) or the misinformation flags: the article object
 * then lacks that key, and the archive skips a look-up per article. */
#define PM_ARTICLE_SHAPE 0x0f /* the shape part of `full` */
#define PM_ARTICLE_NO_TAGS 0x10
#define PM_ARTICLE_NO_MISINFO 0x20
int pm_archive_query(struct pm_archive *a, const struct pm_query *q, int full,
		     int (*fn)(void *ctx, json_t *article), void *ctx, struct pm_err *err);

enum pm_count_by {
	PM_BY_DAY, PM_BY_WEEK, PM_BY_MONTH, PM_BY_TAG, PM_BY_SOURCE,
	PM_BY_REGION, PM_BY_LANG, PM_BY_TYPE
};
int pm_count_by_parse(const char *s, enum pm_count_by *out);

/* Counts the query's matches by key; *rows (OUT) gets a new array of
 * {"key","count"}. day keys are local dates in tz ("2026-03-01"), week keys
 * ISO weeks ("2026-W09"), month keys "2026-03"; time keys come in order with
 * the empty ones between the first and last (or since/until) filled with 0.
 * Other keys come by count (descending), then key; a missing value counts
 * under "unknown". */
int pm_archive_count_by(struct pm_archive *a, const struct pm_query *q,
			enum pm_count_by by, const char *tz, json_t **rows,
			struct pm_err *err);

/* Translates the user's full-text query into an FTS5 MATCH expression:
 * words, "phrases", prefix*, AND/OR/NOT, (groups), NEAR(a b, N),
 * a NEAR/N b, and title:/text: column filters. Every word is folded by
 * core/text exactly like the classifier and emitted as a quoted string, so
 * no user text reaches FTS5 syntax. *out (OUT) belongs to the caller.
 * A bad query: PM_EINPUT "query: <what> at column N". */
int pm_fts_translate(const char *query, char **out, struct pm_err *err);

/* ---- Output helpers shared by query and export ---- */

/* Appends s as one RFC 4180 field (quoted when it holds , " CR or LF). */
void pm_csv_field(struct pm_buf *b, const char *s);
/* The text of one named field of an article object for table/csv output
 * ("source" is the source id, "tags" joins tags with ';'). Returns a new
 * string, or NULL when the field name is unknown. */
char *pm_article_field_text(json_t *article, const char *field);
/* The text of a field that is one string of the article object, borrowed
 * from it without a copy (*out NULL for a null or missing value, which
 * pm_article_field_text gives as ""): 1. 0 for a field it must build
 * (tags, misinfo, score) or does not know. */
int pm_article_field_borrow(json_t *article, const char *field, const char **out);
/* 1 if name is a field pm_article_field_text knows. */
int pm_article_field_valid(const char *name);

/* Feed health snapshots: the pipeline saves the state of every feed
 * (objects {"id","name","status","failures","last_error","last_ok"}), the
 * digest reads it back. put replaces the whole set in one transaction. */
int pm_archive_feed_health_put(struct pm_archive *a, json_t *feeds, struct pm_err *err);
/* *out (OUT): a new array, empty when no snapshot was ever saved. */
int pm_archive_feed_health_get(struct pm_archive *a, json_t **out, struct pm_err *err);

/* Retention: deletes every article whose time is before `before` (0: none)
 * and empties the text of those before `strip_before` (0: none), keeping
 * their metadata, tags and flags. One transaction. */
int pm_archive_prune(struct pm_archive *a, time_t before, time_t strip_before,
		     long long *deleted /* OUT */, long long *stripped /* OUT */,
		     struct pm_err *err);

#endif
