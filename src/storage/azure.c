/*
 * azure.c - the azure storage backend: ADLS Gen2 / Blob Storage locations
 * (abfss://, abfs://, wasbs://, wasb:// CONTAINER@ACCOUNT.dfs.SUFFIX/PREFIX)
 * read through the Blob service REST API with a SAS token.
 *
 * Contract (see storage.h for the interface):
 *  - Endpoint: env->azure_endpoint when set (the account's base URL, e.g.
 *    https://127.0.0.1:10000/devstoreaccount1 for Azurite, or a sovereign
 *    cloud's https://ACCOUNT.blob.SUFFIX), else https://ACCOUNT.blob.SUFFIX
 *    made from the location's host by swapping its ".dfs." for ".blob."
 *    (the cloud suffix is kept, never hard-coded). Always HTTPS. The URLs
 *    and queries are built by storage/endpoint.c.
 *  - Credentials: creds->get() before every request; its azure_sas (a
 *    leading '?' is ignored) is appended as the query string. A 401/403
 *    answer calls creds->invalidate() and retries once with fresh
 *    credentials; a second refusal is -EACCES, logged with the account,
 *    container, path and Azure's error code only. No credentials source or
 *    no SAS: requests are sent unsigned (public containers).
 *  - list: List Blobs (prefix=KEY/, delimiter=/, include=metadata), every
 *    page (NextMarker; $UCFS_LIST_PAGE_SIZE sets maxresults), parsed by
 *    listing_parse_azure. An empty answer for a
 *    non-root directory is -ENOTDIR when the path is a blob, -ENOENT when
 *    nothing is there.
 *  - stat: HEAD of the blob (Content-Length, Last-Modified, ETag; a blob with
 *    metadata hdi_isfolder=true is an ADLS directory), else a 1-result
 *    listing under KEY/ decides whether it is a directory.
 *  - read: ranged GET (x-ms-range) with If-Match on the opened ETag, checked
 *    by cloud_check_range: never short before EOF, never other bytes. A
 *    changed or deleted object (412, 404, other ETag or size) is -EIO.
 *  - Every request sends x-ms-version. URLs (which carry the SAS) are wiped
 *    after use and never logged; http.c names only scheme://host:port.
 *  - The request, listing, stat/open and read loops are cloud_util.c's;
 *    this file builds the URLs, parses the answers and logs Azure errors.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/http.h"
#include "storage/cloud_util.h"
#include "storage/endpoint.h"
#include "storage/listing.h"
#include "storage/storage.h"
#include "storage/url.h"
#include "util/log.h"
#include "util/strutil.h"

#define AZ_VERSION "x-ms-version: 2021-08-06"

struct az_storage {
	struct storage base;
	struct cloud_backend cb; /* http, credentials, ops; cb.what for messages */
	struct endpoint_azure ep; /* base URL (ENDPOINT/CONTAINER), prefix */
};

/* What az_request asks for: base_url + PATH [? QUERY]. */
struct az_target {
	const char *path;
	const char *query;
};

static struct az_storage *az_of(struct storage *st) { return (struct az_storage *)st; }

static const char *const az_base_headers[] = {AZ_VERSION, NULL};

/* cloud_backend.prepare: the URL carries the SAS (a leading '?' ignored). */
static int az_prepare(void *ctx, const void *target, const struct storage_creds *c, char **url,
		      char **auth)
{
	struct az_storage *as = ctx;
	const struct az_target *t = target;
	*auth = NULL;
	*url = endpoint_azure_url(&as->ep, t->path, t->query, c->azure_sas);
	return *url ? 0 : -ENOMEM;
}

/*
 * METHOD base_url + PATH [? QUERY] [& SAS] with x-ms-version and EXTRA
 * headers (NULL-terminated, at most 4): cloud_request.
 */
static int az_request_sink(struct az_storage *as, const char *method, const char *path,
			   const char *query, const char *const *extra,
			   const struct http_sink *sink, struct http_response *resp)
{
	struct az_target t = {.path = path, .query = query};
	return cloud_request_sink(&as->cb, method, &t, extra, sink, resp);
}

static int az_request(struct az_storage *as, const char *method, const char *path,
		      const char *query, const char *const *extra, struct http_response *resp)
{
	return az_request_sink(as, method, path, query, extra, NULL, resp);
}

