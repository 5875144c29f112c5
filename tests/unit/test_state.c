/* test_state.c - state database: create, uniqueness, atomic sync, migrations. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "core/state.h"
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
	r.skip_reason = (char *)reason;
	return r;
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
	CHECK(state_item_create(st, &it, rows, 2, &err) == 0);
	CHECK(it.id > 0);

	/* Duplicate names are refused with a message naming the item. */
	struct item dup = it;
	CHECK(state_item_create(st, &dup, rows, 1, &err) == -EEXIST);
	CHECK(err && strstr(err, "'cat' already exists"));
	free(err);
	err = NULL;

	struct item got;
	CHECK(state_item_get(st, "cat", &got) == 0);
	CHECK_STR(got.host, "http://h");
	CHECK(got.profile == NULL);
	CHECK(got.auto_sync);
	item_clear(&got);
	CHECK(state_item_get(st, "nope", &got) == -ENOENT);

	struct table_row *tr;
	size_t n;
	CHECK(state_tables_list(st, it.id, &tr, &n) == 0);
	CHECK(n == 2);
	CHECK_STR(tr[0].name, "t1");
	CHECK(tr[0].skip_reason == NULL);
	CHECK_STR(tr[1].skip_reason, "view: x");
	table_rows_free(tr, n);

	/* A sync replaces the tables and records success. */
	struct table_row rows2[1] = {row("s2", "t9", NULL)};
	CHECK(state_item_store_sync(st, it.id, rows2, 1, 42) == 0);
	CHECK(state_tables_list(st, it.id, &tr, &n) == 0);
	CHECK(n == 1 && !strcmp(tr[0].schema_name, "s2"));
	table_rows_free(tr, n);
	CHECK(state_item_set_status(st, it.id, "Failed", "NOT_FOUND", "gone") == 0);
	CHECK(state_item_get(st, "cat", &got) == 0);
	CHECK_STR(got.sync_status, "Failed");
	CHECK_STR(got.last_error_code, "NOT_FOUND");
	CHECK(got.last_sync_at == 42);
	item_clear(&got);

	struct item *items;
	CHECK(state_items_list(st, &items, &n) == 0 && n == 1);
	items_free(items, n);

	/* Removing cascades to tables. */
	CHECK(state_item_remove(st, "cat") == 0);
	CHECK(state_item_remove(st, "cat") == -ENOENT);
	CHECK(state_tables_list(st, it.id, &tr, &n) == 0 && n == 0);
	free(tr);
	state_close(st);

	/* Reopen: schema version is current; a newer one is refused. */
	sqlite3 *db;
	CHECK(sqlite3_open(path, &db) == SQLITE_OK);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	CHECK(sqlite3_step(s) == SQLITE_ROW && sqlite3_column_int(s, 0) == STATE_SCHEMA_VERSION);
	sqlite3_finalize(s);
	CHECK(sqlite3_exec(db, "PRAGMA user_version=99", NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(state_open(path, false, &st, &err) == -EPROTO);
	CHECK(err && strstr(err, "newer"));
	free(err);

	char *cmd = xasprintf("rm -rf '%s'", dir);
	CHECK(system(cmd) == 0);
	free(cmd);
	free(path);
	return check_done();
}
