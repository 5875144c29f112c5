/*
 * state.h - the state database: mirrored items, their selection and tables,
 * lakehouses and shortcuts (SQLite).
 *
 * Contract: the only module that speaks SQL (state.c, state_tables.c,
 * state_lakehouse.c). One file per user (XDG data dir by default), WAL mode,
 * busy timeout, schema versioned with PRAGMA user_version and migrated
 * forward on open (a newer schema is an error). Every write runs in one
 * BEGIN IMMEDIATE transaction, so there is one writer at a time and a failure
 * (or kill -9) leaves no partial state. Secrets are never stored: items keep
 * host and profile name only. Item and lakehouse names share one namespace.
 * Functions return 0 or a negative errno (-ENOENT, -EEXIST, -EBUSY, -EIO);
 * *err, when given, receives a message for the user.
 *
 * Access (schema 3): an item keeps the local roots its file:// tables may be
 * served from (real paths, state_access.c) and, like a lakehouse, an owner,
 * group and mode for the mount; -1 means the default (the mounting user, its
 * group, ACCESS_DEFAULT_MODE). A database from before schema 3 has no local
 * root: its file:// tables are marked skipped by the migration, with the
 * reason tablefilter's local_location_reason() gives (naming the command
 * that allows them).
 *
 * Volumes (schema 5): an item with `volumes` set also mirrors the volumes of
 * its catalog. They are table rows with `volume` set (stored with kind
 * 'volume'; table_id is the volume id, table_type the volume type), selected
 * by the same rules as tables; a table and a volume may share a name. Items
 * from before schema 5 mirror no volumes.
 */
#ifndef UCFS_STATE_H
#define UCFS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/selection.h"

#define STATE_SCHEMA_VERSION 6

struct state;

#define ACCESS_DEFAULT_MODE 0700

/* Who may enter an item or lakehouse on a mount shared with allow_other. */
struct access {
	int64_t uid, gid; /* -1: the mounting user / its group */
	int64_t mode;     /* permission bits (07777 at most); -1: ACCESS_DEFAULT_MODE */
};

/* Edits of an access: -1 keep, ACCESS_RESET back to the default, else set. */
#define ACCESS_RESET (-2)

struct item {
	int64_t id;
	char *name, *catalog, *host, *profile, *description;
	bool auto_sync;
	bool volumes; /* the catalog's volumes are mirrored too */
	int64_t created_at, last_sync_at; /* epoch seconds, 0 = never */
	char *sync_status;                /* NotStarted|InProgress|Success|Failed */
	char *last_error_code, *last_error_message;
	int64_t sync_pid;         /* process running a sync (InProgress), 0 = none */
	int64_t sync_started_at;  /* epoch seconds */
	int64_t sync_duration_ms; /* of the last finished sync */
	char *selection_issues;   /* JSON array of strings, or NULL */
	/* JSON array of {kind: "schema"|"table", name, reason} (names escaped
	 * for display, util/names.h) the last sync skipped, or NULL */
	char *skipped_names;
	char **allow_local;       /* real paths file:// tables may be served from */
	size_t n_allow_local;
	struct access acc;
};

struct table_row {
	bool volume; /* a volume: table_id is its volume id, table_type its volume type */
	char *schema_name, *name, *table_id, *table_type, *format, *location;
	char *unsupported_reason; /* why ucfs can't mirror it (type, format, ...) */
	char *skip_reason;        /* final: unsupported or not selected; NULL = mirrored */
	int64_t updated_at;
	/* columns and keys as Unity Catalog reported them at the last sync
	 * (compact JSON, uc/model.h's uc_table), NULL when unknown (schema 5) */
	char *columns_json, *constraints_json;
	int64_t delta_version; /* latest commit seen at sync; DELTA_VERSION_* below */
#define DELTA_VERSION_UNKNOWN (-1)    /* not read (e.g. cloud storage, read at access) */
#define DELTA_VERSION_UNREADABLE (-2) /* the sync could not read its _delta_log */
};

struct lakehouse {
	int64_t id;
	char *name;
	int64_t created_at;
	struct access acc;
};

struct shortcut {
	char *lakehouse, *name;
	int64_t item_id; /* 0 when the target item was removed */
	char *item_name, *schema_name, *table_name;
	int64_t created_at;
};

