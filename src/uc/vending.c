/* vending.c - see vending.h. */
#include "uc/vending.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "util/jsonnum.h"
#include "util/log.h"
#include "util/strutil.h"

#define DENIAL_MEMORY_MS 60000

struct entry {
	char *table_id; /* or volume id */
	bool volume;
	struct storage_creds creds;
	int64_t fetched_at_ms;
	int64_t refetch_at_ms; /* epoch ms: ask again from then on (vending_next_fetch) */
	int64_t backoff_ms;    /* > 0: the last answer was expired or nearly so */
	bool valid, fetching, warned_expired;
	int denied;           /* negative errno of a remembered denial */
	char *denied_msg;
	int64_t denied_until; /* epoch ms */
	struct entry *next;
};

/* Entries by hash of the id: a mount of thousands of tables asks for one
 * at every storage request. */
#define BUCKETS 1024

struct vending {
	struct uc_client *uc;
	pthread_mutex_t lock;
	pthread_cond_t done;
	struct entry *buckets[BUCKETS];
};

static struct entry **bucket(struct vending *v, bool volume, const char *id)
{
	return &v->buckets[(fnv1a64(id, strlen(id)) ^ volume) % BUCKETS];
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vending_needs_refresh(int64_t remaining_ms, int64_t lifetime_ms)
{
	int64_t margin = lifetime_ms / 2;
	if (margin > 300000)
		margin = 300000;
	return remaining_ms <= margin;
}

int64_t vending_next_fetch(int64_t t0, int64_t expires_ms, int64_t *backoff_ms)
{
	if (!expires_ms) {
		*backoff_ms = 0;
		return INT64_MAX;
	}
	if (expires_ms > t0 + VENDING_BACKOFF_MIN_MS) {
		/* Valid for a while (short-lived credentials included): renew
		 * min(5 min, half the lifetime) before expiry - more than 1 s away. */
		int64_t life = expires_ms - t0, margin = life / 2;
		if (margin > 300000)
			margin = 300000;
		*backoff_ms = 0;
		return expires_ms - margin;
	}
	/* Expired, or about to: maybe our clock is ahead of the server's. Use
	 * it; ask again after a backoff that grows while this goes on. */
	int64_t b = *backoff_ms > 0 ? *backoff_ms * 2 : VENDING_BACKOFF_MIN_MS;
	if (b > VENDING_BACKOFF_MAX_MS)
		b = VENDING_BACKOFF_MAX_MS;
	*backoff_ms = b;
	return t0 + b;
}

static char *str_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) && v->valuestring ? xstrdup(v->valuestring) : NULL;
}

int vending_parse(const char *json, struct storage_creds *out, char **err)
{
	memset(out, 0, sizeof(*out));
	cJSON *root = cJSON_Parse(json);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		if (err)
			*err = xstrdup("credential vending: the answer is not a JSON object");
		return -EBADMSG;
	}
	const cJSON *aws = cJSON_GetObjectItemCaseSensitive(root, "aws_temp_credentials");
	const cJSON *sas = cJSON_GetObjectItemCaseSensitive(root, "azure_user_delegation_sas");
	const cJSON *gcp = cJSON_GetObjectItemCaseSensitive(root, "gcp_oauth_token");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(root, "expiration_time");
	if (cJSON_IsObject(aws)) {
		out->aws_access_key_id = str_of(aws, "access_key_id");
		out->aws_secret_access_key = str_of(aws, "secret_access_key");
		out->aws_session_token = str_of(aws, "session_token");
		out->aws_access_point = str_of(aws, "access_point");
	}
	if (cJSON_IsObject(sas)) {
		char *s = str_of(sas, "sas_token");
		out->azure_sas = s && s[0] == '?' ? xstrdup(s + 1) : s;
		if (s && s[0] == '?')
			free(s);
	}
	if (cJSON_IsObject(gcp))
		out->gcp_oauth_token = str_of(gcp, "oauth_token");
	/* 0 keeps meaning "no expiry given"; anything else is clamped to
	 * [1, year 9999] so a negative, huge or infinite one is a date (past or
	 * far) that the expiry arithmetic can use without overflow. */
	if (cJSON_IsNumber(exp) && exp->valuedouble != 0)
		out->expires_at_ms = json_num_clamp(exp->valuedouble, 1, JSON_EPOCH_MS_MAX);
	cJSON_Delete(root);
	if (cJSON_IsObject(aws) && (!out->aws_access_key_id || !out->aws_secret_access_key)) {
		storage_creds_clear(out);
		if (err)
			*err = xstrdup("credential vending: aws_temp_credentials without keys");
		return -EBADMSG;
	}
	return 0;
}

