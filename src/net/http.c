/* http.c - see http.h. */
#include "net/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "net/retry.h"
#include "util/log.h"
#include "util/strutil.h"

#ifndef UCFS_VERSION
#define UCFS_VERSION "dev"
#endif

#define POOL_MAX 16
/* libcurl's receive buffer for streamed transfers (its default is 16 KiB):
 * fewer, larger callbacks and recv() calls per byte. */
#define SINK_BUFFER_BYTES (512L << 10)
#define RETRY_BASE_MS 250
#define RETRY_MAX_DELAY_MS 8000
#define DOWN_SLOTS 32

struct http_client {
	long connect_timeout_ms, timeout_ms, retry_budget_ms;
	int max_retries;
	size_t max_body;
	char *ca_file;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_lock;
	CURL *idle[POOL_MAX];
	int n_idle;
	/* Origins that could not be reached (hash of scheme://host:port): tried
	 * once per request, without retries, until one answers again, so reads
	 * fail fast while the network is gone. */
	pthread_mutex_t down_lock;
	uint64_t down[DOWN_SLOTS];
	_Atomic int n_down;
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_init_rc;

static void global_init_once(void)
{
	g_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -EIO;
}

int http_global_init(void)
{
	pthread_once(&g_once, global_init_once);
	return g_init_rc;
}

char *http_response_header(const struct http_response *r, const char *name)
{
	size_t nl = strlen(name);
	for (const char *p = r->headers; p && *p;) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
			const char *v = p + nl + 1;
			size_t vl = len - nl - 1;
			while (vl && (*v == ' ' || *v == '\t'))
				v++, vl--;
			while (vl && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
				vl--;
			return xstrndup(v, vl);
		}
		p += len + (eol ? 1 : 0);
	}
	return NULL;
}

bool http_status_ok(long s) { return s >= 200 && s < 300; }

char *http_url_origin(const char *url)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *out = NULL;
	CURLU *u = curl_url();
	if (u && url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK && port)
			out = xasprintf("%s://%s:%s", scheme, host, port);
		else
			out = xasprintf("%s://%s", scheme, host);
	} else {
		out = xstrdup("<invalid url>");
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return out;
}

/* ---- share locking ---- */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userp)
{
	(void)h;
	(void)access;
	struct http_client *c = userp;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp)
{
	(void)h;
	struct http_client *c = userp;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->share_locks[data]);
}

struct http_client *http_client_new(const struct http_options *opts)
{
	if (http_global_init())
		return NULL;
	struct http_client *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->connect_timeout_ms = opts && opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 10000;
	c->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : 60000;
	c->max_retries = !opts || opts->max_retries == 0 ? 4 : (opts->max_retries < 0 ? 0 : opts->max_retries);
	c->retry_budget_ms = opts && opts->retry_budget_ms > 0 ? opts->retry_budget_ms : 30000;
	c->max_body = opts && opts->max_body_bytes ? opts->max_body_bytes : (size_t)256 << 20;
	const char *ca = opts && opts->ca_file ? opts->ca_file : getenv("CURL_CA_BUNDLE");
	if (!str_empty(ca) && !(c->ca_file = xstrdup(ca))) {
		free(c);
		return NULL;
	}
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_locks[i], NULL);
	pthread_mutex_init(&c->pool_lock, NULL);
	pthread_mutex_init(&c->down_lock, NULL);
	c->share = curl_share_init();
	if (!c->share || curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock) ||
	    curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
	    curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
	    curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION)) {
		log_error("http: cannot set up the curl share handle");
		http_client_free(c);
		return NULL;
	}
	return c;
}

void http_client_free(struct http_client *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->n_idle; i++)
		curl_easy_cleanup(c->idle[i]);
	if (c->share)
		curl_share_cleanup(c->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	pthread_mutex_destroy(&c->pool_lock);
	pthread_mutex_destroy(&c->down_lock);
	free(c->ca_file);
	free(c);
}

static CURL *pool_get(struct http_client *c)
{
	CURL *h = NULL;
	pthread_mutex_lock(&c->pool_lock);
	if (c->n_idle > 0)
		h = c->idle[--c->n_idle];
	pthread_mutex_unlock(&c->pool_lock);
	return h ? h : curl_easy_init();
}

