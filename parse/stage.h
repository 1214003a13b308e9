/* parse/stage: the parse stage — raw documents in, articles out (and
 * article pages to fetch). Wiring around the parser, over queue/stage. */
#ifndef PM_PARSE_STAGE_H
#define PM_PARSE_STAGE_H

#include "core/config.h"
#include "core/err.h"
#include "queue/stage.h"

/* Fills s (name "parse", stream raw). cfg is borrowed. */
int pm_parse_stage_init(struct pm_stage *s, const struct pm_config *cfg, struct pm_err *err);
void pm_parse_stage_release(struct pm_stage *s);

#endif
