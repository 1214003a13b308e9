/* queue/stage: read → handle → flush → ack, with dead letters.
 * Acknowledging only after flush is what makes a SIGKILL at any moment
 * safe: whatever was not acknowledged is delivered again. */
#include "queue/stage.h"
#include "core/buf.h"
#include "core/json_read.h"
#include "core/log.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Batches smaller than this are prepared on the calling thread: a
 * trickle does not pay for a thread. */
#define PREP_THREAD_MIN 32
/* How far the helper may run ahead of the handler: the prepared entries
 * are still in the CPU's cache when the handler takes them, and the
 * helper's heap stays small instead of growing by a whole batch and
 * shrinking every turn. When it is that far ahead it sleeps until the
 * handler has taken half of them, not one: a wake-up per entry cost more
 * system time than it saved. */
#define PREP_AHEAD 64
/* Without a helper, pm_stage.prep_now is asked again after this many
 * entries. */
#define PREP_RECHECK 256

/* The helper thread of a turn (see pm_stage.prepare) prepares entries in
 * order into out[]; `ready` says how far it got. The handler takes them,
 * and puts what it is done with into used[] (`taken` says how far), which
 * the helper frees: what a thread allocates goes back to its own heap
 * (glibc's arena) without a lock, and a handler freeing the helper's
 * objects made both threads contend for that heap, which cost more than
 * the preparing saved. */
struct prep_run {
	const struct pm_stage *s;
	const struct pm_batch *b;
	void **out, **used;
	/* why out[i] is NULL, for a failed preparation only: an error is 516
	 * bytes, and one per entry was 10 MB of fresh memory per turn */
	struct pm_err **errs;
	struct pm_err here; /* the error of one the handler prepared itself */
	atomic_size_t ready, taken, wake_at;
	atomic_int stop, waiting, helper_waiting;
	size_t start;  /* the first entry the helper prepares */
	size_t freed; /* the helper's: used[] below this are freed */
	pthread_mutex_t mu;
	pthread_cond_t cv, helper_cv;
	pthread_t th;
	int threaded;
};

static void prep_free_used(struct prep_run *p, size_t upto)
{
	for (; p->freed < upto; p->freed++)
		if (p->used[p->freed]) {
			p->s->prep_free(p->used[p->freed]);
			p->used[p->freed] = NULL;
		}
}

