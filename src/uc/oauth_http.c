/* oauth_http.c - see oauth_http.h. */
#include "uc/oauth_http.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/strutil.h"

long long oauth_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int oauth_post_token(struct http_client *http, const char *host, const char *form,
		     const char *auth_header, const char *what, struct oauth_token *t, char **err)
{
	memset(t, 0, sizeof(*t));
	*err = NULL;
	char *url = xasprintf("%s/oidc/v1/token", host);
	if (!url) {
		*err = xstrdup("out of memory");
		return -ENOMEM;
	}
	const char *hdrs[] = {"Accept: application/json", auth_header, NULL};
	struct http_request req = {.method = "POST", .url = url, .headers = hdrs, .body = form,
				   .body_len = strlen(form),
				   .content_type = "application/x-www-form-urlencoded"};
	struct http_response resp = {0};
	char *msg = NULL;
	long long now = oauth_now_ms();
	int rc = http_perform(http, &req, &resp, &msg);
	if (rc) {
		*err = xasprintf("%s: cannot reach %s: %s", what, host, msg ? msg : strerror(-rc));
		free(msg);
		goto out;
	}
	if (resp.body_len > OAUTH_ANSWER_MAX_BYTES) {
		rc = -EFBIG;
		*err = xasprintf("%s: the answer of %s/oidc/v1/token is too large (%zu bytes)", what, host,
				 resp.body_len);
	} else if (!http_status_ok(resp.status)) {
		char *oe = oauth_error_text(resp.body, resp.body_len);
		rc = (resp.status == 400 || resp.status == 401 || resp.status == 403) ? -EACCES : -EIO;
		*err = xasprintf("%s refused by %s/oidc/v1/token (%ld%s%s)", what, host, resp.status,
				 oe ? ": " : "", oe ? oe : "");
		free(oe);
	} else {
		const char *why = NULL;
		rc = oauth_parse_token_answer(resp.body, resp.body_len, now, t, &why);
		if (rc == -EBADMSG)
			*err = xasprintf("%s: bad answer from %s/oidc/v1/token: %s", what, host, why);
	}
	if (resp.body)
		memset(resp.body, 0, resp.body_len);
	http_response_free(&resp);
out:
	if (rc == -ENOMEM && !*err)
		*err = xstrdup("out of memory");
	if (*err)
		redact(*err);
	free(url);
	return rc;
}
