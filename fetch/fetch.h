/* fetch: the libcurl multi engine that polls feeds on the shared schedule
 * and fetches article pages, writing documents to the raw stream. Polite per
 * host, conditional, bounded against hostile servers. The only module that
 * includes libcurl (parse borrows its URL and date helpers). */
#ifndef PM_FETCH_H
#define PM_FETCH_H

#include <stddef.h>

#include "core/config.h"
#include "core/err.h"
#include "queue/queue.h"

struct pm_fetch_opts {
	int concurrency;         /* parallel transfers (64) */
	int per_host;            /* connections per host (2) */
	int host_delay_ms;       /* minimum delay between requests to a host (1000) */
	int connect_timeout_ms;  /* 10000 */
	int timeout_ms;          /* whole transfer (60000) */
	int low_speed_bytes;     /* abort below this many bytes/s ... (100) */
	int low_speed_time_s;    /* ... for this long (20) */
	size_t max_body;         /* bytes after decompression; 0: the config's
				  * max_body (8 MiB unless set) */
	int max_redirects;       /* 5 */
	int allow_private;       /* redirects to loopback/private addresses */
	const char *consumer;    /* consumer name on the pages stream */
	int once;                /* claim each feed at most once (--once) */
	const char *version;     /* for the User-Agent "pressmon/VERSION (+contact)";
				  * the caller passes PM_VERSION (NULL: "dev") */
};

void pm_fetch_opts_init(struct pm_fetch_opts *o);

struct pm_fetcher;

/* cfg and q are borrowed and must outlive the fetcher; o is copied. */
int pm_fetcher_new(const struct pm_config *cfg, struct pm_queue *q,
		   const struct pm_fetch_opts *o, struct pm_fetcher **out,
		   struct pm_err *err);
void pm_fetcher_free(struct pm_fetcher *f);

/* Puts every enabled feed of the configuration on the schedule (due now
 * when new; existing due times are kept); with all_now, every feed is made
 * due now (`--once`). */
int pm_fetcher_schedule(struct pm_fetcher *f, int all_now, struct pm_err *err);

/* One turn of the engine: claims due feeds and queued pages up to the
 * concurrency, drives transfers for at most wait_ms (blocking on the pages
 * stream when idle), and writes finished documents to raw. *active (OUT)
 * counts running transfers and claimed jobs waiting for their host plus,
 * with once, scheduled feeds not fetched yet: 0 means the fetcher has
 * nothing left to do until new pages are queued. Returns -1 on a Redis
 * error; transfers in flight go on at the next step. */
int pm_fetcher_step(struct pm_fetcher *f, int wait_ms, int *active, struct pm_err *err);

/* Stops claiming new work; in-flight transfers finish on later steps.
 * Claimed feeds not started yet go back on the schedule due now. */
void pm_fetcher_drain(struct pm_fetcher *f);

#endif
