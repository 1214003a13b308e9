/* classify/rules_compile: loads rule files, resolves $list and @tag names,
 * orders tags so that @tag references are evaluated first, and indexes the
 * terms by their first folded token so matching is linear in the text. */
#include "classify/classify_int.h"
#include "core/hash.h"
#include "core/mem.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- term signatures: open addressing over strings ----------------------- */

/* Distinct term spellings -> their distinct-term id (compile time only). */
struct tindex {
	char **keys;
	uint32_t *klen;
	size_t **ids;     /* ids[i]: ids_n[i] of them */
	size_t *ids_n;
	size_t cap, n;
};

static void tindex_release(struct tindex *ix)
{
	for (size_t i = 0; i < ix->cap; i++) {
		free(ix->keys[i]);
		free(ix->ids[i]);
	}
	free(ix->keys);
	free(ix->klen);
	free(ix->ids);
	free(ix->ids_n);
	memset(ix, 0, sizeof(*ix));
}

static size_t tindex_slot(const struct tindex *ix, const char *key, size_t len)
{
	size_t i = (size_t)pm_hash64(key, len) & (ix->cap - 1);

	while (ix->keys[i] && (ix->klen[i] != len || memcmp(ix->keys[i], key, len)))
		i = (i + 1) & (ix->cap - 1);
	return i;
}

static void tindex_add(struct tindex *ix, const char *key, size_t id)
{
	size_t len = strlen(key), i;

	if ((ix->n + 1) * 2 > ix->cap) {
		struct tindex old = *ix;
		ix->cap = old.cap ? old.cap * 2 : 64;
		ix->keys = xcalloc(ix->cap, sizeof(*ix->keys));
		ix->klen = xcalloc(ix->cap, sizeof(*ix->klen));
		ix->ids = xcalloc(ix->cap, sizeof(*ix->ids));
		ix->ids_n = xcalloc(ix->cap, sizeof(*ix->ids_n));
		for (size_t j = 0; j < old.cap; j++) {
			if (!old.keys[j])
				continue;
			i = tindex_slot(ix, old.keys[j], old.klen[j]);
			ix->keys[i] = old.keys[j];
			ix->klen[i] = old.klen[j];
			ix->ids[i] = old.ids[j];
			ix->ids_n[i] = old.ids_n[j];
		}
		free(old.keys);
		free(old.klen);
		free(old.ids);
		free(old.ids_n);
	}
	i = tindex_slot(ix, key, len);
	if (!ix->keys[i]) {
		ix->keys[i] = xstrdup(key);
		ix->klen[i] = (uint32_t)len;
		ix->n++;
	}
	ix->ids[i] = xrealloc(ix->ids[i], (ix->ids_n[i] + 1) * sizeof(size_t));
	ix->ids[i][ix->ids_n[i]++] = id;
}

/* Returns the number of ids stored under key and sets *ids. */
static size_t tindex_get(const struct tindex *ix, const char *key, size_t len, const size_t **ids)
{
	size_t i;

	if (!ix->cap)
		return 0;
	i = tindex_slot(ix, key, len);
	if (!ix->keys[i])
		return 0;
	*ids = ix->ids[i];
	return ix->ids_n[i];
}

/* ---- the term index: a byte trie, then its double array ----------------- */

/* The trie while it is built (compile time only): sorted child bytes. */
struct trie_node {
	uint8_t *bytes;     /* edge bytes to the children, sorted */
	uint32_t *kids;     /* child node indices, beside bytes */
	uint32_t nkids;
	uint32_t nexact, nprefix;
	size_t *exact;      /* distinct terms whose first token is this key */
	size_t *prefix;     /* distinct terms whose first token is key* */
};

struct trie {
	struct trie_node *v;    /* v[0] is the root (the empty key) */
	size_t n, a;
};

static uint32_t trie_child(const struct trie_node *x, uint8_t b)
{
	for (uint32_t k = 0; k < x->nkids; k++)
		if (x->bytes[k] == b)
			return x->kids[k];
	return 0;
}

static uint32_t trie_new_node(struct trie *t)
{
	XGROW(t->v, t->a, t->n + 1);
	memset(&t->v[t->n], 0, sizeof(t->v[t->n]));
	return (uint32_t)t->n++;
}

/* Adds distinct term u under key[0..len), as a whole token or a prefix.
 * Iterative: a key's length is bounded only by the rule file's size. */
