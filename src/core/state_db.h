/*
 * state_db.h - internals shared by the state_*.c files (not for other
 * modules): the connection, error mapping, statement helpers.
 */
#ifndef UCFS_STATE_DB_H
#define UCFS_STATE_DB_H

#include <sqlite3.h>

#include "core/state.h"

struct state {
	sqlite3 *db;
	char *path;
};

/* Map the connection's last error to -errno; message into *err or the log. */
int sdb_err(struct state *st, const char *what, char **err);
int sdb_exec(struct state *st, const char *sql, char **err);
int sdb_prepare(struct state *st, const char *sql, sqlite3_stmt **s, char **err);
int sdb_begin(struct state *st, char **err);      /* BEGIN IMMEDIATE */
int sdb_commit(struct state *st, char **err);
void sdb_rollback(struct state *st);
char *sdb_col_str(sqlite3_stmt *s, int i);
void sdb_bind_str(sqlite3_stmt *s, int i, const char *v);
/* Step a statement expected to finish (INSERT/UPDATE/DELETE). */
int sdb_step_done(struct state *st, sqlite3_stmt *s, const char *what, char **err);
/* Append one zeroed element of `size` bytes to the array *arr of *n
 * elements (capacity *cap, doubled as needed); NULL on ENOMEM (the array is
 * left as it was). For the list readers. */
void *sdb_append(void *arr_ptr, size_t *n, size_t *cap, size_t size);
/* Is NAME taken by an item or a lakehouse? 1 yes, 0 no, <0 error. */
int sdb_name_taken(struct state *st, const char *name, int64_t except_item_id);

/* Within a transaction: replace the item's tables / selection rules. */
int sdb_store_tables(struct state *st, int64_t item_id, const struct table_row *rows, size_t n,
		     char **err);
int sdb_store_selection(struct state *st, int64_t item_id, const struct selection *sel,
			char **err);

/* ---- local roots and access (state_access.c) ---- */
/* Read the item's local roots into it->allow_local. */
int sdb_load_roots(struct state *st, struct item *it);
/* Within a transaction: add, then remove, local roots of an item. Removing
 * a root the item does not have is -ENOENT with *err. */
int sdb_edit_roots(struct state *st, int64_t item_id, const char *const *add, size_t nadd,
		   const char *const *rm, size_t nrm, char **err);
/* Bind a's uid, gid, mode as parameters i..i+2 (NULL for the defaults). */
void sdb_bind_access(sqlite3_stmt *s, int i, const struct access *a);
/* Within a transaction: apply an access edit (item_update's rules) to the
 * row id of TABLE ("items" or "lakehouses"). */
int sdb_set_access(struct state *st, const char *table, int64_t id, const struct access *edit,
		   char **err);

#endif
