/* fetch/util: the pure helpers of the fetcher — which addresses count as
 * private, how long to back off, URL scheme and host keys, the User-Agent. */
#include "fetch/fetch_int.h"
#include "core/mem.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* a.b.c.d as a host-order integer. */
static int v4_private(uint32_t a)
{
	static const struct {
		uint32_t net;
		int bits;
	} nets[] = {
		{ 0x00000000, 8 },  /* 0.0.0.0/8 "this network" */
		{ 0x0a000000, 8 },  /* 10/8 */
		{ 0x64400000, 10 }, /* 100.64/10 carrier-grade NAT */
		{ 0x7f000000, 8 },  /* 127/8 loopback */
		{ 0xa9fe0000, 16 }, /* 169.254/16 link-local (cloud metadata) */
		{ 0xac100000, 12 }, /* 172.16/12 */
		{ 0xc0000000, 24 }, /* 192.0.0/24 IETF protocol assignments */
		{ 0xc0000200, 24 }, /* 192.0.2/24 documentation */
		{ 0xc0a80000, 16 }, /* 192.168/16 */
		{ 0xc6120000, 15 }, /* 198.18/15 benchmarking */
		{ 0xc6336400, 24 }, /* 198.51.100/24 documentation */
		{ 0xcb007100, 24 }, /* 203.0.113/24 documentation */
		{ 0xe0000000, 4 },  /* 224/4 multicast */
		{ 0xf0000000, 4 },  /* 240/4 reserved and broadcast */
	};
	for (size_t i = 0; i < sizeof(nets) / sizeof(nets[0]); i++) {
		uint32_t mask = 0xffffffffu << (32 - nets[i].bits);
		if ((a & mask) == nets[i].net)
			return 1;
	}
	return 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int v6_private(const unsigned char *b)
{
	static const unsigned char zero[16];
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const unsigned char nat64[12] = { 0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0 };

	if (!memcmp(b, zero, 15) && (b[15] == 0 || b[15] == 1))
		return 1; /* :: and ::1 */
	if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12) || !memcmp(b, zero, 12))
		return v4_private(be32(b + 12)); /* mapped, NAT64, compatible */
	if (b[0] == 0x20 && b[1] == 0x02)
		return v4_private(be32(b + 2)); /* 6to4 */
	if ((b[0] & 0xfe) == 0xfc)
		return 1; /* fc00::/7 unique local */
	if (b[0] == 0xfe && (b[1] & 0x80) == 0x80)
		return 1; /* fe80::/10 link-local, fec0::/10 site-local */
	if (b[0] == 0xff)
		return 1; /* multicast */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
		return 1; /* 2001:db8::/32 documentation */
	if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0)
		return 1; /* 2001::/32 Teredo: the client address is hidden */
	if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b[4] == 0 && b[5] == 1)
		return 1; /* 64:ff9b:1::/48 local-use NAT64 */
	if (b[0] == 0x01 && !memcmp(b + 1, zero, 7))
		return 1; /* 100::/64 discard */
	return 0;
}

int pm_fetch_ip_private(const char *ip)
{
	unsigned char b[16];

	if (!ip)
		return -1;
	if (inet_pton(AF_INET, ip, b) == 1)
		return v4_private(be32(b));
	if (inet_pton(AF_INET6, ip, b) == 1)
		return v6_private(b);
	return -1;
}

int pm_fetch_sockaddr_private(const struct sockaddr *sa, size_t len)
{
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		return v4_private(ntohl(in->sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
		return v6_private(in6->sin6_addr.s6_addr);
	}
	return -1;
}

uint64_t pm_fetch_rand(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static int64_t clamp_delay(int64_t ms)
{
	if (ms < PM_FETCH_MIN_DELAY_MS)
		return PM_FETCH_MIN_DELAY_MS;
	if (ms > PM_FETCH_MAX_DELAY_MS)
		return PM_FETCH_MAX_DELAY_MS;
	return ms;
}

int64_t pm_fetch_backoff_ms(int interval_s, int max_interval_s, long long failures,
			    uint64_t *rng)
{
	int64_t base = (int64_t)(interval_s > 0 ? interval_s : 1) * 1000;
	int64_t cap = (int64_t)(max_interval_s > interval_s ? max_interval_s : interval_s) * 1000;
	int64_t d = base;
	double jitter;

	if (cap > PM_FETCH_MAX_DELAY_MS)
		cap = PM_FETCH_MAX_DELAY_MS;
	/* doubling stops at the cap, so the loop runs at most ~40 times */
	for (long long i = 1; i < failures && d < cap; i++)
		d *= 2;
	if (d > cap)
		d = cap;
	jitter = 0.8 + 0.4 * (double)(pm_fetch_rand(rng) >> 11) / (double)(1ull << 53);
	return clamp_delay((int64_t)((double)d * jitter));
}

int64_t pm_fetch_retry_after_ms(long long seconds)
{
	if (seconds > PM_FETCH_MAX_DELAY_MS / 1000)
		return PM_FETCH_MAX_DELAY_MS;
	return clamp_delay(seconds * 1000);
}

char *pm_fetch_user_agent(const char *version, const char *contact)
{
	if (!version || !*version)
		version = "dev";
	if (contact && *contact)
		return xasprintf("pressmon/%s (+%s)", version, contact);
	return xasprintf("pressmon/%s", version);
}

void pm_fetch_url_scheme(const char *url, char *out, size_t n)
{
	CURLU *u = curl_url();
	char *s = NULL;

	out[0] = '\0';
	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &s, 0) == CURLUE_OK) {
		size_t i;
		for (i = 0; s[i] && i + 1 < n; i++)
			out[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
		out[i] = '\0';
	}
	curl_free(s);
	curl_url_cleanup(u);
}

void pm_fetch_host_key(const char *url, char *out, size_t n)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;

	out[0] = '\0';
	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
		int w = snprintf(out, n, "%s:%s", host, port);
		if (w < 0 || (size_t)w >= n)
			out[0] = '\0'; /* absurdly long: no key rather than a wrong one */
		for (char *p = out; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

const char *pm_fetch_type_from_path(const char *url)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".xml", "application/xml" },      { ".rss", "application/rss+xml" },
		{ ".atom", "application/atom+xml" }, { ".rdf", "application/rdf+xml" },
		{ ".json", "application/json" },    { ".html", "text/html" },
		{ ".htm", "text/html" },            { ".txt", "text/plain" },
	};
	const char *dot = strrchr(url, '.');

	if (!dot || strchr(dot, '/'))
		return "";
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(dot, types[i].ext))
			return types[i].type;
	return "";
}
