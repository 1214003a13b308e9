/* tests/unit/test_classify_equiv: the classifier evaluates only the rules a
 * matched term or an emitted tag can make true; this proves it gives what
 * evaluating every rule gives (PM_CLASSIFY_EVAL_ALL), byte for byte, on the
 * labelled set of tests/classify, on random articles over the taxonomy, and
 * on random rule sets full of NOT-only rules, @tag chains, thresholds and
 * negative weights. Run from the repository root. */
#include "classify/classify.h"
#include "core/mem.h"
#include "testlib.h"

#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* xorshift64*: a fixed sequence, so a failure repeats */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 33) % (n ? n : 1);
}

struct sbuf {
	char *s;
	size_t n, a;
};

static void sb_add(struct sbuf *b, const char *s)
{
	size_t l = strlen(s);

	XGROW(b->s, b->a, b->n + l + 1);
	memcpy(b->s + b->n, s, l + 1);
	b->n += l;
}

static char *dump(json_t *j)
{
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

	json_decref(j);
	return s;
}

/* Classifies doc both ways, plain and explained; counts the mismatches
 * and prints the first few. */
static int compare(const struct pm_rules *r, const struct pm_doc *doc, const char *what)
{
	static int shown;
	int bad = 0;

	for (unsigned ex = 0; ex <= PM_CLASSIFY_EXPLAIN; ex += PM_CLASSIFY_EXPLAIN) {
		char *fast = dump(pm_classify_ex(r, doc, ex));
		char *all = dump(pm_classify_ex(r, doc, ex | PM_CLASSIFY_EVAL_ALL));
		if (strcmp(fast, all)) {
			bad++;
			if (shown++ < 3)
				fprintf(stderr, "%s (explain %u):\n  fast %s\n  all  %s\n", what, ex, fast,
					all);
		}
		free(fast);
		free(all);
	}
	return bad;
}

/* ---- the taxonomy on the labelled set and on random articles -------------- */

struct corpus {
	json_t **docs;
	size_t n, a;
	char **words;   /* every space-separated word of the set, repeats kept */
	size_t nwords, awords;
};

static void corpus_load(struct corpus *c)
{
	glob_t g;

	memset(c, 0, sizeof(*c));
	if (glob("tests/classify/*.ndjson", 0, NULL, &g))
		return;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		if (!f)
			continue;
		while ((len = getline(&line, &cap, f)) > 0) {
			json_t *j = json_loadb(line, (size_t)len, 0, NULL);
			if (!j)
				continue;
			XGROW(c->docs, c->a, c->n + 1);
			c->docs[c->n++] = j;
			const char *text = json_string_value(json_object_get(j, "text"));
			char *copy = xstrdup(text ? text : ""), *save = NULL;
			for (char *w = strtok_r(copy, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
				XGROW(c->words, c->awords, c->nwords + 1);
				c->words[c->nwords++] = xstrdup(w);
			}
			free(copy);
		}
		free(line);
		fclose(f);
	}
	globfree(&g);
}

static void corpus_free(struct corpus *c)
{
	for (size_t i = 0; i < c->n; i++)
		json_decref(c->docs[i]);
	for (size_t i = 0; i < c->nwords; i++)
		free(c->words[i]);
	free(c->docs);
	free(c->words);
}

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Words of the set in a random order, with sentence and paragraph breaks:
 * terms land beside cues and exclusions they never met in the set. */
static char *random_text(const struct corpus *c, size_t nwords)
{
	struct sbuf b = { NULL, 0, 0 };

	sb_add(&b, "");
	for (size_t i = 0; i < nwords && c->nwords; i++) {
		sb_add(&b, c->words[rnd((uint32_t)c->nwords)]);
		uint32_t x = rnd(100);
		sb_add(&b, x < 6 ? ". " : x < 8 ? ".\n\n" : x < 10 ? ", " : " ");
	}
	return b.s;
}

