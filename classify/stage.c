/* classify/stage: articles in, tagged articles out. The rules are compiled
 * once at start; each article is classified and written to tagged. */
#include "classify/stage.h"
#include "classify/classify.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

struct classify_ctx {
	struct pm_rules *rules;
};

static int handle(void *ctx, struct pm_queue *q, const struct pm_entry *e,
		  struct pm_err *err)
{
	struct classify_ctx *c = ctx;
	json_t *article, *added;
	const char *raw;
	size_t len;
	int rc;

	if (!(article = pm_entry_object(e, "article", err)))
		return -1;
	raw = pm_entry_get(e, "article", &len);
	added = pm_classify_additions(c->rules, article);
	if (!added) {
		json_decref(article);
		return pm_err_set(err, PM_EINPUT, "entry %s: article cannot be classified", e->id);
	}
	rc = pm_queue_add_article_plus(q, PM_STREAM_TAGGED, raw, len, article, added, err);
	json_decref(added);
	json_decref(article);
	return rc;
}

int pm_classify_stage_init(struct pm_stage *s, const char *rules_dir, struct pm_err *err)
{
	struct classify_ctx *c = xcalloc(1, sizeof(*c));

	if (pm_rules_load_dir(rules_dir, &c->rules, err) < 0) {
		free(c);
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->name = "classify";
	s->stream = "articles";
	s->handle = handle;
	s->ctx = c;
	return 0;
}

void pm_classify_stage_release(struct pm_stage *s)
{
	struct classify_ctx *c = s->ctx;

	if (c) {
		pm_rules_free(c->rules);
		free(c);
	}
	s->ctx = NULL;
}
