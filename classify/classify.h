/* classify: the explainable rule engine. Rule files (the .rules files of classify/rules)
 * compile once into a matcher over core/text tokens; every tag carries its
 * evidence, every misinformation flag its claim, correction and reference. */
#ifndef PM_CLASSIFY_H
#define PM_CLASSIFY_H

#include <jansson.h>

#include "core/err.h"

struct pm_rules;

/* Loads every .rules file of dir (sorted by name) and compiles them.
 * A bad rule gives err "file:line:col: message", code PM_EINPUT. */
int pm_rules_load_dir(const char *dir, struct pm_rules **out /* OUT */, struct pm_err *err);
/* Loads and compiles one file. */
int pm_rules_load_file(const char *path, struct pm_rules **out /* OUT */, struct pm_err *err);
/* A directory (as pm_rules_load_dir) or one file (as pm_rules_load_file). */
int pm_rules_load_path(const char *path, struct pm_rules **out /* OUT */, struct pm_err *err);
/* The rules path to use: path if not NULL, else $PRESSMON_RULES if set,
 * else "classify/rules". Borrowed string. */
const char *pm_rules_default_path(const char *path);
void pm_rules_free(struct pm_rules *rules);

/* Lints loaded rules: unused lists, unreachable tags, duplicate terms,
 * terms that normalize to nothing. Appends one "file:line:col: warning"
 * string per finding to warnings (a JSON array). Returns the count. */
int pm_rules_lint(const struct pm_rules *rules, json_t *warnings);

struct pm_doc {
	const char *title;
	const char *summary;
	const char *text;
	const char *lang;     /* may be NULL */
};

/* Classifies doc. Returns a new reference to
 * {"tags":[{"tag","score","evidence":[{"field","start","end","text","rule"}]}],
 *  "misinfo":[{"claim","verdict","sentence","correction","reference"}]}
 * start/end are byte offsets into the named field's display text. */
json_t *pm_classify(const struct pm_rules *rules, const struct pm_doc *doc);

enum pm_classify_flags {
	/* Adds per tag "threshold" and "rules":[{"rule","weight"}] (every rule
	 * that fired, negative ones too), per misinfo flag its "evidence", and
	 * a top-level "below_threshold":[{"tag","score","threshold","rules"}]
	 * for tags whose rules fired without reaching the threshold. */
	PM_CLASSIFY_EXPLAIN = 1,
	/* Evaluates every tag, rule and claim instead of only those a matched
	 * term or an emitted tag can make true. Same output, slower: the
	 * reference the fast path is tested against. */
	PM_CLASSIFY_EVAL_ALL = 2
};

/* pm_classify with flags (enum pm_classify_flags). */
json_t *pm_classify_ex(const struct pm_rules *rules, const struct pm_doc *doc, unsigned flags);

/* The classify stage's step: returns a new reference to a shallow copy of
 * article (an object with "title", "summary", "text", "lang") with "tags"
 * (incl. evidence) and "misinfo" set. Tags named in the article's
 * "feed_tags" (strings, or objects with "tag") are merged in with score 1
 * and no evidence unless the rules already gave that tag. NULL if article
 * is not an object. */
json_t *pm_classify_article(const struct pm_rules *rules, json_t *article);

/* What pm_classify_article adds: a new object with just "tags" and
 * "misinfo", so that the stage can splice them into the article's JSON
 * text instead of encoding the whole article again. NULL likewise. */
json_t *pm_classify_additions(const struct pm_rules *rules, json_t *article);

#endif
