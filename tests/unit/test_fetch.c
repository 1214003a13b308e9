/* tests/unit/test_fetch.c: the fetcher's pure helpers (address classes,
 * backoff, URLs, User-Agent) always; with PM_TEST_REDIS and PM_TEST_HTTP set
 * (tests/integration/fetch.sh does), the whole engine against a real
 * redis-server and the misbehaving server in tests/servers/badhttp.py. */
#include "core/buf.h"
#include "core/config.h"
#include "core/mem.h"
#include "core/time.h"
#include "fetch/fetch.h"
#include "fetch/fetch_int.h"
#include "queue/queue.h"
#include "testlib.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- unit: helpers ------------------------------------------------------ */

static void test_classifier(void)
{
	static const struct {
		const char *ip;
		int want;
	} cases[] = {
		{ "127.0.0.1", 1 },       { "127.255.1.2", 1 },     { "10.1.2.3", 1 },
		{ "172.16.0.1", 1 },      { "172.31.255.255", 1 },  { "172.32.0.1", 0 },
		{ "172.15.255.255", 0 },  { "192.168.1.1", 1 },     { "169.254.169.254", 1 },
		{ "100.64.0.1", 1 },      { "100.128.0.1", 0 },     { "0.0.0.0", 1 },
		{ "224.0.0.1", 1 },       { "255.255.255.255", 1 }, { "192.0.2.7", 1 },
		{ "198.18.0.1", 1 },      { "8.8.8.8", 0 },         { "93.184.216.34", 0 },
		{ "::1", 1 },             { "::", 1 },              { "fe80::1", 1 },
		{ "fc00::1", 1 },         { "fd12:3456::1", 1 },    { "ff02::1", 1 },
		{ "::ffff:127.0.0.1", 1 }, { "::ffff:10.0.0.1", 1 }, { "::ffff:8.8.8.8", 0 },
		{ "64:ff9b::10.0.0.1", 1 }, { "64:ff9b::8.8.4.4", 0 }, { "2002:0a00:0001::1", 1 },
		{ "2002:0808:0808::1", 0 }, { "2001:db8::1", 1 },   { "2606:4700::1111", 0 },
		{ "2001:4860:4860::8888", 0 }, { "localhost", -1 }, { "1.2.3", -1 },
		{ "", -1 },
	};

	TEST("address classifier");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = pm_fetch_ip_private(cases[i].ip);
		if (got != cases[i].want)
			fprintf(stderr, "  %s: got %d want %d\n", cases[i].ip, got, cases[i].want);
		CHECK_INT(got, cases[i].want);
	}
	CHECK_INT(pm_fetch_ip_private(NULL), -1);
}

static void test_backoff(void)
{
	uint64_t rng = 42;
	int64_t d;

	TEST("backoff");
	for (int i = 0; i < 200; i++) {
		d = pm_fetch_backoff_ms(600, 4800, 1, &rng);
		CHECK(d >= 480000 && d < 720000);
	}
	d = pm_fetch_backoff_ms(600, 4800, 3, &rng); /* 600 * 4 */
	CHECK(d >= 1920000 && d < 2880000);
	d = pm_fetch_backoff_ms(600, 4800, 50, &rng); /* capped at max_interval */
	CHECK(d >= 3840000 && d < 5760000);
	d = pm_fetch_backoff_ms(600, 4800, 1LL << 60, &rng); /* no overflow */
	CHECK(d >= 3840000 && d < 5760000);
	d = pm_fetch_backoff_ms(3600, 1000000, 40, &rng); /* a day at most */
	CHECK(d <= PM_FETCH_MAX_DELAY_MS);
	d = pm_fetch_backoff_ms(1, 1, 1, &rng);
	CHECK_INT(d, PM_FETCH_MIN_DELAY_MS);
	{ /* jitter varies */
		int64_t a = pm_fetch_backoff_ms(600, 4800, 2, &rng);
		int diff = 0;
		for (int i = 0; i < 10; i++)
			diff |= pm_fetch_backoff_ms(600, 4800, 2, &rng) != a;
		CHECK(diff);
	}
	TEST("retry-after");
	CHECK_INT(pm_fetch_retry_after_ms(120), 120000);
	CHECK_INT(pm_fetch_retry_after_ms(0), PM_FETCH_MIN_DELAY_MS);
	CHECK_INT(pm_fetch_retry_after_ms(-5), PM_FETCH_MIN_DELAY_MS);
	CHECK_INT(pm_fetch_retry_after_ms(10LL * 86400), PM_FETCH_MAX_DELAY_MS);
	CHECK_INT(pm_fetch_retry_after_ms(1LL << 62), PM_FETCH_MAX_DELAY_MS);
}

static void test_urls(void)
{
	char s[PM_FETCH_HOST_MAX];
	char *ua;

	TEST("url helpers");
	pm_fetch_url_scheme("HTTPS://Example.org/x", s, sizeof(s));
	CHECK_STR(s, "https");
	pm_fetch_url_scheme("file:///etc/passwd", s, sizeof(s));
	CHECK_STR(s, "file");
	pm_fetch_url_scheme("gopher://x/", s, sizeof(s));
	CHECK_STR(s, "gopher");
	pm_fetch_url_scheme("not a url", s, sizeof(s));
	CHECK_STR(s, "");
	pm_fetch_host_key("http://News.Example.ORG/rss", s, sizeof(s));
	CHECK_STR(s, "news.example.org:80");
	pm_fetch_host_key("https://example.org:8443/", s, sizeof(s));
	CHECK_STR(s, "example.org:8443");
	pm_fetch_host_key("http://[::1]:81/", s, sizeof(s));
	CHECK_STR(s, "[::1]:81");
	pm_fetch_host_key("file:///tmp/x.xml", s, sizeof(s));
	CHECK_STR(s, "");
	CHECK_STR(pm_fetch_type_from_path("file:///a/b.XML"), "application/xml");
	CHECK_STR(pm_fetch_type_from_path("file:///a/feed.json"), "application/json");
	CHECK_STR(pm_fetch_type_from_path("file:///a.b/feed"), "");

	TEST("user agent");
	ua = pm_fetch_user_agent("1.2.3", "https://example.org/about");
	CHECK_STR(ua, "pressmon/1.2.3 (+https://example.org/about)");
	free(ua);
	ua = pm_fetch_user_agent(NULL, "");
	CHECK_STR(ua, "pressmon/dev");
	free(ua);
}

