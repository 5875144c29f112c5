/* config.c - see config.h. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strutil.h"

/* ---------------------------------------------------------------- INI */

/* Called for each section header (key == NULL) and each key line. */
typedef int (*ini_cb)(const char *section, const char *key, const char *value, void *ctx);

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		s[--l] = '\0';
	return s;
}

static int ini_walk(const char *text, ini_cb cb, void *ctx)
{
	char *copy = xstrdup(text ? text : "");
	if (!copy)
		return -ENOMEM;
	char *section = xstrdup("DEFAULT");
	int rc = section ? 0 : -ENOMEM;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line && !rc; line = strtok_r(NULL, "\n", &save)) {
		char *l = trim(line);
		if (!*l || *l == ';' || *l == '#')
			continue;
		if (*l == '[') {
			char *end = strchr(l, ']');
			if (!end)
				continue; /* malformed header: ignore the line */
			*end = '\0';
			free(section);
			section = xstrdup(trim(l + 1));
			rc = section ? cb(section, NULL, NULL, ctx) : -ENOMEM;
			continue;
		}
		size_t d = strcspn(l, "=:");
		if (!l[d])
			continue; /* not a key line */
		l[d] = '\0';
		char *key = trim(l), *val = trim(l + d + 1);
		/* Inline comment: ';' or '#' preceded by whitespace. */
		for (char *p = val; *p; p++)
			if ((*p == ';' || *p == '#') && p > val && isspace((unsigned char)p[-1])) {
				*p = '\0';
				val = trim(val);
				break;
			}
		size_t vl = strlen(val);
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val[vl - 1] = '\0';
			val++;
		}
		if (!*key)
			continue;
		for (char *p = key; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		rc = cb(section, key, val, ctx);
	}
	free(section);
	free(copy);
	return rc;
}

struct kv_ctx {
	const char *want;
	bool found;
	char **keys, **values;
	size_t n, cap;
};

static int kv_cb(const char *section, const char *key, const char *value, void *vctx)
{
	struct kv_ctx *c = vctx;
	if (strcmp(section, c->want))
		return 0;
	if (!key) {
		c->found = true;
		return 0;
	}
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->keys[i], key)) {
			char *v = xstrdup(value);
			if (!v)
				return -ENOMEM;
			free(c->values[i]);
			c->values[i] = v;
			return 0;
		}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		char **k = realloc(c->keys, cap * sizeof(*k));
		if (!k)
			return -ENOMEM;
		c->keys = k;
		char **v = realloc(c->values, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->values = v;
		c->cap = cap;
	}
	char *k = xstrdup(key), *v = xstrdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	c->keys[c->n] = k;
	c->values[c->n++] = v;
	return 0;
}

void ini_free_kv(char **keys, char **values, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (keys)
			free(keys[i]);
		if (values)
			free(values[i]);
	}
	free(keys);
	free(values);
}

int ini_get_profile(const char *text, const char *profile, char ***keys, char ***values, size_t *n)
{
	struct kv_ctx c = {.want = str_empty(profile) ? "DEFAULT" : profile};
	*keys = *values = NULL;
	*n = 0;
	int rc = ini_walk(text, kv_cb, &c);
	bool is_default = !strcmp(c.want, "DEFAULT");
	if (!rc && !(is_default ? c.n > 0 : c.found))
		rc = -ENOENT;
	if (rc) {
		ini_free_kv(c.keys, c.values, c.n);
		return rc;
	}
	*keys = c.keys;
	*values = c.values;
	*n = c.n;
	return 0;
}

struct list_ctx {
	char **names;
	size_t n, cap;
};

static int list_cb(const char *section, const char *key, const char *value, void *vctx)
{
	(void)value;
	struct list_ctx *c = vctx;
	/* DEFAULT counts once it has a key; others at their header. */
	if (key && strcmp(section, "DEFAULT"))
		return 0;
	if (!key && !strcmp(section, "DEFAULT"))
		return 0;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->names[i], section))
			return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		char **p = realloc(c->names, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->names = p;
		c->cap = cap;
	}
	if (!(c->names[c->n] = xstrdup(section)))
		return -ENOMEM;
	c->n++;
	return 0;
}

int ini_list_profiles(const char *text, char ***names, size_t *n)
{
	struct list_ctx c = {0};
	int rc = ini_walk(text, list_cb, &c);
	if (rc) {
		ini_free_kv(c.names, NULL, c.n);
		*names = NULL;
		*n = 0;
		return rc;
	}
	*names = c.names;
	*n = c.n;
	return 0;
}

/* ---------------------------------------------------------------- host */

