/*
 * cmd_sync.c - `ucfs sync` (refresh items from Unity Catalog now) and
 * `ucfs status` (what is mirrored, what is not and why, how syncs went).
 * A running mount picks up what `ucfs sync` stored within its state_poll.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "core/catalog_sync.h"
#include "core/status.h"
#include "core/view.h"
#include "util/names.h"
#include "util/strutil.h"

/* The progress line on a terminal: shown only once a sync has taken a second
 * (a quick sync prints its result alone), rewritten in place, erased when
 * the sync ends. */
struct progress_line {
	struct timespec start;
	const char *catalog;
	bool shown;
};

static double since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void progress(void *ctx, const char *item, size_t done, size_t total, size_t tables)
{
	struct progress_line *pl = ctx;
	if (!pl->shown && since(&pl->start) < 1.0)
		return;
	pl->shown = true;
	fputs("\r\033[K", stderr);
	fputs("syncing ", stderr);
	cli_put_escaped(stderr, pl->catalog);
	if (strcmp(item, pl->catalog)) {
		fputs(" (item ", stderr);
		cli_put_escaped(stderr, item);
		fputc(')', stderr);
	}
	fprintf(stderr, ": schemas %zu/%zu, tables %zu", done, total, tables);
	fflush(stderr);
}

int cmd_sync(int argc, char **argv, struct global_opts *g)
{
	static const char help[] =
		"usage: ucfs sync [NAME...] [--quiet]\n"
		"\n"
		"Refresh mirrored items (all when no NAME is given) from Unity Catalog now:\n"
		"new schemas and tables in Full scopes appear, dropped ones disappear, moved\n"
		"tables are re-pointed, Delta versions are updated. A running mount applies the\n"
		"result within its state_poll interval. Works whatever the item's auto-sync.\n"
		"On a terminal, a sync that takes over a second shows its progress on stderr\n"
		"(\"syncing CATALOG: schemas 3/10, tables 120\", rewritten in place); --quiet\n"
		"prints nothing but errors.\n";
	static const struct option longopts[] = {
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	bool quiet = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "qhv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'q': quiet = true; break;
		case 'h': fputs(help, stdout); return 0;
		default: return cli_usage_error("sync", "invalid option");
		}
	}
	struct state *st;
	if (cli_open_state(g, false, &st))
		return 1;
	struct item *items;
	size_t n;
	if (state_items_list(st, &items, &n)) {
		state_close(st);
		return cli_fail("cannot read mirrored items from %s", state_path(st));
	}
	for (int i = optind; i < argc; i++) {
		bool found = false;
		for (size_t k = 0; k < n && !found; k++)
			found = !strcmp(items[k].name, argv[i]);
		if (!found) {
			items_free(items, n);
			state_close(st);
			return cli_fail("no mirrored item named '%s' (see 'ucfs mirror list')", argv[i]);
		}
	}
	struct progress_line pl = {0};
	struct sync_progress prog = {.fn = progress, .ctx = &pl};
	bool tty = isatty(STDERR_FILENO) && !quiet;
	int failed = 0;
	for (size_t k = 0; k < n; k++) {
		bool wanted = optind == argc;
		for (int i = optind; i < argc && !wanted; i++)
			wanted = !strcmp(items[k].name, argv[i]);
		if (!wanted)
			continue;
		struct ucfs_conn conn;
		struct uc_client *uc;
		if (cli_connect(items[k].host, items[k].profile, &conn, &uc)) {
			failed++;
			continue;
		}
		struct sync_result res;
		char *err = NULL;
		pl = (struct progress_line){.catalog = items[k].catalog};
		clock_gettime(CLOCK_MONOTONIC, &pl.start);
		int r = catalog_sync_item(st, uc, &items[k], tty ? &prog : NULL, &res, &err);
		if (pl.shown)
			fputs("\r\033[K", stderr); /* the result line replaces it */
		if (r) {
			cli_fail("%s", err ? err : "sync failed");
			failed++;
		} else if (!quiet) {
			printf("synced '%s' in %lld ms: %zu tables mirrored, %zu skipped",
			       items[k].name, (long long)res.duration_ms, res.mirrored, res.skipped);
			if (items[k].volumes)
				printf("; %zu volumes mirrored, %zu skipped", res.volumes_mirrored,
				       res.volumes_skipped);
			putchar('\n');
			if (res.names_skipped)
				printf("  %zu schema or table names skipped (duplicates or unusable "
				       "names): see 'ucfs status %s'\n", res.names_skipped,
				       items[k].name);
		}
		free(err);
		uc_client_free(uc);
		conn_free(&conn);
	}
	items_free(items, n);
	state_close(st);
	return failed ? 1 : 0;
}

