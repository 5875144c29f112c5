/*
 * s3.c - the S3 storage backend (s3://BUCKET/PREFIX, s3a://...).
 *
 * Contract (see storage.h for the interface):
 *  - Addressing: endpoint env->s3_endpoint, else AWS_ENDPOINT_URL_S3, else
 *    AWS_ENDPOINT_URL, else AWS. A custom endpoint means path-style requests
 *    (ENDPOINT[/base]/BUCKET/KEY); on AWS virtual-hosted style
 *    (https://BUCKET.s3.REGION.amazonaws.com/KEY) unless env->s3_path_style or
 *    the bucket name is not DNS/TLS safe (dots, uppercase, '_'), which go
 *    path-style to https://s3.REGION.amazonaws.com/BUCKET/KEY. The mapping
 *    itself (hosts, paths, queries) is storage/endpoint.c; this file reads
 *    the environment and passes the values in.
 *  - Region: env->s3_region, AWS_REGION, AWS_DEFAULT_REGION, else discovered
 *    once with a HEAD on the bucket (x-amz-bucket-region; us-east-1 when the
 *    answer has none). An unconfigured region also follows a wrong-region
 *    answer (301/400 carrying x-amz-bucket-region) once.
 *  - Access points: creds->aws_access_point, when given, replaces the bucket:
 *    an alias is addressed like a bucket; an ARN
 *    arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME goes to
 *    https://NAME-ACCOUNT.s3-accesspoint.REGION.amazonaws.com (signed for the
 *    ARN's region), or path-style as NAME under a custom endpoint.
 *  - Signing: SigV4 (sigv4_sign, service s3, payload hash of the empty body,
 *    session token signed) with the credentials creds->get() returns right
 *    before each request; no access key means unsigned (public) requests.
 *    After a 400/403 that says the credentials are bad or expired
 *    (ExpiredToken, InvalidToken, InvalidAccessKeyId, SignatureDoesNotMatch,
 *    TokenRefreshRequired, or a body-less HEAD answer) creds->invalidate() is
 *    called and the request is retried once with fresh credentials.
 *  - Keys: PREFIX/REL, encoded with sigv4_uri_encode(key, false); REL must
 *    not hold empty, "." or ".." components (-ENOENT, S3 keys like that are
 *    never listed either).
 *  - list(): ListObjectsV2 (delimiter '/', encoding-type=url, every page via
 *    continuation-token; a token already followed, the page cap or the time
 *    budget of util/pageguard.h end it with -EIO). An empty listing of a non-root directory is
 *    -ENOENT (-ENOTDIR when REL is an object). stat(): HEAD; a missing object
 *    is a directory when the prefix REL/ has entries. open(): size and ETag
 *    from `known` (a listed file with an ETag) or a HEAD. read_stream(): one
 *    ranged GET (Range, If-Match) per call, streamed; the answer must be 206
 *    with exactly the Content-Range asked for (200 only when the whole
 *    object was asked for) and the same ETag before a byte is handed on, and
 *    the full length (a short body is -ECONNRESET: storage.c resumes it);
 *    412/416 or another ETag is -EIO, never bytes of another version.
 *  - Errors: 404 -ENOENT, 401/403 -EACCES, other statuses and malformed
 *    answers -EIO, transport failures the http layer's errno. Failures other
 *    than 404 are logged as a warning with the S3 error code and message -
 *    never a key, token or signature (URLs are logged as s3://BUCKET/KEY).
 */
#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "net/http.h"
#include "storage/cloud_util.h"
#include "storage/endpoint.h"
#include "storage/listing.h"
#include "storage/sigv4.h"
#include "storage/storage.h"
#include "storage/url.h"
#include "util/log.h"
#include "util/pageguard.h"
#include "util/strutil.h"

#define S3_DEFAULT_REGION "us-east-1"

struct s3_storage {
	struct storage base;
	struct http_client *http;
	struct storage_creds_source creds;
	bool has_creds;
	struct endpoint_s3 ep; /* bucket, prefix, custom endpoint, path style */
	bool region_fixed; /* configured: wrong-region answers are errors */
	pthread_mutex_t lock;
	char *region; /* NULL until discovered (under lock) */
};

struct s3_file {
	struct storage *st; /* must be first, see storage.c */
	char *key;
	char *etag; /* without quotes, may be NULL */
	uint64_t size;
};

