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
 * directories carry user.ucfs.* extended attributes.
 */
#ifndef UCFS_FS_H
#define UCFS_FS_H

#define FUSE_USE_VERSION 35
#include <fuse_lowlevel.h>
#include <sys/types.h>

#include "core/state.h"

struct fs_config {
	double meta_timeout; /* item/schema/table entries and attributes */
	double attr_timeout; /* immutable storage entries */
	double log_ttl;      /* _delta_log listings, entries and attributes */
	double dir_ttl;      /* other storage listings */
	uid_t uid;
	gid_t gid;
};

struct ucfs_fs;

struct ucfs_fs *fs_new(const struct fs_config *cfg);
void fs_free(struct ucfs_fs *fs);
int fs_add_item(struct ucfs_fs *fs, const char *item);
/* Add a mirrored table (rows with a skip reason are ignored). */
int fs_add_table(struct ucfs_fs *fs, const char *item, const char *catalog,
		 const struct table_row *t);
const struct fuse_lowlevel_ops *fs_lowlevel_ops(void);

#endif
