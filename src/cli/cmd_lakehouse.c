/*
 * cmd_lakehouse.c - `ucfs lakehouse` and `ucfs shortcut`: named shortcuts to
 * mirrored tables, shown as MOUNTPOINT/<lakehouse>/Tables/<shortcut>.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/tablefilter.h"
#include "util/names.h"
#include "util/strutil.h"

static const char lh_help[] =
	"usage: ucfs lakehouse create NAME [--owner U] [--group G] [--mode M]\n"
	"       ucfs lakehouse edit NAME [--owner U] [--group G] [--mode M]\n"
	"       ucfs lakehouse rm NAME\n"
	"       ucfs lakehouse list\n"
	"       ucfs shortcut create LAKEHOUSE NAME ITEM.SCHEMA.TABLE\n"
	"       ucfs shortcut rm LAKEHOUSE NAME\n"
	"\n"
	"A lakehouse groups shortcuts: MOUNTPOINT/LAKEHOUSE/Tables/NAME reads exactly\n"
	"like the mirrored table ITEM.SCHEMA.TABLE. Lakehouse names share one namespace\n"
	"with item names. A shortcut whose target disappears is hidden from the mount\n"
	"and shown as broken by 'ucfs status'. Running mounts follow within state_poll.\n"
	"With 'ucfs mount -o allow_other' other users may enter the lakehouse (and read\n"
	"its shortcuts) as --owner, --group and --mode say (defaults: the mounting user,\n"
	"its group, 0700; 'default' restores one), whatever the targets' items allow.\n"
	"\n"
	"Options: --state PATH, -v\n";

/* Common option loop; returns -1 to go on, else an exit status. --owner,
 * --group and --mode go to *acc (refused when acc is NULL). */
static int parse(int argc, char **argv, const char *cmd, struct global_opts *g,
		 struct access *acc)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		CLI_ACCESS_LONGOPTS,
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		if (opt == 'h') {
			fputs(lh_help, stdout);
			return 0;
		}
		if (acc && (opt == CLI_OPT_OWNER || opt == CLI_OPT_GROUP || opt == CLI_OPT_MODE)) {
			int r = cli_access_opt(cmd, opt, optarg, acc);
			if (r)
				return r;
			continue;
		}
		return cli_usage_error(cmd, "invalid option");
	}
	return -1;
}

static int need_args(int argc, int want, const char *cmd, const char *what)
{
	if (argc - optind != want)
		return cli_usage_error(cmd, "%s", what);
	return 0;
}

static int valid_name(const char *cmd, const char *kind, const char *name)
{
	const char *why = name ? name_entry_problem(name) : "is empty";
	if (!why)
		return 0;
	char *shown = name_escape(name);
	int r = cli_usage_error(cmd, "invalid %s name '%s': it %s", kind, shown ? shown : "?", why);
	free(shown);
	return r;
}

