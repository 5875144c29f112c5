/* control_client.c - see control_client.h. */
#include "cli/control_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "daemon/control.h"
#include "util/jsonnum.h"
#include "util/names.h"
#include "util/strutil.h"

#define STATS_FILE ".ucfs/stats.json"
#define STATS_MAX (16u << 20)
#define SOCK_NAME CONTROL_SOCKET

int64_t ctl_i64(const cJSON *o, const char *key)
{
	return json_item_i64(cJSON_GetObjectItemCaseSensitive(o, key), 0, INT64_MAX, 0);
}

/* The whole file PATH (at most MAX bytes) into *out; -errno. */
static int read_small(const char *path, size_t max, char **out)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = read_fd_all(fd, max, out);
	close(fd);
	return r;
}

/* The mount's cache directory (malloc'ed) into *dir. */
static int cache_dir_of(const char *mount, char **dir)
{
	*dir = NULL;
	char *path = xasprintf("%s/" STATS_FILE, mount), *text = NULL;
	if (!path) {
		cli_fail("out of memory");
		return -ENOMEM;
	}
	int r = read_small(path, STATS_MAX, &text);
	if (r) {
		cli_fail("cannot read %s: %s: is the ucfs mount at %s still running?", path,
			 strerror(-r), mount);
		free(path);
		return r;
	}
	cJSON *root = cJSON_Parse(text);
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "cache");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(c, "dir");
	if (cJSON_IsString(d) && d->valuestring[0] == '/')
		*dir = xstrdup(d->valuestring);
	if (!*dir)
		r = cJSON_IsString(d) || !root ? -EPROTO : -ENOTSUP;
	if (r == -ENOTSUP)
		cli_fail("the ucfs mount at %s names no cache directory in %s (a mount of an older "
			 "ucfs, or one without a disk cache): unmount it and mount it again with "
			 "this ucfs", mount, STATS_FILE);
	else if (r)
		cli_fail("%s is not what ucfs writes (no JSON with an absolute cache.dir): "
			 "unmount the mount at %s and mount it again", path, mount);
	cJSON_Delete(root);
	free(text);
	free(path);
	return r;
}

/* Connect to DIR/control.sock; the socket into *fd. */
static int connect_ctl(const char *mount, const char *dir, int *fd)
{
	*fd = -1;
	struct sockaddr_un sa;
	int dfd = -1, r = control_addr(&sa, dir, -1, &dfd);
	if (r) {
		cli_fail("cannot open the cache directory %s of the ucfs mount at %s: %s", dir,
			 mount, strerror(-r));
		return r;
	}
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		r = -errno;
		cli_fail("cannot create a socket: %s", strerror(-r));
	} else if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		r = -errno;
		if (r == -ENOENT || r == -ECONNREFUSED)
			cli_fail("the ucfs mount at %s answers on no control socket (%s/" SOCK_NAME
				 ": %s): it was mounted by a ucfs without prefetch support, or its "
				 "daemon is gone; unmount it and mount it again", mount, dir,
				 strerror(-r));
		else
			cli_fail("cannot connect to the control socket %s/" SOCK_NAME " of the ucfs "
				 "mount at %s: %s", dir, mount, strerror(-r));
	}
	if (!r) {
		/* A daemon that stops reading must not hold a big request forever. */
		struct timeval tv = {.tv_sec = CTL_ANSWER_TIMEOUT_MS / 1000};
		setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
			r = -errno;
			cli_fail("cannot check who serves %s/" SOCK_NAME ": %s", dir, strerror(-r));
		} else if (cred.uid != getuid() && cred.uid != 0) {
			r = -EPERM;
			cli_fail("the control socket %s/" SOCK_NAME " of the mount at %s is served by "
				 "uid %u, neither you (uid %u) nor root: refusing to talk to it; check "
				 "who owns the cache directory", dir, mount, (unsigned)cred.uid,
				 (unsigned)getuid());
		}
	}
	if (dfd >= 0)
		close(dfd);
	if (r && s >= 0)
		close(s);
	else
		*fd = s;
	return r;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One answer line (without its "\n") into *out, within the deadline. */
