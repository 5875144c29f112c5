/*
 * main.c - the `ucfs` command: dispatch to subcommands, and the mount helper
 * conventions: `mount.ucfs SOURCE DIR [-o OPTS]` (mount(8) runs helpers by
 * that name), and `ucfs SOURCE DIR -o OPTS` as mount.fuse3 runs it for type
 * fuse.ucfs (it always passes -o: at least "dev,suid"). Any other unknown
 * first word is an error with a "did you mean" suggestion - never a mount.
 * In helper mode SOURCE is the path of an existing state database, or the
 * word "ucfs" (state from -o state=PATH or the default).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "net/http.h"
#include "util/strutil.h"
#include "util/suggest.h"

static const struct cmd cmds[] = {
	{"catalogs", cmd_catalogs, "list the catalogs the identity can see"},
	{"browse", cmd_browse, "list schemas and tables of a catalog, and what would be mirrored"},
	{"mirror", cmd_mirror, "create, edit, show, list and remove mirrored items"},
	{"sync", cmd_sync, "refresh mirrored items from Unity Catalog now"},
	{"status", cmd_status, "sync status, and what is mirrored or skipped and why"},
	{"lakehouse", cmd_lakehouse, "create, list and remove lakehouses"},
	{"shortcut", cmd_shortcut, "create and remove lakehouse shortcuts to mirrored tables"},
	{"auth", cmd_auth, "show how ucfs signs in (describe), sign in (login), print a token (token)"},
	{"storage", cmd_storage, "read a storage location directly (diagnostics)"},
	{"sql", cmd_sql, "query the mounted tables by name in DuckDB (shell or one query)"},
	{"preview", cmd_preview, "print a mounted table's columns and first rows"},
	{"prefetch", cmd_prefetch, "read a table snapshot into the disk cache, to read it offline"},
	{"cache", cmd_cache, "show the mount's disk cache per table; drop or unpin a table"},
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
		"Connection: --host/--profile on commands, or the Databricks SDKs' settings\n"
		"(DATABRICKS_HOST, DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID/SECRET, ARM_*,\n"
		"DATABRICKS_AUTH_TYPE, DATABRICKS_CONFIG_PROFILE, DATABRICKS_CONFIG_FILE).\n"
		"'ucfs auth describe' shows what is used. See ucfs(1).\n");
}

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < N_CMDS; i++)
		if (!strcmp(cmds[i].name, name))
			return &cmds[i];
	return NULL;
}

/* The placeholder SOURCE of the fstab line in ucfs(1). */
#define HELPER_SOURCE "ucfs"

/* Is PATH a file that starts like an SQLite database? */
static bool is_sqlite_file(const char *path)
{
	static const char magic[16] = "SQLite format 3";
	char head[16];
	struct stat sb;
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return false;
	FILE *f = fopen(path, "rb");
	bool ok = f && fread(head, 1, sizeof(head), f) == sizeof(head) &&
		  !memcmp(head, magic, sizeof(magic));
	if (f)
		fclose(f);
	return ok;
}

/* mount.fuse3 / mount(8) call: PROG SOURCE MOUNTPOINT [-o OPTS] [-n|-s|-f|-v]. */
static int helper_mount(int argc, char **argv, struct global_opts *g)
{
	const char *source = argv[1];
	if (argc < 3 || !source || !*source || source[0] == '-') {
		fprintf(stderr, "usage: mount.ucfs SOURCE MOUNTPOINT [-o OPTIONS]\n"
				"SOURCE: the state database, or '" HELPER_SOURCE "' (see ucfs(1))\n");
		return EXIT_USAGE;
	}
	if (strcmp(source, HELPER_SOURCE) != 0) {
		if (!is_sqlite_file(source)) {
			struct stat sb;
			int e = stat(source, &sb) == 0 ? 0 : errno;
			return cli_fail("mount source '%s' is not a ucfs state database (%s): give "
					"the path of the state database, or '" HELPER_SOURCE
					"' to use -o state=PATH or the default",
					source, e ? strerror(e) : "not an SQLite file");
		}
		g->state_path = source;
	}
	char **nargv = calloc((size_t)argc + 1, sizeof(char *));
	if (!nargv)
		return 1;
	int n = 0;
	nargv[n++] = "mount";
	for (int i = 2; i < argc; i++) {
		/* mount(8) passes -n (no mtab), -s (sloppy), -v, and -t TYPE for
		 * types with a subtype: not ours. */
		if (!strcmp(argv[i], "-n") || !strcmp(argv[i], "-s") || !strcmp(argv[i], "-v"))
			continue;
		if (!strcmp(argv[i], "-t") && i + 1 < argc) {
			i++;
			continue;
		}
		nargv[n++] = argv[i];
	}
	int r = cmd_mount(n, nargv, g);
	free(nargv);
	return r;
}

/* `ucfs WORD DIR ... -o OPTS`: how mount.fuse3 runs the helper of fuse.ucfs. */
static bool helper_call(int argc, char **argv)
{
	if (argc < 4 || argv[1][0] == '-')
		return false;
	for (int i = 3; i < argc; i++)
		if (!strncmp(argv[i], "-o", 2))
			return true;
	return false;
}

static int unknown_command(const char *word)
{
	const char *names[N_CMDS];
	for (size_t i = 0; i < N_CMDS; i++)
		names[i] = cmds[i].name;
	const char *best = suggest_best(word, names, N_CMDS);
	if (best)
		cli_fail("unknown command '%s': did you mean 'ucfs %s'?", word, best);
	else
		cli_fail("unknown command '%s'", word);
	fprintf(stderr, "Try 'ucfs --help' for the list of commands.\n");
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	struct global_opts g = {0};
	http_global_init();
	const char *prog = basename(argv[0]);

	if (!strcmp(prog, "mount.ucfs"))
		return helper_mount(argc, argv, &g);
	if (!find_cmd(argv[1] ? argv[1] : "") && helper_call(argc, argv))
		return helper_mount(argc, argv, &g);

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
	if (!c)
		return unknown_command(argv[optind]);
	int cargc = argc - optind;
	char **cargv = argv + optind;
	optind = 0; /* reset getopt for the command */
	return c->run(cargc, cargv, &g);
}
