/* url.c - see url.h. */
#include "storage/url.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "storage/localpath.h"
#include "util/strutil.h"

const char *storage_scheme_name(enum storage_scheme s)
{
	switch (s) {
	case SCHEME_FILE: return "file";
	case SCHEME_AZURE: return "azure";
	case SCHEME_S3: return "s3";
	case SCHEME_GCS: return "gcs";
	}
	return "?";
}

void storage_url_free(struct storage_url *u)
{
	free(u->path);
	free(u->container);
	free(u->host);
	free(u->bucket);
	free(u->prefix);
	memset(u, 0, sizeof(*u));
}

static char *trim_slashes_dup(const char *s)
{
	while (*s == '/')
		s++;
	char *d = xstrdup(s);
	if (!d)
		return NULL;
	size_t n = strlen(d);
	while (n > 0 && d[n - 1] == '/')
		d[--n] = '\0';
	return d;
}

static int bad(const char *url, const char *why, char **err)
{
	if (err)
		*err = xasprintf("storage location '%s': %s", url, why);
	return -EINVAL;
}

static int parse_file(const char *url, struct storage_url *out, char **err)
{
	char *path;
	int r = localpath_from_url(url, &path, err);
	if (r)
		return r;
	out->scheme = SCHEME_FILE;
	out->path = path;
	return 0;
}

/* scheme://AUTHORITY/prefix -> authority, prefix */
static int split_authority(const char *rest, char **auth, char **prefix)
{
	const char *slash = strchr(rest, '/');
	*auth = slash ? xstrndup(rest, (size_t)(slash - rest)) : xstrdup(rest);
	*prefix = trim_slashes_dup(slash ? slash : "");
	if (!*auth || !*prefix) {
		free(*auth);
		free(*prefix);
		return -ENOMEM;
	}
	return 0;
}

int storage_url_parse(const char *url, struct storage_url *out, char **err)
{
	memset(out, 0, sizeof(*out));
	if (err)
		*err = NULL;
	if (str_empty(url))
		return bad("", "empty location", err);
	if (strncasecmp(url, "file:", 5) == 0)
		return parse_file(url, out, err);

	static const struct {
		const char *pfx;
		enum storage_scheme s;
	} schemes[] = {
		{"abfss://", SCHEME_AZURE}, {"abfs://", SCHEME_AZURE}, {"wasbs://", SCHEME_AZURE},
		{"wasb://", SCHEME_AZURE},  {"s3://", SCHEME_S3},      {"s3a://", SCHEME_S3},
		{"gs://", SCHEME_GCS},
	};
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i].pfx);
		if (strncasecmp(url, schemes[i].pfx, n) != 0)
			continue;
		char *auth, *prefix;
		if (split_authority(url + n, &auth, &prefix))
			return -ENOMEM;
		if (!*auth) {
			free(auth);
			free(prefix);
			return bad(url, "missing bucket or container", err);
		}
		out->scheme = schemes[i].s;
		out->prefix = prefix;
		if (schemes[i].s == SCHEME_AZURE) {
			char *at = strchr(auth, '@');
			if (!at || at == auth || !at[1]) {
				free(auth);
				storage_url_free(out);
				return bad(url, "expected CONTAINER@ACCOUNT.HOST", err);
			}
			out->container = xstrndup(auth, (size_t)(at - auth));
			out->host = xstrdup(at + 1);
			free(auth);
			if (!out->container || !out->host) {
				storage_url_free(out);
				return -ENOMEM;
			}
		} else {
			out->bucket = auth;
		}
		return 0;
	}
	return bad(url, "unsupported scheme (expected file, abfss, s3 or gs)", err);
}
