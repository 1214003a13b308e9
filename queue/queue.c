/* queue: Redis connection, streams with consumer groups, dead letters, the
 * fetch schedule, feed state and duplicate suppression, over hiredis.
 * Every command goes through run(): one reconnect-and-retry on a lost
 * connection, so a Redis restart costs a worker one failed turn at most. */
#include "queue/queue.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#include <hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct pm_queue {
	redisContext *c;
	char *safe_url;
	char *host;       /* TCP host, or NULL for a unix socket */
	int port;
	char *sock;
	char *user;       /* ACL user, may be NULL */
	char *password;   /* may be NULL; never logged */
	int db;
	char *prefix;
	struct pm_queue_opts o;
	/* the pipeline: one slot per reply owed by an appended command */
	struct pipe_slot *slots;
	size_t nslots, aslots;
	size_t unit;          /* number of the open unit, 0 when none is open */
	size_t nunits;        /* units begun since the last flush */
	int unit_bad;         /* the open unit could not be sent: skip the rest */
	size_t pipe_bytes;    /* argument bytes appended since the last flush */
	size_t pipe_failed;   /* units or lone commands failed, not yet reported */
	struct pm_err pipe_err; /* the first of those failures */
	int64_t skew_ms;      /* Redis clock minus ours, from TIME at connect */
	/* processing-rate counts not yet sent, all for second rate_sec */
	struct rate_count {
		char field[160];
		long long n;
	} rate[16];
	size_t nrate;
	int64_t rate_sec;
	int64_t rate_expire_sec;  /* last rate bucket this process set a TTL on */
};

/* What an owed reply belongs to: unit 0 is a lone command. */
struct pipe_slot {
	size_t unit;
	int exec;             /* the EXEC closing its unit */
	int side;             /* a statistics counter: its failure fails nothing */
};

void pm_queue_opts_init(struct pm_queue_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->prefix = "pm:";
	o->claim_idle_ms = 60000;
	o->max_deliveries = 5;
	o->maxlen = 1000000;
	o->connect_timeout_ms = 5000;
}

/* ---- URL ---------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into a new string. */
static char *pct_decode(const char *s, size_t n)
{
	char *r = xmalloc(n + 1), *w = r;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
		    hexval(s[i + 2]) >= 0) {
			*w++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			*w++ = s[i];
		}
	}
	*w = '\0';
	return r;
}

/* Parses redis://[[user]:password@]host[:port][/db] and
 * unix:///path[?db=N]. Hand-written: hiredis 0.14 has no URL parser and the
 * form is small. */
static int parse_url(struct pm_queue *q, const char *url, struct pm_err *err)
{
	const char *p, *at, *hostp, *end;

	if (!strncmp(url, "unix://", 7)) {
		const char *path = url + 7, *qm = strchr(path, '?');
		if (*path != '/')
			return pm_err_set(err, PM_EINPUT, "redis url '%s': unix socket path must be absolute", url);
		q->sock = qm ? xstrndup(path, (size_t)(qm - path)) : xstrdup(path);
		if (qm && !strncmp(qm, "?db=", 4))
			q->db = atoi(qm + 4);
		q->safe_url = xstrdup(url);
		return 0;
	}
	if (strncmp(url, "redis://", 8))
		return pm_err_set(err, PM_EINPUT, "redis url '%s' must start with redis:// or unix://", url);
	p = url + 8;
	end = p + strcspn(p, "/?");
	at = memchr(p, '@', (size_t)(end - p));
	hostp = p;
	if (at) {
		const char *colon = memchr(p, ':', (size_t)(at - p));
		if (colon) {
			if (colon > p)
				q->user = pct_decode(p, (size_t)(colon - p));
			q->password = pct_decode(colon + 1, (size_t)(at - colon - 1));
		} else {
			q->password = pct_decode(p, (size_t)(at - p));
		}
		hostp = at + 1;
	}
	{
		const char *colon = memchr(hostp, ':', (size_t)(end - hostp));
		const char *hend = colon ? colon : end;
		q->host = hend > hostp ? xstrndup(hostp, (size_t)(hend - hostp)) : xstrdup("127.0.0.1");
		q->port = 6379;
		if (colon) {
			char *e;
			long port = strtol(colon + 1, &e, 10);
			if (e != end || port < 1 || port > 65535)
				return pm_err_set(err, PM_EINPUT, "redis url: port in '%s' is not 1-65535", url);
			q->port = (int)port;
		}
	}
	if (*end == '/' && end[1]) {
		char *e;
		long db = strtol(end + 1, &e, 10);
		if ((*e && *e != '?') || db < 0 || db > 10000)
			return pm_err_set(err, PM_EINPUT, "redis url: database in '%s' is not a number", url);
		q->db = (int)db;
	}
	if (q->password) {
		struct pm_buf b = PM_BUF_INIT;
		pm_buf_adds(&b, "redis://");
		if (q->user)
			pm_buf_adds(&b, q->user);
		pm_buf_adds(&b, ":***@");
		pm_buf_adds(&b, hostp);
		q->safe_url = pm_buf_detach(&b, NULL);
	} else {
		q->safe_url = xstrdup(url);
	}
	return 0;
}

/* ---- connection ---------------------------------------------------------- */

static void disconnect(struct pm_queue *q)
{
	if (q->c)
		redisFree(q->c);
	q->c = NULL;
}

static int connect_once(struct pm_queue *q, struct pm_err *err)
{
	struct timeval tv = { 2, 0 };
	redisReply *r;

	disconnect(q);
	q->c = q->sock ? redisConnectUnixWithTimeout(q->sock, tv)
		       : redisConnectWithTimeout(q->host, q->port, tv);
	if (!q->c || q->c->err) {
		pm_err_set(err, PM_EDEP, "cannot connect to redis at '%s': %s",
			   q->safe_url, q->c ? q->c->errstr : "out of memory");
		disconnect(q);
		return -1;
	}
	if (q->password) {
		r = q->user ? redisCommand(q->c, "AUTH %s %s", q->user, q->password)
			    : redisCommand(q->c, "AUTH %s", q->password);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			pm_err_set(err, PM_EDEP, "redis at '%s' refused the password", q->safe_url);
			if (r)
				freeReplyObject(r);
			disconnect(q);
			return -1;
		}
		freeReplyObject(r);
	}
	if (q->db) {
		r = redisCommand(q->c, "SELECT %d", q->db);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			pm_err_set(err, PM_EDEP, "redis at '%s': cannot select database %d", q->safe_url, q->db);
			if (r)
				freeReplyObject(r);
			disconnect(q);
			return -1;
		}
		freeReplyObject(r);
	}
	/* Rate buckets are keyed by the Redis server's clock, so workers on
	 * machines whose clocks disagree still count into the same second.
	 * Without TIME (renamed away) our own clock is used. */
	r = redisCommand(q->c, "TIME");
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
	    r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING)
		q->skew_ms = atoll(r->element[0]->str) * 1000 + atoll(r->element[1]->str) / 1000 -
			     pm_now_ms();
	if (r)
		freeReplyObject(r);
	return 0;
}

