/*
 * endpoint.h - where a cloud storage request goes: the mapping from a table
 * location (struct storage_url), the endpoint settings and a path relative
 * to the table root to the request URLs of S3, Azure Blob and GCS.
 *
 * Contract: pure - no network, no credentials kept, no clock, no getenv, no
 * logging. Settings that come from the environment (AWS_ENDPOINT_URL_S3,
 * AWS_ENDPOINT_URL, STORAGE_EMULATOR_HOST, UCFS_LIST_PAGE_SIZE, ...) are
 * read by the backends and passed in. Functions returning char * give a
 * malloc'ed string, NULL only on ENOMEM. Functions returning int give 0 or a
 * negative errno (-EINVAL for input that cannot be addressed, with *err set
 * when ERR is non-NULL and the function takes one; -ENOMEM) and leave their
 * outputs zeroed on failure (free them with the matching _free anyway: it
 * is safe on a zeroed struct). endpoint_azure_url() is the only function
 * given a secret (the SAS): wipe what it returns (cloud_free_secret).
 *
 * Relative paths and keys: REL is relative to the table root ("" or NULL is
 * the root, no leading '/'). The object key is PREFIX/REL joined with one
 * '/' (either may be empty). Keys are raw (never pre-encoded: "part=a%20b"
 * is the key with a literal '%'); each builder encodes for its service:
 *   S3     sigv4_uri_encode(key, false): A-Z a-z 0-9 - . _ ~ and '/' kept,
 *          every other byte %XX (space %20, '+' %2B, '%' %25, UTF-8 per byte)
 *   Azure  "/" + the key with the same set kept ('/' kept)
 *   GCS    the key as one path segment: the same set, but '/' is %2F
 * Query values (prefixes, markers, tokens) always encode '/' as %2F.
 *
 * S3 (s3://BUCKET/PREFIX, s3a://): a custom endpoint (the first non-empty of
 * the configured one, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL) means
 * path-style ORIGIN[/BASE]/BUCKET/KEY with Host = the endpoint's host[:port]
 * (default port dropped). On AWS: virtual-hosted
 * https://BUCKET.s3.REGION.amazonaws.com/KEY (".com.cn" for cn-* regions),
 * or path-style https://s3.REGION.amazonaws.com/BUCKET/KEY when path_style
 * is set or the bucket is not a DNS/TLS-safe label (dots, uppercase, '_',
 * length outside 3..63, leading/trailing '-'). "global" targets the
 * region-less s3.amazonaws.com (region discovery). An access point replaces
 * the bucket: an alias is addressed like a bucket; an ARN
 * arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME goes to
 * https://NAME-ACCOUNT.s3-accesspoint.REGION.amazonaws.com/KEY and is signed
 * for the ARN's region (under a custom endpoint: path-style with NAME).
 *
 * Azure (abfss/abfs/wasbs/wasb://CONTAINER@ACCOUNT.dfs.SUFFIX/PREFIX): the
 * Blob endpoint is the override (trailing '/' dropped; Azurite:
 * https://127.0.0.1:10000/ACCOUNT, i.e. path-style) or
 * https://ACCOUNT.blob.SUFFIX (".dfs." swapped for ".blob.", the suffix kept;
 * a host without ".dfs." is used as it is). Blob URL: ENDPOINT/CONTAINER/KEY.
 *
 * GCS (gs://BUCKET/PREFIX): JSON API at the endpoint (the configured one or
 * STORAGE_EMULATOR_HOST; "host:port" without a scheme means http://; else
 * https://storage.googleapis.com): ORIGIN/storage/v1/b/BUCKET/o/NAME for
 * metadata, + ?alt=media for content, ORIGIN/storage/v1/b/BUCKET/o?prefix=...
 * for listings.
 */
#ifndef UCFS_ENDPOINT_H
#define UCFS_ENDPOINT_H

#include <stdbool.h>
#include <stdint.h>

struct storage_url;

/* ---- shared ---- */

/* The first non-empty of A, B, C (a configured value, then environment
 * variables), or NULL. */
const char *endpoint_pick(const char *a, const char *b, const char *c);

/* REL has only real components (no empty, "." or ".."); "" and NULL are. */
bool endpoint_rel_valid(const char *rel);

/* PREFIX and REL joined with one '/' ("" + "" = ""); NULLs count as "". */
char *endpoint_join_key(const char *prefix, const char *rel);

/* What lists the directory KEY: "" for the root "", else "KEY/". */
char *endpoint_dir_prefix(const char *key);

/* A listing page size setting ($UCFS_LIST_PAGE_SIZE): 1..5000 in plain
 * decimal, anything else (NULL, "", "0", "5001", "12x") is 0 = the service
 * default. */
int endpoint_page_size(const char *v);

/* "bytes FIRST-LAST/TOTAL" ("bytes=" and surrounding blanks tolerated;
 * TOTAL may be '*': *total = UINT64_MAX). 0, or -EINVAL for anything else
 * (garbage, overflow, trailing text, LAST < FIRST). */
int endpoint_parse_content_range(const char *v, uint64_t *first, uint64_t *last,
				 uint64_t *total);

/* ---- S3 ---- */

struct endpoint_s3 {
	char *bucket;    /* as in the location */
	char *prefix;    /* "" or "a/b" (no leading/trailing '/') */
	char *ep_origin; /* custom endpoint "scheme://host[:port]", NULL: AWS */
	char *ep_host;   /* its host[:port] as sent in Host */
	char *ep_base;   /* its path, "" or "/x" (no trailing '/') */
	bool path_style; /* configured, or implied by a custom endpoint */
};

