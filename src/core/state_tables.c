/* state_tables.c - tables, selection rules and sync bookkeeping; see state.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/state_db.h"
#include "util/strutil.h"

int sdb_store_tables(struct state *st, int64_t item_id, const struct table_row *rows, size_t n,
		     char **err)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st, "DELETE FROM tables WHERE item_id = ?", &s, err);
	if (r)
		return r;
	sqlite3_bind_int64(s, 1, item_id);
	r = sdb_step_done(st, s, "replacing tables", err);
	sqlite3_finalize(s);
	if (r || (r = sdb_prepare(st,
				  "INSERT INTO tables (item_id, schema_name, name, table_id, "
				  "table_type, format, location, unsupported_reason, skip_reason, "
				  "updated_at, delta_version, kind, columns_json, constraints_json) "
				  "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
				  &s, err)))
		return r;
	for (size_t i = 0; i < n && !r; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, item_id);
		sdb_bind_str(s, 2, rows[i].schema_name);
		sdb_bind_str(s, 3, rows[i].name);
		sdb_bind_str(s, 4, rows[i].table_id);
		sdb_bind_str(s, 5, rows[i].table_type);
		sdb_bind_str(s, 6, rows[i].format);
		sdb_bind_str(s, 7, rows[i].location);
		sdb_bind_str(s, 8, rows[i].unsupported_reason);
		sdb_bind_str(s, 9, rows[i].skip_reason);
		sqlite3_bind_int64(s, 10, rows[i].updated_at);
		sqlite3_bind_int64(s, 11, rows[i].delta_version);
		sdb_bind_str(s, 12, rows[i].volume ? "volume" : "table");
		sdb_bind_str(s, 13, rows[i].columns_json);
		sdb_bind_str(s, 14, rows[i].constraints_json);
		r = sdb_step_done(st, s, "storing tables", err);
	}
	sqlite3_finalize(s);
	return r;
}

int state_tables_list(struct state *st, int64_t item_id, struct table_row **out, size_t *n)
{
	sqlite3_stmt *s;
	*out = NULL;
	*n = 0;
	int r = sdb_prepare(st,
			    "SELECT schema_name, name, table_id, table_type, format, location, "
			    "unsupported_reason, skip_reason, updated_at, delta_version, kind, "
			    "columns_json, constraints_json "
			    "FROM tables WHERE item_id = ? ORDER BY schema_name, name, kind",
			    &s, NULL);
	if (r)
		return r;
	sqlite3_bind_int64(s, 1, item_id);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct table_row *t = sdb_append(out, n, &cap, sizeof(*t));
		if (!t) {
			rc = SQLITE_NOMEM;
			break;
		}
		t->schema_name = sdb_col_str(s, 0);
		t->name = sdb_col_str(s, 1);
		t->table_id = sdb_col_str(s, 2);
		t->table_type = sdb_col_str(s, 3);
		t->format = sdb_col_str(s, 4);
		t->location = sdb_col_str(s, 5);
		t->unsupported_reason = sdb_col_str(s, 6);
		t->skip_reason = sdb_col_str(s, 7);
		t->updated_at = sqlite3_column_int64(s, 8);
		t->delta_version = sqlite3_column_int64(s, 9);
		t->volume = str_eq((const char *)sqlite3_column_text(s, 10), "volume");
		t->columns_json = sdb_col_str(s, 11);
		t->constraints_json = sdb_col_str(s, 12);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		table_rows_free(*out, *n);
		*out = NULL;
		*n = 0;
		return rc == SQLITE_NOMEM ? -ENOMEM : sdb_err(st, "listing tables", NULL);
	}
	return 0;
}

int sdb_store_selection(struct state *st, int64_t item_id, const struct selection *sel,
			char **err)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st, "DELETE FROM selection_rules WHERE item_id = ?", &s, err);
	if (r)
		return r;
	sqlite3_bind_int64(s, 1, item_id);
	r = sdb_step_done(st, s, "replacing the selection", err);
	sqlite3_finalize(s);
	if (r || (r = sdb_prepare(st,
				  "INSERT INTO selection_rules (item_id, schema_name, table_name, "
				  "mode) VALUES (?,?,?,?)",
				  &s, err)))
		return r;
	for (size_t i = 0; i < sel->n && !r; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, item_id);
		sdb_bind_str(s, 2, sel->rules[i].schema);
		sdb_bind_str(s, 3, sel->rules[i].table ? sel->rules[i].table : "");
		sdb_bind_str(s, 4, sel_mode_name(sel->rules[i].mode));
		r = sdb_step_done(st, s, "storing the selection", err);
	}
	sqlite3_finalize(s);
	return r;
}

int state_selection_get(struct state *st, int64_t item_id, struct selection *out)
{
	sqlite3_stmt *s;
	selection_init(out);
	int r = sdb_prepare(st, "SELECT catalog_mode FROM items WHERE id = ?", &s, NULL);
	if (r)
		return r;
	sqlite3_bind_int64(s, 1, item_id);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return -ENOENT;
	}
	r = sel_mode_parse((const char *)sqlite3_column_text(s, 0), &out->catalog);
	sqlite3_finalize(s);
	if (r || (r = sdb_prepare(st,
				  "SELECT schema_name, table_name, mode FROM selection_rules "
				  "WHERE item_id = ? ORDER BY schema_name, table_name",
				  &s, NULL)))
		return r ? r : -EIO;
	sqlite3_bind_int64(s, 1, item_id);
	int rc;
	size_t cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct sel_rule *ru = sdb_append(&out->rules, &out->n, &cap, sizeof(*ru));
		if (!ru) {
			r = -ENOMEM;
			break;
		}
		ru->schema = sdb_col_str(s, 0);
		const char *t = (const char *)sqlite3_column_text(s, 1);
		ru->table = (t && *t) ? xstrdup(t) : NULL;
		if (sel_mode_parse((const char *)sqlite3_column_text(s, 2), &ru->mode))
			r = -EIO;
		if (!ru->schema || (t && *t && !ru->table))
			r = -ENOMEM;
		if (r)
			break;
	}
	sqlite3_finalize(s);
	if (!r && rc != SQLITE_DONE)
		r = sdb_err(st, "reading the selection", NULL);
	if (r)
		selection_free(out);
	return r;
}

/* ---- sync bookkeeping ----------------------------------------------------- */

