/* cloud_util.c - see cloud_util.h. */
#include "storage/cloud_util.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/http.h"
#include "storage/endpoint.h"
#include "util/log.h"
#include "util/pageguard.h"
#include "util/strutil.h"

const char *cloud_basename(const char *rel)
{
	if (!rel)
		return "";
	const char *s = strrchr(rel, '/');
	return s ? s + 1 : rel;
}

char *cloud_unquote_etag(const char *e)
{
	if (!e)
		return NULL;
	if (!strncmp(e, "W/", 2))
		e += 2;
	size_t n = strlen(e);
	if (n >= 2 && e[0] == '"' && e[n - 1] == '"')
		return xstrndup(e + 1, n - 2);
	return xstrdup(e);
}

int cloud_check_head(const struct http_response *r, uint64_t off, size_t want, uint64_t size,
		     const char **why)
{
	char *enc = http_response_header(r, "Content-Encoding");
	bool encoded = enc && *enc && strcasecmp(enc, "identity");
	free(enc);
	if (encoded) {
		*why = "the answer has a Content-Encoding (not the stored bytes)";
		return -EIO;
	}
	if (r->status == 200) {
		if (off == 0 && want == size)
			return 0;
		*why = "the server ignored the byte range (200 instead of 206)";
		return -EIO;
	}
	if (r->status != 206) {
		*why = "unexpected status for a ranged read";
		return -EIO;
	}
	char *cr = http_response_header(r, "Content-Range");
	uint64_t first, last, total;
	int bad = endpoint_parse_content_range(cr, &first, &last, &total);
	free(cr);
	if (bad) {
		*why = "206 without a valid Content-Range";
		return -EIO;
	}
	if (first != off || last != off + want - 1) {
		*why = "Content-Range is not the range asked for";
		return -EIO;
	}
	if (total != size) {
		*why = "object size changed (Content-Range total differs)";
		return -EIO;
	}
	return 0;
}

int cloud_check_range(const struct http_response *r, uint64_t off, size_t want, uint64_t size,
		      const char **why)
{
	int e = cloud_check_head(r, off, want, size, why);
	if (!e && r->body_len != want) {
		*why = "body length differs from the range asked for";
		e = -EIO;
	}
	return e;
}

int cloud_status_errno(long status)
{
	switch (status) {
	case 404: return -ENOENT;
	case 401:
	case 403: return -EACCES;
	case 400: return -EINVAL;
	default: return -EIO;
	}
}

void cloud_free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* ---- mechanism ---- */

int cloud_need_http(const char *location, const struct storage_env *env, const char *kind,
		    char **err)
{
	if (env && env->http)
		return 0;
	if (err)
		*err = xasprintf("storage location '%s': no HTTP client for %s", location, kind);
	return -EINVAL;
}

int cloud_backend_init(struct storage *base, const struct storage_ops *sops,
		       struct cloud_backend *b, const struct cloud_backend_ops *ops, void *ctx,
		       const char *location, const struct storage_env *env,
		       const struct storage_creds_source *creds)
{
	base->ops = sops;
	*b = (struct cloud_backend){.ops = ops, .ctx = ctx, .http = env->http};
	b->page_size = endpoint_page_size(getenv("UCFS_LIST_PAGE_SIZE"));
	if (creds && creds->get) {
		b->creds = *creds;
		b->has_creds = true;
	}
	base->location = xstrdup(location);
	return base->location ? 0 : -ENOMEM;
}

int cloud_request(const struct cloud_backend *b, const char *method, const void *target,
		  const char *const *extra, struct http_response *resp)
{
	return cloud_request_sink(b, method, target, extra, NULL, resp);
}

int cloud_request_sink(const struct cloud_backend *b, const char *method, const void *target,
		       const char *const *extra, const struct http_sink *sink,
		       struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	for (int attempt = 0;; attempt++) {
		struct storage_creds c = {0};
		char *cerr = NULL;
		if (b->has_creds) {
			int r = b->creds.get(b->creds.ctx, &c, &cerr);
			if (r) {
				log_warn("%s: no storage credentials: %s", b->what,
					 cerr ? redact(cerr) : strerror(-r));
				free(cerr);
				storage_creds_clear(&c);
				return r;
			}
			free(cerr);
		}
		char *url = NULL, *auth = NULL;
		int r = b->ops->prepare(b->ctx, target, &c, &url, &auth);
		storage_creds_clear(&c);
		if (r) {
			cloud_free_secret(url);
			cloud_free_secret(auth);
			return r;
		}
		const char *hdrs[6];
		size_t nh = 0;
		if (auth)
			hdrs[nh++] = auth;
		for (const char *const *h = b->ops->base_headers; h && *h && nh < 5; h++)
			hdrs[nh++] = *h;
		for (const char *const *h = extra; h && *h && nh < 5; h++)
			hdrs[nh++] = *h;
		hdrs[nh] = NULL;
		struct http_request req = {.method = method, .url = url, .headers = hdrs};
		char *herr = NULL;
		r = sink ? http_perform_sink(b->http, &req, sink, resp, &herr)
			 : http_perform(b->http, &req, resp, &herr);
		cloud_free_secret(url);
		cloud_free_secret(auth);
		if (r) {
			if (herr) /* NULL: a sink stopped the transfer (it says why) */
				log_warn("%s: %s", b->what, herr);
			free(herr);
			return r;
		}
		if ((resp->status == 401 || resp->status == 403) && attempt == 0 && b->has_creds &&
		    b->creds.invalidate) {
			log_debug("%s: HTTP %ld, retrying with fresh credentials", b->what, resp->status);
			b->creds.invalidate(b->creds.ctx);
			http_response_free(resp);
			continue;
		}
		return 0;
	}
}

