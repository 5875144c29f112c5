/*
 * mountinfo.h - which directories hold a mount of a given file system type
 * (/proc/self/mountinfo), so commands can find a running ucfs mount.
 *
 * Contract: mountinfo_parse() is pure: TEXT in the kernel's mountinfo
 * format; mount points are decoded (\040 and the other octal escapes) and
 * listed once each, in order of first appearance, when the LAST entry for
 * that point (the mount on top) has type FSTYPE; lines that do not parse are
 * ignored. mountinfo_read() reads /proc/self/mountinfo (bounded to 16 MiB).
 * Both return 0 or a negative errno; the caller frees with mountinfo_free().
 */
#ifndef UCFS_MOUNTINFO_H
#define UCFS_MOUNTINFO_H

#include <stddef.h>

int mountinfo_parse(const char *text, const char *fstype, char ***out, size_t *n);
int mountinfo_read(const char *fstype, char ***out, size_t *n);
void mountinfo_free(char **v, size_t n);

#endif
