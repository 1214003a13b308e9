/* cli/worker: the worker commands (fetch, parse, classify, archive) and
 * `run`, which drives all of them in one process over the same streams.
 * One loop serves both: each turn gives every stage one batch. */
#include "archive/archive.h"
#include "archive/stage.h"
#include "cli/health.h"
#include "classify/classify.h"
#include "classify/stage.h"
#include "cli/pipeline.h"
#include "core/log.h"
#include "core/time.h"
#include "fetch/fetch.h"
#include "parse/stage.h"
#include "queue/stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_PARSE, ST_CLASSIFY, ST_ARCHIVE, ST_MAX };

struct runner {
	struct cli_pipeline *p;
	const char *stage;             /* the command: run, fetch, parse, ... */
	struct pm_fetch_opts fo;
	struct pm_fetcher *fetcher;
	struct pm_stage stages[ST_MAX];
	int have[ST_MAX];
	size_t processed[ST_MAX];
	size_t upstream[ST_MAX];       /* done by the stage before since this one ran */
	int once;
	size_t batch;
	int batch_given;       /* --batch was given: it applies to every stage */
};

#define HEALTH_EVERY_MS 60000

/* Saves every feed's state into the archive, so that a digest written
 * after the pipeline (and its Redis) stopped still has feed health. */
static void save_health(struct runner *r)
{
	struct pm_err err;
	struct pm_archive *a = NULL;
	json_t *h;

	pm_err_init(&err);
	h = cli_feed_health(r->p, &err);
	if (!h || pm_archive_open(r->p->env.db, PM_ARCHIVE_WRITE, &a, &err) < 0 ||
	    pm_archive_feed_health_put(a, h, &err) < 0)
		pm_warn("feed_health_not_saved", "error=\"%s\"", err.msg);
	pm_archive_close(a);
	json_decref(h);
}

static int drained(struct runner *r, int fetch_active, struct pm_err *err)
{
	long long pending;

	if (fetch_active)
		return 0;
	if (r->fetcher) {
		struct pm_group_info gi;
		if (pm_queue_group(r->p->q, PM_STREAM_PAGES, "fetch", err) < 0 ||
		    pm_queue_group_info(r->p->q, PM_STREAM_PAGES, "fetch", &gi, err) < 0)
			return -1;
		if (gi.pending > 0 || gi.lag > 0)
			return 0;
	}
	for (int i = 0; i < ST_MAX; i++) {
		if (!r->have[i])
			continue;
		if (pm_stage_pending(r->p->q, &r->stages[i], &pending, err) < 0)
			return -1;
		if (pending > 0)
			return 0;
	}
	return 1;
}

static int runner_reload(struct runner *r);

static int runner_loop(struct runner *r)
{
	int backoff = 0, nstages = 0;
	int64_t health_at = pm_mono_ms() + HEALTH_EVERY_MS;
	struct pm_err err;

	for (int i = 0; i < ST_MAX; i++)
		nstages += r->have[i];
	while (!cli_stop) {
		size_t progress = 0, done;
		int active = 0, failed = 0;

		if (cli_reload) {
			cli_reload = 0;
			if (runner_reload(r) < 0)
				return PM_ERUNTIME;
		}

		pm_err_init(&err);
		if (r->fetcher) {
			int wait = nstages ? 0 : (r->once ? 200 : 1000);
			if (pm_fetcher_step(r->fetcher, wait, &active, &err) < 0)
				failed = 1;
		}
		for (int i = 0, before = -1; i < ST_MAX && !failed && !cli_stop; i++) {
			int block = (!r->once && nstages == 1 && !r->fetcher) ? 1000 : 0;
			size_t count = r->batch;
			if (!r->have[i])
				continue;
			if (!r->batch_given && r->stages[i].batch) {
				count = r->stages[i].batch;
				/* in one process, a stage with a batch of its own
				 * (archive: a commit per batch) waits while the stage
				 * before it is still filling one */
				if (i > 0 && r->have[i - 1] && before > 0 && r->upstream[i] < count)
					continue;
			}
			done = 0;
			if (pm_stage_step(r->p->q, &r->stages[i], r->p->consumer,
					  count, block, &done, &err) < 0)
				failed = 1;
			r->processed[i] += done;
			r->upstream[i] = 0;
			if (i + 1 < ST_MAX)
				r->upstream[i + 1] += done;
			before = (int)(done > 0);
			progress += done;
		}
		if (failed) {
			if (err.code != PM_EDEP) {
				pm_error("stage_failed", "error=\"%s\"", err.msg);
				return PM_ERUNTIME;
			}
			/* Redis or the database is away: wait and try again */
			backoff = backoff ? (backoff * 2 > 5000 ? 5000 : backoff * 2) : 100;
			pm_warn("dependency_unavailable", "retry_ms=%d error=\"%s\"", backoff, err.msg);
			pm_sleep_ms(backoff);
			continue;
		}
		backoff = 0;
		if (r->have[ST_ARCHIVE] && pm_mono_ms() > health_at) {
			save_health(r);
			health_at = pm_mono_ms() + HEALTH_EVERY_MS;
		}
		if (progress || active)
			continue;
		if (r->once) {
			int d = drained(r, active, &err);
			if (d < 0) {
				pm_warn("drain_check_failed", "error=\"%s\"", err.msg);
				pm_sleep_ms(200);
				continue;
			}
			if (d)
				break;
			/* entries pending with a consumer that died: they are
			 * claimed once idle longer than --claim-idle */
			pm_sleep_ms(200);
		} else if (nstages != 1 || r->fetcher) {
			pm_sleep_ms(200);
		}
	}
	if (r->have[ST_ARCHIVE])
		save_health(r);
	pm_info(cli_stop ? "stopped" : "drained", "parsed=%zu classified=%zu archived=%zu",
		r->processed[ST_PARSE], r->processed[ST_CLASSIFY], r->processed[ST_ARCHIVE]);
	return 0;
}

