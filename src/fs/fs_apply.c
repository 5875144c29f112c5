/*
 * fs_apply.c - make the node tree show a state snapshot (mount_view), and
 * tell the kernel exactly what changed.
 *
 * Items are matched by id and name (a renamed item is a new directory),
 * tables by (schema, name, table id, location): a table dropped and
 * recreated, or re-pointed to another location, gets a new node. Kept tables
 * get their root and _delta_log listings refreshed, so new commits appear.
 * Invalidations are collected under the tree lock and sent after it is
 * released (the kernel may call back into the file system meanwhile).
 * A file:// table is shown only when its location is below a root its item
 * allows (the view skips the others, whatever the stored rows say), and a
 * table whose item's roots changed gets a new node. An item's or lakehouse's
 * owner, group and mode are set on its node; when they change, the cached
 * attributes of everything below are invalidated. MOUNT/.ucfs/duckdb.sql,
 * spark.sql (core/sqldefs.h) and model.json (core/tablemodel.h) are made
 * from every applied view (not with volumes_root: no table is shown); their
 * size and mtime change with their content only.
 *
 * Volumes: MOUNT/Volumes/<catalog>/<schema>/<volume>/, the layout of
 * Databricks' /Volumes, so code reading /Volumes/c/s/v/... runs unchanged
 * against the mount point's Volumes directory (e.g. a /Volumes symlink).
 * The catalog name, not the item name, is the path: two items mirroring
 * one catalog with volumes show the first one's (by item name). A volume
 * node is an N_TABLE whose mtable has `volume` set. With volumes_root the
 * mount shows exactly that tree: the catalog directories are the root's
 * children (besides .ucfs), and items and lakehouses are not shown.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/sqldefs.h"
#include "core/status.h"
#include "core/tablemodel.h"
#include "core/view.h"
#include "fs/fs_internal.h"
#include "util/log.h"
#include "util/names.h"
#include "util/strutil.h"

struct inval {
	fuse_ino_t parent; /* entry invalidation: parent + name */
	char *name;
	fuse_ino_t ino; /* inode invalidation (name NULL) */
	bool attr_only; /* keep the page cache */
};

struct invals {
	struct inval *v;
	size_t n, cap;
	size_t changes;
	int err;
};

static void q_add(struct invals *q, fuse_ino_t parent, const char *name, fuse_ino_t ino)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		struct inval *v = realloc(q->v, cap * sizeof(*v));
		if (!v) {
			q->err = -ENOMEM;
			return;
		}
		q->v = v;
		q->cap = cap;
	}
	q->v[q->n].parent = parent;
	q->v[q->n].ino = ino;
	q->v[q->n].attr_only = false;
	q->v[q->n].name = name ? xstrdup(name) : NULL;
	if (name && !q->v[q->n].name) {
		q->err = -ENOMEM;
		return;
	}
	q->n++;
}

/* An entry appeared or vanished under dir. */
static void q_entry(struct invals *q, struct node *dir, const char *name)
{
	q_add(q, dir->ino, name, 0);
	q->changes++;
}

/* Cached attributes/pages/listing of n are stale. */
static void q_inode(struct invals *q, struct node *n) { q_add(q, 0, NULL, n->ino); }

/* Owners or modes of n and everything below changed. */
static void q_attrs_below(struct invals *q, struct node *n, int depth)
{
	size_t at = q->n;
	q_add(q, 0, NULL, n->ino);
	if (q->n > at)
		q->v[at].attr_only = true;
	for (size_t i = 0; i < n->nkids && depth < 4096; i++)
		q_attrs_below(q, n->kids[i], depth + 1);
}

/* Give an item's or lakehouse's node its owner, group and mode. */
static void set_access(struct ucfs_fs *fs, struct invals *q, struct node *n,
		       const struct access *a)
{
	uid_t uid = a->uid >= 0 ? (uid_t)a->uid : fs->cfg.uid;
	gid_t gid = a->gid >= 0 ? (gid_t)a->gid : fs->cfg.gid;
	mode_t perm = (mode_t)(a->mode >= 0 ? a->mode : ACCESS_DEFAULT_MODE) & 0777;
	if (n->uid == uid && n->gid == gid && n->perm == perm)
		return;
	n->uid = uid;
	n->gid = gid;
	n->perm = perm;
	q_attrs_below(q, n, 0);
}

