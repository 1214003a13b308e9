/* core/buf: growable, capped byte buffer. Only this file touches the fields
 * that keep data NUL-terminated. */
#include "core/buf.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pm_buf_init(struct pm_buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

void pm_buf_release(struct pm_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void pm_buf_reset(struct pm_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

static int reserve(struct pm_buf *b, size_t extra)
{
	size_t need;

	if (b->max && (extra > b->max || b->len > b->max - extra))
		return -1;
	need = b->len + extra + 1;
	if (need > b->cap) {
		size_t n = b->cap ? b->cap : 64;
		while (n < need)
			n *= 2;
		b->data = xrealloc(b->data, n);
		b->cap = n;
	}
	return 0;
}

int pm_buf_add(struct pm_buf *b, const void *data, size_t len)
{
	if (reserve(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int pm_buf_adds(struct pm_buf *b, const char *s)
{
	return pm_buf_add(b, s, strlen(s));
}

int pm_buf_addc(struct pm_buf *b, char c)
{
	return pm_buf_add(b, &c, 1);
}

int pm_buf_vaddf(struct pm_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || reserve(b, (size_t)n) < 0)
		return -1;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int pm_buf_addf(struct pm_buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = pm_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

char *pm_buf_detach(struct pm_buf *b, size_t *len)
{
	char *p = b->data ? b->data : xstrdup("");

	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *pm_buf_str(const struct pm_buf *b)
{
	return b->data ? b->data : "";
}
