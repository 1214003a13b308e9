/* tests/unit/test_queue.c: the Redis layer against a real redis-server that
 * the test starts on a private unix socket (and a TCP port with a
 * password), then stops. */
#include "core/mem.h"
#include "core/time.h"
#include "queue/embed.h"
#include "queue/queue.h"
#include "queue/stage.h"
#include "core/config.h"
#include "parse/stage.h"
#include "testlib.h"

#include <hiredis.h>

#include <signal.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[64];

static struct pm_queue *open_q(const char *url, int claim_idle_ms, int max_deliveries)
{
	struct pm_queue_opts o;
	struct pm_queue *q = NULL;
	struct pm_err err;

	pm_err_init(&err);
	pm_queue_opts_init(&o);
	o.url = url;
	o.prefix = "t:";
	o.claim_idle_ms = claim_idle_ms;
	o.max_deliveries = max_deliveries;
	o.connect_timeout_ms = 3000;
	if (pm_queue_connect(&o, &q, &err) < 0)
		fprintf(stderr, "connect: %s\n", err.msg);
	return q;
}

static void test_streams(const char *url)
{
	struct pm_queue *q = open_q(url, 100, 3), *q2;
	struct pm_batch b = { 0 };
	struct pm_err err;
	struct pm_field f[2] = { { "a", "1", 1 }, { "body", "x\0y", 3 } };
	struct pm_group_info gi;
	size_t len;
	const char *ids[1];

	TEST("streams");
	pm_err_init(&err);
	CHECK(q != NULL);
	if (!q)
		return;
	CHECK(pm_queue_flush_prefix(q, &err) == 0);
	CHECK(pm_queue_group(q, "s", "g", &err) == 0);
	CHECK(pm_queue_group(q, "s", "g", &err) == 0); /* idempotent */
	CHECK(pm_queue_add(q, "s", f, 2, &err) == 0);
	CHECK(pm_queue_add(q, "s", f, 1, &err) == 0);
	CHECK(pm_queue_read(q, "s", "g", "c1", 10, 0, &b, &err) == 0);
	CHECK_INT(b.n, 2);
	CHECK_STR(pm_entry_get(&b.v[0], "a", NULL), "1");
	CHECK(pm_entry_get(&b.v[0], "body", &len) && len == 3); /* binary safe */
	CHECK(pm_entry_get(&b.v[1], "body", NULL) == NULL);
	CHECK_INT(b.v[0].deliveries, 1);
	ids[0] = b.v[0].id;
	CHECK(pm_queue_ack(q, "s", "g", ids, 1, &err) == 0);
	CHECK(pm_queue_group_info(q, "s", "g", &gi, &err) == 0);
	CHECK_INT(gi.length, 2);
	CHECK_INT(gi.pending, 1);
	CHECK_INT(gi.lag, 0);

	TEST("claim after idle");
	q2 = open_q(url, 100, 3);
	pm_batch_release(&b);
	CHECK(pm_queue_read(q2, "s", "g", "c2", 10, 0, &b, &err) == 0);
	CHECK_INT(b.n, 0); /* not idle long enough yet */
	pm_sleep_ms(150);
	CHECK(pm_queue_read(q2, "s", "g", "c2", 10, 0, &b, &err) == 0);
	CHECK_INT(b.n, 1);
	if (b.n)
		CHECK_INT(b.v[0].deliveries, 2);
	pm_batch_release(&b);
	pm_queue_free(q2);

	TEST("dead letters");
	pm_sleep_ms(150);
	CHECK(pm_queue_read(q, "s", "g", "c1", 10, 0, &b, &err) == 0);
	CHECK_INT(b.n, 1);
	if (b.n) {
		CHECK(pm_queue_dead(q, "test", "s", "g", &b.v[0], "boom", &err) == 0);
		CHECK_INT(pm_queue_stream_len(q, PM_STREAM_DEAD), 1);
	}
	CHECK(pm_queue_group_info(q, "s", "g", &gi, &err) == 0);
	CHECK_INT(gi.pending, 0);
	pm_batch_release(&b);
	pm_queue_free(q);
}

static void test_sched_state(const char *url)
{
	struct pm_queue *q = open_q(url, 1000, 3);
	struct pm_err err;
	char **ids;
	size_t n;
	struct pm_field *f;
	size_t nf;
	struct pm_field set[2] = { { "etag", "\"abc\"", 5 }, { "status", "200", 3 } };
	long long v;

	TEST("schedule");
	pm_err_init(&err);
	if (!q) {
		CHECK(q != NULL);
		return;
	}
	CHECK(pm_queue_sched_add(q, "a", 1000, 1, &err) == 0);
	CHECK(pm_queue_sched_add(q, "b", 5000, 1, &err) == 0);
	CHECK(pm_queue_sched_add(q, "a", 9000, 1, &err) == 0); /* NX: kept 1000 */
	CHECK_INT(pm_queue_sched_next(q), 1000);
	CHECK(pm_queue_sched_claim(q, 2000, 60000, 10, &ids, &n, &err) == 0);
	CHECK_INT(n, 1);
	if (n)
		CHECK_STR(ids[0], "a");
	pm_strv_free(ids, n);
	/* a second worker at the same moment gets nothing: a is leased */
	CHECK(pm_queue_sched_claim(q, 2000, 60000, 10, &ids, &n, &err) == 0);
	CHECK_INT(n, 0);
	pm_strv_free(ids, n);
	CHECK_INT(pm_queue_sched_next(q), 5000);

	TEST("feed state");
	CHECK(pm_queue_feed_set(q, "a", set, 2, &err) == 0);
	CHECK(pm_queue_feed_incr(q, "a", "failures", 2, &v, &err) == 0 && v == 2);
	CHECK(pm_queue_feed_get(q, "a", &f, &nf, &err) == 0);
	CHECK_INT(nf, 3);
	CHECK_STR(pm_fields_get(f, nf, "etag"), "\"abc\"");
	CHECK_STR(pm_fields_get(f, nf, "failures"), "2");
	pm_fields_free(f, nf);

	TEST("seen");
	CHECK_INT(pm_queue_seen_check(q, "x", "h1", &err), 1);
	CHECK(pm_queue_seen_mark(q, "x", "h1", 60, &err) == 0);
	CHECK_INT(pm_queue_seen_check(q, "x", "h1", &err), 0);
	CHECK_INT(pm_queue_seen_check(q, "x", "h2", &err), 2);
	pm_queue_free(q);
}

