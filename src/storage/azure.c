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
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
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
#define AZ_MAX_PAGES 1000000

struct az_storage {
	struct storage base;
	struct http_client *http;
	struct storage_creds_source creds;
	bool has_creds;
	struct endpoint_azure ep; /* base URL (ENDPOINT/CONTAINER), prefix */
	int page_size; /* entries per listing page; 0: the service default */
	char *what;     /* "azure ACCOUNT/CONTAINER" for messages */
};

struct az_file {
	struct storage *st; /* must be first, see storage.c */
	char *key;          /* full blob name */
	char *etag;         /* unquoted */
	uint64_t size;
};

static struct az_storage *az_of(struct storage *st) { return (struct az_storage *)st; }

/*
 * METHOD base_url + PATH [? QUERY] [& SAS] with x-ms-version and EXTRA
 * headers (NULL-terminated, at most 4). 0 with *resp set (any status), or a
 * negative errno for transport failures / missing credentials (logged).
 */
static int az_request(struct az_storage *as, const char *method, const char *path,
		      const char *query, const char *const *extra, struct http_response *resp)
{
	const char *hdrs[6] = {AZ_VERSION};
	size_t nh = 1;
	for (; extra && *extra && nh < 5; extra++)
		hdrs[nh++] = *extra;
	hdrs[nh] = NULL;
	memset(resp, 0, sizeof(*resp));
	for (int attempt = 0;; attempt++) {
		struct storage_creds c = {0};
		char *cerr = NULL;
		if (as->has_creds) {
			int r = as->creds.get(as->creds.ctx, &c, &cerr);
			if (r) {
				log_warn("%s: no storage credentials: %s", as->what,
					 cerr ? redact(cerr) : strerror(-r));
				free(cerr);
				storage_creds_clear(&c);
				return r;
			}
			free(cerr);
		}
		char *url = endpoint_azure_url(&as->ep, path, query, c.azure_sas);
		storage_creds_clear(&c);
		if (!url)
			return -ENOMEM;
		struct http_request req = {.method = method, .url = url, .headers = hdrs};
		char *herr = NULL;
		int r = http_perform(as->http, &req, resp, &herr);
		cloud_free_secret(url);
		if (r) {
			log_warn("%s: %s", as->what, herr ? herr : strerror(-r));
			free(herr);
			return r;
		}
		if ((resp->status == 401 || resp->status == 403) && attempt == 0 && as->has_creds &&
		    as->creds.invalidate) {
			log_debug("%s: HTTP %ld, retrying with fresh credentials", as->what, resp->status);
			as->creds.invalidate(as->creds.ctx);
			http_response_free(resp);
			continue;
		}
		return 0;
	}
}

/* Final answer RESP was not what OP on KEY needed: log (except 404) and map. */
static int az_fail(struct az_storage *as, const struct http_response *resp, const char *op,
		   const char *key)
{
	char *code = http_response_header(resp, "x-ms-error-code");
	int e = cloud_status_errno(resp->status);
	if (e == -EACCES)
		log_warn("%s: access denied to '%s' (%s: HTTP %ld%s%s): the SAS token is missing, "
			 "expired or not valid for this container",
			 as->what, key, op, resp->status, code ? " " : "", code ? code : "");
	else if (e != -ENOENT)
		log_warn("%s: %s '%s' failed: HTTP %ld%s%s", as->what, op, key, resp->status,
			 code ? " " : "", code ? code : "");
	free(code);
	return e;
}

/* One List Blobs page under PFX (as sent: "" or ending in '/'). */
static int az_list_page(struct az_storage *as, const char *pfx, const char *marker, int max,
			struct http_response *resp)
{
	char *q = endpoint_azure_list_query(pfx, marker, max);
	if (!q)
		return -ENOMEM;
	int r = az_request(as, "GET", "", q, NULL, resp);
	free(q);
	return r;
}

static int fill_dir(struct storage_entry *e, const char *rel)
{
	memset(e, 0, sizeof(*e));
	e->is_dir = true;
	e->name = xstrdup(cloud_basename(rel));
	return e->name ? 0 : -ENOMEM;
}

