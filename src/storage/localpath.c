/* localpath.c - see localpath.h. */
#include "storage/localpath.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strutil.h"

static bool is_ctl(unsigned char c) { return c < 0x20 || c == 0x7f; }

char *localpath_printable(const char *s, size_t max)
{
	size_t n = strlen(s);
	bool cut = n > max;
	char *out = malloc((cut ? max : n) + 4);
	if (!out)
		return NULL;
	size_t i;
	for (i = 0; i < n && i < max; i++)
		out[i] = is_ctl((unsigned char)s[i]) ? '?' : s[i];
	if (cut)
		memcpy(out + i, "...", 3), i += 3;
	out[i] = '\0';
	return out;
}

/* Lexical normal form of the absolute path src[0..n) (no NUL inside). */
static char *normalise(const char *src, size_t n)
{
	char *out = malloc(n + 2);
	if (!out)
		return NULL;
	size_t o = 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && src[i] == '/')
			i++;
		size_t start = i;
		while (i < n && src[i] != '/')
			i++;
		size_t len = i - start;
		if (len == 0 || (len == 1 && src[start] == '.'))
			continue;
		if (len == 2 && src[start] == '.' && src[start + 1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the slash before the dropped component */
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, src + start, len);
		o += len;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

int localpath_normalise(const char *path, char **out)
{
	*out = NULL;
	if (!path || path[0] != '/')
		return -EINVAL;
	size_t n = strlen(path);
	if (n > PATH_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++)
		if (is_ctl((unsigned char)path[i]))
			return -EINVAL;
	return (*out = normalise(path, n)) ? 0 : -ENOMEM;
}

static int refuse(const char *url, const char *why, char **err)
{
	if (err) {
		char *p = localpath_printable(url, 200);
		*err = xasprintf("storage location '%s': %s", p ? p : "?", why);
		free(p);
	}
	return -EINVAL;
}

int localpath_from_url(const char *url, char **out, char **err)
{
	*out = NULL;
	if (!url || strncasecmp(url, "file:", 5) != 0)
		return refuse(url ? url : "", "not a file:// URL", err);
	const char *p = url + 5;
	if (p[0] == '/' && p[1] == '/') {
		const char *host = p + 2, *slash = strchr(host, '/');
		size_t hlen = slash ? (size_t)(slash - host) : strlen(host);
		if (hlen != 0 && !(hlen == 9 && strncasecmp(host, "localhost", 9) == 0))
			return refuse(url, "file URLs must name a local path (file:///path); another "
				      "host is not served", err);
		p = slash ? slash : "/";
	}
	if (*p != '/')
		return refuse(url, "file URL path is not absolute", err);
	size_t n = strlen(p);
	if (n > PATH_MAX)
		return refuse(url, "path too long", err);
	char *dec = malloc(n + 1);
	if (!dec)
		return -ENOMEM;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '%') {
			int h = i + 2 < n ? hex_digit((unsigned char)p[i + 1]) : -1;
			int l = h < 0 ? -1 : hex_digit((unsigned char)p[i + 2]);
			if (h < 0 || l < 0) {
				free(dec);
				return refuse(url, "invalid percent-escape in path", err);
			}
			c = (unsigned char)(h * 16 + l);
			i += 2;
			if (c == 0) {
				free(dec);
				return refuse(url, "path holds a NUL byte", err);
			}
		}
		if (is_ctl(c)) {
			free(dec);
			return refuse(url, "path holds a control character", err);
		}
		dec[o++] = (char)c;
	}
	*out = normalise(dec, o);
	free(dec);
	return *out ? 0 : -ENOMEM;
}

bool localpath_within(const char *path, const char *root, const char **rel)
{
	size_t rn = strlen(root);
	while (rn > 1 && root[rn - 1] == '/')
		rn--;
	if (rn == 1 && root[0] == '/') { /* "/" holds every absolute path */
		if (path[0] != '/')
			return false;
		if (rel)
			*rel = path + 1;
		return true;
	}
	if (strncmp(path, root, rn) != 0 || (path[rn] != '\0' && path[rn] != '/'))
		return false;
	if (rel)
		*rel = path[rn] ? path + rn + 1 : path + rn;
	return true;
}

int localpath_find_root(const char *path, const char *const *roots, size_t n, const char **rel)
{
	int best = -1;
	size_t best_len = 0;
	for (size_t i = 0; i < n; i++) {
		const char *r;
		size_t len = strlen(roots[i]);
		if (localpath_within(path, roots[i], &r) && (best < 0 || len > best_len)) {
			best = (int)i;
			best_len = len;
			if (rel)
				*rel = r;
		}
	}
	return best;
}
