/* tests/fuzz/fuzz_date.c: the feed date parser and the ISO reader. */
#include "fuzz.h"
#include "core/time.h"
#include "parse/parse.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[512];
	time_t t;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	pm_parse_date(s, &t);
	if (pm_time_parse_iso(s, &t) == 0) {
		char iso[PM_ISO_LEN];
		pm_time_iso(t, iso); /* must not overflow whatever t is */
	}
	return 0;
}
