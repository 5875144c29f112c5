/* auth_u2m.c - see auth_u2m.h: the token side (cache, refresh, the
 * databricks CLI). The browser flow is u2m_login.c. */
#include "uc/auth_u2m.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
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

#define U2M_MARGIN_MS 10000      /* refresh when less remains (Go oauth2's expiryDelta) */
#define CLI_TIMEOUT_MS 30000     /* `databricks auth token` may refresh: network */
#define CLI_MAX_OUT (64 * 1024)

static const char *method_name(const struct ucfs_conn *c)
{
	return c->auth == AUTH_DATABRICKS_CLI ? "databricks-cli" : "external-browser";
}

static const char *u2m_client_id(const struct ucfs_conn *c)
{
	return str_empty(c->client_id) ? "databricks-cli" : c->client_id;
}

static char *cache_key_of(const struct ucfs_conn *c)
{
	bool account = !str_empty(c->account_id) && strstr(c->host, "://accounts.");
	return oauth_cache_key(c->host, account ? c->account_id : NULL);
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------- the CLI */

/* Run ARGV with stdin /dev/null, collecting stdout and stderr (each at most
 * CLI_MAX_OUT) for at most CLI_TIMEOUT_MS. 0 with *status, -ENOENT (not
 * found), -ETIMEDOUT, -EFBIG, or another negative errno. */
static int run_bounded(char *const argv[], struct strbuf *out, struct strbuf *errb, int *status)
{
	int po[2] = {-1, -1}, pe[2] = {-1, -1}, rc = 0;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0) {
		rc = -errno;
		goto close_pipes;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	pid_t pid;
	int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(po[1]);
	close(pe[1]);
	po[1] = pe[1] = -1;
	if (e) {
		rc = -e;
		goto close_pipes;
	}
	long long deadline = mono_ms() + CLI_TIMEOUT_MS;
	struct pollfd pfd[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
	struct strbuf *bufs[2] = {out, errb};
	int open_fds = 2;
	while (open_fds > 0 && !rc) {
		long long left = deadline - mono_ms();
		if (left <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		int n = poll(pfd, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			char buf[4096];
			ssize_t r = read(pfd[i].fd, buf, sizeof(buf));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				pfd[i].fd = -1;
				open_fds--;
			} else if (bufs[i]->len + (size_t)r > CLI_MAX_OUT) {
				rc = -EFBIG;
			} else if (sb_append(bufs[i], buf, (size_t)r)) {
				rc = -ENOMEM;
			}
			memset(buf, 0, sizeof(buf));
		}
	}
	if (rc)
		kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
close_pipes:
	for (int i = 0; i < 2; i++) {
		if (po[i] >= 0)
			close(po[i]);
		if (pe[i] >= 0)
			close(pe[i]);
	}
	return rc;
}

/* The first line of TEXT, escaped, at most 200 bytes (malloc'ed). */
static char *first_line(const char *text)
{
	char line[201];
	size_t n = strcspn(text ? text : "", "\n");
	snprintf(line, sizeof(line), "%.*s", (int)(n > 200 ? 200 : n), text ? text : "");
	return name_escape(line);
}

/* `databricks auth token --host H`: 0, -ENOENT when the CLI is not there,
 * else an error with *err. */
static int token_from_cli(const struct ucfs_conn *conn, char **tok, long long *life, char **err)
{
	const char *cli = str_empty(conn->databricks_cli_path) ? "databricks" : conn->databricks_cli_path;
	bool account = !str_empty(conn->account_id) && strstr(conn->host, "://accounts.");
	char *argv[] = {(char *)cli, "auth", "token", "--host", conn->host,
			account ? "--account-id" : NULL, account ? conn->account_id : NULL, NULL};
	struct strbuf out = {0}, errb = {0};
	int status = 0;
	int rc = run_bounded(argv, &out, &errb, &status);
	if (rc == -ENOENT || rc == -EACCES) {
		rc = -ENOENT;
		goto out;
	}
	if (rc) {
		*err = xasprintf("databricks-cli: '%s auth token --host %s' %s", cli, conn->host,
				 rc == -ETIMEDOUT ? "did not finish in 30 s" :
				 rc == -EFBIG ? "printed too much" : strerror(-rc));
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *l = first_line(errb.buf);
		*err = xasprintf("databricks-cli: '%s auth token --host %s' failed%s%s", cli, conn->host,
				 str_empty(l) ? "" : ": ", l ? l : "");
		free(l);
		rc = -EACCES;
		goto out;
	}
	cJSON *root = out.buf ? cJSON_ParseWithLength(out.buf, out.len) : NULL;
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "expiry");
	long long expiry = 0;
	if (!cJSON_IsString(at) || str_empty(at->valuestring) ||
	    strlen(at->valuestring) > OAUTH_MAX_TOKEN_LEN || strpbrk(at->valuestring, " \r\n\t")) {
		rc = -EBADMSG;
		*err = xasprintf("databricks-cli: '%s auth token' printed no access_token", cli);
	} else if (cJSON_IsString(ex) && strlen(ex->valuestring) <= 64 &&
		   !oauth_parse_time(ex->valuestring, &expiry)) {
		long long now = oauth_now_ms();
		*life = expiry == OAUTH_NO_EXPIRY ? 3600000 : expiry - now;
		if (*life <= 0) {
			rc = -EBADMSG;
			*err = xasprintf("databricks-cli: '%s auth token' printed an expired token", cli);
		}
	} else {
		rc = -EBADMSG;
		*err = xasprintf("databricks-cli: '%s auth token' printed no valid expiry", cli);
	}
	if (!rc && !(*tok = xstrdup(at->valuestring)))
		rc = -ENOMEM;
	cJSON_Delete(root);
out:
	if (out.buf)
		memset(out.buf, 0, out.len);
	sb_free(&out);
	sb_free(&errb);
	return rc;
}

/* ------------------------------------------------------------- the cache */

static int refresh(struct http_client *http, const struct ucfs_conn *conn, struct oauth_token *t,
		   char **err)
{
	const char *names[] = {"grant_type", "refresh_token", "client_id"};
	const char *values[] = {"refresh_token", t->refresh_token, u2m_client_id(conn)};
	char *form = oauth_form(3, names, values);
	if (!form) {
		*err = xstrdup("out of memory");
		return -ENOMEM;
	}
	struct oauth_token nt;
	char *what = xasprintf("%s: token refresh", method_name(conn));
	int rc = oauth_post_token(http, conn->host, form, NULL, what ? what : "token refresh", &nt, err);
	free(what);
	oauth_wipe_free(form);
	if (rc)
		return rc;
	if (!nt.refresh_token) { /* not rotated: keep the old one */
		nt.refresh_token = t->refresh_token;
		t->refresh_token = NULL;
	}
	oauth_token_clear(t);
	*t = nt;
	return 0;
}

static int token_from_cache(struct http_client *http, const struct ucfs_conn *conn, char **tok,
			    long long *life, char **err)
{
	const char *m = method_name(conn);
	char *key = cache_key_of(conn);
	if (!key) {
		*err = xstrdup("out of memory");
		return -ENOMEM;
	}
	struct tokencache tc;
	char *e = NULL;
	int rc = tokencache_open(false, &tc, &e);
	if (rc) {
		*err = xasprintf("%s: %s", m, e ? e : strerror(-rc));
		free(e);
		free(key);
		return rc;
	}
	struct oauth_token t;
	rc = oauth_cache_get(tc.doc, key, &t);
	if (rc == -ENOENT || rc == -EBADMSG) {
		*err = xasprintf("no Databricks login for %s%s: run 'ucfs auth login --host %s'",
				 conn->host, rc == -EBADMSG ? " (its cache entry is damaged)" : "",
				 conn->host);
		rc = -EACCES;
		goto out;
	}
	if (rc)
		goto out;
	long long now = oauth_now_ms();
	bool fresh = t.access_token &&
		     (t.expiry_ms == OAUTH_NO_EXPIRY || t.expiry_ms - now > U2M_MARGIN_MS);
	if (!fresh) {
		if (!t.refresh_token) {
			*err = xasprintf("the Databricks login for %s has expired: run 'ucfs auth login --host %s'",
					 conn->host, conn->host);
			rc = -EACCES;
			goto out_tok;
		}
		char *re = NULL;
		rc = refresh(http, conn, &t, &re);
		if (rc == -EACCES) {
			*err = xasprintf("%s; log in again: 'ucfs auth login --host %s'", re, conn->host);
			free(re);
			goto out_tok;
		} else if (rc) {
			*err = re;
			goto out_tok;
		}
		log_debug("auth: %s token for %s refreshed", m, conn->host);
		if ((rc = oauth_cache_put(tc.doc, key, &t)) == 0 && (rc = tokencache_save(&tc, &e)) != 0) {
			*err = xasprintf("%s: %s", m, e);
			free(e);
			goto out_tok;
		}
		if (rc)
			goto out_tok;
		now = oauth_now_ms();
	}
	*life = t.expiry_ms == OAUTH_NO_EXPIRY ? 3600000 : t.expiry_ms - now;
	*tok = t.access_token;
	t.access_token = NULL;
out_tok:
	oauth_token_clear(&t);
out:
	if (rc == -ENOMEM && !*err)
		*err = xstrdup("out of memory");
	tokencache_close(&tc);
	free(key);
	return rc;
}

int u2m_token(struct http_client *http, const struct ucfs_conn *conn, char **access_token,
	      long long *lifetime_ms, char **err)
{
	*access_token = NULL;
	*lifetime_ms = 0;
	*err = NULL;
	if (str_empty(conn->host)) {
		*err = xasprintf("%s: no host", method_name(conn));
		return -EINVAL;
	}
	int rc;
	if (conn->auth == AUTH_DATABRICKS_CLI) {
		char *ce = NULL;
		rc = token_from_cli(conn, access_token, lifetime_ms, &ce);
		if (!rc) {
			log_debug("auth: token for %s from the databricks CLI", conn->host);
			return 0;
		}
		if (rc != -ENOENT && !str_empty(conn->databricks_cli_path)) {
			*err = ce; /* the CLI the user named failed: say so */
			return rc;
		}
		if (rc != -ENOENT)
			log_info("%s; trying the token cache", ce ? ce : "databricks CLI failed");
		else if (!str_empty(conn->databricks_cli_path)) {
			*err = xasprintf("databricks-cli: %s not found", conn->databricks_cli_path);
			free(ce);
			return -ENOENT;
		}
		free(ce);
	}
	rc = token_from_cache(http, conn, access_token, lifetime_ms, err);
	if (*err)
		redact(*err);
	return rc;
}
