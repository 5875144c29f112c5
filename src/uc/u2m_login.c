/* u2m_login.c - see auth_u2m.h: the browser flow of `ucfs auth login`
 * (authorization code + PKCE S256 + state, loopback redirect). */
#include "uc/auth_u2m.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "uc/oauth_http.h"
#include "uc/oauth_util.h"
#include "uc/tokencache.h"
#include "util/log.h"
#include "util/names.h"
#include "util/strutil.h"

extern char **environ;

#define U2M_DEFAULT_PORT 8020     /* the Databricks CLI's redirect, http://localhost:8020 */
#define REQ_MAX 8192              /* one redirect request's head */
#define CONN_TIMEOUT_MS 5000      /* per connection to the listener */

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Listen on 127.0.0.1:PORT (0: any). The fd or a negative errno; *bound. */
static int listen_loopback(int port, int *bound)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 8) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	*bound = ntohs(a.sin_port);
	return fd;
}

static void reply(int fd, int status, const char *title, const char *text)
{
	char body[1024], head[256];
	int bl = snprintf(body, sizeof(body),
			  "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title></head>"
			  "<body><h1>%s</h1><p>%s</p></body></html>\n", title, title, text);
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
			  "Content-Length: %d\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n",
			  status, status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request", bl);
	if (send(fd, head, (size_t)hl, MSG_NOSIGNAL) == hl)
		(void)send(fd, body, (size_t)bl, MSG_NOSIGNAL);
}

/* Read one request head from FD (bounded in size and time) and return its
 * target's query ("" when none) when it is "GET /[?query]", else NULL with
 * *path_ok false. */
