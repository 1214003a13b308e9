/* cli/pipeline: what every worker command sets up — configuration, the
 * Redis connection (or the embedded server), signals, consumer names. */
#ifndef PM_CLI_PIPELINE_H
#define PM_CLI_PIPELINE_H

#include <signal.h>

#include "cli/cli.h"
#include "core/config.h"
#include "queue/embed.h"
#include "queue/queue.h"

struct cli_pipeline {
	struct cli_env env;
	struct pm_config cfg;
	struct pm_queue *q;
	struct pm_embedded emb;
	int have_emb;
	char consumer[128];
	const char *rules_dir;
	const char *var_dir;
	struct pm_queue_opts qo; /* how q was connected (url: qurl, prefix:
				    qprefix, copies: a reload replaces cfg) */
	char *qurl, *qprefix;
};

/* Set by SIGINT/SIGTERM; a second signal exits at once. */
extern volatile sig_atomic_t cli_stop;
/* Set by SIGHUP: reload feeds.conf and the rules. */
extern volatile sig_atomic_t cli_reload;
void cli_signals_install(void);

/* Loads env.config and connects to env.redis; without one, with embedded
 * set, starts (or adopts) the private redis-server under var_dir, else
 * connects to the embedded socket if it is up. */
int cli_pipeline_open(struct cli_pipeline *p, int embedded, struct pm_err *err);
void cli_pipeline_close(struct cli_pipeline *p);
/* Another connection to the Redis of p, for a thread of its own (a
 * hiredis context is not shared between threads). */
int cli_pipeline_connect(const struct cli_pipeline *p, struct pm_queue **q, struct pm_err *err);
/* Rules directory: --rules or $PRESSMON_RULES, else cfg's `rules`, else
 * cli_rules_dir's search. Borrowed (from p or cfg). */
const char *cli_pipeline_rules_dir(struct cli_pipeline *p, const struct pm_config *cfg);

#endif
