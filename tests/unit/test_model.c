/* test_model.c - unit tests for uc/model. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uc/model.h"
#include "util/log.h"
#include "util/strutil.h"
#include "check.h"


static void test_catalog_pages(void)
{
	struct uc_catalog_list l = {0};
	char *next = NULL, *err = NULL;
	/* OSS shape: explicit nulls everywhere, token = last name. */
	const char *p1 = "{\"catalogs\":[{\"name\":\"a\",\"comment\":null,\"properties\":null,\"owner\":null,"
			 "\"created_at\":1718000000123,\"updated_at\":null,\"id\":\"x\"},"
			 "{\"name\":\"b\",\"comment\":\"hello\",\"created_at\":1}],\"next_page_token\":\"b\"}";
	CHECK(uc_parse_catalogs_page(p1, &l, &next, &err) == 0);
	CHECK(l.n == 2 && next && !strcmp(next, "b"));
	CHECK(!strcmp(l.items[0].name, "a") && !l.items[0].comment && !l.items[0].owner);
	CHECK(l.items[0].created_at == 1718000000123LL && l.items[0].updated_at == 0);
	CHECK(!strcmp(l.items[1].comment, "hello"));
	free(next);
	/* Empty page with a null token: end. Appends nothing. */
	CHECK(uc_parse_catalogs_page("{\"catalogs\":[],\"next_page_token\":null}", &l, &next, &err) == 0);
	CHECK(l.n == 2 && next == NULL);
	/* Databricks: array omitted, token omitted. */
	CHECK(uc_parse_catalogs_page("{}", &l, &next, &err) == 0 && l.n == 2 && !next);
	/* Empty-string token: end. */
	CHECK(uc_parse_catalogs_page("{\"catalogs\":null,\"next_page_token\":\"\"}", &l, &next, &err) == 0 && !next);
	/* Empty page that carries a token: keep going. */
	CHECK(uc_parse_catalogs_page("{\"next_page_token\":\"t2\"}", &l, &next, &err) == 0);
	CHECK(next && !strcmp(next, "t2") && l.n == 2);
	free(next);
	/* Databricks catalog_type including an unknown value; append. */
	CHECK(uc_parse_catalogs_page("{\"catalogs\":[{\"name\":\"system\",\"catalog_type\":\"SYSTEM_CATALOG\"},"
				     "{\"name\":\"n\",\"catalog_type\":\"SOME_FUTURE_CATALOG\",\"owner\":\"me\"},"
				     "{\"comment\":\"no name, skipped\"},42]}",
				     &l, &next, &err) == 0);
	CHECK(l.n == 4 && !strcmp(l.items[2].catalog_type, "SYSTEM_CATALOG"));
	CHECK(!strcmp(l.items[3].catalog_type, "SOME_FUTURE_CATALOG") && !strcmp(l.items[3].owner, "me"));
	/* Malformed: list untouched, -EBADMSG with a message. */
	CHECK(uc_parse_catalogs_page("{\"catalogs\":[{\"name\":\"z\"}", &l, &next, &err) == -EBADMSG);
	CHECK(err != NULL && l.n == 4 && next == NULL);
	free(err);
	err = NULL;
	CHECK(uc_parse_catalogs_page("[1,2]", &l, &next, &err) == -EBADMSG);
	free(err);
	err = NULL;
	CHECK(uc_parse_catalogs_page("{\"catalogs\":{\"name\":\"a\"}}", &l, &next, &err) == -EBADMSG);
	free(err);
	err = NULL;
	CHECK(uc_parse_catalogs_page("", &l, &next, &err) == -EBADMSG);
	free(err);
	err = NULL;
	CHECK(uc_parse_catalogs_page(NULL, &l, &next, &err) == -EBADMSG);
	free(err);
	err = NULL;
	CHECK(uc_parse_catalogs_page("<html>502 Bad Gateway</html>", &l, &next, &err) == -EBADMSG);
	free(err);
	CHECK(l.n == 4);
	uc_catalog_list_free(&l);
	CHECK(l.n == 0 && l.items == NULL);
}

static void test_schemas(void)
{
	struct uc_schema_list l = {0};
	char *next = NULL, *err = NULL;
	CHECK(uc_parse_schemas_page("{\"schemas\":[{\"name\":\"s1\",\"catalog_name\":\"c\",\"full_name\":null},"
				    "{\"name\":\"s2\",\"catalog_name\":\"c\",\"full_name\":\"c.s2\",\"comment\":\"x\"}],"
				    "\"next_page_token\":null}",
				    &l, &next, &err) == 0);
	CHECK(l.n == 2 && !next);
	CHECK(!strcmp(l.items[0].full_name, "c.s1") && !strcmp(l.items[1].full_name, "c.s2"));
	uc_schema_list_free(&l);
}

