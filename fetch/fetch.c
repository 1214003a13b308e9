/* fetch/fetch: the engine — one libcurl multi handle drives every transfer;
 * feeds come from the shared schedule, pages from the pages stream.
 *
 * Redirects are followed here, not by libcurl: each hop is checked (http or
 * https only, count, private addresses) before it is requested, and a chain
 * of permanent redirects can be told from a temporary one, which libcurl's
 * own follower does not report. The socket callbacks then enforce the
 * private-address rule on the address actually connected to, so DNS cannot
 * be used to slip past it. */
#include "fetch/fetch.h"
#include "fetch/fetch_int.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GROUP "fetch"
#define NO_SOURCE ((size_t)-1)

enum job_kind { JOB_FEED, JOB_PAGE };

/* Why a transfer failed, which decides what happens to the work item. */
enum outcome {
	OUT_OK,           /* 2xx (or a file read) */
	OUT_NOT_MODIFIED, /* 304 */
	OUT_GONE,         /* 410 */
	OUT_RETRY,        /* transport error, 5xx, 408, 429: try again later */
	OUT_REJECT        /* refused or 4xx: trying again will not help */
};

struct job {
	struct job *next;         /* in the waiting list */
	struct job *run_prev, *run_next; /* in the running list */
	int started;              /* the current hop is in the multi handle */
	struct pm_fetcher *f;
	enum job_kind kind;
	size_t src;               /* index in cfg->sources, or NO_SOURCE */
	char *feed;               /* feed id ("" for a page of an unknown feed) */
	char *first_url;          /* the URL asked for */
	char *url;                /* the URL of the current hop */
	char *moved;              /* where a chain of 301/308 from first_url led */
	int permanent;            /* every hop so far was 301/308 */
	int hops;                 /* redirects followed */
	int feed_private;         /* the feed's own address is private */
	int64_t adapt_s;          /* adaptive interval in force (0: the configured one) */
	long long failures;       /* consecutive failures before this fetch */
	char prev_hash[17];       /* hash of the body last fetched, "" if none */
	int record_class;         /* this hop is the feed's own URL: note its class */
	int private_ok;           /* this hop may connect to a private address */
	char host[PM_FETCH_HOST_MAX];
	CURL *easy;
	struct curl_slist *hdrs;
	struct pm_buf body;
	int too_big;
	char refused[200];        /* why a socket callback refused the connection */
	char errbuf[CURL_ERROR_SIZE];
	/* page jobs keep a copy of their entry, for raw and for dead */
	char entry_id[48];
	struct pm_field *ef;
	size_t nef;
	long long deliveries;
};

struct host_slot {
	char key[PM_FETCH_HOST_MAX];
	int inflight;
	int64_t last_start;       /* monotonic ms */
};

struct src_state {
	int want;                 /* once: scheduled by this fetcher, to fetch */
	int done;                 /* once: fetched (or given up) */
	int claimed;              /* a job of this fetcher holds it */
	int64_t next_due;         /* last due time this fetcher set (wall ms) */
	int private_known;        /* private is the class of the feed's address */
	int private;
};

struct pm_fetcher {
	const struct pm_config *cfg;
	struct pm_queue *q;
	struct pm_fetch_opts o;
	char *consumer;
	char *version;
	char *ua;
	CURLM *multi;
	CURLSH *share;
	struct src_state *ss;
	size_t *src_slot;         /* open-addressing index: feed id -> source + 1 */
	size_t nslots;            /* a power of two, at least 2 x nsources */
	struct job *waiting;      /* claimed, not started (FIFO) */
	size_t nwaiting;
	struct job *inflight;     /* in the multi handle */
	int running;
	struct host_slot *hosts;
	size_t nhosts, ahosts;
	int group_ok;
	int draining;
	uint64_t rng;
	time_t once_start;        /* wall seconds when the fetcher was made */
	int64_t once_checked;     /* monotonic ms of the last look at other workers */
	int claim_short;          /* the last claim of feeds found fewer than asked */
	int pages_short;          /* the same for pages */
	struct pm_err first_err;  /* first Redis error of a step */
	int failed;
};

void pm_fetch_opts_init(struct pm_fetch_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->concurrency = 64;
	o->per_host = 2;
	o->host_delay_ms = 1000;
	o->connect_timeout_ms = 10000;
	o->timeout_ms = 60000;
	o->low_speed_bytes = 100;
	o->low_speed_time_s = 20;
	o->max_body = 0;
	o->max_redirects = 5;
	o->allow_private = 0;
	o->consumer = NULL;
	o->once = 0;
	o->version = NULL;
}

/* ---- small helpers ------------------------------------------------------ */

static void now_iso(char out[PM_ISO_LEN])
{
	pm_time_iso(time(NULL), out);
}

static void note_error(struct pm_fetcher *f, const struct pm_err *e)
{
	if (!f->failed) {
		f->first_err = *e;
		f->failed = 1;
	}
}

static size_t source_index(const struct pm_fetcher *f, const struct pm_source *s)
{
	return s ? (size_t)(s - f->cfg->sources) : NO_SOURCE;
}

/* Builds the index of feed ids: every claimed feed and page is looked up
 * by id, and a linear scan of the configuration made a pass over N feeds
 * cost O(N^2) string compares (5% of the CPU at 5,000 feeds). */
static void src_index_build(struct pm_fetcher *f)
{
	size_t n = f->cfg->nsources;

	f->nslots = 16;
	while (f->nslots < 2 * n)
		f->nslots *= 2;
	f->src_slot = xcalloc(f->nslots, sizeof(*f->src_slot));
	for (size_t i = 0; i < n; i++) {
		size_t h = (size_t)pm_hash64_str(f->cfg->sources[i].id) & (f->nslots - 1);
		while (f->src_slot[h]) /* at most n of 2n slots are taken */
			h = (h + 1) & (f->nslots - 1);
		f->src_slot[h] = i + 1;
	}
}

