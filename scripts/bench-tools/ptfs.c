/*
 * ptfs - the bench's FUSE ceiling: a minimal, read-only, low-level passthrough
 * of one local directory, as fast as libfuse lets a FUSE file system be.
 *
 *   ptfs SOURCE_DIR MOUNTPOINT [-f] [-o FUSE options]
 *
 * Built by scripts/bench with the system libfuse3 (not part of ucfs). What makes
 * it the ceiling for a FUSE reader of an object held in memory:
 *   - reads never copy in user space: fuse_reply_data() is given the source
 *     file descriptor (FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK) and libfuse splices
 *     the pages from it to /dev/fuse (FUSE_CAP_SPLICE_WRITE | _MOVE);
 *   - a fixed pool of worker threads (fuse_session_loop_mt with the 3.12 loop
 *     configuration), not a thread per request;
 *   - keep_cache on open, long entry/attribute timeouts (the tree is read-only),
 *     1 MiB readahead requests (as ucfs asks for).
 * Contract: the source tree must not change while mounted (everything is cached
 * in the kernel); lookups hold one O_PATH descriptor per known inode, released
 * when the kernel forgets the inode.
 */
#define FUSE_USE_VERSION 312
#define _GNU_SOURCE
#include <fuse_lowlevel.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define TIMEOUT 86400.0
#define NBUCKETS 4096

struct inode {
	int fd; /* O_PATH */
	ino_t ino;
	dev_t dev;
	uint64_t nlookup;
	struct inode *next;
};

static struct inode root;
static struct inode *table[NBUCKETS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static struct inode *ino_of(fuse_ino_t n) { return n == FUSE_ROOT_ID ? &root : (struct inode *)(uintptr_t)n; }

static size_t bucket(ino_t ino, dev_t dev) { return (size_t)((ino * 31u) ^ dev) % NBUCKETS; }

static void pt_init(void *ud, struct fuse_conn_info *conn)
{
	(void)ud;
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	if (conn->capable & FUSE_CAP_SPLICE_MOVE)
		conn->want |= FUSE_CAP_SPLICE_MOVE;
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	conn->max_readahead = 1u << 20;
}

static void pt_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;
	memset(&e, 0, sizeof(e));
	int fd = openat(ino_of(parent)->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	if (fstatat(fd, "", &e.attr, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		int err = errno;
		close(fd);
		fuse_reply_err(req, err);
		return;
	}
	pthread_mutex_lock(&lock);
	size_t b = bucket(e.attr.st_ino, e.attr.st_dev);
	struct inode *in = table[b];
	while (in && !(in->ino == e.attr.st_ino && in->dev == e.attr.st_dev))
		in = in->next;
	if (in) {
		close(fd);
	} else if ((in = calloc(1, sizeof(*in)))) {
		in->fd = fd;
		in->ino = e.attr.st_ino;
		in->dev = e.attr.st_dev;
		in->next = table[b];
		table[b] = in;
	} else {
		pthread_mutex_unlock(&lock);
		close(fd);
		fuse_reply_err(req, ENOMEM);
		return;
	}
	in->nlookup++;
	pthread_mutex_unlock(&lock);
	e.ino = (fuse_ino_t)(uintptr_t)in;
	e.attr_timeout = e.entry_timeout = TIMEOUT;
	fuse_reply_entry(req, &e);
}

static void forget_one(fuse_ino_t n, uint64_t count)
{
	struct inode *in = ino_of(n);
	if (in == &root)
		return;
	pthread_mutex_lock(&lock);
	if (in->nlookup > count) {
		in->nlookup -= count;
		pthread_mutex_unlock(&lock);
		return;
	}
	struct inode **p = &table[bucket(in->ino, in->dev)];
	while (*p && *p != in)
		p = &(*p)->next;
	if (*p)
		*p = in->next;
	pthread_mutex_unlock(&lock);
	close(in->fd);
	free(in);
}

static void pt_forget(fuse_req_t req, fuse_ino_t n, uint64_t nlookup)
{
	forget_one(n, nlookup);
	fuse_reply_none(req);
}

static void pt_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *f)
{
	for (size_t i = 0; i < count; i++)
		forget_one(f[i].ino, f[i].nlookup);
	fuse_reply_none(req);
}

static void pt_getattr(fuse_req_t req, fuse_ino_t n, struct fuse_file_info *fi)
{
	(void)fi;
	struct stat st;
	if (fstatat(ino_of(n)->fd, "", &st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_attr(req, &st, TIMEOUT);
}

/* O_PATH descriptors cannot be read: reopen through /proc/self/fd. */
static int reopen(fuse_ino_t n, int flags)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ino_of(n)->fd);
	return open(path, flags | O_CLOEXEC);
}

static void pt_open(fuse_req_t req, fuse_ino_t n, struct fuse_file_info *fi)
{
	if ((fi->flags & O_ACCMODE) != O_RDONLY) {
		fuse_reply_err(req, EROFS);
		return;
	}
	int fd = reopen(n, O_RDONLY);
	if (fd < 0) {
		fuse_reply_err(req, errno);
		return;
	}
	fi->fh = (uint64_t)fd;
	fi->keep_cache = 1;
	if (fuse_reply_open(req, fi) == -ENOENT)
		close(fd);
}

static void pt_read(fuse_req_t req, fuse_ino_t n, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)n;
	struct fuse_bufvec buf = FUSE_BUFVEC_INIT(size);
	buf.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	buf.buf[0].fd = (int)fi->fh;
	buf.buf[0].pos = off;
	fuse_reply_data(req, &buf, FUSE_BUF_SPLICE_MOVE);
}

