/* tests/fuzz/fuzz_query.c: analysts' full-text queries into FTS5 syntax:
 * either a translation or a one-line error, never a crash. */
#include "fuzz.h"
#include "archive/archive.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[2048];
	char *out = NULL;
	struct pm_err err;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	pm_err_init(&err);
	if (pm_fts_translate(s, &out, &err) == 0)
		FUZZ_ASSERT(out != NULL);
	else
		FUZZ_ASSERT(err.code == PM_EINPUT && !strchr(err.msg, '\n'));
	free(out);
	return 0;
}