/* The source with this id, or NULL (like pm_config_source). */
static const struct pm_source *src_find(const struct pm_fetcher *f, const char *id)
{
	size_t h;

	if (!id)
		return NULL;
	h = (size_t)pm_hash64_str(id) & (f->nslots - 1);
	for (size_t probes = 0; probes < f->nslots && f->src_slot[h]; probes++) {
		const struct pm_source *s = &f->cfg->sources[f->src_slot[h] - 1];
		if (!strcmp(s->id, id))
			return s;
		h = (h + 1) & (f->nslots - 1);
	}
	return NULL;
}

static struct host_slot *host_find(struct pm_fetcher *f, const char *key, int create)
{
	size_t i;

	if (!*key)
		return NULL; /* file: URLs have no host to be polite to */
	for (i = 0; i < f->nhosts; i++)
		if (!strcmp(f->hosts[i].key, key))
			return &f->hosts[i];
	if (!create)
		return NULL;
	/* Forget hosts that are idle and past their delay, so the table stays
	 * about as large as the number of hosts in flight. */
	if (f->nhosts >= 64) {
		int64_t now = pm_mono_ms();
		size_t w = 0;
		for (i = 0; i < f->nhosts; i++)
			if (f->hosts[i].inflight ||
			    now - f->hosts[i].last_start < f->o.host_delay_ms)
				f->hosts[w++] = f->hosts[i];
		f->nhosts = w;
	}
	XGROW(f->hosts, f->ahosts, f->nhosts + 1);
	memset(&f->hosts[f->nhosts], 0, sizeof(f->hosts[0]));
	snprintf(f->hosts[f->nhosts].key, sizeof(f->hosts[0].key), "%s", key);
	f->hosts[f->nhosts].last_start = -(int64_t)f->o.host_delay_ms - 1;
	return &f->hosts[f->nhosts++];
}

/* ---- jobs --------------------------------------------------------------- */

static struct job *job_new(struct pm_fetcher *f, enum job_kind kind, size_t src,
			   const char *feed, const char *url)
{
	struct job *j = xcalloc(1, sizeof(*j));

	j->f = f;
	j->kind = kind;
	j->src = src;
	j->feed = xstrdup(feed ? feed : "");
	j->first_url = xstrdup(url);
	j->url = xstrdup(url);
	j->permanent = 1;
	pm_buf_init(&j->body, f->o.max_body);
	pm_fetch_host_key(url, j->host, sizeof(j->host));
	return j;
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	if (j->easy)
		curl_easy_cleanup(j->easy);
	curl_slist_free_all(j->hdrs);
	pm_buf_release(&j->body);
	free(j->feed);
	free(j->first_url);
	free(j->url);
	free(j->moved);
	pm_fields_free(j->ef, j->nef);
	free(j);
}

static void waiting_push(struct pm_fetcher *f, struct job *j, int front)
{
	j->next = NULL;
	if (front || !f->waiting) {
		j->next = f->waiting;
		f->waiting = j;
	} else {
		struct job *t = f->waiting;
		while (t->next)
			t = t->next;
		t->next = j;
	}
	f->nwaiting++;
}

/* ---- libcurl callbacks -------------------------------------------------- */

static size_t on_write(char *p, size_t size, size_t n, void *ud)
{
	struct job *j = ud;
	size_t len = size * n;

	/* libcurl hands over decoded bytes, so the cap holds against
	 * compression bombs: returning short aborts the transfer. */
	if (pm_buf_add(&j->body, p, len) < 0) {
		j->too_big = 1;
		return 0;
	}
	return len;
}

static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct job *j = ud;

	if (purpose == CURLSOCKTYPE_IPCXN && !j->record_class && !j->private_ok &&
	    pm_fetch_sockaddr_private(&a->addr, a->addrlen) != 0) {
		snprintf(j->refused, sizeof(j->refused),
			 "'%s' resolves to a private address (allowed only when the feed's own address is private)",
			 j->url);
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

/* Runs after a connection is made or reused, before the request is sent:
 * the one place that sees reused connections too. */
static int on_prereq(void *ud, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	struct job *j = ud;
	int priv = (primary_ip && *primary_ip) ? pm_fetch_ip_private(primary_ip) != 0 : 0;

	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	if (j->record_class) {
		j->feed_private = priv;
		return CURL_PREREQFUNC_OK;
	}
	if (priv && !j->private_ok) {
		snprintf(j->refused, sizeof(j->refused),
			 "'%s' is at private address %s (allowed only when the feed's own address is private)",
			 j->url, primary_ip);
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

/* ---- starting a hop ----------------------------------------------------- */

static void easy_common(struct pm_fetcher *f, struct job *j)
{
	CURL *e = j->easy;

	curl_easy_setopt(e, CURLOPT_PRIVATE, j);
	curl_easy_setopt(e, CURLOPT_SHARE, f->share);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, f->ua);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)f->o.max_redirects);
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)f->o.connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)f->o.timeout_ms);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)f->o.low_speed_bytes);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)f->o.low_speed_time_s);
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->o.max_body);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	/* No proxies from the environment: the private-address rule must see
	 * the address of the server itself. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, j);
	curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(e, CURLOPT_PREREQDATA, j);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, j->errbuf);
	if (j->hdrs)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, j->hdrs);
}

/* A page may be a file only when its feed's configured URL is a file and
 * the page lies in the directory above the feed's (samples/feeds/x.xml
 * may link samples/pages/y.html): a local feed may point at local pages,
 * a remote document can never make us read a local file. */
static int local_page_ok(struct pm_fetcher *f, const char *feed, const char *url)
{
	const struct pm_source *s = src_find(f, feed);
	char *dir, *page, *slash;
	size_t n;
	int ok;

	if (!s || strncmp(s->url, "file:///", 8) || strncmp(url, "file:///", 8) ||
	    strstr(url, "/../") || strstr(url, "%"))
		return 0;
	dir = xstrdup(s->url + 7);
	for (int up = 0; up < 2 && (slash = strrchr(dir, '/')); up++)
		*slash = '\0';
	page = xstrdup(url + 7);
	n = strlen(dir);
	ok = n > 0 && !strncmp(page, dir, n) && page[n] == '/';
	free(dir);
	free(page);
	return ok;
}

