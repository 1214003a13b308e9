/* cli/cmd_query: 'pressmon query' — filter, search and count the archive
 * as an aligned table, RFC 4180 CSV, JSON or NDJSON. 'archive export' is the
 * same code with NDJSON article objects only. */
#include "archive/archive.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/mem.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TAG_FILTERS 50
#define TABLE_CELL_MAX 60 /* display characters per table cell */

enum out_format { OUT_TABLE, OUT_CSV, OUT_JSON, OUT_NDJSON };

enum {
	OPT_TAG = 1, OPT_SOURCE, OPT_REGION, OPT_LANG, OPT_TYPE, OPT_MISINFO, OPT_SINCE,
	OPT_UNTIL, OPT_TZ, OPT_COUNT_BY, OPT_FORMAT, OPT_FIELDS, OPT_LIMIT, OPT_OFFSET,
	OPT_SORT, OPT_FULL
};

static const char *const article_keys[] = {
	"id", "url", "title", "text", "summary", "author", "published", "fetched", "lang",
	"source", "tags", "misinfo", "cluster", NULL
};

static void usage(FILE *out, int export_mode)
{
	if (export_mode) {
		fprintf(out, "usage: pressmon archive export [filters] [--full] [TEXT] > FILE.ndjson\n"
			     "filters as in 'pressmon query'; --full adds fingerprint, evidence and\n"
			     "misinformation details (what the pipeline stored).\n");
		return;
	}
	fprintf(out,
		"usage: pressmon query [--tag T]... [--source S] [--region R] [--lang L] [--type T]\n"
		"                      [--misinfo CLAIM] [--since D] [--until D] [--tz ZONE]\n"
		"                      [--count-by day|week|month|tag|source|region|lang|type]\n"
		"                      [--format table|csv|json|ndjson] [--fields LIST]\n"
		"                      [--limit N] [--offset N] [--sort published|-published|score]\n"
		"                      [--db PATH] [TEXT]\n"
		"TEXT: words, \"phrases\", prefix*, AND/OR/NOT, (groups), NEAR(a b, N),\n"
		"a NEAR/N b, title:word, text:word. Dates are whole days, both inclusive.\n"
		"fields: id url title text summary author published fetched lang cluster\n"
		"        source source_name country region type tags misinfo score\n");
}

struct out_ctx {
	enum out_format fmt;
	char **fields;
	size_t nfields;
	int json_first;
	/* table: cells kept until the widths are known */
	char **cells;
	size_t ncells, alloc;
	long long rows;
	struct pm_buf line; /* csv: the row being written, reused */
};

static void fields_free(char **f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i]);
	free(f);
}

static int parse_fields(const char *list, int json, char ***out, size_t *n)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	char **f = NULL;
	size_t alloc = 0;

	*n = 0;
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int ok = 0;
		while (*tok == ' ')
			tok++;
		if (json) {
			for (size_t i = 0; article_keys[i]; i++)
				ok |= !strcmp(tok, article_keys[i]);
		} else {
			ok = pm_article_field_valid(tok);
		}
		if (!ok) {
			cli_usage("query", "--fields: '%s' is not a field", tok);
			fields_free(f, *n);
			free(copy);
			return -1;
		}
		XGROW(f, alloc, *n + 1);
		f[(*n)++] = xstrdup(tok);
	}
	free(copy);
	if (!*n) {
		cli_usage("query", "--fields is empty");
		return -1;
	}
	*out = f;
	return 0;
}

/* Display width in code points (UTF-8 continuation bytes do not count). */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xC0) != 0x80;
	return w;
}

/* Table cells are one line and at most TABLE_CELL_MAX characters. */
static char *table_cell(const char *s)
{
	struct pm_buf b = PM_BUF_INIT;
	size_t w = 0;

	pm_buf_add(&b, "", 0);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c & 0xC0) != 0x80) {
			if (w == TABLE_CELL_MAX - 1 && width(s) > 1) {
				pm_buf_adds(&b, "\xE2\x80\xA6"); /* … */
				break;
			}
			w++;
		}
		pm_buf_addc(&b, c < 0x20 ? ' ' : (char)c);
	}
	return pm_buf_detach(&b, NULL);
}

static void dump_json(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(6));
	fputs(s ? s : "null", stdout);
	free(s);
}