static struct s3_storage *s3_of(struct storage *st) { return (struct s3_storage *)st; }

/* ---- small helpers ---- */

static char *strip_quotes(const char *v)
{
	if (!v)
		return NULL;
	size_t n = strlen(v);
	if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
		return xstrndup(v + 1, n - 2);
	if (n >= 4 && !strncmp(v, "W/\"", 3) && v[n - 1] == '"')
		return xstrndup(v + 3, n - 4);
	return xstrdup(v);
}

/* An ETag that can go into an If-Match header as "ETAG". */
static bool etag_sendable(const char *e)
{
	if (str_empty(e))
		return false;
	for (const char *p = e; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e || *p == '"')
			return false;
	return true;
}

/* ---- S3 <Error> documents (libexpat) ---- */

struct errdoc {
	XML_Parser p;
	int depth;
	int field; /* 0 none, 1 Code, 2 Message */
	struct strbuf code, msg;
	bool fail;
};

static void XMLCALL e_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	(void)attrs;
	struct errdoc *d = ud;
	d->depth++;
	d->field = 0;
	if (d->depth == 2 && !strcmp(name, "Code"))
		d->field = 1;
	else if (d->depth == 2 && !strcmp(name, "Message"))
		d->field = 2;
}

static void XMLCALL e_end(void *ud, const XML_Char *name)
{
	(void)name;
	struct errdoc *d = ud;
	d->depth--;
	d->field = 0;
}

static void XMLCALL e_text(void *ud, const XML_Char *s, int len)
{
	struct errdoc *d = ud;
	struct strbuf *sb = d->field == 1 ? &d->code : d->field == 2 ? &d->msg : NULL;
	if (sb && sb->len < 512 && sb_append(sb, s, (size_t)len))
		d->fail = true;
}

static void XMLCALL e_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			      const XML_Char *pubid, int has_internal_subset)
{
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	struct errdoc *d = ud;
	d->fail = true;
	XML_StopParser(d->p, XML_FALSE);
}

