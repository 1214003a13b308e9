/* core/json_read: see json_read.h. Written by hand because jansson has no
 * faster entry point and no other JSON library in Debian builds jansson's
 * values; the fast path only ever builds what jansson would build, and
 * hands jansson everything it is not sure of. */
#include "core/json_read.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper input goes to jansson (its own limit is 2048): articles are
 * three deep. */
#define JR_MAX_DEPTH 64

struct jr {
	const unsigned char *p, *end;
	char *tmp; /* a string with escapes is decoded here */
	size_t tmp_len, tmp_cap;
};

static inline int jr_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline void jr_skip_ws(struct jr *r)
{
	while (r->p < r->end && jr_ws(*r->p))
		r->p++;
}

static int jr_tmp_put(struct jr *r, const void *s, size_t n)
{
	if (!n) /* memcpy must not see the NULL of an empty tmp */
		return 0;
	if (r->tmp_cap - r->tmp_len < n) {
		size_t cap = r->tmp_cap ? r->tmp_cap : 256;
		char *t;
		while (cap - r->tmp_len < n)
			cap *= 2;
		if (!(t = realloc(r->tmp, cap)))
			return -1;
		r->tmp = t;
		r->tmp_cap = cap;
	}
	memcpy(r->tmp + r->tmp_len, s, n);
	r->tmp_len += n;
	return 0;
}

/* Four hex digits at p (end bounds it), or -1. */
static long jr_hex4(const unsigned char *p, const unsigned char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		unsigned char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* One escape after the backslash at p[-1]; appends its UTF-8 to tmp and
 * returns the byte after it, or NULL where jansson would refuse it or
 * keep a NUL (\u0000 needs JSON_ALLOW_NUL). */
static const unsigned char *jr_escape(struct jr *r, const unsigned char *p)
{
	unsigned char u[4];
	long v, lo;
	size_t k;

	if (p >= r->end)
		return NULL;
	switch (*p++) {
	case '"': u[0] = '"'; break;
	case '\\': u[0] = '\\'; break;
	case '/': u[0] = '/'; break;
	case 'b': u[0] = '\b'; break;
	case 'f': u[0] = '\f'; break;
	case 'n': u[0] = '\n'; break;
	case 'r': u[0] = '\r'; break;
	case 't': u[0] = '\t'; break;
	case 'u':
		if ((v = jr_hex4(p, r->end)) <= 0)
			return NULL;
		p += 4;
		if (v >= 0xDC00 && v <= 0xDFFF)
			return NULL;
		if (v >= 0xD800 && v <= 0xDBFF) {
			if (r->end - p < 6 || p[0] != '\\' || p[1] != 'u')
				return NULL;
			lo = jr_hex4(p + 2, r->end);
			if (lo < 0xDC00 || lo > 0xDFFF)
				return NULL;
			p += 6;
			v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
		}
		if (v < 0x80) {
			u[0] = (unsigned char)v;
			k = 1;
		} else if (v < 0x800) {
			u[0] = (unsigned char)(0xC0 | (v >> 6));
			u[1] = (unsigned char)(0x80 | (v & 0x3F));
			k = 2;
		} else if (v < 0x10000) {
			u[0] = (unsigned char)(0xE0 | (v >> 12));
			u[1] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
			u[2] = (unsigned char)(0x80 | (v & 0x3F));
			k = 3;
		} else {
			u[0] = (unsigned char)(0xF0 | (v >> 18));
			u[1] = (unsigned char)(0x80 | ((v >> 12) & 0x3F));
			u[2] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
			u[3] = (unsigned char)(0x80 | (v & 0x3F));
			k = 4;
		}
		return jr_tmp_put(r, u, k) < 0 ? NULL : p;
	default:
		return NULL;
	}
	return jr_tmp_put(r, u, 1) < 0 ? NULL : p;
}

/* The string whose opening quote was just passed. *s and *n get its
 * value: a pointer into the input when it has no escapes, else r->tmp
 * (valid until the next string). 0, or -1 to leave the input to jansson. */
static int jr_string(struct jr *r, const char **s /* OUT */, size_t *n /* OUT */)
{
	const unsigned char *p = r->p, *end = r->end, *run = p;
	int escaped = 0;

	r->tmp_len = 0;
	for (;;) {
		uint64_t x;
		unsigned char c;

		while (end - p >= 8) {
			memcpy(&x, p, 8);
			if (pm_json_special8(x))
				break;
			p += 8;
		}
		if (p >= end)
			return -1;
		c = *p;
		if (c == '"')
			break;
		if (c >= 0x80) {
			size_t k = pm_json_utf8_len(p, (size_t)(end - p));
			if (!k)
				return -1;
			p += k;
			continue;
		}
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			p++;
			continue;
		}
		if (jr_tmp_put(r, run, (size_t)(p - run)) < 0 || !(p = jr_escape(r, p + 1)))
			return -1;
		run = p;
		escaped = 1;
	}
	if (escaped) {
		if (jr_tmp_put(r, run, (size_t)(p - run)) < 0)
			return -1;
		*s = r->tmp;
		*n = r->tmp_len;
	} else {
		*s = (const char *)run;
		*n = (size_t)(p - run);
	}
	r->p = p + 1;
	return 0;
}

static inline int jr_digit(const unsigned char *p, const unsigned char *end)
{
	return p < end && *p >= '0' && *p <= '9';
}

/* A number by jansson's grammar (lex_scan_number): an integer when it has
 * no fraction and no exponent, else a real through the same strtod. */