/* Connects, retrying with exponential backoff for up to timeout_ms. */
static int connect_retry(struct pm_queue *q, int timeout_ms, struct pm_err *err)
{
	int64_t deadline = pm_mono_ms() + timeout_ms;
	int delay = 50;

	for (;;) {
		if (connect_once(q, err) == 0)
			return 0;
		if (err && err->msg[0] && strstr(err->msg, "refused the password"))
			return -1;
		if (pm_mono_ms() + delay > deadline)
			return -1;
		pm_sleep_ms(delay);
		delay = delay * 2 > 2000 ? 2000 : delay * 2;
	}
}

int pm_queue_connect(const struct pm_queue_opts *o, struct pm_queue **out, struct pm_err *err)
{
	struct pm_queue *q = xcalloc(1, sizeof(*q));

	q->o = *o;
	q->prefix = xstrdup(o->prefix ? o->prefix : "pm:");
	q->o.prefix = q->prefix;
	if (!o->url) {
		pm_err_set(err, PM_EINPUT, "no redis url given");
		goto fail;
	}
	if (parse_url(q, o->url, err) < 0)
		goto fail;
	if (connect_retry(q, o->connect_timeout_ms, err) < 0)
		goto fail;
	*out = q;
	return 0;
fail:
	pm_queue_free(q);
	return -1;
}

void pm_queue_free(struct pm_queue *q)
{
	if (!q)
		return;
	if (q->nslots) {
		struct pm_err e;
		size_t failed = 0;
		pm_err_init(&e);
		if (pm_queue_pipe_flush(q, &failed, &e) < 0)
			pm_warn("redis_pipeline", "failed=%zu error=\"%s\"", failed, e.msg);
	}
	free(q->slots);
	disconnect(q);
	free(q->safe_url);
	free(q->host);
	free(q->sock);
	free(q->user);
	if (q->password)
		memset(q->password, 0, strlen(q->password));
	free(q->password);
	free(q->prefix);
	free(q);
}

const char *pm_queue_url_safe(const struct pm_queue *q)
{
	return q->safe_url;
}

int pm_queue_max_deliveries(const struct pm_queue *q)
{
	return q->o.max_deliveries;
}

/* ---- commands ------------------------------------------------------------ */

struct argv_buf {
	const char *argv[64];
	size_t lens[64];
	char *owned[64];     /* key names too long for the arena, allocated */
	int argc, nowned;
	/* Key names and numbers are built here: a worker sends several keyed
	 * commands per article, and a malloc plus a vsnprintf for each was a
	 * tenth of the parse worker's instructions. */
	size_t arena_used;
	char arena[2048];
};

static void av_add(struct argv_buf *a, const char *s, size_t n)
{
	if (a->argc < 64) {
		a->argv[a->argc] = s;
		a->lens[a->argc++] = n;
	}
}

static void av_str(struct argv_buf *a, const char *s)
{
	av_add(a, s, strlen(s));
}

/* Adds the argument made of up to three parts, built in the arena when it
 * fits (else allocated and owned). */
static void av_join(struct argv_buf *a, const char *p1, const char *p2, const char *p3)
{
	size_t n1 = strlen(p1), n2 = strlen(p2), n3 = strlen(p3), n = n1 + n2 + n3;
	char *k;

	if (a->argc >= 64)
		return;
	if (n + 1 <= sizeof(a->arena) - a->arena_used) {
		k = a->arena + a->arena_used;
		a->arena_used += n + 1;
	} else {
		if (a->nowned >= 64)
			return;
		k = xmalloc(n + 1);
		a->owned[a->nowned++] = k;
	}
	memcpy(k, p1, n1);
	memcpy(k + n1, p2, n2);
	memcpy(k + n1 + n2, p3, n3);
	k[n] = '\0';
	av_add(a, k, n);
}

static void av_key(struct argv_buf *a, struct pm_queue *q, const char *name)
{
	av_join(a, q->prefix, name, "");
}

/* The key "seen:NAME" under the prefix. */
static void av_seen_key(struct argv_buf *a, struct pm_queue *q, const char *name)
{
	av_join(a, q->prefix, "seen:", name);
}

static void av_num(struct argv_buf *a, long long v)
{
	char num[24];

	snprintf(num, sizeof(num), "%lld", v);
	av_join(a, num, "", "");
}

