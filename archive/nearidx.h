/* archive/nearidx: the story-cluster keys of the archive's recent time
 * buckets, held in the writer's memory, so that a put finds its candidate
 * wire copies by hash look-up instead of some 40 index seeks and row reads.
 * A bucket is either resident here, complete and exact, or not at all (the
 * writer then asks SQLite); the writer keeps it in step with every put. */
#ifndef PM_ARCHIVE_NEARIDX_H
#define PM_ARCHIVE_NEARIDX_H

#include <stddef.h>
#include <stdint.h>

#define PM_NEAR_MH 30 /* = PM_MH_K */

/* One stored article as clustering sees it. */
struct pm_near_ent {
	int64_t trid, ts, rowid;
	uint64_t fp;
	/* pm_hash64_str of id and norm_title (0 without one): a look-up
	 * compares these before the strings, which are cache misses */
	uint64_t id_hash, title_hash;
	char *norm_title;     /* owned, or NULL */
	char id[17], cluster[17];
	unsigned has_fp : 1, has_mh : 1;
	uint32_t mh[PM_NEAR_MH];
};

/* Key kinds: the four 16-bit fingerprint bands, the folded title (by its
 * hash: the caller compares the strings), the LSH bands 0-9. Lists of the
 * first five are in (ts, rowid) order, the LSH lists in trid order: the
 * orders of the SQL indexes they stand for. */
enum { PM_NEAR_FP0 = 0, PM_NEAR_TITLE = 4, PM_NEAR_LSH0 = 5, PM_NEAR_KINDS = 15 };

struct pm_nearidx;

/* max_ents bounds the articles held in all buckets together. */
struct pm_nearidx *pm_nearidx_new(size_t max_ents);
void pm_nearidx_free(struct pm_nearidx *ix);

/* 1 when bucket tb (trid >> 38) is resident. */
int pm_nearidx_has(const struct pm_nearidx *ix, int64_t tb);
/* Makes tb resident and empty, first dropping the resident bucket farthest
 * from it when PM_NEAR_BUCKETS are. The caller then adds its articles. */
#define PM_NEAR_BUCKETS 8
void pm_nearidx_open(struct pm_nearidx *ix, int64_t tb);
void pm_nearidx_drop(struct pm_nearidx *ix, int64_t tb);
void pm_nearidx_drop_all(struct pm_nearidx *ix);

/* Adds a copy of e (norm_title copied too) to its bucket, trid >> 38, if
 * resident; e->title_hash (the title's key) and the LSH band values are
 * the caller's (it owns how they are computed). At the bound max_ents the other buckets go,
 * farthest in time first; -1 when e's bucket alone reaches it: the caller
 * drops that bucket. An entry with e's trid must not be there. */
int pm_nearidx_add(struct pm_nearidx *ix, const struct pm_near_ent *e, const int64_t lsh[10]);
/* Removes the entry with this trid, if its bucket is resident. */
void pm_nearidx_remove(struct pm_nearidx *ix, int64_t trid);

/* The entries of resident bucket tb under key (kind, value), in the
 * kind's order; *n = 0 when there are none. Valid until the next change. */
struct pm_near_ent *const *pm_nearidx_list(const struct pm_nearidx *ix, int64_t tb, int kind,
					   int64_t value, size_t *n);
/* The same list from its first entry whose order key (trid for the LSH
 * kinds, ts for the others) is at least from: where a window starts. */
struct pm_near_ent *const *pm_nearidx_list_from(const struct pm_nearidx *ix, int64_t tb, int kind,
						int64_t value, int64_t from, size_t *n);

#endif
