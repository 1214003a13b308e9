/* core/log: key=value log lines on stderr (JSON with --log-json).
 * The level and format are the only process-wide settings here. */
#ifndef PM_CORE_LOG_H
#define PM_CORE_LOG_H

enum pm_log_level { PM_LOG_ERROR, PM_LOG_WARN, PM_LOG_INFO, PM_LOG_DEBUG };

void pm_log_set_level(enum pm_log_level level);
enum pm_log_level pm_log_get_level(void);
void pm_log_set_json(int on);
/* Parses "error", "warn", "info", "debug"; returns -1 if unknown. */
int pm_log_parse_level(const char *s, enum pm_log_level *out /* OUT */);

/* msg is a short event name; the rest is printf-formatted "key=value ..."
 * pairs (values with spaces should be quoted with %s via pm_log_quote-like
 * care by the caller; the logger quotes nothing itself). */
void pm_log(enum pm_log_level level, const char *msg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define pm_error(msg, ...) pm_log(PM_LOG_ERROR, msg, __VA_ARGS__)
#define pm_warn(msg, ...) pm_log(PM_LOG_WARN, msg, __VA_ARGS__)
#define pm_info(msg, ...) pm_log(PM_LOG_INFO, msg, __VA_ARGS__)
#define pm_debug(msg, ...) pm_log(PM_LOG_DEBUG, msg, __VA_ARGS__)

#endif