/* Is there anything under KEY/ ? 1 yes, 0 no, or a negative errno. */
static int az_dir_exists(struct az_storage *as, const char *key)
{
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
			log_warn("%s: unexpected listing answer for '%s': %s", as->what, key,
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

static int az_stat_key(struct az_storage *as, const char *rel, const char *key,
		       struct storage_entry *out)
{
	memset(out, 0, sizeof(*out));
	if (!*key) {
		int d = az_dir_exists(as, key);
		return d < 0 ? d : fill_dir(out, rel);
	}
	char *path = endpoint_azure_blob_path(key);
	if (!path)
		return -ENOMEM;
	struct http_response resp;
	int r = az_request(as, "HEAD", path, NULL, NULL, &resp);
	free(path);
	if (r)
		return r;
	if (resp.status == 200) {
		if (hdr_true(&resp, "x-ms-meta-hdi_isfolder", "true") ||
		    hdr_true(&resp, "x-ms-resource-type", "directory")) {
			r = fill_dir(out, rel);
		} else {
			char *len = http_response_header(&resp, "Content-Length");
			char *lm = http_response_header(&resp, "Last-Modified");
			char *et = http_response_header(&resp, "ETag");
			char *end = NULL;
			out->size = len ? strtoull(len, &end, 10) : 0;
			if (!len || !*len || *end || *len == '-' || !lm ||
			    listing_parse_time_rfc1123(lm, &out->mtime)) {
				log_warn("%s: HEAD '%s': answer without a valid Content-Length or "
					 "Last-Modified",
					 as->what, key);
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
		}
	} else if (resp.status == 404) {
		int d = az_dir_exists(as, key);
		r = d < 0 ? d : d ? fill_dir(out, rel) : -ENOENT;
	} else {
		r = az_fail(as, &resp, "stat", key);
	}
	http_response_free(&resp);
	return r;
}

static int az_stat(struct storage *st, const char *rel, struct storage_entry *out)
{
	struct az_storage *as = az_of(st);
	char *key = endpoint_join_key(as->ep.prefix, rel);
	if (!key)
		return -ENOMEM;
	int r = az_stat_key(as, rel ? rel : "", key, out);
	free(key);
	return r;
}

static int az_list(struct storage *st, const char *rel, struct storage_list *out)
{
	struct az_storage *as = az_of(st);
	out->items = NULL;
	out->n = 0;
	if (!rel)
		rel = "";
	char *key = endpoint_join_key(as->ep.prefix, rel);
	char *pfx = key ? endpoint_dir_prefix(key) : NULL;
	char *marker = NULL;
	int r = pfx ? 0 : -ENOMEM;
	for (int page = 0; !r; page++) {
		struct http_response resp;
		if (page >= AZ_MAX_PAGES) {
			log_warn("%s: listing '%s' does not end", as->what, key);
			r = -EIO;
			break;
		}
		r = az_list_page(as, pfx, marker, as->page_size, &resp);
		if (r)
			break;
		if (resp.status != 200) {
			r = az_fail(as, &resp, "list", key);
		} else {
			char *next = NULL, *perr = NULL;
			r = listing_parse_azure(resp.body, resp.body_len, pfx, out, &next, &perr);
			if (r) {
				log_warn("%s: unexpected listing answer for '%s': %s", as->what, key,
					 perr ? perr : strerror(-r));
				r = -EIO;
			} else if (next && marker && !strcmp(next, marker)) {
				log_warn("%s: listing '%s' repeats its continuation marker", as->what,
					 key);
				r = -EIO;
			}
			free(perr);
			free(marker);
			marker = next;
		}
		http_response_free(&resp);
		if (!marker)
			break;
	}
	free(marker);
	if (!r && out->n == 0 && *key) {
		/* Empty: an empty directory, a file, or nothing at all? */
		struct storage_entry e;
		r = az_stat_key(as, rel, key, &e);
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

static int az_open(struct storage *st, const char *rel, const struct storage_entry *known,
		   struct storage_file **out)
{
	struct az_storage *as = az_of(st);
	struct az_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->st = st;
	f->key = endpoint_join_key(as->ep.prefix, rel);
	int r = f->key ? 0 : -ENOMEM;
	if (!r && !*f->key)
		r = -EISDIR;
	if (!r && known && !known->is_dir && known->etag) {
		f->size = known->size;
		f->etag = xstrdup(known->etag);
		r = f->etag ? 0 : -ENOMEM;
	} else if (!r) {
		struct storage_entry e;
		r = az_stat_key(as, rel, f->key, &e);
		if (!r && e.is_dir)
			r = -EISDIR;
		if (!r) {
			f->size = e.size;
			f->etag = e.etag;
			e.etag = NULL;
		}
		storage_entry_clear(&e);
	}
	if (r) {
		free(f->key);
		free(f->etag);
		free(f);
		return r;
	}
	*out = (struct storage_file *)f;
	return 0;
}

/* Exactly WANT bytes at OFF (OFF+WANT <= size) into BUF. */
static int az_read_range(struct az_file *f, char *buf, size_t want, uint64_t off)
{
	struct az_storage *as = az_of(f->st);
	char *path = endpoint_azure_blob_path(f->key);
	char *range = xasprintf("x-ms-range: bytes=%" PRIu64 "-%" PRIu64, off, off + want - 1);
	char *ifm = f->etag ? xasprintf("If-Match: \"%s\"", f->etag) : NULL;
	const char *extra[] = {range, ifm, NULL};
	struct http_response resp = {0};
	int r = path && range && (!f->etag || ifm) ? 0 : -ENOMEM;
	if (!r)
		r = az_request(as, "GET", path, NULL, extra, &resp);
	free(path);
	free(range);
	free(ifm);
	if (r)
		return r;
	const char *why = NULL;
	if (resp.status == 412 || resp.status == 404 || resp.status == 416) {
		why = resp.status == 404 ? "deleted" : "changed";
		log_warn("%s: '%s' was %s since it was opened (HTTP %ld)", as->what, f->key, why,
			 resp.status);
		r = -EIO;
	} else if (resp.status != 200 && resp.status != 206) {
		r = az_fail(as, &resp, "read", f->key);
		if (r == -ENOENT)
			r = -EIO;
	} else {
		char *et = http_response_header(&resp, "ETag");
		char *uq = et ? cloud_unquote_etag(et) : NULL;
		if (et && !uq)
			r = -ENOMEM;
		else if (uq && f->etag && strcmp(uq, f->etag)) {
			log_warn("%s: '%s' changed since it was opened (ETag differs)", as->what,
				 f->key);
			r = -EIO;
		} else if (cloud_check_range(&resp, off, want, f->size, &why)) {
			log_warn("%s: read of '%s' at %" PRIu64 "+%zu: %s", as->what, f->key, off,
				 want, why);
			r = -EIO;
		} else {
			memcpy(buf, resp.body, want);
		}
		free(et);
		free(uq);
	}
	http_response_free(&resp);
	return r;
}

static ssize_t az_read(struct storage_file *sf, void *buf, size_t len, uint64_t off)
{
	struct az_file *f = (struct az_file *)sf;
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
		int r = az_read_range(f, (char *)buf + done, want, off + done);
		if (r)
			return r;
		done += want;
	}
	return (ssize_t)done;
}

static void az_close(struct storage_file *sf)
{
	struct az_file *f = (struct az_file *)sf;
	free(f->key);
	free(f->etag);
	free(f);
}

static void az_destroy(struct storage *st)
{
	struct az_storage *as = az_of(st);
	free(as->base.location);
	endpoint_azure_free(&as->ep);
	free(as->what);
	free(as);
}

static const struct storage_ops az_ops = {
	.name = "azure",
	.list = az_list,
	.stat = az_stat,
	.open = az_open,
	.read = az_read,
	.close = az_close,
	.destroy = az_destroy,
};

int storage_azure_new(const char *location, const struct storage_url *u,
		      const struct storage_env *env, const struct storage_creds_source *creds,
		      struct storage **out, char **err)
{
	*out = NULL;
	if (!env || !env->http) {
		if (err)
			*err = xasprintf("storage location '%s': no HTTP client for azure storage",
					 location);
		return -EINVAL;
	}
	struct az_storage *as = calloc(1, sizeof(*as));
	if (!as)
		return -ENOMEM;
	as->base.ops = &az_ops;
	as->http = env->http;
	as->page_size = endpoint_page_size(getenv("UCFS_LIST_PAGE_SIZE"));
	if (creds && creds->get) {
		as->creds = *creds;
		as->has_creds = true;
	}
	as->base.location = xstrdup(location);
	int r = as->base.location ? 0 : -ENOMEM;
	if (!r)
		r = endpoint_azure_init(&as->ep, location, u, env->azure_endpoint, err);
	if (!r && !(as->what = xasprintf("azure %s/%s", as->ep.account, as->ep.container)))
		r = -ENOMEM;
	if (r) {
		az_destroy(&as->base);
		return r;
	}
	*out = &as->base;
	return 0;
}