static int recv_line(int fd, char **out)
{
	struct strbuf sb = {0};
	char buf[65536];
	long long end = now_ms() + CTL_ANSWER_TIMEOUT_MS;
	int r = 0;
	*out = NULL;
	for (;;) {
		long long left = end - now_ms();
		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int pr = poll(&p, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0) {
			r = -errno;
			break;
		}
		if (pr == 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0) {
			r = sb.len ? 0 : -ECONNRESET;
			break;
		}
		const char *nl = memchr(buf, '\n', (size_t)n);
		size_t take = nl ? (size_t)(nl - buf) : (size_t)n;
		if (sb.len + take > CTL_MAX_MSG) {
			r = -EFBIG;
			break;
		}
		if (sb_append(&sb, buf, take)) {
			r = -ENOMEM;
			break;
		}
		if (nl)
			break;
	}
	if (r)
		sb_free(&sb);
	else
		*out = sb_detach(&sb);
	return r;
}

/* The request's op, for messages. */
static const char *op_of(const cJSON *req)
{
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
	return cJSON_IsString(op) ? op->valuestring : "?";
}

int ctl_call(const char *mount, const cJSON *req, cJSON **answer)
{
	*answer = NULL;
	char *dir = NULL, *line = NULL, *text = NULL;
	int fd = -1;
	int r = cache_dir_of(mount, &dir);
	if (!r)
		r = connect_ctl(mount, dir, &fd);
	if (r)
		goto out;
	text = cJSON_PrintUnformatted(req);
	size_t len = text ? strlen(text) : 0;
	if (!text) {
		r = -ENOMEM;
		cli_fail("out of memory");
		goto out;
	}
	if (len + 1 > CTL_MAX_MSG) {
		r = -EFBIG;
		cli_fail("the '%s' request to the ucfs mount at %s is %zu bytes, more than the "
			 "control socket's limit of %u MiB", op_of(req), mount, len, CTL_MAX_MSG >> 20);
		goto out;
	}
	text[len] = '\n'; /* cJSON allocated len + 1 bytes: the NUL becomes the newline */
	r = send_all(fd, text, len + 1);
	text[len] = '\0';
	if (r) {
		cli_fail("cannot send the '%s' request to the ucfs mount at %s: %s; see its log "
			 "(syslog, ident ucfs)", op_of(req), mount,
			 r == -EAGAIN ? "it stopped reading it" : strerror(-r));
		goto out;
	}
	shutdown(fd, SHUT_WR);
	r = recv_line(fd, &line);
	if (r) {
		if (r == -ETIMEDOUT)
			cli_fail("the ucfs mount at %s did not answer the '%s' request within %d s: "
				 "is it stuck? see its log (syslog, ident ucfs)", mount, op_of(req),
				 CTL_ANSWER_TIMEOUT_MS / 1000);
		else if (r == -ECONNRESET)
			cli_fail("the ucfs mount at %s closed the control connection without "
				 "answering the '%s' request: see its log (syslog, ident ucfs)", mount,
				 op_of(req));
		else
			cli_fail("no answer from the ucfs mount at %s to the '%s' request: %s; see "
				 "its log (syslog, ident ucfs)", mount, op_of(req), strerror(-r));
		goto out;
	}
	cJSON *a = cJSON_Parse(line);
	const cJSON *ok = cJSON_GetObjectItemCaseSensitive(a, "ok");
	if (!cJSON_IsBool(ok)) {
		r = -EPROTO;
		cli_fail("the ucfs mount at %s answered the '%s' request with something that is "
			 "not a control answer: mounted by another ucfs version? mount it again",
			 mount, op_of(req));
		cJSON_Delete(a);
	} else if (!cJSON_IsTrue(ok)) {
		const cJSON *e = cJSON_GetObjectItemCaseSensitive(a, "error");
		char *esc = name_escape(cJSON_IsString(e) ? e->valuestring : "(no reason given)");
		r = -EREMOTEIO;
		cli_fail("%s", esc ? esc : "the ucfs mount refused the request");
		free(esc);
		cJSON_Delete(a);
	} else {
		*answer = a;
	}
out:
	if (fd >= 0)
		close(fd);
	free(text);
	free(line);
	free(dir);
	return r;
}

int ctl_simple(const char *mount, const char *op, const char *path, cJSON **answer)
{
	*answer = NULL;
	cJSON *req = cJSON_CreateObject();
	if (!req || !cJSON_AddStringToObject(req, "op", op) ||
	    (path && !cJSON_AddStringToObject(req, "path", path))) {
		cJSON_Delete(req);
		cli_fail("out of memory");
		return -ENOMEM;
	}
	int r = ctl_call(mount, req, answer);
	cJSON_Delete(req);
	return r;
}
