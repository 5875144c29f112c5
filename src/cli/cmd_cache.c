/*
 * cmd_cache.c - `ucfs cache` (what the running mount's disk cache holds, per
 * table: bytes, recorded snapshot, last use; then the totals), `ucfs cache
 * drop TABLE` (evict a table's cached data and forget its snapshot) and
 * `ucfs cache unpin TABLE` (its snapshot stays recorded, no longer pinned).
 *
 * Contract: every answer comes from the mount's daemon over its control
 * socket (control_client.h: ops "status", "drop", "unpin"); TABLE is
 * resolved as for `ucfs prefetch` (tablearg.h). Names from the daemon are
 * printed escaped. --json prints the daemon's status answer as it is.
 * Exit status 0, 1 (failure, reported), 2 (usage).
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "cli/control_client.h"
#include "cli/duckrun.h"
#include "cli/tablearg.h"
#include "util/names.h"

static const char cache_help[] =
	"usage: ucfs cache [--mount DIR] [--json]\n"
	"       ucfs cache drop TABLE [--mount DIR]\n"
	"       ucfs cache unpin TABLE [--mount DIR]\n"
	"\n"
	"Show what the running ucfs mount's disk cache holds: for each table its\n"
	"cached bytes, the snapshot recorded by 'ucfs prefetch' (version, pinned or\n"
	"not) and when it was last read; then the cache's use, cap, pinned bytes and\n"
	"the bytes of files no table shows now.\n"
	"\n"
	"  drop TABLE    evict every cached file of TABLE and forget its snapshot\n"
	"  unpin TABLE   keep TABLE's snapshot recorded, but let it be evicted\n"
	"  --json        the daemon's answer as JSON\n"
	"  -m, --mount DIR  the ucfs mount to use (default: the only one running)\n"
	"\n"
	"TABLE is item.schema.table, lakehouse.Tables.shortcut, or its directory\n"
	"under the mount. See 'ucfs prefetch'.\n";

static const char drop_help[] =
	"usage: ucfs cache drop TABLE [--mount DIR]\n"
	"\n"
	"Evict every cached file of TABLE from the running mount's disk cache\n"
	"(files open now keep only what they hold) and forget its prefetched\n"
	"snapshot and pins: offline, the table is then unreadable until prefetched\n"
	"again. TABLE is item.schema.table, lakehouse.Tables.shortcut, or its\n"
	"directory under the mount.\n"
	"\n"
	"  -m, --mount DIR  the ucfs mount to use (default: the only one running)\n";

static const char unpin_help[] =
	"usage: ucfs cache unpin TABLE [--mount DIR]\n"
	"\n"
	"Unpin TABLE's prefetched snapshot: it stays recorded (and readable offline\n"
	"while its files stay cached) but its files may be evicted like any other.\n"
	"TABLE is item.schema.table, lakehouse.Tables.shortcut, or its directory\n"
	"under the mount.\n"
	"\n"
	"  -m, --mount DIR  the ucfs mount to use (default: the only one running)\n";

#define OPT_JSON 1300

/* Print S escaped, padded to WIDTH display bytes. */
static void put_padded(const char *s, int width)
{
	char *e = name_escape(s);
	int n = printf("%s", e ? e : "?");
	free(e);
	if (width > n)
		printf("%*s", width - n, "");
}

static const char *str_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : "?";
}

static void snapshot_text(const cJSON *snap, char *buf, size_t len)
{
	if (!cJSON_IsObject(snap)) {
		snprintf(buf, len, "-");
		return;
	}
	long long bytes = (long long)ctl_i64(snap, "bytes");
	long long cached = (long long)ctl_i64(snap, "cached_bytes");
	bool pinned = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(snap, "pinned"));
	int n = snprintf(buf, len, "v%lld%s", (long long)ctl_i64(snap, "version"), pinned ? " pinned" : "");
	if (n > 0 && (size_t)n < len && cached < bytes)
		snprintf(buf + n, len - (size_t)n, ", %lld%% cached",
			 bytes > 0 ? cached * 100 / bytes : 0);
}

