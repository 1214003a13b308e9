/* archive/store: opening and migrating the SQLite archive, transactions,
 * and the idempotent writer (pm_archive_put) with story clustering. */
#include "archive/archive_int.h"
#include "archive/ckpt.h"
#include "archive/ftsidx.h"
#include "archive/nearidx.h"
#include "core/config.h"
#include "core/hash.h"
#include "core/mem.h"
#include "core/text.h"
#include "core/time.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BUSY_TIMEOUT_MS 30000     /* writers wait this long for each other */
#define CLUSTER_WINDOW (3 * 86400) /* ±3 days */
#define CLUSTER_MAX_BITS 3         /* Hamming distance of the fingerprints */
#define CLUSTER_CANDIDATES 64      /* per fingerprint band and for the title,
				      oldest first: bounds the work of a put */
#define CLUSTER_MIN_JACCARD 0.5    /* estimated shingle Jaccard for one story;
				      wire copies measure 0.75-0.86, other
				      stories on the same event below 0.05 */
#define LSH_CANDIDATES 8           /* per band (oldest first), so a flood of
				      look-alike items stays cheap */
#define NEAR_MAX_ARTICLES 1000000  /* held in memory for clustering (nearidx):
				      about 300 bytes each */
#define MAX_TAGS 1000              /* bounds on one article's lists */
#define MAX_EVIDENCE 1000

/* The full-text triggers as migrations 4 (update) and 5 (delete, with the
 * rows keyed by trid) created them; migration 8 creates them again on its
 * new table. One text each, so the two can never drift apart. */
#define TRIGGER_AU_4 \
	"CREATE TRIGGER articles_au AFTER UPDATE OF title, text, trid ON articles BEGIN" \
	"  INSERT INTO articles_fts(articles_fts, rowid, title, text)" \
	"    VALUES ('delete', old.trid, old.title, old.text);" \
	"  INSERT INTO articles_fts(rowid, title, text) VALUES (new.trid, new.title, new.text);" \
	"END;"
#define TRIGGER_AD_5 \
	"CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN" \
	"  INSERT INTO articles_fts(articles_fts, rowid, title, text)" \
	"    VALUES ('delete', old.trid, old.title, old.text);" \
	"  DELETE FROM tags WHERE article = old.trid;" \
	"  DELETE FROM evidence WHERE article = old.trid;" \
	"  DELETE FROM misinfo WHERE article = old.trid;" \
	"END;"

/* Migrations: entry i takes the schema from version i to i + 1. Never edit
 * a shipped entry; append a new one. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE sources ("
	"  id TEXT PRIMARY KEY, name TEXT, country TEXT, region TEXT, type TEXT);"
	"CREATE TABLE articles ("
	"  id TEXT PRIMARY KEY,"          /* 16 hex digits */
	"  rid INTEGER NOT NULL UNIQUE,"  /* the id as a signed integer: FTS rowid */
	"  url TEXT, title TEXT, text TEXT, summary TEXT, author TEXT,"
	"  published TEXT, fetched TEXT,"
	"  ts INTEGER,"                   /* published, else fetched, epoch seconds */
	"  lang TEXT, source_id TEXT REFERENCES sources(id),"
	"  fingerprint TEXT, fp INTEGER,"  /* hex and as a signed integer */
	"  fp0 INTEGER, fp1 INTEGER, fp2 INTEGER, fp3 INTEGER," /* 16-bit bands */
	"  norm_title TEXT,"
	"  cluster TEXT,"
	"  hash TEXT,"                    /* of the stored JSON: skips unchanged puts */
	"  extra TEXT);"                  /* other pipeline fields, as JSON */
	"CREATE INDEX articles_ts ON articles(ts);"
	"CREATE INDEX articles_source ON articles(source_id, ts);"
	"CREATE INDEX articles_cluster ON articles(cluster);"
	"CREATE INDEX articles_fp0 ON articles(fp0, ts);"
	"CREATE INDEX articles_fp1 ON articles(fp1, ts);"
	"CREATE INDEX articles_fp2 ON articles(fp2, ts);"
	"CREATE INDEX articles_fp3 ON articles(fp3, ts);"
	"CREATE INDEX articles_title ON articles(norm_title, ts);"
	"CREATE TABLE tags ("
	"  article TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,"
	"  tag TEXT NOT NULL, score REAL, PRIMARY KEY (article, tag)) WITHOUT ROWID;"
	"CREATE INDEX tags_tag ON tags(tag);"
	"CREATE TABLE evidence ("
	"  article TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,"
	"  tag TEXT NOT NULL, ord INTEGER NOT NULL, field TEXT,"
	"  pos_start INTEGER, pos_end INTEGER, text TEXT, rule TEXT,"
	"  PRIMARY KEY (article, tag, ord)) WITHOUT ROWID;"
	"CREATE TABLE misinfo ("
	"  article TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,"
	"  ord INTEGER NOT NULL, claim TEXT NOT NULL, verdict TEXT, sentence TEXT,"
	"  correction TEXT, reference TEXT, PRIMARY KEY (article, ord)) WITHOUT ROWID;"
	"CREATE INDEX misinfo_claim ON misinfo(claim);"
	"CREATE TABLE clusters ("
	"  id TEXT PRIMARY KEY, first_ts INTEGER, size INTEGER NOT NULL DEFAULT 0);"
	"CREATE VIRTUAL TABLE articles_fts USING fts5("
	"  title, text, content='articles', content_rowid='rid', tokenize='pressmon');"
	"CREATE TRIGGER articles_ai AFTER INSERT ON articles BEGIN"
	"  INSERT INTO articles_fts(rowid, title, text) VALUES (new.rid, new.title, new.text);"
	"END;"
	"CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN"
	"  INSERT INTO articles_fts(articles_fts, rowid, title, text)"
	"    VALUES ('delete', old.rid, old.title, old.text);"
	"END;"
	"CREATE TRIGGER articles_au AFTER UPDATE OF title, text, rid ON articles BEGIN"
	"  INSERT INTO articles_fts(articles_fts, rowid, title, text)"
	"    VALUES ('delete', old.rid, old.title, old.text);"
	"  INSERT INTO articles_fts(rowid, title, text) VALUES (new.rid, new.title, new.text);"
	"END;",
	/* 1 -> 2: the last known state of every feed, so that a digest built
	 * after the pipeline (and its Redis) stopped still reports feed health */
	"CREATE TABLE feed_health ("
	"  id TEXT PRIMARY KEY, state TEXT NOT NULL, updated TEXT NOT NULL);",
	/* 2 -> 3: MinHash signatures and their LSH bands, for story clusters
	 * of wire copies that SimHash puts too far apart */
	"ALTER TABLE articles ADD COLUMN minhash BLOB;"
	"CREATE TABLE lsh ("
	"  band INTEGER NOT NULL, value INTEGER NOT NULL, ts INTEGER NOT NULL,"
	"  article TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,"
	"  sig BLOB,"  /* the article's signature again: candidates need no join */
	"  PRIMARY KEY (band, value, ts, article)) WITHOUT ROWID;"
	"CREATE INDEX lsh_article ON lsh(article);",
	/* 3 -> 4: speed, and the signatures of articles stored before 3.
	 * - The full-text rowid is trid, ordered by time (TRID below), so that
	 *   a date range is a rowid range FTS5 seeks to, instead of every
	 *   match of a phrase in the whole archive joined and then dropped.
	 * - The full-text index is written from C once per batch (fts_flush)
	 *   instead of by an insert trigger: with SQLite 3.40 every statement
	 *   savepoint in a transaction flushes FTS5's pending terms, so the
	 *   trigger wrote one tiny segment per article (and merged them again).
	 * - Tags carry their article's time: a tag with a date range, and a
	 *   count by day of one tag, are one range of one index.
	 * The C step (migrate_4) numbers the articles, rebuilds the index,
	 * then signs the articles migration 2 -> 3 left without a signature. */
	"DROP TRIGGER articles_ai;"
	"DROP TRIGGER articles_ad;"
	"DROP TRIGGER articles_au;"
	"DROP TABLE articles_fts;"
	"ALTER TABLE articles ADD COLUMN trid INTEGER;"
	"CREATE UNIQUE INDEX articles_trid ON articles(trid);"
	"CREATE VIRTUAL TABLE articles_fts USING fts5("
	"  title, text, content='articles', content_rowid='trid', tokenize='pressmon');"
	"ALTER TABLE tags ADD COLUMN ts INTEGER;"
	"UPDATE tags SET ts = (SELECT ts FROM articles WHERE articles.id = tags.article);"
	"DROP INDEX tags_tag;"
	"CREATE INDEX tags_tag_ts ON tags(tag, ts);",
	/* 4 -> 5: less work per article, and none that grows with the archive.
	 * - tags, evidence, misinfo and lsh are keyed by the article's trid
	 *   (an integer ordered by time) instead of its 16-hex TEXT id: a batch
	 *   of new articles appends at the end of each of their b-trees instead
	 *   of dirtying a random page of each per article, which on a large
	 *   archive is a page write per article per table. A put replaces an
	 *   article's rows wholesale, so a changed trid is no problem.
	 * - lsh rows no longer carry the 120-byte signature (a candidate's is
	 *   read from articles), nor the article, nor ts (in trid), and need no
	 *   lsh_article index: a replaced article's bands are found from its
	 *   stored signature.
	 * - No foreign keys on these tables (each child insert probed the
	 *   parent): the delete trigger removes an article's tags, evidence and
	 *   flags; prune removes bands by trid range.
	 * - FTS5 buffers 64 MiB of terms before it writes a segment (1 MiB by
	 *   default made a batch of 5,000 articles a dozen segments, merged
	 *   again right away). */
	"CREATE TABLE tags5 ("
	"  article INTEGER NOT NULL, tag TEXT NOT NULL, score REAL, ts INTEGER,"
	"  PRIMARY KEY (article, tag)) WITHOUT ROWID;"
	"INSERT INTO tags5 SELECT a.trid, t.tag, t.score, t.ts FROM tags t JOIN articles a ON a.id = t.article;"
	"DROP TABLE tags;"
	"ALTER TABLE tags5 RENAME TO tags;"
	"CREATE INDEX tags_tag_ts ON tags(tag, ts);"
	"CREATE TABLE evidence5 ("
	"  article INTEGER NOT NULL, tag TEXT NOT NULL, ord INTEGER NOT NULL, field TEXT,"
	"  pos_start INTEGER, pos_end INTEGER, text TEXT, rule TEXT,"
	"  PRIMARY KEY (article, tag, ord)) WITHOUT ROWID;"
	"INSERT INTO evidence5 SELECT a.trid, e.tag, e.ord, e.field, e.pos_start, e.pos_end, e.text, e.rule"
	"  FROM evidence e JOIN articles a ON a.id = e.article;"
	"DROP TABLE evidence;"
	"ALTER TABLE evidence5 RENAME TO evidence;"
	"CREATE TABLE misinfo5 ("
	"  article INTEGER NOT NULL, ord INTEGER NOT NULL, claim TEXT NOT NULL, verdict TEXT,"
	"  sentence TEXT, correction TEXT, reference TEXT, PRIMARY KEY (article, ord)) WITHOUT ROWID;"
	"INSERT INTO misinfo5 SELECT a.trid, m.ord, m.claim, m.verdict, m.sentence, m.correction, m.reference"
	"  FROM misinfo m JOIN articles a ON a.id = m.article;"
	"DROP TABLE misinfo;"
	"ALTER TABLE misinfo5 RENAME TO misinfo;"
	"CREATE INDEX misinfo_claim ON misinfo(claim);"
	"CREATE TABLE lsh5 ("
	"  band INTEGER NOT NULL, value INTEGER NOT NULL, trid INTEGER NOT NULL,"
	"  PRIMARY KEY (band, value, trid)) WITHOUT ROWID;"
	"INSERT OR IGNORE INTO lsh5 SELECT l.band, l.value, a.trid FROM lsh l JOIN articles a ON a.id = l.article;"
	"DROP TABLE lsh;"
	"ALTER TABLE lsh5 RENAME TO lsh;"
	"DROP TRIGGER articles_ad;"
	TRIGGER_AD_5
	"INSERT INTO articles_fts(articles_fts, rank) VALUES ('hashsize', 67108864);",
	/* 5 -> 6: the time index covers what a digest counts per day (outlets,
	 * languages) and the key of the scope test (trid): the headline's
	 * nine days of counts read index entries instead of every article row
	 * of those days, a third of a digest's time on a day of 20,000. New
	 * articles append to it (ts grows), so the writer pays little. */
	"DROP INDEX articles_ts;"
	"CREATE INDEX articles_ts ON articles(ts, source_id, lang, trid);",
	/* 6 -> 7: how many articles carry each tag per quarter hour, kept by
	 * triggers on tags, so that "icc per day this year" sums some 35,000
	 * quarters instead of counting 850,000 tag rows (a quarter, because
	 * every time zone's day starts on one). The floor division keeps
	 * times before 1970 in the right quarter. */
	"CREATE TABLE tag_quarters ("
	"  tag TEXT NOT NULL, q INTEGER NOT NULL, n INTEGER NOT NULL,"
	"  PRIMARY KEY (tag, q)) WITHOUT ROWID;"
	"INSERT INTO tag_quarters SELECT tag, (ts - ((ts % 900) + 900) % 900) / 900, count(*)"
	"  FROM tags WHERE ts IS NOT NULL GROUP BY 1, 2;"
	"CREATE TRIGGER tags_ai AFTER INSERT ON tags WHEN new.ts IS NOT NULL BEGIN"
	"  INSERT INTO tag_quarters VALUES (new.tag, (new.ts - ((new.ts % 900) + 900) % 900) / 900, 1)"
	"    ON CONFLICT (tag, q) DO UPDATE SET n = n + 1;"
	"END;"
	"CREATE TRIGGER tags_ad AFTER DELETE ON tags WHEN old.ts IS NOT NULL BEGIN"
	"  UPDATE tag_quarters SET n = n - 1"
	"    WHERE tag = old.tag AND q = (old.ts - ((old.ts % 900) + 900) % 900) / 900;"
	"END;"
	"CREATE TRIGGER tags_au AFTER UPDATE OF tag, ts ON tags BEGIN"
	"  UPDATE tag_quarters SET n = n - 1"
	"    WHERE old.ts IS NOT NULL AND tag = old.tag"
	"      AND q = (old.ts - ((old.ts % 900) + 900) % 900) / 900;"
	"  INSERT INTO tag_quarters SELECT new.tag, (new.ts - ((new.ts % 900) + 900) % 900) / 900, 1"
	"    WHERE new.ts IS NOT NULL"
	"    ON CONFLICT (tag, q) DO UPDATE SET n = n + 1;"
	"END;",
	/* 7 -> 8: what a batch of new articles writes stays in a small recent
	 * region of every b-tree, whatever the size of the archive.
	 * - articles is rebuilt without its text primary key: of the two
	 *   random unique keys (id, rid) one is left, rid (the id as an
	 *   integer, smaller than the text); lookups by id go through it and
	 *   compare the text. The rows keep an appending rowid and trid its
	 *   (time-ordered) unique index: with trid as the INTEGER PRIMARY KEY
	 *   a day's articles arriving out of time order each wrote a page of
	 *   2.7 KB rows (and split it), and the pipeline's archive stage took
	 *   a fifth more CPU.
	 * - The clustering keys (SimHash bands, folded title, LSH bands) lead
	 *   with a time bucket, ts >> 18 (3.03 days; see PM_TB_SHIFT): the
	 *   window of ±3 days is at most three buckets, looked up one by one,
	 *   and a batch's inserts land in the buckets of its days instead of
	 *   one random page per article per index once the index outgrew the
	 *   batch.
	 * - No foreign key from articles to sources: the writer stores the
	 *   source first, and each insert probed sources for nothing.
	 * Reads and writes every article row once; the full-text index is
	 * kept (its rowids do not change). */
	"CREATE TABLE articles8 ("
	"  trid INTEGER NOT NULL,"        /* the full-text rowid, ordered by time */
	"  id TEXT NOT NULL,"             /* 16 hex digits */
	"  rid INTEGER NOT NULL,"         /* the id as a signed integer */
	"  url TEXT, title TEXT, text TEXT, summary TEXT, author TEXT,"
	"  published TEXT, fetched TEXT, ts INTEGER, lang TEXT, source_id TEXT,"
	"  fingerprint TEXT, fp INTEGER, fp0 INTEGER, fp1 INTEGER, fp2 INTEGER, fp3 INTEGER,"
	"  norm_title TEXT, cluster TEXT, hash TEXT, extra TEXT, minhash BLOB);"
	"INSERT INTO articles8 (trid, id, rid, url, title, text, summary, author, published,"
	"  fetched, ts, lang, source_id, fingerprint, fp, fp0, fp1, fp2, fp3, norm_title,"
	"  cluster, hash, extra, minhash)"
	"  SELECT trid, id, rid, url, title, text, summary, author, published,"
	"  fetched, ts, lang, source_id, fingerprint, fp, fp0, fp1, fp2, fp3, norm_title,"
	"  cluster, hash, extra, minhash FROM articles ORDER BY trid;"
	"DROP TABLE articles;"
	"ALTER TABLE articles8 RENAME TO articles;"
	"CREATE UNIQUE INDEX articles_rid ON articles(rid);"
	"CREATE UNIQUE INDEX articles_trid ON articles(trid);"
	"CREATE INDEX articles_ts ON articles(ts, source_id, lang, trid);"
	"CREATE INDEX articles_source ON articles(source_id, ts);"
	"CREATE INDEX articles_cluster ON articles(cluster);"
	"CREATE INDEX articles_fp0 ON articles(ts >> 18, fp0, ts);"
	"CREATE INDEX articles_fp1 ON articles(ts >> 18, fp1, ts);"
	"CREATE INDEX articles_fp2 ON articles(ts >> 18, fp2, ts);"
	"CREATE INDEX articles_fp3 ON articles(ts >> 18, fp3, ts);"
	"CREATE INDEX articles_title ON articles(ts >> 18, norm_title, ts);"
	TRIGGER_AD_5
	TRIGGER_AU_4
	/* tb = trid >> 38 = ts >> 18: the bucket of the article's time */
	"CREATE TABLE lsh8 ("
	"  tb INTEGER NOT NULL, band INTEGER NOT NULL, value INTEGER NOT NULL,"
	"  trid INTEGER NOT NULL, PRIMARY KEY (tb, band, value, trid)) WITHOUT ROWID;"
	"INSERT INTO lsh8 SELECT trid >> 38, band, value, trid FROM lsh ORDER BY 1, 2, 3, 4;"
	"DROP TABLE lsh;"
	"ALTER TABLE lsh8 RENAME TO lsh;",
	/* 8 -> 9: the writer counts its new tag rows into tag_quarters once
	 * per batch (tq_flush), a few hundred upserts, instead of the insert
	 * trigger's one per tag row: with it, storing tags was 17% of the
	 * archive worker's SQL time (100,000 pipeline articles, per-statement
	 * profile). Deletes and updates keep their triggers (replacements,
	 * prune: rare); the writer counts its queue in before any of them
	 * can run (batch_flush). */
	"DROP TRIGGER tags_ai;",
	/* 9 -> 10: the SQL look-up keys of clustering (the four SimHash band
	 * indexes, the title index and the LSH rows) are kept only for the
	 * time buckets that SQL answers for: a bucket too big for memory, or
	 * one a backfill reaches past the writer's loads (near_ready). The
	 * writer's memory answers for every other bucket, and keeping those
	 * keys anyway was a fifth of the archive worker's time (100,000
	 * pipeline articles: 15.3 s with them, 12.0 s without). A bucket is
	 * keyed (near_sql, articles.keyed, its lsh rows) the first time SQL
	 * looks in it (keyed_ensure), and stays keyed. The indexes are
	 * partial (keyed = 1); the rows and lsh rows of older archives are
	 * keyed again as SQL needs them. */
	"ALTER TABLE articles ADD COLUMN keyed INTEGER;"
	"DROP INDEX articles_fp0;"
	"DROP INDEX articles_fp1;"
	"DROP INDEX articles_fp2;"
	"DROP INDEX articles_fp3;"
	"DROP INDEX articles_title;"
	"CREATE INDEX articles_fp0 ON articles(ts >> 18, fp0, ts) WHERE keyed = 1;"
	"CREATE INDEX articles_fp1 ON articles(ts >> 18, fp1, ts) WHERE keyed = 1;"
	"CREATE INDEX articles_fp2 ON articles(ts >> 18, fp2, ts) WHERE keyed = 1;"
	"CREATE INDEX articles_fp3 ON articles(ts >> 18, fp3, ts) WHERE keyed = 1;"
	"CREATE INDEX articles_title ON articles(ts >> 18, norm_title, ts) WHERE keyed = 1;"
	"DELETE FROM lsh;"
	"CREATE TABLE near_sql (tb INTEGER PRIMARY KEY);",
	/* 10 -> 11: the full-text index moves to a file of its own, written
	 * by a thread of its own (archive/ftsidx.h); FTS5 was half of the
	 * writer's time. What it must index is queued here, in the same
	 * transactions as the articles: new ones by the writer, changed and
	 * deleted ones by the triggers, with the version the index holds.
	 * fts_link's random key tells an index file of this archive from
	 * another's. The new index file starts empty and every article is
	 * queued for it when a writer first opens the archive. */
	"DROP TRIGGER articles_ad;"
	"DROP TRIGGER articles_au;"
	"DROP TABLE articles_fts;"
	"CREATE TABLE fts_queue ("
	"  seq INTEGER PRIMARY KEY AUTOINCREMENT, trid INTEGER NOT NULL,"
	"  had INTEGER NOT NULL DEFAULT 0, title TEXT, text TEXT);"
	"CREATE TABLE fts_link (key INTEGER NOT NULL);"
	"INSERT INTO fts_link VALUES (random());"
	"CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN"
	"  INSERT INTO fts_queue(trid, had, title, text) VALUES (old.trid, 1, old.title, old.text);"
	"  DELETE FROM tags WHERE article = old.trid;"
	"  DELETE FROM evidence WHERE article = old.trid;"
	"  DELETE FROM misinfo WHERE article = old.trid;"
	"END;"
	"CREATE TRIGGER articles_au AFTER UPDATE OF title, text, trid ON articles BEGIN"
	"  INSERT INTO fts_queue(trid, had, title, text) VALUES (old.trid, 1, old.title, old.text);"
	"  INSERT INTO fts_queue(trid) VALUES (new.trid);"
	"END;",
};

