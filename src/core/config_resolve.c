/* config_resolve.c - conn_resolve(): the Databricks SDK's resolution, see config.h. */
#include "core/config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strutil.h"

/* Authorization method groups of the SDK's ConfigAttribute(auth=...). */
enum grp { G_NONE, G_AZURE, G_BASIC, G_ENV_OIDC, G_FILE_OIDC, G_GOOGLE, G_METADATA, G_OAUTH, G_PAT, G_N };
static const char *const grp_names[G_N] = {NULL, "azure", "basic", "env-oidc", "file-oidc", "google",
					   "metadata-service", "oauth", "pat"};

enum {
	A_HOST, A_ACCOUNT_ID, A_TOKEN, A_OIDC_TOKEN_ENV, A_OIDC_TOKEN_FILEPATH, A_USERNAME, A_PASSWORD,
	A_CLIENT_ID, A_CLIENT_SECRET, A_GOOGLE_SA, A_GOOGLE_CREDS, A_AZURE_RESOURCE_ID, A_AZURE_USE_MSI,
	A_AZURE_CLIENT_SECRET, A_AZURE_CLIENT_ID, A_AZURE_TENANT_ID, A_AZURE_ENVIRONMENT, A_CLI_PATH,
	A_AUTH_TYPE, A_METADATA_URL, A_CLOUD, A_N
};

/* databricks/sdk/config.py Config's attributes ucfs reads, in its order. */
static const struct attr {
	const char *name, *env, *alias;
	enum grp grp;
	bool secret;
} attrs[A_N] = {
	[A_HOST] = {"host", "DATABRICKS_HOST"},
	[A_ACCOUNT_ID] = {"account_id", "DATABRICKS_ACCOUNT_ID"},
	[A_TOKEN] = {"token", "DATABRICKS_TOKEN", NULL, G_PAT, true},
	[A_OIDC_TOKEN_ENV] = {"oidc_token_env", "DATABRICKS_OIDC_TOKEN_ENV", NULL, G_ENV_OIDC},
	[A_OIDC_TOKEN_FILEPATH] = {"oidc_token_filepath", "DATABRICKS_OIDC_TOKEN_FILEPATH",
				   "DATABRICKS_OIDC_TOKEN_FILE", G_FILE_OIDC},
	[A_USERNAME] = {"username", "DATABRICKS_USERNAME", NULL, G_BASIC},
	[A_PASSWORD] = {"password", "DATABRICKS_PASSWORD", NULL, G_BASIC, true},
	[A_CLIENT_ID] = {"client_id", "DATABRICKS_CLIENT_ID", NULL, G_OAUTH},
	[A_CLIENT_SECRET] = {"client_secret", "DATABRICKS_CLIENT_SECRET", NULL, G_OAUTH, true},
	[A_GOOGLE_SA] = {"google_service_account", "DATABRICKS_GOOGLE_SERVICE_ACCOUNT", NULL, G_GOOGLE},
	[A_GOOGLE_CREDS] = {"google_credentials", "GOOGLE_CREDENTIALS", NULL, G_GOOGLE, true},
	[A_AZURE_RESOURCE_ID] = {"azure_workspace_resource_id", "DATABRICKS_AZURE_RESOURCE_ID", NULL, G_AZURE},
	[A_AZURE_USE_MSI] = {"azure_use_msi", "ARM_USE_MSI", NULL, G_AZURE},
	[A_AZURE_CLIENT_SECRET] = {"azure_client_secret", "ARM_CLIENT_SECRET", NULL, G_AZURE, true},
	[A_AZURE_CLIENT_ID] = {"azure_client_id", "ARM_CLIENT_ID", NULL, G_AZURE},
	[A_AZURE_TENANT_ID] = {"azure_tenant_id", "ARM_TENANT_ID", NULL, G_AZURE},
	[A_AZURE_ENVIRONMENT] = {"azure_environment", "ARM_ENVIRONMENT"},
	[A_CLI_PATH] = {"databricks_cli_path", "DATABRICKS_CLI_PATH"},
	[A_AUTH_TYPE] = {"auth_type", "DATABRICKS_AUTH_TYPE"},
	[A_METADATA_URL] = {"metadata_service_url", "DATABRICKS_METADATA_SERVICE_URL", NULL, G_METADATA, true},
	[A_CLOUD] = {"cloud", "DATABRICKS_CLOUD"},
};

