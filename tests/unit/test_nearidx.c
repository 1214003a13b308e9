/* test_nearidx: the in-memory clustering keys return, for every key, the
 * entries a sorted scan of all entries would, in the same order, through
 * random adds and removes, bucket drops and the bound on entries. */
#include "archive/nearidx.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 1200

struct ref {
	struct pm_near_ent e;
	uint64_t th;
	int64_t lsh[10];
	int live;
};

static int64_t key_of(const struct ref *r, int kind)
{
	if (kind < PM_NEAR_TITLE)
		return (int64_t)((r->e.fp >> (16 * kind)) & 0xffff);
	if (kind == PM_NEAR_TITLE)
		return (int64_t)r->th;
	return r->lsh[kind - PM_NEAR_LSH0];
}

static int has_kind(const struct ref *r, int kind)
{
	return kind < PM_NEAR_TITLE ? r->e.has_fp : kind == PM_NEAR_TITLE ? r->e.norm_title != NULL
									      : r->e.has_mh;
}

static int ref_before(int kind, const struct pm_near_ent *x, const struct pm_near_ent *y)
{
	if (kind >= PM_NEAR_LSH0)
		return x->trid < y->trid;
	return x->ts < y->ts || (x->ts == y->ts && x->rowid < y->rowid);
}

/* Every key of every live entry: the list equals the brute-force one. */
static int lists_match(struct pm_nearidx *ix, struct ref *refs, int64_t tb)
{
	static const struct pm_near_ent *want[N];

	for (int i = 0; i < N; i++) {
		if (!refs[i].live || refs[i].e.trid >> 38 != tb)
			continue;
		for (int k = 0; k < PM_NEAR_KINDS; k++) {
			size_t n = 0, m = 0;
			struct pm_near_ent *const *v;
			int64_t key;

			if (!has_kind(&refs[i], k))
				continue;
			key = key_of(&refs[i], k);
			for (int j = 0; j < N; j++)
				if (refs[j].live && refs[j].e.trid >> 38 == tb && has_kind(&refs[j], k) &&
				    key_of(&refs[j], k) == key) {
					size_t at = m++;
					while (at > 0 && ref_before(k, &refs[j].e, want[at - 1])) {
						want[at] = want[at - 1];
						at--;
					}
					want[at] = &refs[j].e;
				}
			v = pm_nearidx_list(ix, tb, k, key, &n);
			if (n != m)
				return 0;
			for (size_t x = 0; x < n; x++)
				if (v[x]->trid != want[x]->trid || strcmp(v[x]->id, want[x]->id))
					return 0;
			/* where a window starts: at, just before and just after
			 * an entry's order key (equal times are common here) */
			for (size_t x = 0; x < m; x += 1 + m / 7)
				for (int64_t d = -1; d <= 1; d++) {
					int lsh = k >= PM_NEAR_LSH0;
					int64_t from = (lsh ? want[x]->trid : want[x]->ts) + d;
					size_t first = 0, got;
					struct pm_near_ent *const *u;
					while (first < m && (lsh ? want[first]->trid : want[first]->ts) < from)
						first++;
					u = pm_nearidx_list_from(ix, tb, k, key, from, &got);
					if (got != m - first || (got && u[0] != v[first]))
						return 0;
				}
		}
	}
	return 1;
}

