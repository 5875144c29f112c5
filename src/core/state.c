/* state.c - the connection, migrations and mirrored items; see state.h. */
#include "core/state_db.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"
#include "util/home.h"
#include "util/strutil.h"

/* Migration N brings user_version from N to N+1. Append only. */
static const char *const migrations[] = {
	/* 1: items and their tables */
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
	/* 2: selection, sync lease and timing, Delta versions, lakehouses */
	"ALTER TABLE items ADD COLUMN catalog_mode TEXT NOT NULL DEFAULT 'Full';"
	"ALTER TABLE items ADD COLUMN sync_pid INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE items ADD COLUMN sync_started_at INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE items ADD COLUMN sync_duration_ms INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE items ADD COLUMN selection_issues TEXT;"
	"ALTER TABLE tables ADD COLUMN unsupported_reason TEXT;"
	"ALTER TABLE tables ADD COLUMN delta_version INTEGER NOT NULL DEFAULT -1;"
	"UPDATE tables SET unsupported_reason = skip_reason;"
	"CREATE TABLE selection_rules ("
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  schema_name TEXT NOT NULL,"
	"  table_name TEXT NOT NULL DEFAULT '',"
	"  mode TEXT NOT NULL,"
	"  PRIMARY KEY (item_id, schema_name, table_name));"
	"CREATE TABLE lakehouses ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE shortcuts ("
	"  lakehouse_id INTEGER NOT NULL REFERENCES lakehouses(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  item_id INTEGER REFERENCES items(id) ON DELETE SET NULL,"
	"  item_name TEXT NOT NULL,"
	"  schema_name TEXT NOT NULL,"
	"  table_name TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  PRIMARY KEY (lakehouse_id, name));",
	/* 3: schema and table names a sync skipped (duplicates, unusable names) */
	"ALTER TABLE items ADD COLUMN skipped_names TEXT;",
	/* 4: local roots (file:// tables are served only below them), owners and
	 * modes. Items from before have no root: their file:// tables are
	 * skipped, with the reason local_location_reason() gives. */
	"CREATE TABLE local_roots ("
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  root TEXT NOT NULL,"
	"  PRIMARY KEY (item_id, root));"
	"ALTER TABLE items ADD COLUMN owner_uid INTEGER;"
	"ALTER TABLE items ADD COLUMN owner_gid INTEGER;"
	"ALTER TABLE items ADD COLUMN mode INTEGER;"
	"ALTER TABLE lakehouses ADD COLUMN owner_uid INTEGER;"
	"ALTER TABLE lakehouses ADD COLUMN owner_gid INTEGER;"
	"ALTER TABLE lakehouses ADD COLUMN mode INTEGER;"
	"UPDATE tables SET skip_reason = (SELECT 'local storage is not served until allowed: "
	"item ''' || i.name || ''' allows no local root (run: ucfs mirror edit ' || i.name || "
	"' --allow-local DIR, DIR holding this table)' FROM items i WHERE i.id = tables.item_id) "
	"WHERE skip_reason IS NULL AND lower(substr(location, 1, 5)) = 'file:';",
	/* 5: volumes. An item mirrors them when asked to (older items do not);
	 * they are stored with the tables, kind 'volume', so a table and a
	 * volume of one schema may share a name: the key gets the kind, which
	 * needs the table rebuilt (SQLite cannot change a primary key). */
	"ALTER TABLE items ADD COLUMN volumes INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE tables5 ("
	"  item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL DEFAULT 'table',"
	"  schema_name TEXT NOT NULL,"
	"  name TEXT NOT NULL,"
	"  table_id TEXT,"
	"  table_type TEXT,"
	"  format TEXT,"
	"  location TEXT,"
	"  skip_reason TEXT,"
	"  updated_at INTEGER NOT NULL DEFAULT 0,"
	"  unsupported_reason TEXT,"
	"  delta_version INTEGER NOT NULL DEFAULT -1,"
	"  PRIMARY KEY (item_id, kind, schema_name, name));"
	"INSERT INTO tables5 (item_id, kind, schema_name, name, table_id, table_type, format, "
	"  location, skip_reason, updated_at, unsupported_reason, delta_version) "
	"  SELECT item_id, 'table', schema_name, name, table_id, table_type, format, location, "
	"  skip_reason, updated_at, unsupported_reason, delta_version FROM tables;"
	"DROP TABLE tables;"
	"ALTER TABLE tables5 RENAME TO tables;",
	/* 6: columns and keys of tables (MOUNT/.ucfs/model.json); NULL until synced */
	("ALTER TABLE tables ADD COLUMN columns_json TEXT;"
	 "ALTER TABLE tables ADD COLUMN constraints_json TEXT;"),
};
#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))
_Static_assert(sizeof(migrations) / sizeof(migrations[0]) == STATE_SCHEMA_VERSION,
	       "STATE_SCHEMA_VERSION must equal the number of migrations");