static void av_release(struct argv_buf *a)
{
	for (int i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	a->nowned = a->argc = 0;
	a->arena_used = 0;
}

/* Error replies that say the server cannot serve yet, not that the command
 * is wrong: a restarted server answers LOADING while it reads its
 * append-only file, BUSY while a script runs, and the others during a
 * failover. They are outages (PM_EDEP: the caller backs off and retries);
 * READONLY means we reached a demoted primary, so we also reconnect. */
static int reply_is_outage(const redisReply *r, int *reconnect)
{
	static const char *const codes[] = { "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN",
					     "CLUSTERDOWN", "READONLY", NULL };

	*reconnect = 0;
	for (int i = 0; codes[i]; i++) {
		size_t n = strlen(codes[i]);
		if (r->len >= n && !strncmp(r->str, codes[i], n) &&
		    (r->len == n || r->str[n] == ' ')) {
			*reconnect = !strcmp(codes[i], "READONLY");
			return 1;
		}
	}
	return 0;
}

static void pipe_read(struct pm_queue *q);
static void rate_emit(struct pm_queue *q);

/* Runs a command; on a connection error reconnects once and retries. An
 * error reply becomes -1 with the message: PM_EDEP when the server is
 * unavailable for now (reply_is_outage), else PM_ERUNTIME. */
static redisReply *run(struct pm_queue *q, struct argv_buf *a, struct pm_err *err)
{
	redisReply *r = NULL;

	if (q->unit) {
		pm_err_set(err, PM_ERUNTIME, "redis %.*s inside a pipeline unit", (int)a->lens[0],
			   a->argv[0]);
		return NULL;
	}
	rate_emit(q);
	/* replies owed by the pipeline come first, in the same round trip */
	if (q->nslots && q->c && redisAppendCommandArgv(q->c, a->argc, a->argv, a->lens) == REDIS_OK) {
		pipe_read(q);
		if (q->c && redisGetReply(q->c, (void **)&r) != REDIS_OK)
			r = NULL;
		if (!r && q->c) {
			pm_warn("redis_lost", "url=%s error=\"%s\"", q->safe_url, q->c->errstr);
			disconnect(q);
		}
	} else if (q->nslots) {
		pipe_read(q);
	}
	for (int attempt = 0; attempt < 2 && !r; attempt++) {
		if (!q->c && connect_retry(q, attempt ? q->o.connect_timeout_ms : 200, err) < 0)
			continue;
		r = redisCommandArgv(q->c, a->argc, a->argv, a->lens);
		if (r)
			break;
		pm_warn("redis_lost", "url=%s error=\"%s\"", q->safe_url,
			q->c->errstr);
		disconnect(q);
	}
	if (!r) {
		if (err && !err->msg[0])
			pm_err_set(err, PM_EDEP, "lost the connection to redis at '%s'", q->safe_url);
		else if (err)
			err->code = PM_EDEP;
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		int reconnect, outage = reply_is_outage(r, &reconnect);
		pm_err_set(err, outage ? PM_EDEP : PM_ERUNTIME, "redis %.*s: %s",
			   (int)a->lens[0], a->argv[0], r->str);
		freeReplyObject(r);
		if (reconnect)
			disconnect(q);
		return NULL;
	}
	return r;
}

/* Runs a command whose reply only matters as success or failure. */
static int run_ok(struct pm_queue *q, struct argv_buf *a, struct pm_err *err)
{
	redisReply *r = run(q, a, err);
	av_release(a);
	if (!r)
		return -1;
	freeReplyObject(r);
	return 0;
}

/* ---- pipeline ------------------------------------------------------------ */

/* A fetcher finishing 64 transfers at once would otherwise pay 3 round
 * trips each; the pipeline sends them all in one write and reads the
 * replies in one pass. Units are MULTI/EXEC blocks: Redis rejects a whole
 * unit when a command cannot be queued (out of memory, say), so a raw
 * document is never recorded without its feed's state or the reverse. */

/* Flush when this much is buffered, so a pipeline of large documents does
 * not hold them all twice. */
#define PIPE_FLUSH_BYTES ((size_t)4 << 20)

static void pipe_note(struct pm_queue *q, const struct pm_err *e)
{
	if (!q->pipe_failed++)
		q->pipe_err = *e;
}

static void pipe_read(struct pm_queue *q)
{
	size_t last_bad = 0;
	int lost = !q->c;

	for (size_t i = 0; i < q->nslots; i++) {
		const struct pipe_slot *s = &q->slots[i];
		redisReply *r = NULL;
		struct pm_err e;

		pm_err_init(&e);
		if (!lost && redisGetReply(q->c, (void **)&r) != REDIS_OK) {
			pm_warn("redis_lost", "url=%s error=\"%s\"", q->safe_url, q->c->errstr);
			disconnect(q);
			lost = 1;
			r = NULL;
		}
		if (lost) {
			pm_err_set(&e, PM_EDEP, "lost the connection to redis at '%s'", q->safe_url);
		} else if (r->type == REDIS_REPLY_ERROR) {
			int reconnect;
			pm_err_set(&e, reply_is_outage(r, &reconnect) ? PM_EDEP : PM_ERUNTIME,
				   "redis pipeline: %s", r->str);
		} else if (s->exec && r->type != REDIS_REPLY_ARRAY) {
			pm_err_set(&e, PM_ERUNTIME, "redis pipeline: a transaction was not run");
		} else if (s->exec) {
			for (size_t k = 0; k < r->elements; k++)
				if (r->element[k]->type == REDIS_REPLY_ERROR) {
					pm_err_set(&e, PM_ERUNTIME, "redis pipeline: %s", r->element[k]->str);
					break;
				}
		}
		if (r)
			freeReplyObject(r);
		if (s->side) { /* statistics: never fail the work they count */
			if (e.msg[0] && !lost)
				pm_debug("rate_not_counted", "error=\"%s\"", e.msg);
			continue;
		}
		/* a unit fails once, however many of its replies say so */
		if (e.msg[0] && (s->unit == 0 || s->unit != last_bad)) {
			pipe_note(q, &e);
			last_bad = s->unit;
		}
	}
	if (lost)
		q->rate_expire_sec = 0; /* the TTL may not have been set */
	q->nslots = 0;
	q->nunits = 0;
	q->pipe_bytes = 0;
}

static void pipe_drain(struct pm_queue *q)
{
	rate_emit(q);
	if (q->nslots && !q->unit)
		pipe_read(q);
}

/* Appends the command in a; its reply is owed to the pipeline. */
static void pipe_append_slot(struct pm_queue *q, struct argv_buf *a, int exec, int side)
{
	struct pm_err e;

	pm_err_init(&e);
	if (q->unit && q->unit_bad) {
		av_release(a);
		return;
	}
	if (!q->c && (q->nslots || connect_retry(q, 200, &e) < 0)) {
		if (side) {
			av_release(a);
			return;
		}
		/* no connection: a unit's later commands are skipped with it, so
		 * they never run outside their transaction */
		if (!e.msg[0])
			pm_err_set(&e, PM_EDEP, "lost the connection to redis at '%s'", q->safe_url);
		pipe_note(q, &e);
		q->unit_bad = q->unit != 0;
		av_release(a);
		return;
	}
	if (redisAppendCommandArgv(q->c, a->argc, a->argv, a->lens) != REDIS_OK) {
		pm_err_set(&e, PM_ERUNTIME, "redis pipeline: %s", q->c->errstr);
		pipe_note(q, &e);
		q->unit_bad = q->unit != 0;
		av_release(a);
		return;
	}
	for (int i = 0; i < a->argc; i++)
		q->pipe_bytes += a->lens[i];
	if (q->nslots == q->aslots) {
		q->aslots = q->aslots ? q->aslots * 2 : 64;
		q->slots = xrealloc(q->slots, q->aslots * sizeof(*q->slots));
	}
	q->slots[q->nslots++] = (struct pipe_slot){ side ? 0 : q->unit, exec, side };
	av_release(a);
	if (!q->unit && q->pipe_bytes >= PIPE_FLUSH_BYTES)
		pipe_read(q);
}

static void pipe_append(struct pm_queue *q, struct argv_buf *a, int exec)
{
	pipe_append_slot(q, a, exec, 0);
}

/* Appends a command whose building returned rc; a command that could not
 * be built (e) fails its unit like one Redis refused. */
static void pipe_built(struct pm_queue *q, struct argv_buf *a, int rc, const struct pm_err *e)
{
	if (rc == 0) {
		pipe_append(q, a, 0);
		return;
	}
	av_release(a);
	pipe_note(q, e);
	q->unit_bad = q->unit != 0;
}

void pm_queue_pipe_begin(struct pm_queue *q)
{
	struct argv_buf a = { 0 };

	q->unit = ++q->nunits;
	q->unit_bad = 0;
	av_str(&a, "MULTI");
	pipe_append(q, &a, 0);
}

void pm_queue_pipe_end(struct pm_queue *q)
{
	struct argv_buf a = { 0 };

	if (!q->unit)
		return;
	if (!q->unit_bad) {
		av_str(&a, "EXEC");
		pipe_append(q, &a, 1);
	}
	q->unit = 0;
	q->unit_bad = 0;
	if (q->pipe_bytes >= PIPE_FLUSH_BYTES)
		pipe_read(q);
}

int pm_queue_pipe_flush(struct pm_queue *q, size_t *failed, struct pm_err *err)
{
	size_t n;

	pm_queue_pipe_end(q);
	rate_emit(q);
	if (q->nslots)
		pipe_read(q);
	n = q->pipe_failed;
	if (failed)
		*failed = n;
	if (!n)
		return 0;
	if (err)
		*err = q->pipe_err;
	q->pipe_failed = 0;
	pm_err_init(&q->pipe_err);
	return -1;
}

size_t pm_queue_pipe_pending(const struct pm_queue *q)
{
	return q->nslots;
}

/* ---- processing rate ------------------------------------------------------ */

/* Each stage counts what it adds to a stream and what it acknowledges in
 * one hash per second of the Redis clock, rate:{unix second}, fields
 * "add:{stream}" and "ack:{stream}:{group}". Counts are summed in memory
 * and sent as HINCRBYs ahead of the next command or pipeline that goes to
 * Redis anyway (no round trip of their own); the TTL is set once per
 * second per process. `status` sums the last minute. */
#define RATE_TTL_S 180

int64_t pm_queue_clock_ms(const struct pm_queue *q)
{
	return pm_now_ms() + q->skew_ms;
}

/* Appends the counts held for rate_sec as side commands of the pipeline. */
static void rate_emit(struct pm_queue *q)
{
	char key[48];

	if (!q->nrate || q->unit)
		return;
	snprintf(key, sizeof(key), "rate:%lld", (long long)q->rate_sec);
	for (size_t i = 0; i < q->nrate; i++) {
		struct argv_buf a = { 0 };
		av_str(&a, "HINCRBY");
		av_key(&a, q, key);
		av_str(&a, q->rate[i].field);
		av_num(&a, q->rate[i].n);
		pipe_append_slot(q, &a, 0, 1);
	}
	q->nrate = 0;
	if (q->rate_sec != q->rate_expire_sec) {
		struct argv_buf a = { 0 };
		q->rate_expire_sec = q->rate_sec;
		av_str(&a, "EXPIRE");
		av_key(&a, q, key);
		av_num(&a, RATE_TTL_S);
		pipe_append_slot(q, &a, 0, 1);
	}
}

/* Counts n for field in the current second. */
static void rate_note(struct pm_queue *q, const char *field, long long n)
{
	int64_t sec = pm_queue_clock_ms(q) / 1000;
	size_t i;

	if (q->nrate && sec != q->rate_sec && !q->unit)
		rate_emit(q);
	if (!q->nrate)
		q->rate_sec = sec;
	for (i = 0; i < q->nrate; i++)
		if (!strcmp(q->rate[i].field, field))
			break;
	if (i == q->nrate) {
		if (q->nrate == sizeof(q->rate) / sizeof(q->rate[0]))
			return; /* more streams than a worker has: not counted */
		snprintf(q->rate[i].field, sizeof(q->rate[i].field), "%s", field);
		q->rate[i].n = 0;
		q->nrate++;
	}
	q->rate[i].n += n;
}

static long long reply_int(redisReply *r);

int pm_queue_rate(struct pm_queue *q, const char *stream, const char *group,
		  int64_t from_s, int64_t to_s, long long *added, long long *acked,
		  struct pm_err *err)
{
	char add_f[96], ack_f[160];
	int64_t n;
	int rc = 0;

	*added = *acked = 0;
	if (to_s < from_s)
		return 0;
	if (to_s - from_s >= PM_RATE_MAX_SECONDS)
		return pm_err_set(err, PM_EINPUT, "rate window of %lld s is longer than %d s",
				  (long long)(to_s - from_s + 1), PM_RATE_MAX_SECONDS);
	if (q->unit)
		return pm_err_set(err, PM_ERUNTIME, "redis HMGET inside a pipeline unit");
	pipe_drain(q);
	snprintf(add_f, sizeof(add_f), "add:%s", stream);
	snprintf(ack_f, sizeof(ack_f), "ack:%s:%s", stream, group ? group : "");
	if (!q->c && connect_retry(q, 200, err) < 0)
		return -1;
	n = to_s - from_s + 1;
	/* one pipeline, one round trip, for the whole window */
	for (int64_t s = from_s; s <= to_s; s++) {
		struct argv_buf a = { 0 };
		char key[48];
		snprintf(key, sizeof(key), "rate:%lld", (long long)s);
		av_str(&a, "HMGET");
		av_key(&a, q, key);
		av_str(&a, add_f);
		av_str(&a, ack_f);
		redisAppendCommandArgv(q->c, a.argc, a.argv, a.lens);
		av_release(&a);
	}
	for (int64_t i = 0; i < n; i++) {
		void *rv = NULL;
		redisReply *r;
		if (redisGetReply(q->c, &rv) != REDIS_OK) {
			pm_err_set(err, PM_EDEP, "lost the connection to redis at '%s'", q->safe_url);
			disconnect(q);
			return -1;
		}
		r = rv;
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2) {
			long long v;
			if ((v = reply_int(r->element[0])) > 0)
				*added += v;
			if (group && (v = reply_int(r->element[1])) > 0)
				*acked += v;
		} else if (r && r->type == REDIS_REPLY_ERROR && !rc) {
			rc = pm_err_set(err, PM_ERUNTIME, "redis HMGET: %s", r->str);
		}
		if (r)
			freeReplyObject(r);
	}
	return rc;
}