/* ENDPOINT: the custom endpoint URL (http or https) or NULL/"" for AWS.
 * LOCATION is only for messages. -EINVAL: no bucket, bad endpoint. */
int endpoint_s3_init(struct endpoint_s3 *e, const char *location, const struct storage_url *u,
		     const char *endpoint, bool path_style, char **err);
void endpoint_s3_free(struct endpoint_s3 *e);

/* An AWS region name: 1..63 of [a-z0-9-]. */
bool endpoint_s3_region_valid(const char *r);

/* A bucket name usable as a TLS-safe DNS label (virtual-hosted style). */
bool endpoint_s3_bucket_dns_safe(const char *b);

/* The raw key PREFIX/REL; DIR: with a trailing '/' unless it is "" (a
 * listing prefix). */
char *endpoint_s3_key(const struct endpoint_s3 *e, const char *rel, bool dir);

/* Where the requests of one credential set go. */
struct endpoint_s3_target {
	char *origin;    /* scheme://host[:port] */
	char *host;      /* Host header as signed */
	char *base;      /* path before "/KEY": "" or "/bucket" (encoded) */
	char region[64]; /* signing region */
};

/* ACCESS_POINT: the vended access point (alias or ARN) or NULL. REGION: the
 * signing region. GLOBAL: the region-less AWS endpoint (region discovery).
 * -EINVAL: an ARN that is not an S3 access point ARN. */
int endpoint_s3_target(const struct endpoint_s3 *e, const char *access_point, const char *region,
		       bool global, struct endpoint_s3_target *t);
void endpoint_s3_target_free(struct endpoint_s3_target *t);

/* For raw KEY (NULL: the bucket itself) and QUERY (already encoded, without
 * '?', NULL/"" for none): *path = the canonical URI to sign (encoded as
 * sent, "/" for the bucket on a virtual host) and *url =
 * ORIGIN PATH [?QUERY]. */
int endpoint_s3_request(const struct endpoint_s3_target *t, const char *key, const char *query,
			char **path, char **url);

/* ListObjectsV2 query for the raw prefix PFX ("" or ending in '/'):
 * list-type=2&prefix=P&delimiter=%2F&encoding-type=url[&max-keys=N]
 * [&continuation-token=T]. MAX_KEYS <= 0: not sent. TOKEN may be NULL. */
char *endpoint_s3_list_query(const char *pfx, int max_keys, const char *token);

/* ---- Azure ---- */

struct endpoint_azure {
	char *base_url;  /* BLOB_ENDPOINT/CONTAINER (encoded), no trailing '/' */
	char *prefix;    /* "" or "a/b" */
	char *account;   /* the host's first label, for messages */
	char *container; /* as in the location, for messages */
};

/* ENDPOINT: the Blob endpoint override or NULL/"". -EINVAL: the location
 * has no container or no ACCOUNT.HOST. */
int endpoint_azure_init(struct endpoint_azure *e, const char *location,
			const struct storage_url *u, const char *endpoint, char **err);
void endpoint_azure_free(struct endpoint_azure *e);

/* The account's Blob endpoint for the location host HOST (no trailing '/'). */
char *endpoint_azure_blob_endpoint(const char *host, const char *endpoint);

/* "/" + the raw blob name KEY encoded ('/' kept). */
char *endpoint_azure_blob_path(const char *key);

/* List Blobs query for the raw prefix PFX: restype=container&comp=list&
 * prefix=P&delimiter=%2F&include=metadata[&marker=M][&maxresults=N].
 * MARKER may be NULL, MAX <= 0: not sent. */
char *endpoint_azure_list_query(const char *pfx, const char *marker, int max);

/* base_url PATH [?QUERY] [&SAS]: PATH "" (the container) or from
 * endpoint_azure_blob_path; QUERY encoded or NULL; SAS (leading '?'s
 * ignored) or NULL. Holds the SAS: wipe it after use. */
char *endpoint_azure_url(const struct endpoint_azure *e, const char *path, const char *query,
			 const char *sas);

/* ---- GCS ---- */

struct endpoint_gcs {
	char *base_url; /* ORIGIN/storage/v1/b/BUCKET (encoded) */
	char *prefix;   /* "" or "a/b" */
};

#define ENDPOINT_GCS_DEFAULT "https://storage.googleapis.com"

/* ENDPOINT: the configured one or STORAGE_EMULATOR_HOST, NULL/"" for
 * Google. -EINVAL: no bucket. */
int endpoint_gcs_init(struct endpoint_gcs *e, const char *location, const struct storage_url *u,
		      const char *endpoint, char **err);
void endpoint_gcs_free(struct endpoint_gcs *e);

/* The JSON API origin for ENDPOINT (see above), no trailing '/'. */
char *endpoint_gcs_origin(const char *endpoint);

/* objects.get metadata URL of raw object name KEY. */
char *endpoint_gcs_object_url(const struct endpoint_gcs *e, const char *key);

/* objects.get content URL: ...?alt=media[&ifGenerationMatch=G]
 * (GENERATION NULL: not sent). */
char *endpoint_gcs_media_url(const struct endpoint_gcs *e, const char *key,
			     const char *generation);

/* objects.list URL: base_url/o?prefix=P&delimiter=%2F[&pageToken=T]
 * [&maxResults=N]; TOKEN may be NULL, MAX <= 0: not sent. */
char *endpoint_gcs_list_url(const struct endpoint_gcs *e, const char *pfx, const char *token,
			    int max);

#endif
