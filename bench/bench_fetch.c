/* bench/bench_fetch: one fetcher (fetch/fetch.h on a real Redis) polling
 * every feed of a feeds.conf once, as `pressmon fetch --once` does, timed.
 * usage: bench_fetch CONFIG REDIS_URL CONCURRENCY
 *
 * Drives the engine directly rather than through `pressmon fetch --once`:
 * the per-host politeness (2 connections, 1 s apart) that the command line
 * keeps is lifted (per_host = CONCURRENCY, no delay), since all feeds live
 * on one benchmark server, and nothing else runs in the process. Prints
 * one JSON line: requests, wall seconds of the fetch loop (scheduling the
 * feeds, done once when a worker starts, is timed apart), requests/s, CPU
 * seconds of this process per 1,000 requests, peak RSS, and the number of
 * documents written to raw (200s; 304s write none).
 *
 * With BENCH_PERF_CTL=CTL,ACK (two fifos, as `perf record -D -1 --control
 * fifo:CTL,ACK` takes them), perf is enabled around the fetch loop only,
 * so a profile leaves out loading 5,000 feeds and scheduling them. */
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "fetch/fetch.h"
#include "queue/queue.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Sends "enable" or "disable" to perf's control fifo and waits for its
 * ack; without BENCH_PERF_CTL, or when the fifos do not open, nothing. */
static void perf_ctl(const char *cmd)
{
	const char *spec = getenv("BENCH_PERF_CTL");
	char ctl[512], ack[8];
	const char *comma;
	int fd;

	if (!spec || !(comma = strchr(spec, ',')) || (size_t)(comma - spec) >= sizeof(ctl))
		return;
	memcpy(ctl, spec, (size_t)(comma - spec));
	ctl[comma - spec] = '\0';
	if ((fd = open(ctl, O_WRONLY)) < 0)
		return;
	if (write(fd, cmd, strlen(cmd)) < 0) {
		close(fd);
		return;
	}
	close(fd);
	if ((fd = open(comma + 1, O_RDONLY)) < 0)
		return;
	if (read(fd, ack, sizeof(ack)) < 0) { /* "ack\n": perf has switched */
	}
	close(fd);
}

int main(int argc, char **argv)
{
	struct pm_config cfg;
	struct pm_queue_opts qo;
	struct pm_queue *q = NULL;
	struct pm_fetch_opts fo;
	struct pm_fetcher *f = NULL;
	struct pm_err err;
	struct rusage ru;
	long long raw0, raw1;
	int64_t t0, t1, t2;
	double c0, c1;
	int active = 1, rc = 1, turns = 0;
	char *end;
	long conc;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_fetch CONFIG REDIS_URL CONCURRENCY\n");
		return 2;
	}
	conc = strtol(argv[3], &end, 10);
	if (*end || conc < 1 || conc > 10000) {
		fprintf(stderr, "bench_fetch: concurrency '%s' is not a number from 1 to 10000\n", argv[3]);
		return 2;
	}
	pm_log_set_level(PM_LOG_WARN);
	pm_err_init(&err);
	pm_config_init(&cfg);
	if (pm_config_load(&cfg, argv[1], &err) < 0)
		goto fail;
	pm_queue_opts_init(&qo);
	qo.url = argv[2];
	qo.prefix = cfg.prefix;
	if (pm_queue_connect(&qo, &q, &err) < 0)
		goto fail;
	pm_fetch_opts_init(&fo);
	fo.concurrency = (int)conc;
	fo.per_host = (int)conc;
	fo.host_delay_ms = 0;
	fo.once = 1;
	fo.consumer = "bench";
	fo.version = "bench";
	if (pm_fetcher_new(&cfg, q, &fo, &f, &err) < 0)
		goto fail;
	raw0 = pm_queue_stream_len(q, PM_STREAM_RAW);
	t0 = pm_mono_ms();
	if (pm_fetcher_schedule(f, 1, &err) < 0)
		goto fail;
	t1 = pm_mono_ms();
	perf_ctl("enable\n");
	c0 = cpu_s();
	while (active > 0) {
		if (pm_fetcher_step(f, 1000, &active, &err) < 0)
			goto fail;
		turns++;
	}
	t2 = pm_mono_ms();
	c1 = cpu_s();
	perf_ctl("disable\n");
	raw1 = pm_queue_stream_len(q, PM_STREAM_RAW);
	getrusage(RUSAGE_SELF, &ru);
	{
		double secs = (double)(t2 - t1) / 1000.0;
		size_t n = cfg.nsources;
		printf("{\"concurrency\": %ld, \"requests\": %zu, \"seconds\": %.3f, "
		       "\"req_per_s\": %.0f, \"cpu_s\": %.3f, \"cpu_s_per_1000\": %.4f, "
		       "\"maxrss_mib\": %.1f, \"raw_written\": %lld, \"schedule_s\": %.3f, "
		       "\"turns\": %d}\n",
		       conc, n, secs, secs > 0 ? (double)n / secs : 0.0, c1 - c0,
		       n ? (c1 - c0) * 1000.0 / (double)n : 0.0, (double)ru.ru_maxrss / 1024.0,
		       raw1 - raw0, (double)(t1 - t0) / 1000.0, turns);
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "bench_fetch: %s\n", err.msg);
out:
	pm_fetcher_free(f);
	pm_queue_free(q);
	pm_config_release(&cfg);
	return rc;
}
