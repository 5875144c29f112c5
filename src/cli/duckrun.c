/* duckrun.c - see duckrun.h. */
#include "cli/duckrun.h"

#include <errno.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/sqldefs.h"
#include "util/mountinfo.h"
#include "util/strutil.h"

#define DEFS_FILE ".ucfs/duckdb.sql"

int duckrun_find_mount(const char *mount, char out[PATH_MAX])
{
	char **pts = NULL;
	size_t n = 0;
	int r = mountinfo_read("fuse.ucfs", &pts, &n);
	if (r)
		return cli_fail("cannot read /proc/self/mountinfo to find the ucfs mount: %s",
				strerror(-r));
	int rc = 0;
	if (mount) {
		if (!realpath(mount, out)) {
			rc = cli_fail("mount %s: %s", mount, strerror(errno));
			goto done;
		}
		bool found = false;
		for (size_t i = 0; i < n && !found; i++)
			found = !strcmp(pts[i], out);
		if (!found)
			rc = cli_fail("%s is not a ucfs mount: mount one there (ucfs mount %s) or "
				      "give the directory of one with --mount", out, out);
	} else if (n == 0) {
		rc = cli_fail("no ucfs mount found: mount one (ucfs mount DIR), or give its "
			      "directory with --mount DIR");
	} else if (n > 1) {
		cli_fail("%zu ucfs mounts are running: choose one with --mount DIR", n);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  %s\n", pts[i]);
		rc = 1;
	} else if (strlen(pts[0]) >= PATH_MAX) {
		rc = cli_fail("the ucfs mount's path is too long");
	} else {
		snprintf(out, PATH_MAX, "%s", pts[0]);
	}
	if (!rc) {
		char *defs = xasprintf("%s/" DEFS_FILE, out);
		struct stat sb;
		if (!defs)
			rc = cli_fail("out of memory");
		else if (stat(defs, &sb) != 0 || !S_ISREG(sb.st_mode))
			rc = cli_fail("the ucfs mount at %s serves no %s (%s; mounted by an older "
				      "ucfs?): unmount and mount it again", out, DEFS_FILE,
				      strerror(errno ? errno : ENOENT));
		free(defs);
	}
done:
	mountinfo_free(pts, n);
	return rc;
}

/* NAME on PATH (malloc'ed), or NULL. A NAME with a '/' is taken as it is. */
static char *which(const char *name)
{
	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		const char *c = strchr(p, ':');
		size_t len = c ? (size_t)(c - p) : strlen(p);
		char *cand = xasprintf("%.*s/%s", (int)len, len ? p : ".", name);
		struct stat sb;
		if (cand && stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		p += len + (c ? 1 : 0);
	}
	return NULL;
}

#define EXT_IN_PKG "duckdb_extension_delta/extensions/v*/delta.duckdb_extension"

/* The last match of dirname(dirname(PATH))/REST (glob), malloc'ed, or NULL. */
static char *glob_up2(const char *path, const char *rest)
{
	char *copy = path ? xstrdup(path) : NULL, *r = NULL;
	char *pat = copy ? xasprintf("%s/%s", dirname(dirname(copy)), rest) : NULL;
	glob_t g;
	if (pat && glob(pat, 0, NULL, &g) == 0) {
		if (g.gl_pathc)
			r = xstrdup(g.gl_pathv[g.gl_pathc - 1]);
		globfree(&g);
	}
	free(pat);
	free(copy);
	return r;
}

/* The delta extension file of the Python environment CLI belongs to:
 * PREFIX/bin/duckdb (duckdb-cli's entry point), or SITE/duckdb_cli/duckdb
 * (the binary itself). */
static char *find_delta(const char *cli)
{
	const char *env = getenv("UCFS_DUCKDB_DELTA");
	if (env && *env)
		return xstrdup(env);
	char *ext = glob_up2(cli, "lib/python3*/site-packages/" EXT_IN_PKG);
	if (!ext) {
		char *real = realpath(cli, NULL);
		ext = glob_up2(real, EXT_IN_PKG);
		free(real);
	}
	return ext;
}

/* A dot-command argument in double quotes (\ and " escaped). */
static int put_dot_arg(struct strbuf *sb, const char *s)
{
	if (sb_puts(sb, "\""))
		return -ENOMEM;
	for (const char *p = s; *p; p++)
		if (((*p == '"' || *p == '\\') && sb_puts(sb, "\\")) || sb_append(sb, p, 1))
			return -ENOMEM;
	return sb_puts(sb, "\"");
}

int duckrun_exec(const struct duckrun *d)
{
	const char *want = d->duckdb ? d->duckdb : getenv("UCFS_DUCKDB");
	if (!want || !*want)
		want = "duckdb";
	char *cli = which(want);
	if (!cli)
		return cli_fail("no DuckDB CLI: '%s' %s; install the PyPI package duckdb-cli "
				"(scripts/bootstrap demo puts it in .venv/bin), or give --duckdb PATH",
				want, strchr(want, '/') ? "is not an executable file" : "is not on PATH");
	char *ext = find_delta(cli);
	struct strbuf load = {0}, read = {0}, use = {0};
	int r = 0;
	if (ext)
		r = sb_puts(&load, "SET autoinstall_known_extensions=false; "
				   "SET autoload_known_extensions=false; LOAD ") ||
		    sql_put_string_duckdb(&load, ext);
	char *defs = xasprintf("%s/" DEFS_FILE, d->mount);
	if (!r && d->defs)
		r = !defs || sb_puts(&read, ".read ") || put_dot_arg(&read, defs);
	if (!r && d->use)
		r = sb_printf(&use, "USE %s", d->use);
	const char *argv[16];
	int n = 0;
	argv[n++] = cli;
	/* One broken view (a table unreadable now) must not end the shell. */
	argv[n++] = "-cmd";
	argv[n++] = ".bail off";
	if (ext) {
		argv[n++] = "-cmd";
		argv[n++] = load.buf;
	}
	if (d->defs) {
		argv[n++] = "-cmd";
		argv[n++] = read.buf;
	}
	if (d->use) {
		argv[n++] = "-cmd";
		argv[n++] = use.buf;
	}
	if (d->command) {
		argv[n++] = "-cmd";
		argv[n++] = ".bail on"; /* the query's failure is the exit status */
		argv[n++] = "-c";
		argv[n++] = d->command;
	}
	argv[n] = NULL;
	int rc;
	if (r) {
		rc = cli_fail("out of memory");
	} else {
		fflush(NULL);
		execv(cli, (char *const *)argv);
		rc = cli_fail("cannot run the DuckDB CLI %s: %s; install the PyPI package "
			      "duckdb-cli, or give --duckdb PATH", cli, strerror(errno));
	}
	free(defs);
	free(ext);
	free(cli);
	sb_free(&load);
	sb_free(&read);
	sb_free(&use);
	return rc;
}
