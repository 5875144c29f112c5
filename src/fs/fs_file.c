/*
 * fs_file.c - open files of the mount: open, read and release (see fs.h).
 *
 * A handle is a snapshot of a virtual file (or of the _last_checkpoint
 * content its lookup read), a local file read and spliced straight from its
 * descriptor, or a cloud object read through the disk cache (cache/reader),
 * whose replies are spliced from the object's cache file. Reads take no
 * tree lock.
 */
#include "fs/fs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cache/reader.h"
#include "cache/snapstore.h"
#include "util/log.h"
#include "util/strutil.h"

static struct ucfs_fs *fs_of(fuse_req_t req) { return fuse_req_userdata(req); }

/* An open file: a storage handle (through the block cache for cloud
 * objects), or a snapshot of a virtual file. */
struct fhandle {
	struct hlink link; /* first */
	struct storage_file *f;
	struct cached_file *cf;
	struct io_stats *stats;
	bool direct; /* read with storage_read (the mutable file) */
	char *data;
	size_t len;
	/* cloud files read through the cache, for the offline error */
	struct ucfs_fs *fs;
	const struct mtable *m;
	char *rel;
	bool told; /* the offline error was logged for this handle */
};

char *fs_cache_identity(const char *location, const char *rel, const char *etag, uint64_t size)
{
	return xasprintf("%s\n%s\n%s\n%llu", location, rel, etag ? etag : "",
			 (unsigned long long)size);
}

/* A file as listed, copied under the tree lock so that it can be opened
 * without it: its table's storage, its path, the identity it was listed
 * with, its table's stats. */
struct listed {
	struct storage *st;
	char *rel;
	struct storage_entry known;
	const struct mtable *table;
	struct io_stats *stats;
};

/* Lock held (fs_table_storage may drop it around I/O). 0, or -errno with
 * nothing to free. */
static int listed_take(struct ucfs_fs *fs, struct node *n, struct listed *l)
{
	memset(l, 0, sizeof(*l));
	int r = 0;
	if (!(l->st = fs_table_storage(fs, n->table, &r)))
		return r ? r : -EIO;
	l->rel = xstrdup(n->rel);
	l->known.etag = xstrdup(n->etag);
	if (!l->rel || (n->etag && !l->known.etag)) {
		free(l->rel);
		free(l->known.etag);
		return -ENOMEM;
	}
	l->known.size = n->size;
	l->known.mtime = n->mtime;
	l->table = n->table;
	l->stats = n->table->stats;
	return 0;
}

static void listed_free(struct listed *l)
{
	free(l->rel);
	free(l->known.etag);
}

/* Is the file read through the disk cache (a cloud object), not in place? */
static bool cached_kind(const struct ucfs_fs *fs, const struct listed *l)
{
	return fs->backend.pool && strcmp(l->st->ops->name, "file") != 0;
}

/* Put storage file f of l through the disk cache: on success *cf owns f. */
static int open_cached(struct ucfs_fs *fs, const struct listed *l, struct storage_file *f,
		       struct cached_file **cf)
{
	char *id = fs_cache_identity(l->st->location, l->rel, l->known.etag, l->known.size);
	int r = id ? cached_open(fs->backend.pool, f, id, snap_group(l->st->location),
				 l->known.size, l->stats, cf)
		   : -ENOMEM;
	free(id);
	return r;
}

int fs_file_warm(struct ucfs_fs *fs, uint64_t ino, uint64_t max)
{
	pthread_mutex_lock(&fs->lock);
	struct node *n = tree_get(&fs->tree, ino);
	int r = !n || n->removed || n->kind != N_FILE || n->frozen || fs_is_mutable_file(n) ||
			n->size > max || fs_offline_cloud(fs, n->table)
		? 1 : 0;
	struct listed l = {0};
	if (!r)
		r = listed_take(fs, n, &l);
	pthread_mutex_unlock(&fs->lock);
	if (!r && !cached_kind(fs, &l))
		r = 1; /* read in place, never cached */
	struct storage_file *f = NULL;
	struct cached_file *cf = NULL;
	if (!r)
		r = storage_open(l.st, l.rel, &l.known, &f);
	if (!r && (r = open_cached(fs, &l, f, &cf)))
		storage_close(f); /* not taken by a cached file */
	for (uint64_t off = 0; !r && off < l.known.size;) {
		struct cached_reply cr;
		ssize_t got = cached_read(cf, (size_t)(l.known.size - off), off, &cr);
		if (got <= 0) {
			r = got < 0 ? (int)got : -EIO;
			break;
		}
		cached_reply_release(&cr);
		off += (uint64_t)got;
	}
	cached_close(cf);
	listed_free(&l);
	return r < 0 ? r : r == 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ucfs_fs *fs = fs_of(req);
	if ((fi->flags & O_ACCMODE) != O_RDONLY || (fi->flags & (O_TRUNC | O_APPEND))) {
		fuse_reply_err(req, EROFS);
		return;
	}
	struct fhandle *h = calloc(1, sizeof(*h));
	pthread_mutex_lock(&fs->lock);
	struct node *n = tree_get(&fs->tree, ino);
	int r = !h ? -ENOMEM : !n ? -ENOENT : node_is_dir(n) ? -EISDIR : 0;
	if (!r && (n->kind == N_VFILE || n->frozen)) {
		/* Status documents: a snapshot per open, never cached by the kernel.
		 * A _last_checkpoint node: the content its lookup read. */
		fs_regen_vfile(fs, n);
		h->len = n->vlen;
		if (!(h->data = malloc(n->vlen ? n->vlen : 1)))
			r = -ENOMEM;
		else
			memcpy(h->data, n->vdata, n->vlen);
		pthread_mutex_unlock(&fs->lock);
		if (r) {
			free(h);
			fuse_reply_err(req, -r);
			return;
		}
		fi->fh = (uint64_t)(uintptr_t)h;
		fi->direct_io = 1;
		fs_track(fs, &h->link, false);
		if (fuse_reply_open(req, fi) != 0) {
			fs_untrack(fs, &h->link);
			free(h->data);
			free(h);
		}
		return;
	}
	if (!r && n->in_log)
		fs_ahead_commits(fs, n); /* a Delta reader reads the other commits next */
	struct listed l = {0};
	bool mut = false, ahead = false;
	if (!r && !(r = listed_take(fs, n, &l))) {
		mut = fs_is_mutable_file(n);
		ahead = !fs_offline_cloud(fs, n->table);
	}
	pthread_mutex_unlock(&fs->lock);
	/* The mutable file is opened as it is now, not as it was listed. */
	if (!r)
		r = storage_open(l.st, l.rel, mut ? NULL : &l.known, &h->f);
	/* Cloud objects are read through the disk cache, keyed by their
	 * identity; local files and the mutable file directly. */
	if (!r && !mut && cached_kind(fs, &l)) {
		r = open_cached(fs, &l, h->f, &h->cf);
		if (r) {
			storage_close(h->f);
		} else {
			/* The GET a first read would wait for starts now, while
			 * the open is answered and the read comes. */
			if (ahead)
				cached_open_ahead(h->cf, str_endswith(l.rel, ".parquet"));
			h->f = NULL; /* owned by the cached file now */
			h->fs = fs;
			h->m = l.table;
			h->rel = l.rel;
			l.rel = NULL;
		}
	}
	listed_free(&l); /* its path and ETag; l.stats stays valid */
	if (r) {
		free(h);
		fuse_reply_err(req, -r);
		return;
	}
	h->stats = l.stats;
	h->direct = mut;
	fi->fh = (uint64_t)(uintptr_t)h;
	/* Table files are write-once: keep the page cache across opens. The one
	 * file rewritten in place, _delta_log/_last_checkpoint, bypasses it. */
	fi->keep_cache = !mut;
	fi->direct_io = mut;
	fs_track(fs, &h->link, false);
	if (fuse_reply_open(req, fi) != 0) { /* interrupted: no release will come */
		fs_untrack(fs, &h->link);
		storage_close(h->f);
		cached_close(h->cf);
		free(h);
	}
}

