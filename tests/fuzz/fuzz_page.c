/* tests/fuzz/fuzz_page.c: any bytes as an HTML article page. */
#include "fuzz.h"
#include "parse/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_err err;
	json_t *j;

	pm_err_init(&err);
	j = pm_parse_document((const char *)data, size, "http://example.org/a/b.html",
			      "text/html; charset=utf-8", NULL, &err);
	json_decref(j);
	return 0;
}