static void runner_close(struct runner *r)
{
	if (r->have[ST_PARSE])
		pm_parse_stage_release(&r->stages[ST_PARSE]);
	if (r->have[ST_CLASSIFY])
		pm_classify_stage_release(&r->stages[ST_CLASSIFY]);
	if (r->have[ST_ARCHIVE])
		pm_archive_stage_release(&r->stages[ST_ARCHIVE]);
	memset(r->have, 0, sizeof(r->have));
	pm_fetcher_free(r->fetcher);
	r->fetcher = NULL;
}

/* Creates the fetcher and the stages that `stage` runs, from r->p's
 * configuration. */
static int runner_open(struct runner *r, const char *stage, struct pm_fetch_opts *fo,
		       struct pm_err *err)
{
	if (!strcmp(stage, "run") || !strcmp(stage, "fetch")) {
		fo->once = r->once;
		fo->consumer = r->p->consumer;
		fo->version = PM_VERSION;
		if (r->p->cfg.max_body)
			fo->max_body = r->p->cfg.max_body;
		if (pm_fetcher_new(&r->p->cfg, r->p->q, fo, &r->fetcher, err) < 0 ||
		    pm_fetcher_schedule(r->fetcher, r->once, err) < 0)
			return -1;
	}
	if (!strcmp(stage, "run") || !strcmp(stage, "parse")) {
		if (pm_parse_stage_init(&r->stages[ST_PARSE], &r->p->cfg, err) < 0)
			return -1;
		r->have[ST_PARSE] = 1;
	}
	if (!strcmp(stage, "run") || !strcmp(stage, "classify")) {
		if (pm_classify_stage_init(&r->stages[ST_CLASSIFY], r->p->rules_dir, err) < 0)
			return -1;
		r->have[ST_CLASSIFY] = 1;
	}
	if (!strcmp(stage, "run") || !strcmp(stage, "archive")) {
		if (pm_archive_stage_init(&r->stages[ST_ARCHIVE], r->p->env.db, err) < 0)
			return -1;
		r->have[ST_ARCHIVE] = 1;
	}
	return 0;
}

/* SIGHUP: load feeds.conf and the rules anew; only when both are valid are
 * the stages rebuilt on them, so a typo never stops a running worker.
 * Returns -1 if the rebuild itself failed (the worker cannot go on). */
static int runner_reload(struct runner *r)
{
	struct pm_config cfg;
	struct pm_rules *rules = NULL;
	struct pm_err err;

	pm_err_init(&err);
	pm_config_init(&cfg);
	if (pm_config_load(&cfg, r->p->env.config, &err) < 0) {
		pm_error("reload_refused", "error=\"%s\"", err.msg);
		pm_config_release(&cfg);
		return 0;
	}
	if (r->have[ST_CLASSIFY] &&
	    pm_rules_load_dir(cli_pipeline_rules_dir(r->p, &cfg), &rules, &err) < 0) {
		pm_error("reload_refused", "error=\"%s\"", err.msg);
		pm_config_release(&cfg);
		return 0;
	}
	pm_rules_free(rules);
	runner_close(r);
	pm_config_release(&r->p->cfg);
	r->p->cfg = cfg;
	r->p->rules_dir = cli_pipeline_rules_dir(r->p, &r->p->cfg);
	if (runner_open(r, r->stage, &r->fo, &err) < 0) {
		pm_error("reload_failed", "error=\"%s\"", err.msg);
		return -1;
	}
	pm_info("reloaded", "config=%s feeds=%zu rules=%s", r->p->env.config,
		r->p->cfg.nsources, r->p->rules_dir);
	return 0;
}

