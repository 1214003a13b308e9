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
	/* HTTP response headers the document came with (NULL: none).
	 * Content-Location, resolved against the URL, is the base for
	 * relative links when it is http(s); Content-Language (its first
	 * tag) is the language of a feed or page that names none itself. */
	const char *content_location;
	const char *content_language;
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

/* What a worker keeps from one document to the next so that a small
 * document does not pay for its parser's setup: libxml2's XML and HTML
 * parser contexts (reset before each use: nothing of a document, its
 * entities, encoding, base URL, errors or bozo state, reaches the next)
 * and a scratch buffer. One per thread; NULL-safe free. */
struct pm_parser;
struct pm_parser *pm_parser_new(void);
void pm_parser_free(struct pm_parser *p);
/* pm_parse_document through p's contexts (p NULL: fresh ones, as
 * pm_parse_document); the same output byte for byte. */
json_t *pm_parse_document_with(struct pm_parser *p, const char *body, size_t len,
			       const char *url, const char *content_type,
			       const struct pm_parse_opts *opts, struct pm_err *err);

/* Canonical form of an absolute http(s) URL for identity: scheme and host
 * lower case, default port, fragment and user info removed, tracking
 * parameters (utm_*, fbclid, gclid, mc_cid, ...) dropped. Other absolute
 * URLs (file:, urn:, tag:, ...) are names rather than locations and come
 * back unchanged (trimmed); an http(s) URL curl cannot parse also comes
 * back unchanged. Returns NULL if url is not absolute (no scheme).
 * Returned string belongs to the caller. */
char *pm_url_canonical(const char *url);
/* Resolves ref against base (either may be NULL); an absolute ref comes
 * back as given (trimmed), a ref that cannot be resolved too. NULL only
 * when ref and base are both NULL. Caller frees. */
char *pm_url_resolve(const char *base, const char *ref);

/* Article id: hash of the canonical URL, or of the GUID when there is no
 * link (the feed reader maps a permalink GUID onto the link already); 0
 * when there is neither. */
uint64_t pm_article_id(const char *url, const char *guid);

/* 64-bit SimHash over word 3-shingles of the folded text; near-duplicate
 * texts (wire copies) differ in few bits. */
uint64_t pm_fingerprint(const char *text, size_t len);
int pm_fingerprint_distance(uint64_t a, uint64_t b);

/* One article object per feed entry (new array ref), in the pipeline
 * shape of docs/ARCHITECTURE.md: id (16 hex), url (canonical), guid, title,
 * text (content, else summary), summary, author, published (entry published,
 * else updated, else null), fetched (fetched_at), lang (feed language, else
 * src_lang; primary subtag, lower case), source {id,name,country,region,type}
 * (copied from the given JSON object), feed_tags (array), fingerprint (16
 * hex of pm_fingerprint over title + text). The articles share one source
 * object and one feed_tags array (and strings with parsed): copy an
 * article before changing what is inside it. Entries without link and
 * without guid are skipped. When fetch_pages and the entry has a URL and
 * carries only a summary (no content, or text shorter than
 * PM_SHORT_TEXT bytes), a copy of the article is also appended to *pages
 * (new array ref, may be empty; pages may be NULL). parsed is the object
 * pm_parse_document returned for a feed; the arguments are borrowed. */
#define PM_SHORT_TEXT 400
json_t *pm_articles_from_feed(json_t *parsed, json_t *source, const char *src_lang,
			      json_t *feed_tags, const char *fetched_at, int fetch_pages,
			      json_t **pages /* OUT */);
/* Merges a parsed page (pm_parse_document's page object) into a stub
 * article: text from the page when longer, author/published/lang/title
 * filled where missing; fingerprint recomputed. Returns a new reference;
 * stub and page are borrowed. */
json_t *pm_article_merge_page(json_t *stub, json_t *page);

/* Reads a date as feeds and pages write it: ISO 8601 / W3CDTF (zone
 * optional, UTC assumed), RFC 822/1123 with named or numeric zones, missing
 * seconds, two-digit years, day-name and comma breakage. Returns 0 and the
 * time in seconds UTC, or -1 if s is not a date. */
int pm_parse_date(const char *s, time_t *out /* OUT */);

#endif
