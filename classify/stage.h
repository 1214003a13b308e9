/* classify/stage: the classify stage — articles in, tagged articles out. */
#ifndef PM_CLASSIFY_STAGE_H
#define PM_CLASSIFY_STAGE_H

#include "core/err.h"
#include "queue/stage.h"

/* Fills s (name "classify", stream articles), loading the rules of dir. */
int pm_classify_stage_init(struct pm_stage *s, const char *rules_dir, struct pm_err *err);
void pm_classify_stage_release(struct pm_stage *s);

#endif