static void emit_cells(struct out_ctx *o, char **cells)
{
	struct pm_buf b = PM_BUF_INIT;

	if (o->fmt == OUT_CSV) {
		pm_buf_add(&b, "", 0);
		for (size_t i = 0; i < o->nfields; i++) {
			if (i)
				pm_buf_addc(&b, ',');
			pm_csv_field(&b, cells[i]);
		}
		pm_buf_adds(&b, "\r\n");
		fputs(pm_buf_str(&b), stdout);
		pm_buf_release(&b);
		for (size_t i = 0; i < o->nfields; i++)
			free(cells[i]);
		return;
	}
	for (size_t i = 0; i < o->nfields; i++) {
		XGROW(o->cells, o->alloc, o->ncells + 1);
		o->cells[o->ncells++] = table_cell(cells[i]);
		free(cells[i]);
	}
}

static void table_flush(struct out_ctx *o)
{
	size_t *w = xcalloc(o->nfields, sizeof(*w));

	for (size_t i = 0; i < o->ncells; i++) {
		size_t cw = width(o->cells[i]);
		if (cw > w[i % o->nfields])
			w[i % o->nfields] = cw;
	}
	for (size_t i = 0; i < o->ncells; i++) {
		size_t col = i % o->nfields;
		fputs(o->cells[i], stdout);
		if (col + 1 < o->nfields)
			for (size_t k = width(o->cells[i]); k < w[col] + 2; k++)
				putchar(' ');
		else
			putchar('\n');
		free(o->cells[i]);
	}
	free(w);
	free(o->cells);
	o->cells = NULL;
	o->ncells = 0;
}

static void emit_header(struct out_ctx *o)
{
	char **cells = xcalloc(o->nfields, sizeof(*cells));

	for (size_t i = 0; i < o->nfields; i++)
		cells[i] = xstrdup(o->fields[i]);
	emit_cells(o, cells);
	free(cells);
}

static int on_article(void *ctx, json_t *art)
{
	struct out_ctx *o = ctx;

	o->rows++;
	if (o->fmt == OUT_JSON || o->fmt == OUT_NDJSON) {
		json_t *v = art;
		if (o->fields) {
			v = json_object();
			for (size_t i = 0; i < o->nfields; i++)
				json_object_set(v, o->fields[i], json_object_get(art, o->fields[i]));
		}
		if (o->fmt == OUT_JSON)
			fputs(o->json_first ? "[\n" : ",\n", stdout);
		o->json_first = 0;
		dump_json(v);
		if (o->fmt == OUT_NDJSON)
			putchar('\n');
		if (v != art)
			json_decref(v);
		return 0;
	}
	if (o->fmt == OUT_CSV) {
		/* written straight from the object's strings into one reused
		 * line: a string and a cell array per field and row were a
		 * seventh of a 2,500-row query's instructions */
		pm_buf_reset(&o->line);
		for (size_t i = 0; i < o->nfields; i++) {
			const char *s;
			if (i)
				pm_buf_addc(&o->line, ',');
			if (pm_article_field_borrow(art, o->fields[i], &s)) {
				pm_csv_field(&o->line, s);
			} else {
				char *t = pm_article_field_text(art, o->fields[i]);
				pm_csv_field(&o->line, t);
				free(t);
			}
		}
		pm_buf_adds(&o->line, "\r\n");
		fputs(pm_buf_str(&o->line), stdout);
		return 0;
	}
	char **cells = xcalloc(o->nfields, sizeof(*cells));
	for (size_t i = 0; i < o->nfields; i++)
		cells[i] = pm_article_field_text(art, o->fields[i]);
	emit_cells(o, cells);
	free(cells);
	return 0;
}

static void print_counts(struct out_ctx *o, const char *by, json_t *rows, long long limit,
			 long long offset)
{
	size_t i;
	json_t *r;
	long long n = 0;

	if (o->fmt == OUT_JSON)
		fputs("[", stdout);
	if (o->fmt == OUT_CSV || o->fmt == OUT_TABLE) {
		char *cells[2] = { xstrdup(by), xstrdup("count") };
		emit_cells(o, cells);
	}
	json_array_foreach(rows, i, r) {
		if ((long long)i < offset)
			continue;
		if (limit >= 0 && n >= limit)
			break;
		if (o->fmt == OUT_JSON || o->fmt == OUT_NDJSON) {
			if (o->fmt == OUT_JSON)
				fputs(n ? ",\n" : "\n", stdout);
			dump_json(r);
			if (o->fmt == OUT_NDJSON)
				putchar('\n');
		} else {
			char *cells[2] = { xstrdup(json_string_value(json_object_get(r, "key"))),
					   xasprintf("%lld", (long long)json_integer_value(json_object_get(r, "count"))) };
			emit_cells(o, cells);
		}
		n++;
	}
	if (o->fmt == OUT_JSON)
		fputs(n ? "\n]\n" : "]\n", stdout);
	if (o->fmt == OUT_TABLE)
		table_flush(o);
}