static void pool_put(struct http_client *c, CURL *h)
{
	pthread_mutex_lock(&c->pool_lock);
	if (c->n_idle < POOL_MAX) {
		c->idle[c->n_idle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->pool_lock);
	if (h)
		curl_easy_cleanup(h);
}

/* ---- one transfer ---- */

struct xfer {
	struct strbuf body;
	size_t max;
	bool too_big, oom;
	char *retry_after;
	struct strbuf headers;
	/* streaming (http_perform_sink) */
	const struct http_sink *sink;
	CURL *h;
	int decided;    /* -1: on_head not called yet, else its answer */
	int sink_err;   /* a sink's negative errno: the transfer was aborted */
	size_t delivered; /* bytes given to on_data */
};

/* Ask the sink what to do with this answer's body. False: abort. */
static bool sink_decide(struct xfer *x)
{
	long status = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	struct http_response head = {.status = status, .body = "",
				     .headers = x->headers.buf ? x->headers.buf : ""};
	int r = x->sink->on_head(x->sink->ctx, &head);
	if (r < 0) {
		x->sink_err = r;
		return false;
	}
	x->decided = r == HTTP_SINK_ACCEPT ? HTTP_SINK_ACCEPT : HTTP_SINK_BUFFER;
	return true;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nmemb;
	if (x->sink) {
		if (x->decided < 0 && !sink_decide(x))
			return 0;
		if (x->decided == HTTP_SINK_ACCEPT) {
			int r = x->sink->on_data(x->sink->ctx, ptr, n);
			if (r) {
				x->sink_err = r < 0 ? r : -EIO;
				return 0;
			}
			x->delivered += n;
			return n;
		}
	}
	if (x->body.len + n > x->max) {
		x->too_big = true;
		return 0;
	}
	if (sb_append(&x->body, ptr, n)) {
		x->oom = true;
		return 0;
	}
	return n;
}

static size_t on_header(char *buf, size_t size, size_t nitems, void *userp)
{
	struct xfer *x = userp;
	size_t n = size * nitems;
	static const char name[] = "retry-after:";
	if (n >= 5 && !strncmp(buf, "HTTP/", 5)) {
		/* New response (e.g. after 100 Continue): forget earlier headers. */
		free(x->retry_after);
		x->retry_after = NULL;
		x->headers.len = 0;
		if (x->headers.buf)
			x->headers.buf[0] = '\0';
		return n;
	}
	if (sb_append(&x->headers, buf, n))
		x->oom = true;
	if (n > sizeof(name) - 1 && !strncasecmp(buf, name, sizeof(name) - 1)) {
		const char *v = buf + sizeof(name) - 1;
		size_t vl = n - (sizeof(name) - 1);
		while (vl && (*v == ' ' || *v == '\t'))
			v++, vl--;
		while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' '))
			vl--;
		free(x->retry_after);
		x->retry_after = xstrndup(v, vl);
	}
	return n;
}

static bool curl_is_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static int curl_to_errno(CURLcode rc, long os_errno)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_COULDNT_CONNECT:
		if (os_errno == EHOSTUNREACH || os_errno == ENETUNREACH)
			return -EHOSTUNREACH;
		if (os_errno == ETIMEDOUT)
			return -ETIMEDOUT;
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_USE_SSL_FAILED:
		return -EPROTO;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

static _Atomic uint64_t n_requests, n_retries, n_failures;

void http_counters(uint64_t *requests, uint64_t *retries, uint64_t *failures)
{
	*requests = atomic_load(&n_requests);
	*retries = atomic_load(&n_retries);
	*failures = atomic_load(&n_failures);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static unsigned *thread_seed(void)
{
	static __thread unsigned seed;
	static __thread bool seeded;
	if (!seeded) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		seed = (unsigned)ts.tv_nsec ^ (unsigned)(uintptr_t)&seed ^ (unsigned)getpid();
		seeded = true;
	}
	return &seed;
}

/* Builds the header list; NULL on ENOMEM. */
static struct curl_slist *build_headers(const struct http_request *req)
{
	struct curl_slist *l = NULL, *t;
	char *ct = NULL;
	if (req->headers)
		for (const char *const *h = req->headers; *h; h++) {
			if (!(t = curl_slist_append(l, *h)))
				goto fail;
			l = t;
		}
	if (req->content_type) {
		if (!(ct = xasprintf("Content-Type: %s", req->content_type)))
			goto fail;
		t = curl_slist_append(l, ct);
		free(ct);
		if (!t)
			goto fail;
		l = t;
	}
	if (!(t = curl_slist_append(l, "Expect:")))
		goto fail;
	return t;
fail:
	curl_slist_free_all(l);
	return NULL;
}

