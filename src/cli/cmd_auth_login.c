/*
 * cmd_auth_login.c - `ucfs auth login` (the browser sign-in, U2M) and
 * `ucfs auth token` (a token of one sign-in method, as `databricks auth
 * token` prints it).
 *
 * Both take the host from --host or DATABRICKS_HOST. `auth token` prints
 * the token's expiry only, unless --json is given: then the token JSON the
 * Databricks CLI prints ({access_token, token_type, expiry}), and only when
 * stdout is not the same file as stderr (the log), nor a terminal.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "net/http.h"
#include "uc/auth_oidc.h"
#include "uc/auth_u2m.h"
#include "uc/oauth_http.h"
#include "uc/oauth_util.h"
#include "util/strutil.h"

static void login_help(FILE *out)
{
	fprintf(out,
		"usage: ucfs auth login [--host URL] [--client-id ID] [--port N] [--no-browser]\n"
		"                       [--timeout SECONDS]\n"
		"\n"
		"Sign in to a Databricks workspace in the browser (OAuth U2M: authorization\n"
		"code with PKCE) and keep the tokens in the Databricks CLI's token cache,\n"
		"~/.databricks/token-cache.json (mode 0600), shared with 'databricks auth login':\n"
		"a login made by either tool serves both. Mirrors and mounts then use it with\n"
		"auth_type = external-browser (or databricks-cli) and refresh it themselves.\n"
		"\n"
		"  --host URL        the workspace (default $DATABRICKS_HOST)\n"
		"  --client-id ID    OAuth client (default databricks-cli)\n"
		"  --port N          loopback port of the redirect, http://localhost:N (default\n"
		"                    8020 as the Databricks CLI, another free one when busy;\n"
		"                    0: any free port)\n"
		"  --no-browser      only print the URL to open\n"
		"  --timeout S       wait at most S seconds for the sign-in (default 300)\n");
}

static void token_help(FILE *out)
{
	fprintf(out,
		"usage: ucfs auth token [--host URL] [--profile NAME] [--method METHOD] [--json]\n"
		"\n"
		"Get a token the way a mount would, and print when it expires. Host and\n"
		"settings are resolved as for every command (see 'ucfs auth describe').\n"
		"METHOD: external-browser (the token cache, refreshed when needed; default),\n"
		"databricks-cli ('databricks auth token', else the cache), env-oidc\n"
		"($DATABRICKS_OIDC_TOKEN or $DATABRICKS_OIDC_TOKEN_ENV's variable), file-oidc\n"
		"($DATABRICKS_OIDC_TOKEN_FILEPATH). $DATABRICKS_CLIENT_ID is the client id.\n"
		"--json prints the token as JSON, as 'databricks auth token' does, only when\n"
		"stdout is neither a terminal nor stderr.\n");
}

static int resolve_host(const char *cmd, const char *arg, char **host)
{
	const char *h = arg ? arg : getenv("DATABRICKS_HOST");
	if (str_empty(h))
		return cli_usage_error(cmd, "no host: give --host URL or set DATABRICKS_HOST");
	int rc = conn_normalize_host(h, host);
	if (rc == -ENOMEM)
		return cli_fail("out of memory");
	if (rc)
		return cli_usage_error(cmd, "not a host URL: '%s'", h);
	return 0;
}

static struct http_client *new_http(void)
{
	struct http_options ho = {.timeout_ms = 30000, .max_body_bytes = OAUTH_ANSWER_MAX_BYTES + 1};
	return http_client_new(&ho);
}

static bool parse_int(const char *s, long lo, long hi, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return false;
	*out = (int)v;
	return true;
}

int cmd_auth_login(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"host", required_argument, NULL, 'H'},
		{"client-id", required_argument, NULL, 'c'},
		{"port", required_argument, NULL, 'P'},
		{"no-browser", no_argument, NULL, 'n'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	const char *host_arg = NULL;
	struct u2m_login_opts o = {.timeout_s = 300, .out = stdout};
	int opt;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'H': host_arg = optarg; break;
		case 'c': o.client_id = optarg; break;
		case 'n': o.no_browser = true; break;
		case 'P':
			if (!parse_int(optarg, 0, 65535, &o.port))
				return cli_usage_error("auth login", "--port wants 0..65535, not '%s'", optarg);
			if (o.port == 0)
				o.port = -1;
			break;
		case 't':
			if (!parse_int(optarg, 1, 3600, &o.timeout_s))
				return cli_usage_error("auth login", "--timeout wants 1..3600 seconds, not '%s'",
						       optarg);
			break;
		case 'h': login_help(stdout); return 0;
		default: return cli_usage_error("auth login", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("auth login", "unexpected argument '%s'", argv[optind]);
	char *host = NULL;
	int rc = resolve_host("auth login", host_arg, &host);
	if (rc)
		return rc;
	o.host = host;
	struct http_client *http = new_http();
	if (!http) {
		free(host);
		return cli_fail("out of memory");
	}
	char *err = NULL;
	rc = u2m_login(http, &o, &err);
	if (rc)
		cli_fail("%s", err ? err : strerror(-rc));
	free(err);
	http_client_free(http);
	free(host);
	return rc ? 1 : 0;
}

static int method_of(const char *s, enum auth_kind *k)
{
	static const struct { const char *name; enum auth_kind k; } m[] = {
		{"external-browser", AUTH_U2M}, {"databricks-cli", AUTH_DATABRICKS_CLI},
		{"env-oidc", AUTH_ENV_OIDC}, {"file-oidc", AUTH_FILE_OIDC},
	};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (!strcmp(s, m[i].name)) {
			*k = m[i].k;
			return 0;
		}
	return -1;
}

/* Is stdout where the log goes (the same file as stderr) or a terminal? */
static bool stdout_is_log(void)
{
	struct stat a, b;
	if (isatty(STDOUT_FILENO))
		return true;
	if (fstat(STDOUT_FILENO, &a) < 0 || fstat(STDERR_FILENO, &b) < 0)
		return true;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int print_token_json(const char *tok, long long life_ms)
{
	char when[40];
	oauth_format_time(oauth_now_ms() + life_ms, when);
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;
	if (o && cJSON_AddStringToObject(o, "access_token", tok) &&
	    cJSON_AddStringToObject(o, "token_type", "Bearer") && cJSON_AddStringToObject(o, "expiry", when))
		s = cJSON_Print(o);
	cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "access_token");
	if (cJSON_IsString(at))
		memset(at->valuestring, 0, strlen(at->valuestring));
	cJSON_Delete(o);
	if (!s)
		return cli_fail("out of memory");
	puts(s);
	fflush(stdout);
	oauth_wipe_free(s);
	return 0;
}

