/* parse: feeds (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed) and HTML
 * article pages into plain-text JSON, plus canonical URLs, article ids and
 * near-duplicate fingerprints. The only module that includes libxml2. */
#ifndef PM_PARSE_H
#define PM_PARSE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "core/err.h"

struct pm_parse_opts {
	size_t max_entries;   /* entries kept per feed (0: 10000) */
	size_t max_text;      /* bytes of text kept per field (0: 1 MiB) */
};

/* Parses one document (feed or HTML page; the kind is detected from the
 * content, never from url or content_type alone). url is the document's
 * (final) URL, the base for relative links; content_type the HTTP header
 * value, both may be NULL. Returns a new reference to the JSON object that
 * `pressmon parse --file` prints (DESIGN.md), or NULL with err set when
 * nothing at all could be recovered (err->code PM_EINPUT). Malformed input
 * that could be partly read gives an object with "bozo": true. */
json_t *pm_parse_document(const char *body, size_t len, const char *url,
			  const char *content_type,
			  const struct pm_parse_opts *opts, struct pm_err *err);

/* Canonical form of an absolute http(s) URL for identity: scheme and host
 * lower case, default port and fragment removed, tracking parameters
 * (utm_*, fbclid, gclid, ...) dropped. Returns NULL if url is not absolute.
 * Returned string belongs to the caller. */
char *pm_url_canonical(const char *url);
/* Resolves ref against base (either may be NULL); caller frees. */
char *pm_url_resolve(const char *base, const char *ref);

/* Article id: hash of the canonical URL, or of the GUID when the feed marks
 * it a permalink and there is no link. */
uint64_t pm_article_id(const char *url, const char *guid);

/* 64-bit SimHash over word 3-shingles of the folded text; near-duplicate
 * texts (wire copies) differ in few bits. */
uint64_t pm_fingerprint(const char *text, size_t len);
int pm_fingerprint_distance(uint64_t a, uint64_t b);

/* Reads a date as feeds and pages write it: ISO 8601 / W3CDTF (zone
 * optional, UTC assumed), RFC 822/1123 with named or numeric zones, missing
 * seconds, two-digit years, day-name and comma breakage. Returns 0 and the
 * time in seconds UTC, or -1 if s is not a date. */
int pm_parse_date(const char *s, time_t *out /* OUT */);

#endif