/* What `mirror edit` changes; NULL / -1 fields are left as they are. */
struct item_update {
	const char *new_name;
	const char *description; /* "" clears it */
	int auto_sync;           /* -1 keep, 0 off, 1 on */
	int volumes;             /* -1 keep, 0 off, 1 on */
	const struct selection *selection;
	const struct table_row *rows; /* tables (and volumes) re-evaluated for the new selection,
					 roots or volumes setting */
	size_t nrows;
	const char *const *allow_add; /* local roots to add (real paths) */
	size_t n_allow_add;
	const char *const *allow_remove; /* local roots to remove */
	size_t n_allow_remove;
	const struct access *acc; /* NULL: keep; each field -1 keep, ACCESS_RESET, or the value */
};

/* malloc'ed default path: $XDG_DATA_HOME/ucfs/state.db or
 * ~/.local/share/ucfs/state.db. */
char *state_default_path(void);

/* Open (creating the file and its directory when create is true). */
int state_open(const char *path, bool create, struct state **out, char **err);
void state_close(struct state *st);
const char *state_path(const struct state *st);
/* Changes whenever another connection commits (PRAGMA data_version). */
int state_data_version(struct state *st, int64_t *v);
/* A read snapshot: everything read between begin and end is consistent. */
int state_snapshot_begin(struct state *st);
void state_snapshot_end(struct state *st);
/* PRAGMA integrity_check == ok? */
int state_check_integrity(struct state *st, char **err);

/* ---- items (state.c) ---- */
int state_items_list(struct state *st, struct item **out, size_t *n);
int state_item_get(struct state *st, const char *name, struct item *out);
/* Adds item, selection and tables in one transaction; -EEXIST when the
 * name is taken (by an item or a lakehouse). Sets it->id. */
int state_item_create(struct state *st, struct item *it, const struct selection *sel,
		      const struct table_row *rows, size_t nrows, char **err);
int state_item_remove(struct state *st, const char *name);
/* Rename / describe / auto-sync / selection / roots / access, in one
 * transaction. Edits that store rows are refused with -EBUSY while another
 * live process syncs the item. */
int state_item_update(struct state *st, const char *name, const struct item_update *u,
		      char **err);

/* ---- sync bookkeeping (state_tables.c) ---- */
/* Take the item's sync lease for pid: -EBUSY with *err when another live
 * process holds it (a stale lease of a dead process is taken over). */
int state_sync_begin(struct state *st, int64_t item_id, pid_t pid, char **err);
/* Store a successful sync's tables, its selection issues and skipped names
 * (JSON, see struct item; NULL: none) and release the lease. */
int state_sync_finish(struct state *st, int64_t item_id, const struct table_row *rows,
		      size_t nrows, int64_t when, int64_t duration_ms, const char *issues_json,
		      const char *skipped_json);
/* Record a failed sync (tables unchanged) and release the lease. */
int state_sync_fail(struct state *st, int64_t item_id, const char *code, const char *message,
		    int64_t duration_ms);
/* Is the item's lease held by a live process other than `self`? */
bool state_sync_running(const struct item *it, pid_t self);

/* ---- tables and selection (state_tables.c) ---- */
int state_tables_list(struct state *st, int64_t item_id, struct table_row **out, size_t *n);
int state_selection_get(struct state *st, int64_t item_id, struct selection *out);

/* ---- lakehouses and shortcuts (state_lakehouse.c) ---- */
/* a: its owner, group and mode (-1 fields, or a NULL a: the defaults). */
int state_lakehouse_create(struct state *st, const char *name, const struct access *a,
			   char **err);
int state_lakehouse_remove(struct state *st, const char *name);
/* Set a lakehouse's access (fields as in item_update); -ENOENT. */
int state_lakehouse_set_access(struct state *st, const char *name, const struct access *a,
			       char **err);
int state_lakehouses_list(struct state *st, struct lakehouse **out, size_t *n);
/* target must name an existing item; -EEXIST when LH already has NAME. */
int state_shortcut_create(struct state *st, const char *lakehouse, const char *name,
			  const char *item, const char *schema, const char *table, char **err);
int state_shortcut_remove(struct state *st, const char *lakehouse, const char *name);
int state_shortcuts_list(struct state *st, struct shortcut **out, size_t *n);

void item_clear(struct item *it);
void items_free(struct item *v, size_t n);
void table_row_clear(struct table_row *r);
void table_rows_free(struct table_row *v, size_t n);
void lakehouses_free(struct lakehouse *v, size_t n);
void shortcuts_free(struct shortcut *v, size_t n);

#endif
