/* core/time: ISO 8601 in UTC and local-day arithmetic.
 * Civil-date conversion is Howard Hinnant's days_from_civil algorithm: libc
 * has no portable timegm, and mktime depends on the process time zone. */
#include "core/time.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int64_t pm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pm_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void pm_sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int64_t pm_days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void pm_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

time_t pm_timegm(const struct tm *tm)
{
	int64_t days = pm_days_from_civil(tm->tm_year + 1900, tm->tm_mon + 1, 1) +
		       tm->tm_mday - 1;
	return (time_t)(days * 86400 + tm->tm_hour * 3600 + tm->tm_min * 60 + tm->tm_sec);
}

/* Writes n as exactly w digits (n is in range by construction). */
static char *put_digits(char *p, int n, int w)
{
	for (int i = w - 1; i >= 0; i--) {
		p[i] = (char)('0' + n % 10);
		n /= 10;
	}
	return p + w;
}

static void put_date(char *p, const struct tm *tm)
{
	int y = tm->tm_year + 1900;
	if (y < 0 || y > 9999)
		y = 0;
	p = put_digits(p, y, 4);
	*p++ = '-';
	p = put_digits(p, tm->tm_mon + 1, 2);
	*p++ = '-';
	p = put_digits(p, tm->tm_mday, 2);
	*p = '\0';
}

void pm_time_iso(time_t t, char out[PM_ISO_LEN])
{
	struct tm tm;
	char *p = out + 10;

	gmtime_r(&t, &tm);
	put_date(out, &tm);
	*p++ = 'T';
	p = put_digits(p, tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, tm.tm_min, 2);
	*p++ = ':';
	p = put_digits(p, tm.tm_sec, 2);
	*p++ = 'Z';
	*p = '\0';
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

static int parse_ymd(const char *s, int *y, int *m, int *d)
{
	if (digits(s, 4, y) || s[4] != '-' || digits(s + 5, 2, m) || s[7] != '-' ||
	    digits(s + 8, 2, d))
		return -1;
	if (*m < 1 || *m > 12 || *d < 1 || *d > days_in_month(*y, *m))
		return -1;
	return 0;
}

int pm_date_parse(const char *s, int *y, int *m, int *d)
{
	if (strlen(s) != 10)
		return -1;
	return parse_ymd(s, y, m, d);
}

int pm_time_parse_iso(const char *s, time_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
	const char *p;

	if (strlen(s) < 10 || parse_ymd(s, &y, &mo, &d))
		return -1;
	p = s + 10;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi))
			return -1;
		p += 5;
		if (*p == ':') {
			if (digits(p + 1, 2, &sec))
				return -1;
			p += 3;
			if (*p == '.' || *p == ',') {
				p++;
				while (isdigit((unsigned char)*p))
					p++;
			}
		}
		if (h > 24 || mi > 59 || sec > 60)
			return -1;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int oh, om = 0, sign = *p == '-' ? -1 : 1;
			p++;
			if (digits(p, 2, &oh))
				return -1;
			p += 2;
			if (*p == ':')
				p++;
			if (isdigit((unsigned char)*p)) {
				if (digits(p, 2, &om))
					return -1;
				p += 2;
			}
			off = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p)
		return -1;
	*out = (time_t)(pm_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off);
	return 0;
}

/* Runs mktime/localtime under zone tz, restoring the previous TZ. */
static int tz_is_utc(const char *tz)
{
	return !tz || !*tz || !strcmp(tz, "UTC") || !strcmp(tz, "Etc/UTC") || !strcmp(tz, "Z");
}

static int tz_known(const char *tz)
{
	char path[512];
	struct stat st;
	const char *dir = getenv("TZDIR");

	if (strstr(tz, ".."))
		return 0;
	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/usr/share/zoneinfo", tz);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

struct tz_saved { char *old; };

static void tz_push(const char *tz, struct tz_saved *s)
{
	const char *old = getenv("TZ");
	s->old = old ? strdup(old) : NULL;
	setenv("TZ", tz, 1);
	tzset();
}

static void tz_pop(struct tz_saved *s)
{
	if (s->old) {
		setenv("TZ", s->old, 1);
		free(s->old);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

static time_t local_midnight(int y, int m, int d)
{
	struct tm tm = { 0 };
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

int pm_day_bounds(int y, int m, int d, const char *tz, time_t *start, time_t *end)
{
	struct tz_saved saved;
	int64_t day = pm_days_from_civil(y, m, d);
	int ny, nm, nd;

	if (tz_is_utc(tz)) {
		*start = (time_t)(day * 86400);
		*end = *start + 86400;
		return 0;
	}
	if (!tz_known(tz))
		return -1;
	pm_civil_from_days(day + 1, &ny, &nm, &nd);
	tz_push(tz, &saved);
	*start = local_midnight(y, m, d);
	*end = local_midnight(ny, nm, nd);
	tz_pop(&saved);
	return 0;
}

int pm_local_date(time_t t, const char *tz, char out[11])
{
	struct tm tm;
	struct tz_saved saved;

	if (tz_is_utc(tz)) {
		gmtime_r(&t, &tm);
	} else {
		if (!tz_known(tz))
			return -1;
		tz_push(tz, &saved);
		localtime_r(&t, &tm);
		tz_pop(&saved);
	}
	put_date(out, &tm);
	return 0;
}
