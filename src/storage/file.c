/*
 * file.c - the `file` storage backend: a table location on the local file
 * system (file:///path). Listing follows symlinks; entries that are neither
 * regular files nor directories are left out. Reads use pread on an fd per
 * open handle.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/storage.h"
#include "util/strutil.h"

struct file_storage {
	struct storage base;
	int rootfd;
};

struct local_handle {
	struct storage *st; /* must be first, see storage.c */
	int fd;
};

static struct file_storage *fs_of(struct storage *st) { return (struct file_storage *)st; }

/* Relative path for *at() calls: "" means the root itself. */
static const char *at_path(const char *rel) { return (!rel || !*rel) ? "." : rel; }

static int fill_entry(const char *name, const struct stat *sb, struct storage_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	if (!e->name)
		return -ENOMEM;
	e->is_dir = S_ISDIR(sb->st_mode);
	e->size = e->is_dir ? 0 : (uint64_t)sb->st_size;
	e->mtime = sb->st_mtim;
	e->etag = xasprintf("%llx-%llx-%lx", (unsigned long long)sb->st_ino,
			    (unsigned long long)sb->st_size, (long)sb->st_mtim.tv_sec);
	if (!e->etag) {
		storage_entry_clear(e);
		return -ENOMEM;
	}
	return 0;
}

static int file_list(struct storage *st, const char *rel, struct storage_list *out)
{
	int dfd = openat(fs_of(st)->rootfd, at_path(rel), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	out->items = NULL;
	out->n = 0;
	if (dfd < 0)
		return -errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		int e = -errno;
		close(dfd);
		return e;
	}
	size_t cap = 0;
	int r = 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat sb;
		if (fstatat(dfd, de->d_name, &sb, 0) < 0)
			continue; /* vanished or dangling link */
		if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
			continue;
		if (out->n == cap) {
			cap = cap ? cap * 2 : 32;
			struct storage_entry *ni = realloc(out->items, cap * sizeof(*ni));
			if (!ni) {
				r = -ENOMEM;
				break;
			}
			out->items = ni;
		}
		r = fill_entry(de->d_name, &sb, &out->items[out->n]);
		if (r)
			break;
		out->n++;
	}
	closedir(d);
	if (r)
		storage_list_free(out);
	return r;
}

static int file_stat(struct storage *st, const char *rel, struct storage_entry *out)
{
	struct stat sb;
	if (fstatat(fs_of(st)->rootfd, at_path(rel), &sb, 0) < 0)
		return -errno;
	if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
		return -ENOENT;
	const char *slash = rel ? strrchr(rel, '/') : NULL;
	return fill_entry(slash ? slash + 1 : (rel ? rel : ""), &sb, out);
}

static int file_open(struct storage *st, const char *rel, const struct storage_entry *known,
		     struct storage_file **out)
{
	(void)known; /* local files are read as they are */
	int fd = openat(fs_of(st)->rootfd, at_path(rel), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct local_handle *h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	h->st = st;
	h->fd = fd;
	*out = (struct storage_file *)h;
	return 0;
}

static ssize_t file_read(struct storage_file *f, void *buf, size_t len, uint64_t off)
{
	struct local_handle *h = (struct local_handle *)f;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(h->fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static int file_fd(struct storage_file *f)
{
	return ((struct local_handle *)f)->fd;
}

static void file_close(struct storage_file *f)
{
	struct local_handle *h = (struct local_handle *)f;
	close(h->fd);
	free(h);
}

static void file_destroy(struct storage *st)
{
	struct file_storage *fs = fs_of(st);
	if (fs->rootfd >= 0)
		close(fs->rootfd);
	free(st->location);
	free(fs);
}

static const struct storage_ops file_ops = {
	.name = "file",
	.list = file_list,
	.stat = file_stat,
	.open = file_open,
	.read = file_read,
	.fd = file_fd,
	.close = file_close,
	.destroy = file_destroy,
};

int storage_file_new(const char *location, const char *path, struct storage **out)
{
	struct file_storage *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->base.ops = &file_ops;
	fs->base.location = xstrdup(location);
	fs->rootfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs->rootfd < 0 || !fs->base.location) {
		int e = fs->rootfd < 0 ? -errno : -ENOMEM;
		file_destroy(&fs->base);
		return e;
	}
	*out = &fs->base;
	return 0;
}