/* Final answer RESP was not what OP on KEY needed: log (except 404) and map. */
static int az_fail(void *ctx, const struct http_response *resp, const char *op, const char *key)
{
	struct az_storage *as = ctx;
	char *code = http_response_header(resp, "x-ms-error-code");
	int e = cloud_status_errno(resp->status);
	if (e == -EACCES)
		log_warn("%s: access denied to '%s' (%s: HTTP %ld%s%s): the SAS token is missing, "
			 "expired or not valid for this container",
			 as->cb.what, key, op, resp->status, code ? " " : "", code ? code : "");
	else if (e != -ENOENT)
		log_warn("%s: %s '%s' failed: HTTP %ld%s%s", as->cb.what, op, key, resp->status,
			 code ? " " : "", code ? code : "");
	free(code);
	return e;
}

/* One List Blobs page under PFX (as sent: "" or ending in '/'). */
static int az_list_page(void *ctx, const char *pfx, const char *marker, int max,
			struct http_response *resp)
{
	struct az_storage *as = ctx;
	char *q = endpoint_azure_list_query(pfx, marker, max);
	if (!q)
		return -ENOMEM;
	int r = az_request(as, "GET", "", q, NULL, resp);
	free(q);
	return r;
}

/* Is there anything under KEY/ ? 1 yes, 0 no, or a negative errno. */
static int az_dir_exists(void *ctx, const char *key)
{
	struct az_storage *as = ctx;
	char *pfx = endpoint_dir_prefix(key);
	if (!pfx)
		return -ENOMEM;
	struct http_response resp;
	int r = az_list_page(as, pfx, NULL, 1, &resp);
	if (!r && resp.status != 200)
		r = az_fail(as, &resp, "list", key);
	if (!r) {
		struct storage_list l = {0};
		char *perr = NULL;
		r = listing_parse_azure(resp.body, resp.body_len, pfx, &l, NULL, &perr);
		if (r) {
			log_warn("%s: unexpected listing answer for '%s': %s", as->cb.what, key,
				 perr ? perr : strerror(-r));
			r = -EIO;
		} else {
			/* A marker blob "KEY/" is skipped by the parser but still
			 * makes the directory exist: any <Name> in a valid answer
			 * is a blob or prefix under KEY/. */
			r = (l.n > 0 || !*key || strstr(resp.body, "<Name>")) ? 1 : 0;
		}
		free(perr);
		storage_list_free(&l);
	}
	http_response_free(&resp);
	free(pfx);
	return r;
}

static bool hdr_true(const struct http_response *resp, const char *name, const char *want)
{
	char *v = http_response_header(resp, name);
	bool t = v && !strcasecmp(v, want);
	free(v);
	return t;
}

/* cloud_backend_ops.stat_get: HEAD of the blob. */
static int az_stat_get(void *ctx, const char *key, struct http_response *resp)
{
	char *path = endpoint_azure_blob_path(key);
	if (!path)
		return -ENOMEM;
	int r = az_request(ctx, "HEAD", path, NULL, NULL, resp);
	free(path);
	return r;
}

/* cloud_backend_ops.stat_parse: a HEAD answer (an ADLS folder is a directory). */
static int az_stat_parse(void *ctx, const char *rel, const char *key,
			 const struct http_response *resp, struct storage_entry *out, void *arg)
{
	struct az_storage *as = ctx;
	(void)arg;
	if (hdr_true(resp, "x-ms-meta-hdi_isfolder", "true") ||
	    hdr_true(resp, "x-ms-resource-type", "directory"))
		return cloud_fill_dir(out, rel);
	char *len = http_response_header(resp, "Content-Length");
	char *lm = http_response_header(resp, "Last-Modified");
	char *et = http_response_header(resp, "ETag");
	char *end = NULL;
	int r = 0;
	out->size = len ? strtoull(len, &end, 10) : 0;
	if (!len || !*len || *end || *len == '-' || !lm ||
	    listing_parse_time_rfc1123(lm, &out->mtime)) {
		log_warn("%s: HEAD '%s': answer without a valid Content-Length or Last-Modified",
			 as->cb.what, key);
		r = -EIO;
	} else {
		out->name = xstrdup(cloud_basename(rel));
		out->etag = et ? cloud_unquote_etag(et) : NULL;
		if (!out->name || (et && !out->etag))
			r = -ENOMEM;
	}
	free(len);
	free(lm);
	free(et);
	if (r)
		storage_entry_clear(out);
	return r;
}

