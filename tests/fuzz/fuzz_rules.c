/* tests/fuzz/fuzz_rules.c: any bytes as a rule file: an error naming
 * file:line:col, or rules that then classify a text. */
#include "fuzz.h"
#include "classify/classify.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct pm_rules *r = NULL;
	struct pm_err err;

	if (!fuzz_to_file("rules", "rules", data, size, path))
		return 0;
	pm_err_init(&err);
	if (pm_rules_load_file(path, &r, &err) == 0) {
		struct pm_doc d = { "The ICC and the Security Council",
				    "Judges of the International Criminal Court issued a warrant.",
				    "The Council may refer a situation. Le Conseil de sécurité.", "en" };
		json_t *j = pm_classify(r, &d);
		FUZZ_ASSERT(j != NULL);
		json_decref(j);
		pm_rules_free(r);
	} else {
		FUZZ_ASSERT(err.code == PM_EINPUT && strstr(err.msg, path) == err.msg);
	}
	return 0;
}