static int redis_cli(const char *url, const char *args)
{
	char *cmd = xasprintf("redis-cli -s '%s' %s >/dev/null", url + strlen("unix://"), args);
	int rc = system(cmd);
	free(cmd);
	return rc;
}

static void test_pipeline(const char *url)
{
	struct pm_queue *q = open_q(url, 1000, 3);
	struct pm_err err;
	struct pm_field raw[2] = { { "kind", "feed", 4 }, { "body", "<rss/>", 6 } };
	struct pm_field st[1] = { { "etag", "\"p1\"", 4 } };
	struct pm_fieldset *sets = NULL;
	const char *feeds[3] = { "p1", "nope", "p2" };
	size_t failed = 99;
	long long len0;

	TEST("pipeline: units of writes in one round trip");
	pm_err_init(&err);
	if (!q) {
		CHECK(q != NULL);
		return;
	}
	len0 = pm_queue_stream_len(q, "praw");
	for (int i = 0; i < 3; i++) {
		pm_queue_pipe_begin(q);
		pm_queue_pipe_add(q, "praw", raw, 2);
		pm_queue_pipe_feed_set(q, i == 2 ? "p2" : "p1", st, 1);
		pm_queue_pipe_sched_add(q, i == 2 ? "p2" : "p1", 4242, 0);
		pm_queue_pipe_end(q);
	}
	CHECK_INT(pm_queue_pipe_pending(q), 15); /* MULTI, 3 QUEUED, EXEC each */
	CHECK(pm_queue_pipe_flush(q, &failed, &err) == 0);
	CHECK_INT(failed, 0);
	CHECK_INT(pm_queue_pipe_pending(q), 0);
	CHECK_INT(pm_queue_stream_len(q, "praw"), len0 + 3);

	TEST("pipeline: feed state of many feeds at once");
	CHECK(pm_queue_feed_get_many(q, feeds, 3, &sets, &err) == 0);
	if (sets) {
		CHECK_STR(pm_fields_get(sets[0].f, sets[0].n, "etag"), "\"p1\"");
		CHECK_INT(sets[1].n, 0);
		CHECK_STR(pm_fields_get(sets[2].f, sets[2].n, "etag"), "\"p1\"");
	}
	pm_fieldsets_free(sets, 3);

	TEST("pipeline: any other call sends what is pending first");
	pm_queue_pipe_add(q, "praw", raw, 2);
	pm_queue_pipe_sched_remove(q, "p2");
	CHECK_INT(pm_queue_pipe_pending(q), 2);
	CHECK_INT(pm_queue_stream_len(q, "praw"), len0 + 4);
	CHECK_INT(pm_queue_pipe_pending(q), 0);
	CHECK(pm_queue_pipe_flush(q, &failed, &err) == 0);

	TEST("pipeline: a failed unit is reported, the others run");
	pm_queue_pipe_begin(q);
	pm_queue_pipe_feed_set(q, "p3", st, 1);
	pm_queue_pipe_end(q);
	pm_queue_pipe_begin(q);
	pm_queue_pipe_sched_add(q, "p4", 1, 0);
	pm_queue_pipe_end(q);
	/* a stream entry added to the key of a feed's state hash: WRONGTYPE */
	pm_queue_pipe_begin(q);
	pm_queue_pipe_add(q, "feed:{p1}", raw, 2);
	pm_queue_pipe_end(q);
	pm_err_init(&err);
	failed = 0;
	CHECK(pm_queue_pipe_flush(q, &failed, &err) < 0);
	CHECK_INT(failed, 1);
	CHECK(strstr(err.msg, "WRONGTYPE") != NULL);
	CHECK(pm_queue_feed_get_many(q, (const char *const[]){ "p3" }, 1, &sets, &err) == 0);
	if (sets)
		CHECK_STR(pm_fields_get(sets[0].f, sets[0].n, "etag"), "\"p1\"");
	pm_fieldsets_free(sets, 1);

	TEST("pipeline: a unit Redis refuses to queue runs not at all");
	len0 = pm_queue_stream_len(q, "praw");
	CHECK(redis_cli(url, "CONFIG SET maxmemory 1") == 0);
	pm_queue_pipe_begin(q);
	pm_queue_pipe_feed_set(q, "p5", st, 1);
	pm_queue_pipe_add(q, "praw", raw, 2);
	pm_queue_pipe_end(q);
	pm_err_init(&err);
	CHECK(pm_queue_pipe_flush(q, &failed, &err) < 0);
	CHECK_INT(failed, 1);
	CHECK(strstr(err.msg, "OOM") != NULL || strstr(err.msg, "EXECABORT") != NULL);
	CHECK(redis_cli(url, "CONFIG SET maxmemory 0") == 0);
	CHECK_INT(pm_queue_stream_len(q, "praw"), len0);
	CHECK(pm_queue_feed_get_many(q, (const char *const[]){ "p5" }, 1, &sets, &err) == 0);
	if (sets)
		CHECK_INT(sets[0].n, 0);
	pm_fieldsets_free(sets, 1);
	pm_queue_free(q);
}

static void add_raw(struct pm_queue *q, const char *body)
{
	struct pm_err err;
	struct pm_field f[4] = { { "kind", "feed", 4 }, { "feed", "f1", 2 },
				 { "url", "http://example.org/feed.xml", 27 },
				 { "body", body, strlen(body) } };

	pm_err_init(&err);
	CHECK(pm_queue_add(q, "raw", f, 4, &err) == 0);
}

/* The parse stage writes each article once: a repeat in one feed, a second
 * delivery of the same document and an unchanged article are not written
 * again; an edited one is. */
