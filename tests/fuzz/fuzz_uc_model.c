/* fuzz_uc_model.c - libFuzzer target: every Unity Catalog answer parser of
 * uc/model.c (catalog/schema/table/volume pages and single objects, error
 * bodies).
 * Input: the raw answer body, as a heap string of exactly its length + NUL
 * (the client hands the parsers the body as a C string). Each page parser
 * runs twice into one list (two pages) and model.h's contract is checked:
 * items have names, a failed parse leaves the list as it was, -EBADMSG
 * comes with a reason, a next token is never "". */
#include <errno.h>

#include "fuzz_input.h"
#include "uc/model.h"
#include "util/jsonnum.h"

#define PAGE(fn, listtype, extra)                                                       \
	do {                                                                            \
		listtype l = {0};                                                       \
		for (int page = 0; page < 2; page++) {                                  \
			size_t before = l.n;                                            \
			char *next = NULL, *err = NULL;                                 \
			int rc = fn(s, &l, &next, &err);                                \
			FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);         \
			if (rc)                                                         \
				FUZZ_CHECK(l.n == before && !next && err);              \
			FUZZ_CHECK(!next || *next);                                     \
			for (size_t i = before; i < l.n; i++) {                         \
				FUZZ_CHECK(l.items[i].name);                            \
				FUZZ_CHECK(l.items[i].created_at >= 0 &&                \
					   l.items[i].created_at <= JSON_EPOCH_MS_MAX); \
				extra;                                                  \
			}                                                               \
			free(next);                                                     \
			free(err);                                                      \
		}                                                                       \
		fn##_free_list(&l);                                                     \
	} while (0)

#define uc_parse_catalogs_page_free_list uc_catalog_list_free
#define uc_parse_schemas_page_free_list uc_schema_list_free
#define uc_parse_tables_page_free_list uc_table_list_free
#define uc_parse_volumes_page_free_list uc_volume_list_free

#define ONE(fn, type, freefn)                                                 \
	do {                                                                  \
		type o;                                                       \
		char *err = NULL;                                             \
		int rc = fn(s, &o, &err);                                     \
		FUZZ_CHECK(rc == 0 || rc == -EBADMSG || rc == -ENOMEM);       \
		if (!rc) {                                                    \
			FUZZ_CHECK(o.name && !err);                           \
			freefn(&o);                                           \
		} else {                                                      \
			FUZZ_CHECK(err);                                      \
		}                                                             \
		free(err);                                                    \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);

	PAGE(uc_parse_catalogs_page, struct uc_catalog_list, (void)0);
	PAGE(uc_parse_schemas_page, struct uc_schema_list, FUZZ_CHECK(l.items[i].updated_at >= 0));
	PAGE(uc_parse_tables_page, struct uc_table_list, FUZZ_CHECK(l.items[i].updated_at >= 0));
	PAGE(uc_parse_volumes_page, struct uc_volume_list, FUZZ_CHECK(l.items[i].updated_at >= 0));
	ONE(uc_parse_catalog, struct uc_catalog, uc_catalog_free);
	ONE(uc_parse_schema, struct uc_schema, uc_schema_free);
	ONE(uc_parse_table, struct uc_table, uc_table_free);

	char *code = NULL, *msg = NULL;
	uc_parse_error(s, &code, &msg);
	free(code);
	free(msg);
	free(s);
	return 0;
}
