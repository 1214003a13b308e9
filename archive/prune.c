/* archive/prune: retention — drop old articles (with their tags, evidence,
 * flags and index entries, by trigger; their bands, by time), or keep them
 * but drop their bodies. */
#include "archive/archive.h"
#include "archive/archive_int.h"

#include <sqlite3.h>

static int step_count(struct pm_archive *a, const char *sql, sqlite3_int64 t,
		      long long *changed, const char *what, struct pm_err *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(a->db, sql, -1, &st, NULL) != SQLITE_OK)
		return pm_archive_sqlerr(a, what, err);
	sqlite3_bind_int64(st, 1, t);
	if (sqlite3_step(st) != SQLITE_DONE) {
		sqlite3_finalize(st);
		return pm_archive_sqlerr(a, what, err);
	}
	sqlite3_finalize(st);
	if (changed)
		*changed = sqlite3_changes(a->db);
	return 0;
}

int pm_archive_prune(struct pm_archive *a, time_t before, time_t strip_before,
		     long long *deleted, long long *stripped, struct pm_err *err)
{
	*deleted = *stripped = 0;
	if (pm_archive_begin(a, err))
		return -1;
	/* deletes behind the writer's in-memory clustering keys */
	pm_archive_forget_near(a);
	if (before &&
	    /* bands carry no article id (schema 5): theirs are the rows of
	     * trids before the cut (only dated articles have bands); tags,
	     * evidence and flags go through the delete trigger; the time
	     * bucket that leads their key (schema 8) bounds the range */
	    (step_count(a, "DELETE FROM lsh WHERE tb <= (?1 >> 38) AND trid < ?1", pm_trid_second((int64_t)before), NULL,
			"deleting old bands", err) ||
	     step_count(a, "DELETE FROM articles WHERE ts < ?1", (sqlite3_int64)before, deleted,
			"deleting old articles", err) ||
	     /* clusters whose every article is gone go too; the rest are recounted */
	     step_count(a, "DELETE FROM clusters WHERE id NOT IN"
			   " (SELECT cluster FROM articles WHERE cluster IS NOT NULL) AND ?1 = ?1",
			0, NULL, "deleting empty clusters", err) ||
	     step_count(a, "UPDATE clusters SET size = (SELECT count(*) FROM articles"
			   " WHERE articles.cluster = clusters.id) WHERE ?1 = ?1",
			0, NULL, "recounting clusters", err)))
		goto fail;
	if (strip_before &&
	    step_count(a, "UPDATE articles SET text = '' WHERE ts < ?1 AND text <> ''",
		       (sqlite3_int64)strip_before, stripped, "dropping old bodies", err))
		goto fail;
	return pm_archive_commit(a, err);
fail:
	pm_archive_rollback(a);
	return -1;
}
