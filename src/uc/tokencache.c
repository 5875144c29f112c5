/* tokencache.c - see tokencache.h. */
#include "uc/tokencache.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/strutil.h"

char *tokencache_path(void)
{
	const char *home = getenv("HOME");
	if (str_empty(home) || home[0] != '/')
		return NULL;
	return xasprintf("%s/.databricks/token-cache.json", home);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return xstrndup(path, (size_t)(slash - path));
}

/* Read PATH (regular file owned by us, not a symlink) into *buf. 0,
 * -ENOENT, -EFBIG, -EPERM, or another negative errno. */
static int read_small(const char *path, char **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -EPERM : -errno;
	struct stat sb;
	int rc = 0;
	if (fstat(fd, &sb) < 0)
		rc = -errno;
	else if (!S_ISREG(sb.st_mode) || sb.st_uid != geteuid())
		rc = -EPERM;
	else if (sb.st_size > OAUTH_CACHE_MAX_BYTES)
		rc = -EFBIG;
	char *b = rc ? NULL : malloc((size_t)sb.st_size + 1);
	if (!rc && !b)
		rc = -ENOMEM;
	size_t got = 0;
	while (!rc && got < (size_t)sb.st_size) {
		ssize_t n = read(fd, b + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* shrank meanwhile: take what is there */
		got += (size_t)n;
	}
	close(fd);
	if (rc) {
		free(b);
		return rc;
	}
	b[got] = 0;
	*buf = b;
	*len = got;
	return 0;
}

int tokencache_open(bool create, struct tokencache *tc, char **err)
{
	memset(tc, 0, sizeof(*tc));
	tc->lock_fd = -1;
	*err = NULL;
	tc->path = tokencache_path();
	if (!tc->path) {
		*err = xstrdup("no token cache: HOME is not set");
		return -ENOENT;
	}
	char *dir = dir_of(tc->path), *lock = xasprintf("%s.lock", tc->path);
	int rc = 0;
	if (!dir || !lock) {
		rc = -ENOMEM;
		goto out;
	}
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		*err = xasprintf("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	tc->lock_fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (tc->lock_fd < 0 && errno == ENOENT && !create) {
		/* no directory: nobody has logged in */
	} else if (tc->lock_fd < 0) {
		rc = -errno;
		*err = xasprintf("cannot open %s: %s", lock, strerror(errno));
		goto out;
	} else {
		while (flock(tc->lock_fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				rc = -errno;
				*err = xasprintf("cannot lock %s: %s", lock, strerror(errno));
				goto out;
			}
		}
	}
	char *text = NULL;
	size_t len = 0;
	rc = read_small(tc->path, &text, &len);
	if (rc == -ENOENT)
		rc = 0;
	if (rc) {
		*err = xasprintf("cannot read the token cache %s: %s", tc->path,
				 rc == -EPERM ? "not a regular file owned by you" :
				 rc == -EFBIG ? "too large" : strerror(-rc));
		goto out;
	}
	rc = oauth_cache_parse(text, len, &tc->doc);
	if (text) {
		memset(text, 0, len);
		free(text);
	}
	if (rc == -EBADMSG)
		*err = xasprintf("the token cache %s is not a version 1 Databricks token cache "
				 "(move it away and log in again)", tc->path);
out:
	if (rc == -ENOMEM && !*err)
		*err = xstrdup("out of memory");
	free(dir);
	free(lock);
	if (rc)
		tokencache_close(tc);
	return rc;
}

int tokencache_save(struct tokencache *tc, char **err)
{
	*err = NULL;
	char *text = oauth_cache_print(tc->doc);
	char *dir = dir_of(tc->path);
	char *tmp = xasprintf("%s.XXXXXX", tc->path);
	int rc = 0, fd = -1;
	if (!text || !dir || !tmp) {
		rc = -ENOMEM;
		*err = xstrdup("out of memory");
		goto out;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = -errno;
		*err = xasprintf("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	fd = mkostemp(tmp, O_CLOEXEC); /* mode 0600 */
	if (fd < 0) {
		rc = -errno;
		*err = xasprintf("cannot write the token cache in %s: %s", dir, strerror(errno));
		goto out;
	}
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		done += (size_t)n;
	}
	if (!rc && (fchmod(fd, 0600) < 0 || fsync(fd) < 0))
		rc = -errno;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	fd = -1;
	if (!rc && rename(tmp, tc->path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp);
		*err = xasprintf("cannot write the token cache %s: %s", tc->path, strerror(-rc));
	}
out:
	if (text) {
		memset(text, 0, strlen(text));
		free(text);
	}
	free(dir);
	free(tmp);
	return rc;
}

void tokencache_close(struct tokencache *tc)
{
	if (tc->lock_fd >= 0)
		close(tc->lock_fd); /* releases the flock */
	oauth_cache_free(tc->doc);
	free(tc->path);
	memset(tc, 0, sizeof(*tc));
	tc->lock_fd = -1;
}
