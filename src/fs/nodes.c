/* nodes.c - see nodes.h. */
#include "fs/nodes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

static void node_free(struct node *n)
{
	free(n->vdata);
	free(n->etag);
	free(n->hint_seen);
	free(n->hint_ok);
	free(n->name);
	free(n->rel);
	free(n->kids);
	free(n);
}

static void mtable_free(struct mtable *m)
{
	storage_free(m->st);
	free(m->item);
	free(m->schema);
	free(m->name);
	free(m->full_name);
	free(m->table_id);
	free(m->table_type);
	free(m->format);
	free(m->location);
	for (size_t i = 0; i < m->nroots; i++)
		free(m->roots[i]);
	free(m->roots);
	free(m);
}

static struct node *alloc_node(struct tree *t, const char *name, enum node_kind kind)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct node **v = realloc(t->by_ino, cap * sizeof(*v));
		if (!v)
			return NULL;
		t->by_ino = v;
		t->cap = cap;
	}
	struct node *n = calloc(1, sizeof(*n));
	if (!n || !(n->name = xstrdup(name))) {
		free(n);
		return NULL;
	}
	n->kind = kind;
	t->by_ino[t->n++] = n;
	n->ino = t->n;
	return n;
}

int tree_init(struct tree *t, struct timespec now)
{
	memset(t, 0, sizeof(*t));
	struct node *root = alloc_node(t, "", N_ROOT);
	if (!root)
		return -ENOMEM;
	root->mtime = now;
	return 0;
}

void tree_destroy(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		node_free(t->by_ino[i]);
	free(t->by_ino);
	while (t->tables) {
		struct mtable *m = t->tables;
		t->tables = m->next;
		mtable_free(m);
	}
	memset(t, 0, sizeof(*t));
}

struct node *tree_get(struct tree *t, uint64_t ino)
{
	if (ino == 0 || ino > t->n)
		return NULL;
	return t->by_ino[ino - 1];
}

struct node *tree_root(struct tree *t) { return t->by_ino[0]; }

bool node_is_dir(const struct node *n) { return n->kind != N_FILE && n->kind != N_VFILE; }

bool node_in_storage(const struct node *n)
{
	return n->kind == N_TABLE || n->kind == N_DIR || n->kind == N_FILE;
}

void tree_adopt_table(struct tree *t, struct mtable *m)
{
	m->next = t->tables;
	t->tables = m;
}

/* Index of the first child whose name is >= name. */
static size_t lower_bound(const struct node *dir, const char *name)
{
	size_t lo = 0, hi = dir->nkids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(dir->kids[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct node *node_child(const struct node *dir, const char *name)
{
	size_t i = lower_bound(dir, name);
	if (i < dir->nkids && strcmp(dir->kids[i]->name, name) == 0)
		return dir->kids[i];
	return NULL;
}

struct node *node_add(struct tree *t, struct node *dir, const char *name, enum node_kind kind)
{
	if (dir->nkids == dir->capkids) {
		size_t cap = dir->capkids ? dir->capkids * 2 : 8;
		struct node **v = realloc(dir->kids, cap * sizeof(*v));
		if (!v)
			return NULL;
		dir->kids = v;
		dir->capkids = cap;
	}
	struct node *n = alloc_node(t, name, kind);
	if (!n)
		return NULL;
	n->parent = dir;
	n->table = dir->table;
	n->in_log = dir->in_log || (dir->kind == N_TABLE && !(dir->table && dir->table->volume) &&
				     strcmp(name, "_delta_log") == 0);
	n->mtime = dir->mtime;
	if (kind == N_DIR || kind == N_FILE) {
		n->rel = *dir->rel ? xasprintf("%s/%s", dir->rel, name) : xstrdup(name);
		if (!n->rel) {
			/* Leave the node allocated (owned by the inode table) but unlinked. */
			n->removed = true;
			return NULL;
		}
	}
	size_t i = lower_bound(dir, name);
	memmove(dir->kids + i + 1, dir->kids + i, (dir->nkids - i) * sizeof(*dir->kids));
	dir->kids[i] = n;
	dir->nkids++;
	dir->list_gen++;
	return n;
}

struct node *node_ensure(struct tree *t, struct node *dir, const char *name, enum node_kind kind)
{
	struct node *n = node_child(dir, name);
	return n ? n : node_add(t, dir, name, kind);
}

static void mark_removed(struct node *n)
{
	n->removed = true;
	for (size_t i = 0; i < n->nkids; i++)
		mark_removed(n->kids[i]);
	n->nkids = 0;
}

void node_unlink(struct node *n)
{
	struct node *dir = n->parent;
	if (dir) {
		size_t i = lower_bound(dir, n->name);
		if (i < dir->nkids && dir->kids[i] == n) {
			memmove(dir->kids + i, dir->kids + i + 1,
				(dir->nkids - i - 1) * sizeof(*dir->kids));
			dir->nkids--;
			dir->list_gen++;
		}
	}
	mark_removed(n);
}

void node_set_entry(struct node *n, const struct storage_entry *e)
{
	n->size = e->is_dir ? 0 : e->size;
	n->mtime = e->mtime;
	if (!str_eq(n->etag, e->etag)) {
		char *t = xstrdup(e->etag);
		if (t || !e->etag) { /* on ENOMEM keep the old one: opens re-check anyway */
			free(n->etag);
			n->etag = t;
		}
	}
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct storage_entry *)a)->name,
		      ((const struct storage_entry *)b)->name);
}

int node_merge_listing(struct tree *t, struct node *dir, const struct storage_list *l,
		       struct timespec now)
{
	if (l->n > 1)
		qsort(l->items, l->n, sizeof(*l->items), cmp_entry);
	/* Unlink children that vanished or changed between file and directory. */
	for (size_t i = dir->nkids; i-- > 0;) {
		struct node *k = dir->kids[i];
		struct storage_entry key = {.name = k->name};
		struct storage_entry *e =
			l->n ? bsearch(&key, l->items, l->n, sizeof(*l->items), cmp_entry) : NULL;
		if (!e || e->is_dir != (k->kind == N_DIR))
			node_unlink(k);
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct storage_entry *e = &l->items[i];
		struct node *k = node_ensure(t, dir, e->name, e->is_dir ? N_DIR : N_FILE);
		if (!k)
			return -ENOMEM;
		if (!k->frozen)
			node_set_entry(k, e);
	}
	dir->listed = true;
	dir->listed_at = now;
	return 0;
}
