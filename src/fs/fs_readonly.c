/*
 * fs_readonly.c - the mount is read-only: every operation that would change
 * something answers EROFS (the kernel's `ro` mount flag stops most of them
 * first; these cover the rest and any mount without it).
 */
#include <errno.h>

#include "fs/fs_internal.h"

static void rofs(fuse_req_t req) { fuse_reply_err(req, EROFS); }
static void op_setattr(fuse_req_t req, fuse_ino_t i, struct stat *a, int s, struct fuse_file_info *f)
{
	(void)i, (void)a, (void)s, (void)f;
	rofs(req);
}
static void op_mknod(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, dev_t d)
{
	(void)p, (void)n, (void)m, (void)d;
	rofs(req);
}
static void op_mkdir(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m)
{
	(void)p, (void)n, (void)m;
	rofs(req);
}
static void op_unlink(fuse_req_t req, fuse_ino_t p, const char *n)
{
	(void)p, (void)n;
	rofs(req);
}
static void op_symlink(fuse_req_t req, const char *l, fuse_ino_t p, const char *n)
{
	(void)l, (void)p, (void)n;
	rofs(req);
}
static void op_rename(fuse_req_t req, fuse_ino_t p, const char *n, fuse_ino_t np, const char *nn,
		      unsigned int f)
{
	(void)p, (void)n, (void)np, (void)nn, (void)f;
	rofs(req);
}
static void op_link(fuse_req_t req, fuse_ino_t i, fuse_ino_t np, const char *nn)
{
	(void)i, (void)np, (void)nn;
	rofs(req);
}
static void op_create(fuse_req_t req, fuse_ino_t p, const char *n, mode_t m, struct fuse_file_info *f)
{
	(void)p, (void)n, (void)m, (void)f;
	rofs(req);
}
static void op_write(fuse_req_t req, fuse_ino_t i, const char *b, size_t s, off_t o,
		     struct fuse_file_info *f)
{
	(void)i, (void)b, (void)s, (void)o, (void)f;
	rofs(req);
}
static void op_setxattr(fuse_req_t req, fuse_ino_t i, const char *n, const char *v, size_t s, int f)
{
	(void)i, (void)n, (void)v, (void)s, (void)f;
	rofs(req);
}
static void op_removexattr(fuse_req_t req, fuse_ino_t i, const char *n)
{
	(void)i, (void)n;
	rofs(req);
}
static void op_fallocate(fuse_req_t req, fuse_ino_t i, int m, off_t o, off_t l, struct fuse_file_info *f)
{
	(void)i, (void)m, (void)o, (void)l, (void)f;
	rofs(req);
}

void fs_readonly_ops(struct fuse_lowlevel_ops *o)
{
	o->setattr = op_setattr;
	o->mknod = op_mknod;
	o->mkdir = op_mkdir;
	o->unlink = op_unlink;
	o->rmdir = op_unlink;
	o->symlink = op_symlink;
	o->rename = op_rename;
	o->link = op_link;
	o->create = op_create;
	o->write = op_write;
	o->setxattr = op_setxattr;
	o->removexattr = op_removexattr;
	o->fallocate = op_fallocate;
}