static void drop(struct invals *q, struct node *n)
{
	q_entry(q, n->parent, n->name);
	node_unlink(n);
}

static struct node *add(struct ucfs_fs *fs, struct invals *q, struct node *dir, const char *name,
			enum node_kind kind)
{
	struct node *n = node_add(&fs->tree, dir, name, kind);
	if (!n) {
		q->err = -ENOMEM;
		return NULL;
	}
	n->mtime = fs_now();
	q_entry(q, dir, name); /* the kernel may hold a negative entry */
	return n;
}

static struct mtable *new_mtable(struct ucfs_fs *fs, const struct view_item *vi,
				 const struct table_row *r)
{
	struct mtable *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	tree_adopt_table(&fs->tree, m); /* freed with the tree, even when half-filled */
	m->item = xstrdup(vi->it.name);
	m->schema = xstrdup(r->schema_name);
	m->name = xstrdup(r->name);
	m->full_name = xasprintf("%s.%s.%s", vi->it.catalog, r->schema_name, r->name);
	m->table_id = xstrdup(r->table_id ? r->table_id : "");
	m->table_type = xstrdup(r->table_type ? r->table_type : "");
	m->format = xstrdup(r->format ? r->format : "");
	m->location = xstrdup(r->location ? r->location : "");
	m->volume = r->volume;
	m->stats = fs_item_stats(fs, vi->it.name);
	if (!m->item || !m->schema || !m->name || !m->full_name || !m->table_id ||
	    !m->table_type || !m->format || !m->location)
		return NULL;
	if (vi->it.n_allow_local && !(m->roots = calloc(vi->it.n_allow_local, sizeof(char *))))
		return NULL;
	for (size_t i = 0; i < vi->it.n_allow_local; i++, m->nroots++)
		if (!(m->roots[i] = xstrdup(vi->it.allow_local[i])))
			return NULL;
	return m;
}

static bool same_roots(const struct mtable *m, const struct item *it)
{
	if (m->nroots != it->n_allow_local)
		return false;
	for (size_t i = 0; i < m->nroots; i++)
		if (!str_eq(m->roots[i], it->allow_local[i]))
			return false;
	return true;
}

static bool same_table(const struct mtable *m, const struct view_item *vi,
		       const struct table_row *r)
{
	return str_eq(m->table_id, r->table_id ? r->table_id : "") &&
	       str_eq(m->location, r->location ? r->location : "") && same_roots(m, &vi->it);
}

/* A table kept across a sync: its listings are re-read on next access. */
static void refresh_table(struct invals *q, struct node *tn)
{
	tn->listed = false;
	q_inode(q, tn);
	struct node *log = node_child(tn, "_delta_log");
	if (log) {
		log->listed = false;
		q_inode(q, log);
	}
}

static struct node *table_node(struct ucfs_fs *fs, struct invals *q, struct node *dir,
			       const char *name, struct mtable *m)
{
	struct node *tn = add(fs, q, dir, name, N_TABLE);
	if (!tn)
		return NULL;
	if (!(tn->rel = xstrdup(""))) {
		q->err = -ENOMEM;
		return NULL;
	}
	tn->table = m;
	return tn;
}

/* Is row r shown among the tables (vol false) or the volumes (vol true)? */
static bool shown(const struct table_row *r, bool vol)
{
	return !r->skip_reason && r->volume == vol;
}

static const struct table_row *find_row(const struct view_item *vi, const char *schema,
					const char *name, bool vol)
{
	for (size_t i = 0; i < vi->nrows; i++)
		if (shown(&vi->rows[i], vol) && !strcmp(vi->rows[i].schema_name, schema) &&
		    !strcmp(vi->rows[i].name, name))
			return &vi->rows[i];
	return NULL;
}

