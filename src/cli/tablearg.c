/* tablearg.c - see tablearg.h. */
#include "cli/tablearg.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/duckrun.h"
#include "util/mountinfo.h"
#include "util/strutil.h"

bool tablearg_is_dir3(const char *mount, const char *a, const char *b, const char *c)
{
	if (!*a || *a == '.' || (b && (!*b || *b == '.')) || (c && (!*c || *c == '.')))
		return false;
	char *p = c ? xasprintf("%s/%s/%s/%s", mount, a, b, c) : xasprintf("%s/%s", mount, a);
	struct stat sb;
	bool ok = p && strlen(p) < PATH_MAX && stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
	free(p);
	return ok;
}

int tablearg_split_name(const char *mount, const char *name, char **a, char **b, char **c)
{
	size_t len = strlen(name), found = 0;
	*a = *b = *c = NULL;
	for (size_t i = 0; i < len; i++) {
		if (name[i] != '.')
			continue;
		for (size_t j = i + 1; j < len; j++) {
			if (name[j] != '.')
				continue;
			char *x = xstrndup(name, i), *y = xstrndup(name + i + 1, j - i - 1),
			     *z = xstrdup(name + j + 1);
			if (x && y && z && tablearg_is_dir3(mount, x, y, z) && found++ == 0) {
				*a = x;
				*b = y;
				*c = z;
				continue;
			}
			free(x);
			free(y);
			free(z);
		}
	}
	if (found == 1)
		return 0;
	free(*a);
	free(*b);
	free(*c);
	*a = *b = *c = NULL;
	if (found > 1)
		return cli_fail("'%s' names %zu tables in the mount at %s (names with dots): give "
				"ITEM SCHEMA TABLE as three arguments, or the table's directory",
				name, found, mount);
	return cli_fail("no table '%s' in the mount at %s: give item.schema.table or "
			"lakehouse.Tables.shortcut ('ucfs status --tables' lists them)", name, mount);
}

bool tablearg_is_path(const char *t)
{
	struct stat sb;
	return strchr(t, '/') || !strcmp(t, ".") || !strcmp(t, "..") ||
	       (stat(t, &sb) == 0 && S_ISDIR(sb.st_mode));
}

/* The ucfs mount holding the directory REAL (the deepest one), into MOUNT. */
static int mount_of(const char *mount_opt, const char *table, const char *real,
		    char mount[PATH_MAX])
{
	char **pts = NULL;
	size_t n = 0, best = 0;
	int r = mountinfo_read("fuse.ucfs", &pts, &n);
	if (r)
		return cli_fail("cannot read /proc/self/mountinfo to find the ucfs mount: %s",
				strerror(-r));
	const char *hit = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(pts[i]);
		if (l > best && !strncmp(real, pts[i], l) && (real[l] == '/' || !real[l]) &&
		    strcmp(pts[i], "/")) {
			hit = pts[i];
			best = l;
		}
	}
	int rc = 0;
	if (!hit)
		rc = cli_fail("%s (%s) is not inside a ucfs mount: give the directory of a table "
			      "under a mount, or its name (item.schema.table)", table, real);
	else if (strlen(hit) >= PATH_MAX)
		rc = cli_fail("the ucfs mount's path is too long");
	else
		snprintf(mount, PATH_MAX, "%s", hit);
	mountinfo_free(pts, n);
	if (rc || !mount_opt)
		return rc;
	char want[PATH_MAX];
	if (!realpath(mount_opt, want))
		return cli_fail("mount %s: %s", mount_opt, strerror(errno));
	if (strcmp(want, mount))
		return cli_fail("%s is in the ucfs mount at %s, not in --mount %s: drop --mount or "
				"give a table of that mount", table, mount, want);
	return 0;
}

int tablearg_resolve(const char *mount_opt, const char *table, char mount[PATH_MAX],
		     char **rel)
{
	*rel = NULL;
	if (!*table)
		return cli_fail("the table is empty: give item.schema.table or a table directory");
	if (!tablearg_is_path(table)) {
		int r = duckrun_find_mount(mount_opt, mount);
		if (r)
			return r;
		char *a, *b, *c;
		if ((r = tablearg_split_name(mount, table, &a, &b, &c)))
			return r;
		*rel = xasprintf("%s/%s/%s", a, b, c);
		free(a);
		free(b);
		free(c);
		return *rel ? 0 : cli_fail("out of memory");
	}
	char real[PATH_MAX];
	struct stat sb;
	if (!realpath(table, real) || stat(real, &sb) != 0)
		return cli_fail("table directory %s: %s", table, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return cli_fail("%s is not a directory: give the directory of a table (the one "
				"holding _delta_log)", table);
	int r = mount_of(mount_opt, table, real, mount);
	if (r)
		return r;
	const char *p = real + strlen(mount);
	while (*p == '/')
		p++;
	if (!*p || *p == '.')
		return cli_fail("%s is %s of the ucfs mount at %s, not a table directory: give "
				"a table's directory or name", table, *p ? "a dot-directory" : "the root",
				mount);
	*rel = xstrdup(p);
	return *rel ? 0 : cli_fail("out of memory");
}
