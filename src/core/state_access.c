/* state_access.c - items' local roots, owners and modes; see state.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/state_db.h"
#include "util/strutil.h"

int sdb_load_roots(struct state *st, struct item *it)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st, "SELECT root FROM local_roots WHERE item_id = ? ORDER BY root", &s,
			    NULL);
	if (r)
		return r;
	sqlite3_bind_int64(s, 1, it->id);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char **slot = sdb_append(&it->allow_local, &it->n_allow_local, &cap, sizeof(char *));
		if (!slot || !(*slot = sdb_col_str(s, 0))) {
			if (slot)
				it->n_allow_local--;
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		return 0;
	return rc == SQLITE_NOMEM ? -ENOMEM : sdb_err(st, "reading local roots", NULL);
}

static int root_stmt(struct state *st, const char *sql, int64_t item_id, const char *root,
		     const char *what, char **err)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st, sql, &s, err);
	if (r)
		return r;
	sqlite3_bind_int64(s, 1, item_id);
	sdb_bind_str(s, 2, root);
	r = sdb_step_done(st, s, what, err);
	sqlite3_finalize(s);
	return r;
}

int sdb_edit_roots(struct state *st, int64_t item_id, const char *const *add, size_t nadd,
		   const char *const *rm, size_t nrm, char **err)
{
	int r = 0;
	for (size_t i = 0; i < nadd && !r; i++)
		r = root_stmt(st, "INSERT OR IGNORE INTO local_roots (item_id, root) VALUES (?, ?)",
			      item_id, add[i], "adding a local root", err);
	for (size_t i = 0; i < nrm && !r; i++) {
		r = root_stmt(st, "DELETE FROM local_roots WHERE item_id = ? AND root = ?", item_id,
			      rm[i], "removing a local root", err);
		if (!r && sqlite3_changes(st->db) == 0) {
			if (err)
				*err = xasprintf("the item does not allow local root %s (see 'ucfs "
						 "mirror show')", rm[i]);
			r = -ENOENT;
		}
	}
	return r;
}

static void bind_opt(sqlite3_stmt *s, int i, int64_t v)
{
	if (v < 0)
		sqlite3_bind_null(s, i);
	else
		sqlite3_bind_int64(s, i, v);
}

void sdb_bind_access(sqlite3_stmt *s, int i, const struct access *a)
{
	bind_opt(s, i, a->uid);
	bind_opt(s, i + 1, a->gid);
	bind_opt(s, i + 2, a->mode);
}

int sdb_set_access(struct state *st, const char *table, int64_t id, const struct access *edit,
		   char **err)
{
	static const char *const cols[] = {"owner_uid", "owner_gid", "mode"};
	const int64_t vals[] = {edit->uid, edit->gid, edit->mode};
	for (int k = 0; k < 3; k++) {
		if (vals[k] == -1)
			continue;
		char sql[96];
		snprintf(sql, sizeof(sql), "UPDATE %s SET %s = ? WHERE id = ?", table, cols[k]);
		sqlite3_stmt *s;
		int r = sdb_prepare(st, sql, &s, err);
		if (r)
			return r;
		bind_opt(s, 1, vals[k] == ACCESS_RESET ? -1 : vals[k]);
		sqlite3_bind_int64(s, 2, id);
		r = sdb_step_done(st, s, "setting the owner and mode", err);
		sqlite3_finalize(s);
		if (r)
			return r;
	}
	return 0;
}

int state_lakehouse_set_access(struct state *st, const char *name, const struct access *a,
			       char **err)
{
	sqlite3_stmt *s;
	int r = sdb_begin(st, err);
	if (r)
		return r;
	if ((r = sdb_prepare(st, "SELECT id FROM lakehouses WHERE name = ?", &s, err)))
		goto fail;
	sdb_bind_str(s, 1, name);
	int rc = sqlite3_step(s);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		r = rc == SQLITE_DONE ? -ENOENT : sdb_err(st, "reading the lakehouse", err);
		if (r == -ENOENT && err)
			*err = xasprintf("no lakehouse named '%s' (see 'ucfs lakehouse list')", name);
		goto fail;
	}
	if ((r = sdb_set_access(st, "lakehouses", id, a, err)))
		goto fail;
	return sdb_commit(st, err);
fail:
	sdb_rollback(st);
	return r;
}