static void apply_schema(struct ucfs_fs *fs, struct invals *q, struct node *sn,
			 const struct view_item *vi, bool vol)
{
	for (size_t i = sn->nkids; i-- > 0;) {
		struct node *tn = sn->kids[i];
		const struct table_row *r = find_row(vi, sn->name, tn->name, vol);
		if (!r || !same_table(tn->table, vi, r))
			drop(q, tn);
		else
			refresh_table(q, tn);
	}
	for (size_t i = 0; i < vi->nrows && !q->err; i++) {
		const struct table_row *r = &vi->rows[i];
		if (!shown(r, vol) || strcmp(r->schema_name, sn->name) || node_child(sn, r->name))
			continue;
		struct mtable *m = new_mtable(fs, vi, r);
		if (!m || !table_node(fs, q, sn, r->name, m))
			q->err = -ENOMEM;
	}
}

static void set_vfile(struct ucfs_fs *fs, struct invals *q, struct node *dir, const char *name,
		      char *content)
{
	struct node *f = node_child(dir, name);
	if (!f && !(f = add(fs, q, dir, name, N_VFILE))) {
		free(content);
		return;
	}
	size_t len = content ? strlen(content) : 0;
	if (f->vdata && len == f->vlen && !memcmp(f->vdata, content, len)) {
		free(content);
		return;
	}
	free(f->vdata);
	f->vdata = content;
	f->vlen = len;
	f->mtime = fs_now();
	q_inode(q, f);
}

/* The schema directories under dir (an item, or its volume catalog when
 * vol): those with a shown table (volume). */
static void apply_schemas(struct ucfs_fs *fs, struct invals *q, struct node *dir,
			  const struct view_item *vi, bool vol)
{
	for (size_t i = dir->nkids; i-- > 0;) {
		struct node *sn = dir->kids[i];
		if (sn->kind != N_SCHEMA)
			continue;
		bool wanted = false;
		for (size_t k = 0; k < vi->nrows && !wanted; k++)
			wanted = shown(&vi->rows[k], vol) && !strcmp(vi->rows[k].schema_name, sn->name);
		if (!wanted)
			drop(q, sn);
		else
			apply_schema(fs, q, sn, vi, vol);
	}
	for (size_t i = 0; i < vi->nrows && !q->err; i++) {
		const struct table_row *r = &vi->rows[i];
		if (!shown(r, vol) || node_child(dir, r->schema_name))
			continue;
		struct node *sn = add(fs, q, dir, r->schema_name, N_SCHEMA);
		if (sn)
			apply_schema(fs, q, sn, vi, vol);
	}
}

static void apply_item(struct ucfs_fs *fs, struct invals *q, struct node *in,
		       const struct view_item *vi, char *status)
{
	apply_schemas(fs, q, in, vi, false);
	struct node *dot = node_child(in, ".ucfs");
	if (!dot)
		dot = add(fs, q, in, ".ucfs", N_VDIR);
	if (dot)
		set_vfile(fs, q, dot, "status.json", status);
	else
		free(status);
}

/* The node of a mirrored table, if the tree shows it. */
static struct node *find_table_node(struct ucfs_fs *fs, const char *item, const char *schema,
				    const char *table)
{
	struct node *in = node_child(tree_root(&fs->tree), item);
	struct node *sn = in && in->kind == N_ITEM ? node_child(in, schema) : NULL;
	struct node *tn = sn ? node_child(sn, table) : NULL;
	return tn && tn->kind == N_TABLE ? tn : NULL;
}

static void apply_lakehouse(struct ucfs_fs *fs, struct invals *q, struct node *ln,
			    const struct mount_view *v)
{
	for (size_t i = 0; i < v->nlhs; i++)
		if (!strcmp(v->lhs[i].name, ln->name))
			set_access(fs, q, ln, &v->lhs[i].acc);
	struct node *tables = node_child(ln, "Tables");
	if (!tables && !(tables = add(fs, q, ln, "Tables", N_LHTABLES)))
		return;
	for (size_t i = tables->nkids; i-- > 0;) {
		struct node *sc = tables->kids[i];
		const struct view_shortcut *want = NULL;
		for (size_t k = 0; k < v->nscs && !want; k++)
			if (!v->scs[k].broken && !strcmp(v->scs[k].sc.lakehouse, ln->name) &&
			    !strcmp(v->scs[k].sc.name, sc->name))
				want = &v->scs[k];
		struct node *target = want ? find_table_node(fs, want->item->it.name,
							     want->sc.schema_name,
							     want->sc.table_name)
					   : NULL;
		if (!target || target->table != sc->table)
			drop(q, sc);
		else
			refresh_table(q, sc);
	}
	for (size_t k = 0; k < v->nscs && !q->err; k++) {
		const struct view_shortcut *s = &v->scs[k];
		if (s->broken || strcmp(s->sc.lakehouse, ln->name) || node_child(tables, s->sc.name))
			continue;
		struct node *target = find_table_node(fs, s->item->it.name, s->sc.schema_name,
						      s->sc.table_name);
		if (target)
			table_node(fs, q, tables, s->sc.name, target->table);
	}
}

