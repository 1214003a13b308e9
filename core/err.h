/* core/err: the error value every fallible function fills in.
 * Functions return 0 or -1; the detail goes into a caller-owned struct pm_err. */
#ifndef PM_CORE_ERR_H
#define PM_CORE_ERR_H

/* Exit codes of the pressmon command (DESIGN.md); also the error classes. */
enum pm_code {
	PM_OK = 0,
	PM_ERUNTIME = 1, /* runtime failure */
	PM_EINPUT = 2,   /* usage or input error: the message names file/line/field */
	PM_EDEP = 3      /* dependency unavailable: Redis, database */
};

struct pm_err {
	int code;        /* enum pm_code */
	char msg[512];   /* one line, lowercase, names the subject in quotes */
};

void pm_err_init(struct pm_err *err);
/* Sets code and message; returns -1 so that callers can `return pm_err_set(...)`.
 * err may be NULL (the error is then dropped). */
int pm_err_set(struct pm_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Prepends "prefix: " to the message already in err. */
int pm_err_prefix(struct pm_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
