/* cli/health: every configured feed's state from Redis, as the status
 * command shows it and as the digest's feed-health section reads it. */
#include "cli/health.h"
#include "core/time.h"

#include <stdlib.h>
#include <string.h>

/* ok, failing, disabled, silent (no success for 3 max intervals), new */
static const char *health_of(const struct pm_source *s, const struct pm_field *f, size_t n)
{
	const char *disabled = pm_fields_get(f, n, "disabled");
	const char *failures = pm_fields_get(f, n, "failures");
	const char *last_ok = pm_fields_get(f, n, "last_ok");
	time_t t;

	if (!s->enabled || (disabled && *disabled && strcmp(disabled, "0")))
		return "disabled";
	if (failures && atoll(failures) > 0)
		return "failing";
	if (!last_ok)
		return "new";
	if (pm_time_parse_iso(last_ok, &t) == 0 &&
	    (pm_now_ms() / 1000 - (int64_t)t) > 3LL * s->max_interval)
		return "silent";
	return "ok";
}

json_t *cli_feed_health(struct cli_pipeline *p, struct pm_err *err)
{
	json_t *feeds = json_array();

	for (size_t i = 0; i < p->cfg.nsources; i++) {
		const struct pm_source *s = &p->cfg.sources[i];
		struct pm_field *f = NULL;
		size_t n = 0;
		const char *v, *health;
		json_t *o;

		if (pm_queue_feed_get(p->q, s->id, &f, &n, err) < 0) {
			json_decref(feeds);
			return NULL;
		}
		health = health_of(s, f, n);
		o = json_pack("{s:s,s:s,s:s}", "id", s->id, "name", s->name, "health", health);
		/* the digest knows ok, failing and disabled */
		json_object_set_new(o, "status", json_string(
			!strcmp(health, "disabled") ? "disabled" :
			!strcmp(health, "failing") ? "failing" : "ok"));
		v = pm_fields_get(f, n, "status");
		json_object_set_new(o, "http_status", json_integer(v ? atoll(v) : 0));
		v = pm_fields_get(f, n, "failures");
		json_object_set_new(o, "failures", json_integer(v ? atoll(v) : 0));
		v = pm_fields_get(f, n, "last_ok");
		json_object_set_new(o, "last_ok", v ? json_string(v) : json_null());
		v = pm_fields_get(f, n, "last_error");
		json_object_set_new(o, "last_error", v && *v ? json_string(v) : json_null());
		json_array_append_new(feeds, o);
		pm_fields_free(f, n);
	}
	return feeds;
}
