/* cli/cmd_status: 'pressmon status' — streams and their consumer groups,
 * their processing rate over the last minute, dead letters, feed health and
 * the archive's size, as text, JSON or the Prometheus text exposition format
 * (which 'pressmon metrics' also serves). */
#include "cli/health.h"
#include "cli/pipeline.h"
#include "cli/status.h"
#include "archive/archive.h"
#include "core/buf.h"
#include "core/time.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct { const char *stream, *group; } groups[] = {
	{ "raw", "parse" },
	{ "pages", "fetch" },
	{ "articles", "classify" },
	{ "tagged", "archive" },
};

static long long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* {"window_s":60,"added":N,"acked":M} for stream and its group. */
static json_t *rate_of(struct cli_pipeline *p, const char *stream, const char *group,
		       struct pm_err *err)
{
	long long added, acked;
	json_t *r;

	if (pm_queue_rate_minute(p->q, stream, group, &added, &acked, err) < 0)
		return NULL;
	r = json_pack("{s:i,s:I}", "window_s", 60, "added", (json_int_t)added);
	if (group)
		json_object_set_new(r, "acked", json_integer(acked));
	return r;
}

/* How far the archive's full-text index is behind its writers (it is
 * written a batch or so behind the commits, archive/ftsidx.h): "fts" is
 * false when there is no usable index, "fts_pending" the changes it has
 * still to apply. An archive that cannot be read is left to the queries
 * to report. */
static void fts_status(const char *path, int exists, json_t *arch)
{
	struct pm_archive *a = NULL;
	struct pm_err err;

	pm_err_init(&err);
	if (!exists || pm_archive_open(path, PM_ARCHIVE_QUERY, &a, &err) < 0)
		return;
	if (pm_archive_can_search(a, NULL) == 0) {
		json_object_set_new(arch, "fts", json_true());
		json_object_set_new(arch, "fts_pending", json_integer((json_int_t)pm_archive_search_lag(a)));
	} else {
		json_object_set_new(arch, "fts", json_false());
	}
	pm_archive_close(a);
}

json_t *cli_status_collect(struct cli_pipeline *p, struct pm_err *err)
{
	json_t *o = json_object(), *streams = json_object(), *feeds = json_array(), *arch;
	long long db, wal;

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		struct pm_group_info gi;
		json_t *s, *rate = NULL;
		if (pm_queue_group(p->q, groups[i].stream, groups[i].group, err) < 0 ||
		    pm_queue_group_info(p->q, groups[i].stream, groups[i].group, &gi, err) < 0 ||
		    !(rate = rate_of(p, groups[i].stream, groups[i].group, err))) {
			json_decref(o);
			json_decref(streams);
			json_decref(feeds);
			return NULL;
		}
		s = json_pack("{s:I,s:s,s:I,s:I,s:I,s:I}", "length", (json_int_t)gi.length,
			      "group", groups[i].group, "pending", (json_int_t)gi.pending,
			      "lag", (json_int_t)gi.lag, "oldest_pending_ms",
			      (json_int_t)gi.oldest_idle_ms, "consumers", (json_int_t)gi.consumers);
		json_object_set_new(s, "rate", rate);
		json_object_set_new(streams, groups[i].stream, s);
	}
	{
		json_t *rate = rate_of(p, PM_STREAM_DEAD, NULL, err);
		if (!rate) {
			json_decref(o);
			json_decref(streams);
			json_decref(feeds);
			return NULL;
		}
		json_object_set_new(streams, "dead", json_pack("{s:I,s:o}", "length",
			(json_int_t)pm_queue_stream_len(p->q, PM_STREAM_DEAD), "rate", rate));
	}
	json_object_set_new(o, "streams", streams);

	json_decref(feeds);
	feeds = cli_feed_health(p, err);
	if (!feeds) {
		json_decref(o);
		return NULL;
	}
	json_object_set_new(o, "feeds", feeds);
	db = file_size(p->env.db);
	{
		/* its WAL, and the full-text index's file and WAL beside it
		 * (archive/ftsidx.h) */
		static const char *const beside[] = { "-wal", "-fts", "-fts-wal" };
		char side[4096];
		wal = 0;
		for (size_t i = 0; i < sizeof(beside) / sizeof(beside[0]); i++) {
			long long n;
			snprintf(side, sizeof(side), "%s%s", p->env.db, beside[i]);
			n = file_size(side);
			if (n > 0)
				wal += n;
		}
	}
	arch = json_pack("{s:s,s:I}", "path", p->env.db, "bytes",
			 (json_int_t)(db < 0 ? 0 : db + (wal > 0 ? wal : 0)));
	json_object_set_new(arch, "exists", json_boolean(db >= 0));
	fts_status(p->env.db, db >= 0, arch);
	json_object_set_new(o, "archive", arch);
	json_object_set_new(o, "redis", json_string(pm_queue_url_safe(p->q)));
	return o;
}

