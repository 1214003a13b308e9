/* archive/nearidx: the clustering keys of a few resident time buckets in
 * memory (see nearidx.h). Hand-written because it is two small open-
 * addressing maps and sorted arrays: no library in Debian that pressmon
 * uses offers an ordered multimap in C, and the orders must be exactly
 * those of the SQL indexes the look-ups replace. */
#include "archive/nearidx.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

struct item {
	struct pm_near_ent e; /* first: lists hold &item->e */
	int64_t lsh[10];
};

/* The entries under one key, in the kind's order. Most keys have one
 * entry (a story's copies share few keys with other stories): it is held
 * inline, and a key with more has an array of capacity max(4, n rounded up
 * to a power of two). 24 bytes: a bucket of 300,000 articles has some 4.5
 * million keys. */
struct node {
	int64_t value;
	union {
		struct pm_near_ent *one; /* n <= 1 */
		struct pm_near_ent **v;  /* n >= 2 */
	} u;
	uint32_t n;
	int8_t kind; /* -1: empty slot */
};

static struct pm_near_ent **node_v(struct node *nd)
{
	return nd->n >= 2 ? nd->u.v : &nd->u.one;
}

#define TOMB ((struct item *)1)

struct bucket {
	int64_t tb;
	struct node *nodes; /* key map */
	size_t nslots, nused;
	struct item **items; /* trid map; NULL empty, TOMB removed */
	size_t islots, iused, itombs;
};

struct pm_nearidx {
	struct bucket b[PM_NEAR_BUCKETS];
	int nb;
	size_t nents, max_ents;
};

static uint64_t mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct pm_nearidx *pm_nearidx_new(size_t max_ents)
{
	struct pm_nearidx *ix = xcalloc(1, sizeof(*ix));

	ix->max_ents = max_ents;
	return ix;
}

static struct bucket *find_bucket(const struct pm_nearidx *ix, int64_t tb)
{
	for (int i = 0; i < ix->nb; i++)
		if (ix->b[i].tb == tb)
			return (struct bucket *)&ix->b[i];
	return NULL;
}

int pm_nearidx_has(const struct pm_nearidx *ix, int64_t tb)
{
	return find_bucket(ix, tb) != NULL;
}

static void bucket_release(struct pm_nearidx *ix, struct bucket *b)
{
	for (size_t i = 0; i < b->islots; i++)
		if (b->items[i] && b->items[i] != TOMB) {
			free(b->items[i]->e.norm_title);
			free(b->items[i]);
			ix->nents--;
		}
	for (size_t i = 0; i < b->nslots; i++)
		if (b->nodes[i].kind != -1 && b->nodes[i].n >= 2)
			free(b->nodes[i].u.v);
	free(b->items);
	free(b->nodes);
	memset(b, 0, sizeof(*b));
}

void pm_nearidx_drop(struct pm_nearidx *ix, int64_t tb)
{
	struct bucket *b = find_bucket(ix, tb);

	if (!b)
		return;
	bucket_release(ix, b);
	*b = ix->b[--ix->nb];
	memset(&ix->b[ix->nb], 0, sizeof(ix->b[ix->nb]));
}

void pm_nearidx_drop_all(struct pm_nearidx *ix)
{
	while (ix->nb)
		pm_nearidx_drop(ix, ix->b[0].tb);
}

void pm_nearidx_free(struct pm_nearidx *ix)
{
	if (!ix)
		return;
	pm_nearidx_drop_all(ix);
	free(ix);
}

static void nodes_init(struct bucket *b, size_t slots)
{
	b->nodes = xcalloc(slots, sizeof(*b->nodes));
	for (size_t i = 0; i < slots; i++)
		b->nodes[i].kind = -1;
	b->nslots = slots;
	b->nused = 0;
}

void pm_nearidx_open(struct pm_nearidx *ix, int64_t tb)
{
	struct bucket *b;

	if (find_bucket(ix, tb))
		return;
	if (ix->nb == PM_NEAR_BUCKETS) {
		int far = 0;
		for (int i = 1; i < ix->nb; i++)
			if (llabs(ix->b[i].tb - tb) > llabs(ix->b[far].tb - tb))
				far = i;
		pm_nearidx_drop(ix, ix->b[far].tb);
	}
	b = &ix->b[ix->nb++];
	memset(b, 0, sizeof(*b));
	b->tb = tb;
	nodes_init(b, 1024);
	b->islots = 1024;
	b->items = xcalloc(b->islots, sizeof(*b->items));
}

