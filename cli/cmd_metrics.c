/* cli/cmd_metrics: 'pressmon metrics --listen ADDR' — serves GET /metrics,
 * the Prometheus text of 'pressmon status', computed per request. */
#include "cli/pipeline.h"
#include "cli/status.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PROM_TYPE "text/plain; version=0.0.4; charset=utf-8"
/* bounds on what scrapers (or anyone who can reach the port) may hold */
#define MAX_CONNECTIONS 32
#define CONNECTION_TIMEOUT_S 10

struct metrics {
	struct cli_pipeline p;
	pthread_mutex_t lock;   /* p is shared by the HTTP thread and SIGHUP reloads */
};

static void usage(FILE *out)
{
	fprintf(out, "usage: pressmon metrics --listen ADDR [--redis URL] [--config PATH] [--db PATH]\n\n"
		     "Serves GET /metrics: the Prometheus text of 'pressmon status --format\n"
		     "prometheus', computed per request. ADDR is HOST:PORT, [IPV6]:PORT or :PORT\n"
		     "(every interface); PORT 0 picks a free one (logged). Other paths get 404,\n"
		     "a Redis outage 503. Runs until SIGTERM or SIGINT; SIGHUP reloads feeds.conf.\n");
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, const char *type,
			     char *body, size_t len, int head)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	/* HEAD: same headers, no body */
	r = MHD_create_response_from_buffer(head ? 0 : len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A one-line plain-text answer; takes s. */
static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, int head, char *s)
{
	return reply(conn, status, "text/plain; charset=utf-8", s, strlen(s), head);
}

/* Opens the configuration and Redis unless Redis is connected already
 * (it was away at start, or at the last attempt). Call with the lock. */
static int ensure_open(struct metrics *m, struct pm_err *err)
{
	if (m->p.q)
		return 0;
	cli_pipeline_close(&m->p);
	return cli_pipeline_open(&m->p, 0, err);
}

/* The body of GET /metrics, or -1 with err (PM_EDEP: Redis is away). */
static int scrape(struct metrics *m, struct pm_buf *b, struct pm_err *err)
{
	json_t *o;

	if (ensure_open(m, err) < 0)
		return -1;
	o = cli_status_collect(&m->p, err);
	if (!o)
		return -1;
	cli_status_prometheus(o, b);
	json_decref(o);
	return 0;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	struct pm_buf b = PM_BUF_INIT;
	struct pm_err err;
	int head = !strcmp(method, MHD_HTTP_METHOD_HEAD), rc;
	int64_t t0 = pm_mono_ms();

	(void)version;
	(void)upload;
	/* the first call only announces the request; answer on the second,
	 * and ignore any body a client sends */
	if (!*state) {
		*state = m;
		return MHD_YES;
	}
	if (*upload_len) {
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && !head)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, 0,
				  xstrdup("method not allowed: use GET\n"));
	if (strcmp(url, "/metrics"))
		return reply_text(conn, MHD_HTTP_NOT_FOUND, head,
				  xstrdup("not found: metrics are at /metrics\n"));
	pm_err_init(&err);
	pthread_mutex_lock(&m->lock);
	rc = scrape(m, &b, &err);
	pthread_mutex_unlock(&m->lock);
	if (rc < 0) {
		pm_buf_release(&b);
		pm_warn("scrape_failed", "error=\"%s\"", err.msg);
		return reply_text(conn, err.code == PM_EDEP ? MHD_HTTP_SERVICE_UNAVAILABLE
							    : MHD_HTTP_INTERNAL_SERVER_ERROR,
				  head, xasprintf("pressmon: %s\n", err.msg));
	}
	pm_debug("scraped", "bytes=%zu ms=%lld", b.len, (long long)(pm_mono_ms() - t0));
	{
		size_t len;
		char *body = pm_buf_detach(&b, &len);
		return reply(conn, MHD_HTTP_OK, PROM_TYPE, body, len, head);
	}
}

/* Splits ADDR into host (NULL: every interface) and port. Returns -1 on a
 * malformed address. host is written into hostbuf. */
static int parse_listen(const char *addr, char *hostbuf, size_t hostlen, const char **host,
			unsigned *port)
{
	const char *colon, *h = addr;
	size_t hl;
	char *end;
	long v;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');
		if (!close || close[1] != ':')
			return -1;
		h = addr + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return -1;
		hl = (size_t)(colon - addr);
		if (memchr(addr, ':', hl)) /* an IPv6 address needs brackets */
			return -1;
	}
	if (hl >= hostlen)
		return -1;
	memcpy(hostbuf, h, hl);
	hostbuf[hl] = '\0';
	*host = hl ? hostbuf : NULL;
	v = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || v < 0 || v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

