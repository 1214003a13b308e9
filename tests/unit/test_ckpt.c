/* tests/unit/test_ckpt.c: the writer's background checkpoints
 * (archive/ckpt). The thread copies the WAL while commits go on, the WAL
 * stays bounded by the limit, every row survives, and a checkpointer that
 * cannot open its connection leaves the commits to checkpoint themselves;
 * an archive written with early checkpoints reads back whole. */
#include "archive/archive.h"
#include "archive/ckpt.h"
#include "core/mem.h"
#include "testlib.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096

static char dir[] = "/tmp/pm-ckpt-XXXXXX";

static long wal_frames(const char *db_path)
{
	char *wal = xasprintf("%s-wal", db_path);
	struct stat sb;
	long n = 0;

	if (stat(wal, &sb) == 0 && sb.st_size > 32)
		n = (long)((sb.st_size - 32) / (PAGE + 24));
	free(wal);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static sqlite3 *open_wal(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA page_size = 4096; PRAGMA journal_mode = WAL;"
			 " PRAGMA synchronous = NORMAL; CREATE TABLE IF NOT EXISTS t(x BLOB)",
			 NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

/* n transactions of four rows of 3,000 bytes (some four pages each);
 * returns the most WAL frames seen after a commit, or -1. With c, after
 * each commit, waits (up to 5 s) for the thread to have made the pass it
 * asked for. */
static long write_rows(sqlite3 *db, const char *path, int n, struct pm_ckpt *c)
{
	long most = 0;

	for (int i = 0; i < n; i++) {
		if (sqlite3_exec(db, "BEGIN; INSERT INTO t SELECT randomblob(3000) FROM"
				 " (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4);"
				 " COMMIT", NULL, NULL, NULL) != SQLITE_OK)
			return -1;
		if (wal_frames(path) > most)
			most = wal_frames(path);
		for (int w = 0; c && w < 500 && !pm_ckpt_idle(c); w++)
			sleep_ms(10);
	}
	return most;
}

static long count_rows(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Writes 600 rows in 150 commits into file (under dir) with checkpoints
 * attached from start to limit pages, the thread's connection opened on
 * thread_path (file's when NULL); wait: let the thread finish each pass
 * before the next commit. Checks that every row is there and the file is
 * sound; returns the most WAL frames seen (-1: not written) and the
 * thread's passes (waiting up to 5 s for a first one). */
static long wal_case(const char *file, const char *thread_path, int start, int limit, int wait,
		     long *passes)
{
	char *path = xasprintf("%s/%s", dir, file);
	sqlite3 *db = open_wal(path);
	struct pm_ckpt *c;
	long most = -1;

	*passes = 0;
	CHECK(db != NULL);
	if (!db)
		goto out;
	c = pm_ckpt_attach(db, thread_path ? thread_path : path, start, limit);
	most = write_rows(db, path, 150, wait ? c : NULL);
	for (int i = 0; i < 500 && !thread_path && (*passes = pm_ckpt_passes(c)) == 0; i++)
		sleep_ms(10);
	*passes = pm_ckpt_passes(c);
	pm_ckpt_detach(c);
	CHECK(sqlite3_close(db) == SQLITE_OK);
	CHECK(count_rows(path, "SELECT count(*) FROM t") == 600);
	CHECK(count_rows(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'") == 1);
out:
	free(path);
	return most;
}

static void test_passes_copy(void)
{
	long passes, most;

	/* a pass that copied nothing would leave the WAL growing to its
	 * 600 pages: it starts over only once every frame was copied */
	TEST("ckpt: the thread's passes copy the WAL (it starts over, given time)");
	most = wal_case("copy.db", NULL, 16, 100000, 1, &passes);
	CHECK(most > 16);
	CHECK(most <= 16 + 16);
	CHECK(passes > 0);
}

static void test_background(void)
{
	long passes, most;

	TEST("ckpt: commits go on while the thread checkpoints; the WAL stays bounded");
	most = wal_case("bg.db", NULL, 16, 64, 0, &passes);
	CHECK(most > 16);
	CHECK(most <= 64 + 8); /* the limit, plus the commit that reaches it */
	CHECK(passes > 0);
}

static void test_no_thread_connection(void)
{
	long passes, most;

	TEST("ckpt: without a connection of its own the commits checkpoint");
	/* the thread is told a path it cannot open */
	most = wal_case("self.db", "/nonexistent/pm-ckpt/none.db", 16, 1000, 0, &passes);
	/* the connection is opened before the thread starts, so the commit
	 * that reaches the start already checkpoints itself: the start plus
	 * that commit, as with the limit above */
	CHECK(most > 16);
	CHECK(most <= 16 + 16);
	CHECK(passes == 0);
}

static void test_archive_early(void)
{
	char *path = xasprintf("%s/a.db", dir);
	struct pm_archive *a = NULL;
	struct pm_err err;
	int ok = 1;

	TEST("ckpt: an archive checkpointed early reads back whole");
	pm_err_init(&err);
	CHECK(pm_archive_open(path, PM_ARCHIVE_WRITE, &a, &err) == 0);
	if (!a)
		goto out;
	pm_archive_checkpoint_at(a, 8);
	for (int b = 0; b < 10; b++) {
		ok &= pm_archive_begin(a, &err) == 0;
		for (int i = 0; i < 30; i++) {
			json_t *o = json_object();
			char id[17];
			int k = b * 30 + i;
			snprintf(id, sizeof(id), "%016x", k + 1);
			json_object_set_new(o, "id", json_string(id));
			json_object_set_new(o, "url", json_sprintf("https://example.org/%d", k));
			json_object_set_new(o, "title", json_sprintf("Story %d about the Court", k));
			json_object_set_new(o, "text", json_sprintf("Article %d: the judges of the Court met on day %d "
								   "to hear the parties in the case number %d.",
								   k, k % 28 + 1, k * 7));
			json_object_set_new(o, "published", json_sprintf("2026-03-%02dT10:00:00Z", k % 28 + 1));
			ok &= pm_archive_put(a, o, &err) == 0;
			json_decref(o);
		}
		ok &= pm_archive_commit(a, &err) == 0;
	}
	CHECK(ok);
	pm_archive_close(a);
	CHECK(count_rows(path, "SELECT count(*) FROM articles") == 300);
	CHECK(count_rows(path, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'") == 1);
out:
	free(path);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_passes_copy();
	test_background();
	test_no_thread_connection();
	test_archive_early();
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		free(cmd);
	}
	printf("%d passed, %d failed\n", tl_passed, tl_failed);
	return tl_failed ? 1 : 0;
}
