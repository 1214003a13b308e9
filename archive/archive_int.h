/* archive/archive_int: what only the archive's own files share — the
 * connection object, statement helpers and the FTS5 tokenizer hook. */
#ifndef PM_ARCHIVE_INT_H
#define PM_ARCHIVE_INT_H

#include <sqlite3.h>

#include "archive/archive.h"

struct pm_archive {
	sqlite3 *db;
	char *path;
	int mode;
	int in_batch;     /* inside pm_archive_begin/commit */
};

/* Registers the "pressmon" FTS5 tokenizer (core/text folding) on db. */
int pm_archive_register_tokenizer(sqlite3 *db, struct pm_err *err);

/* Fills err from the connection's last error; returns -1. */
int pm_archive_sqlerr(struct pm_archive *a, const char *what, struct pm_err *err);

/* Column text or NULL, as a borrowed C string. */
const char *pm_col_text(sqlite3_stmt *st, int col);

/* Builds the article object for id (see pm_archive_get). */
int pm_archive_build(struct pm_archive *a, const char *id, int full, json_t **out,
		     struct pm_err *err);

#endif
