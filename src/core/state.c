/* state.c - see state.h. */
#include "core/state.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/log.h"
#include "util/strutil.h"

struct state {
	sqlite3 *db;
	char *path;
};

/* Migration N brings user_version from N to N+1. Append only. */
static const char *const migrations[] = {
	"CREATE TABLE items ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  catalog TEXT NOT NULL,"
	"  host TEXT NOT NULL,"
	"  profile TEXT,"
	"  description TEXT,"
	"  auto_sync INTEGER NOT NULL DEFAULT 1,"
	"  created_at INTEGER NOT NULL,"
	"  last_sync_at INTEGER NOT NULL DEFAULT 0,"
	"  sync_status TEXT NOT NULL DEFAULT 'NotStarted',"
	"  last_error_code TEXT,"
	"  last_error_message TEXT);"
	"CREATE TABLE tables ("
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  schema_name TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  table_id TEXT,"
	"  table_type TEXT,"
	"  format TEXT,"
	"  location TEXT,"
	"  skip_reason TEXT,"
	"  updated_at INTEGER NOT NULL DEFAULT 0,"
	"  PRIMARY KEY (item_id, schema_name, name));",
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STATE_SCHEMA_VERSION,
	       "STATE_SCHEMA_VERSION must equal the number of migrations");

char *state_default_path(void)
{
	const char *x = getenv("XDG_DATA_HOME");
	if (!str_empty(x))
		return xasprintf("%s/ucfs/state.db", x);
	const char *home = getenv("HOME");
	return xasprintf("%s/.local/share/ucfs/state.db", str_empty(home) ? "/root" : home);
}

static int mkdir_p(const char *dir)
{
	char *d = xstrdup(dir);
	if (!d)
		return -ENOMEM;
	for (char *p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(d, 0700) < 0 && errno != EEXIST) {
			int e = -errno;
			free(d);
			return e;
		}
		*p = '/';
	}
	int e = (mkdir(d, 0700) < 0 && errno != EEXIST) ? -errno : 0;
	free(d);
	return e;
}

static int db_err(struct state *st, const char *what, char **err)
{
	const char *m = sqlite3_errmsg(st->db);
	int code = sqlite3_errcode(st->db);
	if (err)
		*err = xasprintf("state database %s: %s failed: %s%s", st->path, what, m,
				 code == SQLITE_BUSY ? " (another ucfs process holds it; retry)" : "");
	else
		log_error("state database %s: %s failed: %s", st->path, what, m);
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return -EBUSY;
	if (code == SQLITE_CONSTRAINT)
		return -EEXIST;
	if (code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_CANTOPEN)
		return -EACCES;
	return -EIO;
}

static int exec(struct state *st, const char *sql, char **err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_err(st, sql, err);
	return 0;
}

static int user_version(struct state *st, int *v)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -EIO;
	int r = sqlite3_step(s) == SQLITE_ROW ? 0 : -EIO;
	*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return r;
}

static int migrate(struct state *st, char **err)
{
	int v, r;
	if ((r = exec(st, "BEGIN IMMEDIATE", err)))
		return r;
	if (user_version(st, &v)) {
		r = db_err(st, "reading schema version", err);
		goto fail;
	}
	if (v > N_MIGRATIONS) {
		if (err)
			*err = xasprintf("state database %s has schema version %d, newer than this "
					 "ucfs (%d): upgrade ucfs", st->path, v, N_MIGRATIONS);
		r = -EPROTO;
		goto fail;
	}
	for (; v < N_MIGRATIONS; v++) {
		if ((r = exec(st, migrations[v], err)))
			goto fail;
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", v + 1);
		if ((r = exec(st, pragma, err)))
			goto fail;
	}
	return exec(st, "COMMIT", err);
fail:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int state_open(const char *path, bool create, struct state **out, char **err)
{
	*out = NULL;
	struct state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->path = path ? xstrdup(path) : state_default_path();
	if (!st->path) {
		free(st);
		return -ENOMEM;
	}
	int r;
	if (create) {
		char *dup = xstrdup(st->path);
		r = dup ? mkdir_p(dirname(dup)) : -ENOMEM;
		free(dup);
		if (r) {
			if (err)
				*err = xasprintf("cannot create the directory of state database %s: %s",
						 st->path, strerror(-r));
			goto fail;
		}
	} else if (access(st->path, F_OK) != 0) {
		if (err)
			*err = xasprintf("no state database at %s: create a mirrored item first "
					 "(ucfs mirror create --catalog CATALOG) or pass --state",
					 st->path);
		r = -ENOENT;
		goto fail;
	}
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(st->path, &st->db, flags, NULL) != SQLITE_OK) {
		r = db_err(st, "open", err);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	sqlite3_extended_result_codes(st->db, 0);
	if ((r = exec(st, "PRAGMA journal_mode=WAL", err)) ||
	    (r = exec(st, "PRAGMA synchronous=NORMAL", err)) ||
	    (r = exec(st, "PRAGMA foreign_keys=ON", err)) || (r = migrate(st, err)))
		goto fail;
	chmod(st->path, 0600);
	*out = st;
	return 0;
fail:
	state_close(st);
	return r;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	if (st->db)
		sqlite3_close(st->db);
	free(st->path);
	free(st);
}

const char *state_path(const struct state *st) { return st->path; }

static char *col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

static void bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

#define ITEM_COLS                                                                          \
	"id, name, catalog, host, profile, description, auto_sync, created_at, last_sync_at, " \
	"sync_status, last_error_code, last_error_message"

static void read_item(sqlite3_stmt *s, struct item *it)
{
	it->id = sqlite3_column_int64(s, 0);
	it->name = col_str(s, 1);
	it->catalog = col_str(s, 2);
	it->host = col_str(s, 3);
	it->profile = col_str(s, 4);
	it->description = col_str(s, 5);
	it->auto_sync = sqlite3_column_int(s, 6) != 0;
	it->created_at = sqlite3_column_int64(s, 7);
	it->last_sync_at = sqlite3_column_int64(s, 8);
	it->sync_status = col_str(s, 9);
	it->last_error_code = col_str(s, 10);
	it->last_error_message = col_str(s, 11);
}

int state_items_list(struct state *st, struct item **out, size_t *n)
{
	sqlite3_stmt *s;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT " ITEM_COLS " FROM items ORDER BY name", -1, &s,
			       NULL) != SQLITE_OK)
		return db_err(st, "listing items", NULL);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			struct item *v = realloc(*out, cap * sizeof(*v));
			if (!v) {
				sqlite3_finalize(s);
				items_free(*out, *n);
				*out = NULL;
				*n = 0;
				return -ENOMEM;
			}
			*out = v;
		}
		memset(&(*out)[*n], 0, sizeof(struct item));
		read_item(s, &(*out)[(*n)++]);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		items_free(*out, *n);
		*out = NULL;
		*n = 0;
		return db_err(st, "listing items", NULL);
	}
	return 0;
}

