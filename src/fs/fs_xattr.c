/*
 * fs_xattr.c - extended attributes of table directories: user.ucfs.full_name,
 * table_id, table_type, format and storage_location (read-only; setting or
 * removing one fails with EROFS in fs_readonly.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fs/fs_internal.h"
#include "util/strutil.h"

static const char *const xattr_names[] = {
	"user.ucfs.full_name", "user.ucfs.table_id", "user.ucfs.table_type",
	"user.ucfs.format",    "user.ucfs.storage_location",
};
#define N_XATTRS (sizeof(xattr_names) / sizeof(xattr_names[0]))

static const char *xattr_value(const struct mtable *m, size_t i)
{
	const char *v[] = {m->full_name, m->table_id, m->table_type, m->format, m->location};
	return v[i];
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct ucfs_fs *fs = fuse_req_userdata(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = tree_get(&fs->tree, ino);
	char *val = NULL;
	if (n && n->kind == N_TABLE)
		for (size_t i = 0; i < N_XATTRS; i++)
			if (!strcmp(name, xattr_names[i]))
				val = xstrdup(xattr_value(n->table, i));
	pthread_mutex_unlock(&fs->lock);
	if (!val) {
		fuse_reply_err(req, n ? ENODATA : ENOENT);
		return;
	}
	size_t len = strlen(val);
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, val, len);
	free(val);
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct ucfs_fs *fs = fuse_req_userdata(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = tree_get(&fs->tree, ino);
	bool table = n && n->kind == N_TABLE;
	pthread_mutex_unlock(&fs->lock);
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	char buf[256];
	size_t len = 0;
	for (size_t i = 0; table && i < N_XATTRS; i++) {
		size_t l = strlen(xattr_names[i]) + 1;
		memcpy(buf + len, xattr_names[i], l);
		len += l;
	}
	if (size == 0)
		fuse_reply_xattr(req, len);
	else if (size < len)
		fuse_reply_err(req, ERANGE);
	else
		fuse_reply_buf(req, buf, len);
}

void fs_xattr_ops(struct fuse_lowlevel_ops *o)
{
	o->getxattr = op_getxattr;
	o->listxattr = op_listxattr;
}
