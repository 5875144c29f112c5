/* test_state.c - state database: items, uniqueness across items and
 * lakehouses, atomic syncs and the sync lease, selection round trip,
 * shortcuts, local roots and access, and the migrations from v1 (file://
 * tables of an item from before schema 3 are skipped with the reason). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "core/state.h"
#include "core/tablefilter.h"
#include "util/strutil.h"

static struct table_row row(const char *schema, const char *name, const char *reason)
{
	struct table_row r = {0};
	r.schema_name = (char *)schema;
	r.name = (char *)name;
	r.table_id = (char *)"id-1";
	r.table_type = (char *)"EXTERNAL";
	r.format = (char *)"DELTA";
	r.location = (char *)"file:///x";
	r.unsupported_reason = (char *)reason;
	r.skip_reason = (char *)reason;
	r.delta_version = reason ? -1 : 3;
	return r;
}

/* Volumes (schema 5): the item's flag, and volume rows next to tables - a
 * table and a volume of one schema may share a name. */
static void test_volumes(const char *dir)
{
	char *path = xasprintf("%s/vol.db", dir);
	struct state *st;
	char *err = NULL;
	CHECK(state_open(path, true, &st, &err) == 0);
	struct table_row rows[3] = {row("s", "x", NULL), row("s", "x", NULL), row("s", "v", NULL)};
	rows[1].volume = rows[2].volume = true;
	rows[1].table_type = (char *)"MANAGED";
	rows[1].delta_version = rows[2].delta_version = -1;
	struct item it = {.name = (char *)"vi", .catalog = (char *)"c", .host = (char *)"h",
			  .volumes = true, .acc = {-1, -1, -1}};
	CHECK(state_item_create(st, &it, NULL, rows, 3, &err) == 0);
	struct item got;
	CHECK(state_item_get(st, "vi", &got) == 0 && got.volumes);
	struct table_row *tr;
	size_t n;
	CHECK(state_tables_list(st, got.id, &tr, &n) == 0 && n == 3);
	CHECK_STR(tr[0].name, "v");
	CHECK(tr[0].volume);
	CHECK_STR(tr[1].name, "x"); /* ORDER BY schema, name, kind: table first */
	CHECK(!tr[1].volume && tr[1].delta_version == 3);
	CHECK_STR(tr[2].name, "x");
	CHECK(tr[2].volume && tr[2].delta_version == -1);
	CHECK_STR(tr[2].table_type, "MANAGED");
	table_rows_free(tr, n);
	/* A sync stores volumes too; the same row twice is refused. */
	CHECK(state_sync_finish(st, got.id, rows, 2, 5, 1, NULL, NULL) == 0);
	CHECK(state_tables_list(st, got.id, &tr, &n) == 0 && n == 2);
	CHECK(!tr[0].volume && tr[1].volume);
	table_rows_free(tr, n);
	rows[2] = rows[1];
	CHECK(state_sync_finish(st, got.id, rows, 3, 6, 1, NULL, NULL) == -EEXIST);
	CHECK(state_tables_list(st, got.id, &tr, &n) == 0 && n == 2); /* unchanged */
	table_rows_free(tr, n);
	/* The flag: -1 keeps it, 0 turns it off. */
	struct item_update u = {.auto_sync = -1, .volumes = -1, .description = "d"};
	CHECK(state_item_update(st, "vi", &u, &err) == 0);
	item_clear(&got);
	CHECK(state_item_get(st, "vi", &got) == 0 && got.volumes);
	u = (struct item_update){.auto_sync = -1, .volumes = 0};
	CHECK(state_item_update(st, "vi", &u, &err) == 0);
	item_clear(&got);
	CHECK(state_item_get(st, "vi", &got) == 0 && !got.volumes);
	item_clear(&got);
	state_close(st);
	free(path);
}

