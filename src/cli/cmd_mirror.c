/*
 * cmd_mirror.c - `ucfs mirror create|list|rm`: mirrored items in the state
 * database. create checks the catalog and reads its structure first, so a
 * bad catalog, host or token leaves no state behind.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "core/catalog_sync.h"
#include "core/tablefilter.h"
#include "util/strutil.h"

static const char mirror_help[] =
	"usage: ucfs mirror create [NAME] --catalog CATALOG [--host URL] [--profile P]\n"
	"                          [--description TEXT] [--no-auto-sync]\n"
	"       ucfs mirror list [--json]\n"
	"       ucfs mirror rm NAME\n"
	"\n"
	"A mirrored item is one Unity Catalog catalog presented under\n"
	"MOUNTPOINT/NAME/<schema>/<table>. NAME defaults to the catalog name and must be\n"
	"unique. create reads the catalog's structure right away; the connection (host\n"
	"and profile name, never a secret) is remembered for mounting.\n"
	"\n"
	"Options (all subcommands): --state PATH, -v\n";

static int mirror_create(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"catalog", required_argument, NULL, 'c'},
		{"host", required_argument, NULL, 'H'},
		{"profile", required_argument, NULL, 'p'},
		{"description", required_argument, NULL, 'D'},
		{"no-auto-sync", no_argument, NULL, 'N'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	const char *catalog = NULL, *host = NULL, *profile = NULL, *desc = NULL;
	bool auto_sync = true;
	int opt;
	while ((opt = getopt_long(argc, argv, "c:p:hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'c': catalog = optarg; break;
		case 'H': host = optarg; break;
		case 'p': profile = optarg; break;
		case 'D': desc = optarg; break;
		case 'N': auto_sync = false; break;
		case 'h': fputs(mirror_help, stdout); return 0;
		default: return cli_usage_error("mirror", "invalid option");
		}
	}
	if (!catalog)
		return cli_usage_error("mirror", "mirror create needs --catalog CATALOG");
	if (optind < argc - 1)
		return cli_usage_error("mirror", "unexpected argument '%s'", argv[optind + 1]);
	const char *name = optind < argc ? argv[optind] : catalog;
	if (!name_is_valid_entry(name))
		return cli_usage_error("mirror",
				       "invalid item name '%s': it becomes a directory name, so it must "
				       "be 1-255 bytes, contain no '/' and not start with '.'", name);
	if (desc && strlen(desc) > 256)
		return cli_usage_error("mirror", "description is %zu characters; at most 256",
				       strlen(desc));

	struct state *st = NULL;
	if (cli_open_state(g, true, &st))
		return 1;
	struct item existing;
	if (state_item_get(st, name, &existing) == 0) {
		item_clear(&existing);
		state_close(st);
		return cli_fail("a mirrored item named '%s' already exists: choose another name "
				"(ucfs mirror create NAME --catalog %s) or remove it (ucfs mirror rm %s)",
				name, catalog, name);
	}

	struct ucfs_conn conn;
	struct uc_client *uc;
	if (cli_connect(host, profile, &conn, &uc)) {
		state_close(st);
		return 1;
	}
	struct table_row *rows = NULL;
	size_t n = 0, shown = 0;
	struct uc_error e = {0};
	int r = catalog_fetch(uc, catalog, &rows, &n, &e);
	if (r) {
		char *what = xasprintf("catalog '%s'", catalog);
		char *m = uc_error_describe(&e, what);
		r = cli_fail("cannot create mirrored item '%s': %s", name, m ? m : strerror(-r));
		free(m);
		free(what);
		goto out;
	}
	struct item it = {
		.name = (char *)name,
		.catalog = (char *)catalog,
		.host = conn.host,
		.profile = conn.profile,
		.description = (char *)desc,
		.auto_sync = auto_sync,
		.created_at = (int64_t)time(NULL),
		.last_sync_at = (int64_t)time(NULL),
		.sync_status = "Success",
	};
	char *err = NULL;
	if (state_item_create(st, &it, rows, n, &err)) {
		r = cli_fail("%s", err ? err : "cannot store the mirrored item");
		free(err);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		shown += rows[i].skip_reason == NULL;
	printf("created mirrored item '%s' for catalog '%s' at %s: %zu tables mirrored, "
	       "%zu skipped\n", name, catalog, conn.host, shown, n - shown);
	r = 0;
out:
	table_rows_free(rows, n);
	uc_error_clear(&e);
	uc_client_free(uc);
	conn_free(&conn);
	state_close(st);
	return r;
}

static int mirror_list(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	bool json = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'j': json = true; break;
		case 'h': fputs(mirror_help, stdout); return 0;
		default: return cli_usage_error("mirror", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("mirror", "unexpected argument '%s'", argv[optind]);
	struct state *st;
	if (cli_open_state(g, true, &st))
		return 1;
	struct item *items;
	size_t n;
	int r = state_items_list(st, &items, &n);
	if (r) {
		state_close(st);
		return cli_fail("cannot list mirrored items: %s", strerror(-r));
	}
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	if (!json)
		printf("%-24s %-24s %-8s %-8s %-10s %-19s %s\n", "NAME", "CATALOG", "TABLES",
		       "SKIPPED", "STATUS", "LAST SYNC", "HOST");
	for (size_t i = 0; i < n; i++) {
		struct table_row *rows;
		size_t nr, shown = 0;
		if (state_tables_list(st, items[i].id, &rows, &nr)) {
			rows = NULL;
			nr = 0;
		}
		for (size_t k = 0; k < nr; k++)
			shown += rows[k].skip_reason == NULL;
		table_rows_free(rows, nr);
		char tb[32];
		if (arr) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", items[i].name);
			cJSON_AddStringToObject(o, "catalog", items[i].catalog);
			cJSON_AddStringToObject(o, "host", items[i].host);
			if (items[i].profile)
				cJSON_AddStringToObject(o, "profile", items[i].profile);
			if (items[i].description)
				cJSON_AddStringToObject(o, "description", items[i].description);
			cJSON_AddBoolToObject(o, "auto_sync", items[i].auto_sync);
			cJSON_AddNumberToObject(o, "tables_mirrored", (double)shown);
			cJSON_AddNumberToObject(o, "tables_skipped", (double)(nr - shown));
			cJSON_AddStringToObject(o, "sync_status", items[i].sync_status);
			cJSON_AddNumberToObject(o, "last_sync_at", (double)items[i].last_sync_at);
			if (items[i].last_error_message)
				cJSON_AddStringToObject(o, "last_error", items[i].last_error_message);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-24s %-24s %-8zu %-8zu %-10s %-19s %s\n", items[i].name,
			       items[i].catalog, shown, nr - shown, items[i].sync_status,
			       cli_time(items[i].last_sync_at, tb), items[i].host);
		}
	}
	if (arr) {
		char *s = cJSON_Print(arr);
		if (s)
			puts(s);
		free(s);
		cJSON_Delete(arr);
	}
	items_free(items, n);
	state_close(st);
	return 0;
}

static int mirror_rm(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		if (opt == 'h') {
			fputs(mirror_help, stdout);
			return 0;
		}
		return cli_usage_error("mirror", "invalid option");
	}
	if (optind != argc - 1)
		return cli_usage_error("mirror", "mirror rm needs exactly one NAME");
	struct state *st;
	if (cli_open_state(g, false, &st))
		return 1;
	int r = state_item_remove(st, argv[optind]);
	state_close(st);
	if (r == -ENOENT)
		return cli_fail("no mirrored item named '%s' (see 'ucfs mirror list')", argv[optind]);
	if (r)
		return cli_fail("cannot remove mirrored item '%s': %s", argv[optind], strerror(-r));
	printf("removed mirrored item '%s' (a running mount shows it until remounted)\n",
	       argv[optind]);
	return 0;
}

int cmd_mirror(int argc, char **argv, struct global_opts *g)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(mirror_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "create"))
		return mirror_create(argc - 1, argv + 1, g);
	if (!strcmp(sub, "list") || !strcmp(sub, "ls"))
		return mirror_list(argc - 1, argv + 1, g);
	if (!strcmp(sub, "rm") || !strcmp(sub, "remove"))
		return mirror_rm(argc - 1, argv + 1, g);
	return cli_usage_error("mirror", "unknown subcommand '%s'", sub);
}
