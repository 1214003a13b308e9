/* archive/ftsidx: the full-text index in its own file, written by its own
 * thread (see ftsidx.h). The mutex guards asked, done, stop, failed, ferr,
 * applied and pass_rows, which the thread and the writer's thread share; the
 * thread's connection and its scratch arrays are the thread's alone once
 * it runs. */
#include "archive/ftsidx.h"
#include "archive/archive_int.h"
#include "archive/ckpt.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* waits for another writer's index thread: shorter than the archive's
 * 30 s, since a pass that finds the file held tries again (RETRY_MS)
 * rather than failing */
#define BUSY_TIMEOUT_MS 10000
#define RETRY_MS 200
/* Queue rows one pass applies at most: a rebuild of a million articles
 * is many passes, each committed, rather than one transaction with an
 * index-sized WAL that a stop throws away */
#define PASS_ROWS 100000

/* The index and what it records of the queue. A contentless FTS5 table:
 * the text is in the archive, and a query needs only rowids and bm25. */
static const char index_schema[] =
	"DROP TABLE IF EXISTS articles_fts;"
	"CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='', tokenize='pressmon');"
	/* terms of a whole pass buffered before a segment is written (the
	 * default 1 MiB made a batch of 5,000 articles a dozen segments) */
	"INSERT INTO articles_fts(articles_fts, rank) VALUES ('hashsize', 67108864);";

struct fts_row {
	int64_t seq, trid;
	int had; /* the row holds the version the index may hold (update, delete) */
};

struct pm_ftsidx {
	char *path;     /* the index file */
	sqlite3 *fdb;   /* the thread's: the index file, the archive as "arch" */
	struct pm_ckpt *ckpt;
	pthread_t th;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	long asked;     /* passes asked for (kick, sync) */
	long done;      /* the asks the last finished pass covered */
	int stop;
	int failed;
	struct pm_err ferr;
	int64_t applied;
	int64_t pass_rows;  /* queue rows one pass applies at most */
	/* the thread's scratch: this pass's queue rows */
	struct fts_row *rows;
	size_t nrows, cap;
};

char *pm_ftsidx_path(const char *archive_path)
{
	size_t n = strlen(archive_path);
	char *p = xmalloc(n + 5);

	memcpy(p, archive_path, n);
	memcpy(p + n, "-fts", 5);
	return p;
}

static int db_fail(sqlite3 *db, const char *what, const char *path, struct pm_err *err)
{
	return pm_err_set(err, PM_EDEP, "full-text index '%s': %s: %s", path, what, sqlite3_errmsg(db));
}

static int exec_on(sqlite3 *db, const char *sql, const char *what, const char *path,
		   struct pm_err *err)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, what, path, err);
	return 0;
}

/* The one integer sql yields, or dflt when it yields no row. */
static int int_of(sqlite3 *db, const char *sql, int64_t dflt, int64_t *out, const char *path,
		  struct pm_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "reading its state", path, err);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		*out = sqlite3_column_int64(st, 0);
	else
		*out = dflt;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_fail(db, "reading its state", path, err);
	return 0;
}

static int set_state(sqlite3 *db, const char *k, int64_t v, const char *path, struct pm_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO fts_state(k, v) VALUES (?1, ?2)", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(db, "writing its state", path, err);
	sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_fail(db, "writing its state", path, err);
}

