/* fetch/fetch_int.h: what only fetch's files (and its unit test) share —
 * the address classifier, backoff, URL checks and the User-Agent string. */
#ifndef PM_FETCH_INT_H
#define PM_FETCH_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Host keys ("host:port") are cut to this size; longer host names are
 * invalid in DNS anyway. */
#define PM_FETCH_HOST_MAX 280

/* Never schedule a feed sooner than this after a fetch, whatever a server's
 * Retry-After says, and never later than a day. */
#define PM_FETCH_MIN_DELAY_MS 10000
#define PM_FETCH_MAX_DELAY_MS 86400000

/* 1 when the numeric address ip (IPv4 or IPv6 text) is not a public unicast
 * address: loopback, private, link-local, CGNAT, documentation, multicast,
 * reserved, or an IPv6 form embedding such an IPv4 address; 0 when public;
 * -1 when ip is not a numeric address. */
int pm_fetch_ip_private(const char *ip);
/* The same for a socket address; -1 for families other than IPv4/IPv6. */
int pm_fetch_sockaddr_private(const struct sockaddr *sa, size_t len);

/* Delay before the next poll after `failures` consecutive failures of a
 * feed polled every interval_s: interval * 2^(failures-1), capped at
 * max(max_interval_s, interval_s) and a day, times a jitter factor in
 * [0.8, 1.2) drawn from *rng, never below PM_FETCH_MIN_DELAY_MS. */
int64_t pm_fetch_backoff_ms(int interval_s, int max_interval_s, long long failures,
			    uint64_t *rng);
/* A server's Retry-After (seconds) clamped to [MIN_DELAY, MAX_DELAY]. */
int64_t pm_fetch_retry_after_ms(long long seconds);
/* splitmix64: the jitter source (per fetcher, no global state). */
uint64_t pm_fetch_rand(uint64_t *state);

/* "pressmon/VERSION (+CONTACT)", or "pressmon/VERSION" without a contact.
 * Returned string belongs to the caller. */
char *pm_fetch_user_agent(const char *version, const char *contact);

/* Lower-case scheme of url into out[n] ("" when url does not parse). */
void pm_fetch_url_scheme(const char *url, char *out, size_t n);
/* "host:port" of an http(s) URL into out[n] (lower case, default port
 * filled in); "" for file: URLs and URLs that do not parse. */
void pm_fetch_host_key(const char *url, char *out, size_t n);
/* A guess of the content type from a file: URL's extension ("" if none). */
const char *pm_fetch_type_from_path(const char *url);

#endif
