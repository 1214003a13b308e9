/* parse/url: relative links, canonical URLs for identity, article ids.
 * curl's URL API does the parsing; only tracking-parameter removal is ours. */
#include "parse/parse_int.h"
#include "core/hash.h"
#include "core/mem.h"

#include <ctype.h>
#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#define URL_MAX 8192 /* longer "URLs" are junk or attacks; kept as they came */

/* "scheme:" at the start of s (RFC 3986 scheme characters). */
static int has_scheme(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p))
		return 0;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	return *p == ':' && p - s > 1; /* "c:" is a drive letter, not a scheme */
}

static char *trimmed(const char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

char *pm_url_resolve(const char *base, const char *ref)
{
	CURLU *h;
	char *r, *out = NULL;

	if (!ref)
		return base && *base ? xstrdup(base) : NULL;
	r = trimmed(ref);
	if (has_scheme(r) || !base || !*base || strlen(r) > URL_MAX || strlen(base) > URL_MAX)
		return r;
	h = curl_url();
	if (!h)
		return r;
	if (curl_url_set(h, CURLUPART_URL, base, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_set(h, CURLUPART_URL, r, CURLU_NON_SUPPORT_SCHEME | CURLU_URLENCODE) == CURLUE_OK) {
		char *u = NULL;
		if (curl_url_get(h, CURLUPART_URL, &u, 0) == CURLUE_OK && u) {
			out = xstrdup(u);
			curl_free(u);
		}
	}
	curl_url_cleanup(h);
	if (out) {
		free(r);
		return out;
	}
	return r;
}

static int tracking_param(const char *p, size_t n)
{
	static const char *const names[] = {
		"fbclid", "gclid", "gclsrc", "dclid", "msclkid", "mc_cid", "mc_eid", "_ga",
		"_gl", "igshid", "yclid", "twclid", "_hsenc", "_hsmi", "mkt_tok",
		"oly_enc_id", "oly_anon_id", "vero_id", "wt_mc", "cmpid", NULL };
	size_t k = 0;

	while (k < n && p[k] != '=')
		k++;
	if (k >= 4 && !strncasecmp(p, "utm_", 4))
		return 1;
	for (size_t i = 0; names[i]; i++)
		if (strlen(names[i]) == k && !strncasecmp(p, names[i], k))
			return 1;
	return 0;
}

/* Query without tracking parameters; NULL when nothing remains. */
static char *clean_query(const char *q)
{
	size_t n = strlen(q), i = 0, len = 0;
	char *out = xmalloc(n + 1);

	while (i < n) {
		size_t j = i;
		while (j < n && q[j] != '&')
			j++;
		if (j > i && !tracking_param(q + i, j - i)) {
			if (len)
				out[len++] = '&';
			memcpy(out + len, q + i, j - i);
			len += j - i;
		}
		i = j + 1;
	}
	out[len] = '\0';
	if (!len) {
		free(out);
		return NULL;
	}
	return out;
}

static int lower_or_digit(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int unreserved(char c)
{
	return lower_or_digit(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '~';
}

/* Whether t is already what the curl path of pm_url_canonical writes for
 * it, so that the common feed link skips the parse, the eight part
 * get/set calls and the reassembly (most of the article's URL cost):
 * "http(s)://", a lower-case host name of letters, digits, '-' and dots
 * whose last label starts with a letter (an IP address curl may rewrite),
 * no port, user or fragment, a path of unreserved characters without dot
 * segments, and an optional query of such characters and '=', '&', '.',
 * with no empty or tracking parameter. Anything else goes through curl;
 * test_parse holds the two paths to the same output. */
static int canonical_already(const char *t)
{
	const char *p, *label;

	if (!strncmp(t, "https://", 8))
		p = t + 8;
	else if (!strncmp(t, "http://", 7))
		p = t + 7;
	else
		return 0;
	for (label = p; lower_or_digit(*p) || *p == '-' || *p == '.'; p++) {
		if (*p != '.')
			continue;
		if (p == label)
			return 0;
		label = p + 1;
	}
	if (p == label || !(*label >= 'a' && *label <= 'z') || *p != '/')
		return 0;
	for (; *p && *p != '?'; p++)
		if (!unreserved(*p) && *p != '/' && !(*p == '.' && p[-1] != '/'))
			return 0;
	if (!*p)
		return 1;
	for (const char *param = ++p;; p++) {
		if (*p == '&' || !*p) {
			if (p == param || tracking_param(param, (size_t)(p - param)))
				return 0;
			if (!*p)
				return 1;
			param = p + 1;
		} else if (!unreserved(*p) && *p != '=' && *p != '.') {
			return 0;
		}
	}
}

char *pm_url_canonical(const char *url)
{
	char *t;

	if (!url)
		return NULL;
	/* the common case, an http(s) link already in canonical form, skips
	 * curl's parser; everything else (and every refusal) is decided there */
	t = trimmed(url);
	if (has_scheme(t) && (!strncasecmp(t, "http:", 5) || !strncasecmp(t, "https:", 6)) &&
	    canonical_already(t))
		return t;
	free(t);
	return pm_url_canonical_curl(url);
}

char *pm_url_canonical_curl(const char *url)
{
	CURLU *h;
	char *t, *scheme = NULL, *host = NULL, *port = NULL, *query = NULL, *out = NULL;

	if (!url)
		return NULL;
	t = trimmed(url);
	if (!has_scheme(t)) {
		free(t);
		return NULL;
	}
	if (strncasecmp(t, "http:", 5) && strncasecmp(t, "https:", 6)) {
		/* file:, urn:, tag:, ... are names, not locations: kept as given */
		return t;
	}
	if (strlen(t) > URL_MAX || !(h = curl_url())) {
		return t;
	}
	if (curl_url_set(h, CURLUPART_URL, t, 0) != CURLUE_OK)
		goto done;
	if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto done;
	for (char *p = host; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	/* a trailing dot names the same host */
	size_t hl = strlen(host);
	if (hl > 1 && host[hl - 1] == '.')
		host[hl - 1] = '\0';
	curl_url_set(h, CURLUPART_HOST, host, 0);
	if (curl_url_get(h, CURLUPART_PORT, &port, 0) == CURLUE_OK && port &&
	    ((!strcmp(scheme, "http") && !strcmp(port, "80")) ||
	     (!strcmp(scheme, "https") && !strcmp(port, "443"))))
		curl_url_set(h, CURLUPART_PORT, NULL, 0);
	curl_url_set(h, CURLUPART_FRAGMENT, NULL, 0);
	curl_url_set(h, CURLUPART_USER, NULL, 0);
	curl_url_set(h, CURLUPART_PASSWORD, NULL, 0);
	if (curl_url_get(h, CURLUPART_QUERY, &query, 0) == CURLUE_OK && query) {
		char *q = clean_query(query);
		curl_url_set(h, CURLUPART_QUERY, q, 0);
		free(q);
	}
	char *u = NULL;
	if (curl_url_get(h, CURLUPART_URL, &u, 0) == CURLUE_OK && u) {
		out = xstrdup(u);
		curl_free(u);
	}
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(query);
	curl_url_cleanup(h);
	if (!out)
		return t;
	free(t);
	return out;
}

uint64_t pm_article_id(const char *url, const char *guid)
{
	if (url && *url) {
		char *c = pm_url_canonical(url);
		uint64_t id = pm_hash64_str(c ? c : url);
		free(c);
		return id;
	}
	if (guid && *guid)
		return pm_hash64_str(guid);
	return 0;
}
