/*
 * cmd_sql.c - `ucfs sql` (a DuckDB shell, or one query, with the mounted
 * tables by name: MOUNT/.ucfs/duckdb.sql) and `ucfs preview` (a table's
 * columns and first rows, read by path). Both run the DuckDB CLI
 * (duckrun.h) against the running mount.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/duckrun.h"
#include "cli/tablearg.h"
#include "core/sqldefs.h"
#include "util/strutil.h"

static const char sql_help[] =
	"usage: ucfs sql [ITEM] [-c QUERY] [--mount DIR] [--duckdb PATH]\n"
	"\n"
	"Open a DuckDB shell on the running ucfs mount with every mounted table\n"
	"defined by name (MOUNT/.ucfs/duckdb.sql): SELECT * FROM item.schema.table,\n"
	"or lakehouse.Tables.shortcut. With ITEM (an item or lakehouse), its tables\n"
	"are also schema.table (USE ITEM).\n"
	"\n"
	"  -c, --command QUERY  run QUERY, print its result and exit (its status)\n"
	"  -m, --mount DIR      the ucfs mount to use (default: the only one running)\n"
	"      --duckdb PATH    the DuckDB CLI (default $UCFS_DUCKDB, else duckdb on PATH;\n"
	"                       the PyPI package duckdb-cli provides it)\n"
	"\n"
	"The delta extension is loaded offline from $UCFS_DUCKDB_DELTA, else from the\n"
	"PyPI package duckdb-extension-delta installed beside the CLI; without either,\n"
	"DuckDB's own (INSTALL delta). See ucfs(1).\n";

static const char preview_help[] =
	"usage: ucfs preview NAME [-n ROWS] [--mount DIR] [--duckdb PATH]\n"
	"       ucfs preview ITEM SCHEMA TABLE [-n ROWS] ...\n"
	"\n"
	"Print a mounted table's columns and types and its first ROWS rows (default\n"
	"20), read with DuckDB from its path in the running ucfs mount. NAME is\n"
	"item.schema.table or lakehouse.Tables.shortcut; give the three parts as\n"
	"separate arguments when a name holds a dot.\n"
	"\n"
	"  -n, --rows ROWS  rows to show (1-100000, default 20)\n"
	"  -m, --mount DIR  the ucfs mount to use (default: the only one running)\n"
	"      --duckdb PATH  the DuckDB CLI (as for 'ucfs sql')\n";

#define OPT_DUCKDB 1100

int cmd_sql(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"command", required_argument, NULL, 'c'},
		{"mount", required_argument, NULL, 'm'},
		{"duckdb", required_argument, NULL, OPT_DUCKDB},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	struct duckrun d = {.defs = true};
	const char *mount = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:m:hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'c': d.command = optarg; break;
		case 'm': mount = optarg; break;
		case OPT_DUCKDB: d.duckdb = optarg; break;
		case 'h': fputs(sql_help, stdout); return 0;
		default: return cli_usage_error("sql", "invalid option");
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("sql", "unexpected argument '%s'", argv[optind + 1]);
	const char *item = optind < argc ? argv[optind] : NULL;
	char real[PATH_MAX];
	int r = duckrun_find_mount(mount, real);
	if (r)
		return r;
	d.mount = real;
	struct strbuf use = {0};
	if (item) {
		if (strchr(item, '/') || !tablearg_is_dir3(real, item, NULL, NULL))
			return cli_fail("no item or lakehouse '%s' in the mount at %s (ls %s lists "
					"them)", item, real, real);
		if (sqldefs_duckdb_reserved(item))
			return cli_fail("DuckDB reserves the database name '%s', so item '%s' has "
					"no DuckDB name: rename it (ucfs mirror edit %s --rename NEW), "
					"or read its tables by path with delta_scan",
					sqldefs_duckdb_reserved(item), item, item);
		if (sql_put_ident(&use, item, '"')) {
			sb_free(&use);
			return cli_fail("out of memory");
		}
		d.use = use.buf;
	}
	r = duckrun_exec(&d);
	sb_free(&use);
	return r;
}

int cmd_preview(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"rows", required_argument, NULL, 'n'},
		{"mount", required_argument, NULL, 'm'},
		{"duckdb", required_argument, NULL, OPT_DUCKDB},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	struct duckrun d = {0};
	const char *mount = NULL;
	long rows = 20;
	int opt;
	while ((opt = getopt_long(argc, argv, "n:m:hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'n': {
			char *end;
			errno = 0;
			rows = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || rows < 1 || rows > 100000)
				return cli_usage_error("preview", "-n wants a number of rows from 1 "
						       "to 100000, not '%s'", optarg);
			break;
		}
		case 'm': mount = optarg; break;
		case OPT_DUCKDB: d.duckdb = optarg; break;
		case 'h': fputs(preview_help, stdout); return 0;
		default: return cli_usage_error("preview", "invalid option");
		}
	}
	int nargs = argc - optind;
	if (nargs != 1 && nargs != 3)
		return cli_usage_error("preview", "expected item.schema.table (or ITEM SCHEMA "
				       "TABLE)");
	char real[PATH_MAX];
	int r = duckrun_find_mount(mount, real);
	if (r)
		return r;
	char *a = NULL, *b = NULL, *c = NULL;
	if (nargs == 1) {
		if ((r = tablearg_split_name(real, argv[optind], &a, &b, &c)))
			return r;
	} else {
		a = xstrdup(argv[optind]);
		b = xstrdup(argv[optind + 1]);
		c = xstrdup(argv[optind + 2]);
		if (a && b && c && !tablearg_is_dir3(real, a, b, c)) {
			r = cli_fail("no table %s.%s.%s in the mount at %s ('ucfs status --tables' "
				     "lists them)", a, b, c, real);
			goto out;
		}
	}
	char *path = a && b && c ? xasprintf("%s/%s/%s/%s", real, a, b, c) : NULL;
	struct strbuf q = {0};
	/* The schema as a plain result (DuckDB's DESCRIBE box folds the columns). */
	if (!path ||
	    sb_puts(&q, "SELECT column_name AS \"column\", column_type AS \"type\", \"null\" "
			"AS nullable FROM (DESCRIBE SELECT * FROM delta_scan(") ||
	    sql_put_string_duckdb(&q, path) ||
	    sb_puts(&q, ")); SELECT * FROM delta_scan(") || sql_put_string_duckdb(&q, path) ||
	    sb_printf(&q, ") LIMIT %ld;", rows)) {
		r = cli_fail("out of memory");
	} else {
		d.mount = real;
		d.command = q.buf;
		r = duckrun_exec(&d);
	}
	free(path);
	sb_free(&q);
out:
	free(a);
	free(b);
	free(c);
	return r;
}