static int src_private_ok(struct pm_fetcher *f, size_t src)
{
	return f->o.allow_private || (src != NO_SOURCE && f->ss[src].private_known &&
				      f->ss[src].private);
}

/* Hands the current hop of j to the multi handle. */
static int job_start(struct pm_fetcher *f, struct job *j)
{
	char scheme[16];
	struct host_slot *h;
	CURLMcode mc;

	if (!j->easy) {
		j->easy = curl_easy_init();
		if (!j->easy)
			return -1;
		easy_common(f, j);
	}
	pm_fetch_url_scheme(j->url, scheme, sizeof(scheme));
	/* Only the configured URL of a feed, or a local page of a local feed,
	 * may be a file; anything taken from a Location header is http(s). */
	if (j->hops == 0 && !strcmp(scheme, "file") &&
	    (j->kind == JOB_FEED || local_page_ok(f, j->feed, j->url)))
		curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "file");
	else
		curl_easy_setopt(j->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	j->record_class = j->kind == JOB_FEED && j->hops == 0;
	if (j->kind == JOB_FEED)
		j->private_ok = f->o.allow_private || j->feed_private;
	else
		j->private_ok = src_private_ok(f, j->src);
	j->refused[0] = '\0';
	j->errbuf[0] = '\0';
	j->too_big = 0;
	pm_buf_reset(&j->body);
	curl_easy_setopt(j->easy, CURLOPT_URL, j->url);
	mc = curl_multi_add_handle(f->multi, j->easy);
	if (mc != CURLM_OK) {
		pm_error("fetch_start", "url=%s error=\"%s\"", j->url, curl_multi_strerror(mc));
		return -1;
	}
	h = host_find(f, j->host, 1);
	if (h) {
		h->inflight++;
		h->last_start = pm_mono_ms();
	}
	j->started = 1;
	j->run_prev = NULL;
	j->run_next = f->inflight;
	if (f->inflight)
		f->inflight->run_prev = j;
	f->inflight = j;
	f->running++;
	return 0;
}

static void job_stopped(struct pm_fetcher *f, struct job *j)
{
	struct host_slot *h = host_find(f, j->host, 0);

	if (!j->started)
		return;
	if (h && h->inflight > 0)
		h->inflight--;
	if (j->run_prev)
		j->run_prev->run_next = j->run_next;
	else
		f->inflight = j->run_next;
	if (j->run_next)
		j->run_next->run_prev = j->run_prev;
	j->run_prev = j->run_next = NULL;
	j->started = 0;
	f->running--;
	curl_multi_remove_handle(f->multi, j->easy);
}

static void job_finish(struct pm_fetcher *f, struct job *j, CURLcode rc);

/* Starts waiting jobs whose host allows it; *next (OUT) is the monotonic
 * time at which a delayed one may start (unchanged if none). */
