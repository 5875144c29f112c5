/*
 * control.c - the control socket (see control.h).
 */
#include "daemon/control.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cJSON.h"
#include "fs/fs.h"
#include "util/log.h"
#include "util/strutil.h"

struct control {
	struct ucfs_fs *fs;
	int lfd, dirfd;
	int stop[2]; /* a pipe: written to stop the thread */
	pthread_t th;
	bool started;
};

int control_addr(struct sockaddr_un *a, const char *dir, int dirfd, int *opened)
{
	*opened = -1;
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s", dir, CONTROL_SOCKET);
	if (n > 0 && (size_t)n < sizeof(a->sun_path))
		return 0;
	if (dirfd < 0 && (dirfd = *opened = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -errno;
	n = snprintf(a->sun_path, sizeof(a->sun_path), "/proc/self/fd/%d/%s", dirfd, CONTROL_SOCKET);
	return n > 0 && (size_t)n < sizeof(a->sun_path) ? 0 : -ENAMETOOLONG;
}

static void answer(int fd, cJSON *a)
{
	char *s = a ? cJSON_PrintUnformatted(a) : NULL;
	const char *out = s ? s : "{\"ok\":false,\"error\":\"out of memory\"}";
	size_t len = strlen(out), done = 0;
	while (done <= len) {
		/* the text, then its newline */
		const char *p = done < len ? out + done : "\n";
		size_t n = done < len ? len - done : 1;
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += (size_t)w;
	}
	free(s);
}

static cJSON *error(const char *msg)
{
	cJSON *a = cJSON_CreateObject();
	if (a) {
		cJSON_AddFalseToObject(a, "ok");
		cJSON_AddStringToObject(a, "error", msg);
	}
	return a;
}

/* One connection: check the peer, read the request, answer. */
static void serve(struct control *c, int fd)
{
	struct ucred cr;
	socklen_t cl = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &cl) < 0 ||
	    (cr.uid != geteuid() && cr.uid != 0)) {
		log_warn("control socket: a process of uid %d was refused (only uid %d and root "
			 "may control this mount)", (int)cr.uid, (int)geteuid());
		cJSON *a = error("permission denied: only the mount's owner or root may control it");
		answer(fd, a);
		cJSON_Delete(a);
		return;
	}
	struct timeval tv = {.tv_sec = CONTROL_READ_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	size_t cap = 64 << 10, len = 0;
	char *buf = malloc(cap);
	const char *why = buf ? NULL : "out of memory";
	time_t start = time(NULL);
	while (!why) {
		if (len + 1 >= cap) {
			if (cap >= CONTROL_MAX_REQUEST) {
				why = "the request is larger than 64 MiB";
				break;
			}
			size_t nc = cap * 2 > CONTROL_MAX_REQUEST ? CONTROL_MAX_REQUEST : cap * 2;
			char *nb = realloc(buf, nc);
			if (!nb) {
				why = "out of memory";
				break;
			}
			buf = nb;
			cap = nc;
		}
		ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			why = "the request did not arrive in time";
			break;
		}
		if (r == 0)
			break;
		if (memchr(buf + len, '\n', (size_t)r)) {
			len += (size_t)r;
			break;
		}
		len += (size_t)r;
		if (time(NULL) - start > CONTROL_READ_TIMEOUT_S)
			why = "the request did not arrive in time";
	}
	cJSON *req = NULL, *a = NULL;
	if (!why) {
		char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;
		req = cJSON_ParseWithLength(buf, n);
		if (!cJSON_IsObject(req))
			why = "the request is not one JSON object";
	}
	free(buf);
	a = why ? error(why) : fs_control(c->fs, req);
	cJSON_Delete(req);
	answer(fd, a);
	cJSON_Delete(a);
}

static void *loop(void *arg)
{
	struct control *c = arg;
	for (;;) {
		struct pollfd p[2] = {{.fd = c->lfd, .events = POLLIN}, {.fd = c->stop[0], .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		int fd = accept4(c->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(c, fd);
		close(fd);
	}
	return NULL;
}

int control_start(struct ucfs_fs *fs, const char *dir, struct control **out)
{
	*out = NULL;
	struct control *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fs = fs;
	c->lfd = c->dirfd = c->stop[0] = c->stop[1] = -1;
	int r = 0;
	struct sockaddr_un a;
	int unused;
	if ((c->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = -errno;
	if (!r)
		r = control_addr(&a, dir, c->dirfd, &unused);
	if (!r && pipe2(c->stop, O_CLOEXEC) < 0)
		r = -errno;
	if (!r && (c->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		r = -errno;
	if (!r) {
		/* a socket left by a mount that died: nobody else holds the cache */
		unlinkat(c->dirfd, CONTROL_SOCKET, 0);
		mode_t old = umask(0177);
		if (bind(c->lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(c->lfd, 8) < 0)
			r = -errno;
		umask(old);
	}
	if (!r && pthread_create(&c->th, NULL, loop, c))
		r = -EAGAIN;
	if (r) {
		log_error("control socket %s/%s: cannot serve it (%s): ucfs prefetch and ucfs "
			  "cache will not reach this mount", dir, CONTROL_SOCKET, strerror(-r));
		control_stop(c);
		return r;
	}
	c->started = true;
	*out = c;
	return 0;
}

void control_stop(struct control *c)
{
	if (!c)
		return;
	if (c->started) {
		char x = 1;
		while (write(c->stop[1], &x, 1) < 0 && errno == EINTR)
			;
		pthread_join(c->th, NULL);
	}
	if (c->lfd >= 0) {
		close(c->lfd);
		unlinkat(c->dirfd, CONTROL_SOCKET, 0);
	}
	for (int i = 0; i < 2; i++)
		if (c->stop[i] >= 0)
			close(c->stop[i]);
	if (c->dirfd >= 0)
		close(c->dirfd);
	free(c);
}
