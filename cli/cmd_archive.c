/* cli/cmd_archive: 'pressmon archive' — the archive worker (no subcommand),
 * 'import FILE.ndjson' (backfill) and 'export [filters]' (migration). */
#include "archive/archive.h"
#include "classify/classify.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/hash.h"
#include "core/json_read.h"
#include "core/mem.h"
#include "core/time.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_MAX_LINE (16u << 20) /* one article line, bytes */
#define IMPORT_BATCH 5000           /* articles per transaction: FTS5 writes a segment per commit */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: pressmon archive [--once] [worker options]   worker: tagged -> SQLite\n"
		"       pressmon archive import FILE.ndjson [--db PATH] [--rules DIR]\n"
		"       pressmon archive export [query filters] [--full] [TEXT]\n"
		"       pressmon archive prune [--before DATE] [--keep-text DAYS] [--db PATH]\n"
		"import: one article object per line; a missing id comes from the url, an\n"
		"article without \"tags\" is classified with the rules first. Import is\n"
		"idempotent: after fixing a bad line, run it again.\n");
}

/* ---- classification of untagged articles on import ---- */

/* Classifies art in place with the rule files of rules_dir (loaded on first
 * use into *rules): sets "tags" and, unless the article has its own,
 * "misinfo". Kept apart so the classify module is the only thing it needs. */
static int classify_article(json_t *art, const char *rules_dir, struct pm_rules **rules,
			    struct pm_err *err)
{
	struct pm_doc doc;
	json_t *res;

	if (!*rules && pm_rules_load_dir(rules_dir, rules, err))
		return pm_err_prefix(err, "cannot load rules from '%s'", rules_dir);
	doc.title = json_string_value(json_object_get(art, "title"));
	doc.summary = json_string_value(json_object_get(art, "summary"));
	doc.text = json_string_value(json_object_get(art, "text"));
	doc.lang = json_string_value(json_object_get(art, "lang"));
	res = pm_classify(*rules, &doc);
	if (!res)
		return pm_err_set(err, PM_ERUNTIME, "the classifier returned nothing");
	json_object_set(art, "tags", json_object_get(res, "tags"));
	if (!json_object_get(art, "misinfo"))
		json_object_set(art, "misinfo", json_object_get(res, "misinfo"));
	json_decref(res);
	return 0;
}

/* ---- import ---- */

/* Reads one line into b (without the newline). Returns 1 for a line, 0 at
 * the end, -1 for a line longer than the cap (its rest is skipped). */
static int read_line(FILE *f, struct pm_buf *b)
{
	char chunk[8192];
	int too_long = 0, got = 0;

	pm_buf_reset(b);
	pm_buf_add(b, "", 0);
	while (fgets(chunk, sizeof(chunk), f)) {
		size_t n = strlen(chunk);
		int eol = n && chunk[n - 1] == '\n';
		got = 1;
		if (!too_long && pm_buf_add(b, chunk, n - (size_t)eol) < 0)
			too_long = 1;
		if (eol)
			break;
	}
	if (!got)
		return 0;
	return too_long ? -1 : 1;
}

/* Gives art an id from its url when it has none. */
static int derive_id(json_t *art, struct pm_err *err)
{
	json_t *url;
	char hex[17];

	if (json_object_get(art, "id") && !json_is_null(json_object_get(art, "id")))
		return 0;
	url = json_object_get(art, "url");
	if (!json_is_string(url) || !*json_string_value(url))
		return pm_err_set(err, PM_EINPUT, "field 'id' is missing and there is no 'url' to derive it from");
	/* TODO(lead): use the parse module's canonical-URL id when merging */
	pm_id_hex(pm_hash64(json_string_value(url), strlen(json_string_value(url))), hex);
	json_object_set_new(art, "id", json_string(hex));
	return 0;
}

/* The import runs in two threads: a reader parses the lines (JSON,
 * classification of untagged articles, pm_archive_prepare: validation,
 * change hash, MinHash) while the main thread stores the previous ones
 * and commits. Each chunk of articles has one owner at a time, the queue
 * between them is the only thing both touch, and the reader stays at most
 * IMPORT_AHEAD chunks (one batch) ahead, so memory stays bounded. The
 * writer hands each stored chunk back for the reader to free: what a
 * thread allocates goes back to its own glibc arena without a lock, and the
 * writer freeing the reader's objects had been a sixth of its time, much of
 * it waiting for that arena's lock. */
