/* state_lakehouse.c - lakehouses and their shortcuts; see state.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/state_db.h"
#include "util/strutil.h"

int state_lakehouse_create(struct state *st, const char *name, const struct access *a,
			   char **err)
{
	int r = sdb_begin(st, err);
	if (r)
		return r;
	if ((r = sdb_name_taken(st, name, 0)) != 0) {
		if (r > 0) {
			if (err)
				*err = xasprintf("the name '%s' is already used by a mirrored item or "
						 "a lakehouse: choose another name", name);
			r = -EEXIST;
		}
		goto fail;
	}
	sqlite3_stmt *s;
	if ((r = sdb_prepare(st,
			     "INSERT INTO lakehouses (name, created_at, owner_uid, owner_gid, mode) "
			     "VALUES (?, ?, ?, ?, ?)",
			     &s, err)))
		goto fail;
	sdb_bind_str(s, 1, name);
	sqlite3_bind_int64(s, 2, (int64_t)time(NULL));
	sdb_bind_access(s, 3, a ? a : &(struct access){-1, -1, -1});
	r = sdb_step_done(st, s, "creating the lakehouse", err);
	sqlite3_finalize(s);
	if (r)
		goto fail;
	return sdb_commit(st, err);
fail:
	sdb_rollback(st);
	return r;
}

static int delete_where(struct state *st, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st, sql, &s, NULL);
	if (r)
		return r;
	sdb_bind_str(s, 1, a);
	if (b)
		sdb_bind_str(s, 2, b);
	r = sdb_step_done(st, s, "removing", NULL);
	sqlite3_finalize(s);
	if (!r && sqlite3_changes(st->db) == 0)
		r = -ENOENT;
	return r;
}

int state_lakehouse_remove(struct state *st, const char *name)
{
	return delete_where(st, "DELETE FROM lakehouses WHERE name = ?", name, NULL);
}

int state_lakehouses_list(struct state *st, struct lakehouse **out, size_t *n)
{
	sqlite3_stmt *s;
	*out = NULL;
	*n = 0;
	int r = sdb_prepare(st,
			    "SELECT id, name, created_at, COALESCE(owner_uid, -1), "
			    "COALESCE(owner_gid, -1), COALESCE(mode, -1) FROM lakehouses ORDER BY name",
			    &s, NULL);
	if (r)
		return r;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lakehouse *l = sdb_append(out, n, &cap, sizeof(*l));
		if (!l) {
			rc = SQLITE_NOMEM;
			break;
		}
		l->id = sqlite3_column_int64(s, 0);
		l->name = sdb_col_str(s, 1);
		l->created_at = sqlite3_column_int64(s, 2);
		l->acc.uid = sqlite3_column_int64(s, 3);
		l->acc.gid = sqlite3_column_int64(s, 4);
		l->acc.mode = sqlite3_column_int64(s, 5);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		lakehouses_free(*out, *n);
		*out = NULL;
		*n = 0;
		return rc == SQLITE_NOMEM ? -ENOMEM : sdb_err(st, "listing lakehouses", NULL);
	}
	return 0;
}

int state_shortcut_create(struct state *st, const char *lakehouse, const char *name,
			  const char *item, const char *schema, const char *table, char **err)
{
	sqlite3_stmt *s = NULL;
	int r = sdb_begin(st, err);
	if (r)
		return r;
	if ((r = sdb_prepare(st,
			     "INSERT INTO shortcuts (lakehouse_id, name, item_id, item_name, "
			     "schema_name, table_name, created_at) "
			     "SELECT l.id, ?2, i.id, i.name, ?4, ?5, ?6 FROM lakehouses l, items i "
			     "WHERE l.name = ?1 AND i.name = ?3",
			     &s, err)))
		goto fail;
	sdb_bind_str(s, 1, lakehouse);
	sdb_bind_str(s, 2, name);
	sdb_bind_str(s, 3, item);
	sdb_bind_str(s, 4, schema);
	sdb_bind_str(s, 5, table);
	sqlite3_bind_int64(s, 6, (int64_t)time(NULL));
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_errcode(st->db) == SQLITE_CONSTRAINT) {
			if (err)
				*err = xasprintf("lakehouse '%s' already has a shortcut named '%s'",
						 lakehouse, name);
			r = -EEXIST;
		} else {
			r = sdb_err(st, "creating the shortcut", err);
		}
		goto fail;
	}
	if (sqlite3_changes(st->db) == 0) {
		struct item it;
		bool item_ok = state_item_get(st, item, &it) == 0;
		if (item_ok)
			item_clear(&it);
		if (err)
			*err = item_ok ? xasprintf("no lakehouse named '%s' (create it with 'ucfs "
						   "lakehouse create %s')", lakehouse, lakehouse)
				       : xasprintf("no mirrored item named '%s' (see 'ucfs mirror "
						   "list')", item);
		r = -ENOENT;
		goto fail;
	}
	sqlite3_finalize(s);
	return sdb_commit(st, err);
fail:
	sqlite3_finalize(s);
	sdb_rollback(st);
	return r;
}

int state_shortcut_remove(struct state *st, const char *lakehouse, const char *name)
{
	return delete_where(st,
			    "DELETE FROM shortcuts WHERE name = ?2 AND lakehouse_id = "
			    "(SELECT id FROM lakehouses WHERE name = ?1)",
			    lakehouse, name);
}

int state_shortcuts_list(struct state *st, struct shortcut **out, size_t *n)
{
	sqlite3_stmt *s;
	*out = NULL;
	*n = 0;
	/* The item's current name, so shortcuts follow a renamed item. */
	int r = sdb_prepare(st,
			    "SELECT l.name, s.name, COALESCE(s.item_id, 0), "
			    "COALESCE(i.name, s.item_name), s.schema_name, s.table_name, s.created_at "
			    "FROM shortcuts s JOIN lakehouses l ON l.id = s.lakehouse_id "
			    "LEFT JOIN items i ON i.id = s.item_id ORDER BY l.name, s.name",
			    &s, NULL);
	if (r)
		return r;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct shortcut *c = sdb_append(out, n, &cap, sizeof(*c));
		if (!c) {
			rc = SQLITE_NOMEM;
			break;
		}
		c->lakehouse = sdb_col_str(s, 0);
		c->name = sdb_col_str(s, 1);
		c->item_id = sqlite3_column_int64(s, 2);
		c->item_name = sdb_col_str(s, 3);
		c->schema_name = sdb_col_str(s, 4);
		c->table_name = sdb_col_str(s, 5);
		c->created_at = sqlite3_column_int64(s, 6);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		shortcuts_free(*out, *n);
		*out = NULL;
		*n = 0;
		return rc == SQLITE_NOMEM ? -ENOMEM : sdb_err(st, "listing shortcuts", NULL);
	}
	return 0;
}

void lakehouses_free(struct lakehouse *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

void shortcuts_free(struct shortcut *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].lakehouse);
		free(v[i].name);
		free(v[i].item_name);
		free(v[i].schema_name);
		free(v[i].table_name);
	}
	free(v);
}
