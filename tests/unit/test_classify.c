/* tests/unit/test_classify: the rule language, the matcher and the taxonomy.
 * Data-driven from tests/fixtures/classify (run from the repository root). */
#include "classify/classify.h"
#include "core/mem.h"
#include "core/text.h"
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FIX "tests/fixtures/classify/"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = xmalloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Writes text to a fresh temporary rules file; returns its path. */
static char *tmp_rules(const char *text)
{
	char *path = xstrdup("/tmp/pm_test_rules_XXXXXX.rules");
	int fd = mkstemps(path, 6);
	FILE *f = fdopen(fd, "w");

	fputs(text, f);
	fclose(f);
	return path;
}

static struct pm_rules *load_text(const char *text, struct pm_err *err)
{
	struct pm_rules *r = NULL;
	char *p = tmp_rules(text);

	pm_err_init(err);
	pm_rules_load_file(p, &r, err);
	unlink(p);
	free(p);
	return r;
}

static json_t *find_tag(json_t *res, const char *tag)
{
	size_t i;
	json_t *t;

	json_array_foreach(json_object_get(res, "tags"), i, t)
		if (!strcmp(json_string_value(json_object_get(t, "tag")), tag))
			return t;
	return NULL;
}

static int has_claim(json_t *res, const char *claim)
{
	size_t i;
	json_t *m;

	json_array_foreach(json_object_get(res, "misinfo"), i, m)
		if (!strcmp(json_string_value(json_object_get(m, "claim")), claim))
			return 1;
	return 0;
}

/* Every evidence span must point at exactly its text in the named field. */
static void check_evidence(json_t *res, const struct pm_doc *doc, const char *what)
{
	size_t i, k;
	json_t *t, *e;

	json_array_foreach(json_object_get(res, "tags"), i, t) {
		json_array_foreach(json_object_get(t, "evidence"), k, e) {
			const char *field = json_string_value(json_object_get(e, "field"));
			const char *src = !strcmp(field, "title") ? doc->title :
					  !strcmp(field, "summary") ? doc->summary : doc->text;
			size_t st = (size_t)json_integer_value(json_object_get(e, "start"));
			size_t en = (size_t)json_integer_value(json_object_get(e, "end"));
			const char *txt = json_string_value(json_object_get(e, "text"));
			int ok = src && st < en && en <= strlen(src) && txt &&
				 strlen(txt) == en - st && !memcmp(src + st, txt, en - st);
			if (!ok)
				fprintf(stderr, "  %s: bad evidence %s [%zu,%zu) '%s'\n", what, field, st,
					en, txt ? txt : "");
			CHECK(ok);
		}
	}
}

struct loaded {
	char *title, *text, *summary, *lang;
	json_t *json;
};

/* A fixture: .json object, or plain text (first line title, rest body). */
static int load_fixture(const char *path, struct pm_doc *doc, struct loaded *l)
{
	memset(l, 0, sizeof(*l));
	memset(doc, 0, sizeof(*doc));
	if (strstr(path, ".json")) {
		json_error_t je;
		l->json = json_load_file(path, 0, &je);
		if (!l->json)
			return -1;
		doc->title = json_string_value(json_object_get(l->json, "title"));
		doc->text = json_string_value(json_object_get(l->json, "text"));
		doc->summary = json_string_value(json_object_get(l->json, "summary"));
		doc->lang = json_string_value(json_object_get(l->json, "lang"));
		return 0;
	}
	char *raw = slurp(path);
	if (!raw)
		return -1;
	char *nl = strchr(raw, '\n');
	if (nl)
		*nl = '\0';
	l->title = xstrdup(raw);
	l->text = xstrdup(nl ? nl + 1 : "");
	free(raw);
	doc->title = l->title;
	doc->text = l->text;
	return 0;
}

static void free_fixture(struct loaded *l)
{
	free(l->title);
	free(l->text);
	json_decref(l->json);
}

