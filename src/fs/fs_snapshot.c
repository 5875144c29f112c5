/*
 * fs_snapshot.c - prefetched snapshots in the tree, and the cache control
 * operations that need it (the control socket's ops, daemon/control.h):
 *  - a cloud table whose listing fails shows the files of its location's
 *    manifest (cache/snapstore.h) instead, so what was prefetched reads
 *    with storage and Unity Catalog out of reach;
 *  - "snapshot" records a manifest of files a client read through the
 *    mount (each must be fully in the disk cache), optionally pinned;
 *  - "status" reports the cache per table, "drop" evicts a table's
 *    objects and forgets its manifest, "unpin" unpins it, "info" the totals.
 * Paths in requests are directories relative to the mount root, resolved
 * through the tree (never used as local paths).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cJSON.h"
#include "cache/objcache.h"
#include "cache/reader.h"
#include "cache/snapstore.h"
#include "fs/fs_internal.h"
#include "util/jsonnum.h"
#include "util/log.h"
#include "util/strutil.h"

#define CTL_MAX_FILES SNAP_MAX_FILES

static struct ocache *cache_of(struct ucfs_fs *fs)
{
	return fs->backend.pool ? reader_pool_cache(fs->backend.pool) : NULL;
}

static bool cloud(const struct mtable *m)
{
	return m && !m->volume && !str_startswith(m->location, "file:");
}

bool fs_snapshot_listing(struct ucfs_fs *fs, struct node *dir, int err, struct storage_list *l)
{
	struct mtable *m = dir->table;
	uint64_t version = 0;
	/* Access refused (by Unity Catalog or the storage) is an answer, not an
	 * outage: what was prefetched is not shown to whom it is denied now. */
	if (err == -EACCES || err == -EPERM)
		return false;
	if (!fs->backend.snaps || !cloud(m) ||
	    snapstore_list(fs->backend.snaps, m->location, dir->rel, l, &version))
		return false;
	if (!m->snap_served)
		log_warn("table %s: its storage cannot be reached (%s): showing its prefetched "
			 "snapshot (version %llu) until it can", m->full_name, strerror(-err),
			 (unsigned long long)version);
	m->snap_served = true;
	return true;
}

void fs_snapshot_online(struct mtable *m)
{
	if (m && m->snap_served)
		log_info("table %s: its storage can be reached again", m->full_name);
	if (m)
		m->snap_served = false;
}

bool fs_offline_cloud(const struct ucfs_fs *fs, const struct mtable *m)
{
	return fs->backend.offline && m && !str_startswith(m->location, "file:");
}

static void noop(const struct snap_manifest *m, void *ctx)
{
	(void)m, (void)ctx;
}

bool fs_snapshot_has(struct ucfs_fs *fs, const struct mtable *m)
{
	return fs->backend.snaps && cloud(m) &&
	       snapstore_visit(fs->backend.snaps, m->location, noop, NULL) == 0;
}

/* ---- the control operations ---- */

static cJSON *fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static cJSON *fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON *a = cJSON_CreateObject();
	if (a) {
		cJSON_AddFalseToObject(a, "ok");
		cJSON_AddStringToObject(a, "error", msg);
	}
	return a;
}

static cJSON *ok(void)
{
	cJSON *a = cJSON_CreateObject();
	if (a)
		cJSON_AddTrueToObject(a, "ok");
	return a;
}

static void num(cJSON *o, const char *k, uint64_t v)
{
	cJSON_AddNumberToObject(o, k, (double)v);
}

/* The directory PATH names (relative to the mount root), walking only the
 * tree: item/schema/table levels and lakehouse shortcuts (lock held). */
static struct node *resolve_table(struct ucfs_fs *fs, const char *path)
{
	size_t len = path ? strlen(path) : 0;
	/* relative, no empty component (what the protocol says; never tidied) */
	if (!len || len > 4096 || path[0] == '/' || path[len - 1] == '/' || strstr(path, "//"))
		return NULL;
	char *p = xstrdup(path), *save = NULL;
	struct node *n = p ? tree_root(&fs->tree) : NULL;
	for (char *c = p ? strtok_r(p, "/", &save) : NULL; n && c; c = strtok_r(NULL, "/", &save))
		n = !strcmp(c, ".") || !strcmp(c, "..") ? NULL : node_child(n, c);
	free(p);
	return n && n->kind == N_TABLE && !n->removed ? n : NULL;
}

/* File REL below table node T, listing directories on the way (lock held,
 * dropped while listing). */
