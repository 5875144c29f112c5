/*
 * fs_internal.h - shared by fs.c (FUSE operations), fs_file.c (open files),
 * fs_apply.c (applying state snapshots to the tree) and the other fs_*.c;
 * not for other modules.
 */
#ifndef UCFS_FS_INTERNAL_H
#define UCFS_FS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "fs/fs.h"
#include "fs/nodes.h"

/* Open directory and file handles are kept on a list: the kernel does not
 * release the ones still open when a mount goes away. */
struct hlink {
	struct hlink *prev, *next;
	bool is_dir;
};

/* Counters of one mirrored item, kept for the mount's lifetime. */
struct item_stats {
	char *name;
	struct io_stats s;
	struct item_stats *next;
};

struct ucfs_fs {
	struct fs_config cfg;
	pthread_mutex_t lock;
	pthread_cond_t listed; /* a listing finished */
	struct tree tree;
	struct fuse_session *se; /* for cache invalidation; NULL before mounting */
	struct fs_backend backend;
	struct item_stats *stats;
	pthread_mutex_t hlock;
	struct hlink handles; /* circular list head */
	bool volumes_shadowed_logged; /* an item named Volumes hides them (fs_apply.c) */
	struct ahead *ahead;          /* work ahead of readers (fs_ahead.c) */
	uint64_t relisted;            /* _delta_log listings it took ahead of walks */
	uint64_t ahead_fetched;       /* commit files it read into the cache */
};

/* MOUNT/Volumes: the mirrored volumes, as /Volumes on Databricks. */
#define VOLUMES_DIR "Volumes"

/* The counters of item `name`, created on first use (tree lock held). */
struct io_stats *fs_item_stats(struct ucfs_fs *fs, const char *name);
/* MOUNT/.ucfs/stats.json: the data path's counters (tree lock held). */
char *fs_stats_json(struct ucfs_fs *fs);

struct timespec fs_now(void);

/* Owner, group and permission bits the mount shows for n (fs_access.c;
 * tree lock held). */
void fs_node_perm(const struct ucfs_fs *fs, const struct node *n, uid_t *uid, gid_t *gid,
		  mode_t *mode);

/* The identity a cloud file is cached under (objcache.h): location, path
 * in it, ETag and size (fs_file.c). Malloc'ed, NULL when out of memory. */
char *fs_cache_identity(const char *location, const char *rel, const char *etag, uint64_t size);

/* Prefetched snapshots (fs_snapshot.c; tree lock held). A listing of DIR
 * failed with ERR: fill *L from the manifest of its table's location
 * instead (true), logging when the table starts being served that way. */
bool fs_snapshot_listing(struct ucfs_fs *fs, struct node *dir, int err, struct storage_list *l);
/* A listing of M's storage worked: say so when it was served from a
 * snapshot until now. */
void fs_snapshot_online(struct mtable *m);
/* Make dir's children reflect storage within its TTL (lock held; dropped
 * while listing). */
int fs_ensure_listed(struct ucfs_fs *fs, struct node *dir);
/* Is M in cloud storage while the mount is offline (nothing is fetched)? */
bool fs_offline_cloud(const struct ucfs_fs *fs, const struct mtable *m);
/* Does the cache hold a snapshot manifest of M's location? */
bool fs_snapshot_has(struct ucfs_fs *fs, const struct mtable *m);

/* Make dir's children reflect storage as of at most max_age seconds ago
 * (lock held; dropped while listing). */
int fs_list_within(struct ucfs_fs *fs, struct node *dir, double max_age);
/* Seconds since dir was listed, or -1 when its children are not listed. */
double fs_listing_age(const struct node *dir);

/* Work ahead of readers (fs_ahead.c; lock held). TABLE was opened as a
 * directory: when a walk of its siblings shows, their stale _delta_log
 * listings are queued and taken again by a few threads. FILE, a commit
 * file, was opened: the commits from the newest checkpoint on are read into
 * the disk cache. Stop: joins the threads (lock NOT held; after the session
 * ended). */
void fs_ahead_walk(struct ucfs_fs *fs, struct node *table);
void fs_ahead_commits(struct ucfs_fs *fs, struct node *file);
void fs_ahead_stop(struct ucfs_fs *fs);
/* Read cloud file INO whole (at most max bytes) into the disk cache
 * through the read path (fs_file.c; lock NOT held): 1 when done, 0 when it
 * is not a cached cloud file or is larger, or -errno. */
int fs_file_warm(struct ucfs_fs *fs, uint64_t ino, uint64_t max);

/* Storage of a table, opened on first use (lock held; dropped around I/O). */
struct storage *fs_table_storage(struct ucfs_fs *fs, struct mtable *m, int *err);

/* A consistent _delta_log (fs_deltalog.c; tree lock held unless said). */
struct log_cover {
	uint64_t gen;
	char *hint;
	bool oom;
};
/* Is n a table's _delta_log directory? */
bool fs_is_log_dir(const struct node *n);
/* Lookup of LOG/_last_checkpoint: reads it from storage and returns the
 * node holding that content (a new one when it changed), or NULL with *err
 * (-ENOENT when there is none). *inval: the inode whose kernel caches must
 * go once the lock is released (fs_log_inval), or 0. */
struct node *fs_log_lookup_hint(struct ucfs_fs *fs, struct node *log, uint64_t *inval, int *err);
/* A hint with content identity id was read: returns log's inode when its
 * listing was dropped (not known to cover it), else 0. */
uint64_t fs_log_hint_seen(struct node *log, const char *id);
/* Around a storage listing of a directory: end() tells whether the listing
 * covers every hint read before it started (else dir->listed is cleared
 * again and it should be taken again). */
void fs_log_listing_begin(const struct node *dir, struct log_cover *c);
bool fs_log_listing_end(struct node *dir, struct log_cover *c);
/* Drop the kernel's cached listing and attributes of inode ino (0: none).
 * Lock NOT held. */
void fs_log_inval(struct ucfs_fs *fs, uint64_t ino);

/* fs.c helpers shared with fs_file.c: the one file rewritten in place
 * (_delta_log/_last_checkpoint); a dynamic virtual file's content made
 * anew (tree lock held); the list of open handles. */
bool fs_is_mutable_file(const struct node *n);
void fs_regen_vfile(struct ucfs_fs *fs, struct node *n);
void fs_track(struct ucfs_fs *fs, struct hlink *l, bool is_dir);
void fs_untrack(struct ucfs_fs *fs, struct hlink *l);

/* Parts of the operations table, one file each. */
void fs_file_ops(struct fuse_lowlevel_ops *o);     /* fs_file.c: open, read, release */
void fs_file_free(struct hlink *l);                /* fs_file.c: a handle never released */
void fs_xattr_ops(struct fuse_lowlevel_ops *o);    /* fs_xattr.c */
void fs_readonly_ops(struct fuse_lowlevel_ops *o); /* fs_readonly.c */

#endif