static void start_ready(struct pm_fetcher *f, int64_t *next)
{
	struct job **pp = &f->waiting;
	int64_t now = pm_mono_ms();

	while (*pp && f->running < f->o.concurrency) {
		struct job *j = *pp;
		struct host_slot *h = host_find(f, j->host, 0);

		if (h && h->inflight >= f->o.per_host) {
			pp = &j->next;
			continue;
		}
		if (h && now - h->last_start < f->o.host_delay_ms) {
			int64_t at = h->last_start + f->o.host_delay_ms;
			if (*next < 0 || at < *next)
				*next = at;
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		f->nwaiting--;
		if (job_start(f, j) < 0)
			job_finish(f, j, CURLE_FAILED_INIT);
	}
}

/* ---- finishing ---------------------------------------------------------- */

static const char *response_header(CURL *e, const char *name)
{
	struct curl_header *h;

	if (curl_easy_header(e, name, 0, CURLH_HEADER, -1, &h) == CURLHE_OK)
		return h->value;
	return NULL;
}

static void set_field(struct pm_field *f, size_t *n, const char *name, const char *value)
{
	f[*n].name = name;
	f[*n].value = value ? value : "";
	f[*n].len = strlen(f[*n].value);
	(*n)++;
}

/* The feed's new state and its next due time. Both are pipelined, inside
 * the unit finish_feed opened; pm_fetcher_step sends them. */
static void reschedule(struct pm_fetcher *f, struct job *j, int64_t delay_ms)
{
	int64_t due = pm_now_ms() + delay_ms;

	if (j->src != NO_SOURCE)
		f->ss[j->src].next_due = due;
	pm_queue_pipe_sched_add(f->q, j->feed, due, 0);
}

/* The fields of a raw entry for a fetched document (the stream contract in
 * docs/ARCHITECTURE.md), 8 to 10 of them; the values are borrowed from j
 * and the caller. Content-Location and Content-Language go along when the
 * server sent them: the parser takes the first as the base for relative
 * links, the second as the language of a document that names none. */
static void raw_fields(const struct job *j, const char *kind, const char *status,
		       const char *ctype, const char *fetched_at, struct pm_field *r, size_t *n)
{
	const char *location = response_header(j->easy, "Content-Location");
	const char *language = response_header(j->easy, "Content-Language");

	if (location)
		set_field(r, n, "content_location", location);
	if (language)
		set_field(r, n, "content_language", language);
	set_field(r, n, "kind", kind);
	set_field(r, n, "feed", j->feed);
	set_field(r, n, "url", j->first_url);
	set_field(r, n, "final_url", j->url);
	set_field(r, n, "status", status);
	set_field(r, n, "content_type", ctype);
	set_field(r, n, "fetched_at", fetched_at);
	r[*n].name = "body";
	r[*n].value = j->body.data ? j->body.data : "";
	r[*n].len = j->body.len;
	(*n)++;
}

/* The adaptive mode: a feed whose document changed is polled twice as
 * often, an unchanged one (304, or the same bytes) half again as rarely,
 * within min_interval..max_interval; a Cache-Control max-age longer than
 * that is honoured. Returns seconds; *hash (OUT) is the body's hash. */
static int64_t next_interval(const struct pm_source *src, struct job *j, int changed,
			     char hash[17])
{
	int64_t cur = j->adapt_s > 0 ? j->adapt_s : src->interval, next;
	const char *cc = response_header(j->easy, "Cache-Control"), *ma;

	if (!src->adaptive)
		next = src->interval;
	else if (changed)
		next = cur / 2;
	else
		next = cur + cur / 2;
	if (src->adaptive && next < src->min_interval)
		next = src->min_interval;
	if (src->adaptive && next > src->max_interval)
		next = src->max_interval;
	if (cc && (ma = strstr(cc, "max-age="))) {
		long long age = atoll(ma + 8);
		if (age > next)
			next = age < src->max_interval ? age : src->max_interval;
	}
	if (j->body.len)
		pm_id_hex(pm_hash64(j->body.data, j->body.len), hash);
	else
		snprintf(hash, 17, "%s", j->prev_hash);
	return next;
}

/* Records a finished feed: its raw document (for a 200), its state and
 * its next due time, as one pipelined unit — all or nothing, so a new ETag
 * is never stored without the document it belongs to. If the unit fails,
 * the lease runs out and the feed is fetched again. */
static void finish_feed(struct pm_fetcher *f, struct job *j, enum outcome out, long status,
			const char *ctype, const char *error, long long retry_after)
{
	const struct pm_source *src = &f->cfg->sources[j->src];
	struct pm_field v[16];
	size_t n = 0;
	char iso[PM_ISO_LEN], st[24], fails[24];

	now_iso(iso);
	snprintf(st, sizeof(st), "%ld", status);
	f->ss[j->src].done = 1;
	f->ss[j->src].claimed = 0;
	f->ss[j->src].private_known = 1;
	f->ss[j->src].private = j->feed_private;
	pm_queue_pipe_begin(f->q);

	if (out == OUT_OK) {
		struct pm_field r[10];
		size_t nr = 0;
		const char *etag = response_header(j->easy, "ETag");
		const char *lm = response_header(j->easy, "Last-Modified");

		raw_fields(j, "feed", st, ctype, iso, r, &nr);
		pm_queue_pipe_add(f->q, PM_STREAM_RAW, r, nr);
		set_field(v, &n, "etag", etag);
		set_field(v, &n, "last_modified", lm);
		pm_info("fetched", "kind=feed feed=%s status=%ld bytes=%zu url=%s", j->feed,
			status, j->body.len, j->url);
	} else if (out == OUT_NOT_MODIFIED) {
		const char *etag = response_header(j->easy, "ETag");
		if (etag)
			set_field(v, &n, "etag", etag);
		pm_debug("not_modified", "feed=%s url=%s", j->feed, j->url);
	}

	set_field(v, &n, "status", st);
	set_field(v, &n, "last_fetch", iso);
	set_field(v, &n, "private", j->feed_private ? "1" : "0");
	if (out == OUT_OK || out == OUT_NOT_MODIFIED) {
		char hash[17], secs[24];
		int changed = out == OUT_OK && j->body.len;
		int64_t next;

		set_field(v, &n, "failures", "0");
		set_field(v, &n, "last_ok", iso);
		set_field(v, &n, "last_error", "");
		if (j->moved && j->permanent) {
			set_field(v, &n, "url", j->moved);
			set_field(v, &n, "url_from", src->url);
			pm_info("feed_moved", "feed=%s from=%s to=%s", j->feed, j->first_url, j->moved);
		}
		if (changed) { /* same bytes as last time: nothing new */
			char h[17];
			pm_id_hex(pm_hash64(j->body.data, j->body.len), h);
			changed = strcmp(h, j->prev_hash) != 0;
		}
		next = next_interval(src, j, changed, hash);
		snprintf(secs, sizeof(secs), "%lld", (long long)next);
		set_field(v, &n, "adaptive_interval", secs);
		set_field(v, &n, "body_hash", hash);
		pm_queue_pipe_feed_set(f->q, j->feed, v, n);
		reschedule(f, j, next * 1000);
		pm_queue_pipe_end(f->q);
		return;
	}

	set_field(v, &n, "last_error", error);
	if (out == OUT_GONE) {
		set_field(v, &n, "disabled", "1");
		pm_queue_pipe_feed_set(f->q, j->feed, v, n);
		pm_queue_pipe_sched_remove(f->q, j->feed);
		pm_queue_pipe_end(f->q);
		pm_warn("feed_disabled", "feed=%s url=%s status=410 reason=\"gone: not polled again until its state is cleared\"",
			j->feed, j->url);
		return;
	}

	{
		/* the lease makes this fetcher the feed's only writer, so the
		 * count read at the claim can be increased here */
		long long failures = j->failures + 1;
		int64_t delay;

		snprintf(fails, sizeof(fails), "%lld", failures);
		set_field(v, &n, "failures", fails);
		pm_queue_pipe_feed_set(f->q, j->feed, v, n);
		if ((status == 429 || status == 503) && retry_after > 0)
			delay = pm_fetch_retry_after_ms(retry_after);
		else
			delay = pm_fetch_backoff_ms(src->interval, src->max_interval, failures, &f->rng);
		pm_warn("fetch_failed", "feed=%s url=%s status=%ld failures=%lld next_in_s=%lld error=\"%s\"",
			j->feed, j->url, status, failures, (long long)(delay / 1000), error);
		reschedule(f, j, delay);
		pm_queue_pipe_end(f->q);
	}
}

/* A fetched page goes to raw and is acknowledged on pages in one unit; a
 * failed unit leaves the entry pending, to be claimed again. */
static void finish_page(struct pm_fetcher *f, struct job *j, enum outcome out, long status,
			const char *ctype, const char *error)
{
	struct pm_entry ent;
	struct pm_err e;
	const char *id = j->entry_id;

	pm_err_init(&e);
	if (out == OUT_OK) {
		struct pm_field r[11];
		size_t nr = 0;
		char iso[PM_ISO_LEN], st[24];
		size_t alen = 0;
		const char *article = pm_fields_get(j->ef, j->nef, "article");

		now_iso(iso);
		snprintf(st, sizeof(st), "%ld", status);
		raw_fields(j, "page", st, ctype, iso, r, &nr);
		for (size_t i = 0; i < j->nef; i++)
			if (!strcmp(j->ef[i].name, "article"))
				alen = j->ef[i].len;
		r[nr].name = "article";
		r[nr].value = article ? article : "";
		r[nr].len = article ? alen : 0;
		nr++;
		pm_queue_pipe_begin(f->q);
		pm_queue_pipe_add(f->q, PM_STREAM_RAW, r, nr);
		pm_queue_pipe_ack(f->q, PM_STREAM_PAGES, GROUP, &id, 1);
		pm_queue_pipe_end(f->q);
		pm_info("fetched", "kind=page feed=%s status=%ld bytes=%zu url=%s", j->feed, status,
			j->body.len, j->url);
		return;
	}
	/* A --once run is a batch that should end: waiting --claim-idle for a
	 * retry, max_deliveries times, would hold it for minutes. */
	if (out == OUT_RETRY && !f->o.once && j->deliveries < pm_queue_max_deliveries(f->q)) {
		pm_warn("page_failed", "feed=%s url=%s status=%ld deliveries=%lld retry=later error=\"%s\"",
			j->feed, j->url, status, j->deliveries, error);
		return; /* left pending: claimed again after the idle time */
	}
	memset(&ent, 0, sizeof(ent));
	snprintf(ent.id, sizeof(ent.id), "%s", j->entry_id);
	ent.f = j->ef;
	ent.nf = j->nef;
	ent.deliveries = j->deliveries;
	pm_warn("page_dead", "feed=%s url=%s status=%ld error=\"%s\"", j->feed, j->url, status, error);
	if (pm_queue_dead(f->q, "fetch", PM_STREAM_PAGES, GROUP, &ent, error, &e) < 0)
		note_error(f, &e);
}

/* A 3xx with a Location: checks the target and queues the next hop.
 * Returns 0 when j was requeued, -1 (with msg) when the redirect is refused. */
static int follow(struct pm_fetcher *f, struct job *j, long status, char *msg, size_t n)
{
	char *loc = NULL, scheme[16];

	curl_easy_getinfo(j->easy, CURLINFO_REDIRECT_URL, &loc);
	if (!loc || !*loc) {
		snprintf(msg, n, "status %ld without a usable Location", status);
		return -1;
	}
	if (j->hops >= f->o.max_redirects) {
		snprintf(msg, n, "more than %d redirects (last to '%s')", f->o.max_redirects, loc);
		return -1;
	}
	pm_fetch_url_scheme(loc, scheme, sizeof(scheme));
	if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
		snprintf(msg, n, "redirect to '%s' refused: only http and https may be followed", loc);
		return -1;
	}
	if (j->permanent && (status == 301 || status == 308)) {
		free(j->moved);
		j->moved = xstrdup(loc);
	} else {
		j->permanent = 0;
	}
	free(j->url);
	j->url = xstrdup(loc);
	j->hops++;
	pm_fetch_host_key(j->url, j->host, sizeof(j->host));
	waiting_push(f, j, 1);
	return 0;
}