/* Reply with len bytes of fd at off, spliced into /dev/fuse when the
 * kernel and libfuse allow it (else libfuse copies). */
static void reply_fd(fuse_req_t req, int fd, uint64_t off, size_t len)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(len);
	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK | FUSE_BUF_FD_RETRY;
	bv.buf[0].fd = fd;
	bv.buf[0].pos = (off_t)off;
	fuse_reply_data(req, &bv, 0);
}

static void count_read(struct fhandle *h, ssize_t n)
{
	if (!h->stats)
		return;
	io_add(&h->stats->reads, 1);
	if (n >= 0)
		io_add(&h->stats->bytes_read, (uint64_t)n);
	else
		io_add(&h->stats->errors, 1);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	struct fhandle *h = (struct fhandle *)(uintptr_t)fi->fh;
	if (!h->f && !h->cf) {
		size_t o = (size_t)off < h->len ? (size_t)off : h->len;
		size_t n = size < h->len - o ? size : h->len - o;
		/* From a copy: once the kernel has the data, a release on another
		 * thread may free h->data while writev still looks at it. */
		char *copy = malloc(n ? n : 1);
		if (!copy) {
			fuse_reply_err(req, ENOMEM);
			return;
		}
		memcpy(copy, h->data + o, n);
		fuse_reply_buf(req, copy, n);
		free(copy);
		return;
	}
	if (h->cf) {
		struct cached_reply cr;
		ssize_t n = cached_read(h->cf, size, (uint64_t)off, &cr);
		count_read(h, n);
		if (n < 0 && h->fs && h->fs->backend.offline && !h->told) {
			h->told = true;
			log_warn("%s %s: '%s' is not in the disk cache and the mount is offline "
				 "(-o offline): it cannot be read (prefetch it while online: ucfs "
				 "prefetch)", h->m->volume ? "volume" : "table", h->m->full_name, h->rel);
		}
		if (n < 0)
			fuse_reply_err(req, (int)-n);
		else if (cr.fd >= 0 && n > 0)
			reply_fd(req, cr.fd, cr.off, cr.len);
		else
			fuse_reply_buf(req, cr.buf, (size_t)n);
		cached_reply_release(&cr);
		return;
	}
	int fd = h->direct ? -1 : storage_file_fd(h->f);
	if (fd >= 0) {
		/* A local file (never short before EOF, as the kernel expects). */
		count_read(h, (ssize_t)size);
		reply_fd(req, fd, (uint64_t)off, size);
		return;
	}
	char *buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	ssize_t n = storage_read(h->f, buf, size, (uint64_t)off);
	count_read(h, n);
	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_buf(req, buf, (size_t)n);
	free(buf);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	struct fhandle *h = (struct fhandle *)(uintptr_t)fi->fh;
	fs_untrack(fs_of(req), &h->link);
	storage_close(h->f);
	cached_close(h->cf);
	free(h->data);
	free(h->rel);
	free(h);
	fuse_reply_err(req, 0);
}


void fs_file_free(struct hlink *l)
{
	struct fhandle *h = (struct fhandle *)l;
	storage_close(h->f);
	cached_close(h->cf);
	free(h->data);
	free(h->rel);
	free(h);
}

void fs_file_ops(struct fuse_lowlevel_ops *o)
{
	o->open = op_open;
	o->read = op_read;
	o->release = op_release;
}
