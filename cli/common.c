/* cli/common: settings shared by every subcommand, error printing, files. */
#include "cli/cli.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cli_env_init(struct cli_env *env)
{
	const char *v;

	memset(env, 0, sizeof(*env));
	env->redis = (v = getenv("PRESSMON_REDIS")) && *v ? v : NULL;
	env->db = (v = getenv("PRESSMON_DB")) && *v ? v : "var/archive.db";
	env->config = (v = getenv("PRESSMON_CONFIG")) && *v ? v : "feeds.conf";
	env->rules = NULL;
	env->claim_idle_s = 60;
}

int cli_parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < lo || n > hi)
		return -1;
	*out = n;
	return 0;
}

int cli_common_opt(struct cli_env *env, int opt, const char *arg)
{
	long n;
	enum pm_log_level lvl;

	switch (opt) {
	case OPT_REDIS: env->redis = arg; return 1;
	case OPT_DB: env->db = arg; return 1;
	case OPT_CONFIG: env->config = arg; return 1;
	case OPT_RULES: env->rules = arg; return 1;
	case OPT_ONCE: env->once = 1; return 1;
	case OPT_LOG_JSON: pm_log_set_json(1); return 1;
	case OPT_HELP: return 2;
	case OPT_CLAIM_IDLE:
		if (cli_parse_int(arg, 0, 86400, &n)) {
			cli_usage(NULL, "--claim-idle '%s' is not a number of seconds (0-86400)", arg);
			return -1;
		}
		env->claim_idle_s = (int)n;
		return 1;
	case OPT_LOG_LEVEL:
		if (pm_log_parse_level(arg, &lvl)) {
			cli_usage(NULL, "--log-level '%s' is not error, warn, info or debug", arg);
			return -1;
		}
		pm_log_set_level(lvl);
		return 1;
	default:
		return 0;
	}
}

int cli_fail(const struct pm_err *err)
{
	fprintf(stderr, "pressmon: %s\n", err->msg[0] ? err->msg : "failed");
	return err->code ? err->code : 1;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "pressmon%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'pressmon %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
	return PM_EINPUT;
}

int cli_read_file(const char *path, size_t max, char **data, size_t *len, struct pm_err *err)
{
	struct pm_buf b;
	FILE *f;
	char chunk[65536];
	size_t n;
	int is_stdin = !strcmp(path, "-");

	f = is_stdin ? stdin : fopen(path, "rb");
	if (!f)
		return pm_err_set(err, PM_EINPUT, "cannot open '%s': %s", path, strerror(errno));
	pm_buf_init(&b, max);
	pm_buf_add(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (pm_buf_add(&b, chunk, n) < 0) {
			pm_buf_release(&b);
			if (!is_stdin)
				fclose(f);
			return pm_err_set(err, PM_EINPUT, "'%s' is larger than %zu bytes", path, max);
		}
	}
	if (ferror(f)) {
		pm_buf_release(&b);
		if (!is_stdin)
			fclose(f);
		return pm_err_set(err, PM_EINPUT, "cannot read '%s': %s", path, strerror(errno));
	}
	if (!is_stdin)
		fclose(f);
	*data = pm_buf_detach(&b, len);
	return 0;
}
