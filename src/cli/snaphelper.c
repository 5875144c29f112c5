/* snaphelper.c - see snaphelper.h. */
#include "cli/snaphelper.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "util/jsonnum.h"
#include "util/strutil.h"

#define HELPER_NAME "ucfs-snapshot"
#define OUT_MAX (512u << 20)
#define EXIT_NO_DELTALAKE 3 /* the helper's status when deltalake is missing */

/* The directory of the running binary (malloc'ed), or NULL. */
static char *exe_dir(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(dirname(buf));
}

static char *find_helper(const char *dir)
{
	const char *env = getenv("UCFS_SNAPSHOT_HELPER");
	if (!str_empty(env))
		return xstrdup(env);
	if (!dir)
		return NULL;
	char *p = xasprintf("%s/" HELPER_NAME, dir);
	if (p && access(p, R_OK) == 0)
		return p;
	free(p);
	p = xasprintf("%s/../libexec/ucfs/" HELPER_NAME, dir);
	if (p && access(p, R_OK) == 0)
		return p;
	free(p);
	return NULL;
}

static char *find_python(const char *dir)
{
	const char *env = getenv("UCFS_PYTHON");
	if (!str_empty(env))
		return xstrdup(env);
	char *p = dir ? xasprintf("%s/../.venv/bin/python", dir) : NULL;
	if (p && access(p, X_OK) == 0)
		return p;
	free(p);
	return xstrdup("python3");
}

/* Run PY HELPER ARGV... with stdout captured; the exit status into *status. */
static int run_capture(const char *py, const char *const *argv, char **out, int *status)
{
	int pfd[2];
	*out = NULL;
	if (pipe2(pfd, O_CLOEXEC) != 0)
		return -errno;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		int e = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return e;
	}
	if (pid == 0) {
		if (dup2(pfd[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(py, (char *const *)argv);
		fprintf(stderr, "ucfs: error: cannot run the Python %s for the snapshot helper: %s; "
			"set UCFS_PYTHON to a Python 3 with the deltalake package\n", py,
			strerror(errno));
		_exit(126);
	}
	close(pfd[1]);
	int r = read_fd_all(pfd[0], OUT_MAX, out);
	close(pfd[0]);
	int st = 0;
	if (r)
		kill(pid, SIGTERM); /* do not wait on a helper writing into a closed pipe */
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			st = 0;
			if (!r)
				r = -errno;
			break;
		}
	*status = st;
	return r;
}

/* Is P a safe path relative to a table directory? */
static bool safe_rel(const char *p)
{
	if (!*p || *p == '/' || strlen(p) >= PATH_MAX)
		return false;
	for (const char *c = p; c;) {
		const char *e = strchr(c, '/');
		size_t len = e ? (size_t)(e - c) : strlen(c);
		if (len == 0 || (len == 1 && c[0] == '.') || (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c = e ? e + 1 : NULL;
	}
	return true;
}

static int parse(const char *text, const char *table_dir, struct snap *s)
{
	cJSON *root = cJSON_Parse(text);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
	int r = 0;
	if (!cJSON_IsNumber(v) || !cJSON_IsArray(files)) {
		r = -EPROTO;
		cli_fail("the snapshot helper printed no snapshot for %s (no version and files): "
			 "is " HELPER_NAME " from this ucfs? set UCFS_SNAPSHOT_HELPER", table_dir);
		goto out;
	}
	int n = cJSON_GetArraySize(files);
	if (n < 0 || n > SNAP_MAX_FILES) {
		r = -E2BIG;
		cli_fail("the snapshot of %s has %d files, more than %d", table_dir, n,
			 SNAP_MAX_FILES);
		goto out;
	}
	s->version = json_item_i64(v, 0, INT64_MAX, 0);
	s->files = calloc((size_t)n + 1, sizeof(*s->files));
	if (!s->files) {
		r = -ENOMEM;
		cli_fail("out of memory");
		goto out;
	}
	const cJSON *f;
	cJSON_ArrayForEach(f, files) {
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(f, "path");
		const cJSON *sz = cJSON_GetObjectItemCaseSensitive(f, "size");
		if (!cJSON_IsString(p) || !safe_rel(p->valuestring) || !cJSON_IsNumber(sz)) {
			r = -EPROTO;
			cli_fail("the snapshot helper listed a file of %s that is not a relative path "
				 "inside the table (%s): refusing it", table_dir,
				 cJSON_IsString(p) ? p->valuestring : "no path");
			goto out;
		}
		struct snap_file *d = &s->files[s->n];
		d->path = xstrdup(p->valuestring);
		d->size = (uint64_t)json_item_i64(sz, 0, INT64_MAX, 0);
		if (!d->path) {
			r = -ENOMEM;
			cli_fail("out of memory");
			goto out;
		}
		s->n++;
		s->bytes += d->size;
	}
out:
	cJSON_Delete(root);
	return r;
}

int snaphelper_run(const char *table_dir, const char *version, const char *timestamp,
		   struct snap *out)
{
	memset(out, 0, sizeof(*out));
	char *dir = exe_dir(), *helper = find_helper(dir), *py = find_python(dir), *text = NULL;
	int r = 0, st = 0;
	if (!py) {
		r = -ENOMEM;
		cli_fail("out of memory");
		goto out;
	}
	const char *env = getenv("UCFS_SNAPSHOT_HELPER");
	if (helper && !str_empty(env) && access(helper, R_OK) != 0) {
		r = -errno;
		cli_fail("UCFS_SNAPSHOT_HELPER=%s: %s: point it at scripts/" HELPER_NAME
			 " of the ucfs source, or unset it", helper, strerror(-r));
		goto out;
	}
	if (!helper) {
		r = -ENOENT;
		cli_fail("the snapshot helper " HELPER_NAME " is neither beside %s/ucfs nor in "
			 "%s/../libexec/ucfs: reinstall ucfs (ninja install), or set "
			 "UCFS_SNAPSHOT_HELPER to scripts/" HELPER_NAME " of the source",
			 dir ? dir : "?", dir ? dir : "?");
		goto out;
	}
	const char *argv[8];
	int n = 0;
	argv[n++] = py;
	argv[n++] = helper;
	argv[n++] = table_dir;
	if (version) {
		argv[n++] = "--version";
		argv[n++] = version;
	} else if (timestamp) {
		argv[n++] = "--timestamp";
		argv[n++] = timestamp;
	}
	argv[n] = NULL;
	r = run_capture(py, argv, &text, &st);
	if (r) {
		cli_fail("cannot run the snapshot helper %s for %s: %s", helper, table_dir,
			 strerror(-r));
		goto out;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_NO_DELTALAKE) {
		r = -ENOPKG;
		cli_fail("the Python %s has no deltalake package: install it there (pip install "
			 "deltalake), or set UCFS_PYTHON to a Python that has it", py);
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 126) {
		r = -ENOEXEC; /* the child said why */
	} else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		r = -EIO;
		cli_fail("cannot list the files of the snapshot of %s (the helper's message is "
			 "above; it ran as: %s %s)", table_dir, py, helper);
	} else {
		r = parse(text, table_dir, out);
	}
out:
	if (r)
		snap_free(out);
	free(text);
	free(py);
	free(helper);
	free(dir);
	return r;
}

void snap_free(struct snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->files[i].path);
	free(s->files);
	memset(s, 0, sizeof(*s));
}
