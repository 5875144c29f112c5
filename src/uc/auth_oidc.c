/* auth_oidc.c - see auth_oidc.h. Placeholder until the OIDC work lands. */
#include "uc/auth_oidc.h"

#include <errno.h>

#include "util/strutil.h"

int oidc_token(struct http_client *http, const struct ucfs_conn *conn, char **access_token,
	       long long *lifetime_ms, char **err)
{
	(void)http;
	(void)conn;
	*access_token = NULL;
	*lifetime_ms = 0;
	*err = xstrdup("OIDC federation is not built yet");
	return -ENOSYS;
}
