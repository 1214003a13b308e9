/* tests/fuzz/fuzz.h: shared by the libFuzzer targets. Each target file
 * defines LLVMFuzzerTestOneInput; driver.c replays files through it so
 * that seeds and every crash found stay regression tests in `make test`. */
#ifndef PM_FUZZ_H
#define PM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code under test must keep: abort loudly otherwise. */
#define FUZZ_ASSERT(c) do { if (!(c)) abort(); } while (0)

/* Writes the input to this process's file /tmp/pm-fuzz-NAME-PID.EXT (its
 * name into path), for code under test that reads files (feeds.conf, rule
 * files). Returns path, or NULL when the file cannot be written. */
static inline const char *fuzz_to_file(const char *name, const char *ext,
				       const uint8_t *data, size_t size, char path[64])
{
	FILE *f;

	snprintf(path, 64, "/tmp/pm-fuzz-%s-%d.%s", name, (int)getpid(), ext);
	f = fopen(path, "wb");
	if (!f)
		return NULL;
	fwrite(data, 1, size, f);
	fclose(f);
	return path;
}

#endif
