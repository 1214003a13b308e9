/* core/time: UTC timestamps in the one format pressmon writes
 * (ISO 8601, "2026-11-25T14:03:00Z"), whole days, and local-day bounds. */
#ifndef PM_CORE_TIME_H
#define PM_CORE_TIME_H

#include <stdint.h>
#include <time.h>

#define PM_ISO_LEN 21 /* "YYYY-MM-DDTHH:MM:SSZ" + NUL */

int64_t pm_now_ms(void);                 /* wall clock, ms since the epoch */
int64_t pm_mono_ms(void);                /* monotonic clock, ms */
void pm_sleep_ms(int64_t ms);

/* Formats t (seconds, UTC) into out[PM_ISO_LEN]. */
void pm_time_iso(time_t t, char out[PM_ISO_LEN]);
/* Parses the ISO 8601 forms pressmon itself writes and the common variants:
 * "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with "Z", "+HH:MM", "+HHMM" or
 * no zone (UTC). Returns -1 on anything else. */
int pm_time_parse_iso(const char *s, time_t *out /* OUT */);
/* Parses a whole day "YYYY-MM-DD" (strict, valid calendar date). */
int pm_date_parse(const char *s, int *y, int *m, int *d);
/* Days since 1970-01-01 for a civil date (proleptic Gregorian). */
int64_t pm_days_from_civil(int y, int m, int d);
void pm_civil_from_days(int64_t days, int *y, int *m, int *d);
/* timegm() without the non-standard libc call. */
time_t pm_timegm(const struct tm *tm);

/* Start (inclusive) and end (exclusive) of the local day y-m-d in time zone
 * tz (an IANA name like "Europe/Paris"; NULL or "" or "UTC" means UTC).
 * Returns -1 if the zone is unknown. Not thread-safe: it sets TZ briefly. */
int pm_day_bounds(int y, int m, int d, const char *tz, time_t *start, time_t *end);
/* Local calendar date of t in zone tz, as "YYYY-MM-DD" into out[11]. */
int pm_local_date(time_t t, const char *tz, char out[11]);

#endif
