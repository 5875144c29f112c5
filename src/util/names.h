/*
 * names.h - names that come from a remote answer (Unity Catalog schemas and
 * tables, storage listings): which can be a directory entry, how they are
 * shown to a person, and how an embedded NUL survives as far as the check.
 *
 * Contract: pure (no I/O, no globals). A NUL inside a remote name (JSON
 * "\u0000", "%00" in a URL-encoded key) would silently truncate a C string,
 * so the decoders that can meet one mark it instead as the two bytes C0 80
 * (the "modified UTF-8" form of U+0000, never valid UTF-8 otherwise); the
 * checks below report that marker as a NUL and name_escape() prints it as
 * \u0000. Names are never truncated or repaired: a name is usable as it is,
 * or it is skipped with the reason these functions give.
 */
#ifndef UCFS_NAMES_H
#define UCFS_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NAME_MAX_BYTES 255

/*
 * Why NAME cannot be a directory entry of the mount for a Unity Catalog
 * object (item, schema, table), or NULL when it can: empty; "." / ".." or
 * starting with '.' (reserved for ucfs); longer than 255 bytes; containing
 * '/', a NUL, a control character (U+0000-U+001F, DEL, U+0080-U+009F), a
 * bidirectional-text control (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069) or a line/paragraph separator (U+2028, U+2029); not valid
 * UTF-8. A static string ("contains a control character (U+000A)" is
 * formatted into a thread-local buffer).
 */
const char *name_entry_problem(const char *name);

/*
 * The same for a name listed in storage (a file or directory inside a
 * table): only what a file system cannot show or open - empty, ".", "..",
 * '/', a NUL, longer than 255 bytes. Static string or NULL.
 */
const char *name_storage_problem(const char *name);

/*
 * S for display, malloc'ed (NULL only on ENOMEM): '\\' becomes "\\\\", C0
 * controls and DEL "\xHH", C1 controls, bidi controls and separators
 * "\uXXXX", the NUL marker "\u0000", any other byte that is not valid UTF-8
 * "\xHH"; everything else is kept. NULL S gives "(null)".
 */
char *name_escape(const char *s);

/*
 * JSON text JSON[0..LEN) with every "\u0000" escape replaced by the NUL
 * marker (raw bytes C0 80, which JSON parsers keep as they are): 0 with
 * *out NULL when there is none (use JSON as it is), 0 with *out a malloc'ed,
 * NUL-terminated copy and *outlen its length, or -ENOMEM.
 */
int name_json_mark_nul(const char *json, size_t len, char **out, size_t *outlen);

/* BUF[0..LEN) as a C string with every NUL byte replaced by the marker
 * (malloc'ed; NULL only on ENOMEM). */
char *name_mark_nul(const char *buf, size_t len);

/*
 * The version of a Delta log file NAME: "<20 digits>.json" (a commit) or
 * "<20 digits>.checkpoint.<rest>" (a checkpoint's file: *checkpoint true);
 * -1 for anything else, a version past 2^53 included (20 digits would
 * overflow int64). *checkpoint is set whenever the 20 digits are there.
 */
int64_t delta_log_version(const char *name, bool *checkpoint);

#endif