/* ---- helpers shared through state_db.h ---------------------------------- */

int sdb_err(struct state *st, const char *what, char **err)
{
	const char *m = sqlite3_errmsg(st->db);
	int code = sqlite3_errcode(st->db);
	if (err && !*err)
		*err = xasprintf("state database %s: %s failed: %s%s", st->path, what, m,
				 code == SQLITE_BUSY ? " (another ucfs process holds it; retry)" : "");
	else if (!err)
		log_error("state database %s: %s failed: %s", st->path, what, m);
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return -EBUSY;
	if (code == SQLITE_CONSTRAINT)
		return -EEXIST;
	if (code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_CANTOPEN)
		return -EACCES;
	if (code == SQLITE_NOMEM)
		return -ENOMEM;
	return -EIO;
}

int sdb_exec(struct state *st, const char *sql, char **err)
{
	if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sdb_err(st, "a statement", err);
	return 0;
}

int sdb_prepare(struct state *st, const char *sql, sqlite3_stmt **s, char **err)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK) {
		*s = NULL;
		return sdb_err(st, "preparing a query", err);
	}
	return 0;
}

int sdb_begin(struct state *st, char **err) { return sdb_exec(st, "BEGIN IMMEDIATE", err); }
int sdb_commit(struct state *st, char **err) { return sdb_exec(st, "COMMIT", err); }
void sdb_rollback(struct state *st) { sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL); }

char *sdb_col_str(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return t ? xstrdup((const char *)t) : NULL;
}

void sdb_bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

int sdb_step_done(struct state *st, sqlite3_stmt *s, const char *what, char **err)
{
	return sqlite3_step(s) == SQLITE_DONE ? 0 : sdb_err(st, what, err);
}

void *sdb_append(void *arr_ptr, size_t *n, size_t *cap, size_t size)
{
	void **arr = arr_ptr;
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		void *v = realloc(*arr, c * size);
		if (!v)
			return NULL;
		*arr = v;
		*cap = c;
	}
	char *el = (char *)*arr + (*n)++ * size;
	memset(el, 0, size);
	return el;
}

int sdb_name_taken(struct state *st, const char *name, int64_t except_item_id)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st,
			    "SELECT 1 FROM items WHERE name = ?1 AND id <> ?2 "
			    "UNION ALL SELECT 1 FROM lakehouses WHERE name = ?1",
			    &s, NULL);
	if (r)
		return r;
	sdb_bind_str(s, 1, name);
	sqlite3_bind_int64(s, 2, except_item_id);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : sdb_err(st, "checking names", NULL);
}

/* ---- opening and migrating ----------------------------------------------- */