/* The triggers that kept the full-text index in step on delete and update
 * (schemas 4 to 10; inserts were indexed at commit). Created by migrate_4
 * once every article has its trid; migration 10 -> 11 replaces them. */
static const char fts_triggers[] =
	"CREATE TRIGGER articles_ad AFTER DELETE ON articles BEGIN"
	"  INSERT INTO articles_fts(articles_fts, rowid, title, text)"
	"    VALUES ('delete', old.trid, old.title, old.text);"
	"END;"
	TRIGGER_AU_4;

static int migrate_4(struct pm_archive *a, struct pm_err *err);
static int near_sync(struct pm_archive *a, struct pm_err *err);

/* Work in C that migration i needs after its SQL, or NULL. */
static int (*const migration_steps[])(struct pm_archive *, struct pm_err *) = {
	NULL, NULL, NULL, migrate_4, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

_Static_assert(sizeof(migration_steps) / sizeof(migration_steps[0]) == PM_ARCHIVE_SCHEMA,
	       "every migration has an entry in migration_steps");

_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == PM_ARCHIVE_SCHEMA,
	       "PM_ARCHIVE_SCHEMA must equal the number of migrations");

int pm_archive_sqlerr(struct pm_archive *a, const char *what, struct pm_err *err)
{
	int rc = sqlite3_extended_errcode(a->db);
	int code = PM_ERUNTIME;

	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED)
		/* only after the busy timeout ran out: say so plainly */
		return pm_err_set(err, PM_EDEP, "archive '%s' stayed busy for %d s while %s",
				  a->path, BUSY_TIMEOUT_MS / 1000, what);
	if ((rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB ||
	    (rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR ||
	    (rc & 0xff) == SQLITE_FULL || (rc & 0xff) == SQLITE_READONLY)
		code = PM_EDEP;
	return pm_err_set(err, code, "archive '%s': %s: %s", a->path, what, sqlite3_errmsg(a->db));
}

const char *pm_col_text(sqlite3_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st, col);
}

int pm_archive_cached(struct pm_archive *a, const char *sql, sqlite3_stmt **st,
		      struct pm_err *err)
{
	size_t i;