/* cases.txt: file | lang | must have | must not have | misinfo */
static void test_cases(const struct pm_rules *r)
{
	char *data = slurp(FIX "cases.txt"), *save = NULL;
	int n = 0;

	TEST("cases.txt");
	CHECK(data != NULL);
	if (!data)
		return;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[5], *p = line, path[512];
		int nf = 0;
		if (line[0] == '#' || !line[0])
			continue;
		while (nf < 5) {
			char *bar = strstr(p, " | ");
			f[nf++] = p;
			if (!bar)
				break;
			*bar = '\0';
			p = bar + 3;
		}
		CHECK_INT(nf, 5);
		if (nf != 5)
			continue;
		struct pm_doc doc;
		struct loaded l;
		snprintf(path, sizeof(path), FIX "%s", f[0]);
		tl_case = f[0];
		CHECK(load_fixture(path, &doc, &l) == 0);
		if (strcmp(f[1], "-"))
			doc.lang = f[1];
		json_t *res = pm_classify(r, &doc);
		char *tags = xstrdup(f[2]), *s2 = NULL;
		for (char *t = strtok_r(tags, " ", &s2); t; t = strtok_r(NULL, " ", &s2))
			if (strcmp(t, "-")) {
				if (!find_tag(res, t))
					fprintf(stderr, "  %s: missing tag %s\n", f[0], t);
				CHECK(find_tag(res, t) != NULL);
			}
		free(tags);
		tags = xstrdup(f[3]);
		for (char *t = strtok_r(tags, " ", &s2); t; t = strtok_r(NULL, " ", &s2))
			if (strcmp(t, "-")) {
				if (find_tag(res, t))
					fprintf(stderr, "  %s: unwanted tag %s\n", f[0], t);
				CHECK(find_tag(res, t) == NULL);
			}
		free(tags);
		if (!strcmp(f[4], "-"))
			CHECK_INT(json_array_size(json_object_get(res, "misinfo")), 0);
		check_evidence(res, &doc, f[0]);
		/* the same input gives the same bytes */
		json_t *again = pm_classify(r, &doc);
		char *a = json_dumps(res, JSON_COMPACT), *b = json_dumps(again, JSON_COMPACT);
		CHECK_STR(a, b);
		free(a);
		free(b);
		json_decref(again);
		json_decref(res);
		free_fixture(&l);
		n++;
	}
	free(data);
	tl_case = "cases.txt";
	CHECK(n >= 18);
}

/* misinfo.cases: "== claim" blocks; the raised set must be exactly it. */
static void test_misinfo(const struct pm_rules *r)
{
	char *data = slurp(FIX "misinfo.cases");
	char *p;
	int n = 0;

	TEST("misinfo.cases");
	CHECK(data != NULL);
	if (!data)
		return;
	p = strstr(data, "\n== ");
	while (p) {
		char *claim = p + 4, *eol = strchr(claim, '\n'), *next;
		if (!eol)
			break;
		*eol = '\0';
		next = strstr(eol + 1, "\n== ");
		if (next)
			*next = '\0';
		char *body = eol + 1, *nl = strchr(body, '\n');
		struct pm_doc doc = { NULL, NULL, NULL, "en" };
		char *title = xstrndup(body, nl ? (size_t)(nl - body) : strlen(body));
		doc.title = title;
		doc.text = nl ? nl + 1 : "";
		json_t *res = pm_classify(r, &doc);
		size_t nm = json_array_size(json_object_get(res, "misinfo"));
		tl_case = claim;
		if (!strcmp(claim, "none")) {
			if (nm)
				fprintf(stderr, "  unexpected flag in: %s\n", doc.text);
			CHECK_INT(nm, 0);
		} else {
			if (!has_claim(res, claim) || nm != 1)
				fprintf(stderr, "  %s: %zu flags\n", claim, nm);
			CHECK(has_claim(res, claim));
			CHECK_INT(nm, 1);
			json_t *m = json_array_get(json_object_get(res, "misinfo"), 0);
			const char *sent = json_string_value(json_object_get(m, "sentence"));
			CHECK(sent && *sent && strstr(doc.text, sent) != NULL);
			CHECK(json_string_length(json_object_get(m, "correction")) > 20);
			CHECK(json_string_length(json_object_get(m, "reference")) > 5);
			CHECK(json_is_string(json_object_get(m, "verdict")));
		}
		json_decref(res);
		free(title);
		n++;
		p = next ? next : NULL;
		if (p)
			*p = '\n';
	}
	free(data);
	tl_case = "misinfo.cases";
	CHECK(n >= 23);
}