static void job_finish(struct pm_fetcher *f, struct job *j, CURLcode rc)
{
	long status = 0;
	const char *ctype = NULL;
	char msg[512], scheme[16];
	enum outcome out;
	curl_off_t ra = 0;

	msg[0] = '\0';
	job_stopped(f, j);
	if (j->easy) {
		char *t = NULL;
		curl_easy_getinfo(j->easy, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(j->easy, CURLINFO_CONTENT_TYPE, &t);
		curl_easy_getinfo(j->easy, CURLINFO_RETRY_AFTER, &ra);
		ctype = t;
	}
	pm_fetch_url_scheme(j->url, scheme, sizeof(scheme));
	if (rc == CURLE_OK && !strcmp(scheme, "file")) {
		status = 200; /* a file read is a document like a 200 */
		if (!ctype)
			ctype = pm_fetch_type_from_path(j->url);
	}

	if (rc == CURLE_OK && status >= 300 && status < 400 && status != 304) {
		if (follow(f, j, status, msg, sizeof(msg)) == 0)
			return;
		out = OUT_REJECT;
	} else if (rc != CURLE_OK) {
		out = OUT_RETRY;
		if (j->refused[0]) {
			snprintf(msg, sizeof(msg), "%s", j->refused);
			out = OUT_REJECT;
		} else if (j->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			snprintf(msg, sizeof(msg), "body larger than %zu bytes (max_body)", f->o.max_body);
			out = OUT_REJECT;
		} else if (rc == CURLE_FAILED_INIT) {
			snprintf(msg, sizeof(msg), "cannot start the transfer");
		} else if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT) {
			snprintf(msg, sizeof(msg), "cannot fetch '%s': %s", j->url,
				 j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc));
			out = OUT_REJECT;
		} else {
			snprintf(msg, sizeof(msg), "%s", j->errbuf[0] ? j->errbuf : curl_easy_strerror(rc));
		}
		status = 0;
	} else if (status >= 200 && status < 300) {
		out = OUT_OK;
	} else if (status == 304) {
		out = OUT_NOT_MODIFIED;
	} else if (status == 410) {
		out = OUT_GONE;
		snprintf(msg, sizeof(msg), "gone (410)");
	} else if (status >= 500 || status == 408 || status == 429) {
		out = OUT_RETRY;
		snprintf(msg, sizeof(msg), "HTTP status %ld", status);
	} else {
		out = OUT_REJECT;
		snprintf(msg, sizeof(msg), "HTTP status %ld", status);
	}

	if (j->kind == JOB_FEED) {
		finish_feed(f, j, out, status, ctype, msg, (long long)ra);
	} else {
		/* a page is never asked conditionally: a 304 is as wrong as a 410 */
		if (out == OUT_GONE || out == OUT_NOT_MODIFIED) {
			snprintf(msg, sizeof(msg), "HTTP status %ld", status);
			out = OUT_REJECT;
		}
		finish_page(f, j, out, status, ctype, msg);
	}
	job_free(j);
}

