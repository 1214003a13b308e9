/* archive/archive_int: what only the archive's own files share — the
 * connection object, statement helpers and the FTS5 tokenizer hook. */
#ifndef PM_ARCHIVE_INT_H
#define PM_ARCHIVE_INT_H

#include <sqlite3.h>
#include <stdint.h>

#include "archive/archive.h"

#define PM_STMT_CACHE 64 /* distinct cached statements per connection */

/* An LSH row of the lsh table (schema 8), waiting for lsh_flush. */
struct pm_lsh_row {
	int64_t tb, value, trid;
	int band;
};

/* A tag row's quarter hour, waiting for tq_flush: the index of its tag in
 * pm_archive.tq_tags, and q = floor(ts / 900). */
struct pm_tq_row {
	int64_t q;
	uint32_t tag;
};

struct pm_archive {
	sqlite3 *db;
	char *path;
	int mode;
	int in_batch;     /* inside pm_archive_begin/commit */
	int batch_lost;   /* a put failed in mid-write and rolled the batch back */
	char *scope;      /* JSON array of tags (pm_archive_set_scope), or NULL */
	/* statements prepared once for the life of the connection (see
	 * pm_archive_cached): re-preparing per article was a fifth of import */
	struct { const char *sql; sqlite3_stmt *st; } cache[PM_STMT_CACHE];
	size_t ncache;
	struct pm_ftsidx *fts;  /* the writer's full-text index thread (ftsidx.h) */
	int64_t fts_trimmed;    /* queue rows up to this one are deleted */
	int has_fts;            /* a reader: the index file is attached */
	/* the batch's LSH rows not yet in the lsh table (see lsh_flush) */
	struct pm_lsh_row *lsh_pend;
	size_t nlsh, lsh_cap;
	/* the batch's new tag rows not yet counted in tag_quarters (schema 9,
	 * see tq_flush), and the distinct tag names they refer to */
	struct pm_tq_row *tq_pend;
	size_t ntq, tq_cap;
	char **tq_tags;
	size_t ntq_tags, tq_tags_cap;
	uint32_t *tq_slots;   /* hash of tq_tags: index + 1, 0 empty */
	size_t tq_nslots;
	/* the clustering keys of recent time buckets in memory (nearidx.h),
	 * kept in step by every put; reset when another connection committed
	 * (data_version) or a batch was rolled back */
	struct pm_nearidx *near;
	struct pm_ckpt *ckpt;    /* the writer's background checkpoints */
	int64_t data_version;
	int64_t near_refused[8]; /* buckets too big to hold: SQL answers */
	int nrefused;
	int near_loads;          /* buckets loaded in this transaction */
	/* the time buckets whose SQL look-up keys are kept (schema 10, table
	 * near_sql), sorted; reloaded when keyed_valid is 0 (another
	 * connection committed, a batch was rolled back) */
	int64_t *keyed;
	size_t nkeyed, keyed_cap;
	int keyed_valid;
};

/* Attaches the full-text index's file as "fts" when it exists (has_fts
 * says whether it did), and detaches it. */
void pm_archive_fts_attach(struct pm_archive *a);
void pm_archive_fts_detach(struct pm_archive *a);
/* The queue rows one pass of the writer's index thread applies at most
 * (archive/ftsidx.h): for tests. */
void pm_archive_fts_pass_rows(struct pm_archive *a, int64_t rows);

/* Forgets the writer's in-memory clustering keys: for a change to the
 * articles that did not go through pm_archive_put (prune). */
void pm_archive_forget_near(struct pm_archive *a);
/* Turns the in-memory clustering keys off for this connection: every
 * look-up goes to SQLite, the path of buckets too big to hold. For tests,
 * which compare the two. */
void pm_archive_near_off(struct pm_archive *a);

/* A prepared statement for sql, cached on the connection and reset with
 * its bindings cleared: the caller binds, steps and sqlite3_reset()s it,
 * never finalizes it. sql must be a string literal: the cache is keyed by
 * its address. Finalized by pm_archive_close. */
int pm_archive_cached(struct pm_archive *a, const char *sql, sqlite3_stmt **st,
		      struct pm_err *err);

/* The full-text rowid, articles.trid: ordered by time, so that a date
 * range is a rowid range FTS5 can seek to. The article's time (epoch s)
 * above PM_TRID_BITS low bits taken from its id; a clash takes the next
 * low bits within the same second (pm_trid_next). Articles without a time
 * sit in a window below every dated one. */