int pm_queue_rate_minute(struct pm_queue *q, const char *stream, const char *group,
			 long long *added, long long *acked, struct pm_err *err)
{
	int64_t now = pm_queue_clock_ms(q) / 1000;

	/* the 60 whole seconds before the current one: the current second
	 * is still being counted */
	return pm_queue_rate(q, stream, group, now - 60, now - 1, added, acked, err);
}

/* ---- streams ------------------------------------------------------------- */

const char *pm_entry_get(const struct pm_entry *e, const char *name, size_t *len)
{
	for (size_t i = 0; i < e->nf; i++)
		if (!strcmp(e->f[i].name, name)) {
			if (len)
				*len = e->f[i].len;
			return e->f[i].value;
		}
	return NULL;
}

struct batch_priv {
	redisReply **replies;
	size_t n, alloc;
};

void pm_batch_release(struct pm_batch *b)
{
	struct batch_priv *p;

	if (!b)
		return;
	p = b->priv;
	for (size_t i = 0; i < b->n; i++)
		free(b->v[i].f);
	free(b->v);
	if (p) {
		for (size_t i = 0; i < p->n; i++)
			freeReplyObject(p->replies[i]);
		free(p->replies);
		free(p);
	}
	memset(b, 0, sizeof(*b));
}

static int cmd_xadd(struct pm_queue *q, struct argv_buf *a, const char *stream,
		    const struct pm_field *f, size_t nf, struct pm_err *err)
{
	if (nf > 28)
		return pm_err_set(err, PM_ERUNTIME, "too many fields for stream '%s'", stream);
	av_str(a, "XADD");
	av_key(a, q, stream);
	if (q->o.maxlen > 0) {
		av_str(a, "MAXLEN");
		av_str(a, "~");
		av_num(a, q->o.maxlen);
	}
	av_str(a, "*");
	for (size_t i = 0; i < nf; i++) {
		av_str(a, f[i].name);
		av_add(a, f[i].value ? f[i].value : "", f[i].value ? f[i].len : 0);
	}
	return 0;
}

