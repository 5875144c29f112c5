/*
 * tokencache.h - the Databricks CLI's token cache file on disk
 * (~/.databricks/token-cache.json; format in uc/oauth_util.h).
 *
 * Contract: tokencache_open() takes an exclusive flock on the sidecar
 * token-cache.json.lock (dir created 0700, files 0600) and reads the cache:
 * every read-modify-write of ucfs is serialized against other ucfs
 * processes, so a concurrent writer never loses another's entries (the Go
 * CLI keeps no lock, but writes whole files too). tokencache_save() writes
 * a temporary file (0600) in the same directory and renames it over the
 * cache. Size is bounded (OAUTH_CACHE_MAX_BYTES); a symlink or a file not
 * owned by the user is refused (an answer never chooses a path: the path
 * comes from $HOME only). Errors: negative errno with a malloc'ed one-line
 * *err naming the file (never its content).
 */
#ifndef UCFS_UC_TOKENCACHE_H
#define UCFS_UC_TOKENCACHE_H

#include <stdbool.h>

#include "uc/oauth_util.h"

struct tokencache {
	char *path;    /* .../token-cache.json */
	int lock_fd;   /* held until tokencache_close() */
	struct oauth_cache *doc;
};

/* CREATE: make the directory when missing (login); otherwise a missing
 * cache gives an empty document (and no lock file is created). */
int tokencache_open(bool create, struct tokencache *tc, char **err);
int tokencache_save(struct tokencache *tc, char **err);
void tokencache_close(struct tokencache *tc);

/* $HOME/.databricks/token-cache.json, malloc'ed; NULL without HOME. */
char *tokencache_path(void);

#endif
