/* test_tablefilter.c - which objects a mirror shows, and the reasons. */
#include <stdlib.h>

#include "check.h"
#include "core/tablefilter.h"

static void expect(const char *type, const char *fmt, const char *loc, bool rf, bool cm,
		   const char *reason_substr)
{
	struct table_facts f = {type, fmt, loc, rf, cm};
	bool oom;
	char *r = table_skip_reason(&f, &oom);
	CHECK(!oom);
	if (!reason_substr) {
		CHECK(r == NULL);
	} else {
		CHECK(r != NULL && strstr(r, reason_substr) != NULL);
		if (r && !strstr(r, reason_substr))
			fprintf(stderr, "  reason was: %s\n", r);
	}
	free(r);
}

int main(void)
{
	const char *loc = "file:///t";
	expect("MANAGED", "DELTA", loc, false, false, NULL);
	expect("EXTERNAL", "DELTA", loc, false, false, NULL);
	expect("external", "delta", loc, false, false, NULL);
	expect("VIEW", NULL, NULL, false, false, "view");
	expect("MATERIALIZED_VIEW", "DELTA", loc, false, false, "materialized view");
	expect("METRIC_VIEW", NULL, NULL, false, false, "metric view");
	expect("STREAMING_TABLE", "DELTA", loc, false, false, "streaming table");
	expect("FOREIGN", "MYSQL", NULL, false, false, "foreign");
	expect("EXTERNAL", "DELTASHARING", loc, false, false, "Delta Sharing");
	expect("EXTERNAL", "PARQUET", loc, false, false, "format PARQUET");
	expect("MANAGED", "CSV", loc, false, false, "format CSV");
	expect("MANAGED", NULL, loc, false, false, "format (none)");
	expect("SOME_FUTURE_TYPE", "DELTA", loc, false, false, "table type SOME_FUTURE_TYPE");
	expect(NULL, "DELTA", loc, false, false, "table type (none)");
	expect("MANAGED", "DELTA", loc, true, false, "row filter");
	expect("MANAGED", "DELTA", loc, false, true, "column mask");
	expect("MANAGED", "DELTA", NULL, false, false, "no storage location");
	expect("MANAGED", "DELTA", "", false, false, "no storage location");

	CHECK(catalog_skip_reason(NULL) == NULL);
	CHECK(catalog_skip_reason("MANAGED_CATALOG") == NULL);
	char *r = catalog_skip_reason("DELTASHARING_CATALOG");
	CHECK(r && strstr(r, "DELTASHARING_CATALOG"));
	free(r);
	r = catalog_skip_reason("SYSTEM_CATALOG");
	CHECK(r != NULL);
	free(r);

	CHECK(name_is_valid_entry("sales"));
	CHECK(name_is_valid_entry("with space"));
	CHECK(!name_is_valid_entry(""));
	CHECK(!name_is_valid_entry(NULL));
	CHECK(!name_is_valid_entry("."));
	CHECK(!name_is_valid_entry(".."));
	CHECK(!name_is_valid_entry(".hidden"));
	CHECK(!name_is_valid_entry("a/b"));
	char longname[300];
	memset(longname, 'x', sizeof(longname) - 1);
	longname[299] = '\0';
	CHECK(!name_is_valid_entry(longname));
	return check_done();
}