	for (i = 0; i < a->ncache; i++)
		if (a->cache[i].sql == sql) {
			*st = a->cache[i].st;
			sqlite3_reset(*st);
			sqlite3_clear_bindings(*st);
			return 0;
		}
	if (a->ncache == PM_STMT_CACHE)
		return pm_err_set(err, PM_ERUNTIME, "archive '%s': more than %d cached statements",
				  a->path, PM_STMT_CACHE);
	if (sqlite3_prepare_v3(a->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return pm_archive_sqlerr(a, "preparing a statement", err);
	a->cache[a->ncache].sql = sql;
	a->cache[a->ncache++].st = *st;
	return 0;
}

static int exec(struct pm_archive *a, const char *sql, const char *what, struct pm_err *err)
{
	if (sqlite3_exec(a->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return pm_archive_sqlerr(a, what, err);
	return 0;
}

static int user_version(struct pm_archive *a, int *v, struct pm_err *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(a->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return pm_archive_sqlerr(a, "reading the schema version", err);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return pm_archive_sqlerr(a, "reading the schema version", err);
	}
	*v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return 0;
}

static int migrate(struct pm_archive *a, struct pm_err *err)
{
	int v;
	const int last = (int)(sizeof(migrations) / sizeof(migrations[0]));

	if (exec(a, "BEGIN IMMEDIATE", "starting the migration", err))
		return -1;
	/* read inside the write lock so two processes never both migrate */
	if (user_version(a, &v, err))
		goto fail;
	if (v > last) {
		pm_err_set(err, PM_EDEP, "archive '%s' has schema version %d, newer than this pressmon (%d)",
			   a->path, v, last);
		goto fail;
	}
	for (; v < last; v++) {
		char pragma[64];
		if (exec(a, migrations[v], "migrating the schema", err))
			goto fail;
		if (migration_steps[v] && migration_steps[v](a, err))
			goto fail;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (exec(a, pragma, "migrating the schema", err))
			goto fail;
	}
	return exec(a, "COMMIT", "committing the migration", err);
fail:
	sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

void pm_archive_library_init(void)
{
	/* SQLite's memory statistics take a global mutex on every allocation
	 * it makes, some 3% of the archive writer's main thread (perf, 100,000
	 * pipeline articles); pressmon never reads them. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* A reader's view of the full-text index (archive/ftsidx.h): its file
 * attached as "fts", when there is one; a text query says so when not. A
 * file that cannot be attached is no index either: the queries without
 * text still run. */
void pm_archive_fts_attach(struct pm_archive *a)
{
	char *fp = pm_ftsidx_path(a->path);
	sqlite3_stmt *st = NULL;
	struct stat sb;
	int rc = SQLITE_DONE;

	if (stat(fp, &sb) == 0) {
		if (sqlite3_prepare_v2(a->db, "ATTACH ?1 AS fts", -1, &st, NULL) == SQLITE_OK) {
			sqlite3_bind_text(st, 1, fp, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
		} else {
			rc = SQLITE_ERROR;
		}
		sqlite3_finalize(st);
		st = NULL;
		a->has_fts = rc == SQLITE_DONE;
	}
	free(fp);
	/* another archive's index file, or one not built yet, is none: its
	 * rowids would name other articles */
	if (a->has_fts) {
		int ours = sqlite3_prepare_v2(a->db, "SELECT (SELECT key FROM main.fts_link) ="
						     " (SELECT v FROM fts.fts_state WHERE k = 'link')",
					      -1, &st, NULL) == SQLITE_OK &&
			   sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
		sqlite3_finalize(st); /* before DETACH, which an open statement blocks */
		if (!ours)
			pm_archive_fts_detach(a);
	}
}

void pm_archive_fts_detach(struct pm_archive *a)
{
	if (a->has_fts && sqlite3_exec(a->db, "DETACH fts", NULL, NULL, NULL) == SQLITE_OK)
		a->has_fts = 0;
}

int pm_archive_open(const char *path, int mode, struct pm_archive **out, struct pm_err *err)
{
	struct pm_archive *a = xcalloc(1, sizeof(*a));
	int flags, v, no_index = mode & PM_ARCHIVE_NO_INDEX;
	struct stat sb;

	*out = NULL;
	mode &= ~PM_ARCHIVE_NO_INDEX;
	a->path = xstrdup(path);
	a->mode = mode;
	if (mode != PM_ARCHIVE_WRITE && stat(path, &sb) != 0) {
		pm_err_set(err, PM_EDEP, "cannot open archive '%s': %s", path, strerror(errno));
		goto fail;
	}
	flags = mode == PM_ARCHIVE_WRITE ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
					 : SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2(path, &a->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		pm_err_set(err, PM_EDEP, "cannot open archive '%s': %s", path,
			   a->db ? sqlite3_errmsg(a->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(a->db, 1);
	sqlite3_busy_timeout(a->db, BUSY_TIMEOUT_MS);
	if (pm_archive_register_tokenizer(a->db, err))
		goto fail;
	if (mode == PM_ARCHIVE_WRITE) {
		/* WAL: readers (query, report) never block the archive worker */
		/* 8 KiB pages, for a new archive only (an existing file keeps its
		 * own): an article row of ~2.7 KB took a 4 KiB page of its own,
		 * 8 KiB pages hold three; 20,000 articles were 135 MB, are 113 */
		if (exec(a, "PRAGMA page_size = 8192", "setting the page size", err) ||
		    exec(a, "PRAGMA journal_mode = WAL", "setting WAL mode", err) ||
		    exec(a, "PRAGMA synchronous = NORMAL", "setting synchronous", err) ||
		    /* the writer touches the FTS and LSH indexes all over: a big
		     * page cache keeps them in memory between commits instead of
		     * re-reading and re-writing pages. SQLite's default is 2 MiB;
		     * importing 150,000 articles took 197 s with 64 MiB and 152 s
		     * with 512 MiB (the cache grows only as the archive does) */
		    exec(a, "PRAGMA cache_size = -524288", "sizing the page cache", err) ||
		    exec(a, "PRAGMA temp_store = MEMORY", "setting temp_store", err))
			goto fail_dep;
		/* The WAL is checkpointed from 16,384 pages on, on a thread of
		 * its own, and started over at 512 MiB (archive/ckpt.h; the
		 * hook replaces SQLite's automatic checkpoint). A batch dirties
		 * pages all over the index b-trees, and the next batch mostly
		 * the same ones: checkpointing at SQLite's 1,000 pages copied
		 * them into the file after nearly every commit. With a
		 * checkpoint every 20,000 pages, archiving 100,000 pipeline
		 * articles went from 65.5 s wall and 8.7 s of system time to
		 * 41.5 s and 5.2 s; 16,384, 20,000 and 32,768 could not be told
		 * apart on a busy machine. 16,384 is 128 MiB of WAL at 8 KiB
		 * pages. (journal_size_limit, to truncate the WAL after each
		 * checkpoint, gave back the gain: the file is extended anew
		 * every time.) With the thread, run --once on 300,000 articles,
		 * alternating: 72.9 and 78.6 s with SQLite's own (inside the
		 * commits), 60.1 and 65.0 s. */
		a->ckpt = pm_ckpt_attach(a->db, path, 16384, 65536);
		if (migrate(a, err))
			goto fail_dep;
		if (!no_index && pm_ftsidx_open(a->db, path, &a->fts, err))
			goto fail;
		a->near = pm_nearidx_new(NEAR_MAX_ARTICLES);
		a->data_version = -1;
	} else {
		if (user_version(a, &v, err))
			goto fail_dep;
		if (v == 0) {
			pm_err_set(err, PM_EDEP, "'%s' is not a pressmon archive", path);
			goto fail;
		}
		if (v > PM_ARCHIVE_SCHEMA) {
			pm_err_set(err, PM_EDEP, "archive '%s' has schema version %d, newer than this pressmon (%d)",
				   path, v, PM_ARCHIVE_SCHEMA);
			goto fail;
		}
		/* an older archive is readable only after a writer migrated it */
		if (v < PM_ARCHIVE_SCHEMA) {
			pm_err_set(err, PM_EDEP, "archive '%s' has schema version %d; open it for writing once to migrate it",
				   path, v);
			goto fail;
		}
		/* a query: 512 KiB of page cache instead of SQLite's 2 MB. It
		 * passes over the rows it reads once (what it keeps hot is the
		 * upper levels of a few B-trees), and each page slot of a bigger
		 * cache is fresh heap the kernel must fault in: a week's phrase
		 * query made the same 2,511 reads with 64 slots as with 250, and
		 * 1,086 page faults instead of 1,464. The digest, which reads
		 * the same rows more than once, made 6% more reads with it, so
		 * other readers keep the default (docs/archive.md, "Query
		 * latency") */
		if (mode == PM_ARCHIVE_QUERY &&
		    exec(a, "PRAGMA cache_size = -512", "sizing the page cache", err))
			goto fail_dep;
	}
	if (exec(a, "PRAGMA foreign_keys = ON", "enabling foreign keys", err))
		goto fail_dep;
	*out = a;
	return 0;
fail_dep:
	err->code = PM_EDEP; /* a database that cannot be set up is unavailable */
fail:
	pm_archive_close(a);
	return -1;
}

static int fts_queue_trim(struct pm_archive *a, struct pm_err *err);

void pm_archive_close(struct pm_archive *a)
{
	if (!a)
		return;
	pm_ckpt_detach(a->ckpt); /* before the connection it checkpoints */
	if (a->db) {
		if (a->in_batch)
			sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		if (a->fts) {
			/* indexes what was committed and deletes the queue rows
			 * that leaves applied (no next batch will); the thread
			 * then stops without another pass */
			struct pm_err e;
			pm_err_init(&e);
			if (pm_ftsidx_sync(a->fts, &e) == 0 && sqlite3_get_autocommit(a->db))
				fts_queue_trim(a, &e);
			pm_ftsidx_close(a->fts);
		}
		for (size_t i = 0; i < a->ncache; i++)
			sqlite3_finalize(a->cache[i].st);
		sqlite3_close_v2(a->db);
	}
	free(a->path);
	free(a->scope);
	free(a->lsh_pend);
	free(a->tq_pend);
	for (size_t i = 0; i < a->ntq_tags; i++)
		free(a->tq_tags[i]);
	free(a->tq_tags);
	free(a->tq_slots);
	free(a->keyed);
	pm_nearidx_free(a->near);
	free(a);
}

static int lsh_flush(struct pm_archive *a, struct pm_err *err);
static void tq_clear(struct pm_archive *a);

/* Forgets what the batch queued for its commit (batch_flush): after a
 * rollback. */
static void pending_drop(struct pm_archive *a)
{
	a->nlsh = 0;
	tq_clear(a);
}

static int tq_flush(struct pm_archive *a, struct pm_err *err);

/* Writes what the batch queued: its LSH rows (lsh_flush) and its tag
 * counts (tq_flush). Every path to COMMIT calls it, and so does a put that
 * replaces a stored article (its bands are deleted by value, and the
 * delete trigger on tags takes one off a quarter's count, which must hold
 * the queued one first). */
static int batch_flush(struct pm_archive *a, struct pm_err *err)
{
	return lsh_flush(a, err) || tq_flush(a, err) ? -1 : 0;
}

/* The batch's number for tag (tq_tags), by a hash of the names: input may
 * carry many distinct tags, and a scan would make that quadratic. */
static uint32_t tq_tag_index(struct pm_archive *a, const char *tag)
{
	size_t mask, i;

	if ((a->ntq_tags + 1) * 10 > a->tq_nslots * 7) {
		size_t n = a->tq_nslots ? 2 * a->tq_nslots : 64;
		free(a->tq_slots);
		a->tq_slots = xcalloc(n, sizeof(*a->tq_slots));
		a->tq_nslots = n;
		for (size_t t = 0; t < a->ntq_tags; t++) {
			for (i = pm_hash64_str(a->tq_tags[t]) & (n - 1); a->tq_slots[i]; i = (i + 1) & (n - 1))
				;
			a->tq_slots[i] = (uint32_t)t + 1;
		}
	}
	mask = a->tq_nslots - 1;
	for (i = pm_hash64_str(tag) & mask; a->tq_slots[i]; i = (i + 1) & mask)
		if (!strcmp(a->tq_tags[a->tq_slots[i] - 1], tag))
			return a->tq_slots[i] - 1;
	if (a->ntq_tags == a->tq_tags_cap) {
		a->tq_tags_cap = a->tq_tags_cap ? 2 * a->tq_tags_cap : 16;
		a->tq_tags = xrealloc(a->tq_tags, a->tq_tags_cap * sizeof(*a->tq_tags));
	}
	a->tq_tags[a->ntq_tags++] = xstrdup(tag);
	a->tq_slots[i] = (uint32_t)a->ntq_tags;
	return (uint32_t)a->ntq_tags - 1;
}

/* Empties the queue of tag rows and forgets its tag names. */
static void tq_clear(struct pm_archive *a)
{
	for (size_t i = 0; i < a->ntq_tags; i++)
		free(a->tq_tags[i]);
	a->ntq_tags = 0;
	a->ntq = 0;
	if (a->tq_slots)
		memset(a->tq_slots, 0, a->tq_nslots * sizeof(*a->tq_slots));
}

/* Queues a new tag row of time ts for tag_quarters. */
static void tq_add(struct pm_archive *a, const char *tag, int64_t ts)
{
	uint32_t t = tq_tag_index(a, tag);

	if (a->ntq == a->tq_cap) {
		a->tq_cap = a->tq_cap ? 2 * a->tq_cap : 1024;
		a->tq_pend = xrealloc(a->tq_pend, a->tq_cap * sizeof(*a->tq_pend));
	}
	/* floor division, as migration 6 -> 7 computes it in SQL */
	a->tq_pend[a->ntq++] = (struct pm_tq_row){ .q = (ts - ((ts % 900) + 900) % 900) / 900, .tag = t };
}

static int tq_row_cmp(const void *x, const void *y)
{
	const struct pm_tq_row *p = x, *q = y;

	if (p->tag != q->tag)
		return p->tag < q->tag ? -1 : 1;
	return p->q < q->q ? -1 : p->q > q->q;
}

/* Adds the queued tag rows to tag_quarters, one upsert per (tag, quarter). */
static int tq_flush(struct pm_archive *a, struct pm_err *err)
{
	sqlite3_stmt *st;

	if (!a->ntq)
		return 0;
	if (pm_archive_cached(a, "INSERT INTO tag_quarters(tag, q, n) VALUES (?1, ?2, ?3)"
				 " ON CONFLICT (tag, q) DO UPDATE SET n = n + excluded.n", &st, err))
		return -1;
	qsort(a->tq_pend, a->ntq, sizeof(*a->tq_pend), tq_row_cmp);
	for (size_t i = 0, j; i < a->ntq; i = j) {
		for (j = i + 1; j < a->ntq && !tq_row_cmp(&a->tq_pend[i], &a->tq_pend[j]); j++)
			;
		sqlite3_bind_text(st, 1, a->tq_tags[a->tq_pend[i].tag], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, a->tq_pend[i].q);
		sqlite3_bind_int64(st, 3, (int64_t)(j - i));
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			return pm_archive_sqlerr(a, "counting the batch's tags", err);
		}
		sqlite3_reset(st);
	}
	tq_clear(a);
	return 0;
}

/* Deletes the queue rows the full-text index has applied (ftsidx.h). */
static int fts_queue_trim(struct pm_archive *a, struct pm_err *err)
{
	int64_t applied = pm_ftsidx_applied(a->fts);
	sqlite3_stmt *st;

	if (applied <= a->fts_trimmed)
		return 0;
	if (pm_archive_cached(a, "DELETE FROM fts_queue WHERE seq <= ?1", &st, err))
		return -1;
	sqlite3_bind_int64(st, 1, applied);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_reset(st);
		return pm_archive_sqlerr(a, "trimming the full-text queue", err);
	}
	sqlite3_reset(st);
	a->fts_trimmed = applied;
	return 0;
}

void pm_archive_fts_pass_rows(struct pm_archive *a, int64_t rows)
{
	pm_ftsidx_set_pass_rows(a->fts, rows);
}

int pm_archive_sync(struct pm_archive *a, struct pm_err *err)
{
	return pm_ftsidx_sync(a->fts, err);
}

int pm_archive_begin(struct pm_archive *a, struct pm_err *err)
{
	if (a->in_batch)
		return pm_err_set(err, PM_ERUNTIME, "archive '%s': a batch is already open", a->path);
	/* a full-text pass that failed stops the writer: the queue keeps
	 * its rows, and a writer started again applies them */
	if (pm_ftsidx_failed(a->fts, err))
		return -1;
	if (exec(a, "BEGIN IMMEDIATE", "starting a batch", err))
		return -1;
	a->in_batch = 1;
	return fts_queue_trim(a, err) || near_sync(a, err) ? -1 : 0;
}

int pm_archive_commit(struct pm_archive *a, struct pm_err *err)
{
	if (!a->in_batch)
		return pm_err_set(err, PM_ERUNTIME, "archive '%s': no batch is open", a->path);
	if (a->batch_lost) {
		a->in_batch = 0;
		a->batch_lost = 0;
		return pm_err_set(err, PM_ERUNTIME, "archive '%s': the batch was rolled back after a failed write",
				  a->path);
	}
	if (batch_flush(a, err) || exec(a, "COMMIT", "committing a batch", err)) {
		pm_archive_rollback(a);
		return -1;
	}
	a->in_batch = 0;
	pm_ftsidx_kick(a->fts);
	return 0;
}

int pm_archive_read_begin(struct pm_archive *a, struct pm_err *err)
{
	if (a->in_batch)
		return pm_err_set(err, PM_ERUNTIME, "archive '%s': a batch is open", a->path);
	/* deferred: the snapshot is fixed by the first read after it */
	return exec(a, "BEGIN", "starting a read", err);
}

void pm_archive_read_end(struct pm_archive *a)
{
	/* a read transaction has nothing to lose: ROLLBACK cannot fail it */
	if (!a->in_batch && !sqlite3_get_autocommit(a->db))
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
}

int pm_archive_rollback(struct pm_archive *a)
{
	if (!a->in_batch)
		return 0;
	a->in_batch = 0;
	pending_drop(a); /* the queue's rows go with the rest */
	pm_archive_forget_near(a); /* it holds the batch's puts */
	if (a->batch_lost) {
		a->batch_lost = 0;
		return 0; /* rolled back already */
	}
	return sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

void pm_archive_checkpoint_at(struct pm_archive *a, int pages)
{
	pm_ckpt_set_start(a->ckpt, pages);
}

long long pm_archive_count(struct pm_archive *a)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(a->db, "SELECT count(*) FROM articles", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* ---- pm_archive_put ---- */

/* The parsed, validated fields of one article; strings are borrowed from
 * the JSON object. */
struct art {
	const char *id, *url, *title, *text, *summary, *author, *lang;
	char published[PM_ISO_LEN], fetched[PM_ISO_LEN];
	int has_published, has_fetched, has_ts;
	time_t ts;
	const char *src_id, *src_name, *src_country, *src_region, *src_type;
	const char *fingerprint;
	uint64_t fp;
	int has_fp;
	json_t *obj; /* the article: the strings above are its */
	json_t *tags, *misinfo;
	char *norm_title;
	char *hash;
	char *extra;
	uint32_t mh[PM_MH_K];
	int has_mh;
	uint64_t id_hash, title_hash; /* as in struct pm_near_ent */
};

static const char *const known_keys[] = {
	"id", "url", "title", "text", "summary", "author", "published", "fetched",
	"lang", "source", "tags", "misinfo", "cluster", "fingerprint", NULL
};

static int opt_string(json_t *obj, const char *key, const char *field, const char **out,
		      struct pm_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return pm_err_set(err, PM_EINPUT, "field '%s' is not a string", field);
	*out = json_string_value(v);
	return 0;
}

static int opt_time(json_t *obj, const char *key, char out[PM_ISO_LEN], int *has, time_t *t,
		    struct pm_err *err)
{
	const char *s;

	*has = 0;
	if (opt_string(obj, key, key, &s, err))
		return -1;
	if (!s || !*s)
		return 0;
	if (pm_time_parse_iso(s, t))
		return pm_err_set(err, PM_EINPUT, "field '%s' is not an ISO 8601 time: '%.40s'", key, s);
	pm_time_iso(*t, out);
	*has = 1;
	return 0;
}

static void art_release(struct art *r)
{
	free(r->norm_title);
	free(r->hash);
	free(r->extra);
}

static int check_tags(json_t *tags, struct pm_err *err)
{
	size_t i;
	json_t *t;

	if (!tags || json_is_null(tags))
		return 0;
	if (!json_is_array(tags))
		return pm_err_set(err, PM_EINPUT, "field 'tags' is not an array");
	if (json_array_size(tags) > MAX_TAGS)
		return pm_err_set(err, PM_EINPUT, "field 'tags' has more than %d entries", MAX_TAGS);
	json_array_foreach(tags, i, t) {
		json_t *tag = json_object_get(t, "tag"), *score = json_object_get(t, "score");
		json_t *ev = json_object_get(t, "evidence");
		if (!json_is_object(t) || !json_is_string(tag) || !*json_string_value(tag))
			return pm_err_set(err, PM_EINPUT, "field 'tags[%zu].tag' is missing or not a string", i);
		if (score && !json_is_null(score) && !json_is_number(score))
			return pm_err_set(err, PM_EINPUT, "field 'tags[%zu].score' is not a number", i);
		if (ev && !json_is_null(ev) &&
		    (!json_is_array(ev) || json_array_size(ev) > MAX_EVIDENCE))
			return pm_err_set(err, PM_EINPUT, "field 'tags[%zu].evidence' is not an array of at most %d", i, MAX_EVIDENCE);
		/* checked before anything is written: a put writes without a
		 * savepoint (see pm_archive_put) */
		for (size_t j = 0; ev && j < json_array_size(ev); j++) {
			json_t *e = json_array_get(ev, j);
			static const char *const keys[] = { "field", "text", "rule" };
			if (!json_is_object(e))
				return pm_err_set(err, PM_EINPUT, "field 'tags[%zu].evidence[%zu]' is not an object", i, j);
			for (size_t k = 0; k < 3; k++) {
				json_t *v = json_object_get(e, keys[k]);
				if (v && !json_is_null(v) && !json_is_string(v))
					return pm_err_set(err, PM_EINPUT, "field 'tags[%zu].evidence[%zu].%s' is not a string",
							  i, j, keys[k]);
			}
		}
	}
	return 0;
}

static int check_misinfo(json_t *mi, struct pm_err *err)
{
	size_t i;
	json_t *m;

	if (!mi || json_is_null(mi))
		return 0;
	if (!json_is_array(mi) || json_array_size(mi) > MAX_TAGS)
		return pm_err_set(err, PM_EINPUT, "field 'misinfo' is not an array of at most %d", MAX_TAGS);
	json_array_foreach(mi, i, m) {
		static const char *const keys[] = { "verdict", "sentence", "correction", "reference" };
		json_t *claim = json_object_get(m, "claim");
		if (!json_is_object(m) || !json_is_string(claim) || !*json_string_value(claim))
			return pm_err_set(err, PM_EINPUT, "field 'misinfo[%zu].claim' is missing or not a string", i);
		for (size_t k = 0; k < 4; k++) {
			json_t *v = json_object_get(m, keys[k]);
			if (v && !json_is_null(v) && !json_is_string(v))
				return pm_err_set(err, PM_EINPUT, "field 'misinfo[%zu].%s' is not a string", i, keys[k]);
		}
	}
	return 0;
}

/* ---- "unchanged": the hash of an article ----
 *
 * A put of an article already stored with the same hash changes nothing
 * (at-least-once delivery). The hash is of the article's JSON value, not
 * of its text: keys in any order, the cluster (ours to compute) left out.
 * It was XXH3 of json_dumps(JSON_SORT_KEYS | JSON_COMPACT), 16 hex
 * digits; building and escaping that text took 44 us for a tagged article
 * of 2.9 KB against 12 us for a binary walk of the value in the same
 * canonical order (a micro-benchmark, same run), of some 69 us spent
 * preparing an article. So it is now XXH3 of that walk, stored as "2:"
 * and 16 hex digits. A stored hash without the prefix is compared with
 * the old form (legacy_hash), computed only then: no migration. */

#define HASH_PREFIX "2:"

struct canon_kv {
	const char *k;
	size_t klen;
	json_t *v;
};

static int key_cmp(const void *x, const void *y)
{
	return strcmp(((const struct canon_kv *)x)->k, ((const struct canon_kv *)y)->k);
}

/* The canonical bytes go into a buffer appended to inline: through
 * pm_buf's calls, a qsort per object and strlen per key, the walk was 18%
 * of the archive stage's instructions (callgrind, 20,000 pipeline
 * articles of 165 JSON values each). */
struct canon_buf {
	char *p;
	size_t len, cap;
};

static inline void canon_need(struct canon_buf *b, size_t n)
{
	if (b->cap - b->len >= n)
		return;
	while (b->cap - b->len < n)
		b->cap = b->cap ? 2 * b->cap : 8192;
	b->p = xrealloc(b->p, b->cap);
}

static inline void canon_put(struct canon_buf *b, const void *s, size_t n)
{
	canon_need(b, n);
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

/* A type byte and n bytes of value (n > 0). */
static inline void canon_tag(struct canon_buf *b, char tag, const void *v, size_t n)
{
	canon_need(b, 1 + n);
	b->p[b->len] = tag;
	memcpy(b->p + b->len + 1, v, n);
	b->len += 1 + n;
}

static inline void canon_len(struct canon_buf *b, char tag, uint64_t n)
{
	canon_tag(b, tag, &n, sizeof(n));
}

/* Every value starts with a type byte and every string, array and object
 * with its length, so two different values never give the same bytes.
 * Keys are unique, so any sort by strcmp gives the one order. */
static void canon_add(struct canon_buf *b, json_t *v, const char *skip)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		struct canon_kv stack[32], *kv = stack;
		size_t n = json_object_size(v), i = 0;

		if (n > sizeof(stack) / sizeof(stack[0]))
			kv = xmalloc(n * sizeof(*kv));
		for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it)) {
			const char *k = json_object_iter_key(it);
			if (skip && !strcmp(k, skip))
				continue;
			kv[i++] = (struct canon_kv){ k, json_object_iter_key_len(it),
						     json_object_iter_value(it) };
		}
		if (i > 16) {
			qsort(kv, i, sizeof(*kv), key_cmp);
		} else {
			for (size_t j = 1; j < i; j++) {
				struct canon_kv x = kv[j];
				size_t m = j;
				for (; m > 0 && strcmp(kv[m - 1].k, x.k) > 0; m--)
					kv[m] = kv[m - 1];
				kv[m] = x;
			}
		}
		canon_len(b, 'o', i);
		for (size_t j = 0; j < i; j++) {
			canon_len(b, 'k', kv[j].klen);
			canon_put(b, kv[j].k, kv[j].klen);
			canon_add(b, kv[j].v, NULL);
		}
		if (kv != stack)
			free(kv);
		break;
	}
	case JSON_ARRAY: {
		size_t n = json_array_size(v);
		canon_len(b, 'a', n);
		for (size_t j = 0; j < n; j++)
			canon_add(b, json_array_get(v, j), NULL);
		break;
	}
	case JSON_STRING:
		canon_len(b, 's', json_string_length(v));
		canon_put(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER: {
		json_int_t i = json_integer_value(v);
		canon_tag(b, 'i', &i, sizeof(i));
		break;
	}
	case JSON_REAL: {
		double d = json_real_value(v);
		canon_tag(b, 'r', &d, sizeof(d));
		break;
	}
	case JSON_TRUE:
		canon_put(b, "t", 1);
		break;
	case JSON_FALSE:
		canon_put(b, "f", 1);
		break;
	case JSON_NULL:
		canon_put(b, "n", 1);
		break;
	}
}

static char *canon_hash(json_t *o)
{
	struct canon_buf b = { NULL, 0, 0 };
	char hex[17], *out = xmalloc(sizeof(HASH_PREFIX) + 16);

	canon_add(&b, o, "cluster");
	pm_id_hex(pm_hash64(b.p, b.len), hex);
	free(b.p);
	memcpy(out, HASH_PREFIX, sizeof(HASH_PREFIX) - 1);
	memcpy(out + sizeof(HASH_PREFIX) - 1, hex, 17);
	return out;
}

/* The hash as archives before this form stored it; "" when the article
 * cannot be serialized (then it counts as changed). */
static void legacy_hash(json_t *o, char hex[17])
{
	json_t *copy = NULL;
	char *dump;

	if (json_object_get(o, "cluster")) {
		copy = json_copy(o); /* shallow */
		json_object_del(copy, "cluster");
	}
	dump = json_dumps(copy ? copy : o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	hex[0] = 0;
	if (dump)
		pm_id_hex(pm_hash64(dump, strlen(dump)), hex);
	free(dump);
}

/* The stored version is this article: same hash, in whichever form the
 * stored one is. */
static int same_article(const char *stored, const struct art *r)
{
	char hex[17];

	if (!strncmp(stored, HASH_PREFIX, sizeof(HASH_PREFIX) - 1))
		return !strcmp(stored, r->hash);
	if (strlen(stored) != 16)
		return 0;
	legacy_hash(r->obj, hex);
	return !strcmp(stored, hex);
}

static int art_parse(json_t *o, struct art *r, struct pm_err *err)
{
	json_t *src;
	uint64_t idv;
	time_t t;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(o))
		return pm_err_set(err, PM_EINPUT, "an article is not a JSON object");
	r->obj = o;
	if (opt_string(o, "id", "id", &r->id, err))
		return -1;
	if (!r->id)
		return pm_err_set(err, PM_EINPUT, "field 'id' is missing");
	if (pm_id_parse(r->id, &idv))
		return pm_err_set(err, PM_EINPUT, "field 'id' is not 16 hex digits: '%.40s'", r->id);
	if (opt_string(o, "url", "url", &r->url, err) ||
	    opt_string(o, "title", "title", &r->title, err) ||
	    opt_string(o, "text", "text", &r->text, err) ||
	    opt_string(o, "summary", "summary", &r->summary, err) ||
	    opt_string(o, "author", "author", &r->author, err) ||
	    opt_string(o, "lang", "lang", &r->lang, err) ||
	    opt_string(o, "fingerprint", "fingerprint", &r->fingerprint, err))
		return -1;
	if (opt_time(o, "published", r->published, &r->has_published, &t, err))
		return -1;
	if (r->has_published) {
		r->ts = t;
		r->has_ts = 1;
	}
	if (opt_time(o, "fetched", r->fetched, &r->has_fetched, &t, err))
		return -1;
	if (r->has_fetched && !r->has_ts) {
		r->ts = t;
		r->has_ts = 1;
	}
	if (r->fingerprint && *r->fingerprint) {
		if (pm_id_parse(r->fingerprint, &r->fp))
			return pm_err_set(err, PM_EINPUT, "field 'fingerprint' is not 16 hex digits: '%.40s'",
					  r->fingerprint);
		r->has_fp = 1;
	}
	src = json_object_get(o, "source");
	if (src && !json_is_null(src)) {
		if (!json_is_object(src))
			return pm_err_set(err, PM_EINPUT, "field 'source' is not an object");
		if (opt_string(src, "id", "source.id", &r->src_id, err) ||
		    opt_string(src, "name", "source.name", &r->src_name, err) ||
		    opt_string(src, "country", "source.country", &r->src_country, err) ||
		    opt_string(src, "region", "source.region", &r->src_region, err) ||
		    opt_string(src, "type", "source.type", &r->src_type, err))
			return -1;
		if (!r->src_id || !*r->src_id)
			return pm_err_set(err, PM_EINPUT, "field 'source.id' is missing");
		if (r->src_region && *r->src_region && !pm_region_valid(r->src_region))
			return pm_err_set(err, PM_EINPUT, "field 'source.region' is not one of africa, americas, asia-pacific, europe, middle-east: '%.40s'",
					  r->src_region);
		if (r->src_type && *r->src_type && !pm_outlet_type_valid(r->src_type))
			return pm_err_set(err, PM_EINPUT, "field 'source.type' is not one of wire, public, commercial, state, ngo, igo, court: '%.40s'",
					  r->src_type);
	}
	r->tags = json_object_get(o, "tags");
	r->misinfo = json_object_get(o, "misinfo");
	if (check_tags(r->tags, err) || check_misinfo(r->misinfo, err))
		return -1;
	{
		/* one tokenization each for the folded title and the
		 * signature */
		struct pm_tokens tt, tx;
		size_t tlen = r->title ? strlen(r->title) : 0;
		size_t xlen = r->text ? strlen(r->text) : 0;

		pm_tokens_init(&tt);
		pm_tokens_init(&tx);
		/* one allocation of each array, not a dozen growing ones */
		pm_tokens_reserve(&tt, tlen);
		pm_tokens_reserve(&tx, xlen);
		pm_text_tokenize(r->title ? r->title : "", tlen, &tt);
		pm_text_tokenize(r->text ? r->text : "", xlen, &tx);
		if (tlen) {
			r->norm_title = pm_tokens_join(&tt);
			if (!*r->norm_title) {
				free(r->norm_title);
				r->norm_title = NULL;
			}
		}
		r->has_mh = pm_minhash_tokens(&tt, &tx, r->mh) == 0;
		pm_tokens_release(&tt);
		pm_tokens_release(&tx);
	}
	r->id_hash = pm_hash64_str(r->id);
	r->title_hash = r->norm_title ? pm_hash64_str(r->norm_title) : 0;
	r->hash = canon_hash(o);
	{
		json_t *extra = json_object(), *v;
		const char *k;
		json_object_foreach(o, k, v) {
			int known = 0;
			for (size_t i = 0; known_keys[i]; i++)
				known |= !strcmp(k, known_keys[i]);
			if (!known)
				json_object_set(extra, k, v);
		}
		if (json_object_size(extra))
			r->extra = json_dumps(extra, JSON_COMPACT);
		json_decref(extra);
	}
	return 0;
}

/* Every string bound by the writer outlives the statement's step (the
 * article's JSON, or a buffer of the put): SQLite need not copy it, which
 * for the body was a 2 KB memcpy per article. */
static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* Every statement of the writer is cached: sql must be a literal. */
static int prepare(struct pm_archive *a, const char *sql, sqlite3_stmt **st, struct pm_err *err)
{
	return pm_archive_cached(a, sql, st, err);
}

/* Runs a cached statement once and resets it. */
static int run(struct pm_archive *a, sqlite3_stmt *st, const char *what, struct pm_err *err)
{
	int rc = sqlite3_step(st);

	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		/* the error is read before reset, which would return it again */
		pm_archive_sqlerr(a, what, err);
		sqlite3_reset(st);
		return -1;
	}
	sqlite3_reset(st);
	return 0;
}

static int popcount64(uint64_t x)
{
	int n = 0;

	while (x) {
		x &= x - 1;
		n++;
	}
	return n;
}

/* The cluster an article joins: the one of the closest earlier article
 * within ±3 days (fingerprint within 3 bits, or the same folded title);
 * its own id when there is none. Four 16-bit bands find the candidates by
 * index: 3 differing bits leave at least one band of the 4 identical. */

/* ---- the in-memory clustering keys (archive/nearidx) ----
 * A put looked up its candidates with some 40 statements (5 keys and 10
 * LSH bands, in each of the window's two or three time buckets) and a row
 * read per candidate: half of the archive stage. The writer now holds the
 * keys of the buckets it works in; a bucket is loaded whole from the
 * articles table the first time a window touches it, and every put keeps
 * it exact. The look-ups read the same entries in the same order as the
 * SQL did, so clusters are unchanged. */

void pm_archive_forget_near(struct pm_archive *a)
{
	if (a->near)
		pm_nearidx_drop_all(a->near);
	a->nrefused = 0;
	a->keyed_valid = 0; /* near_sql may have changed, or lost this batch's rows */
}

void pm_archive_near_off(struct pm_archive *a)
{
	pm_nearidx_free(a->near);
	a->near = NULL;
}

/* At a write transaction's start: another connection's commit (data_version
 * moved) may have changed any bucket. */
static int near_sync(struct pm_archive *a, struct pm_err *err)
{
	sqlite3_stmt *st;
	int64_t v;

	if (a->mode != PM_ARCHIVE_WRITE)
		return 0;
	if (prepare(a, "PRAGMA data_version", &st, err))
		return -1;
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return pm_archive_sqlerr(a, "reading the data version", err);
	}
	v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (v != a->data_version)
		pm_archive_forget_near(a);
	a->data_version = v;
	a->near_loads = 0;
	return 0;
}

static int near_is_refused(const struct pm_archive *a, int64_t tb)
{
	for (int i = 0; i < a->nrefused && i < 8; i++)
		if (a->near_refused[i] == tb)
			return 1;
	return 0;
}

/* Bucket tb goes back to SQL: too big, or a row pressmon did not write. */
static void near_refuse(struct pm_archive *a, int64_t tb)
{
	pm_nearidx_drop(a->near, tb);
	a->near_refused[a->nrefused++ % 8] = tb;
}

/* ---- the buckets SQL answers for (schema 10) ---- */

/* Where tb is or would go in the sorted a->keyed. */
static size_t keyed_at(const struct pm_archive *a, int64_t tb)
{
	size_t lo = 0, hi = a->nkeyed;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a->keyed[mid] < tb)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* tb into the sorted a->keyed (not there yet). */
static void keyed_insert(struct pm_archive *a, int64_t tb)
{
	size_t at = keyed_at(a, tb);

	if (a->nkeyed == a->keyed_cap) {
		a->keyed_cap = a->keyed_cap ? 2 * a->keyed_cap : 64;
		a->keyed = xrealloc(a->keyed, a->keyed_cap * sizeof(*a->keyed));
	}
	memmove(a->keyed + at + 1, a->keyed + at, (a->nkeyed - at) * sizeof(*a->keyed));
	a->keyed[at] = tb;
	a->nkeyed++;
}

static int keyed_load(struct pm_archive *a, struct pm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (prepare(a, "SELECT tb FROM near_sql ORDER BY tb", &st, err))
		return -1;
	a->nkeyed = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		keyed_insert(a, sqlite3_column_int64(st, 0)); /* in order: appends */
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return pm_archive_sqlerr(a, "reading the keyed time buckets", err);
	a->keyed_valid = 1;
	return 0;
}

/* *has: whether bucket tb keeps its SQL look-up keys. */
static int keyed_has(struct pm_archive *a, int64_t tb, int *has /* OUT */, struct pm_err *err)
{
	size_t i;

	if (!a->keyed_valid && keyed_load(a, err))
		return -1;
	i = keyed_at(a, tb);
	*has = i < a->nkeyed && a->keyed[i] == tb;
	return 0;
}

static void lsh_queue(struct pm_archive *a, int64_t tb, const uint32_t *mh, int64_t trid);

/* Before SQL looks in bucket tb: its rows get their look-up keys (keyed,
 * so the partial band and title indexes hold them, and their lsh rows,
 * queued for lsh_flush), once; puts into it keep them from then on. Costs
 * one pass over the bucket's rows, as loading it into memory does. */
static int keyed_ensure(struct pm_archive *a, int64_t tb, struct pm_err *err)
{
	sqlite3_stmt *st;
	int has, rc;

	if (keyed_has(a, tb, &has, err))
		return -1;
	if (has)
		return 0;
	if (prepare(a, "INSERT INTO near_sql(tb) VALUES (?1)", &st, err))
		return -1;
	sqlite3_bind_int64(st, 1, tb);
	if (run(a, st, "keying a time bucket", err))
		return -1;
	if (prepare(a, "UPDATE articles SET keyed = 1 WHERE trid >= ?1 AND trid < ?2 AND ts IS NOT NULL",
		    &st, err))
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)((uint64_t)tb << 38));
	sqlite3_bind_int64(st, 2, (int64_t)((uint64_t)(tb + 1) << 38));
	if (run(a, st, "keying a time bucket", err))
		return -1;
	if (prepare(a, "SELECT trid, minhash FROM articles WHERE trid >= ?1 AND trid < ?2"
		       " AND ts IS NOT NULL AND minhash IS NOT NULL", &st, err))
		return -1;
	sqlite3_bind_int64(st, 1, (int64_t)((uint64_t)tb << 38));
	sqlite3_bind_int64(st, 2, (int64_t)((uint64_t)(tb + 1) << 38));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		uint32_t mh[PM_MH_K]; /* copied: a blob has no alignment */
		if (sqlite3_column_bytes(st, 1) != (int)sizeof(mh))
			continue;
		memcpy(mh, sqlite3_column_blob(st, 1), sizeof(mh));
		lsh_queue(a, tb, mh, sqlite3_column_int64(st, 0));
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return pm_archive_sqlerr(a, "keying a time bucket", err);
	keyed_insert(a, tb);
	return 0;
}

static int near_add(struct pm_archive *a, int64_t trid, int64_t ts, int64_t rowid,
		    const char *id, const char *cluster, int has_fp, uint64_t fp,
		    const char *norm_title, const uint32_t *mh)
{
	struct pm_near_ent e;
	int64_t lsh[PM_MH_BANDS];

	if (!id || strlen(id) > 16 || (cluster && (!*cluster || strlen(cluster) > 16)))
		return -1;
	memset(&e, 0, sizeof(e));
	e.trid = trid;
	e.ts = ts;
	e.rowid = rowid;
	e.fp = fp;
	e.has_fp = has_fp != 0;
	e.norm_title = (char *)norm_title; /* copied by pm_nearidx_add */
	e.id_hash = pm_hash64_str(id);
	e.title_hash = norm_title ? pm_hash64_str(norm_title) : 0;
	memcpy(e.id, id, strlen(id) + 1);
	if (cluster)
		memcpy(e.cluster, cluster, strlen(cluster) + 1);
	if (mh) {
		e.has_mh = 1;
		memcpy(e.mh, mh, sizeof(e.mh));
		for (int b = 0; b < PM_MH_BANDS; b++)
			lsh[b] = pm_minhash_band(mh, b);
	}
	return pm_nearidx_add(a->near, &e, lsh);
}

/* Bucket tb resident, unless it is refused or does not fit. */
static int near_ready(struct pm_archive *a, int64_t tb, struct pm_err *err)
{
	sqlite3_stmt *st;
	int rc;

	if (!a->near || pm_nearidx_has(a->near, tb) || near_is_refused(a, tb))
		return 0;
	/* articles in no time order (a backfill of a whole year) would evict
	 * and load buckets again and again: past a few loads in one
	 * transaction the buckets not held are SQL's */
	if (a->near_loads >= 2 * PM_NEAR_BUCKETS)
		return 0;
	a->near_loads++;
	if (prepare(a, "SELECT rowid, trid, ts, id, fp, norm_title, cluster, minhash FROM articles"
		       " WHERE trid >= ?1 AND trid < ?2", &st, err))
		return -1;
	pm_nearidx_open(a->near, tb);
	sqlite3_bind_int64(st, 1, (int64_t)((uint64_t)tb << 38));
	sqlite3_bind_int64(st, 2, (int64_t)((uint64_t)(tb + 1) << 38));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int has_mh = sqlite3_column_bytes(st, 7) == (int)(PM_MH_K * sizeof(uint32_t));
		uint32_t mh[PM_MH_K];
		if (has_mh)
			memcpy(mh, sqlite3_column_blob(st, 7), sizeof(mh));
		/* a row without a time in a dated bucket is not one pressmon
		 * wrote: the SQL look-ups are the reference for it */
		if (sqlite3_column_type(st, 2) == SQLITE_NULL ||
		    near_add(a, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
			     sqlite3_column_int64(st, 0), pm_col_text(st, 3), pm_col_text(st, 6),
			     sqlite3_column_type(st, 4) != SQLITE_NULL,
			     (uint64_t)sqlite3_column_int64(st, 4), pm_col_text(st, 5),
			     has_mh ? mh : NULL)) {
			near_refuse(a, tb);
			rc = SQLITE_DONE;
			break;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		pm_nearidx_drop(a->near, tb);
		return pm_archive_sqlerr(a, "reading the story keys of a time bucket", err);
	}
	return 0;
}

/* After the article's row was written: its keys into its bucket if that
 * is resident (the old version's out first). */
static void near_put(struct pm_archive *a, const struct art *r, int64_t old_trid, int old_exists,
		     int64_t trid, int64_t rowid, const char *cluster)
{
	int64_t tb = trid >> 38;

	if (!a->near)
		return;
	if (old_exists)
		pm_nearidx_remove(a->near, old_trid);
	if (!r->has_ts || !pm_nearidx_has(a->near, tb))
		return;
	if (near_add(a, trid, (int64_t)r->ts, rowid, r->id, cluster, r->has_fp, r->fp,
		     r->norm_title, r->has_mh ? r->mh : NULL))
		near_refuse(a, tb);
}

/* One wire-copy candidate: most similar wins, among equals the oldest. */
static void lsh_consider(const struct art *r, const uint32_t *mh, int64_t ts, const char *cl,
			 double *best, int64_t *best_ts, char **best_cluster)
{
	double j;

	if (!mh || !cl)
		return;
	j = pm_minhash_similarity(r->mh, mh);
	if (j >= CLUSTER_MIN_JACCARD && (j > *best || (j == *best && ts < *best_ts))) {
		*best = j;
		*best_ts = ts;
		free(*best_cluster);
		*best_cluster = xstrdup(cl);
	}
}

/* Wire copies: the oldest earlier article within the window sharing an LSH
 * band whose estimated shingle Jaccard reaches CLUSTER_MIN_JACCARD. */
static int find_cluster_lsh(struct pm_archive *a, const struct art *r, char **cluster,
			    struct pm_err *err)
{
	sqlite3_stmt *st;
	double best = 0;
	int64_t best_ts = 0;
	int rc = SQLITE_DONE;
	char *best_cluster = NULL;

	/* schema 8: the band's rows are (tb, band, value, trid), trid ordered
	 * by time, so the window is one range in each of its (at most three)
	 * time buckets, read oldest bucket first with what is left of the
	 * band's limit: the same rows, in the same order, as one range over
	 * the whole band was. A bucket held in memory (nearidx) answers for
	 * its rows; the signature and the cluster come from the article. */
	if (prepare(a, "SELECT a.id, a.minhash, a.ts, a.cluster FROM lsh l JOIN articles a ON a.trid = l.trid"
		       " WHERE l.tb = ?7 AND l.band = ?1 AND l.value = ?2 AND l.trid >= ?3 AND l.trid < ?4"
		       " AND a.id <> ?5 ORDER BY l.trid LIMIT ?6", &st, err))
		return -1;
	for (int b = 0, seen = 0; b < PM_MH_BANDS; b++, seen = 0)
	for (int64_t tb = pm_tb((int64_t)r->ts - CLUSTER_WINDOW);
	     tb <= pm_tb((int64_t)r->ts + CLUSTER_WINDOW) && seen < LSH_CANDIDATES &&
	     rc == SQLITE_DONE; tb++) {
		if (near_ready(a, tb, err)) {
			free(best_cluster);
			return -1;
		}
		if (a->near && pm_nearidx_has(a->near, tb)) {
			size_t n, i;
			int64_t hi = pm_trid_second((int64_t)r->ts + CLUSTER_WINDOW + 1);
			struct pm_near_ent *const *v = pm_nearidx_list_from(a->near, tb, PM_NEAR_LSH0 + b,
				pm_minhash_band(r->mh, b), pm_trid_second((int64_t)r->ts - CLUSTER_WINDOW), &n);
			for (i = 0; i < n && v[i]->trid < hi && seen < LSH_CANDIDATES; i++) {
				if (v[i]->id_hash == r->id_hash && !strcmp(v[i]->id, r->id))
					continue;
				seen++;
				lsh_consider(r, v[i]->mh, v[i]->ts, v[i]->cluster[0] ? v[i]->cluster : NULL,
					     &best, &best_ts, &best_cluster);
			}
			continue;
		}
		/* the bucket's rows must be keyed, and the batch's own rows
		 * in the table, for this read */
		if (keyed_ensure(a, tb, err) || lsh_flush(a, err)) {
			free(best_cluster);
			return -1;
		}
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, b);
		sqlite3_bind_int64(st, 2, pm_minhash_band(r->mh, b));
		sqlite3_bind_int64(st, 3, pm_trid_second((int64_t)r->ts - CLUSTER_WINDOW));
		sqlite3_bind_int64(st, 4, pm_trid_second((int64_t)r->ts + CLUSTER_WINDOW + 1));
		sqlite3_bind_text(st, 5, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 6, LSH_CANDIDATES - seen);
		sqlite3_bind_int64(st, 7, tb);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			uint32_t other[PM_MH_K]; /* copied: a blob has no alignment */
			int whole = sqlite3_column_bytes(st, 1) == (int)sizeof(other);

			seen++;
			if (!pm_col_text(st, 0))
				continue;
			if (whole)
				memcpy(other, sqlite3_column_blob(st, 1), sizeof(other));
			lsh_consider(r, whole ? other : NULL, sqlite3_column_int64(st, 2), pm_col_text(st, 3),
				     &best, &best_ts, &best_cluster);
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		free(best_cluster);
		return pm_archive_sqlerr(a, "looking for wire copies", err);
	}
	if (best_cluster) {
		free(*cluster);
		*cluster = best_cluster;
	}
	return 0;
}

/* Removes the LSH bands of the stored version (schema 5): its rows are
 * found from its signature, so lsh needs no index by article. */
static int delete_lsh(struct pm_archive *a, const uint32_t *mh, int64_t ts, int64_t trid,
		      struct pm_err *err)
{
	sqlite3_stmt *st;

	if (prepare(a, "DELETE FROM lsh WHERE tb = ?4 AND band = ?1 AND value = ?2 AND trid = ?3", &st, err))
		return -1;
	for (int b = 0; b < PM_MH_BANDS; b++) {
		sqlite3_bind_int(st, 1, b);
		sqlite3_bind_int64(st, 2, pm_minhash_band(mh, b));
		sqlite3_bind_int64(st, 3, trid);
		sqlite3_bind_int64(st, 4, pm_tb(ts));
		if (run(a, st, "replacing the article's bands", err))
			return -1;
	}
	return 0;
}

/* Queues the LSH bands of a signature in bucket tb (schema 8), under the
 * article's full-text rowid, for lsh_flush. */
static void lsh_queue(struct pm_archive *a, int64_t tb, const uint32_t *mh, int64_t trid)
{
	if (a->nlsh + PM_MH_BANDS > a->lsh_cap) {
		a->lsh_cap = a->lsh_cap ? 2 * a->lsh_cap : 1024;
		a->lsh_pend = xrealloc(a->lsh_pend, a->lsh_cap * sizeof(*a->lsh_pend));
	}
	for (int b = 0; b < PM_MH_BANDS; b++)
		a->lsh_pend[a->nlsh++] = (struct pm_lsh_row){
			.tb = tb, .band = b, .value = pm_minhash_band(mh, b), .trid = trid };
}

static int lsh_row_cmp(const void *x, const void *y)
{
	const struct pm_lsh_row *p = x, *q = y;

	if (p->tb != q->tb)
		return p->tb < q->tb ? -1 : 1;
	if (p->band != q->band)
		return p->band < q->band ? -1 : 1;
	if (p->value != q->value)
		return p->value < q->value ? -1 : 1;
	return p->trid < q->trid ? -1 : p->trid > q->trid;
}

/* Writes the queued LSH rows in the order of the table's key. Row by row
 * as each article was put, every insert went to a random leaf of the
 * band's range, and the lsh table was a quarter of the writer's SQL time
 * (10 rows per article); in key order consecutive inserts land on the
 * same or the next leaf. Called before anything reads or deletes lsh
 * rows in the batch (a look-up in a bucket not held in memory, a
 * replaced article's bands) and before the commit. */
static int lsh_flush(struct pm_archive *a, struct pm_err *err)
{
	sqlite3_stmt *st;

	if (!a->nlsh)
		return 0;
	if (prepare(a, "INSERT OR IGNORE INTO lsh(tb, band, value, trid) VALUES (?4, ?1, ?2, ?3)", &st, err))
		return -1;
	qsort(a->lsh_pend, a->nlsh, sizeof(*a->lsh_pend), lsh_row_cmp);
	for (size_t i = 0; i < a->nlsh; i++) {
		const struct pm_lsh_row *w = &a->lsh_pend[i];
		sqlite3_bind_int(st, 1, w->band);
		sqlite3_bind_int64(st, 2, w->value);
		sqlite3_bind_int64(st, 3, w->trid);
		sqlite3_bind_int64(st, 4, w->tb);
		if (run(a, st, "storing the articles' bands", err))
			return -1;
	}
	a->nlsh = 0;
	return 0;
}

/* Migration 3 -> 4 only: the bands in the schema-4 layout of lsh (by
 * article id, with the signature), as that migration shipped. */
static int write_lsh_v4(struct pm_archive *a, const struct art *r, struct pm_err *err)
{
	sqlite3_stmt *st;

	if (!r->has_mh || !r->has_ts)
		return 0;
	if (prepare(a, "INSERT OR IGNORE INTO lsh(band, value, ts, article, sig) VALUES (?1, ?2, ?3, ?4, ?5)",
		    &st, err))
		return -1;
	for (int b = 0; b < PM_MH_BANDS; b++) {
		sqlite3_reset(st);
		sqlite3_bind_int(st, 1, b);
		sqlite3_bind_int64(st, 2, pm_minhash_band(r->mh, b));
		sqlite3_bind_int64(st, 3, (int64_t)r->ts);
		sqlite3_bind_text(st, 4, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 5, r->mh, (int)sizeof(r->mh), SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			return pm_archive_sqlerr(a, "storing the article's bands", err);
		}
	}
	sqlite3_reset(st);
	return 0;
}

/* The candidates of one band: earlier or later articles within the window
 * whose fingerprint band (or normalized title) is equal, oldest first.
 * One statement per band, each an ordered range of its (bucket, band, ts)
 * index with a LIMIT: an OR of the five bands under one ORDER BY made
 * SQLite collect and sort every match, and generated or spam text sharing
 * a band value with thousands of articles made each put slower than the
 * last. Schema 8: the index leads with the time bucket (ts >> 18), so the
 * statement reads one bucket and find_cluster walks the window's buckets
 * oldest first with what is left of the limit. */
static const char *const band_sql[5] = {
	"SELECT fp, norm_title, cluster, ts, id FROM articles WHERE ts >> 18 = ?6 AND fp0 = ?1"
	" AND keyed = 1 AND ts BETWEEN ?2 AND ?3 AND id <> ?4 AND cluster IS NOT NULL ORDER BY ts LIMIT ?5",
	"SELECT fp, norm_title, cluster, ts, id FROM articles WHERE ts >> 18 = ?6 AND fp1 = ?1"
	" AND keyed = 1 AND ts BETWEEN ?2 AND ?3 AND id <> ?4 AND cluster IS NOT NULL ORDER BY ts LIMIT ?5",
	"SELECT fp, norm_title, cluster, ts, id FROM articles WHERE ts >> 18 = ?6 AND fp2 = ?1"
	" AND keyed = 1 AND ts BETWEEN ?2 AND ?3 AND id <> ?4 AND cluster IS NOT NULL ORDER BY ts LIMIT ?5",
	"SELECT fp, norm_title, cluster, ts, id FROM articles WHERE ts >> 18 = ?6 AND fp3 = ?1"
	" AND keyed = 1 AND ts BETWEEN ?2 AND ?3 AND id <> ?4 AND cluster IS NOT NULL ORDER BY ts LIMIT ?5",
	"SELECT fp, norm_title, cluster, ts, id FROM articles WHERE ts >> 18 = ?6 AND norm_title = ?1"
	" AND keyed = 1 AND ts BETWEEN ?2 AND ?3 AND id <> ?4 AND cluster IS NOT NULL ORDER BY ts LIMIT ?5",
};
_Static_assert(PM_TB_SHIFT == 18, "band_sql and migration 7 -> 8 write the bucket as ts >> 18");

/* One candidate of the fingerprint and title bands: the closest wins;
 * among equals the oldest (then the lowest id), whichever band found it. */
static void band_consider(const struct art *r, int has_fp, uint64_t fp, const char *nt,
			  uint64_t nt_hash, const char *id, int64_t ts, const char *cl, int *best,
			  int64_t *best_ts, char best_id[17], char **cluster)
{
	int d = 1000;

	if (r->norm_title && nt && nt_hash == r->title_hash && !strcmp(nt, r->norm_title))
		d = 0;
	if (r->has_fp && has_fp) {
		int h = popcount64(r->fp ^ fp);
		if (h <= CLUSTER_MAX_BITS && h < d)
			d = h;
	}
	if (!id || d == 1000)
		return;
	if (d < *best || (d == *best && (ts < *best_ts || (ts == *best_ts && strcmp(id, best_id) < 0)))) {
		*best = d;
		*best_ts = ts;
		snprintf(best_id, 17, "%s", id);
		free(*cluster);
		*cluster = xstrdup(cl);
	}
}

static int find_cluster(struct pm_archive *a, const struct art *r, char **cluster,
			struct pm_err *err)
{
	int best = 1000, rc = SQLITE_DONE;
	int64_t best_ts = 0;
	char best_id[17] = "";
	uint64_t title_hash = r->title_hash;

	*cluster = NULL;
	if (!r->has_ts || (!r->has_fp && !r->norm_title))
		goto own;
	for (int b = 0; b < 5 && rc == SQLITE_DONE; b++) {
		sqlite3_stmt *st;
		int seen = 0;

		if (b < 4 ? !r->has_fp : !r->norm_title)
			continue;
		if (prepare(a, band_sql[b], &st, err)) {
			free(*cluster);
			*cluster = NULL;
			return -1;
		}
		for (int64_t tb = pm_tb((int64_t)r->ts - CLUSTER_WINDOW);
		     tb <= pm_tb((int64_t)r->ts + CLUSTER_WINDOW) && seen < CLUSTER_CANDIDATES &&
		     rc == SQLITE_DONE; tb++) {
		if (near_ready(a, tb, err)) {
			free(*cluster);
			*cluster = NULL;
			return -1;
		}
		if (a->near && pm_nearidx_has(a->near, tb)) {
			/* the index's rows: (ts, rowid) order, ts in the window,
			 * another article, with a cluster (and for the title, the
			 * same title, not only the same hash) */
			size_t n, i;
			struct pm_near_ent *const *v = pm_nearidx_list_from(a->near, tb, PM_NEAR_FP0 + b,
				b < 4 ? (int64_t)((r->fp >> (16 * b)) & 0xffff) : (int64_t)title_hash,
				(int64_t)r->ts - CLUSTER_WINDOW, &n);
			for (i = 0; i < n && v[i]->ts <= (int64_t)r->ts + CLUSTER_WINDOW &&
			     seen < CLUSTER_CANDIDATES; i++) {
				const struct pm_near_ent *e = v[i];
				if ((e->id_hash == r->id_hash && !strcmp(e->id, r->id)) || !e->cluster[0] ||
				    (b == 4 && (e->title_hash != r->title_hash ||
						strcmp(e->norm_title, r->norm_title))))
					continue;
				seen++;
				band_consider(r, e->has_fp, e->fp, e->norm_title, e->title_hash, e->id, e->ts,
					      e->cluster, &best, &best_ts, best_id, cluster);
			}
			continue;
		}
		if (keyed_ensure(a, tb, err)) {
			free(*cluster);
			*cluster = NULL;
			return -1;
		}
		sqlite3_reset(st);
		if (b < 4)
			sqlite3_bind_int64(st, 1, (int64_t)((r->fp >> (16 * b)) & 0xffff));
		else
			bind_text(st, 1, r->norm_title);
		sqlite3_bind_int64(st, 2, (int64_t)r->ts - CLUSTER_WINDOW);
		sqlite3_bind_int64(st, 3, (int64_t)r->ts + CLUSTER_WINDOW);
		sqlite3_bind_text(st, 4, r->id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, CLUSTER_CANDIDATES - seen);
		sqlite3_bind_int64(st, 6, tb);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			seen++;
			band_consider(r, sqlite3_column_type(st, 0) != SQLITE_NULL,
				      (uint64_t)sqlite3_column_int64(st, 0), pm_col_text(st, 1),
				      pm_col_text(st, 1) ? pm_hash64_str(pm_col_text(st, 1)) : 0,
				      pm_col_text(st, 4), sqlite3_column_int64(st, 3), pm_col_text(st, 2),
				      &best, &best_ts, best_id, cluster);
		}
		}
		sqlite3_reset(st);
	}
	if (rc != SQLITE_DONE) {
		free(*cluster);
		*cluster = NULL;
		return pm_archive_sqlerr(a, "looking for the story cluster", err);
	}
	if (!*cluster && r->has_mh && find_cluster_lsh(a, r, cluster, err)) {
		free(*cluster);
		*cluster = NULL;
		return -1;
	}
own:
	if (!*cluster)
		*cluster = xstrdup(r->id);
	return 0;
}

/* A new article joins cluster: one more member, maybe an earlier first
 * time. Counting the members again on every put read the whole cluster
 * each time, quadratic in a story that 40 outlets carry. */
static int grow_cluster(struct pm_archive *a, const char *cluster, const struct art *r,
			struct pm_err *err)
{
	sqlite3_stmt *st;

