/*
 * duckrun.h - run the DuckDB CLI for `ucfs sql` and `ucfs preview`: find the
 * running ucfs mount, the `duckdb` binary and the delta extension, and exec
 * duckdb with the mount's tables defined.
 *
 * Contract: the CLI is --duckdb PATH, else $UCFS_DUCKDB, else `duckdb` on
 * PATH (the PyPI package duckdb-cli installs one). The delta extension is
 * $UCFS_DUCKDB_DELTA, else the PyPI package duckdb-extension-delta's file in
 * the Python environment the CLI belongs to (PREFIX/bin/duckdb ->
 * PREFIX/lib/python3.X/site-packages/duckdb_extension_delta/...), LOADed by
 * path with extension auto-install and auto-load off (offline); when there
 * is none, DuckDB's own extension handling applies (INSTALL delta).
 * Functions print "ucfs: error: ..." and return an exit status on failure.
 */
#ifndef UCFS_DUCKRUN_H
#define UCFS_DUCKRUN_H

#include <stdbool.h>
#include <limits.h>

/* The ucfs mount to use: MOUNT (--mount, checked to be a running ucfs
 * mount), else the only one mounted. Writes its real path to out. */
int duckrun_find_mount(const char *mount, char out[PATH_MAX]);

struct duckrun {
	const char *duckdb;  /* --duckdb, or NULL */
	const char *mount;   /* the mount (real path) */
	bool defs;           /* .read MOUNT/.ucfs/duckdb.sql first */
	const char *use;     /* USE this database after (already quoted), or NULL */
	const char *command; /* -c: run this and exit; NULL: the interactive shell */
};

/* Exec the CLI (returns only on failure, with the exit status). */
int duckrun_exec(const struct duckrun *d);

#endif
