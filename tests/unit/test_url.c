/* test_url.c - storage location parsing for every scheme. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "storage/localpath.h"
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
	char *shown = localpath_printable(url, 200); /* control characters masked */
	CHECK(err != NULL && strstr(err, shown) != NULL);
	CHECK(err != NULL && !strpbrk(err, "\n\t\x1b\x7f"));
	free(shown);
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
	/* Normal forms the confinement compares (localpath.h). */
	file_ok("file:///x/../../etc", "/etc");
	file_ok("file:///data/%2e%2e/%2E%2E/etc/", "/etc");
	file_ok("file:///data%2f..%2fetc", "/etc");
	file_ok("file://LOCALHOST/etc/", "/etc");
	file_ok("file://localhost", "/");
	file_ok("file:////data//./t///", "/data/t");
	file_ok("file:///a/b/..", "/a");
	file_ok("file:///..", "/");
	file_ok("file:///data/%252e%252e/x", "/data/%2e%2e/x"); /* decoded once */

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
	bad("file://localhost.evil/etc");
	bad("file://127.0.0.1/etc");
	bad("file:///etc%00/x");
	bad("file:///etc/%0a");
	bad("file:///a\tb");
	bad("file:///a%7fb");
	bad("file:///a%2");

	/* Component-wise containment. */
	const char *rel;
	CHECK(localpath_within("/data/t", "/data", &rel) && !strcmp(rel, "t"));
	CHECK(localpath_within("/data", "/data", &rel) && !strcmp(rel, ""));
	CHECK(localpath_within("/data/t", "/data/", &rel) && !strcmp(rel, "t"));
	CHECK(!localpath_within("/database/t", "/data", NULL));
	CHECK(!localpath_within("/dat", "/data", NULL));
	CHECK(localpath_within("/etc", "/", &rel) && !strcmp(rel, "etc"));
	const char *roots[] = {"/data", "/data/deep", "/other"};
	CHECK(localpath_find_root("/data/deep/t", roots, 3, &rel) == 1 && !strcmp(rel, "t"));
	CHECK(localpath_find_root("/data/x", roots, 3, &rel) == 0);
	CHECK(localpath_find_root("/etc", roots, 3, NULL) == -1);
	CHECK(localpath_find_root("/etc", NULL, 0, NULL) == -1);
	char *norm;
	CHECK(localpath_normalise("/a//b/../c/", &norm) == 0);
	CHECK_STR(norm, "/a/c");
	free(norm);
	CHECK(localpath_normalise("rel/x", &norm) == -EINVAL);
	CHECK(localpath_normalise("/a\nb", &norm) == -EINVAL);
	char *pr = localpath_printable("a\nb\x1b", 10);
	CHECK_STR(pr, "a?b?");
	free(pr);
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
