/* classify/classify: matches compiled rules against one article and builds
 * the tags JSON with evidence spans and the misinformation flags.
 * One pass over the tokens finds every term (hash of the first token, then
 * phrase verification); rules are then evaluated over the found occurrences. */
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

struct val {
	int truth;
	struct occv o;
};

struct ctx {
	const struct pm_rules *r;
	struct pm_tokens tok[F_N];
	const char *src[F_N];
	size_t srclen[F_N];
	struct occv *uterms;       /* per distinct term, in text order */
	struct occv *lists;        /* per list, built when first used */
	unsigned char *list_done;
	unsigned char *list_on;    /* list applies to the document's language */
	struct occv *tagocc;       /* per tag: evidence of its fired rules */
	unsigned char *tag_on;
	int *tag_score;
	unsigned char *rule_fired;
	struct occv *ruleocc;      /* per fired positive rule: its occurrences */
};

static void occv_push(struct occv *v, struct occ o)
{
	XGROW(v->v, v->a, v->n + 1);
	v->v[v->n++] = o;
}

static void occv_free(struct occv *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->a = 0;
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

static void occv_sort_unique(struct occv *v)
{
	size_t w = 0;

	if (v->n < 2)
		return;
	qsort(v->v, v->n, sizeof(*v->v), occ_cmp);
	for (size_t i = 1; i < v->n; i++) {
		if (occ_cmp(&v->v[w], &v->v[i]))
			v->v[++w] = v->v[i];
		else if (v->v[i].anchor < v->v[w].anchor)
			v->v[w].anchor = v->v[i].anchor;
	}
	v->n = w + 1;
}

/* ---- term matching ------------------------------------------------------- */

static int tok_matches(const struct ctx *c, int f, size_t i, const struct term_tok *tt)
{
	const struct pm_tokens *tk = &c->tok[f];
	const struct pm_token *k = &tk->v[i];
	const char *s = pm_token_str(tk, i);

	if (tt->prefix) {
		if (k->norm_len < tt->len || memcmp(s, tt->norm, tt->len))
			return 0;
	} else if (k->norm_len != tt->len || memcmp(s, tt->norm, tt->len)) {
		return 0;
	}
	if (tt->exact) {
		size_t el = strlen(tt->exact);
		if (k->end - k->start != el || memcmp(c->src[f] + k->start, tt->exact, el))
			return 0;
	}
	return 1;
}

static void try_terms(struct ctx *c, int f, size_t i, const size_t *ids, size_t nids)
{
	const struct pm_tokens *tk = &c->tok[f];

	for (size_t k = 0; k < nids; k++) {
		const struct term *t = &c->r->terms[c->r->uterm_rep[ids[k]]];
		size_t j;

		if (i + t->ntok > tk->n)
			continue;
		for (j = 0; j < t->ntok; j++)
			if (!tok_matches(c, f, i + j, &t->tok[j]))
				break;
		if (j < t->ntok)
			continue;
		struct occ o = { (uint32_t)i, (uint32_t)(i + t->ntok), tk->v[i].sentence,
				 tk->v[i].sentence, (uint8_t)f, 0 };
		if (f == F_TITLE)
			o.mask = SC_TITLE;
		else if (f == F_SUMMARY)
			o.mask = SC_SUMMARY | SC_LEAD;
		else
			o.mask = SC_TEXT | (tk->v[i].para < 2 ? SC_LEAD : 0);
		occv_push(&c->uterms[ids[k]], o);
	}
}

/* The occurrences of list l: its distinct terms' occurrences, sorted. */
static const struct occv *list_occ(struct ctx *c, int l)
{
	const struct pm_rules *r = c->r;

	if (!c->list_done[l]) {
		c->list_done[l] = 1;
		if (c->list_on[l]) {
			for (size_t k = 0; k < r->list_nuterms[l]; k++) {
				const struct occv *u = &c->uterms[r->list_uterms[l][k]];
				for (size_t i = 0; i < u->n; i++)
					occv_push(&c->lists[l], u->v[i]);
			}
			occv_sort_unique(&c->lists[l]);
		}
	}
	return &c->lists[l];
}

static void match_field(struct ctx *c, int f)
{
	const struct pm_rules *r = c->r;
	const struct pm_tokens *tk = &c->tok[f];
	const size_t *ids;
	size_t n;

	for (size_t i = 0; i < tk->n; i++) {
		const char *s = pm_token_str(tk, i);
		uint32_t len = tk->v[i].norm_len;

		n = tindex_may_hold(&r->exact, s, len) ? tindex_get(&r->exact, s, len, &ids) : 0;
		if (n)
			try_terms(c, f, i, ids, n);
		if (!tindex_may_hold(&r->prefix, s, len))
			continue;
		/* one look-up per distinct prefix length, not per rule */
		for (size_t p = 0; p < r->nprefix_lens; p++) {
			if (r->prefix_lens[p] > len)
				continue;
			n = tindex_get(&r->prefix, s, r->prefix_lens[p], &ids);
			if (n)
				try_terms(c, f, i, ids, n);
		}
	}
}

/* ---- evaluation ------------------------------------------------------------ */

static void val_free(struct val *v)
{
	occv_free(&v->o);
}

static void copy_masked(struct occv *dst, const struct occv *src, unsigned mask)
{
	for (size_t i = 0; i < src->n; i++)
		if (src->v[i].mask & mask)
			occv_push(dst, src->v[i]);
}

static void append(struct occv *dst, const struct occv *src)
{
	for (size_t i = 0; i < src->n; i++)
		occv_push(dst, src->v[i]);
}

static uint32_t gap(const struct occ *a, const struct occ *b)
{
	if (b->t0 >= a->t1)
		return b->t0 - a->t1;
	if (a->t0 >= b->t1)
		return a->t0 - b->t1;
	return 0;
}

/* First index in sorted v at or after (field, t0). */
static size_t lower_bound(const struct occv *v, uint8_t field, uint32_t t0)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct occ *o = &v->v[mid];
		if (o->field < field || (o->field == field && o->t0 < t0))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The partner of a in b within n words (NEAR) or in the same sentence
 * (n < 0); returns its index or -1. b is sorted by (field, t0). */
static long partner(const struct occ *a, const struct occv *b, int n)
{
	if (n < 0) {
		/* sentences grow with t0 inside a field: bisect on (field, sent) */
		size_t lo = 0, hi = b->n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			const struct occ *o = &b->v[mid];
			if (o->field < a->field || (o->field == a->field && o->sent < a->sent))
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < b->n && b->v[lo].field == a->field && b->v[lo].sent == a->sent)
			return (long)lo;
		return -1;
	}
	uint32_t back = (uint32_t)n + RL_MAX_TERM_TOKENS;
	uint32_t from = a->t0 > back ? a->t0 - back : 0;
	long best = -1;
	uint32_t best_gap = UINT32_MAX;
	for (size_t i = lower_bound(b, a->field, from); i < b->n; i++) {
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

static void eval(struct ctx *c, const struct node *n, unsigned mask, struct val *out);

static void eval_prox(struct ctx *c, const struct node *n, unsigned mask, struct val *out)
{
	struct val a = { 0, { NULL, 0, 0 } }, b = { 0, { NULL, 0, 0 } };
	int dist = (n->kind == N_NEAR || n->kind == N_NOTNEAR) ? n->n : -1;
	int keep_unpaired = n->kind == N_NOTNEAR || n->kind == N_NOTSENT;

	eval(c, n->a, mask, &a);
	if (a.o.n)
		eval(c, n->b, mask, &b);
	occv_sort_unique(&b.o);
	for (size_t i = 0; i < a.o.n; i++) {
		long p = b.o.n ? partner(&a.o.v[i], &b.o, dist) : -1;
		if (keep_unpaired) {
			if (p < 0)
				occv_push(&out->o, a.o.v[i]);
		} else if (p >= 0) {
			struct occ x = a.o.v[i], y = b.o.v[p];
			uint32_t an = x.anchor < y.anchor ? x.anchor : y.anchor;
			x.anchor = y.anchor = an;
			occv_push(&out->o, x);
			occv_push(&out->o, y);
		}
	}
	occv_sort_unique(&out->o);
	out->truth = out->o.n > 0;
	val_free(&a);
	val_free(&b);
}

static void eval(struct ctx *c, const struct node *n, unsigned mask, struct val *out)
{
	struct val a = { 0, { NULL, 0, 0 } }, b = { 0, { NULL, 0, 0 } };

	out->truth = 0;
	switch (n->kind) {
	case N_LIST:
		copy_masked(&out->o, list_occ(c, n->ref), mask);
		out->truth = out->o.n > 0;
		return;
	case N_TAG:
		if (!c->tag_on[n->ref])
			return;
		copy_masked(&out->o, &c->tagocc[n->ref], mask);
		/* in a scope the tag counts only with evidence inside it */
		out->truth = mask == SC_ALL ? 1 : out->o.n > 0;
		return;
	case N_SCOPE:
		eval(c, n->a, mask & n->scope, out);
		return;
	case N_NOT:
		eval(c, n->a, mask, &a);
		out->truth = !a.truth;
		val_free(&a);
		return;
	case N_AND:
		eval(c, n->a, mask, &a);
		if (a.truth)
			eval(c, n->b, mask, &b);
		if (a.truth && b.truth) {
			out->truth = 1;
			append(&out->o, &a.o);
			append(&out->o, &b.o);
			occv_sort_unique(&out->o);
		}
		break;
	case N_OR:
		eval(c, n->a, mask, &a);
		eval(c, n->b, mask, &b);
		out->truth = a.truth || b.truth;
		if (a.truth)
			append(&out->o, &a.o);
		if (b.truth)
			append(&out->o, &b.o);
		occv_sort_unique(&out->o);
		break;
	case N_NEAR: case N_SENT: case N_NOTNEAR: case N_NOTSENT:
		eval_prox(c, n, mask, out);
		return;
	}
	val_free(&a);
	val_free(&b);
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

static json_t *evidence_json(const struct ctx *c, const struct occ *o, const char *rule)
{
	const struct pm_tokens *tk = &c->tok[o->field];
	uint32_t st = tk->v[o->t0].start, en = tk->v[o->t1 - 1].end;

	return json_pack("{s:s, s:I, s:I, s:o, s:s}", "field", field_names[o->field],
			 "start", (json_int_t)st, "end", (json_int_t)en, "text",
			 span_string(c->src[o->field] + st, en - st), "rule", rule);
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
	json_t *a = json_array();

	for (size_t i = 0; i < c->r->nrules; i++)
		if (c->r->rules[i].tag == tag && c->rule_fired[i])
			json_array_append_new(a, json_pack("{s:s, s:i}", "rule", c->r->rules[i].name,
							   "weight", c->r->rules[i].weight));
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

	for (size_t i = 0; i < r->nrules; i++) {
		if (r->rules[i].tag != t || !c->rule_fired[i] || r->rules[i].weight <= 0)
			continue;
		const struct occv *ro = &c->ruleocc[i];
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
	o = json_pack("{s:s, s:i, s:o}", "tag", r->tags[t].name, "score", c->tag_score[t],
		      "evidence", evj);
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

	for (size_t i = 0; i < r->nclaims; i++) {
		const struct claim *cl = &r->claims[i];
		struct val v = { 0, { NULL, 0, 0 } };
		size_t emitted = 0;

		eval(c, cl->expr, SC_ALL, &v);
		if (!v.truth) {
			val_free(&v);
			continue;
		}
		occv_sort_unique(&v.o);
		qsort(v.o.v, v.o.n, sizeof(*v.o.v), anchor_cmp);
		/* one flag per group of occurrences anchored in one sentence; it
		 * shows every sentence the group touches */
		for (size_t k = 0; k < v.o.n && emitted < CL_MAX_MISINFO_PER_CLAIM;) {
			const struct occ *o = &v.o.v[k];
			size_t q = k;
			uint32_t to = o->sent;
			while (q < v.o.n && v.o.v[q].field == o->field && v.o.v[q].anchor == o->anchor) {
				if (v.o.v[q].sent > to)
					to = v.o.v[q].sent;
				q++;
			}
			json_t *sent = sentence_json(c, o->field, o->t0, o->anchor, to);
			if (claim_seen(out, cl->id, sent)) {
				/* the same sentence in the summary and the body: one flag */
				json_decref(sent);
				k = q;
				continue;
			}
			json_t *m = json_pack("{s:s, s:s, s:o, s:s, s:s}", "claim", cl->id,
					      "verdict", cl->verdict, "sentence", sent,
					      "correction", cl->correction, "reference", cl->reference);
			if (flags & PM_CLASSIFY_EXPLAIN) {
				json_t *evj = json_array();
				for (size_t e = k; e < q; e++)
					json_array_append_new(evj, evidence_json(c, &v.o.v[e], cl->id));
				json_object_set_new(m, "evidence", evj);
			}
			json_array_append_new(out, m);
			emitted++;
			k = q;
		}
		if (!v.o.n) /* true without a matched word (a NOT-only claim) */
			json_array_append_new(out, json_pack("{s:s, s:s, s:n, s:s, s:s}", "claim",
							     cl->id, "verdict", cl->verdict,
							     "sentence", "correction", cl->correction,
							     "reference", cl->reference));
		val_free(&v);
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

json_t *pm_classify_ex(const struct pm_rules *r, const struct pm_doc *doc, unsigned flags)
{
	struct ctx c;
	json_t *tags, *below, *mis, *res;
	const int *by_tag_start;
	const size_t *by_tag;

	memset(&c, 0, sizeof(c));
	c.r = r;
	c.src[F_TITLE] = doc->title ? doc->title : "";
	c.src[F_SUMMARY] = doc->summary ? doc->summary : "";
	c.src[F_TEXT] = doc->text ? doc->text : "";
	c.lists = xcalloc(r->nlists + 1, sizeof(*c.lists));
	c.list_done = xcalloc(r->nlists + 1, 1);
	c.uterms = xcalloc(r->nuterms + 1, sizeof(*c.uterms));
	c.list_on = xcalloc(r->nlists + 1, 1);
	c.tagocc = xcalloc(r->ntags + 1, sizeof(*c.tagocc));
	c.tag_on = xcalloc(r->ntags + 1, 1);
	c.tag_score = xcalloc(r->ntags + 1, sizeof(int));
	c.rule_fired = xcalloc(r->nrules + 1, 1);
	c.ruleocc = xcalloc(r->nrules + 1, sizeof(*c.ruleocc));
	for (size_t i = 0; i < r->nlists; i++)
		c.list_on[i] = (unsigned char)lang_on(&r->lists[i], doc->lang);
	for (int f = 0; f < F_N; f++) {
		c.srclen[f] = strlen(c.src[f]);
		pm_tokens_init(&c.tok[f]);
		pm_text_tokenize(c.src[f], c.srclen[f], &c.tok[f]);
		match_field(&c, f);
	}

	/* rules grouped by tag (at compile), tags in dependency order */
	by_tag_start = r->tag_rules;
	by_tag = r->rule_by_tag;
	for (size_t k = 0; k < r->ntags; k++) {
		int t = r->tag_order[k];
		for (int j = by_tag_start[t]; j < by_tag_start[t + 1]; j++) {
			size_t i = by_tag[j];
			struct val v = { 0, { NULL, 0, 0 } };
			eval(&c, r->rules[i].expr, SC_ALL, &v);
			if (v.truth) {
				c.rule_fired[i] = 1;
				c.tag_score[t] += r->rules[i].weight;
				if (r->rules[i].weight > 0) {
					occv_sort_unique(&v.o);
					c.ruleocc[i] = v.o;
					v.o.v = NULL;
					v.o.n = v.o.a = 0;
				}
			}
			val_free(&v);
		}
		if (c.tag_score[t] >= r->tags[t].threshold) {
			c.tag_on[t] = 1;
			for (int j = by_tag_start[t]; j < by_tag_start[t + 1]; j++)
				append(&c.tagocc[t], &c.ruleocc[by_tag[j]]);
			occv_sort_unique(&c.tagocc[t]);
		}
	}
	tags = json_array();
	below = json_array();
	for (size_t t = 0; t < r->ntags; t++) {
		if (c.tag_on[t]) {
			json_array_append_new(tags, tag_json(&c, (int)t, flags));
		} else if (flags & PM_CLASSIFY_EXPLAIN) {
			json_t *fired = rules_fired_json(&c, (int)t);
			if (json_array_size(fired))
				json_array_append_new(below, json_pack("{s:s, s:i, s:i, s:o}", "tag",
					r->tags[t].name, "score", c.tag_score[t], "threshold",
					r->tags[t].threshold, "rules", fired));
			else
				json_decref(fired);
		}
	}
	sort_tags(tags);
	sort_tags(below);
	mis = json_array();
	claims_json(&c, mis, flags);
	res = json_pack("{s:o, s:o}", "tags", tags, "misinfo", mis);
	if (flags & PM_CLASSIFY_EXPLAIN)
		json_object_set_new(res, "below_threshold", below);
	else
		json_decref(below);

	for (int f = 0; f < F_N; f++)
		pm_tokens_release(&c.tok[f]);
	for (size_t i = 0; i < r->nlists; i++)
		occv_free(&c.lists[i]);
	for (size_t i = 0; i < r->nuterms; i++)
		occv_free(&c.uterms[i]);
	free(c.uterms);
	free(c.list_done);
	for (size_t i = 0; i < r->ntags; i++)
		occv_free(&c.tagocc[i]);
	for (size_t i = 0; i < r->nrules; i++)
		occv_free(&c.ruleocc[i]);
	free(c.lists);
	free(c.list_on);
	free(c.tagocc);
	free(c.tag_on);
	free(c.tag_score);
	free(c.rule_fired);
	free(c.ruleocc);
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
	struct pm_doc doc;
	json_t *res, *out, *tags, *ft;

	if (!json_is_object(article))
		return NULL;
	doc.title = str_field(article, "title");
	doc.summary = str_field(article, "summary");
	doc.text = str_field(article, "text");
	doc.lang = json_string_value(json_object_get(article, "lang"));
	res = pm_classify(r, &doc);
	out = json_copy(article);
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
