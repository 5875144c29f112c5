/* auth.c - see auth.h. */
#include "uc/auth.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uc/auth_azure.h"
#include "uc/auth_oidc.h"
#include "uc/oauth_http.h"
#include "uc/auth_u2m.h"
#include "uc/model.h"
#include "util/jsonnum.h"
#include "util/log.h"
#include "util/strutil.h"

struct uc_auth {
	enum auth_kind kind;
	struct ucfs_conn conn;        /* the settings a fetch function needs (own copy) */
	struct http_client *http;     /* private: token answers bounded */

	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *access_token;           /* current token or NULL */
	char *mgmt_token;             /* azure-*: X-Databricks-Azure-SP-Management-Token or NULL */
	long long expires_at_ms;      /* monotonic */
	long long lifetime_ms;
	bool refreshing;
	unsigned long generation;     /* bumped after each refresh attempt */
	int last_rc;                  /* result of the last refresh */
	char *last_err;
};

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool uc_auth_needs_refresh(long long remaining_ms, long long lifetime_ms)
{
	long long margin = lifetime_ms / 2;
	if (margin > 300000)
		margin = 300000;
	return remaining_ms < margin;
}

static int dup_field(char **dst, const char *src)
{
	*dst = src ? xstrdup(src) : NULL;
	return src && !*dst ? -ENOMEM : 0;
}

/* The settings the fetch functions read; not the provenance. */
static int copy_conn(struct ucfs_conn *d, const struct ucfs_conn *s)
{
	d->auth = s->auth;
	d->azure_use_msi = s->azure_use_msi;
	return dup_field(&d->host, s->host) | dup_field(&d->profile, s->profile) | dup_field(&d->token, s->token) |
	       dup_field(&d->client_id, s->client_id) | dup_field(&d->client_secret, s->client_secret) |
	       dup_field(&d->account_id, s->account_id) |
	       dup_field(&d->databricks_cli_path, s->databricks_cli_path) |
	       dup_field(&d->azure_client_id, s->azure_client_id) |
	       dup_field(&d->azure_client_secret, s->azure_client_secret) |
	       dup_field(&d->azure_tenant_id, s->azure_tenant_id) |
	       dup_field(&d->azure_environment, s->azure_environment) |
	       dup_field(&d->azure_workspace_resource_id, s->azure_workspace_resource_id) |
	       dup_field(&d->azure_resource, s->azure_resource) |
	       dup_field(&d->oidc_token_env, s->oidc_token_env) |
	       dup_field(&d->oidc_token_filepath, s->oidc_token_filepath) | dup_field(&d->source, s->source);
}

bool uc_auth_refreshes(enum auth_kind k) { return k != AUTH_NONE && k != AUTH_PAT; }

struct uc_auth *uc_auth_new(const struct ucfs_conn *conn)
{
	struct uc_auth *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->kind = conn->auth;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	/* Token answers are small and must come quickly. */
	const struct http_options o = {.timeout_ms = 30000, .max_body_bytes = 64 * 1024};
	if (copy_conn(&a->conn, conn) || (uc_auth_refreshes(a->kind) && !(a->http = http_client_new(&o)))) {
		uc_auth_free(a);
		return NULL;
	}
	return a;
}

void uc_auth_free(struct uc_auth *a)
{
	if (!a)
		return;
	conn_free(&a->conn);
	http_client_free(a->http);
	str_wipe_free(a->access_token);
	str_wipe_free(a->mgmt_token);
	free(a->last_err);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}

enum auth_kind uc_auth_kind(const struct uc_auth *a) { return a ? a->kind : AUTH_NONE; }

void uc_auth_invalidate(struct uc_auth *a)
{
	if (!a || !uc_auth_refreshes(a->kind))
		return;
	pthread_mutex_lock(&a->lock);
	str_wipe_free(a->access_token);
	str_wipe_free(a->mgmt_token);
	a->access_token = a->mgmt_token = NULL;
	pthread_mutex_unlock(&a->lock);
}

void uc_auth_headers_free(struct uc_auth_headers *h)
{
	for (int i = 0; h && i < UC_AUTH_MAX_HEADERS; i++) {
		str_wipe_free(h->line[i]);
		h->line[i] = NULL;
	}
}

static char *basic_header(const char *id, const char *secret)
{
	char *raw = xasprintf("%s:%s", id, secret);
	if (!raw)
		return NULL;
	size_t rl = strlen(raw);
	char *b64 = malloc(4 * ((rl + 2) / 3) + 1);
	char *hdr = NULL;
	if (b64) {
		EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)raw, (int)rl);
		hdr = xasprintf("Authorization: Basic %s", b64);
		str_wipe_free(b64);
	}
	str_wipe_free(raw);
	return hdr;
}

/* oauth-m2m: client credentials at {host}/oidc/v1/token. */
static int fetch_m2m(struct uc_auth *a, char **token, long long *lifetime_ms, char **err)
{
	*token = NULL;
	char *basic = basic_header(a->conn.client_id, a->conn.client_secret);
	if (!basic) {
		*err = xstrdup("out of memory");
		return -ENOMEM;
	}
	struct oauth_token t;
	long long now = oauth_now_ms();
	int rc = oauth_post_token(a->http, a->conn.host, "grant_type=client_credentials&scope=all-apis",
				  basic, "oauth-m2m: OAuth token request", &t, err);
	str_wipe_free(basic);
	if (rc == -EACCES && *err) {
		char *more = xasprintf("%s: check client_id / client_secret (from %s)", *err,
				       a->conn.source ? a->conn.source : "?");
		if (more) {
			free(*err);
			*err = more;
		}
	}
	if (rc)
		return rc;
	*token = t.access_token;
	t.access_token = NULL;
	*lifetime_ms = t.expiry_ms == OAUTH_NO_EXPIRY ? 3600LL * 1000 : t.expiry_ms - now;
	if (*lifetime_ms < 1000)
		*lifetime_ms = 1000;
	oauth_token_clear(&t);
	return 0;
}