static size_t key_slot(const struct bucket *b, int kind, int64_t value)
{
	size_t i = (size_t)mix((uint64_t)value * 31 + (uint64_t)kind) & (b->nslots - 1);

	while (b->nodes[i].kind != -1 && (b->nodes[i].kind != kind || b->nodes[i].value != value))
		i = (i + 1) & (b->nslots - 1);
	return i;
}

static struct node *key_node(struct bucket *b, int kind, int64_t value)
{
	size_t i;

	if ((b->nused + 1) * 10 > b->nslots * 7) {
		struct node *old = b->nodes;
		size_t n = b->nslots;
		nodes_init(b, n * 2);
		for (size_t j = 0; j < n; j++)
			if (old[j].kind != -1) {
				b->nodes[key_slot(b, old[j].kind, old[j].value)] = old[j];
				b->nused++;
			}
		free(old);
	}
	i = key_slot(b, kind, value);
	if (b->nodes[i].kind == -1) {
		b->nodes[i].kind = (int8_t)kind;
		b->nodes[i].value = value;
		b->nused++;
	}
	return &b->nodes[i];
}

/* The kind's order: (ts, rowid) for the fingerprint and title lists, trid
 * for the LSH lists (as the SQL indexes they stand for return rows). */
static int before(int kind, const struct pm_near_ent *x, const struct pm_near_ent *y)
{
	if (kind >= PM_NEAR_LSH0)
		return x->trid < y->trid;
	return x->ts < y->ts || (x->ts == y->ts && x->rowid < y->rowid);
}