int cmd_lakehouse(int argc, char **argv, struct global_opts *g)
{
	if (argc < 2) {
		fputs(lh_help, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(lh_help, stdout);
		return 0;
	}
	const char *sub = argv[1];
	struct access acc = {-1, -1, -1};
	bool with_acc = !strcmp(sub, "create") || !strcmp(sub, "edit");
	int r = parse(argc - 1, argv + 1, "lakehouse", g, with_acc ? &acc : NULL);
	if (r >= 0)
		return r;
	argc--;
	argv++;
	struct state *st;
	if (!strcmp(sub, "create")) {
		if ((r = need_args(argc, 1, "lakehouse", "lakehouse create needs NAME")) ||
		    (r = valid_name("lakehouse", "lakehouse", argv[optind])))
			return r;
		if (cli_open_state(g, true, &st))
			return 1;
		char *err = NULL;
		r = state_lakehouse_create(st, argv[optind], &acc, &err) ? cli_fail("%s", err) : 0;
		if (!r)
			printf("created lakehouse '%s'\n", argv[optind]);
		free(err);
	} else if (!strcmp(sub, "edit")) {
		if ((r = need_args(argc, 1, "lakehouse", "lakehouse edit needs NAME")))
			return r;
		if (acc.uid == -1 && acc.gid == -1 && acc.mode == -1)
			return cli_usage_error("lakehouse", "nothing to change: give --owner, --group "
							    "or --mode");
		if (cli_open_state(g, false, &st))
			return 1;
		char *err = NULL;
		r = state_lakehouse_set_access(st, argv[optind], &acc, &err)
			    ? cli_fail("%s", err ? err : "cannot update the lakehouse")
			    : 0;
		if (!r)
			printf("updated lakehouse '%s'\n", argv[optind]);
		free(err);
	} else if (!strcmp(sub, "rm") || !strcmp(sub, "remove")) {
		if ((r = need_args(argc, 1, "lakehouse", "lakehouse rm needs NAME")))
			return r;
		if (cli_open_state(g, false, &st))
			return 1;
		int e = state_lakehouse_remove(st, argv[optind]);
		r = e == -ENOENT ? cli_fail("no lakehouse named '%s'", argv[optind])
		    : e          ? cli_fail("cannot remove lakehouse '%s': %s", argv[optind],
					    strerror(-e))
				 : 0;
	} else if (!strcmp(sub, "list") || !strcmp(sub, "ls")) {
		if ((r = need_args(argc, 0, "lakehouse", "lakehouse list takes no argument")))
			return r;
		if (cli_open_state(g, false, &st))
			return 1;
		struct lakehouse *lhs;
		struct shortcut *scs;
		size_t nl, ns;
		if (state_lakehouses_list(st, &lhs, &nl) || state_shortcuts_list(st, &scs, &ns)) {
			state_close(st);
			return cli_fail("cannot read lakehouses");
		}
		for (size_t i = 0; i < nl; i++) {
			const struct access *a = &lhs[i].acc;
			char own[32] = "mounting user", grp[32] = "its group";
			if (a->uid >= 0)
				snprintf(own, sizeof(own), "uid %lld", (long long)a->uid);
			if (a->gid >= 0)
				snprintf(grp, sizeof(grp), "gid %lld", (long long)a->gid);
			printf("%s  (owner %s, group %s, mode %04llo)\n", lhs[i].name, own, grp,
			       (unsigned long long)(a->mode >= 0 ? a->mode : ACCESS_DEFAULT_MODE));
			for (size_t k = 0; k < ns; k++)
				if (!strcmp(scs[k].lakehouse, lhs[i].name))
					printf("  Tables/%s -> %s.%s.%s\n", scs[k].name, scs[k].item_name,
					       scs[k].schema_name, scs[k].table_name);
		}
		lakehouses_free(lhs, nl);
		shortcuts_free(scs, ns);
	} else {
		static const char *const subs[] = {"create", "rm", "list", NULL};
		return cli_unknown_sub("lakehouse", sub, subs);
	}
	state_close(st);
	return r;
}

int cmd_shortcut(int argc, char **argv, struct global_opts *g)
{
	if (argc < 2) {
		fputs(lh_help, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(lh_help, stdout);
		return 0;
	}
	const char *sub = argv[1];
	int r = parse(argc - 1, argv + 1, "shortcut", g, NULL);
	if (r >= 0)
		return r;
	argc--;
	argv++;
	struct state *st;
	if (!strcmp(sub, "create")) {
		if ((r = need_args(argc, 3, "shortcut",
				   "shortcut create needs LAKEHOUSE NAME ITEM.SCHEMA.TABLE")) ||
		    (r = valid_name("shortcut", "shortcut", argv[optind + 1])))
			return r;
		char *target = xstrdup(argv[optind + 2]);
		char *schema = target ? strchr(target, '.') : NULL;
		char *table = schema ? strchr(schema + 1, '.') : NULL;
		if (!table || schema == target || table == schema + 1 || !table[1] ||
		    strchr(table + 1, '.')) {
			free(target);
			return cli_usage_error("shortcut", "target must be ITEM.SCHEMA.TABLE, got '%s'",
					       argv[optind + 2]);
		}
		*schema++ = '\0';
		*table++ = '\0';
		if (cli_open_state(g, false, &st)) {
			free(target);
			return 1;
		}
		char *err = NULL;
		r = state_shortcut_create(st, argv[optind], argv[optind + 1], target, schema, table,
					  &err)
			    ? cli_fail("%s", err)
			    : 0;
		if (!r)
			printf("created shortcut %s/Tables/%s -> %s.%s.%s\n", argv[optind],
			       argv[optind + 1], target, schema, table);
		free(err);
		free(target);
	} else if (!strcmp(sub, "rm") || !strcmp(sub, "remove")) {
		if ((r = need_args(argc, 2, "shortcut", "shortcut rm needs LAKEHOUSE NAME")))
			return r;
		if (cli_open_state(g, false, &st))
			return 1;
		int e = state_shortcut_remove(st, argv[optind], argv[optind + 1]);
		r = e == -ENOENT ? cli_fail("lakehouse '%s' has no shortcut named '%s'", argv[optind],
					    argv[optind + 1])
		    : e          ? cli_fail("cannot remove the shortcut: %s", strerror(-e))
				 : 0;
	} else {
		static const char *const subs[] = {"create", "rm", NULL};
		return cli_unknown_sub("shortcut", sub, subs);
	}
	state_close(st);
	return r;
}
