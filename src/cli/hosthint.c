/*
 * hosthint.c - what to tell a user whose --host has no scheme, or whose
 * https:// host answers plain HTTP. See cli.h.
 *
 * cli_connect() records the host as given and as resolved; when an error
 * message says the TLS handshake failed, cli_fail() asks for the hint: the
 * scheme ucfs assumed (if it did) and, when the same host:port answers a
 * plain HTTP request, the http:// URL to use instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "net/http.h"
#include "util/strutil.h"

static char *given_what;  /* "--host" or "DATABRICKS_HOST" */
static char *given;       /* the host as given, when it had no scheme */
static char *resolved;    /* the host connected to, "https://..." */

void cli_host_hint_set(const char *what, const char *raw, const char *host)
{
	free(given_what);
	free(given);
	free(resolved);
	given_what = given = resolved = NULL;
	if (!host || strncmp(host, "https://", 8) != 0)
		return; /* only an https:// host can be a wrong guess */
	resolved = xstrdup(host);
	given_what = what ? xstrdup(what) : NULL;
	given = what && raw && !strstr(raw, "://") ? xstrdup(raw) : NULL;
}

/* Does host:port of the https:// URL answer a plain HTTP request? */
static bool answers_plain_http(const char *https_url, char **plain)
{
	char *origin = http_url_origin(https_url);
	*plain = origin && !strncmp(origin, "https://", 8) ? xasprintf("http://%s", origin + 8)
							    : NULL;
	free(origin);
	if (!*plain)
		return false;
	struct http_options o = {.connect_timeout_ms = 3000, .timeout_ms = 5000,
				 .max_retries = -1, .max_body_bytes = 65536};
	struct http_client *c = http_client_new(&o);
	struct http_request req = {.method = "GET", .url = *plain};
	struct http_response res;
	char *err = NULL;
	bool ok = c && http_perform(c, &req, &res, &err) == 0;
	if (ok)
		http_response_free(&res);
	free(err);
	http_client_free(c);
	return ok;
}

void cli_host_hint_print(void)
{
	if (!resolved)
		return;
	if (given && given_what)
		fprintf(stderr, "ucfs: note: no scheme in %s '%s': assumed https://\n", given_what,
			given);
	char *plain = NULL;
	if (answers_plain_http(resolved, &plain))
		fprintf(stderr, "ucfs: note: %s answers plain HTTP, not TLS: use %s%s\n",
			plain + 7, given_what && !strcmp(given_what, "--host") ? "--host " : "", plain);
	free(plain);
	/* said once */
	free(resolved);
	resolved = NULL;
}
