/* test_sqldefs.c - quoting and the generated MOUNT/.ucfs/duckdb.sql and
 * spark.sql (core/sqldefs.h) on views built by hand: plain and hostile
 * names, skipped and failing tables, broken shortcuts, DuckDB's reserved
 * database names, names equal but for case, paths with quotes. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include <cjson/cJSON.h>

#include "core/sqldefs.h"
#include "core/tablemodel.h"

static char *ident(const char *name, char q)
{
	struct strbuf sb = {0};
	CHECK(sql_put_ident(&sb, name, q) == 0);
	return sb_detach(&sb);
}

static void test_quoting(void)
{
	CHECK(sql_plain_ident("orders"));
	CHECK(sql_plain_ident("Sales_2024"));
	CHECK(sql_plain_ident("_x"));
	CHECK(!sql_plain_ident("2024"));
	CHECK(!sql_plain_ident(""));
	CHECK(!sql_plain_ident("select"));
	CHECK(!sql_plain_ident("ORDER"));
	CHECK(!sql_plain_ident("a b"));
	CHECK(!sql_plain_ident("caf\xc3\xa9"));
	char *s;
	CHECK_STR(s = ident("orders", '"'), "orders");
	free(s);
	CHECK_STR(s = ident("a\"b c", '"'), "\"a\"\"b c\"");
	free(s);
	CHECK_STR(s = ident("a`b", '`'), "`a``b`");
	free(s);
	CHECK_STR(s = ident("a\"b", '`'), "`a\"b`");
	free(s);
	CHECK_STR(s = ident("group", '"'), "\"group\"");
	free(s);
	CHECK_STR(s = ident("\"\"", '"'), "\"\"\"\"\"\"");
	free(s);

	struct strbuf sb = {0};
	CHECK(sql_put_string_duckdb(&sb, "/m/it's/a\\b") == 0);
	CHECK_STR(sb.buf, "'/m/it''s/a\\b'");
	sb_free(&sb);
	CHECK(sql_put_string_spark(&sb, "/m/it's/a\\b") == 0);
	CHECK_STR(sb.buf, "'/m/it\\'s/a\\\\b'");
	sb_free(&sb);
	/* A reason cannot end the comment early or smuggle a statement. */
	CHECK(sql_put_skipped(&sb, "a.b\nc", "x\r\nDROP TABLE t;\xe2\x80\xa8y") == 0);
	CHECK_STR(sb.buf, "-- skipped a.b\\x0Ac: x\\x0D\\x0ADROP TABLE t;\\u2028y\n");
	CHECK(strchr(sb.buf, '\n') == sb.buf + sb.len - 1);
	sb_free(&sb);
}