char *state_default_path(void)
{
	const char *x = getenv("XDG_DATA_HOME");
	if (!str_empty(x))
		return xasprintf("%s/ucfs/state.db", x);
	char *home = home_dir();
	char *p = home ? xasprintf("%s/.local/share/ucfs/state.db", home) : NULL;
	free(home);
	return p;
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

static int user_version(struct state *st, int *v)
{
	sqlite3_stmt *s;
	if (sdb_prepare(st, "PRAGMA user_version", &s, NULL))
		return -EIO;
	int r = sqlite3_step(s) == SQLITE_ROW ? 0 : -EIO;
	*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return r;
}

static int migrate(struct state *st, char **err)
{
	int v, r;
	if ((r = sdb_begin(st, err)))
		return r;
	if (user_version(st, &v)) {
		r = sdb_err(st, "reading schema version", err);
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
		if ((r = sdb_exec(st, migrations[v], err)))
			goto fail;
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version=%d", v + 1);
		if ((r = sdb_exec(st, pragma, err)))
			goto fail;
	}
	return sdb_commit(st, err);
fail:
	sdb_rollback(st);
	return r;
}

/*
 * The database, its -wal and its -shm are private (0600) from the moment they
 * exist: the database file is created here with that mode before SQLite opens
 * it, and SQLite creates -wal and -shm with the mode of the database file. No
 * umask games (the umask is process-wide and the mount has other threads).
 * Files left group/other-readable by an older ucfs (which created the
 * database with the umask's mode and chmod-ed it afterwards, so a run that
 * died in between left all three 0644) are narrowed to 0600 here.
 */
static int create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

static void narrow_modes(const char *db)
{
	static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
		char *p = xasprintf("%s%s", db, sfx[i]);
		struct stat sb;
		if (p && lstat(p, &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 077) &&
		    sb.st_uid == geteuid() && chmod(p, sb.st_mode & 0700) != 0)
			log_warn("state database %s: cannot make it private (chmod 0600): %s", p,
				 strerror(errno));
		free(p);
	}
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
		if ((r = create_private(st->path))) {
			if (err)
				*err = xasprintf("cannot create state database %s: %s", st->path,
						 strerror(-r));
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
	narrow_modes(st->path); /* before SQLite copies a wider mode to a new -wal */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(st->path, &st->db, flags, NULL) != SQLITE_OK) {
		r = sdb_err(st, "open", err);
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 10000);
	if ((r = sdb_exec(st, "PRAGMA journal_mode=WAL", err)) ||
	    (r = sdb_exec(st, "PRAGMA synchronous=NORMAL", err)) ||
	    (r = sdb_exec(st, "PRAGMA foreign_keys=ON", err)) || (r = migrate(st, err)))
		goto fail;
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

static int pragma_int(struct state *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st, sql, &s, NULL);
	if (r)
		return r;
	r = sqlite3_step(s) == SQLITE_ROW ? 0 : -EIO;
	*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return r;
}

int state_data_version(struct state *st, int64_t *v)
{
	return pragma_int(st, "PRAGMA data_version", v);
}

int state_snapshot_begin(struct state *st) { return sdb_exec(st, "BEGIN", NULL); }
void state_snapshot_end(struct state *st) { sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL); }

int state_check_integrity(struct state *st, char **err)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st, "PRAGMA integrity_check", &s, err);
	if (r)
		return r;
	if (sqlite3_step(s) != SQLITE_ROW) {
		r = sdb_err(st, "integrity check", err);
	} else if (strcmp((const char *)sqlite3_column_text(s, 0), "ok") != 0) {
		if (err)
			*err = xasprintf("state database %s is damaged: %s", st->path,
					 (const char *)sqlite3_column_text(s, 0));
		r = -EIO;
	}
	sqlite3_finalize(s);
	return r;
}

/* ---- items --------------------------------------------------------------- */

#define ITEM_COLS                                                                          \
	"id, name, catalog, host, profile, description, auto_sync, created_at, last_sync_at, " \
	"sync_status, last_error_code, last_error_message, sync_pid, sync_started_at, "        \
	"sync_duration_ms, selection_issues, skipped_names, COALESCE(owner_uid, -1), "            \
	"COALESCE(owner_gid, -1), COALESCE(mode, -1), volumes"

static void read_item(sqlite3_stmt *s, struct item *it)
{
	it->id = sqlite3_column_int64(s, 0);
	it->name = sdb_col_str(s, 1);
	it->catalog = sdb_col_str(s, 2);
	it->host = sdb_col_str(s, 3);
	it->profile = sdb_col_str(s, 4);
	it->description = sdb_col_str(s, 5);
	it->auto_sync = sqlite3_column_int(s, 6) != 0;
	it->created_at = sqlite3_column_int64(s, 7);
	it->last_sync_at = sqlite3_column_int64(s, 8);
	it->sync_status = sdb_col_str(s, 9);
	it->last_error_code = sdb_col_str(s, 10);
	it->last_error_message = sdb_col_str(s, 11);
	it->sync_pid = sqlite3_column_int64(s, 12);
	it->sync_started_at = sqlite3_column_int64(s, 13);
	it->sync_duration_ms = sqlite3_column_int64(s, 14);
	it->selection_issues = sdb_col_str(s, 15);
	it->skipped_names = sdb_col_str(s, 16);
	it->acc.uid = sqlite3_column_int64(s, 17);
	it->acc.gid = sqlite3_column_int64(s, 18);
	it->acc.mode = sqlite3_column_int64(s, 19);
	it->volumes = sqlite3_column_int(s, 20) != 0;
}