int cloud_fill_dir(struct storage_entry *e, const char *rel)
{
	memset(e, 0, sizeof(*e));
	e->is_dir = true;
	e->name = xstrdup(cloud_basename(rel));
	return e->name ? 0 : -ENOMEM;
}

int cloud_list(const struct cloud_backend *b, const char *prefix, const char *rel,
	       struct storage_list *out)
{
	out->items = NULL;
	out->n = 0;
	if (!rel)
		rel = "";
	char *key = endpoint_join_key(prefix, rel);
	char *pfx = key ? endpoint_dir_prefix(key) : NULL;
	char *token = NULL;
	int r = pfx ? 0 : -ENOMEM;
	struct page_guard guard;
	page_guard_init(&guard);
	while (!r) {
		struct http_response resp;
		r = b->ops->list_page(b->ctx, pfx, token, b->page_size, &resp);
		if (r)
			break;
		if (resp.status != 200) {
			r = b->ops->fail(b->ctx, &resp, "list", key);
		} else {
			char *next = NULL, *perr = NULL;
			r = b->ops->parse(resp.body, resp.body_len, pfx, out, &next, &perr);
			if (r) {
				log_warn("%s: unexpected listing answer for '%s': %s", b->what, key,
					 perr ? perr : strerror(-r));
				r = -EIO;
			} else if (next && (r = page_guard_next(&guard, next)) == -EIO) {
				log_warn("%s/%s: listing aborted: %s", b->what, pfx,
					 page_guard_why(&guard));
			}
			free(perr);
			free(token);
			token = next;
		}
		http_response_free(&resp);
		if (!token)
			break;
	}
	page_guard_free(&guard);
	free(token);
	if (!r && out->n == 0 && *key) {
		/* Empty: an empty directory, a file, or nothing at all? */
		struct storage_entry e;
		r = cloud_stat_key(b, rel, key, &e, NULL);
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

int cloud_etag_check(const struct http_response *resp, const char *expected,
		     const char **differs)
{
	char *et = http_response_header(resp, "ETag");
	char *uq = et ? cloud_unquote_etag(et) : NULL;
	int r = 0;
	if (et && !uq) {
		r = -ENOMEM;
	} else if (uq && expected && strcmp(uq, expected)) {
		*differs = "ETag";
		r = -EIO;
	}
	free(et);
	free(uq);
	return r;
}

/* Exactly WANT bytes at OFF (OFF+WANT <= size) into BUF. */
int cloud_rx_data(void *ctx, const char *p, size_t n)
{
	struct cloud_rx *x = ctx;
	if (n > x->want - x->got) {
		log_warn("%s: read of '%s' at %" PRIu64 "+%zu: body longer than the range asked for",
			 x->what, x->key, x->off, x->want);
		return x->err = -EIO;
	}
	int r = x->out->data(x->out->ctx, p, n);
	if (r)
		return x->err = r;
	x->got += n;
	return 0;
}

/* One ranged GET streamed to the caller's sink. */
struct range_rx {
	struct cloud_rx rx; /* first: cloud_rx_data gets this struct */
	const struct cloud_backend *b;
	struct cloud_file *file;
};

static int rx_head(void *ctx, const struct http_response *h)
{
	struct range_rx *x = ctx;
	if (h->status != 200 && h->status != 206)
		return HTTP_SINK_BUFFER; /* an error document: looked at after the transfer */
	const char *why = NULL;
	int r = x->b->ops->read_identity(x->file, h, &why);
	if (r == -EIO)
		log_warn("%s: '%s' changed since it was opened (%s differs)", x->b->what,
			 x->file->key, why);
	else if (!r && cloud_check_head(h, x->rx.off, x->rx.want, x->file->size, &why)) {
		log_warn("%s: read of '%s' at %" PRIu64 "+%zu: %s", x->b->what, x->file->key,
			 x->rx.off, x->rx.want, why);
		r = -EIO;
	}
	if (r)
		return x->rx.err = r;
	x->rx.accepted = true;
	return HTTP_SINK_ACCEPT;
}

static int read_range(const struct cloud_backend *b, struct cloud_file *file, uint64_t off,
		      size_t want, const struct storage_sink *sink, size_t *got)
{
	struct range_rx x = {.rx = {.what = b->what, .key = file->key, .off = off, .want = want,
				    .out = sink},
			     .b = b, .file = file};
	struct http_sink hs = {.on_head = rx_head, .on_data = cloud_rx_data, .ctx = &x};
	struct http_response resp;
	int r = b->ops->read_get(file, off, want, &hs, &resp);
	*got = x.rx.got;
	if (r)
		return x.rx.err ? x.rx.err : x.rx.got ? -ECONNRESET : r;
	const char *key = file->key;
	if (resp.status == 412 || resp.status == 404 || resp.status == 416) {
		log_warn("%s: '%s' was %s since it was opened (HTTP %ld)", b->what, key,
			 resp.status == 404 ? "deleted" : "changed", resp.status);
		r = -EIO;
	} else if (!x.rx.accepted) {
		r = b->ops->fail(b->ctx, &resp, "read", key);
		if (r == -ENOENT || r == 0)
			r = -EIO;
	} else if (x.rx.got < want) {
		log_debug("%s: read of '%s' at %" PRIu64 "+%zu: body ended after %zu bytes",
			  b->what, key, off, want, x.rx.got);
		r = -ECONNRESET;
	}
	http_response_free(&resp);
	return r;
}

ssize_t cloud_read_stream(const struct cloud_backend *b, struct cloud_file *file, uint64_t off,
			  size_t len, const struct storage_sink *sink)
{
	uint64_t size = file->size;
	if (off >= size || len == 0)
		return 0;
	uint64_t left = size - off;
	size_t total = left < len ? (size_t)left : len;
	if (total > (size_t)SSIZE_MAX)
		total = (size_t)SSIZE_MAX;
	size_t done = 0;
	while (done < total) {
		size_t want = total - done, got = 0;
		if (want > CLOUD_MAX_REQUEST_BYTES)
			want = CLOUD_MAX_REQUEST_BYTES;
		int r = read_range(b, file, off + done, want, sink, &got);
		done += got;
		if (r)
			return r;
	}
	return (ssize_t)done;
}

int cloud_stat_key(const struct cloud_backend *b, const char *rel, const char *key,
		   struct storage_entry *out, void *arg)
{
	memset(out, 0, sizeof(*out));
	if (!*key) {
		int d = b->ops->dir_exists(b->ctx, key);
		return d < 0 ? d : cloud_fill_dir(out, rel);
	}
	struct http_response resp;
	int r = b->ops->stat_get(b->ctx, key, &resp);
	if (r)
		return r;
	if (resp.status == 200) {
		r = b->ops->stat_parse(b->ctx, rel, key, &resp, out, arg);
	} else if (resp.status == 404) {
		int d = b->ops->dir_exists(b->ctx, key);
		r = d < 0 ? d : d ? cloud_fill_dir(out, rel) : -ENOENT;
	} else {
		r = b->ops->fail(b->ctx, &resp, "stat", key);
	}
	http_response_free(&resp);
	return r;
}

int cloud_stat(const struct cloud_backend *b, const char *prefix, const char *rel,
	       struct storage_entry *out)
{
	char *key = endpoint_join_key(prefix, rel);
	if (!key)
		return -ENOMEM;
	int r = cloud_stat_key(b, rel ? rel : "", key, out, NULL);
	free(key);
	return r;
}

int cloud_file_open(const struct cloud_backend *b, const char *prefix, const char *rel,
		    const struct storage_entry *known, struct cloud_file *f, void *stat_arg)
{
	f->key = endpoint_join_key(prefix, rel);
	int r = f->key ? 0 : -ENOMEM;
	if (!r && !*f->key)
		r = -EISDIR;
	if (!r && known && !known->is_dir && known->etag) {
		f->size = known->size;
		f->etag = xstrdup(known->etag);
		r = f->etag ? 0 : -ENOMEM;
	} else if (!r) {
		struct storage_entry e;
		r = cloud_stat_key(b, rel, f->key, &e, stat_arg);
		if (!r && e.is_dir)
			r = -EISDIR;
		if (!r) {
			f->size = e.size;
			f->etag = e.etag;
			e.etag = NULL;
		}
		storage_entry_clear(&e);
	}
	return r;
}
