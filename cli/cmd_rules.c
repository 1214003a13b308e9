/* cli/cmd_rules: 'pressmon rules check' loads the rule files (a directory or
 * one file), reports errors as file:line:col and lint warnings. */
#include "classify/classify.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void help(FILE *out)
{
	fprintf(out, "usage: pressmon rules check [--rules DIR|FILE] [--strict]\n"
		     "  loads and lints the rule files (default: $PRESSMON_RULES, else classify/rules);\n"
		     "  exit 0 when they load (warnings are printed), 2 on an error\n"
		     "  (--strict: also on a warning)\n");
}

int cmd_rules(int argc, char **argv)
{
	enum { OPT_STRICT = 1 };
	static const struct option opts[] = {
		CLI_COMMON_OPTIONS,
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ NULL, 0, NULL, 0 }
	};
	struct cli_env env;
	struct pm_rules *rules;
	struct pm_err err;
	json_t *warnings;
	int opt, strict = 0, n;
	size_t i;
	json_t *w;

	cli_env_init(&env);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == OPT_STRICT) {
			strict = 1;
			continue;
		}
		int rc = cli_common_opt(&env, opt, optarg);
		if (rc == 2) {
			help(stdout);
			return 0;
		}
		if (rc < 0)
			return 2;
		if (rc == 0)
			return cli_usage("rules", "unknown option");
	}
	if (optind >= argc || strcmp(argv[optind], "check"))
		return cli_usage("rules", "expected 'check'");
	if (optind + 1 < argc)
		return cli_usage("rules", "unexpected argument '%s'", argv[optind + 1]);
	pm_err_init(&err);
	if (pm_rules_load_path(cli_rules_dir(&env), &rules, &err))
		return cli_fail(&err);
	warnings = json_array();
	n = pm_rules_lint(rules, warnings);
	json_array_foreach(warnings, i, w)
		printf("%s\n", json_string_value(w));
	json_decref(warnings);
	pm_rules_free(rules);
	fprintf(stderr, "pressmon rules: %d warning%s\n", n, n == 1 ? "" : "s");
	return strict && n ? 2 : 0;
}