static void test_taxonomy(void)
{
	static const char *const langs[] = { "en", "fr", "es", "ar", "ru", "pt", "de", "zh", NULL };
	struct pm_rules *r = NULL;
	struct pm_err err;
	struct corpus c;
	int bad = 0, docs = 0;

	TEST("taxonomy: labelled set and random articles, fast = every rule");
	pm_err_init(&err);
	CHECK(pm_rules_load_dir("classify/rules", &r, &err) == 0);
	if (!r)
		return;
	corpus_load(&c);
	CHECK(c.n >= 150);
	for (size_t i = 0; i < c.n; i++) {
		json_t *j = c.docs[i];
		struct pm_doc d = { str(j, "title"), str(j, "summary"), str(j, "text"), str(j, "lang") };
		bad += compare(r, &d, str(j, "id"));
		d.lang = NULL; /* every list applies */
		bad += compare(r, &d, str(j, "id"));
		docs += 2;
	}
	for (int i = 0; i < 400; i++) {
		char *title = random_text(&c, 3 + rnd(10));
		char *summary = rnd(3) ? NULL : random_text(&c, 20);
		char *text = random_text(&c, 20 + rnd(400));
		struct pm_doc d = { title, summary, text, langs[rnd(9)] };
		bad += compare(r, &d, "random article");
		free(title);
		free(summary);
		free(text);
		docs++;
	}
	CHECK_INT(bad, 0);
	printf("taxonomy: %d documents, %d differences\n", docs, bad);
	corpus_free(&c);
	pm_rules_free(r);
}

/* ---- random rule sets --------------------------------------------------- */

#define NV 12   /* vocabulary: w0 .. w11, plus the exact-case WX */
#define NL 8
#define NT 8

static void gen_expr(struct sbuf *b, int depth, int tag)
{
	char buf[64];
	uint32_t k = depth > 3 ? rnd(3) : rnd(13);

	switch (k) {
	case 0:
	case 1:
		snprintf(buf, sizeof(buf), "$l%u", rnd(NL));
		sb_add(b, buf);
		return;
	case 2:
		if (tag > 0) { /* only earlier tags: no cycles */
			snprintf(buf, sizeof(buf), "@t%u", rnd((uint32_t)tag));
			sb_add(b, buf);
		} else {
			snprintf(buf, sizeof(buf), "w%u", rnd(NV));
			sb_add(b, buf);
		}
		return;
	case 3:
		sb_add(b, "NOT (");
		gen_expr(b, depth + 1, tag);
		sb_add(b, ")");
		return;
	case 4:
		sb_add(b, rnd(2) ? "title:(" : rnd(2) ? "lead:(" : "body:(");
		gen_expr(b, depth + 1, tag);
		sb_add(b, ")");
		return;
	default: {
		static const char *const ops[] = { "AND", "OR", "AND NOT", "NEAR/%u", "SENT",
						   "NOT NEAR/%u", "NOT SENT", "OR NOT" };
		char op[32];
		snprintf(op, sizeof(op), ops[rnd(8)], rnd(4));
		sb_add(b, "(");
		gen_expr(b, depth + 1, tag);
		sb_add(b, ") ");
		sb_add(b, op);
		sb_add(b, " (");
		gen_expr(b, depth + 1, tag);
		sb_add(b, ")");
		return;
	}
	}
}

static char *gen_rules(void)
{
	struct sbuf b = { NULL, 0, 0 };
	char buf[128];

	sb_add(&b, "");
	for (int l = 0; l < NL; l++) {
		snprintf(buf, sizeof(buf), "list l%d%s = w%u, w%u*, \"w%u w%u\"%s\n", l,
			 rnd(4) ? "" : " [fr]", rnd(NV), rnd(NV), rnd(NV), rnd(NV),
			 rnd(3) ? "" : ", =WX");
		sb_add(&b, buf);
	}
	for (int t = 0; t < NT; t++) {
		snprintf(buf, sizeof(buf), "tag t%d threshold %u\n", t, 1 + rnd(3));
		sb_add(&b, buf);
	}
	for (int t = 0; t < NT; t++) {
		uint32_t n = 1 + rnd(4);
		for (uint32_t i = 0; i < n; i++) {
			int w = (int)rnd(7) - 2;
			snprintf(buf, sizeof(buf), "rule t%d/r%u weight %d: ", t, i, w);
			sb_add(&b, buf);
			gen_expr(&b, 0, t);
			sb_add(&b, "\n");
		}
	}
	for (int k = 0; k < 4; k++) {
		snprintf(buf, sizeof(buf), "claim c%d verdict false\n    correction \"c\"\n"
					   "    reference \"r\"\n    when ", k);
		sb_add(&b, buf);
		gen_expr(&b, 0, NT);
		sb_add(&b, "\n");
	}
	return b.s;
}