static void trie_add(struct trie *t, const char *key, size_t len, size_t u, int prefix)
{
	uint32_t cur = 0, k;
	struct trie_node *x;

	if (!t->n)
		trie_new_node(t);
	for (size_t i = 0; i < len; i++) {
		uint8_t b = (uint8_t)key[i];
		uint32_t next = trie_child(&t->v[cur], b);
		if (!next) {
			next = trie_new_node(t); /* may move t->v */
			x = &t->v[cur];
			for (k = 0; k < x->nkids && x->bytes[k] < b; k++)
				;
			x->bytes = xrealloc(x->bytes, x->nkids + 1);
			x->kids = xrealloc(x->kids, (x->nkids + 1) * sizeof(uint32_t));
			memmove(x->bytes + k + 1, x->bytes + k, x->nkids - k);
			memmove(x->kids + k + 1, x->kids + k, (x->nkids - k) * sizeof(uint32_t));
			x->bytes[k] = b;
			x->kids[k] = next;
			x->nkids++;
		}
		cur = next;
	}
	x = &t->v[cur];
	if (prefix) {
		x->prefix = xrealloc(x->prefix, (x->nprefix + 1) * sizeof(size_t));
		x->prefix[x->nprefix++] = u;
	} else {
		x->exact = xrealloc(x->exact, (x->nexact + 1) * sizeof(size_t));
		x->exact[x->nexact++] = u;
	}
}

static void trie_release(struct trie *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].bytes);
		free(t->v[i].kids);
		free(t->v[i].exact);
		free(t->v[i].prefix);
	}
	free(t->v);
	memset(t, 0, sizeof(*t));
}

/* Room for slots [0, n) of the double array, new ones free; nf (the
 * next-free forest of dt_free) grows beside it. */
static void dt_reserve(struct dtrie *d, size_t n, size_t *cap, uint32_t **nf)
{
	if (n <= *cap)
		return;
	size_t old = *cap;
	XGROW(d->s, *cap, n);
	memset(d->s + old, 0, (*cap - old) * sizeof(*d->s));
	*nf = xrealloc(*nf, *cap * sizeof(**nf));
	for (size_t i = old; i < *cap; i++)
		(*nf)[i] = (uint32_t)i;
}

/* The first free slot at or after i (or cap - 1 when none before it): a
 * union-find whose taken slots point past themselves, so the search for a
 * free base skips runs of taken slots at once instead of stepping through
 * them (that was quadratic in the number of nodes: 11 s to compile 10,000
 * rules). */
static uint32_t dt_free(uint32_t *nf, size_t cap, uint32_t i)
{
	uint32_t r = i, x;

	while (r + 1 < cap && nf[r] != r)
		r = nf[r];
	while (i != r) { /* path compression */
		x = nf[i];
		nf[i] = r;
		i = x;
	}
	return r;
}

static void dt_add_cands(const struct pm_rules *r, struct dtrie *d, const size_t *u, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		const struct term *t = &r->terms[r->uterm_rep[u[k]]];
		d->cands[d->ncands].tok = t->tok;
		d->cands[d->ncands].u = (uint32_t)u[k];
		d->cands[d->ncands++].ntok = (uint32_t)t->ntok;
	}
}

/* Lays trie t out as r->index: breadth first, each node's children at the
 * first base where all their slots are free (first fit). */