int pm_queue_add(struct pm_queue *q, const char *stream, const struct pm_field *f,
		 size_t nf, struct pm_err *err)
{
	struct argv_buf a = { 0 };

	char field[96];

	if (cmd_xadd(q, &a, stream, f, nf, err) < 0)
		return -1;
	if (run_ok(q, &a, err) < 0)
		return -1;
	snprintf(field, sizeof(field), "add:%s", stream);
	rate_note(q, field, 1);
	return 0;
}

void pm_queue_pipe_add(struct pm_queue *q, const char *stream, const struct pm_field *f,
		       size_t nf)
{
	struct argv_buf a = { 0 };
	struct pm_err e;

	char field[96];

	pm_err_init(&e);
	pipe_built(q, &a, cmd_xadd(q, &a, stream, f, nf, &e), &e);
	snprintf(field, sizeof(field), "add:%s", stream);
	rate_note(q, field, 1);
}

int pm_queue_group(struct pm_queue *q, const char *stream, const char *group,
		   struct pm_err *err)
{
	struct argv_buf a = { 0 };
	struct pm_err local;
	redisReply *r;

	pm_err_init(&local);
	av_str(&a, "XGROUP");
	av_str(&a, "CREATE");
	av_key(&a, q, stream);
	av_str(&a, group);
	av_str(&a, "0");
	av_str(&a, "MKSTREAM");
	r = run(q, &a, &local);
	av_release(&a);
	if (r) {
		freeReplyObject(r);
		return 0;
	}
	if (local.code == PM_ERUNTIME && strstr(local.msg, "BUSYGROUP"))
		return 0;
	if (err)
		*err = local;
	return -1;
}

/* Appends the entries of an XREADGROUP/XAUTOCLAIM entry array to out. */
static void take_entries(struct pm_batch *out, redisReply *arr, long long deliveries)
{
	for (size_t i = 0; i < arr->elements; i++) {
		redisReply *e = arr->element[i], *fields;
		struct pm_entry *en;

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING)
			continue;
		fields = e->element[1];
		if (fields->type != REDIS_REPLY_ARRAY) /* deleted meanwhile */
			continue;
		out->v = xrealloc(out->v, (out->n + 1) * sizeof(*out->v));
		en = &out->v[out->n++];
		memset(en, 0, sizeof(*en));
		snprintf(en->id, sizeof(en->id), "%s", e->element[0]->str);
		en->deliveries = deliveries;
		en->f = xcalloc(fields->elements / 2 + 1, sizeof(*en->f));
		for (size_t k = 0; k + 1 < fields->elements; k += 2) {
			en->f[en->nf].name = fields->element[k]->str;
			en->f[en->nf].value = fields->element[k + 1]->str;
			en->f[en->nf].len = fields->element[k + 1]->len;
			en->nf++;
		}
	}
}

static void keep_reply(struct pm_batch *b, redisReply *r)
{
	struct batch_priv *p = b->priv;

	if (!p)
		b->priv = p = xcalloc(1, sizeof(*p));
	XGROW(p->replies, p->alloc, p->n + 1);
	p->replies[p->n++] = r;
}

/* Delivery count of one pending entry (XPENDING extended form). */
static long long deliveries_of(struct pm_queue *q, const char *stream,
			       const char *group, const char *id)
{
	struct argv_buf a = { 0 };
	redisReply *r;
	long long n = 1;

	av_str(&a, "XPENDING");
	av_key(&a, q, stream);
	av_str(&a, group);
	av_str(&a, id);
	av_str(&a, id);
	av_str(&a, "1");
	r = run(q, &a, NULL);
	av_release(&a);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
	    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements >= 4)
		n = r->element[0]->element[3]->integer;
	if (r)
		freeReplyObject(r);
	return n;
}

static int autoclaim(struct pm_queue *q, const char *stream, const char *group,
		     const char *consumer, size_t count, struct pm_batch *out,
		     struct pm_err *err)
{
	struct argv_buf a = { 0 };
	redisReply *r;
	size_t before = out->n;

	av_str(&a, "XAUTOCLAIM");
	av_key(&a, q, stream);
	av_str(&a, group);
	av_str(&a, consumer);
	av_num(&a, q->o.claim_idle_ms);
	av_str(&a, "0-0");
	av_str(&a, "COUNT");
	av_num(&a, (long long)count);
	r = run(q, &a, err);
	av_release(&a);
	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_ARRAY || r->elements < 2 ||
	    r->element[1]->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(r);
		return 0;
	}
	take_entries(out, r->element[1], 1);
	keep_reply(out, r);
	for (size_t i = before; i < out->n; i++) {
		out->v[i].deliveries = deliveries_of(q, stream, group, out->v[i].id);
		pm_info("claimed", "stream=%s group=%s entry=%s deliveries=%lld",
			stream, group, out->v[i].id, out->v[i].deliveries);
	}
	return 0;
}

int pm_queue_read(struct pm_queue *q, const char *stream, const char *group,
		  const char *consumer, size_t count, int block_ms,
		  struct pm_batch *out, struct pm_err *err)
{
	struct argv_buf a = { 0 };
	redisReply *r;

