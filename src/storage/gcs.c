/*
 * gcs.c - the gcs storage backend: gs://BUCKET/PREFIX read through the
 * Cloud Storage JSON API with an OAuth bearer token.
 *
 * Contract (see storage.h for the interface):
 *  - Endpoint: env->gcs_endpoint, else $STORAGE_EMULATOR_HOST (the Google
 *    convention; "host:port" without a scheme means http://), else
 *    https://storage.googleapis.com. The URLs are built by
 *    storage/endpoint.c.
 *  - Credentials: creds->get() before every request; its gcp_oauth_token is
 *    sent as "Authorization: Bearer". No source or no token: no header (what
 *    emulators and public buckets take). A 401/403 answer calls
 *    creds->invalidate() and retries once; a second refusal is -EACCES,
 *    logged with the bucket, path and Google's error message only.
 *  - list: objects.list (prefix=KEY/, delimiter=/), every page
 *    (nextPageToken; $UCFS_LIST_PAGE_SIZE sets maxResults), parsed by
 *    listing_parse_gcs. An empty answer for a
 *    non-root directory is -ENOTDIR when the path is an object, -ENOENT when
 *    nothing is there.
 *  - stat: objects.get metadata (size, updated, etag - the same identity the
 *    listing gives), else a 1-result listing under KEY/ decides whether it
 *    is a directory.
 *  - read: objects.get alt=media with Range, checked by cloud_check_range
 *    (206, Content-Range exactly as asked, body length): never short before
 *    EOF, never other bytes. The object's generation is pinned (from stat,
 *    an "md5#generation" identity, or the first answer's x-goog-generation)
 *    and sent as ifGenerationMatch; a different x-goog-generation or ETag,
 *    a 412, 404 or size change is -EIO.
 *  - The bearer header is wiped after use and never logged.
 *  - The request, listing, stat/open and read loops are cloud_util.c's;
 *    this file builds the URLs, parses the answers and checks generations.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "net/http.h"
#include "storage/cloud_util.h"
#include "storage/endpoint.h"
#include "storage/listing.h"
#include "storage/storage.h"
#include "storage/url.h"
#include "util/log.h"
#include "util/strutil.h"

struct gcs_storage {
	struct storage base;
	struct cloud_backend cb; /* http, credentials, ops; cb.what for messages */
	struct endpoint_gcs ep; /* base URL (ORIGIN/storage/v1/b/BUCKET), prefix */
};

struct gcs_file {
	struct cloud_file cf; /* must be first: st, key, etag (as listed), size */
	bool etag_is_gcs; /* etag is the service's own (compare with ETag answers) */
	uint64_t size;
	pthread_mutex_t mu; /* guards generation */
	char *generation;   /* pinned generation or NULL until known */
};

static struct gcs_storage *gcs_of(struct storage *st) { return (struct gcs_storage *)st; }

/* cloud_backend.prepare: TARGET is the URL; the token goes in a header. */
static int gcs_prepare(void *ctx, const void *target, const struct storage_creds *c, char **url,
		       char **auth)
{
	(void)ctx;
	*auth = NULL;
	if (!(*url = xstrdup(target)))
		return -ENOMEM;
	if (!str_empty(c->gcp_oauth_token) &&
	    !(*auth = xasprintf("Authorization: Bearer %s", c->gcp_oauth_token)))
		return -ENOMEM;
	return 0;
}

/*
 * GET URL (from endpoint_gcs_*) with EXTRA headers (NULL-terminated, at most 4) and the
 * bearer token: cloud_request.
 */
static int gcs_request(struct gcs_storage *gs, const char *url, const char *const *extra,
		       struct http_response *resp)
{
	return cloud_request(&gs->cb, "GET", url, extra, resp);
}

/* Google's error message of a JSON error answer (malloc'ed, at most 200
 * characters, redacted) or NULL. */
static char *gcs_error_message(const struct http_response *resp)
{
	cJSON *root = cJSON_ParseWithLength(resp->body ? resp->body : "", resp->body_len);
	const cJSON *e = root ? cJSON_GetObjectItemCaseSensitive(root, "error") : NULL;
	const cJSON *m = e ? cJSON_GetObjectItemCaseSensitive(e, "message") : NULL;
	char *s = cJSON_IsString(m) && m->valuestring ? xstrndup(m->valuestring, 200) : NULL;
	cJSON_Delete(root);
	for (char *p = s; p && *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return s ? redact(s) : NULL;
}

/* Final answer RESP was not what OP on KEY needed: log (except 404) and map. */
static int gcs_fail(void *ctx, const struct http_response *resp, const char *op, const char *key)
{
	struct gcs_storage *gs = ctx;
	int e = cloud_status_errno(resp->status);
	if (e == -ENOENT)
		return e;
	char *msg = gcs_error_message(resp);
	if (e == -EACCES)
		log_warn("%s: access denied to '%s' (%s: HTTP %ld%s%s): the OAuth token is missing, "
			 "expired or not valid for this bucket",
			 gs->cb.what, key, op, resp->status, msg ? ": " : "", msg ? msg : "");
	else
		log_warn("%s: %s '%s' failed: HTTP %ld%s%s", gs->cb.what, op, key, resp->status,
			 msg ? ": " : "", msg ? msg : "");
	free(msg);
	return e;
}

static int gcs_list_page(void *ctx, const char *pfx, const char *token, int max,
			 struct http_response *resp)
{
	struct gcs_storage *gs = ctx;
	char *url = endpoint_gcs_list_url(&gs->ep, pfx, token, max);
	if (!url)
		return -ENOMEM;
	int r = gcs_request(gs, url, NULL, resp);
	free(url);
	return r;
}

static bool json_array_nonempty(const cJSON *root, const char *name)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, name);
	return cJSON_IsArray(a) && cJSON_GetArraySize(a) > 0;
}