static void apply_vcatalogs(struct ucfs_fs *fs, struct invals *q, struct node *dir,
			    const struct mount_view *v);

/* MOUNT/Volumes: shown while an item mirrors volumes, unless an item or
 * lakehouse is named Volumes (it keeps its name; the volumes are not
 * shown and the log says why). */
static void apply_volumes(struct ucfs_fs *fs, struct invals *q, struct node *root,
			  const struct mount_view *v)
{
	struct node *vn = node_child(root, VOLUMES_DIR);
	bool any = false;
	for (size_t i = 0; i < v->nitems && !any; i++)
		any = v->items[i].it.volumes;
	if (vn && vn->kind != N_VOLUMES) {
		if (any && !fs->volumes_shadowed_logged)
			log_error("MOUNT/%s is the mirrored item or lakehouse named '%s': volumes are "
				  "not shown; rename it (ucfs mirror edit %s --rename NEW)",
				  VOLUMES_DIR, VOLUMES_DIR, VOLUMES_DIR);
		fs->volumes_shadowed_logged = any;
		return;
	}
	fs->volumes_shadowed_logged = false;
	if (!any) {
		if (vn)
			drop(q, vn);
		return;
	}
	if (!vn && !(vn = add(fs, q, root, VOLUMES_DIR, N_VOLUMES)))
		return;
	apply_vcatalogs(fs, q, vn, v);
}

/* The catalog directories under dir (MOUNT/Volumes, or the root with
 * volumes_root), each showing its owner item's volumes. */
static void apply_vcatalogs(struct ucfs_fs *fs, struct invals *q, struct node *dir,
			    const struct mount_view *v)
{
	for (size_t i = dir->nkids; i-- > 0;) {
		struct node *cn = dir->kids[i];
		if (cn->kind != N_VCATALOG)
			continue;
		const struct view_item *vi = view_volume_owner(v, cn->name);
		if (!vi || vi->it.id != cn->ref_id)
			drop(q, cn);
	}
	for (size_t i = 0; i < v->nitems && !q->err; i++) {
		const struct view_item *vi = &v->items[i];
		if (view_volume_owner(v, vi->it.catalog) != vi)
			continue;
		const char *bad = name_entry_problem(vi->it.catalog);
		if (bad) { /* the catalog name the item was made with: never a path */
			log_error("mirrored item '%s': its volumes are not shown: catalog name %s",
				  vi->it.name, bad);
			continue;
		}
		struct node *cn = node_child(dir, vi->it.catalog);
		if (!cn && (cn = add(fs, q, dir, vi->it.catalog, N_VCATALOG)))
			cn->ref_id = vi->it.id;
		if (!cn)
			return;
		set_access(fs, q, cn, &vi->it.acc);
		apply_schemas(fs, q, cn, vi, true);
	}
}

static void send_invals(struct ucfs_fs *fs, struct invals *q)
{
	pthread_mutex_lock(&fs->lock);
	struct fuse_session *se = fs->se;
	pthread_mutex_unlock(&fs->lock);
	for (size_t i = 0; i < q->n; i++) {
		struct inval *x = &q->v[i];
		if (se && x->name)
			fuse_lowlevel_notify_inval_entry(se, x->parent, x->name, strlen(x->name));
		else if (se) /* a negative offset: attributes only */
			fuse_lowlevel_notify_inval_inode(se, x->ino, x->attr_only ? -1 : 0, 0);
		free(x->name);
	}
	free(q->v);
}