static void test_parse_stage(const char *url)
{
	struct pm_queue *q = open_q(url, 1000, 3);
	struct pm_config cfg;
	struct pm_stage st;
	struct pm_err err;
	size_t done = 0;
	const char *feed1 =
		"<rss version=\"2.0\"><channel><title>T</title>"
		"<item><title>One</title><link>http://example.org/a</link><description>x</description></item>"
		"<item><title>One</title><link>http://example.org/a</link><description>x</description></item>"
		"<item><title>Two</title><link>http://example.org/b</link><description>y</description></item>"
		"</channel></rss>";
	const char *feed2 =
		"<rss version=\"2.0\"><channel><title>T</title>"
		"<item><title>One</title><link>http://example.org/a</link><description>x</description></item>"
		"<item><title>Two, edited</title><link>http://example.org/b</link><description>y</description></item>"
		"</channel></rss>";

	TEST("parse stage: each article written once, an edited one again");
	pm_err_init(&err);
	pm_config_init(&cfg);
	if (!q) {
		CHECK(q != NULL);
		return;
	}
	CHECK(pm_parse_stage_init(&st, &cfg, &err) == 0);
	add_raw(q, feed1);
	CHECK(pm_stage_step(q, &st, "c1", 10, 0, &done, &err) == 0);
	CHECK_INT(done, 1);
	CHECK_INT(pm_queue_stream_len(q, PM_STREAM_ARTICLES), 2);
	add_raw(q, feed1); /* the same document again */
	CHECK(pm_stage_step(q, &st, "c1", 10, 0, &done, &err) == 0);
	CHECK_INT(pm_queue_stream_len(q, PM_STREAM_ARTICLES), 2);
	add_raw(q, feed2);
	CHECK(pm_stage_step(q, &st, "c1", 10, 0, &done, &err) == 0);
	CHECK_INT(pm_queue_stream_len(q, PM_STREAM_ARTICLES), 3);
	{
		struct pm_group_info gi;
		CHECK(pm_queue_group_info(q, "raw", "parse", &gi, &err) == 0);
		CHECK_INT(gi.pending, 0);
	}
	pm_parse_stage_release(&st);
	pm_config_release(&cfg);
	pm_queue_free(q);
}

/* The JSON of the article whose text holds needle, from the articles
 * stream (NULL if none). Caller frees. */
static char *article_with(const char *url, const char *needle)
{
	redisContext *c = redisConnectUnix(url + strlen("unix://"));
	redisReply *r = c && !c->err ? redisCommand(c, "XRANGE t:articles - +") : NULL;
	char *found = NULL;

	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements && !found; i++) {
		redisReply *f = r->element[i]->element[1];
		for (size_t j = 1; j < f->elements && !found; j += 2)
			if (f->element[j]->str && strstr(f->element[j]->str, needle))
				found = xstrdup(f->element[j]->str);
	}
	if (r)
		freeReplyObject(r);
	if (c)
		redisFree(c);
	return found;
}

/* The language an article gets: the feed's own, else the one feeds.conf
 * sets, else the Content-Language fetch passed along. */
static void test_parse_stage_language(const char *url)
{
	struct pm_queue *q = open_q(url, 1000, 3);
	struct pm_config cfg;
	struct pm_stage st;
	struct pm_err err;
	size_t done = 0;
	char path[128], *a;
	FILE *fp;
	static const char *const feeds[] = { "lf1", "lf2", "lf3" };
	static const char *const bodies[] = {
		"<rss version=\"2.0\"><channel><title>T</title>"
		"<item><title>A</title><link>http://example.org/lang/1</link></item></channel></rss>",
		"<rss version=\"2.0\"><channel><title>T</title>"
		"<item><title>B</title><link>http://example.org/lang/2</link></item></channel></rss>",
		"<rss version=\"2.0\"><channel><title>T</title><language>pt-BR</language>"
		"<item><title>C</title><link>http://example.org/lang/3</link></item></channel></rss>" };

	TEST("parse stage: the feed's language, then feeds.conf's, then Content-Language");
	pm_err_init(&err);
	pm_config_init(&cfg);
	snprintf(path, sizeof(path), "%s/lang.conf", dir);
	fp = fopen(path, "w");
	CHECK(fp != NULL);
	if (!fp || !q) {
		if (fp)
			fclose(fp);
		pm_queue_free(q);
		return;
	}
	fprintf(fp, "[pressmon]\nuser_agent_contact = https://example.org/contact\n\n"
		    "[feed lf1]\nurl = http://example.org/1.xml\n\n"
		    "[feed lf2]\nurl = http://example.org/2.xml\nlang = fr\n\n"
		    "[feed lf3]\nurl = http://example.org/3.xml\n");
	fclose(fp);
	CHECK(pm_config_load(&cfg, path, &err) == 0);
	CHECK(pm_parse_stage_init(&st, &cfg, &err) == 0);
	for (int i = 0; i < 3; i++) {
		struct pm_field f[5] = { { "kind", "feed", 4 }, { "feed", feeds[i], strlen(feeds[i]) },
					 { "url", "http://example.org/x.xml", 24 },
					 { "content_language", "de-CH", 5 },
					 { "body", bodies[i], strlen(bodies[i]) } };
		CHECK(pm_queue_add(q, "raw", f, 5, &err) == 0);
	}
	CHECK(pm_stage_step(q, &st, "c1", 10, 0, &done, &err) == 0);
	a = article_with(url, "example.org/lang/1");
	CHECK(a && strstr(a, "\"lang\":\"de\""));
	free(a);
	a = article_with(url, "example.org/lang/2");
	CHECK(a && strstr(a, "\"lang\":\"fr\""));
	free(a);
	a = article_with(url, "example.org/lang/3");
	CHECK(a && strstr(a, "\"lang\":\"pt\""));
	free(a);
	pm_parse_stage_release(&st);
	pm_config_release(&cfg);
	pm_queue_free(q);
}

struct handler_ctx {
	int calls;
	int flushes;
};

static int handle(void *ctx, struct pm_queue *q, const struct pm_entry *e, struct pm_err *err)
{
	struct handler_ctx *h = ctx;
	const char *v = pm_entry_get(e, "v", NULL);

	(void)q;
	h->calls++;
	if (v && !strcmp(v, "bad"))
		return pm_err_set(err, PM_EINPUT, "bad entry");
	if (v && !strcmp(v, "flaky"))
		return pm_err_set(err, PM_ERUNTIME, "try again");
	return 0;
}

