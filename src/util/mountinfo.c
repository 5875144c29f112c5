/* mountinfo.c - see mountinfo.h. */
#include "util/mountinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

/* Field I (0-based) of LINE, separated by single spaces: start and length. */
static const char *field(const char *line, size_t end, int i, size_t *len)
{
	const char *p = line, *stop = line + end;
	for (; i > 0 && p < stop; i--) {
		const char *sp = memchr(p, ' ', (size_t)(stop - p));
		if (!sp)
			return NULL;
		p = sp + 1;
	}
	if (i > 0 || p >= stop)
		return NULL;
	const char *sp = memchr(p, ' ', (size_t)(stop - p));
	*len = (size_t)((sp ? sp : stop) - p);
	return p;
}

/* The kernel escapes space, tab, newline and backslash as \ooo. */
static char *unescape(const char *s, size_t len)
{
	char *out = malloc(len + 1), *w = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		if (s[i] == '\\' && i + 3 < len && s[i + 1] >= '0' &&
		    s[i + 1] <= '3' && s[i + 2] >= '0' && s[i + 2] <= '7' && s[i + 3] >= '0' &&
		    s[i + 3] <= '7') {
			*w++ = (char)((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
			i += 4;
		} else {
			*w++ = s[i++];
		}
	}
	*w = '\0';
	return out;
}

struct point {
	char *path;
	int ours; /* the last entry for this point has the wanted type */
};

static int add_point(struct point **v, size_t *n, size_t *cap, char *path, int ours)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i].path, path)) {
			(*v)[i].ours = ours;
			free(path);
			return 0;
		}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		struct point *nv = realloc(*v, nc * sizeof(*nv));
		if (!nv) {
			free(path);
			return -ENOMEM;
		}
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = (struct point){path, ours};
	return 0;
}

int mountinfo_parse(const char *text, const char *fstype, char ***out, size_t *n)
{
	struct point *pts = NULL;
	size_t np = 0, cap = 0;
	int r = 0;
	*out = NULL;
	*n = 0;
	for (const char *line = text; *line && !r;) {
		const char *nl = strchr(line, '\n');
		size_t end = nl ? (size_t)(nl - line) : strlen(line);
		/* id parent maj:min root mountpoint opts [optional...] - fstype src super */
		size_t mlen = 0, tlen = 0; /* set by field() when it returns non-NULL; gcc -O3 cannot see it */
		const char *mp = field(line, end, 4, &mlen);
		const char *dash = memmem(line, end, " - ", 3);
		const char *type = dash ? field(dash + 3, end - (size_t)(dash + 3 - line), 0, &tlen)
					: NULL;
		if (mp && type && mp < dash) {
			char *path = unescape(mp, mlen);
			int ours = strlen(fstype) == tlen && !memcmp(type, fstype, tlen);
			r = path ? add_point(&pts, &np, &cap, path, ours) : -ENOMEM;
		}
		line = nl ? nl + 1 : line + end;
	}
	size_t k = 0;
	char **v = r ? NULL : calloc(np ? np : 1, sizeof(char *));
	if (!r && !v)
		r = -ENOMEM;
	for (size_t i = 0; i < np; i++) {
		if (!r && pts[i].ours)
			v[k++] = pts[i].path;
		else
			free(pts[i].path);
	}
	free(pts);
	if (r) {
		mountinfo_free(v, k);
		return r;
	}
	*out = v;
	*n = k;
	return 0;
}

int mountinfo_read(const char *fstype, char ***out, size_t *n)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return -errno;
	struct strbuf sb = {0};
	char buf[8192];
	size_t got;
	int r = 0;
	while (!r && (got = fread(buf, 1, sizeof(buf), f)) > 0)
		r = sb.len + got > (16u << 20) ? -EFBIG : sb_append(&sb, buf, got);
	fclose(f);
	if (!r)
		r = mountinfo_parse(sb.buf ? sb.buf : "", fstype, out, n);
	sb_free(&sb);
	return r;
}

void mountinfo_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