static void print_text(json_t *o)
{
	const char *name;
	json_t *s, *f;
	size_t i;

	printf("redis   %s\n\n%-10s %10s %10s %10s %12s %10s %10s %10s\n",
	       json_string_value(json_object_get(o, "redis")), "stream", "length", "pending",
	       "lag", "oldest(s)", "consumers", "in/min", "done/min");
	json_object_foreach(json_object_get(o, "streams"), name, s) {
		json_t *rate = json_object_get(s, "rate");
		long long in = json_integer_value(json_object_get(rate, "added"));
		if (!strcmp(name, "dead")) {
			printf("%-10s %10lld %10s %10s %12s %10s %10lld\n", name,
			       (long long)json_integer_value(json_object_get(s, "length")),
			       "", "", "", "", in);
			continue;
		}
		printf("%-10s %10lld %10lld %10lld %12.1f %10lld %10lld %10lld\n", name,
		       (long long)json_integer_value(json_object_get(s, "length")),
		       (long long)json_integer_value(json_object_get(s, "pending")),
		       (long long)json_integer_value(json_object_get(s, "lag")),
		       json_integer_value(json_object_get(s, "oldest_pending_ms")) / 1000.0,
		       (long long)json_integer_value(json_object_get(s, "consumers")), in,
		       (long long)json_integer_value(json_object_get(rate, "acked")));
	}
	printf("\n%-24s %-9s %6s %8s  %s\n", "feed", "health", "status", "failures", "last ok / last error");
	json_array_foreach(json_object_get(o, "feeds"), i, f) {
		const char *err = json_string_value(json_object_get(f, "last_error"));
		const char *ok = json_string_value(json_object_get(f, "last_ok"));
		printf("%-24s %-9s %6lld %8lld  %s%s%s\n",
		       json_string_value(json_object_get(f, "id")),
		       json_string_value(json_object_get(f, "health")),
		       (long long)json_integer_value(json_object_get(f, "http_status")),
		       (long long)json_integer_value(json_object_get(f, "failures")),
		       ok ? ok : "-", err ? " / " : "", err ? err : "");
	}
	s = json_object_get(o, "archive");
	printf("\narchive %s (%lld bytes)", json_string_value(json_object_get(s, "path")),
	       (long long)json_integer_value(json_object_get(s, "bytes")));
	if (json_is_false(json_object_get(s, "fts")))
		printf(", no full-text index yet");
	else if (json_object_get(s, "fts_pending"))
		printf(", full-text index %lld changes behind",
		       (long long)json_integer_value(json_object_get(s, "fts_pending")));
	printf("\n");
}

/* A label value in the exposition format: backslash, quote and newline
 * escaped (feed ids come from feeds.conf). */
static void label(struct pm_buf *b, const char *v)
{
	for (; v && *v; v++) {
		if (*v == '\\' || *v == '"')
			pm_buf_addc(b, '\\');
		if (*v == '\n')
			pm_buf_adds(b, "\\n");
		else
			pm_buf_addc(b, *v);
	}
}

