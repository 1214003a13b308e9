/* classify/lint: warnings on rules that load but cannot do what their author
 * meant: unused lists, tags that can never reach their threshold, repeated
 * terms, terms that fold to nothing. Sorted by file, line and column. */
#include "classify/classify_int.h"
#include "core/mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct finding {
	struct srcpos pos;
	char *msg;
};

struct findings {
	struct finding *v;
	size_t n, a;
};

static void add(struct findings *f, struct srcpos pos, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(struct findings *f, struct srcpos pos, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	XGROW(f->v, f->a, f->n + 1);
	f->v[f->n].pos = pos;
	f->v[f->n++].msg = xstrdup(buf);
}

static int finding_cmp(const void *pa, const void *pb)
{
	const struct finding *a = pa, *b = pb;

	if (a->pos.file != b->pos.file)
		return a->pos.file < b->pos.file ? -1 : 1;
	if (a->pos.line != b->pos.line)
		return a->pos.line < b->pos.line ? -1 : 1;
	if (a->pos.col != b->pos.col)
		return a->pos.col < b->pos.col ? -1 : 1;
	return strcmp(a->msg, b->msg);
}

static int same_term(const struct term *a, const struct term *b)
{
	if (a->ntok != b->ntok)
		return 0;
	for (size_t i = 0; i < a->ntok; i++) {
		const struct term_tok *x = &a->tok[i], *y = &b->tok[i];
		if (strcmp(x->norm, y->norm) || x->prefix != y->prefix || !x->exact != !y->exact ||
		    (x->exact && strcmp(x->exact, y->exact)))
			return 0;
	}
	return 1;
}

static int has_capital(const char *s)
{
	for (; *s; s++)
		if ((*s >= 'A' && *s <= 'Z') || (unsigned char)*s >= 0x80)
			return 1; /* non-ASCII: assume the author knows the script */
	return 0;
}

int pm_rules_lint(const struct pm_rules *r, json_t *warnings)
{
	struct findings f = { NULL, 0, 0 };

	for (size_t i = 0; i < r->nlists; i++)
		if (r->lists[i].name && !r->lists[i].used)
			add(&f, r->lists[i].pos, "list '%s' is never used", r->lists[i].name);
	for (size_t i = 0; i < r->nterms; i++) {
		const struct term *t = &r->terms[i];
		if (!t->ntok) {
			add(&f, t->pos, "term '%s' folds to nothing and can never match", t->display);
			continue;
		}
		if (t->tok[0].exact && !has_capital(t->display))
			add(&f, t->pos, "exact-case term '%s' has no capital letter", t->display);
		/* terms of one list are contiguous: compare with the earlier ones */
		for (size_t j = i; j-- > 0 && r->terms[j].list == t->list;)
			if (same_term(&r->terms[j], t)) {
				add(&f, t->pos, "term '%s' repeats '%s' at line %d", t->display,
				    r->terms[j].display, r->terms[j].pos.line);
				break;
			}
	}
	for (size_t t = 0; t < r->ntags; t++) {
		long pos = 0;
		for (size_t i = 0; i < r->nrules; i++)
			if (r->rules[i].tag == (int)t && r->rules[i].weight > 0)
				pos += r->rules[i].weight;
		if (!r->tags[t].nrules)
			add(&f, r->tags[t].pos, "tag '%s' has no rules", r->tags[t].name);
		else if (pos < r->tags[t].threshold)
			add(&f, r->tags[t].pos,
			    "tag '%s' can never be emitted: its positive weights sum to %ld, "
			    "below its threshold %d", r->tags[t].name, pos, r->tags[t].threshold);
	}
	for (size_t i = 0; i < r->nrules; i++)
		if (r->rules[i].weight == 0)
			add(&f, r->rules[i].pos, "rule '%s' has weight 0 and changes nothing",
			    r->rules[i].name);
	if (f.n)
		qsort(f.v, f.n, sizeof(*f.v), finding_cmp);
	for (size_t i = 0; i < f.n; i++) {
		if (warnings)
			json_array_append_new(warnings,
					      json_sprintf("%s:%d:%d: warning: %s",
							   r->files[f.v[i].pos.file], f.v[i].pos.line,
							   f.v[i].pos.col, f.v[i].msg));
		free(f.v[i].msg);
	}
	free(f.v);
	return (int)f.n;
}
