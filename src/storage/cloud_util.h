/*
 * cloud_util.h - what the HTTPS storage backends (azure, gcs) share: names,
 * ETags, HTTP status -> errno, the check that a ranged answer is exactly the
 * range that was asked for (its Content-Range parser,
 * endpoint_parse_content_range, and key joining live in storage/endpoint.h,
 * which has no dependency on the HTTP layer), and the mechanism around the
 * service calls: one request with fresh credentials (invalidate + one retry
 * on 401/403), the paginated listing, stat (object, else directory), open,
 * and the chunked, checked ranged read. A backend supplies only what really
 * differs, in a static struct cloud_backend_ops: URL/auth building, the
 * listing parser, its metadata request and parser, the error-answer
 * logging, the ranged GET and the service-specific identity check. s3.c
 * keeps its own request, listing and read loops (SigV4, region discovery,
 * short-body retries, S3 messages) and uses only cloud_need_http().
 *
 * Contract: the helpers above the "mechanism" line are pure except for
 * cloud_free_secret() (wipes, then frees); they neither log nor keep what
 * they are given. The mechanism functions log exactly what the backends
 * logged before (prefix cloud_backend.what; never a URL, SAS or token) and
 * keep nothing beyond the call; they are thread-safe as far as the ops are.
 * Strings returned are malloc'ed and NULL only on ENOMEM.
 */
#ifndef UCFS_CLOUD_UTIL_H
#define UCFS_CLOUD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "storage/storage.h"

struct http_response;
struct http_client;
struct http_sink;
struct cloud_file;

/* Last path component of REL ("" for the root). Points into rel. */
const char *cloud_basename(const char *rel);

/* "\"abc\"" or "W/\"abc\"" -> "abc"; anything else is copied as it is. */
char *cloud_unquote_etag(const char *etag);

/*
 * Check that R answers a request for bytes [OFF, OFF+WANT) of an object of
 * SIZE bytes (WANT > 0, OFF+WANT <= SIZE): 206 with Content-Range exactly
 * "bytes OFF-(OFF+WANT-1)/SIZE" and a body of WANT bytes, or a 200 with the
 * whole object when the whole object was asked for. A Content-Encoding other
 * than identity is refused (the bytes would not be the stored ones). 0, or
 * -EIO with *why set to a static one-line reason.
 */
int cloud_check_range(const struct http_response *r, uint64_t off, size_t want, uint64_t size,
		      const char **why);
/* The same checks on the status and headers alone (the body is streamed). */
int cloud_check_head(const struct http_response *r, uint64_t off, size_t want, uint64_t size,
		     const char **why);

/* Errno for a final non-2xx storage answer: 404 -> -ENOENT, 401/403 ->
 * -EACCES, 400 -> -EINVAL, everything else -EIO. */
int cloud_status_errno(long status);

/* Wipe a string holding a secret (URL with a SAS, auth header) and free it. */
void cloud_free_secret(char *s);

/* Cloud reads are split into requests of at most this many bytes. */
#define CLOUD_MAX_REQUEST_BYTES ((size_t)64 << 20)

/* ---- mechanism (logs; see the contract above) ---- */

/*
 * LOCATION needs ENV->http: 0, or -EINVAL with *err (when err is not NULL)
 * "storage location 'LOCATION': no HTTP client for KIND".
 */
int cloud_need_http(const char *location, const struct storage_env *env, const char *kind,
		    char **err);

/* What differs between the backends: a static table per backend. CTX is
 * cloud_backend.ctx, FILE the backend's open file. */
