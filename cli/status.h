/* cli/status: what 'pressmon status' gathers and its Prometheus text,
 * shared with 'pressmon metrics', which serves the same over HTTP. */
#ifndef PM_CLI_STATUS_H
#define PM_CLI_STATUS_H

#include <jansson.h>

#include "cli/pipeline.h"
#include "core/buf.h"

/* A new object {"streams":{name:{"length","group","pending","lag",
 * "oldest_pending_ms","consumers","rate":{"window_s","added","acked"}}},
 * "feeds":[...],"archive":{"path","bytes","exists"},"redis"}; NULL on a
 * Redis error (err->code PM_EDEP when Redis is unreachable). */
json_t *cli_status_collect(struct cli_pipeline *p, struct pm_err *err);
/* Appends the Prometheus text exposition of a collected status to b. */
void cli_status_prometheus(json_t *o, struct pm_buf *b);

#endif