void cli_status_prometheus(json_t *o, struct pm_buf *b)
{
	static const char *metrics[] = { "length", "pending", "lag", "oldest_pending_ms", "consumers" };
	const char *name;
	json_t *s, *f;
	size_t i;

	for (size_t m = 0; m < 5; m++) {
		pm_buf_addf(b, "# HELP pressmon_stream_%s Redis stream %s (per stream and consumer group).\n"
			    "# TYPE pressmon_stream_%s gauge\n", metrics[m], metrics[m], metrics[m]);
		json_object_foreach(json_object_get(o, "streams"), name, s) {
			json_t *v = json_object_get(s, metrics[m]);
			if (v)
				pm_buf_addf(b, "pressmon_stream_%s{stream=\"%s\"} %lld\n", metrics[m], name,
					    (long long)json_integer_value(v));
		}
	}
	pm_buf_adds(b, "# HELP pressmon_stream_added_last_minute Entries added to the stream in the last 60 s.\n"
		       "# TYPE pressmon_stream_added_last_minute gauge\n");
	json_object_foreach(json_object_get(o, "streams"), name, s)
		pm_buf_addf(b, "pressmon_stream_added_last_minute{stream=\"%s\"} %lld\n", name,
			    (long long)json_integer_value(json_object_get(json_object_get(s, "rate"), "added")));
	pm_buf_adds(b, "# HELP pressmon_stream_acked_last_minute Entries the consumer group acknowledged in the last 60 s.\n"
		       "# TYPE pressmon_stream_acked_last_minute gauge\n");
	json_object_foreach(json_object_get(o, "streams"), name, s) {
		json_t *acked = json_object_get(json_object_get(s, "rate"), "acked");
		if (acked)
			pm_buf_addf(b, "pressmon_stream_acked_last_minute{stream=\"%s\",group=\"%s\"} %lld\n",
				    name, json_string_value(json_object_get(s, "group")),
				    (long long)json_integer_value(acked));
	}
	pm_buf_adds(b, "# HELP pressmon_feed_failures Consecutive failed fetches per feed.\n"
		       "# TYPE pressmon_feed_failures gauge\n");
	json_array_foreach(json_object_get(o, "feeds"), i, f) {
		pm_buf_adds(b, "pressmon_feed_failures{feed=\"");
		label(b, json_string_value(json_object_get(f, "id")));
		pm_buf_addf(b, "\",health=\"%s\"} %lld\n",
			    json_string_value(json_object_get(f, "health")),
			    (long long)json_integer_value(json_object_get(f, "failures")));
	}
	pm_buf_addf(b, "# HELP pressmon_archive_bytes Size of the archive database, its full-text index and their WALs.\n"
		    "# TYPE pressmon_archive_bytes gauge\npressmon_archive_bytes %lld\n",
		    (long long)json_integer_value(json_object_get(json_object_get(o, "archive"), "bytes")));
	if (json_object_get(json_object_get(o, "archive"), "fts_pending"))
		pm_buf_addf(b, "# HELP pressmon_archive_fts_pending Changes to articles the full-text index has not applied yet.\n"
			    "# TYPE pressmon_archive_fts_pending gauge\npressmon_archive_fts_pending %lld\n",
			    (long long)json_integer_value(
				    json_object_get(json_object_get(o, "archive"), "fts_pending")));
}

int cmd_status(int argc, char **argv)
{
	enum { OPT_FORMAT = 2000 };
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_pipeline p;
	struct pm_err err;
	const char *format = "text";
	json_t *o;
	int c, rc = 0;

	memset(&p, 0, sizeof(p));
	cli_env_init(&p.env);
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		int h = cli_common_opt(&p.env, c, optarg);
		if (h == 2) {
			printf("usage: pressmon status [--format text|json|prometheus] [--redis URL] [--config PATH] [--db PATH]\n\n"
			       "Shows each stream's length, pending entries, lag, oldest pending age,\n"
			       "consumers, and entries added and done (acknowledged) in the last minute;\n"
			       "the dead letters, every feed's health and the archive size.\n");
			return 0;
		}
		if (h < 0)
			return PM_EINPUT;
		if (h)
			continue;
		if (c == OPT_FORMAT)
			format = optarg;
		else
			return cli_usage("status", "unknown option '%s'", argv[optind - 1]);
	}
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "prometheus"))
		return cli_usage("status", "--format '%s' is not text, json or prometheus", format);
	if (optind < argc)
		return cli_usage("status", "unexpected argument '%s'", argv[optind]);
	pm_err_init(&err);
	if (cli_pipeline_open(&p, 0, &err) < 0) {
		rc = cli_fail(&err);
		cli_pipeline_close(&p);
		return rc;
	}
	o = cli_status_collect(&p, &err);
	if (!o) {
		rc = cli_fail(&err);
	} else if (!strcmp(format, "json")) {
		char *s = json_dumps(o, JSON_COMPACT);
		puts(s);
		free(s);
	} else if (!strcmp(format, "prometheus")) {
		struct pm_buf b = PM_BUF_INIT;
		cli_status_prometheus(o, &b);
		fwrite(pm_buf_str(&b), 1, b.len, stdout);
		pm_buf_release(&b);
	} else {
		print_text(o);
	}
	json_decref(o);
	cli_pipeline_close(&p);
	return rc;
}
