/*
 * fs.c - FUSE low-level operations over the node tree; see fs.h.
 *
 * Locking: one mutex guards the tree. Storage I/O (listing, stat, open) runs
 * with the lock released; results are merged under it. Reads run without
 * the lock on the handle's own storage file.
 */
#include "fs/fs_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "util/log.h"
#include "util/strutil.h"

static struct ucfs_fs *fs_of(fuse_req_t req) { return fuse_req_userdata(req); }

struct timespec fs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

static double age_s(struct timespec since)
{
	struct timespec n = fs_now();
	return (double)(n.tv_sec - since.tv_sec) + (double)(n.tv_nsec - since.tv_nsec) / 1e9;
}

struct ucfs_fs *fs_new(const struct fs_config *cfg)
{
	struct ucfs_fs *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	fs->cfg = *cfg;
	pthread_mutex_init(&fs->lock, NULL);
	pthread_mutex_init(&fs->hlock, NULL);
	fs->handles.prev = fs->handles.next = &fs->handles;
	pthread_cond_init(&fs->listed, NULL);
	if (tree_init(&fs->tree, fs_now())) {
		free(fs);
		return NULL;
	}
	return fs;
}

void fs_free(struct ucfs_fs *fs)
{
	if (!fs)
		return;
	while (fs->stats) {
		struct item_stats *s = fs->stats;
		fs->stats = s->next;
		free(s->name);
		free(s);
	}
	fs_release_all(fs);
	tree_destroy(&fs->tree);
	pthread_mutex_destroy(&fs->hlock);
	pthread_mutex_destroy(&fs->lock);
	pthread_cond_destroy(&fs->listed);
	free(fs);
}

void fs_set_backend(struct ucfs_fs *fs, const struct fs_backend *b)
{
	pthread_mutex_lock(&fs->lock);
	fs->backend = *b;
	pthread_mutex_unlock(&fs->lock);
}

/* storage_creds_source of a table: ask the backend for its item's vending. */
static int table_creds(void *ctx, struct storage_creds *out, char **err)
{
	struct mtable *m = ctx;
	struct ucfs_fs *fs = m->fs;
	if (!fs->backend.creds) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	int r = fs->backend.creds(fs->backend.ctx, m->item, m->volume, m->table_id, m->full_name,
				  out, err);
	/* Readers see a denial (EACCES) or an I/O error; an answer that could
	 * not be used (EBADMSG) or a transport errno is the log's to explain. */
	return r == 0 || r == -EACCES || r == -ENOMEM ? r : -EIO;
}

static void table_creds_invalidate(void *ctx)
{
	struct mtable *m = ctx;
	struct ucfs_fs *fs = m->fs;
	if (fs->backend.invalidate)
		fs->backend.invalidate(fs->backend.ctx, m->item, m->volume, m->table_id);
}

void fs_set_session(struct ucfs_fs *fs, struct fuse_session *se)
{
	pthread_mutex_lock(&fs->lock);
	fs->se = se;
	pthread_mutex_unlock(&fs->lock);
}

/* ---- attributes ---------------------------------------------------------- */

bool fs_is_mutable_file(const struct node *n)
{
	return n->kind == N_FILE && n->in_log && strcmp(n->name, "_last_checkpoint") == 0;
}

static double node_timeout(const struct ucfs_fs *fs, const struct node *n)
{
	if (n->kind == N_VFILE)
		return 0;
	if (!node_in_storage(n))
		return fs->cfg.meta_timeout; /* changes only with a sync, which invalidates */
	if (fs_is_mutable_file(n))
		return 0;
	if (n->in_log)
		return fs->cfg.log_ttl;
	if (n->kind == N_FILE)
		return fs->cfg.attr_timeout;
	return fs->cfg.dir_ttl; /* storage directories: their mtime may move */
}

