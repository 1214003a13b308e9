/* cli/cmd_report: 'pressmon report' — the daily digest of one local day as
 * HTML, Markdown and JSON under --out, plus the index of past digests. */
#include "archive/archive.h"
#include "cli/cli.h"
#include "core/mem.h"
#include "report/report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HEALTH_FILE (64u << 20)

enum { OPT_DATE = 1, OPT_TZ, OPT_FORMAT, OPT_OUT, OPT_FEED_HEALTH };

static void usage(FILE *out)
{
	fprintf(out, "usage: pressmon report --date YYYY-MM-DD [--tz ZONE] [--format html,md,json]\n"
		     "                       [--out DIR] [--feed-health FILE.json] [--db PATH]\n"
		     "writes DIR/DATE/digest.{html,md,json} and DIR/index.html (DIR: out),\n"
		     "and prints the paths written. --feed-health: a JSON array of\n"
		     "{\"id\",\"name\",\"status\",\"failures\",\"last_error\",\"last_ok\"}.\n");
}

static int parse_formats(const char *s, unsigned *out)
{
	char *copy = xstrdup(s), *save = NULL, *t;
	int ret = 0;

	*out = 0;
	for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!strcmp(t, "html"))
			*out |= PM_REPORT_HTML;
		else if (!strcmp(t, "md") || !strcmp(t, "markdown"))
			*out |= PM_REPORT_MD;
		else if (!strcmp(t, "json"))
			*out |= PM_REPORT_JSON;
		else
			ret = cli_usage("report", "--format '%s' is not html, md or json", t);
		if (ret)
			break;
	}
	free(copy);
	if (!ret && !*out)
		ret = cli_usage("report", "--format is empty");
	return ret;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "date", required_argument, NULL, OPT_DATE },
		{ "tz", required_argument, NULL, OPT_TZ },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "feed-health", required_argument, NULL, OPT_FEED_HEALTH },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_env env;
	struct pm_report_opts ro;
	struct pm_archive *a = NULL;
	struct pm_err err;
	const char *health_path = NULL;
	json_t *health = NULL, *paths = NULL, *p;
	int c, r, ret;
	size_t i;

	cli_env_init(&env);
	pm_err_init(&err);
	memset(&ro, 0, sizeof(ro));
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DATE: ro.date = optarg; break;
		case OPT_TZ: ro.tz = optarg; break;
		case OPT_OUT: ro.out_dir = optarg; break;
		case OPT_FEED_HEALTH: health_path = optarg; break;
		case OPT_FORMAT:
			if (parse_formats(optarg, &ro.formats))
				return PM_EINPUT;
			break;
		case '?':
			return cli_usage("report", "unknown option");
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
		return cli_usage("report", "unexpected argument '%s'", argv[optind]);
	if (!ro.date)
		return cli_usage("report", "--date YYYY-MM-DD is required");
	if (health_path) {
		json_error_t je;
		char *data;
		size_t len;
		if (cli_read_file(health_path, MAX_HEALTH_FILE, &data, &len, &err))
			return cli_fail(&err);
		health = json_loadb(data, len, 0, &je);
		free(data);
		if (!json_is_array(health)) {
			fprintf(stderr, "pressmon: %s:%d:%d: %s\n", health_path, je.line, je.column,
				health ? "not a JSON array of feeds" : je.text);
			json_decref(health);
			return PM_EINPUT;
		}
		ro.feed_health = health;
	}
	if (pm_archive_open(env.db, PM_ARCHIVE_READ, &a, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	/* without --feed-health: the last state the pipeline saved */
	if (!health) {
		if (pm_archive_feed_health_get(a, &health, &err)) {
			ret = cli_fail(&err);
			goto out;
		}
		if (json_array_size(health))
			ro.feed_health = health;
	}
	if (pm_report_build(a, &ro, &paths, &err)) {
		ret = cli_fail(&err);
		goto out;
	}
	json_array_foreach(paths, i, p)
		printf("%s\n", json_string_value(p));
	ret = 0;
out:
	json_decref(paths);
	json_decref(health);
	pm_archive_close(a);
	return ret;
}
