/* report: the daily digest — volume and trend, story clusters, balance,
 * misinformation, Security Council watch, feed health — rendered as
 * mail-safe HTML, Markdown and JSON from the archive. */
#ifndef PM_REPORT_H
#define PM_REPORT_H

#include <jansson.h>

#include "archive/archive.h"
#include "core/err.h"

enum pm_report_format { PM_REPORT_HTML = 1, PM_REPORT_MD = 2, PM_REPORT_JSON = 4 };

struct pm_report_opts {
	const char *date;      /* local day, YYYY-MM-DD */
	const char *tz;        /* IANA zone; NULL = UTC */
	unsigned formats;      /* enum pm_report_format bits */
	const char *out_dir;   /* files go to out_dir/date/digest.{html,md,json} */
	json_t *scope;         /* borrowed, may be NULL (everything archived):
				  tags of which an article needs one to count,
				  e.g. ["icc","unsc-referral","unsc-deferral"] */
	json_t *feed_health;   /* borrowed, may be NULL: [{"id","name","status",
				  "failures","last_error","last_ok"}] */
};

/* Builds the digest and writes the files. *paths (OUT, may be NULL) gets a
 * new JSON array of the written paths. */
int pm_report_build(struct pm_archive *a, const struct pm_report_opts *opts,
		    json_t **paths, struct pm_err *err);

#endif