/* SDK methods ucfs refuses by name. */
static const char *const unsupported[] = {"basic", "metadata-service", "github-oidc", "azure-devops-oidc",
					  "github-oidc-azure", "google-credentials", "google-id", "runtime",
					  "runtime-oauth", "model-serving", NULL};
#define SUPPORTED "pat, oauth-m2m, external-browser, databricks-cli, azure-client-secret, azure-cli, azure-msi, env-oidc, file-oidc"

struct res {
	const char *val[A_N]; /* borrowed: request, environment or kv arrays */
	char *from[A_N];      /* owned */
	const char *profile, *profile_from;
	bool profile_loaded, file_used;
	char *path, *profile_src, *file_host;
	char **k, **v;
	size_t n;
	const char *note;
};

static const char *nz(const char *s) { return str_empty(s) ? NULL : s; }

static int fail(char **err, int rc, char *msg)
{
	if (err)
		*err = msg ? redact(msg) : xstrdup("out of memory");
	else
		free(msg);
	return rc;
}

static char *config_path(void)
{
	const char *f = getenv("DATABRICKS_CONFIG_FILE");
	const char *home = getenv("HOME");
	if (str_empty(home)) {
		struct passwd *pw = getpwuid(getuid());
		home = pw ? pw->pw_dir : "/";
	}
	if (str_empty(f))
		return xasprintf("%s/.databrickscfg", home);
	if (f[0] == '~' && (f[1] == '/' || f[1] == '\0'))
		return xasprintf("%s%s", home, f + 1);
	return xstrdup(f);
}

/* The whole file (at most 1 MiB); -errno on failure. */
static int read_text(const char *path, char **out)
{
	*out = NULL;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return -errno;
	struct strbuf sb = {0};
	char buf[4096];
	size_t r;
	int rc = 0;
	while (!rc && (r = fread(buf, 1, sizeof(buf), fp)) > 0)
		rc = sb.len + r > (1u << 20) ? -EFBIG : sb_append(&sb, buf, r);
	if (!rc && ferror(fp))
		rc = -EIO;
	fclose(fp);
	if (!rc && !sb.buf)
		rc = sb_append(&sb, "", 0);
	if (rc) {
		sb_free(&sb);
		return rc;
	}
	*out = sb_detach(&sb);
	return 0;
}

static int set_from(struct res *r, int a, const char *val, char *from)
{
	if (!from)
		return -ENOMEM;
	r->val[a] = val;
	r->from[a] = from;
	return 0;
}

static int load_env(struct res *r)
{
	for (int a = 0; a < A_N; a++) {
		if (r->val[a])
			continue;
		const char *name = attrs[a].env, *v = nz(getenv(name));
		if (!v && attrs[a].alias && (v = nz(getenv(attrs[a].alias))))
			name = attrs[a].alias;
		if (v && set_from(r, a, v, xasprintf("%s environment variable", name)))
			return -ENOMEM;
	}
	if (!r->profile && (r->profile = nz(getenv("DATABRICKS_CONFIG_PROFILE"))))
		r->profile_from = "DATABRICKS_CONFIG_PROFILE";
	return 0;
}

static bool any_auth_or_host(const struct res *r)
{
	for (int a = 0; a < A_N; a++)
		if (r->val[a] && (attrs[a].grp != G_NONE || a == A_HOST))
			return true;
	return false;
}

/* "DEFAULT, dev, staging" (no __settings__), malloc'ed. */
static char *profile_list(const char *text)
{
	char **names = NULL;
	size_t nn = 0;
	struct strbuf sb = {0};
	if (!ini_list_profiles(text, &names, &nn))
		for (size_t i = 0; i < nn; i++)
			if (strcmp(names[i], "__settings__"))
				sb_printf(&sb, "%s%s", sb.len ? ", " : "", names[i]);
	ini_free_kv(names, NULL, nn);
	return sb.buf ? sb_detach(&sb) : xstrdup("none");
}