int cli_query_main(int argc, char **argv, int export_mode)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, OPT_TAG },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "region", required_argument, NULL, OPT_REGION },
		{ "lang", required_argument, NULL, OPT_LANG },
		{ "type", required_argument, NULL, OPT_TYPE },
		{ "misinfo", required_argument, NULL, OPT_MISINFO },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ "count-by", required_argument, NULL, OPT_COUNT_BY },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "fields", required_argument, NULL, OPT_FIELDS },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "offset", required_argument, NULL, OPT_OFFSET },
		{ "sort", required_argument, NULL, OPT_SORT },
		{ "full", no_argument, NULL, OPT_FULL },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd = export_mode ? "archive export" : "query";
	struct cli_env env;
	struct pm_query q;
	struct pm_err err;
	struct out_ctx o;
	struct pm_archive *a = NULL;
	const char *tags[MAX_TAG_FILTERS];
	const char *since = NULL, *until = NULL, *tz = NULL, *fields = NULL;
	const char *count_by = NULL, *format = NULL;
	enum pm_count_by by = PM_BY_DAY;
	struct pm_buf text = PM_BUF_INIT;
	int c, r, ret = PM_EINPUT, full = 0;
	long n;

	cli_env_init(&env);
	pm_query_init(&q);
	pm_err_init(&err);
	memset(&o, 0, sizeof(o));
	o.json_first = 1;
	q.tags = tags;
	if (export_mode)
		q.sort = PM_SORT_PUBLISHED;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TAG:
			if (q.ntags >= MAX_TAG_FILTERS)
				return cli_usage(cmd, "at most %d --tag filters", MAX_TAG_FILTERS);
			tags[q.ntags++] = optarg;
			break;
		case OPT_SOURCE: q.source = optarg; break;
		case OPT_REGION:
			if (!pm_region_valid(optarg))
				return cli_usage(cmd, "--region '%s' is not one of africa, americas, asia-pacific, europe, middle-east", optarg);
			q.region = optarg;
			break;
		case OPT_TYPE:
			if (!pm_outlet_type_valid(optarg))
				return cli_usage(cmd, "--type '%s' is not one of wire, public, commercial, state, ngo, igo, court", optarg);
			q.type = optarg;
			break;
		case OPT_LANG: q.lang = optarg; break;
		case OPT_MISINFO: q.misinfo = optarg; break;
		case OPT_SINCE: since = optarg; break;
		case OPT_UNTIL: until = optarg; break;
		case OPT_TZ: tz = optarg; break;
		case OPT_COUNT_BY:
			if (export_mode)
				return cli_usage(cmd, "--count-by is a 'pressmon query' option");
			if (pm_count_by_parse(optarg, &by))
				return cli_usage(cmd, "--count-by '%s' is not day, week, month, tag, source, region, lang or type", optarg);
			count_by = optarg;
			break;
		case OPT_FORMAT:
			if (export_mode)
				return cli_usage(cmd, "export always writes NDJSON article objects");
			format = optarg;
			break;
		case OPT_FIELDS:
			if (export_mode)
				return cli_usage(cmd, "export always writes whole article objects");
			fields = optarg;
			break;
		case OPT_LIMIT:
			if (cli_parse_int(optarg, 0, 1000000000L, &n))
				return cli_usage(cmd, "--limit '%s' is not a number", optarg);
			q.limit = n;
			break;
		case OPT_OFFSET:
			if (cli_parse_int(optarg, 0, 1000000000L, &n))
				return cli_usage(cmd, "--offset '%s' is not a number", optarg);
			q.offset = n;
			break;
		case OPT_SORT:
			if (pm_sort_parse(optarg, &q.sort))
				return cli_usage(cmd, "--sort '%s' is not published, -published or score", optarg);
			break;
		case OPT_FULL: full = 1; break;
		case '?':
			return cli_usage(cmd, "unknown option");
		default:
			r = cli_common_opt(&env, c, optarg);
			if (r == 2) {
				usage(stdout, export_mode);
				return 0;
			}
			if (r <= 0)
				return PM_EINPUT;
		}
	}
	/* several TEXT words are one query: `pressmon query arrest warrant` */
	pm_buf_add(&text, "", 0);
	for (int i = optind; i < argc; i++) {
		if (text.len)
			pm_buf_addc(&text, ' ');
		pm_buf_adds(&text, argv[i]);
	}
	if (text.len)
		q.text = pm_buf_str(&text);

	if (!format || !strcmp(format, "table")) {
		o.fmt = export_mode ? OUT_NDJSON : OUT_TABLE;
	} else if (!strcmp(format, "csv")) {
		o.fmt = OUT_CSV;
	} else if (!strcmp(format, "json")) {
		o.fmt = OUT_JSON;
	} else if (!strcmp(format, "ndjson")) {
		o.fmt = OUT_NDJSON;
	} else {
		ret = cli_usage(cmd, "--format '%s' is not table, csv, json or ndjson", format);
		goto out;
	}
	if (fields && !count_by) {
		if (parse_fields(fields, o.fmt == OUT_JSON || o.fmt == OUT_NDJSON, &o.fields, &o.nfields))
			goto out;
	} else if (o.fmt == OUT_TABLE || o.fmt == OUT_CSV) {
		const char *def = o.fmt == OUT_TABLE ? "published,source,lang,title"
						     : "id,published,source,region,lang,type,tags,title,url";
		if (parse_fields(def, 0, &o.fields, &o.nfields))
			goto out;
	}
	if (pm_query_set_days(&q, since, until, tz, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	if (q.text) {
		/* a bad query is a usage error, found before the database is touched */
		char *fts;
		if (pm_fts_translate(q.text, &fts, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		free(fts);
	}
	if (pm_archive_open(env.db, PM_ARCHIVE_QUERY, &a, &err) ||
	    (q.text && *q.text && pm_archive_can_search(a, &err))) {
		ret = cli_fail(&err);
		goto out;
	}
	if (q.text && *q.text) {
		/* more than a few batches behind: a writer is rebuilding it */
		long long lag = pm_archive_search_lag(a);
		if (lag >= 50000)
			fprintf(stderr, "pressmon: note: the full-text index of '%s' is being rebuilt"
					" (%lld or more changes to go): text matches are incomplete\n",
				env.db, lag);
	}
	if (count_by) {
		json_t *rows;
		if (pm_archive_count_by(a, &q, by, tz, &rows, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		fields_free(o.fields, o.nfields);
		o.fields = NULL;
		o.nfields = 2;
		print_counts(&o, count_by, rows, q.limit, q.offset);
		json_decref(rows);
		ret = 0;
		goto out;
	}
	if (!full && o.fields) {
		/* no body shown: the archive need not read one */
		int body = 0;
		for (size_t i = 0; i < o.nfields; i++)
			if (!strcmp(o.fields[i], "text") || !strcmp(o.fields[i], "summary") ||
			    !strcmp(o.fields[i], "author"))
				body = 1;
		if (!body)
			full = PM_ARTICLE_LEAN;
	}
	if (o.fields) {
		/* nor tags or flags: each is a look-up per article */
		int tags = 0, misinfo = 0;
		for (size_t i = 0; i < o.nfields; i++) {
			tags |= !strcmp(o.fields[i], "tags") || !strcmp(o.fields[i], "score");
			misinfo |= !strcmp(o.fields[i], "misinfo");
		}
		full |= (tags ? 0 : PM_ARTICLE_NO_TAGS) | (misinfo ? 0 : PM_ARTICLE_NO_MISINFO);
	}
	if (o.fmt == OUT_TABLE || o.fmt == OUT_CSV)
		emit_header(&o);
	if (pm_archive_query(a, &q, full, on_article, &o, &err)) {
		if (o.fmt == OUT_TABLE)
			table_flush(&o);
		ret = cli_fail(&err);
		goto out;
	}
	if (o.fmt == OUT_TABLE)
		table_flush(&o);
	if (o.fmt == OUT_JSON)
		fputs(o.json_first ? "[]\n" : "\n]\n", stdout);
	ret = fflush(stdout) == 0 ? 0 : PM_ERUNTIME;
out:
	pm_buf_release(&o.line);
	fields_free(o.fields, o.fields ? o.nfields : 0);
	pm_archive_close(a);
	pm_buf_release(&text);
	return ret;
}

int cmd_query(int argc, char **argv)
{
	return cli_query_main(argc, argv, 0);
}
