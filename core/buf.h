/* core/buf: a growable byte buffer, always NUL-terminated, with an optional
 * hard cap so that untrusted input can never make it grow without bound. */
#ifndef PM_CORE_BUF_H
#define PM_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct pm_buf {
	char *data;  /* NUL-terminated when cap > 0; "" otherwise */
	size_t len;
	size_t cap;
	size_t max;  /* 0: unbounded; else appends that would exceed it fail */
};

#define PM_BUF_INIT { NULL, 0, 0, 0 }

void pm_buf_init(struct pm_buf *b, size_t max);
void pm_buf_release(struct pm_buf *b);
void pm_buf_reset(struct pm_buf *b);
/* Appends return 0, or -1 when the cap would be exceeded (nothing appended). */
int pm_buf_add(struct pm_buf *b, const void *data, size_t len);
int pm_buf_adds(struct pm_buf *b, const char *s);
int pm_buf_addc(struct pm_buf *b, char c);
int pm_buf_addf(struct pm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int pm_buf_vaddf(struct pm_buf *b, const char *fmt, va_list ap);
/* Hands the contents to the caller (never NULL) and resets the buffer. */
char *pm_buf_detach(struct pm_buf *b, size_t *len /* OUT, may be NULL */);
/* Borrowed pointer to the contents, valid until the next call on b. */
const char *pm_buf_str(const struct pm_buf *b);

#endif