static void usage_worker(const char *stage)
{
	printf("usage: pressmon %s [--once] [options]\n\n", stage);
	if (!strcmp(stage, "run"))
		printf("Runs every stage (fetch, parse, classify, archive) in one process.\n"
		       "Without --redis/PRESSMON_REDIS it starts a private redis-server on a\n"
		       "unix socket under var/ (PRESSMON_VAR) and stops it on exit.\n");
	else
		printf("Runs the %s worker until SIGTERM/SIGINT (--once: until its input is drained).\n", stage);
	printf("\noptions:\n"
	       "  --once              %s\n"
	       "  --redis URL         redis://[:password@]host:port[/db] or unix:///path (PRESSMON_REDIS)\n"
	       "  --config PATH       feeds.conf (PRESSMON_CONFIG)\n"
	       "  --db PATH           archive database (PRESSMON_DB)\n"
	       "  --rules DIR         rule files (default classify/rules)\n"
	       "  --claim-idle SECS   claim entries pending longer than this with another consumer (60)\n"
	       "  --batch N           entries per turn (64; archive 5000)\n"
	       "  --concurrency N     parallel transfers of the fetcher (64)\n"
	       "  --log-level LEVEL   error, warn, info, debug\n"
	       "  --log-json          log lines as JSON\n",
	       !strcmp(stage, "run") ? "fetch every feed once, work until all streams are drained, exit"
				     : "work until the input is drained with nothing pending, then exit");
}

enum { OPT_BATCH = 2000, OPT_CONCURRENCY };

static int worker(const char *stage, int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_pipeline p;
	struct runner r;
	struct pm_fetch_opts fo;
	struct pm_err err;
	int c, rc = 0, is_run = !strcmp(stage, "run");
	long n;

	memset(&p, 0, sizeof(p));
	memset(&r, 0, sizeof(r));
	cli_env_init(&p.env);
	pm_fetch_opts_init(&fo);
	r.batch = 64;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int h = cli_common_opt(&p.env, c, optarg);
		if (h == 2) {
			usage_worker(stage);
			return 0;
		}
		if (h < 0)
			return PM_EINPUT;
		if (h)
			continue;
		switch (c) {
		case OPT_BATCH:
			if (cli_parse_int(optarg, 1, 10000, &n))
				return cli_usage(stage, "--batch '%s' is not a number from 1 to 10000", optarg);
			r.batch = (size_t)n;
			r.batch_given = 1;
			break;
		case OPT_CONCURRENCY:
			if (cli_parse_int(optarg, 1, 10000, &n))
				return cli_usage(stage, "--concurrency '%s' is not a number from 1 to 10000", optarg);
			fo.concurrency = (int)n;
			break;
		default:
			return cli_usage(stage, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage(stage, "unexpected argument '%s'", argv[optind]);

	pm_err_init(&err);
	r.p = &p;
	r.once = p.env.once;
	cli_signals_install();
	if (cli_pipeline_open(&p, is_run, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	r.stage = stage;
	r.fo = fo;
	if (runner_open(&r, stage, &r.fo, &err) < 0) {
		rc = cli_fail(&err);
		goto out;
	}
	/* the malloc settings in force (cli/main.c): glibc may cut the copy
	 * that /proc/PID/environ shows at its first ':' */
	pm_info("worker_started", "stage=%s consumer=%s redis=%s once=%d malloc=\"%s\"", stage,
		p.consumer, pm_queue_url_safe(p.q), r.once,
		getenv("GLIBC_TUNABLES") ? getenv("GLIBC_TUNABLES") : "");
	rc = runner_loop(&r);
out:
	runner_close(&r);
	cli_pipeline_close(&p);
	return rc;
}

int cli_worker_main(const char *stage, int argc, char **argv)
{
	return worker(stage, argc, argv);
}

int cmd_run(int argc, char **argv)
{
	return worker("run", argc, argv);
}

int cmd_fetch(int argc, char **argv)
{
	return worker("fetch", argc, argv);
}