static int flush(void *ctx, struct pm_err *err)
{
	(void)err;
	((struct handler_ctx *)ctx)->flushes++;
	return 0;
}

static void test_stage(const char *url)
{
	struct pm_queue *q = open_q(url, 50, 2);
	struct handler_ctx h = { 0, 0 };
	struct pm_stage s = { .name = "st", .stream = "in", .handle = handle, .flush = flush, .ctx = &h };
	struct pm_err err;
	struct pm_field f[3] = { { "v", "ok", 2 }, { "v", "bad", 3 }, { "v", "flaky", 5 } };
	size_t done;
	long long pending;

	TEST("stage");
	pm_err_init(&err);
	if (!q) {
		CHECK(q != NULL);
		return;
	}
	for (int i = 0; i < 3; i++)
		CHECK(pm_queue_add(q, "in", &f[i], 1, &err) == 0);
	CHECK(pm_stage_step(q, &s, "w1", 10, 0, &done, &err) == 0);
	CHECK_INT(done, 2);            /* ok acked, bad dead-lettered */
	CHECK_INT(h.flushes, 1);
	CHECK(pm_stage_pending(q, &s, &pending, &err) == 0);
	CHECK_INT(pending, 1);         /* flaky waits for a retry */
	for (int i = 0; i < 4; i++) {  /* retried, then dead after 2 deliveries */
		pm_sleep_ms(80);
		CHECK(pm_stage_step(q, &s, "w2", 10, 0, &done, &err) == 0);
	}
	CHECK(pm_stage_pending(q, &s, &pending, &err) == 0);
	CHECK_INT(pending, 0);
	CHECK_INT(pm_queue_stream_len(q, PM_STREAM_DEAD), 3); /* 1 from before + bad + flaky */
	pm_queue_free(q);
}

/* A stage with prepare (queue/stage.h): each entry's preparation reaches
 * its own handler call, in order, on a helper thread for a batch of 300
 * and on the caller's for one of 5; a failed preparation is dead-lettered
 * as a failed handler would be; and every preparation is freed once, on
 * the thread that made it. */
struct prep_ctx {
	atomic_int made, made_elsewhere, freed, freed_elsewhere;
	int handled, mismatched, calls;
	pthread_t handler;
};

struct prep_item {
	long n;
	pthread_t maker;
};

static void *prep_make(void *ctx, const struct pm_entry *e, struct pm_err *err)
{
	struct prep_ctx *c = ctx;
	const char *v = pm_entry_get(e, "n", NULL);
	struct prep_item *it;

	if (!v || !strcmp(v, "bad")) {
		pm_err_set(err, PM_EINPUT, "no number");
		return NULL;
	}
	it = xcalloc(1, sizeof(*it));
	it->n = strtol(v, NULL, 10);
	it->maker = pthread_self();
	atomic_fetch_add(&c->made, 1);
	if (!pthread_equal(it->maker, c->handler))
		atomic_fetch_add(&c->made_elsewhere, 1);
	return it;
}

static int prep_handle(void *ctx, struct pm_queue *q, const struct pm_entry *e, void *prep,
		       const struct pm_err *prep_err, struct pm_err *err)
{
	struct prep_ctx *c = ctx;
	struct prep_item *it = prep;

	(void)q;
	c->calls++;
	if (!it) {
		*err = *prep_err;
		return -1;
	}
	if (it->n >= 1000) /* fails for now: retried, then dead-lettered */
		return pm_err_set(err, PM_ERUNTIME, "try again");
	if (!pthread_equal(pthread_self(), c->handler) ||
	    it->n != strtol(pm_entry_get(e, "n", NULL), NULL, 10))
		c->mismatched++;
	c->handled++;
	return 0;
}

static struct prep_ctx *prep_ctx_of_free; /* the test's, for prep_release */

/* Dead letters of stage whose error is `error` (the test prefix's). */
static int dead_with_error(const char *url, const char *stage, const char *error)
{
	redisContext *c = redisConnectUnix(url + strlen("unix://"));
	redisReply *r = c && !c->err ? redisCommand(c, "XRANGE t:dead - +") : NULL;
	int n = 0;

	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		redisReply *f = r->element[i]->element[1];
		int st = 0, er = 0;
		for (size_t j = 0; j + 1 < f->elements; j += 2) {
			st |= !strcmp(f->element[j]->str, "stage") && !strcmp(f->element[j + 1]->str, stage);
			er |= !strcmp(f->element[j]->str, "error") && !strcmp(f->element[j + 1]->str, error);
		}
		n += st && er;
	}
	if (r)
		freeReplyObject(r);
	if (c)
		redisFree(c);
	return n;
}

/* Adds entries n = first .. first + count - 1 to stream; with bad_every,
 * those with i % bad_every == 3 carry "bad" instead of a number. */
static void add_numbers(struct pm_queue *q, const char *stream, int first, int count, int bad_every)
{
	struct pm_err err;

	pm_err_init(&err);
	for (int i = 0; i < count; i++) {
		char num[16];
		int bad = bad_every && i % bad_every == 3;
		snprintf(num, sizeof(num), "%d", first + i);
		struct pm_field f = { "n", bad ? "bad" : num, bad ? 3 : strlen(num) };
		CHECK(pm_queue_add(q, stream, &f, 1, &err) == 0);
	}
}

static void prep_release(void *prep)
{
	struct prep_item *it = prep;

	atomic_fetch_add(&prep_ctx_of_free->freed, 1);
	if (!pthread_equal(pthread_self(), it->maker))
		atomic_fetch_add(&prep_ctx_of_free->freed_elsewhere, 1);
	free(it);
}