static void dt_build(struct pm_rules *r, const struct trie *t)
{
	struct dtrie *d = &r->index;
	uint32_t *slot = xcalloc(t->n + 1, sizeof(uint32_t)); /* trie node -> slot */
	uint32_t *queue = xcalloc(t->n + 1, sizeof(uint32_t)), *nf = NULL;
	size_t cap = 0, qh = 0, qt = 0, nc = 0;

	memset(d, 0, sizeof(*d));
	dt_reserve(d, 512, &cap, &nf);
	d->s[0].check = UINT32_MAX; /* the root's slot is never free */
	nf[0] = 1;
	d->n = 256;
	for (size_t i = 0; i < t->n; i++)
		nc += t->v[i].nexact + t->v[i].nprefix;
	d->cands = xcalloc(nc + 1, sizeof(*d->cands));
	if (t->n)
		queue[qt++] = 0;
	while (qh < qt) {
		const struct trie_node *x = &t->v[queue[qh++]];
		uint32_t xs = slot[x - t->v];
		size_t base;

		d->s[xs].cand = (uint32_t)d->ncands;
		d->s[xs].nexact = x->nexact;
		d->s[xs].nprefix = x->nprefix;
		dt_add_cands(r, d, x->exact, x->nexact);
		dt_add_cands(r, d, x->prefix, x->nprefix);
		if (!x->nkids)
			continue;
		/* bases that put the first child on a free slot, lowest first */
		for (uint32_t f = (uint32_t)x->bytes[0] + 1;; f++) {
			uint32_t k;
			f = dt_free(nf, cap, f);
			base = f - x->bytes[0];
			dt_reserve(d, base + 256 + 1, &cap, &nf);
			for (k = 0; k < x->nkids && !d->s[base + x->bytes[k]].check; k++)
				;
			if (k == x->nkids)
				break;
		}
		d->s[xs].base = (int32_t)base;
		if (base + 256 > d->n)
			d->n = base + 256;
		for (uint32_t k = 0; k < x->nkids; k++) {
			uint32_t y = (uint32_t)base + x->bytes[k];
			d->s[y].check = xs + 1;
			nf[y] = y + 1;
			slot[x->kids[k]] = y;
			queue[qt++] = x->kids[k];
		}
	}
	free(slot);
	free(queue);
	free(nf);
}

static void dt_release(struct dtrie *d)
{
	free(d->s);
	free(d->cands);
	memset(d, 0, sizeof(*d));
}

/* ---- life cycle ---------------------------------------------------------- */

void pm_rules_free(struct pm_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfiles; i++)
		free(r->files[i]);
	free(r->files);
	for (size_t i = 0; i < r->nterms; i++) {
		for (size_t j = 0; j < r->terms[i].ntok; j++) {
			free(r->terms[i].tok[j].norm);
			free(r->terms[i].tok[j].exact);
		}
		free(r->terms[i].tok);
		free(r->terms[i].display);
	}
	free(r->terms);
	for (size_t i = 0; i < r->nlists; i++)
		free(r->lists[i].name);
	free(r->lists);
	for (size_t i = 0; i < r->ntags; i++)
		free(r->tags[i].name);
	free(r->tags);
	for (size_t i = 0; i < r->nrules; i++) {
		free(r->rules[i].name);
		free(r->rules[i].tag_name);
		rl_node_free(r->rules[i].expr);
	}
	free(r->rules);
	for (size_t i = 0; i < r->nclaims; i++) {
		free(r->claims[i].id);
		free(r->claims[i].verdict);
		free(r->claims[i].correction);
		free(r->claims[i].reference);
		rl_node_free(r->claims[i].expr);
	}
	free(r->claims);
	free(r->tag_order);
	free(r->tag_rules);
	free(r->rule_by_tag);
	free(r->uterm_rep);
	for (size_t i = 0; i < r->nlists && r->list_uterms; i++)
		free(r->list_uterms[i]);
	free(r->list_uterms);
	free(r->list_nuterms);
	dt_release(&r->index);
	struct csr *cs[] = { &r->uterm_lists, &r->list_rules, &r->list_claims, &r->tag_rules_ref,
			     &r->tag_claims };
	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		free(cs[i]->start);
		free(cs[i]->v);
	}
	free(r->always_rules);
	free(r->always_claims);
	cl_scratch_free(atomic_load(&r->spare));
	free(r);
}

static int add_file(struct pm_rules *r, const char *path, struct pm_err *err)
{
	FILE *f;
	char *data = NULL;
	size_t len = 0, cap = 0, n;
	int file, rc;

	r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
	file = (int)r->nfiles;
	r->files[r->nfiles++] = xstrdup(path);
	f = fopen(path, "rb");
	if (!f)
		return pm_err_set(err, PM_EINPUT, "cannot open '%s': %s", path, strerror(errno));
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			data = xrealloc(data, cap);
		}
		n = fread(data + len, 1, cap - len - 1, f);
		len += n;
		if (len > RL_MAX_FILE) {
			fclose(f);
			free(data);
			return pm_err_set(err, PM_EINPUT, "'%s' is larger than %u bytes", path,
					  RL_MAX_FILE);
		}
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		fclose(f);
		free(data);
		return pm_err_set(err, PM_EINPUT, "cannot read '%s'", path);
	}
	fclose(f);
	data[len] = '\0';
	rc = rl_parse(r, file, data, len, err);
	free(data);
	return rc;
}

/* ---- resolution ---------------------------------------------------------- */

