/* classify/classify: matches compiled rules against one article and builds
 * the tags JSON with evidence spans and the misinformation flags.
 * One pass over the tokens finds every term (a trie walk over the first
 * token, then phrase verification); then only the rules and claims that a
 * found term (or an emitted tag) can make true are evaluated, so the cost
 * of an article does not grow with the number of rules. */
#include "classify/classify_int.h"
#include "core/mem.h"
#include "core/text.h"

#include <stdlib.h>
#include <string.h>

enum { F_TITLE, F_SUMMARY, F_TEXT, F_N };
static const char *const field_names[F_N] = { "title", "summary", "text" };

/* An occurrence: tokens [t0, t1) of one field. */
struct occ {
	uint32_t t0, t1;
	uint32_t sent;
	uint32_t anchor;  /* first sentence of the pair it came from (misinfo) */
	uint8_t field;
	uint8_t mask;     /* SC_* bits this occurrence belongs to */
};

struct occv {
	struct occ *v;
	size_t n, a;
};

/* The value of an expression: its truth and its occurrences, o. o is
 * either own (filled by the expression) or, for a bare list or tag
 * evaluated unscoped, that list's or tag's vector itself, borrowed
 * read-only until the rule is evaluated: copying them was most of the cost
 * of a rule. */
struct val {
	int truth;
	const struct occv *o;
	struct occv own;
};

/* Per-article list state bits. */
enum { LS_HIT = 2, LS_LANG = 4, LS_ON = 8, LS_UNSORTED = 16 };

/* The per-article state, sized by the rule set once and kept in pm_rules
 * for the next article (see pm_rules.spare): after an article only what it
 * touched is cleared, through the lists of touched ids, and vectors keep
 * their memory, so an article costs what it matched, not what the rule set
 * holds. */
struct cl_scratch {
	struct pm_tokens tok[F_N];
	struct occv *uterms;        /* per distinct term, in text order */
	uint32_t *uterm_hit;        /* distinct terms with occurrences */
	size_t nuterm_hit;
	struct occv *lists;         /* per list, built when first used */
	unsigned char *list_state;  /* LS_* */
	uint32_t *list_touched;
	size_t nlist_touched;
	struct occv *tagocc;        /* per tag: evidence of its fired rules */
	unsigned char *tag_on;
	unsigned char *tag_queued;
	int *tag_score;
	uint32_t *tag_done;         /* tags evaluated, in evaluation order */
	size_t ntag_done;
	uint32_t *heap;             /* tags to evaluate: min-heap on tags[].order */
	size_t nheap;
	unsigned char *rule_fired;
	struct occv *ruleocc;       /* per fired positive rule: its occurrences */
	unsigned char *rule_queued;
	int32_t *rule_next;         /* queued rules of one tag: a list from tag_first */
	int32_t *tag_first;         /* -1: none */
	uint32_t *evald;            /* rules evaluated, tag by tag, in file order */
	size_t nevald;
	uint32_t *tag_ev0, *tag_evn; /* tag t's rules: evald[tag_ev0[t]] on, tag_evn[t] of them */
	unsigned char *claim_queued;
	uint32_t *claims;           /* claims to evaluate */
	size_t nclaims;
	struct occv *pool;          /* spare vectors for evaluation temporaries */
	struct occv sorttmp;        /* room for occ_sort */
	size_t npool, apool;
	size_t nuterms, nlists, ntags, nrules; /* the sizes of the rule set */
};

struct ctx {
	const struct pm_rules *r;
	struct cl_scratch *s;
	const struct pm_tokens *tok; /* s->tok */
	const char *src[F_N];
	size_t srclen[F_N];
	const char *lang;
};

/* A vector larger than this is freed after the article instead of kept,
 * so that one huge document does not pin its memory. */
#define CL_KEEP_OCC 4096

/* Room for need more occurrences; the test is inline because pushes are
 * the matcher's most frequent operation. */
static inline void occv_reserve(struct occv *v, size_t need)
{
	if (v->n + need > v->a)
		XGROW(v->v, v->a, v->n + need);
}

static void occv_push(struct occv *v, struct occ o)
{
	occv_reserve(v, 1);
	v->v[v->n++] = o;
}

static void occv_free(struct occv *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->a = 0;
}

/* Empties v for the next article, keeping a moderate buffer. */
static void occv_clear(struct occv *v)
{
	if (v->a > CL_KEEP_OCC)
		occv_free(v);
	v->n = 0;
}

static int occ_cmp(const void *pa, const void *pb)
{
	const struct occ *a = pa, *b = pb;

	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	if (a->t0 != b->t0)
		return a->t0 < b->t0 ? -1 : 1;
	if (a->t1 != b->t1)
		return a->t1 < b->t1 ? -1 : 1;
	return 0;
}

/* Sorts v[0..n) by (field, t0, t1); tmp is room for n more. The vectors
 * sorted here are a few runs already in order (the occurrences of each
 * term of a list, one after the other), so a natural merge sort takes
 * about log2(runs) passes; compared inline, not through qsort's pointer. */
static void occ_sort(struct occ *v, size_t n, struct occ *tmp)
{
	struct occ *src = v, *dst = tmp, *x;
	size_t runs;

	if (n <= 24) {
		/* the usual handful: insertion sort */
		for (size_t i = 1; i < n; i++) {
			struct occ o = v[i];
			size_t j = i;
			while (j > 0 && occ_cmp(&v[j - 1], &o) > 0) {
				v[j] = v[j - 1];
				j--;
			}
			v[j] = o;
		}
		return;
	}
	do {
		size_t i = 0;
		runs = 0;
		while (i < n) {
			size_t m = i + 1, e, a = i, b, k = i;
			while (m < n && occ_cmp(&src[m - 1], &src[m]) <= 0)
				m++;
			e = m;
			if (m < n)
				for (e = m + 1; e < n && occ_cmp(&src[e - 1], &src[e]) <= 0; e++)
					;
			b = m;
			while (a < m && b < e)
				dst[k++] = occ_cmp(&src[b], &src[a]) < 0 ? src[b++] : src[a++];
			while (a < m)
				dst[k++] = src[a++];
			while (b < e)
				dst[k++] = src[b++];
			runs++;
			i = e;
		}
		x = src, src = dst, dst = x;
	} while (runs > 1);
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}