int state_item_get(struct state *st, const char *name, struct item *out)
{
	sqlite3_stmt *s;
	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(st->db, "SELECT " ITEM_COLS " FROM items WHERE name = ?", -1, &s,
			       NULL) != SQLITE_OK)
		return db_err(st, "reading item", NULL);
	bind_str(s, 1, name);
	int rc = sqlite3_step(s), r = 0;
	if (rc == SQLITE_ROW)
		read_item(s, out);
	else
		r = rc == SQLITE_DONE ? -ENOENT : db_err(st, "reading item", NULL);
	sqlite3_finalize(s);
	return r;
}

static int insert_tables(struct state *st, int64_t item_id, const struct table_row *rows,
			 size_t n, char **err)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO tables (item_id, schema_name, name, table_id, table_type, "
			       "format, location, skip_reason, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK)
		return db_err(st, "storing tables", err);
	int r = 0;
	for (size_t i = 0; i < n && !r; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, item_id);
		bind_str(s, 2, rows[i].schema_name);
		bind_str(s, 3, rows[i].name);
		bind_str(s, 4, rows[i].table_id);
		bind_str(s, 5, rows[i].table_type);
		bind_str(s, 6, rows[i].format);
		bind_str(s, 7, rows[i].location);
		bind_str(s, 8, rows[i].skip_reason);
		sqlite3_bind_int64(s, 9, rows[i].updated_at);
		if (sqlite3_step(s) != SQLITE_DONE)
			r = db_err(st, "storing tables", err);
	}
	sqlite3_finalize(s);
	return r;
}

int state_item_create(struct state *st, struct item *it, const struct table_row *rows,
		      size_t nrows, char **err)
{
	int r;
	sqlite3_stmt *s = NULL;
	if ((r = exec(st, "BEGIN IMMEDIATE", err)))
		return r;
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO items (name, catalog, host, profile, description, "
			       "auto_sync, created_at, last_sync_at, sync_status) "
			       "VALUES (?,?,?,?,?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK) {
		r = db_err(st, "creating item", err);
		goto fail;
	}
	bind_str(s, 1, it->name);
	bind_str(s, 2, it->catalog);
	bind_str(s, 3, it->host);
	bind_str(s, 4, it->profile);
	bind_str(s, 5, it->description);
	sqlite3_bind_int(s, 6, it->auto_sync);
	sqlite3_bind_int64(s, 7, it->created_at);
	sqlite3_bind_int64(s, 8, it->last_sync_at);
	bind_str(s, 9, it->sync_status ? it->sync_status : "NotStarted");
	if (sqlite3_step(s) != SQLITE_DONE) {
		if (sqlite3_errcode(st->db) == SQLITE_CONSTRAINT) {
			if (err)
				*err = xasprintf("a mirrored item named '%s' already exists: choose "
						 "another name (ucfs mirror create NAME --catalog %s) "
						 "or remove it (ucfs mirror rm %s)",
						 it->name, it->catalog, it->name);
			r = -EEXIST;
		} else {
			r = db_err(st, "creating item", err);
		}
		goto fail;
	}
	it->id = sqlite3_last_insert_rowid(st->db);
	sqlite3_finalize(s);
	s = NULL;
	if ((r = insert_tables(st, it->id, rows, nrows, err)))
		goto fail;
	return exec(st, "COMMIT", err);
fail:
	sqlite3_finalize(s);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int state_item_remove(struct state *st, const char *name)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "DELETE FROM items WHERE name = ?", -1, &s, NULL) !=
	    SQLITE_OK)
		return db_err(st, "removing item", NULL);
	bind_str(s, 1, name);
	int r = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(st, "removing item", NULL);
	sqlite3_finalize(s);
	if (!r && sqlite3_changes(st->db) == 0)
		r = -ENOENT;
	return r;
}