static void test_stage_prepare(const char *url)
{
	struct pm_queue *q = open_q(url, 50, 2);
	struct prep_ctx c;
	struct pm_stage s = { .name = "pst", .stream = "pin", .prepare = prep_make,
			      .handle_prepared = prep_handle, .prep_free = prep_release, .ctx = &c };
	struct pm_err err;
	size_t done;
	long long dead0;

	TEST("stage with a preparing helper");
	pm_err_init(&err);
	if (!q) {
		CHECK(q != NULL);
		return;
	}
	memset(&c, 0, sizeof(c));
	c.handler = pthread_self();
	prep_ctx_of_free = &c;
	dead0 = pm_queue_stream_len(q, PM_STREAM_DEAD);
	for (int batch = 0; batch < 2; batch++) {
		int n = batch ? 5 : 300;
		c.handled = c.calls = 0;
		add_numbers(q, "pin", 0, n, 97);
		CHECK(pm_stage_step(q, &s, "w1", 1000, 0, &done, &err) == 0);
		CHECK_INT(done, n);
		CHECK_INT(c.calls, n);
		CHECK_INT(c.handled, batch ? 4 : 296); /* 3, 100, 197, 294 fail */
		/* the batch of 300 on the helper, the one of 5 on the caller */
		CHECK_INT(atomic_load(&c.made_elsewhere), 296);
	}
	CHECK_INT(c.mismatched, 0);
	CHECK_INT(atomic_load(&c.made), 296 + 4);
	CHECK_INT(atomic_load(&c.freed), 296 + 4);
	CHECK_INT(atomic_load(&c.freed_elsewhere), 0);
	CHECK_INT(pm_queue_stream_len(q, PM_STREAM_DEAD) - dead0, 4 + 1);
	/* the preparation's own error, from the helper and from the caller */
	CHECK_INT(dead_with_error(url, "pst", "no number"), 4 + 1);

	TEST("stage with a preparing helper: entries delivered too often");
	/* 100 entries fail twice (max_deliveries 2), then a turn of 100 made
	 * ahead by the helper dead-letters them: each is handed back (more
	 * than PREP_AHEAD: a helper never handed them back would wait for
	 * ever) and freed once */
	dead0 = pm_queue_stream_len(q, PM_STREAM_DEAD);
	add_numbers(q, "pin", 1000, 100, 0);
	CHECK(pm_stage_step(q, &s, "w1", 1000, 0, &done, &err) == 0);
	CHECK_INT(done, 0);
	for (int turn = 0; turn < 2; turn++) {
		pm_sleep_ms(80); /* past claim-idle: another worker takes them */
		CHECK(pm_stage_step(q, &s, turn ? "w3" : "w2", 1000, 0, &done, &err) == 0);
		CHECK_INT(done, turn ? 100 : 0);
	}
	CHECK_INT(pm_queue_stream_len(q, PM_STREAM_DEAD) - dead0, 100);
	CHECK_INT(atomic_load(&c.made), atomic_load(&c.freed));
	CHECK_INT(atomic_load(&c.freed_elsewhere), 0);
	pm_queue_free(q);
}

/* prep_now for the test: no for the first `no` questions, then yes. */
struct prep_gate {
	int asked, no;
};

static int prep_gate_ask(void *arg)
{
	struct prep_gate *g = arg;

	return g->asked++ >= g->no;
}

/* pm_stage.prep_now: no helper while it says no; asked again every 256
 * entries (PREP_RECHECK), a helper starts in mid-turn and prepares the
 * rest; every entry still reaches its own handler call in order, and
 * every preparation is freed once, by its maker. */
static void test_stage_prepare_gate(const char *url)
{
	struct pm_queue *q = open_q(url, 50, 2);
	struct prep_ctx c;
	struct prep_gate g = { 0, 0 };
	struct pm_stage s = { .name = "pgt", .stream = "pgate", .prepare = prep_make,
			      .handle_prepared = prep_handle, .prep_free = prep_release, .ctx = &c,
			      .prep_now = prep_gate_ask, .prep_now_arg = &g };
	struct pm_err err;
	size_t done;

	TEST("stage whose helper waits for prep_now");
	pm_err_init(&err);
	if (!q) {
		CHECK(q != NULL);
		return;
	}
	prep_ctx_of_free = &c;
	for (int round = 0; round < 2; round++) {
		memset(&c, 0, sizeof(c));
		c.handler = pthread_self();
		g.asked = 0;
		g.no = round ? 1000 : 2; /* round 0: no at entries 0 and 256, yes at 512 */
		add_numbers(q, "pgate", 0, 1000, 0);
		CHECK(pm_stage_step(q, &s, "w1", 1000, 0, &done, &err) == 0);
		CHECK_INT(done, 1000);
		CHECK_INT(c.handled, 1000);
		CHECK_INT(c.mismatched, 0);
		CHECK_INT(g.asked, round ? 4 : 3); /* at 0, 256, 512, 768 until yes */
		CHECK_INT(atomic_load(&c.made_elsewhere), round ? 0 : 1000 - 512);
		CHECK_INT(atomic_load(&c.made), 1000);
		CHECK_INT(atomic_load(&c.freed), 1000);
		CHECK_INT(atomic_load(&c.freed_elsewhere), 0);
	}
	pm_queue_free(q);
}