int conn_normalize_host(const char *in, char **out)
{
	*out = NULL;
	if (!in)
		return -EINVAL;
	char *s = xstrdup(in);
	if (!s)
		return -ENOMEM;
	char *t = trim(s);
	char *res = NULL;
	int rc = 0;
	for (char *p = t; *p; p++)
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			rc = -EINVAL;
	char *sep = strstr(t, "://");
	if (!rc && sep) {
		size_t sl = (size_t)(sep - t);
		for (size_t i = 0; i < sl; i++)
			t[i] = (char)tolower((unsigned char)t[i]);
		if (!((sl == 4 && !strncmp(t, "http", 4)) || (sl == 5 && !strncmp(t, "https", 5))))
			rc = -EINVAL;
		res = rc ? NULL : xstrdup(t);
	} else if (!rc) {
		res = xasprintf("https://%s", t);
	}
	free(s);
	if (rc)
		return rc;
	if (!res)
		return -ENOMEM;
	size_t l = strlen(res);
	const size_t off = (size_t)(strstr(res, "://") - res) + 3; /* start of the host */
	static const char api[] = "/api/2.1/unity-catalog";
	for (int pass = 0; pass < 2; pass++) {
		while (l > off && res[l - 1] == '/')
			res[--l] = '\0';
		if (l >= off + sizeof(api) - 1 && !strcasecmp(res + l - (sizeof(api) - 1), api))
			res[l -= sizeof(api) - 1] = '\0';
	}
	const char *hostpart = res + off;
	if (!*hostpart || *hostpart == '/' || *hostpart == ':' || *hostpart == '?' || *hostpart == '#') {
		free(res);
		return -EINVAL;
	}
	*out = res;
	return 0;
}

/* ---------------------------------------------------------------- resolve */

const char *auth_kind_name(enum auth_kind k)
{
	switch (k) {
	case AUTH_PAT: return "pat";
	case AUTH_OAUTH_M2M: return "oauth-m2m";
	case AUTH_U2M: return "external-browser";
	case AUTH_DATABRICKS_CLI: return "databricks-cli";
	case AUTH_AZURE_CLIENT_SECRET: return "azure-client-secret";
	case AUTH_AZURE_CLI: return "azure-cli";
	case AUTH_AZURE_MSI: return "azure-msi";
	case AUTH_ENV_OIDC: return "env-oidc";
	case AUTH_FILE_OIDC: return "file-oidc";
	default: return "none";
	}
}