static char *gen_words(size_t n)
{
	struct sbuf b = { NULL, 0, 0 };
	char buf[32];

	sb_add(&b, "");
	for (size_t i = 0; i < n; i++) {
		uint32_t x = rnd(100);
		if (x < 4)
			snprintf(buf, sizeof(buf), "WX");
		else if (x < 8)
			snprintf(buf, sizeof(buf), "other");
		else
			snprintf(buf, sizeof(buf), "w%u%s", rnd(NV), rnd(5) ? "" : "s");
		sb_add(&b, buf);
		x = rnd(100);
		sb_add(&b, x < 10 ? ". " : x < 13 ? ".\n\n" : " ");
	}
	return b.s;
}

static void test_random_rules(void)
{
	int bad = 0, sets = 0, docs = 0, loaded = 0, fired = 0;

	TEST("random rule sets: fast = every rule");
	for (int k = 0; k < 150; k++) {
		char *text = gen_rules();
		char path[] = "/tmp/pm_test_equiv_XXXXXX.rules";
		int fd = mkstemps(path, 6);
		FILE *f = fdopen(fd, "w");
		struct pm_rules *r = NULL;
		struct pm_err err;

		fputs(text, f);
		fclose(f);
		pm_err_init(&err);
		if (pm_rules_load_file(path, &r, &err) == 0) {
			loaded++;
			for (int i = 0; i < 30; i++) {
				/* empty documents too: what NOT-only rules fire on */
				char *title = gen_words(rnd(4));
				char *body = gen_words(rnd(3) ? rnd(60) : 0);
				struct pm_doc d = { title, NULL, body, rnd(2) ? "fr" : "en" };
				json_t *res = pm_classify(r, &d);
				fired += json_array_size(json_object_get(res, "tags")) > 0;
				json_decref(res);
				bad += compare(r, &d, text);
				free(title);
				free(body);
				docs++;
			}
		} else {
			fprintf(stderr, "generated rules do not load: %s\n%s", err.msg, text);
		}
		unlink(path);
		pm_rules_free(r);
		free(text);
		sets++;
	}
	CHECK_INT(loaded, sets);
	CHECK(fired > docs / 10); /* the sets do fire: the comparison means something */
	CHECK_INT(bad, 0);
	printf("random rules: %d sets, %d documents (%d with tags), %d differences\n", sets, docs,
	       fired, bad);
}

/* The kept per-article state must not leak from one article into the
 * next: the same documents in another order give the same results. */
static void test_order(void)
{
	struct pm_rules *r = NULL;
	struct pm_err err;
	struct corpus c;
	char **first;
	int bad = 0;

	TEST("per-article state is cleared between articles");
	pm_err_init(&err);
	CHECK(pm_rules_load_dir("classify/rules", &r, &err) == 0);
	if (!r)
		return;
	corpus_load(&c);
	first = xcalloc(c.n + 1, sizeof(*first));
	for (size_t i = 0; i < c.n; i++) {
		json_t *j = c.docs[i];
		struct pm_doc d = { str(j, "title"), str(j, "summary"), str(j, "text"), str(j, "lang") };
		first[i] = dump(pm_classify_ex(r, &d, PM_CLASSIFY_EXPLAIN));
	}
	for (size_t i = c.n; i-- > 0;) {
		json_t *j = c.docs[i];
		struct pm_doc d = { str(j, "title"), str(j, "summary"), str(j, "text"), str(j, "lang") };
		char *again = dump(pm_classify_ex(r, &d, PM_CLASSIFY_EXPLAIN));
		bad += strcmp(first[i], again) != 0;
		free(again);
		free(first[i]);
	}
	CHECK_INT(bad, 0);
	free(first);
	corpus_free(&c);
	pm_rules_free(r);
}

int main(void)
{
	test_taxonomy();
	test_random_rules();
	test_order();
	return tl_summary();
}