/* _known_file_config_loader of the SDK. */
static int load_file(struct res *r, char **err)
{
	if (!r->profile && any_auth_or_host(r))
		return 0; /* configured directly: the file is not read */
	char *text = NULL;
	int rc = read_text(r->path, &text);
	if (rc == -ENOENT || rc == -ENOTDIR)
		return 0;
	if (rc)
		return fail(err, rc, xasprintf("cannot read the Databricks config file %s: %s", r->path, strerror(-rc)));
	const char *prof = r->profile;
	bool fallback = false;
	char **sk = NULL, **sv = NULL;
	size_t sn = 0;
	if (prof && !strcmp(prof, "__settings__")) {
		rc = fail(err, -EINVAL, xasprintf("__settings__ is a reserved section name of %s and cannot be used as a profile (named by %s)",
						 r->path, r->profile_from));
		goto out;
	}
	if (!prof && !ini_get_profile(text, "__settings__", &sk, &sv, &sn))
		for (size_t i = 0; i < sn; i++)
			if (!strcmp(sk[i], "default_profile") && nz(sv[i])) {
				r->profile = prof = sv[i];
				r->profile_from = "default_profile in [__settings__]";
			}
	if (!prof) {
		prof = "DEFAULT";
		fallback = true;
	}
	rc = ini_get_profile(text, prof, &r->k, &r->v, &r->n);
	if (rc == -ENOENT && fallback) {
		rc = 0;
		goto out;
	}
	if (rc == -ENOENT) {
		char *list = profile_list(text);
		rc = fail(err, -ENOENT, xasprintf("%s has no profile '%s' (named by %s); profiles there: %s", r->path,
						  prof, r->profile_from, list ? list : "?"));
		free(list);
		goto out;
	}
	if (rc) {
		rc = fail(err, rc, NULL);
		goto out;
	}
	if (!(r->profile_src = xasprintf("profile '%s' in %s", prof, r->path)) || !(r->profile = xstrdup(prof))) {
		rc = fail(err, -ENOMEM, NULL);
		goto out;
	}
	r->profile_loaded = true;
	r->file_used = !fallback;
	for (size_t i = 0; i < r->n; i++) {
		if (!strcmp(r->k[i], "host") && nz(r->v[i]) && !(r->file_host = xstrdup(r->v[i]))) {
			rc = fail(err, -ENOMEM, NULL);
			goto out;
		}
		for (int a = 0; a < A_N; a++)
			if (!strcmp(r->k[i], attrs[a].name) && nz(r->v[i]) && !r->val[a]) {
				if (set_from(r, a, r->v[i], xstrdup(r->profile_src))) {
					rc = fail(err, -ENOMEM, NULL);
					goto out;
				}
				r->file_used = true;
			}
	}
out:
	/* r->profile may point into sv: keep a copy before freeing. */
	if (sn && r->profile_from && !strcmp(r->profile_from, "default_profile in [__settings__]") &&
	    !r->profile_loaded)
		r->profile = NULL;
	ini_free_kv(sk, sv, sn);
	free(text);
	return rc;
}

static bool truthy(const char *s)
{
	static const char *const yes[] = {"1", "t", "true", "yes", "y", "on", NULL};
	for (int i = 0; s && yes[i]; i++)
		if (!strcasecmp(s, yes[i]))
			return true;
	return false;
}

/* A readable, non-empty regular file (the SDK's FileIdTokenSource check). */
static bool file_has_token(const char *path)
{
	int fd = path ? open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) : -1;
	struct stat sb;
	bool ok = fd >= 0 && fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static const char *oidc_env_name(const struct res *r)
{
	return r->val[A_OIDC_TOKEN_ENV] ? r->val[A_OIDC_TOKEN_ENV] : "DATABRICKS_OIDC_TOKEN";
}