/* ---- claiming work ------------------------------------------------------ */

static int once_remaining(const struct pm_fetcher *f)
{
	int n = 0;

	if (!f->o.once)
		return 0;
	/* feeds held by jobs are counted as jobs */
	for (size_t i = 0; i < f->cfg->nsources; i++)
		n += f->ss[i].want && !f->ss[i].done && !f->ss[i].claimed;
	return n;
}

/* Builds a feed job from the source and its stored state st[nst].
 * A disabled feed is taken off the schedule (pipelined) instead. */
static void queue_feed(struct pm_fetcher *f, const struct pm_source *src,
		       const struct pm_field *st, size_t nst)
{
	size_t idx = source_index(f, src);
	const char *url = src->url, *moved, *from, *v;
	struct job *j;

	v = pm_fields_get(st, nst, "disabled");
	if (v && !strcmp(v, "1")) {
		f->ss[idx].done = 1;
		pm_info("feed_skipped", "feed=%s reason=disabled", src->id);
		pm_queue_pipe_sched_remove(f->q, src->id);
		return;
	}
	/* A permanent redirect is followed from then on, until the operator
	 * changes the configured URL. */
	moved = pm_fields_get(st, nst, "url");
	from = pm_fields_get(st, nst, "url_from");
	if (moved && *moved && from && !strcmp(from, src->url))
		url = moved;
	j = job_new(f, JOB_FEED, idx, src->id, url);
	v = pm_fields_get(st, nst, "adaptive_interval");
	j->adapt_s = v ? atoll(v) : 0;
	v = pm_fields_get(st, nst, "body_hash");
	snprintf(j->prev_hash, sizeof(j->prev_hash), "%s", v ? v : "");
	v = pm_fields_get(st, nst, "failures");
	j->failures = v ? atoll(v) : 0;
	v = pm_fields_get(st, nst, "etag");
	if (v && *v) {
		char *h = xasprintf("If-None-Match: %s", v);
		j->hdrs = curl_slist_append(j->hdrs, h);
		free(h);
	}
	v = pm_fields_get(st, nst, "last_modified");
	if (v && *v) {
		char *h = xasprintf("If-Modified-Since: %s", v);
		j->hdrs = curl_slist_append(j->hdrs, h);
		free(h);
	}
	j->hdrs = curl_slist_append(j->hdrs,
				    "Accept: application/rss+xml, application/atom+xml, "
				    "application/feed+json, application/xml;q=0.9, "
				    "text/xml;q=0.9, */*;q=0.8");
	f->ss[idx].claimed = 1;
	waiting_push(f, j, 0);
}