static int find_tag(const struct pm_rules *r, const char *name)
{
	for (size_t i = 0; i < r->ntags; i++)
		if (!strcmp(r->tags[i].name, name))
			return (int)i;
	return -1;
}

/* Resolves names in n; records in deps[] the tags it refers to. */
static int resolve(struct pm_rules *r, struct node *n, unsigned char *deps, struct pm_err *err)
{
	if (!n)
		return 0;
	if (n->kind == N_LIST && n->ref < 0) {
		for (size_t i = 0; i < r->nlists; i++)
			if (r->lists[i].name && !strcmp(r->lists[i].name, n->ref_name)) {
				n->ref = (int)i;
				r->lists[i].used = 1;
				break;
			}
		if (n->ref < 0)
			return rl_error(r, n->pos, err, "unknown list '$%s'", n->ref_name);
	} else if (n->kind == N_TAG && n->ref < 0) {
		n->ref = find_tag(r, n->ref_name);
		if (n->ref < 0)
			return rl_error(r, n->pos, err, "unknown tag '@%s'", n->ref_name);
	}
	if (n->kind == N_TAG && deps)
		deps[n->ref] = 1;
	if (resolve(r, n->a, deps, err) || resolve(r, n->b, deps, err))
		return -1;
	return 0;
}

/* Depth-first topological order of tags over @tag references. */
static int visit(struct pm_rules *r, const unsigned char *dep, int t, unsigned char *state,
		 size_t *out_n, struct pm_err *err)
{
	size_t nt = r->ntags;

	if (state[t] == 2)
		return 0;
	if (state[t] == 1)
		return rl_error(r, r->tags[t].pos, err, "tag '%s' depends on itself through @tag references",
				r->tags[t].name);
	state[t] = 1;
	for (size_t u = 0; u < nt; u++)
		if (dep[(size_t)t * nt + u] && visit(r, dep, (int)u, state, out_n, err))
			return -1;
	state[t] = 2;
	r->tags[t].order = (int)*out_n;
	r->tag_order[(*out_n)++] = t;
	return 0;
}

/* The spelling of a term as matching sees it: folded tokens with their
 * wildcard and exact-case marks. Returned string belongs to the caller. */
static char *term_signature(const struct term *t)
{
	size_t n = 1;
	char *sig, *p;

	for (size_t i = 0; i < t->ntok; i++)
		n += t->tok[i].len + 3 + (t->tok[i].exact ? strlen(t->tok[i].exact) : 0);
	sig = p = xmalloc(n);
	for (size_t i = 0; i < t->ntok; i++) {
		const struct term_tok *k = &t->tok[i];
		p += sprintf(p, "%s%c%s%c", k->norm, k->prefix ? '*' : '\x01',
			     k->exact ? k->exact : "", '\x02');
	}
	*p = '\0';
	return sig;
}

static void build_index(struct pm_rules *r)
{
	struct tindex sigs;
	struct trie trie = { NULL, 0, 0 };
	size_t *uterm_of = xcalloc(r->nterms + 1, sizeof(size_t));

	memset(&sigs, 0, sizeof(sigs));
	r->uterm_rep = xcalloc(r->nterms + 1, sizeof(size_t));
	for (size_t i = 0; i < r->nterms; i++) {
		const struct term *t = &r->terms[i];
		const size_t *ids;
		char *sig;
		if (!t->ntok)
			continue; /* folds to nothing: never matches; the linter says so */
		sig = term_signature(t);
		if (tindex_get(&sigs, sig, strlen(sig), &ids)) {
			uterm_of[i] = ids[0];
			free(sig);
			continue;
		}
		size_t u = r->nuterms++;
		tindex_add(&sigs, sig, u);
		free(sig);
		uterm_of[i] = u;
		r->uterm_rep[u] = i;
		trie_add(&trie, t->tok[0].norm, t->tok[0].len, u, t->tok[0].prefix);
	}
	/* terms of one list are contiguous in r->terms */
	r->list_uterms = xcalloc(r->nlists + 1, sizeof(*r->list_uterms));
	r->list_nuterms = xcalloc(r->nlists + 1, sizeof(size_t));
	for (size_t i = 0; i < r->nterms; i++) {
		int l = r->terms[i].list;
		size_t u = uterm_of[i], k;
		if (!r->terms[i].ntok)
			continue;
		for (k = 0; k < r->list_nuterms[l]; k++)
			if (r->list_uterms[l][k] == u)
				break;
		if (k < r->list_nuterms[l])
			continue;
		r->list_uterms[l] = xrealloc(r->list_uterms[l],
					     (r->list_nuterms[l] + 1) * sizeof(size_t));
		r->list_uterms[l][r->list_nuterms[l]++] = u;
	}
	dt_build(r, &trie);
	trie_release(&trie);
	tindex_release(&sigs);
	free(uterm_of);
}

