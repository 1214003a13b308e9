/* cli/main: the pressmon entry point; a table of subcommands, each in its
 * own cli/cmd_*.c file. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

struct cmd_entry {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd_entry commands[] = {
	{ "run", cmd_run, "all stages in one process (--once: until drained)" },
	{ "fetch", cmd_fetch, "worker: due feeds and pages -> raw" },
	{ "parse", cmd_parse, "worker: raw -> articles; --file: one document -> JSON" },
	{ "classify", cmd_classify, "worker: articles -> tagged; --file: one article -> tags" },
	{ "archive", cmd_archive, "worker: tagged -> SQLite; import, export" },
	{ "report", cmd_report, "daily digest as HTML, Markdown, JSON" },
	{ "query", cmd_query, "search and count the archive" },
	{ "status", cmd_status, "streams, workers, feeds, archive" },
	{ "metrics", cmd_metrics, "serve the status as Prometheus metrics over HTTP" },
	{ "opml", cmd_opml, "import or export feeds.conf as OPML" },
	{ "rules", cmd_rules, "check (lint) the rule files" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: pressmon <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nenvironment: PRESSMON_REDIS, PRESSMON_DB, PRESSMON_CONFIG\n"
		     "'pressmon <command> --help' shows a command's options.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("pressmon %s\n", PM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	/* commands print one line of their own for a bad option */
	opterr = 0;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "pressmon: '%s' is not a command (see 'pressmon --help')\n", argv[1]);
	return 2;
}