static struct node *resolve_file(struct ucfs_fs *fs, struct node *t, const char *rel, int *err)
{
	char *p = xstrdup(rel), *save = NULL;
	struct node *n = p ? t : NULL;
	*err = p ? 0 : -ENOMEM;
	for (char *c = p ? strtok_r(p, "/", &save) : NULL; n && c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, ".") || !strcmp(c, "..") || !node_is_dir(n)) {
			n = NULL;
			break;
		}
		int r = fs_ensure_listed(fs, n);
		if (r) {
			*err = r;
			n = NULL;
			break;
		}
		n = node_child(n, c);
	}
	free(p);
	if (n && n->kind != N_FILE)
		n = NULL;
	if (!n && !*err)
		*err = -ENOENT;
	return n;
}

static void pin_all(struct ocache *c, const struct snap_manifest *m, bool pin)
{
	for (size_t i = 0; m && i < m->nfiles; i++)
		ocache_pin(c, m->files[i].id, pin);
}

static void unpin_visit(const struct snap_manifest *m, void *ctx)
{
	pin_all(ctx, m, false);
}

static char *human(uint64_t b, char *buf, size_t n)
{
	if (b >= (1ULL << 30))
		snprintf(buf, n, "%.1f GiB", (double)b / (1ULL << 30));
	else
		snprintf(buf, n, "%.1f MiB", (double)b / (1ULL << 20));
	return buf;
}

struct pinned_of {
	struct ocache *c;
	uint64_t bytes;
};

static void pinned_visit(const struct snap_manifest *m, void *ctx)
{
	struct pinned_of *p = ctx;
	for (size_t i = 0; m->pinned && i < m->nfiles; i++) {
		uint64_t b = 0;
		if (!ocache_lookup(p->c, m->files[i].id, m->files[i].size, &b, NULL, NULL))
			p->bytes += b;
	}
}