/* Sorts v by (field, t0, t1) and drops repeats, keeping the smallest
 * anchor (repeats differ in nothing else). Most vectors come here sorted
 * already (every val keeps that order): one look settles it. tmp is a
 * spare vector for the sort. */
static void occv_sort_unique(struct occv *v, struct occv *tmp)
{
	size_t w = 0, i;
	int d = -1, repeats = 0;

	if (v->n < 2)
		return;
	for (i = 1; i < v->n && (d = occ_cmp(&v->v[i - 1], &v->v[i])) <= 0; i++)
		repeats |= d == 0;
	if (i == v->n && !repeats)
		return;
	if (i < v->n) {
		tmp->n = 0;
		occv_reserve(tmp, v->n);
		occ_sort(v->v, v->n, tmp->v);
	}
	for (size_t i = 1; i < v->n; i++) {
		if (occ_cmp(&v->v[w], &v->v[i]))
			v->v[++w] = v->v[i];
		else if (v->v[i].anchor < v->v[w].anchor)
			v->v[w].anchor = v->v[i].anchor;
	}
	v->n = w + 1;
}

/* Appends to dst the union of a and b, both sorted and unique as
 * occv_sort_unique leaves them: what sorting their concatenation would
 * give, in one linear merge. */
static void occv_union(struct occv *dst, const struct occv *a, const struct occv *b)
{
	size_t i = 0, j = 0;

	occv_reserve(dst, a->n + b->n);
	while (i < a->n && j < b->n) {
		int d = occ_cmp(&a->v[i], &b->v[j]);
		if (d < 0) {
			dst->v[dst->n++] = a->v[i++];
		} else if (d > 0) {
			dst->v[dst->n++] = b->v[j++];
		} else {
			struct occ o = a->v[i++];
			if (b->v[j].anchor < o.anchor)
				o.anchor = b->v[j].anchor;
			j++;
			dst->v[dst->n++] = o;
		}
	}
	while (i < a->n)
		dst->v[dst->n++] = a->v[i++];
	while (j < b->n)
		dst->v[dst->n++] = b->v[j++];
}

/* Evaluation temporaries come from a pool of vectors kept in the scratch
 * state: a rule costs no malloc once a few articles have gone through. */
static struct occv pool_take(struct ctx *c)
{
	struct cl_scratch *s = c->s;
	struct occv v = { NULL, 0, 0 };

	if (s->npool)
		v = s->pool[--s->npool];
	v.n = 0;
	return v;
}

static void pool_give(struct ctx *c, struct occv *v)
{
	struct cl_scratch *s = c->s;

	if (v->v && v->a <= CL_KEEP_OCC) {
		if (s->npool == s->apool)
			XGROW(s->pool, s->apool, s->npool + 1);
		s->pool[s->npool++] = *v;
	} else {
		free(v->v);
	}
	v->v = NULL;
	v->n = v->a = 0;
}

/* into = into ∪ from (both sorted and unique). */
static void occv_merge_into(struct ctx *c, struct occv *into, const struct occv *from)
{
	struct occv t, old;

	if (!from->n)
		return;
	if (!into->n) {
		occv_reserve(into, from->n);
		memcpy(into->v, from->v, from->n * sizeof(*from->v));
		into->n = from->n;
		return;
	}
	t = pool_take(c);
	occv_union(&t, into, from);
	old = *into;
	*into = t;
	pool_give(c, &old);
}

/* ---- per-article state ----------------------------------------------------- */

static struct cl_scratch *scratch_new(const struct pm_rules *r)
{
	struct cl_scratch *s = xcalloc(1, sizeof(*s));

	s->nuterms = r->nuterms;
	s->nlists = r->nlists;
	s->ntags = r->ntags;
	s->nrules = r->nrules;
	for (int f = 0; f < F_N; f++)
		pm_tokens_init(&s->tok[f]);
	s->uterms = xcalloc(r->nuterms + 1, sizeof(*s->uterms));
	s->uterm_hit = xcalloc(r->nuterms + 1, sizeof(uint32_t));
	s->lists = xcalloc(r->nlists + 1, sizeof(*s->lists));
	s->list_state = xcalloc(r->nlists + 1, 1);
	s->list_touched = xcalloc(r->nlists + 1, sizeof(uint32_t));
	s->tagocc = xcalloc(r->ntags + 1, sizeof(*s->tagocc));
	s->tag_on = xcalloc(r->ntags + 1, 1);
	s->tag_queued = xcalloc(r->ntags + 1, 1);
	s->tag_score = xcalloc(r->ntags + 1, sizeof(int));
	s->tag_done = xcalloc(r->ntags + 1, sizeof(uint32_t));
	s->heap = xcalloc(r->ntags + 1, sizeof(uint32_t));
	s->rule_fired = xcalloc(r->nrules + 1, 1);
	s->ruleocc = xcalloc(r->nrules + 1, sizeof(*s->ruleocc));
	s->rule_queued = xcalloc(r->nrules + 1, 1);
	s->rule_next = xcalloc(r->nrules + 1, sizeof(int32_t));
	s->tag_first = xcalloc(r->ntags + 1, sizeof(int32_t));
	for (size_t t = 0; t < r->ntags; t++)
		s->tag_first[t] = -1;
	s->evald = xcalloc(r->nrules + 1, sizeof(uint32_t));
	s->tag_ev0 = xcalloc(r->ntags + 1, sizeof(uint32_t));
	s->tag_evn = xcalloc(r->ntags + 1, sizeof(uint32_t));
	s->claim_queued = xcalloc(r->nclaims + 1, 1);
	s->claims = xcalloc(r->nclaims + 1, sizeof(uint32_t));
	return s;
}