int main(void)
{
	static struct ref refs[N];
	unsigned long long seed = 7;
	struct pm_nearidx *ix = pm_nearidx_new(100000);
	int64_t tb = 6700;
	char title[32];

	TEST("random entries, few distinct keys so lists grow");
	pm_nearidx_open(ix, tb);
	CHECK(pm_nearidx_has(ix, tb));
	for (int i = 0; i < N; i++) {
		struct ref *r = &refs[i];
		memset(r, 0, sizeof(*r));
		r->e.ts = (tb << 18) + 4096 * (int64_t)tl_rand(&seed, 64); /* many equal times: rowid decides */
		r->e.trid = (r->e.ts << 20) + i;
		r->e.rowid = 1 + (int64_t)tl_rand(&seed, 1000000);
		r->e.has_fp = tl_rand(&seed, 4) != 0;
		r->e.fp = ((uint64_t)tl_rand(&seed, 8) << 48) | ((uint64_t)tl_rand(&seed, 50) << 16) |
			  tl_rand(&seed, 3000);
		/* four in five have one of 40 titles; the title's "hash"
		 * (e.title_hash) is its number (the index compares hashes, the
		 * caller strings) */
		if (tl_rand(&seed, 5)) {
			r->th = tl_rand(&seed, 40);
			r->e.title_hash = r->th;
			snprintf(title, sizeof(title), "title %u", (unsigned)r->th);
			r->e.norm_title = strdup(title); /* the reference's copy */
		}
		snprintf(r->e.id, sizeof(r->e.id), "%016x", (unsigned)i);
		snprintf(r->e.cluster, sizeof(r->e.cluster), "%016x", (unsigned)(i / 3));
		r->e.has_mh = tl_rand(&seed, 3) != 0;
		for (int b = 0; b < 10; b++)
			r->lsh[b] = (int64_t)tl_rand(&seed, 30) - 15;
		CHECK_INT(pm_nearidx_add(ix, &r->e, r->lsh), 0);
		r->live = 1;
	}
	CHECK(lists_match(ix, refs, tb));

	TEST("removes, including down to one and to no entry under a key");
	for (int i = 0; i < N; i++)
		if (tl_rand(&seed, 3) == 0) {
			pm_nearidx_remove(ix, refs[i].e.trid);
			refs[i].live = 0;
		}
	pm_nearidx_remove(ix, INT64_C(1) << 40); /* not there: nothing happens */
	CHECK(lists_match(ix, refs, tb));
	for (int i = 0; i < N; i++) /* add back a few: tombstones reused */
		if (!refs[i].live && tl_rand(&seed, 2) == 0) {
			CHECK_INT(pm_nearidx_add(ix, &refs[i].e, refs[i].lsh), 0);
			refs[i].live = 1;
		}
	CHECK(lists_match(ix, refs, tb));

	TEST("an entry outside every resident bucket is not kept");
	{
		struct pm_near_ent e = refs[0].e;
		size_t n;
		e.trid = (tb + 5) << 38;
		CHECK_INT(pm_nearidx_add(ix, &e, refs[0].lsh), 0);
		CHECK(pm_nearidx_list(ix, tb + 5, PM_NEAR_LSH0, refs[0].lsh[0], &n) == NULL && n == 0);
	}

	TEST("at most PM_NEAR_BUCKETS buckets; the farthest goes");
	for (int64_t t = tb + 1; t <= tb + PM_NEAR_BUCKETS; t++)
		pm_nearidx_open(ix, t);
	CHECK(!pm_nearidx_has(ix, tb));
	CHECK(pm_nearidx_has(ix, tb + PM_NEAR_BUCKETS));

	TEST("the bound on entries");
	pm_nearidx_drop_all(ix);
	pm_nearidx_free(ix);
	ix = pm_nearidx_new(10);
	pm_nearidx_open(ix, tb);
	for (int i = 0; i < 10; i++)
		CHECK_INT(pm_nearidx_add(ix, &refs[i].e, refs[i].lsh), 0);
	CHECK_INT(pm_nearidx_add(ix, &refs[10].e, refs[10].lsh), -1);
	pm_nearidx_drop(ix, tb);
	CHECK(!pm_nearidx_has(ix, tb));

	TEST("at the bound, the buckets farthest in time make room");
	pm_nearidx_open(ix, tb - 3);
	pm_nearidx_open(ix, tb - 1);
	for (int i = 0; i < 5; i++) {
		struct pm_near_ent e = refs[i].e;
		e.trid = ((tb - 3) << 38) + i;
		CHECK_INT(pm_nearidx_add(ix, &e, refs[i].lsh), 0);
		e.trid = ((tb - 1) << 38) + i;
		CHECK_INT(pm_nearidx_add(ix, &e, refs[i].lsh), 0);
	}
	pm_nearidx_open(ix, tb);
	{
		struct pm_near_ent e = refs[0].e;
		size_t n;
		e.has_mh = 1; /* so that it has LSH keys to find it by */
		CHECK_INT(pm_nearidx_add(ix, &e, refs[0].lsh), 0);
		CHECK(!pm_nearidx_has(ix, tb - 3) && pm_nearidx_has(ix, tb - 1) && pm_nearidx_has(ix, tb));
		pm_nearidx_list(ix, tb, PM_NEAR_LSH0, refs[0].lsh[0], &n);
		CHECK(n == 1);
	}
	pm_nearidx_free(ix);
	for (int i = 0; i < N; i++)
		free(refs[i].e.norm_title);
	return tl_summary();
}