static cJSON *op_snapshot(struct ucfs_fs *fs, const cJSON *req)
{
	struct ocache *c = cache_of(fs);
	const cJSON *jpath = cJSON_GetObjectItemCaseSensitive(req, "path");
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(req, "files");
	bool pin = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "pin"));
	uint64_t version = (uint64_t)json_item_i64(cJSON_GetObjectItemCaseSensitive(req, "version"),
						   0, INT64_MAX, 0);
	if (!c || !fs->backend.snaps)
		return fail("the mount has no disk cache (see its log): nothing can be prefetched");
	if (!cJSON_IsString(jpath) || !cJSON_IsArray(files))
		return fail("a snapshot request needs \"path\" and \"files\"");
	int nf = cJSON_GetArraySize(files);
	if (nf > CTL_MAX_FILES)
		return fail("a snapshot of more than %d files is not supported", CTL_MAX_FILES);
	struct snap_manifest *m = calloc(1, sizeof(*m));
	if (!m || !(m->files = calloc((size_t)nf + 1, sizeof(*m->files)))) {
		free(m);
		return fail("out of memory");
	}
	cJSON *answer = NULL;
	pthread_mutex_lock(&fs->lock);
	struct node *t = resolve_table(fs, jpath->valuestring);
	struct mtable *tab = t ? t->table : NULL;
	if (!t)
		answer = fail("no table '%s' in the mount", jpath->valuestring);
	else if (!cloud(tab))
		answer = fail("%s %s is not in cloud storage: its files are read where they are, "
			      "never cached", tab->volume ? "volume" : "table", tab->full_name);
	if (!answer && (!(m->location = xstrdup(tab->location)) || !(m->table = xstrdup(tab->full_name))))
		answer = fail("out of memory");
	const cJSON *f = files->child;
	for (int i = 0; !answer && i < nf && f; i++, f = f->next) {
		const cJSON *fp = cJSON_GetObjectItemCaseSensitive(f, "path");
		if (!cJSON_IsString(fp)) {
			answer = fail("file %d of the request has no path", i);
			break;
		}
		int err = 0;
		struct node *n = resolve_file(fs, t, fp->valuestring, &err);
		if (!n) {
			answer = fail("'%s' is not a file of table %s (%s)", fp->valuestring,
				      tab->full_name, strerror(-err));
			break;
		}
		struct snap_file *sf = &m->files[m->nfiles++];
		sf->path = xstrdup(n->rel);
		sf->etag = n->etag ? xstrdup(n->etag) : NULL;
		sf->size = n->size;
		sf->mtime = n->mtime;
		char *id = fs_cache_identity(tab->location, n->rel, n->etag, n->size);
		if (!sf->path || (n->etag && !sf->etag) || !id) {
			free(id);
			answer = fail("out of memory");
			break;
		}
		ocache_id(id, sf->id);
		free(id);
		m->bytes += sf->size;
		bool complete = false;
		if (ocache_lookup(c, sf->id, sf->size, NULL, &complete, NULL) || !complete) {
			char cap[32];
			answer = fail("'%s' of table %s is not fully in the cache (evicted while "
				      "prefetching?): the cache (%s) may be too small for it",
				      sf->path, tab->full_name, human(ocache_max_bytes(c), cap, sizeof(cap)));
		}
	}
	pthread_mutex_unlock(&fs->lock);
	uint64_t cap = ocache_max_bytes(c), limit = cap - cap / 16;
	if (!answer && pin) {
		/* what stays pinned: every pinned object but this table's old ones */
		struct pinned_of old = {.c = c};
		snapstore_visit(fs->backend.snaps, m->location, pinned_visit, &old);
		uint64_t now = ocache_pinned_bytes(c), after = now - (old.bytes < now ? old.bytes : now);
		for (size_t i = 0; i < m->nfiles; i++) {
			uint64_t b = 0;
			ocache_lookup(c, m->files[i].id, m->files[i].size, &b, NULL, NULL);
			after += b;
		}
		char a[32], b[32], d[32];
		if (after > limit)
			answer = fail("pinning %s (%s) would take pinned snapshots to %s of the %s "
				      "cache (at most 15/16 of it can be pinned): raise -o cache_size= "
				      "or 'ucfs cache drop' another table", m->table,
				      human(m->bytes, a, sizeof(a)), human(after, b, sizeof(b)),
				      human(cap, d, sizeof(d)));
	}
	if (answer) {
		snap_manifest_free(m);
		return answer;
	}
	m->version = version;
	m->pinned = pin;
	m->created = (int64_t)time(NULL);
	size_t n = m->nfiles;
	uint64_t bytes = m->bytes;
	char *table = xstrdup(m->table);
	/* The old manifest's pins go first: files both share are pinned again. */
	snapstore_visit(fs->backend.snaps, m->location, unpin_visit, c);
	struct snap_manifest *old = NULL;
	const struct snap_manifest *keep = m;
	int r = snapstore_put(fs->backend.snaps, m, &old);
	if (!r && pin)
		pin_all(c, keep, true);
	snap_manifest_free(old);
	if (r) {
		free(table);
		return fail("cannot write the snapshot manifest in the cache directory: %s",
			    strerror(-r));
	}
	log_info("table %s: snapshot version %llu recorded (%zu files, %llu bytes%s)",
		 table ? table : "?", (unsigned long long)version, n, (unsigned long long)bytes,
		 pin ? ", pinned" : "");
	free(table);
	cJSON *a = ok();
	if (a) {
		num(a, "files", n);
		num(a, "bytes", bytes);
		num(a, "pinned_bytes", ocache_pinned_bytes(c));
	}
	return a;
}

/* ---- status ---- */

struct trow {
	char *location, *name, *full_name;
	cJSON *paths;
	uint64_t group;
	struct ocache_usage u;
};

/* PATH of node n relative to the mount root (malloc'ed). */
static char *node_path(const struct node *n)
{
	size_t len = 0;
	for (const struct node *p = n; p && p->parent; p = p->parent)
		len += strlen(p->name) + 1;
	len = len ? len - 1 : 0; /* separators between the names */
	char *out = malloc(len + 1);
	if (!out)
		return NULL;
	out[len] = '\0';
	size_t at = len;
	for (const struct node *p = n; p && p->parent; p = p->parent) {
		size_t l = strlen(p->name);
		at -= l;
		memcpy(out + at, p->name, l);
		if (at)
			out[--at] = '/';
	}
	return out;
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct trow *)a)->name, ((const struct trow *)b)->name);
}

struct snap_sum {
	struct ocache *c;
	cJSON *o;
};

static void snap_visit(const struct snap_manifest *m, void *ctx)
{
	struct snap_sum *s = ctx;
	uint64_t cached = 0;
	for (size_t i = 0; i < m->nfiles; i++) {
		uint64_t b = 0;
		bool full = false;
		if (!ocache_lookup(s->c, m->files[i].id, m->files[i].size, &b, &full, NULL))
			cached += full ? m->files[i].size : b;
	}
	if (!(s->o = cJSON_CreateObject()))
		return;
	num(s->o, "version", m->version);
	cJSON_AddBoolToObject(s->o, "pinned", m->pinned);
	num(s->o, "files", m->nfiles);
	num(s->o, "bytes", m->bytes);
	num(s->o, "cached_bytes", cached);
	num(s->o, "created", (uint64_t)m->created);
}

