/* cli/worker: the worker commands (fetch, parse, classify, archive) and
 * `run`, which drives all of them in one process over the same streams.
 * A worker command runs its stage in one loop (runner_loop); `run` gives
 * the fetcher and each stage before the archive a thread with a Redis
 * connection of its own, and keeps the archive, reloads and the drain
 * check on the main thread (runner_threads). */
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

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ST_PARSE, ST_CLASSIFY, ST_ARCHIVE, ST_MAX };
#define TH_FETCH ST_MAX /* the fetcher's thread in runner.threads */

struct runner;

/* A stage of `run` (or its fetcher) on a thread; the archive's is the
 * main thread. The counters are read by the drain check (drained_threads). */
struct stage_thread {
	struct runner *r;
	int i;                   /* ST_* */
	struct pm_queue *q;      /* this thread's connection */
	pthread_t th;
	int started;
	atomic_size_t processed; /* entries taken off the stream */
	atomic_ulong empty;      /* turns that found nothing to do */
	atomic_int idle;         /* its last turn found nothing to do */
};

struct runner {
	struct cli_pipeline *p;
	const char *stage;             /* the command: run, fetch, parse, ... */
	struct pm_fetch_opts fo;
	struct pm_fetcher *fetcher;
	struct pm_stage stages[ST_MAX];
	int have[ST_MAX];
	size_t processed[ST_MAX];
	int once;
	size_t batch;
	int batch_given;       /* --batch was given: it applies to every stage */
	/* run: the threads, the flag that ends them, a fatal error of one of
	 * them, and the feed health the fetch thread hands to the main thread
	 * (stored through the archive stage's connection: another one's
	 * commit would make the archive writer drop the clustering keys it
	 * holds in memory) */
	struct stage_thread threads[ST_MAX + 1];
	atomic_int finish;
	atomic_int failed;
	pthread_mutex_t health_mu;
	json_t *health;
};

#define HEALTH_EVERY_MS 60000
#define PACE_MS 500
#define HELPER_NICE 10

/* Saves feed health h (every feed's state) into the archive, so that a
 * digest written after the pipeline (and its Redis) stopped still has it.
 * Through the archive stage's own connection where this process has one:
 * a commit by another connection makes that writer drop the clustering
 * keys it holds in memory and read them again. */
static void put_health(struct runner *r, struct pm_archive *own, json_t *h)
{
	struct pm_err err;
	struct pm_archive *a = own;

	pm_err_init(&err);
	if ((!a && pm_archive_open(r->p->env.db, PM_ARCHIVE_WRITE | PM_ARCHIVE_NO_INDEX, &a, &err) < 0) ||
	    pm_archive_feed_health_put(a, h, &err) < 0)
		pm_warn("feed_health_not_saved", "error=\"%s\"", err.msg);
	if (a != own)
		pm_archive_close(a);
}

/* This process's archive connection, if it runs the archive stage. */
static struct pm_archive *own_archive(const struct runner *r)
{
	return r->have[ST_ARCHIVE] ? pm_archive_stage_archive(&r->stages[ST_ARCHIVE]) : NULL;
}

/* The main thread's connection reads the feeds' states; the archive stage
 * of this process stores them. */
static void save_health(struct runner *r)
{
	struct pm_err err;
	json_t *h;

	pm_err_init(&err);
	if (!(h = cli_feed_health(r->p, &err))) {
		pm_warn("feed_health_not_saved", "error=\"%s\"", err.msg);
		return;
	}
	put_health(r, own_archive(r), h);
	json_decref(h);
}

static int drained(struct runner *r, struct pm_queue *q, int fetch_active, struct pm_err *err)
{
	long long pending;

	if (fetch_active)
		return 0;
	if (r->fetcher) {
		struct pm_group_info gi;
		if (pm_queue_group(q, PM_STREAM_PAGES, "fetch", err) < 0 ||
		    pm_queue_group_info(q, PM_STREAM_PAGES, "fetch", &gi, err) < 0)
			return -1;
		if (gi.pending > 0 || gi.lag > 0)
			return 0;
	}
	for (int i = 0; i < ST_MAX; i++) {
		if (!r->have[i])
			continue;
		if (pm_stage_pending(q, &r->stages[i], &pending, err) < 0)
			return -1;
		if (pending > 0)
			return 0;
	}
	return 1;
}