static void test_tables(void)
{
	struct uc_table_list l = {0};
	char *next = NULL, *err = NULL;
	/* OSS table: no full_name, explicit nulls, columns without masks. */
	const char *oss = "{\"tables\":[{\"name\":\"t\",\"catalog_name\":\"c\",\"schema_name\":\"s\","
			  "\"table_type\":\"EXTERNAL\",\"data_source_format\":\"DELTA\","
			  "\"storage_location\":\"file:///tmp/t/\",\"comment\":null,\"owner\":null,"
			  "\"columns\":[{\"name\":\"id\",\"type_name\":\"INT\"}],\"properties\":{},"
			  "\"table_id\":\"01234567-89ab\",\"created_at\":1718000000000,\"updated_at\":null}],"
			  "\"next_page_token\":null}";
	CHECK(uc_parse_tables_page(oss, &l, &next, &err) == 0 && l.n == 1 && !next);
	struct uc_table *t = &l.items[0];
	CHECK(!strcmp(t->full_name, "c.s.t") && !strcmp(t->table_type, "EXTERNAL"));
	CHECK(!strcmp(t->data_source_format, "DELTA") && !strcmp(t->storage_location, "file:///tmp/t/"));
	CHECK(!strcmp(t->table_id, "01234567-89ab") && !t->comment && !t->has_row_filter && !t->has_column_mask);
	CHECK(!t->browse_only && t->created_at == 1718000000000LL);
	/* Databricks table: full_name, row filter, masked column, unknown enums, omitted fields. */
	const char *dbx = "{\"tables\":[{\"name\":\"Sales\",\"catalog_name\":\"main\",\"schema_name\":\"default\","
			  "\"full_name\":\"main.default.Sales\",\"table_type\":\"METRIC_VIEW\","
			  "\"data_source_format\":\"SOMETHING_NEW\","
			  "\"row_filter\":{\"function_name\":\"main.f.rf\",\"input_column_names\":[\"region\"]},"
			  "\"columns\":[{\"name\":\"a\"},{\"name\":\"ssn\",\"mask\":{\"function_name\":\"main.f.m\"}}],"
			  "\"browse_only\":true,\"securable_kind_manifest\":{\"x\":1}},"
			  "{\"name\":\"plain\",\"catalog_name\":\"main\",\"schema_name\":\"default\",\"full_name\":\"main.default.plain\","
			  "\"columns\":[{\"name\":\"a\",\"mask\":null}],\"row_filter\":null}],"
			  "\"next_page_token\":\"abc==\"}";
	CHECK(uc_parse_tables_page(dbx, &l, &next, &err) == 0 && l.n == 3);
	CHECK(next && !strcmp(next, "abc=="));
	free(next);
	t = &l.items[1];
	CHECK(!strcmp(t->full_name, "main.default.Sales") && !strcmp(t->table_type, "METRIC_VIEW"));
	CHECK(!strcmp(t->data_source_format, "SOMETHING_NEW") && !t->storage_location && !t->table_id);
	CHECK(t->has_row_filter && t->has_column_mask && t->browse_only);
	t = &l.items[2];
	CHECK(!t->has_row_filter && !t->has_column_mask && !t->table_type);
	uc_table_list_free(&l);

	/* Single table; missing catalog/schema leaves full_name unset. */
	struct uc_table one;
	CHECK(uc_parse_table("{\"name\":\"x\",\"catalog_name\":\"c\",\"schema_name\":\"s\",\"created_at\":\"17\"}", &one, &err) == 0);
	CHECK(!strcmp(one.full_name, "c.s.x") && one.created_at == 17);
	uc_table_free(&one);
	CHECK(uc_parse_table("{\"name\":\"x\"}", &one, &err) == 0 && !one.full_name);
	uc_table_free(&one);
	CHECK(uc_parse_table("{\"name\":null}", &one, &err) == -EBADMSG && err);
	free(err);
	err = NULL;
	CHECK(uc_parse_table("not json", &one, &err) == -EBADMSG && err);
	free(err);
	err = NULL;
	/* Wrong types read as unset, not a crash. */
	CHECK(uc_parse_table("{\"name\":\"x\",\"table_type\":7,\"columns\":\"nope\",\"created_at\":true}", &one, &err) == 0);
	CHECK(!one.table_type && !one.has_column_mask && one.created_at == 0);
	uc_table_free(&one);
	/* Huge and negative timestamps are clamped to [0, year 9999], never cast
	 * out of range (undefined behaviour: UBSan fails this test if they are). */
	CHECK(uc_parse_table("{\"name\":\"x\",\"created_at\":1e300,\"updated_at\":-1e300}", &one, &err) == 0);
	CHECK(one.created_at == 253402300799999LL && one.updated_at == 0);
	uc_table_free(&one);
	CHECK(uc_parse_table("{\"name\":\"x\",\"created_at\":9223372036854775808,"
			     "\"updated_at\":1e999}", &one, &err) == 0);
	CHECK(one.created_at == 253402300799999LL && one.updated_at == 253402300799999LL);
	uc_table_free(&one);
	CHECK(uc_parse_table("{\"name\":\"x\",\"created_at\":-1,\"updated_at\":\"-99999999999999999999\"}",
			     &one, &err) == 0);
	CHECK(one.created_at == 0 && one.updated_at == 0);
	uc_table_free(&one);
	struct uc_schema_list sl = {0};
	CHECK(uc_parse_schemas_page("{\"schemas\":[{\"name\":\"s\",\"created_at\":-1e999,"
				    "\"updated_at\":\"99999999999999999999\"}]}", &sl, NULL, &err) == 0);
	CHECK(sl.n == 1 && sl.items[0].created_at == 0 && sl.items[0].updated_at == 253402300799999LL);
	uc_schema_list_free(&sl);
}

