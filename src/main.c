/*
 * main.c - the `ucfs` command: dispatch to subcommands, and the mount helper
 * conventions (`mount.ucfs SOURCE DIR -o OPTS` and `ucfs SOURCE DIR -o OPTS`
 * as mount.fuse3 runs it for type fuse.ucfs).
 */
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "net/http.h"
#include "util/strutil.h"

static const struct cmd cmds[] = {
	{"catalogs", cmd_catalogs, "list the catalogs the identity can see"},
	{"browse", cmd_browse, "list schemas and tables of a catalog, and what would be mirrored"},
	{"mirror", cmd_mirror, "create, edit, show, list and remove mirrored items"},
	{"sync", cmd_sync, "refresh mirrored items from Unity Catalog now"},
	{"status", cmd_status, "sync status, and what is mirrored or skipped and why"},
	{"lakehouse", cmd_lakehouse, "create, list and remove lakehouses"},
	{"shortcut", cmd_shortcut, "create and remove lakehouse shortcuts to mirrored tables"},
	{"storage", cmd_storage, "read a storage location directly (diagnostics)"},
	{"mount", cmd_mount, "mount the mirrored items at a directory"},
	{"umount", cmd_umount, "unmount a ucfs mount"},
};
#define N_CMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"usage: ucfs [--state PATH] [-v] COMMAND [ARGS]\n"
		"\n"
		"Mount mirrored Unity Catalog catalogs as a read-only file system:\n"
		"  MOUNTPOINT/<item>/<schema>/<table>/_delta_log/...\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < N_CMDS; i++)
		fprintf(out, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
	fprintf(out,
		"\n"
		"Options:\n"
		"  --state PATH   state database (default $UCFS_STATE or\n"
		"                 $XDG_DATA_HOME/ucfs/state.db)\n"
		"  -v, --verbose  more messages (twice for debug)\n"
		"  -h, --help     this help; 'ucfs COMMAND --help' for a command\n"
		"  --version      print the version\n"
		"\n"
		"Connection: --host/--profile on commands, or DATABRICKS_HOST,\n"
		"DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID/SECRET, DATABRICKS_CONFIG_PROFILE,\n"
		"DATABRICKS_CONFIG_FILE (~/.databrickscfg). See ucfs(1).\n");
}

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < N_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* mount.fuse3 / mount(8) call: PROG SOURCE MOUNTPOINT [-o OPTS] [-n|-s|-f|-v].
 * SOURCE is a state database path or any word (then the default state). */
static int helper_mount(int argc, char **argv, struct global_opts *g)
{
	struct stat sb;
	const char *source = argv[1];
	if (source && stat(source, &sb) == 0 && S_ISREG(sb.st_mode))
		g->state_path = source;
	char **nargv = calloc((size_t)argc + 1, sizeof(char *));
	if (!nargv)
		return 1;
	int n = 0;
	nargv[n++] = "mount";
	for (int i = 2; i < argc; i++) {
		/* mount(8) passes -n (no mtab), -s (sloppy), -v: not ours. */
		if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "-s") || !strcmp(argv[i], "-v"))
			continue;
		nargv[n++] = argv[i];
	}
	int r = cmd_mount(n, nargv, g);
	free(nargv);
	return r;
}

int main(int argc, char **argv)
{
	struct global_opts g = {0};
	http_global_init();
	const char *prog = basename(argv[0]);

	if (!strcmp(prog, "mount.ucfs"))
		return helper_mount(argc, argv, &g);
	if (argc >= 3 && argv[1][0] != '-' && !find_cmd(argv[1])) {
		struct stat sb;
		if (stat(argv[2], &sb) == 0 && S_ISDIR(sb.st_mode))
			return helper_mount(argc, argv, &g);
	}

	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "+hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, &g))
			continue;
		switch (opt) {
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ucfs %s\n", UCFS_VERSION);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const struct cmd *c = find_cmd(argv[optind]);
	if (!c) {
		fprintf(stderr, "ucfs: error: unknown command '%s'\n\n", argv[optind]);
		usage(stderr);
		return EXIT_USAGE;
	}
	int cargc = argc - optind;
	char **cargv = argv + optind;
	optind = 0; /* reset getopt for the command */
	return c->run(cargc, cargv, &g);
}
