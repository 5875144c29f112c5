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
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
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

#define GCS_MAX_PAGES 1000000

struct gcs_storage {
	struct storage base;
	struct http_client *http;
	struct storage_creds_source creds;
	bool has_creds;
	struct endpoint_gcs ep; /* base URL (ORIGIN/storage/v1/b/BUCKET), prefix */
	int page_size; /* entries per listing page; 0: the service default */
	char *what;     /* "gcs BUCKET" for messages */
};

struct gcs_file {
	struct storage *st; /* must be first, see storage.c */
	char *key;
	char *etag; /* identity as listed; NULL: none */
	bool etag_is_gcs; /* etag is the service's own (compare with ETag answers) */
	uint64_t size;
	pthread_mutex_t mu; /* guards generation */
	char *generation;   /* pinned generation or NULL until known */
};

static struct gcs_storage *gcs_of(struct storage *st) { return (struct gcs_storage *)st; }

/*
 * GET URL (from endpoint_gcs_*) with EXTRA headers (NULL-terminated, at most 3) and the
 * bearer token. 0 with *resp set (any status), or a negative errno for
 * transport failures / missing credentials (logged).
 */
static int gcs_request(struct gcs_storage *gs, const char *url, const char *const *extra,
		       struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	for (int attempt = 0;; attempt++) {
		const char *hdrs[5];
		size_t nh = 0;
		char *auth = NULL;
		if (gs->has_creds) {
			struct storage_creds c = {0};
			char *cerr = NULL;
			int r = gs->creds.get(gs->creds.ctx, &c, &cerr);
			if (r) {
				log_warn("%s: no storage credentials: %s", gs->what,
					 cerr ? redact(cerr) : strerror(-r));
				free(cerr);
				storage_creds_clear(&c);
				return r;
			}
			free(cerr);
			if (!str_empty(c.gcp_oauth_token) &&
			    !(auth = xasprintf("Authorization: Bearer %s", c.gcp_oauth_token))) {
				storage_creds_clear(&c);
				return -ENOMEM;
			}
			storage_creds_clear(&c);
		}
		if (auth)
			hdrs[nh++] = auth;
		for (const char *const *e = extra; e && *e && nh < 4; e++)
			hdrs[nh++] = *e;
		hdrs[nh] = NULL;
		struct http_request req = {.method = "GET", .url = url, .headers = hdrs};
		char *herr = NULL;
		int r = http_perform(gs->http, &req, resp, &herr);
		cloud_free_secret(auth);
		if (r) {
			log_warn("%s: %s", gs->what, herr ? herr : strerror(-r));
			free(herr);
			return r;
		}
		if ((resp->status == 401 || resp->status == 403) && attempt == 0 && gs->has_creds &&
		    gs->creds.invalidate) {
			log_debug("%s: HTTP %ld, retrying with fresh credentials", gs->what, resp->status);
			gs->creds.invalidate(gs->creds.ctx);
			http_response_free(resp);
			continue;
		}
		return 0;
	}
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
static int gcs_fail(struct gcs_storage *gs, const struct http_response *resp, const char *op,
		    const char *key)
{
	int e = cloud_status_errno(resp->status);
	if (e == -ENOENT)
		return e;
	char *msg = gcs_error_message(resp);
	if (e == -EACCES)
		log_warn("%s: access denied to '%s' (%s: HTTP %ld%s%s): the OAuth token is missing, "
			 "expired or not valid for this bucket",
			 gs->what, key, op, resp->status, msg ? ": " : "", msg ? msg : "");
	else
		log_warn("%s: %s '%s' failed: HTTP %ld%s%s", gs->what, op, key, resp->status,
			 msg ? ": " : "", msg ? msg : "");
	free(msg);
	return e;
}

static int gcs_list_page(struct gcs_storage *gs, const char *pfx, const char *token, int max,
			 struct http_response *resp)
{
	char *url = endpoint_gcs_list_url(&gs->ep, pfx, token, max);
	if (!url)
		return -ENOMEM;
	int r = gcs_request(gs, url, NULL, resp);
	free(url);
	return r;
}

static int fill_dir(struct storage_entry *e, const char *rel)
{
	memset(e, 0, sizeof(*e));
	e->is_dir = true;
	e->name = xstrdup(cloud_basename(rel));
	return e->name ? 0 : -ENOMEM;
}

static bool json_array_nonempty(const cJSON *root, const char *name)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, name);
	return cJSON_IsArray(a) && cJSON_GetArraySize(a) > 0;
}

