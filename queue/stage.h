/* queue/stage: the loop every stream-consuming stage shares — read a
 * batch for the stage's consumer group, handle each entry, make the effects
 * durable, then acknowledge; retry or dead-letter what failed. */
#ifndef PM_QUEUE_STAGE_H
#define PM_QUEUE_STAGE_H

#include <jansson.h>
#include <stddef.h>

#include "core/err.h"
#include "queue/queue.h"

struct pm_stage {
	const char *name;    /* consumer group; also the stage named in dead letters */
	const char *stream;  /* input stream */
	/* Handles one entry and writes its output downstream. Returns 0 (the
	 * entry will be acknowledged after flush) or -1: with err->code
	 * PM_EINPUT the entry goes to dead at once; otherwise it stays pending
	 * and is retried, and goes to dead after max_deliveries. */
	int (*handle)(void *ctx, struct pm_queue *q, const struct pm_entry *e,
		      struct pm_err *err);
	/* Optional: makes the batch durable (e.g. a database commit) before
	 * any entry is acknowledged. On -1 nothing is acknowledged. */
	int (*flush)(void *ctx, struct pm_err *err);
	void *ctx;
	size_t max_batch;    /* 0, or a cap on entries per turn (large entries) */
	size_t batch;        /* 0, or the entries per turn this stage takes when
			      * the operator did not choose (a costly commit) */
	/* Optional, with handle_prepared: the part of handling that needs the
	 * entry alone (parsing, hashing), run on a helper thread ahead of the
	 * handler, so that a stage whose handler is bound to one thread (a
	 * database writer) uses a second core. Must not touch anything but
	 * the entry and what ctx holds unchanged. Returns what
	 * handle_prepared gets, or NULL with err set (then handle_prepared
	 * gets NULL and that error, and decides as handle would). */
	void *(*prepare)(void *ctx, const struct pm_entry *e, struct pm_err *err);
	/* Replaces handle (then NULL) when prepare is set; prep stays the
	 * caller's, who frees it with prep_free (on the thread that made it). */
	int (*handle_prepared)(void *ctx, struct pm_queue *q, const struct pm_entry *e,
			       void *prep, const struct pm_err *prep_err, struct pm_err *err);
	void (*prep_free)(void *prep);
	/* Optional: whether a helper thread may prepare now (NULL: always).
	 * Asked when a turn starts and again every 256 entries, so
	 * that a helper starts in mid-turn once the answer turns to yes
	 * (`run`: once the stages before the archive have nothing to do and
	 * the other core is free). */
	int (*prep_now)(void *arg);
	void *prep_now_arg;
};

/* One turn: claims stale entries or reads new ones (up to count, waiting
 * up to block_ms), handles, sends the pipelined writes of the handlers,
 * flushes, acknowledges. *done (OUT) is the
 * number of entries taken off the stream (handled or dead-lettered). */
int pm_stage_step(struct pm_queue *q, const struct pm_stage *s,
		  const char *consumer, size_t count, int block_ms,
		  size_t *done, struct pm_err *err);

/* *pending (OUT): entries delivered to the group and not acknowledged. */
int pm_stage_pending(struct pm_queue *q, const struct pm_stage *s,
		     long long *pending, struct pm_err *err);

/* The JSON object in field `field` of e (a new reference), or NULL with a
 * PM_EINPUT error naming the entry: what every stage reads. */
json_t *pm_entry_object(const struct pm_entry *e, const char *field, struct pm_err *err);

/* Writes article (its "id" and its compact JSON as "article") to stream:
 * what every stage writes. The write is pipelined (queue.h): pm_stage_step
 * sends it, with the others of the batch, before it acknowledges anything,
 * and acknowledges nothing if it failed. */
int pm_queue_add_article(struct pm_queue *q, const char *stream, json_t *article,
			 struct pm_err *err);

/* article's compact JSON, byte for byte what json_dumps(article,
 * JSON_COMPACT) writes (a new string, *out_len its length; NULL where
 * json_dumps fails: text that is not UTF-8). */
char *pm_article_json(json_t *article, size_t *out_len /* OUT, may be NULL */);

/* The same, for an article that is the entry field raw (len bytes, the
 * compact JSON that `parsed` was read from) plus the members of `added`:
 * raw is written with those members spliced in before its closing brace
 * instead of the whole article being encoded again (the classifier adds
 * tags to a 3 KB article: encoding all of it was a sixth of its work).
 * When parsed already has one of added's keys, or is empty, the merged
 * object is encoded as pm_queue_add_article would. */
int pm_queue_add_article_plus(struct pm_queue *q, const char *stream, const char *raw,
			      size_t len, json_t *parsed, json_t *added, struct pm_err *err);

/* raw (the JSON object parsed was read from) with added's members spliced
 * in before its closing brace; NULL where that cannot be done (see above).
 * Exposed for its test. */
char *pm_json_splice_members(const char *raw, size_t len, json_t *parsed, json_t *added,
			     size_t *out_len);

#endif
