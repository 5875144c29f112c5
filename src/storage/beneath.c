/* beneath.c - see beneath.h. */
#include "storage/beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_LINKS 40

static int have_openat2 = 1; /* cleared (atomically) on the first ENOSYS */

static int try_openat2(int dirfd, const char *rel, int flags, unsigned how)
{
#ifdef SYS_openat2
	struct open_how oh = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
			   ((how & BENEATH_NO_SYMLINKS) ? RESOLVE_NO_SYMLINKS : 0),
	};
	for (int tries = 0; tries < 16; tries++) {
		long fd = syscall(SYS_openat2, dirfd, *rel ? rel : ".", &oh, sizeof(oh));
		if (fd >= 0)
			return (int)fd;
		/* EAGAIN: a concurrent rename or mount moved something; retry. */
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
	return -EAGAIN;
#else
	(void)dirfd, (void)rel, (void)flags, (void)how;
	return -ENOSYS;
#endif
}

int open_beneath(int dirfd, const char *rel, int flags, unsigned how)
{
	if (__atomic_load_n(&have_openat2, __ATOMIC_RELAXED)) {
		int fd = try_openat2(dirfd, rel, flags, how);
		if (fd != -ENOSYS)
			return fd;
		__atomic_store_n(&have_openat2, 0, __ATOMIC_RELAXED);
	}
	return open_beneath_walk(dirfd, rel, flags, how);
}

/* ---- the walk ------------------------------------------------------------ */

struct walk {
	int *fds; /* opened directories below dirfd; depth 0 = dirfd itself */
	size_t depth, cap;
	int base;
};

static int cur(const struct walk *w) { return w->depth ? w->fds[w->depth - 1] : w->base; }

static int push(struct walk *w, int fd)
{
	if (w->depth == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		int *v = realloc(w->fds, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		w->fds = v;
		w->cap = cap;
	}
	w->fds[w->depth++] = fd;
	return 0;
}

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->depth; i++)
		close(w->fds[i]);
	free(w->fds);
}

/* Replace the queue *rest with "target/rest". */
static int splice_link(char **rest, const char *target, size_t tlen)
{
	size_t rlen = strlen(*rest);
	if (tlen + rlen + 2 > 2 * PATH_MAX)
		return -ENAMETOOLONG;
	char *n = malloc(tlen + rlen + 2);
	if (!n)
		return -ENOMEM;
	memcpy(n, target, tlen);
	n[tlen] = '/';
	memcpy(n + tlen + 1, *rest, rlen + 1);
	free(*rest);
	*rest = n;
	return 0;
}

int open_beneath_walk(int dirfd, const char *rel, int flags, unsigned how)
{
	if (rel[0] == '/')
		return -EXDEV;
	struct walk w = {.base = dirfd};
	char *rest = strdup(rel);
	int links = 0, r = 0;
	if (!rest)
		return -ENOMEM;
	char name[NAME_MAX + 1];
	for (;;) {
		/* Next component off the front of rest. */
		char *p = rest;
		while (*p == '/')
			p++;
		size_t len = strcspn(p, "/");
		if (len > NAME_MAX) {
			r = -ENAMETOOLONG;
			break;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		memmove(rest, p + len, strlen(p + len) + 1);
		bool last = rest[strspn(rest, "/")] == '\0';
		if (len == 0 || !strcmp(name, ".")) {
			if (!last)
				continue;
			r = openat(cur(&w), ".", flags | O_CLOEXEC);
			r = r < 0 ? -errno : r;
			break;
		}
		if (!strcmp(name, "..")) {
			if (w.depth == 0) {
				r = -EXDEV;
				break;
			}
			close(w.fds[--w.depth]);
			if (!last)
				continue;
			r = openat(cur(&w), ".", flags | O_CLOEXEC);
			r = r < 0 ? -errno : r;
			break;
		}
		struct stat sb;
		if (fstatat(cur(&w), name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
			r = -errno;
			break;
		}
		if (S_ISLNK(sb.st_mode)) {
			char target[PATH_MAX];
			ssize_t tl = readlinkat(cur(&w), name, target, sizeof(target));
			if ((how & BENEATH_NO_SYMLINKS) || ++links > MAX_LINKS) {
				r = -ELOOP;
				break;
			}
			if (tl < 0 || (size_t)tl >= sizeof(target)) {
				r = tl < 0 ? -errno : -ENAMETOOLONG;
				break;
			}
			if (tl == 0 || target[0] == '/') {
				r = tl == 0 ? -ENOENT : -EXDEV;
				break;
			}
			if ((r = splice_link(&rest, target, (size_t)tl)))
				break;
			continue;
		}
		if (!last) {
			int fd = openat(cur(&w), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0) {
				r = -errno;
				break;
			}
			if ((r = push(&w, fd))) {
				close(fd);
				break;
			}
			continue;
		}
		r = openat(cur(&w), name, flags | O_NOFOLLOW | O_CLOEXEC);
		if (r < 0) {
			r = -errno;
			break;
		}
		/* O_PATH|O_NOFOLLOW opens a link itself: it was swapped in meanwhile. */
		struct stat fsb;
		if (fstat(r, &fsb) == 0 && S_ISLNK(fsb.st_mode)) {
			close(r);
			r = -ELOOP;
		}
		break;
	}
	free(rest);
	walk_free(&w);
	return r;
}
