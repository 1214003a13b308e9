/* bench/bench_parse: throughput of pm_parse_document on a list of files
 * (feeds or pages), in documents/s, entries/s and MB/s.
 * usage: bench_parse ROUNDS FILE...   (prints one JSON line) */
#include "core/mem.h"
#include "core/time.h"
#include "parse/parse.h"

#include <stdio.h>
#include <stdlib.h>

struct doc {
	char *data;
	size_t len;
};

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 3, n = argc - 2;
	struct doc *docs;
	size_t bytes = 0, entries = 0, failed = 0;
	int64_t start, ms;

	if (argc < 3 || rounds < 1) {
		fprintf(stderr, "usage: bench_parse ROUNDS FILE...\n");
		return 2;
	}
	docs = xcalloc((size_t)n, sizeof(*docs));
	for (int i = 0; i < n; i++) {
		FILE *f = fopen(argv[i + 2], "rb");
		long len;
		if (!f) {
			perror(argv[i + 2]);
			return 2;
		}
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		docs[i].data = xmalloc((size_t)len + 1);
		docs[i].len = fread(docs[i].data, 1, (size_t)len, f);
		fclose(f);
		bytes += docs[i].len;
	}
	start = pm_mono_ms();
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++) {
			struct pm_err err;
			json_t *j;
			pm_err_init(&err);
			j = pm_parse_document(docs[i].data, docs[i].len, "http://example.org/feed",
					      NULL, NULL, &err);
			if (!j) {
				failed++;
				continue;
			}
			if (r == 0)
				entries += json_array_size(json_object_get(j, "entries"));
			json_decref(j);
		}
	ms = pm_mono_ms() - start;
	if (ms < 1)
		ms = 1;
	printf("{\"docs\":%d,\"rounds\":%d,\"entries\":%zu,\"failed\":%zu,\"ms\":%lld,"
	       "\"docs_per_s\":%.0f,\"entries_per_s\":%.0f,\"mb_per_s\":%.2f}\n",
	       n, rounds, entries, failed / (size_t)rounds, (long long)ms,
	       (double)n * rounds / (ms / 1000.0), (double)entries * rounds / (ms / 1000.0),
	       (double)bytes * rounds / 1e6 / (ms / 1000.0));
	for (int i = 0; i < n; i++)
		free(docs[i].data);
	free(docs);
	return 0;
}
