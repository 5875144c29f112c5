/*
 * fs_xattr.c - extended attributes of table directories: user.ucfs.full_name,
 * table_id, table_type, format and storage_location; of volume directories:
 * user.ucfs.full_name, volume_id, volume_type and storage_location
 * (read-only; setting or removing one fails with EROFS in fs_readonly.c).
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
static const char *const volume_xattr_names[N_XATTRS] = {
	"user.ucfs.full_name", "user.ucfs.volume_id", "user.ucfs.volume_type",
	"user.ucfs.storage_location", NULL,
};

/* The i-th attribute name of m's directory (NULL: none). */
static const char *xattr_name(const struct mtable *m, size_t i)
{
	return m->volume ? volume_xattr_names[i] : xattr_names[i];
}

static const char *xattr_value(const struct mtable *m, size_t i)
{
	const char *v[] = {m->full_name, m->table_id, m->table_type, m->format, m->location};
	const char *vol[] = {m->full_name, m->table_id, m->table_type, m->location, NULL};
	return m->volume ? vol[i] : v[i];
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct ucfs_fs *fs = fuse_req_userdata(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = tree_get(&fs->tree, ino);
	char *val = NULL;
	if (n && n->kind == N_TABLE)
		for (size_t i = 0; i < N_XATTRS; i++)
			if (xattr_name(n->table, i) && !strcmp(name, xattr_name(n->table, i)))
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
	const struct mtable *m = n && n->kind == N_TABLE ? n->table : NULL;
	pthread_mutex_unlock(&fs->lock);
	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	char buf[256];
	size_t len = 0;
	for (size_t i = 0; m && i < N_XATTRS && xattr_name(m, i); i++) {
		size_t l = strlen(xattr_name(m, i)) + 1;
		memcpy(buf + len, xattr_name(m, i), l);
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
