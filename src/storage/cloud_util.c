/* cloud_util.c - see cloud_util.h. */
#include "storage/cloud_util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/http.h"
#include "storage/endpoint.h"
#include "util/strutil.h"

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
	int bad = endpoint_parse_content_range(cr, &first, &last, &total);
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