int cmd_auth_token(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"host", required_argument, NULL, 'H'},
		{"profile", required_argument, NULL, 'p'},
		{"method", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	const char *host_arg = NULL, *profile = NULL;
	bool json = false, have_method = false;
	enum auth_kind method = AUTH_U2M;
	int opt;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'H': host_arg = optarg; break;
		case 'p': profile = optarg; break;
		case 'm':
			if (method_of(optarg, &method))
				return cli_usage_error("auth token", "unknown method '%s' (external-browser, "
						       "databricks-cli, env-oidc, file-oidc)", optarg);
			have_method = true;
			break;
		case 'j': json = true; break;
		case 'h': token_help(stdout); return 0;
		default: return cli_usage_error("auth token", "unknown option");
		}
	}
	if (optind < argc)
		return cli_usage_error("auth token", "unexpected argument '%s'", argv[optind]);
	if (json && stdout_is_log())
		return cli_usage_error("auth token", "--json prints a secret: redirect stdout to a file "
				       "or pipe, apart from stderr");
	/* The same resolution as every command (command line > environment >
	 * profile); --method, else a resolved method this command serves, else
	 * the token cache (external-browser). */
	/* --method is the auth_type of this command line: it outranks the
	 * environment's and the profile's, as a command-line setting does. */
	struct conn_request req = {.host = host_arg, .profile = profile,
				   .auth_type = have_method ? auth_kind_name(method) : NULL};
	struct ucfs_conn conn;
	char *err = NULL;
	if (conn_resolve(&req, &conn, &err)) {
		cli_fail("%s", err ? err : "cannot resolve the connection settings");
		free(err);
		return 1;
	}
	if (str_empty(conn.host)) {
		conn_free(&conn);
		return cli_usage_error("auth token", "no host: give --host URL, --profile NAME or set "
				       "DATABRICKS_HOST");
	}
	if (conn.auth != AUTH_DATABRICKS_CLI && conn.auth != AUTH_ENV_OIDC && conn.auth != AUTH_FILE_OIDC)
		conn.auth = AUTH_U2M;
	struct http_client *http = new_http();
	char *tok = NULL;
	long long life = 0;
	int rc;
	if (!http)
		rc = -ENOMEM;
	else if (conn.auth == AUTH_ENV_OIDC || conn.auth == AUTH_FILE_OIDC)
		rc = oidc_token(http, &conn, &tok, &life, &err);
	else
		rc = u2m_token(http, &conn, &tok, &life, &err);
	int status = 0;
	if (rc) {
		status = cli_fail("%s", err ? err : strerror(-rc));
	} else if (json) {
		status = print_token_json(tok, life);
	} else {
		char when[40];
		oauth_format_time(oauth_now_ms() + life, when);
		printf("token for %s (%s) valid until %s (%lld s)\n", conn.host, auth_kind_name(conn.auth),
		       when, life / 1000);
	}
	oauth_wipe_free(tok);
	free(err);
	http_client_free(http);
	conn_free(&conn);
	return status;
}