void conn_free(struct ucfs_conn *c)
{
	if (!c)
		return;
	free(c->host);
	free(c->profile);
	free(c->token);
	free(c->client_id);
	free(c->client_secret);
	free(c->account_id);
	free(c->databricks_cli_path);
	free(c->azure_client_id);
	free(c->azure_client_secret);
	free(c->azure_tenant_id);
	free(c->azure_environment);
	free(c->azure_workspace_resource_id);
	free(c->oidc_token_env);
	free(c->oidc_token_filepath);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

/* One source of settings. Pointers borrow from env or the kv arrays. */
struct layer {
	char *src; /* owned */
	const char *host, *token, *client_id, *client_secret, *auth_type, *azure;
	bool is_file;
};

static const char *nz(const char *s) { return str_empty(s) ? NULL : s; }

static bool layer_has_creds(const struct layer *l)
{
	return l->token || l->client_id || l->client_secret || l->auth_type || l->azure;
}

static void layer_from_kv(struct layer *l, char **k, char **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *val = nz(v[i]);
		if (!strcmp(k[i], "host"))
			l->host = val;
		else if (!strcmp(k[i], "token"))
			l->token = val;
		else if (!strcmp(k[i], "client_id"))
			l->client_id = val;
		else if (!strcmp(k[i], "client_secret"))
			l->client_secret = val;
		else if (!strcmp(k[i], "auth_type"))
			l->auth_type = val;
		else if (!strcmp(k[i], "azure_client_id") || !strcmp(k[i], "azure_client_secret") ||
			 !strcmp(k[i], "azure_tenant_id"))
			l->azure = val ? k[i] : l->azure;
	}
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

/* Reads the whole file; -errno on failure. */
static int read_file(const char *path, char **out)
{
	*out = NULL;
	FILE *fp = fopen(path, "re");
	if (!fp)
		return -errno;
	struct strbuf sb = {0};
	char buf[4096];
	size_t r;
	int rc = 0;
	while ((r = fread(buf, 1, sizeof(buf), fp)) > 0)
		if ((rc = sb_append(&sb, buf, r)))
			break;
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

static int fail(char **err, int rc, char *msg)
{
	if (err) {
		*err = msg ? redact(msg) : xstrdup("out of memory");
	} else {
		free(msg);
	}
	return rc;
}

/* Load the file profile; 0 with layer filled, or 0 and nothing (implicit, absent), or error. */
static int load_profile(const char *path, const char *profile, const char *named_by,
			char ***k, char ***v, size_t *n, char **err)
{
	char *text = NULL;
	int rc = read_file(path, &text);
	if (rc == -ENOENT || rc == -ENOTDIR) {
		if (!named_by)
			return 0;
		return fail(err, -ENOENT, xasprintf("profile '%s' was named (%s) but the config file %s does not exist%s",
						   profile, named_by, path,
						   getenv("DATABRICKS_CONFIG_FILE") ? " (from DATABRICKS_CONFIG_FILE)" : ""));
	}
	if (rc)
		return fail(err, rc, xasprintf("cannot read %s: %s", path, strerror(-rc)));
	rc = ini_get_profile(text, profile ? profile : "DEFAULT", k, v, n);
	if (rc == -ENOENT && named_by) {
		char **names = NULL;
		size_t nn = 0;
		struct strbuf sb = {0};
		if (!ini_list_profiles(text, &names, &nn))
			for (size_t i = 0; i < nn; i++)
				sb_printf(&sb, "%s%s", i ? ", " : "", names[i]);
		ini_free_kv(names, NULL, nn);
		rc = fail(err, -ENOENT, xasprintf("%s has no profile '%s' (named %s); profiles there: %s", path,
						  profile, named_by, sb.buf ? sb.buf : "none"));
		sb_free(&sb);
	} else if (rc == -ENOENT) {
		rc = 0; /* no [DEFAULT]: nothing from the file */
	} else if (rc) {
		rc = fail(err, rc, NULL);
	}
	free(text);
	return rc;
}

static bool same_host(const char *a, const char *b)
{
	char *na = NULL, *nb = NULL;
	bool same = !conn_normalize_host(a, &na) && !conn_normalize_host(b, &nb) && !strcasecmp(na, nb);
	free(na);
	free(nb);
	return same;
}

static int pick_auth(const struct layer *cl, struct ucfs_conn *out, const char *note, char **err)
{
	const char *at = cl ? cl->auth_type : NULL;
	if (!cl) {
		out->auth = AUTH_NONE;
		return 0;
	}
	if (at && !strcasecmp(at, "pat")) {
		if (!cl->token)
			return fail(err, -EINVAL, xasprintf("auth_type 'pat' in %s but no token is set%s%s", cl->src,
							    note ? "; " : "", note ? note : ""));
		out->auth = AUTH_PAT;
	} else if (at && !strcasecmp(at, "oauth-m2m")) {
		if (!cl->client_id || !cl->client_secret)
			return fail(err, -EINVAL, xasprintf("auth_type 'oauth-m2m' in %s needs both client_id and client_secret", cl->src));
		out->auth = AUTH_OAUTH_M2M;
	} else if (at && (!strcasecmp(at, "external-browser") || !strcasecmp(at, "databricks-cli") ||
			  !strcasecmp(at, "env-oidc") || !strcasecmp(at, "file-oidc"))) {
		out->auth = !strcasecmp(at, "external-browser") ? AUTH_U2M : !strcasecmp(at, "databricks-cli") ? AUTH_DATABRICKS_CLI :
			    !strcasecmp(at, "env-oidc") ? AUTH_ENV_OIDC : AUTH_FILE_OIDC;
		out->client_id = xstrdup(cl->client_id);
		out->oidc_token_filepath = xstrdup(getenv("DATABRICKS_OIDC_TOKEN_FILEPATH"));
		return 0;
	} else if (at) {
		return fail(err, -ENOTSUP, xasprintf("auth_type '%s' (from %s) is not supported by ucfs; use 'pat' (token) or 'oauth-m2m' (client_id + client_secret)",
						     at, cl->src));
	} else if (cl->token && (cl->client_id || cl->client_secret)) {
		return fail(err, -EINVAL, xasprintf("more than one authorization method configured in %s: token and client_id/client_secret; remove one or set auth_type",
						    cl->src));
	} else if (cl->token) {
		out->auth = AUTH_PAT;
	} else if (cl->client_id && cl->client_secret) {
		out->auth = AUTH_OAUTH_M2M;
	} else if (cl->client_id || cl->client_secret) {
		return fail(err, -EINVAL, xasprintf("%s sets %s but not %s; OAuth machine-to-machine needs both", cl->src,
						    cl->client_id ? "client_id" : "client_secret",
						    cl->client_id ? "client_secret" : "client_id"));
	} else {
		return fail(err, -ENOTSUP, xasprintf("%s uses Azure service principal settings (%s), which ucfs does not support yet; use a token or client_id/client_secret",
						     cl->src, cl->azure));
	}
	if (out->auth == AUTH_PAT)
		return (out->token = xstrdup(cl->token)) ? 0 : fail(err, -ENOMEM, NULL);
	out->client_id = xstrdup(cl->client_id);
	out->client_secret = xstrdup(cl->client_secret);
	return out->client_id && out->client_secret ? 0 : fail(err, -ENOMEM, NULL);
}

int conn_resolve(const struct conn_request *req, struct ucfs_conn *out, char **err)
{
	static const struct conn_request none = {0};
	if (!req)
		req = &none;
	memset(out, 0, sizeof(*out));
	if (err)
		*err = NULL;
	const char *arg_profile = nz(req->profile), *env_profile = nz(getenv("DATABRICKS_CONFIG_PROFILE"));
	const char *profile = arg_profile ? arg_profile : env_profile;
	const char *named_by = arg_profile ? "on the command line" : env_profile ? "by DATABRICKS_CONFIG_PROFILE" : NULL;
	const char *note = nz(req->token_env_only_note);
	char **k = NULL, **v = NULL;
	size_t n = 0;
	struct layer L[4] = {{0}};
	int nl = 0, rc;
	char *path = config_path();
	if (!path)
		return fail(err, -ENOMEM, NULL);
	if ((rc = load_profile(path, profile, named_by, &k, &v, &n, err)))
		goto out;

	/* Layers, highest precedence first. */
	struct layer file = {.is_file = true};
	layer_from_kv(&file, k, v, n);
	bool have_file = n > 0 || profile;
	if (have_file && !(file.src = xasprintf("profile '%s' in %s", profile ? profile : "DEFAULT", path))) {
		rc = fail(err, -ENOMEM, NULL);
		goto out;
	}
	if (nz(req->host)) {
		L[nl].host = req->host;
		L[nl++].src = xstrdup("command line");
	}
	if (arg_profile)
		L[nl++] = file;
	struct layer env = {
		.host = nz(getenv("DATABRICKS_HOST")), .token = nz(getenv("DATABRICKS_TOKEN")),
		.client_id = nz(getenv("DATABRICKS_CLIENT_ID")),
		.client_secret = nz(getenv("DATABRICKS_CLIENT_SECRET")),
		.auth_type = nz(getenv("DATABRICKS_AUTH_TYPE")),
		.azure = nz(getenv("ARM_CLIENT_SECRET")) ? "ARM_CLIENT_SECRET" : NULL,
	};
	if (env.host || layer_has_creds(&env)) {
		env.src = xstrdup("environment");
		L[nl++] = env;
	}
	if (!arg_profile && have_file) {
		/* An implicit [DEFAULT] written for another host must not lend its
		 * credentials to this one. */
		const char *host_above = NULL;
		for (int i = 0; i < nl; i++)
			host_above = host_above ? host_above : L[i].host;
		if (!env_profile && host_above && file.host && !same_host(host_above, file.host)) {
			log_info("ignoring %s: it is for %s, not %s", file.src, file.host, host_above);
			free(file.src);
		} else {
			L[nl++] = file;
		}
	} else if (!arg_profile) {
		free(file.src);
	}
	for (int i = 0; i < nl; i++)
		if (!L[i].src) {
			rc = fail(err, -ENOMEM, NULL);
			goto out;
		}

	const struct layer *hl = NULL, *cl = NULL;
	for (int i = 0; i < nl; i++) {
		if (!hl && L[i].host)
			hl = &L[i];
		if (!cl && layer_has_creds(&L[i]))
			cl = &L[i];
	}
	if (!hl) {
		rc = fail(err, -EINVAL,
			  xasprintf("no Unity Catalog host configured: pass --host URL (e.g. http://localhost:8080), "
				    "set DATABRICKS_HOST, or put 'host = ...' in the %s profile of %s%s%s",
				    profile ? profile : "DEFAULT", path, note ? "; " : "", note ? note : ""));
		goto out;
	}
	rc = conn_normalize_host(hl->host, &out->host);
	if (rc == -EINVAL) {
		rc = fail(err, rc, xasprintf("invalid host '%s' (from %s): expected http(s)://name[:port]", hl->host, hl->src));
		goto out;
	} else if (rc) {
		rc = fail(err, rc, NULL);
		goto out;
	}
	if ((rc = pick_auth(cl, out, note, err)))
		goto out;
	bool file_used = (hl->is_file || (cl && cl->is_file));
	if (file_used || arg_profile)
		out->profile = xstrdup(profile ? profile : "DEFAULT");
	if (cl && cl != hl)
		out->source = xasprintf("%s (credentials from %s)", hl->src, cl->src);
	else
		out->source = xstrdup(hl->src);
	if (!out->source || ((file_used || arg_profile) && !out->profile))
		rc = fail(err, -ENOMEM, NULL);
	else
		log_debug("connection: host %s, auth %s, from %s", out->host, auth_kind_name(out->auth), out->source);
out:
	for (int i = 0; i < nl; i++)
		free(L[i].src);
	ini_free_kv(k, v, n);
	free(path);
	if (rc)
		conn_free(out);
	return rc;
}