/* One fetch function per token method; called without the lock. */
static int fetch(struct uc_auth *a, char **tok, char **mgmt, long long *life, char **err)
{
	*mgmt = NULL;
	switch (a->kind) {
	case AUTH_OAUTH_M2M: return fetch_m2m(a, tok, life, err);
	case AUTH_U2M:
	case AUTH_DATABRICKS_CLI: return u2m_token(a->http, &a->conn, tok, life, err);
	case AUTH_ENV_OIDC:
	case AUTH_FILE_OIDC: return oidc_token(a->http, &a->conn, tok, life, err);
	case AUTH_AZURE_CLIENT_SECRET:
	case AUTH_AZURE_CLI:
	case AUTH_AZURE_MSI: return azure_token(a->http, &a->conn, tok, mgmt, life, err);
	default:
		*err = xasprintf("%s: no token method", auth_kind_name(a->kind));
		return -ENOTSUP;
	}
}

static bool still_valid(const struct uc_auth *a)
{
	return a->access_token && a->expires_at_ms - mono_ms() > 5000;
}

/* Under the lock: a current token in a->access_token, or an error. */
static int current_token(struct uc_auth *a, char **err)
{
	const char *m = auth_kind_name(a->kind);
	for (;;) {
		long long remaining = a->access_token ? a->expires_at_ms - mono_ms() : -1;
		if (a->access_token && !uc_auth_needs_refresh(remaining, a->lifetime_ms))
			return 0; /* fresh */
		if (a->refreshing) {
			if (a->access_token && remaining > 5000)
				return 0; /* still valid: use it while someone else refreshes */
			unsigned long gen = a->generation;
			while (a->refreshing && a->generation == gen)
				pthread_cond_wait(&a->cond, &a->lock);
			if (a->last_rc) {
				if (still_valid(a))
					return 0;
				if (err)
					*err = xstrdup(a->last_err ? a->last_err : "token refresh failed");
				return a->last_rc;
			}
			continue;
		}
		a->refreshing = true;
		pthread_mutex_unlock(&a->lock);
		char *tok = NULL, *mgmt = NULL, *e = NULL;
		long long life = 0;
		int r = fetch(a, &tok, &mgmt, &life, &e);
		if (!r && str_empty(tok)) {
			r = -EBADMSG;
			e = xasprintf("%s: the token source gave no token", m);
		}
		if (e)
			redact(e);
		pthread_mutex_lock(&a->lock);
		a->refreshing = false;
		a->generation++;
		a->last_rc = r;
		free(a->last_err);
		a->last_err = e;
		if (!r) {
			str_wipe_free(a->access_token);
			str_wipe_free(a->mgmt_token);
			a->access_token = tok;
			a->mgmt_token = mgmt;
			a->lifetime_ms = life > 0 ? life : 1000;
			a->expires_at_ms = mono_ms() + a->lifetime_ms;
			log_debug("auth: %s token for %s refreshed, valid %lld s", m, a->conn.host, life / 1000);
		} else {
			str_wipe_free(tok);
			str_wipe_free(mgmt);
		}
		pthread_cond_broadcast(&a->cond);
		if (r) {
			/* A still-valid old token beats failing now. */
			if (still_valid(a)) {
				log_warn("auth: %s token refresh failed, using the current token: %s", m, e ? e : "");
				return 0;
			}
			if (err)
				*err = xstrdup(e ? e : "token refresh failed");
			return r;
		}
	}
}

int uc_auth_headers(struct uc_auth *a, struct uc_auth_headers *h, char **err)
{
	memset(h, 0, sizeof(*h));
	if (err)
		*err = NULL;
	if (!a || a->kind == AUTH_NONE)
		return 0;
	if (a->kind == AUTH_PAT) {
		h->line[0] = xasprintf("Authorization: Bearer %s", a->conn.token ? a->conn.token : "");
		return h->line[0] ? 0 : -ENOMEM;
	}
	pthread_mutex_lock(&a->lock);
	int rc = current_token(a, err);
	if (!rc) {
		int n = 0;
		bool azure = a->kind >= AUTH_AZURE_CLIENT_SECRET && a->kind <= AUTH_AZURE_MSI;
		if (!(h->line[n++] = xasprintf("Authorization: Bearer %s", a->access_token)))
			rc = -ENOMEM;
		if (!rc && azure && a->conn.azure_workspace_resource_id &&
		    !(h->line[n++] = xasprintf("X-Databricks-Azure-Workspace-Resource-Id: %s",
					      a->conn.azure_workspace_resource_id)))
			rc = -ENOMEM;
		if (!rc && azure && a->mgmt_token &&
		    !(h->line[n++] = xasprintf("X-Databricks-Azure-SP-Management-Token: %s", a->mgmt_token)))
			rc = -ENOMEM;
	}
	pthread_mutex_unlock(&a->lock);
	if (rc) {
		uc_auth_headers_free(h);
		if (rc == -ENOMEM && err && !*err)
			*err = xstrdup("out of memory");
	}
	return rc;
}
