/* tests/fuzz/fuzz_text.c: the normalizer on any bytes; token ranges must
 * lie inside the input and folded tokens must not be empty. */
#include "fuzz.h"
#include "core/text.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pm_tokens t;

	pm_tokens_init(&t);
	pm_text_tokenize((const char *)data, size, &t);
	for (size_t i = 0; i < t.n; i++) {
		FUZZ_ASSERT(t.v[i].start < t.v[i].end && t.v[i].end <= size);
		FUZZ_ASSERT(t.v[i].norm_len > 0 && strlen(pm_token_str(&t, i)) == t.v[i].norm_len);
		FUZZ_ASSERT(i == 0 || t.v[i].start >= t.v[i - 1].end);
	}
	pm_tokens_release(&t);
	free(pm_text_nfc((const char *)data, size));
	free(pm_text_squash((const char *)data, size, 1));
	free(pm_text_fold((const char *)data, size));
	return 0;
}