struct cloud_backend_ops {
	/* Headers sent after the auth header and before a request's own. */
	const char *const *base_headers;
	/*
	 * URL and auth header ("Name: value", or NULL for none) for TARGET with
	 * credentials C (zeroed when there is no source). Both malloc'ed; they
	 * are wiped and freed after the request. 0 or a negative errno.
	 */
	int (*prepare)(void *ctx, const void *target, const struct storage_creds *c, char **url,
		       char **auth);
	/* One listing page under PFX ("" or ending in '/') after TOKEN (NULL:
	 * the first), at most MAX entries (0: service default): cloud_request. */
	int (*list_page)(void *ctx, const char *pfx, const char *token, int max,
			 struct http_response *resp);
	/* listing_parse_azure / listing_parse_gcs. */
	int (*parse)(const char *body, size_t len, const char *pfx, struct storage_list *out,
		     char **next, char **err);
	/* Final answer RESP was not what OP on KEY needed: log (except 404), map. */
	int (*fail)(void *ctx, const struct http_response *resp, const char *op, const char *key);
	/* Is there anything under KEY/ ? 1 yes, 0 no, or a negative errno (logged). */
	int (*dir_exists)(void *ctx, const char *key);
	/* The metadata request for object KEY (HEAD, objects.get): cloud_request. */
	int (*stat_get)(void *ctx, const char *key, struct http_response *resp);
	/* A 200 answer to stat_get -> *OUT named after REL (ARG: cloud_stat_key's). */
	int (*stat_parse)(void *ctx, const char *rel, const char *key,
			  const struct http_response *resp, struct storage_entry *out, void *arg);
	/* Send the GET for bytes [OFF, OFF+WANT) of FILE, the body going to
	 * SINK (cloud_request_sink): 0 with *resp (any status), or a negative
	 * errno (nothing to free then). */
	int (*read_get)(struct cloud_file *file, uint64_t off, size_t want,
			const struct http_sink *sink, struct http_response *resp);
	/* Is a 200/206 answer from the opened version? 0, -ENOMEM, or -EIO with
	 * *differs naming what differs ("ETag", "generation"). */
	int (*read_identity)(struct cloud_file *file, const struct http_response *resp,
			     const char **differs);
};

/* One backend instance: the connection and its ops. */
struct cloud_backend {
	const struct cloud_backend_ops *ops;
	void *ctx;             /* passed to the ops */
	struct http_client *http;
	struct storage_creds_source creds;
	bool has_creds;        /* creds.get is set */
	char *what; /* "azure ACCOUNT/CONTAINER", "gcs BUCKET": message prefix;
		     * set and freed by the backend */
	int page_size;         /* entries per listing page; 0: the service default */
};

/*
 * Set up a backend whose struct CTX starts with BASE and holds B:
 * BASE->ops = SOPS, BASE->location = a copy of LOCATION; B: OPS, CTX,
 * ENV->http (ENV checked by cloud_need_http first), CREDS (when it has a
 * get), the page size from $UCFS_LIST_PAGE_SIZE. B->what is left for the
 * caller. 0 or -ENOMEM (the caller's destroy frees what was set).
 */
int cloud_backend_init(struct storage *base, const struct storage_ops *sops,
		       struct cloud_backend *b, const struct cloud_backend_ops *ops, void *ctx,
		       const char *location, const struct storage_env *env,
		       const struct storage_creds_source *creds);

/*
 * METHOD on TARGET (what b->ops->prepare turns into a URL) with headers: the auth
 * header from prepare (if any), b->ops->base_headers, then EXTRA (NULL-terminated;
 * 5 headers in all at most, the rest are dropped). Credentials are fetched
 * right before each attempt; a 401/403 with a credentials source that can
 * invalidate is retried once with fresh ones. 0 with *resp set (any status),
 * or a negative errno for transport failures / missing credentials (logged).
 */
int cloud_request(const struct cloud_backend *b, const char *method, const void *target,
		  const char *const *extra, struct http_response *resp);
/* The same, the body of the answer going to SINK (NULL: buffered, as above);
 * the retry on 401/403 happens before any byte reaches the sink, because
 * the sink buffers non-2xx answers (cloud_read_stream's does). */
int cloud_request_sink(const struct cloud_backend *b, const char *method, const void *target,
		       const char *const *extra, const struct http_sink *sink,
		       struct http_response *resp);

