/* auth_oidc.c - see auth_oidc.h. */
#include "uc/auth_oidc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "uc/oauth_http.h"
#include "uc/oauth_util.h"
#include "util/log.h"
#include "util/strutil.h"

/* Trimmed copy of a token (no inner blanks allowed: a JWT has none). */
static int clean_token(const char *raw, size_t len, char **out)
{
	while (len && (raw[len - 1] == '\n' || raw[len - 1] == '\r' || raw[len - 1] == ' ' ||
		       raw[len - 1] == '\t'))
		len--;
	while (len && (*raw == ' ' || *raw == '\t' || *raw == '\n' || *raw == '\r')) {
		raw++;
		len--;
	}
	if (!len)
		return -ENODATA;
	if (len > OAUTH_MAX_TOKEN_LEN)
		return -EFBIG;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)raw[i] < 0x21 || raw[i] == 0x7f)
			return -EBADMSG;
	*out = xstrndup(raw, len);
	return *out ? 0 : -ENOMEM;
}

static int read_token_file(const char *path, char **tok)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat sb;
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	char *buf = malloc(OAUTH_MAX_TOKEN_LEN + 2);
	size_t got = 0;
	int rc = buf ? 0 : -ENOMEM;
	while (!rc && got < OAUTH_MAX_TOKEN_LEN + 1) {
		ssize_t n = read(fd, buf + got, OAUTH_MAX_TOKEN_LEN + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!rc)
		rc = clean_token(buf, got, tok);
	if (buf) {
		memset(buf, 0, OAUTH_MAX_TOKEN_LEN + 2);
		free(buf);
	}
	return rc;
}

static const char *problem(int rc)
{
	switch (rc) {
	case -ENODATA: return "it is empty";
	case -EFBIG: return "it is too long for a token";
	case -EBADMSG: return "it holds blanks or control characters, not one token";
	case -EINVAL: return "not a regular file";
	default: return strerror(-rc);
	}
}

int oidc_token(struct http_client *http, const struct ucfs_conn *conn, char **access_token,
	       long long *lifetime_ms, char **err)
{
	*access_token = NULL;
	*lifetime_ms = 0;
	*err = NULL;
	const char *m = conn->auth == AUTH_FILE_OIDC ? "file-oidc" : "env-oidc";
	if (str_empty(conn->host)) {
		*err = xasprintf("%s: no host", m);
		return -EINVAL;
	}
	char *subject = NULL;
	int rc;
	if (conn->auth == AUTH_FILE_OIDC) {
		if (str_empty(conn->oidc_token_filepath)) {
			*err = xstrdup("file-oidc: no token file (oidc_token_filepath / DATABRICKS_OIDC_TOKEN_FILEPATH)");
			return -EINVAL;
		}
		rc = read_token_file(conn->oidc_token_filepath, &subject);
		if (rc) {
			*err = xasprintf("file-oidc: cannot use the token file %s: %s",
					 conn->oidc_token_filepath, problem(rc));
			return rc == -ENOMEM ? rc : -EACCES;
		}
	} else {
		const char *var = str_empty(conn->oidc_token_env) ? "DATABRICKS_OIDC_TOKEN" : conn->oidc_token_env;
		const char *v = getenv(var);
		rc = v ? clean_token(v, strlen(v), &subject) : -ENODATA;
		if (rc) {
			*err = xasprintf("env-oidc: cannot use the variable %s: %s", var,
					 v ? problem(rc) : "it is not set");
			return rc == -ENOMEM ? rc : -EACCES;
		}
	}
	/* As the Databricks SDKs send it (databricks/sdk/oidc.py): RFC 8693 with a
	 * JWT subject, scope all-apis, the client id of a workload identity
	 * federation policy when one is set (none: account-wide federation). */
	const char *names[] = {"grant_type", "subject_token_type", "subject_token", "scope", "client_id"};
	const char *values[] = {"urn:ietf:params:oauth:grant-type:token-exchange",
				"urn:ietf:params:oauth:token-type:jwt", subject, "all-apis",
				str_empty(conn->client_id) ? NULL : conn->client_id};
	char *form = oauth_form(5, names, values);
	oauth_wipe_free(subject);
	if (!form) {
		*err = xstrdup("out of memory");
		return -ENOMEM;
	}
	char *what = xasprintf("%s: token exchange", m);
	struct oauth_token t;
	rc = oauth_post_token(http, conn->host, form, NULL, what ? what : m, &t, err);
	oauth_wipe_free(form);
	free(what);
	if (rc)
		return rc;
	*lifetime_ms = t.expiry_ms - oauth_now_ms();
	if (*lifetime_ms < 1000)
		*lifetime_ms = 1000;
	*access_token = t.access_token;
	t.access_token = NULL;
	oauth_token_clear(&t);
	log_debug("auth: %s token for %s, valid %lld s", m, conn->host, *lifetime_ms / 1000);
	return 0;
}