	pm_batch_release(out);
	if (count == 0)
		count = 1;
	if (q->o.claim_idle_ms >= 0 &&
	    autoclaim(q, stream, group, consumer, count, out, err) < 0) {
		pm_batch_release(out);
		return -1;
	}
	if (out->n)
		return 0;
	av_str(&a, "XREADGROUP");
	av_str(&a, "GROUP");
	av_str(&a, group);
	av_str(&a, consumer);
	av_str(&a, "COUNT");
	av_num(&a, (long long)count);
	if (block_ms > 0) {
		av_str(&a, "BLOCK");
		av_num(&a, block_ms);
	}
	av_str(&a, "STREAMS");
	av_key(&a, q, stream);
	av_str(&a, ">");
	r = run(q, &a, err);
	av_release(&a);
	if (!r) {
		/* the (empty) XAUTOCLAIM reply kept above is ours to free: a
		 * caller does not release a batch whose read failed, and a
		 * worker retrying through a Redis outage leaked one per turn */
		pm_batch_release(out);
		return -1;
	}
	if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1) {
		redisReply *s = r->element[0];
		if (s->type == REDIS_REPLY_ARRAY && s->elements >= 2 &&
		    s->element[1]->type == REDIS_REPLY_ARRAY)
			take_entries(out, s->element[1], 1);
	}
	keep_reply(out, r);
	return 0;
}

/* XACK in chunks of at most 48 ids (argv_buf holds 64 arguments). */
static int ack_chunks(struct pm_queue *q, const char *stream, const char *group,
		      const char *const *ids, size_t n, int pipelined, struct pm_err *err)
{
	char field[160];

	/* counts what was asked to be acknowledged: an id acknowledged twice
	 * (a claim race) counts twice, which a rate can bear */
	snprintf(field, sizeof(field), "ack:%s:%s", stream, group);
	rate_note(q, field, (long long)n);
	while (n) {
		struct argv_buf a = { 0 };
		size_t chunk = n > 48 ? 48 : n;

		av_str(&a, "XACK");
		av_key(&a, q, stream);
		av_str(&a, group);
		for (size_t i = 0; i < chunk; i++)
			av_str(&a, ids[i]);
		if (pipelined)
			pipe_append(q, &a, 0);
		else if (run_ok(q, &a, err) < 0)
			return -1;
		ids += chunk;
		n -= chunk;
	}
	return 0;
}

int pm_queue_ack(struct pm_queue *q, const char *stream, const char *group,
		 const char *const *ids, size_t n, struct pm_err *err)
{
	return ack_chunks(q, stream, group, ids, n, 0, err);
}

void pm_queue_pipe_ack(struct pm_queue *q, const char *stream, const char *group,
		       const char *const *ids, size_t n)
{
	ack_chunks(q, stream, group, ids, n, 1, NULL);
}

int pm_queue_dead(struct pm_queue *q, const char *stage, const char *stream,
		  const char *group, const struct pm_entry *e, const char *error,
		  struct pm_err *err)
{
	struct pm_field f[28];
	size_t nf = 0;
	char deliveries[24];
	const char *id = e->id;

	snprintf(deliveries, sizeof(deliveries), "%lld", e->deliveries);
	f[nf++] = (struct pm_field){ "stage", stage, strlen(stage) };
	f[nf++] = (struct pm_field){ "stream", stream, strlen(stream) };
	f[nf++] = (struct pm_field){ "entry", e->id, strlen(e->id) };
	f[nf++] = (struct pm_field){ "error", error, strlen(error) };
	f[nf++] = (struct pm_field){ "deliveries", deliveries, strlen(deliveries) };
	for (size_t i = 0; i < e->nf && nf < 28; i++)
		f[nf++] = e->f[i];
	pm_warn("dead_letter", "stage=%s stream=%s entry=%s deliveries=%lld error=\"%s\"",
		stage, stream, e->id, e->deliveries, error);
	if (pm_queue_add(q, PM_STREAM_DEAD, f, nf, err) < 0)
		return -1;
	return pm_queue_ack(q, stream, group, &id, 1, err);
}

static long long reply_int(redisReply *r)
{
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_INTEGER)
		return r->integer;
	if (r->type == REDIS_REPLY_STRING)
		return atoll(r->str);
	return -1;
}

long long pm_queue_stream_len(struct pm_queue *q, const char *stream)
{
	struct argv_buf a = { 0 };
	redisReply *r;
	long long n;

	av_str(&a, "XLEN");
	av_key(&a, q, stream);
	r = run(q, &a, NULL);
	av_release(&a);
	n = reply_int(r);
	if (r)
		freeReplyObject(r);
	return n;
}

int pm_queue_group_info(struct pm_queue *q, const char *stream, const char *group,
			struct pm_group_info *out, struct pm_err *err)
{
	struct argv_buf a = { 0 };
	redisReply *r;

	memset(out, 0, sizeof(*out));
	out->lag = -1;
	out->length = pm_queue_stream_len(q, stream);
	av_str(&a, "XINFO");
	av_str(&a, "GROUPS");
	av_key(&a, q, stream);
	r = run(q, &a, err);
	av_release(&a);
	if (!r) {
		if (err && strstr(err->msg, "no such key")) {
			out->length = 0;
			out->lag = 0;
			return 0;
		}
		return -1;
	}
	for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		redisReply *g = r->element[i];
		int mine = 0;
		for (size_t k = 0; g->type == REDIS_REPLY_ARRAY && k + 1 < g->elements; k += 2)
			if (!strcmp(g->element[k]->str, "name") &&
			    g->element[k + 1]->type == REDIS_REPLY_STRING &&
			    !strcmp(g->element[k + 1]->str, group))
				mine = 1;
		if (!mine)
			continue;
		for (size_t k = 0; k + 1 < g->elements; k += 2) {
			const char *key = g->element[k]->str;
			redisReply *v = g->element[k + 1];
			if (!strcmp(key, "pending"))
				out->pending = reply_int(v);
			else if (!strcmp(key, "consumers"))
				out->consumers = reply_int(v);
			else if (!strcmp(key, "lag"))
				out->lag = v->type == REDIS_REPLY_NIL ? -1 : reply_int(v);
		}
	}
	freeReplyObject(r);
	if (out->pending > 0) {
		av_str(&a, "XPENDING");
		av_key(&a, q, stream);
		av_str(&a, group);
		av_str(&a, "-");
		av_str(&a, "+");
		av_str(&a, "1");
		r = run(q, &a, NULL);
		av_release(&a);
		if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 1 &&
		    r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements >= 3)
			out->oldest_idle_ms = r->element[0]->element[2]->integer;
		if (r)
			freeReplyObject(r);
	}
	return 0;
}

/* ---- schedule ------------------------------------------------------------ */

static void cmd_zadd(struct pm_queue *q, struct argv_buf *a, const char *feed, int64_t due_ms,
		     int only_if_absent)
{
	av_str(a, "ZADD");
	av_key(a, q, "sched");
	if (only_if_absent)
		av_str(a, "NX");
	av_num(a, due_ms);
	av_str(a, feed);
}