static void fill_attr(const struct ucfs_fs *fs, const struct node *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = n->ino;
	mode_t perm;
	fs_node_perm(fs, n, &st->st_uid, &st->st_gid, &perm);
	if (node_is_dir(n)) {
		st->st_mode = S_IFDIR | perm;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | perm;
		st->st_nlink = 1;
		st->st_size = (off_t)(n->kind == N_VFILE ? n->vlen : n->size);
		st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	}
	st->st_blksize = 65536;
	st->st_mtim = st->st_ctim = st->st_atim = n->mtime;
}

static void fill_entry(struct ucfs_fs *fs, struct node *n, struct fuse_entry_param *e)
{
	memset(e, 0, sizeof(*e));
	e->ino = n->ino;
	e->generation = 1;
	fill_attr(fs, n, &e->attr);
	e->attr_timeout = e->entry_timeout = node_timeout(fs, n);
}

/* ---- storage access (called with the lock held; drops it around I/O) ---- */

/* Storage of n's table, opened on first use. */
static struct storage *table_storage(struct ucfs_fs *fs, struct mtable *m, int *err)
{
	if (m->st)
		return m->st;
	char *msg = NULL;
	struct storage *st = NULL;
	m->fs = fs;
	m->creds = (struct storage_creds_source){
		.get = table_creds, .invalidate = table_creds_invalidate, .ctx = m};
	/* file:// tables open only below the roots their item allows. */
	struct storage_env env = {0};
	if (fs->backend.env)
		env = *fs->backend.env;
	env.local_roots = (const char *const *)m->roots;
	env.n_local_roots = m->nroots;
	pthread_mutex_unlock(&fs->lock);
	int r = storage_new(m->location, &env, &m->creds, &st, &msg);
	pthread_mutex_lock(&fs->lock);
	if (r) {
		/* A volume whose location does not exist yet (a MANAGED volume
		 * nothing was written to) is empty; a table's is broken. */
		bool empty = m->volume && r == -ENOENT;
		if (m->st_err != r && empty)
			log_info("volume %s: its location does not exist (yet): shown empty",
				 m->full_name);
		else if (m->st_err != r)
			log_error("%s %s: cannot open storage: %s", m->volume ? "volume" : "table",
				  m->full_name, msg ? msg : strerror(-r));
		m->st_err = r;
		free(msg);
		*err = r == -ENOENT && !empty ? -EIO : r;
		return NULL;
	}
	free(msg);
	if (m->st) /* another thread won the race */
		storage_free(st);
	else
		m->st = st;
	m->st_err = 0;
	return m->st;
}

struct storage *fs_table_storage(struct ucfs_fs *fs, struct mtable *m, int *err)
{
	return table_storage(fs, m, err);
}

static double listing_ttl(const struct ucfs_fs *fs, const struct node *dir)
{
	return dir->in_log ? fs->cfg.log_ttl : fs->cfg.dir_ttl;
}

double fs_listing_age(const struct node *dir)
{
	return dir->listed ? age_s(dir->listed_at) : -1;
}

static bool listed_within(const struct node *dir, double max_age)
{
	return dir->listed && age_s(dir->listed_at) < max_age;
}

static bool listing_fresh(const struct ucfs_fs *fs, const struct node *dir)
{
	return listed_within(dir, listing_ttl(fs, dir));
}

/* Make dir's children reflect storage as of at most max_age seconds ago. A
 * _delta_log listing overtaken by a newer _last_checkpoint is taken again
 * (4 passes at most; the children then reflect the latest). Lock held. */