#define IMPORT_CHUNK 250
#define IMPORT_AHEAD (IMPORT_BATCH / IMPORT_CHUNK)

struct imp_chunk {
	struct imp_chunk *next;
	struct pm_archive_item *items[IMPORT_CHUNK];
	size_t lines[IMPORT_CHUNK];
	size_t n;
	int end;          /* the reader's last chunk: why it stopped follows */
	int code;         /* 0: end of input; PM_EINPUT: a bad line (msg); else err */
	char *msg;        /* "FILE:LINE: what", printed after the items before it */
	struct pm_err err;
};

struct imp_reader {
	FILE *f;
	const char *path, *rules_dir;
	struct pm_rules *rules;
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	struct imp_chunk *head, *tail;
	struct imp_chunk *done; /* stored by the writer, for the reader to free */
	size_t queued;
	int quit;         /* the writer stopped: the reader stops too */
};

static void imp_chunk_free(struct imp_chunk *c)
{
	for (size_t i = 0; i < c->n; i++)
		pm_archive_item_free(c->items[i]);
	free(c->msg);
	free(c);
}

/* Frees a list of chunks (linked by next). */
static void imp_chunks_free(struct imp_chunk *c)
{
	while (c) {
		struct imp_chunk *next = c->next;
		imp_chunk_free(c);
		c = next;
	}
}

/* Hands c to the writer, waiting while the queue is full, and frees the
 * chunks the writer is done with. -1 (c freed) once the writer has quit. */
static int imp_push(struct imp_reader *rd, struct imp_chunk *c)
{
	struct imp_chunk *done;

	pthread_mutex_lock(&rd->mu);
	while (rd->queued >= IMPORT_AHEAD && !rd->quit)
		pthread_cond_wait(&rd->room, &rd->mu);
	done = rd->done;
	rd->done = NULL;
	if (rd->quit) {
		pthread_mutex_unlock(&rd->mu);
		imp_chunks_free(done);
		imp_chunk_free(c);
		return -1;
	}
	if (rd->tail)
		rd->tail->next = c;
	else
		rd->head = c;
	rd->tail = c;
	rd->queued++;
	pthread_cond_signal(&rd->more);
	pthread_mutex_unlock(&rd->mu);
	imp_chunks_free(done);
	return 0;
}

/* The writer is done with c: back to the reader, which frees it. */
static void imp_give_back(struct imp_reader *rd, struct imp_chunk *c)
{
	pthread_mutex_lock(&rd->mu);
	c->next = rd->done;
	rd->done = c;
	pthread_mutex_unlock(&rd->mu);
}

static struct imp_chunk *imp_pop(struct imp_reader *rd)
{
	struct imp_chunk *c;

	pthread_mutex_lock(&rd->mu);
	while (!rd->head)
		pthread_cond_wait(&rd->more, &rd->mu);
	c = rd->head;
	rd->head = c->next;
	if (!rd->head)
		rd->tail = NULL;
	rd->queued--;
	pthread_cond_signal(&rd->room);
	pthread_mutex_unlock(&rd->mu);
	return c;
}