/* The entries per turn of stage i: --batch, else the stage's own, else 64. */
static size_t stage_count(const struct runner *r, int i)
{
	return !r->batch_given && r->stages[i].batch ? r->stages[i].batch : r->batch;
}

/* Redis or the database away: 100 ms, doubling up to 5 s. */
static int next_backoff(int backoff)
{
	return backoff ? (backoff * 2 > 5000 ? 5000 : backoff * 2) : 100;
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
		for (int i = 0; i < ST_MAX && !failed && !cli_stop; i++) {
			int block = (!r->once && nstages == 1 && !r->fetcher) ? 1000 : 0;
			if (!r->have[i])
				continue;
			done = 0;
			if (pm_stage_step(r->p->q, &r->stages[i], r->p->consumer,
					  stage_count(r, i), block, &done, &err) < 0)
				failed = 1;
			r->processed[i] += done;
			progress += done;
		}
		if (failed) {
			if (err.code != PM_EDEP) {
				pm_error("stage_failed", "error=\"%s\"", err.msg);
				return PM_ERUNTIME;
			}
			/* Redis or the database is away: wait and try again */
			backoff = next_backoff(backoff);
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
			int d = drained(r, r->p->q, active, &err);
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

/* Sleeps ms unless the threads are told to finish first. */
static void nap(struct runner *r, int ms)
{
	for (int slept = 0; slept < ms && !atomic_load(&r->finish) && !cli_stop; slept += 20)
		pm_sleep_ms(20);
}

/* One turn of stage t->i on t's connection, counted for the drain check.
 * A stage with a batch of its own (the archive: a commit per turn) that
 * took less than half of one turns at most every PACE_MS: while the
 * stages before it start up it would otherwise commit dozens of small
 * batches, each costing CPU the others need; a trickle waits PACE_MS at
 * most. Returns -1 on an error that stops `run`. */
static int thread_turn(struct stage_thread *t, int *backoff)
{
	struct runner *r = t->r;
	struct pm_err err;
	size_t done = 0, count = stage_count(r, t->i);
	int64_t t0 = pm_mono_ms();

	pm_err_init(&err);
	/* a short block, so that finish is seen soon */
	if (pm_stage_step(t->q, &r->stages[t->i], r->p->consumer, count, 100, &done, &err) < 0) {
		if (err.code != PM_EDEP) {
			pm_error("stage_failed", "stage=%s error=\"%s\"", r->stages[t->i].name, err.msg);
			return -1;
		}
		*backoff = next_backoff(*backoff);
		pm_warn("dependency_unavailable", "stage=%s retry_ms=%d error=\"%s\"",
			r->stages[t->i].name, *backoff, err.msg);
		nap(r, *backoff);
		return 0;
	}
	*backoff = 0;
	atomic_store(&t->idle, !done);
	if (!done) {
		atomic_fetch_add(&t->empty, 1);
		return 0;
	}
	atomic_fetch_add(&t->processed, done);
	if (r->stages[t->i].batch && !r->batch_given && done < count / 2)
		nap(r, (int)(PACE_MS - (pm_mono_ms() - t0)));
	return 0;
}

/* The main thread stores the feed health the fetch thread read. */
static void take_health(struct runner *r)
{
	json_t *h;

	pthread_mutex_lock(&r->health_mu);
	h = r->health;
	r->health = NULL;
	pthread_mutex_unlock(&r->health_mu);
	if (h) {
		put_health(r, own_archive(r), h);
		json_decref(h);
	}
}

/* The threads before the archive yield to it: it is the stage that
 * limits `run` (on two cores it needs one of its own), and theirs only
 * have to stay ahead of it. Linux applies a nice value to the one thread
 * whose id is given. */
static void yield_to_archive(void)
{
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), HELPER_NICE);
}

/* The fetcher's thread, on the main connection (the fetcher was made on
 * it): fetch turns, and every HEALTH_EVERY_MS the feeds' states for the
 * main thread to store. A turn with transfers under way counts as work. */
