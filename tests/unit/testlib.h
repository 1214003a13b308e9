/* tests/unit/testlib.h: the tiny test runner every unit test file uses.
 * TEST(name) opens a case, CHECK(cond) records one assertion; the program
 * ends with `N passed, N failed` and exits non-zero on any failure. */
#ifndef PM_TESTLIB_H
#define PM_TESTLIB_H

#include <stdio.h>
#include <string.h>

/* A xorshift64 step for tests that generate random inputs from a fixed
 * seed (so a failure repeats): a value in [0, n). */
static inline unsigned tl_rand(unsigned long long *state, unsigned n)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (unsigned)(*state % n);
}

static int tl_passed, tl_failed;
static const char *tl_case = "";

#define TEST(name) tl_case = (name)

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (cond) {                                                  \
			tl_passed++;                                         \
		} else {                                                     \
			tl_failed++;                                         \
			fprintf(stderr, "FAIL %s: %s (%s:%d)\n", tl_case,    \
				#cond, __FILE__, __LINE__);                  \
		}                                                            \
	} while (0)

#define CHECK_STR(got, want)                                                 \
	do {                                                                 \
		const char *g_ = (got), *w_ = (want);                        \
		if (g_ && w_ && !strcmp(g_, w_)) {                           \
			tl_passed++;                                         \
		} else {                                                     \
			tl_failed++;                                         \
			fprintf(stderr, "FAIL %s: %s = \"%s\", want \"%s\" (%s:%d)\n", \
				tl_case, #got, g_ ? g_ : "(null)",           \
				w_ ? w_ : "(null)", __FILE__, __LINE__);     \
		}                                                            \
	} while (0)

#define CHECK_INT(got, want)                                                 \
	do {                                                                 \
		long long g_ = (long long)(got), w_ = (long long)(want);     \
		if (g_ == w_) {                                              \
			tl_passed++;                                         \
		} else {                                                     \
			tl_failed++;                                         \
			fprintf(stderr, "FAIL %s: %s = %lld, want %lld (%s:%d)\n", \
				tl_case, #got, g_, w_, __FILE__, __LINE__);  \
		}                                                            \
	} while (0)

static inline int tl_summary(void)
{
	printf("%d passed, %d failed\n", tl_passed, tl_failed);
	return tl_failed ? 1 : 0;
}

#endif