	if (prepare(a, "INSERT INTO clusters(id, first_ts, size) VALUES (?1, ?2, 1)"
		       " ON CONFLICT(id) DO UPDATE SET size = size + 1, first_ts ="
		       " CASE WHEN excluded.first_ts IS NULL THEN first_ts"
		       " WHEN first_ts IS NULL THEN excluded.first_ts"
		       " ELSE min(first_ts, excluded.first_ts) END", &st, err))
		return -1;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_TRANSIENT);
	if (r->has_ts)
		sqlite3_bind_int64(st, 2, (int64_t)r->ts);
	else
		sqlite3_bind_null(st, 2);
	return run(a, st, "updating a story cluster", err);
}

/* Recounts a cluster: after a replaced article left it or changed time. */
static int refresh_cluster(struct pm_archive *a, const char *cluster, struct pm_err *err)
{
	sqlite3_stmt *st;

	if (!cluster)
		return 0;
	if (prepare(a, "INSERT INTO clusters(id, first_ts, size)"
		       " SELECT ?1, min(ts), count(*) FROM articles WHERE cluster = ?1"
		       " ON CONFLICT(id) DO UPDATE SET first_ts = excluded.first_ts, size = excluded.size",
		    &st, err))
		return -1;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_TRANSIENT);
	if (run(a, st, "updating a story cluster", err))
		return -1;
	if (prepare(a, "DELETE FROM clusters WHERE id = ?1 AND size = 0", &st, err))
		return -1;
	sqlite3_bind_text(st, 1, cluster, -1, SQLITE_TRANSIENT);
	return run(a, st, "updating a story cluster", err);
}

