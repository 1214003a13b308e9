/* cli/pipeline: configuration, Redis and signals for worker commands. */
#include "cli/pipeline.h"
#include "core/log.h"
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile sig_atomic_t cli_stop;
volatile sig_atomic_t cli_reload;

static void on_hup(int sig)
{
	(void)sig;
	cli_reload = 1;
}

static void on_signal(int sig)
{
	(void)sig;
	if (cli_stop)
		_exit(130); /* second signal: stop at once */
	cli_stop = 1;
}

void cli_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = on_hup;
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

const char *cli_pipeline_rules_dir(struct cli_pipeline *p, const struct pm_config *cfg)
{
	if (!p->env.rules && !getenv("PRESSMON_RULES") && cfg->rules_dir)
		return cfg->rules_dir;
	return cli_rules_dir(&p->env);
}

/* The options q was connected with, for cli_pipeline_connect, with copies
 * of the strings that p->qurl and p->cfg own: a reload replaces p->cfg,
 * and every connection keeps the key prefix the process started with. */
static void keep_opts(struct cli_pipeline *p, const struct pm_queue_opts *qo)
{
	p->qo = *qo;
	p->qo.url = p->qurl;
	p->qprefix = qo->prefix ? xstrdup(qo->prefix) : NULL;
	p->qo.prefix = p->qprefix;
}

int cli_pipeline_open(struct cli_pipeline *p, int embedded, struct pm_err *err)
{
	struct pm_queue_opts qo;
	const char *v;
	char host[64] = "host";

	pm_config_init(&p->cfg);
	if (pm_config_load(&p->cfg, p->env.config, err) < 0)
		return -1;
	p->var_dir = (v = getenv("PRESSMON_VAR")) && *v ? v : "var";
	p->rules_dir = cli_pipeline_rules_dir(p, &p->cfg);
	gethostname(host, sizeof(host) - 1);
	snprintf(p->consumer, sizeof(p->consumer), "%s-%d", host, (int)getpid());

	pm_queue_opts_init(&qo);
	qo.url = p->env.redis;
	qo.prefix = p->cfg.prefix;
	qo.claim_idle_ms = p->env.claim_idle_s * 1000;
	if (!qo.url) {
		if (embedded) {
			if (pm_embedded_start(p->var_dir, &p->emb, err) < 0)
				return -1;
			p->have_emb = 1;
			qo.url = p->emb.url;
		} else {
			char *sock = xasprintf("unix://%s/redis.sock", p->var_dir);
			char *abs = realpath(p->var_dir, NULL);
			free(sock);
			if (!abs)
				return pm_err_set(err, PM_EDEP, "no redis given: set PRESSMON_REDIS or --redis "
					"(or run 'pressmon run', which starts its own)");
			sock = xasprintf("unix://%s/redis.sock", abs);
			free(abs);
			qo.url = sock;
			qo.connect_timeout_ms = 500;
			if (pm_queue_connect(&qo, &p->q, err) < 0) {
				free(sock);
				return pm_err_set(err, PM_EDEP, "no redis given and none running under '%s': "
					"set PRESSMON_REDIS or --redis", p->var_dir);
			}
			p->qurl = sock;
			keep_opts(p, &qo);
			return 0;
		}
	}
	if (pm_queue_connect(&qo, &p->q, err) < 0)
		return -1;
	p->qurl = xstrdup(qo.url);
	keep_opts(p, &qo);
	pm_debug("redis_connected", "url=%s", pm_queue_url_safe(p->q));
	return 0;
}

void cli_pipeline_close(struct cli_pipeline *p)
{
	pm_queue_free(p->q);
	p->q = NULL;
	if (p->have_emb)
		pm_embedded_stop(&p->emb);
	p->have_emb = 0;
	pm_config_release(&p->cfg);
	free(p->qurl);
	free(p->qprefix);
	p->qurl = p->qprefix = NULL;
}

int cli_pipeline_connect(const struct cli_pipeline *p, struct pm_queue **q, struct pm_err *err)
{
	*q = NULL;
	if (!p->qurl)
		return pm_err_set(err, PM_ERUNTIME, "no redis connection to copy");
	return pm_queue_connect(&p->qo, q, err);
}
