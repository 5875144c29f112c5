/*
 * snapstore.h - the snapshot manifests of one disk cache: which files a
 * prefetched Delta snapshot of a table needs, with the identity each was
 * cached under, so a mount can pin them and show them when storage is out
 * of reach.
 *
 * Contract: one manifest per table location, in DIR/snapshots/<group>.json
 * (<group> = snap_group(location) in 16 hex digits), written to a temporary
 * file, fsync'ed and renamed: a crash leaves the old manifest or the new
 * one. Only the process holding the cache (its flock) writes them. Loading
 * is bounded (SNAP_MAX_MANIFESTS files of at most SNAP_MAX_JSON bytes, at
 * most SNAP_MAX_FILES files each, paths at most 4096 bytes made of names a
 * file system can show, no "." or ".." components); a manifest that breaks
 * a rule is ignored with a warning, never trusted in part. Thread-safe (one
 * mutex). Functions return 0 or a negative errno.
 */
#ifndef UCFS_CACHE_SNAPSTORE_H
#define UCFS_CACHE_SNAPSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "storage/storage.h"

#define SNAP_MAX_MANIFESTS 4096
#define SNAP_MAX_JSON (256u << 20)
#define SNAP_MAX_FILES 1000000
#define SNAP_INT_MAX (1LL << 53) /* integers are exact in JSON up to here */

struct snap_file {
	char *path; /* relative to the table's location */
	char *etag; /* may be NULL */
	uint64_t size;
	struct timespec mtime;
	uint8_t id[32]; /* the cache object's id (ocache_id of its identity) */
};

struct snap_manifest {
	char *location; /* the table's storage location, as Unity Catalog gave it */
	char *table;    /* item.schema.table when it was prefetched (for people) */
	uint64_t version;
	bool pinned;
	int64_t created; /* unix seconds */
	struct snap_file *files;
	size_t nfiles;
	uint64_t bytes; /* sum of the files' sizes */
};

/* A location's group tag: FNV-1a 64 of it, never 0. */
uint64_t snap_group(const char *location);

struct snapstore;
/* Load DIR/snapshots (created 0700 when missing). */
int snapstore_open(const char *cache_dir, struct snapstore **out);
void snapstore_free(struct snapstore *s); /* NULL-safe */
void snap_manifest_free(struct snap_manifest *m); /* NULL-safe */

/* The ids of every file of every pinned manifest (*ids malloc'ed). */
int snapstore_pinned_ids(struct snapstore *s, uint8_t (**ids)[32], size_t *n);
/* Record M (owned from now on, also on error), replacing its location's
 * manifest, which is handed back in *old (NULL when none; caller frees). */
int snapstore_put(struct snapstore *s, struct snap_manifest *m, struct snap_manifest **old);
/* Forget LOCATION's manifest (handed back in *old; -ENOENT when none). */
int snapstore_remove(struct snapstore *s, const char *location, struct snap_manifest **old);
/* Pin or unpin LOCATION's manifest (rewritten); -ENOENT when none. */
int snapstore_set_pinned(struct snapstore *s, const char *location, bool pinned);
/* Call FN with LOCATION's manifest, under the store's lock (-ENOENT: none). */
int snapstore_visit(struct snapstore *s, const char *location,
		    void (*fn)(const struct snap_manifest *m, void *ctx), void *ctx);
/* The entries of directory REL ("" = the location's root) in LOCATION's
 * manifest: its files, and the subdirectories files lie in (mtime of the
 * newest file below). -ENOENT when there is no manifest, -ENOTDIR when REL
 * holds none of its files. *version: the manifest's (may be NULL). */
int snapstore_list(struct snapstore *s, const char *location, const char *rel,
		   struct storage_list *out, uint64_t *version);

/* Pure, for tests: parse / print one manifest. */
int snap_manifest_parse(const char *json, size_t len, struct snap_manifest **out, char **err);
char *snap_manifest_json(const struct snap_manifest *m);

#endif
