/* tests/fuzz/fuzz_feed.c: any bytes as a feed or page, with and without an
 * HTTP Content-Type (and Content-Location and Content-Language made of
 * the input's last bytes): the parser must answer, never crash or hang. The
 * first parse goes through one struct pm_parser kept for the whole run, as
 * the parse worker keeps it: its output must equal a fresh parser's, so
 * nothing of one input (entities, encoding, errors) reaches the next. */
#include "fuzz.h"
#include "parse/parse.h"

#include <stdlib.h>
#include <string.h>

static struct pm_parser *kept;

static void free_kept(void)
{
	pm_parser_free(kept);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_err err, err2;
	json_t *j, *fresh;
	char *a, *b;

	if (!kept) {
		kept = pm_parser_new();
		atexit(free_kept);
	}
	pm_err_init(&err);
	pm_err_init(&err2);
	j = pm_parse_document_with(kept, (const char *)data, size, "http://example.org/feed.xml", NULL, NULL,
				   &err);
	FUZZ_ASSERT(j || err.code == PM_EINPUT);
	fresh = pm_parse_document((const char *)data, size, "http://example.org/feed.xml", NULL, NULL, &err2);
	a = j ? json_dumps(j, JSON_COMPACT) : NULL;
	b = fresh ? json_dumps(fresh, JSON_COMPACT) : NULL;
	FUZZ_ASSERT((!a && !b) || (a && b && !strcmp(a, b)));
	free(a);
	free(b);
	json_decref(j);
	json_decref(fresh);
	/* response headers made of the input's last bytes: a location to
	 * resolve and a language to take, as fetch passes them on */
	{
		size_t n = size < 32 ? size : 32, half = n / 2;
		char loc[17], lang[17];
		struct pm_parse_opts o = { 0 };
		memcpy(loc, data + size - n, half);
		loc[half] = '\0';
		memcpy(lang, data + size - n + half, n - half);
		lang[n - half] = '\0';
		o.content_location = loc;
		o.content_language = lang;
		j = pm_parse_document_with(kept, (const char *)data, size, "http://example.org/feed.xml",
					   "text/xml; charset=iso-8859-1", &o, &err);
		json_decref(j);
	}
	return 0;
}