int pm_queue_sched_add(struct pm_queue *q, const char *feed, int64_t due_ms,
		       int only_if_absent, struct pm_err *err)
{
	struct argv_buf a = { 0 };

	cmd_zadd(q, &a, feed, due_ms, only_if_absent);
	return run_ok(q, &a, err);
}

void pm_queue_pipe_sched_add(struct pm_queue *q, const char *feed, int64_t due_ms,
			     int only_if_absent)
{
	struct argv_buf a = { 0 };

	cmd_zadd(q, &a, feed, due_ms, only_if_absent);
	pipe_append(q, &a, 0);
}

/* Claim in one script so that two workers never take the same feed. */
static const char sched_claim_lua[] =
	"local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])\n"
	"for _, id in ipairs(ids) do redis.call('ZADD', KEYS[1], ARGV[2], id) end\n"
	"return ids\n";

int pm_queue_sched_claim(struct pm_queue *q, int64_t now_ms, int64_t lease_ms,
			 size_t max, char ***ids, size_t *n, struct pm_err *err)
{
	struct argv_buf a = { 0 };
	redisReply *r;

	*ids = NULL;
	*n = 0;
	av_str(&a, "EVAL");
	av_str(&a, sched_claim_lua);
	av_str(&a, "1");
	av_key(&a, q, "sched");
	av_num(&a, now_ms);
	av_num(&a, now_ms + lease_ms);
	av_num(&a, (long long)max);
	r = run(q, &a, err);
	av_release(&a);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_ARRAY && r->elements) {
		*ids = xcalloc(r->elements, sizeof(char *));
		for (size_t i = 0; i < r->elements; i++)
			if (r->element[i]->type == REDIS_REPLY_STRING)
				(*ids)[(*n)++] = xstrdup(r->element[i]->str);
	}
	freeReplyObject(r);
	return 0;
}

int pm_queue_sched_remove(struct pm_queue *q, const char *feed, struct pm_err *err)
{
	struct argv_buf a = { 0 };

	av_str(&a, "ZREM");
	av_key(&a, q, "sched");
	av_str(&a, feed);
	return run_ok(q, &a, err);
}

void pm_queue_pipe_sched_remove(struct pm_queue *q, const char *feed)
{
	struct argv_buf a = { 0 };

	av_str(&a, "ZREM");
	av_key(&a, q, "sched");
	av_str(&a, feed);
	pipe_append(q, &a, 0);
}

int64_t pm_queue_sched_next(struct pm_queue *q)
{
	struct argv_buf a = { 0 };
	redisReply *r;
	int64_t due = -1;

	av_str(&a, "ZRANGE");
	av_key(&a, q, "sched");
	av_str(&a, "0");
	av_str(&a, "0");
	av_str(&a, "WITHSCORES");
	r = run(q, &a, NULL);
	av_release(&a);
	if (r && r->type == REDIS_REPLY_ARRAY && r->elements == 2)
		due = (int64_t)atoll(r->element[1]->str);
	if (r)
		freeReplyObject(r);
	return due;
}

void pm_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

/* ---- feed state ---------------------------------------------------------- */

static char *feed_key(const char *feed)
{
	return xasprintf("feed:{%s}", feed);
}

static int cmd_hset(struct pm_queue *q, struct argv_buf *a, const char *feed,
		    const struct pm_field *f, size_t nf, struct pm_err *err)
{
	char *k;

	if (nf > 28)
		return pm_err_set(err, PM_ERUNTIME, "too many feed state fields");
	k = feed_key(feed);
	av_str(a, "HSET");
	av_key(a, q, k);
	free(k);
	for (size_t i = 0; i < nf; i++) {
		av_str(a, f[i].name);
		av_add(a, f[i].value ? f[i].value : "", f[i].value ? f[i].len : 0);
	}
	return 0;
}

int pm_queue_feed_set(struct pm_queue *q, const char *feed,
		      const struct pm_field *f, size_t nf, struct pm_err *err)
{
	struct argv_buf a = { 0 };

	if (!nf)
		return 0;
	if (cmd_hset(q, &a, feed, f, nf, err) < 0)
		return -1;
	return run_ok(q, &a, err);
}

void pm_queue_pipe_feed_set(struct pm_queue *q, const char *feed,
			    const struct pm_field *f, size_t nf)
{
	struct argv_buf a = { 0 };
	struct pm_err e;

	if (!nf)
		return;
	pm_err_init(&e);
	pipe_built(q, &a, cmd_hset(q, &a, feed, f, nf, &e), &e);
}

/* The fields of an HGETALL reply, copied. */
static void hash_fields(const redisReply *r, struct pm_field **f, size_t *n)
{
	*f = NULL;
	*n = 0;
	if (r->type != REDIS_REPLY_ARRAY)
		return;
	*f = xcalloc(r->elements / 2 + 1, sizeof(**f));
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		(*f)[*n].name = xstrdup(r->element[i]->str ? r->element[i]->str : "");
		(*f)[*n].value = xstrndup(r->element[i + 1]->str ? r->element[i + 1]->str : "",
					  r->element[i + 1]->len);
		(*f)[*n].len = r->element[i + 1]->len;
		(*n)++;
	}
}

int pm_queue_feed_get(struct pm_queue *q, const char *feed, struct pm_field **f,
		      size_t *n, struct pm_err *err)
{
	struct argv_buf a = { 0 };
	char *k = feed_key(feed);
	redisReply *r;

	*f = NULL;
	*n = 0;
	av_str(&a, "HGETALL");
	av_key(&a, q, k);
	r = run(q, &a, err);
	av_release(&a);
	free(k);
	if (!r)
		return -1;
	hash_fields(r, f, n);
	freeReplyObject(r);
	return 0;
}

/* One pass of HGETALLs for every feed; -1 when the connection was lost. */
static int feed_get_pass(struct pm_queue *q, const char *const *feeds, size_t n,
			 struct pm_fieldset *out, struct pm_err *err)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct argv_buf a = { 0 };
		char *k = feed_key(feeds[i]);

		av_str(&a, "HGETALL");
		av_key(&a, q, k);
		free(k);
		if (redisAppendCommandArgv(q->c, a.argc, a.argv, a.lens) != REDIS_OK) {
			av_release(&a);
			pm_err_set(err, PM_ERUNTIME, "redis HGETALL: %s", q->c->errstr);
			disconnect(q); /* replies of the appended part are not read */
			return -1;
		}
		av_release(&a);
	}
	for (i = 0; i < n; i++) {
		redisReply *r = NULL;

		if (redisGetReply(q->c, (void **)&r) != REDIS_OK) {
			pm_warn("redis_lost", "url=%s error=\"%s\"", q->safe_url, q->c->errstr);
			disconnect(q);
			pm_err_set(err, PM_EDEP, "lost the connection to redis at '%s'", q->safe_url);
			return -1;
		}
		if (r->type == REDIS_REPLY_ERROR) {
			int reconnect;
			pm_err_set(err, reply_is_outage(r, &reconnect) ? PM_EDEP : PM_ERUNTIME,
				   "redis HGETALL: %s", r->str);
			freeReplyObject(r);
			/* read the rest, so the connection stays in step */
			while (++i < n && redisGetReply(q->c, (void **)&r) == REDIS_OK)
				freeReplyObject(r);
			if (i < n)
				disconnect(q);
			return -1;
		}
		hash_fields(r, &out[i].f, &out[i].n);
		freeReplyObject(r);
	}
	return 0;
}

