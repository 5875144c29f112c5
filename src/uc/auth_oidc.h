/*
 * auth_oidc.h - workload identity federation (env-oidc, file-oidc).
 *
 * Contract: oidc_token() reads an OIDC token (AUTH_ENV_OIDC: the variable
 * conn->oidc_token_env, default DATABRICKS_OIDC_TOKEN; AUTH_FILE_OIDC: the
 * file conn->oidc_token_filepath, re-read on every call) and exchanges it at
 * {host}/oidc/v1/token (RFC 8693 token exchange, scope all-apis, client_id
 * when set) for a workspace access token. 0 or a negative errno with a
 * malloc'ed one-line *err naming the method and the source (never a token).
 */
#ifndef UCFS_UC_AUTH_OIDC_H
#define UCFS_UC_AUTH_OIDC_H

#include "core/config.h"
#include "net/http.h"

int oidc_token(struct http_client *http, const struct ucfs_conn *conn, char **access_token,
	       long long *lifetime_ms, char **err);

#endif
