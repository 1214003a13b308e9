/* parse/jsonfeed: JSON Feed 1.0 and 1.1 (jsonfeed.org) into the same feed
 * JSON as RSS and Atom. */
#include "parse/parse_int.h"
#include "core/mem.h"

#include <string.h>

static const char *str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* repair: the document was read as UTF-8, so double-encoded text is
 * undone as in UTF-8 XML feeds (pm_clean_text_opt) */
static json_t *text_or_null(const char *s, int html, size_t max, int repair)
{
	char *t;
	json_t *r;

	if (!s)
		return json_null();
	t = html ? pm_html_fragment_text_in(NULL, s, strlen(s), 1, max, repair)
		 : pm_clean_text_opt(s, strlen(s), 1, max, repair);
	r = t ? json_string(t) : json_null();
	free(t);
	return r;
}

static json_t *url_or_null(const char *base, const char *u)
{
	char *r;
	json_t *v;

	if (!u || !*u)
		return json_null();
	r = pm_url_resolve(base, u);
	v = r ? json_string(r) : json_null();
	free(r);
	return v;
}

/* 1.1 has "authors" (array), 1.0 "author" (object). */
static json_t *author_of(json_t *o, int repair)
{
	json_t *a = json_object_get(o, "authors");

	if (json_is_array(a) && json_array_size(a))
		a = json_array_get(a, 0);
	else
		a = json_object_get(o, "author");
	if (json_is_object(a) && str(a, "name"))
		return text_or_null(str(a, "name"), 0, 0, repair);
	return NULL;
}

json_t *pm_parse_json_feed(json_t *root, const char *encoding, const char *url,
			   const struct pm_parse_opts *opts)
{
	const char *version = str(root, "version");
	size_t max_text = opts && opts->max_text ? opts->max_text : PM_MAX_TEXT_DEFAULT;
	size_t max_entries = opts && opts->max_entries ? opts->max_entries : PM_MAX_ENTRIES_DEFAULT;
	const char *base = str(root, "home_page_url") ? str(root, "home_page_url") : url;
	/* JSON is UTF-8 by definition, but one that was not is read as the
	 * bytes say (parse/encoding.c): only real UTF-8 can be UTF-8 twice */
	int repair = !strcmp(encoding, "utf-8");
	json_t *out = json_object(), *f = json_object(), *entries = json_array(), *items, *it;
	size_t i;

	json_object_set_new(out, "kind", json_string("feed"));
	json_object_set_new(out, "format",
			    json_string(version && strstr(version, "/1.1") ? "json11" : "json10"));
	json_object_set_new(out, "bozo", json_false());
	json_object_set_new(out, "bozo_reason", json_null());
	json_object_set_new(out, "encoding", json_string(encoding));
	json_object_set_new(f, "title", text_or_null(str(root, "title"), 0, max_text, repair));
	json_object_set_new(f, "link", url_or_null(url, str(root, "home_page_url")));
	json_object_set_new(f, "subtitle", text_or_null(str(root, "description"), 0, max_text, repair));
	json_object_set_new(f, "language", str(root, "language") ? json_string(str(root, "language")) : json_null());
	json_object_set_new(f, "updated", json_null());
	json_object_set_new(out, "feed", f);
	items = json_object_get(root, "items");
	json_array_foreach(items, i, it) {
		json_t *e, *cats, *encs, *a, *tags, *att;
		size_t k;
		if (i >= max_entries)
			break;
		if (!json_is_object(it))
			continue;
		e = json_object();
		json_t *id = json_object_get(it, "id");
		if (json_is_string(id))
			json_object_set(e, "id", id);
		else if (json_is_integer(id))
			json_object_set_new(e, "id", json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(id)));
		else
			json_object_set_new(e, "id", json_null());
		json_object_set_new(e, "title", text_or_null(str(it, "title"), 0, max_text, repair));
		json_object_set_new(e, "link", url_or_null(base, str(it, "url") ? str(it, "url") : str(it, "external_url")));
		a = author_of(it, repair);
		if (!a)
			a = author_of(root, repair);
		json_object_set_new(e, "author", a ? a : json_null());
		json_object_set_new(e, "published", pm_date_json(str(it, "date_published")));
		json_object_set_new(e, "updated", pm_date_json(str(it, "date_modified")));
		json_object_set_new(e, "summary", text_or_null(str(it, "summary"), 0, max_text, repair));
		json_object_set_new(e, "content",
				    str(it, "content_html") ? text_or_null(str(it, "content_html"), 1, max_text, repair)
							    : text_or_null(str(it, "content_text"), 0, max_text, repair));
		if (json_is_null(json_object_get(e, "summary")))
			json_object_set(e, "summary", json_object_get(e, "content"));
		cats = json_array();
		tags = json_object_get(it, "tags");
		json_array_foreach(tags, k, a) {
			if (!json_is_string(a))
				continue;
			json_t *c = json_object();
			json_object_set(c, "term", a);
			json_object_set_new(c, "scheme", json_null());
			json_object_set_new(c, "label", json_null());
			json_array_append_new(cats, c);
		}
		json_object_set_new(e, "categories", cats);
		encs = json_array();
		json_array_foreach(json_object_get(it, "attachments"), k, att) {
			if (!json_is_object(att) || !str(att, "url"))
				continue;
			json_t *o = json_object();
			json_object_set_new(o, "url", url_or_null(base, str(att, "url")));
			json_object_set_new(o, "type", str(att, "mime_type") ? json_string(str(att, "mime_type")) : json_null());
			json_t *len = json_object_get(att, "size_in_bytes");
			json_object_set_new(o, "length", json_is_integer(len) ? json_integer(json_integer_value(len)) : json_null());
			json_array_append_new(encs, o);
		}
		json_object_set_new(e, "enclosures", encs);
		json_array_append_new(entries, e);
	}
	json_object_set_new(out, "entries", entries);
	return out;
}
