/*
 * tablemodel.h - MOUNT/.ucfs/model.json: the mounted tables as a data model
 * (columns with types, primary keys, foreign keys as relationships), from
 * what Unity Catalog reported at the last sync, and the keys as SQL comment
 * lines for duckdb.sql and spark.sql.
 *
 * Contract: pure functions of a mount_view (no I/O); volumes (rows with
 * `volume` set) are not tables and are left out. Document:
 * {mount, tables: [{item, schema, name, full_name, path, status: "mirrored"|
 *  "skipped", reason, columns: [{name, type_text, type_name, nullable,
 *  position}] | null (unknown), primary_key: [column...] | null,
 *  foreign_keys: [{name, columns, parent_table, parent_columns}]}],
 *  shortcuts: [{lakehouse, name, path, item, schema, table}],
 *  relationships: [{name, from: {item, schema, name, columns}, to: {full_name,
 *  item, schema, name (null when the parent table is not mounted), columns}}]}.
 * Stored JSON that does not parse counts as unknown. Keys in comments are
 * "-- primary key (a, b)" / "-- foreign key NAME (a) references C.S.T (b)"
 * lines, escaped (util/names.h) like every other comment. Functions return
 * malloc'ed text or 0, NULL / -ENOMEM only when out of memory.
 */
#ifndef UCFS_TABLEMODEL_H
#define UCFS_TABLEMODEL_H

#include "core/view.h"
#include "util/strutil.h"

char *tablemodel_json(const struct mount_view *v, const char *mountpoint);
/* Append the key comment lines of a table's CONSTRAINTS_JSON (may be NULL). */
int tablemodel_key_comments(struct strbuf *sb, const char *constraints_json);

#endif