/* ---- what an article can fire ------------------------------------------- */

struct kv {
	uint32_t k, v;
};

struct kvv {
	struct kv *p;
	size_t n, a;
};

static void kv_add(struct kvv *x, size_t k, size_t v)
{
	XGROW(x->p, x->a, x->n + 1);
	x->p[x->n].k = (uint32_t)k;
	x->p[x->n++].v = (uint32_t)v;
}

static int kv_cmp(const void *pa, const void *pb)
{
	const struct kv *a = pa, *b = pb;

	if (a->k != b->k)
		return a->k < b->k ? -1 : 1;
	return a->v < b->v ? -1 : a->v > b->v;
}

/* Builds c over keys [0, nkeys) from the pairs of x (sorted, repeats
 * dropped), and empties x. */
static void csr_build(struct csr *c, size_t nkeys, struct kvv *x)
{
	size_t w = 0;

	if (x->n)
		qsort(x->p, x->n, sizeof(*x->p), kv_cmp);
	for (size_t i = 0; i < x->n; i++)
		if (!w || kv_cmp(&x->p[w - 1], &x->p[i]))
			x->p[w++] = x->p[i];
	c->start = xcalloc(nkeys + 2, sizeof(uint32_t));
	c->v = xcalloc(w + 1, sizeof(uint32_t));
	for (size_t i = 0; i < w; i++) {
		c->start[x->p[i].k + 1]++;
		c->v[i] = x->p[i].v; /* sorted by key: already in place */
	}
	for (size_t k = 0; k < nkeys; k++)
		c->start[k + 1] += c->start[k];
	free(x->p);
	memset(x, 0, sizeof(*x));
}

/* Records the lists and tags expression n (of rule or claim id) names. */
static void node_refs(const struct node *n, size_t id, struct kvv *lists, struct kvv *tags)
{
	for (; n; n = n->b) {
		if (n->kind == N_LIST)
			kv_add(lists, (size_t)n->ref, id);
		else if (n->kind == N_TAG)
			kv_add(tags, (size_t)n->ref, id);
		node_refs(n->a, id, lists, tags);
	}
}

/* The truth of n on a document where every list is empty and every tag
 * off; it mirrors eval() in classify.c, which produces no occurrence then. */
static int empty_truth(const struct node *n)
{
	switch (n->kind) {
	case N_SCOPE:
		return empty_truth(n->a);
	case N_NOT:
		return !empty_truth(n->a);
	case N_AND:
		return empty_truth(n->a) && empty_truth(n->b);
	case N_OR:
		return empty_truth(n->a) || empty_truth(n->b);
	default: /* a list, a tag, or a proximity with nothing on its left */
		return 0;
	}
}

/* Records what expression `id` refers to, and adds it to *always when an
 * empty document makes it true: shared by the rules and the claims. */
static void index_expr(const struct node *expr, size_t id, struct kvv *lists, struct kvv *tags,
		       uint32_t **always, size_t *nalways)
{
	node_refs(expr, id, lists, tags);
	if (empty_truth(expr)) {
		*always = xrealloc(*always, (*nalways + 1) * sizeof(uint32_t));
		(*always)[(*nalways)++] = (uint32_t)id;
	}
}

static void build_triggers(struct pm_rules *r)
{
	struct kvv lists = { NULL, 0, 0 }, tags = { NULL, 0, 0 }, ul = { NULL, 0, 0 };

	for (size_t l = 0; l < r->nlists; l++)
		for (size_t k = 0; k < r->list_nuterms[l]; k++)
			kv_add(&ul, r->list_uterms[l][k], l);
	csr_build(&r->uterm_lists, r->nuterms, &ul);
	for (size_t i = 0; i < r->nrules; i++)
		index_expr(r->rules[i].expr, i, &lists, &tags, &r->always_rules, &r->nalways_rules);
	csr_build(&r->list_rules, r->nlists, &lists);
	csr_build(&r->tag_rules_ref, r->ntags, &tags);
	for (size_t i = 0; i < r->nclaims; i++)
		index_expr(r->claims[i].expr, i, &lists, &tags, &r->always_claims, &r->nalways_claims);
	csr_build(&r->list_claims, r->nlists, &lists);
	csr_build(&r->tag_claims, r->ntags, &tags);
}