static void pt_release(fuse_req_t req, fuse_ino_t n, struct fuse_file_info *fi)
{
	(void)n;
	close((int)fi->fh);
	fuse_reply_err(req, 0);
}

static void pt_opendir(fuse_req_t req, fuse_ino_t n, struct fuse_file_info *fi)
{
	int fd = reopen(n, O_RDONLY | O_DIRECTORY);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	fi->keep_cache = 1;
	fi->cache_readdir = 1;
	if (fuse_reply_open(req, fi) == -ENOENT)
		closedir(d);
}

static void pt_readdir(fuse_req_t req, fuse_ino_t n, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)n;
	DIR *d = (DIR *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t used = 0;
	seekdir(d, off);
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de)
			break;
		struct stat st = {.st_ino = de->d_ino, .st_mode = (mode_t)DTTOIF(de->d_type)};
		size_t len = fuse_add_direntry(req, buf + used, size - used, de->d_name, &st, telldir(d));
		if (len > size - used)
			break;
		used += len;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void pt_releasedir(fuse_req_t req, fuse_ino_t n, struct fuse_file_info *fi)
{
	(void)n;
	closedir((DIR *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void pt_statfs(fuse_req_t req, fuse_ino_t n)
{
	struct statvfs sv;
	if (fstatvfs(ino_of(n)->fd, &sv) < 0)
		fuse_reply_err(req, errno);
	else
		fuse_reply_statfs(req, &sv);
}

static const struct fuse_lowlevel_ops ops = {
	.init = pt_init,
	.lookup = pt_lookup,
	.forget = pt_forget,
	.forget_multi = pt_forget_multi,
	.getattr = pt_getattr,
	.open = pt_open,
	.read = pt_read,
	.release = pt_release,
	.opendir = pt_opendir,
	.readdir = pt_readdir,
	.releasedir = pt_releasedir,
	.statfs = pt_statfs,
};

int main(int argc, char *argv[])
{
	if (argc < 3 || argv[1][0] == '-') {
		fprintf(stderr, "usage: %s SOURCE_DIR MOUNTPOINT [-f] [-o options]\n", argv[0]);
		return 2;
	}
	root.fd = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root.fd < 0) {
		fprintf(stderr, "ptfs: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	root.nlookup = 2;
	/* libfuse parses the rest: MOUNTPOINT, -f, -o ... */
	argv[1] = argv[0];
	struct fuse_args args = FUSE_ARGS_INIT(argc - 1, argv + 1);
	struct fuse_cmdline_opts opts;
	int ret = 1;
	if (fuse_parse_cmdline(&args, &opts) != 0 || !opts.mountpoint) {
		fprintf(stderr, "usage: ptfs SOURCE_DIR MOUNTPOINT [-f] [-o options]\n");
		goto out_args;
	}
	fuse_opt_add_arg(&args, "-oro,default_permissions,fsname=ptfs,subtype=ptfs");
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se)
		goto out_opts;
	if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, opts.mountpoint) != 0)
		goto out_session;
	fuse_daemonize(opts.foreground);
	struct fuse_loop_config *cfg = fuse_loop_cfg_create();
	if (!cfg)
		goto out_unmount;
	fuse_loop_cfg_set_clone_fd(cfg, 0);
	fuse_loop_cfg_set_max_threads(cfg, 16);
	fuse_loop_cfg_set_idle_threads(cfg, 16);
	ret = fuse_session_loop_mt(se, cfg) ? 1 : 0;
	fuse_loop_cfg_destroy(cfg);
out_unmount:
	fuse_session_unmount(se);
	fuse_remove_signal_handlers(se);
out_session:
	fuse_session_destroy(se);
out_opts:
	free(opts.mountpoint);
out_args:
	fuse_opt_free_args(&args);
	close(root.fd);
	return ret;
}