static void test_v1_migration(const char *dir)
{
	char *path = xasprintf("%s/v1.db", dir);
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db,
			   "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
			   " catalog TEXT NOT NULL, host TEXT NOT NULL, profile TEXT, description TEXT,"
			   " auto_sync INTEGER NOT NULL DEFAULT 1, created_at INTEGER NOT NULL,"
			   " last_sync_at INTEGER NOT NULL DEFAULT 0, sync_status TEXT NOT NULL DEFAULT"
			   " 'NotStarted', last_error_code TEXT, last_error_message TEXT);"
			   "CREATE TABLE tables (item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE"
			   " CASCADE, schema_name TEXT NOT NULL, name TEXT NOT NULL, table_id TEXT,"
			   " table_type TEXT, format TEXT, location TEXT, skip_reason TEXT, updated_at"
			   " INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (item_id, schema_name, name));"
			   "INSERT INTO items (name, catalog, host, created_at) VALUES ('old','c','h',1);"
			   "INSERT INTO tables (item_id, schema_name, name, skip_reason) VALUES"
			   " (1,'s','v','view: x'), (1,'s','t',NULL);"
			   "INSERT INTO tables (item_id, schema_name, name, location) VALUES"
			   " (1,'s','f','file:///data/f'), (1,'s','g','s3://b/g');"
			   "PRAGMA user_version=1;",
			   NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	struct state *st;
	char *err = NULL;
	CHECK(state_open(path, false, &st, &err) == 0);
	struct item it;
	CHECK(state_item_get(st, "old", &it) == 0);
	struct table_row *tr;
	size_t n;
	CHECK(state_tables_list(st, it.id, &tr, &n) == 0 && n == 4);
	CHECK_STR(tr[3].unsupported_reason, "view: x"); /* copied from skip_reason */
	CHECK(tr[2].unsupported_reason == NULL && tr[2].delta_version == -1);
	/* Schema 3: a local table of an item with no allowed root is not served,
	 * with the reason a sync would give; cloud tables are unchanged. */
	bool oom;
	char *why = local_location_reason("file:///data/f", "old", NULL, 0, &oom);
	CHECK(why && strstr(why, "ucfs mirror edit old --allow-local DIR"));
	CHECK_STR(tr[0].skip_reason, why);
	free(why);
	CHECK(tr[1].skip_reason == NULL && tr[2].skip_reason == NULL);
	CHECK(it.n_allow_local == 0 && it.acc.uid == -1 && it.acc.gid == -1 && it.acc.mode == -1);
	/* Schema 5: older items mirror no volumes; their rows are tables. */
	CHECK(!it.volumes);
	for (size_t i = 0; i < n; i++)
		CHECK(!tr[i].volume);
	table_rows_free(tr, n);
	struct selection sel;
	CHECK(state_selection_get(st, it.id, &sel) == 0);
	CHECK(sel.catalog == SEL_FULL && sel.n == 0);
	selection_free(&sel);
	item_clear(&it);
	CHECK(state_check_integrity(st, &err) == 0);
	state_close(st);
	free(path);
}

