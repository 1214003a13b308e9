/* bench/bench_text: throughput of the core/text tokenizer (the work every
 * classified article and every full-text-indexed word goes through) on a
 * file, in MB/s and tokens/s. usage: bench_text FILE [ROUNDS] */
#include "core/mem.h"
#include "core/text.h"
#include "core/time.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	FILE *f;
	char *data;
	long len;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	struct pm_tokens t;
	size_t tokens = 0;
	int64_t start, ms;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_text FILE [ROUNDS]\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	data = xmalloc((size_t)len + 1);
	if (fread(data, 1, (size_t)len, f) != (size_t)len) {
		perror(argv[1]);
		return 2;
	}
	fclose(f);
	pm_tokens_init(&t);
	start = pm_mono_ms();
	for (int r = 0; r < rounds; r++) {
		pm_text_tokenize(data, (size_t)len, &t);
		tokens += t.n;
	}
	ms = pm_mono_ms() - start;
	if (ms < 1)
		ms = 1;
	printf("{\"bytes\":%ld,\"rounds\":%d,\"ms\":%lld,\"mb_per_s\":%.1f,\"tokens_per_s\":%.0f}\n",
	       len, rounds, (long long)ms, (double)len * rounds / 1e6 / (ms / 1000.0),
	       tokens / (ms / 1000.0));
	pm_tokens_release(&t);
	free(data);
	return 0;
}