static void add_totals(struct ucfs_fs *fs, cJSON *a, struct ocache *c)
{
	struct ocache_stats st;
	ocache_stats(c, &st);
	cJSON_AddStringToObject(a, "cache_dir", ocache_dir(c));
	num(a, "max_bytes", ocache_max_bytes(c));
	num(a, "used_bytes", st.bytes_used);
	num(a, "pinned_bytes", ocache_pinned_bytes(c));
	cJSON_AddBoolToObject(a, "offline", fs->backend.offline);
}

static cJSON *op_status(struct ucfs_fs *fs)
{
	struct ocache *c = cache_of(fs);
	if (!c)
		return fail("the mount has no disk cache (see its log)");
	struct trow *rows = NULL;
	size_t n = 0, cap = 0;
	bool oom = false;
	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->tree.n && !oom; i++) {
		struct node *t = fs->tree.by_ino[i];
		if (!t || t->kind != N_TABLE || t->removed || !cloud(t->table))
			continue;
		size_t k = 0;
		while (k < n && strcmp(rows[k].location, t->table->location))
			k++;
		char *path = node_path(t);
		if (!path) {
			oom = true;
			break;
		}
		if (k == n) {
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 64;
				struct trow *nr = realloc(rows, nc * sizeof(*nr));
				if (!nr) {
					free(path);
					oom = true;
					break;
				}
				rows = nr;
				cap = nc;
			}
			memset(&rows[n], 0, sizeof(rows[n]));
			rows[n].location = xstrdup(t->table->location);
			rows[n].full_name = xstrdup(t->table->full_name);
			rows[n].paths = cJSON_CreateArray();
			rows[n].group = snap_group(t->table->location);
			n++;
		}
		/* item/schema/table names it best; a shortcut only when nothing else does */
		bool item_path = t->parent && t->parent->kind == N_SCHEMA;
		if (!rows[k].name || item_path) {
			free(rows[k].name);
			rows[k].name = xstrdup(path);
			for (char *q = rows[k].name; q && *q; q++)
				if (*q == '/')
					*q = '.';
		}
		if (!rows[k].location || !rows[k].full_name || !rows[k].paths || !rows[k].name ||
		    !cJSON_AddItemToArray(rows[k].paths, cJSON_CreateString(path)))
			oom = true;
		free(path);
	}
	pthread_mutex_unlock(&fs->lock);
	struct ocache_usage *u = NULL;
	size_t nu = 0;
	if (!oom && ocache_groups(c, &u, &nu))
		oom = true;
	uint64_t other = 0;
	for (size_t g = 0; !oom && g < nu; g++) {
		bool found = false;
		for (size_t k = 0; k < n; k++)
			if (rows[k].group == u[g].group) {
				rows[k].u = u[g];
				found = true;
			}
		if (!found)
			other += u[g].bytes;
	}
	free(u);
	cJSON *a = oom ? NULL : ok(), *arr = NULL;
	if (a) {
		add_totals(fs, a, c);
		num(a, "other_bytes", other);
		arr = cJSON_AddArrayToObject(a, "tables");
	}
	if (n)
		qsort(rows, n, sizeof(*rows), row_cmp);
	for (size_t k = 0; k < n; k++) {
		struct snap_sum ss = {.c = c};
		if (arr)
			snapstore_visit(fs->backend.snaps, rows[k].location, snap_visit, &ss);
		cJSON *o = arr && (rows[k].u.bytes || ss.o) ? cJSON_CreateObject() : NULL;
		if (o && cJSON_AddItemToArray(arr, o)) {
			cJSON_AddStringToObject(o, "table", rows[k].name);
			cJSON_AddStringToObject(o, "full_name", rows[k].full_name);
			cJSON *first = cJSON_GetArrayItem(rows[k].paths, 0);
			cJSON_AddStringToObject(o, "path", first ? first->valuestring : "");
			cJSON_AddItemToObject(o, "paths", rows[k].paths);
			rows[k].paths = NULL;
			cJSON_AddStringToObject(o, "location", rows[k].location);
			num(o, "bytes", rows[k].u.bytes);
			num(o, "objects", rows[k].u.objects);
			num(o, "last_use", rows[k].u.last_use / 1000000000ULL);
			if (ss.o)
				cJSON_AddItemToObject(o, "snapshot", ss.o);
			else
				cJSON_AddNullToObject(o, "snapshot");
			ss.o = NULL;
		}
		cJSON_Delete(ss.o);
		cJSON_Delete(rows[k].paths);
		free(rows[k].location);
		free(rows[k].name);
		free(rows[k].full_name);
	}
	free(rows);
	return a ? a : fail("out of memory");
}

