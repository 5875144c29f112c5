/*
 * url.h - parse a table's storage location URL into its parts.
 *
 * Contract: pure. Accepts file:///p, file:/p and file://localhost/p (path
 * decoded and normalised by localpath.h: no "..", ".", duplicate or trailing
 * slashes; other hosts, NUL and control characters refused), and the cloud schemes
 * abfss/abfs/wasbs/wasb (container, account host), s3/s3a (bucket), gs
 * (bucket) with the key prefix kept as written. Anything else is -EINVAL with
 * a message naming the location.
 */
#ifndef UCFS_URL_H
#define UCFS_URL_H

enum storage_scheme { SCHEME_FILE, SCHEME_AZURE, SCHEME_S3, SCHEME_GCS };

struct storage_url {
	enum storage_scheme scheme;
	char *path;      /* file: absolute local path */
	char *container; /* azure */
	char *host;      /* azure: ACCOUNT.dfs.core.windows.net */
	char *bucket;    /* s3, gcs */
	char *prefix;    /* cloud: key prefix without leading or trailing '/' */
};

int storage_url_parse(const char *url, struct storage_url *out, char **err);
void storage_url_free(struct storage_url *u);
const char *storage_scheme_name(enum storage_scheme s);

#endif