struct vending *vending_new(struct uc_client *uc)
{
	struct vending *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->uc = uc;
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->done, NULL);
	return v;
}

void vending_free(struct vending *v)
{
	if (!v)
		return;
	for (size_t b = 0; b < BUCKETS; b++) {
		while (v->buckets[b]) {
			struct entry *e = v->buckets[b];
			v->buckets[b] = e->next;
			storage_creds_clear(&e->creds);
			free(e->table_id);
			free(e->denied_msg);
			free(e);
		}
	}
	pthread_mutex_destroy(&v->lock);
	pthread_cond_destroy(&v->done);
	free(v);
}

static struct entry *find(struct vending *v, bool volume, const char *table_id, bool create)
{
	struct entry **head = bucket(v, volume, table_id);
	for (struct entry *e = *head; e; e = e->next)
		if (e->volume == volume && !strcmp(e->table_id, table_id))
			return e;
	if (!create)
		return NULL;
	struct entry *e = calloc(1, sizeof(*e));
	if (!e || !(e->table_id = xstrdup(table_id))) {
		free(e);
		return NULL;
	}
	e->volume = volume;
	e->next = *head;
	*head = e;
	return e;
}

static int copy_creds(const struct storage_creds *in, struct storage_creds *out)
{
	memset(out, 0, sizeof(*out));
	out->aws_access_key_id = xstrdup(in->aws_access_key_id);
	out->aws_secret_access_key = xstrdup(in->aws_secret_access_key);
	out->aws_session_token = xstrdup(in->aws_session_token);
	out->aws_access_point = xstrdup(in->aws_access_point);
	out->azure_sas = xstrdup(in->azure_sas);
	out->gcp_oauth_token = xstrdup(in->gcp_oauth_token);
	out->expires_at_ms = in->expires_at_ms;
	if ((in->aws_access_key_id && !out->aws_access_key_id) ||
	    (in->aws_secret_access_key && !out->aws_secret_access_key) ||
	    (in->aws_session_token && !out->aws_session_token) ||
	    (in->aws_access_point && !out->aws_access_point) || (in->azure_sas && !out->azure_sas) ||
	    (in->gcp_oauth_token && !out->gcp_oauth_token)) {
		storage_creds_clear(out);
		return -ENOMEM;
	}
	return 0;
}

static bool fresh(const struct entry *e)
{
	return e->valid && now_ms() < e->refetch_at_ms;
}

/* One request; path is the API version prefix. */
static int request(struct vending *v, const char *api, bool volume, const char *table_id,
		   struct storage_creds *out, struct uc_error *ue, char **err)
{
	char *path = xasprintf("/api/%s/unity-catalog/temporary-%s-credentials", api,
			       volume ? "volume" : "table");
	cJSON *b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, volume ? "volume_id" : "table_id", table_id);
	cJSON_AddStringToObject(b, "operation", volume ? "READ_VOLUME" : "READ");
	char *body = cJSON_PrintUnformatted(b), *answer = NULL;
	cJSON_Delete(b);
	int r = path && body ? uc_request(v->uc, path, body, &answer, ue) : -ENOMEM;
	free(path);
	free(body);
	if (!r)
		r = vending_parse(answer, out, err);
	free(answer);
	return r;
}

