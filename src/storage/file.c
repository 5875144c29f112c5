/*
 * file.c - the `file` storage backend: a table location on the local file
 * system (file:///path), confined to it. The table's directory is opened
 * once, beneath the allowed root that holds it (a table root that is a
 * symlink leading out of that root is refused); every later open, stat and
 * listing resolves beneath the table's directory (beneath.h), so nothing
 * outside the table is reached: a symlink leaving the table is left out of
 * listings and fails stat/open with -EXDEV, symlinks inside it work.
 * Entries that are neither regular files nor directories are left out.
 * Reads use pread on an fd per open handle.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/beneath.h"
#include "storage/storage.h"
#include "util/strutil.h"

struct file_storage {
	struct storage base;
	int rootfd; /* the table's directory (O_PATH) */
};

struct local_handle {
	struct storage *st; /* must be first, see storage.c */
	int fd;
};

static struct file_storage *fs_of(struct storage *st) { return (struct file_storage *)st; }

/* Relative path beneath the table: NULL means the root itself. */
static const char *at_path(const char *rel) { return rel ? rel : ""; }

/* stat of what REL resolves to, beneath the table. */
static int stat_beneath(struct storage *st, const char *rel, struct stat *sb)
{
	int fd = open_beneath(fs_of(st)->rootfd, at_path(rel), O_PATH, 0);
	if (fd < 0)
		return fd;
	int r = fstat(fd, sb) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int fill_entry(const char *name, const struct stat *sb, struct storage_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->name = xstrdup(name);
	if (!e->name)
		return -ENOMEM;
	e->is_dir = S_ISDIR(sb->st_mode);
	e->size = e->is_dir ? 0 : (uint64_t)sb->st_size;
	e->mtime = sb->st_mtim;
	/* Identity: a file replaced in place (same inode number reused, same
	 * size, same second) still differs in its nanosecond times. */
	e->etag = xasprintf("%llx-%llx-%lx.%09ld-%lx.%09ld", (unsigned long long)sb->st_ino,
			    (unsigned long long)sb->st_size, (long)sb->st_mtim.tv_sec,
			    sb->st_mtim.tv_nsec, (long)sb->st_ctim.tv_sec, sb->st_ctim.tv_nsec);
	if (!e->etag) {
		storage_entry_clear(e);
		return -ENOMEM;
	}
	return 0;
}

static int file_list(struct storage *st, const char *rel, struct storage_list *out)
{
	int dfd = open_beneath(fs_of(st)->rootfd, at_path(rel), O_RDONLY | O_DIRECTORY, 0);
	out->items = NULL;
	out->n = 0;
	if (dfd < 0)
		return dfd;
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
		if (fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* vanished */
		if (S_ISLNK(sb.st_mode)) {
			/* Followed only while it stays inside the table. */
			char *path = rel && *rel ? xasprintf("%s/%s", rel, de->d_name)
						 : xstrdup(de->d_name);
			r = path ? stat_beneath(st, path, &sb) : -ENOMEM;
			free(path);
			if (r == -ENOMEM)
				break;
			r = 0;
			if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
				continue; /* dangling, leaving the table, or a loop */
		}
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
	int r = stat_beneath(st, rel, &sb);
	if (r)
		return r;
	if (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode))
		return -ENOENT;
	const char *slash = rel ? strrchr(rel, '/') : NULL;
	return fill_entry(slash ? slash + 1 : (rel ? rel : ""), &sb, out);
}

static int file_open(struct storage *st, const char *rel, const struct storage_entry *known,
		     struct storage_file **out)
{
	(void)known; /* local files are read as they are */
	/* Only a regular file is opened for reading (opening a FIFO or a device
	 * could block or act): check first, then open and check it is the same. */
	int fd = -EAGAIN;
	for (int tries = 0; tries < 3 && fd == -EAGAIN; tries++) {
		struct stat a, b;
		int r = stat_beneath(st, rel, &a);
		if (r)
			return r;
		if (!S_ISREG(a.st_mode))
			return S_ISDIR(a.st_mode) ? -EISDIR : -ENOENT;
		fd = open_beneath(fs_of(st)->rootfd, at_path(rel), O_RDONLY | O_NOCTTY | O_NONBLOCK, 0);
		if (fd >= 0 && (fstat(fd, &b) < 0 || b.st_dev != a.st_dev || b.st_ino != a.st_ino)) {
			close(fd); /* replaced in between: look again */
			fd = -EAGAIN;
		}
	}
	if (fd < 0)
		return fd;
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

int storage_file_new(const char *location, const char *root, const char *rel,
		     struct storage **out, char **err)
{
	*out = NULL;
	struct file_storage *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	fs->base.ops = &file_ops;
	fs->rootfd = -1;
	if (!(fs->base.location = xstrdup(location))) {
		file_destroy(&fs->base);
		return -ENOMEM;
	}
	/* The allowed root was a real path when it was allowed: no symlink may
	 * have appeared in it since. The table is then found beneath it. */
	if (root[0] != '/') {
		file_destroy(&fs->base);
		return -EINVAL;
	}
	int top = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int rfd = top < 0 ? -errno
			  : open_beneath(top, root + 1, O_PATH | O_DIRECTORY, BENEATH_NO_SYMLINKS);
	if (top >= 0)
		close(top);
	if (rfd < 0) {
		if (err)
			*err = xasprintf("allowed local root %s cannot be opened as a directory without "
					 "symlinks (%s): allow its real path again (ucfs mirror edit "
					 "--allow-local)", root, strerror(-rfd));
		file_destroy(&fs->base);
		return rfd == -ELOOP ? -EACCES : rfd;
	}
	fs->rootfd = open_beneath(rfd, rel, O_PATH | O_DIRECTORY, 0);
	close(rfd);
	int r = fs->rootfd < 0 ? fs->rootfd : 0;
	if (r) {
		if (err && (r == -EXDEV || r == -ELOOP))
			*err = xasprintf("storage location '%s' resolves outside the allowed local "
					 "root %s (through a symlink): not served", location, root);
		else if (err)
			*err = xasprintf("storage location '%s': %s", location, strerror(-r));
		file_destroy(&fs->base);
		return r == -EXDEV || r == -ELOOP ? -EACCES : r;
	}
	*out = &fs->base;
	return 0;
}
