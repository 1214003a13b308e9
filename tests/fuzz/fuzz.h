/* tests/fuzz/fuzz.h: shared by the libFuzzer targets. Each target file
 * defines LLVMFuzzerTestOneInput; driver.c replays files through it so
 * that seeds and every crash found stay regression tests in `make test`. */
#ifndef PM_FUZZ_H
#define PM_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code under test must keep: abort loudly otherwise. */
#define FUZZ_ASSERT(c) do { if (!(c)) abort(); } while (0)

#endif
