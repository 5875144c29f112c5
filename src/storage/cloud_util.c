/* cloud_util.c - see cloud_util.h. */
#include "storage/cloud_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/http.h"
#include "util/strutil.h"

char *cloud_join_key(const char *prefix, const char *rel)
{
	if (str_empty(prefix))
		return xstrdup(rel ? rel : "");
	if (str_empty(rel))
		return xstrdup(prefix);
	return xasprintf("%s/%s", prefix, rel);
}

const char *cloud_basename(const char *rel)
{
	if (!rel)
		return "";
	const char *s = strrchr(rel, '/');
	return s ? s + 1 : rel;
}

char *cloud_unquote_etag(const char *e)
{
	if (!e)
		return NULL;
	if (!strncmp(e, "W/", 2))
		e += 2;
	size_t n = strlen(e);
	if (n >= 2 && e[0] == '"' && e[n - 1] == '"')
		return xstrndup(e + 1, n - 2);
	return xstrdup(e);
}

/* Strict unsigned decimal; advances *p. */
static int parse_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

int cloud_parse_content_range(const char *v, uint64_t *first, uint64_t *last, uint64_t *total)
{
	if (!v)
		return -EINVAL;
	while (*v == ' ')
		v++;
	if (strncasecmp(v, "bytes", 5))
		return -EINVAL;
	v += 5;
	if (*v != ' ' && *v != '=')
		return -EINVAL;
	while (*v == ' ' || *v == '=')
		v++;
	if (parse_u64(&v, first) || *v++ != '-' || parse_u64(&v, last) || *v++ != '/')
		return -EINVAL;
	if (*v == '*') {
		*total = UINT64_MAX;
		v++;
	} else if (parse_u64(&v, total)) {
		return -EINVAL;
	}
	while (*v == ' ')
		v++;
	if (*v || *last < *first)
		return -EINVAL;
	return 0;
}

int cloud_check_range(const struct http_response *r, uint64_t off, size_t want, uint64_t size,
		      const char **why)
{
	char *enc = http_response_header(r, "Content-Encoding");
	bool encoded = enc && *enc && strcasecmp(enc, "identity");
	free(enc);
	if (encoded) {
		*why = "the answer has a Content-Encoding (not the stored bytes)";
		return -EIO;
	}
	if (r->status == 200) {
		if (off == 0 && want == size && r->body_len == want)
			return 0;
		*why = "the server ignored the byte range (200 instead of 206)";
		return -EIO;
	}
	if (r->status != 206) {
		*why = "unexpected status for a ranged read";
		return -EIO;
	}
	char *cr = http_response_header(r, "Content-Range");
	uint64_t first, last, total;
	int bad = cloud_parse_content_range(cr, &first, &last, &total);
	free(cr);
	if (bad) {
		*why = "206 without a valid Content-Range";
		return -EIO;
	}
	if (first != off || last != off + want - 1) {
		*why = "Content-Range is not the range asked for";
		return -EIO;
	}
	if (total != size) {
		*why = "object size changed (Content-Range total differs)";
		return -EIO;
	}
	if (r->body_len != want) {
		*why = "body length differs from the range asked for";
		return -EIO;
	}
	return 0;
}

int cloud_status_errno(long status)
{
	switch (status) {
	case 404: return -ENOENT;
	case 401:
	case 403: return -EACCES;
	case 400: return -EINVAL;
	default: return -EIO;
	}
}

void cloud_free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}