int state_items_list(struct state *st, struct item **out, size_t *n)
{
	sqlite3_stmt *s;
	*out = NULL;
	*n = 0;
	int r = sdb_prepare(st, "SELECT " ITEM_COLS " FROM items ORDER BY name", &s, NULL);
	if (r)
		return r;
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct item *it = sdb_append(out, n, &cap, sizeof(*it));
		if (!it) {
			rc = SQLITE_NOMEM;
			break;
		}
		read_item(s, it);
	}
	sqlite3_finalize(s);
	if (rc == SQLITE_DONE)
		for (size_t i = 0; i < *n && rc == SQLITE_DONE; i++)
			if ((r = sdb_load_roots(st, &(*out)[i])))
				rc = r == -ENOMEM ? SQLITE_NOMEM : SQLITE_ERROR;
	if (rc != SQLITE_DONE) {
		items_free(*out, *n);
		*out = NULL;
		*n = 0;
		return rc == SQLITE_NOMEM ? -ENOMEM : sdb_err(st, "listing items", NULL);
	}
	return 0;
}

int state_item_get(struct state *st, const char *name, struct item *out)
{
	sqlite3_stmt *s;
	memset(out, 0, sizeof(*out));
	int r = sdb_prepare(st, "SELECT " ITEM_COLS " FROM items WHERE name = ?", &s, NULL);
	if (r)
		return r;
	sdb_bind_str(s, 1, name);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_item(s, out);
	else
		r = rc == SQLITE_DONE ? -ENOENT : sdb_err(st, "reading item", NULL);
	sqlite3_finalize(s);
	if (!r && (r = sdb_load_roots(st, out)))
		item_clear(out);
	return r;
}

static int name_taken_error(const char *name, char **err)
{
	if (err)
		*err = xasprintf("the name '%s' is already used by a mirrored item or a lakehouse: "
				 "choose another name (see 'ucfs mirror list', 'ucfs lakehouse list')",
				 name);
	return -EEXIST;
}