int fs_apply(struct ucfs_fs *fs, const struct mount_view *v)
{
	struct invals q = {0};
	/* Status documents are built before taking the lock. */
	char **status = calloc(v->nitems ? v->nitems : 1, sizeof(char *));
	if (!status)
		return -ENOMEM;
	for (size_t i = 0; i < v->nitems; i++) {
		cJSON *j = status_item_json(&v->items[i], true);
		status[i] = j ? cJSON_Print(j) : NULL;
		cJSON_Delete(j);
	}
	/* The tables by name (NULL without a mount point, with volumes_root, or
	 * out of memory: the files keep their last content). */
	const char *mp = fs->cfg.volumes_root ? NULL : fs->cfg.mountpoint;
	char *duck = mp ? sqldefs_duckdb(v, mp) : NULL;
	char *spark = mp ? sqldefs_spark(v, mp) : NULL;
	char *model = mp ? tablemodel_json(v, mp) : NULL;

	/* An item or lakehouse named Volumes takes the name (apply_volumes). */
	bool volumes_taken = false;
	for (size_t i = 0; i < v->nitems; i++)
		volumes_taken |= !strcmp(v->items[i].it.name, VOLUMES_DIR);
	for (size_t i = 0; i < v->nlhs; i++)
		volumes_taken |= !strcmp(v->lhs[i].name, VOLUMES_DIR);

	pthread_mutex_lock(&fs->lock);
	struct node *root = tree_root(&fs->tree);
	for (size_t i = root->nkids; i-- > 0;) {
		struct node *n = root->kids[i];
		bool keep = n->kind == N_VDIR || (n->kind == N_VOLUMES && !volumes_taken) ||
			    n->kind == N_VCATALOG; /* apply_vcatalogs prunes them */
		if (n->kind == N_ITEM && !fs->cfg.volumes_root) /* volumes_root: none kept */
			for (size_t k = 0; k < v->nitems && !keep; k++)
				keep = v->items[k].it.id == n->ref_id &&
				       !strcmp(v->items[k].it.name, n->name);
		else if (n->kind == N_LAKEHOUSE && !fs->cfg.volumes_root)
			for (size_t k = 0; k < v->nlhs && !keep; k++)
				keep = !strcmp(v->lhs[k].name, n->name);
		if (!keep)
			drop(&q, n);
	}
	for (size_t i = 0; i < v->nitems && !q.err && !fs->cfg.volumes_root; i++) {
		const struct view_item *vi = &v->items[i];
		struct node *in = node_child(root, vi->it.name);
		if (!in && (in = add(fs, &q, root, vi->it.name, N_ITEM)))
			in->ref_id = vi->it.id;
		if (in)
			set_access(fs, &q, in, &vi->it.acc);
		if (in)
			apply_item(fs, &q, in, vi, status[i]);
		else
			free(status[i]);
		status[i] = NULL;
	}
	struct node *dot = node_child(root, ".ucfs");
	if (!dot && (dot = add(fs, &q, root, ".ucfs", N_VDIR))) {
		struct node *sf = add(fs, &q, dot, "stats.json", N_VFILE);
		if (sf)
			sf->dynamic = true;
	}
	if (dot && duck)
		set_vfile(fs, &q, dot, "duckdb.sql", duck);
	else
		free(duck);
	if (dot && spark)
		set_vfile(fs, &q, dot, "spark.sql", spark);
	else
		free(spark);
	if (dot && model)
		set_vfile(fs, &q, dot, "model.json", model);
	else
		free(model);
	for (size_t i = 0; i < v->nlhs && !q.err && !fs->cfg.volumes_root; i++) {
		struct node *ln = node_child(root, v->lhs[i].name);
		if (!ln)
			ln = add(fs, &q, root, v->lhs[i].name, N_LAKEHOUSE);
		if (ln)
			apply_lakehouse(fs, &q, ln, v);
	}
	if (!q.err && fs->cfg.volumes_root)
		apply_vcatalogs(fs, &q, root, v);
	else if (!q.err)
		apply_volumes(fs, &q, root, v);
	pthread_mutex_unlock(&fs->lock);

	for (size_t i = 0; i < v->nitems; i++)
		free(status[i]);
	free(status);
	int r = q.err ? q.err : (int)q.changes;
	if (q.err)
		log_error("applying the synced state to the mount: %s", strerror(-q.err));
	send_invals(fs, &q);
	return r;
}