/* Clears what the last article touched; the rest is clear already. */
static void scratch_reset(struct cl_scratch *s)
{
	for (size_t k = 0; k < s->nuterm_hit; k++)
		occv_clear(&s->uterms[s->uterm_hit[k]]);
	s->nuterm_hit = 0;
	for (size_t k = 0; k < s->nlist_touched; k++) {
		occv_clear(&s->lists[s->list_touched[k]]);
		s->list_state[s->list_touched[k]] = 0;
	}
	s->nlist_touched = 0;
	for (size_t k = 0; k < s->ntag_done; k++) {
		uint32_t t = s->tag_done[k];
		occv_clear(&s->tagocc[t]);
		s->tag_on[t] = s->tag_queued[t] = 0;
		s->tag_score[t] = 0;
		s->tag_first[t] = -1;
	}
	for (size_t k = 0; k < s->nevald; k++) {
		uint32_t i = s->evald[k];
		s->rule_fired[i] = s->rule_queued[i] = 0;
		occv_clear(&s->ruleocc[i]);
	}
	occv_clear(&s->sorttmp);
	s->ntag_done = 0;
	s->nevald = 0;
	s->nheap = 0;
	for (size_t k = 0; k < s->nclaims; k++)
		s->claim_queued[s->claims[k]] = 0;
	s->nclaims = 0;
}

void cl_scratch_free(struct cl_scratch *s)
{
	if (!s)
		return;
	for (int f = 0; f < F_N; f++)
		pm_tokens_release(&s->tok[f]);
	for (size_t i = 0; i < s->nuterms; i++)
		occv_free(&s->uterms[i]);
	for (size_t i = 0; i < s->nlists; i++)
		occv_free(&s->lists[i]);
	for (size_t i = 0; i < s->ntags; i++)
		occv_free(&s->tagocc[i]);
	for (size_t i = 0; i < s->nrules; i++)
		occv_free(&s->ruleocc[i]);
	for (size_t i = 0; i < s->npool; i++)
		occv_free(&s->pool[i]);
	occv_free(&s->sorttmp);
	free(s->uterms);
	free(s->uterm_hit);
	free(s->lists);
	free(s->list_state);
	free(s->list_touched);
	free(s->tagocc);
	free(s->tag_on);
	free(s->tag_queued);
	free(s->tag_score);
	free(s->tag_done);
	free(s->heap);
	free(s->rule_fired);
	free(s->ruleocc);
	free(s->rule_queued);
	free(s->rule_next);
	free(s->tag_first);
	free(s->evald);
	free(s->tag_ev0);
	free(s->tag_evn);
	free(s->claim_queued);
	free(s->claims);
	free(s->pool);
	free(s);
}

/* ---- term matching ------------------------------------------------------- */

/* Whether token i of field f is tok tt (folded form, or a prefix of it
 * for tt->prefix; and the source spelling for an exact-case token). */
static inline int tok_matches(const struct ctx *c, int f, size_t i, const struct term_tok *tt)
{
	const struct pm_tokens *tk = &c->tok[f];
	const struct pm_token *k = &tk->v[i];
	const char *s = pm_token_str(tk, i);

	if (tt->prefix ? k->norm_len < tt->len : k->norm_len != tt->len)
		return 0;
	if (s[0] != tt->norm[0] || memcmp(s, tt->norm, tt->len))
		return 0;
	if (tt->exact) {
		size_t el = strlen(tt->exact);
		if (k->end - k->start != el || memcmp(c->src[f] + k->start, tt->exact, el))
			return 0;
	}
	return 1;
}

/* Verifies the candidates cd[0..n) whose first token's folded form
 * matched token i of field f, and records each one found; o is the
 * occurrence of token i (t1 set per term). */
static void try_terms(struct ctx *c, int f, size_t i, const struct dt_cand *cd, uint32_t n,
		      struct occ o)
{
	const struct pm_tokens *tk = &c->tok[f];
	struct cl_scratch *s = c->s;

	for (uint32_t k = 0; k < n; k++) {
		const struct term_tok *tt = cd[k].tok;
		uint32_t nt = cd[k].ntok, j;

		if (i + nt > tk->n)
			continue;
		/* the index matched the first token's folded form; only an
		 * exact-case spelling is left to test there */
		for (j = tt[0].exact ? 0 : 1; j < nt; j++)
			if (!tok_matches(c, f, i + j, &tt[j]))
				break;
		if (j < nt)
			continue;
		struct occv *uv = &s->uterms[cd[k].u];
		if (!uv->n)
			s->uterm_hit[s->nuterm_hit++] = cd[k].u;
		o.t1 = (uint32_t)(i + nt);
		occv_push(uv, o);
	}
}

static int lang_on(const struct list *l, const char *lang)
{
	size_t n;

	if (!l->nlangs || !lang || !*lang)
		return 1; /* unknown language: every list applies */
	n = strcspn(lang, "-_");
	for (int i = 0; i < l->nlangs; i++)
		if (strlen(l->langs[i]) == n && !strncasecmp(l->langs[i], lang, n))
			return 1;
	return 0;
}

/* Sets bits of list l's state, recording it for the reset. */
static void list_mark(struct ctx *c, int l, unsigned char bits)
{
	struct cl_scratch *s = c->s;

	if (!s->list_state[l])
		s->list_touched[s->nlist_touched++] = (uint32_t)l;
	s->list_state[l] |= bits;
}

/* Whether list l applies to the document's language (computed once). */
static int list_on(struct ctx *c, int l)
{
	if (!(c->s->list_state[l] & LS_LANG))
		list_mark(c, l, LS_LANG | (lang_on(&c->r->lists[l], c->lang) ? LS_ON : 0));
	return (c->s->list_state[l] & LS_ON) != 0;
}

/* The occurrences of list l: gather_lists appended those of its matched
 * terms one term after the other; they are put in order when first used. */
