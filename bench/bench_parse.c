/* bench/bench_parse: feed parsing throughput of pm_parse_document() over a
 * set of files held in memory, in feeds/s, entries/s and MB/s (one JSON
 * line). usage: bench_parse ROUNDS FILE...
 * bench_parse --stage ROUNDS FILE... also does the rest of the parse stage's
 * CPU work per feed (article objects, their JSON text), without Redis.
 * bench_parse --dump reads "PATH<TAB>URL<TAB>CONTENT-TYPE" lines on stdin
 * (URL and type may be empty) and prints, per document, the parse output
 * and the pipeline's article objects, so that bench/parse_same.sh can show
 * that a faster parser still writes the same bytes. Documents are parsed
 * through one struct pm_parser, as the parse worker parses them; --dump
 * also parses each alone (pm_parse_document) and stops if the two differ,
 * so that no document's output depends on the one before it. */
#include "core/err.h"
#include "core/mem.h"
#include "core/time.h"
#include "parse/parse.h"
#include "queue/stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct doc {
	char *data;
	size_t len;
};

/* Whole file into memory, so that the timed loop measures parsing only. */
static int load(const char *path, struct doc *d)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f) {
		fprintf(stderr, "bench_parse: cannot open '%s'\n", path);
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "bench_parse: cannot read '%s'\n", path);
		fclose(f);
		return -1;
	}
	d->data = xmalloc((size_t)len + 1);
	d->len = fread(d->data, 1, (size_t)len, f);
	d->data[d->len] = '\0';
	fclose(f);
	return 0;
}

/* the contexts kept from one document to the next, as in a parse worker */
static struct pm_parser *parser;

static json_t *parse_one(const struct doc *d)
{
	struct pm_parse_opts opts = { 0 };
	struct pm_err err;

	pm_err_init(&err);
	return pm_parse_document_with(parser, d->data, d->len, NULL, NULL, &opts, &err);
}

/* What parse/stage.c does with a feed besides parsing it, short of Redis:
 * the article objects and the JSON text each XADD carries. */
static void stage_one(json_t *doc, json_t *source, json_t *tags)
{
	json_t *arts, *pages = NULL, *a;
	size_t i;

	if (!doc)
		return;
	arts = pm_articles_from_feed(doc, source, "en", tags, "2026-11-27T00:00:00Z", 0, &pages);
	json_array_foreach(arts, i, a)
		free(pm_article_json(a, NULL));
	json_decref(arts);
	json_decref(pages);
}

/* Everything the parse stage derives from one document, as one line. The
 * source, language, tags and fetch time are fixed stand-ins: what varies is
 * the document. */
static void dump_one(const char *path, const struct doc *d, const char *url, const char *ctype)
{
	struct pm_parse_opts opts = { 0 };
	struct pm_err err;
	json_t *o, *source, *tags, *arts = NULL, *pages = NULL;
	char *s;

	pm_err_init(&err);
	o = pm_parse_document_with(parser, d->data, d->len, url, ctype, &opts, &err);
	{
		/* a fresh parser must say the same, error or object */
		struct pm_err ferr;
		json_t *fresh;
		char *a, *b;

		pm_err_init(&ferr);
		fresh = pm_parse_document(d->data, d->len, url, ctype, &opts, &ferr);
		a = o ? json_dumps(o, JSON_COMPACT) : xasprintf("NULL %d %s", err.code, err.msg);
		b = fresh ? json_dumps(fresh, JSON_COMPACT)
			  : xasprintf("NULL %d %s", ferr.code, ferr.msg);
		if (!a || !b || strcmp(a, b)) {
			fprintf(stderr, "bench_parse: %s: the reused parser's output differs "
				"from a fresh parser's\n", path);
			exit(3);
		}
		free(a);
		free(b);
		json_decref(fresh);
	}
	if (!o) {
		printf("%s\tNULL %d %s\n", path, err.code, err.msg);
		return;
	}
	source = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", "src", "name", "Source", "country", "NL",
			   "region", "europe", "type", "ngo");
	tags = json_pack("[s]", "icc");
	if (!strcmp(json_string_value(json_object_get(o, "kind")), "feed")) {
		arts = pm_articles_from_feed(o, source, "en", tags, "2026-11-27T00:00:00Z", 1, &pages);
	} else {
		json_t *stub = json_pack("{s:s,s:s,s:s,s:n}", "id", "0123456789abcdef", "url",
					 url ? url : "http://example.org/", "text", "A short summary.",
					 "lang");
		arts = json_pack("[o]", pm_article_merge_page(stub, o));
		json_decref(stub);
	}
	s = json_dumps(o, JSON_COMPACT);
	printf("%s\t%s\t", path, s);
	free(s);
	s = json_dumps(arts, JSON_COMPACT);
	printf("%s\t", s);
	free(s);
	{
		/* the queue's article writer must say what json_dumps says */
		size_t i;
		json_t *a;
		json_array_foreach(arts, i, a) {
			char *want = json_dumps(a, JSON_COMPACT), *got = pm_article_json(a, NULL);
			if (!want || !got || strcmp(want, got)) {
				fprintf(stderr, "bench_parse: %s: article %zu: pm_article_json "
					"differs from json_dumps\n", path, i);
				exit(3);
			}
			free(want);
			free(got);
		}
	}
	s = pages ? json_dumps(pages, JSON_COMPACT) : NULL;
	printf("%s\n", s ? s : "-");
	free(s);
	json_decref(pages);
	json_decref(arts);
	json_decref(tags);
	json_decref(source);
	json_decref(o);
}