static json_t *jr_number(struct jr *r)
{
	const unsigned char *p = r->p, *end = r->end, *start = p, *digits;
	int neg = 0, real = 0;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	digits = p;
	if (!jr_digit(p, end))
		return NULL;
	if (*p == '0') {
		if (jr_digit(++p, end))
			return NULL;
	} else {
		while (jr_digit(p, end))
			p++;
	}
	if (p < end && *p == '.') {
		real = 1;
		if (!jr_digit(++p, end))
			return NULL;
		while (jr_digit(p, end))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		real = 1;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (!jr_digit(p, end))
			return NULL;
		while (jr_digit(p, end))
			p++;
	}
	if (!real) {
		/* 18 digits cannot overflow; longer ones are jansson's to judge */
		json_int_t v = 0;
		if (p - digits > 18)
			return NULL;
		for (const unsigned char *d = digits; d < p; d++)
			v = v * 10 + (*d - '0');
		r->p = p;
		return json_integer(neg ? -v : v);
	}
	{
		char buf[64], *e;
		size_t n = (size_t)(p - start);
		double d;
		if (n >= sizeof(buf))
			return NULL;
		memcpy(buf, start, n);
		buf[n] = '\0';
		d = strtod(buf, &e);
		if (e != buf + n || isinf(d)) /* jansson: "real number overflow" */
			return NULL;
		r->p = p;
		return json_real(d);
	}
}

static json_t *jr_value(struct jr *r, int depth);

static json_t *jr_object(struct jr *r, int depth)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	jr_skip_ws(r);
	if (r->p < r->end && *r->p == '}') {
		r->p++;
		return o;
	}
	for (;;) {
		const char *k;
		char *kcopy = NULL;
		size_t kn, before;
		json_t *v;

		if (r->p >= r->end || *r->p != '"')
			goto fail;
		r->p++;
		if (jr_string(r, &k, &kn) < 0)
			goto fail;
		if (k == r->tmp) { /* the value's strings reuse tmp */
			if (!(kcopy = malloc(kn + 1)))
				goto fail;
			memcpy(kcopy, k, kn);
			k = kcopy;
		}
		jr_skip_ws(r);
		if (r->p >= r->end || *r->p != ':' || (r->p++, !(v = jr_value(r, depth + 1)))) {
			free(kcopy);
			goto fail;
		}
		/* a repeated key is jansson's to judge (last wins, or an error
		 * with JSON_REJECT_DUPLICATES): the size does not grow */
		before = json_object_size(o);
		if (json_object_setn_new_nocheck(o, k, kn, v) < 0 || json_object_size(o) == before) {
			free(kcopy);
			goto fail;
		}
		free(kcopy);
		jr_skip_ws(r);
		if (r->p >= r->end)
			goto fail;
		if (*r->p == '}') {
			r->p++;
			return o;
		}
		if (*r->p++ != ',')
			goto fail;
		jr_skip_ws(r);
	}
fail:
	json_decref(o);
	return NULL;
}

static json_t *jr_array(struct jr *r, int depth)
{
	json_t *a = json_array();

	if (!a)
		return NULL;
	jr_skip_ws(r);
	if (r->p < r->end && *r->p == ']') {
		r->p++;
		return a;
	}
	for (;;) {
		json_t *v = jr_value(r, depth + 1);
		if (!v || json_array_append_new(a, v) < 0)
			goto fail;
		jr_skip_ws(r);
		if (r->p >= r->end)
			goto fail;
		if (*r->p == ']') {
			r->p++;
			return a;
		}
		if (*r->p++ != ',')
			goto fail;
	}
fail:
	json_decref(a);
	return NULL;
}

/* A literal must end at a delimiter for jansson ("truex" is one bad
 * token); the caller's next look at the input checks that. */
static json_t *jr_literal(struct jr *r, const char *word, size_t n, json_t *v)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return NULL;
	r->p += n;
	return v;
}

static json_t *jr_value(struct jr *r, int depth)
{
	const char *s;
	size_t n;

	if (depth > JR_MAX_DEPTH)
		return NULL;
	jr_skip_ws(r);
	if (r->p >= r->end)
		return NULL;
	switch (*r->p) {
	case '{':
		r->p++;
		return jr_object(r, depth);
	case '[':
		r->p++;
		return jr_array(r, depth);
	case '"':
		r->p++;
		return jr_string(r, &s, &n) < 0 ? NULL : json_stringn_nocheck(s, n);
	case 't':
		return jr_literal(r, "true", 4, json_true());
	case 'f':
		return jr_literal(r, "false", 5, json_false());
	case 'n':
		return jr_literal(r, "null", 4, json_null());
	default:
		return *r->p == '-' || (*r->p >= '0' && *r->p <= '9') ? jr_number(r) : NULL;
	}
}

json_t *pm_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *err)
{
	if (buf && !(flags & ~(size_t)JSON_REJECT_DUPLICATES)) {
		struct jr r = { (const unsigned char *)buf, (const unsigned char *)buf + len, NULL, 0,
				0 };
		json_t *v = NULL;

		jr_skip_ws(&r);
		/* without JSON_DECODE_ANY the text must be an object or array */
		if (r.p < r.end && (*r.p == '{' || *r.p == '['))
			v = jr_value(&r, 0);
		if (v) {
			jr_skip_ws(&r);
			if (r.p != r.end) {
				json_decref(v);
				v = NULL;
			}
		}
		free(r.tmp);
		if (v) {
			if (err) { /* as json_loadb leaves it on success */
				memset(err, 0, sizeof(*err));
				err->line = err->column = -1;
				snprintf(err->source, sizeof(err->source), "<buffer>");
			}
			return v;
		}
	}
	return json_loadb(buf, len, flags, err);
}