/* Is there anything under KEY/ (a marker object "KEY/" counts)? 1, 0 or -errno. */
static int gcs_dir_exists(void *ctx, const char *key)
{
	struct gcs_storage *gs = ctx;
	char *pfx = endpoint_dir_prefix(key);
	if (!pfx)
		return -ENOMEM;
	struct http_response resp;
	int r = gcs_list_page(gs, pfx, NULL, 1, &resp);
	if (!r && resp.status != 200)
		r = gcs_fail(gs, &resp, "list", key);
	if (!r) {
		cJSON *root = cJSON_ParseWithLength(resp.body, resp.body_len);
		if (!cJSON_IsObject(root) || cJSON_GetObjectItemCaseSensitive(root, "error")) {
			log_warn("%s: unexpected listing answer for '%s'", gs->cb.what, key);
			r = -EIO;
		} else {
			r = (!*key || json_array_nonempty(root, "items") ||
			     json_array_nonempty(root, "prefixes"))
				    ? 1
				    : 0;
		}
		cJSON_Delete(root);
	}
	http_response_free(&resp);
	free(pfx);
	return r;
}

/* cloud_backend_ops.stat_parse: an objects.get answer -> entry (and the
 * generation into *(char **)ARG when ARG is not NULL). */
static int gcs_stat_parse(void *ctx, const char *rel, const char *key,
			  const struct http_response *resp, struct storage_entry *out, void *arg)
{
	struct gcs_storage *gs = ctx;
	char **generation = arg;
	const char *slash = strrchr(key, '/');
	char *pfx = xstrndup(key, slash ? (size_t)(slash - key) + 1 : 0);
	char *wrapped = xasprintf("{\"items\":[%s]}", resp->body);
	struct storage_list l = {0};
	char *perr = NULL;
	int r = pfx && wrapped ? 0 : -ENOMEM;
	if (!r && (r = listing_parse_gcs(wrapped, strlen(wrapped), pfx, &l, NULL, &perr)) == 0 &&
	    (l.n != 1 || l.items[0].is_dir))
		r = -EBADMSG;
	if (r == -EBADMSG) {
		log_warn("%s: unexpected metadata answer for '%s': %s", gs->cb.what, key,
			 perr ? perr : "not one object");
		r = -EIO;
	}
	if (!r) {
		*out = l.items[0];
		l.n = 0;
		free(out->name);
		out->name = xstrdup(cloud_basename(rel));
		if (!out->name)
			r = -ENOMEM;
	}
	if (!r && generation) {
		cJSON *root = cJSON_ParseWithLength(resp->body, resp->body_len);
		const cJSON *g = root ? cJSON_GetObjectItemCaseSensitive(root, "generation") : NULL;
		if (cJSON_IsString(g) && g->valuestring && !(*generation = xstrdup(g->valuestring)))
			r = -ENOMEM;
		cJSON_Delete(root);
	}
	if (r)
		storage_entry_clear(out);
	storage_list_free(&l);
	free(perr);
	free(wrapped);
	free(pfx);
	return r;
}

/* cloud_backend_ops.stat_get: objects.get (metadata). */
static int gcs_stat_get(void *ctx, const char *key, struct http_response *resp)
{
	struct gcs_storage *gs = ctx;
	char *url = endpoint_gcs_object_url(&gs->ep, key);
	if (!url)
		return -ENOMEM;
	int r = gcs_request(gs, url, NULL, resp);
	free(url);
	return r;
}

static int gcs_stat(struct storage *st, const char *rel, struct storage_entry *out)
{
	struct gcs_storage *gs = gcs_of(st);
	return cloud_stat(&gs->cb, gs->ep.prefix, rel, out);
}

static int gcs_list(struct storage *st, const char *rel, struct storage_list *out)
{
	struct gcs_storage *gs = gcs_of(st);
	return cloud_list(&gs->cb, gs->ep.prefix, rel, out);
}

