/*
 * config.h - connection settings resolved the way the Databricks SDKs do.
 *
 * Contract: conn_resolve() reads (never writes) the command-line request,
 * the environment and the .databrickscfg file, and fills a struct ucfs_conn
 * owned by the caller (conn_free()). It follows databricks-sdk (Python)
 * `Config`: every setting on its own, command line (--host, --profile) >
 * environment variable (DATABRICKS_HOST, DATABRICKS_TOKEN, ARM_CLIENT_ID,
 * ... see conn_attrs in config_resolve.c) > profile of the config file
 * (DATABRICKS_CONFIG_FILE, default ~/.databrickscfg). The file is read only
 * when a profile is named (--profile, DATABRICKS_CONFIG_PROFILE, or
 * [__settings__] default_profile) or when neither a host nor any credential
 * is set elsewhere; then [DEFAULT] is used when it has keys. [DEFAULT] keys
 * are NOT inherited by other profiles. Settings of more than one method
 * (e.g. token and client_id) without auth_type are an error; an auth_type
 * picks that method alone, else the SDK's default order picks the first
 * method whose settings are present: pat, (basic, metadata-service refused),
 * oauth-m2m, env-oidc, file-oidc, azure-msi [ucfs], azure-client-secret,
 * azure-cli, (external-browser only when named), databricks-cli.
 *
 * Where ucfs deliberately differs from the SDK:
 *  - nothing configured is not an error: requests go without credentials
 *    (the Unity Catalog OSS server without authorization);
 *  - a credential read from a profile is never sent to a host other than the
 *    profile's own (e.g. --host or DATABRICKS_HOST overriding the profile's
 *    host): refused instead;
 *  - azure-msi (Go SDK / Databricks CLI; absent from the Python SDK) is
 *    chosen when ARM_USE_MSI is true and the host is an Azure workspace;
 *  - the CLI methods are chosen by finding the executable (az, databricks)
 *    on PATH, not by running it during resolution; an explicit
 *    databricks-cli without the CLI falls back to its token cache;
 *  - azure-cli / azure-client-secret named explicitly for a host outside
 *    the Azure DNS zones use the Azure Databricks resource 2ff814a6-...;
 *  - the workspace URL is never looked up from azure_workspace_resource_id
 *    and the tenant never from {host}/aad/auth: set host / azure_tenant_id;
 *  - methods ucfs does not implement (basic, metadata-service, github-oidc,
 *    azure-devops-oidc, github-oidc-azure, google-*, runtime*,
 *    model-serving) are refused with one line naming the method.
 * Errors come back as a negative errno plus a malloc'ed one-line *err
 * naming the method, where its settings came from and what to do; secrets
 * never appear in messages or logs. ini_get_profile()/conn_normalize_host()
 * are pure.
 */
#ifndef UCFS_CORE_CONFIG_H
#define UCFS_CORE_CONFIG_H

#include <stdbool.h>
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
	bool azure_use_msi;
	char *azure_resource; /* Entra ID resource (application id) of the workspace, azure-* methods */
	char *auth_from;      /* why this method: "auth_type in ...", "default order: token is set" */
	struct conn_setting *settings; /* every setting found, in conn_attrs order */
	size_t n_settings;
};

/* One resolved setting and where it came from, for `ucfs auth describe`. */
struct conn_setting {
	const char *name; /* the SDK attribute name: "host", "token", "azure_client_id" ... */
	char *value;
	char *from;       /* "DATABRICKS_HOST environment variable", "profile 'dev' in F", "--host" */
	bool secret;      /* print as ******** */
};

struct conn_request {
	const char *host;    /* --host, or NULL */
	const char *profile; /* --profile, or NULL */
	const char *auth_type; /* an auth_type given on the command line (--method), or NULL */
	/* Optional hint appended to the "no credentials/host" messages, e.g.
	 * "tokens are read from DATABRICKS_TOKEN or a profile, never from the
	 * command line". NULL for none. */
	const char *token_env_only_note;
};

int conn_resolve(const struct conn_request *req, struct ucfs_conn *out, char **err);
void conn_free(struct ucfs_conn *c);
const char *auth_kind_name(enum auth_kind k); /* "none", "pat", "oauth-m2m", ... */
/* Pure: the auth_kind of an SDK auth_type name (case-insensitive); AUTH_NONE
 * when ucfs implements no such method. */
enum auth_kind auth_kind_parse(const char *name);
/* Pure: is HOST (normalized URL) in an Azure Databricks DNS zone? The Entra
 * ID application id of its workspace login (2ff814a6-... for production,
 * others for dev/staging zones; the production one for other hosts). */
bool conn_host_is_azure(const char *host);
const char *conn_azure_login_app_id(const char *host);
/* An executable NAME (with '/': that path) found on PATH; malloc'ed or NULL. */
char *conn_find_executable(const char *name);

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
