/* cli/health: feed health gathered from Redis for status and the digest. */
#ifndef PM_CLI_HEALTH_H
#define PM_CLI_HEALTH_H

#include <jansson.h>

#include "cli/pipeline.h"

/* A new array of {"id","name","health","status","http_status","failures",
 * "last_ok","last_error"}, one per configured feed; NULL on a Redis error. */
json_t *cli_feed_health(struct cli_pipeline *p, struct pm_err *err);

#endif