static int list_within(struct ucfs_fs *fs, struct node *dir, double max_age)
{
	int passes = 0;
again:
	if (!node_in_storage(dir))
		return 0;
	while (dir->listing)
		pthread_cond_wait(&fs->listed, &fs->lock);
	if (listed_within(dir, max_age))
		return 0;
	int err = 0;
	struct storage *st = table_storage(fs, dir->table, &err);
	if (!st) /* -ENOENT: an empty volume (asked again at the next listing) */
		return err == -ENOENT && dir->kind == N_TABLE ? 0 : err;
	char *rel = xstrdup(dir->rel);
	if (!rel)
		return -ENOMEM;
	dir->listing = true;
	struct storage_list l = {0};
	struct storage_entry self = {0};
	struct log_cover cover = {0};
	fs_log_listing_begin(dir, &cover); /* which hints this listing will cover */
	bool offline = fs_offline_cloud(fs, dir->table); /* nothing is fetched: ask nobody */
	pthread_mutex_unlock(&fs->lock);
	int r = offline ? -ENETDOWN : storage_list(st, rel, &l);
	if (!r && dir->kind == N_TABLE && storage_stat(st, "", &self) != 0)
		storage_entry_clear(&self); /* keep the mount-time mtime */
	pthread_mutex_lock(&fs->lock);
	free(rel);
	dir->listing = false;
	pthread_cond_broadcast(&fs->listed);
	bool snap = false; /* storage out of reach: a prefetched snapshot instead */
	if (r && r != -ENOENT && r != -ENOTDIR) {
		storage_list_free(&l);
		snap = fs_snapshot_listing(fs, dir, r, &l);
	}
	if (snap)
		r = 0;
	else if (!r)
		fs_snapshot_online(dir->table);
	dir->from_snapshot = snap;
	if (r) {
		if (offline && !dir->table->offline_told)
			log_warn("%s %s: the mount is offline and it has no prefetched snapshot: its "
				 "files cannot be listed (ucfs prefetch it while online)",
				 dir->table->volume ? "volume" : "table", dir->table->full_name);
		if (offline)
			dir->table->offline_told = true;
		else if (r != -ENOENT && r != -ENOTDIR)
			log_warn("%s %s: listing '%s' failed: %s",
				 dir->table->volume ? "volume" : "table", dir->table->full_name,
				 dir->rel, strerror(-r));
		storage_list_free(&l);
		free(cover.hint);
		return r == -ENOENT && dir->kind == N_TABLE ? -EIO : r;
	}
	if (self.name)
		node_set_entry(dir, &self);
	storage_entry_clear(&self);
	r = node_merge_listing(&fs->tree, dir, &l, fs_now());
	storage_list_free(&l);
	if (!r && !fs_log_listing_end(dir, &cover) && !snap && ++passes < 4)
		goto again; /* a newer hint was read while it ran */
	free(cover.hint);
	return r;
}

/* Make dir's children reflect storage within its TTL. Lock held. */
static int ensure_listed(struct ucfs_fs *fs, struct node *dir)
{
	return list_within(fs, dir, listing_ttl(fs, dir));
}

int fs_ensure_listed(struct ucfs_fs *fs, struct node *dir)
{
	return ensure_listed(fs, dir);
}

int fs_list_within(struct ucfs_fs *fs, struct node *dir, double max_age)
{
	return list_within(fs, dir, max_age);
}

/* A name missing from a cached listing may be new: ask storage. Lock held. */
static struct node *probe_child(struct ucfs_fs *fs, struct node *dir, const char *name)
{
	int err = 0;
	struct storage *st = table_storage(fs, dir->table, &err);
	if (!st)
		return NULL;
	char *rel = *dir->rel ? xasprintf("%s/%s", dir->rel, name) : xstrdup(name);
	if (!rel)
		return NULL;
	struct storage_entry e = {0};
	pthread_mutex_unlock(&fs->lock);
	int r = storage_stat(st, rel, &e);
	pthread_mutex_lock(&fs->lock);
	free(rel);
	struct node *n = NULL;
	if (r == 0 && !node_child(dir, name) && !dir->removed) {
		n = node_add(&fs->tree, dir, name, e.is_dir ? N_DIR : N_FILE);
		if (n)
			node_set_entry(n, &e);
	} else if (r == 0) {
		n = node_child(dir, name);
	}
	storage_entry_clear(&e);
	return n;
}

