/*
 * sqldefs.h - the SQL that gives a mount's tables their names, served as
 * MOUNT/.ucfs/duckdb.sql and MOUNT/.ucfs/spark.sql.
 *
 * DuckDB: one in-memory database per item and per lakehouse (ATTACH; DuckDB
 * has catalog.schema.table names only for attached databases), a schema per
 * Unity Catalog schema, and per table a view over delta_scan() of its mounted
 * path, so `SELECT * FROM item.schema.table` and lakehouse.Tables.shortcut
 * work. Spark (session catalog, two levels): a database item_schema per
 * schema and one per lakehouse, and per table an external Delta table
 * (CREATE TABLE IF NOT EXISTS ... USING delta LOCATION).
 *
 * Contract: pure functions of a mount_view and the mount point (no I/O, no
 * globals); the output only changes when the view does. Identifiers that are
 * not plain ([A-Za-z_][A-Za-z0-9_]*, not an SQL keyword) are quoted - DuckDB
 * "..." with " doubled, Spark `...` with ` doubled - and never altered
 * otherwise. Paths are absolute mounted paths as string literals (DuckDB:
 * ' doubled; Spark: ' and \ escaped with \, which its parser reads back).
 * Whatever is left out - a skipped table, one whose _delta_log was unreadable
 * at the last sync (its view would fail to load), a broken shortcut, a name
 * the engine cannot take (a database name DuckDB reserves; in Spark's session
 * catalog, database and table names other than letters, digits and _; two
 * names the engine sees as equal: identifiers are case-insensitive in both) - is one
 * "-- skipped NAME: REASON" line, NAME and REASON escaped (util/names.h), so
 * no line break or control character reaches the file. A defined table's
 * primary and foreign keys, when Unity Catalog reported them, follow it as
 * comment lines (core/tablemodel.h). Volumes (rows with `volume` set) are
 * files, not tables: they are not named here. Functions return a
 * malloc'ed string, NULL only on ENOMEM.
 */
#ifndef UCFS_SQLDEFS_H
#define UCFS_SQLDEFS_H

#include <stdbool.h>

#include "core/view.h"
#include "util/strutil.h"

/* Can NAME be written unquoted in both DuckDB and Spark SQL? */
bool sql_plain_ident(const char *name);
/* Append NAME as an identifier, quoted with Q ('"' or '`') unless plain.
 * 0 or -ENOMEM. */
int sql_put_ident(struct strbuf *sb, const char *name, char q);
/* Append S as a string literal: DuckDB ('' for '), Spark (\' and \\). */
int sql_put_string_duckdb(struct strbuf *sb, const char *s);
int sql_put_string_spark(struct strbuf *sb, const char *s);
/* Append "-- skipped WHAT: WHY\n", both escaped to one line. */
int sql_put_skipped(struct strbuf *sb, const char *what, const char *why);

/* The database name DuckDB reserves that NAME equals (case-insensitively):
 * such an item or lakehouse cannot be ATTACHed by its name. NULL if none. */
const char *sqldefs_duckdb_reserved(const char *name);

/* The files; MOUNTPOINT is the mount's absolute path. */
char *sqldefs_duckdb(const struct mount_view *v, const char *mountpoint);
char *sqldefs_spark(const struct mount_view *v, const char *mountpoint);

#endif
