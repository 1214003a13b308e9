/* queue/embed: the private redis-server that `pressmon run` starts on a
 * unix socket under the var directory when no Redis is given. */
#ifndef PM_QUEUE_EMBED_H
#define PM_QUEUE_EMBED_H

#include <sys/types.h>

#include "core/err.h"

struct pm_embedded {
	pid_t pid;        /* our child, or 0 */
	int adopted;      /* reused a server left by an earlier run: stop it too */
	char *dir;        /* var directory (absolute) */
	char *socket;     /* absolute socket path */
	char *url;        /* unix:///.../redis.sock */
};

/* Starts redis-server (AOF on, so a crash loses nothing) with its socket at
 * var_dir/redis.sock, or adopts one that answers there (left behind by a
 * run that was killed). PM_EDEP when
 * redis-server is missing or does not come up within 10 s. */
int pm_embedded_start(const char *var_dir, struct pm_embedded *e, struct pm_err *err);
/* Stops the server if we started it (SHUTDOWN, then SIGTERM), frees e. */
void pm_embedded_stop(struct pm_embedded *e);

#endif
