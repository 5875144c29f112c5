/*
 * sigv4.h - AWS Signature Version 4 (header-based), for the S3 backend.
 *
 * Contract: pure (no network, no clock: the signing time is an input), built on
 * OpenSSL's SHA-256 and HMAC-SHA256. Functions return 0 or a negative errno
 * (-EINVAL for malformed input, -ENOMEM, -EIO if OpenSSL fails) and leave
 * their outputs NULL on error. Nothing here logs; secrets (secret access key,
 * derived keys) are wiped from temporary buffers with OPENSSL_cleanse.
 *
 * What is signed (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
 *  - the method, as given;
 *  - the canonical URI: r->path byte for byte ("" means "/"). It must already
 *    be URI-encoded exactly as sent on the wire; build it with
 *    sigv4_uri_encode(key, false). S3 does not normalise or double-encode
 *    paths, so "//a/./b" is signed as is;
 *  - the canonical query: r->query ("k=v&k2=v2", without '?', NULL or "" for
 *    none) split on '&', each key and value percent-decoded ('+' stays a
 *    literal plus) and re-encoded with sigv4_uri_encode(x, true), sorted by
 *    key then value; a key without '=' gets an empty value ("lifecycle=").
 *    Send the query encoded the same way (sigv4_uri_encode(value, true)) so
 *    the server sees what was signed;
 *  - the headers: host (r->host), x-amz-date, x-amz-content-sha256 (see
 *    below), x-amz-security-token (when c->session_token is set) and the
 *    extra r->headers lines "Name: value". Names are lowercased, values are
 *    trimmed and inner runs of whitespace (including folded lines) collapse
 *    to one space; repeated names are joined with ',' in their order;
 *    everything is sorted by name. Extra headers must not repeat host,
 *    authorization or the x-amz-* headers this module adds (-EINVAL);
 *  - the payload hash: r->payload_sha256_hex, or when NULL "UNSIGNED-PAYLOAD"
 *    for service "s3" and the SHA-256 of the empty string otherwise.
 *    x-amz-content-sha256 is added (and signed) for service "s3" and whenever
 *    payload_sha256_hex is given.
 *
 * Method, host, region, service, access key id, session token and payload
 * hash must be visible ASCII without blanks (-EINVAL otherwise), so nothing
 * vended or configured can break a header line.
 *
 * sigv4_sign() returns the header lines to add to the request, in this
 * order: "x-amz-date: ...", "x-amz-content-sha256: ..." (when added),
 * "x-amz-security-token: ..." (when a session token is set),
 * "Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
 * SignedHeaders=..., Signature=...". The Host header is not among them: the
 * HTTP layer must send exactly r->host (curl derives it from the URL; a
 * non-default port must be part of r->host). The extra headers signed must be
 * sent too, with the same values. The returned lines hold the session token
 * and signature: never log them (log.h redacts them, but don't rely on it).
 */
#ifndef UCFS_SIGV4_H
#define UCFS_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

struct sigv4_creds {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token; /* may be NULL */
};

struct sigv4_request {
	const char *method;             /* "GET", "HEAD", ... */
	const char *host;               /* as sent in Host, with :port when non-default */
	const char *path;               /* URI-encoded as sent on the wire, starts with '/' */
	const char *query;              /* raw query without '?', may be NULL or "" */
	const char *const *headers;     /* extra "Name: value" lines to sign, NULL-terminated, may be NULL */
	const char *payload_sha256_hex; /* NULL: see header comment */
	const char *region;             /* "us-east-1" */
	const char *service;            /* "s3" */
	time_t when;                    /* signing time (UTC seconds) */
};

/* RFC 3986 encoding as AWS wants it: A-Z a-z 0-9 - . _ ~ kept, '/' kept unless
 * encode_slash, every other byte as %XX (uppercase hex). NULL only on ENOMEM. */
char *sigv4_uri_encode(const char *s, bool encode_slash);

/* Lowercase hex SHA-256 of DATA. 0 or -EIO. */
int sigv4_sha256_hex(const void *data, size_t len, char out[65]);

/* Canonical query string of a raw query (see above). -EINVAL on a bad %-escape. */
int sigv4_canonical_query(const char *query, char **out);

/* The canonical request (step 1), *signed_headers (may be NULL) gets the
 * "host;x-amz-date;..." list. */
int sigv4_canonical_request(const struct sigv4_creds *c, const struct sigv4_request *r,
			    char **out, char **signed_headers);

/* The string to sign (step 2) for a canonical request. */
int sigv4_string_to_sign(const struct sigv4_request *r, const char *canonical_request, char **out);

/* The signing key (step 3): HMAC chain over "AWS4"+secret, DATE8 ("20150830"),
 * region, service, "aws4_request". */
int sigv4_signing_key(const char *secret_access_key, const char *date8, const char *region,
		      const char *service, unsigned char key[32]);

/* The signature (step 4) of a request, lowercase hex. */
int sigv4_signature(const struct sigv4_creds *c, const struct sigv4_request *r, char out[65]);

/* Steps 1-4 and the headers to add (see above). Free with sigv4_headers_free(). */
int sigv4_sign(const struct sigv4_creds *c, const struct sigv4_request *r, char ***headers_out,
	       size_t *n_out);
void sigv4_headers_free(char **headers, size_t n);

#endif
