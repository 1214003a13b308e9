/* tests/fuzz/fuzz_config.c: any bytes as feeds.conf: loaded, or an error
 * that names the file (and line). */
#include "fuzz.h"
#include "core/config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	struct pm_config cfg;
	struct pm_err err;
	FILE *f;

	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/pm-fuzz-conf-%d.conf", (int)getpid());
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	pm_err_init(&err);
	pm_config_init(&cfg);
	if (pm_config_load(&cfg, path, &err) < 0)
		FUZZ_ASSERT(err.code == PM_EINPUT && strstr(err.msg, path));
	pm_config_release(&cfg);
	return 0;
}
