/* queue/embed: a throwaway redis-server for demos and one-machine use.
 * It persists to an append-only file in var/redis so that a SIGKILLed run
 * restarted later finds its streams and pending entries again. */
#include "queue/embed.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/time.h"

#include <errno.h>
#include <fcntl.h>
#include <hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int ping(const char *sock)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectUnixWithTimeout(sock, tv);
	redisReply *r;
	int ok = 0;

	if (!c)
		return 0;
	if (!c->err) {
		r = redisCommand(c, "PING");
		ok = r && r->type == REDIS_REPLY_STATUS;
		if (r)
			freeReplyObject(r);
	}
	redisFree(c);
	return ok;
}

static int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0700);
			*s = '/';
		}
	}
	int r = mkdir(p, 0700);
	free(p);
	return r < 0 && errno != EEXIST ? -1 : 0;
}

int pm_embedded_start(const char *var_dir, struct pm_embedded *e, struct pm_err *err)
{
	char *data;
	pid_t pid;
	int64_t deadline;

	memset(e, 0, sizeof(*e));
	if (mkdir_p(var_dir) < 0)
		return pm_err_set(err, PM_EDEP, "cannot create '%s': %s", var_dir, strerror(errno));
	e->dir = realpath(var_dir, NULL);
	if (!e->dir)
		return pm_err_set(err, PM_EDEP, "cannot resolve '%s': %s", var_dir, strerror(errno));
	e->socket = xasprintf("%s/redis.sock", e->dir);
	e->url = xasprintf("unix://%s", e->socket);
	if (strlen(e->socket) >= 100) {
		pm_err_set(err, PM_EDEP, "socket path '%s' is too long for a unix socket", e->socket);
		goto fail;
	}
	if (ping(e->socket)) {
		pm_info("redis_embedded_adopted", "socket=%s", e->socket);
		e->adopted = 1;
		return 0;
	}
	data = xasprintf("%s/redis", e->dir);
	if (mkdir_p(data) < 0) {
		pm_err_set(err, PM_EDEP, "cannot create '%s': %s", data, strerror(errno));
		free(data);
		goto fail;
	}
	unlink(e->socket);
	pid = fork();
	if (pid < 0) {
		free(data);
		pm_err_set(err, PM_EDEP, "cannot fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			dup2(devnull, 0);
			dup2(devnull, 1);
		}
		/* its own process group: a ^C to pressmon must not kill it
		 * before pressmon has finished with it */
		setpgid(0, 0);
		execlp("redis-server", "redis-server", "--port", "0",
		       "--unixsocket", e->socket, "--unixsocketperm", "700",
		       "--dir", data, "--appendonly", "yes",
		       "--appendfsync", "everysec", "--save", "",
		       "--rdbcompression", "no", "--auto-aof-rewrite-min-size", "512mb",
		       "--daemonize", "no", "--loglevel", "warning", (char *)NULL);
		fprintf(stderr, "pressmon: cannot run redis-server: %s "
				"(install Debian package redis-server: make deps)\n",
			strerror(errno));
		_exit(127);
	}
	free(data);
	e->pid = pid;
	deadline = pm_mono_ms() + 10000;
	while (pm_mono_ms() < deadline) {
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			e->pid = 0;
			pm_err_set(err, PM_EDEP, "redis-server exited at start (is Debian package redis-server installed?)");
			goto fail;
		}
		if (ping(e->socket)) {
			pm_info("redis_embedded_started", "pid=%d socket=%s", (int)pid, e->socket);
			return 0;
		}
		pm_sleep_ms(20);
	}
	pm_err_set(err, PM_EDEP, "redis-server did not answer on '%s' within 10 s", e->socket);
fail:
	pm_embedded_stop(e);
	return -1;
}

/* Asks the server on sock to save its AOF and exit. */
static void shutdown_server(const char *sock)
{
	struct timeval tv = { 1, 0 };
	redisContext *c = redisConnectUnixWithTimeout(sock, tv);

	if (c && !c->err) {
		/* SHUTDOWN closes the connection instead of replying */
		redisReply *r = redisCommand(c, "SHUTDOWN");
		if (r)
			freeReplyObject(r);
	}
	if (c)
		redisFree(c);
}

void pm_embedded_stop(struct pm_embedded *e)
{
	if (!e)
		return;
	if (e->adopted) {
		int64_t deadline = pm_mono_ms() + 5000;

		shutdown_server(e->socket);
		while (ping(e->socket) && pm_mono_ms() < deadline)
			pm_sleep_ms(20);
	}
	if (e->pid > 0) {
		int64_t deadline;
		int status;

		shutdown_server(e->socket);
		deadline = pm_mono_ms() + 5000;
		while (waitpid(e->pid, &status, WNOHANG) == 0) {
			if (pm_mono_ms() > deadline) {
				kill(e->pid, SIGKILL);
				waitpid(e->pid, &status, 0);
				break;
			}
			pm_sleep_ms(10);
		}
	}
	free(e->dir);
	free(e->socket);
	free(e->url);
	memset(e, 0, sizeof(*e));
}