/* ---- drop, unpin, info ---- */

static cJSON *op_drop(struct ucfs_fs *fs, const cJSON *req, bool unpin_only)
{
	struct ocache *c = cache_of(fs);
	const cJSON *jpath = cJSON_GetObjectItemCaseSensitive(req, "path");
	if (!c)
		return fail("the mount has no disk cache (see its log)");
	if (!cJSON_IsString(jpath))
		return fail("the request needs \"path\"");
	pthread_mutex_lock(&fs->lock);
	struct node *t = resolve_table(fs, jpath->valuestring);
	char *loc = t && cloud(t->table) ? xstrdup(t->table->location) : NULL;
	char *name = t ? xstrdup(t->table->full_name) : NULL;
	bool local = t && !cloud(t->table);
	pthread_mutex_unlock(&fs->lock);
	if (!t || local || !loc || !name) {
		free(loc);
		free(name);
		return !t ? fail("no table '%s' in the mount", jpath->valuestring)
		       : local ? fail("table '%s' is not in cloud storage: nothing of it is cached",
				      jpath->valuestring)
			       : fail("out of memory");
	}
	cJSON *a = NULL;
	if (unpin_only) {
		snapstore_visit(fs->backend.snaps, loc, unpin_visit, c);
		int r = fs->backend.snaps ? snapstore_set_pinned(fs->backend.snaps, loc, false) : -ENOENT;
		a = r == -ENOENT ? fail("table %s has no prefetched snapshot to unpin", name)
		    : r ? fail("cannot rewrite the snapshot manifest of %s: %s", name, strerror(-r))
			: ok();
	} else {
		struct snap_manifest *old = NULL;
		if (fs->backend.snaps && !snapstore_remove(fs->backend.snaps, loc, &old))
			pin_all(c, old, false);
		snap_manifest_free(old);
		uint64_t freed = ocache_drop_group(c, snap_group(loc));
		log_info("table %s: dropped from the disk cache (%llu bytes)", name,
			 (unsigned long long)freed);
		/* The kernel's page cache of its files goes too: a reread fetches. */
		struct fuse_session *se = NULL;
		uint64_t *inos = NULL;
		size_t ni = 0;
		pthread_mutex_lock(&fs->lock);
		se = fs->se;
		inos = se ? calloc(fs->tree.n + 1, sizeof(*inos)) : NULL;
		for (size_t i = 0; inos && i < fs->tree.n; i++) {
			struct node *x = fs->tree.by_ino[i];
			if (x && x->kind == N_FILE && x->table && !strcmp(x->table->location, loc))
				inos[ni++] = x->ino;
		}
		pthread_mutex_unlock(&fs->lock);
		for (size_t i = 0; i < ni; i++)
			fuse_lowlevel_notify_inval_inode(se, (fuse_ino_t)inos[i], 0, 0);
		free(inos);
		if ((a = ok()))
			num(a, "bytes", freed);
	}
	free(loc);
	free(name);
	return a;
}

cJSON *fs_control(struct ucfs_fs *fs, const cJSON *req)
{
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
	if (!cJSON_IsString(op))
		return fail("the request has no \"op\"");
	if (!strcmp(op->valuestring, "info")) {
		struct ocache *c = cache_of(fs);
		cJSON *a = c ? ok() : fail("the mount has no disk cache (see its log)");
		if (a && c)
			add_totals(fs, a, c);
		return a;
	}
	if (!strcmp(op->valuestring, "snapshot"))
		return op_snapshot(fs, req);
	if (!strcmp(op->valuestring, "status"))
		return op_status(fs);
	if (!strcmp(op->valuestring, "drop"))
		return op_drop(fs, req, false);
	if (!strcmp(op->valuestring, "unpin"))
		return op_drop(fs, req, true);
	return fail("unknown op '%.64s' (info, snapshot, status, drop, unpin)", op->valuestring);
}
