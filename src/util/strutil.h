/*
 * strutil.h - small string helpers used everywhere.
 *
 * Contract: every function that allocates returns NULL only on ENOMEM
 * (callers treat that as -ENOMEM); xstrdup(NULL) returns NULL.
 */
#ifndef UCFS_STRUTIL_H
#define UCFS_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool str_eq(const char *a, const char *b); /* NULL-safe */
bool str_empty(const char *s);              /* NULL or "" */
void str_wipe_free(char *s);                /* zero a secret, then free; NULL-safe */
bool str_startswith(const char *s, const char *prefix);
bool str_endswith(const char *s, const char *suffix);
/* Value of a hexadecimal digit, or -1. */
int hex_digit(int c);
/* FNV-1a, 64 bits, of N bytes (hash tables, content and name tags). */
uint64_t fnv1a64(const void *p, size_t n);
/* Percent-decode src into a new string; NULL on invalid escape or ENOMEM. */
char *pct_decode(const char *src);
/* The same, with the decoded length (which is more than strlen() of the
 * result when the input holds "%00"). */
char *pct_decode_len(const char *src, size_t *outlen);
/* Percent-encode everything except unreserved chars and those in keep. */
char *pct_encode(const char *src, const char *keep);

/* Growable byte buffer, always NUL-terminated. */
struct strbuf {
	char *buf;
	size_t len, cap;
};
int sb_append(struct strbuf *sb, const char *data, size_t n); /* 0 or -ENOMEM */
int sb_puts(struct strbuf *sb, const char *s);
int sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sb_detach(struct strbuf *sb);
void sb_free(struct strbuf *sb);
/* Read FD to its end, at most MAX bytes (-EFBIG beyond), into *out (a
 * malloc'ed NUL-terminated string, "" when empty); 0 or -errno. */
int read_fd_all(int fd, size_t max, char **out);

#endif
