/*
 * oauth_http.h - one POST to a workspace's token endpoint, {host}/oidc/v1/token.
 *
 * Contract: oauth_post_token() sends FORM (application/x-www-form-urlencoded,
 * no client secret; AUTH_HEADER, e.g. HTTP Basic client credentials, is an
 * extra header line or NULL) and parses the answer into *t (uc/oauth_util.h bounds).
 * The endpoint is always derived from HOST: an answer never chooses where a
 * secret goes next. 0, -EACCES (400/401/403: the grant was refused; *err
 * carries the server's escaped OAuth error), -EBADMSG, -EFBIG or a transport
 * errno, with a malloc'ed one-line *err starting with WHAT ("U2M token
 * refresh", ...) and naming HOST, never the form nor the answer's tokens.
 * The answer's body is wiped before it is freed.
 */
#ifndef UCFS_UC_OAUTH_HTTP_H
#define UCFS_UC_OAUTH_HTTP_H

#include "net/http.h"
#include "uc/oauth_util.h"

int oauth_post_token(struct http_client *http, const char *host, const char *form,
		     const char *auth_header, const char *what, struct oauth_token *t, char **err);

/* Wall-clock now in epoch milliseconds. */
long long oauth_now_ms(void);

#endif