/* Every claim in the rules has a positive case in misinfo.cases. */
static void test_every_claim_tested(void)
{
	char *rules = slurp("classify/rules/misinfo.rules");
	char *cases = slurp(FIX "misinfo.cases");
	char *p;

	TEST("every claim has a case");
	CHECK(rules && cases);
	if (!rules || !cases)
		goto out;
	for (p = strstr(rules, "\nclaim "); p; p = strstr(p + 1, "\nclaim ")) {
		char id[128], want[140];
		if (sscanf(p + 7, "%127s", id) != 1)
			continue;
		snprintf(want, sizeof(want), "== %s\n", id);
		if (!strstr(cases, want))
			fprintf(stderr, "  no case for claim %s\n", id);
		CHECK(strstr(cases, want) != NULL);
	}
out:
	free(rules);
	free(cases);
}

/* bad/expected.txt: "NAME.rules:line:col: message" for each bad file. */
static void test_bad_rules(void)
{
	char *data = slurp(FIX "bad/expected.txt"), *save = NULL;
	int n = 0;

	TEST("bad rule files");
	CHECK(data != NULL);
	if (!data)
		return;
	for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char path[512], want[1024];
		struct pm_rules *r = NULL;
		struct pm_err err;
		size_t nl = strcspn(line, ":");
		snprintf(path, sizeof(path), FIX "bad/%.*s", (int)nl, line);
		snprintf(want, sizeof(want), FIX "bad/%s", line);
		tl_case = path;
		pm_err_init(&err);
		CHECK_INT(pm_rules_load_file(path, &r, &err), -1);
		CHECK(r == NULL);
		CHECK_INT(err.code, PM_EINPUT);
		CHECK_STR(err.msg, want);
		pm_rules_free(r);
		n++;
	}
	free(data);
	tl_case = "bad rule files";
	CHECK(n >= 20);
}

static void test_lint(void)
{
	struct pm_err err;
	struct pm_rules *r = load_text("list unused = a\n"
				       "list dup = b, B, c*\n"
				       "list empty = \"--\"\n"
				       "tag never threshold 5\n"
				       "rule never/r weight 2: $dup OR $empty\n"
				       "tag lonely\n"
				       "list lower = =icc\n"
				       "tag t\n"
				       "rule t/r: $lower\n"
				       "rule t/z weight 0: $lower\n", &err);
	json_t *w = json_array();

	TEST("lint");
	CHECK(r != NULL);
	if (!r) {
		fprintf(stderr, "  %s\n", err.msg);
		json_decref(w);
		return;
	}
	CHECK_INT(pm_rules_lint(r, w), 7);
	const char *want[] = { ":1:1: warning: list 'unused' is never used",
			       ":2:15: warning: term 'B' repeats 'b' at line 2",
			       ":3:14: warning: term '--' folds to nothing and can never match",
			       ":4:1: warning: tag 'never' can never be emitted: its positive weights sum to 2, below its threshold 5",
			       ":6:1: warning: tag 'lonely' has no rules",
			       ":7:14: warning: exact-case term '=icc' has no capital letter",
			       ":10:1: warning: rule 't/z' has weight 0 and changes nothing" };
	for (size_t i = 0; i < 7 && i < json_array_size(w); i++) {
		const char *got = json_string_value(json_array_get(w, i));
		int ok = got && strstr(got, want[i]) != NULL;
		if (!ok)
			fprintf(stderr, "  lint %zu: %s\n", i, got ? got : "(null)");
		CHECK(ok);
	}
	json_decref(w);
	pm_rules_free(r);

	/* the shipped taxonomy lints clean */
	TEST("taxonomy lints clean");
	CHECK_INT(pm_rules_load_dir("classify/rules", &r, &err), 0);
	w = json_array();
	CHECK_INT(pm_rules_lint(r, w), 0);
	json_decref(w);
	pm_rules_free(r);
}