static const char *src_of(const struct res *r, int a) { return r->from[a] ? r->from[a] : "nowhere"; }

/* Why KIND cannot be used with these settings (malloc'ed), NULL when it can, via *why. */
static int check_kind(const struct res *r, enum auth_kind kind, const char *chosen, char **err)
{
	const char *m = auth_kind_name(kind);
	char *cli = NULL;
	switch (kind) {
	case AUTH_PAT:
		if (!r->val[A_TOKEN])
			return fail(err, -EINVAL, xasprintf("%s: %s but no token is set: set DATABRICKS_TOKEN or 'token' in the profile%s%s",
							    m, chosen, r->note ? "; " : "", r->note ? r->note : ""));
		return 0;
	case AUTH_OAUTH_M2M:
		if (!r->val[A_CLIENT_ID] || !r->val[A_CLIENT_SECRET])
			return fail(err, -EINVAL, xasprintf("%s: %s but %s is not set (client_id from %s); OAuth machine-to-machine needs DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET (or client_id/client_secret in the profile)",
							    m, chosen, r->val[A_CLIENT_ID] ? "client_secret" : "client_id",
							    src_of(r, A_CLIENT_ID)));
		return 0;
	case AUTH_AZURE_CLIENT_SECRET:
		if (!r->val[A_AZURE_CLIENT_ID] || !r->val[A_AZURE_CLIENT_SECRET] || !r->val[A_AZURE_TENANT_ID])
			return fail(err, -EINVAL, xasprintf("%s: %s but %s is not set (azure_client_id from %s); set ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID (or azure_client_id/azure_client_secret/azure_tenant_id in the profile)",
							    m, chosen,
							    !r->val[A_AZURE_CLIENT_ID] ? "azure_client_id"
							    : !r->val[A_AZURE_CLIENT_SECRET] ? "azure_client_secret"
							    : "azure_tenant_id (ucfs does not look it up from {host}/aad/auth)",
							    src_of(r, A_AZURE_CLIENT_ID)));
		return 0;
	case AUTH_AZURE_CLI:
		if (!(cli = conn_find_executable("az")))
			return fail(err, -ENOENT, xasprintf("%s: %s but the Azure CLI 'az' is not on PATH: install it and run 'az login', or choose another method",
							    m, chosen));
		free(cli);
		return 0;
	case AUTH_ENV_OIDC:
		if (!nz(getenv(oidc_env_name(r))))
			return fail(err, -EINVAL, xasprintf("%s: %s but the environment variable %s (named by %s) holds no OIDC token",
							    m, chosen, oidc_env_name(r),
							    r->val[A_OIDC_TOKEN_ENV] ? src_of(r, A_OIDC_TOKEN_ENV) : "default"));
		return 0;
	case AUTH_FILE_OIDC:
		if (!r->val[A_OIDC_TOKEN_FILEPATH])
			return fail(err, -EINVAL, xasprintf("%s: %s but no token file is set: set DATABRICKS_OIDC_TOKEN_FILEPATH or 'oidc_token_filepath' in the profile",
							    m, chosen));
		if (!file_has_token(r->val[A_OIDC_TOKEN_FILEPATH]))
			return fail(err, -ENOENT, xasprintf("%s: the OIDC token file %s (from %s) is missing, unreadable or empty",
							    m, r->val[A_OIDC_TOKEN_FILEPATH], src_of(r, A_OIDC_TOKEN_FILEPATH)));
		return 0;
	default:
		return 0; /* external-browser, databricks-cli, azure-msi: the host is enough */
	}
}

