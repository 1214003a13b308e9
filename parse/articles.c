/* parse/articles: from parsed feeds and pages to the pipeline's article
 * objects (docs/ARCHITECTURE.md); the parse stage wraps these in Redis glue. */
#include "parse/parse.h"
#include "core/hash.h"
#include "core/mem.h"

#include <ctype.h>
#include <string.h>

static const char *sget(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return v && *v ? v : NULL;
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/* "en-US" -> "en": the pipeline filters on the primary language subtag. */
static json_t *primary_lang(const char *s)
{
	char buf[16];
	size_t n = 0;

	if (!s)
		return json_null();
	while (isspace((unsigned char)*s))
		s++;
	while (s[n] && isalpha((unsigned char)s[n]) && n + 1 < sizeof(buf)) {
		buf[n] = (char)tolower((unsigned char)s[n]);
		n++;
	}
	buf[n] = '\0';
	return n >= 2 && n <= 8 ? json_string(buf) : json_null();
}

/* The string member key of o itself (a new reference: strings do not
 * change, so the article shares it with the parsed feed instead of copying
 * and re-checking the text), or null when absent or empty. */
static json_t *same_or_null(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) ? json_incref(v) : json_null();
}

static void set_fingerprint(json_t *a)
{
	json_t *title = json_object_get(a, "title"), *text = json_object_get(a, "text");
	size_t tl = json_is_string(title) ? strlen(json_string_value(title)) : 0;
	size_t xl = json_is_string(text) ? strlen(json_string_value(text)) : 0;
	char *joined = xmalloc(tl + xl + 3);
	char hex[17];

	/* "title\n\ntext", as a printf of the two would write it */
	memcpy(joined, tl ? json_string_value(title) : "", tl);
	memcpy(joined + tl, "\n\n", 2);
	memcpy(joined + tl + 2, xl ? json_string_value(text) : "", xl);
	joined[tl + 2 + xl] = '\0';
	pm_id_hex(pm_fingerprint(joined, tl + 2 + xl), hex);
	free(joined);
	json_object_set_new_nocheck(a, "fingerprint", json_string(hex));
}

static json_t *source_of(json_t *src)
{
	static const char *const keys[] = { "id", "name", "country", "region", "type", NULL };
	json_t *o = json_object();

	for (int i = 0; keys[i]; i++) {
		json_t *v = json_object_get(src, keys[i]);
		json_object_set_new_nocheck(o, keys[i], json_is_string(v) ? json_incref(v) : json_null());
	}
	return o;
}

json_t *pm_articles_from_feed(json_t *parsed, json_t *source, const char *src_lang,
			      json_t *feed_tags, const char *fetched_at, int fetch_pages,
			      json_t **pages)
{
	json_t *out = json_array(), *entries = json_object_get(parsed, "entries"), *e;
	json_t *feed = json_object_get(parsed, "feed");
	const char *feed_lang = sget(feed, "language");
	/* one source object and one tag array for all the feed's articles:
	 * two allocations per article fewer, and nothing changes them */
	json_t *src = source_of(source);
	json_t *ftags = json_is_array(feed_tags) ? json_deep_copy(feed_tags) : json_array();
	size_t i;

	if (pages)
		*pages = json_array();
	json_array_foreach(entries, i, e) {
		const char *link = sget(e, "link"), *guid = sget(e, "id");
		const char *content = sget(e, "content"), *summary = sget(e, "summary");
		const char *text = content ? content : summary;
		char *url = link ? pm_url_canonical(link) : NULL;
		char hex[17];
		json_t *a;

		if (!link && !guid)
			continue;
		if (link && !url)
			url = xstrdup(link); /* relative link without a base: keep what we have */
		a = json_object();
		pm_id_hex(pm_article_id(url, guid), hex);
		json_object_set_new_nocheck(a, "id", json_string(hex));
		json_object_set_new_nocheck(a, "url", str_or_null(url));
		json_object_set_new_nocheck(a, "guid", same_or_null(e, "id"));
		json_object_set_new_nocheck(a, "title", same_or_null(e, "title"));
		json_object_set_new_nocheck(a, "text", same_or_null(e, content ? "content" : "summary"));
		json_object_set_new_nocheck(a, "summary", same_or_null(e, "summary"));
		json_object_set_new_nocheck(a, "author", same_or_null(e, "author"));
		json_object_set_new_nocheck(a, "published",
				    same_or_null(e, sget(e, "published") ? "published" : "updated"));
		json_object_set_new_nocheck(a, "fetched", str_or_null(fetched_at));
		json_t *lang = primary_lang(feed_lang);
		if (json_is_null(lang)) {
			json_decref(lang);
			lang = primary_lang(src_lang);
		}
		json_object_set_new_nocheck(a, "lang", lang);
		json_object_set_nocheck(a, "source", src);
		json_object_set_nocheck(a, "feed_tags", ftags);
		set_fingerprint(a);
		if (fetch_pages && pages && url &&
		    (!content || strlen(text ? text : "") < PM_SHORT_TEXT))
			json_array_append_new(*pages, json_deep_copy(a));
		json_array_append_new(out, a);
		free(url);
	}
	json_decref(src);
	json_decref(ftags);
	return out;
}

json_t *pm_article_merge_page(json_t *stub, json_t *page)
{
	json_t *a = json_deep_copy(stub);
	const char *pt = sget(page, "text"), *st = sget(a, "text");

	if (!a)
		a = json_object();
	if (pt && (!st || strlen(pt) > strlen(st)))
		json_object_set_new_nocheck(a, "text", json_string(pt));
	if (!sget(a, "title") && sget(page, "title"))
		json_object_set_new_nocheck(a, "title", json_string(sget(page, "title")));
	if (!sget(a, "author") && sget(page, "byline"))
		json_object_set_new_nocheck(a, "author", json_string(sget(page, "byline")));
	if (!sget(a, "published") && sget(page, "published"))
		json_object_set_new_nocheck(a, "published", json_string(sget(page, "published")));
	if (!sget(a, "lang")) {
		json_t *l = primary_lang(sget(page, "lang"));
		if (json_is_null(l))
			json_decref(l);
		else
			json_object_set_new_nocheck(a, "lang", l);
	}
	set_fingerprint(a);
	return a;
}