static const struct occv *list_occ(struct ctx *c, int l)
{
	struct cl_scratch *s = c->s;

	if (s->list_state[l] & LS_UNSORTED) {
		s->list_state[l] &= (unsigned char)~LS_UNSORTED;
		occv_sort_unique(&s->lists[l], &s->sorttmp);
	}
	return &s->lists[l];
}

static void match_field(struct ctx *c, int f)
{
	const struct dtrie *tr = &c->r->index;
	const struct dt_state *st = tr->s;
	const struct pm_tokens *tk = &c->tok[f];

	for (size_t i = 0; i < tk->n; i++) {
		const uint8_t *s = (const uint8_t *)pm_token_str(tk, i);
		const struct pm_token *k = &tk->v[i];
		uint32_t len = k->norm_len, x = 0;
		struct occ o = { (uint32_t)i, 0, k->sentence, k->sentence, (uint8_t)f, 0 };

		if (f == F_TITLE)
			o.mask = SC_TITLE;
		else if (f == F_SUMMARY)
			o.mask = SC_SUMMARY | SC_LEAD;
		else
			o.mask = SC_TEXT | (k->para < 2 ? SC_LEAD : 0);
		if (st[0].nprefix) /* a prefix that folded to nothing */
			try_terms(c, f, i, tr->cands + st[0].cand + st[0].nexact, st[0].nprefix, o);
		/* one walk down the trie: each state passed is a prefix of the
		 * token, the last one (if reached) its whole spelling */
		for (uint32_t d = 0; d < len; d++) {
			if (!(x = dt_step(tr, x, s[d])))
				break;
			if (st[x].nprefix)
				try_terms(c, f, i, tr->cands + st[x].cand + st[x].nexact,
					  st[x].nprefix, o);
			if (d + 1 == len && st[x].nexact)
				try_terms(c, f, i, tr->cands + st[x].cand, st[x].nexact, o);
		}
	}
}

/* ---- what to evaluate ------------------------------------------------------ */

static void queue_tag(struct ctx *c, uint32_t t)
{
	struct cl_scratch *s = c->s;
	const struct tag *tags = c->r->tags;
	size_t i;

	if (s->tag_queued[t])
		return;
	s->tag_queued[t] = 1;
	/* sift up on the evaluation rank */
	for (i = s->nheap++; i > 0; i = (i - 1) / 2) {
		uint32_t p = s->heap[(i - 1) / 2];
		if (tags[p].order <= tags[t].order)
			break;
		s->heap[i] = p;
	}
	s->heap[i] = t;
}

/* Queues rule i (and so its tag). */
static void queue_rule(struct ctx *c, uint32_t i)
{
	struct cl_scratch *s = c->s;
	uint32_t t = (uint32_t)c->r->rules[i].tag;

	if (s->rule_queued[i])
		return;
	s->rule_queued[i] = 1;
	s->rule_next[i] = s->tag_first[t];
	s->tag_first[t] = (int32_t)i;
	queue_tag(c, t);
}

static uint32_t pop_tag(struct ctx *c)
{
	struct cl_scratch *s = c->s;
	const struct tag *tags = c->r->tags;
	uint32_t top = s->heap[0], last = s->heap[--s->nheap];
	size_t i = 0;

	for (;;) {
		size_t k = 2 * i + 1;
		if (k >= s->nheap)
			break;
		if (k + 1 < s->nheap && tags[s->heap[k + 1]].order < tags[s->heap[k]].order)
			k++;
		if (tags[last].order <= tags[s->heap[k]].order)
			break;
		s->heap[i] = s->heap[k];
		i = k;
	}
	if (s->nheap)
		s->heap[i] = last;
	return top;
}

static void queue_claim(struct ctx *c, uint32_t k)
{
	struct cl_scratch *s = c->s;

	if (!s->claim_queued[k]) {
		s->claim_queued[k] = 1;
		s->claims[s->nclaims++] = k;
	}
}

/* Gives every list the occurrences of its matched distinct terms (when
 * the list applies to the document's language), and queues the rules and
 * claims whose value may differ from the one they have on an empty
 * document (false, or they are queued anyway): those naming a list with an
 * occurrence, and those true on an empty document. Walking the matched
 * terms, not each list's terms, keeps a list of a thousand names as cheap
 * as its hits. With all set (PM_CLASSIFY_EVAL_ALL), every rule, tag and
 * claim is queued. */
static void gather_lists(struct ctx *c, int all)
{
	const struct pm_rules *r = c->r;
	struct cl_scratch *s = c->s;

	for (size_t h = 0; h < s->nuterm_hit; h++) {
		uint32_t u = s->uterm_hit[h];
		for (uint32_t x = r->uterm_lists.start[u]; x < r->uterm_lists.start[u + 1]; x++) {
			uint32_t l = r->uterm_lists.v[x];
			if (!list_on(c, (int)l))
				continue;
			struct occv *lo = &s->lists[l];
			const struct occv *uo = &s->uterms[u];
			if (lo->n)
				s->list_state[l] |= LS_UNSORTED;
			occv_reserve(lo, uo->n);
			memcpy(lo->v + lo->n, uo->v, uo->n * sizeof(*uo->v));
			lo->n += uo->n;
			if (all || (s->list_state[l] & LS_HIT))
				continue;
			list_mark(c, (int)l, LS_HIT);
			for (uint32_t y = r->list_rules.start[l]; y < r->list_rules.start[l + 1]; y++)
				queue_rule(c, r->list_rules.v[y]);
			for (uint32_t y = r->list_claims.start[l]; y < r->list_claims.start[l + 1]; y++)
				queue_claim(c, r->list_claims.v[y]);
		}
	}
	if (all) {
		for (size_t i = 0; i < r->nrules; i++)
			queue_rule(c, (uint32_t)i);
		for (size_t t = 0; t < r->ntags; t++)
			queue_tag(c, (uint32_t)t);
		for (size_t k = 0; k < r->nclaims; k++)
			queue_claim(c, (uint32_t)k);
		return;
	}
	for (size_t k = 0; k < r->nalways_rules; k++)
		queue_rule(c, r->always_rules[k]);
	for (size_t k = 0; k < r->nalways_claims; k++)
		queue_claim(c, r->always_claims[k]);
}