/* ---- operations ---------------------------------------------------------- */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct ucfs_fs *fs = userdata;
	if (conn->capable & FUSE_CAP_READDIRPLUS)
		conn->want |= FUSE_CAP_READDIRPLUS;
	if (conn->capable & FUSE_CAP_READDIRPLUS_AUTO)
		conn->want &= ~FUSE_CAP_READDIRPLUS_AUTO; /* always plus: saves a lookup per entry */
	conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
	/* Replies of file data go from the cache file (or the local file) to
	 * /dev/fuse with splice, without a copy through this process. */
	if (conn->capable & FUSE_CAP_SPLICE_WRITE)
		conn->want |= FUSE_CAP_SPLICE_WRITE;
	/* Not SPLICE_MOVE: the kernel would try to steal the cache file's
	 * pages (dropping them from its page cache) for every reply. */
	conn->want &= ~FUSE_CAP_SPLICE_MOVE;
	/* Read requests as large as a spliced reply can be (see max_read in
	 * cmd_mount.c), many of them at once (the kernel's default is 12). */
	if (fs->cfg.max_read)
		conn->max_read = fs->cfg.max_read;
	conn->max_readahead = fs->cfg.readahead ? fs->cfg.readahead : 1u << 20;
	conn->max_background = 64;
	conn->congestion_threshold = 48;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct ucfs_fs *fs = fs_of(req);
	struct fuse_entry_param e;
	pthread_mutex_lock(&fs->lock);
	struct node *dir = tree_get(&fs->tree, parent);
	if (!dir || dir->removed) {
		pthread_mutex_unlock(&fs->lock);
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!node_is_dir(dir)) {
		pthread_mutex_unlock(&fs->lock);
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	uint64_t inval = 0;
	int r;
	struct node *n;
	if (fs_is_log_dir(dir) && !strcmp(name, "_last_checkpoint")) {
		/* The hint as it is now: a node per content (fs_deltalog.c). */
		n = fs_log_lookup_hint(fs, dir, &inval, &r);
	} else {
		bool was_fresh = listing_fresh(fs, dir);
		r = ensure_listed(fs, dir);
		n = r ? NULL : node_child(dir, name);
		if (!n && !r && was_fresh && node_in_storage(dir) && !dir->from_snapshot &&
		    !fs_offline_cloud(fs, dir->table))
			n = probe_child(fs, dir, name);
	}
	if (!n) {
		/* Negative entry: cache briefly so new commits and files show up. */
		double neg = dir->in_log ? 0 : fs->cfg.log_ttl;
		pthread_mutex_unlock(&fs->lock);
		if (r && r != -ENOENT) {
			fuse_reply_err(req, -r);
			return;
		}
		memset(&e, 0, sizeof(e));
		e.entry_timeout = neg;
		fuse_reply_entry(req, &e);
		return;
	}
	n->nlookup++;
	fill_entry(fs, n, &e);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_entry(req, &e);
	fs_log_inval(fs, inval);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	struct ucfs_fs *fs = fs_of(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = tree_get(&fs->tree, ino);
	if (n)
		n->nlookup = n->nlookup > nlookup ? n->nlookup - nlookup : 0;
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct ucfs_fs *fs = fs_of(req);
	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < count; i++) {
		struct node *n = tree_get(&fs->tree, forgets[i].ino);
		if (n)
			n->nlookup = n->nlookup > forgets[i].nlookup ? n->nlookup - forgets[i].nlookup : 0;
	}
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_none(req);
}

