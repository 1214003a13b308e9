/* queue/stage: read → handle → flush → ack, with dead letters.
 * Acknowledging only after flush is what makes a SIGKILL at any moment
 * safe: whatever was not acknowledged is delivered again. */
#include "queue/stage.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"

#include <stdlib.h>
#include <string.h>

int pm_stage_step(struct pm_queue *q, const struct pm_stage *s,
		  const char *consumer, size_t count, int block_ms,
		  size_t *done, struct pm_err *err)
{
	struct pm_batch b = { 0 };
	const char **ack = NULL;
	size_t nack = 0;
	int rc = 0, lost = 0;
	struct pm_err lost_err;

	*done = 0;
	pm_err_init(&lost_err);
	if (s->max_batch && count > s->max_batch)
		count = s->max_batch;
	if (pm_queue_group(q, s->stream, s->name, err) < 0)
		return -1;
	if (pm_queue_read(q, s->stream, s->name, consumer, count, block_ms, &b, err) < 0)
		return -1;
	if (!b.n) {
		pm_batch_release(&b);
		return 0;
	}
	ack = xcalloc(b.n, sizeof(*ack));
	for (size_t i = 0; i < b.n; i++) {
		const struct pm_entry *e = &b.v[i];
		struct pm_err herr;

		pm_err_init(&herr);
		if (e->deliveries > pm_queue_max_deliveries(q)) {
			if (pm_queue_dead(q, s->name, s->stream, s->name, e,
					  "delivered too many times", err) < 0) {
				rc = -1;
				goto out;
			}
			(*done)++;
			continue;
		}
		if (s->handle(s->ctx, q, e, &herr) == 0) {
			ack[nack++] = e->id;
			continue;
		}
		if (herr.code == PM_EDEP) {
			/* Redis or the database went away: keep what was done,
			 * leave the rest pending for the next turn */
			lost_err = herr;
			lost = 1;
			break;
		}
		if (herr.code == PM_EINPUT) {
			if (pm_queue_dead(q, s->name, s->stream, s->name, e, herr.msg, err) < 0) {
				rc = -1;
				goto out;
			}
			(*done)++;
		} else {
			pm_warn("retry_later", "stage=%s entry=%s deliveries=%lld error=\"%s\"",
				s->name, e->id, e->deliveries, herr.msg);
		}
	}
	/* what the handlers wrote must be in Redis before anything is acked */
	if (pm_queue_pipe_flush(q, NULL, err) < 0) {
		rc = -1;
		goto out;
	}
	if (s->flush && s->flush(s->ctx, err) < 0) {
		rc = -1;
		goto out;
	}
	if (nack && pm_queue_ack(q, s->stream, s->name, ack, nack, err) < 0) {
		rc = -1;
		goto out;
	}
	*done += nack;
	if (lost) {
		*err = lost_err;
		rc = -1;
	}
out:
	if (rc < 0) { /* a failed turn leaves nothing pending for the next one */
		struct pm_err ignored;
		pm_err_init(&ignored);
		pm_queue_pipe_flush(q, NULL, &ignored);
	}
	free(ack);
	pm_batch_release(&b);
	return rc;
}

int pm_stage_pending(struct pm_queue *q, const struct pm_stage *s,
		     long long *pending, struct pm_err *err)
{
	struct pm_group_info gi;

	if (pm_queue_group(q, s->stream, s->name, err) < 0)
		return -1;
	if (pm_queue_group_info(q, s->stream, s->name, &gi, err) < 0)
		return -1;
	*pending = gi.pending;
	return 0;
}

json_t *pm_entry_object(const struct pm_entry *e, const char *field, struct pm_err *err)
{
	const char *raw;
	size_t len;
	json_t *o;
	json_error_t jerr;

	raw = pm_entry_get(e, field, &len);
	if (!raw) {
		pm_err_set(err, PM_EINPUT, "entry %s has no '%s' field", e->id, field);
		return NULL;
	}
	o = json_loadb(raw, len, 0, &jerr);
	if (!json_is_object(o)) {
		pm_err_set(err, PM_EINPUT, "entry %s: '%s' is not a JSON object: %s", e->id,
			   field, o ? "another JSON value" : jerr.text);
		json_decref(o);
		return NULL;
	}
	return o;
}

int pm_queue_add_article(struct pm_queue *q, const char *stream, json_t *article,
			 struct pm_err *err)
{
	const char *id = json_string_value(json_object_get(article, "id"));
	char *out = json_dumps(article, JSON_COMPACT);

	if (!out)
		return pm_err_set(err, PM_EINPUT, "article cannot be serialized");
	{
		struct pm_field f[2] = { { "id", id ? id : "", id ? strlen(id) : 0 },
					 { "article", out, strlen(out) } };
		pm_queue_pipe_add(q, stream, f, 2);
	}
	free(out);
	return 0;
}

char *pm_json_splice_members(const char *raw, size_t len, json_t *parsed, json_t *added,
			     size_t *out_len)
{
	struct pm_buf b = PM_BUF_INIT;
	const char *key;
	json_t *v;

	if (!json_is_object(parsed) || !json_object_size(parsed) || !json_is_object(added))
		return NULL;
	json_object_foreach(added, key, v)
		if (json_object_get(parsed, key))
			return NULL;
	/* parsed came from raw, so raw is one object and, past trailing
	 * white space, ends with its closing brace */
	while (len && (raw[len - 1] == ' ' || raw[len - 1] == '\t' || raw[len - 1] == '\n' ||
		       raw[len - 1] == '\r'))
		len--;
	if (!len || raw[len - 1] != '}')
		return NULL;
	pm_buf_add(&b, raw, len - 1);
	json_object_foreach(added, key, v) {
		json_t *ks = json_string(key);
		char *k = ks ? json_dumps(ks, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		char *val = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (k && val) {
			pm_buf_addc(&b, ',');
			pm_buf_adds(&b, k);
			pm_buf_addc(&b, ':');
			pm_buf_adds(&b, val);
		}
		json_decref(ks);
		free(k);
		free(val);
		if (!k || !val) {
			pm_buf_release(&b);
			return NULL;
		}
	}
	pm_buf_addc(&b, '}');
	return pm_buf_detach(&b, out_len);
}

int pm_queue_add_article_plus(struct pm_queue *q, const char *stream, const char *raw,
			      size_t len, json_t *parsed, json_t *added, struct pm_err *err)
{
	const char *id = json_string_value(json_object_get(parsed, "id"));
	size_t n = 0;
	char *out = pm_json_splice_members(raw, len, parsed, added, &n);

	if (!out) {
		json_t *merged = json_copy(parsed);
		int rc;
		json_object_update(merged, added);
		rc = pm_queue_add_article(q, stream, merged, err);
		json_decref(merged);
		return rc;
	}
	{
		struct pm_field f[2] = { { "id", id ? id : "", id ? strlen(id) : 0 },
					 { "article", out, n } };
		pm_queue_pipe_add(q, stream, f, 2);
	}
	free(out);
	return 0;
}
