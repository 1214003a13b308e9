/* archive/format: turning article objects into table and CSV cells for
 * 'pressmon query' and 'archive export'. RFC 4180 quoting lives here. */
#include "archive/archive.h"
#include "core/buf.h"
#include "core/mem.h"

#include <string.h>

void pm_csv_field(struct pm_buf *b, const char *s)
{
	if (!s)
		s = "";
	if (!strpbrk(s, ",\"\r\n")) {
		pm_buf_adds(b, s);
		return;
	}
	pm_buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"')
			pm_buf_addc(b, '"');
		pm_buf_addc(b, *s);
	}
	pm_buf_addc(b, '"');
}

/* field name -> where it lives: top level, or inside "source" */
static const struct {
	const char *name;
	const char *key;
	int in_source;
} fields[] = {
	{ "id", "id", 0 }, { "url", "url", 0 }, { "title", "title", 0 },
	{ "text", "text", 0 }, { "summary", "summary", 0 }, { "author", "author", 0 },
	{ "published", "published", 0 }, { "fetched", "fetched", 0 }, { "lang", "lang", 0 },
	{ "cluster", "cluster", 0 }, { "source", "id", 1 }, { "source_name", "name", 1 },
	{ "country", "country", 1 }, { "region", "region", 1 }, { "type", "type", 1 },
	{ "tags", NULL, 0 }, { "misinfo", NULL, 0 }, { "score", NULL, 0 },
};

int pm_article_field_valid(const char *name)
{
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!strcmp(name, fields[i].name))
			return 1;
	return 0;
}

int pm_article_field_borrow(json_t *art, const char *name, const char **out)
{
	*out = NULL;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		json_t *v;
		if (strcmp(name, fields[i].name))
			continue;
		if (!fields[i].key)
			return 0; /* tags, misinfo, score: built */
		v = json_object_get(fields[i].in_source ? json_object_get(art, "source") : art,
				    fields[i].key);
		*out = json_string_value(v); /* NULL unless a string */
		return 1;
	}
	return 0;
}

char *pm_article_field_text(json_t *art, const char *name)
{
	struct pm_buf b = PM_BUF_INIT;
	size_t i;
	json_t *v;

	pm_buf_add(&b, "", 0);
	if (!strcmp(name, "tags") || !strcmp(name, "misinfo")) {
		json_array_foreach(json_object_get(art, name), i, v) {
			const char *s = json_string_value(json_object_get(v, name[0] == 't' ? "tag" : "claim"));
			if (i)
				pm_buf_addc(&b, ';');
			pm_buf_adds(&b, s ? s : "");
		}
		return pm_buf_detach(&b, NULL);
	}
	if (!strcmp(name, "score")) {
		/* the best tag score, which is what --sort score orders by without TEXT */
		double best = -1;
		json_array_foreach(json_object_get(art, "tags"), i, v) {
			json_t *s = json_object_get(v, "score");
			if (json_is_number(s) && json_number_value(s) > best)
				best = json_number_value(s);
		}
		if (best >= 0)
			pm_buf_addf(&b, "%.3g", best);
		return pm_buf_detach(&b, NULL);
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(name, fields[i].name))
			continue;
		v = json_object_get(fields[i].in_source ? json_object_get(art, "source") : art,
				    fields[i].key);
		if (json_is_string(v))
			pm_buf_adds(&b, json_string_value(v));
		return pm_buf_detach(&b, NULL);
	}
	pm_buf_release(&b);
	return NULL;
}