/* Operators, scopes, exact case, folding, languages, offsets. */
static void test_semantics(void)
{
	struct pm_err err;
	struct pm_rules *r = load_text(
		"tag near\nrule near/r: arrest NEAR/2 warrant\n"
		"tag sent\nrule sent/r: arrest SENT warrant\n"
		"tag notnear\nrule notnear/r: =ICC NOT NEAR/1 cricket\n"
		"tag title\nrule title/r: title:court\n"
		"tag lead\nrule lead/r: lead:late\n"
		"tag exact\nrule exact/r: =ICC\n"
		"tag fold\nrule fold/r: \"Cour pénale internationale\"\n"
		"tag prefix\nrule prefix/r: arrest*\n"
		"tag phrase-prefix\nrule phrase-prefix/r: \"mandat* d'arrêt\"\n"
		"list fr_only [fr] = prix\n"
		"tag lang\nrule lang/r: $fr_only\n"
		"tag score threshold 3\n"
		"rule score/a weight 2: court\nrule score/b weight 2: judge\nrule score/neg weight -2: cricket\n"
		"tag dep\nrule dep/r: @exact AND court\n"
		"tag cjk\nrule cjk/r: \"国际刑事法院\"\n"
		"tag not\nrule not/r: court AND NOT zebra\n", &err);
	struct pm_doc d = { NULL, NULL, NULL, NULL };
	json_t *res, *t, *e;

	TEST("semantics");
	CHECK(r != NULL);
	if (!r) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	d.title = "The court rules";
	d.text = "An arrest was made. A warrant followed.\n\nThe icc said. COUR PENALE "
		 "INTERNATIONALE. Mandats d'arrêt. Arrested ICC cricket.\n\nLate news.";
	res = pm_classify(r, &d);
	CHECK(find_tag(res, "near") == NULL);          /* 4 words apart */
	CHECK(find_tag(res, "sent") == NULL);          /* two sentences */
	CHECK(find_tag(res, "notnear") == NULL);       /* ICC right before cricket */
	CHECK(find_tag(res, "title") != NULL);
	CHECK(find_tag(res, "lead") == NULL);          /* third paragraph */
	CHECK(find_tag(res, "exact") != NULL);         /* "ICC", not "icc" */
	CHECK(find_tag(res, "fold") != NULL);
	CHECK(find_tag(res, "prefix") != NULL);
	CHECK(find_tag(res, "phrase-prefix") != NULL);
	CHECK(find_tag(res, "lang") == NULL);          /* no "prix" at all */
	CHECK(find_tag(res, "score") == NULL);         /* 2 - 2 < 3 */
	CHECK(find_tag(res, "dep") != NULL);
	CHECK(find_tag(res, "not") != NULL);
	/* evidence offsets of the exact acronym: the upper-case one only */
	t = find_tag(res, "exact");
	CHECK_INT(json_array_size(json_object_get(t, "evidence")), 1);
	e = json_array_get(json_object_get(t, "evidence"), 0);
	const char *icc_at = strstr(d.text, "ICC");
	CHECK_INT(json_integer_value(json_object_get(e, "start")), icc_at - d.text);
	CHECK_INT(json_integer_value(json_object_get(e, "end")), icc_at - d.text + 3);
	CHECK_STR(json_string_value(json_object_get(e, "text")), "ICC");
	CHECK_STR(json_string_value(json_object_get(e, "field")), "text");
	CHECK_STR(json_string_value(json_object_get(e, "rule")), "exact/r");
	t = find_tag(res, "fold");
	e = json_array_get(json_object_get(t, "evidence"), 0);
	CHECK_STR(json_string_value(json_object_get(e, "text")), "COUR PENALE INTERNATIONALE");
	t = find_tag(res, "title");
	e = json_array_get(json_object_get(t, "evidence"), 0);
	CHECK_STR(json_string_value(json_object_get(e, "field")), "title");
	CHECK_INT(json_integer_value(json_object_get(e, "start")), 4);
	CHECK_INT(json_integer_value(json_object_get(e, "end")), 9);
	check_evidence(res, &d, "semantics");
	/* tags sorted by name */
	size_t i;
	const char *prev = "";
	json_array_foreach(json_object_get(res, "tags"), i, t) {
		const char *name = json_string_value(json_object_get(t, "tag"));
		CHECK(strcmp(prev, name) < 0);
		prev = name;
	}
	json_decref(res);

	/* the positive cases of the same operators */
	d.title = "";
	d.text = "The arrest warrant was served; ICC judges met. La court judge. prix. 国际刑事法院";
	d.lang = "fr-FR";
	res = pm_classify_ex(r, &d, PM_CLASSIFY_EXPLAIN);
	CHECK(find_tag(res, "near") != NULL);
	CHECK(find_tag(res, "sent") != NULL);
	CHECK(find_tag(res, "notnear") != NULL);
	CHECK(find_tag(res, "lead") == NULL);
	CHECK(find_tag(res, "lang") != NULL);
	CHECK(find_tag(res, "score") != NULL);
	CHECK(find_tag(res, "cjk") != NULL);
	t = find_tag(res, "score");
	CHECK_INT(json_integer_value(json_object_get(t, "score")), 4);
	CHECK_INT(json_integer_value(json_object_get(t, "threshold")), 3);
	CHECK_INT(json_array_size(json_object_get(t, "rules")), 2);
	CHECK(json_is_array(json_object_get(res, "below_threshold")));
	t = find_tag(res, "cjk");
	e = json_array_get(json_object_get(t, "evidence"), 0);
	CHECK_STR(json_string_value(json_object_get(e, "text")), "国际刑事法院");
	check_evidence(res, &d, "semantics 2");
	json_decref(res);
	d.lang = "en";
	res = pm_classify(r, &d);
	CHECK(find_tag(res, "lang") == NULL);          /* a French list on English */
	json_decref(res);
	pm_rules_free(r);
}

