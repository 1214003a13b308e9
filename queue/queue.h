/* queue: everything pressmon keeps in Redis — streams with consumer groups
 * (at-least-once delivery, claims of stale entries, dead letters), the
 * shared fetch schedule, per-feed state and duplicate suppression. The only
 * module that includes hiredis. */
#ifndef PM_QUEUE_H
#define PM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

/* Stream names (without prefix). */
#define PM_STREAM_RAW "raw"
#define PM_STREAM_PAGES "pages"
#define PM_STREAM_ARTICLES "articles"
#define PM_STREAM_TAGGED "tagged"
#define PM_STREAM_DEAD "dead"

struct pm_queue;

struct pm_queue_opts {
	const char *url;        /* redis://[:pw@]host:port[/db] or unix:///path */
	const char *prefix;     /* key prefix, default "pm:" */
	int claim_idle_ms;      /* pending entries idle longer are claimed (60000) */
	int max_deliveries;     /* more deliveries than this go to dead (5) */
	long maxlen;            /* approximate MAXLEN for XADD (1000000) */
	int connect_timeout_ms; /* 5000 */
};

void pm_queue_opts_init(struct pm_queue_opts *o);
/* Connects (with retries and backoff for up to connect_timeout_ms).
 * PM_EDEP when Redis cannot be reached, PM_EINPUT for a malformed URL. */
int pm_queue_connect(const struct pm_queue_opts *o, struct pm_queue **out, struct pm_err *err);
void pm_queue_free(struct pm_queue *q);
/* The URL with any password replaced by "***", for logs. Borrowed. */
const char *pm_queue_url_safe(const struct pm_queue *q);

/* A field of a stream entry; value is binary-safe. */
struct pm_field {
	const char *name;
	const char *value;
	size_t len;
};

struct pm_entry {
	char id[48];          /* stream entry id */
	struct pm_field *f;   /* owned by the batch */
	size_t nf;
	long long deliveries; /* 1 for a first delivery */
};

/* Borrowed value of field name, or NULL; *len (may be NULL) its length. */
const char *pm_entry_get(const struct pm_entry *e, const char *name, size_t *len);

struct pm_batch {
	struct pm_entry *v;
	size_t n;
	void *priv;           /* the replies that own the strings */
};
void pm_batch_release(struct pm_batch *b);

/* XADD with approximate MAXLEN trimming. fields may repeat no name. */
int pm_queue_add(struct pm_queue *q, const char *stream,
		 const struct pm_field *f, size_t nf, struct pm_err *err);
/* Creates the consumer group (and the stream) if missing. */
int pm_queue_group(struct pm_queue *q, const char *stream, const char *group,
		   struct pm_err *err);
/* Up to count entries for consumer: first entries of other consumers idle
 * longer than claim_idle_ms (XAUTOCLAIM), then new ones (XREADGROUP, waiting
 * up to block_ms; 0 = do not wait). out is replaced; on -1 it is empty. */
int pm_queue_read(struct pm_queue *q, const char *stream, const char *group,
		  const char *consumer, size_t count, int block_ms,
		  struct pm_batch *out, struct pm_err *err);
int pm_queue_ack(struct pm_queue *q, const char *stream, const char *group,
		 const char *const *ids, size_t n, struct pm_err *err);
/* Copies e to the dead stream with stage, source stream, error and
 * delivery count, then acknowledges it on stream/group. */
int pm_queue_dead(struct pm_queue *q, const char *stage, const char *stream,
		  const char *group, const struct pm_entry *e, const char *error,
		  struct pm_err *err);

struct pm_group_info {
	long long length;      /* stream length */
	long long pending;     /* delivered, not acknowledged */
	long long lag;         /* not yet delivered to the group (-1 unknown) */
	long long oldest_idle_ms;
	long long consumers;
};
int pm_queue_group_info(struct pm_queue *q, const char *stream, const char *group,
			struct pm_group_info *out, struct pm_err *err);
long long pm_queue_stream_len(struct pm_queue *q, const char *stream);
int pm_queue_max_deliveries(const struct pm_queue *q);

/* Processing rate. pm_queue_add and pm_queue_ack count into per-second
 * buckets of the Redis server's clock (key rate:{second}, 180 s TTL),
 * pipelined with the command they count. pm_queue_rate sums the buckets of
 * seconds from_s..to_s (inclusive, at most PM_RATE_MAX_SECONDS): *added,
 * entries added to stream; *acked, entries of stream acknowledged by group
 * (group NULL: none). pm_queue_rate_minute sums the 60 whole seconds before
 * the current one. */
#define PM_RATE_MAX_SECONDS 3600
int pm_queue_rate(struct pm_queue *q, const char *stream, const char *group,
		  int64_t from_s, int64_t to_s, long long *added, long long *acked,
		  struct pm_err *err);
int pm_queue_rate_minute(struct pm_queue *q, const char *stream, const char *group,
			 long long *added, long long *acked, struct pm_err *err);
