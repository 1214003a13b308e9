/* archive/stage: the archive stage — tagged articles into SQLite, one
 * transaction per batch, acknowledged only after the commit. */
#ifndef PM_ARCHIVE_STAGE_H
#define PM_ARCHIVE_STAGE_H

#include "core/err.h"
#include "queue/stage.h"

struct pm_archive;

/* Fills s (name "archive", stream tagged), opening the archive at db_path. */
int pm_archive_stage_init(struct pm_stage *s, const char *db_path, struct pm_err *err);
void pm_archive_stage_release(struct pm_stage *s);
/* The stage's archive connection (borrowed), for writes between batches
 * by the thread that runs the stage. */
struct pm_archive *pm_archive_stage_archive(const struct pm_stage *s);

#endif
