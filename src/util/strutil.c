/* strutil.c - see strutil.h. */
#include "util/strutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *xstrdup(const char *s) { return s ? strdup(s) : NULL; }
char *xstrndup(const char *s, size_t n) { return s ? strndup(s, n) : NULL; }

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *out = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&out, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : out;
}

bool str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}
bool str_empty(const char *s) { return !s || !*s; }
bool str_startswith(const char *s, const char *p) { return s && p && strncmp(s, p, strlen(p)) == 0; }
bool str_endswith(const char *s, const char *x)
{
	if (!s || !x)
		return false;
	size_t a = strlen(s), b = strlen(x);
	return a >= b && strcmp(s + a - b, x) == 0;
}

uint64_t fnv1a64(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

int hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *pct_decode_len(const char *src, size_t *outlen)
{
	size_t n = strlen(src);
	char *out = malloc(n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (src[i] == '%') {
			int h, l;
			if (i + 2 >= n) {
				free(out);
				return NULL;
			}
			h = hex_digit((unsigned char)src[i + 1]);
			l = h < 0 ? -1 : hex_digit((unsigned char)src[i + 2]);
			if (h < 0 || l < 0) {
				free(out);
				return NULL;
			}
			*o++ = (char)(h * 16 + l);
			i += 2;
		} else {
			*o++ = src[i];
		}
	}
	*o = '\0';
	if (outlen)
		*outlen = (size_t)(o - out);
	return out;
}

char *pct_decode(const char *src)
{
	return pct_decode_len(src, NULL);
}

char *pct_encode(const char *src, const char *keep)
{
	struct strbuf sb = {0};
	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		int r;
		if (isalnum(*p) || strchr("-._~", *p) || (keep && *p && strchr(keep, *p)))
			r = sb_append(&sb, (const char *)p, 1);
		else
			r = sb_printf(&sb, "%%%02X", *p);
		if (r) {
			sb_free(&sb);
			return NULL;
		}
	}
	if (!sb.buf && sb_append(&sb, "", 0))
		return NULL;
	return sb_detach(&sb);
}

int sb_append(struct strbuf *sb, const char *data, size_t n)
{
	if (sb->len + n + 1 > sb->cap) {
		size_t cap = sb->cap ? sb->cap : 64;
		while (cap < sb->len + n + 1)
			cap *= 2;
		char *b = realloc(sb->buf, cap);
		if (!b)
			return -ENOMEM;
		sb->buf = b;
		sb->cap = cap;
	}
	if (n)
		memcpy(sb->buf + sb->len, data, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int sb_puts(struct strbuf *sb, const char *s) { return sb_append(sb, s, strlen(s)); }

int sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	char *tmp = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&tmp, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = sb_append(sb, tmp, (size_t)r);
	free(tmp);
	return r;
}

char *sb_detach(struct strbuf *sb)
{
	char *b = sb->buf;
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return b;
}

void sb_free(struct strbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}

void str_wipe_free(char *s)
{
	if (s) {
		volatile char *p = s;
		while (*p)
			*p++ = 0;
		free(s);
	}
}

int read_fd_all(int fd, size_t max, char **out)
{
	*out = NULL;
	struct strbuf sb = {0};
	char buf[65536];
	int r = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : 0;
			break;
		}
		if (sb.len + (size_t)n > max) {
			r = -EFBIG;
			break;
		}
		if (sb_append(&sb, buf, (size_t)n)) {
			r = -ENOMEM;
			break;
		}
	}
	if (!r && !sb.buf && sb_puts(&sb, ""))
		r = -ENOMEM;
	if (r)
		sb_free(&sb);
	else
		*out = sb_detach(&sb);
	return r;
}
