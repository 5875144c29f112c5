/* auth.c - see auth.h. */
#include "uc/auth.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "uc/model.h"
#include "uc/auth_u2m.h"
#include "uc/auth_oidc.h"
#include "util/jsonnum.h"
#include "util/log.h"
#include "util/strutil.h"

struct uc_auth {
	enum auth_kind kind;
	char *host, *token, *client_id, *client_secret;
	struct ucfs_conn conn;
	struct http_client *http;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	char *access_token;           /* current OAuth token or NULL */
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

struct uc_auth *uc_auth_new(const struct ucfs_conn *conn, struct http_client *http)
{
	struct uc_auth *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->kind = conn->auth;
	a->http = http;
	a->host = xstrdup(conn->host);
	a->token = xstrdup(conn->token);
	a->client_id = xstrdup(conn->client_id);
	a->client_secret = xstrdup(conn->client_secret);
	a->conn.host = a->host; a->conn.auth = conn->auth; a->conn.client_id = a->client_id;
	a->conn.oidc_token_filepath = xstrdup(conn->oidc_token_filepath);
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	if ((conn->host && !a->host) || (conn->token && !a->token) || (conn->client_id && !a->client_id) ||
	    (conn->client_secret && !a->client_secret)) {
		uc_auth_free(a);
		return NULL;
	}
	return a;
}

static void wipe_free(char *s)
{
	if (s) {
		volatile char *p = s;
		while (*p)
			*p++ = 0;
		free(s);
	}
}

void uc_auth_free(struct uc_auth *a)
{
	if (!a)
		return;
	free(a->host);
	free(a->conn.oidc_token_filepath);
	wipe_free(a->token);
	free(a->client_id);
	wipe_free(a->client_secret);
	wipe_free(a->access_token);
	free(a->last_err);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}

enum auth_kind uc_auth_kind(const struct uc_auth *a) { return a ? a->kind : AUTH_NONE; }

void uc_auth_invalidate(struct uc_auth *a)
{
	if (!a || a->kind == AUTH_PAT || a->kind == AUTH_NONE)
		return;
	pthread_mutex_lock(&a->lock);
	wipe_free(a->access_token);
	a->access_token = NULL;
	pthread_mutex_unlock(&a->lock);
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
		wipe_free(b64);
	}
	wipe_free(raw);
	return hdr;
}

/* Performs the token request without holding the lock. */
static int fetch_token(struct uc_auth *a, char **token, long long *lifetime_ms, char **err)
{
	*token = NULL;
	if (a->kind == AUTH_U2M || a->kind == AUTH_DATABRICKS_CLI)
		return u2m_token(a->http, &a->conn, token, lifetime_ms, err);
	if (a->kind == AUTH_ENV_OIDC || a->kind == AUTH_FILE_OIDC)
		return oidc_token(a->http, &a->conn, token, lifetime_ms, err);
	char *url = xasprintf("%s/oidc/v1/token", a->host);
	char *basic = basic_header(a->client_id, a->client_secret);
	int rc = 0;
	if (!url || !basic) {
		rc = -ENOMEM;
		goto out;
	}
	static const char form[] = "grant_type=client_credentials&scope=all-apis";
	const char *hdrs[] = {basic, "Accept: application/json", NULL};
	struct http_request req = {.method = "POST", .url = url, .headers = hdrs, .body = form,
				   .body_len = sizeof(form) - 1,
				   .content_type = "application/x-www-form-urlencoded"};
	struct http_response resp;
	char *msg = NULL;
	rc = http_perform(a->http, &req, &resp, &msg);
	if (rc) {
		*err = xasprintf("cannot get an OAuth token from %s: %s", a->host, msg ? msg : strerror(-rc));
		free(msg);
		goto out;
	}
	if (!http_status_ok(resp.status)) {
		char *code = NULL, *m = NULL;
		uc_parse_error(resp.body, &code, &m);
		rc = (resp.status == 400 || resp.status == 401 || resp.status == 403) ? -EACCES : -EIO;
		*err = xasprintf("OAuth token request to %s/oidc/v1/token failed (%ld%s%s%s%s)%s", a->host,
				 resp.status, code ? " " : "", code ? code : "", m ? ": " : "", m ? m : "",
				 rc == -EACCES ? ": check client_id / client_secret" : "");
		free(code);
		free(m);
		http_response_free(&resp);
		goto out;
	}
	cJSON *root = cJSON_Parse(resp.body);
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, "access_token");
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(root, "expires_in");
	if (!cJSON_IsString(at) || str_empty(at->valuestring)) {
		rc = -EBADMSG;
		*err = xasprintf("OAuth token answer from %s has no access_token", a->host);
	} else if (!(*token = xstrdup(at->valuestring))) {
		rc = -ENOMEM;
	} else {
		/* at most ~100 years, so secs * 1000 + a clock reading cannot overflow */
		long long secs = json_item_i64(ex, 0, 3153600000LL, 0);
		if (secs <= 0) {
			log_debug("auth: token answer without expires_in, assuming 1 hour");
			secs = 3600;
		}
		*lifetime_ms = secs * 1000;
	}
	cJSON_Delete(root);
	/* The body holds the token: wipe it. */
	if (resp.body)
		memset(resp.body, 0, resp.body_len);
	http_response_free(&resp);
