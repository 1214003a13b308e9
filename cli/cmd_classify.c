/* cli/cmd_classify: 'pressmon classify --file PATH' classifies one article
 * (JSON, HTML page or plain text) and prints the tags JSON; without --file
 * it is the classify stage worker. */
#include "classify/classify.h"
#include "cli/cli.h"
#include "parse/parse.h"
#include "core/json_read.h"
#include "core/mem.h"
#include "core/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT (16u << 20) /* one article; anything larger is not an article */

static void help(FILE *out)
{
	fprintf(out,
		"usage: pressmon classify --file PATH [--explain] [--rules DIR|FILE]\n"
		"       pressmon classify [--once]            (worker: articles -> tagged)\n"
		"  PATH: a .json object (title, text, optional summary, lang; the output of\n"
		"        'parse --file' for a page works), a .html page, or plain text (first\n"
		"        line the title, the rest the body); '-' reads stdin\n"
		"  --explain  add the rules that fired, their weights, thresholds and the\n"
		"             tags that stayed below their threshold\n"
		"  rules: --rules, else $PRESSMON_RULES, else classify/rules\n");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcasecmp(s + a - b, suffix);
}

/* Takes a string field of a JSON article; missing or null gives NULL. */
static int json_field(json_t *o, const char *key, const char *path, const char **out,
		      struct pm_err *err)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return pm_err_set(err, PM_EINPUT, "'%s': field '%s' is not a string", path, key);
	*out = json_string_value(v);
	return 0;
}

static int doc_from_json(const char *path, const char *data, size_t len, json_t **keep,
			 struct pm_doc *doc, struct pm_err *err)
{
	json_error_t je;
	json_t *o = pm_json_loadb(data, len, 0, &je);

	if (!o)
		return pm_err_set(err, PM_EINPUT, "'%s':%d:%d: %s", path, je.line, je.column, je.text);
	*keep = o;
	if (!json_is_object(o))
		return pm_err_set(err, PM_EINPUT, "'%s': expected a JSON object", path);
	if (json_is_string(json_object_get(o, "kind")) &&
	    !strcmp(json_string_value(json_object_get(o, "kind")), "feed"))
		return pm_err_set(err, PM_EINPUT,
				  "'%s' is a parsed feed: classify one article at a time", path);
	if (json_field(o, "title", path, &doc->title, err) ||
	    json_field(o, "text", path, &doc->text, err) ||
	    json_field(o, "summary", path, &doc->summary, err) ||
	    json_field(o, "lang", path, &doc->lang, err))
		return -1;
	return 0;
}

/* Plain text: display form first (offsets refer to it), then the first
 * line is the title and the rest the body. */
static void doc_from_text(const char *data, size_t len, char **title, char **text,
			  struct pm_doc *doc)
{
	char *nfc = pm_text_nfc(data, len);
	char *nl = strchr(nfc, '\n');

	if (nl) {
		*title = pm_text_squash(nfc, (size_t)(nl - nfc), 0);
		*text = xstrdup(nl + 1);
	} else {
		*title = pm_text_squash(nfc, strlen(nfc), 0);
		*text = xstrdup("");
	}
	free(nfc);
	doc->title = *title;
	doc->text = *text;
}

static int has_file_opt(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--file") || !strncmp(argv[i], "--file=", 7))
			return 1;
	}
	return 0;
}

int cmd_classify(int argc, char **argv)
{
	enum { OPT_FILE = 1, OPT_EXPLAIN };
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "file", required_argument, NULL, OPT_FILE },
		{ "explain", no_argument, NULL, OPT_EXPLAIN },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_env env;
	struct pm_rules *rules = NULL;
	struct pm_err err;
	struct pm_doc doc = { NULL, NULL, NULL, NULL };
	const char *path = NULL;
	char *data = NULL, *title = NULL, *text = NULL, *out;
	size_t len;
	json_t *keep = NULL, *res;
	int opt, explain = 0, rc = 0;

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			help(stdout);
			return 0;
		}
	if (!has_file_opt(argc, argv))
		return cli_worker_main("classify", argc, argv);
	cli_env_init(&env);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_FILE) {
			path = optarg;
			continue;
		}
		if (opt == OPT_EXPLAIN) {
			explain = 1;
			continue;
		}
		int c = cli_common_opt(&env, opt, optarg);
		if (c < 0)
			return 2;
		if (c == 0)
			return cli_usage("classify", "unknown option");
	}
	if (optind < argc)
		return cli_usage("classify", "unexpected argument '%s'", argv[optind]);
	pm_err_init(&err);
	if (cli_read_file(path, MAX_INPUT, &data, &len, &err))
		return cli_fail(&err);
	if (ends_with(path, ".html") || ends_with(path, ".htm")) {
		/* a page: the article extractor first, then its title and text */
		keep = pm_parse_document(data, len, NULL, "text/html", NULL, &err);
		if (!keep) {
			rc = cli_fail(&err);
			goto out;
		}
		doc.title = json_string_value(json_object_get(keep, "title"));
		doc.text = json_string_value(json_object_get(keep, "text"));
		doc.lang = json_string_value(json_object_get(keep, "lang"));
	} else if (ends_with(path, ".json") ||
	    (!strcmp(path, "-") && data[strspn(data, " \t\r\n")] == '{')) {
		if (doc_from_json(path, data, len, &keep, &doc, &err)) {
			rc = cli_fail(&err);
			goto out;
		}
	} else {
		doc_from_text(data, len, &title, &text, &doc);
	}
	if (pm_rules_load_path(cli_rules_dir(&env), &rules, &err)) {
		rc = cli_fail(&err);
		goto out;
	}
	res = pm_classify_ex(rules, &doc, explain ? PM_CLASSIFY_EXPLAIN : 0);
	out = json_dumps(res, JSON_COMPACT);
	printf("%s\n", out);
	free(out);
	json_decref(res);
	if (fflush(stdout)) {
		fprintf(stderr, "pressmon classify: cannot write the result\n");
		rc = 1;
	}
out:
	pm_rules_free(rules);
	json_decref(keep);
	free(data);
	free(title);
	free(text);
	return rc;
}
