/* test_url.c - storage location parsing for every scheme. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "storage/url.h"
#include "util/strutil.h"

static void file_ok(const char *url, const char *path)
{
	struct storage_url u;
	char *err = NULL;
	CHECK(storage_url_parse(url, &u, &err) == 0);
	CHECK(u.scheme == SCHEME_FILE);
	CHECK_STR(u.path, path);
	storage_url_free(&u);
	free(err);
}

static void bad(const char *url)
{
	struct storage_url u;
	char *err = NULL;
	CHECK(storage_url_parse(url, &u, &err) == -EINVAL);
	CHECK(err != NULL && strstr(err, url) != NULL);
	free(err);
}

int main(void)
{
	file_ok("file:///tmp/uc/tables/t1", "/tmp/uc/tables/t1");
	file_ok("file:///tmp/uc/tables/t1/", "/tmp/uc/tables/t1");
	file_ok("file:/tmp/uc/t", "/tmp/uc/t");
	file_ok("file://localhost/data/x", "/data/x");
	file_ok("file:///tmp/with%20space/%C3%A9", "/tmp/with space/\xc3\xa9");
	file_ok("FILE:///x", "/x");
	file_ok("file:///", "/");

	struct storage_url u;
	char *err = NULL;
	CHECK(storage_url_parse("abfss://cont@acct.dfs.core.windows.net/a/b/", &u, &err) == 0);
	CHECK(u.scheme == SCHEME_AZURE);
	CHECK_STR(u.container, "cont");
	CHECK_STR(u.host, "acct.dfs.core.windows.net");
	CHECK_STR(u.prefix, "a/b");
	storage_url_free(&u);
	CHECK(storage_url_parse("s3://bucket/key/prefix", &u, &err) == 0);
	CHECK(u.scheme == SCHEME_S3);
	CHECK_STR(u.bucket, "bucket");
	CHECK_STR(u.prefix, "key/prefix");
	storage_url_free(&u);
	CHECK(storage_url_parse("s3a://bucket", &u, &err) == 0);
	CHECK_STR(u.prefix, "");
	storage_url_free(&u);
	CHECK(storage_url_parse("gs://b/o", &u, &err) == 0);
	CHECK(u.scheme == SCHEME_GCS);
	CHECK_STR(u.bucket, "b");
	storage_url_free(&u);

	bad("file://otherhost/x");
	bad("file:relative/path");
	bad("file:///bad%zzescape");
	bad("http://example.com/x");
	bad("abfss://noaccount/x");
	bad("s3:///nobucket");
	CHECK(storage_url_parse("", &u, &err) == -EINVAL);
	free(err);

	char *e = pct_encode("a b/c%", "/");
	CHECK_STR(e, "a%20b/c%25");
	free(e);
	char *d = pct_decode("x%2Fy%25");
	CHECK_STR(d, "x/y%");
	free(d);
	CHECK(pct_decode("trail%2") == NULL);
	CHECK(pct_decode("%") == NULL);
	return check_done();
}