static int write_tags(struct pm_archive *a, const struct art *r, int64_t trid,
		      struct pm_err *err)
{
	sqlite3_stmt *tg = NULL, *ev = NULL, *mi = NULL;
	size_t i, j;
	json_t *t, *e;
	int ret = -1;

	if (prepare(a, "INSERT INTO tags(article, tag, score, ts) VALUES (?1, ?2, ?3, ?4)"
		       " ON CONFLICT(article, tag) DO UPDATE SET score = max(score, excluded.score)",
		    &tg, err) ||
	    prepare(a, "INSERT OR REPLACE INTO evidence(article, tag, ord, field, pos_start, pos_end, text, rule)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", &ev, err) ||
	    prepare(a, "INSERT INTO misinfo(article, ord, claim, verdict, sentence, correction, reference)"
		       " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &mi, err))
		goto out;
	json_array_foreach(r->tags, i, t) {
		const char *tag = json_string_value(json_object_get(t, "tag"));
		json_t *score = json_object_get(t, "score");
		sqlite3_reset(tg);
		sqlite3_bind_int64(tg, 1, trid);
		sqlite3_bind_text(tg, 2, tag, -1, SQLITE_STATIC);
		if (json_is_number(score))
			sqlite3_bind_double(tg, 3, json_number_value(score));
		else
			sqlite3_bind_null(tg, 3);
		if (r->has_ts)
			sqlite3_bind_int64(tg, 4, (int64_t)r->ts);
		else
			sqlite3_bind_null(tg, 4);
		if (sqlite3_step(tg) != SQLITE_DONE) {
			pm_archive_sqlerr(a, "storing tags", err);
			goto out;
		}
		/* a new row (a tag given twice updated the first one's score) */
		if (r->has_ts) {
			size_t k;
			for (k = 0; k < i && strcmp(tag, json_string_value(json_object_get(
					json_array_get(r->tags, k), "tag"))); k++)
				;
			if (k == i)
				tq_add(a, tag, (int64_t)r->ts);
		}
		json_array_foreach(json_object_get(t, "evidence"), j, e) {
			const char *f = NULL, *tx = NULL, *rule = NULL;
			if (!json_is_object(e)) {
				pm_err_set(err, PM_EINPUT, "field 'tags[%zu].evidence[%zu]' is not an object", i, j);
				goto out;
			}
			if (opt_string(e, "field", "evidence.field", &f, err) ||
			    opt_string(e, "text", "evidence.text", &tx, err) ||
			    opt_string(e, "rule", "evidence.rule", &rule, err))
				goto out;
			sqlite3_reset(ev);
			sqlite3_bind_int64(ev, 1, trid);
			sqlite3_bind_text(ev, 2, tag, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ev, 3, (int64_t)j);
			bind_text(ev, 4, f);
			if (json_is_integer(json_object_get(e, "start")))
				sqlite3_bind_int64(ev, 5, json_integer_value(json_object_get(e, "start")));
			else
				sqlite3_bind_null(ev, 5);
			if (json_is_integer(json_object_get(e, "end")))
				sqlite3_bind_int64(ev, 6, json_integer_value(json_object_get(e, "end")));
			else
				sqlite3_bind_null(ev, 6);
			bind_text(ev, 7, tx);
			bind_text(ev, 8, rule);
			if (sqlite3_step(ev) != SQLITE_DONE) {
				pm_archive_sqlerr(a, "storing evidence", err);
				goto out;
			}
		}
	}
	json_array_foreach(r->misinfo, i, t) {
		static const char *const keys[] = { "claim", "verdict", "sentence", "correction", "reference" };
		sqlite3_reset(mi);
		sqlite3_bind_int64(mi, 1, trid);
		sqlite3_bind_int64(mi, 2, (int64_t)i);
		for (int k = 0; k < 5; k++)
			bind_text(mi, 3 + k, json_string_value(json_object_get(t, keys[k])));
		if (sqlite3_step(mi) != SQLITE_DONE) {
			pm_archive_sqlerr(a, "storing misinformation flags", err);
			goto out;
		}
	}
	ret = 0;
out:
	sqlite3_reset(tg);
	sqlite3_reset(ev);
	sqlite3_reset(mi);
	return ret;
}

/* The old version's hash, cluster and clustering inputs, if stored. */
struct old {
	int exists;
	char hash[24];
	char *cluster;
	int64_t ts, fp;
	int has_ts, has_fp;
	char *norm_title;
	int members; /* others share its cluster */
	int64_t trid, rowid;
	uint32_t mh[PM_MH_K]; /* its signature, to find its LSH rows */
	int has_mh;
};

static int load_old(struct pm_archive *a, const char *id, struct old *o, struct pm_err *err)
{
	sqlite3_stmt *st;
	int rc;
	uint64_t rid;

	memset(o, 0, sizeof(*o));
	if (prepare(a, "SELECT hash, cluster, ts, fp, norm_title,"
		       " EXISTS (SELECT 1 FROM articles b WHERE b.cluster = a.cluster AND b.id <> a.id),"
		       " trid, minhash, id, rowid FROM articles a WHERE rid = ?1", &st, err))
		return -1;
	/* by rid, the id as an integer: an id that differs only in the case of
	 * its hex digits is the same article, and is refused here, before any
	 * write, rather than by the UNIQUE constraint on rid in mid-put */
	if (pm_id_parse(id, &rid))
		return pm_err_set(err, PM_EINPUT, "field 'id' is not 16 hex digits");
	sqlite3_bind_int64(st, 1, (int64_t)rid);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && (!pm_col_text(st, 8) || strcmp(pm_col_text(st, 8), id))) {
		pm_err_set(err, PM_EINPUT, "field 'id' '%.16s' is stored as '%.16s' (hex digits differ in case)",
			   id, pm_col_text(st, 8) ? pm_col_text(st, 8) : "");
		sqlite3_reset(st);
		return -1;
	}
	if (rc == SQLITE_ROW) {
		const char *h = pm_col_text(st, 0);
		o->exists = 1;
		snprintf(o->hash, sizeof(o->hash), "%s", h ? h : "");
		o->cluster = pm_col_text(st, 1) ? xstrdup(pm_col_text(st, 1)) : NULL;
		o->has_ts = sqlite3_column_type(st, 2) != SQLITE_NULL;
		o->ts = sqlite3_column_int64(st, 2);
		o->has_fp = sqlite3_column_type(st, 3) != SQLITE_NULL;
		o->fp = sqlite3_column_int64(st, 3);
		o->norm_title = pm_col_text(st, 4) ? xstrdup(pm_col_text(st, 4)) : NULL;
		o->members = sqlite3_column_int(st, 5);
		o->trid = sqlite3_column_int64(st, 6);
		o->rowid = sqlite3_column_int64(st, 9);
		if (sqlite3_column_bytes(st, 7) == (int)sizeof(o->mh)) {
			memcpy(o->mh, sqlite3_column_blob(st, 7), sizeof(o->mh));
			o->has_mh = 1;
		}
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return pm_archive_sqlerr(a, "reading the stored article", err);
	return 0;
}

/* The article's full-text rowid: the old one while its time is the same,
 * else the first free one of its second (see pm_trid_first). */
static int choose_trid(struct pm_archive *a, const struct art *r, const struct old *o,
		       uint64_t rid, int64_t *trid, struct pm_err *err)
{
	sqlite3_stmt *st;
	int rc = SQLITE_ROW;

	if (o->exists && o->has_ts == r->has_ts && (!r->has_ts || o->ts == (int64_t)r->ts)) {
		*trid = o->trid;
		return 0;
	}
	*trid = pm_trid_first(r->has_ts, (int64_t)r->ts, rid);
	if (prepare(a, "SELECT 1 FROM articles WHERE trid = ?1 AND id <> ?2", &st, err))
		return -1;
	/* a clash needs the same second and the same 20 id bits: one probe
	 * almost always; the bound only guards a pathological archive */
	for (int tries = 0; tries < 100000; tries++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, *trid);
		sqlite3_bind_text(st, 2, r->id, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		*trid = pm_trid_next(r->has_ts, *trid);
	}
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return pm_err_set(err, PM_ERUNTIME, "archive '%s': no free full-text rowid in the second of article '%s'",
				  a->path, r->id);
	if (rc != SQLITE_DONE)
		return pm_archive_sqlerr(a, "choosing the full-text rowid", err);
	return 0;
}

static int same_str(const char *x, const char *y)
{
	return (!x && !y) || (x && y && !strcmp(x, y));
}

/* 1 unless the sources row of the article's source already holds what the
 * article says: 400 outlets write 300,000 articles a day, and an upsert
 * that changes nothing still rewrites the row and its page. */
static int source_changed(struct pm_archive *a, const struct art *r)
{
	sqlite3_stmt *st;
	int same = 0;
	struct pm_err ignore;

	pm_err_init(&ignore);
	if (prepare(a, "SELECT name IS ?2, country IS ?3, region IS ?4, type IS ?5 FROM sources WHERE id = ?1",
		    &st, &ignore))
		return 1;
	sqlite3_bind_text(st, 1, r->src_id, -1, SQLITE_STATIC);
	bind_text(st, 2, r->src_name);
	bind_text(st, 3, r->src_country);
	bind_text(st, 4, r->src_region);
	bind_text(st, 5, r->src_type);
	if (sqlite3_step(st) == SQLITE_ROW)
		same = sqlite3_column_int(st, 0) && sqlite3_column_int(st, 1) &&
		       sqlite3_column_int(st, 2) && sqlite3_column_int(st, 3);
	sqlite3_reset(st);
	return !same;
}

/* *wrote (OUT) is set once the put has begun to write: a failure before
 * that leaves the transaction as it was. */
static int put_locked(struct pm_archive *a, struct art *r, int *wrote, struct pm_err *err)
{
	struct old old;
	sqlite3_stmt *st;
	char *cluster = NULL;
	int ret = -1, keyed = 0;
	uint64_t rid;
	int64_t trid;

	if (load_old(a, r->id, &old, err))
		return -1;
	if (old.exists && same_article(old.hash, r)) {
		ret = 0; /* the same article again: at-least-once delivery */
		goto out;
	}
	pm_id_parse(r->id, &rid);
	if (choose_trid(a, r, &old, rid, &trid, err))
		goto out;
	*wrote = 1;
	if (r->src_id && source_changed(a, r)) {
		if (prepare(a, "INSERT INTO sources(id, name, country, region, type) VALUES (?1, ?2, ?3, ?4, ?5)"
			       " ON CONFLICT(id) DO UPDATE SET name = excluded.name, country = excluded.country,"
			       " region = excluded.region, type = excluded.type", &st, err))
			goto out;
		sqlite3_bind_text(st, 1, r->src_id, -1, SQLITE_STATIC);
		bind_text(st, 2, r->src_name);
		bind_text(st, 3, r->src_country);
		bind_text(st, 4, r->src_region);
		bind_text(st, 5, r->src_type);
		if (run(a, st, "storing the source", err))
			goto out;
	}
	/* A replaced article keeps its cluster when what clustering looks at is
	 * unchanged, or when others already joined the cluster it heads. */
	if (old.exists && old.cluster &&
	    ((old.has_ts == r->has_ts && (!r->has_ts || old.ts == (int64_t)r->ts) &&
	      old.has_fp == r->has_fp && (!r->has_fp || old.fp == (int64_t)r->fp) &&
	      same_str(old.norm_title, r->norm_title)) ||
	     (!strcmp(old.cluster, r->id) && old.members > 0)))
		cluster = xstrdup(old.cluster);
	else if (find_cluster(a, r, &cluster, err))
		goto out;
	if (old.exists) {
		/* the update trigger replaces the old version's index entries:
		 * they must be there, so a queued article is indexed first; and
		 * its queued bands must be in lsh for delete_lsh below */
		if (batch_flush(a, err))
			goto out;
		/* the old version's rows hang off its trid, which may change */
		if (prepare(a, "DELETE FROM tags WHERE article = ?1", &st, err))
			goto out;
		sqlite3_bind_int64(st, 1, old.trid);
		if (run(a, st, "replacing tags", err))
			goto out;
		if (prepare(a, "DELETE FROM evidence WHERE article = ?1", &st, err))
			goto out;
		sqlite3_bind_int64(st, 1, old.trid);
		if (run(a, st, "replacing evidence", err))
			goto out;
		if (prepare(a, "DELETE FROM misinfo WHERE article = ?1", &st, err))
			goto out;
		sqlite3_bind_int64(st, 1, old.trid);
		if (run(a, st, "replacing misinformation flags", err))
			goto out;
		if (old.has_mh && old.has_ts && delete_lsh(a, old.mh, old.ts, old.trid, err))
			goto out;
	}
	if (prepare(a, old.exists ?
		       "UPDATE articles SET rid = ?2, url = ?3, title = ?4, text = ?5, summary = ?6,"
		       " author = ?7, published = ?8, fetched = ?9, ts = ?10, lang = ?11, source_id = ?12,"
		       " fingerprint = ?13, fp = ?14, fp0 = ?15, fp1 = ?16, fp2 = ?17, fp3 = ?18,"
		       " norm_title = ?19, cluster = ?20, hash = ?21, extra = ?22, minhash = ?23,"
		       " trid = ?24, keyed = ?25 WHERE rid = ?2" :
		       "INSERT INTO articles(id, rid, url, title, text, summary, author, published,"
		       " fetched, ts, lang, source_id, fingerprint, fp, fp0, fp1, fp2, fp3, norm_title,"
		       " cluster, hash, extra, minhash, trid, keyed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
		       " ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
		       &st, err))
		goto out;
	/* after find_cluster, which may have keyed the bucket */
	if (r->has_ts && keyed_has(a, pm_tb((int64_t)r->ts), &keyed, err))
		goto out;
	if (keyed)
		sqlite3_bind_int(st, 25, 1);
	else
		sqlite3_bind_null(st, 25);
	sqlite3_bind_int64(st, 24, trid);
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (int64_t)rid);
	bind_text(st, 3, r->url);
	bind_text(st, 4, r->title);
	bind_text(st, 5, r->text);
	bind_text(st, 6, r->summary);
	bind_text(st, 7, r->author);
	bind_text(st, 8, r->has_published ? r->published : NULL);
	bind_text(st, 9, r->has_fetched ? r->fetched : NULL);
	if (r->has_ts)
		sqlite3_bind_int64(st, 10, (int64_t)r->ts);
	else
		sqlite3_bind_null(st, 10);
	bind_text(st, 11, r->lang);
	bind_text(st, 12, r->src_id);
	if (r->has_fp) {
		char hex[17];
		pm_id_hex(r->fp, hex);
		sqlite3_bind_text(st, 13, hex, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 14, (int64_t)r->fp);
		for (int b = 0; b < 4; b++)
			sqlite3_bind_int64(st, 15 + b, (int64_t)((r->fp >> (16 * b)) & 0xffff));
	} else {
		for (int c = 13; c <= 18; c++)
			sqlite3_bind_null(st, c);
	}
	bind_text(st, 19, r->norm_title);
	bind_text(st, 20, cluster);
	bind_text(st, 21, r->hash);
	bind_text(st, 22, r->extra);
	if (r->has_mh)
		sqlite3_bind_blob(st, 23, r->mh, (int)sizeof(r->mh), SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 23);
	if (run(a, st, "storing the article", err))
		goto out;
	near_put(a, r, old.trid, old.exists, trid, old.exists ? old.rowid : sqlite3_last_insert_rowid(a->db),
		 cluster);
	if (!old.exists) {
		/* for the full-text index's thread (a changed article is
		 * queued by the update trigger) */
		if (prepare(a, "INSERT INTO fts_queue(trid) VALUES (?1)", &st, err))
			goto out;
		sqlite3_bind_int64(st, 1, trid);
		if (run(a, st, "queueing the article for full-text search", err))
			goto out;
	}
	if (keyed && r->has_mh)
		lsh_queue(a, pm_tb((int64_t)r->ts), r->mh, trid);
	if (write_tags(a, r, trid, err))
		goto out;
	if (old.exists ? refresh_cluster(a, cluster, err) : grow_cluster(a, cluster, r, err))
		goto out;
	if (old.cluster && strcmp(old.cluster, cluster) && refresh_cluster(a, old.cluster, err))
		goto out;
	ret = 0;
out:
	free(cluster);
	free(old.cluster);
	free(old.norm_title);
	return ret;
}

static int backfill_minhash(struct pm_archive *a, struct pm_err *err);

/* Migration 3 -> 4, after its SQL: every article gets its trid (500 at a
 * time, by rowid), the full-text index is rebuilt over them, the delete
 * and update triggers come back, and old articles get signatures. */
static int migrate_4(struct pm_archive *a, struct pm_err *err)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	sqlite3_int64 last = 0;
	int rc = SQLITE_DONE, n, ret = -1;