/* DefaultCredentials of the SDK (order of its _auth_providers). */
static int pick_default(const struct res *r, enum auth_kind *kind, const char **why, char **err)
{
	const char *refuse = NULL;
	char *exe = NULL;
	*kind = AUTH_NONE;
	if (r->val[A_TOKEN]) {
		*kind = AUTH_PAT, *why = "token is set";
	} else if (r->val[A_USERNAME] && r->val[A_PASSWORD]) {
		refuse = "basic";
	} else if (r->val[A_METADATA_URL]) {
		refuse = "metadata-service";
	} else if (r->val[A_CLIENT_ID] && r->val[A_CLIENT_SECRET]) {
		*kind = AUTH_OAUTH_M2M, *why = "client_id and client_secret are set";
	} else if (nz(getenv(oidc_env_name(r)))) {
		*kind = AUTH_ENV_OIDC, *why = "an OIDC token is in the environment";
	} else if (r->val[A_OIDC_TOKEN_FILEPATH] && file_has_token(r->val[A_OIDC_TOKEN_FILEPATH])) {
		*kind = AUTH_FILE_OIDC, *why = "oidc_token_filepath names a token file";
	} else if (r->val[A_CLIENT_ID] && nz(getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")) &&
		   nz(getenv("ACTIONS_ID_TOKEN_REQUEST_URL"))) {
		refuse = "github-oidc";
	} else if (truthy(r->val[A_AZURE_USE_MSI]) &&
		   (conn_host_is_azure(r->val[A_HOST]) || r->val[A_AZURE_RESOURCE_ID])) {
		*kind = AUTH_AZURE_MSI, *why = "azure_use_msi is true for an Azure workspace";
	} else if (r->val[A_AZURE_CLIENT_ID] && r->val[A_AZURE_CLIENT_SECRET]) {
		*kind = AUTH_AZURE_CLIENT_SECRET, *why = "azure_client_id and azure_client_secret are set";
	} else if (r->val[A_AZURE_CLIENT_ID] && nz(getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))) {
		refuse = "github-oidc-azure";
	} else if (conn_host_is_azure(r->val[A_HOST]) && (exe = conn_find_executable("az"))) {
		*kind = AUTH_AZURE_CLI, *why = "the host is an Azure workspace and 'az' is on PATH";
	} else if ((exe = conn_find_executable(r->val[A_CLI_PATH] ? r->val[A_CLI_PATH] : "databricks"))) {
		*kind = AUTH_DATABRICKS_CLI, *why = "the Databricks CLI is on PATH";
	} else if (r->val[A_GOOGLE_CREDS]) {
		refuse = "google-credentials";
	} else if (r->val[A_GOOGLE_SA]) {
		refuse = "google-id";
	} else {
		for (int a = 0; a < A_N; a++)
			if (r->val[a] && attrs[a].grp)
				return fail(err, -EINVAL, xasprintf("cannot configure default credentials: %s (from %s) completes no sign-in method; see 'ucfs auth describe' and ucfs(1), AUTHENTICATION",
								    attrs[a].name, r->from[a]));
		*why = "no credentials are configured (anonymous requests)";
	}
	free(exe);
	if (refuse)
		return fail(err, -ENOTSUP, xasprintf("%s: the settings found select the Databricks method '%s', which ucfs does not implement; use one of " SUPPORTED,
						     refuse, refuse));
	return *kind == AUTH_NONE ? 0 : check_kind(r, *kind, *why, err);
}

