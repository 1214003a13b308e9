/* core/log: one line per event on stderr, key=value or JSON.
 * Written with a single fprintf so that lines from several workers sharing a
 * terminal do not interleave mid-line. */
#include "core/log.h"
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum pm_log_level log_level = PM_LOG_INFO;
static int log_json;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void pm_log_set_level(enum pm_log_level level) { log_level = level; }
enum pm_log_level pm_log_get_level(void) { return log_level; }
void pm_log_set_json(int on) { log_json = on; }

int pm_log_parse_level(const char *s, enum pm_log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, level_names[i])) {
			*out = (enum pm_log_level)i;
			return 0;
		}
	return -1;
}

static void json_str(struct pm_buf *b, const char *s, size_t n)
{
	pm_buf_addc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			pm_buf_addf(b, "\\%c", c);
		else if (c < 0x20)
			pm_buf_addf(b, "\\u%04x", c);
		else
			pm_buf_addc(b, (char)c);
	}
	pm_buf_addc(b, '"');
}

/* Turns `k=v k2="v 2"` into JSON members; values stay strings. */
static void kv_to_json(struct pm_buf *b, const char *s)
{
	while (*s) {
		const char *k, *v;
		size_t kn, vn;

		while (*s == ' ')
			s++;
		if (!*s)
			break;
		k = s;
		while (*s && *s != '=' && *s != ' ')
			s++;
		kn = (size_t)(s - k);
		if (*s != '=') {
			pm_buf_adds(b, ",");
			json_str(b, k, kn);
			pm_buf_adds(b, ":true");
			continue;
		}
		s++;
		if (*s == '"') {
			v = ++s;
			while (*s && *s != '"')
				s += (*s == '\\' && s[1]) ? 2 : 1;
			vn = (size_t)(s - v);
			if (*s)
				s++;
		} else {
			v = s;
			while (*s && *s != ' ')
				s++;
			vn = (size_t)(s - v);
		}
		pm_buf_adds(b, ",");
		json_str(b, k, kn);
		pm_buf_addc(b, ':');
		json_str(b, v, vn);
	}
}

void pm_log(enum pm_log_level level, const char *msg, const char *fmt, ...)
{
	struct pm_buf kv = PM_BUF_INIT, line = PM_BUF_INIT;
	char ts[64];
	struct timespec now;
	struct tm tm;
	va_list ap;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, now.tv_nsec / 1000000);
	va_start(ap, fmt);
	pm_buf_vaddf(&kv, fmt, ap);
	va_end(ap);
	if (log_json) {
		pm_buf_addf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts,
			    level_names[level]);
		json_str(&line, msg, strlen(msg));
		kv_to_json(&line, pm_buf_str(&kv));
		pm_buf_adds(&line, "}\n");
	} else {
		pm_buf_addf(&line, "ts=%s level=%s msg=%s%s%s\n", ts,
			    level_names[level], msg, kv.len ? " " : "",
			    pm_buf_str(&kv));
	}
	fputs(pm_buf_str(&line), stderr);
	pm_buf_release(&kv);
	pm_buf_release(&line);
}