static void test_article(const struct pm_rules *r)
{
	json_t *a = json_pack("{s:s, s:s, s:s, s:[s, s]}", "title", "ICC judges issue warrant",
			      "text", "The International Criminal Court issued an arrest warrant.",
			      "url", "https://example.org/a", "feed_tags", "africa-desk", "icc");
	json_t *out = pm_classify_article(r, a);

	TEST("pm_classify_article");
	CHECK(out != NULL && out != a);
	CHECK_STR(json_string_value(json_object_get(out, "url")), "https://example.org/a");
	CHECK(find_tag(out, "icc") != NULL);
	CHECK(find_tag(out, "arrest-warrant") != NULL);
	json_t *ft = find_tag(out, "africa-desk");
	CHECK(ft != NULL);
	CHECK_INT(json_integer_value(json_object_get(ft, "score")), 1);
	CHECK_INT(json_array_size(json_object_get(ft, "evidence")), 0);
	/* "icc" from the feed does not replace the rules' evidence */
	CHECK(json_array_size(json_object_get(find_tag(out, "icc"), "evidence")) > 0);
	CHECK(json_is_array(json_object_get(out, "misinfo")));
	CHECK(json_object_get(a, "tags") == NULL); /* the input is untouched */
	json_decref(out);
	json_decref(a);
	CHECK(pm_classify_article(r, NULL) == NULL);
}

