/*
 * config.h - connection settings resolved the Databricks way.
 *
 * Contract: conn_resolve() reads (never writes) the command-line request,
 * the DATABRICKS_* environment and the .databrickscfg file, and fills a
 * struct ucfs_conn owned by the caller (conn_free()). Precedence, per value:
 *   host argument > profile named by the argument > environment >
 *   profile named by DATABRICKS_CONFIG_PROFILE, else [DEFAULT].
 * Credentials (token / client_id+client_secret / auth_type) are taken as one
 * group from the first of those layers that has any, so a token from one
 * place is never paired with a client secret from another. An implicit
 * [DEFAULT] profile whose host differs from a host given elsewhere is ignored
 * entirely (its token is never sent to another host). [DEFAULT] keys are NOT
 * inherited by other profiles (same as the Databricks SDKs). Errors come back
 * as a negative errno plus a malloc'ed one-line *err; secrets never appear in
 * messages or logs. ini_get_profile()/conn_normalize_host() are pure.
 */
#ifndef UCFS_CORE_CONFIG_H
#define UCFS_CORE_CONFIG_H

#include <stddef.h>

/* The methods of Databricks unified authentication ucfs implements; names
 * (auth_kind_name) are the SDKs' auth_type strings. */
enum auth_kind {
	AUTH_NONE,
	AUTH_PAT,                 /* "pat" */
	AUTH_OAUTH_M2M,           /* "oauth-m2m" */
	AUTH_U2M,                 /* "external-browser": token cache written by `ucfs/databricks auth login` */
	AUTH_DATABRICKS_CLI,      /* "databricks-cli": `databricks auth token --host H`, else the same cache */
	AUTH_AZURE_CLIENT_SECRET, /* "azure-client-secret" */
	AUTH_AZURE_CLI,           /* "azure-cli" */
	AUTH_AZURE_MSI,           /* "azure-msi" */
	AUTH_ENV_OIDC,            /* "env-oidc" */
	AUTH_FILE_OIDC,           /* "file-oidc" */
};

struct ucfs_conn {
	char *host;    /* normalized: scheme added (https:// when missing), no trailing slash */
	char *profile; /* profile used or NULL */
	enum auth_kind auth;
	char *token;
	char *client_id;     /* oauth-m2m, U2M (NULL = "databricks-cli"), env/file-oidc federation */
	char *client_secret;
	char *account_id;
	char *databricks_cli_path; /* databricks-cli: the CLI to run, NULL = "databricks" on PATH */
	char *azure_client_id, *azure_client_secret, *azure_tenant_id;
	char *azure_environment;           /* PUBLIC (default), USGOVERNMENT, CHINA */
	char *azure_workspace_resource_id; /* /subscriptions/.../workspaces/NAME */
	char *oidc_token_env;      /* env-oidc: variable holding the token, NULL = DATABRICKS_OIDC_TOKEN */
	char *oidc_token_filepath; /* file-oidc: file re-read on every refresh */
	char *source; /* human: "profile 'dev' in /root/.databrickscfg" / "environment" / "command line" */
};

struct conn_request {
	const char *host;    /* --host, or NULL */
	const char *profile; /* --profile, or NULL */
	/* Optional hint appended to the "no credentials/host" messages, e.g.
	 * "tokens are read from DATABRICKS_TOKEN or a profile, never from the
	 * command line". NULL for none. */
	const char *token_env_only_note;
};

int conn_resolve(const struct conn_request *req, struct ucfs_conn *out, char **err);
void conn_free(struct ucfs_conn *c);
const char *auth_kind_name(enum auth_kind k); /* "none", "pat", "oauth-m2m", ... */

/*
 * Pure INI parser for .databrickscfg text. Comments start with ';' or '#'
 * (whole line, or inline after whitespace); keys are case-insensitive
 * (returned lower-case) and split from values at the first '=' or ':';
 * values are trimmed and lose one pair of surrounding double quotes; keys
 * before any [section] belong to DEFAULT; a repeated section or key merges
 * (last value wins). Returns 0 with malloc'ed parallel arrays (free with
 * ini_free_kv), -ENOENT when the profile has no section (an empty [DEFAULT]
 * counts as absent, as in the SDK), -ENOMEM.
 */
int ini_get_profile(const char *text, const char *profile, char ***keys, char ***values, size_t *n);
void ini_free_kv(char **keys, char **values, size_t n);
/* Section names in file order (DEFAULT only when it has keys). 0 or -ENOMEM. */
int ini_list_profiles(const char *text, char ***names, size_t *n);

/* Trim, add https:// when no scheme, lower-case the scheme, drop trailing
 * '/' and a trailing "/api/2.1/unity-catalog". 0, -EINVAL (empty, bad
 * scheme, spaces), -ENOMEM. */
int conn_normalize_host(const char *in, char **out);

#endif
