/*
 * nodes.h - the in-memory tree behind the mount: inode numbers, names,
 * attributes and directory children.
 *
 * Contract: pure data structure, no FUSE and no I/O, NOT locked (the caller,
 * fs.c, holds its tree lock around every call). Inode numbers are dense and
 * never reused during a mount (1 is the root). Children are kept sorted by
 * name for O(log n) lookup. A node dropped from its parent (the object
 * vanished) stays addressable by inode, flagged `removed`, because the
 * kernel may still hold it; it is freed with the tree.
 */
#ifndef UCFS_NODES_H
#define UCFS_NODES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "storage/storage.h"
#include "util/iostats.h"

enum node_kind {
	N_ROOT,   /* the mount point */
	N_ITEM,   /* a mirrored item */
	N_SCHEMA, /* a schema of an item */
	N_TABLE,  /* a table: the root of its storage location */
	N_DIR,    /* a directory inside a table's storage */
	N_FILE,   /* a file inside a table's storage */
	N_LAKEHOUSE, /* a lakehouse: MOUNT/<lh> */
	N_LHTABLES,  /* its Tables/ directory, holding shortcuts (N_TABLE nodes) */
	N_VDIR,      /* a virtual directory of ucfs's own (.ucfs) */
	N_VFILE,     /* a virtual read-only file (status.json) */
	N_VOLUMES,   /* MOUNT/Volumes: the catalogs whose volumes are mirrored */
	N_VCATALOG,  /* MOUNT/Volumes/<catalog>: an item's volumes (its access applies) */
};

/* What the mount knows about one mirrored table. Owned by the tree. */
struct mtable {
	char *item, *schema, *name, *full_name, *table_id, *table_type, *format, *location;
	bool volume;  /* a volume (table_id: its volume id; no _delta_log handling) */
	char **roots; /* the item's allowed local roots (file:// is opened below them) */
	size_t nroots;
	struct storage *st; /* opened on first use */
	int st_err;         /* negative errno of the last failed open, 0 if none */
	bool snap_served;   /* listings come from its prefetched snapshot (unreachable) */
	bool offline_told;  /* the log said it cannot be listed offline */
	struct storage_creds_source creds; /* vended credentials (ctx = this table) */
	struct io_stats *stats;            /* its item's counters */
	void *fs;                          /* the file system owning the table */
	struct mtable *next;
};

struct node {
	uint64_t ino;
	enum node_kind kind;
	char *name;
	struct node *parent;
	struct node **kids; /* sorted by name */
	size_t nkids, capkids;
	struct mtable *table; /* N_TABLE (a table or a volume), N_DIR, N_FILE */
	char *rel;            /* path inside the table's storage ("" for N_TABLE) */
	bool listed;          /* children reflect a storage listing */
	bool listing;         /* a listing is in flight */
	bool ahead_queued;    /* a job of fs_ahead.c waits for it */
	bool ahead_done;      /* a commit file read ahead (or being): once a mount */
	bool in_log;          /* inside _delta_log: listings go stale quickly */
	bool removed;
	bool from_snapshot; /* its listing came from a snapshot manifest, not storage */
	bool dynamic; /* N_VFILE whose content is made at each open (stats) */
	bool frozen;  /* N_FILE whose content (vdata) and attributes are fixed: a
			 _last_checkpoint as one lookup read it; listings leave it */
	int64_t ref_id; /* N_ITEM, N_VCATALOG: the item's id */
	char *vdata;    /* N_VFILE: content */
	size_t vlen;
	struct timespec listed_at;
	uint64_t list_gen;   /* bumped whenever a child is added or removed */
	uint64_t kernel_gen; /* list_gen of the listing the kernel was last given */
	uint64_t size;
	struct timespec mtime;
	char *etag; /* object identity from the listing (cloud storage) */
	uint64_t nlookup;
	/* N_ITEM, N_LAKEHOUSE, N_VCATALOG: who may enter it and what is below
	 * (fs_access.c) */
	uid_t uid;
	gid_t gid;
	mode_t perm;
	/* A table's _delta_log: the _last_checkpoint content identity a reader
	 * last read (hint_seen) and the one the current listing is known to
	 * cover (hint_ok); hint_gen counts hint changes, so a listing that
	 * started before one is not taken as covering it (fs_deltalog.c). */
	char *hint_seen, *hint_ok;
	uint64_t hint_gen;
};

struct tree {
	struct node **by_ino; /* index = ino - 1 */
	size_t n, cap;
	struct mtable *tables;
};

int tree_init(struct tree *t, struct timespec now);
void tree_destroy(struct tree *t);

struct node *tree_get(struct tree *t, uint64_t ino);
struct node *tree_root(struct tree *t);
struct node *node_child(const struct node *dir, const char *name);
/* Create a child named `name` under dir (which must not have one). */
struct node *node_add(struct tree *t, struct node *dir, const char *name, enum node_kind kind);
/* Return the child `name`, creating it with `kind` when missing. */
struct node *node_ensure(struct tree *t, struct node *dir, const char *name, enum node_kind kind);
/* Register a table; the tree owns it (tables are never freed before the
 * tree: open files may still use their storage after a sync drops them). */
void tree_adopt_table(struct tree *t, struct mtable *m);
/* Drop a child from its parent (marks it and its subtree removed). */
void node_unlink(struct node *n);
bool node_is_dir(const struct node *n);
/* Backed by a table's storage (N_TABLE, N_DIR, N_FILE)? */
bool node_in_storage(const struct node *n);

/* Apply a fresh storage listing of dir: update existing children, add new
 * ones, unlink vanished ones. Returns 0 or -ENOMEM. */
int node_merge_listing(struct tree *t, struct node *dir, const struct storage_list *l,
		       struct timespec now);
/* Set size/mtime (and kind, when an entry turned from file to dir). */
void node_set_entry(struct node *n, const struct storage_entry *e);

#endif