static int az_stat(struct storage *st, const char *rel, struct storage_entry *out)
{
	struct az_storage *as = az_of(st);
	return cloud_stat(&as->cb, as->ep.prefix, rel, out);
}

static int az_list(struct storage *st, const char *rel, struct storage_list *out)
{
	struct az_storage *as = az_of(st);
	return cloud_list(&as->cb, as->ep.prefix, rel, out);
}

static void az_close(struct storage_file *sf)
{
	struct cloud_file *f = (struct cloud_file *)sf;
	free(f->key);
	free(f->etag);
	free(f);
}

static int az_open(struct storage *st, const char *rel, const struct storage_entry *known,
		   struct storage_file **out)
{
	struct az_storage *as = az_of(st);
	struct cloud_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->st = st;
	int r = cloud_file_open(&as->cb, as->ep.prefix, rel, known, f, NULL);
	if (r) {
		az_close((struct storage_file *)f);
		return r;
	}
	*out = (struct storage_file *)f;
	return 0;
}

/* cloud_backend_ops.read_get: ranged GET with If-Match on the opened ETag. */
static int az_get_range(struct cloud_file *f, uint64_t off, size_t want,
			const struct http_sink *sink, struct http_response *resp)
{
	struct az_storage *as = az_of(f->st);
	char *path = endpoint_azure_blob_path(f->key);
	char *range = xasprintf("x-ms-range: bytes=%" PRIu64 "-%" PRIu64, off, off + want - 1);
	char *ifm = f->etag ? xasprintf("If-Match: \"%s\"", f->etag) : NULL;
	const char *extra[] = {range, ifm, NULL};
	int r = path && range && (!f->etag || ifm) ? 0 : -ENOMEM;
	if (!r)
		r = az_request_sink(as, "GET", path, NULL, extra, sink, resp);
	free(path);
	free(range);
	free(ifm);
	return r;
}

/* cloud_backend_ops.read_identity: the answer's ETag is the opened one. */
static int az_identity(struct cloud_file *f, const struct http_response *resp,
		       const char **differs)
{
	return cloud_etag_check(resp, f->etag, differs);
}

static ssize_t az_read_stream(struct storage_file *sf, uint64_t off, size_t len,
			      const struct storage_sink *sink)
{
	struct cloud_file *f = (struct cloud_file *)sf;
	return cloud_read_stream(&az_of(f->st)->cb, f, off, len, sink);
}

static void az_destroy(struct storage *st)
{
	struct az_storage *as = az_of(st);
	free(as->base.location);
	endpoint_azure_free(&as->ep);
	free(as->cb.what);
	free(as);
}

static const struct cloud_backend_ops az_cb_ops = {
	.base_headers = az_base_headers,
	.prepare = az_prepare,
	.list_page = az_list_page,
	.parse = listing_parse_azure,
	.fail = az_fail,
	.dir_exists = az_dir_exists,
	.stat_get = az_stat_get,
	.stat_parse = az_stat_parse,
	.read_get = az_get_range,
	.read_identity = az_identity,
};

static const struct storage_ops az_ops = {
	.name = "azure",
	.list = az_list,
	.stat = az_stat,
	.open = az_open,
	.read_stream = az_read_stream,
	.close = az_close,
	.destroy = az_destroy,
};

int storage_azure_new(const char *location, const struct storage_url *u,
		      const struct storage_env *env, const struct storage_creds_source *creds,
		      struct storage **out, char **err)
{
	*out = NULL;
	int r = cloud_need_http(location, env, "azure storage", err);
	if (r)
		return r;
	struct az_storage *as = calloc(1, sizeof(*as));
	if (!as)
		return -ENOMEM;
	r = cloud_backend_init(&as->base, &az_ops, &as->cb, &az_cb_ops, as, location, env,
			       creds);
	if (!r)
		r = endpoint_azure_init(&as->ep, location, u, env->azure_endpoint, err);
	if (!r && !(as->cb.what = xasprintf("azure %s/%s", as->ep.account, as->ep.container)))
		r = -ENOMEM;
	if (r) {
		az_destroy(&as->base);
		return r;
	}
	*out = &as->base;
	return 0;
}
