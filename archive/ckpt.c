/* archive/ckpt: the writer's WAL checkpoints on a thread of their own
 * (see ckpt.h). The mutex guards want, stop, busy, failed and passes,
 * which the thread and the WAL hook (on the writer's thread) share; start,
 * limit and started belong to the writer's thread. */
#include "archive/ckpt.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdlib.h>

struct pm_ckpt {
	sqlite3 *db; /* the writer's */
	char *path;
	int start, limit;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	int started;  /* th runs (only the writer's thread reads and sets it) */
	int want;     /* a commit asked for a pass */
	int busy;     /* the thread is in a pass */
	int stop;
	int failed;   /* no thread or no connection: the commits checkpoint */
	long passes;
	sqlite3 *cdb; /* the thread's connection, opened before it starts */
};

/* The thread's own connection, opened on the writer's thread before the
 * thread starts, so that a path it cannot open is known at once and the
 * very next commit checkpoints itself (opened by the thread, the writer
 * went on committing without checkpoints until the thread had failed).
 * A connection learns that the file is in WAL mode from its first read;
 * until then a checkpoint does nothing and says so (-1 frames). */
static sqlite3 *open_own(const char *path)
{
	sqlite3 *cdb = NULL;

	if (sqlite3_open_v2(path, &cdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
		    SQLITE_OK ||
	    sqlite3_exec(cdb, "PRAGMA schema_version", NULL, NULL, NULL) != SQLITE_OK) {
		sqlite3_close(cdb);
		return NULL;
	}
	return cdb;
}

static void *ckpt_main(void *arg)
{
	struct pm_ckpt *c = arg;
	sqlite3 *cdb = c->cdb; /* handed over by pthread_create */

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->want && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->want = 0;
		c->busy = 1;
		pthread_mutex_unlock(&c->mu);
		/* SQLITE_BUSY (another checkpoint runs) or an I/O error: the
		 * frames stay in the WAL, which is still the database; the
		 * next pass or the writer's own checkpoint copies them */
		sqlite3_wal_checkpoint_v2(cdb, "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
		c->passes++;
		c->busy = 0;
		pthread_cond_broadcast(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	sqlite3_close(cdb);
	return NULL;
}

/* Called by SQLite on the writer's thread after each commit, with the
 * WAL's length in frames. */
static int wal_hook(void *arg, sqlite3 *db, const char *schema, int pages)
{
	struct pm_ckpt *c = arg;
	int self;

	if (pages < c->start)
		return SQLITE_OK;
	if (!c->started && !c->failed) {
		/* no other thread runs yet: no lock needed */
		if ((c->cdb = open_own(c->path)) && pthread_create(&c->th, NULL, ckpt_main, c) == 0) {
			c->started = 1;
		} else {
			sqlite3_close(c->cdb);
			c->cdb = NULL;
			c->failed = 1;
		}
	}
	pthread_mutex_lock(&c->mu);
	self = c->failed || pages >= c->limit;
	if (self) {
		/* the thread's pass first: two checkpoints cannot run at once */
		while (c->busy)
			pthread_cond_wait(&c->cv, &c->mu);
	} else {
		c->want = 1;
		pthread_cond_signal(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	if (self)
		sqlite3_wal_checkpoint_v2(db, schema, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return SQLITE_OK;
}

struct pm_ckpt *pm_ckpt_attach(sqlite3 *db, const char *path, int start_pages, int limit_pages)
{
	struct pm_ckpt *c = xcalloc(1, sizeof(*c));

	c->db = db;
	c->path = xstrdup(path);
	c->start = start_pages;
	c->limit = limit_pages > start_pages ? limit_pages : start_pages;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	sqlite3_wal_hook(db, wal_hook, c);
	return c;
}

void pm_ckpt_set_start(struct pm_ckpt *c, int start_pages)
{
	if (!c)
		return;
	c->start = start_pages; /* read by the hook only, on this thread */
	if (c->limit < start_pages)
		c->limit = start_pages;
}

long pm_ckpt_passes(struct pm_ckpt *c)
{
	long n;

	pthread_mutex_lock(&c->mu);
	n = c->passes;
	pthread_mutex_unlock(&c->mu);
	return n;
}

int pm_ckpt_idle(struct pm_ckpt *c)
{
	int idle;

	pthread_mutex_lock(&c->mu);
	idle = !c->want && !c->busy;
	pthread_mutex_unlock(&c->mu);
	return idle;
}

void pm_ckpt_detach(struct pm_ckpt *c)
{
	if (!c)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->mu);
		c->stop = 1;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->th, NULL);
	}
	sqlite3_wal_autocheckpoint(c->db, c->start);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->path);
	free(c);
}
