/* archive/ftsidx: the archive's full-text index, in a file of its own
 * (PATH-fts beside the archive PATH) and written by a thread of its own.
 *
 * Why: FTS5 was half of the archive writer's time (a batch's terms are
 * hashed, then written and merged as segments), and SQLite lets one
 * connection at a time write a database file. With the index in its own
 * file, a second connection on a second thread indexes one batch while the
 * writer stores the next.
 *
 * How the two stay in step: every change to an article's title or text
 * adds a row to the archive's fts_queue table in the same transaction
 * (the writer for new articles, triggers for updates and deletes, which
 * also keep the old title and text: a contentless FTS5 index can only
 * delete what it is given again). A pass of the thread takes the index
 * file's write lock, reads the queue after the last sequence number the
 * index records as applied, and for each article named there deletes the
 * version it indexed (the old text of the article's first queue row since
 * the last pass) and indexes the version now stored. Then it records the
 * queue's last number, in the same transaction as the index. A crash at
 * any point loses nothing: the queue is in the archive, the index says how
 * far it got. The writer deletes queue rows the index has applied.
 *
 * An index file that is missing, belongs to another archive (the key in
 * the archive's fts_link table) or is ahead of the archive's queue (an
 * archive restored from an older copy) is rebuilt: every article is
 * queued again and the index started over. */
#ifndef PM_ARCHIVE_FTSIDX_H
#define PM_ARCHIVE_FTSIDX_H

#include <sqlite3.h>
#include <stdint.h>

#include "core/err.h"

struct pm_ftsidx;

/* The index file of the archive at path: path + "-fts". Caller frees. */
char *pm_ftsidx_path(const char *archive_path);

/* Opens (creating or rebuilding as above) the index of the archive at
 * archive_path, whose writer's connection is db (at the current schema,
 * outside a transaction), and starts the thread. */
int pm_ftsidx_open(sqlite3 *db, const char *archive_path, struct pm_ftsidx **out,
		   struct pm_err *err);

/* Asks for a pass: after each commit that queued rows. Does not wait. */
void pm_ftsidx_kick(struct pm_ftsidx *f);

/* Waits until everything committed to the archive before the call is in
 * the index. -1 with err set when a pass failed (the queue keeps the rows:
 * the next writer applies them). */
int pm_ftsidx_sync(struct pm_ftsidx *f, struct pm_err *err);

/* The last queue row the index has applied: rows up to it may go. */
int64_t pm_ftsidx_applied(struct pm_ftsidx *f);

/* The error of the last pass, if it failed (0 when not), and then asks
 * for another: for the writer's next batch, so that a worker backs off
 * while its index cannot be written, and goes on once it can. */
int pm_ftsidx_failed(struct pm_ftsidx *f, struct pm_err *err);

/* The queue rows one pass applies at most (100,000 by default): for
 * tests, which make the passes of a rebuild short. */
void pm_ftsidx_set_pass_rows(struct pm_ftsidx *f, int64_t rows);

/* Makes the passes asked for (every commit asks for one: what was
 * committed is indexed), stops the thread and closes. NULL is a no-op. */
void pm_ftsidx_close(struct pm_ftsidx *f);

#endif
