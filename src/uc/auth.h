/*
 * auth.h - credentials for Unity Catalog requests, one fetch function per
 * method behind one token cache.
 *
 * Contract: uc_auth_headers() yields the malloc'ed header lines of a
 * request ("Authorization: Bearer ...", and for the azure-* methods
 * "X-Databricks-Azure-Workspace-Resource-Id: ..." when a resource id is set
 * and "X-Databricks-Azure-SP-Management-Token: ..." as the SDK sends it);
 * none for AUTH_NONE. PAT: the configured token. Every other method has a
 * fetch function (OAuth M2M: POST {host}/oidc/v1/token with HTTP Basic
 * client_id:client_secret, form grant_type=client_credentials&scope=all-apis;
 * U2M/databricks-cli: u2m_token(); env/file-oidc: oidc_token(); azure-*:
 * azure_token()) whose token is cached and refreshed when less than
 * min(300 s, half its lifetime) remains. Thread-safe: concurrent callers
 * share one refresh; while a still-valid token exists they keep using it
 * instead of waiting, and a failed refresh keeps a token valid > 5 s. A 401
 * from Unity Catalog calls uc_auth_invalidate(): the next call fetches anew
 * (every refreshing method). Token answers are read through a private HTTP
 * client bounded to 64 KiB and 30 s. Secrets are never logged.
 */
#ifndef UCFS_UC_AUTH_H
#define UCFS_UC_AUTH_H

#include "core/config.h"
#include "net/http.h"

struct uc_auth;

#define UC_AUTH_MAX_HEADERS 3
struct uc_auth_headers {
	char *line[UC_AUTH_MAX_HEADERS + 1]; /* NULL-terminated; wiped by uc_auth_headers_free */
};

/* Copies what it needs from CONN; NULL on ENOMEM. */
struct uc_auth *uc_auth_new(const struct ucfs_conn *conn);
/* 0 or negative errno (-EACCES: credentials rejected, transport errno, -EBADMSG) with *err. */
int uc_auth_headers(struct uc_auth *a, struct uc_auth_headers *h, char **err);
void uc_auth_headers_free(struct uc_auth_headers *h);
/* Forget a cached token (e.g. after a 401) so the next call fetches a new one. */
void uc_auth_invalidate(struct uc_auth *a);
enum auth_kind uc_auth_kind(const struct uc_auth *a);
/* Does this method fetch (and cache) tokens? */
bool uc_auth_refreshes(enum auth_kind k);
void uc_auth_free(struct uc_auth *a);

/* Pure: refresh when remaining_ms < min(300000, lifetime_ms / 2). */
bool uc_auth_needs_refresh(long long remaining_ms, long long lifetime_ms);

#endif