/* Columns and keys kept as compact, normalized JSON (model.json's source). */
static void test_columns_and_keys(void)
{
	struct uc_table t;
	char *err = NULL;
	CHECK(uc_parse_table(
		"{\"name\":\"o\",\"columns\":[{\"name\":\"id\",\"type_text\":\"bigint\","
		"\"type_name\":\"LONG\",\"nullable\":false,\"position\":0,\"comment\":\"x\"},"
		"{\"type_text\":\"int\"},{\"name\":\"c\\\"q\",\"type_text\":7}],"
		"\"table_constraints\":[{\"primary_key_constraint\":{\"name\":\"pk\","
		"\"child_columns\":[\"id\"]}},{\"foreign_key_constraint\":{\"name\":\"fk\","
		"\"child_columns\":[\"c\",3],\"parent_table\":\"m.s.p\",\"parent_columns\":"
		"[\"pid\"]}},{\"unknown_constraint\":{}},7]}", &t, &err) == 0);
	CHECK_STR(t.columns_json, "[{\"name\":\"id\",\"type_text\":\"bigint\",\"type_name\":"
		  "\"LONG\",\"nullable\":false,\"position\":0},{\"name\":\"c\\\"q\","
		  "\"nullable\":true}]");
	CHECK_STR(t.constraints_json, "[{\"kind\":\"primary_key\",\"name\":\"pk\",\"columns\":"
		  "[\"id\"]},{\"kind\":\"foreign_key\",\"name\":\"fk\",\"columns\":[\"c\"],"
		  "\"parent_table\":\"m.s.p\",\"parent_columns\":[\"pid\"]}]");
	uc_table_free(&t);
	/* absent or not arrays: unknown (NULL), not empty */
	CHECK(uc_parse_table("{\"name\":\"o\",\"table_constraints\":{}}", &t, &err) == 0);
	CHECK(!t.columns_json && !t.constraints_json);
	uc_table_free(&t);
}

static void test_catalog_one(void)
{
	struct uc_catalog c;
	char *err = NULL;
	CHECK(uc_parse_catalog("{\"name\":\"unity\",\"comment\":\"Main catalog\",\"properties\":{},"
			       "\"created_at\":1721234405334,\"updated_at\":null,\"id\":\"f029b870\"}",
			       &c, &err) == 0);
	CHECK(!strcmp(c.name, "unity") && !strcmp(c.comment, "Main catalog") && !c.catalog_type);
	CHECK(c.created_at == 1721234405334LL);
	uc_catalog_free(&c);
	CHECK(uc_parse_catalog("{", &c, &err) == -EBADMSG);
	free(err);
}