/* The connection to the index file, with the archive attached as "arch". */
static int open_index(struct pm_ftsidx *f, const char *archive_path, struct pm_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_open_v2(f->path, &f->fdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK)
		return pm_err_set(err, PM_EDEP, "cannot open the full-text index '%s': %s", f->path,
				  f->fdb ? sqlite3_errmsg(f->fdb) : "out of memory");
	sqlite3_extended_result_codes(f->fdb, 1);
	sqlite3_busy_timeout(f->fdb, BUSY_TIMEOUT_MS);
	if (pm_archive_register_tokenizer(f->fdb, err))
		return -1;
	if (exec_on(f->fdb,
		    "PRAGMA page_size = 8192;"
		    "PRAGMA journal_mode = WAL;"
		    "PRAGMA synchronous = NORMAL;"
		    /* merges read the index's segments again: keep them */
		    "PRAGMA cache_size = -262144;"
		    "PRAGMA temp_store = MEMORY;",
		    "setting it up", f->path, err))
		return -1;
	if (sqlite3_prepare_v2(f->fdb, "ATTACH ?1 AS arch", -1, &st, NULL) != SQLITE_OK)
		return db_fail(f->fdb, "attaching the archive", f->path, err);
	sqlite3_bind_text(st, 1, archive_path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return db_fail(f->fdb, "attaching the archive", f->path, err);
	/* the archive's rows are read once per pass: a small cache */
	return exec_on(f->fdb,
		       "PRAGMA arch.cache_size = -8192;"
		       "CREATE TEMP TABLE fts_ins(trid INTEGER PRIMARY KEY);"
		       "CREATE TEMP TABLE fts_del(seq INTEGER PRIMARY KEY);"
		       "CREATE TEMP TABLE fts_from(seq INTEGER PRIMARY KEY);"
		       "CREATE TEMP TABLE fts_later(trid INTEGER PRIMARY KEY, seq INTEGER, had INTEGER);",
		       "setting it up", f->path, err);
}

/* What the index file records of the archive it belongs to: its key,
 * the last queue row applied (-1: none) and whether the index table is
 * there. A new file has no fts_state table yet. */
static int read_state(struct pm_ftsidx *f, int64_t *link, int64_t *applied, int64_t *have_index,
		      struct pm_err *err)
{
	int64_t have_state;

	*link = 0;
	*applied = -1;
	if (int_of(f->fdb, "SELECT count(*) FROM sqlite_master WHERE name = 'fts_state'", 0, &have_state,
		   f->path, err) ||
	    int_of(f->fdb, "SELECT count(*) FROM sqlite_master WHERE name = 'articles_fts'", 0, have_index,
		   f->path, err))
		return -1;
	if (!have_state)
		return 0;
	if (int_of(f->fdb, "SELECT v FROM fts_state WHERE k = 'link'", 0, link, f->path, err) ||
	    int_of(f->fdb, "SELECT v FROM fts_state WHERE k = 'applied'", -1, applied, f->path, err))
		return -1;
	return 0;
}

/* Checks that the index is this archive's and not ahead of its queue;
 * otherwise queues every article and starts the index over (ftsidx.h).
 * The check only reads the index file, so a writer opening the archive
 * does not wait while another writer's thread holds it for a long pass
 * (a rebuild); a start over takes its write lock and looks again. The
 * archive's transaction commits first: a crash between the two queues
 * the articles twice, which a pass reads as once. */
static int check_link(struct pm_ftsidx *f, sqlite3 *db, struct pm_err *err)
{
	int64_t key, hwm, link, applied, have_index;
	int ok;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return db_fail(db, "locking the archive", f->path, err);
	if (int_of(db, "SELECT key FROM fts_link", 0, &key, f->path, err) ||
	    int_of(db, "SELECT seq FROM sqlite_sequence WHERE name = 'fts_queue'", 0, &hwm, f->path, err) ||
	    exec_on(f->fdb, "BEGIN", "reading it", f->path, err))
		goto fail;
	if (read_state(f, &link, &applied, &have_index, err))
		goto fail_index;
	ok = have_index && applied >= 0 && link == key && applied <= hwm;
	if (!ok) {
		/* to start over: the write lock, then the state again */
		sqlite3_exec(f->fdb, "ROLLBACK", NULL, NULL, NULL);
		if (exec_on(f->fdb, "BEGIN;"
				    "CREATE TABLE IF NOT EXISTS fts_state(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;"
				    /* the write lock, also when the table was there */
				    "UPDATE fts_state SET v = v WHERE k = 'applied';",
			    "locking it", f->path, err) ||
		    read_state(f, &link, &applied, &have_index, err))
			goto fail_index;
		ok = have_index && applied >= 0 && link == key && applied <= hwm;
	}
	if (!ok && sqlite3_exec(db, "INSERT INTO fts_queue(trid) SELECT trid FROM articles ORDER BY trid", NULL,
				NULL, NULL) != SQLITE_OK) {
		db_fail(db, "queueing the articles to index again", f->path, err);
		goto fail_index;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(db, "queueing the articles to index again", f->path, err);
		goto fail_index;
	}
	if (!ok && (exec_on(f->fdb, index_schema, "creating it", f->path, err) ||
		    set_state(f->fdb, "link", key, f->path, err) ||
		    set_state(f->fdb, "applied", hwm, f->path, err)))
		goto fail_done;
	if (exec_on(f->fdb, "COMMIT", "creating it", f->path, err))
		goto fail_done;
	f->applied = ok ? applied : hwm;
	return 0;
fail_index:
	sqlite3_exec(f->fdb, "ROLLBACK", NULL, NULL, NULL);
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
fail_done:
	/* the archive committed its queue: the next writer starts over */
	sqlite3_exec(f->fdb, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int row_cmp(const void *x, const void *y)
{
	const struct fts_row *p = x, *q = y;

	if (p->trid != q->trid)
		return p->trid < q->trid ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

/* One statement on the thread's connection with up to one integer bound. */
static int step1(sqlite3 *db, const char *sql, int nbind, int64_t v)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite3_errcode(db);
	if (nbind)
		sqlite3_bind_int64(st, 1, v);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Reads up to limit queue rows after applied into f->rows, in sequence
 * order. */
static int read_queue(struct pm_ftsidx *f, int64_t applied, int64_t limit)
{
	sqlite3_stmt *st = NULL;
	int rc;

	f->nrows = 0;
	if (sqlite3_prepare_v2(f->fdb, "SELECT seq, trid, had FROM arch.fts_queue WHERE seq > ?1 ORDER BY seq"
				       " LIMIT ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlite3_errcode(f->fdb);
	sqlite3_bind_int64(st, 1, applied);
	sqlite3_bind_int64(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (f->nrows == f->cap) {
			f->cap = f->cap ? 2 * f->cap : 4096;
			f->rows = xrealloc(f->rows, f->cap * sizeof(*f->rows));
		}
		f->rows[f->nrows++] = (struct fts_row){ sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
							sqlite3_column_int(st, 2) };
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int insert1(sqlite3_stmt *st, int64_t v)
{
	int rc;

	sqlite3_bind_int64(st, 1, v);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Plans a pass over the queue rows in f->rows. For each article they name:
 * - temp.fts_del gets its first row when that row holds the version the
 *   index has (had): taken out;
 * - the version the index is to hold afterwards is the article's version
 *   just after the pass's last row: the one stored now (temp.fts_ins)
 *   unless a later queue row names the article (a pass that stops short
 *   of the queue's end, see later_rows). */
static int plan(struct pm_ftsidx *f)
{
	sqlite3_stmt *del = NULL, *ins = NULL;
	int rc = SQLITE_OK;

	qsort(f->rows, f->nrows, sizeof(*f->rows), row_cmp);
	if (sqlite3_prepare_v2(f->fdb, "INSERT INTO temp.fts_del(seq) VALUES (?1)", -1, &del, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(f->fdb, "INSERT INTO temp.fts_ins(trid) VALUES (?1)", -1, &ins, NULL) != SQLITE_OK)
		rc = sqlite3_errcode(f->fdb);
	for (size_t i = 0; i < f->nrows && rc == SQLITE_OK; i++) {
		if (i && f->rows[i].trid == f->rows[i - 1].trid)
			continue;
		if (f->rows[i].had)
			rc = insert1(del, f->rows[i].seq);
		if (rc == SQLITE_OK)
			rc = insert1(ins, f->rows[i].trid);
	}
	sqlite3_finalize(del);
	sqlite3_finalize(ins);
	return rc;
}

/* For a pass that stops before the queue's end (at row last): an article
 * that a later row names is indexed as it was just before that row, which
 * is the old version the row holds (temp.fts_from), or not at all when it
 * is a new one (the article did not exist then). So after every pass the
 * index holds each article as it was just after the last row applied,
 * which is what the next row's old version is. The later rows are found
 * by a scan of the rest of the queue, so a pass holds no more of it in
 * memory than its own rows. */
static int later_rows(struct pm_ftsidx *f, int64_t last)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* min() makes SQLite take had from the row of the lowest seq; CROSS
	 * JOIN keeps the queue's range as the outer loop (there is no index
	 * on its trid), each of its rows a look-up in the pass's articles */
	if (sqlite3_prepare_v2(f->fdb,
			       "INSERT INTO temp.fts_later(trid, seq, had) SELECT q.trid, min(q.seq), q.had"
			       " FROM arch.fts_queue q CROSS JOIN temp.fts_ins i ON i.trid = q.trid WHERE q.seq > ?1"
			       " GROUP BY q.trid",
			       -1, &st, NULL) != SQLITE_OK)
		return sqlite3_errcode(f->fdb);
	sqlite3_bind_int64(st, 1, last);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	return sqlite3_exec(f->fdb,
			    "INSERT INTO temp.fts_from(seq) SELECT seq FROM temp.fts_later WHERE had;"
			    "DELETE FROM temp.fts_ins WHERE trid IN (SELECT trid FROM temp.fts_later);"
			    "DELETE FROM temp.fts_later;",
			    NULL, NULL, NULL);
}

/* One pass over up to pass_rows queue rows: SQLITE_OK (*more: rows
 * are left for another), SQLITE_BUSY (the index file stayed locked: try
 * again later) or another error, with err set. */
static int pass(struct pm_ftsidx *f, int64_t pass_rows, int64_t *applied_out, int *more,
		struct pm_err *err)
{
	int64_t applied, last;
	int rc;

	*more = 0;
	if (sqlite3_exec(f->fdb, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		db_fail(f->fdb, "starting a pass", f->path, err);
		return SQLITE_ERROR;
	}
	/* a write first: the index file's lock, before the queue is read, so
	 * two writers' threads never apply the same rows (BEGIN IMMEDIATE
	 * would lock the attached archive as well) */
	rc = step1(f->fdb, "UPDATE fts_state SET v = v WHERE k = 'applied'", 0, 0);
	if (rc != SQLITE_OK)
		goto fail;
	if (int_of(f->fdb, "SELECT v FROM fts_state WHERE k = 'applied'", 0, &applied, f->path, err)) {
		rc = sqlite3_errcode(f->fdb);
		goto failed;
	}
	/* one row more than a pass takes: whether the queue goes on */
	if ((rc = read_queue(f, applied, pass_rows + 1)) != SQLITE_OK)
		goto fail;
	if (!f->nrows) {
		sqlite3_exec(f->fdb, "ROLLBACK", NULL, NULL, NULL);
		*applied_out = applied;
		return SQLITE_OK;
	}
	*more = f->nrows > (size_t)pass_rows;
	if (*more)
		f->nrows = (size_t)pass_rows;
	last = f->rows[f->nrows - 1].seq;
	if ((rc = plan(f)) == SQLITE_OK && *more)
		rc = later_rows(f, last);
	/* deletes first, in one statement, then the inserts in one, in rowid
	 * order: with SQLite 3.40 each statement writes FTS5's buffered terms
	 * out as a segment, and a rowid below the last one does too. Old
	 * versions to index (a pass that stops short of later changes) are a
	 * statement of their own, in the passes of a rebuild only. */
	if (rc != SQLITE_OK ||
	    (rc = step1(f->fdb,
			"INSERT INTO articles_fts(articles_fts, rowid, title, text)"
			" SELECT 'delete', q.trid, q.title, q.text FROM temp.fts_del d"
			" JOIN arch.fts_queue q ON q.seq = d.seq ORDER BY q.trid",
			0, 0)) != SQLITE_OK ||
	    (rc = step1(f->fdb,
			"INSERT INTO articles_fts(rowid, title, text) SELECT a.trid, a.title, a.text"
			" FROM temp.fts_ins i JOIN arch.articles a ON a.trid = i.trid ORDER BY i.trid",
			0, 0)) != SQLITE_OK ||
	    (rc = step1(f->fdb,
			"INSERT INTO articles_fts(rowid, title, text) SELECT q.trid, q.title, q.text"
			" FROM temp.fts_from x JOIN arch.fts_queue q ON q.seq = x.seq ORDER BY q.trid",
			0, 0)) != SQLITE_OK ||
	    (rc = step1(f->fdb, "DELETE FROM temp.fts_del", 0, 0)) != SQLITE_OK ||
	    (rc = step1(f->fdb, "DELETE FROM temp.fts_ins", 0, 0)) != SQLITE_OK ||
	    (rc = step1(f->fdb, "DELETE FROM temp.fts_from", 0, 0)) != SQLITE_OK ||
	    (rc = step1(f->fdb, "UPDATE fts_state SET v = ?1 WHERE k = 'applied'", 1, last)) != SQLITE_OK ||
	    (rc = sqlite3_exec(f->fdb, "COMMIT", NULL, NULL, NULL)) != SQLITE_OK)
		goto fail;
	*applied_out = last;
	return SQLITE_OK;
fail:
	db_fail(f->fdb, "indexing", f->path, err);
failed:
	sqlite3_exec(f->fdb, "ROLLBACK", NULL, NULL, NULL);
	step1(f->fdb, "DELETE FROM temp.fts_del", 0, 0);
	step1(f->fdb, "DELETE FROM temp.fts_ins", 0, 0);
	step1(f->fdb, "DELETE FROM temp.fts_from", 0, 0);
	step1(f->fdb, "DELETE FROM temp.fts_later", 0, 0);
	*more = 0;
	return (rc & 0xff) == SQLITE_OK ? SQLITE_ERROR : rc;
}

static void *ftsidx_main(void *arg)
{
	struct pm_ftsidx *f = arg;
	long seen = 0;
	int64_t pass_rows;
	int retry = 0, more = 0;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		if (more) {
			/* the rest of a long queue: at once, for the same asks */
		} else if (retry) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += RETRY_MS * 1000000L;
			ts.tv_sec += ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			if (!f->stop)
				pthread_cond_timedwait(&f->cv, &f->mu, &ts);
		} else {
			while (!f->stop && f->done == f->asked)
				pthread_cond_wait(&f->cv, &f->mu);
			if (f->done == f->asked)
				break; /* stopped with nothing asked */
		}
		if (!more)
			seen = f->asked;
		pass_rows = f->pass_rows;
		pthread_mutex_unlock(&f->mu);
		{
			struct pm_err e;
			int64_t applied = 0;
			int rc;

			pm_err_init(&e);
			rc = pass(f, pass_rows, &applied, &more, &e);
			pthread_mutex_lock(&f->mu);
			retry = (rc & 0xff) == SQLITE_BUSY && !f->stop;
			if (rc == SQLITE_OK) {
				f->applied = applied;
				if (!more)
					f->done = seen; /* all that was asked is in */
				f->failed = 0; /* e.g. the disk has room again */
			} else if (!retry) {
				/* given up: whoever waits hears why */
				f->failed = 1;
				f->ferr = e;
				f->done = seen;
			}
			pthread_cond_broadcast(&f->cv);
		}
		if (f->stop && f->done == f->asked)
			break;
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

int pm_ftsidx_open(sqlite3 *db, const char *archive_path, struct pm_ftsidx **out, struct pm_err *err)
{
	struct pm_ftsidx *f = xcalloc(1, sizeof(*f));

	*out = NULL;
	f->path = pm_ftsidx_path(archive_path);
	f->pass_rows = PASS_ROWS;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (open_index(f, archive_path, err) || check_link(f, db, err))
		goto fail;
	/* the index file's own WAL, checkpointed as the archive's is */
	f->ckpt = pm_ckpt_attach(f->fdb, f->path, 16384, 65536);
	if (pthread_create(&f->th, NULL, ftsidx_main, f) != 0) {
		pm_err_set(err, PM_ERUNTIME, "full-text index '%s': cannot start its thread", f->path);
		goto fail;
	}
	f->started = 1;
	*out = f;
	/* rows queued before this writer opened (a rebuild, a crash) */
	pm_ftsidx_kick(f);
	return 0;
fail:
	err->code = PM_EDEP;
	pm_ftsidx_close(f);
	return -1;
}

void pm_ftsidx_kick(struct pm_ftsidx *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->asked++;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
}

int pm_ftsidx_sync(struct pm_ftsidx *f, struct pm_err *err)
{
	long target;
	int failed;

	if (!f)
		return 0;
	pthread_mutex_lock(&f->mu);
	target = ++f->asked;
	pthread_cond_signal(&f->cv);
	/* every pass ends with done set, failed or not; one that finds the
	 * index file locked by another writer's pass waits its turn */
	while (f->done < target)
		pthread_cond_wait(&f->cv, &f->mu);
	failed = f->failed;
	if (failed && err)
		*err = f->ferr;
	pthread_mutex_unlock(&f->mu);
	return failed ? -1 : 0;
}

int64_t pm_ftsidx_applied(struct pm_ftsidx *f)
{
	int64_t v;

	if (!f)
		return 0;
	pthread_mutex_lock(&f->mu);
	v = f->applied;
	pthread_mutex_unlock(&f->mu);
	return v;
}

int pm_ftsidx_failed(struct pm_ftsidx *f, struct pm_err *err)
{
	int failed;

	if (!f)
		return 0;
	pthread_mutex_lock(&f->mu);
	failed = f->failed;
	if (failed) {
		if (err)
			*err = f->ferr;
		/* another try, whose outcome the next call sees */
		f->asked++;
		pthread_cond_signal(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	return failed ? -1 : 0;
}

void pm_ftsidx_close(struct pm_ftsidx *f)
{
	if (!f)
		return;
	if (f->started) {
		/* the thread makes the passes asked for before it stops */
		pthread_mutex_lock(&f->mu);
		f->stop = 1;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		pthread_join(f->th, NULL);
	}
	pm_ckpt_detach(f->ckpt);
	if (f->fdb)
		sqlite3_close_v2(f->fdb);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f->rows);
	free(f->path);
	free(f);
}

void pm_ftsidx_set_pass_rows(struct pm_ftsidx *f, int64_t rows)
{
	if (!f || rows < 1)
		return;
	pthread_mutex_lock(&f->mu);
	f->pass_rows = rows;
	pthread_mutex_unlock(&f->mu);
}
