/*
 * auth.h - token providers for Unity Catalog requests.
 *
 * Contract: uc_auth_header() yields a malloc'ed "Authorization: Bearer ..."
 * line (NULL for AUTH_NONE). PAT: the configured token. OAuth M2M: a token
 * from POST {host}/oidc/v1/token (HTTP Basic client_id:client_secret, form
 * grant_type=client_credentials&scope=all-apis), cached and refreshed when
 * less than min(300 s, half its lifetime) remains. Thread-safe: concurrent
 * callers share one refresh; while a still-valid token exists they keep
 * using it instead of waiting. Secrets are never logged. The http client is
 * borrowed and must outlive the uc_auth.
 */
#ifndef UCFS_UC_AUTH_H
#define UCFS_UC_AUTH_H

#include "core/config.h"
#include "net/http.h"

struct uc_auth;

struct uc_auth *uc_auth_new(const struct ucfs_conn *conn, struct http_client *http); /* NULL on ENOMEM */
/* 0 or negative errno (-EACCES: credentials rejected, transport errno, -EBADMSG) with *err. */
int uc_auth_header(struct uc_auth *a, char **header, char **err);
/* Forget a cached OAuth token (e.g. after a 401) so the next call fetches a new one. */
void uc_auth_invalidate(struct uc_auth *a);
enum auth_kind uc_auth_kind(const struct uc_auth *a);
void uc_auth_free(struct uc_auth *a);

/* Pure: refresh when remaining_ms < min(300000, lifetime_ms / 2). */
bool uc_auth_needs_refresh(long long remaining_ms, long long lifetime_ms);

#endif
