/* bench/bench_rules: throughput of the classifier (normalization, term
 * matching and every rule of a rule set) beside Hyperscan matching literal terms.
 * usage: bench_rules classify RULES TEXT [ROUNDS] [DOC_BYTES]   (DOC_BYTES 0: one document)
 *        bench_rules hyperscan TERMS TEXT [ROUNDS]                (one literal term per line)
 *        bench_rules articles RULES NDJSON [ROUNDS]               (the classify stage's work
 *                                                                  per article, without Redis)
 * Prints one JSON line; MB/s is by process CPU time (the machine is shared). */
#include "classify/classify.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef HAVE_HS
#include <hs/hs.h>
#endif

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	if (!f) {
		fprintf(stderr, "bench_rules: cannot open '%s'\n", path);
		exit(2);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = xmalloc((size_t)n + 1);
	if (n < 0 || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fprintf(stderr, "bench_rules: cannot read '%s'\n", path);
		exit(2);
	}
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int bench_classify(const char *rules_path, const char *text_path, int rounds,
			  size_t doc_bytes)
{
	struct pm_rules *rules = NULL;
	struct pm_err err;
	size_t len, tags = 0, docs = 0;
	char *text = slurp(text_path, &len);
	double t0, load_ms, ms;

	pm_err_init(&err);
	t0 = cpu_ms();
	if (pm_rules_load_path(rules_path, &rules, &err)) {
		fprintf(stderr, "bench_rules: %s\n", err.msg);
		return 2;
	}
	load_ms = cpu_ms() - t0;
	t0 = cpu_ms();
	for (int r = 0; r < rounds; r++) {
		/* Documents cut at a space near doc_bytes, as articles of that size. */
		size_t off = 0;

		while (off < len) {
			size_t end = doc_bytes ? off + doc_bytes : len;
			char save;
			struct pm_doc doc = { "", NULL, NULL, "en" };
			json_t *out;

			if (end >= len)
				end = len;
			else
				while (end < len && text[end] != ' ')
					end++;
			save = text[end];
			text[end] = '\0';
			doc.text = text + off;
			out = pm_classify(rules, &doc);
			tags += json_array_size(json_object_get(out, "tags"));
			json_decref(out);
			text[end] = save;
			docs++;
			off = end;
		}
	}
	ms = cpu_ms() - t0;
	if (ms < 1)
		ms = 1;
	printf("{\"engine\":\"pressmon\",\"bytes\":%zu,\"rounds\":%d,\"docs\":%zu,\"load_cpu_ms\":%.0f,"
	       "\"cpu_ms\":%.0f,\"mb_per_s\":%.2f,\"tags\":%zu}\n",
	       len, rounds, docs, load_ms, ms, (double)len * rounds / 1e6 / (ms / 1000.0), tags);
	pm_rules_free(rules);
	free(text);
	return 0;
}

/* What the classify stage does with one entry, minus Redis: decode the
 * article JSON, classify it, encode the tagged article; CPU split in three. */
static int bench_articles(const char *rules_path, const char *path, int rounds)
{
	struct pm_rules *rules = NULL;
	struct pm_err err;
	size_t len, n = 0, tags = 0, out_bytes = 0;
	char *data = slurp(path, &len);
	double t, dec = 0, cls = 0, enc = 0;

	pm_err_init(&err);
	if (pm_rules_load_path(rules_path, &rules, &err)) {
		fprintf(stderr, "bench_rules: %s\n", err.msg);
		return 2;
	}
	for (int r = 0; r < rounds; r++) {
		for (char *line = data; line < data + len;) {
			char *nl = memchr(line, '\n', (size_t)(data + len - line));
			size_t ll = nl ? (size_t)(nl - line) : (size_t)(data + len - line);
			json_t *a, *tagged;
			char *out;

			t = cpu_ms();
			a = json_loadb(line, ll, 0, NULL);
			dec += cpu_ms() - t;
			line += ll + 1;
			if (!json_is_object(a)) {
				json_decref(a);
				continue;
			}
			t = cpu_ms();
			tagged = pm_classify_article(rules, a);
			cls += cpu_ms() - t;
			t = cpu_ms();
			out = json_dumps(tagged, JSON_COMPACT);
			enc += cpu_ms() - t;
			tags += json_array_size(json_object_get(tagged, "tags"));
			out_bytes += strlen(out);
			free(out);
			json_decref(tagged);
			json_decref(a);
			n++;
		}
	}
	if (!n)
		n = 1;
	printf("{\"engine\":\"pressmon-articles\",\"articles\":%zu,\"us_per_article\":%.1f,"
	       "\"decode_us\":%.1f,\"classify_us\":%.1f,\"encode_us\":%.1f,\"tags\":%zu,"
	       "\"out_bytes_per_article\":%zu}\n",
	       n, (dec + cls + enc) * 1e3 / n, dec * 1e3 / n, cls * 1e3 / n, enc * 1e3 / n, tags,
	       out_bytes / n);
	pm_rules_free(rules);
	free(data);
	return 0;
}

#ifdef HAVE_HS
static int on_match(unsigned int id, unsigned long long from, unsigned long long to,
		    unsigned int flags, void *ctx)
{
	(void)id, (void)from, (void)to, (void)flags;
	++*(size_t *)ctx;
	return 0;
}

static int bench_hyperscan(const char *pat_path, const char *text_path, int rounds)
{
	size_t plen, len, n = 0, cap = 64, matches = 0;
	char *pats = slurp(pat_path, &plen), *text = slurp(text_path, &len), *line, *save;
	const char **exprs = xmalloc(cap * sizeof(*exprs));
	unsigned *flags, *ids;
	size_t *lens;
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_scratch_t *scratch = NULL;
	double t0, compile_ms, ms;

	for (line = strtok_r(pats, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (n == cap)
			exprs = xrealloc(exprs, (cap *= 2) * sizeof(*exprs));
		exprs[n++] = line;
	}
	flags = xmalloc((n + 1) * sizeof(*flags));
	ids = xmalloc((n + 1) * sizeof(*ids));
	lens = xmalloc((n + 1) * sizeof(*lens));
	for (size_t i = 0; i < n; i++) {
		/* literals, ASCII-caseless: Hyperscan folds no other case and
		 * normalizes nothing, which is the work pressmon adds */
		flags[i] = HS_FLAG_CASELESS;
		ids[i] = (unsigned)i;
		lens[i] = strlen(exprs[i]);
	}
	t0 = cpu_ms();
	if (hs_compile_lit_multi(exprs, flags, ids, lens, (unsigned)n, HS_MODE_BLOCK, NULL, &db,
				 &cerr) != HS_SUCCESS) {
		fprintf(stderr, "bench_rules: hyperscan: pattern %d: %s\n", cerr->expression,
			cerr->message);
		return 2;
	}
	compile_ms = cpu_ms() - t0;
	if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) {
		fprintf(stderr, "bench_rules: hyperscan: cannot allocate scratch\n");
		return 1;
	}
	t0 = cpu_ms();
	for (int r = 0; r < rounds; r++)
		if (hs_scan(db, text, (unsigned)len, 0, scratch, on_match, &matches) != HS_SUCCESS) {
			fprintf(stderr, "bench_rules: hyperscan: scan failed\n");
			return 1;
		}
	ms = cpu_ms() - t0;
	if (ms < 1)
		ms = 1;
	printf("{\"engine\":\"hyperscan\",\"patterns\":%zu,\"bytes\":%zu,\"rounds\":%d,"
	       "\"compile_cpu_ms\":%.0f,\"cpu_ms\":%.0f,\"mb_per_s\":%.2f,\"matches\":%zu}\n",
	       n, len, rounds, compile_ms, ms, (double)len * rounds / 1e6 / (ms / 1000.0),
	       matches / (size_t)(rounds > 0 ? rounds : 1));
	hs_free_scratch(scratch);
	hs_free_database(db);
	free(flags);
	free(ids);
	free(lens);
	free(exprs);
	free(pats);
	free(text);
	return 0;
}
#endif

int main(int argc, char **argv)
{
	int rounds = argc > 4 ? atoi(argv[4]) : 3;

	if (rounds < 1)
		rounds = 1;
	if (argc >= 4 && !strcmp(argv[1], "classify"))
		return bench_classify(argv[2], argv[3], rounds,
				      argc > 5 ? (size_t)strtoul(argv[5], NULL, 10) : 0);
	if (argc >= 4 && !strcmp(argv[1], "articles"))
		return bench_articles(argv[2], argv[3], rounds);
	if (argc >= 4 && !strcmp(argv[1], "hyperscan")) {
#ifdef HAVE_HS
		return bench_hyperscan(argv[2], argv[3], rounds);
#else
		fprintf(stderr, "bench_rules: built without Hyperscan (libhyperscan-dev)\n");
		return 3;
#endif
	}
	fprintf(stderr, "usage: bench_rules classify RULES TEXT [ROUNDS] [DOC_BYTES]\n"
			"       bench_rules hyperscan TERMS TEXT [ROUNDS]\n"
			"       bench_rules articles RULES NDJSON [ROUNDS]\n");
	return 2;
}
