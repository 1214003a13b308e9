/* archive/ckpt: the writer's WAL checkpoints on a thread of their own.
 *
 * A checkpoint copies the pages committed to the WAL into the database
 * file: a read and a write system call per page, which SQLite's automatic
 * checkpoint makes on the committing thread, inside the commit. For the
 * archive writer that was most of the time it spent in the kernel (a
 * third of an import's closing, for instance). Here a thread with its own
 * connection does it while the writer goes on with the next batch: a
 * passive checkpoint, which never blocks the writer.
 *
 * SQLite starts the WAL over only when a write transaction begins with
 * every frame copied, which a writer that begins the next batch at once
 * rarely sees. So the WAL grows until limit_pages; the commit that finds
 * it there waits for the thread's pass and copies what is left itself,
 * and the next transaction starts the WAL over. */
#ifndef PM_ARCHIVE_CKPT_H
#define PM_ARCHIVE_CKPT_H

#include <sqlite3.h>

struct pm_ckpt;

/* Takes over the checkpoints of db (the writer's connection to path; its
 * WAL hook, which turns SQLite's automatic checkpoint off): once a commit
 * leaves start_pages frames or more in the WAL, the thread (started then)
 * checkpoints. Without a thread or a connection of its own, the commit
 * checkpoints as SQLite would have. */
struct pm_ckpt *pm_ckpt_attach(sqlite3 *db, const char *path, int start_pages, int limit_pages);

/* Changes start_pages (from the next commit on). */
void pm_ckpt_set_start(struct pm_ckpt *c, int start_pages);

/* The passes the thread has made, and whether it has nothing to do (no
 * pass asked for or running): for tests. */
long pm_ckpt_passes(struct pm_ckpt *c);
int pm_ckpt_idle(struct pm_ckpt *c);

/* Stops the thread after its pass and gives db its own automatic
 * checkpoint back (at start_pages); call before closing db. */
void pm_ckpt_detach(struct pm_ckpt *c);

#endif
