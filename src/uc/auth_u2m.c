/* auth_u2m.c - see auth_u2m.h. Placeholder until the U2M work lands. */
#include "uc/auth_u2m.h"

#include <errno.h>

#include "util/strutil.h"

int u2m_login(struct http_client *http, const struct u2m_login_opts *o, char **err)
{
	(void)http;
	(void)o;
	*err = xstrdup("auth login is not built yet");
	return -ENOSYS;
}

int u2m_token(struct http_client *http, const struct ucfs_conn *conn, char **access_token,
	      long long *lifetime_ms, char **err)
{
	(void)http;
	(void)conn;
	*access_token = NULL;
	*lifetime_ms = 0;
	*err = xstrdup("U2M sign-in is not built yet");
	return -ENOSYS;
}