static CURLcode setup(struct http_client *c, CURL *h, const struct http_request *req,
		      struct curl_slist *hdrs, struct xfer *x, char *errbuf)
{
	const char *m = req->method ? req->method : "GET";
	CURLcode rc = CURLE_OK;
#define SET(opt, val)                                        \
	do {                                                 \
		if (rc == CURLE_OK)                          \
			rc = curl_easy_setopt(h, opt, val);  \
	} while (0)
	curl_easy_reset(h);
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_SHARE, c->share);
	/* HTTP/2 when the server offers it over TLS (ALPN); HTTP/1.1 otherwise,
	 * also when this libcurl has no HTTP/2 (then the option is refused). */
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, c->timeout_ms);
	SET(CURLOPT_TCP_KEEPALIVE, 1L);
	/* No CURLOPT_ACCEPT_ENCODING: bodies are passed as stored. Objects kept
	 * with Content-Encoding: gzip must be served byte for byte (and ranged). */
	SET(CURLOPT_USERAGENT, "ucfs/" UCFS_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
	SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_HTTPHEADER, hdrs);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, x);
	SET(CURLOPT_HEADERFUNCTION, on_header);
	SET(CURLOPT_HEADERDATA, x);
	if (x->sink)
		SET(CURLOPT_BUFFERSIZE, SINK_BUFFER_BYTES);
	if (c->ca_file)
		SET(CURLOPT_CAINFO, c->ca_file);
	if (!strcmp(m, "GET")) {
		SET(CURLOPT_HTTPGET, 1L);
	} else if (!strcmp(m, "HEAD")) {
		SET(CURLOPT_NOBODY, 1L);
	} else {
		if (strcmp(m, "POST"))
			SET(CURLOPT_CUSTOMREQUEST, m);
		if (req->body || !strcmp(m, "POST") || !strcmp(m, "PUT") || !strcmp(m, "PATCH")) {
			SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
			SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
		}
	}
#undef SET
	return rc;
}

static const char *errno_text(int e)
{
	switch (e) {
	case -ECONNREFUSED: return "connection refused";
	case -EHOSTUNREACH: return "host not found or unreachable";
	case -ETIMEDOUT: return "timed out";
	case -EPROTO: return "TLS error";
	case -EFBIG: return "response too large";
	case -ENOMEM: return "out of memory";
	case -EINVAL: return "invalid URL";
	default: return "transfer failed";
	}
}

static uint64_t origin_hash(const char *url)
{
	char *o = http_url_origin(url);
	const char *k = o ? o : url;
	uint64_t h = fnv1a64(k, strlen(k));
	free(o);
	return h;
}

/* Is origin H marked unreachable? */
static bool is_down(struct http_client *c, uint64_t h)
{
	pthread_mutex_lock(&c->down_lock);
	bool down = false;
	for (int i = 0; i < c->n_down && !down; i++)
		down = c->down[i] == h;
	pthread_mutex_unlock(&c->down_lock);
	return down;
}

/* Mark origin H unreachable (down) or reachable; log the change. */
static void set_down(struct http_client *c, uint64_t h, bool down, const char *url)
{
	pthread_mutex_lock(&c->down_lock);
	int at = -1;
	for (int i = 0; i < c->n_down; i++)
		if (c->down[i] == h)
			at = i;
	bool changed = down ? at < 0 : at >= 0;
	if (down && at < 0)
		c->down[c->n_down < DOWN_SLOTS ? c->n_down++ : (int)(h % DOWN_SLOTS)] = h;
	else if (!down && at >= 0)
		c->down[at] = c->down[--c->n_down];
	pthread_mutex_unlock(&c->down_lock);
	if (!changed)
		return;
	char *origin = http_url_origin(url);
	if (down)
		log_warn("http: %s cannot be reached: until it answers again, each request to it "
			 "is tried once, without retries", origin ? origin : "?");
	else
		log_info("http: %s answers again", origin ? origin : "?");
	free(origin);
}

/* The request never reached the server: refused, no route, no name, or no
 * connection before the timeout. */
static bool connect_failure(CURL *h, CURLcode rc)
{
	curl_off_t connected = 0;
	if (rc == CURLE_OPERATION_TIMEDOUT &&
	    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected) == CURLE_OK && !connected)
		return true;
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_COULDNT_RESOLVE_PROXY;
}