static void test_opts(void)
{
	struct pm_fetch_opts o;

	TEST("options");
	pm_fetch_opts_init(&o);
	CHECK_INT(o.concurrency, 64);
	CHECK_INT(o.per_host, 2);
	CHECK_INT(o.host_delay_ms, 1000);
	CHECK_INT(o.connect_timeout_ms, 10000);
	CHECK_INT(o.timeout_ms, 60000);
	CHECK_INT(o.low_speed_bytes, 100);
	CHECK_INT(o.low_speed_time_s, 20);
	CHECK_INT(o.max_redirects, 5);
	CHECK_INT(o.allow_private, 0);
}

/* ---- integration: engine against real servers --------------------------- */

static struct {
	const char *redis;
	int http, alt, hang, tls;
	char dir[128];
	struct pm_queue *q;
} E;

static size_t grow_cb(char *p, size_t sz, size_t n, void *ud)
{
	struct pm_buf *b = ud;
	return pm_buf_add(b, p, sz * n) == 0 ? sz * n : 0;
}

/* The server's request log; caller json_decrefs. */
static json_t *server_log(void)
{
	CURL *c = curl_easy_init();
	struct pm_buf b = PM_BUF_INIT;
	char url[128];
	json_t *j = NULL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/log", E.http);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (curl_easy_perform(c) == CURLE_OK)
		j = json_loads(pm_buf_str(&b), 0, NULL);
	curl_easy_cleanup(c);
	pm_buf_release(&b);
	return j;
}

static void server_reset(void)
{
	CURL *c = curl_easy_init();
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/reset", E.http);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_NOBODY, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_cb);
	{
		struct pm_buf b = PM_BUF_INIT;
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
		curl_easy_perform(c);
		pm_buf_release(&b);
	}
	curl_easy_cleanup(c);
}

/* Requests in the log whose path is path (and port, when port > 0). */
static int hits(json_t *log, const char *path, int port)
{
	json_t *reqs = json_object_get(log, "requests"), *r;
	size_t i;
	int n = 0;

	json_array_foreach(reqs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "path")), path))
			continue;
		if (port > 0 && json_integer_value(json_object_get(r, "port")) != port)
			continue;
		n++;
	}
	return n;
}

static const char *req_field(json_t *log, const char *path, int nth, const char *field)
{
	json_t *reqs = json_object_get(log, "requests"), *r;
	size_t i;

	json_array_foreach(reqs, i, r) {
		if (strcmp(json_string_value(json_object_get(r, "path")), path))
			continue;
		if (nth-- == 0)
			return json_string_value(json_object_get(r, field));
	}
	return NULL;
}

static void reset_all(void)
{
	struct pm_err err;

	pm_err_init(&err);
	if (pm_queue_flush_prefix(E.q, &err) < 0)
		fprintf(stderr, "flush: %s\n", err.msg);
	server_reset();
}

/* Loads a feeds.conf made of the [pressmon] header and body (with %d for
 * the http port replaced by printf-style formatting done by the caller). */
static int load_conf(struct pm_config *cfg, const char *body)
{
	char path[200];
	FILE *fp;
	struct pm_err err;

	snprintf(path, sizeof(path), "%s/feeds.conf", E.dir);
	fp = fopen(path, "w");
	if (!fp)
		return -1;
	fprintf(fp, "[pressmon]\nuser_agent_contact = https://example.org/contact\n\n%s", body);
	fclose(fp);
	pm_config_init(cfg);
	pm_err_init(&err);
	if (pm_config_load(cfg, path, &err) < 0) {
		fprintf(stderr, "config: %s\n", err.msg);
		return -1;
	}
	return 0;
}

static void base_opts(struct pm_fetch_opts *o)
{
	pm_fetch_opts_init(o);
	o->version = "9.9";
	o->once = 1;
	o->consumer = "test";
	o->host_delay_ms = 0;
	o->per_host = 4;
	o->timeout_ms = 10000;
	o->connect_timeout_ms = 3000;
	o->low_speed_bytes = 100;
	o->low_speed_time_s = 5;
}

/* Runs a --once fetcher over cfg until it has nothing left; returns the
 * elapsed ms, or -1 on an error or after 30 s. */
static long long run_once(const struct pm_config *cfg, const struct pm_fetch_opts *o)
{
	struct pm_fetcher *f = NULL;
	struct pm_err err;
	int64_t t0 = pm_mono_ms();
	int active = 1;
	long long rc = 0;

	pm_err_init(&err);
	if (pm_fetcher_new(cfg, E.q, o, &f, &err) < 0 || pm_fetcher_schedule(f, 1, &err) < 0) {
		fprintf(stderr, "fetcher: %s\n", err.msg);
		pm_fetcher_free(f);
		return -1;
	}
	while (active) {
		if (pm_fetcher_step(f, 100, &active, &err) < 0) {
			fprintf(stderr, "step: %s\n", err.msg);
			rc = -1;
			break;
		}
		if (pm_mono_ms() - t0 > 30000) {
			fprintf(stderr, "run_once: still active after 30 s\n");
			rc = -1;
			break;
		}
	}
	pm_fetcher_free(f);
	return rc < 0 ? -1 : (long long)(pm_mono_ms() - t0);
}