static size_t lower(struct node *nd, const struct pm_near_ent *e)
{
	size_t lo = 0, hi = nd->n;
	struct pm_near_ent **v = node_v(nd);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (before(nd->kind, v[mid], e))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void list_add(struct node *nd, struct pm_near_ent *e)
{
	size_t at = lower(nd, e);
	struct pm_near_ent **v;

	if (nd->n == 0) {
		nd->u.one = e;
		nd->n = 1;
		return;
	}
	if (nd->n == 1) { /* the inline entry moves into an array */
		struct pm_near_ent *one = nd->u.one;
		nd->u.v = xmalloc(4 * sizeof(*nd->u.v));
		nd->u.v[0] = one;
	} else if (nd->n >= 4 && !(nd->n & (nd->n - 1))) { /* full */
		nd->u.v = xrealloc(nd->u.v, 2 * (size_t)nd->n * sizeof(*nd->u.v));
	}
	v = nd->u.v;
	memmove(v + at + 1, v + at, (nd->n - at) * sizeof(*v));
	v[at] = e;
	nd->n++;
}

/* The array is never shrunk but back to one inline entry, so it always
 * holds at least the capacity list_add assumes for n. */
static void list_remove(struct node *nd, const struct pm_near_ent *e)
{
	size_t at = lower(nd, e);
	struct pm_near_ent **v = node_v(nd);

	if (at >= nd->n || v[at] != e)
		return;
	memmove(v + at, v + at + 1, (nd->n - at - 1) * sizeof(*v));
	if (nd->n == 2) {
		struct pm_near_ent *one = v[0];
		free(v);
		nd->u.one = one;
	}
	nd->n--;
}

static size_t item_slot(const struct bucket *b, int64_t trid, int for_insert)
{
	size_t i = (size_t)mix((uint64_t)trid) & (b->islots - 1);

	for (;; i = (i + 1) & (b->islots - 1)) {
		struct item *it = b->items[i];
		if (!it || (it == TOMB && for_insert) || (it != TOMB && it->e.trid == trid))
			return i;
	}
}

static void items_grow(struct bucket *b)
{
	struct item **old = b->items;
	size_t n = b->islots;

	if ((b->iused + b->itombs + 1) * 10 <= b->islots * 7)
		return;
	if ((b->iused + 1) * 10 > b->islots * 4)
		b->islots *= 2; /* else the same size, without the tombstones */
	b->items = xcalloc(b->islots, sizeof(*b->items));
	b->itombs = 0;
	for (size_t j = 0; j < n; j++)
		if (old[j] && old[j] != TOMB)
			b->items[item_slot(b, old[j]->e.trid, 1)] = old[j];
	free(old);
}

/* The (kind, value) keys of an item; a kind without a key gets 0. */
static void item_keys(const struct item *it, int64_t val[PM_NEAR_KINDS])
{
	for (int k = 0; k < 4; k++)
		val[k] = (int64_t)((it->e.fp >> (16 * k)) & 0xffff);
	val[PM_NEAR_TITLE] = (int64_t)it->e.title_hash;
	for (int k = 0; k < 10; k++)
		val[PM_NEAR_LSH0 + k] = it->lsh[k];
}

static int has_key(const struct item *it, int kind)
{
	if (kind < PM_NEAR_TITLE)
		return it->e.has_fp;
	if (kind == PM_NEAR_TITLE)
		return it->e.norm_title != NULL;
	return it->e.has_mh;
}

int pm_nearidx_add(struct pm_nearidx *ix, const struct pm_near_ent *e, const int64_t lsh[10])
{
	struct bucket *b = find_bucket(ix, e->trid >> 38);
	struct item *it;
	int64_t val[PM_NEAR_KINDS];

	if (!b)
		return 0;
	/* full: the buckets farthest in time from this one make room (a
	 * worker's window moves on; the old buckets must not hold the room
	 * for ever); -1 only when this bucket alone fills it */
	while (ix->nents >= ix->max_ents) {
		int far = -1;
		int64_t tb = b->tb;
		for (int i = 0; i < ix->nb; i++)
			if (ix->b[i].tb != tb && (far < 0 || llabs(ix->b[i].tb - tb) > llabs(ix->b[far].tb - tb)))
				far = i;
		if (far < 0)
			return -1;
		pm_nearidx_drop(ix, ix->b[far].tb);
		b = find_bucket(ix, tb); /* the array moved */
	}
	it = xcalloc(1, sizeof(*it));
	it->e = *e;
	it->e.norm_title = e->norm_title ? xstrdup(e->norm_title) : NULL;
	if (e->has_mh)
		memcpy(it->lsh, lsh, sizeof(it->lsh));
	items_grow(b);
	b->items[item_slot(b, e->trid, 1)] = it;
	b->iused++;
	ix->nents++;
	item_keys(it, val);
	for (int k = 0; k < PM_NEAR_KINDS; k++)
		if (has_key(it, k))
			list_add(key_node(b, k, val[k]), &it->e);
	return 0;
}

void pm_nearidx_remove(struct pm_nearidx *ix, int64_t trid)
{
	struct bucket *b = find_bucket(ix, trid >> 38);
	struct item *it;
	size_t i;
	int64_t val[PM_NEAR_KINDS];

	if (!b)
		return;
	i = item_slot(b, trid, 0);
	if (!(it = b->items[i]))
		return;
	item_keys(it, val);
	for (int k = 0; k < PM_NEAR_KINDS; k++)
		if (has_key(it, k))
			list_remove(&b->nodes[key_slot(b, k, val[k])], &it->e);
	b->items[i] = TOMB;
	b->iused--;
	b->itombs++;
	ix->nents--;
	free(it->e.norm_title);
	free(it);
}

struct pm_near_ent *const *pm_nearidx_list(const struct pm_nearidx *ix, int64_t tb, int kind,
					   int64_t value, size_t *n)
{
	const struct bucket *b = find_bucket(ix, tb);
	struct node *nd;

	*n = 0;
	if (!b)
		return NULL;
	nd = &b->nodes[key_slot(b, kind, value)];
	if (nd->kind == -1)
		return NULL;
	*n = nd->n;
	return node_v((struct node *)nd);
}

struct pm_near_ent *const *pm_nearidx_list_from(const struct pm_nearidx *ix, int64_t tb, int kind,
						int64_t value, int64_t from, size_t *n)
{
	struct pm_near_ent *const *v = pm_nearidx_list(ix, tb, kind, value, n);
	size_t lo = 0, hi = *n;

	/* a window of ±3 days covers most buckets (3.03 days) whole: their
	 * first entry answers without the search's cache misses */
	if (hi && (kind >= PM_NEAR_LSH0 ? v[0]->trid : v[0]->ts) >= from)
		return v;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((kind >= PM_NEAR_LSH0 ? v[mid]->trid : v[mid]->ts) < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	*n -= lo;
	return v ? v + lo : NULL;
}