/* Code and Message of an S3 error body (either may come back NULL). */
static void parse_error_doc(const char *body, size_t len, char **code, char **msg)
{
	*code = *msg = NULL;
	if (!body || len == 0 || len > (1u << 20))
		return;
	struct errdoc d = {0};
	d.p = XML_ParserCreate(NULL);
	if (!d.p)
		return;
	XML_SetUserData(d.p, &d);
	XML_SetElementHandler(d.p, e_start, e_end);
	XML_SetCharacterDataHandler(d.p, e_text);
	XML_SetStartDoctypeDeclHandler(d.p, e_doctype);
	bool ok = XML_Parse(d.p, body, (int)len, XML_TRUE) == XML_STATUS_OK && !d.fail;
	XML_ParserFree(d.p);
	if (ok) {
		*code = d.code.buf ? sb_detach(&d.code) : NULL;
		*msg = d.msg.buf ? sb_detach(&d.msg) : NULL;
	}
	sb_free(&d.code);
	sb_free(&d.msg);
	/* One printable line only. */
	for (char **s = code; s; s = (s == code ? msg : NULL))
		if (*s)
			for (char *p = *s; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					*p = ' ';
}

static bool auth_code_retryable(const char *code)
{
	static const char *const codes[] = {"ExpiredToken", "InvalidToken", "InvalidAccessKeyId",
					    "SignatureDoesNotMatch", "TokenRefreshRequired"};
	for (size_t i = 0; code && i < sizeof(codes) / sizeof(codes[0]); i++)
		if (!strcmp(code, codes[i]))
			return true;
	return false;
}

/* ---- endpoint ---- */

/* Where a request with credentials c in REGION goes (see endpoint.h).
 * global: region discovery on AWS (s3.amazonaws.com, signed us-east-1). */
static int make_target(const struct s3_storage *s, const struct storage_creds *c,
		       const char *region, bool global, struct endpoint_s3_target *t)
{
	const char *ap = c ? c->aws_access_point : NULL;
	int r = endpoint_s3_target(&s->ep, ap, region, global, t);
	if (r == -EINVAL)
		log_warn("s3: s3://%s: unsupported access point ARN", s->ep.bucket);
	return r;
}

/* ---- one signed request ---- */

struct req {
	const char *method; /* GET / HEAD */
	const char *key;    /* object key (raw), NULL: the bucket itself */
	const char *query;  /* encoded with sigv4_uri_encode(v, true), or NULL */
	const char *const *headers; /* extra "Name: value" lines (signed and sent), or NULL */
	const char *what;   /* for messages: the key or prefix (NULL: key) */
	const struct http_sink *sink; /* GET body streamed here (NULL: buffered) */
};

static int send_once(struct s3_storage *s, const struct storage_creds *c, const char *region,
		     bool global, const struct req *q, struct http_response *resp)
{
	struct endpoint_s3_target t;
	char *path = NULL, *url = NULL, *errmsg = NULL;
	char **sig = NULL;
	size_t nsig = 0;
	const char **hdrs = NULL;
	int r = make_target(s, c, region, global, &t);
	if (r)
		return r;
	r = endpoint_s3_request(&t, q->key, q->query, &path, &url);
	if (r)
		goto out;
	bool sign = c && !str_empty(c->aws_access_key_id);
	if (sign) {
		if (str_empty(c->aws_secret_access_key)) {
			log_warn("s3: s3://%s: incomplete AWS credentials (no secret access key)",
				 s->ep.bucket);
			r = -EACCES;
			goto out;
		}
		struct sigv4_creds sc = {.access_key_id = c->aws_access_key_id,
					 .secret_access_key = c->aws_secret_access_key,
					 .session_token = str_empty(c->aws_session_token)
								  ? NULL
								  : c->aws_session_token};
		struct sigv4_request sr = {.method = q->method,
					   .host = t.host,
					   .path = path,
					   .query = q->query,
					   .headers = q->headers,
					   .payload_sha256_hex = SIGV4_EMPTY_SHA256,
					   .region = t.region,
					   .service = "s3",
					   .when = time(NULL)};
		r = sigv4_sign(&sc, &sr, &sig, &nsig);
		if (r) {
			if (r == -EINVAL)
				log_warn("s3: s3://%s: credentials or request cannot be signed "
					 "(malformed access key, token or region)", s->ep.bucket);
			goto out;
		}
	}
	size_t nx = 0;
	while (q->headers && q->headers[nx])
		nx++;
	hdrs = calloc(nsig + nx + 1, sizeof(*hdrs));
	if (!hdrs) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nx; i++)
		hdrs[i] = q->headers[i];
	for (size_t i = 0; i < nsig; i++)
		hdrs[nx + i] = sig[i];
	struct http_request hr = {.method = q->method, .url = url, .headers = hdrs};
	r = q->sink ? http_perform_sink(s->http, &hr, q->sink, resp, &errmsg)
		    : http_perform(s->http, &hr, resp, &errmsg);
	if (r && errmsg) /* no message: a sink stopped the transfer (it says why) */
		log_warn("s3: s3://%s/%s: %s", s->ep.bucket, q->key ? q->key : "", errmsg);
	else if (r && !q->sink)
		log_warn("s3: s3://%s/%s: %s", s->ep.bucket, q->key ? q->key : "", strerror(-r));
out:
	free(hdrs);
	if (sig)
		sigv4_headers_free(sig, nsig);
	free(errmsg);
	free(url);
	free(path);
	endpoint_s3_target_free(&t);
	return r;
}