	if (sqlite3_prepare_v2(a->db, "SELECT rowid, rid, ts FROM articles WHERE rowid > ?1"
			       " ORDER BY rowid LIMIT 500", -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->db, "UPDATE articles SET trid = ?2 WHERE rowid = ?1",
			       -1, &upd, NULL) != SQLITE_OK) {
		pm_archive_sqlerr(a, "preparing the full-text renumbering", err);
		goto out;
	}
	do {
		sqlite3_reset(sel);
		sqlite3_bind_int64(sel, 1, last);
		n = 0;
		while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
			int has_ts = sqlite3_column_type(sel, 2) != SQLITE_NULL;
			int64_t trid = pm_trid_first(has_ts, sqlite3_column_int64(sel, 2),
						     (uint64_t)sqlite3_column_int64(sel, 1));
			int tries = 0;
			last = sqlite3_column_int64(sel, 0);
			n++;
			do {
				sqlite3_reset(upd);
				sqlite3_bind_int64(upd, 1, last);
				sqlite3_bind_int64(upd, 2, trid);
				rc = sqlite3_step(upd);
				trid = pm_trid_next(has_ts, trid); /* taken: the next */
			} while ((rc & 0xff) == SQLITE_CONSTRAINT && ++tries < 100000);
			if (rc != SQLITE_DONE) {
				sqlite3_reset(upd);
				pm_archive_sqlerr(a, "numbering the articles for full-text search", err);
				goto out;
			}
		}
		if (rc != SQLITE_DONE) {
			pm_archive_sqlerr(a, "numbering the articles for full-text search", err);
			goto out;
		}
	} while (n > 0);
	if (exec(a, "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
		 "rebuilding the full-text index", err) ||
	    exec(a, fts_triggers, "creating the full-text triggers", err))
		goto out;
	ret = backfill_minhash(a, err);
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return ret;
}

