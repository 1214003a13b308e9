/* report/report_int: what the digest builder and its renderers share. The
 * digest is one JSON value (docs/digest.md); every renderer reads only it. */
#ifndef PM_REPORT_INT_H
#define PM_REPORT_INT_H

#include <jansson.h>

#include "archive/archive.h"
#include "core/buf.h"
#include "core/err.h"
#include "report/report.h"

/* Builds the digest value for opts->date in opts->tz. *out (OUT) gets a new
 * reference. */
int pm_digest_build(struct pm_archive *a, const struct pm_report_opts *opts, json_t **out,
		    struct pm_err *err);

/* Renderers: append the whole document to b. */
void pm_digest_html(json_t *digest, struct pm_buf *b);
void pm_digest_md(json_t *digest, struct pm_buf *b);

/* Escapes s for HTML text and attribute values (& < > " '). */
void pm_html_esc(struct pm_buf *b, const char *s);
/* 1 if url may become a link: http or https, no spaces or controls. */
int pm_url_linkable(const char *url);

#endif