static void *imp_read(void *arg)
{
	struct imp_reader *rd = arg;
	struct imp_chunk *c = xcalloc(1, sizeof(*c));
	struct pm_buf lb;
	size_t lineno = 0, len;
	struct pm_err err;
	int rl;

	pm_buf_init(&lb, IMPORT_MAX_LINE);
	while ((rl = read_line(rd->f, &lb)) != 0) {
		json_t *art;
		json_error_t jerr;
		struct pm_archive_item *it;
		char *line;

		lineno++;
		line = lb.data;
		len = lb.len;
		if (rl < 0) {
			c->msg = xasprintf("%s:%zu: line longer than %u bytes", rd->path, lineno,
					   IMPORT_MAX_LINE);
			break;
		}
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len || strspn(line, " \t") == len)
			continue;
		art = pm_json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
		if (!art) {
			c->msg = xasprintf("%s:%zu:%d: invalid JSON: %s", rd->path, lineno,
					   jerr.column, jerr.text);
			break;
		}
		if (!json_is_object(art)) {
			json_decref(art);
			c->msg = xasprintf("%s:%zu: not a JSON object", rd->path, lineno);
			break;
		}
		pm_err_init(&err);
		if (derive_id(art, &err) ||
		    (!json_object_get(art, "tags") &&
		     classify_article(art, rd->rules_dir, &rd->rules, &err)) ||
		    pm_archive_prepare(art, &it, &err)) {
			json_decref(art);
			if (err.code != PM_EINPUT) {
				c->code = err.code;
				c->err = err;
			} else {
				c->msg = xasprintf("%s:%zu: %s", rd->path, lineno, err.msg);
			}
			break;
		}
		json_decref(art); /* the item holds its own reference */
		c->items[c->n] = it;
		c->lines[c->n++] = lineno;
		if (c->n == IMPORT_CHUNK) {
			if (imp_push(rd, c)) {
				pm_buf_release(&lb);
				return NULL;
			}
			c = xcalloc(1, sizeof(*c));
		}
	}
	if (!rl && ferror(rd->f))
		c->msg = xasprintf("cannot read '%s': %s", rd->path, strerror(errno));
	if (c->msg)
		c->code = PM_EINPUT;
	c->end = 1;
	imp_push(rd, c);
	pm_buf_release(&lb);
	return NULL;
}

