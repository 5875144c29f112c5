/*
 * fs_internal.h - shared by fs.c (FUSE operations) and fs_apply.c (applying
 * state snapshots to the tree); not for other modules.
 */
#ifndef UCFS_FS_INTERNAL_H
#define UCFS_FS_INTERNAL_H

#include <pthread.h>

#include "fs/fs.h"
#include "fs/nodes.h"

struct ucfs_fs {
	struct fs_config cfg;
	pthread_mutex_t lock;
	pthread_cond_t listed; /* a listing finished */
	struct tree tree;
	struct fuse_session *se; /* for cache invalidation; NULL before mounting */
	struct fs_backend backend;
};

struct timespec fs_now(void);

#endif
