/*
 * auth_u2m.h - the user's own identity: OAuth U2M (authorization code with
 * PKCE, loopback redirect) and the token cache the Databricks CLI shares.
 *
 * Contract: u2m_login() runs the browser flow for o->host and stores the
 * tokens (file mode 0600) in the Databricks CLI's token cache, so a login
 * made by either tool serves both. u2m_token() yields a valid access token
 * for conn->host: AUTH_DATABRICKS_CLI first runs `databricks auth token
 * --host H` when that CLI is found, then (like AUTH_U2M) reads the cache,
 * refreshing with the refresh token and writing the cache back when the
 * access token is (nearly) expired. Both return 0 or a negative errno with a
 * malloc'ed one-line *err naming the method and what to run (never a token).
 */
#ifndef UCFS_UC_AUTH_U2M_H
#define UCFS_UC_AUTH_U2M_H

#include <stdbool.h>
#include <stdio.h>

#include "core/config.h"
#include "net/http.h"

struct u2m_login_opts {
	const char *host;      /* normalized workspace URL */
	const char *client_id; /* NULL = "databricks-cli" */
	const char *scopes;    /* NULL = "all-apis offline_access" */
	bool no_browser;       /* only print the URL */
	int timeout_s;         /* wait for the redirect at most this long (0 = 300) */
	int port;              /* loopback port: 0 = 8020 (the CLI's), a free one when busy;
				* > 0 exactly that one; < 0 any free one */
	FILE *out;             /* where the URL and progress go */
};

int u2m_login(struct http_client *http, const struct u2m_login_opts *o, char **err);
int u2m_token(struct http_client *http, const struct ucfs_conn *conn, char **access_token,
	      long long *lifetime_ms, char **err);

#endif