static char *read_callback(int fd, bool *path_ok)
{
	char buf[REQ_MAX + 1];
	size_t len = 0;
	long long deadline = mono_ms() + CONN_TIMEOUT_MS;
	*path_ok = false;
	while (len < REQ_MAX && !memmem(buf, len, "\r\n\r\n", 4)) {
		long long left = deadline - mono_ms();
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		ssize_t n = recv(fd, buf + len, REQ_MAX - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	char *q = NULL;
	if (!strncmp(buf, "GET /", 5)) {
		char *target = buf + 4, *sp = strchr(target, ' ');
		if (sp) {
			*sp = 0;
			char *qm = strchr(target, '?');
			size_t plen = qm ? (size_t)(qm - target) : strlen(target);
			if (plen == 1) { /* "/" */
				*path_ok = true;
				q = xstrdup(qm ? qm + 1 : "");
			}
		}
	}
	memset(buf, 0, sizeof(buf));
	return q;
}

static void open_browser(const char *url, pid_t *pid)
{
	*pid = -1;
	if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
		return; /* no desktop: the printed URL is the way */
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	char *argv[] = {"xdg-open", (char *)url, NULL};
	if (posix_spawnp(pid, "xdg-open", &fa, NULL, argv, environ) != 0)
		*pid = -1;
	posix_spawn_file_actions_destroy(&fa);
}

/* Wait for the redirect: 0 with *code, or -ETIMEDOUT, -EACCES (the provider
 * said no: *err), another errno. */
static int wait_for_code(int lfd, const char *state, int timeout_s, const char *host, char **code,
			 char **err)
{
	long long deadline = mono_ms() + (long long)timeout_s * 1000;
	for (;;) {
		long long left = deadline - mono_ms();
		if (left <= 0) {
			*err = xasprintf("no sign-in came back from %s within %d s", host, timeout_s);
			return -ETIMEDOUT;
		}
		struct pollfd p = {.fd = lfd, .events = POLLIN};
		int n = poll(&p, 1, (int)(left > 1000 ? 1000 : left));
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		bool path_ok;
		char *q = read_callback(c, &path_ok);
		if (!q) {
			reply(c, path_ok ? 400 : 404, "Not found", "This is ucfs's sign-in listener.");
			close(c);
			continue;
		}
		char *st = oauth_query_get(q, "state"), *cd = oauth_query_get(q, "code");
		char *er = oauth_query_get(q, "error"), *ed = oauth_query_get(q, "error_description");
		oauth_wipe_free(q);
		int rc = 1; /* keep waiting */
		if (!st || strcmp(st, state) != 0) {
			/* Not the answer to our request (a forged or stale redirect): ignore. */
			reply(c, 400, "Sign-in failed", "The state does not match this sign-in.");
		} else if (er) {
			char *e1 = name_escape(er), *e2 = ed ? name_escape(ed) : NULL;
			*err = xasprintf("sign-in to %s refused: %.100s%s%.200s", host, e1 ? e1 : "?",
					 e2 ? ": " : "", e2 ? e2 : "");
			free(e1);
			free(e2);
			reply(c, 400, "Sign-in failed", "ucfs was not signed in. You can close this tab.");
			rc = -EACCES;
		} else if (!cd) {
			reply(c, 400, "Sign-in failed", "The redirect carries no code.");
		} else {
			reply(c, 200, "Signed in", "ucfs is signed in. You can close this tab.");
			*code = cd;
			cd = NULL;
			rc = 0;
		}
		close(c);
		free(st);
		oauth_wipe_free(cd);
		free(er);
		free(ed);
		if (rc <= 0)
			return rc;
	}
}

static int store(const struct u2m_login_opts *o, const struct oauth_token *t, char **path, char **err)
{
	struct tokencache tc;
	char *key = oauth_cache_key(o->host, NULL);
	if (!key) {
		*err = xstrdup("out of memory");
		return -ENOMEM;
	}
	int rc = tokencache_open(true, &tc, err);
	if (!rc) {
		rc = oauth_cache_put(tc.doc, key, t);
		if (rc)
			*err = xstrdup("out of memory");
		else
			rc = tokencache_save(&tc, err);
		if (!rc)
			*path = xstrdup(tc.path);
		tokencache_close(&tc);
	}
	free(key);
	return rc;
}

int u2m_login(struct http_client *http, const struct u2m_login_opts *o, char **err)
{
	*err = NULL;
	const char *client_id = str_empty(o->client_id) ? "databricks-cli" : o->client_id;
	const char *scopes = str_empty(o->scopes) ? "all-apis offline_access" : o->scopes;
	int port = 0, lfd;
	if (o->port > 0) {
		lfd = listen_loopback(o->port, &port);
	} else if (o->port < 0) {
		lfd = listen_loopback(0, &port);
	} else {
		lfd = listen_loopback(U2M_DEFAULT_PORT, &port);
		if (lfd == -EADDRINUSE) {
			lfd = listen_loopback(0, &port);
			if (lfd >= 0)
				fprintf(o->out, "port %d is busy: listening on %d instead (the client must "
					"allow http://localhost:%d)\n", U2M_DEFAULT_PORT, port, port);
		}
	}
	if (lfd < 0) {
		*err = xasprintf("cannot listen on 127.0.0.1:%d for the sign-in redirect: %s",
				 o->port > 0 ? o->port : U2M_DEFAULT_PORT, strerror(-lfd));
		return lfd;
	}
	char *verifier = oauth_random(32), *state = oauth_random(16);
	char *challenge = verifier ? oauth_pkce_challenge(verifier) : NULL;
	char *redirect = xasprintf("http://localhost:%d", port);
	char *url = (state && challenge && redirect) ?
		    oauth_authorize_url(o->host, client_id, redirect, scopes, state, challenge) : NULL;
	char *code = NULL, *form = NULL, *path = NULL;
	pid_t browser = -1;
	struct oauth_token t = {0};
	int rc = 0;
	if (!url) {
		rc = -ENOMEM;
		*err = xstrdup("out of memory (or no random source)");
		goto out;
	}
	fprintf(o->out, "Open this URL to sign in to %s (waiting %d s):\n%s\n", o->host, o->timeout_s, url);
	fflush(o->out);
	if (!o->no_browser)
		open_browser(url, &browser);
	rc = wait_for_code(lfd, state, o->timeout_s > 0 ? o->timeout_s : 300, o->host, &code, err);
	close(lfd);
	lfd = -1;
	if (rc)
		goto out;
	const char *names[] = {"grant_type", "code", "redirect_uri", "client_id", "code_verifier"};
	const char *values[] = {"authorization_code", code, redirect, client_id, verifier};
	form = oauth_form(5, names, values);
	if (!form) {
		rc = -ENOMEM;
		*err = xstrdup("out of memory");
		goto out;
	}
	rc = oauth_post_token(http, o->host, form, NULL, "sign-in: code exchange", &t, err);
	if (rc)
		goto out;
	if (!t.refresh_token)
		fprintf(o->out, "note: %s gave no refresh token: log in again when the token expires\n",
			o->host);
	rc = store(o, &t, &path, err);
	if (!rc) {
		char when[40];
		oauth_format_time(t.expiry_ms, when);
		fprintf(o->out, "Signed in to %s; token valid until %s, saved in %s\n", o->host, when, path);
	}
out:
	if (lfd >= 0)
		close(lfd);
	if (browser > 0)
		waitpid(browser, NULL, WNOHANG);
	oauth_token_clear(&t);
	oauth_wipe_free(verifier);
	oauth_wipe_free(code);
	oauth_wipe_free(form);
	free(state);
	free(challenge);
	free(redirect);
	free(url);
	free(path);
	if (*err)
		redact(*err);
	return rc;
}