static int perform(struct http_client *c, const struct http_request *req,
		   const struct http_sink *sink, struct http_response *out, char **errmsg)
{
	if (errmsg)
		*errmsg = NULL;
	memset(out, 0, sizeof(*out));
	if (!c || !req || !req->url)
		return -EINVAL;
	struct curl_slist *hdrs = build_headers(req);
	if (!hdrs)
		return -ENOMEM;
	CURL *h = pool_get(c);
	if (!h) {
		curl_slist_free_all(hdrs);
		return -ENOMEM;
	}
	const char *method = req->method ? req->method : "GET";
	long start = now_ms();
	int ret = 0;
	/* The origin's hash only when some origin is down, or this one fails to
	 * connect: not a parse and a lock per request while all is well. */
	bool was_down = atomic_load(&c->n_down) && is_down(c, origin_hash(req->url));
	char errbuf[CURL_ERROR_SIZE];
	for (int attempt = 0;; attempt++) {
		struct xfer x = {.max = c->max_body, .sink = sink, .h = h, .decided = -1};
		errbuf[0] = '\0';
		CURLcode rc = setup(c, h, req, hdrs, &x, errbuf);
		atomic_fetch_add(&n_requests, 1);
		if (rc == CURLE_OK)
			rc = curl_easy_perform(h);
		long status = 0, os_errno = 0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
		if (rc == CURLE_OK && sink && x.decided < 0 && !sink_decide(&x))
			rc = CURLE_WRITE_ERROR; /* no body at all: the sink still decides */

		bool transient;
		if (x.sink_err || x.delivered)
			transient = false; /* the sink has bytes, or said stop: no retry */
		else if (rc == CURLE_OK)
			transient = retry_status_is_transient(status);
		else
			transient = !x.too_big && !x.oom && curl_is_retryable(rc);
		long delay = retry_delay_ms(attempt + 1, rc == CURLE_OK ? x.retry_after : NULL,
					    rc == CURLE_OK ? status : 0, RETRY_BASE_MS, RETRY_MAX_DELAY_MS,
					    thread_seed());
		if (rc == CURLE_OK && atomic_load(&c->n_down)) {
			set_down(c, origin_hash(req->url), false, req->url);
			was_down = false;
		}
		int max_retries = was_down && connect_failure(h, rc) ? 0 : c->max_retries;
		bool again = transient && attempt < max_retries &&
			     now_ms() - start + delay <= c->retry_budget_ms;
		if (again) {
			atomic_fetch_add(&n_retries, 1);
			char *origin = http_url_origin(req->url);
			if (rc == CURLE_OK)
				log_debug("http: %s %s answered %ld, retry %d in %ld ms", method,
					  origin ? origin : "?", status, attempt + 1, delay);
			else
				log_debug("http: %s %s failed (%s), retry %d in %ld ms", method,
					  origin ? origin : "?", curl_easy_strerror(rc), attempt + 1, delay);
			free(origin);
			sb_free(&x.body);
			sb_free(&x.headers);
			free(x.retry_after);
			sleep_ms(delay);
			continue;
		}
		if (rc != CURLE_OK || transient)
			atomic_fetch_add(&n_failures, 1); /* final: failed, or out of retries */
		if (rc == CURLE_OK) {
			char *ct = NULL;
			curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
			if (!x.body.buf && sb_append(&x.body, "", 0))
				x.oom = true;
			out->content_type = ct ? xstrdup(ct) : NULL;
			if (x.oom || (ct && !out->content_type)) {
				free(out->content_type);
				out->content_type = NULL;
				sb_free(&x.body);
				sb_free(&x.headers);
				free(x.retry_after);
				ret = -ENOMEM;
				break;
			}
			out->status = status;
			out->body_len = x.body.len;
			out->body = sb_detach(&x.body);
			out->retry_after = x.retry_after;
			out->headers = x.headers.buf ? sb_detach(&x.headers) : xstrdup("");
			ret = out->headers ? 0 : -ENOMEM;
			break;
		}
		/* Transport failure, final. */
		if (connect_failure(h, rc))
			set_down(c, origin_hash(req->url), true, req->url);
		ret = x.sink_err ? x.sink_err
		      : x.too_big ? -EFBIG : x.oom ? -ENOMEM : curl_to_errno(rc, os_errno);
		sb_free(&x.body);
		sb_free(&x.headers);
		free(x.retry_after);
		if (errmsg && !x.sink_err) {
			char *origin = http_url_origin(req->url);
			/* errbuf may quote the URL; keep only curl's generic text then. */
			const char *detail = errbuf[0] && !strstr(errbuf, "?") ? errbuf : curl_easy_strerror(rc);
			if (ret == -EFBIG)
				detail = "response body exceeds the configured limit";
			*errmsg = xasprintf("%s %s: %s (%s%s)", method, origin ? origin : "?",
					    errno_text(ret), detail,
					    attempt ? ", after retries" : "");
			free(origin);
			if (*errmsg)
				redact(*errmsg);
		}
		break;
	}
	curl_slist_free_all(hdrs);
	pool_put(c, h);
	return ret;
}

int http_perform(struct http_client *c, const struct http_request *req, struct http_response *out,
		 char **errmsg)
{
	return perform(c, req, NULL, out, errmsg);
}

int http_perform_sink(struct http_client *c, const struct http_request *req,
		      const struct http_sink *sink, struct http_response *out, char **errmsg)
{
	if (!sink || !sink->on_head || !sink->on_data) {
		if (errmsg)
			*errmsg = NULL;
		memset(out, 0, sizeof(*out));
		return -EINVAL;
	}
	return perform(c, req, sink, out, errmsg);
}

void http_response_free(struct http_response *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->retry_after);
	free(r->headers);
	free(r->content_type);
	memset(r, 0, sizeof(*r));
}