static void print_item(const struct view_item *vi, bool tables)
{
	const struct item *it = &vi->it;
	size_t m, s, f;
	char tb[32];
	view_counts(vi, &m, &s, &f);
	printf("%-24s %-10s %-19s %8zu %8zu %8zu  ", it->name, it->sync_status,
	       cli_time(it->last_sync_at, tb), m, s, f);
	cli_put_escaped(stdout, it->last_error_message ? it->last_error_message : "");
	putchar('\n');
	cJSON *issues = it->selection_issues ? cJSON_Parse(it->selection_issues) : NULL;
	cJSON *x;
	cJSON_ArrayForEach(x, issues)
		if (cJSON_IsString(x))
			printf("  selection: %s\n", x->valuestring);
	cJSON_Delete(issues);
	cli_print_skipped(stdout, "  ", it->skipped_names);
	if (it->volumes) {
		size_t vm, vs;
		view_volume_counts(vi, &vm, &vs);
		printf("  volumes: %zu mirrored, %zu skipped (MOUNTPOINT/Volumes/%s)\n", vm, vs,
		       it->catalog);
	}
	if (!tables)
		return;
	for (size_t i = 0; i < vi->nrows; i++) {
		const struct table_row *r = &vi->rows[i];
		char *full = xasprintf("%s.%s", r->schema_name, r->name);
		char *name = full ? name_escape(full) : NULL;
		free(full);
		if (r->volume) {
			printf("  %-46s volume %s", name ? name : "?", r->skip_reason ? "skipped: "
					  : "mirrored");
			cli_put_escaped(stdout, r->skip_reason ? r->skip_reason : "");
			putchar('\n');
		} else if (r->skip_reason) {
			printf("  %-46s skipped: ", name ? name : "?");
			cli_put_escaped(stdout, r->skip_reason);
			putchar('\n');
		} else if (r->delta_version >= 0)
			printf("  %-46s mirrored (Delta version %lld)\n", name,
			       (long long)r->delta_version);
		else if (r->delta_version == DELTA_VERSION_UNREADABLE)
			printf("  %-46s failing: no readable _delta_log at the last sync\n", name);
		else
			printf("  %-46s mirrored\n", name);
		free(name);
	}
}

int cmd_status(int argc, char **argv, struct global_opts *g)
{
	static const char help[] =
		"usage: ucfs status [NAME] [--tables] [--json]\n"
		"\n"
		"Per mirrored item: sync status (NotStarted, InProgress, Success, Failed), last\n"
		"sync, last error, counts of mirrored / skipped / failing tables and selection\n"
		"rules naming vanished objects; for items with volumes, their counts. --tables\n"
		"lists every table (mirrored, with its Delta version, or why not) and volume.\n"
		"Lakehouse shortcuts are listed as ok or broken.\n"
		"The same document is readable in a mount at MOUNTPOINT/NAME/.ucfs/status.json.\n";
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"tables", no_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	bool json = false, tables = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "thv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'j': json = true; break;
		case 't': tables = true; break;
		case 'h': fputs(help, stdout); return 0;
		default: return cli_usage_error("status", "invalid option");
		}
	}
	if (optind < argc - 1)
		return cli_usage_error("status", "unexpected argument '%s'", argv[optind + 1]);
	const char *name = optind < argc ? argv[optind] : NULL;
	struct state *st;
	if (cli_open_state(g, false, &st))
		return 1;
	struct mount_view v;
	int r = view_load(st, &v);
	state_close(st);
	if (r)
		return cli_fail("cannot read the state: %s", strerror(-r));
	bool found = !name;
	for (size_t i = 0; i < v.nitems && !found; i++)
		found = !strcmp(v.items[i].it.name, name);
	if (!found) {
		view_free(&v);
		return cli_fail("no mirrored item named '%s' (see 'ucfs mirror list')", name);
	}
	if (json) {
		cJSON *j = status_json(&v, name, tables);
		char *s = cJSON_Print(j);
		if (s)
			puts(s);
		free(s);
		cJSON_Delete(j);
		view_free(&v);
		return 0;
	}
	printf("%-24s %-10s %-19s %8s %8s %8s  %s\n", "ITEM", "STATUS", "LAST SYNC", "MIRRORED",
	       "SKIPPED", "FAILING", "LAST ERROR");
	for (size_t i = 0; i < v.nitems; i++)
		if (!name || !strcmp(v.items[i].it.name, name))
			print_item(&v.items[i], tables);
	for (size_t i = 0; i < v.nlhs && !name; i++) {
		printf("lakehouse %s\n", v.lhs[i].name);
		for (size_t k = 0; k < v.nscs; k++) {
			const struct view_shortcut *s = &v.scs[k];
			if (strcmp(s->sc.lakehouse, v.lhs[i].name))
				continue;
			printf("  Tables/%-24s -> %s.%s.%s  %s%s\n", s->sc.name, s->sc.item_name,
			       s->sc.schema_name, s->sc.table_name, s->broken ? "broken: " : "ok",
			       s->broken ? s->broken : "");
		}
	}
	view_free(&v);
	return 0;
}