/* The region to sign with; discovers it (HEAD bucket) when not configured. */
static int get_region(struct s3_storage *s, const struct storage_creds *c, char out[64])
{
	pthread_mutex_lock(&s->lock);
	if (s->region) {
		snprintf(out, 64, "%s", s->region);
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	pthread_mutex_unlock(&s->lock);
	if (c && str_startswith(c->aws_access_point, "arn:")) {
		snprintf(out, 64, "%s", S3_DEFAULT_REGION); /* the ARN's region wins in make_target */
		return 0;
	}
	struct http_response resp;
	struct req q = {.method = "HEAD"};
	int r = send_once(s, c, S3_DEFAULT_REGION, true, &q, &resp);
	if (r)
		return r;
	char *br = http_response_header(&resp, "x-amz-bucket-region");
	const char *found = endpoint_s3_region_valid(br) ? br : S3_DEFAULT_REGION;
	log_debug("s3: s3://%s: region %s (HTTP %ld)", s->ep.bucket, found, resp.status);
	snprintf(out, 64, "%s", found);
	http_response_free(&resp);
	r = 0;
	pthread_mutex_lock(&s->lock);
	if (!s->region && !(s->region = xstrdup(found)))
		r = -ENOMEM;
	pthread_mutex_unlock(&s->lock);
	free(br);
	return r;
}

/*
 * Send Q with current credentials; on a bad/expired-credential answer
 * invalidate and retry once, on a wrong-region answer (region not configured)
 * switch region and retry once. 0 with *resp (any status) or -errno.
 */
static int s3_do(struct s3_storage *s, const struct req *q, struct http_response *resp)
{
	bool creds_retried = false, region_retried = false;
	memset(resp, 0, sizeof(*resp));
	for (;;) {
		struct storage_creds c = {0};
		char *cerr = NULL;
		char region[64];
		int r = 0;
		if (s->has_creds && (r = s->creds.get(s->creds.ctx, &c, &cerr))) {
			log_warn("s3: s3://%s: no storage credentials: %s", s->ep.bucket,
				 cerr ? cerr : strerror(-r));
			free(cerr);
			return r;
		}
		free(cerr);
		r = get_region(s, &c, region);
		if (!r)
			r = send_once(s, &c, region, false, q, resp);
		storage_creds_clear(&c);
		if (r)
			return r;
		long st = resp->status;
		if ((st == 400 || st == 403) && !creds_retried && s->has_creds && s->creds.invalidate) {
			char *code = NULL, *msg = NULL;
			parse_error_doc(resp->body, resp->body_len, &code, &msg);
			bool retry = auth_code_retryable(code) || (st == 403 && resp->body_len == 0);
			free(code);
			free(msg);
			if (retry) {
				creds_retried = true;
				s->creds.invalidate(s->creds.ctx);
				http_response_free(resp);
				continue;
			}
		}
		if ((st == 301 || st == 307 || st == 400) && !region_retried && !s->region_fixed) {
			char *br = http_response_header(resp, "x-amz-bucket-region");
			if (endpoint_s3_region_valid(br) && strcmp(br, region)) {
				region_retried = true;
				log_info("s3: s3://%s: bucket is in region %s, not %s", s->ep.bucket, br,
					 region);
				pthread_mutex_lock(&s->lock);
				free(s->region);
				s->region = br;
				pthread_mutex_unlock(&s->lock);
				http_response_free(resp);
				continue;
			}
			free(br);
		}
		return 0;
	}
}

/* Map a non-success answer to -errno, logging what S3 said (not for 404). */
static int fail_status(struct s3_storage *s, const struct req *q, const struct http_response *resp)
{
	long st = resp->status;
	int e = st == 404 ? -ENOENT : (st == 401 || st == 403) ? -EACCES : -EIO;
	if (st == 404)
		return e;
	char *code = NULL, *msg = NULL;
	parse_error_doc(resp->body, resp->body_len, &code, &msg);
	if (st == 400 && auth_code_retryable(code))
		e = -EACCES; /* ExpiredToken, InvalidToken, ... */
	const char *what = q->what ? q->what : q->key ? q->key : "";
	log_warn("s3: %s s3://%s/%s: HTTP %ld%s%s%s%s%s", q->method, s->ep.bucket, what, st,
		 code ? " " : "", code ? code : "", msg ? " (" : "", msg ? msg : "",
		 msg ? ")" : "");
	free(code);
	free(msg);
	return e;
}

/* ---- list ---- */

/* One or all pages of PFX ("" or ending in '/'); max_keys 0: all pages, bounded
 * by a page_guard (repeated token, page cap, time budget: -EIO, logged). */
static int list_prefix(struct s3_storage *s, const char *pfx, int max_keys, struct storage_list *out)
{
	char *token = NULL;
	int r = 0;
	struct page_guard guard;
	page_guard_init(&guard);
	while (!r) {
		char *query = endpoint_s3_list_query(pfx, max_keys, token);
		if (!query) {
			r = -ENOMEM;
			break;
		}
		struct req q = {.method = "GET", .key = NULL, .query = query, .what = pfx};
		struct http_response resp;
		r = s3_do(s, &q, &resp);
		if (!r && resp.status != 200) {
			/* A 404 on a listing is a missing bucket: say so. */
			if (resp.status == 404) {
				char *code = NULL, *msg = NULL;
				parse_error_doc(resp.body, resp.body_len, &code, &msg);
				log_warn("s3: s3://%s: %s", s->ep.bucket,
					 code ? code : "bucket not found");
				free(code);
				free(msg);
			}
			r = fail_status(s, &q, &resp);
		}
		if (!r) {
			char *next = NULL, *perr = NULL;
			r = listing_parse_s3(resp.body, resp.body_len, pfx, out, &next, &perr);
			if (r) {
				log_warn("s3: s3://%s/%s: bad listing answer: %s", s->ep.bucket, pfx,
					 perr ? perr : strerror(-r));
				if (r == -EBADMSG)
					r = -EIO;
			} else if (next && max_keys == 0 &&
				   (r = page_guard_next(&guard, next)) == -EIO) {
				log_warn("s3: s3://%s/%s: listing aborted: %s", s->ep.bucket, pfx,
					 page_guard_why(&guard));
			}
			free(perr);
			free(token);
			token = next;
		}
		http_response_free(&resp); /* s3_do zeroed it even on failure */
		free(query);
		if (!token || max_keys > 0)
			break;
	}
	page_guard_free(&guard);
	free(token);
	return r;
}

/* HEAD KEY into *e (name left NULL). */
static int head_object(struct s3_storage *s, const char *key, struct storage_entry *e)
{
	struct req q = {.method = "HEAD", .key = key};
	struct http_response resp;
	memset(e, 0, sizeof(*e));
	int r = s3_do(s, &q, &resp);
	if (r)
		return r;
	if ((resp.status == 400 || resp.status == 403) && resp.body_len == 0) {
		/* A HEAD answer has no error document: ask for one byte to learn why. */
		const char *hdrs[] = {"Range: bytes=0-0", NULL};
		struct req g = {.method = "GET", .key = key, .headers = hdrs};
		struct http_response gr;
		if (s3_do(s, &g, &gr) == 0 && gr.status == resp.status && gr.body_len) {
			http_response_free(&resp);
			resp = gr;
			q = g;
		} else {
			http_response_free(&gr);
		}
	}
	if (resp.status != 200) {
		r = fail_status(s, &q, &resp);
		http_response_free(&resp);
		return r;
	}
	char *cl = http_response_header(&resp, "content-length");
	char *lm = http_response_header(&resp, "last-modified");
	char *et = http_response_header(&resp, "etag");
	char *end = NULL;
	errno = 0;
	unsigned long long size = cl && isdigit((unsigned char)cl[0]) ? strtoull(cl, &end, 10) : 0;
	if (!cl || !end || *end || errno) {
		log_warn("s3: HEAD s3://%s/%s: missing or bad Content-Length", s->ep.bucket, key);
		r = -EIO;
	} else {
		e->size = size;
		if (lm && listing_parse_time_rfc1123(lm, &e->mtime))
			log_debug("s3: HEAD s3://%s/%s: unparsable Last-Modified", s->ep.bucket, key);
		if (et && !(e->etag = strip_quotes(et)))
			r = -ENOMEM;
	}
	free(cl);
	free(lm);
	free(et);
	http_response_free(&resp);
	if (r)
		storage_entry_clear(e);
	return r;
}

static int s3_list(struct storage *st, const char *rel, struct storage_list *out)
{
	struct s3_storage *s = s3_of(st);
	out->items = NULL;
	out->n = 0;
	if (!endpoint_rel_valid(rel))
		return -ENOENT;
	char *pfx = endpoint_s3_key(&s->ep, rel, true);
	if (!pfx)
		return -ENOMEM;
	int r = list_prefix(s, pfx, 0, out);
	if (r)
		storage_list_free(out);
	else if (out->n == 0 && !str_empty(rel)) {
		/* No such directory; an object of that name makes it ENOTDIR. */
		char *key = endpoint_s3_key(&s->ep, rel, false);
		struct storage_entry e;
		r = -ENOENT;
		if (!key)
			r = -ENOMEM;
		else if (head_object(s, key, &e) == 0) {
			storage_entry_clear(&e);
			r = -ENOTDIR;
		}
		free(key);
	}
	free(pfx);
	return r;
}

/* ---- stat ---- */

static int s3_stat(struct storage *st, const char *rel, struct storage_entry *out)
{
	struct s3_storage *s = s3_of(st);
	memset(out, 0, sizeof(*out));
	if (!endpoint_rel_valid(rel))
		return -ENOENT;
	const char *slash = rel ? strrchr(rel, '/') : NULL;
	const char *name = slash ? slash + 1 : (rel ? rel : "");
	if (str_empty(rel)) {
		out->is_dir = true;
		out->name = xstrdup("");
		return out->name ? 0 : -ENOMEM;
	}
	char *key = endpoint_s3_key(&s->ep, rel, false);
	if (!key)
		return -ENOMEM;
	int r = head_object(s, key, out);
	free(key);
	if (r == -ENOENT) {
		char *pfx = endpoint_s3_key(&s->ep, rel, true);
		struct storage_list l = {0};
		r = pfx ? list_prefix(s, pfx, 2, &l) : -ENOMEM;
		if (!r && l.n == 0)
			r = -ENOENT;
		storage_list_free(&l);
		free(pfx);
		if (!r)
			out->is_dir = true;
	}
	if (!r && !(out->name = xstrdup(name)))
		r = -ENOMEM;
	if (r)
		storage_entry_clear(out);
	return r;
}

/* ---- open / read ---- */

static int s3_open(struct storage *st, const char *rel, const struct storage_entry *known,
		   struct storage_file **out)
{
	struct s3_storage *s = s3_of(st);
	*out = NULL;
	if (str_empty(rel) || (known && known->is_dir))
		return -EISDIR;
	if (!endpoint_rel_valid(rel))
		return -ENOENT;
	struct s3_file *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->st = st;
	int r = (f->key = endpoint_s3_key(&s->ep, rel, false)) ? 0 : -ENOMEM;
	if (!r && known && !str_empty(known->etag)) {
		f->size = known->size;
		if (!(f->etag = xstrdup(known->etag)))
			r = -ENOMEM;
	} else if (!r) {
		struct storage_entry e;
		r = head_object(s, f->key, &e);
		if (!r) {
			f->size = e.size;
			f->etag = e.etag;
			e.etag = NULL;
			storage_entry_clear(&e);
		}
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

/* "bytes A-B/T" exactly A, B, T? */
static bool content_range_is(const char *cr, uint64_t a, uint64_t b, uint64_t total)
{
	char want[96];
	snprintf(want, sizeof(want), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, a, b, total);
	return cr && !strcmp(cr, want);
}

/* One ranged GET streamed to the caller's sink: the answer is checked
 * before the first byte is handed on. */
struct s3_rx {
	struct cloud_rx rx; /* first: cloud_rx_data gets this struct */
	struct s3_storage *s;
	struct s3_file *f;
	uint64_t last;
};

static int s3_rx_head(void *ctx, const struct http_response *h)
{
	struct s3_rx *x = ctx;
	if (h->status != 206 && h->status != 200)
		return HTTP_SINK_BUFFER; /* an error document, looked at by s3_do */
	char *cr = http_response_header(h, "content-range");
	char *et_raw = http_response_header(h, "etag");
	char *et = strip_quotes(et_raw);
	char *ce = http_response_header(h, "content-encoding");
	int r = 0;
	bool range_ok = h->status == 206 ? content_range_is(cr, x->rx.off, x->last, x->f->size)
					 : (x->rx.off == 0 && x->rx.want == x->f->size);
	if (!range_ok) {
		log_warn("s3: GET s3://%s/%s: answer (HTTP %ld, Content-Range %s) is not the range "
			 "asked for (bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 ")",
			 x->s->ep.bucket, x->f->key, h->status, cr ? cr : "none", x->rx.off, x->last,
			 x->f->size);
		r = -EIO;
	} else if (et && x->f->etag && strcmp(et, x->f->etag)) {
		log_warn("s3: GET s3://%s/%s: object changed since it was opened (ETag differs)",
			 x->s->ep.bucket, x->f->key);
		r = -EIO;
	} else if (ce && *ce && strcasecmp(ce, "identity")) {
		log_warn("s3: GET s3://%s/%s: stored with Content-Encoding %s, not supported",
			 x->s->ep.bucket, x->f->key, ce);
		r = -EIO;
	}
	free(cr);
	free(et_raw);
	free(et);
	free(ce);
	if (r)
		return x->rx.err = r;
	x->rx.accepted = true;
	return HTTP_SINK_ACCEPT;
}

static ssize_t s3_read_stream(struct storage_file *fh, uint64_t off, size_t len,
			      const struct storage_sink *sink)
{
	struct s3_file *f = (struct s3_file *)fh;
	struct s3_storage *s = s3_of(f->st);
	if (len == 0 || off >= f->size)
		return 0;
	uint64_t want = f->size - off < (uint64_t)len ? f->size - off : (uint64_t)len;
	if (want > SSIZE_MAX)
		want = SSIZE_MAX;
	uint64_t last = off + want - 1;
	char range[80];
	snprintf(range, sizeof(range), "Range: bytes=%" PRIu64 "-%" PRIu64, off, last);
	char *ifm = etag_sendable(f->etag) ? xasprintf("If-Match: \"%s\"", f->etag) : NULL;
	if (etag_sendable(f->etag) && !ifm)
		return -ENOMEM;
	const char *hdrs[] = {range, ifm, NULL};
	struct s3_rx x = {.rx = {.what = "s3", .key = f->key, .off = off, .want = (size_t)want,
				 .out = sink},
			  .s = s, .f = f, .last = last};
	struct http_sink hs = {.on_head = s3_rx_head, .on_data = cloud_rx_data, .ctx = &x};
	struct req q = {.method = "GET", .key = f->key, .headers = hdrs, .sink = &hs};
	struct http_response resp;
	int r = s3_do(s, &q, &resp);
	free(ifm);
	if (r)
		return x.rx.err ? x.rx.err : x.rx.got ? -ECONNRESET : r;
	if (x.rx.accepted && x.rx.got == want) {
		r = 0;
	} else if (x.rx.accepted) {
		log_debug("s3: GET s3://%s/%s: short body (%zu of %" PRIu64 " bytes)",
			  s->ep.bucket, f->key, x.rx.got, want);
		r = -ECONNRESET;
	} else if (resp.status == 412 || resp.status == 416) {
		log_warn("s3: GET s3://%s/%s: object changed since it was opened (HTTP %ld)",
			 s->ep.bucket, f->key, resp.status);
		r = -EIO;
	} else {
		r = fail_status(s, &q, &resp);
		if (r == 0)
			r = -EIO;
	}
	http_response_free(&resp);
	return r ? r : (ssize_t)x.rx.got;
}

static void s3_close(struct storage_file *fh)
{
	struct s3_file *f = (struct s3_file *)fh;
	free(f->key);
	free(f->etag);
	free(f);
}

static void s3_destroy(struct storage *st)
{
	struct s3_storage *s = s3_of(st);
	free(s->base.location);
	endpoint_s3_free(&s->ep);
	free(s->region);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct storage_ops s3_ops = {
	.name = "s3",
	.list = s3_list,
	.stat = s3_stat,
	.open = s3_open,
	.read_stream = s3_read_stream,
	.close = s3_close,
	.destroy = s3_destroy,
};

int storage_s3_new(const char *location, const struct storage_url *u,
		   const struct storage_env *env, const struct storage_creds_source *creds,
		   struct storage **out, char **err)
{
	*out = NULL;
	int r = cloud_need_http(location, env, "s3", err);
	if (r)
		return r;
	struct s3_storage *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->base.ops = &s3_ops;
	s->http = env->http;
	if (creds && creds->get) {
		s->creds = *creds;
		s->has_creds = true;
	}
	s->base.location = xstrdup(location);
	r = s->base.location ? 0 : -ENOMEM;
	if (!r)
		r = endpoint_s3_init(&s->ep, location, u,
				     endpoint_pick(env->s3_endpoint, getenv("AWS_ENDPOINT_URL_S3"),
						   getenv("AWS_ENDPOINT_URL")),
				     env->s3_path_style, err);
	const char *region =
		endpoint_pick(env->s3_region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"));
	if (!r && !str_empty(region)) {
		if (!endpoint_s3_region_valid(region)) {
			if (err)
				*err = xasprintf("storage location '%s': invalid S3 region '%s'",
						 location, region);
			r = -EINVAL;
		} else if (!(s->region = xstrdup(region))) {
			r = -ENOMEM;
		}
		s->region_fixed = true;
	}
	if (r) {
		s3_destroy(&s->base);
		return r;
	}
	*out = &s->base;
	return 0;
}