static void gcs_file_free(struct gcs_file *f)
{
	free(f->cf.key);
	free(f->cf.etag);
	free(f->generation);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static int gcs_open(struct storage *st, const char *rel, const struct storage_entry *known,
		    struct storage_file **out)
{
	struct gcs_storage *gs = gcs_of(st);
	struct gcs_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	pthread_mutex_init(&f->mu, NULL);
	f->cf.st = st;
	int r = cloud_file_open(&gs->cb, gs->ep.prefix, rel, known, &f->cf, &f->generation);
	if (!r && f->cf.etag) {
		/* listing_parse_gcs makes "md5#generation" when there is no etag. */
		const char *hash = strrchr(f->cf.etag, '#');
		f->etag_is_gcs = !hash;
		if (hash && hash[1] && !f->generation && !(f->generation = xstrdup(hash + 1)))
			r = -ENOMEM;
	}
	if (r) {
		gcs_file_free(f);
		return r;
	}
	*out = (struct storage_file *)f;
	return 0;
}

/* Check (and pin) the generation an answer came from. 0 or -EIO/-ENOMEM. */
static int check_generation(struct gcs_file *f, const struct http_response *resp)
{
	char *g = http_response_header(resp, "x-goog-generation");
	int r = 0;
	if (!g)
		return 0;
	pthread_mutex_lock(&f->mu);
	if (!f->generation) {
		f->generation = g;
		g = NULL;
	} else if (strcmp(f->generation, g)) {
		r = -EIO;
	}
	pthread_mutex_unlock(&f->mu);
	free(g);
	return r;
}

/* cloud_backend_ops.read_get: ranged GET of the media, pinned to the generation. */
static int gcs_get_range(struct cloud_file *cf, uint64_t off, size_t want,
			 const struct http_sink *sink, struct http_response *resp)
{
	struct gcs_file *f = (struct gcs_file *)cf;
	struct gcs_storage *gs = gcs_of(cf->st);
	pthread_mutex_lock(&f->mu);
	char *url = endpoint_gcs_media_url(&gs->ep, cf->key, f->generation);
	pthread_mutex_unlock(&f->mu);
	char *range = xasprintf("Range: bytes=%" PRIu64 "-%" PRIu64, off, off + want - 1);
	const char *extra[] = {range, NULL};
	int r = url && range ? 0 : -ENOMEM;
	if (!r)
		r = cloud_request_sink(&gs->cb, "GET", url, extra, sink, resp);
	free(url);
	free(range);
	return r;
}

/* cloud_backend_ops.read_identity: the service's ETag (when that is what
 * was opened), then the generation (pinned by the first answer that has one). */
static int gcs_identity(struct cloud_file *cf, const struct http_response *resp,
			const char **differs)
{
	struct gcs_file *f = (struct gcs_file *)cf;
	int r = f->etag_is_gcs ? cloud_etag_check(resp, cf->etag, differs) : 0;
	if (!r && check_generation(f, resp) == -EIO) {
		*differs = "generation";
		r = -EIO;
	}
	return r;
}

static ssize_t gcs_read_stream(struct storage_file *sf, uint64_t off, size_t len,
			       const struct storage_sink *sink)
{
	struct gcs_file *f = (struct gcs_file *)sf;
	return cloud_read_stream(&gcs_of(f->cf.st)->cb, &f->cf, off, len, sink);
}

static void gcs_close(struct storage_file *sf) { gcs_file_free((struct gcs_file *)sf); }

static void gcs_destroy(struct storage *st)
{
	struct gcs_storage *gs = gcs_of(st);
	free(gs->base.location);
	endpoint_gcs_free(&gs->ep);
	free(gs->cb.what);
	free(gs);
}

static const struct cloud_backend_ops gcs_cb_ops = {
	.prepare = gcs_prepare,
	.list_page = gcs_list_page,
	.parse = listing_parse_gcs,
	.fail = gcs_fail,
	.dir_exists = gcs_dir_exists,
	.stat_get = gcs_stat_get,
	.stat_parse = gcs_stat_parse,
	.read_get = gcs_get_range,
	.read_identity = gcs_identity,
};

static const struct storage_ops gcs_ops = {
	.name = "gcs",
	.list = gcs_list,
	.stat = gcs_stat,
	.open = gcs_open,
	.read_stream = gcs_read_stream,
	.close = gcs_close,
	.destroy = gcs_destroy,
};

int storage_gcs_new(const char *location, const struct storage_url *u,
		    const struct storage_env *env, const struct storage_creds_source *creds,
		    struct storage **out, char **err)
{
	*out = NULL;
	int r = cloud_need_http(location, env, "gcs storage", err);
	if (r)
		return r;
	struct gcs_storage *gs = calloc(1, sizeof(*gs));
	if (!gs)
		return -ENOMEM;
	r = cloud_backend_init(&gs->base, &gcs_ops, &gs->cb, &gcs_cb_ops, gs, location, env,
			       creds);
	if (!r)
		r = endpoint_gcs_init(&gs->ep, location, u,
				      endpoint_pick(env->gcs_endpoint, getenv("STORAGE_EMULATOR_HOST"),
						    NULL),
				      err);
	if (!r && !(gs->cb.what = xasprintf("gcs %s", u->bucket)))
		r = -ENOMEM;
	if (r) {
		gcs_destroy(&gs->base);
		return r;
	}
	*out = &gs->base;
	return 0;
}