static int update_status(struct state *st, int64_t id, const char *status, const char *code,
			 const char *msg, int64_t when)
{
	sqlite3_stmt *s;
	const char *sql = when ? "UPDATE items SET sync_status=?, last_error_code=?, "
				 "last_error_message=?, last_sync_at=? WHERE id=?"
			       : "UPDATE items SET sync_status=?, last_error_code=?, "
				 "last_error_message=? WHERE id=?";
	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_err(st, "updating sync status", NULL);
	bind_str(s, 1, status);
	bind_str(s, 2, code);
	bind_str(s, 3, msg);
	int k = 4;
	if (when)
		sqlite3_bind_int64(s, k++, when);
	sqlite3_bind_int64(s, k, id);
	int r = sqlite3_step(s) == SQLITE_DONE ? 0 : db_err(st, "updating sync status", NULL);
	sqlite3_finalize(s);
	return r;
}

int state_item_store_sync(struct state *st, int64_t item_id, const struct table_row *rows,
			  size_t nrows, int64_t when)
{
	int r;
	sqlite3_stmt *s = NULL;
	if ((r = exec(st, "BEGIN IMMEDIATE", NULL)))
		return r;
	if (sqlite3_prepare_v2(st->db, "DELETE FROM tables WHERE item_id = ?", -1, &s, NULL) !=
	    SQLITE_OK) {
		r = db_err(st, "replacing tables", NULL);
		goto fail;
	}
	sqlite3_bind_int64(s, 1, item_id);
	if (sqlite3_step(s) != SQLITE_DONE) {
		r = db_err(st, "replacing tables", NULL);
		goto fail;
	}
	sqlite3_finalize(s);
	s = NULL;
	if ((r = insert_tables(st, item_id, rows, nrows, NULL)) ||
	    (r = update_status(st, item_id, "Success", NULL, NULL, when)))
		goto fail;
	return exec(st, "COMMIT", NULL);
fail:
	sqlite3_finalize(s);
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int state_item_set_status(struct state *st, int64_t item_id, const char *status,
			  const char *code, const char *message)
{
	return update_status(st, item_id, status, code, message, 0);
}

int state_tables_list(struct state *st, int64_t item_id, struct table_row **out, size_t *n)
{
	sqlite3_stmt *s;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(st->db,
			       "SELECT schema_name, name, table_id, table_type, format, location, "
			       "skip_reason, updated_at FROM tables WHERE item_id = ? "
			       "ORDER BY schema_name, name",
			       -1, &s, NULL) != SQLITE_OK)
		return db_err(st, "listing tables", NULL);
	sqlite3_bind_int64(s, 1, item_id);
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			struct table_row *v = realloc(*out, cap * sizeof(*v));
			if (!v) {
				rc = SQLITE_NOMEM;
				break;
			}
			*out = v;
		}
		struct table_row *t = &(*out)[(*n)++];
		t->schema_name = col_str(s, 0);
		t->name = col_str(s, 1);
		t->table_id = col_str(s, 2);
		t->table_type = col_str(s, 3);
		t->format = col_str(s, 4);
		t->location = col_str(s, 5);
		t->skip_reason = col_str(s, 6);
		t->updated_at = sqlite3_column_int64(s, 7);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		table_rows_free(*out, *n);
		*out = NULL;
		*n = 0;
		return rc == SQLITE_NOMEM ? -ENOMEM : db_err(st, "listing tables", NULL);
	}
	return 0;
}

void item_clear(struct item *it)
{
	free(it->name);
	free(it->catalog);
	free(it->host);
	free(it->profile);
	free(it->description);
	free(it->sync_status);
	free(it->last_error_code);
	free(it->last_error_message);
	memset(it, 0, sizeof(*it));
}

void items_free(struct item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		item_clear(&v[i]);
	free(v);
}

void table_row_clear(struct table_row *r)
{
	free(r->schema_name);
	free(r->name);
	free(r->table_id);
	free(r->table_type);
	free(r->format);
	free(r->location);
	free(r->skip_reason);
	memset(r, 0, sizeof(*r));
}

void table_rows_free(struct table_row *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		table_row_clear(&v[i]);
	free(v);
}