static int pick(struct res *r, struct ucfs_conn *out, char **err)
{
	const char *at = r->val[A_AUTH_TYPE], *why = NULL;
	enum auth_kind kind;
	int rc;
	if (at) {
		kind = auth_kind_parse(at);
		if (kind == AUTH_NONE) {
			for (int i = 0; unsupported[i]; i++)
				if (!strcasecmp(at, unsupported[i]))
					return fail(err, -ENOTSUP, xasprintf("%s: auth_type '%s' (from %s) is a Databricks method ucfs does not implement; use one of " SUPPORTED,
									     at, at, src_of(r, A_AUTH_TYPE)));
			return fail(err, -EINVAL, xasprintf("auth_type '%s' (from %s) is not a Databricks authentication method; use one of " SUPPORTED,
							    at, src_of(r, A_AUTH_TYPE)));
		}
		out->auth_from = xasprintf("auth_type from %s", src_of(r, A_AUTH_TYPE));
		if (!out->auth_from)
			return fail(err, -ENOMEM, NULL);
		if ((rc = check_kind(r, kind, out->auth_from, err)))
			return rc;
	} else {
		/* _validate: settings of two methods without a choice are an error. */
		bool used[G_N] = {0};
		int ng = 0;
		for (int a = 0; a < A_N; a++)
			if (r->val[a] && attrs[a].grp && !used[attrs[a].grp])
				used[attrs[a].grp] = true, ng++;
		if (ng > 1) {
			struct strbuf sb = {0}, src = {0};
			for (int g = 1; g < G_N; g++)
				if (used[g])
					sb_printf(&sb, "%s%s", sb.len ? " and " : "", grp_names[g]);
			for (int a = 0; a < A_N; a++)
				if (r->val[a] && attrs[a].grp)
					sb_printf(&src, "%s%s from %s", src.len ? ", " : "", attrs[a].name, r->from[a]);
			rc = fail(err, -EINVAL, xasprintf("more than one authorization method configured: %s (%s); remove the settings of all but one, or set auth_type (DATABRICKS_AUTH_TYPE)",
							  sb.buf ? sb.buf : "?", src.buf ? src.buf : "?"));
			sb_free(&sb);
			sb_free(&src);
			return rc;
		}
		if ((rc = pick_default(r, &kind, &why, err)))
			return rc;
		out->auth_from = xasprintf("default order: %s", why);
		if (!out->auth_from)
			return fail(err, -ENOMEM, NULL);
	}
	out->auth = kind;
	return 0;
}

/* A credential from a profile never goes to another host than the profile's. */
static int check_cross_host(const struct res *r, const char *host, char **err)
{
	if (!r->profile_loaded || !r->file_host || (r->from[A_HOST] && !strcmp(r->from[A_HOST], r->profile_src)))
		return 0;
	char *fh = NULL;
	bool same = !conn_normalize_host(r->file_host, &fh) && !strcasecmp(fh, host);
	free(fh);
	if (same)
		return 0;
	for (int a = 0; a < A_N; a++)
		if (attrs[a].grp && r->from[a] && !strcmp(r->from[a], r->profile_src))
			return fail(err, -EPERM, xasprintf("%s is for %s, but the host is %s (from %s): ucfs does not send the profile's %s to another host; unset %s or name a profile for that host",
							   r->profile_src, r->file_host, host, r->from[A_HOST],
							   attrs[a].name, r->from[A_HOST]));
	return 0;
}

static int fill(struct res *r, struct ucfs_conn *out)
{
	char **dst[A_N] = {
		[A_TOKEN] = &out->token, [A_CLIENT_ID] = &out->client_id, [A_CLIENT_SECRET] = &out->client_secret,
		[A_ACCOUNT_ID] = &out->account_id, [A_CLI_PATH] = &out->databricks_cli_path,
		[A_AZURE_CLIENT_ID] = &out->azure_client_id, [A_AZURE_CLIENT_SECRET] = &out->azure_client_secret,
		[A_AZURE_TENANT_ID] = &out->azure_tenant_id, [A_AZURE_ENVIRONMENT] = &out->azure_environment,
		[A_AZURE_RESOURCE_ID] = &out->azure_workspace_resource_id,
		[A_OIDC_TOKEN_ENV] = &out->oidc_token_env, [A_OIDC_TOKEN_FILEPATH] = &out->oidc_token_filepath,
	};
	if (!(out->settings = calloc(A_N, sizeof(*out->settings))))
		return -ENOMEM;
	for (int a = 0; a < A_N; a++) {
		if (!r->val[a])
			continue;
		if (dst[a] && !(*dst[a] = xstrdup(r->val[a])))
			return -ENOMEM;
		struct conn_setting *s = &out->settings[out->n_settings++];
		s->name = attrs[a].name;
		s->secret = attrs[a].secret;
		s->value = xstrdup(a == A_HOST ? out->host : r->val[a]);
		s->from = xstrdup(r->from[a]);
		if (!s->value || !s->from)
			return -ENOMEM;
	}
	out->azure_use_msi = truthy(r->val[A_AZURE_USE_MSI]);
	if (out->auth >= AUTH_AZURE_CLIENT_SECRET && out->auth <= AUTH_AZURE_MSI &&
	    !(out->azure_resource = xstrdup(conn_azure_login_app_id(out->host))))
		return -ENOMEM;
	if (r->file_used && !out->profile && !(out->profile = xstrdup(r->profile)))
		return -ENOMEM;
	/* Human summary: where the host and the credentials came from. */
	const char *cred = NULL;
	for (int a = 0; a < A_N && !cred; a++)
		if (r->val[a] && attrs[a].grp)
			cred = r->from[a];
	bool cred_file = cred && r->profile_src && !strcmp(cred, r->profile_src);
	bool host_file = r->profile_src && !strcmp(r->from[A_HOST], r->profile_src);
	const char *hs = host_file ? r->profile_src : strstr(r->from[A_HOST], "environment") ? "environment" : "command line";
	const char *cs = !cred ? NULL : cred_file ? r->profile_src : strstr(cred, "environment") ? "environment" : cred;
	out->source = cs && strcmp(cs, hs) ? xasprintf("%s (credentials from %s)", hs, cs) : xstrdup(hs);
	return out->source ? 0 : -ENOMEM;
}