/* ---- evaluation ------------------------------------------------------------ */

/* An empty value; it takes a vector from the pool only when it fills own. */
static void val_init(struct val *v)
{
	v->truth = 0;
	v->own.v = NULL;
	v->own.n = v->own.a = 0;
	v->o = &v->own;
}

/* v's own vector, to fill (empty, from the pool). */
static struct occv *val_own(struct ctx *c, struct val *v)
{
	if (!v->own.v)
		v->own = pool_take(c);
	v->o = &v->own;
	return &v->own;
}

static void val_free(struct ctx *c, struct val *v)
{
	if (v->own.v)
		pool_give(c, &v->own);
}

static void copy_masked(struct occv *dst, const struct occv *src, unsigned mask)
{
	occv_reserve(dst, src->n);
	for (size_t i = 0; i < src->n; i++)
		if (src->v[i].mask & mask)
			dst->v[dst->n++] = src->v[i];
}

static uint32_t gap(const struct occ *a, const struct occ *b)
{
	if (b->t0 >= a->t1)
		return b->t0 - a->t1;
	if (a->t0 >= b->t1)
		return a->t0 - b->t1;
	return 0;
}

/* The partner of a in b within n words (NEAR) or in the same sentence
 * (n < 0); returns its index or -1. b is sorted by (field, t0); *cur is a
 * cursor into b, 0 for the first a: the a's come in order, so where the
 * search starts in b only moves forward (sentences grow with t0 inside a
 * field), and a walk replaces a bisection per a. */
static long partner(const struct occ *a, const struct occv *b, int n, size_t *cur)
{
	size_t i = *cur;

	if (n < 0) {
		while (i < b->n && (b->v[i].field < a->field ||
				    (b->v[i].field == a->field && b->v[i].sent < a->sent)))
			i++;
		*cur = i;
		if (i < b->n && b->v[i].field == a->field && b->v[i].sent == a->sent)
			return (long)i;
		return -1;
	}
	uint32_t back = (uint32_t)n + RL_MAX_TERM_TOKENS;
	uint32_t from = a->t0 > back ? a->t0 - back : 0;
	long best = -1;
	uint32_t best_gap = UINT32_MAX;
	while (i < b->n && (b->v[i].field < a->field ||
			    (b->v[i].field == a->field && b->v[i].t0 < from)))
		i++;
	*cur = i;
	for (; i < b->n; i++) {
		const struct occ *o = &b->v[i];
		if (o->field != a->field || o->t0 > a->t1 + (uint32_t)n)
			break;
		uint32_t g = gap(a, o);
		if (g <= (uint32_t)n && g < best_gap) {
			best = (long)i;
			best_gap = g;
		}
	}
	return best;
}

/* Every val's occurrences come out sorted and unique (occv_sort_unique
 * order), which lets AND and OR merge instead of sort. */
static void eval(struct ctx *c, const struct node *n, unsigned mask, struct val *out);

static void eval_prox(struct ctx *c, const struct node *n, unsigned mask, struct val *out)
{
	struct val a, b;
	struct occv ys, *o;
	const struct occv *ao, *bo;
	size_t cur = 0;
	int dist = (n->kind == N_NEAR || n->kind == N_NOTNEAR) ? n->n : -1;
	int keep_unpaired = n->kind == N_NOTNEAR || n->kind == N_NOTSENT;

	val_init(&a);
	val_init(&b);
	eval(c, n->a, mask, &a);
	if (a.o->n)
		eval(c, n->b, mask, &b);
	ao = a.o;
	bo = b.o;
	if (!ao->n)
		goto done;
	o = val_own(c, out);
	if (keep_unpaired) {
		/* a subset of a, in a's order: sorted and unique as it comes */
		occv_reserve(o, ao->n);
		for (size_t i = 0; i < ao->n; i++)
			if (!bo->n || partner(&ao->v[i], bo, dist, &cur) < 0)
				o->v[o->n++] = ao->v[i];
		goto done;
	}
	/* each paired a (in a's order, so sorted and unique) and its partner
	 * (nearly always in order too), both given the pair's first anchor;
	 * then the two runs are merged */
	ys = pool_take(c);
	for (size_t i = 0; i < ao->n && bo->n; i++) {
		long p = partner(&ao->v[i], bo, dist, &cur);
		if (p < 0)
			continue;
		struct occ x = ao->v[i], y = bo->v[p];
		uint32_t an = x.anchor < y.anchor ? x.anchor : y.anchor;
		x.anchor = y.anchor = an;
		occv_push(o, x);
		occv_push(&ys, y);
	}
	occv_sort_unique(&ys, &c->s->sorttmp);
	if (ys.n) {
		struct occv xs = *o;
		*o = pool_take(c);
		occv_union(o, &xs, &ys);
		pool_give(c, &xs);
	}
	pool_give(c, &ys);
done:
	out->truth = out->o->n > 0;
	val_free(c, &a);
	val_free(c, &b);
}

/* Occurrences of v (a list's or a tag's) inside mask, into out: borrowed
 * when the mask keeps them all. */
static void take_masked(struct ctx *c, struct val *out, const struct occv *v, unsigned mask)
{
	if (mask == SC_ALL) /* every occurrence has a bit of SC_ALL */
		out->o = v;
	else if (v->n)
		copy_masked(val_own(c, out), v, mask);
}

