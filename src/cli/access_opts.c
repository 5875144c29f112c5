/*
 * access_opts.c - the options items and lakehouses share: --owner, --group,
 * --mode (who may enter them on a mount shared with allow_other) and
 * --allow-local (where an item's file:// tables may be served from).
 */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "storage/localpath.h"
#include "util/strutil.h"

/* A number that fits an id (decimal digits only), else -1. */
static int64_t numeric_id(const char *v)
{
	if (!*v || strspn(v, "0123456789") != strlen(v) || strlen(v) > 10)
		return -1;
	unsigned long long n = strtoull(v, NULL, 10);
	return n >= (unsigned long long)UINT32_MAX ? -1 : (int64_t)n;
}

int cli_access_opt(const char *cmd, int opt, const char *v, struct access *a)
{
	if (!strcmp(v, "default")) {
		if (opt == CLI_OPT_OWNER)
			a->uid = ACCESS_RESET;
		else if (opt == CLI_OPT_GROUP)
			a->gid = ACCESS_RESET;
		else
			a->mode = ACCESS_RESET;
		return 0;
	}
	if (opt == CLI_OPT_MODE) {
		char *end;
		unsigned long m = strtoul(v, &end, 8);
		if (!*v || *end || m > 0777 || v[0] == '-')
			return cli_usage_error(cmd, "--mode takes octal permission bits such as 0750 "
						    "(at most 0777) or 'default', not '%s'", v);
		a->mode = (int64_t)m;
		return 0;
	}
	int64_t id = numeric_id(v);
	if (opt == CLI_OPT_OWNER) {
		struct passwd *pw = id < 0 ? getpwnam(v) : NULL;
		if (id < 0 && !pw)
			return cli_usage_error(cmd, "--owner: no user named '%s' on this machine", v);
		a->uid = pw ? (int64_t)pw->pw_uid : id;
	} else {
		struct group *gr = id < 0 ? getgrnam(v) : NULL;
		if (id < 0 && !gr)
			return cli_usage_error(cmd, "--group: no group named '%s' on this machine", v);
		a->gid = gr ? (int64_t)gr->gr_gid : id;
	}
	return 0;
}

int cli_local_root(const char *cmd, const char *dir, char **out)
{
	char real[PATH_MAX];
	struct stat sb;
	*out = NULL;
	if (!realpath(dir, real))
		return cli_usage_error(cmd, "--allow-local %s: %s", dir, strerror(errno));
	if (stat(real, &sb) < 0 || !S_ISDIR(sb.st_mode))
		return cli_usage_error(cmd, "--allow-local %s: not a directory", dir);
	char *norm = NULL;
	if (localpath_normalise(real, &norm))
		return cli_usage_error(cmd, "--allow-local %s: the path holds control characters",
				       dir);
	if (!strcmp(norm, "/")) {
		free(norm);
		return cli_usage_error(cmd, "--allow-local /: that would serve every local file "
					    "Unity Catalog names; allow the directories holding "
					    "your tables");
	}
	*out = norm;
	return 0;
}

void cli_print_access(const struct access *a, const char *what)
{
	struct passwd *pw = a->uid >= 0 ? getpwuid((uid_t)a->uid) : NULL;
	struct group *gr = a->gid >= 0 ? getgrgid((gid_t)a->gid) : NULL;
	if (a->uid < 0)
		printf("owner:       the mounting user (default)\n");
	else
		printf("owner:       %s (uid %lld)\n", pw ? pw->pw_name : "?", (long long)a->uid);
	if (a->gid < 0)
		printf("group:       the mounting user's group (default)\n");
	else
		printf("group:       %s (gid %lld)\n", gr ? gr->gr_name : "?", (long long)a->gid);
	printf("mode:        %04llo%s (who may enter the %s when mounted with allow_other)\n",
	       (unsigned long long)(a->mode < 0 ? ACCESS_DEFAULT_MODE : a->mode),
	       a->mode < 0 ? " (default)" : "", what);
}