/* *e = a directory entry named after REL's last component. 0 or -ENOMEM. */
int cloud_fill_dir(struct storage_entry *e, const char *rel);

/*
 * List directory REL (NULL: the root) under the location's PREFIX: every
 * page (b->ops->list_page, ->parse) into OUT, bounded by a page_guard (no
 * continuation followed twice, a page cap, a time budget: -EIO, logged with
 * the container/bucket and the prefix). A non-2xx
 * page is ->fail(…, "list", KEY); a parse error -EIO (logged). An empty
 * answer for a non-root directory asks cloud_stat_key: -ENOTDIR for a file,
 * its error (-ENOENT) when nothing is there. On error OUT is freed.
 */
int cloud_list(const struct cloud_backend *b, const char *prefix, const char *rel,
	       struct storage_list *out);

/*
 * Stat object or directory KEY (REL inside the location) into OUT: the root
 * (KEY "") is a directory when ->dir_exists can list it; else ->stat_get,
 * a 200 is ->stat_parse(…, ARG), a 404 a directory when ->dir_exists says
 * so (-ENOENT otherwise), anything else ->fail(…, "stat", KEY).
 */
int cloud_stat_key(const struct cloud_backend *b, const char *rel, const char *key,
		   struct storage_entry *out, void *arg);

/* storage_ops.stat: cloud_stat_key of PREFIX/REL (REL NULL: the root). */
int cloud_stat(const struct cloud_backend *b, const char *prefix, const char *rel,
	       struct storage_entry *out);

/* What every open cloud object has; the first member of the backend's file. */
struct cloud_file {
	struct storage *st; /* must be first, see storage.c */
	char *key;          /* full object name */
	char *etag;         /* identity as listed or stat'ed (unquoted); may be NULL */
	uint64_t size;
};

/*
 * Fill F (zeroed, F->st set) for object REL under PREFIX: the key, then the
 * size and identity from KNOWN (a file entry with an etag) or
 * cloud_stat_key(…, STAT_ARG). -EISDIR for the root or a directory. On
 * error the caller frees f->key and f->etag.
 */
int cloud_file_open(const struct cloud_backend *b, const char *prefix, const char *rel,
		    const struct storage_entry *known, struct cloud_file *f, void *stat_arg);

/*
 * The body side of one streamed ranged GET (s3.c and cloud_read_stream):
 * cloud_rx_data hands the bytes on to OUT, refusing more than WANT (-EIO,
 * logged as "WHAT: read of 'KEY' ..."); ERR keeps the first error of the
 * checks or of OUT, GOT the bytes handed on.
 */
struct cloud_rx {
	const char *what, *key;
	uint64_t off;
	size_t want, got;
	const struct storage_sink *out;
	int err;
	bool accepted; /* the answer's head passed the checks */
};
int cloud_rx_data(void *ctx, const char *p, size_t n);

/*
 * storage_ops.read_stream: bytes [OFF, OFF+LEN) of FILE (clamped to its
 * size) to SINK, in requests of at most CLOUD_MAX_REQUEST_BYTES (each
 * ->read_get). Each answer is checked before its first byte is handed on
 * (412, 404, 416: changed/deleted; other non-2xx: ->fail(…, "read", KEY)
 * with -ENOENT turned into -EIO; ->read_identity; cloud_check_head), all
 * -EIO and logged; a body longer than asked is -EIO, a shorter one
 * -ECONNRESET. Bytes delivered or a negative errno.
 */
ssize_t cloud_read_stream(const struct cloud_backend *b, struct cloud_file *file, uint64_t off,
			  size_t len, const struct storage_sink *sink);

/*
 * The answer's ETag (unquoted) against EXPECTED (NULL: nothing to compare):
 * 0, -ENOMEM, or -EIO with *differs = "ETag".
 */
int cloud_etag_check(const struct http_response *resp, const char *expected,
		     const char **differs);

#endif