static struct MHD_Daemon *start(struct metrics *m, const char *host, unsigned port,
				struct pm_err *err)
{
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;
	struct addrinfo hints, *ai = NULL;
	int gai;

	if (!host) {
		/* every interface, IPv6 and IPv4; IPv4 alone where IPv6 is off */
		d = MHD_start_daemon(flags | MHD_USE_DUAL_STACK, (uint16_t)port, NULL, NULL, answer, m,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
				     MHD_OPTION_END);
		if (!d)
			d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, answer, m,
					     MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
					     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
					     MHD_OPTION_END);
		if (!d)
			pm_err_set(err, PM_ERUNTIME, "cannot listen on port %u", port);
		return d;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((gai = getaddrinfo(host, NULL, &hints, &ai)) != 0) {
		pm_err_set(err, PM_EINPUT, "--listen: cannot resolve '%s': %s", host, gai_strerror(gai));
		return NULL;
	}
	if (ai->ai_family == AF_INET6) {
		((struct sockaddr_in6 *)ai->ai_addr)->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else {
		((struct sockaddr_in *)ai->ai_addr)->sin_port = htons((uint16_t)port);
	}
	d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, answer, m,
			     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
			     MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S,
			     MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!d)
		pm_err_set(err, PM_ERUNTIME, "cannot listen on '%s' port %u", host, port);
	return d;
}

/* SIGHUP: feeds.conf again (the feeds listed in the metrics); a broken file
 * is refused and the old one kept. */
static void reload(struct metrics *m)
{
	struct pm_config cfg;
	struct pm_err err;

	pm_err_init(&err);
	pm_config_init(&cfg);
	if (pm_config_load(&cfg, m->p.env.config, &err) < 0) {
		pm_error("reload_refused", "error=\"%s\"", err.msg);
		pm_config_release(&cfg);
		return;
	}
	pthread_mutex_lock(&m->lock);
	pm_config_release(&m->p.cfg);
	m->p.cfg = cfg;
	pthread_mutex_unlock(&m->lock);
	pm_info("reloaded", "config=%s feeds=%zu", m->p.env.config, cfg.nsources);
}

int cmd_metrics(int argc, char **argv)
{
	enum { OPT_LISTEN = 2000 };
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ NULL, 0, NULL, 0 }
	};
	struct metrics m;
	struct MHD_Daemon *d = NULL;
	const union MHD_DaemonInfo *info;
	const char *listen = NULL, *host;
	char hostbuf[256];
	unsigned port;
	struct pm_err err;
	sigset_t block, old;
	int c, rc = 0;

	memset(&m, 0, sizeof(m));
	cli_env_init(&m.p.env);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int h = cli_common_opt(&m.p.env, c, optarg);
		if (h == 2) {
			usage(stdout);
			return 0;
		}
		if (h < 0)
			return PM_EINPUT;
		if (h)
			continue;
		if (c == OPT_LISTEN)
			listen = optarg;
		else
			return cli_usage("metrics", "unknown option '%s'", argv[optind - 1]);
	}
	if (optind < argc)
		return cli_usage("metrics", "unexpected argument '%s'", argv[optind]);
	if (!listen)
		return cli_usage("metrics", "--listen ADDR is required (e.g. 127.0.0.1:9464 or :9464)");
	if (parse_listen(listen, hostbuf, sizeof(hostbuf), &host, &port) < 0)
		return cli_usage("metrics", "--listen '%s' is not HOST:PORT, [IPV6]:PORT or :PORT", listen);

	pm_err_init(&err);
	pthread_mutex_init(&m.lock, NULL);
	cli_signals_install();
	/* the HTTP thread inherits this mask: signals go to the main thread */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	d = start(&m, host, port, &err);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!d) {
		rc = cli_fail(&err);
		goto out;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	pm_info("metrics_listening", "listen=%s port=%u path=/metrics", listen,
		info ? (unsigned)info->port : port);
	/* listening first, then Redis (its connect may retry for seconds):
	 * a scrape meanwhile waits on the lock */
	pthread_mutex_lock(&m.lock);
	if (ensure_open(&m, &err) < 0 && err.code != PM_EDEP) {
		pthread_mutex_unlock(&m.lock);
		rc = cli_fail(&err);
		goto out;
	}
	if (err.code == PM_EDEP) /* Redis may come later: 503 until it does */
		pm_warn("redis_unavailable", "error=\"%s\"", err.msg);
	pthread_mutex_unlock(&m.lock);
	while (!cli_stop) {
		if (cli_reload) {
			cli_reload = 0;
			reload(&m);
		}
		pm_sleep_ms(100);
	}
	pm_info("stopped", "listen=%s", listen);
out:
	if (d)
		MHD_stop_daemon(d); /* waits for a request in flight */
	cli_pipeline_close(&m.p);
	pthread_mutex_destroy(&m.lock);
	return rc;
}
