/* cli/cmd_report: 'pressmon report' — the daily digest of one local day as
 * HTML, Markdown and JSON under --out, the index of past digests, and mail. */
#include "archive/archive.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/log.h"
#include "core/mem.h"
#include "report/mail.h"
#include "report/report.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_HEALTH_FILE (64u << 20)

enum { OPT_DATE = 1, OPT_TZ, OPT_FORMAT, OPT_OUT, OPT_FEED_HEALTH, OPT_SCOPE, OPT_MAIL_TO,
       OPT_MAIL_FROM, OPT_SMTP };

#define MAX_MAIL_PART (32u << 20) /* a digest far larger would not be read in a mail client */
#define MAX_RECIPIENTS 100

/* What the digest counts unless --scope says otherwise: coverage of the
 * Court and of the Council's powers over it, not every archived item. */
#define DEFAULT_SCOPE "icc,unsc-referral,unsc-deferral"

static void usage(FILE *out)
{
	fprintf(out, "usage: pressmon report --date YYYY-MM-DD [--tz ZONE] [--format html,md,json]\n"
		     "                       [--out DIR] [--scope TAGS|all] [--feed-health FILE.json] [--db PATH]\n"
		     "writes DIR/DATE/digest.{html,md,json} and DIR/index.html (DIR: out),\n"
		     "and prints the paths written. --feed-health: a JSON array of\n"
		     "{\"id\",\"name\",\"status\",\"failures\",\"last_error\",\"last_ok\"}\n"
		     "(default: the state the pipeline last saved in the archive).\n"
		     "--scope: the tags of which an article needs one to be counted\n"
		     "(default " DEFAULT_SCOPE "; 'all' counts everything archived).\n"
		     "\nmail: --mail-to ADDR[,ADDR...] --smtp smtp[s]://[user:password@]host[:port]\n"
		     "      [--mail-from ADDR]  (default: mail_from in feeds.conf, else pressmon@localhost)\n"
		     "sends the HTML digest with a plain-text alternative (html and md are written\n"
		     "too). Login: the URL's user and password, else PRESSMON_SMTP_USER and\n"
		     "PRESSMON_SMTP_PASSWORD. A failed delivery exits 1.\n");
}

/* Splits "a@x,b@y" into addresses; each is checked. */
static int parse_recipients(const char *s, char ***out, size_t *n)
{
	char *copy = xstrdup(s), *save = NULL, *t;
	int ret = 0;

	*out = NULL;
	*n = 0;
	for (t = strtok_r(copy, ",", &save); t && !ret; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (!pm_mail_address_valid(t))
			ret = cli_usage("report", "--mail-to: '%s' is not an address like name@example.org", t);
		else if (*n >= MAX_RECIPIENTS)
			ret = cli_usage("report", "--mail-to: more than %d recipients", MAX_RECIPIENTS);
		else {
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			(*out)[(*n)++] = xstrdup(t);
		}
	}
	free(copy);
	if (!ret && !*n)
		ret = cli_usage("report", "--mail-to names no address");
	return ret;
}

/* The sender: --mail-from, else mail_from in feeds.conf (when there is
 * one), else pressmon@localhost. Returned string belongs to the caller. */
static char *mail_sender(const char *opt, const struct cli_env *env, struct pm_err *err)
{
	struct pm_config cfg;
	char *from = NULL;

	if (opt)
		return xstrdup(opt);
	if (access(env->config, F_OK) == 0) {
		pm_config_init(&cfg);
		if (pm_config_load(&cfg, env->config, err) < 0) {
			pm_config_release(&cfg);
			return NULL;
		}
		if (cfg.mail_from)
			from = xstrdup(cfg.mail_from);
		pm_config_release(&cfg);
	}
	return from ? from : xstrdup("pressmon@localhost");
}

static const char *path_ending(json_t *paths, const char *suffix)
{
	size_t i, sl = strlen(suffix);
	json_t *p;

	json_array_foreach(paths, i, p) {
		const char *s = json_string_value(p);
		if (s && strlen(s) >= sl && !strcmp(s + strlen(s) - sl, suffix))
			return s;
	}
	return NULL;
}

