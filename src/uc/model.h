/*
 * model.h - Unity Catalog JSON -> C structs (pure: no I/O, no globals).
 *
 * Contract: parsers are tolerant of both server dialects - the OSS server
 * writes explicit nulls, Databricks omits fields - and treat null, absent
 * and wrong-typed scalars alike (NULL string / 0 number / false). Enum-like
 * fields (table_type, data_source_format, catalog_type, volume_type) are kept as opaque
 * strings, so unknown values never fail. Items without a name are skipped.
 * A "\u0000" in any string is kept as the NUL marker of util/names.h (so
 * "a\u0000b" is never read as "a"); names are otherwise kept as they are -
 * whether they can be shown is the caller's check (name_entry_problem).
 * Page parsers APPEND to the list only on success (the list is untouched on
 * error) and return 0 or -EBADMSG (bad JSON / wrong shape) / -ENOMEM with
 * *err (malloc'ed) set. Everything returned is owned by the caller.
 */
#ifndef UCFS_UC_MODEL_H
#define UCFS_UC_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uc_catalog {
	char *name, *comment, *catalog_type, *owner;
	int64_t created_at, updated_at; /* epoch ms, 0 when unknown */
};

struct uc_schema {
	char *name, *catalog_name, *full_name /* built as c.s when absent */, *comment, *owner;
	int64_t created_at, updated_at;
};

struct uc_table {
	char *name, *catalog_name, *schema_name, *full_name /* built as c.s.t when absent */,
		*table_id, *table_type, *data_source_format, *storage_location, *comment, *owner;
	int64_t created_at, updated_at;
	bool has_row_filter, has_column_mask;
	bool browse_only; /* Databricks: metadata visible, data not readable */
	/* Compact JSON (NULL when the answer has none): the columns as
	 * [{name, type_text, type_name, nullable, position}], and the primary
	 * and foreign keys (Databricks' table_constraints) as [{kind:
	 * "primary_key"|"foreign_key", name, columns[], parent_table,
	 * parent_columns[]}]. Entries without a name are dropped; at most
	 * UC_MAX_COLUMNS columns and UC_MAX_CONSTRAINTS keys are kept. */
	char *columns_json, *constraints_json;
};
#define UC_MAX_COLUMNS 4096
#define UC_MAX_CONSTRAINTS 256

/* A volume (GET /volumes): non-tabular files under storage_location. */
struct uc_volume {
	char *name, *catalog_name, *schema_name, *full_name /* built as c.s.v when absent */,
		*volume_id, *volume_type /* MANAGED, EXTERNAL */, *storage_location, *comment, *owner;
	int64_t created_at, updated_at;
};

struct uc_catalog_list { struct uc_catalog *items; size_t n; };
struct uc_schema_list { struct uc_schema *items; size_t n; };
struct uc_table_list { struct uc_table *items; size_t n; };
struct uc_volume_list { struct uc_volume *items; size_t n; };

/* *next_token: NULL when absent/null/"" (last page), else malloc'ed. */
int uc_parse_catalogs_page(const char *json, struct uc_catalog_list *list, char **next_token, char **err);
int uc_parse_schemas_page(const char *json, struct uc_schema_list *list, char **next_token, char **err);
int uc_parse_tables_page(const char *json, struct uc_table_list *list, char **next_token, char **err);
int uc_parse_volumes_page(const char *json, struct uc_volume_list *list, char **next_token, char **err);

int uc_parse_catalog(const char *json, struct uc_catalog *out, char **err);
int uc_parse_schema(const char *json, struct uc_schema *out, char **err);
int uc_parse_table(const char *json, struct uc_table *out, char **err);

/* {"error_code","message"} (also OAuth's {"error","error_description"}) ->
 * malloc'ed code/message; either is NULL when absent or body isn't JSON. */
void uc_parse_error(const char *body, char **code, char **message);

void uc_catalog_free(struct uc_catalog *c);
void uc_schema_free(struct uc_schema *s);
void uc_table_free(struct uc_table *t);
void uc_volume_free(struct uc_volume *v);
void uc_catalog_list_free(struct uc_catalog_list *l);
void uc_schema_list_free(struct uc_schema_list *l);
void uc_table_list_free(struct uc_table_list *l);
void uc_volume_list_free(struct uc_volume_list *l);

#endif
