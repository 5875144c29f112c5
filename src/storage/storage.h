/*
 * storage.h - one interface over a table's storage location.
 *
 * Contract: a `struct storage` is rooted at one table's location; every path
 * given to it is relative to that root ("" is the root, no leading '/').
 * list() returns every entry of a directory (files with exact size and mtime,
 * subdirectories) whose name a file system can show: storage_list() leaves
 * out names with '/' or a NUL or longer than 255 bytes (util/names.h) and
 * logs each once per process, stat() one entry, open()/read() serve byte ranges and
 * never return short before EOF. Backends know addressing and signing,
 * nothing about FUSE or SQLite. All functions are thread-safe and return 0 /
 * a byte count, or a negative errno (-ENOENT, -ENOTDIR, -EACCES, -EIO, ...).
 * Backends: `file` (local paths, what a local Unity Catalog OSS server uses;
 * served only at or below a root the caller allows, see storage_env) and
 * the cloud ones (s3, azure, gcs), which fetch over HTTPS through
 * net/http with credentials from a storage_creds_source (vended by Unity
 * Catalog per table, refreshed ahead of expiry). A cloud read checks that the
 * object still has the identity (ETag, size) it was opened with: a changed
 * object fails with -EIO rather than mixing versions. Secrets never reach a
 * log or an error message.
 *
 * Streamed reads (storage_read_stream) hand the bytes of a range to a sink
 * as they arrive from the network, in order, with no buffer in between;
 * the answer's status, range and identity are checked before the first
 * byte is handed over. A body cut short is resumed from where it stopped
 * (at most STORAGE_STREAM_ATTEMPTS requests in all).
 */
#ifndef UCFS_STORAGE_H
#define UCFS_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct storage_entry {
	char *name;
	bool is_dir;
	uint64_t size;
	struct timespec mtime;
	char *etag; /* object identity for caching; may be NULL */
};

struct storage_list {
	struct storage_entry *items;
	size_t n;
};

struct storage;
struct storage_file;
struct http_client;

/* Short-lived storage credentials of one table (NULL fields: not given). */
struct storage_creds {
	char *aws_access_key_id, *aws_secret_access_key, *aws_session_token, *aws_access_point;
	char *azure_sas;       /* query string, without a leading '?' */
	char *gcp_oauth_token; /* bearer token */
	int64_t expires_at_ms; /* epoch ms; 0 = no expiry given */
};
void storage_creds_clear(struct storage_creds *c);

/* Where a backend gets its table's current credentials. get() fills *out
 * (the caller clears it) or returns -EACCES/-EPERM (vending denied: the
 * reason in *err), -EIO... invalidate() is called after storage answered
 * 401/403, so the next get() fetches fresh ones. A NULL source means no
 * credentials (local files, or an emulator that needs none). */
struct storage_creds_source {
	int (*get)(void *ctx, struct storage_creds *out, char **err);
	void (*invalidate)(void *ctx);
	void *ctx;
};

/* Process-wide settings of the cloud backends (all may be NULL/false). */
struct storage_env {
	struct http_client *http; /* required by cloud backends */
	const char *s3_endpoint;  /* NULL: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS */
	const char *s3_region;    /* NULL: AWS_REGION, AWS_DEFAULT_REGION, else discovered */
	bool s3_path_style;       /* implied by a custom endpoint */
	const char *azure_endpoint; /* NULL: https://ACCOUNT.blob.<suffix of the dfs host>;
				       emulators: e.g. https://127.0.0.1:10000/ACCOUNT */
	const char *gcs_endpoint;   /* NULL: STORAGE_EMULATOR_HOST, else Google */
	/* file:// locations are served only at or below one of these
	 * directories (absolute real paths, e.g. an item's --allow-local roots),
	 * and nothing is resolved outside the table's own directory. None:
	 * file:// is refused with -EACCES. */
	const char *const *local_roots;
	size_t n_local_roots;
};

/* Where a streamed read delivers its bytes: data() is called with
 * consecutive pieces of the range; it returns 0, or a negative errno that
 * stops the read (and is returned by it). */
struct storage_sink {
	int (*data)(void *ctx, const char *p, size_t n);
	void *ctx;
};

#define STORAGE_STREAM_ATTEMPTS 3

struct storage_ops {
	const char *name;
	int (*list)(struct storage *st, const char *rel, struct storage_list *out);
	int (*stat)(struct storage *st, const char *rel, struct storage_entry *out);
	/* known: the entry as listed (size, etag), or NULL to look it up. */
	int (*open)(struct storage *st, const char *rel, const struct storage_entry *known,
		    struct storage_file **out);
	/* One of read / read_stream is required; storage.c builds the other. */
	ssize_t (*read)(struct storage_file *f, void *buf, size_t len, uint64_t off);
	/* Bytes [off, off+len) (clamped to the object's size) to sink: the count
	 * delivered, or -errno; -ECONNRESET when the body ended early or the
	 * transfer broke after some bytes were delivered (the caller resumes). */
	ssize_t (*read_stream)(struct storage_file *f, uint64_t off, size_t len,
			       const struct storage_sink *sink);
	/* The open file's descriptor (read-only, positioned reads), for replies
	 * spliced straight from it; NULL or -1 when there is none. */
	int (*fd)(struct storage_file *f);
	void (*close)(struct storage_file *f);
	void (*destroy)(struct storage *st);
};

struct storage {
	const struct storage_ops *ops;
	char *location; /* as Unity Catalog reported it */
};

/* Open the storage behind LOCATION. -EINVAL/-EPROTONOSUPPORT with *err set
 * for locations ucfs cannot read, -EACCES for a file:// location outside
 * env's local roots. creds may be NULL for file://; env NULL allows no
 * local root. */
int storage_new(const char *location, const struct storage_env *env,
		const struct storage_creds_source *creds, struct storage **out, char **err);
void storage_free(struct storage *st);

int storage_list(struct storage *st, const char *rel, struct storage_list *out);
int storage_stat(struct storage *st, const char *rel, struct storage_entry *out);
int storage_open(struct storage *st, const char *rel, const struct storage_entry *known,
		 struct storage_file **out);
ssize_t storage_read(struct storage_file *f, void *buf, size_t len, uint64_t off);
/* Stream [off, off+len) (clamped to EOF) to sink, resuming a body that was
 * cut short: bytes delivered, or -errno (the sink may have had some). */
ssize_t storage_read_stream(struct storage_file *f, uint64_t off, size_t len,
			    const struct storage_sink *sink);
/* The file's descriptor for spliced replies, or -1 (cloud objects). */
int storage_file_fd(struct storage_file *f);
void storage_close(struct storage_file *f);

void storage_entry_clear(struct storage_entry *e);
void storage_list_free(struct storage_list *l);

/* Backend constructors (one file each). */
struct storage_url;
/* The table at ROOT/REL (REL "" = ROOT itself), opened beneath ROOT. */
int storage_file_new(const char *location, const char *root, const char *rel,
		     struct storage **out, char **err);
int storage_s3_new(const char *location, const struct storage_url *u,
		   const struct storage_env *env, const struct storage_creds_source *creds,
		   struct storage **out, char **err);
int storage_azure_new(const char *location, const struct storage_url *u,
		      const struct storage_env *env, const struct storage_creds_source *creds,
		      struct storage **out, char **err);
int storage_gcs_new(const char *location, const struct storage_url *u,
		    const struct storage_env *env, const struct storage_creds_source *creds,
		    struct storage **out, char **err);

#endif
