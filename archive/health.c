/* archive/health: the last known state of every feed, saved by the
 * pipeline and read by the digest after Redis may be long gone. */
#include "archive/archive.h"
#include "archive/archive_int.h"
#include "core/time.h"

#include <sqlite3.h>
#include <stdlib.h>

int pm_archive_feed_health_put(struct pm_archive *a, json_t *feeds, struct pm_err *err)
{
	sqlite3_stmt *st = NULL;
	char now[PM_ISO_LEN];
	json_t *f;
	size_t i;
	int own_txn = !a->in_batch;

	pm_time_iso((time_t)(pm_now_ms() / 1000), now);
	if (own_txn && pm_archive_begin(a, err))
		return -1;
	if (sqlite3_exec(a->db, "DELETE FROM feed_health", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(a->db, "INSERT INTO feed_health(id, state, updated) VALUES (?, ?, ?)",
			       -1, &st, NULL) != SQLITE_OK)
		goto fail;
	json_array_foreach(feeds, i, f) {
		const char *id = json_string_value(json_object_get(f, "id"));
		char *state;
		int rc;
		if (!id)
			continue;
		state = json_dumps(f, JSON_COMPACT);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 2, state, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
		free(state);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(st);
	return own_txn ? pm_archive_commit(a, err) : 0;
fail:
	pm_archive_sqlerr(a, "saving feed health", err);
	sqlite3_finalize(st);
	if (own_txn)
		pm_archive_rollback(a);
	return -1;
}

int pm_archive_feed_health_get(struct pm_archive *a, json_t **out, struct pm_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = json_array();
	if (sqlite3_prepare_v2(a->db, "SELECT state FROM feed_health ORDER BY id", -1, &st,
			       NULL) != SQLITE_OK) {
		json_decref(*out);
		*out = NULL;
		return pm_archive_sqlerr(a, "reading feed health", err);
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *f = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
		if (f)
			json_array_append_new(*out, f);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(*out);
		*out = NULL;
		return pm_archive_sqlerr(a, "reading feed health", err);
	}
	return 0;
}