static int dump(void)
{
	char line[8192];

	while (fgets(line, sizeof(line), stdin)) {
		char *path = line, *url = NULL, *ctype = NULL, *t;
		struct doc d;

		line[strcspn(line, "\n")] = '\0';
		if ((t = strchr(path, '\t'))) {
			*t = '\0';
			url = t + 1;
			if ((t = strchr(url, '\t'))) {
				*t = '\0';
				ctype = t + 1;
			}
		}
		if (load(path, &d) != 0)
			return 2;
		dump_one(path, &d, url && *url ? url : NULL, ctype && *ctype ? ctype : NULL);
		free(d.data);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rounds, nfiles, stage = 0;
	json_t *source, *tags;
	struct doc *docs;
	size_t bytes = 0, entries = 0, bozo = 0, failed = 0;
	int64_t start, ms;
	clock_t cpu0;
	double cpu_ms;

	parser = pm_parser_new();
	if (argc == 2 && !strcmp(argv[1], "--dump")) {
		int rc = dump();
		pm_parser_free(parser);
		return rc;
	}
	if (argc > 1 && !strcmp(argv[1], "--stage")) {
		stage = 1;
		argv++;
		argc--;
	}
	if (argc < 3 || (rounds = atoi(argv[1])) < 1) {
		fprintf(stderr, "usage: bench_parse [--stage] ROUNDS FILE...\n");
		return 2;
	}
	source = json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", "src", "name", "Source", "country", "NL",
			   "region", "europe", "type", "ngo");
	tags = json_pack("[s]", "icc");
	nfiles = argc - 2;
	docs = xcalloc((size_t)nfiles, sizeof *docs);
	for (int i = 0; i < nfiles; i++) {
		if (load(argv[i + 2], &docs[i]) != 0)
			return 2;
		bytes += docs[i].len;
	}
	/* an untimed first pass warms up (libxml2's and utf8proc's tables,
	 * the allocator) and counts, for the sanity check against the peer */
	for (int i = 0; i < nfiles; i++) {
		json_t *o = parse_one(&docs[i]);

		if (!o) {
			failed++;
			continue;
		}
		entries += json_array_size(json_object_get(o, "entries"));
		bozo += json_is_true(json_object_get(o, "bozo"));
		json_decref(o);
	}
	/* CPU time beside wall time: on a shared machine the wall clock
	 * also counts the other tenants */
	cpu0 = clock();
	start = pm_mono_ms();
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < nfiles; i++) {
			json_t *o = parse_one(&docs[i]);
			if (stage)
				stage_one(o, source, tags);
			json_decref(o);
		}
	ms = pm_mono_ms() - start;
	cpu_ms = (double)(clock() - cpu0) * 1000.0 / CLOCKS_PER_SEC;
	if (ms < 1)
		ms = 1;
	printf("{\"feeds\":%d,\"entries\":%zu,\"bozo\":%zu,\"failed\":%zu,\"bytes\":%zu,"
	       "\"rounds\":%d,\"ms\":%lld,\"cpu_ms\":%.0f,\"cpu_us_per_entry\":%.2f,"
	       "\"feeds_per_s\":%.0f,\"entries_per_s\":%.0f,\"mb_per_s\":%.1f}\n",
	       nfiles, entries, bozo, failed, bytes, rounds, (long long)ms, cpu_ms,
	       entries ? cpu_ms * 1000.0 / ((double)entries * rounds) : 0.0,
	       (double)nfiles * rounds / (ms / 1000.0), (double)entries * rounds / (ms / 1000.0),
	       (double)bytes * rounds / 1e6 / (ms / 1000.0));
	for (int i = 0; i < nfiles; i++)
		free(docs[i].data);
	free(docs);
	pm_parser_free(parser);
	json_decref(source);
	json_decref(tags);
	return 0;
}