int state_item_create(struct state *st, struct item *it, const struct selection *sel,
		      const struct table_row *rows, size_t nrows, char **err)
{
	sqlite3_stmt *s = NULL;
	int r = sdb_begin(st, err);
	if (r)
		return r;
	if ((r = sdb_name_taken(st, it->name, 0)) != 0) {
		if (r > 0)
			r = name_taken_error(it->name, err);
		goto fail;
	}
	if ((r = sdb_prepare(st,
			     "INSERT INTO items (name, catalog, host, profile, description, "
			     "auto_sync, created_at, last_sync_at, sync_status, sync_duration_ms, "
			     "selection_issues, catalog_mode, skipped_names, owner_uid, owner_gid, mode, "
			     "volumes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			     &s, err)))
		goto fail;
	sdb_bind_str(s, 1, it->name);
	sdb_bind_str(s, 2, it->catalog);
	sdb_bind_str(s, 3, it->host);
	sdb_bind_str(s, 4, it->profile);
	sdb_bind_str(s, 5, it->description);
	sqlite3_bind_int(s, 6, it->auto_sync);
	sqlite3_bind_int64(s, 7, it->created_at);
	sqlite3_bind_int64(s, 8, it->last_sync_at);
	sdb_bind_str(s, 9, it->sync_status ? it->sync_status : "NotStarted");
	sqlite3_bind_int64(s, 10, it->sync_duration_ms);
	sdb_bind_str(s, 11, it->selection_issues);
	sdb_bind_str(s, 12, sel_mode_name(sel ? sel->catalog : SEL_FULL));
	sdb_bind_str(s, 13, it->skipped_names);
	sdb_bind_access(s, 14, &it->acc);
	sqlite3_bind_int(s, 17, it->volumes);
	if ((r = sdb_step_done(st, s, "creating item", err)))
		goto fail;
	it->id = sqlite3_last_insert_rowid(st->db);
	if ((r = sdb_store_tables(st, it->id, rows, nrows, err)) ||
	    (sel && (r = sdb_store_selection(st, it->id, sel, err))) ||
	    (r = sdb_edit_roots(st, it->id, (const char *const *)it->allow_local,
				it->n_allow_local, NULL, 0, err)))
		goto fail;
	sqlite3_finalize(s);
	return sdb_commit(st, err);
fail:
	sqlite3_finalize(s);
	sdb_rollback(st);
	return r;
}

int state_item_remove(struct state *st, const char *name)
{
	sqlite3_stmt *s;
	int r = sdb_prepare(st, "DELETE FROM items WHERE name = ?", &s, NULL);
	if (r)
		return r;
	sdb_bind_str(s, 1, name);
	r = sdb_step_done(st, s, "removing item", NULL);
	sqlite3_finalize(s);
	if (!r && sqlite3_changes(st->db) == 0)
		r = -ENOENT;
	return r;
}

static int set_text(struct state *st, int64_t id, const char *col, const char *v, char **err)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "UPDATE items SET %s = ? WHERE id = ?", col);
	sqlite3_stmt *s;
	int r = sdb_prepare(st, sql, &s, err);
	if (r)
		return r;
	sdb_bind_str(s, 1, v);
	sqlite3_bind_int64(s, 2, id);
	r = sdb_step_done(st, s, "updating item", err);
	sqlite3_finalize(s);
	return r;
}

bool state_sync_running(const struct item *it, pid_t self)
{
	if (!str_eq(it->sync_status, "InProgress") || it->sync_pid <= 0 || it->sync_pid == self)
		return false;
	return kill((pid_t)it->sync_pid, 0) == 0 || errno == EPERM;
}

int state_item_update(struct state *st, const char *name, const struct item_update *u,
		      char **err)
{
	struct item it;
	int r = sdb_begin(st, err);
	if (r)
		return r;
	r = state_item_get(st, name, &it);
	if (r) {
		if (r == -ENOENT && err)
			*err = xasprintf("no mirrored item named '%s' (see 'ucfs mirror list')", name);
		goto fail;
	}
	if ((u->selection || u->rows) && state_sync_running(&it, getpid())) {
		if (err)
			*err = xasprintf("a sync of '%s' is running (pid %lld): selection and local "
					 "root edits wait until it finishes; retry in a moment "
					 "(ucfs status %s)", name, (long long)it.sync_pid, name);
		r = -EBUSY;
		goto fail;
	}
	if (u->new_name && strcmp(u->new_name, name) != 0) {
		if ((r = sdb_name_taken(st, u->new_name, it.id)) != 0) {
			if (r > 0)
				r = name_taken_error(u->new_name, err);
			goto fail;
		}
		if ((r = set_text(st, it.id, "name", u->new_name, err)))
			goto fail;
	}
	if (u->description &&
	    (r = set_text(st, it.id, "description", *u->description ? u->description : NULL, err)))
		goto fail;
	if (u->auto_sync >= 0 &&
	    (r = set_text(st, it.id, "auto_sync", u->auto_sync ? "1" : "0", err)))
		goto fail;
	if (u->volumes >= 0 && (r = set_text(st, it.id, "volumes", u->volumes ? "1" : "0", err)))
		goto fail;
	if (u->selection &&
	    ((r = sdb_store_selection(st, it.id, u->selection, err)) ||
	     (r = set_text(st, it.id, "catalog_mode", sel_mode_name(u->selection->catalog), err))))
		goto fail;
	if (u->rows && (r = sdb_store_tables(st, it.id, u->rows, u->nrows, err)))
		goto fail;
	if ((r = sdb_edit_roots(st, it.id, u->allow_add, u->n_allow_add, u->allow_remove,
				u->n_allow_remove, err)) ||
	    (u->acc && (r = sdb_set_access(st, "items", it.id, u->acc, err))))
		goto fail;
	item_clear(&it);
	return sdb_commit(st, err);
fail:
	item_clear(&it);
	sdb_rollback(st);
	return r;
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
	free(it->selection_issues);
	free(it->skipped_names);
	for (size_t i = 0; i < it->n_allow_local; i++)
		free(it->allow_local[i]);
	free(it->allow_local);
	memset(it, 0, sizeof(*it));
}

void items_free(struct item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		item_clear(&v[i]);
	free(v);
}
