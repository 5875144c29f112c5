/*
 * listing.h - parse cloud "list one directory" answers into storage entries.
 *
 * Contract: pure (no network). Each parser reads one page of a hierarchical
 * listing requested with PREFIX and delimiter "/" and APPENDS its entries to
 * *out, so a caller loops over pages with the continuation token and the same
 * list. PREFIX is the prefix exactly as sent: "" (bucket/container root) or a
 * key prefix ending in '/' (anything else is -EINVAL).
 *
 *  - Entry names are relative to PREFIX, exactly as stored (XML unescaped by
 *    libexpat, JSON unescaped by cJSON; '%', spaces, UTF-8 are kept as they
 *    are). Directory names carry no trailing '/'.
 *  - Files get size, mtime and etag (quotes removed); directories size 0,
 *    mtime 0, etag NULL.
 *  - Skipped, not errors: the object equal to PREFIX itself (a "directory
 *    marker" key ending in '/') and the artefacts of keys with "//" or "."
 *    components (empty names, ".", ".."). Other names are returned as they
 *    are, even those no file system can show (with '/' from a decoded %2F,
 *    longer than 255 bytes, or with a NUL - from "%00" or JSON "\u0000",
 *    marked as util/names.h describes, never truncated): storage_list()
 *    leaves those out and logs them.
 *  - *next (may be NULL if the caller does not want it) gets the continuation
 *    token / marker for the next page, or NULL when this page is the last.
 *
 * Errors: -EBADMSG with *err (may be NULL) set to a one-line reason for any
 * answer that is not what the API documents: malformed or truncated XML/JSON,
 * a wrong root element (e.g. an <Error> document), a DOCTYPE (never sent by
 * these services; refused so no entity can expand), an entry without a name,
 * a size that is not a non-negative integer, a missing or unparsable time, a
 * name outside PREFIX, a truncated page without a continuation token. -ENOMEM
 * and -EINVAL as usual. On any error *out and *next are left as they were
 * before the call (nothing is appended) and nothing leaks.
 */
#ifndef UCFS_LISTING_H
#define UCFS_LISTING_H

#include <stddef.h>
#include <time.h>

#include "storage/storage.h"

/*
 * S3 ListObjectsV2 (list-type=2&prefix=P&delimiter=/): Contents -> files
 * (Key minus Prefix, Size, LastModified, ETag), CommonPrefixes/Prefix ->
 * directories, NextContinuationToken when IsTruncated is true. Answers made
 * with encoding-type=url (EncodingType "url") are decoded ('+' is a space).
 */
int listing_parse_s3(const char *xml, size_t len, const char *prefix, struct storage_list *out,
		     char **next_token, char **err);

/*
 * Azure Blob List Blobs (restype=container&comp=list&prefix=P&delimiter=/,
 * best with include=metadata): Blobs/Blob -> Name, Properties/Content-Length,
 * Last-Modified (RFC 1123), Etag; Blobs/BlobPrefix/Name -> directories;
 * NextMarker (empty: last page). Names with Encoded="true" are
 * percent-decoded. ADLS Gen2 directories, listed as zero-length blobs with
 * Metadata/hdi_isfolder=true or Properties/ResourceType=directory, become
 * directories, and a directory already in *out (from this or an earlier page,
 * e.g. also listed as BlobPrefix) is not added twice.
 */
int listing_parse_azure(const char *xml, size_t len, const char *prefix, struct storage_list *out,
			char **next_marker, char **err);

/*
 * GCS JSON API objects.list (prefix=P&delimiter=/): items[] -> files (name,
 * size as a decimal string, updated (RFC 3339), etag, else md5Hash and/or
 * generation as "md5Hash#generation"), prefixes[] -> directories,
 * nextPageToken.
 */
int listing_parse_gcs(const char *json, size_t len, const char *prefix, struct storage_list *out,
		      char **next_token, char **err);

/* "2009-10-12T17:50:30.000Z", "2024-01-02T03:04:05.123456789+01:00" (RFC 3339:
 * 'T' or ' ' separator, optional fraction, 'Z' or +-hh:mm / +-hhmm required).
 * 0 or -EINVAL. */
int listing_parse_time_iso8601(const char *s, struct timespec *ts);
/* "Wed, 09 Sep 2009 09:20:02 GMT" (RFC 1123, as in HTTP dates). 0 or -EINVAL. */
int listing_parse_time_rfc1123(const char *s, struct timespec *ts);

#endif
