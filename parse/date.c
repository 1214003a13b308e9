/* parse/date: dates as feeds and pages write them (ISO 8601 / W3CDTF and
 * RFC 822 with the usual breakage) into UTC seconds. */
#include "parse/parse_int.h"
#include "core/time.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int num(const char **p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* ISO 8601 and W3CDTF: YYYY, YYYY-MM, YYYY-MM-DD, YYYYMMDD, then optional
 * [T ]HH:MM[:SS[.frac]] or HHMMSS, then Z, +HH, +HH:MM, +HHMM or nothing (UTC).
 * Hand-written because neither libc nor curl reads these forms. */
static int parse_iso(const char *s, time_t *out)
{
	const char *p = s;
	int y, mo = 1, d = 1, h = 0, mi = 0, se = 0, off = 0;
	struct tm tm;

	while (isspace((unsigned char)*p))
		p++;
	if (num(&p, 4, &y))
		return -1;
	if (*p == '-') {
		p++;
		if (num(&p, 2, &mo))
			return -1;
		if (*p == '-') {
			p++;
			if (num(&p, 2, &d))
				return -1;
		}
	} else if (isdigit((unsigned char)*p)) {
		if (num(&p, 2, &mo) || num(&p, 2, &d))
			return -1;
	} else if (*p && !isspace((unsigned char)*p)) {
		return -1;
	}
	if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
		p++;
		if (num(&p, 2, &h))
			return -1;
		if (*p == ':')
			p++;
		if (num(&p, 2, &mi))
			return -1;
		if (*p == ':' || isdigit((unsigned char)*p)) {
			if (*p == ':')
				p++;
			if (num(&p, 2, &se))
				return -1;
			if (*p == '.' || *p == ',') {
				p++;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		while (*p == ' ')
			p++;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p == '-' ? -1 : 1, oh, om = 0;
			p++;
			if (num(&p, 2, &oh))
				return -1;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p) && num(&p, 2, &om))
				return -1;
			off = sign * (oh * 3600 + om * 60);
		} else if (!strncasecmp(p, "UTC", 3) || !strncasecmp(p, "GMT", 3)) {
			p += 3;
		}
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 24 || mi > 59 || se > 61)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se > 59 ? 59 : se;
	*out = pm_timegm(&tm) - off;
	return 0;
}

/* The form nearly every RSS feed writes, "Wed, 18 Nov 2026 21:16:00 +0000"
 * or "... GMT", read directly: curl_getdate's general scanner costs ten
 * times as much. Anything else, or out of the plain ranges, takes the
 * general path; test_parse holds the two to the same answers. */
static int parse_rfc822_common(const char *s, time_t *out)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	const char *p = s;
	int d, y, h, mi, se, mo = -1, off, known = 0;
	struct tm tm;

	for (int i = 0; i < 7; i++)
		known |= !strncmp(p, days + 3 * i, 3);
	if (!known || p[3] != ',' || p[4] != ' ')
		return -1;
	p += 5;
	if (num(&p, 2, &d) || *p++ != ' ')
		return -1;
	for (int i = 0; i < 12; i++)
		if (!strncmp(p, months + 3 * i, 3))
			mo = i;
	if (mo < 0 || p[3] != ' ')
		return -1;
	p += 4;
	if (num(&p, 4, &y) || *p++ != ' ' || num(&p, 2, &h) || *p++ != ':' || num(&p, 2, &mi) ||
	    *p++ != ':' || num(&p, 2, &se) || *p++ != ' ')
		return -1;
	if (!strcmp(p, "GMT")) {
		off = 0;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 5) {
		const char *z = p + 1;
		int oh, om;
		if (num(&z, 2, &oh) || num(&z, 2, &om) || oh > 14 || om > 59)
			return -1;
		off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (y < 1971 || y > 2999 || d < 1 || d > mdays[mo] ||
	    (mo == 1 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) || h > 23 ||
	    mi > 59 || se > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = pm_timegm(&tm) - off;
	return 0;
}

int pm_parse_date(const char *s, time_t *out)
{
	char buf[128], *q;
	size_t n;
	time_t t;

	if (!s)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	if (!n || n >= sizeof(buf))
		return -1;
	if (!parse_iso(s, out) || !parse_rfc822_common(s, out))
		return 0;
	memcpy(buf, s, n + 1);
	/* RFC 822 breakage curl does not take: "UT", dots after day names,
	 * commas in odd places, a trailing zone name in parentheses */
	if ((q = strchr(buf, '(')))
		*q = '\0';
	for (q = buf; *q; q++)
		if (*q == '.' || *q == ',')
			*q = ' ';
	n = strlen(buf);
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
	/* " UT" -> " GMT" grows the string by one: keep room for it */
	if (n >= 3 && n + 2 <= sizeof(buf) && !strcmp(buf + n - 3, " UT"))
		memcpy(buf + n - 2, "GMT", 4);
	if (n && n + 4 < sizeof(buf) && buf[n - 1] == 'Z' && n >= 2 && isdigit((unsigned char)buf[n - 2]))
		memcpy(buf + n - 1, " GMT", 5);
	t = curl_getdate(buf, NULL);
	if (t == (time_t)-1)
		return -1;
	*out = t;
	return 0;
}

json_t *pm_date_json(const char *s)
{
	time_t t;
	char iso[PM_ISO_LEN];

	if (!s || pm_parse_date(s, &t))
		return json_null();
	pm_time_iso(t, iso);
	return json_string(iso);
}
