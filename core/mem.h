/* core/mem: allocation wrappers that abort on failure.
 * pressmon is an application: running out of memory is not a recoverable state. */
#ifndef PM_CORE_MEM_H
#define PM_CORE_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t n);
/* Grows *p (an array of *alloc elements of size elem) to hold at least need. */
void xgrow(void **p, size_t *alloc, size_t need, size_t elem);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returned string belongs to the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define XGROW(arr, alloc, need) \
	xgrow((void **)&(arr), &(alloc), (need), sizeof(*(arr)))

#endif