static void print_status(const cJSON *st)
{
	const cJSON *tables = cJSON_GetObjectItemCaseSensitive(st, "tables"), *t;
	int w = 5;
	cJSON_ArrayForEach(t, tables) {
		char *e = name_escape(str_of(t, "table"));
		int l = e ? (int)strlen(e) : 1;
		free(e);
		if (l > w)
			w = l < 60 ? l : 60;
	}
	char a[32], b[32], c[32], d[32];
	if (cJSON_GetArraySize(tables) == 0) {
		printf("no table has data in the cache\n");
	} else {
		printf("%-*s  %-10s  %-24s  %s\n", w, "TABLE", "CACHED", "SNAPSHOT", "LAST USE");
		cJSON_ArrayForEach(t, tables) {
			char snap[64];
			snapshot_text(cJSON_GetObjectItemCaseSensitive(t, "snapshot"), snap,
				      sizeof(snap));
			put_padded(str_of(t, "table"), w);
			printf("  %-10s  %-24s  %s\n",
			       cli_size((unsigned long long)ctl_i64(t, "bytes"), a), snap,
			       cli_time(ctl_i64(t, "last_use"), b));
		}
	}
	printf("\nused %s of %s, pinned %s, other %s%s\ncache directory: ",
	       cli_size((unsigned long long)ctl_i64(st, "used_bytes"), a),
	       cli_size((unsigned long long)ctl_i64(st, "max_bytes"), b),
	       cli_size((unsigned long long)ctl_i64(st, "pinned_bytes"), c),
	       cli_size((unsigned long long)ctl_i64(st, "other_bytes"), d),
	       cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(st, "offline")) ? " (offline)" : "");
	cli_put_escaped(stdout, str_of(st, "cache_dir"));
	putchar('\n');
}

/* drop / unpin: ARGV[0] is the subcommand. */
static int table_op(int argc, char **argv, struct global_opts *g, const char *help)
{
	static const struct option longopts[] = {
		{"mount", required_argument, NULL, 'm'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	const char *sub = argv[0], *mount_opt = NULL;
	char cmd[32];
	snprintf(cmd, sizeof(cmd), "cache %s", sub);
	int opt;
	while ((opt = getopt_long(argc, argv, "m:hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'm': mount_opt = optarg; break;
		case 'h': fputs(help, stdout); return 0;
		default: return cli_usage_error(cmd, "invalid option");
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(cmd, argc - optind ? "one TABLE at a time" :
				       "which table? give item.schema.table or its directory");
	const char *table = argv[optind];
	char mount[PATH_MAX];
	char *rel = NULL;
	int rc = tablearg_resolve(mount_opt, table, mount, &rel);
	if (rc)
		return rc;
	if (tablearg_is_path(table))
		table = rel;
	cJSON *ans = NULL;
	if (ctl_simple(mount, sub, rel, &ans)) {
		rc = 1;
	} else if (!strcmp(sub, "drop")) {
		char a[32];
		printf("dropped %s from the cache of %s: %s freed, its snapshot forgotten\n", table,
		       mount, cli_size((unsigned long long)ctl_i64(ans, "bytes"), a));
	} else {
		printf("unpinned %s: its snapshot stays recorded, its files may be evicted\n",
		       table);
	}
	cJSON_Delete(ans);
	free(rel);
	return rc;
}

static int show(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"mount", required_argument, NULL, 'm'},
		{"json", no_argument, NULL, OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	const char *mount_opt = NULL;
	bool json = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "m:hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'm': mount_opt = optarg; break;
		case OPT_JSON: json = true; break;
		case 'h': fputs(cache_help, stdout); return 0;
		default: return cli_usage_error("cache", "invalid option");
		}
	}
	if (optind < argc) {
		static const char *const subs[] = {"drop", "unpin", NULL};
		return cli_unknown_sub("cache", argv[optind], subs);
	}
	char mount[PATH_MAX];
	int rc = duckrun_find_mount(mount_opt, mount);
	if (rc)
		return rc;
	cJSON *st = NULL;
	if (ctl_simple(mount, "status", NULL, &st))
		return 1;
	if (json) {
		char *text = cJSON_Print(st);
		if (text)
			puts(text);
		else
			rc = cli_fail("out of memory");
		free(text);
	} else {
		print_status(st);
	}
	cJSON_Delete(st);
	return rc;
}

int cmd_cache(int argc, char **argv, struct global_opts *g)
{
	if (argc > 1 && !strcmp(argv[1], "drop"))
		return table_op(argc - 1, argv + 1, g, drop_help);
	if (argc > 1 && !strcmp(argv[1], "unpin"))
		return table_op(argc - 1, argv + 1, g, unpin_help);
	return show(argc, argv, g);
}