/* Is there anything under KEY/ (a marker object "KEY/" counts)? 1, 0 or -errno. */
static int gcs_dir_exists(struct gcs_storage *gs, const char *key)
{
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
			log_warn("%s: unexpected listing answer for '%s'", gs->what, key);
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

/* An objects.get answer -> entry (and *generation when wanted). */
static int parse_object(struct gcs_storage *gs, const char *rel, const char *key,
			const struct http_response *resp, struct storage_entry *out,
			char **generation)
{
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
		log_warn("%s: unexpected metadata answer for '%s': %s", gs->what, key,
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

static int gcs_stat_key(struct gcs_storage *gs, const char *rel, const char *key,
			struct storage_entry *out, char **generation)
{
	memset(out, 0, sizeof(*out));
	if (!*key) {
		int d = gcs_dir_exists(gs, key);
		return d < 0 ? d : fill_dir(out, rel);
	}
	char *url = endpoint_gcs_object_url(&gs->ep, key);
	if (!url)
		return -ENOMEM;
	struct http_response resp;
	int r = gcs_request(gs, url, NULL, &resp);
	free(url);
	if (r)
		return r;
	if (resp.status == 200) {
		r = parse_object(gs, rel, key, &resp, out, generation);
	} else if (resp.status == 404) {
		int d = gcs_dir_exists(gs, key);
		r = d < 0 ? d : d ? fill_dir(out, rel) : -ENOENT;
	} else {
		r = gcs_fail(gs, &resp, "stat", key);
	}
	http_response_free(&resp);
	return r;
}

static int gcs_stat(struct storage *st, const char *rel, struct storage_entry *out)
{
	struct gcs_storage *gs = gcs_of(st);
	char *key = endpoint_join_key(gs->ep.prefix, rel);
	if (!key)
		return -ENOMEM;
	int r = gcs_stat_key(gs, rel ? rel : "", key, out, NULL);
	free(key);
	return r;
}

static int gcs_list(struct storage *st, const char *rel, struct storage_list *out)
{
	struct gcs_storage *gs = gcs_of(st);
	out->items = NULL;
	out->n = 0;
	if (!rel)
		rel = "";
	char *key = endpoint_join_key(gs->ep.prefix, rel);
	char *pfx = key ? endpoint_dir_prefix(key) : NULL;
	char *token = NULL;
	int r = pfx ? 0 : -ENOMEM;
	for (int page = 0; !r; page++) {
		struct http_response resp;
		if (page >= GCS_MAX_PAGES) {
			log_warn("%s: listing '%s' does not end", gs->what, key);
			r = -EIO;
			break;
		}
		r = gcs_list_page(gs, pfx, token, gs->page_size, &resp);
		if (r)
			break;
		if (resp.status != 200) {
			r = gcs_fail(gs, &resp, "list", key);
		} else {
			char *next = NULL, *perr = NULL;
			r = listing_parse_gcs(resp.body, resp.body_len, pfx, out, &next, &perr);
			if (r) {
				log_warn("%s: unexpected listing answer for '%s': %s", gs->what, key,
					 perr ? perr : strerror(-r));
				r = -EIO;
			} else if (next && token && !strcmp(next, token)) {
				log_warn("%s: listing '%s' repeats its page token", gs->what, key);
				r = -EIO;
			}
			free(perr);
			free(token);
			token = next;
		}
		http_response_free(&resp);
		if (!token)
			break;
	}
	free(token);
	if (!r && out->n == 0 && *key) {
		struct storage_entry e;
		r = gcs_stat_key(gs, rel, key, &e, NULL);
		if (!r && !e.is_dir)
			r = -ENOTDIR;
		storage_entry_clear(&e);
	}
	if (r)
		storage_list_free(out);
	free(pfx);
	free(key);
	return r;
}

static void gcs_file_free(struct gcs_file *f)
{
	free(f->key);
	free(f->etag);
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
	f->st = st;
	f->key = endpoint_join_key(gs->ep.prefix, rel);
	int r = f->key ? 0 : -ENOMEM;
	if (!r && !*f->key)
		r = -EISDIR;
	if (!r && known && !known->is_dir && known->etag) {
		f->size = known->size;
		f->etag = xstrdup(known->etag);
		r = f->etag ? 0 : -ENOMEM;
	} else if (!r) {
		struct storage_entry e;
		r = gcs_stat_key(gs, rel, f->key, &e, &f->generation);
		if (!r && e.is_dir)
			r = -EISDIR;
		if (!r) {
			f->size = e.size;
			f->etag = e.etag;
			e.etag = NULL;
		}
		storage_entry_clear(&e);
	}
	if (!r && f->etag) {
		/* listing_parse_gcs makes "md5#generation" when there is no etag. */
		const char *hash = strrchr(f->etag, '#');
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

/* Exactly WANT bytes at OFF (OFF+WANT <= size) into BUF. */
static int gcs_read_range(struct gcs_file *f, char *buf, size_t want, uint64_t off)
{
	struct gcs_storage *gs = gcs_of(f->st);
	pthread_mutex_lock(&f->mu);
	char *url = endpoint_gcs_media_url(&gs->ep, f->key, f->generation);
	pthread_mutex_unlock(&f->mu);
	char *range = xasprintf("Range: bytes=%" PRIu64 "-%" PRIu64, off, off + want - 1);
	const char *extra[] = {range, NULL};
	struct http_response resp = {0};
	int r = url && range ? 0 : -ENOMEM;
	if (!r)
		r = gcs_request(gs, url, extra, &resp);
	free(url);
	free(range);
	if (r)
		return r;
	const char *why = NULL;
	if (resp.status == 412 || resp.status == 404 || resp.status == 416) {
		log_warn("%s: '%s' was %s since it was opened (HTTP %ld)", gs->what, f->key,
			 resp.status == 404 ? "deleted" : "changed", resp.status);
		r = -EIO;
	} else if (resp.status != 200 && resp.status != 206) {
		r = gcs_fail(gs, &resp, "read", f->key);
		if (r == -ENOENT)
			r = -EIO;
	} else {
		char *et = f->etag_is_gcs ? http_response_header(&resp, "ETag") : NULL;
		char *uq = et ? cloud_unquote_etag(et) : NULL;
		if (et && !uq) {
			r = -ENOMEM;
		} else if ((uq && strcmp(uq, f->etag)) || (r = check_generation(f, &resp)) == -EIO) {
			log_warn("%s: '%s' changed since it was opened (%s differs)", gs->what, f->key,
				 uq && strcmp(uq, f->etag) ? "ETag" : "generation");
			r = -EIO;
		} else if (!r && cloud_check_range(&resp, off, want, f->size, &why)) {
			log_warn("%s: read of '%s' at %" PRIu64 "+%zu: %s", gs->what, f->key, off,
				 want, why);
			r = -EIO;
		} else if (!r) {
			memcpy(buf, resp.body, want);
		}
		free(et);
		free(uq);
	}
	http_response_free(&resp);
	return r;
}

static ssize_t gcs_read(struct storage_file *sf, void *buf, size_t len, uint64_t off)
{
	struct gcs_file *f = (struct gcs_file *)sf;
	if (off >= f->size || len == 0)
		return 0;
	uint64_t left = f->size - off;
	size_t total = left < len ? (size_t)left : len;
	if (total > (size_t)SSIZE_MAX)
		total = (size_t)SSIZE_MAX;
	size_t done = 0;
	while (done < total) {
		size_t want = total - done;
		if (want > CLOUD_MAX_REQUEST_BYTES)
			want = CLOUD_MAX_REQUEST_BYTES;
		int r = gcs_read_range(f, (char *)buf + done, want, off + done);
		if (r)
			return r;
		done += want;
	}
	return (ssize_t)done;
}

static void gcs_close(struct storage_file *sf) { gcs_file_free((struct gcs_file *)sf); }

static void gcs_destroy(struct storage *st)
{
	struct gcs_storage *gs = gcs_of(st);
	free(gs->base.location);
	endpoint_gcs_free(&gs->ep);
	free(gs->what);
	free(gs);
}

static const struct storage_ops gcs_ops = {
	.name = "gcs",
	.list = gcs_list,
	.stat = gcs_stat,
	.open = gcs_open,
	.read = gcs_read,
	.close = gcs_close,
	.destroy = gcs_destroy,
};

int storage_gcs_new(const char *location, const struct storage_url *u,
		    const struct storage_env *env, const struct storage_creds_source *creds,
		    struct storage **out, char **err)
{
	*out = NULL;
	if (!env || !env->http) {
		if (err)
			*err = xasprintf("storage location '%s': no HTTP client for gcs storage",
					 location);
		return -EINVAL;
	}
	struct gcs_storage *gs = calloc(1, sizeof(*gs));
	if (!gs)
		return -ENOMEM;
	gs->base.ops = &gcs_ops;
	gs->http = env->http;
	gs->page_size = endpoint_page_size(getenv("UCFS_LIST_PAGE_SIZE"));
	if (creds && creds->get) {
		gs->creds = *creds;
		gs->has_creds = true;
	}
	gs->base.location = xstrdup(location);
	int r = gs->base.location ? 0 : -ENOMEM;
	if (!r)
		r = endpoint_gcs_init(&gs->ep, location, u,
				      endpoint_pick(env->gcs_endpoint, getenv("STORAGE_EMULATOR_HOST"),
						    NULL),
				      err);
	if (!r && !(gs->what = xasprintf("gcs %s", u->bucket)))
		r = -ENOMEM;
	if (r) {
		gcs_destroy(&gs->base);
		return r;
	}
	*out = &gs->base;
	return 0;
}