/* out must be as val_init left it. */
static void eval(struct ctx *c, const struct node *n, unsigned mask, struct val *out)
{
	struct val a, b;

	out->truth = 0;
	switch (n->kind) {
	case N_LIST:
		take_masked(c, out, list_occ(c, n->ref), mask);
		out->truth = out->o->n > 0;
		return;
	case N_TAG:
		if (!c->s->tag_on[n->ref])
			return;
		take_masked(c, out, &c->s->tagocc[n->ref], mask);
		/* in a scope the tag counts only with evidence inside it */
		out->truth = mask == SC_ALL ? 1 : out->o->n > 0;
		return;
	case N_SCOPE:
		eval(c, n->a, mask & n->scope, out);
		return;
	case N_NEAR: case N_SENT: case N_NOTNEAR: case N_NOTSENT:
		eval_prox(c, n, mask, out);
		return;
	default:
		break;
	}
	val_init(&a);
	val_init(&b);
	switch (n->kind) {
	case N_NOT:
		eval(c, n->a, mask, &a);
		out->truth = !a.truth;
		break;
	case N_AND:
		eval(c, n->a, mask, &a);
		if (a.truth)
			eval(c, n->b, mask, &b);
		if (a.truth && b.truth) {
			out->truth = 1;
			if (a.o->n || b.o->n)
				occv_union(val_own(c, out), a.o, b.o);
		}
		break;
	case N_OR:
		eval(c, n->a, mask, &a);
		eval(c, n->b, mask, &b);
		out->truth = a.truth || b.truth;
		if (a.truth && b.truth) {
			if (a.o->n || b.o->n)
				occv_union(val_own(c, out), a.o, b.o);
		} else if (a.truth || b.truth) {
			/* one side: hand its vector over (out's empty one goes back
			 * to the pool with the temporary), or what it borrowed */
			struct val *w = a.truth ? &a : &b;
			if (w->o == &w->own) {
				struct occv t = out->own;
				out->own = w->own;
				w->own = t;
				out->o = &out->own;
			} else {
				out->o = w->o;
			}
		}
		break;
	default:
		break;
	}
	val_free(c, &a);
	val_free(c, &b);
}

static int u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;

	return a < b ? -1 : a > b;
}

/* Sorts indices ascending: the usual few by insertion, without qsort's
 * set-up and calls through a pointer. */
