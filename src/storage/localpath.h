/*
 * localpath.h - local (file://) storage locations as the confinement rules
 * see them: one normal form, and "is it at or below an allowed root".
 *
 * Contract: pure (no I/O). localpath_from_url() accepts file:///p, file:/p
 * and file://localhost/p (scheme and host case-insensitive); any other host
 * is refused. The path is percent-decoded first (so %2e%2e is "..", %2f is
 * "/"), then normalised lexically: duplicate slashes collapse, "." goes,
 * ".." removes the previous component (and stays at "/" at the top), no
 * trailing slash. A NUL, a control character (bytes 0x01-0x1f, 0x7f) or a
 * bad escape is refused. The normal form is what allowed roots are compared
 * with, component by component (localpath_within). Messages never echo a
 * control character.
 */
#ifndef UCFS_LOCALPATH_H
#define UCFS_LOCALPATH_H

#include <stdbool.h>
#include <stddef.h>

/* Normal form of a file:// URL's path into *out (malloc'ed). -EINVAL with
 * *err (when err is given) saying why, -ENOMEM. */
int localpath_from_url(const char *url, char **out, char **err);

/* Normal form of an absolute path (no URL decoding). -EINVAL when it is
 * relative or holds a control character. */
int localpath_normalise(const char *path, char **out);

/* Is the normalised PATH equal to ROOT or below it (component-wise: /data
 * holds /data/x, not /database)? When it is and rel is given, *rel points
 * into PATH at what follows the root ("" for the root itself, no leading
 * slash). */
bool localpath_within(const char *path, const char *root, const char **rel);

/* Which of ROOTS holds PATH (the longest match), or -1. */
int localpath_find_root(const char *path, const char *const *roots, size_t n, const char **rel);

/* Copy of s fit for a message: control characters shown as '?', at most
 * max bytes (then "..."). NULL on ENOMEM. */
char *localpath_printable(const char *s, size_t max);

#endif