static void *fetch_main(void *arg)
{
	struct stage_thread *t = arg;
	struct runner *r = t->r;
	int64_t health_at = pm_mono_ms() + HEALTH_EVERY_MS;
	int backoff = 0;

	yield_to_archive();
	while (!atomic_load(&r->finish) && !cli_stop) {
		struct pm_err err;
		int active = 0;

		pm_err_init(&err);
		if (pm_fetcher_step(r->fetcher, 100, &active, &err) < 0) {
			if (err.code != PM_EDEP) {
				pm_error("stage_failed", "stage=fetch error=\"%s\"", err.msg);
				atomic_store(&r->failed, 1);
				break;
			}
			backoff = next_backoff(backoff);
			pm_warn("dependency_unavailable", "stage=fetch retry_ms=%d error=\"%s\"", backoff, err.msg);
			nap(r, backoff);
			continue;
		}
		backoff = 0;
		atomic_store(&t->idle, !active);
		atomic_fetch_add(active ? &t->processed : &t->empty, 1);
		if (r->have[ST_ARCHIVE] && pm_mono_ms() > health_at) {
			json_t *h = cli_feed_health(r->p, &err);
			if (h) {
				pthread_mutex_lock(&r->health_mu);
				json_decref(r->health);
				r->health = h;
				pthread_mutex_unlock(&r->health_mu);
			} else {
				pm_warn("feed_health_not_saved", "error=\"%s\"", err.msg);
			}
			health_at = pm_mono_ms() + HEALTH_EVERY_MS;
		}
	}
	return NULL;
}

static void *stage_main(void *arg)
{
	struct stage_thread *t = arg;
	int backoff = 0;

	yield_to_archive();
	while (!atomic_load(&t->r->finish) && !cli_stop)
		if (thread_turn(t, &backoff) < 0) {
			atomic_store(&t->r->failed, 1);
			break;
		}
	return NULL;
}

/* Ends the threads: each completes the turn it is in. */
static void threads_stop(struct runner *r)
{
	atomic_store(&r->finish, 1);
	for (int i = 0; i <= TH_FETCH; i++) {
		struct stage_thread *t = &r->threads[i];
		if (t->started)
			pthread_join(t->th, NULL);
		t->started = 0;
		if (i < ST_MAX)
			r->processed[i] += atomic_exchange(&t->processed, 0);
		if (i != TH_FETCH)
			pm_queue_free(t->q);
		t->q = NULL;
	}
}

/* `run` gives every stage but the archive a thread, and the fetcher one:
 * the archive (SQLite, the costliest stage) works on the main thread,
 * because its memory then comes from malloc's main arena, which glibc
 * backs with transparent huge pages (cli/main.c) and a thread's arena not
 * (/proc/PID/smaps: AnonHugePages 0 on the thread heaps). On a thread, in
 * one run of 100,000 with the CPU of each turn logged, its turns took 35 s
 * against 25 s for the archive worker alone. Each thread has its
 * own Redis connection (the fetcher keeps the main one it was made with);
 * signals are the main thread's, the others start with them blocked. */
