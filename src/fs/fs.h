/*
 * fs.h - the FUSE file system (low-level API): MOUNT/<item>/<schema>/<table>/...
 *
 * Contract: the item/schema/table levels come from the state database (added
 * with fs_add_item/fs_add_table before the session starts); below a table
 * the table's storage location is presented as it is (names, sizes, mtimes)
 * through the storage interface, listed lazily and cached in memory.
 * Listings inside _delta_log go stale after log_ttl seconds (new commits
 * appear); other listings after dir_ttl, and a lookup miss re-checks storage.
 * Everything is read-only: write operations fail with EROFS. Table
 * directories carry user.ucfs.* extended attributes. MOUNT/<lakehouse>/
 * Tables/<shortcut> shows a mirrored table under a second name.
 * MOUNT/Volumes/<catalog>/<schema>/<volume>/ shows the volumes of items that
 * mirror them, each presented like a table's location (without _delta_log
 * handling), as Databricks' /Volumes lays them out.
 * ucfs's own files live in dot-directories, listed like any other entry
 * (plain `ls` leaves them out, `ls -a` shows them): MOUNT/.ucfs/stats.json
 * (the data path's counters), MOUNT/.ucfs/duckdb.sql and spark.sql (the
 * tables by name, core/sqldefs.h) and model.json (columns and keys,
 * core/tablemodel.h), remade at every applied sync, and
 * MOUNT/<item>/.ucfs/status.json (the item's status document). Names starting with '.' are reserved for them: no item,
 * schema or table can take one.
 */
#ifndef UCFS_FS_H
#define UCFS_FS_H

#define FUSE_USE_VERSION 312 /* 312+: fuse_session_loop_mt takes a fuse_loop_config object */
#include <fuse_lowlevel.h>
#include <stdbool.h>
#include <sys/types.h>


struct fs_config {
	double meta_timeout; /* item/schema/table entries and attributes */
	double attr_timeout; /* immutable storage entries */
	double log_ttl;      /* _delta_log listings, entries and attributes */
	double dir_ttl;      /* other storage listings */
	unsigned max_read;   /* largest read request, bytes (also given to libfuse) */
	unsigned readahead;  /* the kernel's readahead, bytes */
	uid_t uid;
	gid_t gid;
	bool volumes_root; /* the mount is /Volumes: only the volumes, catalogs at the top */
	/* The mount's absolute path (not copied: must outlive the fs), for the
	 * paths in MOUNT/.ucfs/duckdb.sql, spark.sql and model.json; NULL: no
	 * such files. */
	const char *mountpoint;
};

struct ucfs_fs;
struct mount_view;
struct storage_env;
struct storage_creds;
struct reader_pool;
struct snapstore;

/* How tables reach cloud storage: process-wide endpoints and the source of
 * vended credentials per (item, table or volume: id is a volume id when
 * volume is true). Without it only file:// works. */
struct fs_backend {
	const struct storage_env *env;
	int (*creds)(void *ctx, const char *item, bool volume, const char *id,
		     const char *full_name, struct storage_creds *out, char **err);
	void (*invalidate)(void *ctx, const char *item, bool volume, const char *id);
	void *ctx;
	struct reader_pool *pool; /* disk cache + readahead for cloud files (may be NULL) */
	/* Prefetched snapshots of the cache (may be NULL): a cloud table whose
	 * listing fails shows its manifest's files instead. */
	struct snapstore *snaps;
	bool offline; /* -o offline: nothing is fetched; say so when a read fails */
};

struct ucfs_fs *fs_new(const struct fs_config *cfg);
void fs_free(struct ucfs_fs *fs);
/* Set before the tables are read (copied). */
void fs_set_backend(struct ucfs_fs *fs, const struct fs_backend *b);
/* Once mounted: lets fs_apply() invalidate the kernel's caches. */
void fs_set_session(struct ucfs_fs *fs, struct fuse_session *se);
/* Make the tree show VIEW: items (with their mirrored tables and their
 * .ucfs/status.json), lakehouses with their working shortcuts, volumes. Only what
 * changed is replaced; kernel entries of what changed are invalidated, and
 * every table's _delta_log (and root) listing is refreshed. Returns the
 * number of changed entries, or a negative errno. */
int fs_apply(struct ucfs_fs *fs, const struct mount_view *view);
const struct fuse_lowlevel_ops *fs_lowlevel_ops(void);
/* One cache control request (the control socket's, daemon/control.h):
 * the answer object (never NULL unless out of memory). Thread-safe. */
struct cJSON;
struct cJSON *fs_control(struct ucfs_fs *fs, const struct cJSON *req);
/* After the session ended: stop the threads listing ahead of walks and
 * close the handles the kernel never released (call before freeing what
 * their storage uses). */
void fs_release_all(struct ucfs_fs *fs);

#endif
