/* tests/fuzz/fuzz_config.c: any bytes as feeds.conf: loaded, or an error
 * that names the file (and line). */
#include "fuzz.h"
#include "core/config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	struct pm_config cfg;
	struct pm_err err;

	if (!fuzz_to_file("conf", "conf", data, size, path))
		return 0;
	pm_err_init(&err);
	pm_config_init(&cfg);
	if (pm_config_load(&cfg, path, &err) < 0)
		FUZZ_ASSERT(err.code == PM_EINPUT && strstr(err.msg, path));
	pm_config_release(&cfg);
	return 0;
}
