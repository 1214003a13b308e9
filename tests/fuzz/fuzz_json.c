/* tests/fuzz/fuzz_json.c: the fast JSON reader against jansson. Both
 * must agree on every input, under both flag sets the workers use: the
 * same value (compared as compact text, which keeps member order) or the
 * same error. */
#include "fuzz.h"
#include "core/json_read.h"

#include <string.h>

static void same(const uint8_t *data, size_t size, size_t flags)
{
	json_error_t e1, e2;
	json_t *a = pm_json_loadb((const char *)data, size, flags, &e1);
	json_t *b = json_loadb((const char *)data, size, flags, &e2);

	FUZZ_ASSERT(!a == !b);
	if (a) {
		char *sa = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
		char *sb = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
		FUZZ_ASSERT(sa && sb && !strcmp(sa, sb));
		FUZZ_ASSERT(json_equal(a, b));
		free(sa);
		free(sb);
	} else {
		FUZZ_ASSERT(!strcmp(e1.text, e2.text) && e1.position == e2.position);
	}
	json_decref(a);
	json_decref(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	same(data, size, 0);
	same(data, size, JSON_REJECT_DUPLICATES);
	return 0;
}
