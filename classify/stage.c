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
	const char *raw, *id;
	size_t len;
	json_t *article, *tagged;
	json_error_t jerr;
	char *out;
	int rc;

	raw = pm_entry_get(e, "article", &len);
	if (!raw)
		return pm_err_set(err, PM_EINPUT, "entry %s has no 'article' field", e->id);
	article = json_loadb(raw, len, 0, &jerr);
	if (!article || !json_is_object(article)) {
		json_decref(article);
		return pm_err_set(err, PM_EINPUT, "entry %s: article is not a JSON object: %s",
				  e->id, jerr.text);
	}
	tagged = pm_classify_article(c->rules, article);
	json_decref(article);
	if (!tagged)
		return pm_err_set(err, PM_EINPUT, "entry %s: article cannot be classified", e->id);
	id = json_string_value(json_object_get(tagged, "id"));
	out = json_dumps(tagged, JSON_COMPACT);
	{
		struct pm_field f[2] = {
			{ "id", id ? id : "", id ? strlen(id) : 0 },
			{ "article", out, strlen(out) },
		};
		rc = pm_queue_add(q, "tagged", f, 2, err);
	}
	free(out);
	json_decref(tagged);
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