static void u32_sort(uint32_t *v, size_t n)
{
	if (n > 32) {
		qsort(v, n, sizeof(*v), u32_cmp);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		uint32_t x = v[i];
		size_t j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Evaluates the queued rules of tag t in file order (the others have their
 * empty-document value: false) and, when the tag is emitted, gathers its
 * evidence and queues what names it. */
static void eval_tag(struct ctx *c, uint32_t t)
{
	const struct pm_rules *r = c->r;
	struct cl_scratch *s = c->s;
	size_t from = s->nevald;

	s->tag_done[s->ntag_done++] = t;
	for (int32_t i = s->tag_first[t]; i >= 0; i = s->rule_next[i])
		s->evald[s->nevald++] = (uint32_t)i;
	/* rule indices grow in file order */
	u32_sort(s->evald + from, s->nevald - from);
	s->tag_ev0[t] = (uint32_t)from;
	s->tag_evn[t] = (uint32_t)(s->nevald - from);
	for (size_t k = from; k < s->nevald; k++) {
		size_t i = s->evald[k];
		struct val v;
		val_init(&v);
		eval(c, r->rules[i].expr, SC_ALL, &v);
		if (v.truth) {
			s->rule_fired[i] = 1;
			s->tag_score[t] += r->rules[i].weight;
			if (r->rules[i].weight > 0)
				occv_merge_into(c, &s->ruleocc[i], v.o);
		}
		val_free(c, &v);
	}
	if (s->tag_score[t] < r->tags[t].threshold)
		return;
	s->tag_on[t] = 1;
	for (size_t k = from; k < s->nevald; k++)
		occv_merge_into(c, &s->tagocc[t], &s->ruleocc[s->evald[k]]);
	/* a rule that names this tag is of a tag ranked after it: the heap
	 * has not reached that tag yet */
	for (uint32_t y = r->tag_rules_ref.start[t]; y < r->tag_rules_ref.start[t + 1]; y++)
		queue_rule(c, r->tag_rules_ref.v[y]);
	for (uint32_t y = r->tag_claims.start[t]; y < r->tag_claims.start[t + 1]; y++)
		queue_claim(c, r->tag_claims.v[y]);
}

/* ---- output ---------------------------------------------------------------- */

static json_t *span_string(const char *s, size_t len)
{
	json_t *j = json_stringn(s, len);
	if (!j) { /* the caller's text was not UTF-8: show its display form */
		char *d = pm_text_nfc(s, len);
		j = json_string(d);
		free(d);
	}
	return j;
}

/* Sets key k of object o to v (stolen) and returns o. A NULL v (a string
 * that is not UTF-8) frees o and gives NULL, as json_pack would: the
 * objects of the output are built this way because json_pack copies every
 * string through a buffer of its own, several times the cost of the
 * object (it was half the time of a document with many tags). */
static json_t *jset(json_t *o, const char *k, json_t *v)
{
	if (!o || !v) {
		json_decref(o);
		json_decref(v);
		return NULL;
	}
	json_object_set_new_nocheck(o, k, v);
	return o;
}

static json_t *evidence_json(const struct ctx *c, const struct occ *o, const char *rule)
{
	const struct pm_tokens *tk = &c->tok[o->field];
	uint32_t st = tk->v[o->t0].start, en = tk->v[o->t1 - 1].end;
	json_t *j = json_object();

	j = jset(j, "field", json_string_nocheck(field_names[o->field]));
	j = jset(j, "start", json_integer((json_int_t)st));
	j = jset(j, "end", json_integer((json_int_t)en));
	j = jset(j, "text", span_string(c->src[o->field] + st, en - st));
	return jset(j, "rule", json_string(rule));
}

struct ev {
	struct occ o;
	const char *rule;
};

static int ev_cmp(const void *pa, const void *pb)
{
	const struct ev *a = pa, *b = pb;
	int d = occ_cmp(&a->o, &b->o);
	return d ? d : strcmp(a->rule, b->rule);
}

/* The display text of sentences [from, to] of field f, found around token
 * t (which lies inside them): from the first token to the end of the last
 * one with its closing punctuation, white space squashed. */
static json_t *sentence_json(const struct ctx *c, int f, uint32_t t, uint32_t from, uint32_t to)
{
	const struct pm_tokens *tk = &c->tok[f];
	const char *s = c->src[f];
	size_t first = t, last = t, end;

	while (first > 0 && tk->v[first - 1].sentence >= from)
		first--;
	while (last + 1 < tk->n && tk->v[last + 1].sentence <= to)
		last++;
	end = tk->v[last].end;
	size_t stop = last + 1 < tk->n ? tk->v[last + 1].start : c->srclen[f];
	while (end < stop && s[end] != ' ' && s[end] != '\n' && s[end] != '\t')
		end++;
	size_t st = tk->v[first].start;
	if (end - st > CL_MAX_SENTENCE_BYTES) {
		end = st + CL_MAX_SENTENCE_BYTES;
		while (end > st && ((unsigned char)s[end] & 0xC0) == 0x80)
			end--; /* never cut a character in two */
	}
	char *sq = pm_text_squash(s + st, end - st, 0);
	json_t *j = json_string(sq);
	free(sq);
	return j;
}

static json_t *rules_fired_json(const struct ctx *c, int tag)
{
	const struct pm_rules *r = c->r;
	json_t *a = json_array();

	for (uint32_t k = 0; k < c->s->tag_evn[tag]; k++) {
		size_t i = c->s->evald[c->s->tag_ev0[tag] + k];
		if (c->s->rule_fired[i])
			json_array_append_new(a, jset(jset(json_object(), "rule",
								json_string(r->rules[i].name)),
							   "weight", json_integer(r->rules[i].weight)));
	}
	return a;
}

static int tag_name_cmp(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;

	return strcmp(json_string_value(json_object_get(a, "tag")),
		      json_string_value(json_object_get(b, "tag")));
}

/* Sorts an array of {"tag",...} objects by tag name, in place. */
static void sort_tags(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v;

	if (n < 2)
		return;
	v = xcalloc(n, sizeof(*v));
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), tag_name_cmp);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

static json_t *tag_json(struct ctx *c, int t, unsigned flags)
{
	const struct pm_rules *r = c->r;
	struct ev *ev = NULL;
	size_t nev = 0, aev = 0;
	json_t *evj = json_array(), *o;

	for (uint32_t k = 0; k < c->s->tag_evn[t]; k++) {
		size_t i = c->s->evald[c->s->tag_ev0[t] + k];
		if (!c->s->rule_fired[i] || r->rules[i].weight <= 0)
			continue;
		const struct occv *ro = &c->s->ruleocc[i];
		for (size_t k = 0; k < ro->n && k < CL_MAX_EVIDENCE_PER_RULE; k++) {
			XGROW(ev, aev, nev + 1);
			ev[nev].o = ro->v[k];
			ev[nev++].rule = r->rules[i].name;
		}
	}
	if (nev)
		qsort(ev, nev, sizeof(*ev), ev_cmp);
	for (size_t k = 0; k < nev && k < CL_MAX_EVIDENCE_PER_TAG; k++)
		json_array_append_new(evj, evidence_json(c, &ev[k].o, ev[k].rule));
	free(ev);
	o = jset(json_object(), "tag", json_string(r->tags[t].name));
	o = jset(o, "score", json_integer(c->s->tag_score[t]));
	o = jset(o, "evidence", evj);
	if (flags & PM_CLASSIFY_EXPLAIN) {
		json_object_set_new(o, "threshold", json_integer(r->tags[t].threshold));
		json_object_set_new(o, "rules", rules_fired_json(c, t));
	}
	return o;
}

static int anchor_cmp(const void *pa, const void *pb)
{
	const struct occ *a = pa, *b = pb;

	if (a->field != b->field)
		return a->field < b->field ? -1 : 1;
	if (a->anchor != b->anchor)
		return a->anchor < b->anchor ? -1 : 1;
	return occ_cmp(a, b);
}

/* Whether out already flags claim id on the same sentence text. */
static int claim_seen(json_t *out, const char *id, json_t *sentence)
{
	size_t i;
	json_t *m;

	json_array_foreach(out, i, m)
		if (!strcmp(json_string_value(json_object_get(m, "claim")), id) &&
		    json_equal(json_object_get(m, "sentence"), sentence))
			return 1;
	return 0;
}

static void claims_json(struct ctx *c, json_t *out, unsigned flags)
{
	const struct pm_rules *r = c->r;

	for (size_t qi = 0; qi < c->s->nclaims; qi++) {
		const struct claim *cl = &r->claims[c->s->claims[qi]];
		struct val v;
		size_t emitted = 0;

		val_init(&v);
		eval(c, cl->expr, SC_ALL, &v);
		if (!v.truth) {
			val_free(c, &v);
			continue;
		}
		if (v.o != &v.own && v.o->n) {
			/* borrowed: a copy to reorder */
			const struct occv *b = v.o;
			struct occv *w = val_own(c, &v);
			occv_reserve(w, b->n);
			memcpy(w->v, b->v, b->n * sizeof(*b->v));
			w->n = b->n;
		}
		occv_sort_unique(&v.own, &c->s->sorttmp);
		if (v.own.n > 1) /* a NOT-only claim has none (and no vector) */
			qsort(v.own.v, v.own.n, sizeof(*v.own.v), anchor_cmp);
		/* one flag per group of occurrences anchored in one sentence; it
		 * shows every sentence the group touches */
		for (size_t k = 0; k < v.own.n && emitted < CL_MAX_MISINFO_PER_CLAIM;) {
			const struct occ *o = &v.own.v[k];
			size_t q = k;
			uint32_t to = o->sent;
			while (q < v.own.n && v.own.v[q].field == o->field && v.own.v[q].anchor == o->anchor) {
				if (v.own.v[q].sent > to)
					to = v.own.v[q].sent;
				q++;
			}
			json_t *sent = sentence_json(c, o->field, o->t0, o->anchor, to);
			if (claim_seen(out, cl->id, sent)) {
				/* the same sentence in the summary and the body: one flag */
				json_decref(sent);
				k = q;
				continue;
			}
			json_t *m = jset(json_object(), "claim", json_string(cl->id));
			m = jset(m, "verdict", json_string(cl->verdict));
			m = jset(m, "sentence", sent);
			m = jset(m, "correction", json_string(cl->correction));
			m = jset(m, "reference", json_string(cl->reference));
			if (flags & PM_CLASSIFY_EXPLAIN) {
				json_t *evj = json_array();
				for (size_t e = k; e < q; e++)
					json_array_append_new(evj, evidence_json(c, &v.own.v[e], cl->id));
				json_object_set_new(m, "evidence", evj);
			}
			json_array_append_new(out, m);
			emitted++;
			k = q;
		}
		if (!v.own.n) /* true without a matched word (a NOT-only claim) */
			json_array_append_new(out, json_pack("{s:s, s:s, s:n, s:s, s:s}", "claim",
							     cl->id, "verdict", cl->verdict,
							     "sentence", "correction", cl->correction,
							     "reference", cl->reference));
		val_free(c, &v);
	}
}

json_t *pm_classify_ex(const struct pm_rules *r, const struct pm_doc *doc, unsigned flags)
{
	struct pm_rules *rw = (struct pm_rules *)r; /* only its spare state changes */
	struct ctx c;
	struct cl_scratch *s, *old;
	json_t *tags, *below, *mis, *res;

	memset(&c, 0, sizeof(c));
	c.r = r;
	s = atomic_exchange(&rw->spare, NULL);
	if (!s)
		s = scratch_new(r);
	c.s = s;
	c.tok = s->tok;
	c.lang = doc->lang;
	c.src[F_TITLE] = doc->title ? doc->title : "";
	c.src[F_SUMMARY] = doc->summary ? doc->summary : "";
	c.src[F_TEXT] = doc->text ? doc->text : "";
	for (int f = 0; f < F_N; f++) {
		c.srclen[f] = strlen(c.src[f]);
		pm_text_tokenize(c.src[f], c.srclen[f], &s->tok[f]);
		match_field(&c, f);
	}

	/* tags in dependency order (a min-heap on the rank), only those that
	 * can differ from an empty document's */
	gather_lists(&c, (flags & PM_CLASSIFY_EVAL_ALL) != 0);
	while (s->nheap)
		eval_tag(&c, pop_tag(&c));
	u32_sort(s->tag_done, s->ntag_done);
	tags = json_array();
	below = json_array();
	for (size_t k = 0; k < s->ntag_done; k++) {
		int t = (int)s->tag_done[k];
		if (s->tag_on[t]) {
			json_array_append_new(tags, tag_json(&c, t, flags));
		} else if (flags & PM_CLASSIFY_EXPLAIN) {
			json_t *fired = rules_fired_json(&c, t);
			if (json_array_size(fired))
				json_array_append_new(below, json_pack("{s:s, s:i, s:i, s:o}", "tag",
					r->tags[t].name, "score", s->tag_score[t], "threshold",
					r->tags[t].threshold, "rules", fired));
			else
				json_decref(fired);
		}
	}
	sort_tags(tags);
	sort_tags(below);
	mis = json_array();
	u32_sort(s->claims, s->nclaims);
	claims_json(&c, mis, flags);
	res = json_pack("{s:o, s:o}", "tags", tags, "misinfo", mis);
	if (flags & PM_CLASSIFY_EXPLAIN)
		json_object_set_new(res, "below_threshold", below);
	else
		json_decref(below);

	scratch_reset(s);
	/* give the state back; if another caller left one meanwhile, keep one */
	old = atomic_exchange(&rw->spare, s);
	cl_scratch_free(old);
	return res;
}

json_t *pm_classify(const struct pm_rules *r, const struct pm_doc *doc)
{
	return pm_classify_ex(r, doc, 0);
}

static const char *str_field(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

json_t *pm_classify_article(const struct pm_rules *r, json_t *article)
{
	json_t *add = pm_classify_additions(r, article), *out;

	if (!add)
		return NULL;
	out = json_copy(article);
	json_object_update(out, add);
	json_decref(add);
	return out;
}

json_t *pm_classify_additions(const struct pm_rules *r, json_t *article)
{
	struct pm_doc doc;
	json_t *res, *out, *tags, *ft;

	if (!json_is_object(article))
		return NULL;
	doc.title = str_field(article, "title");
	doc.summary = str_field(article, "summary");
	doc.text = str_field(article, "text");
	doc.lang = json_string_value(json_object_get(article, "lang"));
	res = pm_classify(r, &doc);
	out = json_object();
	tags = json_incref(json_object_get(res, "tags"));
	ft = json_object_get(article, "feed_tags");
	if (json_is_array(ft)) {
		size_t i;
		json_t *v;
		json_array_foreach(ft, i, v) {
			const char *name = json_is_string(v) ? json_string_value(v) :
					   json_string_value(json_object_get(v, "tag"));
			size_t k;
			json_t *have;
			int dup = 0;
			if (!name || !*name)
				continue;
			json_array_foreach(tags, k, have)
				if (!strcmp(json_string_value(json_object_get(have, "tag")), name))
					dup = 1; /* the rules' score and evidence win */
			if (!dup)
				json_array_append_new(tags, json_pack("{s:s, s:i, s:[]}", "tag", name,
								      "score", 1, "evidence"));
		}
		sort_tags(tags);
	}
	json_object_set_new(out, "tags", tags);
	json_object_set(out, "misinfo", json_object_get(res, "misinfo"));
	json_decref(res);
	return out;
}