out:
	if (rc == -ENOMEM && !*err)
		*err = xstrdup("out of memory");
	if (*err)
		redact(*err);
	free(url);
	wipe_free(basic);
	return rc;
}

int uc_auth_header(struct uc_auth *a, char **header, char **err)
{
	*header = NULL;
	if (err)
		*err = NULL;
	if (!a || a->kind == AUTH_NONE)
		return 0;
	if (a->kind == AUTH_PAT) {
		*header = xasprintf("Authorization: Bearer %s", a->token ? a->token : "");
		return *header ? 0 : -ENOMEM;
	}
	int rc = 0;
	pthread_mutex_lock(&a->lock);
	for (;;) {
		long long now = mono_ms();
		long long remaining = a->access_token ? a->expires_at_ms - now : -1;
		if (a->access_token && !uc_auth_needs_refresh(remaining, a->lifetime_ms))
			break; /* fresh */
		if (a->refreshing) {
			if (a->access_token && remaining > 5000)
				break; /* still valid: use it while someone else refreshes */
			unsigned long gen = a->generation;
			while (a->refreshing && a->generation == gen)
				pthread_cond_wait(&a->cond, &a->lock);
			if (a->last_rc) {
				if (a->access_token && a->expires_at_ms - mono_ms() > 5000)
					break;
				rc = a->last_rc;
				if (err)
					*err = xstrdup(a->last_err ? a->last_err : "OAuth token refresh failed");
				goto out;
			}
			continue;
		}
		a->refreshing = true;
		pthread_mutex_unlock(&a->lock);
		char *tok = NULL, *e = NULL;
		long long life = 0;
		int r = fetch_token(a, &tok, &life, &e);
		pthread_mutex_lock(&a->lock);
		a->refreshing = false;
		a->generation++;
		a->last_rc = r;
		free(a->last_err);
		a->last_err = e;
		if (!r) {
			wipe_free(a->access_token);
			a->access_token = tok;
			a->lifetime_ms = life;
			a->expires_at_ms = mono_ms() + life;
			log_debug("auth: OAuth token for %s refreshed, valid %lld s", a->host, life / 1000);
		}
		pthread_cond_broadcast(&a->cond);
		if (r) {
			/* A still-valid old token beats failing now. */
			if (a->access_token && a->expires_at_ms - mono_ms() > 5000) {
				log_warn("auth: OAuth token refresh failed, using the current token: %s", e ? e : "");
				break;
			}
			rc = r;
			if (err)
				*err = xstrdup(e ? e : "OAuth token refresh failed");
			goto out;
		}
	}
	*header = xasprintf("Authorization: Bearer %s", a->access_token);
	if (!*header)
		rc = -ENOMEM;
out:
	pthread_mutex_unlock(&a->lock);
	return rc;
}