#define PM_TRID_BITS 20
#define PM_TRID_LOW ((INT64_C(1) << PM_TRID_BITS) - 1)
#define PM_TRID_UNDATED_LOW ((INT64_C(1) << 40) - 1)

/* The first rowid of second ts (ts within years 0000-9999). */
static inline int64_t pm_trid_second(int64_t ts)
{
	return ts * (INT64_C(1) << PM_TRID_BITS);
}

static inline int64_t pm_trid_first(int has_ts, int64_t ts, uint64_t rid)
{
	if (!has_ts)
		return INT64_MIN + (int64_t)(rid & (uint64_t)PM_TRID_UNDATED_LOW);
	return pm_trid_second(ts) + (int64_t)(rid & (uint64_t)PM_TRID_LOW);
}

/* The candidate after trid when it is taken: the next low bits, wrapping
 * within the same second (or the undated window). */
static inline int64_t pm_trid_next(int has_ts, int64_t trid)
{
	int64_t mask = has_ts ? PM_TRID_LOW : PM_TRID_UNDATED_LOW;
	uint64_t base = (uint64_t)trid & ~(uint64_t)mask;

	return (int64_t)(base | (((uint64_t)trid + 1) & (uint64_t)mask));
}

/* The time bucket that leads the clustering keys (schema 8): ts >> 18,
 * 2^18 s = 3.03 days, so the ±3-day window is at most three buckets and a
 * batch's new keys land in the buckets of its days. SQLite's >> of a
 * negative integer rounds down; so does this (a floor, not C's >>). The
 * same bucket is trid >> (PM_TB_SHIFT + PM_TRID_BITS). */
#define PM_TB_SHIFT 18

static inline int64_t pm_tb(int64_t ts)
{
	int64_t d = INT64_C(1) << PM_TB_SHIFT;

	return ts >= 0 ? ts / d : -((-ts + d - 1) / d);
}

/* Registers the "pressmon" FTS5 tokenizer (core/text folding) on db. */
int pm_archive_register_tokenizer(sqlite3 *db, struct pm_err *err);

/* Fills err from the connection's last error; returns -1. */
int pm_archive_sqlerr(struct pm_archive *a, const char *what, struct pm_err *err);

/* Column text or NULL, as a borrowed C string. */
const char *pm_col_text(sqlite3_stmt *st, int col);

/* The shapes pm_archive_build makes: 0 and 1 are pm_archive_get's `full`;
 * the digest shape is the full one without the text, summary, author,
 * evidence and extra fields, which a digest of 20,000 articles never shows
 * and would spend half its time building. */
enum { PM_BUILD_BRIEF = 0, PM_BUILD_FULL = 1, PM_BUILD_DIGEST = 2,
       PM_BUILD_LEAN = PM_ARTICLE_LEAN /* brief without text, summary, author */ };

/* Builds the article object of the article with full-text rowid trid
 * (the key of its tags, evidence and flags since schema 5; see
 * pm_archive_get) in shape (above). *out is NULL when there is none. */
int pm_archive_build(struct pm_archive *a, int64_t trid, int shape, json_t **out,
		     struct pm_err *err);

/* MinHash (archive/minhash.c): PM_MH_K minimum hashes of the word
 * 3-shingles of title and text, banded PM_MH_BANDS x PM_MH_ROWS for LSH:
 * two texts with shingle Jaccard 0.75 share a band with probability 0.996,
 * with Jaccard 0.1 with probability 0.01. */
#define PM_MH_K 30
#define PM_MH_BANDS 10
#define PM_MH_ROWS 3
/* -1 when the text has fewer than three words (no signature). */
int pm_minhash(const char *title, const char *text, uint32_t sig[PM_MH_K]);
/* The same from the pm_text_tokenize tokens of title and text. */
struct pm_tokens;
int pm_minhash_tokens(const struct pm_tokens *title, const struct pm_tokens *text,
		      uint32_t sig[PM_MH_K]);
/* The signature's minima over n shingle hashes; _generic without the
 * CPU-specific code, for the test that compares the two. */
void pm_minhash_fold(const uint64_t *hs, size_t n, uint32_t sig[PM_MH_K]);
void pm_minhash_fold_generic(const uint64_t *hs, size_t n, uint32_t sig[PM_MH_K]);
int64_t pm_minhash_band(const uint32_t sig[PM_MH_K], int band);
/* Estimated Jaccard similarity: the share of equal minimum hashes. */
double pm_minhash_similarity(const uint32_t *a, const uint32_t *b);

#endif
