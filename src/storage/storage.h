/*
 * storage.h - one interface over a table's storage location.
 *
 * Contract: a `struct storage` is rooted at one table's location; every path
 * given to it is relative to that root ("" is the root, no leading '/').
 * list() returns every entry of a directory (files with exact size and mtime,
 * subdirectories), stat() one entry, open()/read() serve byte ranges and
 * never return short before EOF. Backends know addressing and signing,
 * nothing about FUSE or SQLite. All functions are thread-safe and return 0 /
 * a byte count, or a negative errno (-ENOENT, -ENOTDIR, -EACCES, -EIO, ...).
 * The first backend is `file` (local paths, what a local Unity Catalog OSS
 * server uses); cloud backends plug in through struct storage_ops.
 */
#ifndef UCFS_STORAGE_H
#define UCFS_STORAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct storage_entry {
	char *name;
	bool is_dir;
	uint64_t size;
	struct timespec mtime;
	char *etag; /* object identity for caching; may be NULL */
};

struct storage_list {
	struct storage_entry *items;
	size_t n;
};

struct storage;
struct storage_file;

struct storage_ops {
	const char *name;
	int (*list)(struct storage *st, const char *rel, struct storage_list *out);
	int (*stat)(struct storage *st, const char *rel, struct storage_entry *out);
	int (*open)(struct storage *st, const char *rel, struct storage_file **out);
	ssize_t (*read)(struct storage_file *f, void *buf, size_t len, uint64_t off);
	void (*close)(struct storage_file *f);
	void (*destroy)(struct storage *st);
};

struct storage {
	const struct storage_ops *ops;
	char *location; /* as Unity Catalog reported it */
};

/* Open the storage behind LOCATION. -EINVAL/-EPROTONOSUPPORT with *err set
 * for locations ucfs cannot read. */
int storage_new(const char *location, struct storage **out, char **err);
void storage_free(struct storage *st);

int storage_list(struct storage *st, const char *rel, struct storage_list *out);
int storage_stat(struct storage *st, const char *rel, struct storage_entry *out);
int storage_open(struct storage *st, const char *rel, struct storage_file **out);
ssize_t storage_read(struct storage_file *f, void *buf, size_t len, uint64_t off);
void storage_close(struct storage_file *f);

void storage_entry_clear(struct storage_entry *e);
void storage_list_free(struct storage_list *l);

/* Backend constructors (one file each). */
int storage_file_new(const char *location, const char *path, struct storage **out);

#endif
