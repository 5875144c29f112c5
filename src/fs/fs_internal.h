/*
 * fs_internal.h - shared by fs.c (FUSE operations) and fs_apply.c (applying
 * state snapshots to the tree); not for other modules.
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
};

/* The counters of item `name`, created on first use (tree lock held). */
struct io_stats *fs_item_stats(struct ucfs_fs *fs, const char *name);
/* MOUNT/.ucfs/stats.json: the data path's counters (tree lock held). */
char *fs_stats_json(struct ucfs_fs *fs);

struct timespec fs_now(void);

/* Parts of the operations table, one file each. */
void fs_xattr_ops(struct fuse_lowlevel_ops *o);    /* fs_xattr.c */
void fs_readonly_ops(struct fuse_lowlevel_ops *o); /* fs_readonly.c */

#endif
