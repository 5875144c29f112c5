/*
 * fs_deltalog.c - a consistent _delta_log: a reader never sees
 * _last_checkpoint name a version whose checkpoint (or commit) is missing
 * from the _delta_log listing it gets next, and never gets a listing older
 * than a hint it has read.
 *
 * The hint is read from storage at every lookup (its entry and attributes
 * are never cached), and each content gets a node of its own holding that
 * content: open, fstat and read of one node then agree with each other, as
 * they do for a file replaced by rename on a local disk. A listing is cached
 * for log_ttl; writers create the checkpoint before they replace the hint,
 * so a listing taken after a hint was read covers it. So whenever a lookup
 * reads a hint that the cached listing is not known to cover, the listing is
 * dropped (here and in the kernel) and the next one is taken after that
 * moment. A listing records which hint it covers when it starts; if a new
 * hint is read while it runs, it does not count as covering it (hint_gen
 * moved) and is taken again. New commits still appear within log_ttl.
 * Nodes of replaced hints stay (the kernel may still hold them), with their
 * content: one small node per checkpoint over a mount's life. All functions
 * run with the tree lock held, except fs_log_inval.
 */
#include "fs/fs_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

#define HINT_MAX (1u << 20) /* a _last_checkpoint is a few hundred bytes */

bool fs_is_log_dir(const struct node *n)
{
	return n->kind == N_DIR && !strcmp(n->name, "_delta_log") && n->parent &&
	       n->parent->kind == N_TABLE;
}

/* The content's identity: its length and 64-bit FNV-1a hash. */
static char *identity(const char *data, size_t len)
{
	return xasprintf("%zu-%016llx", len, (unsigned long long)fnv1a64(data, len));
}

/* The whole file at rel (at most HINT_MAX bytes) and its entry. */
static int read_whole(struct storage *st, const char *rel, struct storage_entry *e, char **out,
		      size_t *len)
{
	struct storage_file *f = NULL;
	*out = NULL;
	*len = 0;
	int r = storage_stat(st, rel, e);
	if (!r && e->is_dir)
		r = -ENOENT;
	if (!r)
		r = storage_open(st, rel, NULL, &f);
	size_t cap = 0;
	while (!r) {
		if (*len == cap) {
			cap = cap ? cap * 2 : 4096;
			char *b = cap > HINT_MAX + 1 ? NULL : realloc(*out, cap);
			if (!b) {
				r = cap > HINT_MAX + 1 ? -EFBIG : -ENOMEM;
				break;
			}
			*out = b;
		}
		ssize_t n = storage_read(f, *out + *len, cap - *len, *len);
		if (n <= 0) {
			r = n < 0 ? (int)n : 0;
			break;
		}
		*len += (size_t)n;
	}
	storage_close(f);
	if (r) {
		free(*out);
		*out = NULL;
		*len = 0;
	}
	return r;
}

uint64_t fs_log_hint_seen(struct node *log, const char *id)
{
	if (!str_eq(log->hint_seen, id)) {
		char *copy = xstrdup(id);
		if (!copy) { /* cannot remember it: never trust a cached listing to cover it */
			log->listed = false;
			log->hint_gen++;
			return log->ino;
		}
		free(log->hint_seen);
		log->hint_seen = copy;
	}
	if (str_eq(log->hint_ok, id))
		return 0;
	log->listed = false; /* the next reader lists again, after this moment */
	log->hint_gen++;
	return log->ino;
}

struct node *fs_log_lookup_hint(struct ucfs_fs *fs, struct node *log, uint64_t *inval, int *err)
{
	*inval = 0;
	*err = 0;
	struct storage *st = fs_table_storage(fs, log->table, err);
	char *rel = st ? xasprintf("%s/_last_checkpoint", log->rel) : NULL;
	if (!rel) {
		*err = *err ? *err : -ENOMEM;
		return NULL;
	}
	struct storage_entry e = {0};
	char *data = NULL, *id = NULL;
	size_t len = 0;
	bool offline = fs_offline_cloud(fs, log->table);
	pthread_mutex_unlock(&fs->lock);
	int r = offline ? -ENETDOWN : read_whole(st, rel, &e, &data, &len);
	pthread_mutex_lock(&fs->lock);
	free(rel);
	/* Storage out of reach and a prefetched snapshot to show: it has no
	 * hint (readers list its log). */
	if (r && r != -ENOENT && fs_snapshot_has(fs, log->table))
		r = -ENOENT;
	struct node *n = NULL;
	if (!r && log->removed)
		r = -ENOENT;
	if (!r && !(id = identity(data, len)))
		r = -ENOMEM;
	if (!r) {
		n = node_child(log, "_last_checkpoint");
		if (!n || !n->frozen || !str_eq(n->etag, id)) {
			if (n)
				node_unlink(n); /* the kernel may still hold it: it stays as it was */
			n = node_add(&fs->tree, log, "_last_checkpoint", N_FILE);
			if (n) {
				n->frozen = true;
				n->vdata = data;
				n->vlen = n->size = len;
				n->mtime = e.mtime;
				n->etag = id;
				data = id = NULL;
			} else {
				r = -ENOMEM;
			}
		}
	}
	if (n)
		*inval = fs_log_hint_seen(log, n->etag);
	free(data);
	free(id);
	storage_entry_clear(&e);
	*err = r;
	return n;
}

void fs_log_listing_begin(const struct node *dir, struct log_cover *c)
{
	c->gen = dir->hint_gen;
	c->hint = dir->hint_seen ? xstrdup(dir->hint_seen) : NULL;
	c->oom = dir->hint_seen && !c->hint;
}

bool fs_log_listing_end(struct node *dir, struct log_cover *c)
{
	bool covers = dir->hint_gen == c->gen && !c->oom;
	if (covers) {
		free(dir->hint_ok);
		dir->hint_ok = c->hint;
		c->hint = NULL;
	} else {
		dir->listed = false; /* a newer hint was read while it ran */
	}
	free(c->hint);
	c->hint = NULL;
	return covers;
}

void fs_log_inval(struct ucfs_fs *fs, uint64_t ino)
{
	if (!ino)
		return;
	pthread_mutex_lock(&fs->lock);
	struct fuse_session *se = fs->se;
	pthread_mutex_unlock(&fs->lock);
	/* The kernel's cached listing and attributes of _delta_log. */
	if (se)
		fuse_lowlevel_notify_inval_inode(se, (fuse_ino_t)ino, 0, 0);
}
