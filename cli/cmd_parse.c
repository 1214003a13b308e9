/* cli/cmd_parse: 'pressmon parse'. With --file, one document to JSON on
 * stdout (no Redis); without it, the parse worker (raw -> articles). */
#include "cli/cli.h"
#include "core/err.h"
#include "parse/parse.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#define PARSE_MAX_FILE ((size_t)64 << 20) /* larger than any feed or page we fetch */

enum { OPT_FILE = 1, OPT_URL, OPT_CONTENT_TYPE, OPT_HEADER };

/* "Name: value": value when the name is want (any case), else NULL. */
static const char *header_value(const char *h, const char *want)
{
	size_t n = strlen(want);

	if (strncasecmp(h, want, n) || h[n] != ':')
		return NULL;
	h += n + 1;
	return h + strspn(h, " \t");
}

static void usage(FILE *f)
{
	fputs("usage: pressmon parse --file PATH [--url URL] [--content-type TYPE]\n"
	      "                      [--header 'NAME: VALUE']...\n"
	      "       pressmon parse [--once] [--redis URL] [--claim-idle S]\n"
	      "\n"
	      "With --file, parses one feed (RSS, Atom, JSON Feed) or HTML article page\n"
	      "and prints one JSON object on stdout; no Redis is needed. PATH '-' reads\n"
	      "standard input. The kind and format are detected from the content.\n"
	      "  --url URL            the document's URL: the base for relative links\n"
	      "  --content-type TYPE  the HTTP Content-Type it was served with (charset)\n"
	      "  --header 'NAME: VALUE'  another response header, repeatable: Content-Type,\n"
	      "                       Content-Location (the base for relative links) and\n"
	      "                       Content-Language (the language when the document\n"
	      "                       names none) are used, others ignored\n"
	      "Without --file, runs the parse worker: raw documents -> articles.\n"
	      "Exit codes: 0 ok, 1 runtime failure, 2 usage or input error.\n", f);
}

int cmd_parse(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "file", required_argument, NULL, OPT_FILE },
		{ "url", required_argument, NULL, OPT_URL },
		{ "content-type", required_argument, NULL, OPT_CONTENT_TYPE },
		{ "header", required_argument, NULL, OPT_HEADER },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *file = NULL, *url = NULL, *ctype = NULL, *hdr_ctype = NULL, *v;
	struct pm_parse_opts popts = { 0 };
	struct cli_env env;
	struct pm_err err;
	char *data = NULL;
	size_t len = 0;
	json_t *doc;
	int c;

	cli_env_init(&env);
	pm_err_init(&err);
	opterr = 0;
	optind = 1;
	/* Without --file, argv belongs to the worker. Looked for by hand: a
	 * getopt pass here would permute the worker's options ("--batch 4"). */
	for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--file") || !strncmp(argv[i], "--file=", 7))
			file = argv[i];
		else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
	}
	if (!file) {
		for (int i = 1; i < argc; i++)
			if (!strncmp(argv[i], "--url", 5) || !strncmp(argv[i], "--content-type", 14) ||
			    !strncmp(argv[i], "--header", 8))
				return cli_usage("parse", "--url, --content-type and --header need --file");
		optind = 1;
		return cli_worker_main("parse", argc, argv);
	}
	file = NULL;
	optind = 1; /* opterr stays 0: the message below names the option once */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_FILE) {
			file = optarg;
			continue;
		}
		if (c == OPT_URL) {
			url = optarg;
			continue;
		}
		if (c == OPT_CONTENT_TYPE) {
			ctype = optarg;
			continue;
		}
		if (c == OPT_HEADER) {
			if (!strchr(optarg, ':'))
				return cli_usage("parse", "--header '%s': expected 'NAME: VALUE'", optarg);
			if ((v = header_value(optarg, "Content-Type")))
				hdr_ctype = v;
			else if ((v = header_value(optarg, "Content-Location")))
				popts.content_location = v;
			else if ((v = header_value(optarg, "Content-Language")))
				popts.content_language = v;
			continue;
		}
		if (c == '?' || c == ':')
			return cli_usage("parse", "bad option '%s'", argv[optind - 1]);
		int r = cli_common_opt(&env, c, optarg);
		if (r < 0)
			return PM_EINPUT;
	}
	if (optind < argc)
		return cli_usage("parse", "unexpected argument '%s'", argv[optind]);
	if (!file)
		return cli_usage("parse", "--file needs a path");
	if (cli_read_file(file, PARSE_MAX_FILE, &data, &len, &err))
		return cli_fail(&err);
	if (!ctype)
		ctype = hdr_ctype;
	doc = pm_parse_document(data, len, url, ctype, &popts, &err);
	free(data);
	if (!doc) {
		pm_err_prefix(&err, "'%s'", file);
		if (!err.code)
			err.code = PM_EINPUT;
		return cli_fail(&err);
	}
	if (json_dumpf(doc, stdout, JSON_COMPACT) || fputc('\n', stdout) == EOF ||
	    fflush(stdout)) {
		json_decref(doc);
		pm_err_set(&err, PM_ERUNTIME, "cannot write to standard output");
		return cli_fail(&err);
	}
	json_decref(doc);
	return 0;
}
