/* archive/stage: tagged articles into SQLite. A batch is one transaction;
 * the stage loop acknowledges the entries only after flush() committed. */
#include "archive/stage.h"
#include "archive/archive.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

struct archive_ctx {
	struct pm_archive *a;
	int in_txn;
};

/* On the helper thread of the turn (queue/stage.h), or on the caller's
 * for a small batch: the entry's JSON read and the article parsed,
 * checked, signed and hashed (pm_archive_prepare), a fifth of the stage's
 * work, while the main thread writes the one before into SQLite. There
 * is no plain handle: the stage loop calls handle_prepared either way. */
static void *prepare(void *ctx, const struct pm_entry *e, struct pm_err *err)
{
	struct pm_archive_item *it = NULL;
	json_t *article;

	(void)ctx;
	if (!(article = pm_entry_object(e, "article", err)))
		return NULL;
	pm_archive_prepare(article, &it, err);
	json_decref(article);
	return it;
}

static void prep_free(void *prep)
{
	pm_archive_item_free(prep);
}

static int handle_prepared(void *ctx, struct pm_queue *q, const struct pm_entry *e, void *prep,
			   const struct pm_err *prep_err, struct pm_err *err)
{
	struct archive_ctx *c = ctx;

	(void)q;
	(void)e;
	if (!prep) {
		*err = *prep_err;
		return -1;
	}
	if (!c->in_txn) {
		if (pm_archive_begin(c->a, err) < 0)
			return -1;
		c->in_txn = 1;
	}
	return pm_archive_put_item(c->a, prep, err);
}

static int flush(void *ctx, struct pm_err *err)
{
	struct archive_ctx *c = ctx;

	if (!c->in_txn)
		return 0;
	c->in_txn = 0;
	if (pm_archive_commit(c->a, err) < 0) {
		pm_archive_rollback(c->a);
		return -1;
	}
	return 0;
}

int pm_archive_stage_init(struct pm_stage *s, const char *db_path, struct pm_err *err)
{
	struct archive_ctx *c = xcalloc(1, sizeof(*c));

	if (pm_archive_open(db_path, PM_ARCHIVE_WRITE, &c->a, err) < 0) {
		free(c);
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->name = "archive";
	s->stream = "tagged";
	s->prepare = prepare;
	s->handle_prepared = handle_prepared;
	s->prep_free = prep_free;
	s->flush = flush;
	s->ctx = c;
	/* a commit writes the index pages its batch dirtied, and the next
	 * batch dirties mostly the same ones again (the clustering and time
	 * indexes take random keys within the day): 1,000 articles per commit
	 * archived twice as fast as 64, 5,000 again faster (100,000 pipeline
	 * articles: 27.7 -> 22.4 s CPU), and 20,000 again (300,000 articles,
	 * archive worker: 91.6 s wall and 97.6 s CPU with 5,000, 66.7-69.1 s
	 * and 77-79 s with 10,000, 62.8 s and 73.8 s with 20,000; 100,000:
	 * 18.1/19.7 -> 15.0/18.6 s wall; 50 MB more held). The worker takes
	 * what the stream holds, up to this, so a trickle still commits at
	 * once; in `run` a turn with less than half of it waits (cli/worker.c). */
	s->batch = 20000;
	return 0;
}

struct pm_archive *pm_archive_stage_archive(const struct pm_stage *s)
{
	return ((struct archive_ctx *)s->ctx)->a;
}

void pm_archive_stage_release(struct pm_stage *s)
{
	struct archive_ctx *c = s->ctx;

	if (c) {
		if (c->in_txn)
			pm_archive_rollback(c->a);
		pm_archive_close(c->a);
		free(c);
	}
	s->ctx = NULL;
}