static int threads_start(struct runner *r, struct pm_err *err)
{
	sigset_t block, old;
	int rc = 0;

	atomic_store(&r->finish, 0);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	for (int i = 0; i <= TH_FETCH; i++) {
		struct stage_thread *t = &r->threads[i];
		t->r = r;
		t->i = i;
		atomic_store(&t->processed, 0);
		atomic_store(&t->empty, 0);
		atomic_store(&t->idle, 0);
	}
	/* the main thread's connection: its archive turns, the drain check */
	if (cli_pipeline_connect(r->p, &r->threads[ST_ARCHIVE].q, err) < 0)
		return -1;
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (int i = 0; i <= TH_FETCH && !rc; i++) {
		struct stage_thread *t = &r->threads[i];
		void *(*fn)(void *) = i == TH_FETCH ? fetch_main : stage_main;
		if (i == ST_ARCHIVE || (i == TH_FETCH ? !r->fetcher : !r->have[i]))
			continue;
		if (i != TH_FETCH && cli_pipeline_connect(r->p, &t->q, err) < 0)
			rc = -1;
		else if ((errno = pthread_create(&t->th, NULL, fn, t)) != 0)
			rc = pm_err_set(err, PM_ERUNTIME, "cannot start a thread for %s: %s",
					i == TH_FETCH ? "fetch" : r->stages[i].name, strerror(errno));
		else
			t->started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		threads_stop(r);
	return rc;
}

/* What the drain check of `run` compares between its looks. */
struct drain_look {
	int set;
	size_t work;                     /* entries taken, fetch turns busy */
	unsigned long empty[TH_FETCH + 1];
};

/* --once in `run`: drained when, since the last look, nothing was taken
 * and no transfer was under way, every stage and the fetcher had at least
 * two turns that found nothing to do (so one wholly after the look), and
 * no entries are pending in any group (a dead consumer's, waiting to be
 * claimed). Then no producer was active while every input was seen empty,
 * so nothing can appear any more; stream lengths alone would not do, as a
 * stage reads its input and writes its output at different moments.
 * Returns 1, 0, or -1 when Redis could not be asked (on q). */
static int drained_threads(struct runner *r, struct pm_queue *q, struct drain_look *look,
			   struct pm_err *err)
{
	struct drain_look now = { .set = 1 };

	for (int i = 0; i <= TH_FETCH; i++) {
		now.work += atomic_load(&r->threads[i].processed);
		now.empty[i] = atomic_load(&r->threads[i].empty);
	}
	if (!look->set || now.work != look->work) {
		*look = now;
		return 0;
	}
	for (int i = 0; i <= TH_FETCH; i++)
		if ((i == TH_FETCH ? r->fetcher != NULL : r->have[i]) && now.empty[i] < look->empty[i] + 2)
			return 0; /* look again later, against the same look */
	return drained(r, q, 0, err);
}

/* `run` with its stages on threads (threads_start). */
static int runner_threads(struct runner *r)
{
	struct drain_look look = { 0 };
	struct stage_thread *arch = &r->threads[ST_ARCHIVE];
	struct pm_err err;
	int backoff = 0, rc = 0;

	pm_err_init(&err);
	if (threads_start(r, &err) < 0) {
		pm_error("stage_failed", "error=\"%s\"", err.msg);
		return PM_ERUNTIME;
	}
	while (!cli_stop) {
		if (atomic_load(&r->failed)) {
			rc = PM_ERUNTIME;
			break;
		}
		if (cli_reload) {
			cli_reload = 0;
			threads_stop(r);
			pm_err_init(&err);
			if (runner_reload(r) < 0 || threads_start(r, &err) < 0) {
				if (err.msg[0])
					pm_error("stage_failed", "error=\"%s\"", err.msg);
				rc = PM_ERUNTIME;
				break;
			}
			look.set = 0;
		}
		take_health(r);
		if (r->have[ST_ARCHIVE]) {
			if (thread_turn(arch, &backoff) < 0) {
				rc = PM_ERUNTIME;
				break;
			}
		} else {
			pm_sleep_ms(100);
		}
		if (r->once) {
			int d;
			pm_err_init(&err);
			d = drained_threads(r, arch->q, &look, &err);
			if (d < 0) {
				pm_warn("drain_check_failed", "error=\"%s\"", err.msg);
				look.set = 0;
			}
			if (d > 0)
				break;
		}
	}
	threads_stop(r);
	take_health(r);
	if (r->have[ST_ARCHIVE])
		save_health(r);
	pm_info(cli_stop ? "stopped" : rc ? "failed" : "drained", "parsed=%zu classified=%zu archived=%zu",
		r->processed[ST_PARSE], r->processed[ST_CLASSIFY], r->processed[ST_ARCHIVE]);
	return rc;
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

/* pm_stage.prep_now of the archive in `run`: the fetch, parse and
 * classify threads all found nothing to do in their last turn. */
static int others_idle(void *arg)
{
	struct runner *r = arg;

	for (int i = 0; i <= TH_FETCH; i++)
		if (i != ST_ARCHIVE && r->threads[i].started && !atomic_load(&r->threads[i].idle))
			return 0;
	return 1;
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
		/* in run, the archive's helper thread (pm_stage.prepare)
		 * works only while the other threads are idle: beside parse
		 * and classify it competed with them for the other core, and
		 * 100,000 articles took as long with it, for 4 s more CPU */
		if (!strcmp(stage, "run")) {
			r->stages[ST_ARCHIVE].prep_now = others_idle;
			r->stages[ST_ARCHIVE].prep_now_arg = r;
		}
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
		printf("Runs every stage (fetch, parse, classify, archive) in one process,\n"
		       "each on a thread of its own.\n"
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
	       "  --batch N           entries per turn (64; archive 20000)\n"
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
			if (cli_parse_int(optarg, 1, 100000, &n))
				return cli_usage(stage, "--batch '%s' is not a number from 1 to 100000", optarg);
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
	pthread_mutex_init(&r.health_mu, NULL);
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
	rc = is_run && r.have[ST_PARSE] + r.have[ST_CLASSIFY] + r.have[ST_ARCHIVE] > 1 ?
		runner_threads(&r) : runner_loop(&r);
out:
	runner_close(&r);
	cli_pipeline_close(&p);
	pthread_mutex_destroy(&r.health_mu);
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