int conn_resolve(const struct conn_request *req, struct ucfs_conn *out, char **err)
{
	static const struct conn_request none = {0};
	if (!req)
		req = &none;
	memset(out, 0, sizeof(*out));
	if (err)
		*err = NULL;
	struct res r = {.note = nz(req->token_env_only_note)};
	int rc = 0;
	if (nz(req->host) && set_from(&r, A_HOST, req->host, xstrdup("--host on the command line")))
		rc = -ENOMEM;
	if (!rc && nz(req->auth_type) && set_from(&r, A_AUTH_TYPE, req->auth_type, xstrdup("--method on the command line")))
		rc = -ENOMEM;
	if (nz(req->profile)) {
		r.profile = req->profile;
		r.profile_from = "--profile on the command line";
	}
	if (!rc && (!(r.path = config_path()) || load_env(&r)))
		rc = -ENOMEM;
	if (rc) {
		rc = fail(err, rc, NULL);
		goto out;
	}
	if ((rc = load_file(&r, err)))
		goto out;
	if (!r.val[A_HOST]) {
		bool named = r.profile && !r.profile_loaded;
		rc = fail(err, -EINVAL,
			  named ? xasprintf("profile '%s' was named (by %s) but the config file %s does not exist%s",
					    r.profile, r.profile_from, r.path,
					    getenv("DATABRICKS_CONFIG_FILE") ? " (from DATABRICKS_CONFIG_FILE)" : "")
				: xasprintf("no Unity Catalog host configured: pass --host URL (e.g. http://localhost:8080), "
					    "set DATABRICKS_HOST, or put 'host = ...' in the %s profile of %s%s%s",
					    r.profile ? r.profile : "DEFAULT", r.path, r.note ? "; " : "", r.note ? r.note : ""));
		if (named)
			rc = -ENOENT;
		goto out;
	}
	rc = conn_normalize_host(r.val[A_HOST], &out->host);
	if (rc) {
		rc = fail(err, rc, rc == -EINVAL ? xasprintf("invalid host '%s' (from %s): expected http(s)://name[:port]",
							     r.val[A_HOST], r.from[A_HOST]) : NULL);
		goto out;
	}
	if ((rc = check_cross_host(&r, out->host, err)) || (rc = pick(&r, out, err)))
		goto out;
	if ((rc = fill(&r, out)))
		rc = fail(err, rc, NULL);
	else
		log_debug("connection: host %s, auth %s (%s), from %s", out->host, auth_kind_name(out->auth),
			  out->auth_from, out->source);
out:
	for (int a = 0; a < A_N; a++)
		free(r.from[a]);
	ini_free_kv(r.k, r.v, r.n);
	if (r.profile_loaded)
		free((char *)r.profile);
	free(r.profile_src);
	free(r.file_host);
	free(r.path);
	if (rc)
		conn_free(out);
	return rc;
}