int main(void)
{
	char dir[] = "/tmp/ucfs-test-state-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char *path = xasprintf("%s/sub/dir/state.db", dir);
	struct state *st;
	char *err = NULL;

	/* Opening without create on a missing file explains what to do. */
	CHECK(state_open(path, false, &st, &err) == -ENOENT);
	CHECK(err && strstr(err, "mirror create"));
	free(err);
	err = NULL;

	CHECK(state_open(path, true, &st, &err) == 0);
	struct table_row rows[2] = {row("s", "t1", NULL), row("s", "v", "view: x")};
	struct item it = {.name = "cat", .catalog = "cat", .host = "http://h", .auto_sync = true,
			  .created_at = 1, .sync_status = "Success"};
	struct selection sel;
	const char *inc[] = {"s"};
	CHECK(selection_from_lists(inc, 1, NULL, 0, &sel, &err) == 0);
	CHECK(state_item_create(st, &it, &sel, rows, 2, &err) == 0);
	CHECK(it.id > 0);

	/* Duplicate names are refused, also against lakehouses. */
	struct item dup = it;
	CHECK(state_item_create(st, &dup, NULL, rows, 1, &err) == -EEXIST);
	CHECK(err && strstr(err, "'cat' is already used"));
	free(err);
	err = NULL;
	CHECK(state_lakehouse_create(st, "cat", NULL, &err) == -EEXIST);
	free(err);
	err = NULL;
	CHECK(state_lakehouse_create(st, "lh", NULL, &err) == 0);
	dup.name = "lh";
	CHECK(state_item_create(st, &dup, NULL, rows, 1, &err) == -EEXIST);
	free(err);
	err = NULL;

	struct item got;
	CHECK(state_item_get(st, "cat", &got) == 0);
	CHECK_STR(got.host, "http://h");
	CHECK(got.profile == NULL && got.auto_sync);
	item_clear(&got);
	CHECK(state_item_get(st, "nope", &got) == -ENOENT);

	/* Selection round trip. */
	struct selection back;
	CHECK(state_selection_get(st, it.id, &back) == 0);
	CHECK(back.catalog == SEL_PARTIAL && back.n == 1);
	CHECK_STR(back.rules[0].schema, "s");
	CHECK(back.rules[0].table == NULL && back.rules[0].mode == SEL_FULL);
	selection_free(&back);

	struct table_row *tr;
	size_t n;
	CHECK(state_tables_list(st, it.id, &tr, &n) == 0 && n == 2);
	CHECK_STR(tr[0].name, "t1");
	CHECK(tr[0].skip_reason == NULL && tr[0].delta_version == 3);
	CHECK_STR(tr[1].skip_reason, "view: x");
	table_rows_free(tr, n);

	/* The sync lease: held by a live process it blocks others and edits;
	 * a dead holder's lease is taken over. */
	CHECK(state_sync_begin(st, it.id, getpid(), &err) == 0);
	CHECK(state_item_get(st, "cat", &got) == 0);
	CHECK_STR(got.sync_status, "InProgress");
	CHECK(!state_sync_running(&got, getpid()));
	item_clear(&got);
	pid_t child = fork();
	if (child == 0) {
		struct state *st2;
		char *e2 = NULL;
		int rc = 1;
		if (state_open(path, false, &st2, &e2) == 0) {
			struct item_update u = {.auto_sync = -1, .selection = &sel};
			rc = state_sync_begin(st2, it.id, getpid(), &e2) == -EBUSY &&
					     state_item_update(st2, "cat", &u, &e2) == -EBUSY
				     ? 0 : 2;
			state_close(st2);
		}
		free(e2);
		_exit(rc);
	}
	int status;
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct table_row rows2[1] = {row("s2", "t9", NULL)};
	CHECK(state_sync_finish(st, it.id, rows2, 1, 42, 7, "[\"x\"]", NULL) == 0);
	CHECK(state_tables_list(st, it.id, &tr, &n) == 0);
	CHECK(n == 1 && !strcmp(tr[0].schema_name, "s2"));
	table_rows_free(tr, n);
	CHECK(state_item_get(st, "cat", &got) == 0);
	CHECK_STR(got.sync_status, "Success");
	CHECK(got.sync_pid == 0 && got.last_sync_at == 42 && got.sync_duration_ms == 7);
	CHECK_STR(got.selection_issues, "[\"x\"]");
	item_clear(&got);
	/* A lease left by a dead process (kill -9 mid-sync) is taken over. */
	child = fork();
	if (child == 0) {
		struct state *st2;
		char *e2 = NULL;
		if (state_open(path, false, &st2, &e2) == 0)
			state_sync_begin(st2, it.id, getpid(), &e2);
		_exit(0); /* dies holding the lease */
	}
	waitpid(child, &status, 0);
	CHECK(state_sync_begin(st, it.id, getpid(), &err) == 0);
	CHECK(state_sync_fail(st, it.id, "NOT_FOUND", "gone", 5) == 0);
	CHECK(state_item_get(st, "cat", &got) == 0);
	CHECK_STR(got.sync_status, "Failed");
	CHECK_STR(got.last_error_code, "NOT_FOUND");
	CHECK(got.last_sync_at == 42); /* unchanged by a failure */
	item_clear(&got);

	/* Rename, description, auto-sync. */
	struct item_update u = {.new_name = "lh", .auto_sync = -1};
	CHECK(state_item_update(st, "cat", &u, &err) == -EEXIST);
	free(err);
	err = NULL;
	u = (struct item_update){.new_name = "cat2", .description = "d", .auto_sync = 0};
	CHECK(state_item_update(st, "cat", &u, &err) == 0);
	CHECK(state_item_get(st, "cat2", &got) == 0);
	CHECK_STR(got.description, "d");
	CHECK(!got.auto_sync);
	item_clear(&got);

	/* Local roots and access: set, kept, edited, reset. */
	const char *roots[] = {"/data/b", "/data/a"};
	struct access acc = {1001, ACCESS_RESET, 0750};
	u = (struct item_update){.auto_sync = -1, .allow_add = roots, .n_allow_add = 2,
				 .acc = &acc};
	CHECK(state_item_update(st, "cat2", &u, &err) == 0);
	CHECK(state_item_get(st, "cat2", &got) == 0);
	CHECK(got.n_allow_local == 2);
	CHECK(got.n_allow_local == 2 && !strcmp(got.allow_local[0], "/data/a") &&
	      !strcmp(got.allow_local[1], "/data/b"));
	CHECK(got.acc.uid == 1001 && got.acc.gid == -1 && got.acc.mode == 0750);
	item_clear(&got);
	const char *gone[] = {"/data/b"}, *never[] = {"/nope"};
	acc = (struct access){-1, 42, ACCESS_RESET};
	u = (struct item_update){.auto_sync = -1, .allow_remove = gone, .n_allow_remove = 1,
				 .acc = &acc};
	CHECK(state_item_update(st, "cat2", &u, &err) == 0);
	CHECK(state_item_get(st, "cat2", &got) == 0);
	CHECK(got.n_allow_local == 1 && !strcmp(got.allow_local[0], "/data/a"));
	CHECK(got.acc.uid == 1001 && got.acc.gid == 42 && got.acc.mode == -1);
	item_clear(&got);
	u = (struct item_update){.auto_sync = -1, .allow_remove = never, .n_allow_remove = 1};
	CHECK(state_item_update(st, "cat2", &u, &err) == -ENOENT);
	CHECK(err && strstr(err, "/nope"));
	free(err);
	err = NULL;
	acc = (struct access){7, 8, 0705};
	CHECK(state_lakehouse_set_access(st, "lh", &acc, &err) == 0);
	CHECK(state_lakehouse_set_access(st, "nolh", &acc, &err) == -ENOENT);
	free(err);
	err = NULL;
	struct lakehouse *lhs;
	CHECK(state_lakehouses_list(st, &lhs, &n) == 0 && n == 1);
	CHECK(lhs[0].acc.uid == 7 && lhs[0].acc.gid == 8 && lhs[0].acc.mode == 0705);
	lakehouses_free(lhs, n);

	/* Shortcuts: target item must exist; they follow renames. */
	CHECK(state_shortcut_create(st, "lh", "sc", "nope", "s", "t", &err) == -ENOENT);
	CHECK(err && strstr(err, "no mirrored item named 'nope'"));
	free(err);
	err = NULL;
	CHECK(state_shortcut_create(st, "nolh", "sc", "cat2", "s", "t", &err) == -ENOENT);
	free(err);
	err = NULL;
	CHECK(state_shortcut_create(st, "lh", "sc", "cat2", "s2", "t9", &err) == 0);
	CHECK(state_shortcut_create(st, "lh", "sc", "cat2", "s2", "t9", &err) == -EEXIST);
	free(err);
	err = NULL;
	u = (struct item_update){.new_name = "cat3", .auto_sync = -1};
	CHECK(state_item_update(st, "cat2", &u, &err) == 0);
	struct shortcut *scs;
	CHECK(state_shortcuts_list(st, &scs, &n) == 0 && n == 1);
	CHECK_STR(scs[0].item_name, "cat3");
	shortcuts_free(scs, n);

	/* Removing an item keeps the shortcut, broken (item_id 0). */
	CHECK(state_item_remove(st, "cat3") == 0);
	CHECK(state_item_remove(st, "cat3") == -ENOENT);
	CHECK(state_shortcuts_list(st, &scs, &n) == 0 && n == 1 && scs[0].item_id == 0);
	shortcuts_free(scs, n);
	CHECK(state_shortcut_remove(st, "lh", "sc") == 0);
	CHECK(state_shortcut_remove(st, "lh", "sc") == -ENOENT);
	CHECK(state_lakehouse_remove(st, "lh") == 0);
	CHECK(state_lakehouse_remove(st, "lh") == -ENOENT);
	CHECK(state_check_integrity(st, &err) == 0);
	selection_free(&sel);
	state_close(st);

	/* A newer schema is refused. */
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(state_open(path, false, &st, &err) == -EPROTO);
	CHECK(err && strstr(err, "newer"));
	free(err);

	test_v1_migration(dir);
	test_volumes(dir);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	free(cmd);
	free(path);
	return check_done();
}