static pid_t start_tcp_redis(int port)
{
	char portstr[16];
	pid_t pid;

	snprintf(portstr, sizeof(portstr), "%d", port);
	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execlp("redis-server", "redis-server", "--port", portstr, "--bind", "127.0.0.1",
		       "--requirepass", "s3cret", "--save", "", "--appendonly", "no", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void test_urls(void)
{
	int port = 20000 + (int)(getpid() % 20000);
	pid_t pid = start_tcp_redis(port);
	char url[128];
	struct pm_queue *q;
	struct pm_queue_opts o;
	struct pm_err err;

	TEST("urls with password and database");
	pm_err_init(&err);
	snprintf(url, sizeof(url), "redis://:s3cret@127.0.0.1:%d/3", port);
	q = open_q(url, 1000, 3);
	CHECK(q != NULL);
	if (q) {
		CHECK(strstr(pm_queue_url_safe(q), "s3cret") == NULL);
		CHECK(strstr(pm_queue_url_safe(q), "***") != NULL);
		pm_queue_free(q);
	}
	pm_queue_opts_init(&o);
	snprintf(url, sizeof(url), "redis://:wrong@127.0.0.1:%d", port);
	o.url = url;
	o.connect_timeout_ms = 300;
	CHECK(pm_queue_connect(&o, &q, &err) == -1);
	CHECK_INT(err.code, PM_EDEP);
	CHECK(strstr(err.msg, "wrong") == NULL); /* the password never shows */
	o.url = "http://x";
	CHECK(pm_queue_connect(&o, &q, &err) == -1);
	CHECK_INT(err.code, PM_EINPUT);
	o.url = "redis://127.0.0.1:1";
	CHECK(pm_queue_connect(&o, &q, &err) == -1);
	CHECK_INT(err.code, PM_EDEP);

	TEST("a read that fails leaves an empty batch");
	/* a user who may XAUTOCLAIM but not XREADGROUP: the claim succeeds
	 * (with nothing to claim), then the read fails; the claim's reply was
	 * leaked once per turn by a worker retrying through a Redis outage */
	{
		char *cmd = xasprintf("redis-cli -p %d -a s3cret --no-auth-warning ACL SETUSER lim on "
				      "'>pw' '~*' '+@all' '-xreadgroup' >/dev/null", port);
		struct pm_batch b = { 0 };
		CHECK(system(cmd) == 0);
		free(cmd);
		snprintf(url, sizeof(url), "redis://lim:pw@127.0.0.1:%d", port);
		q = open_q(url, 1000, 3);
		CHECK(q != NULL);
		if (q) {
			pm_err_init(&err);
			CHECK(pm_queue_group(q, "s", "g", &err) == 0);
			CHECK(pm_queue_read(q, "s", "g", "c", 10, 0, &b, &err) == -1);
			CHECK(strstr(err.msg, "NOPERM") != NULL);
			CHECK_INT(b.n, 0);
			CHECK(b.priv == NULL);
			pm_batch_release(&b);
			pm_queue_free(q);
		}
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* The per-second rate counters: what pm_queue_add and pm_queue_ack count
 * lands in the bucket of the current second, with a TTL, and the window
 * sums count exactly that bucket and nothing outside it. */
static void test_rate(const char *url)
{
	struct pm_queue_opts o;
	struct pm_queue *q = NULL;
	struct pm_batch b = { 0 };
	struct pm_err err;
	struct pm_field f = { "v", "x", 1 };
	long long added = -1, acked = -1;
	int64_t s0 = 0, s1 = -1;

	TEST("rate counters");
	pm_err_init(&err);
	pm_queue_opts_init(&o);
	o.url = url;
	o.prefix = "rate-t:";
	o.claim_idle_ms = -1;
	CHECK(pm_queue_connect(&o, &q, &err) == 0);
	if (!q)
		return;
	/* same machine: the Redis clock is ours within a second */
	CHECK(llabs((long long)(pm_queue_clock_ms(q) - pm_now_ms())) < 1000);
	/* retried when the work straddles a second boundary */
	for (int attempt = 0; attempt < 5 && s0 != s1; attempt++) {
		const char *ids[3];
		CHECK(pm_queue_flush_prefix(q, &err) == 0);
		CHECK(pm_queue_group(q, "s", "g", &err) == 0);
		s0 = pm_queue_clock_ms(q) / 1000;
		for (int i = 0; i < 3; i++)
			pm_queue_add(q, "s", &f, 1, &err);
		pm_queue_read(q, "s", "g", "c", 10, 0, &b, &err);
		for (size_t i = 0; i < b.n && i < 3; i++)
			ids[i] = b.v[i].id;
		if (b.n == 3) {
			pm_queue_ack(q, "s", "g", ids, 2, &err);
			pm_queue_dead(q, "g", "s", "g", &b.v[2], "test", &err);
		}
		s1 = pm_queue_clock_ms(q) / 1000;
		pm_batch_release(&b);
	}
	CHECK(s0 == s1);
	CHECK(pm_queue_rate(q, "s", "g", s0, s0, &added, &acked, &err) == 0);
	CHECK_INT(added, 3);
	CHECK_INT(acked, 3);                 /* 2 acked + 1 dead-lettered */
	CHECK(pm_queue_rate(q, PM_STREAM_DEAD, NULL, s0, s0, &added, &acked, &err) == 0);
	CHECK_INT(added, 1);
	CHECK_INT(acked, 0);
	CHECK(pm_queue_rate(q, "s", "other", s0, s0, &added, &acked, &err) == 0);
	CHECK_INT(added, 3);
	CHECK_INT(acked, 0);                 /* another group acknowledged nothing */
	CHECK(pm_queue_rate(q, "s", "g", s0 - 60, s0 - 1, &added, &acked, &err) == 0);
	CHECK_INT(added + acked, 0);
	CHECK(pm_queue_rate(q, "s", "g", s0 + 1, s0 + 60, &added, &acked, &err) == 0);
	CHECK_INT(added + acked, 0);
	CHECK(pm_queue_rate(q, "s", "g", s0, s0 + PM_RATE_MAX_SECONDS, &added, &acked, &err) == -1);
	CHECK_INT(err.code, PM_EINPUT);

	TEST("rate bucket has a TTL");
	{
		const char *sock = url + strlen("unix://");
		redisContext *c = redisConnectUnix(sock);
		redisReply *r = c && !c->err ? redisCommand(c, "TTL rate-t:rate:%lld", (long long)s0) : NULL;
		CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer > 0 && r->integer <= 180);
		if (r)
			freeReplyObject(r);
		if (c)
			redisFree(c);
	}

	TEST("rate over the last minute");
	/* the minute covers whole seconds only: wait for s0 to be over */
	for (int i = 0; i < 30 && pm_queue_clock_ms(q) / 1000 <= s0; i++)
		pm_sleep_ms(50);
	CHECK(pm_queue_rate_minute(q, "s", "g", &added, &acked, &err) == 0);
	CHECK_INT(added, 3);
	CHECK_INT(acked, 3);
	pm_queue_flush_prefix(q, &err);
	pm_queue_free(q);
}

/* redis-server on a unix socket with its append-only file in data;
 * key_load_delay_us > 0 slows the reading of that file at start (a
 * debugging setting of redis-server), so that it answers LOADING a while. */
static pid_t start_aof_redis(const char *sock, const char *data, int key_load_delay_us)
{
	char delay[16];
	pid_t pid;

	snprintf(delay, sizeof(delay), "%d", key_load_delay_us);
	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", sock,
		       "--dir", data, "--appendonly", "yes", "--save", "", "--key-load-delay",
		       delay, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* A restarted redis-server answers LOADING while it reads its append-only
 * file. That is an outage like a lost connection: the stage loop must
 * report PM_EDEP (the worker backs off and retries) and then carry on, not
 * fail with PM_ERUNTIME (the worker exited: found by
 * tests/integration/chaos.sh). */
static void test_loading(void)
{
	char *sock = xasprintf("%s/load.sock", dir), *data = xasprintf("%s/load-data", dir);
	char *url = xasprintf("unix://%s", sock), *key;
	struct handler_ctx h = { 0, 0 };
	struct pm_stage s = { .name = "st", .stream = "in", .handle = handle, .flush = flush, .ctx = &h };
	struct pm_field f = { "v", "ok", 2 };
	struct pm_queue *q;
	struct pm_err err;
	size_t done = 0;
	long long pending = -1;
	int64_t deadline;
	int rc;
	pid_t pid;

	TEST("a server loading its data is an outage, not a failure");
	pm_err_init(&err);
	/* as in the workers: a write to the stopped server is an error, not death */
	signal(SIGPIPE, SIG_IGN);
	key = xasprintf("mkdir -p '%s'", data);
	CHECK(system(key) == 0);
	free(key);
	pid = start_aof_redis(sock, data, 0);
	q = open_q(url, 60000, 3);
	CHECK(q != NULL);
	if (!q)
		goto out;
	/* enough keys that reading them back takes seconds at the delay below */
	for (int i = 0; i < 3000; i++) {
		key = xasprintf("k%d", i);
		pm_queue_seen_mark(q, key, "1", 600, &err);
		free(key);
	}
	CHECK(pm_queue_add(q, "in", &f, 1, &err) == 0);
	CHECK(pm_stage_pending(q, &s, &pending, &err) == 0); /* creates the group */
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	pid = start_aof_redis(sock, data, 2000); /* 3000 keys: 6 s of LOADING */

	rc = pm_stage_step(q, &s, "w1", 10, 0, &done, &err);
	CHECK_INT(rc, -1);
	CHECK_INT(err.code, PM_EDEP);
	CHECK(strstr(err.msg, "LOADING") != NULL);
	/* a plain command meets the same answer — unless the loading ended
	 * meanwhile: the server replies only between chunks of its file, and
	 * under a sanitizer the step above has taken 2.5 s */
	pm_err_init(&err);
	if (pm_queue_add(q, "other", &f, 1, &err) < 0) {
		CHECK_INT(err.code, PM_EDEP);
		CHECK(strstr(err.msg, "LOADING") != NULL);
	}
	/* the worker's loop: back off while it is an outage, then go on (the
	 * server answers only between chunks of its file, so a command may
	 * also just wait until the loading is done) */
	deadline = pm_mono_ms() + 20000;
	while (pm_mono_ms() < deadline) {
		pm_err_init(&err);
		rc = pm_stage_step(q, &s, "w1", 10, 0, &done, &err);
		if (rc == 0 && done == 1)
			break;
		if (rc < 0 && err.code != PM_EDEP)
			break;
		pm_sleep_ms(50);
	}
	CHECK_INT(rc, 0);
	CHECK_INT(done, 1);
	CHECK(pm_stage_pending(q, &s, &pending, &err) == 0);
	CHECK_INT(pending, 0);
	pm_queue_free(q);
out:
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	free(url);
	free(data);
	free(sock);
}

/* the classifier's splice: raw text plus members equals the merged object */
static void test_splice(void)
{
	static const char *const raws[] = {
		"{\"id\":\"a1\",\"title\":\"Caf\u00e9 \\\"x\\\"\",\"n\":1.5}",
		"{\"id\":\"a2\",\"nested\":{\"tags\":[1]}}  \n",
		"{ \"id\" : \"a3\" }",
	};
	json_t *added = json_pack("{s:[{s:s,s:f}],s:[],s:s}", "tags", "tag", "icc",
				  "score", 2.5, "misinfo", "odd \"key\"\n", "v");

	TEST("splice members into an article's JSON text");
	for (size_t i = 0; i < sizeof(raws) / sizeof(raws[0]); i++) {
		json_t *parsed = json_loads(raws[i], 0, NULL), *want, *got;
		size_t n = 0;
		char *out = pm_json_splice_members(raws[i], strlen(raws[i]), parsed, added, &n);
		CHECK(out != NULL);
		if (!out) {
			json_decref(parsed);
			continue;
		}
		CHECK_INT((long long)n, (long long)strlen(out));
		want = json_copy(parsed);
		json_object_update(want, added);
		got = json_loads(out, 0, NULL);
		CHECK(got && json_equal(got, want));
		/* the article's own bytes are kept as they came */
		CHECK(!strncmp(out, raws[i], 10));
		json_decref(got);
		json_decref(want);
		json_decref(parsed);
		free(out);
	}
	{
		/* an article that has tags already, or no members, is encoded again */
		const char *tagged = "{\"id\":\"b\",\"tags\":[]}", *empty = "{}";
		json_t *p1 = json_loads(tagged, 0, NULL), *p2 = json_loads(empty, 0, NULL);
		size_t n;
		CHECK(pm_json_splice_members(tagged, strlen(tagged), p1, added, &n) == NULL);
		CHECK(pm_json_splice_members(empty, strlen(empty), p2, added, &n) == NULL);
		json_decref(p1);
		json_decref(p2);
	}
	json_decref(added);
}

/* ---- pm_article_json against json_dumps ---- */

static unsigned long long enc_rng = 88172645463325252ULL;

static unsigned enc_rand(unsigned n)
{
	return tl_rand(&enc_rng, n);
}

/* Text mostly of plain words, with every kind of byte jansson treats
 * specially: controls, quotes, backslashes, slashes, DEL, 2-4 byte UTF-8,
 * and (when bad) sequences it refuses: stray continuations, overlong forms,
 * surrogates, past U+10FFFF, cut-short sequences, a NUL. */
static size_t enc_text(char *out, size_t max, int bad)
{
	static const char *const pieces[] = {
		"The Court ", "said ", "on Monday ", "prosecutors ", "a", " ", "  ",
		"\"", "\\", "/", "\n", "\r\n", "\t", "\b", "\f", "\x01", "\x1f",
		"\x7f", "caf\xc3\xa9 ", "\xd8\xa7\xd9\x84", "\xe2\x80\x94",
		"\xe2\x80\xa8", "\xef\xbb\xbf", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf",
		"\xd0\x9c\xd0\xbe\xd1\x81\xd0\xba\xd0\xb2\xd0\xb0", "0123456789abcdefXYZ",
	};
	static const char *const broken[] = {
		"\x80", "\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\xc3", "\xe2\x80",
		"\xc3\x28", "\xf0\x9f\x98",
	};
	size_t n = 0, parts = enc_rand(40);

	for (size_t i = 0; i < parts; i++) {
		const char *p = pieces[enc_rand(sizeof(pieces) / sizeof(pieces[0]))];
		size_t k = strlen(p);
		if (bad && enc_rand(8) == 0) {
			p = broken[enc_rand(sizeof(broken) / sizeof(broken[0]))];
			k = strlen(p);
		}
		if (bad && enc_rand(30) == 0)
			p = "\0", k = 1;
		if (n + k > max)
			break;
		memcpy(out + n, p, k);
		n += k;
	}
	return n;
}

static json_t *enc_string(int bad)
{
	char buf[1024];
	size_t n = enc_text(buf, sizeof(buf), bad);

	return json_stringn_nocheck(buf, n);
}

static json_t *enc_value(int depth, int bad)
{
	switch (enc_rand(depth > 2 ? 6 : 8)) {
	case 0: return json_null();
	case 1: return json_integer((json_int_t)enc_rand(2000000) - 1000000);
	case 2: return json_real((double)enc_rand(100000) / 7.0);
	case 3: return enc_rand(2) ? json_true() : json_false();
	case 4:
	case 5: return enc_string(bad);
	case 6: {
		json_t *a = json_array();
		for (unsigned i = 0, n = enc_rand(4); i < n; i++)
			json_array_append_new(a, enc_value(depth + 1, bad));
		return a;
	}
	default: {
		json_t *o = json_object();
		for (unsigned i = 0, n = enc_rand(4); i < n; i++) {
			char key[64];
			size_t k = enc_text(key, sizeof(key) - 1, bad);
			json_object_setn_new_nocheck(o, key, k, enc_value(depth + 1, bad));
		}
		return o;
	}
	}
}

/* an article as the parse stage builds one, text and summary one json_t */
static json_t *enc_article(int bad)
{
	json_t *a = json_object(), *text = enc_string(bad);

	json_object_set_new(a, "id", json_string("0123456789abcdef"));
	json_object_set_new(a, "url", enc_rand(3) ? json_string("https://x.example/a?b=1") : json_null());
	json_object_set_new(a, "guid", enc_string(bad));
	json_object_set_new(a, "title", enc_string(bad));
	json_object_set(a, "text", text);
	json_object_set(a, "summary", enc_rand(2) ? text : json_null());
	json_object_set_new(a, "author", enc_rand(2) ? enc_string(bad) : json_null());
	json_object_set_new(a, "source", enc_value(0, bad));
	json_object_set_new(a, "feed_tags", enc_rand(2) ? json_array() : enc_value(1, bad));
	if (enc_rand(4) == 0)
		json_object_set_new(a, "extra", enc_value(0, bad));
	json_decref(text);
	return a;
}

static void test_article_json(void)
{
	int same = 0, refused = 0, cases = 0;

	TEST("article JSON is json_dumps's, byte for byte");
	for (int i = 0; i < 20000; i++) {
		json_t *a = enc_article(i % 3 == 0);
		char *want = json_dumps(a, JSON_COMPACT);
		size_t n = 12345;
		char *got = pm_article_json(a, &n);

		cases++;
		if (!want) {
			refused += got == NULL;
		} else if (got && n == strlen(want) && !strcmp(got, want)) {
			same++;
		} else if (same + refused + 5 > cases) {
			fprintf(stderr, "want %s\ngot  %s\n", want, got ? got : "(null)");
		}
		free(want);
		free(got);
		json_decref(a);
	}
	CHECK_INT(same + refused, cases);
	/* both kinds occur, or the comparison proves little */
	CHECK(refused > 1000);
	CHECK(same > 10000);
	{
		/* empty containers, a deep nest (left to jansson), a lone string */
		json_t *o = json_pack("{s:{},s:[],s:s,s:[[[]]]}", "a", "b", "", "", "c");
		json_t *deep = json_array(), *cur = deep;
		char *w, *g;
		for (int d = 0; d < 100; d++) {
			json_t *n = json_array();
			json_array_append_new(cur, n);
			cur = n;
		}
		json_object_set_new(o, "deep", deep);
		w = json_dumps(o, JSON_COMPACT);
		g = pm_article_json(o, NULL);
		CHECK(w && g && !strcmp(w, g));
		free(w);
		free(g);
		json_decref(o);
	}
}

int main(void)
{
	struct pm_embedded emb;
	struct pm_err err;

	pm_err_init(&err);
	snprintf(dir, sizeof(dir), "/tmp/pm-test-queue-%d", (int)getpid());
	TEST("embedded redis");
	if (pm_embedded_start(dir, &emb, &err) < 0) {
		fprintf(stderr, "cannot start redis-server: %s\n", err.msg);
		CHECK(0);
		return tl_summary();
	}
	CHECK(emb.pid > 0);
	test_streams(emb.url);
	test_sched_state(emb.url);
	test_pipeline(emb.url);
	test_parse_stage(emb.url);
	test_parse_stage_language(emb.url);
	test_stage(emb.url);
	test_stage_prepare(emb.url);
	test_stage_prepare_gate(emb.url);
	test_rate(emb.url);
	test_urls();
	test_splice();
	test_article_json();
	test_loading();
	pm_embedded_stop(&emb);
	{
		char *cmd = xasprintf("rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", dir);
		free(cmd);
	}
	return tl_summary();
}
