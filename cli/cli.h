/* cli: the pressmon command and its subcommands, one file each
 * (cli/cmd_*.c). Only this module exits the process. */
#ifndef PM_CLI_H
#define PM_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "core/err.h"

#define PM_VERSION "0.1.0"

/* Settings every subcommand shares: environment first, flags override. */
struct cli_env {
	const char *redis;      /* PRESSMON_REDIS / --redis; NULL: embedded */
	const char *db;         /* PRESSMON_DB / --db; default var/archive.db */
	const char *config;     /* PRESSMON_CONFIG / --config; default feeds.conf */
	const char *rules;      /* --rules; default: config's, else classify/rules */
	int claim_idle_s;       /* --claim-idle, default 60 */
	char rules_buf[4096];   /* storage for the rules path cli_rules_dir finds */
	int once;               /* --once */
};

/* Long options shared by every subcommand; their getopt values are >= 1000. */
enum {
	OPT_REDIS = 1000, OPT_DB, OPT_CONFIG, OPT_RULES, OPT_CLAIM_IDLE, OPT_ONCE,
	OPT_LOG_LEVEL, OPT_LOG_JSON, OPT_HELP
};
#define CLI_COMMON_OPTIONS                                             \
	{ "redis", required_argument, NULL, OPT_REDIS },               \
	{ "db", required_argument, NULL, OPT_DB },                     \
	{ "config", required_argument, NULL, OPT_CONFIG },             \
	{ "rules", required_argument, NULL, OPT_RULES },               \
	{ "claim-idle", required_argument, NULL, OPT_CLAIM_IDLE },     \
	{ "once", no_argument, NULL, OPT_ONCE },                       \
	{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },       \
	{ "log-json", no_argument, NULL, OPT_LOG_JSON },               \
	{ "help", no_argument, NULL, OPT_HELP }

void cli_env_init(struct cli_env *env);
/* Handles a shared option; returns 1 if handled, 0 if not one, -1 (after
 * printing a usage error) on a bad value. OPT_HELP returns 2. */
int cli_common_opt(struct cli_env *env, int opt, const char *arg);

/* The rules to load: --rules, else $PRESSMON_RULES, else classify/rules
 * under the current directory, else next to the binary (build/pressmon ->
 * classify/rules of its checkout; bin/pressmon -> share/pressmon/rules), so
 * that `pressmon classify --file` works from any directory. Borrowed. */
const char *cli_rules_dir(struct cli_env *env);

/* Prints "pressmon: <msg>" on stderr and returns the exit code of err. */
int cli_fail(const struct pm_err *err);
/* Usage error: prints "pressmon <cmd>: <msg>" and the help hint; returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads a whole file (or "-" for stdin), at most max bytes. Returned buffer
 * belongs to the caller and is NUL-terminated. */
int cli_read_file(const char *path, size_t max, char **data, size_t *len, struct pm_err *err);

/* Parses a strictly positive integer option value; -1 if invalid. */
int cli_parse_int(const char *s, long lo, long hi, long *out);

/* Subcommands. */
int cmd_run(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_archive(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_query(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_opml(int argc, char **argv);
int cmd_rules(int argc, char **argv);

/* 'pressmon query', and with export_mode 'pressmon archive export' (same
 * filters, NDJSON article objects only); cli/cmd_query.c. */
int cli_query_main(int argc, char **argv, int export_mode);

/* The worker mode shared by fetch/parse/classify/archive (cli/worker.c):
 * runs stage `stage` until a signal, or with --once until drained. argv
 * still holds the subcommand's arguments. */
int cli_worker_main(const char *stage, int argc, char **argv);

#endif
