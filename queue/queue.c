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
	char *owned[64];     /* prefixed key names we allocated */
	int argc, nowned;
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

static void av_key(struct argv_buf *a, struct pm_queue *q, const char *name)
{
	char *k = xasprintf("%s%s", q->prefix, name);
	if (a->nowned < 64)
		a->owned[a->nowned++] = k;
	av_str(a, k);
}

static void av_num(struct argv_buf *a, long long v)
{
	char *k = xasprintf("%lld", v);
	if (a->nowned < 64)
		a->owned[a->nowned++] = k;
	av_str(a, k);
}

static void av_release(struct argv_buf *a)
{
	for (int i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	a->nowned = a->argc = 0;
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

/* Runs a command; on a connection error reconnects once and retries. An
 * error reply becomes -1 with the message: PM_EDEP when the server is
 * unavailable for now (reply_is_outage), else PM_ERUNTIME. */
static redisReply *run(struct pm_queue *q, struct argv_buf *a, struct pm_err *err)
{
	redisReply *r = NULL;

	for (int attempt = 0; attempt < 2; attempt++) {
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

int pm_queue_add(struct pm_queue *q, const char *stream, const struct pm_field *f,
		 size_t nf, struct pm_err *err)
{
	struct argv_buf a = { 0 };

	if (nf > 28)
		return pm_err_set(err, PM_ERUNTIME, "too many fields for stream '%s'", stream);
	av_str(&a, "XADD");
	av_key(&a, q, stream);
	if (q->o.maxlen > 0) {
		av_str(&a, "MAXLEN");
		av_str(&a, "~");
		av_num(&a, q->o.maxlen);
	}
	av_str(&a, "*");
	for (size_t i = 0; i < nf; i++) {
		av_str(&a, f[i].name);
		av_add(&a, f[i].value ? f[i].value : "", f[i].value ? f[i].len : 0);
	}
	return run_ok(q, &a, err);
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

int pm_queue_ack(struct pm_queue *q, const char *stream, const char *group,
		 const char *const *ids, size_t n, struct pm_err *err)
{
	while (n) {
		struct argv_buf a = { 0 };
		size_t chunk = n > 48 ? 48 : n;

		av_str(&a, "XACK");
		av_key(&a, q, stream);
		av_str(&a, group);
		for (size_t i = 0; i < chunk; i++)
			av_str(&a, ids[i]);
		if (run_ok(q, &a, err) < 0)
			return -1;
		ids += chunk;
		n -= chunk;
	}
	return 0;
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

int pm_queue_sched_add(struct pm_queue *q, const char *feed, int64_t due_ms,
		       int only_if_absent, struct pm_err *err)
{
	struct argv_buf a = { 0 };

	av_str(&a, "ZADD");
	av_key(&a, q, "sched");
	if (only_if_absent)
		av_str(&a, "NX");
	av_num(&a, due_ms);
	av_str(&a, feed);
	return run_ok(q, &a, err);
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

int pm_queue_feed_set(struct pm_queue *q, const char *feed,
		      const struct pm_field *f, size_t nf, struct pm_err *err)
{
	struct argv_buf a = { 0 };
	char *k = feed_key(feed);
	int r;

	if (nf > 28) {
		free(k);
		return pm_err_set(err, PM_ERUNTIME, "too many feed state fields");
	}
	av_str(&a, "HSET");
	av_key(&a, q, k);
	for (size_t i = 0; i < nf; i++) {
		av_str(&a, f[i].name);
		av_add(&a, f[i].value ? f[i].value : "", f[i].value ? f[i].len : 0);
	}
	r = nf ? run_ok(q, &a, err) : 0;
	av_release(&a);
	free(k);
	return r;
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
	if (r->type == REDIS_REPLY_ARRAY) {
		*f = xcalloc(r->elements / 2 + 1, sizeof(**f));
		for (size_t i = 0; i + 1 < r->elements; i += 2) {
			(*f)[*n].name = xstrdup(r->element[i]->str);
			(*f)[*n].value = xstrndup(r->element[i + 1]->str, r->element[i + 1]->len);
			(*f)[*n].len = r->element[i + 1]->len;
			(*n)++;
		}
	}
	freeReplyObject(r);
	return 0;
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
	char *k = xasprintf("seen:%s", key);
	redisReply *r;
	int res;

	av_str(&a, "GET");
	av_key(&a, q, k);
	r = run(q, &a, err);
	av_release(&a);
	free(k);
	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_STRING)
		res = 1;
	else
		res = strcmp(r->str, value) ? 2 : 0;
	freeReplyObject(r);
	return res;
}

int pm_queue_seen_mark(struct pm_queue *q, const char *key, const char *value,
		       int ttl_s, struct pm_err *err)
{
	struct argv_buf a = { 0 };
	char *k = xasprintf("seen:%s", key);
	int r;

	av_str(&a, "SET");
	av_key(&a, q, k);
	av_str(&a, value);
	av_str(&a, "EX");
	av_num(&a, ttl_s > 0 ? ttl_s : 30 * 86400);
	r = run_ok(q, &a, err);
	free(k);
	return r;
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
	return 0;
}