int pm_queue_feed_get_many(struct pm_queue *q, const char *const *feeds, size_t n,
			   struct pm_fieldset **out, struct pm_err *err)
{
	struct pm_fieldset *v;

	*out = NULL;
	if (q->unit)
		return pm_err_set(err, PM_ERUNTIME, "redis HGETALL inside a pipeline unit");
	pipe_drain(q);
	v = xcalloc(n ? n : 1, sizeof(*v));
	/* reads repeat safely: one reconnect and retry, as run() does */
	for (int attempt = 0; attempt < 2; attempt++) {
		if (!q->c && connect_retry(q, attempt ? q->o.connect_timeout_ms : 200, err) < 0)
			continue;
		if (feed_get_pass(q, feeds, n, v, err) == 0) {
			*out = v;
			return 0;
		}
		for (size_t i = 0; i < n; i++) {
			pm_fields_free(v[i].f, v[i].n);
			v[i].f = NULL;
			v[i].n = 0;
		}
		if (err && err->code != PM_EDEP)
			break;
	}
	free(v);
	if (err && !err->msg[0])
		pm_err_set(err, PM_EDEP, "lost the connection to redis at '%s'", q->safe_url);
	return -1;
}

void pm_fieldsets_free(struct pm_fieldset *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		pm_fields_free(v[i].f, v[i].n);
	free(v);
}

int pm_queue_feed_incr(struct pm_queue *q, const char *feed, const char *field,
		       long long by, long long *result, struct pm_err *err)
{
	struct argv_buf a = { 0 };
	char *k = feed_key(feed);
	redisReply *r;

	av_str(&a, "HINCRBY");
	av_key(&a, q, k);
	av_str(&a, field);
	av_num(&a, by);
	r = run(q, &a, err);
	av_release(&a);
	free(k);
	if (!r)
		return -1;
	if (result)
		*result = r->integer;
	freeReplyObject(r);
	return 0;
}

void pm_fields_free(struct pm_field *f, size_t n)
{
	for (size_t i = 0; f && i < n; i++) {
		free((char *)f[i].name);
		free((char *)f[i].value);
	}
	free(f);
}

const char *pm_fields_get(const struct pm_field *f, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return f[i].value;
	return NULL;
}

/* ---- duplicates ---------------------------------------------------------- */

int pm_queue_seen_check(struct pm_queue *q, const char *key, const char *value,
			struct pm_err *err)
{
	struct argv_buf a = { 0 };
	redisReply *r;
	int res;

	av_str(&a, "GET");
	av_seen_key(&a, q, key);
	r = run(q, &a, err);
	av_release(&a);
	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_STRING)
		res = 1;
	else
		res = strcmp(r->str, value) ? 2 : 0;
	freeReplyObject(r);
	return res;
}

/* Values of many seen: keys, by MGET in chunks (argv_buf holds 64
 * arguments). */
int pm_queue_seen_check_many(struct pm_queue *q, const char *const *keys,
			     const char *const *values, size_t n, int *res, struct pm_err *err)
{
	for (size_t at = 0; at < n;) {
		struct argv_buf a = { 0 };
		size_t chunk = n - at > 60 ? 60 : n - at;
		redisReply *r;

		av_str(&a, "MGET");
		for (size_t i = 0; i < chunk; i++)
			av_seen_key(&a, q, keys[at + i]);
		r = run(q, &a, err);
		av_release(&a);
		if (!r)
			return -1;
		for (size_t i = 0; i < chunk; i++) {
			const redisReply *v = r->type == REDIS_REPLY_ARRAY && i < r->elements
						      ? r->element[i] : NULL;
			if (!v || v->type != REDIS_REPLY_STRING)
				res[at + i] = 1;
			else
				res[at + i] = strcmp(v->str, values[at + i]) ? 2 : 0;
		}
		freeReplyObject(r);
		at += chunk;
	}
	return 0;
}

static void cmd_seen_set(struct pm_queue *q, struct argv_buf *a, const char *key,
			 const char *value, int ttl_s)
{
	av_str(a, "SET");
	av_seen_key(a, q, key);
	av_str(a, value);
	av_str(a, "EX");
	av_num(a, ttl_s > 0 ? ttl_s : 30 * 86400);
}

int pm_queue_seen_mark(struct pm_queue *q, const char *key, const char *value,
		       int ttl_s, struct pm_err *err)
{
	struct argv_buf a = { 0 };

	cmd_seen_set(q, &a, key, value, ttl_s);
	return run_ok(q, &a, err);
}

void pm_queue_pipe_seen_mark(struct pm_queue *q, const char *key, const char *value,
			     int ttl_s)
{
	struct argv_buf a = { 0 };

	cmd_seen_set(q, &a, key, value, ttl_s);
	pipe_append(q, &a, 0);
}

int pm_queue_flush_prefix(struct pm_queue *q, struct pm_err *err)
{
	char cursor[32] = "0";
	char *pattern = xasprintf("%s*", q->prefix);

	do {
		struct argv_buf a = { 0 };
		redisReply *r;

		av_str(&a, "SCAN");
		av_str(&a, cursor);
		av_str(&a, "MATCH");
		av_str(&a, pattern);
		av_str(&a, "COUNT");
		av_str(&a, "1000");
		r = run(q, &a, err);
		av_release(&a);
		if (!r || r->type != REDIS_REPLY_ARRAY || r->elements != 2) {
			if (r)
				freeReplyObject(r);
			free(pattern);
			return -1;
		}
		snprintf(cursor, sizeof(cursor), "%s", r->element[0]->str);
		redisReply *keys = r->element[1];
		for (size_t i = 0; i < keys->elements; i++) {
			struct argv_buf d = { 0 };
			av_str(&d, "UNLINK");
			av_add(&d, keys->element[i]->str, keys->element[i]->len);
			if (run_ok(q, &d, err) < 0) {
				freeReplyObject(r);
				free(pattern);
				return -1;
			}
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0"));
	free(pattern);
	/* the rate hash of this second went too: its next count must set
	 * the TTL again (a test that flushed and retried within one second
	 * was left with a bucket that never expired) */
	q->rate_expire_sec = -1;
	return 0;
}
