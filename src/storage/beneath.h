/*
 * beneath.h - open a path without ever leaving a directory.
 *
 * Contract: open_beneath() resolves REL (relative; "" is the directory
 * itself) inside the tree of DIRFD: a "..", an absolute symlink or a
 * symlink whose target lies outside fails with -EXDEV, procfs magic links
 * (/proc/PID/fd/N, /proc/self/root...) are never followed, and more than 40
 * symlinks fail with -ELOOP. Symlinks that stay inside are followed. It
 * uses openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) and, where the
 * kernel lacks openat2 (ENOSYS), the same rules by a walk that opens one
 * component at a time with O_NOFOLLOW and resolves symlinks itself.
 * BENEATH_NO_SYMLINKS refuses every symlink (-ELOOP). O_CLOEXEC is always
 * added to FLAGS. Returns an fd or a negative errno.
 */
#ifndef UCFS_BENEATH_H
#define UCFS_BENEATH_H

#define BENEATH_NO_SYMLINKS 1u

int open_beneath(int dirfd, const char *rel, int flags, unsigned how);
/* The walk alone (what open_beneath falls back to); for tests. */
int open_beneath_walk(int dirfd, const char *rel, int flags, unsigned how);

#endif
