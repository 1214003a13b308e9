/* bench/bench_text: throughput of the core/text tokenizer (the work every
 * classified article and every full-text-indexed word goes through) on a
 * file cut into article-sized pieces (at a paragraph break after CHUNK
 * bytes, 5,000 by default; 0 = the whole file at once), in MB/s of wall time
 * and of CPU time, and tokens/s. Beside it, a plain utf8proc_map call with
 * the same folding (NFKC, case fold, marks stripped, ignorables removed) on
 * the same pieces, and a check that every token is byte for byte what
 * utf8proc_map makes of the token's source text (plus the Arabic letter-form
 * folding utf8proc does not do).
 * usage: bench_text FILE [ROUNDS [CHUNK]] */
#include "core/mem.h"
#include "core/text.h"
#include "core/text_fold.h"
#include "core/time.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define MAP_FLAGS (UTF8PROC_STABLE | UTF8PROC_COMPAT | UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | \
		   UTF8PROC_STRIPMARK | UTF8PROC_IGNORE)

/* Tokens whose folded form differs from utf8proc_map of their source. */
static size_t differences(const char *s, size_t len, struct pm_tokens *t)
{
	size_t bad = 0;

	pm_text_tokenize(s, len, t);
	for (size_t i = 0; i < t->n; i++) {
		char ref[1100];
		size_t rl = pm_fold_reference(s + t->v[i].start, t->v[i].end - t->v[i].start, ref,
					      sizeof(ref));

		if (rl != t->v[i].norm_len || memcmp(ref, pm_token_str(t, i), rl)) {
			if (bad < 3)
				fprintf(stderr, "bench_text: token '%s' but utf8proc_map gives '%.*s'\n",
					pm_token_str(t, i), (int)rl, ref);
			bad++;
		}
	}
	return bad;
}

int main(int argc, char **argv)
{
	FILE *f;
	char *data;
	long len;
	int rounds = argc > 2 ? atoi(argv[2]) : 5;
	size_t chunk = argc > 3 ? (size_t)atol(argv[3]) : 5000, pieces = 0;
	struct pm_tokens t;
	size_t tokens = 0, *cut = NULL, acut = 0;
	int64_t start, ms;
	double c0, cpu, mcpu;
	size_t mapfail = 0, diff = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: bench_text FILE [ROUNDS [CHUNK]]\n");
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
	data[len] = '\0';
	fclose(f);
	/* the pieces, cut before the clock starts */
	{
		size_t at = 0;
		while (at < (size_t)len) {
			size_t n = (size_t)len - at;
			if (chunk && n > chunk) {
				const char *br = strstr(data + at + chunk, "\n\n");
				n = br ? (size_t)(br - (data + at)) + 2 : n;
			}
			XGROW(cut, acut, pieces + 1);
			cut[pieces++] = at + n;
			at += n;
		}
	}
	pm_tokens_init(&t);
	start = pm_mono_ms();
	c0 = cpu_s();
	for (int r = 0; r < rounds; r++) {
		size_t at = 0;
		for (size_t p = 0; p < pieces; p++) {
			pm_text_tokenize(data + at, cut[p] - at, &t);
			tokens += t.n;
			at = cut[p];
		}
	}
	ms = pm_mono_ms() - start;
	cpu = cpu_s() - c0;
	if (ms < 1)
		ms = 1;
	if (cpu < 0.001)
		cpu = 0.001;
	/* the peer: one utf8proc_map call per piece, same rounds */
	c0 = cpu_s();
	for (int r = 0; r < rounds; r++) {
		size_t at = 0;
		for (size_t p = 0; p < pieces; p++) {
			utf8proc_uint8_t *m = NULL;
			if (utf8proc_map((const utf8proc_uint8_t *)data + at,
					 (utf8proc_ssize_t)(cut[p] - at), &m, MAP_FLAGS) < 0)
				mapfail++;
			free(m);
			at = cut[p];
		}
	}
	mcpu = cpu_s() - c0;
	if (mcpu < 0.001)
		mcpu = 0.001;
	{
		size_t at = 0;
		for (size_t p = 0; p < pieces; p++) {
			diff += differences(data + at, cut[p] - at, &t);
			at = cut[p];
		}
	}
	printf("{\"bytes\":%ld,\"pieces\":%zu,\"rounds\":%d,\"ms\":%lld,\"mb_per_s\":%.1f,"
	       "\"mb_per_cpu_s\":%.1f,\"tokens_per_s\":%.0f,\"utf8proc_map_mb_per_cpu_s\":%.1f,"
	       "\"utf8proc_map_failed\":%zu,\"tokens_unlike_utf8proc_map\":%zu}\n",
	       len, pieces, rounds, (long long)ms, (double)len * rounds / 1e6 / (ms / 1000.0),
	       (double)len * rounds / 1e6 / cpu, tokens / (ms / 1000.0),
	       (double)len * rounds / 1e6 / mcpu, mapfail, diff);
	pm_tokens_release(&t);
	free(cut);
	free(data);
	return 0;
}