static int item_by_id(struct state *st, int64_t id, struct item *it)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st, "SELECT name FROM items WHERE id = ?", &s, NULL);
	if (r)
		return r;
	sqlite3_bind_int64(s, 1, id);
	char *name = sqlite3_step(s) == SQLITE_ROW ? sdb_col_str(s, 0) : NULL;
	sqlite3_finalize(s);
	if (!name)
		return -ENOENT;
	r = state_item_get(st, name, it);
	free(name);
	return r;
}

int state_sync_begin(struct state *st, int64_t item_id, pid_t pid, char **err)
{
	struct item it;
	int r = sdb_begin(st, err);
	if (r)
		return r;
	if ((r = item_by_id(st, item_id, &it)))
		goto fail;
	if (state_sync_running(&it, pid)) {
		if (err)
			*err = xasprintf("a sync of '%s' is already running (pid %lld)", it.name,
					 (long long)it.sync_pid);
		item_clear(&it);
		r = -EBUSY;
		goto fail;
	}
	item_clear(&it);
	sqlite3_stmt *s;
	if ((r = sdb_prepare(st,
			     "UPDATE items SET sync_status = 'InProgress', sync_pid = ?, "
			     "sync_started_at = strftime('%s','now') WHERE id = ?",
			     &s, err)))
		goto fail;
	sqlite3_bind_int64(s, 1, pid);
	sqlite3_bind_int64(s, 2, item_id);
	r = sdb_step_done(st, s, "starting a sync", err);
	sqlite3_finalize(s);
	if (r)
		goto fail;
	return sdb_commit(st, err);
fail:
	sdb_rollback(st);
	return r;
}

static int end_sync(struct state *st, int64_t id, const char *status, const char *code,
		    const char *msg, int64_t when, int64_t duration_ms, const char *issues,
		    const char *skipped, bool set_issues)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st,
			    "UPDATE items SET sync_status = ?1, last_error_code = ?2, "
			    "last_error_message = ?3, sync_pid = 0, sync_duration_ms = ?4, "
			    "last_sync_at = CASE WHEN ?5 > 0 THEN ?5 ELSE last_sync_at END, "
			    "selection_issues = CASE WHEN ?7 THEN ?6 ELSE selection_issues END, "
			    "skipped_names = CASE WHEN ?7 THEN ?9 ELSE skipped_names END "
			    "WHERE id = ?8",
			    &s, NULL);
	if (r)
		return r;
	sdb_bind_str(s, 1, status);
	sdb_bind_str(s, 2, code);
	sdb_bind_str(s, 3, msg);
	sqlite3_bind_int64(s, 4, duration_ms);
	sqlite3_bind_int64(s, 5, when);
	sdb_bind_str(s, 6, issues);
	sqlite3_bind_int(s, 7, set_issues);
	sqlite3_bind_int64(s, 8, id);
	sdb_bind_str(s, 9, skipped);
	r = sdb_step_done(st, s, "recording a sync", NULL);
	sqlite3_finalize(s);
	return r;
}

int state_sync_finish(struct state *st, int64_t item_id, const struct table_row *rows,
		      size_t nrows, int64_t when, int64_t duration_ms, const char *issues_json,
		      const char *skipped_json)
{
	int r = sdb_begin(st, NULL);
	if (r)
		return r;
	if ((r = sdb_store_tables(st, item_id, rows, nrows, NULL)) ||
	    (r = end_sync(st, item_id, "Success", NULL, NULL, when, duration_ms, issues_json,
			  skipped_json, true))) {
		sdb_rollback(st);
		return r;
	}
	return sdb_commit(st, NULL);
}

int state_sync_fail(struct state *st, int64_t item_id, const char *code, const char *message,
		    int64_t duration_ms)
{
	return end_sync(st, item_id, "Failed", code, message, 0, duration_ms, NULL, NULL, false);
}

void table_row_clear(struct table_row *r)
{
	free(r->schema_name);
	free(r->name);
	free(r->table_id);
	free(r->table_type);
	free(r->format);
	free(r->location);
	free(r->unsupported_reason);
	free(r->skip_reason);
	free(r->columns_json);
	free(r->constraints_json);
	memset(r, 0, sizeof(*r));
}

void table_rows_free(struct table_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		table_row_clear(&v[i]);
	free(v);
}