int vending_get(struct vending *v, bool volume, const char *table_id, const char *table_name,
		struct storage_creds *out, char **err)
{
	const char *kind = volume ? "volume" : "table";
	pthread_mutex_lock(&v->lock);
	struct entry *e = find(v, volume, table_id, true);
	if (!e) {
		pthread_mutex_unlock(&v->lock);
		return -ENOMEM;
	}
	for (;;) {
		if (fresh(e)) {
			int r = copy_creds(&e->creds, out);
			pthread_mutex_unlock(&v->lock);
			return r;
		}
		if (e->denied && now_ms() < e->denied_until) {
			int r = e->denied;
			if (err)
				*err = xstrdup(e->denied_msg);
			pthread_mutex_unlock(&v->lock);
			return r;
		}
		if (!e->fetching)
			break;
		pthread_cond_wait(&v->done, &v->lock); /* someone else is fetching */
	}
	e->fetching = true;
	pthread_mutex_unlock(&v->lock);

	struct storage_creds c;
	struct uc_error ue = {0};
	char *perr = NULL;
	int64_t t0 = now_ms();
	int r = request(v, "2.1", volume, table_id, &c, &ue, &perr);
	if (r == -ENOENT && ue.http_status == 404) {
		uc_error_clear(&ue);
		r = request(v, "2.0", volume, table_id, &c, &ue, &perr);
	}
	char *msg = NULL;
	if (r) { /* a bad answer names the object too */
		char *what = xasprintf("storage credentials of %s %s", kind, table_name);
		msg = perr ? xasprintf("%s: %s", what ? what : kind, perr) : uc_error_describe(&ue, what);
		free(perr);
		free(what);
	}
	uc_error_clear(&ue);

	pthread_mutex_lock(&v->lock);
	e->fetching = false;
	pthread_cond_broadcast(&v->done);
	if (!r) {
		storage_creds_clear(&e->creds);
		e->creds = c;
		e->fetched_at_ms = t0;
		e->refetch_at_ms = vending_next_fetch(t0, c.expires_at_ms, &e->backoff_ms);
		e->valid = true;
		e->denied = 0;
		if (e->backoff_ms && !e->warned_expired) {
			e->warned_expired = true; /* once per table: this repeats every backoff */
			log_warn("storage credentials of %s %s %s %.0f s by this machine's clock "
				 "(is its clock or the server's off?): using them, asking again in "
				 "%.0f s, then less and less often",
				 kind, table_name, c.expires_at_ms <= t0 ? "expired" : "expire in",
				 (double)(c.expires_at_ms <= t0 ? t0 - c.expires_at_ms
								: c.expires_at_ms - t0) / 1000.0,
				 (double)e->backoff_ms / 1000.0);
		}
		r = copy_creds(&e->creds, out);
	} else {
		if (r == -EACCES || r == -EPERM) {
			r = -EACCES; /* 401 and 403 alike: reads fail with EACCES */
			if (!e->denied)
				log_warn("%s", msg ? msg : "credential vending denied");
			e->denied = r;
			e->denied_until = now_ms() + DENIAL_MEMORY_MS;
			free(e->denied_msg);
			e->denied_msg = xstrdup(msg);
		}
		if (err)
			*err = xstrdup(msg);
	}
	pthread_mutex_unlock(&v->lock);
	free(msg);
	return r;
}

void vending_invalidate(struct vending *v, bool volume, const char *table_id)
{
	pthread_mutex_lock(&v->lock);
	struct entry *e = find(v, volume, table_id, false);
	/* Credentials that were expired when vended are not asked for again
	 * before their backoff: storage refusing them is no news. */
	if (e && !e->backoff_ms)
		e->valid = false;
	pthread_mutex_unlock(&v->lock);
}