/* Random bytes as rules never crash; every failure names file:line:col. */
static void test_garbage_rules(void)
{
	const char alphabet[] = "tag rule list claim when $@()=,:/*\"NEAR/3 AND OR NOT SENT a b \n\n  # x\xC3\xA9";
	unsigned seed = 12345;

	TEST("garbage rules");
	for (int round = 0; round < 300; round++) {
		char text[200];
		size_t n = 1 + (seed % (sizeof(text) - 1));
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		text[n - 1] = '\0';
		struct pm_err err;
		struct pm_rules *r = load_text(text, &err);
		if (!r) {
			CHECK_INT(err.code, PM_EINPUT);
			CHECK(strstr(err.msg, ".rules:") != NULL);
		} else {
			struct pm_doc d = { "a b", NULL, "a NEAR b tag rule", NULL };
			json_t *res = pm_classify(r, &d);
			CHECK(res != NULL);
			json_decref(res);
			pm_rules_free(r);
		}
	}
}

/* Matching time grows with the text, not with text x rules. */
static void test_large_text(const struct pm_rules *r)
{
	const char *para = "The International Criminal Court said the ICC prosecutor asked judges "
			   "for an arrest warrant; the UN Security Council met in New York. ";
	size_t plen = strlen(para), reps = 20000;
	char *big = xmalloc(plen * reps + 1);
	struct pm_doc d = { "ICC", NULL, NULL, "en" };
	clock_t t0;
	double secs;

	TEST("large text");
	for (size_t i = 0; i < reps; i++)
		memcpy(big + i * plen, para, plen);
	big[plen * reps] = '\0';
	d.text = big;
	t0 = clock();
	json_t *res = pm_classify(r, &d);
	secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	printf("large text: %zu bytes classified in %.2f s\n", plen * reps, secs);
	CHECK(find_tag(res, "icc") != NULL);
	CHECK(json_array_size(json_object_get(find_tag(res, "icc"), "evidence")) <= 20);
	json_decref(res);
	free(big);
}

/* A feed often repeats its summary in the body: one flag per sentence. */
static void test_misinfo_once(struct pm_rules *r)
{
	const char *s = "Nepal will join the UN court in The Hague, the International Criminal Court.";
	struct pm_doc d = { "Nepal", s, s, "en" };
	json_t *res = pm_classify(r, &d);

	TEST("a claim in summary and body is flagged once");
	CHECK_INT(json_array_size(json_object_get(res, "misinfo")), 1);
	json_decref(res);
}

/* A flag quotes the sentence that makes the claim, not every sentence
 * that names the Court. */
static void test_misinfo_quotes_claim(struct pm_rules *r)
{
	struct pm_doc d = { "Warrants", NULL,
			    "The International Criminal Court issued two warrants on Monday. "
			    "The ministry said the country is not a party to the treaty, so the warrants are null and void. "
			    "The ICC did not comment.", "en" };
	json_t *res = pm_classify(r, &d), *m = json_array_get(json_object_get(res, "misinfo"), 0);

	TEST("a flag quotes only the claim's sentence");
	CHECK_INT(json_array_size(json_object_get(res, "misinfo")), 1);
	CHECK_STR(json_string_value(json_object_get(m, "sentence")),
		  "The ministry said the country is not a party to the treaty, so the warrants are null and void.");
	json_decref(res);
}

int main(void)
{
	struct pm_rules *r = NULL;
	struct pm_err err;

	pm_err_init(&err);
	TEST("load classify/rules");
	if (pm_rules_load_dir("classify/rules", &r, &err)) {
		fprintf(stderr, "cannot load rules: %s\n", err.msg);
		CHECK(0);
		return tl_summary();
	}
	test_cases(r);
	test_misinfo(r);
	test_misinfo_once(r);
	test_misinfo_quotes_claim(r);
	test_every_claim_tested();
	test_bad_rules();
	test_lint();
	test_semantics();
	test_article(r);
	test_garbage_rules();
	test_large_text(r);
	pm_rules_free(r);
	return tl_summary();
}
