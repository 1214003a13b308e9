/* archive: the SQLite store of tagged articles (WAL, FTS5 over core/text),
 * its query language, aggregations, import and export. The only module that
 * includes sqlite3. */
#ifndef PM_ARCHIVE_H
#define PM_ARCHIVE_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"

struct pm_archive;

enum { PM_ARCHIVE_READ = 0, PM_ARCHIVE_WRITE = 1 };

/* Opens (creating and migrating when mode is WRITE) the archive at path.
 * Errors: PM_EDEP when the file cannot be opened or is not an archive. */
int pm_archive_open(const char *path, int mode, struct pm_archive **out, struct pm_err *err);
void pm_archive_close(struct pm_archive *a);

int pm_archive_begin(struct pm_archive *a, struct pm_err *err);
int pm_archive_commit(struct pm_archive *a, struct pm_err *err);
int pm_archive_rollback(struct pm_archive *a);

/* Stores one article object (DESIGN.md shape plus "fingerprint",
 * "evidence" in tags, full misinfo objects). Idempotent on "id"; a changed
 * article replaces the old version. Input errors: PM_EINPUT naming the field. */
int pm_archive_put(struct pm_archive *a, json_t *article, struct pm_err *err);

/* Number of articles stored. */
long long pm_archive_count(struct pm_archive *a);

/* Calls fn for every article whose published time (fetched time when no
 * published time) is in [from, to), in time order. fn gets a borrowed
 * article object (full shape, with evidence and misinfo details) and
 * returns 0 to go on. */
int pm_archive_each_in_range(struct pm_archive *a, time_t from, time_t to,
			     int (*fn)(void *ctx, json_t *article), void *ctx,
			     struct pm_err *err);

#endif