/* Steps fetcher f (no feeds scheduled) until the pages group has nothing
 * left to deliver and no transfer runs, bounded by ms. */
static void run_pages(struct pm_fetcher *f, int ms)
{
	struct pm_err err;
	int64_t t0 = pm_mono_ms();
	int active;

	pm_err_init(&err);
	while (f && pm_mono_ms() - t0 < ms) {
		struct pm_group_info gi;
		if (pm_fetcher_step(f, 50, &active, &err) < 0) {
			fprintf(stderr, "step: %s\n", err.msg);
			break;
		}
		if (!active && pm_queue_group_info(E.q, PM_STREAM_PAGES, "fetch", &gi, &err) == 0 &&
		    gi.lag == 0)
			break;
	}
}

/* Every raw entry so far (the "check" group starts at the beginning). */
static void read_raw(struct pm_batch *b)
{
	struct pm_err err;

	pm_err_init(&err);
	pm_batch_release(b);
	pm_queue_group(E.q, PM_STREAM_RAW, "check", &err);
	if (pm_queue_read(E.q, PM_STREAM_RAW, "check", "c", 100, 0, b, &err) < 0)
		fprintf(stderr, "read raw: %s\n", err.msg);
}

static char *state(const char *feed, const char *field)
{
	struct pm_field *f = NULL;
	size_t n = 0;
	struct pm_err err;
	const char *v;
	char *r;

	pm_err_init(&err);
	if (pm_queue_feed_get(E.q, feed, &f, &n, &err) < 0)
		return NULL;
	v = pm_fields_get(f, n, field);
	r = v ? xstrdup(v) : NULL;
	pm_fields_free(f, n);
	return r;
}

#define CHECK_STATE(feed, field, want)                                       \
	do {                                                                 \
		char *s_ = state(feed, field);                               \
		CHECK_STR(s_, want);                                         \
		free(s_);                                                    \
	} while (0)

static int state_has(const char *feed, const char *field, const char *needle)
{
	char *s = state(feed, field);
	int r = s && strstr(s, needle);
	if (!r)
		fprintf(stderr, "  %s.%s = '%s' lacks '%s'\n", feed, field, s ? s : "(null)", needle);
	free(s);
	return r;
}

