/*
 * tablearg.h - the TABLE argument of `ucfs preview`, `ucfs prefetch` and
 * `ucfs cache drop|unpin`: a table by name (item.schema.table or
 * lakehouse.Tables.shortcut, found as a directory of the running mount) or
 * by path (a directory under a ucfs mount).
 *
 * Contract: names never hold '/'; an argument with a '/', ".", "..", or one
 * that is an existing directory relative to the working directory is a path.
 * A name splits at two of its dots; exactly one split must name a directory
 * MOUNT/A/B/C the mount shows (dot-directories such as .ucfs never count).
 * Functions that can fail print "ucfs: error: ..." (what, on which mount,
 * what to do) and return an exit status (0, or 1); they free what they
 * took on every path.
 */
#ifndef UCFS_TABLEARG_H
#define UCFS_TABLEARG_H

#include <limits.h>
#include <stdbool.h>

/* Is MOUNT/A (/B/C) a directory the mount shows (no dot-directory)? */
bool tablearg_is_dir3(const char *mount, const char *a, const char *b, const char *c);

/* NAME (item.schema.table) -> the one split naming a table of the mount at
 * MOUNT (malloc'ed parts; all NULL on failure). */
int tablearg_split_name(const char *mount, const char *name, char **a, char **b, char **c);

/* Is TABLE taken as a path (see the contract), not a name? */
bool tablearg_is_path(const char *table);

/* TABLE (a name or a path) -> the real path of its ucfs mount in MOUNT and
 * the table directory relative to it in *REL ("item/schema/table",
 * malloc'ed). MOUNT_OPT is --mount (or NULL: the only mount running, for
 * names; the mount holding the path, for paths). */
int tablearg_resolve(const char *mount_opt, const char *table, char mount[PATH_MAX],
		     char **rel);

#endif