static struct table_row row(const char *schema, const char *name, const char *skip,
			    int64_t version)
{
	struct table_row r = {0};
	r.schema_name = (char *)schema;
	r.name = (char *)name;
	r.skip_reason = (char *)skip;
	r.delta_version = version;
	return r;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_files(void)
{
	struct table_row rows[] = {
		row("sales", "orders", NULL, 3),
		row("sales", "it's \"odd\" t\xc3\xa4""ble", NULL, DELTA_VERSION_UNKNOWN),
		row("sales", "v1", "view: not a Delta table", DELTA_VERSION_UNKNOWN),
		row("sales", "broken", NULL, DELTA_VERSION_UNREADABLE),
		row("Sales", "x", NULL, 1),   /* equal to "sales" for both engines */
		row("sales", "ORDERS", NULL, 1), /* equal to "orders" */
		row("select", "from", NULL, 0),
	};
	struct table_row main_rows[] = {row("s", "t", NULL, 0)};
	struct view_item items[2];
	memset(items, 0, sizeof(items));
	items[0].it.name = "cat";
	items[0].rows = rows;
	items[0].nrows = sizeof(rows) / sizeof(rows[0]);
	items[1].it.name = "main";
	items[1].rows = main_rows;
	items[1].nrows = 1;
	struct lakehouse lhs[1] = {{.name = "lh"}};
	struct view_shortcut scs[2];
	memset(scs, 0, sizeof(scs));
	scs[0].sc.lakehouse = "lh";
	scs[0].sc.name = "o";
	scs[0].item = &items[0];
	scs[0].table = &rows[0];
	scs[1].sc.lakehouse = "lh";
	scs[1].sc.name = "gone";
	scs[1].broken = "target cat.sales.gone does not exist";
	struct mount_view v = {.items = items, .nitems = 2, .lhs = lhs, .nlhs = 1, .scs = scs,
			       .nscs = 2};

	char *d = sqldefs_duckdb(&v, "/mnt/u c");
	CHECK(d != NULL);
	if (d) {
		CHECK(strstr(d, "ATTACH IF NOT EXISTS ':memory:' AS cat;\n"));
		CHECK(strstr(d, "CREATE SCHEMA IF NOT EXISTS cat.sales;\n"));
		CHECK(count(d, "CREATE SCHEMA IF NOT EXISTS cat.sales;") == 1);
		CHECK(strstr(d, "CREATE OR REPLACE VIEW cat.sales.orders AS SELECT * FROM "
				"delta_scan('/mnt/u c/cat/sales/orders');\n"));
		CHECK(strstr(d, "CREATE OR REPLACE VIEW cat.sales.\"it's \"\"odd\"\" t\xc3\xa4""ble\" "
				"AS SELECT * FROM delta_scan('/mnt/u c/cat/sales/it''s \"odd\" "
				"t\xc3\xa4""ble');\n"));
		CHECK(strstr(d, "-- skipped cat.sales.v1: view: not a Delta table\n"));
		CHECK(strstr(d, "-- skipped cat.sales.broken: no readable _delta_log"));
		CHECK(strstr(d, "-- skipped cat.Sales.x: DuckDB sees its schema name as equal"));
		CHECK(strstr(d, "-- skipped cat.sales.ORDERS: DuckDB sees its name as equal"));
		CHECK(strstr(d, "CREATE OR REPLACE VIEW cat.\"select\".\"from\" AS"));
		CHECK(strstr(d, "-- skipped item main: DuckDB reserves the database name 'main'"));
		CHECK(strstr(d, "-- skipped main.s.t: its item is left out"));
		CHECK(!strstr(d, "AS main"));
		CHECK(strstr(d, "ATTACH IF NOT EXISTS ':memory:' AS lh;\n"
				"CREATE SCHEMA IF NOT EXISTS lh.Tables;\n"
				"CREATE OR REPLACE VIEW lh.Tables.o AS SELECT * FROM "
				"delta_scan('/mnt/u c/lh/Tables/o');\n"));
		CHECK(strstr(d, "-- skipped lh.Tables.gone: target cat.sales.gone does not exist\n"));
		CHECK(count(d, "CREATE OR REPLACE VIEW") == 4);
	}
	char *d2 = sqldefs_duckdb(&v, "/mnt/u c");
	CHECK(d && d2 && !strcmp(d, d2)); /* the same view, the same file */
	free(d2);
	free(d);

	char *s = sqldefs_spark(&v, "/mnt/u c");
	CHECK(s != NULL);
	if (s) {
		CHECK(strstr(s, "CREATE SCHEMA IF NOT EXISTS cat_sales;\n"));
		CHECK(count(s, "CREATE SCHEMA IF NOT EXISTS cat_sales;") == 1);
		CHECK(strstr(s, "CREATE TABLE IF NOT EXISTS cat_sales.orders USING delta LOCATION "
				"'/mnt/u c/cat/sales/orders';\n"));
		/* Spark's session catalog refuses such a name, quoted or not */
		CHECK(strstr(s, "-- skipped cat.sales.it's \"odd\" t\xc3\xa4""ble: Spark's session "
				"catalog takes only letters, digits and _ in table names, not "
				"'it's \"odd\" t\xc3\xa4""ble'\n"));
		CHECK(!strstr(s, "`it's"));
		CHECK(strstr(s, "-- skipped cat.sales.v1: view: not a Delta table\n"));
		CHECK(strstr(s, "-- skipped cat.Sales.x: Spark sees its database name cat_Sales"));
		CHECK(strstr(s, "-- skipped cat.sales.ORDERS: Spark sees its name as equal"));
		CHECK(strstr(s, "CREATE SCHEMA IF NOT EXISTS cat_select;\n"
				"CREATE TABLE IF NOT EXISTS cat_select.`from` USING"));
		CHECK(strstr(s, "CREATE TABLE IF NOT EXISTS main_s.t USING delta LOCATION "
				"'/mnt/u c/main/s/t';\n"));
		CHECK(strstr(s, "CREATE SCHEMA IF NOT EXISTS lh;\nCREATE TABLE IF NOT EXISTS lh.o "
				"USING delta LOCATION '/mnt/u c/lh/Tables/o';\n"));
		CHECK(strstr(s, "-- skipped lh.Tables.gone: target"));
		CHECK(count(s, "CREATE TABLE") == 4);
	}
	free(s);

	/* Mounted at "/": no double slash. */
	struct mount_view one = {.items = items, .nitems = 1};
	d = sqldefs_duckdb(&one, "/");
	CHECK(d && strstr(d, "delta_scan('/cat/sales/orders')"));
	free(d);
	/* Nothing mirrored: still a valid file (comments only). */
	struct mount_view none = {0};
	d = sqldefs_duckdb(&none, "/m");
	CHECK(d && !strstr(d, "CREATE") && !strstr(d, "ATTACH"));
	free(d);
	/* A mount point with a line break cannot end the header's comment. */
	d = sqldefs_spark(&none, "/m\nDROP x");
	CHECK(d && strstr(d, "mounted at /m\\x0ADROP x,") && !strstr(d, "\nDROP"));
	free(d);
}

/* model.json and the key comments (core/tablemodel.h). */
static void test_model(void)
{
	struct table_row rows[] = {
		row("s", "o", NULL, 1),
		row("s", "p", NULL, 1),
		row("s", "v", "view: no storage", DELTA_VERSION_UNKNOWN),
		row("s", "q", NULL, DELTA_VERSION_UNKNOWN), /* a volume: files, no table */
	};
	rows[3].volume = true;
	rows[0].columns_json = "[{\"name\":\"id\",\"type_text\":\"bigint\"},"
			       "{\"name\":\"pid\",\"type_text\":\"int\"}]";
	rows[0].constraints_json = "[{\"kind\":\"primary_key\",\"name\":\"pk\",\"columns\":"
				   "[\"id\"]},{\"kind\":\"foreign_key\",\"name\":\"fk\n1\","
				   "\"columns\":[\"pid\"],\"parent_table\":\"cat.s.p\","
				   "\"parent_columns\":[\"k\"]},{\"kind\":\"foreign_key\","
				   "\"columns\":[\"x\"],\"parent_table\":\"other.s.q\"},"
				   "{\"kind\":\"foreign_key\",\"columns\":[\"y\"],\"parent_table\":\"cat.s.q\"}]";
	rows[1].columns_json = "not json";
	struct view_item it;
	memset(&it, 0, sizeof(it));
	it.it.name = "it";
	it.it.catalog = "cat";
	it.rows = rows;
	it.nrows = 4;
	struct mount_view v = {.items = &it, .nitems = 1};
	char *d = sqldefs_duckdb(&v, "/m");
	CHECK(d && strstr(d, "delta_scan('/m/it/s/o');\n-- primary key pk (id)\n"
			     "-- foreign key fk\\x0A1 (pid) references cat.s.p (k)\n"
			     "-- foreign key (x) references other.s.q ()\n"));
	CHECK(d && !strstr(d, "/m/it/s/q") && !strstr(d, "s.q AS")); /* the volume */
	free(d);
	char *sp = sqldefs_spark(&v, "/m");
	CHECK(sp && !strstr(sp, "/m/it/s/q'"));
	free(sp);
	char *m = tablemodel_json(&v, "/m");
	cJSON *j = m ? cJSON_Parse(m) : NULL;
	free(m);
	CHECK(j != NULL);
	cJSON *ts = cJSON_GetObjectItem(j, "tables");
	CHECK(cJSON_GetArraySize(ts) == 3);
	cJSON *o = cJSON_GetArrayItem(ts, 0), *p = cJSON_GetArrayItem(ts, 1);
	cJSON *vv = cJSON_GetArrayItem(ts, 2);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "path")), "/m/it/s/o");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(o, "full_name")), "cat.s.o");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "columns")) == 2);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "primary_key"), 0)),
		  "id");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "foreign_keys")) == 3);
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(p, "columns"))); /* unparsable: unknown */
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(p, "primary_key")));
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(vv, "status")), "skipped");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(vv, "path")));
	cJSON *rels = cJSON_GetObjectItem(j, "relationships");
	CHECK(cJSON_GetArraySize(rels) == 3);
	/* cat.s.q is a volume of the item, not a mounted table */
	cJSON *to2 = cJSON_GetObjectItem(cJSON_GetArrayItem(rels, 2), "to");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(to2, "item")));
	cJSON *to0 = cJSON_GetObjectItem(cJSON_GetArrayItem(rels, 0), "to");
	cJSON *to1 = cJSON_GetObjectItem(cJSON_GetArrayItem(rels, 1), "to");
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(to0, "item")), "it"); /* mounted */
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(to0, "name")), "p");
	CHECK(cJSON_IsNull(cJSON_GetObjectItem(to1, "item"))); /* not mounted */
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(to1, "full_name")), "other.s.q");
	cJSON_Delete(j);
}

int main(void)
{
	test_quoting();
	test_files();
	test_model();
	return check_done();
}