int rl_compile(struct pm_rules *r, struct pm_err *err)
{
	size_t nt = r->ntags;
	unsigned char *dep = NULL, *state = NULL;
	size_t n = 0;
	int rc = -1;

	for (size_t i = 0; i < r->nrules; i++) {
		struct rule *ru = &r->rules[i];
		ru->tag = find_tag(r, ru->tag_name);
		if (ru->tag < 0)
			return rl_error(r, ru->pos, err, "rule '%s' is for tag '%s', which no 'tag' line declares",
					ru->name, ru->tag_name);
		r->tags[ru->tag].nrules++;
	}
	dep = xcalloc(nt * nt + 1, 1);
	state = xcalloc(nt + 1, 1);
	for (size_t i = 0; i < r->nrules; i++)
		if (resolve(r, r->rules[i].expr, dep + (size_t)r->rules[i].tag * nt, err))
			goto out;
	for (size_t i = 0; i < r->nclaims; i++)
		if (resolve(r, r->claims[i].expr, NULL, err))
			goto out;
	r->tag_order = xcalloc(nt + 1, sizeof(int));
	for (size_t t = 0; t < nt; t++)
		if (visit(r, dep, (int)t, state, &n, err))
			goto out;
	/* counting sort of the rules by tag, in file order within a tag */
	r->tag_rules = xcalloc(nt + 2, sizeof(int));
	r->rule_by_tag = xcalloc(r->nrules + 1, sizeof(size_t));
	for (size_t i = 0; i < r->nrules; i++)
		r->tag_rules[r->rules[i].tag + 1]++;
	for (size_t t = 0; t < nt; t++)
		r->tag_rules[t + 1] += r->tag_rules[t];
	{
		int *fill = xcalloc(nt + 1, sizeof(int));
		for (size_t i = 0; i < r->nrules; i++) {
			int t = r->rules[i].tag;
			r->rule_by_tag[r->tag_rules[t] + fill[t]++] = i;
		}
		free(fill);
	}
	build_index(r);
	build_triggers(r);
	r->compiled = 1;
	rc = 0;
out:
	free(dep);
	free(state);
	return rc;
}

/* ---- loading ------------------------------------------------------------- */

static struct pm_rules *rules_new(void)
{
	return xcalloc(1, sizeof(struct pm_rules));
}

int pm_rules_load_file(const char *path, struct pm_rules **out, struct pm_err *err)
{
	struct pm_rules *r = rules_new();

	*out = NULL;
	if (add_file(r, path, err) || rl_compile(r, err)) {
		pm_rules_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pm_rules_load_dir(const char *dir, struct pm_rules **out, struct pm_err *err)
{
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, a = 0;
	struct pm_rules *r;
	int rc = -1;

	*out = NULL;
	d = opendir(dir);
	if (!d)
		return pm_err_set(err, PM_EINPUT, "cannot open rules directory '%s': %s", dir,
				  strerror(errno));
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l < 7 || strcmp(de->d_name + l - 6, ".rules"))
			continue;
		XGROW(names, a, n + 1);
		names[n++] = xasprintf("%s/%s", dir, de->d_name);
	}
	closedir(d);
	if (!n) {
		free(names);
		return pm_err_set(err, PM_EINPUT, "no *.rules files in '%s'", dir);
	}
	qsort(names, n, sizeof(*names), cmp_str);
	r = rules_new();
	for (size_t i = 0; i < n; i++)
		if (add_file(r, names[i], err))
			goto out;
	if (rl_compile(r, err))
		goto out;
	*out = r;
	r = NULL;
	rc = 0;
out:
	pm_rules_free(r);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int pm_rules_load_path(const char *path, struct pm_rules **out, struct pm_err *err)
{
	struct stat st;

	if (!stat(path, &st) && S_ISREG(st.st_mode))
		return pm_rules_load_file(path, out, err);
	return pm_rules_load_dir(path, out, err);
}

const char *pm_rules_default_path(const char *path)
{
	const char *v;

	if (path)
		return path;
	v = getenv("PRESSMON_RULES");
	return v && *v ? v : "classify/rules";
}