/* Now on the Redis server's clock (ms since the epoch), as measured at
 * connect time; our own clock if the server has no TIME. */
int64_t pm_queue_clock_ms(const struct pm_queue *q);

/* Fetch schedule: sorted set feed id -> due time (ms). */
int pm_queue_sched_add(struct pm_queue *q, const char *feed, int64_t due_ms,
		       int only_if_absent, struct pm_err *err);
/* Atomically claims up to max feeds due at now_ms, pushing each to
 * now_ms + lease_ms so no other worker takes it meanwhile. *ids (OUT) is an
 * array of *n strings the caller frees with pm_strv_free. */
int pm_queue_sched_claim(struct pm_queue *q, int64_t now_ms, int64_t lease_ms,
			 size_t max, char ***ids, size_t *n, struct pm_err *err);
int pm_queue_sched_remove(struct pm_queue *q, const char *feed, struct pm_err *err);
/* Earliest due time, or -1 when the schedule is empty. */
int64_t pm_queue_sched_next(struct pm_queue *q);
void pm_strv_free(char **v, size_t n);

/* Per-feed state hash (etag, last_modified, status, failures, ...). */
int pm_queue_feed_set(struct pm_queue *q, const char *feed,
		      const struct pm_field *f, size_t nf, struct pm_err *err);
/* Returns a new array of *n fields (names and values owned by it); free
 * with pm_fields_free. */
int pm_queue_feed_get(struct pm_queue *q, const char *feed,
		      struct pm_field **f, size_t *n, struct pm_err *err);
int pm_queue_feed_incr(struct pm_queue *q, const char *feed, const char *field,
		       long long by, long long *result, struct pm_err *err);
void pm_fields_free(struct pm_field *f, size_t n);
/* The state of many feeds in one round trip: *out (OUT) gets n sets in the
 * order of feeds; free with pm_fieldsets_free(*out, n). */
struct pm_fieldset {
	struct pm_field *f;
	size_t n;
};
int pm_queue_feed_get_many(struct pm_queue *q, const char *const *feeds, size_t n,
			   struct pm_fieldset **out, struct pm_err *err);
void pm_fieldsets_free(struct pm_fieldset *v, size_t n);
const char *pm_fields_get(const struct pm_field *f, size_t n, const char *name);

/* Duplicate suppression, in two steps so that a crash between them can
 * only repeat work, never lose it: check before writing downstream, mark
 * after. check returns 1 when key was never marked, 0 when marked with the
 * same value, 2 when marked with another value (the article changed), -1 on
 * error. */
int pm_queue_seen_check(struct pm_queue *q, const char *key, const char *value,
			struct pm_err *err);
int pm_queue_seen_mark(struct pm_queue *q, const char *key, const char *value,
		       int ttl_s, struct pm_err *err);
/* The check for n keys at once: res[i] as pm_queue_seen_check returns it. */
int pm_queue_seen_check_many(struct pm_queue *q, const char *const *keys,
			     const char *const *values, size_t n, int *res, struct pm_err *err);

/* Pipelined writes, for a worker with many small updates at once: the
 * pm_queue_pipe_* calls append a command instead of running it, and
 * pm_queue_pipe_flush sends them all in one round trip. Commands between
 * pipe_begin and pipe_end form a unit that Redis runs as one MULTI/EXEC
 * transaction: if a command of it cannot be queued, none of it runs. No
 * other queue call may come between pipe_begin and pipe_end; any other call
 * sends what is pending first. A failure (error reply, lost connection) is
 * reported by the next pm_queue_pipe_flush: -1, *failed (may be NULL) the
 * number of units and lone commands that failed, err the first failure. */
void pm_queue_pipe_begin(struct pm_queue *q);
void pm_queue_pipe_end(struct pm_queue *q);
void pm_queue_pipe_add(struct pm_queue *q, const char *stream, const struct pm_field *f,
		       size_t nf);
void pm_queue_pipe_ack(struct pm_queue *q, const char *stream, const char *group,
		       const char *const *ids, size_t n);
void pm_queue_pipe_feed_set(struct pm_queue *q, const char *feed,
			    const struct pm_field *f, size_t nf);
void pm_queue_pipe_sched_add(struct pm_queue *q, const char *feed, int64_t due_ms,
			     int only_if_absent);
void pm_queue_pipe_sched_remove(struct pm_queue *q, const char *feed);
void pm_queue_pipe_seen_mark(struct pm_queue *q, const char *key, const char *value,
			     int ttl_s);
int pm_queue_pipe_flush(struct pm_queue *q, size_t *failed, struct pm_err *err);
/* Replies owed by commands not yet flushed. */
size_t pm_queue_pipe_pending(const struct pm_queue *q);

/* Deletes every key under the prefix (tests and `--reset`). */
int pm_queue_flush_prefix(struct pm_queue *q, struct pm_err *err);

#endif
