/*
 * http.h - the single libcurl layer of ucfs.
 *
 * Contract: one struct http_client per process (or per remote), safe to use
 * from many threads at once. It keeps a pool of curl easy handles (connection
 * reuse) and shares the DNS cache and TLS session cache between them through
 * a locked CURLSH. http_perform() retries transport failures and transient
 * statuses (see net/retry.h) within max_retries and retry_budget_ms, then
 * returns 0 with whatever response it got (any status), or a negative errno
 * with a one-line *errmsg naming scheme://host:port only - never the path's
 * query string or any header, so signed URLs and tokens are not leaked.
 */
#ifndef UCFS_NET_HTTP_H
#define UCFS_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct http_options {
	const char *ca_file;     /* NULL: env CURL_CA_BUNDLE, else system default */
	long connect_timeout_ms; /* 0: 10000 */
	long timeout_ms;         /* whole transfer; 0: 60000 */
	int max_retries;         /* 0: 4; negative: no retries */
	long retry_budget_ms;    /* total time spent waiting between retries; 0: 30000 */
	size_t max_body_bytes;   /* response body limit; 0: 256 MiB (over -> -EFBIG) */
};

struct http_request {
	const char *method;              /* NULL = "GET"; "HEAD" sends no body */
	const char *url;
	const char *const *headers;      /* NULL-terminated "Name: value" list, or NULL */
	const char *body;                /* may be NULL */
	size_t body_len;
	const char *content_type;        /* adds "Content-Type:" when non-NULL */
};

struct http_response {
	long status;
	char *body;          /* always NUL-terminated (empty string when no body) */
	size_t body_len;
	char *retry_after;   /* raw Retry-After header or NULL */
	char *content_type;  /* or NULL */
	char *headers;       /* the final response's header lines, "Name: value\r\n"... */
};

struct http_client;

int http_global_init(void); /* curl_global_init once; 0 or -EIO */

struct http_client *http_client_new(const struct http_options *opts); /* NULL on ENOMEM/curl failure */
void http_client_free(struct http_client *c);

int http_perform(struct http_client *c, const struct http_request *req, struct http_response *out,
		 char **errmsg);
void http_response_free(struct http_response *r);

/*
 * Streaming: the body of an accepted answer goes to on_data as it arrives,
 * with no copy in between (libcurl's receive buffer is handed over).
 * on_head sees the final answer's status and headers (head->status,
 * head->headers; body empty) once, before any body byte - or after the
 * transfer when the answer has no body - and returns HTTP_SINK_ACCEPT (the
 * body goes to on_data), HTTP_SINK_BUFFER (the body is kept in out->body,
 * e.g. an error document; at most max_body_bytes) or a negative errno
 * (the transfer is aborted and http_perform_sink returns it). on_data
 * returns 0 or a negative errno (abort, returned). Transient answers and
 * transport failures are retried only while no byte has reached on_data;
 * after that a failure is returned as it is (the sink knows how far it
 * got). On return 0, out holds the status and headers (and the buffered
 * body, if any).
 */
enum { HTTP_SINK_ACCEPT = 0, HTTP_SINK_BUFFER = 1 };
struct http_sink {
	int (*on_head)(void *ctx, const struct http_response *head);
	int (*on_data)(void *ctx, const char *data, size_t len);
	void *ctx;
};
int http_perform_sink(struct http_client *c, const struct http_request *req,
		      const struct http_sink *sink, struct http_response *out, char **errmsg);

/* Value of response header NAME (case-insensitive), malloc'ed, or NULL. */
char *http_response_header(const struct http_response *r, const char *name);

/* Process-wide counters since start: transfers attempted, retries, and
 * requests that ended in a transport failure or a 5xx/429 after retries. */
void http_counters(uint64_t *requests, uint64_t *retries, uint64_t *failures);

/* Helpers for other modules. */
bool http_status_ok(long status); /* 2xx */
/* "scheme://host[:port]" of url (malloc'ed), or a copy of "<invalid url>". */
char *http_url_origin(const char *url);

#endif
