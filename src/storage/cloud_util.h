/*
 * cloud_util.h - small helpers shared by the HTTPS storage backends (azure,
 * gcs): names, ETags, HTTP status -> errno, and the check that a ranged
 * answer is exactly the range that was asked for (its Content-Range parser,
 * endpoint_parse_content_range, and key joining live in storage/endpoint.h,
 * which has no dependency on the HTTP layer).
 *
 * Contract: pure except for cloud_free_secret() (wipes, then frees). No
 * function logs or keeps anything it is given; strings returned are
 * malloc'ed and NULL only on ENOMEM.
 */
#ifndef UCFS_CLOUD_UTIL_H
#define UCFS_CLOUD_UTIL_H

#include <stddef.h>
#include <stdint.h>

struct http_response;

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

/* Errno for a final non-2xx storage answer: 404 -> -ENOENT, 401/403 ->
 * -EACCES, 400 -> -EINVAL, everything else -EIO. */
int cloud_status_errno(long status);

/* Wipe a string holding a secret (URL with a SAS, auth header) and free it. */
void cloud_free_secret(char *s);

/* Cloud reads are split into requests of at most this many bytes. */
#define CLOUD_MAX_REQUEST_BYTES ((size_t)64 << 20)

#endif