/* Refresh a mutable file's attributes from storage. Lock held. */
static void refresh_file(struct ucfs_fs *fs, struct node *n)
{
	int err = 0;
	struct storage *st = table_storage(fs, n->table, &err);
	char *rel = st ? xstrdup(n->rel) : NULL;
	if (!rel)
		return;
	struct storage_entry e = {0};
	pthread_mutex_unlock(&fs->lock);
	int r = storage_stat(st, rel, &e);
	pthread_mutex_lock(&fs->lock);
	free(rel);
	if (r == 0 && !e.is_dir)
		node_set_entry(n, &e);
	storage_entry_clear(&e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	struct ucfs_fs *fs = fs_of(req);
	struct stat st;
	pthread_mutex_lock(&fs->lock);
	struct node *n = tree_get(&fs->tree, ino);
	if (!n) {
		pthread_mutex_unlock(&fs->lock);
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (fs_is_mutable_file(n) && !n->frozen) /* a hint snapshot keeps its attributes */
		refresh_file(fs, n);
	else if (n->kind == N_VFILE)
		fs_regen_vfile(fs, n);
	else if (n->kind == N_TABLE && !n->listed)
		ensure_listed(fs, n); /* gives the table directory its real mtime */
	fill_attr(fs, n, &st);
	double t = node_timeout(fs, n);
	pthread_mutex_unlock(&fs->lock);
	fuse_reply_attr(req, &st, t);
}

void fs_track(struct ucfs_fs *fs, struct hlink *l, bool is_dir)
{
	pthread_mutex_lock(&fs->hlock);
	l->is_dir = is_dir;
	l->next = fs->handles.next;
	l->prev = &fs->handles;
	fs->handles.next->prev = l;
	fs->handles.next = l;
	pthread_mutex_unlock(&fs->hlock);
}

void fs_untrack(struct ucfs_fs *fs, struct hlink *l)
{
	pthread_mutex_lock(&fs->hlock);
	l->prev->next = l->next;
	l->next->prev = l->prev;
	l->prev = l->next = l;
	pthread_mutex_unlock(&fs->hlock);
}

struct dir_snap {
	struct hlink link; /* first */
	size_t n;
	struct {
		uint64_t ino;
		char *name;
	} *e;
};

static void free_snap(struct dir_snap *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->e[i].name);
	free(d->e);
	free(d);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct ucfs_fs *fs = fs_of(req);
	pthread_mutex_lock(&fs->lock);
	struct node *n = tree_get(&fs->tree, ino);
	int r = !n || n->removed ? -ENOENT : !node_is_dir(n) ? -ENOTDIR : 0;
	if (!r && (fi->flags & O_ACCMODE) != O_RDONLY)
		r = -EROFS;
	if (!r && n->kind == N_TABLE)
		fs_ahead_walk(fs, n); /* a walk of tables: their logs listed ahead */
	if (!r)
		r = ensure_listed(fs, n);
	uint64_t gen = 0, seen_gen = 0;
	if (!r) {
		gen = n->list_gen;
		seen_gen = n->kernel_gen;
		n->kernel_gen = gen;
	}
	struct dir_snap *d = NULL;
	if (!r && !(d = calloc(1, sizeof(*d))))
		r = -ENOMEM;
	if (!r) {
		/* Schemas with no mirrored table are never in the tree. */
		d->e = calloc(n->nkids ? n->nkids : 1, sizeof(*d->e));
		if (!d->e)
			r = -ENOMEM;
		for (size_t i = 0; !r && i < n->nkids; i++) {
			d->e[d->n].ino = n->kids[i]->ino;
			if (!(d->e[d->n].name = xstrdup(n->kids[i]->name)))
				r = -ENOMEM;
			else
				d->n++;
		}
	}
	pthread_mutex_unlock(&fs->lock);
	if (r) {
		free_snap(d);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	/* The kernel keeps every listing, and each opendir still comes here:
	 * ensure_listed above re-lists after log_ttl/dir_ttl, and when that
	 * (or a sync) changed the children, keep_cache 0 drops the kernel's
	 * copy. So _delta_log stays as fresh as log_ttl says. */
	fi->cache_readdir = 1;
	fi->keep_cache = gen == seen_gen;
	fs_track(fs, &d->link, true);
	if (fuse_reply_open(req, fi) != 0) { /* interrupted: no releasedir will come */
		fs_untrack(fs, &d->link);
		free_snap(d);
	}
}

static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct ucfs_fs *fs = fs_of(req);
	struct dir_snap *d = (struct dir_snap *)(uintptr_t)fi->fh;
	char *buf = malloc(size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	size_t pos = 0;
	/* Offsets: 1 = ".", 2 = "..", 3 + i = entry i. */
	for (off_t i = off; (size_t)i < d->n + 2; i++) {
		struct fuse_entry_param e;
		memset(&e, 0, sizeof(e));
		const char *name;
		struct node *n = NULL;
		if (i < 2) {
			name = i == 0 ? "." : "..";
			e.attr.st_ino = i == 0 ? ino : FUSE_ROOT_ID;
			e.attr.st_mode = S_IFDIR;
		} else {
			name = d->e[i - 2].name;
			pthread_mutex_lock(&fs->lock);
			n = tree_get(&fs->tree, d->e[i - 2].ino);
			if (n)
				fill_entry(fs, n, &e);
			pthread_mutex_unlock(&fs->lock);
			if (!n)
				continue;
		}
		size_t left = size - pos, used;
		if (plus)
			used = fuse_add_direntry_plus(req, buf + pos, left, name, &e, i + 1);
		else
			used = fuse_add_direntry(req, buf + pos, left, name, &e.attr, i + 1);
		if (used > left)
			break;
		if (plus && n) {
			pthread_mutex_lock(&fs->lock);
			n->nlookup++;
			pthread_mutex_unlock(&fs->lock);
		}
		pos += used;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	struct dir_snap *d = (struct dir_snap *)(uintptr_t)fi->fh;
	fs_untrack(fs_of(req), &d->link);
	free_snap(d);
	fuse_reply_err(req, 0);
}

/* Refresh a dynamic virtual file's content (tree lock held). */
void fs_regen_vfile(struct ucfs_fs *fs, struct node *n)
{
	if (n->kind != N_VFILE || !n->dynamic)
		return;
	char *c = fs_stats_json(fs);
	if (!c)
		return;
	free(n->vdata);
	n->vdata = c;
	n->vlen = strlen(c);
	n->mtime = fs_now();
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	(void)ino;
	struct ucfs_fs *fs = fs_of(req);
	struct statvfs sv;
	memset(&sv, 0, sizeof(sv));
	sv.f_bsize = sv.f_frsize = 4096;
	pthread_mutex_lock(&fs->lock);
	sv.f_files = fs->tree.n;
	pthread_mutex_unlock(&fs->lock);
	sv.f_namemax = 255;
	sv.f_flag = ST_RDONLY | ST_NOSUID | ST_NODEV;
	fuse_reply_statfs(req, &sv);
}

void fs_release_all(struct ucfs_fs *fs)
{
	fs_ahead_stop(fs); /* its threads use the tables' storage and the cache */
	pthread_mutex_lock(&fs->hlock);
	while (fs->handles.next != &fs->handles) {
		struct hlink *l = fs->handles.next;
		l->prev->next = l->next;
		l->next->prev = l->prev;
		if (l->is_dir) {
			free_snap((struct dir_snap *)l);
		} else {
			fs_file_free(l);
		}
	}
	pthread_mutex_unlock(&fs->hlock);
}

static void fill_ops(struct fuse_lowlevel_ops *o)
{
	o->init = op_init;
	o->lookup = op_lookup;
	o->forget = op_forget;
	o->forget_multi = op_forget_multi;
	o->getattr = op_getattr;
	o->opendir = op_opendir;
	o->readdir = op_readdir;
	o->readdirplus = op_readdirplus;
	o->releasedir = op_releasedir;
	o->statfs = op_statfs;
	fs_file_ops(o);
	fs_xattr_ops(o);
	fs_readonly_ops(o);
}

static struct fuse_lowlevel_ops ops;
static pthread_once_t ops_once = PTHREAD_ONCE_INIT;
static void init_ops(void) { fill_ops(&ops); }

const struct fuse_lowlevel_ops *fs_lowlevel_ops(void)
{
	pthread_once(&ops_once, init_ops);
	return &ops;
}