static void test_errors(void)
{
	char *code, *msg;
	uc_parse_error("{\"error_code\":\"NOT_FOUND\",\"details\":[{\"reason\":\"NOT_FOUND\"}],"
		       "\"stack_trace\":null,\"message\":\"Catalog not found: x\"}",
		       &code, &msg);
	CHECK(code && !strcmp(code, "NOT_FOUND") && msg && !strcmp(msg, "Catalog not found: x"));
	free(code);
	free(msg);
	uc_parse_error("{\"error_code\":\"RESOURCE_DOES_NOT_EXIST\",\"message\":null}", &code, &msg);
	CHECK(code && !strcmp(code, "RESOURCE_DOES_NOT_EXIST") && !msg);
	free(code);
	uc_parse_error("{\"error\":\"invalid_client\",\"error_description\":\"Client authentication failed\"}", &code, &msg);
	CHECK(code && !strcmp(code, "invalid_client") && msg && !strcmp(msg, "Client authentication failed"));
	free(code);
	free(msg);
	uc_parse_error("<html><body>Bad Gateway</body></html>", &code, &msg);
	CHECK(!code && !msg);
	uc_parse_error(NULL, &code, &msg);
	CHECK(!code && !msg);
	uc_parse_error("[\"x\"]", &code, &msg);
	CHECK(!code && !msg);
	uc_parse_error("{\"message\":\"only a message\"}", &code, &msg);
	CHECK(!code && msg && !strcmp(msg, "only a message"));
	free(msg);
}

static void test_volumes(void)
{
	struct uc_volume_list l = {0};
	char *next = NULL, *err = NULL;
	/* OSS 0.6.0's answer (explicit nulls, a name as page token), a volume
	 * without a name (skipped), wrong-typed fields (unset), a Databricks one
	 * with full_name and an unknown type (kept as it is). */
	const char *oss = "{\"volumes\":[{\"catalog_name\":\"vc\",\"schema_name\":\"s\","
			  "\"name\":\"ext\",\"comment\":null,\"owner\":null,\"created_at\":1796101703795,"
			  "\"updated_by\":null,\"volume_id\":\"f7abfda3\",\"volume_type\":\"EXTERNAL\","
			  "\"storage_location\":\"file:///tmp/v1\",\"full_name\":\"vc.s.ext\"},"
			  "{\"volume_id\":\"x\"},"
			  "{\"name\":\"m\",\"catalog_name\":\"vc\",\"schema_name\":\"s\","
			  "\"volume_type\":7,\"storage_location\":[\"s3://b\"],\"volume_id\":null}],"
			  "\"next_page_token\":\"ext\"}";
	CHECK(uc_parse_volumes_page(oss, &l, &next, &err) == 0 && l.n == 2);
	CHECK_STR(next, "ext");
	free(next);
	next = NULL;
	struct uc_volume *v = &l.items[0];
	CHECK_STR(v->full_name, "vc.s.ext");
	CHECK_STR(v->volume_id, "f7abfda3");
	CHECK_STR(v->volume_type, "EXTERNAL");
	CHECK_STR(v->storage_location, "file:///tmp/v1");
	CHECK(v->created_at == 1796101703795LL && v->updated_at == 0 && !v->comment);
	v = &l.items[1];
	CHECK_STR(v->full_name, "vc.s.m"); /* built */
	CHECK(!v->volume_type && !v->storage_location && !v->volume_id);
	const char *dbx = "{\"volumes\":[{\"name\":\"Raw\",\"catalog_name\":\"main\","
			  "\"schema_name\":\"default\",\"full_name\":\"main.default.Raw\","
			  "\"volume_type\":\"SOMETHING_NEW\",\"storage_location\":\"s3://b/v\","
			  "\"volume_id\":\"01ef\",\"browse_only\":false}]}";
	CHECK(uc_parse_volumes_page(dbx, &l, &next, &err) == 0 && l.n == 3 && !next);
	CHECK_STR(l.items[2].volume_type, "SOMETHING_NEW");
	/* A wrong shape leaves the list as it was. */
	CHECK(uc_parse_volumes_page("{\"volumes\":{}}", &l, &next, &err) == -EBADMSG);
	CHECK(l.n == 3 && err);
	free(err);
	err = NULL;
	CHECK(uc_parse_volumes_page("[", &l, &next, &err) == -EBADMSG && l.n == 3);
	free(err);
	uc_volume_list_free(&l);
	CHECK(l.n == 0 && !l.items);
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	test_catalog_pages();
	test_schemas();
	test_tables();
	test_volumes();
	test_columns_and_keys();
	test_catalog_one();
	test_errors();
	return check_done();
}