static int do_import(struct cli_env *env, const char *path)
{
	struct pm_archive *a = NULL;
	struct imp_reader rd;
	struct imp_chunk *c = NULL;
	struct pm_err err;
	pthread_t th;
	int started = 0;
	long long n = 0, in_batch = 0;
	int ret = PM_EINPUT;

	pm_err_init(&err);
	memset(&rd, 0, sizeof(rd));
	rd.path = path;
	rd.rules_dir = cli_rules_dir(env);
	rd.f = !strcmp(path, "-") ? stdin : fopen(path, "r");
	if (!rd.f) {
		fprintf(stderr, "pressmon: cannot open '%s': %s\n", path, strerror(errno));
		return PM_EINPUT;
	}
	if (pm_archive_open(env->db, PM_ARCHIVE_WRITE, &a, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	/* the reader leaves half a core idle: checkpoints after most commits
	 * (5,000 articles are some 3,300 pages) instead of all at the close.
	 * 20,000 articles, six alternating rounds: 2.28 s wall on average
	 * without, 1.84 s with 8,192, 1.97 s with 4,096 */
	pm_archive_checkpoint_at(a, 8192);
	pthread_mutex_init(&rd.mu, NULL);
	pthread_cond_init(&rd.more, NULL);
	pthread_cond_init(&rd.room, NULL);
	if (pthread_create(&th, NULL, imp_read, &rd)) {
		fprintf(stderr, "pressmon: cannot start the import's reader thread\n");
		ret = PM_ERUNTIME;
		goto out;
	}
	started = 1;
	for (;;) {
		c = imp_pop(&rd);
		for (size_t i = 0; i < c->n; i++) {
			if (!in_batch && pm_archive_begin(a, &err)) {
				ret = cli_fail(&err);
				goto out;
			}
			in_batch++;
			if (pm_archive_put_item(a, c->items[i], &err)) {
				if (err.code != PM_EINPUT) {
					ret = cli_fail(&err);
					goto fail_batch;
				}
				fprintf(stderr, "pressmon: %s:%zu: %s\n", path, c->lines[i], err.msg);
				goto bad;
			}
			n++;
			if (in_batch >= IMPORT_BATCH) {
				if (pm_archive_commit(a, &err)) {
					ret = cli_fail(&err);
					goto out;
				}
				in_batch = 0;
			}
		}
		if (c->end)
			break;
		imp_give_back(&rd, c);
		c = NULL;
	}
	if (c->code == PM_EINPUT) {
		fprintf(stderr, "pressmon: %s\n", c->msg);
		goto bad;
	}
	if (c->code) {
		ret = cli_fail(&c->err);
		goto fail_batch;
	}
	/* and searchable: the full-text index follows on its own thread */
	if ((in_batch && pm_archive_commit(a, &err)) || pm_archive_sync(a, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	fprintf(stderr, "pressmon: imported %lld articles from '%s'\n", n, path);
	ret = 0;
	goto out;
bad:
	/* the good lines before this one are kept: import is idempotent */
	ret = PM_EINPUT;
	if (in_batch && pm_archive_commit(a, &err))
		ret = cli_fail(&err);
	goto out;
fail_batch:
	pm_archive_rollback(a);
out:
	if (c)
		imp_chunk_free(c);
	if (started) {
		pthread_mutex_lock(&rd.mu);
		rd.quit = 1;
		pthread_cond_broadcast(&rd.room);
		pthread_mutex_unlock(&rd.mu);
		pthread_join(th, NULL);
		imp_chunks_free(rd.head);
		imp_chunks_free(rd.done);
	}
	if (a) {
		pthread_mutex_destroy(&rd.mu);
		pthread_cond_destroy(&rd.more);
		pthread_cond_destroy(&rd.room);
	}
	if (rd.f != stdin)
		fclose(rd.f);
	pm_rules_free(rd.rules);
	pm_archive_close(a);
	return ret;
}

static int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = { CLI_COMMON_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cli_env env;
	int c, r;

	cli_env_init(&env);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == '?')
			return cli_usage("archive import", "unknown option");
		r = cli_common_opt(&env, c, optarg);
		if (r == 2) {
			usage(stdout);
			return 0;
		}
		if (r <= 0)
			return PM_EINPUT;
	}
	if (argc - optind != 1)
		return cli_usage("archive import", "give one FILE.ndjson (or - for stdin)");
	return do_import(&env, argv[optind]);
}

/* pressmon archive prune [--before DATE] [--keep-text DAYS] */
static int cmd_prune(int argc, char **argv)
{
	enum { OPT_BEFORE = 3000, OPT_KEEP_TEXT };
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "before", required_argument, NULL, OPT_BEFORE },
		{ "keep-text", required_argument, NULL, OPT_KEEP_TEXT },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_env env;
	struct pm_archive *a = NULL;
	struct pm_err err;
	time_t before = 0, strip = 0, end;
	long long deleted, stripped;
	long days;
	int c, r, y, m, d;

	cli_env_init(&env);
	pm_err_init(&err);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_BEFORE:
			if (pm_date_parse(optarg, &y, &m, &d) || pm_day_bounds(y, m, d, NULL, &before, &end))
				return cli_usage("archive prune", "--before '%s' is not a date YYYY-MM-DD", optarg);
			break;
		case OPT_KEEP_TEXT:
			if (cli_parse_int(optarg, 0, 100000, &days))
				return cli_usage("archive prune", "--keep-text '%s' is not a number of days", optarg);
			strip = (time_t)(pm_now_ms() / 1000) - (time_t)days * 86400;
			break;
		case '?':
			return cli_usage("archive prune", "unknown option '%s'", argv[optind - 1]);
		default:
			r = cli_common_opt(&env, c, optarg);
			if (r == 2) {
				usage(stdout);
				return 0;
			}
			if (r <= 0)
				return PM_EINPUT;
		}
	}
	if (optind < argc)
		return cli_usage("archive prune", "unexpected argument '%s'", argv[optind]);
	if (!before && !strip)
		return cli_usage("archive prune", "give --before DATE, --keep-text DAYS or both");
	if (pm_archive_open(env.db, PM_ARCHIVE_WRITE, &a, &err) ||
	    pm_archive_prune(a, before, strip, &deleted, &stripped, &err)) {
		pm_archive_close(a);
		return cli_fail(&err);
	}
	pm_archive_close(a);
	printf("deleted %lld articles, dropped the text of %lld\n", deleted, stripped);
	return 0;
}

int cmd_archive(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "prune"))
		return cmd_prune(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "import"))
		return cmd_import(argc - 1, argv + 1);
	if (argc >= 2 && !strcmp(argv[1], "export"))
		return cli_query_main(argc - 1, argv + 1, 1);
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2 && argv[1][0] != '-')
		return cli_usage("archive", "'%s' is not import, export or prune", argv[1]);
	return cli_worker_main("archive", argc, argv);
}