static void test_feed_ok(void)
{
	struct pm_config cfg;
	struct pm_fetch_opts o;
	struct pm_batch b = { 0 };
	char conf[1024], want_url[128];
	json_t *log;
	size_t len;
	const char *body;
	int64_t due, now;
	time_t t;

	TEST("feed: 200 with validators, then 304");
	reset_all();
	snprintf(conf, sizeof(conf), "[feed ok]\nurl = http://127.0.0.1:%d/feed.xml\ninterval = 600\n",
		 E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	CHECK(run_once(&cfg, &o) >= 0);
	read_raw(&b);
	CHECK_INT(b.n, 1);
	snprintf(want_url, sizeof(want_url), "http://127.0.0.1:%d/feed.xml", E.http);
	if (b.n == 1) {
		const struct pm_entry *e = &b.v[0];
		CHECK_STR(pm_entry_get(e, "kind", NULL), "feed");
		CHECK_STR(pm_entry_get(e, "feed", NULL), "ok");
		CHECK_STR(pm_entry_get(e, "url", NULL), want_url);
		CHECK_STR(pm_entry_get(e, "final_url", NULL), want_url);
		CHECK_STR(pm_entry_get(e, "status", NULL), "200");
		CHECK_STR(pm_entry_get(e, "content_type", NULL), "application/rss+xml; charset=utf-8");
		/* passed on for the parser: a base for links, a language */
		CHECK_STR(pm_entry_get(e, "content_language", NULL), "en-GB");
		CHECK_STR(pm_entry_get(e, "content_location", NULL), "/feeds/main.xml");
		CHECK(pm_time_parse_iso(pm_entry_get(e, "fetched_at", NULL), &t) == 0);
		CHECK(labs((long)(t - time(NULL))) < 60);
		body = pm_entry_get(e, "body", &len);
		/* the server gzips for clients that accept it: raw holds it decoded */
		CHECK(body && len > 20 && !strncmp(body, "<?xml", 5));
	}
	CHECK_STATE("ok", "etag", "\"v1\"");
	CHECK_STATE("ok", "last_modified", "Wed, 01 Jan 2025 00:00:00 GMT");
	CHECK_STATE("ok", "status", "200");
	CHECK_STATE("ok", "failures", "0");
	CHECK_STATE("ok", "private", "1");
	CHECK(state_has("ok", "last_ok", "T"));
	due = pm_queue_sched_next(E.q);
	now = pm_now_ms();
	CHECK(due > now + 590000 && due <= now + 600000);

	log = server_log();
	CHECK_INT(hits(log, "/feed.xml", E.http), 1);
	CHECK_STR(req_field(log, "/feed.xml", 0, "ua"), "pressmon/9.9 (+https://example.org/contact)");
	CHECK(strstr(req_field(log, "/feed.xml", 0, "ae") ? req_field(log, "/feed.xml", 0, "ae") : "", "gzip") != NULL);
	CHECK_STR(req_field(log, "/feed.xml", 0, "inm"), "");
	json_decref(log);

	/* second run: conditional, 304, nothing new in raw */
	CHECK(run_once(&cfg, &o) >= 0);
	read_raw(&b);
	CHECK_INT(b.n, 0); /* the check group already had the first one */
	CHECK_INT(pm_queue_stream_len(E.q, PM_STREAM_RAW), 1);
	CHECK_STATE("ok", "status", "304");
	CHECK_STATE("ok", "failures", "0");
	log = server_log();
	CHECK_INT(hits(log, "/feed.xml", E.http), 2);
	CHECK_STR(req_field(log, "/feed.xml", 1, "inm"), "\"v1\"");
	CHECK_STR(req_field(log, "/feed.xml", 1, "ims"), "Wed, 01 Jan 2025 00:00:00 GMT");
	json_decref(log);

	TEST("schedule keeps due times unless all_now");
	{
		struct pm_fetcher *f = NULL;
		struct pm_err err;
		int64_t later = pm_now_ms() + 3600000;

		pm_err_init(&err);
		CHECK(pm_queue_sched_add(E.q, "ok", later, 0, &err) == 0);
		CHECK(pm_fetcher_new(&cfg, E.q, &o, &f, &err) == 0);
		CHECK(pm_fetcher_schedule(f, 0, &err) == 0);
		CHECK_INT(pm_queue_sched_next(E.q), later);
		CHECK(pm_fetcher_schedule(f, 1, &err) == 0);
		CHECK(pm_queue_sched_next(E.q) <= pm_now_ms());
		pm_fetcher_free(f);
	}
	pm_batch_release(&b);
	pm_config_release(&cfg);
}

static void test_redirects(void)
{
	struct pm_config cfg;
	struct pm_fetch_opts o;
	struct pm_batch b = { 0 };
	char conf[2048], u[128];
	json_t *log;

	TEST("301 moves the feed; 302 does not");
	reset_all();
	snprintf(conf, sizeof(conf),
		 "[feed mv]\nurl = http://127.0.0.1:%d/moved\n\n"
		 "[feed tmp]\nurl = http://127.0.0.1:%d/temp\n",
		 E.http, E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	CHECK(run_once(&cfg, &o) >= 0);
	read_raw(&b);
	CHECK_INT(b.n, 2);
	for (size_t i = 0; i < b.n; i++) {
		const char *feed = pm_entry_get(&b.v[i], "feed", NULL);
		snprintf(u, sizeof(u), "http://127.0.0.1:%d/%s", E.http,
			 !strcmp(feed, "mv") ? "moved" : "temp");
		CHECK_STR(pm_entry_get(&b.v[i], "url", NULL), u);
		snprintf(u, sizeof(u), "http://127.0.0.1:%d/feed.xml", E.http);
		CHECK_STR(pm_entry_get(&b.v[i], "final_url", NULL), u);
	}
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/feed.xml", E.http);
	CHECK_STATE("mv", "url", u);
	{
		char *s = state("tmp", "url");
		CHECK(s == NULL);
		free(s);
	}
	CHECK(run_once(&cfg, &o) >= 0);
	log = server_log();
	CHECK_INT(hits(log, "/moved", 0), 1); /* not asked again */
	CHECK_INT(hits(log, "/temp", 0), 2);
	json_decref(log);
	pm_config_release(&cfg);

	TEST("redirect loop, redirect to file:, redirect to another loopback port");
	reset_all();
	snprintf(conf, sizeof(conf),
		 "[feed loop]\nurl = http://127.0.0.1:%d/loop\n\n"
		 "[feed tofile]\nurl = http://127.0.0.1:%d/to-file\n\n"
		 "[feed toalt]\nurl = http://127.0.0.1:%d/to-alt\n",
		 E.http, E.http, E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	o.max_redirects = 3;
	CHECK(run_once(&cfg, &o) >= 0);
	CHECK(state_has("loop", "last_error", "more than 3 redirects"));
	CHECK_STATE("loop", "failures", "1");
	CHECK(state_has("tofile", "last_error", "file:///etc/passwd"));
	CHECK(state_has("tofile", "last_error", "refused"));
	/* the feed itself is on loopback, so loopback redirects are allowed */
	CHECK_STATE("toalt", "status", "200");
	read_raw(&b);
	CHECK_INT(b.n, 1);
	if (b.n) {
		snprintf(u, sizeof(u), "http://127.0.0.1:%d/feed.xml", E.alt);
		CHECK_STR(pm_entry_get(&b.v[0], "final_url", NULL), u);
	}
	log = server_log();
	CHECK_INT(hits(log, "/loop", 0), 4); /* first request + 3 redirects */
	json_decref(log);
	pm_batch_release(&b);
	pm_config_release(&cfg);
}

static void test_statuses(void)
{
	struct pm_config cfg;
	struct pm_fetch_opts o;
	struct pm_err err;
	char conf[1024];
	int64_t due, now;

	pm_err_init(&err);
	TEST("410 disables the feed");
	reset_all();
	snprintf(conf, sizeof(conf), "[feed gone]\nurl = http://127.0.0.1:%d/gone\n", E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	CHECK(run_once(&cfg, &o) >= 0);
	CHECK_STATE("gone", "disabled", "1");
	CHECK_STATE("gone", "status", "410");
	CHECK_INT(pm_queue_sched_next(E.q), -1);
	CHECK(run_once(&cfg, &o) >= 0); /* skipped: not put back on the schedule */
	CHECK_INT(pm_queue_sched_next(E.q), -1);
	{
		json_t *log = server_log();
		CHECK_INT(hits(log, "/gone", 0), 1);
		json_decref(log);
	}
	pm_config_release(&cfg);

	TEST("429 honours Retry-After seconds");
	reset_all();
	snprintf(conf, sizeof(conf), "[feed busy]\nurl = http://127.0.0.1:%d/busy\ninterval = 600\n",
		 E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	CHECK(run_once(&cfg, &o) >= 0);
	due = pm_queue_sched_next(E.q);
	now = pm_now_ms();
	CHECK(due > now + 115000 && due <= now + 120000);
	CHECK_STATE("busy", "status", "429");
	CHECK_STATE("busy", "failures", "1");
	CHECK(state_has("busy", "last_error", "429"));
	pm_config_release(&cfg);

	TEST("503 honours Retry-After as a date");
	reset_all();
	snprintf(conf, sizeof(conf), "[feed unavail]\nurl = http://127.0.0.1:%d/unavail\ninterval = 600\n",
		 E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	CHECK(run_once(&cfg, &o) >= 0);
	due = pm_queue_sched_next(E.q);
	now = pm_now_ms();
	CHECK(due > now + 290000 && due <= now + 302000);
	CHECK_STATE("unavail", "status", "503");
	pm_config_release(&cfg);

	TEST("500 backs off exponentially with jitter");
	reset_all();
	snprintf(conf, sizeof(conf), "[feed err]\nurl = http://127.0.0.1:%d/error\ninterval = 600\n",
		 E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	CHECK(run_once(&cfg, &o) >= 0);
	due = pm_queue_sched_next(E.q);
	now = pm_now_ms();
	CHECK(due >= now + 470000 && due <= now + 720000);
	CHECK_STATE("err", "failures", "1");
	CHECK_STATE("err", "status", "500");
	CHECK(state_has("err", "last_error", "500"));
	CHECK(run_once(&cfg, &o) >= 0);
	due = pm_queue_sched_next(E.q);
	now = pm_now_ms();
	CHECK(due >= now + 950000 && due <= now + 1440000);
	CHECK_STATE("err", "failures", "2");
	pm_config_release(&cfg);
}

static void test_limits(void)
{
	struct pm_config cfg;
	struct pm_fetch_opts o;
	char conf[1024];
	long long ms;

	TEST("slowloris: low-speed abort");
	reset_all();
	snprintf(conf, sizeof(conf), "[feed slow]\nurl = http://127.0.0.1:%d/slow\n", E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	o.low_speed_bytes = 100;
	o.low_speed_time_s = 2;
	ms = run_once(&cfg, &o);
	CHECK(ms >= 1800 && ms < 6000);
	CHECK(state_has("slow", "last_error", "too slow"));
	CHECK_STATE("slow", "status", "0");
	CHECK_INT(pm_queue_stream_len(E.q, PM_STREAM_RAW), 0);
	pm_config_release(&cfg);

	TEST("total timeout");
	reset_all();
	snprintf(conf, sizeof(conf), "[feed drip]\nurl = http://127.0.0.1:%d/drip\n", E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	o.timeout_ms = 1500;
	o.low_speed_time_s = 1;
	ms = run_once(&cfg, &o);
	CHECK(ms >= 1400 && ms < 5000);
	CHECK(state_has("drip", "last_error", "timed out"));
	CHECK_INT(pm_queue_stream_len(E.q, PM_STREAM_RAW), 0);
	pm_config_release(&cfg);

	TEST("connect timeout (a TLS handshake that never answers)");
	reset_all();
	snprintf(conf, sizeof(conf), "[feed hang]\nurl = https://127.0.0.1:%d/feed.xml\n", E.hang);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	o.connect_timeout_ms = 1000;
	o.timeout_ms = 20000;
	o.low_speed_time_s = 0;
	ms = run_once(&cfg, &o);
	CHECK(ms >= 900 && ms < 4000);
	CHECK(state_has("hang", "last_error", "timeout") || state_has("hang", "last_error", "timed out"));
	CHECK_STATE("hang", "failures", "1");
	pm_config_release(&cfg);

	TEST("endless body stops at max_body");
	reset_all();
	snprintf(conf, sizeof(conf), "[feed endless]\nurl = http://127.0.0.1:%d/endless\n", E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	o.max_body = 256 * 1024;
	ms = run_once(&cfg, &o);
	CHECK(ms >= 0 && ms < 5000);
	CHECK(state_has("endless", "last_error", "body larger than 262144 bytes"));
	CHECK_INT(pm_queue_stream_len(E.q, PM_STREAM_RAW), 0);
	pm_config_release(&cfg);

	TEST("gzip bomb is cut off after decompression");
	reset_all();
	snprintf(conf, sizeof(conf), "[feed bomb]\nurl = http://127.0.0.1:%d/bomb\n", E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	o.max_body = 1024 * 1024;
	ms = run_once(&cfg, &o);
	CHECK(ms >= 0 && ms < 5000);
	CHECK(state_has("bomb", "last_error", "body larger than 1048576 bytes"));
	CHECK_INT(pm_queue_stream_len(E.q, PM_STREAM_RAW), 0);
	/* the same document passes with a cap above its decoded size */
	o.max_body = 80u << 20;
	CHECK(run_once(&cfg, &o) >= 0);
	CHECK_STATE("bomb", "status", "200");
	CHECK_INT(pm_queue_stream_len(E.q, PM_STREAM_RAW), 1);
	pm_config_release(&cfg);

	if (E.tls > 0) {
		TEST("TLS verification is on");
		reset_all();
		snprintf(conf, sizeof(conf), "[feed tls]\nurl = https://127.0.0.1:%d/feed.xml\n", E.tls);
		if (load_conf(&cfg, conf) < 0)
			{ CHECK(0); return; }
		base_opts(&o);
		CHECK(run_once(&cfg, &o) >= 0);
		CHECK(state_has("tls", "last_error", "certificate") ||
		      state_has("tls", "last_error", "SSL"));
		CHECK_STATE("tls", "failures", "1");
		CHECK_INT(pm_queue_stream_len(E.q, PM_STREAM_RAW), 0);
		{
			json_t *log = server_log();
			CHECK_INT(hits(log, "/feed.xml", E.tls), 0);
			json_decref(log);
		}
		pm_config_release(&cfg);
	}
}

static double req_time(json_t *log, size_t i)
{
	return json_real_value(json_object_get(json_array_get(json_object_get(log, "requests"), i), "t"));
}

static void test_politeness(void)
{
	struct pm_config cfg;
	struct pm_fetch_opts o;
	struct pm_buf conf = PM_BUF_INIT;
	json_t *log;
	long long ms;

	TEST("per-host connection limit");
	reset_all();
	for (int i = 0; i < 6; i++)
		pm_buf_addf(&conf, "[feed s%d]\nurl = http://127.0.0.1:%d/sleep?ms=400&n=%d\n\n", i,
			    E.http, i);
	if (load_conf(&cfg, pm_buf_str(&conf)) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	o.per_host = 2;
	o.concurrency = 8;
	ms = run_once(&cfg, &o);
	CHECK(ms >= 1100); /* 6 requests of 400 ms, two at a time */
	log = server_log();
	CHECK_INT(hits(log, "/sleep", 0), 6);
	CHECK_INT(json_integer_value(json_object_get(log, "peak")), 2);
	json_decref(log);
	CHECK_INT(pm_queue_stream_len(E.q, PM_STREAM_RAW), 6);
	/* the limit is what held it at two */
	reset_all();
	o.per_host = 6;
	CHECK(run_once(&cfg, &o) >= 0);
	log = server_log();
	CHECK(json_integer_value(json_object_get(log, "peak")) > 2);
	json_decref(log);
	pm_config_release(&cfg);

	TEST("delay between requests to one host");
	reset_all();
	pm_buf_reset(&conf);
	for (int i = 0; i < 3; i++)
		pm_buf_addf(&conf, "[feed d%d]\nurl = http://127.0.0.1:%d/page/d%d\n\n", i, E.http, i);
	if (load_conf(&cfg, pm_buf_str(&conf)) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	o.host_delay_ms = 400;
	ms = run_once(&cfg, &o);
	CHECK(ms >= 780); /* the client's clock: two delays of 400 ms */
	log = server_log();
	CHECK_INT(json_array_size(json_object_get(log, "requests")), 3);
	/* the server's clock sees the gaps too, less exactly: a loaded machine
	 * can hold back the server's reading of one request by tens of ms */
	for (size_t i = 1; i < 3; i++) {
		double gap = req_time(log, i) - req_time(log, i - 1);
		if (gap < 0.3)
			fprintf(stderr, "  gap %zu: %.3f s\n", i, gap);
		CHECK(gap >= 0.3);
	}
	json_decref(log);
	pm_config_release(&cfg);
	pm_buf_release(&conf);
}

static void test_file_feed(void)
{
	struct pm_config cfg;
	struct pm_fetch_opts o;
	struct pm_batch b = { 0 };
	char conf[512], path[200];
	FILE *fp;

	TEST("file: feed");
	reset_all();
	snprintf(path, sizeof(path), "%s/local feed.xml", E.dir);
	fp = fopen(path, "w");
	if (!fp)
		{ CHECK(0); return; }
	fputs("<rss version=\"2.0\"><channel><title>Local</title></channel></rss>\n", fp);
	fclose(fp);
	snprintf(conf, sizeof(conf), "[feed local]\nurl = file://%s/local%%20feed.xml\n", E.dir);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	CHECK(run_once(&cfg, &o) >= 0);
	read_raw(&b);
	CHECK_INT(b.n, 1);
	if (b.n) {
		size_t len;
		const char *body = pm_entry_get(&b.v[0], "body", &len);
		CHECK_STR(pm_entry_get(&b.v[0], "status", NULL), "200");
		CHECK_STR(pm_entry_get(&b.v[0], "content_type", NULL), "application/xml");
		CHECK(body && len == 65 && !strncmp(body, "<rss", 4));
	}
	CHECK_STATE("local", "failures", "0");
	pm_batch_release(&b);
	pm_config_release(&cfg);
}

static int add_page(const char *feed, const char *url, const char *article)
{
	struct pm_field f[3] = {
		{ "feed", feed, strlen(feed) },
		{ "url", url, strlen(url) },
		{ "article", article, strlen(article) },
	};
	struct pm_err err;

	pm_err_init(&err);
	return pm_queue_add(E.q, PM_STREAM_PAGES, f, 3, &err);
}

static void test_pages(void)
{
	struct pm_config cfg;
	struct pm_fetch_opts o;
	struct pm_batch b = { 0 }, dead = { 0 };
	struct pm_group_info gi;
	struct pm_field pub = { "private", "0", 1 };
	struct pm_err err;
	struct pm_fetcher *f = NULL;
	char conf[1024], u[128];
	json_t *log;

	pm_err_init(&err);
	TEST("pages: fetched to raw, failures to dead or left pending");
	reset_all();
	/* "pub" stands for a feed on a public address (its recorded class);
	 * "loc" for one on loopback */
	snprintf(conf, sizeof(conf),
		 "[feed loc]\nurl = http://127.0.0.1:%d/feed.xml\n\n"
		 "[feed pub]\nurl = http://127.0.0.1:%d/feed.xml\n",
		 E.http, E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	o.once = 0;
	CHECK(pm_queue_feed_set(E.q, "pub", &pub, 1, &err) == 0);
	pub.value = "1";
	CHECK(pm_queue_feed_set(E.q, "loc", &pub, 1, &err) == 0);
	CHECK(pm_queue_group(E.q, PM_STREAM_PAGES, "fetch", &err) == 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/page/one", E.alt);
	CHECK(add_page("loc", u, "{\"id\":\"a1\"}") == 0);
	CHECK(pm_fetcher_new(&cfg, E.q, &o, &f, &err) == 0);
	run_pages(f, 5000);
	/* pub's page on the same loopback host:port now reuses the open
	 * connection (no new socket): the prereq check must still refuse it */
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/page/secret", E.alt);
	CHECK(add_page("pub", u, "{\"id\":\"a2\"}") == 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/notfound", E.http);
	CHECK(add_page("loc", u, "{\"id\":\"a3\"}") == 0);
	CHECK(add_page("loc", "file:///etc/passwd", "{\"id\":\"a4\"}") == 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/error", E.http);
	CHECK(add_page("loc", u, "{\"id\":\"a5\"}") == 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/to-file", E.http);
	CHECK(add_page("loc", u, "{\"id\":\"a6\"}") == 0);
	/* a host:port this fetcher never connected to: refused before connect */
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/page/inner", E.hang);
	CHECK(add_page("pub", u, "{\"id\":\"a7\"}") == 0);
	run_pages(f, 5000);
	pm_fetcher_free(f);
	f = NULL;

	read_raw(&b);
	CHECK_INT(b.n, 1);
	if (b.n) {
		const struct pm_entry *e = &b.v[0];
		size_t len;
		const char *body = pm_entry_get(e, "body", &len);
		snprintf(u, sizeof(u), "http://127.0.0.1:%d/page/one", E.alt);
		CHECK_STR(pm_entry_get(e, "kind", NULL), "page");
		CHECK_STR(pm_entry_get(e, "feed", NULL), "loc");
		CHECK_STR(pm_entry_get(e, "url", NULL), u);
		CHECK_STR(pm_entry_get(e, "final_url", NULL), u);
		CHECK_STR(pm_entry_get(e, "status", NULL), "200");
		CHECK_STR(pm_entry_get(e, "content_type", NULL), "text/html; charset=utf-8");
		/* headers the server did not send are not made up */
		CHECK(pm_entry_get(e, "content_language", NULL) == NULL);
		CHECK(pm_entry_get(e, "content_location", NULL) == NULL);
		CHECK_STR(pm_entry_get(e, "article", NULL), "{\"id\":\"a1\"}");
		CHECK(pm_entry_get(e, "fetched_at", NULL) != NULL);
		CHECK(body && strstr(body, "Test page one"));
	}
	log = server_log();
	CHECK_INT(hits(log, "/page/one", E.alt), 1);
	CHECK_INT(hits(log, "/page/secret", 0), 0); /* never reached the server */
	CHECK_INT(hits(log, "/error", 0), 1);
	json_decref(log);

	/* dead: the private page, the 404, the file: URL, the file redirect */
	CHECK(pm_queue_group(E.q, PM_STREAM_DEAD, "check", &err) == 0);
	CHECK(pm_queue_read(E.q, PM_STREAM_DEAD, "check", "c", 100, 0, &dead, &err) == 0);
	CHECK_INT(dead.n, 5);
	{
		int priv = 0, nf = 0, file = 0, redir = 0, fresh = 0;
		for (size_t i = 0; i < dead.n; i++) {
			const char *er = pm_entry_get(&dead.v[i], "error", NULL);
			const char *art = pm_entry_get(&dead.v[i], "article", NULL);
			if (!er || !art)
				continue;
			/* "is at private address": refused on the reused connection */
			priv += !strcmp(art, "{\"id\":\"a2\"}") && strstr(er, "is at private address");
			nf += !strcmp(art, "{\"id\":\"a3\"}") && strstr(er, "404");
			file += !strcmp(art, "{\"id\":\"a4\"}") && strstr(er, "only http and https");
			redir += !strcmp(art, "{\"id\":\"a6\"}") && strstr(er, "refused");
			fresh += !strcmp(art, "{\"id\":\"a7\"}") &&
				 strstr(er, "resolves to a private address");
		}
		CHECK_INT(fresh, 1);
		CHECK_INT(priv, 1);
		CHECK_INT(nf, 1);
		CHECK_INT(file, 1);
		CHECK_INT(redir, 1);
	}
	/* the 500 stays pending for a later retry */
	CHECK(pm_queue_group_info(E.q, PM_STREAM_PAGES, "fetch", &gi, &err) == 0);
	CHECK_INT(gi.pending, 1);
	CHECK_INT(gi.lag, 0);

	TEST("pages: allow_private lets the same page through");
	reset_all();
	pub.value = "0";
	CHECK(pm_queue_feed_set(E.q, "pub", &pub, 1, &err) == 0);
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/page/secret", E.alt);
	CHECK(add_page("pub", u, "{\"id\":\"a2\"}") == 0);
	o.allow_private = 1;
	CHECK(pm_fetcher_new(&cfg, E.q, &o, &f, &err) == 0);
	run_pages(f, 5000);
	pm_fetcher_free(f);
	CHECK_INT(pm_queue_stream_len(E.q, PM_STREAM_RAW), 1);
	log = server_log();
	CHECK_INT(hits(log, "/page/secret", E.alt), 1);
	json_decref(log);

	pm_batch_release(&b);
	pm_batch_release(&dead);
	pm_config_release(&cfg);
}

static void test_once_done(void)
{
	struct pm_config cfg;
	struct pm_fetch_opts o;
	struct pm_fetcher *f = NULL;
	struct pm_err err;
	char conf[512];
	int active = -1, steps = 0;
	json_t *log;

	TEST("once: each feed once, then nothing active");
	reset_all();
	snprintf(conf, sizeof(conf),
		 "[feed a]\nurl = http://127.0.0.1:%d/feed.xml?a\n\n"
		 "[feed b]\nurl = http://127.0.0.1:%d/error\ninterval = 10\n",
		 E.http, E.http);
	if (load_conf(&cfg, conf) < 0)
		{ CHECK(0); return; }
	base_opts(&o);
	pm_err_init(&err);
	CHECK(pm_fetcher_new(&cfg, E.q, &o, &f, &err) == 0);
	CHECK(pm_fetcher_schedule(f, 1, &err) == 0);
	CHECK(pm_fetcher_step(f, 0, &active, &err) == 0);
	CHECK(active >= 1);
	{
		int bad = 0;
		while (active && steps++ < 200)
			bad |= pm_fetcher_step(f, 50, &active, &err) < 0;
		CHECK(!bad);
	}
	CHECK_INT(active, 0);
	/* b is due again only after PM_FETCH_MIN_DELAY_MS; force it due: a once
	 * fetcher must not take it a second time */
	CHECK(pm_queue_sched_add(E.q, "b", pm_now_ms() - 1, 0, &err) == 0);
	for (int i = 0; i < 3; i++)
		CHECK(pm_fetcher_step(f, 50, &active, &err) == 0);
	CHECK_INT(active, 0);
	pm_fetcher_free(f);
	log = server_log();
	CHECK_INT(hits(log, "/feed.xml", 0), 1);
	CHECK_INT(hits(log, "/error", 0), 1);
	json_decref(log);
	CHECK(pm_queue_sched_next(E.q) > pm_now_ms()); /* b's due time was put back */
	pm_config_release(&cfg);
}

static void test_drain(void)
{
	struct pm_config cfg;
	struct pm_fetch_opts o;
	struct pm_fetcher *f = NULL;
	struct pm_err err;
	char conf[512];
	int active = -1, steps = 0, bad = 0;
	char **ids = NULL;
	size_t n = 0;

	TEST("drain: claimed feeds not started go back on the schedule");
	reset_all();
	snprintf(conf, sizeof(conf),
		 "[feed x0]\nurl = http://127.0.0.1:%d/sleep?ms=300&x=0\n\n"
		 "[feed x1]\nurl = http://127.0.0.1:%d/sleep?ms=300&x=1\n\n"
		 "[feed x2]\nurl = http://127.0.0.1:%d/sleep?ms=300&x=2\n",
		 E.http, E.http, E.http);
	if (load_conf(&cfg, conf) < 0) { CHECK(0); return; }
	base_opts(&o);
	o.host_delay_ms = 5000; /* one starts, two wait for the host */
	pm_err_init(&err);
	CHECK(pm_fetcher_new(&cfg, E.q, &o, &f, &err) == 0);
	CHECK(pm_fetcher_schedule(f, 1, &err) == 0);
	CHECK(pm_fetcher_step(f, 0, &active, &err) == 0);
	CHECK_INT(active, 3);
	pm_fetcher_drain(f);
	while (active && steps++ < 100)
		bad |= pm_fetcher_step(f, 50, &active, &err) < 0;
	CHECK(!bad);
	CHECK_INT(active, 0);
	pm_fetcher_free(f);
	CHECK_INT(pm_queue_stream_len(E.q, PM_STREAM_RAW), 1);
	/* the two that never started are due now; the fetched one is not */
	CHECK(pm_queue_sched_claim(E.q, pm_now_ms(), 1000, 10, &ids, &n, &err) == 0);
	CHECK_INT(n, 2);
	pm_strv_free(ids, n);
	pm_config_release(&cfg);
}

static int integration(void)
{
	const char *http = getenv("PM_TEST_HTTP");
	struct pm_queue_opts qo;
	struct pm_err err;

	E.redis = getenv("PM_TEST_REDIS");
	if (!E.redis || !http) {
		printf("integration cases not run: tests/integration/fetch.sh runs them\n");
		return 0;
	}
	if (sscanf(http, "%d %d %d %d", &E.http, &E.alt, &E.hang, &E.tls) < 3) {
		fprintf(stderr, "PM_TEST_HTTP must be 'HTTP ALT HANG [TLS]'\n");
		return -1;
	}
	snprintf(E.dir, sizeof(E.dir), "%s", getenv("PM_TEST_DIR") ? getenv("PM_TEST_DIR") : "/tmp");
	pm_err_init(&err);
	pm_queue_opts_init(&qo);
	qo.url = E.redis;
	qo.prefix = "ft:";
	qo.claim_idle_ms = 60000;
	if (pm_queue_connect(&qo, &E.q, &err) < 0) {
		fprintf(stderr, "connect: %s\n", err.msg);
		return -1;
	}
	test_feed_ok();
	test_redirects();
	test_statuses();
	test_limits();
	test_politeness();
	test_file_feed();
	test_pages();
	test_once_done();
	test_drain();
	pm_queue_free(E.q);
	return 0;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	test_classifier();
	test_backoff();
	test_urls();
	test_opts();
	if (integration() < 0) {
		TEST("integration setup");
		CHECK(0);
	}
	curl_global_cleanup();
	return tl_summary();
}
