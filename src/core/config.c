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
	/* The SDKs drop an explicit :443 (https' default port). */
	char *colon = strchr(res + off, ':');
	if (colon && !strncmp(colon, ":443", 4) && (colon[4] == '\0' || colon[4] == '/'))
		memmove(colon, colon + 4, strlen(colon + 4) + 1);
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

enum auth_kind auth_kind_parse(const char *name)
{
	for (int k = AUTH_PAT; k <= AUTH_FILE_OIDC; k++)
		if (name && !strcasecmp(name, auth_kind_name((enum auth_kind)k)))
			return (enum auth_kind)k;
	return AUTH_NONE;
}

void conn_free(struct ucfs_conn *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_settings; i++) {
		if (c->settings[i].secret)
			str_wipe_free(c->settings[i].value);
		else
			free(c->settings[i].value);
		free(c->settings[i].from);
	}
	free(c->settings);
	free(c->auth_from);
	free(c->azure_resource);
	free(c->host);
	free(c->profile);
	str_wipe_free(c->token);
	free(c->client_id);
	str_wipe_free(c->client_secret);
	free(c->account_id);
	free(c->databricks_cli_path);
	free(c->azure_client_id);
	str_wipe_free(c->azure_client_secret);
	free(c->azure_tenant_id);
	free(c->azure_environment);
	free(c->azure_workspace_resource_id);
	free(c->oidc_token_env);
	free(c->oidc_token_filepath);
	free(c->source);
	memset(c, 0, sizeof(*c));
}


/* The SDK's Azure Databricks DNS zones and their workspace login app ids. */
static const struct {
	const char *zone, *app;
} azure_zones[] = {
	{".dev.azuredatabricks.net", "62a912ac-b58e-4c1d-89ea-b2dbfc7358fc"},
	{".staging.azuredatabricks.net", "4a67d088-db5c-48f1-9ff2-0aace800ae68"},
	{".azuredatabricks.net", "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"},
	{".databricks.azure.us", "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"},
	{".databricks.azure.cn", "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"},
};

static int azure_zone(const char *host)
{
	if (!host)
		return -1;
	const char *h = strstr(host, "://");
	h = h ? h + 3 : host;
	size_t l = strcspn(h, ":/");
	for (size_t i = 0; i < sizeof(azure_zones) / sizeof(azure_zones[0]); i++) {
		size_t zl = strlen(azure_zones[i].zone);
		if (l > zl && !strncasecmp(h + l - zl, azure_zones[i].zone, zl))
			return (int)i;
	}
	return -1;
}

bool conn_host_is_azure(const char *host) { return azure_zone(host) >= 0; }

const char *conn_azure_login_app_id(const char *host)
{
	int z = azure_zone(host);
	return azure_zones[z < 0 ? 2 : z].app;
}

char *conn_find_executable(const char *name)
{
	if (str_empty(name))
		return NULL;
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t l = strcspn(path, ":");
		char *cand = xasprintf("%.*s/%s", (int)(l ? l : 1), l ? path : ".", name);
		if (cand && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		path += l + (path[l] == ':');
	}
	return NULL;
}