static void *prep_main(void *arg)
{
	struct prep_run *p = arg;
	struct pm_err e;

	for (size_t i = p->start; i < p->b->n && !atomic_load(&p->stop); i++) {
		if (i >= atomic_load(&p->taken) + PREP_AHEAD) {
			pthread_mutex_lock(&p->mu);
			atomic_store(&p->wake_at, i - PREP_AHEAD / 2);
			atomic_store(&p->helper_waiting, 1);
			while (i >= atomic_load(&p->taken) + PREP_AHEAD / 2 && !atomic_load(&p->stop))
				pthread_cond_wait(&p->helper_cv, &p->mu);
			atomic_store(&p->helper_waiting, 0);
			pthread_mutex_unlock(&p->mu);
			if (atomic_load(&p->stop))
				break;
		}
		prep_free_used(p, atomic_load(&p->taken));
		pm_err_init(&e);
		p->out[i] = p->s->prepare(p->s->ctx, &p->b->v[i], &e);
		if (!p->out[i]) {
			p->errs[i] = xmalloc(sizeof(e));
			*p->errs[i] = e;
		}
		atomic_store(&p->ready, i + 1);
		if (atomic_load(&p->waiting)) {
			pthread_mutex_lock(&p->mu);
			pthread_cond_signal(&p->cv);
			pthread_mutex_unlock(&p->mu);
		}
	}
	/* the rest is freed here too, once the handler is through (stop) */
	pthread_mutex_lock(&p->mu);
	atomic_store(&p->wake_at, SIZE_MAX);
	while (!atomic_load(&p->stop))
		pthread_cond_wait(&p->helper_cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	prep_free_used(p, atomic_load(&p->taken));
	for (size_t i = atomic_load(&p->taken); i < atomic_load(&p->ready); i++)
		if (p->out[i])
			p->s->prep_free(p->out[i]);
	return NULL;
}

/* Starts the helper at entry i when there is enough left to prepare and
 * the stage allows it now. Without one (a small batch, not allowed, or no
 * thread to be had) the handler prepares each entry itself (prep_get). */
static void prep_try_thread(struct prep_run *p, size_t i)
{
	const struct pm_stage *s = p->s;

	if (p->b->n - i < PREP_THREAD_MIN || (s->prep_now && !s->prep_now(s->prep_now_arg)))
		return;
	p->start = p->freed = i;
	atomic_store(&p->ready, i);
	atomic_store(&p->taken, i);
	p->threaded = pthread_create(&p->th, NULL, prep_main, p) == 0;
}

static void prep_start(struct prep_run *p, const struct pm_stage *s, const struct pm_batch *b)
{
	memset(p, 0, sizeof(*p));
	p->s = s;
	p->b = b;
	p->out = xcalloc(b->n, sizeof(*p->out));
	p->used = xcalloc(b->n, sizeof(*p->used));
	p->errs = xcalloc(b->n, sizeof(*p->errs));
	atomic_init(&p->ready, 0);
	atomic_init(&p->taken, 0);
	atomic_init(&p->wake_at, 0);
	atomic_init(&p->stop, 0);
	atomic_init(&p->waiting, 0);
	atomic_init(&p->helper_waiting, 0);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	pthread_cond_init(&p->helper_cv, NULL);
	prep_try_thread(p, 0);
}

/* Entry i's preparation (NULL: *why says why), waiting for the helper
 * when it is behind. Entries are taken in order, each once. */
static void *prep_get(struct prep_run *p, size_t i, const struct pm_err **why)
{
	if (!p->threaded && p->s->prep_now && i && i % PREP_RECHECK == 0)
		prep_try_thread(p, i);
	pm_err_init(&p->here);
	*why = &p->here;
	if (!p->threaded)
		return p->s->prepare(p->s->ctx, &p->b->v[i], &p->here);
	while (atomic_load(&p->ready) <= i) {
		pthread_mutex_lock(&p->mu);
		atomic_store(&p->waiting, 1);
		if (atomic_load(&p->ready) <= i)
			pthread_cond_wait(&p->cv, &p->mu);
		atomic_store(&p->waiting, 0);
		pthread_mutex_unlock(&p->mu);
	}
	if (p->errs[i])
		*why = p->errs[i];
	return p->out[i];
}

/* The handler is done with entry i and its preparation v: the helper
 * frees it (on the calling thread without one). */
static void prep_done(struct prep_run *p, size_t i, void *v)
{
	if (!p->threaded) {
		if (v)
			p->s->prep_free(v);
		return;
	}
	p->out[i] = NULL;
	p->used[i] = v;
	atomic_store(&p->taken, i + 1);
	if (atomic_load(&p->helper_waiting) && i + 1 >= atomic_load(&p->wake_at)) {
		pthread_mutex_lock(&p->mu);
		pthread_cond_signal(&p->helper_cv);
		pthread_mutex_unlock(&p->mu);
	}
}

/* Stops the helper and frees what is left. */
static void prep_end(struct prep_run *p)
{
	if (p->threaded) {
		pthread_mutex_lock(&p->mu);
		atomic_store(&p->stop, 1);
		pthread_cond_signal(&p->helper_cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->th, NULL);
		for (size_t i = 0; i < p->b->n; i++)
			free(p->errs[i]);
	}
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	pthread_cond_destroy(&p->helper_cv);
	free(p->out);
	free(p->used);
	free(p->errs);
}

int pm_stage_step(struct pm_queue *q, const struct pm_stage *s,
		  const char *consumer, size_t count, int block_ms,
		  size_t *done, struct pm_err *err)
{
	struct pm_batch b = { 0 };
	const char **ack = NULL;
	size_t nack = 0;
	int rc = 0, lost = 0;
	struct pm_err lost_err;
	struct prep_run prep;
	int prepping = 0;

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
	if (s->prepare) {
		prep_start(&prep, s, &b);
		prepping = 1;
	}
	for (size_t i = 0; i < b.n; i++) {
		const struct pm_entry *e = &b.v[i];
		struct pm_err herr;
		int hrc;

		pm_err_init(&herr);
		if (e->deliveries > pm_queue_max_deliveries(q)) {
			if (prepping && prep.threaded) { /* made ahead: hand it back */
				const struct pm_err *why;
				prep_done(&prep, i, prep_get(&prep, i, &why));
			}
			if (pm_queue_dead(q, s->name, s->stream, s->name, e,
					  "delivered too many times", err) < 0) {
				rc = -1;
				goto out;
			}
			(*done)++;
			continue;
		}
		if (prepping) {
			const struct pm_err *why;
			void *v = prep_get(&prep, i, &why);
			hrc = s->handle_prepared(s->ctx, q, e, v, why, &herr);
			prep_done(&prep, i, v);
		} else {
			hrc = s->handle(s->ctx, q, e, &herr);
		}
		if (hrc == 0) {
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
	if (prepping) { /* the helper is done with b before anything is freed */
		prep_end(&prep);
		prepping = 0;
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
	if (prepping)
		prep_end(&prep);
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
	o = pm_json_loadb(raw, len, 0, &jerr);
	if (!json_is_object(o)) {
		pm_err_set(err, PM_EINPUT, "entry %s: '%s' is not a JSON object: %s", e->id,
			   field, o ? "another JSON value" : jerr.text);
		json_decref(o);
		return NULL;
	}
	return o;
}

/* ---- article encoding ----
 * json_dumps(JSON_COMPACT) walks every string one code point at a time
 * through a callback; on the parse worker that was a quarter of its CPU.
 * This writer produces the same bytes (jansson 2.14's dump.c: members in
 * insertion order, "," and ":" without spaces, escapes only '"', '\\' and
 * code points below 0x20 — \b \f \n \r \t, else \u00XX in upper case —
 * and refuses text that is not UTF-8 as jansson's utf8_check_* does) and
 * copies runs of plain ASCII 8 bytes at a time. What it does not write
 * itself (reals, deep nesting) it asks json_dumps for, so the two never
 * differ; test_queue compares them. */

struct jw {
	char *p;
	size_t len, cap;
	const json_t *last; /* the last string written, and where: text and */
	size_t last_off, last_n; /* summary are often one json_t */
};

static inline void jw_need(struct jw *w, size_t n)
{
	if (w->cap - w->len >= n)
		return;
	while (w->cap - w->len < n)
		w->cap = w->cap ? w->cap * 2 : 4096;
	w->p = xrealloc(w->p, w->cap);
}

static void jw_put(struct jw *w, const char *s, size_t n)
{
	jw_need(w, n);
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static inline void jw_putc(struct jw *w, char c)
{
	jw_need(w, 1);
	w->p[w->len++] = c;
}

static int jw_string(struct jw *w, const char *str, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	char *o;

	/* one reservation for the worst case: every byte as \u00XX */
	jw_need(w, n * 6 + 2);
	o = w->p + w->len;
	*o++ = '"';
	while (i < n) {
		uint64_t x;

		if (n - i >= 8) {
			memcpy(&x, s + i, 8);
			if (!pm_json_special8(x)) {
				memcpy(o, s + i, 8);
				o += 8;
				i += 8;
				continue;
			}
		}
		unsigned char c = s[i];
		if (c >= 0x80) {
			size_t k = pm_json_utf8_len(s + i, n - i);
			if (!k)
				return -1;
			memcpy(o, s + i, k);
			o += k;
			i += k;
			continue;
		}
		i++;
		if (c >= 0x20 && c != '"' && c != '\\') {
			*o++ = (char)c;
			continue;
		}
		*o++ = '\\';
		switch (c) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			memcpy(o, "u00", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			o += 5;
		}
	}
	*o++ = '"';
	w->len = (size_t)(o - w->p);
	return 0;
}

/* Nesting past this goes to json_dumps whole: articles are two deep. */
#define JW_MAX_DEPTH 32

static int jw_value(struct jw *w, const json_t *v, int depth)
{
	char num[32];
	int k;

	switch (json_typeof(v)) {
	case JSON_STRING: {
		size_t off = w->len, n = json_string_length(v);
		if (v == w->last) {
			jw_need(w, w->last_n);
			memcpy(w->p + w->len, w->p + w->last_off, w->last_n);
			w->len += w->last_n;
			return 0;
		}
		if (jw_string(w, json_string_value(v), n) < 0)
			return -1;
		w->last = v;
		w->last_off = off;
		w->last_n = w->len - off;
		return 0;
	}
	case JSON_NULL:
		jw_put(w, "null", 4);
		return 0;
	case JSON_TRUE:
		jw_put(w, "true", 4);
		return 0;
	case JSON_FALSE:
		jw_put(w, "false", 5);
		return 0;
	case JSON_INTEGER:
		k = snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		if (k < 0 || (size_t)k >= sizeof(num))
			return -1;
		jw_put(w, num, (size_t)k);
		return 0;
	case JSON_ARRAY:
		if (depth >= JW_MAX_DEPTH)
			return -1;
		jw_putc(w, '[');
		for (size_t i = 0, n = json_array_size(v); i < n; i++) {
			if (i)
				jw_putc(w, ',');
			if (jw_value(w, json_array_get(v, i), depth + 1) < 0)
				return -1;
		}
		jw_putc(w, ']');
		return 0;
	case JSON_OBJECT: {
		void *it = json_object_iter((json_t *)v);
		if (depth >= JW_MAX_DEPTH)
			return -1;
		jw_putc(w, '{');
		for (int first = 1; it; it = json_object_iter_next((json_t *)v, it), first = 0) {
			if (!first)
				jw_putc(w, ',');
			if (jw_string(w, json_object_iter_key(it), json_object_iter_key_len(it)) < 0)
				return -1;
			jw_putc(w, ':');
			if (jw_value(w, json_object_iter_value(it), depth + 1) < 0)
				return -1;
		}
		jw_putc(w, '}');
		return 0;
	}
	default: {
		/* a real: jansson's own shortest round-trip form */
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!s)
			return -1;
		jw_put(w, s, strlen(s));
		free(s);
		return 0;
	}
	}
}

/* The text written, NUL-terminated, handed to the caller. */
static char *jw_finish(struct jw *w, size_t *out_len)
{
	jw_need(w, 1);
	w->p[w->len] = '\0';
	if (out_len)
		*out_len = w->len;
	return w->p;
}

char *pm_article_json(json_t *article, size_t *out_len)
{
	struct jw w = { 0 };
	char *s;

	if (json_is_object(article) && jw_value(&w, article, 0) == 0)
		return jw_finish(&w, out_len);
	/* text that is not UTF-8, or nesting we leave to jansson (which
	 * refuses the first too) */
	free(w.p);
	s = json_dumps(article, JSON_COMPACT);
	if (s && out_len)
		*out_len = strlen(s);
	return s;
}

int pm_queue_add_article(struct pm_queue *q, const char *stream, json_t *article,
			 struct pm_err *err)
{
	const char *id = json_string_value(json_object_get(article, "id"));
	size_t n = 0;
	char *out = pm_article_json(article, &n);

	if (!out)
		return pm_err_set(err, PM_EINPUT, "article cannot be serialized");
	{
		struct pm_field f[2] = { { "id", id ? id : "", id ? strlen(id) : 0 },
					 { "article", out, n } };
		pm_queue_pipe_add(q, stream, f, 2);
	}
	free(out);
	return 0;
}

char *pm_json_splice_members(const char *raw, size_t len, json_t *parsed, json_t *added,
			     size_t *out_len)
{
	struct jw w = { 0 };
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
	/* the members through the same writer as pm_article_json (json_dumps
	 * per member was a seventh of the classifier's instructions) */
	jw_put(&w, raw, len - 1);
	json_object_foreach(added, key, v) {
		jw_putc(&w, ',');
		if (jw_string(&w, key, strlen(key)) < 0)
			goto fail;
		jw_putc(&w, ':');
		if (jw_value(&w, v, 1) < 0)
			goto fail;
	}
	jw_putc(&w, '}');
	return jw_finish(&w, out_len);
fail:
	free(w.p);
	return NULL;
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