/* Mails the digest just written (digest.html and digest.md in paths). */
static int mail_digest(json_t *paths, const char *date, const char *from, char **to, size_t nto,
		       const char *smtp, struct pm_err *err)
{
	const char *html_path = path_ending(paths, "/digest.html");
	const char *md_path = path_ending(paths, "/digest.md");
	char *html = NULL, *md = NULL, *subject;
	size_t html_len, md_len;
	struct pm_buf text = PM_BUF_INIT, msg = PM_BUF_INIT;
	struct pm_mail m;
	struct pm_smtp s;
	int ret = -1;

	if (!html_path || !md_path)
		return pm_err_set(err, PM_ERUNTIME, "the digest to mail was not written");
	if (cli_read_file(html_path, MAX_MAIL_PART, &html, &html_len, err) < 0 ||
	    cli_read_file(md_path, MAX_MAIL_PART, &md, &md_len, err) < 0)
		goto out;
	pm_buf_add(&text, "", 0);
	pm_mail_text_from_md(md, md_len, &text);
	subject = xasprintf("ICC press digest \xe2\x80\x94 %s", date);
	memset(&m, 0, sizeof(m));
	m.from = from;
	m.to = (const char *const *)to;
	m.nto = nto;
	m.subject = subject;
	m.text = text.data;
	m.html = html;
	m.date = time(NULL);
	ret = pm_mail_build(&m, &msg, err);
	free(subject);
	if (ret < 0)
		goto out;
	memset(&s, 0, sizeof(s));
	s.url = smtp;
	s.user = getenv("PRESSMON_SMTP_USER");
	s.password = getenv("PRESSMON_SMTP_PASSWORD");
	ret = pm_mail_send(&s, from, (const char *const *)to, nto, msg.data, msg.len, err);
out:
	free(html);
	free(md);
	pm_buf_release(&text);
	pm_buf_release(&msg);
	return ret;
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
		{ "scope", required_argument, NULL, OPT_SCOPE },
		{ "mail-to", required_argument, NULL, OPT_MAIL_TO },
		{ "mail-from", required_argument, NULL, OPT_MAIL_FROM },
		{ "smtp", required_argument, NULL, OPT_SMTP },
		CLI_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct cli_env env;
	struct pm_report_opts ro;
	struct pm_archive *a = NULL;
	struct pm_err err;
	const char *health_path = NULL, *scope_arg = DEFAULT_SCOPE;
	const char *mail_to = NULL, *mail_from_opt = NULL, *smtp = NULL;
	char **rcpt = NULL, *mail_from = NULL;
	size_t nrcpt = 0;
	json_t *health = NULL, *paths = NULL, *p, *scope = NULL;
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
		case OPT_SCOPE: scope_arg = optarg; break;
		case OPT_MAIL_TO: mail_to = optarg; break;
		case OPT_MAIL_FROM: mail_from_opt = optarg; break;
		case OPT_SMTP: smtp = optarg; break;
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
	if ((mail_to || mail_from_opt) && !smtp)
		return cli_usage("report", "--mail-to needs --smtp URL");
	if (smtp && !mail_to)
		return cli_usage("report", "--smtp needs --mail-to ADDR");
	if (smtp && !pm_smtp_url_valid(smtp))
		/* the URL may hold a password: not repeated */
		return cli_usage("report", "--smtp is not an smtp:// or smtps:// url with a host");
	if (mail_from_opt && !pm_mail_address_valid(mail_from_opt))
		return cli_usage("report", "--mail-from '%s' is not an address like name@example.org",
				 mail_from_opt);
	if (mail_to) {
		if (parse_recipients(mail_to, &rcpt, &nrcpt))
			return PM_EINPUT;
		mail_from = mail_sender(mail_from_opt, &env, &err);
		if (!mail_from) {
			ret = cli_fail(&err);
			goto out;
		}
		if (!pm_mail_address_valid(mail_from)) {
			ret = cli_usage("report", "mail_from '%s' in '%s' is not an address like name@example.org",
					mail_from, env.config);
			goto out;
		}
		/* the mail carries the HTML and a text made from the Markdown */
		if (ro.formats)
			ro.formats |= PM_REPORT_HTML | PM_REPORT_MD;
	}
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
	if (strcmp(scope_arg, "all")) {
		char *copy = xstrdup(scope_arg), *save = NULL, *t;
		scope = json_array();
		for (t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(scope, json_string(t));
		free(copy);
		if (!json_array_size(scope)) {
			ret = cli_usage("report", "--scope '%s' names no tag", scope_arg);
			goto out;
		}
		ro.scope = scope;
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
	fflush(stdout);
	ret = 0;
	if (mail_to && mail_digest(paths, ro.date, mail_from, rcpt, nrcpt, smtp, &err) < 0)
		ret = cli_fail(&err);
out:
	for (i = 0; i < nrcpt; i++)
		free(rcpt[i]);
	free(rcpt);
	free(mail_from);
	json_decref(paths);
	json_decref(health);
	json_decref(scope);
	pm_archive_close(a);
	return ret;
}