static int claim_feeds(struct pm_fetcher *f, size_t max, struct pm_err *err)
{
	/* the lease outlasts a transfer with all its redirects and host delays */
	int64_t lease = (int64_t)f->o.timeout_ms * (f->o.max_redirects + 1) +
			(int64_t)f->o.host_delay_ms * (f->o.concurrency + 1) + 60000;
	char **ids = NULL;
	size_t n = 0, i;
	struct pm_fieldset *st = NULL;

	if (pm_queue_sched_claim(f->q, pm_now_ms(), lease, max, &ids, &n, err) < 0)
		return -1;
	f->claim_short = n < max;
	if (!n)
		return 0;
	/* the state of every claimed feed in one round trip; on failure the
	 * leases run out and the feeds are claimed again */
	if (pm_queue_feed_get_many(f->q, (const char *const *)ids, n, &st, err) < 0) {
		pm_strv_free(ids, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const struct pm_source *src = src_find(f, ids[i]);
		size_t idx = source_index(f, src);

		if (!src || !src->enabled) {
			pm_info("feed_unscheduled", "feed=%s reason=\"not an enabled feed of the configuration\"",
				ids[i]);
			pm_queue_pipe_sched_remove(f->q, ids[i]);
			continue;
		}
		if (f->o.once && f->ss[idx].done) {
			/* put back the due time this fetcher set */
			int64_t due = f->ss[idx].next_due;
			pm_queue_pipe_sched_add(f->q, ids[i], due > 0 ? due : pm_now_ms() + PM_FETCH_MIN_DELAY_MS, 0);
			continue;
		}
		queue_feed(f, src, st[i].f, st[i].n);
	}
	pm_fieldsets_free(st, n);
	pm_strv_free(ids, n);
	return pm_queue_pipe_flush(f->q, NULL, err);
}

static int page_reject(struct pm_fetcher *f, const struct pm_entry *e, const char *msg,
		       struct pm_err *err)
{
	pm_warn("page_dead", "entry=%s error=\"%s\"", e->id, msg);
	return pm_queue_dead(f->q, "fetch", PM_STREAM_PAGES, GROUP, e, msg, err);
}

static void page_feed_class(struct pm_fetcher *f, size_t idx)
{
	struct pm_field *st = NULL;
	size_t nst = 0;
	struct pm_err e;
	const char *v;

	if (idx == NO_SOURCE || f->ss[idx].private_known)
		return;
	pm_err_init(&e);
	if (pm_queue_feed_get(f->q, f->cfg->sources[idx].id, &st, &nst, &e) < 0)
		return; /* treated as public: the strict choice */
	v = pm_fields_get(st, nst, "private");
	if (v) {
		f->ss[idx].private_known = 1;
		f->ss[idx].private = !strcmp(v, "1");
	}
	pm_fields_free(st, nst);
}

static int claim_pages(struct pm_fetcher *f, size_t max, int block_ms, struct pm_err *err)
{
	struct pm_batch b = { NULL, 0, NULL };
	int rc = 0;

	if (!f->group_ok) {
		if (pm_queue_group(f->q, PM_STREAM_PAGES, GROUP, err) < 0)
			return -1;
		f->group_ok = 1;
	}
	if (pm_queue_read(f->q, PM_STREAM_PAGES, GROUP, f->consumer, max, block_ms, &b, err) < 0)
		return -1;
	f->pages_short = b.n < max;
	for (size_t i = 0; i < b.n && rc == 0; i++) {
		const struct pm_entry *e = &b.v[i];
		const char *url = pm_entry_get(e, "url", NULL);
		const char *feed = pm_entry_get(e, "feed", NULL);
		char scheme[16], msg[600];
		struct job *j;
		size_t idx;

		if (!url || !*url) {
			rc = page_reject(f, e, "page entry has no url", err);
			continue;
		}
		pm_fetch_url_scheme(url, scheme, sizeof(scheme));
		if (strcmp(scheme, "http") && strcmp(scheme, "https") &&
		    !(!strcmp(scheme, "file") && local_page_ok(f, feed, url))) {
			snprintf(msg, sizeof(msg), "page url '%.400s' refused: only http and https", url);
			rc = page_reject(f, e, msg, err);
			continue;
		}
		idx = source_index(f, src_find(f, feed));
		page_feed_class(f, idx);
		j = job_new(f, JOB_PAGE, idx, feed, url);
		snprintf(j->entry_id, sizeof(j->entry_id), "%s", e->id);
		j->deliveries = e->deliveries;
		j->nef = e->nf;
		j->ef = xcalloc(e->nf ? e->nf : 1, sizeof(*j->ef));
		for (size_t k = 0; k < e->nf; k++) {
			j->ef[k].name = xstrdup(e->f[k].name);
			j->ef[k].value = xstrndup(e->f[k].value, e->f[k].len);
			j->ef[k].len = e->f[k].len;
		}
		j->hdrs = curl_slist_append(j->hdrs,
					    "Accept: text/html, application/xhtml+xml, */*;q=0.8");
		waiting_push(f, j, 0);
	}
	pm_batch_release(&b);
	return rc;
}

/* With once: feeds another worker fetched since this one started count as
 * done, so two `--once` workers sharing a schedule both finish. */
static int once_check_others(struct pm_fetcher *f, struct pm_err *err)
{
	size_t n = 0, k = 0, *idx = xcalloc(f->cfg->nsources + 1, sizeof(*idx));
	const char **ids = xcalloc(f->cfg->nsources + 1, sizeof(*ids));
	struct pm_fieldset *st = NULL;
	int rc;

	for (size_t i = 0; i < f->cfg->nsources; i++)
		if (f->ss[i].want && !f->ss[i].done && !f->ss[i].claimed) {
			idx[n] = i;
			ids[n++] = f->cfg->sources[i].id;
		}
	rc = n ? pm_queue_feed_get_many(f->q, ids, n, &st, err) : 0;
	for (k = 0; rc == 0 && k < n; k++) {
		const char *last = pm_fields_get(st[k].f, st[k].n, "last_fetch");
		const char *dis = pm_fields_get(st[k].f, st[k].n, "disabled");
		time_t t;

		if ((last && pm_time_parse_iso(last, &t) == 0 && t >= f->once_start) ||
		    (dis && !strcmp(dis, "1")))
			f->ss[idx[k]].done = 1;
	}
	pm_fieldsets_free(st, n);
	free(ids);
	free(idx);
	return rc;
}

/* ---- public API --------------------------------------------------------- */

int pm_fetcher_new(const struct pm_config *cfg, struct pm_queue *q,
		   const struct pm_fetch_opts *o, struct pm_fetcher **out, struct pm_err *err)
{
	struct pm_fetcher *f;
	char host[128];

	*out = NULL;
	if (o->concurrency < 1 || o->per_host < 1 || o->host_delay_ms < 0 ||
	    o->connect_timeout_ms < 1 || o->timeout_ms < 1 || o->low_speed_bytes < 0 ||
	    o->low_speed_time_s < 0 || o->max_redirects < 0)
		return pm_err_set(err, PM_EINPUT, "invalid fetch options (a limit is out of range)");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return pm_err_set(err, PM_ERUNTIME, "cannot initialize libcurl");
	f = xcalloc(1, sizeof(*f));
	f->cfg = cfg;
	f->q = q;
	f->o = *o;
	if (!f->o.max_body)
		f->o.max_body = cfg->max_body ? cfg->max_body : (size_t)8 << 20;
	if (o->consumer && *o->consumer) {
		f->consumer = xstrdup(o->consumer);
	} else {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "host");
		host[sizeof(host) - 1] = '\0';
		f->consumer = xasprintf("fetch-%s-%ld", host, (long)getpid());
	}
	f->version = o->version ? xstrdup(o->version) : NULL;
	f->o.consumer = f->consumer;
	f->o.version = f->version;
	f->ua = pm_fetch_user_agent(o->version, cfg->user_agent_contact);
	f->ss = xcalloc(cfg->nsources ? cfg->nsources : 1, sizeof(*f->ss));
	src_index_build(f);
	f->rng = (uint64_t)pm_now_ms() ^ ((uint64_t)getpid() << 32);
	f->once_start = time(NULL);
	f->multi = curl_multi_init();
	f->share = curl_share_init();
	if (!f->multi || !f->share) {
		pm_fetcher_free(f);
		return pm_err_set(err, PM_ERUNTIME, "cannot create libcurl handles");
	}
	/* One process drives the multi handle, so the share needs no locks. */
	curl_share_setopt(f->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(f->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	curl_share_setopt(f->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o->per_host);
	curl_multi_setopt(f->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	*out = f;
	return 0;
}

void pm_fetcher_free(struct pm_fetcher *f)
{
	int n = 0;

	if (!f)
		return;
	/* running jobs are abandoned: their feeds' leases run out and their
	 * pages stay pending, so another worker takes them */
	while (f->inflight) {
		struct job *j = f->inflight;
		job_stopped(f, j);
		job_free(j);
		n++;
	}
	while (f->waiting) {
		struct job *j = f->waiting;
		f->waiting = j->next;
		job_free(j);
	}
	if (n)
		pm_info("fetch_abandoned", "transfers=%d", n);
	curl_multi_cleanup(f->multi);
	curl_share_cleanup(f->share);
	curl_global_cleanup();
	free(f->hosts);
	free(f->ss);
	free(f->src_slot);
	free(f->ua);
	free(f->consumer);
	free(f->version);
	free(f);
}

int pm_fetcher_schedule(struct pm_fetcher *f, int all_now, struct pm_err *err)
{
	int64_t now = pm_now_ms();
	size_t n = 0, *idx = xcalloc(f->cfg->nsources + 1, sizeof(*idx));
	const char **ids = xcalloc(f->cfg->nsources + 1, sizeof(*ids));
	struct pm_fieldset *st = NULL;
	int rc;

	for (size_t i = 0; i < f->cfg->nsources; i++)
		if (f->cfg->sources[i].enabled) {
			idx[n] = i;
			ids[n++] = f->cfg->sources[i].id;
		}
	/* two round trips for the whole configuration, not two per feed */
	rc = n ? pm_queue_feed_get_many(f->q, ids, n, &st, err) : 0;
	for (size_t k = 0; rc == 0 && k < n; k++) {
		const char *dis = pm_fields_get(st[k].f, st[k].n, "disabled");

		if (dis && !strcmp(dis, "1")) {
			pm_debug("feed_skipped", "feed=%s reason=disabled", ids[k]);
			continue;
		}
		pm_queue_pipe_sched_add(f->q, ids[k], now, !all_now);
		f->ss[idx[k]].want = 1;
	}
	if (rc == 0)
		rc = pm_queue_pipe_flush(f->q, NULL, err);
	pm_fieldsets_free(st, n);
	free(ids);
	free(idx);
	return rc;
}

/* Claims more work while transfers are running, once a quarter of the
 * slots is free, so the multi handle is never left to run dry between
 * steps. Stops at the first claim that finds less than it asked for: the
 * next step looks again. */
static void refill(struct pm_fetcher *f)
{
	long low = f->o.concurrency / 4 > 0 ? f->o.concurrency / 4 : 1;
	long free_slots = (long)f->o.concurrency - f->running - (long)f->nwaiting;
	struct pm_err e;

	if (f->draining || f->failed || free_slots < low)
		return;
	pm_err_init(&e);
	if (!f->claim_short && claim_feeds(f, (size_t)free_slots, &e) < 0) {
		note_error(f, &e);
		return;
	}
	free_slots = (long)f->o.concurrency - f->running - (long)f->nwaiting;
	if (!f->pages_short && free_slots >= low && claim_pages(f, (size_t)free_slots, 0, &e) < 0)
		note_error(f, &e);
}

int pm_fetcher_step(struct pm_fetcher *f, int wait_ms, int *active, struct pm_err *err)
{
	int64_t deadline = pm_mono_ms() + (wait_ms > 0 ? wait_ms : 0);
	int rc = 0;

	f->failed = 0;
	if (!f->draining) {
		long free_slots = (long)f->o.concurrency - f->running - (long)f->nwaiting;

		if (free_slots > 0)
			rc = claim_feeds(f, (size_t)free_slots, err);
		free_slots = (long)f->o.concurrency - f->running - (long)f->nwaiting;
		if (rc == 0 && free_slots > 0) {
			int block = 0;
			/* idle: wait for pages in Redis instead of spinning, but not
			 * past the next due feed */
			if (!f->running && !f->nwaiting && wait_ms > 0) {
				int64_t next = pm_queue_sched_next(f->q), now = pm_now_ms();
				block = wait_ms;
				if (next >= 0 && next - now < block)
					block = next - now > 0 ? (int)(next - now) : 0;
			}
			rc = claim_pages(f, (size_t)free_slots, block, err);
		}
	}

	for (;;) {
		int still = 0, left;
		int64_t next_start = -1, now, timeout;
		CURLMsg *m;

		start_ready(f, &next_start);
		curl_multi_perform(f->multi, &still);
		while ((m = curl_multi_info_read(f->multi, &left))) {
			if (m->msg == CURLMSG_DONE) {
				struct job *j = NULL;
				CURLcode res = m->data.result;
				curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&j);
				job_finish(f, j, res);
			}
		}
		/* what the finished jobs recorded goes out in one round trip */
		if (pm_queue_pipe_pending(f->q)) {
			struct pm_err e;
			pm_err_init(&e);
			if (pm_queue_pipe_flush(f->q, NULL, &e) < 0)
				note_error(f, &e);
		}
		refill(f);
		next_start = -1;
		start_ready(f, &next_start);
		now = pm_mono_ms();
		if ((!f->running && !f->nwaiting) || now >= deadline)
			break;
		timeout = deadline - now;
		if (next_start >= 0 && next_start - now < timeout)
			timeout = next_start - now > 0 ? next_start - now : 0;
		curl_multi_poll(f->multi, NULL, 0, (int)timeout, NULL);
	}

	if (rc == 0 && f->o.once && !f->running && !f->nwaiting && once_remaining(f) &&
	    pm_mono_ms() - f->once_checked >= 1000) {
		f->once_checked = pm_mono_ms();
		rc = once_check_others(f, err);
	}
	*active = f->running + (int)f->nwaiting + once_remaining(f);
	if (rc == 0 && f->failed) {
		if (err)
			*err = f->first_err;
		rc = -1;
	}
	return rc;
}

void pm_fetcher_drain(struct pm_fetcher *f)
{
	struct pm_err e;

	f->draining = 1;
	/* claimed but not started: feeds go back on the schedule, pages stay
	 * pending for another consumer */
	while (f->waiting) {
		struct job *j = f->waiting;
		f->waiting = j->next;
		f->nwaiting--;
		pm_err_init(&e);
		if (j->kind == JOB_FEED && j->src != NO_SOURCE) {
			f->ss[j->src].want = 0;
			f->ss[j->src].claimed = 0;
			if (pm_queue_sched_add(f->q, j->feed, pm_now_ms(), 0, &e) < 0)
				pm_warn("drain", "feed=%s error=\"%s\"", j->feed, e.msg);
		}
		job_free(j);
	}
}