/* Migration 3 -> 4: signatures and LSH bands of the articles that
 * migration 2 -> 3 left without (it added the column, not the values).
 * Existing clusters stay as they are; articles put from now on find these
 * as candidates. Pages by rowid, 500 at a time. */
static int backfill_minhash(struct pm_archive *a, struct pm_err *err)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	sqlite3_int64 last = 0;
	int rc, n, ret = -1;

	if (sqlite3_prepare_v2(a->db, "SELECT rowid, id, title, text, ts FROM articles"
			       " WHERE rowid > ?1 AND minhash IS NULL ORDER BY rowid LIMIT 500",
			       -1, &sel, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->db, "UPDATE articles SET minhash = ?2 WHERE rowid = ?1",
			       -1, &upd, NULL) != SQLITE_OK) {
		pm_archive_sqlerr(a, "preparing the signature backfill", err);
		goto out;
	}
	do {
		sqlite3_reset(sel);
		sqlite3_bind_int64(sel, 1, last);
		n = 0;
		while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
			struct art r;
			last = sqlite3_column_int64(sel, 0);
			n++;
			memset(&r, 0, sizeof(r));
			if (pm_minhash(pm_col_text(sel, 2), pm_col_text(sel, 3), r.mh))
				continue; /* fewer than three words: no signature */
			r.has_mh = 1;
			sqlite3_reset(upd);
			sqlite3_bind_int64(upd, 1, last);
			sqlite3_bind_blob(upd, 2, r.mh, (int)sizeof(r.mh), SQLITE_STATIC);
			if (sqlite3_step(upd) != SQLITE_DONE) {
				pm_archive_sqlerr(a, "storing a signature", err);
				goto out;
			}
			if (sqlite3_column_type(sel, 4) == SQLITE_NULL)
				continue; /* no time, no window: never a candidate */
			r.has_ts = 1;
			r.ts = (time_t)sqlite3_column_int64(sel, 4);
			r.id = pm_col_text(sel, 1);
			if (write_lsh_v4(a, &r, err))
				goto out;
		}
		if (rc != SQLITE_DONE) {
			pm_archive_sqlerr(a, "computing signatures", err);
			goto out;
		}
	} while (n > 0);
	ret = 0;
out:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	return ret;
}

/* An article parsed and checked for pm_archive_put_item: the work of a put
 * that needs no database, so an importer can do it in another thread. */
struct pm_archive_item {
	json_t *article; /* a reference: the strings of r are borrowed from it */
	struct art r;
};

int pm_archive_prepare(json_t *article, struct pm_archive_item **out, struct pm_err *err)
{
	struct pm_archive_item *it = xcalloc(1, sizeof(*it));

	*out = NULL;
	if (art_parse(article, &it->r, err)) {
		art_release(&it->r);
		free(it);
		return -1;
	}
	it->article = json_incref(article);
	*out = it;
	return 0;
}

void pm_archive_item_free(struct pm_archive_item *it)
{
	if (!it)
		return;
	art_release(&it->r);
	json_decref(it->article);
	free(it);
}

int pm_archive_put_item(struct pm_archive *a, struct pm_archive_item *it, struct pm_err *err)
{
	struct art *r = &it->r;
	int ret, wrote = 0;

	if (a->mode != PM_ARCHIVE_WRITE)
		return pm_err_set(err, PM_ERUNTIME, "archive '%s' is open read-only", a->path);
	if (a->batch_lost)
		return pm_err_set(err, PM_ERUNTIME, "archive '%s': the batch was rolled back after a failed write",
				  a->path);
	/* Inside a batch a put has no savepoint of its own: every page a
	 * savepoint touches is copied to the statement journal first, and the
	 * 20-odd pages of each put made that a third of the import's time.
	 * Everything that can be wrong with the input is checked before the
	 * first write (art_parse, load_old, choose_trid); a write that fails
	 * after that (I/O, disk full) rolls the whole batch back, and
	 * pm_archive_commit then fails, so the caller acknowledges nothing. */
	if (!a->in_batch) {
		if (exec(a, "BEGIN IMMEDIATE", "starting a write", err))
			return -1;
		if (near_sync(a, err)) {
			sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	ret = put_locked(a, r, &wrote, err);
	if (a->in_batch) {
		if (ret && wrote) {
			sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
			pending_drop(a);
			a->batch_lost = 1;
			pm_archive_forget_near(a);
			if (err->code == PM_EINPUT)
				err->code = PM_ERUNTIME; /* the batch went with it */
		}
	} else if (ret) {
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		pending_drop(a);
		pm_archive_forget_near(a);
	} else if (batch_flush(a, err) || exec(a, "COMMIT", "committing the article", err)) {
		sqlite3_exec(a->db, "ROLLBACK", NULL, NULL, NULL);
		pending_drop(a);
		pm_archive_forget_near(a);
		ret = -1;
	} else {
		pm_ftsidx_kick(a->fts);
	}
	return ret;
}

int pm_archive_put(struct pm_archive *a, json_t *article, struct pm_err *err)
{
	struct pm_archive_item *it;
	int ret;

	if (a->mode != PM_ARCHIVE_WRITE)
		return pm_err_set(err, PM_ERUNTIME, "archive '%s' is open read-only", a->path);
	if (a->batch_lost)
		return pm_err_set(err, PM_ERUNTIME, "archive '%s': the batch was rolled back after a failed write",
				  a->path);
	if (pm_archive_prepare(article, &it, err))
		return -1;
	ret = pm_archive_put_item(a, it, err);
	pm_archive_item_free(it);
	return ret;
}
