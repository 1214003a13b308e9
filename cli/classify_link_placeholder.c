/* cli/classify_link_placeholder: TEMPORARY, only so that 'archive import'
 * links before the classify branch is merged. Delete this file when merging
 * classify: it defines the classify.h functions that module provides. */
#include "classify/classify.h"

#include <stddef.h>

int pm_rules_load_dir(const char *dir, struct pm_rules **out, struct pm_err *err)
{
	*out = NULL;
	return pm_err_set(err, PM_ERUNTIME,
			  "cannot classify untagged articles: this build has no classifier (rules '%s')", dir);
}

void pm_rules_free(struct pm_rules *rules)
{
	(void)rules;
}

json_t *pm_classify(const struct pm_rules *rules, const struct pm_doc *doc)
{
	(void)rules;
	(void)doc;
	return NULL;
}
