/* tests/fuzz/fuzz_feed.c: any bytes as a feed or page, with and without an
 * HTTP Content-Type: the parser must answer, never crash or hang. */
#include "fuzz.h"
#include "parse/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_err err;
	json_t *j;

	pm_err_init(&err);
	j = pm_parse_document((const char *)data, size, "http://example.org/feed.xml", NULL, NULL, &err);
	FUZZ_ASSERT(j || err.code == PM_EINPUT);
	json_decref(j);
	j = pm_parse_document((const char *)data, size, "http://example.org/feed.xml",
			      "text/xml; charset=iso-8859-1", NULL, &err);
	json_decref(j);
	return 0;
}
