/* fuzz_url_endpoint.c - libFuzzer target: storage_url_parse() (a table's
 * storage location, chosen by Unity Catalog) and the request mapping of
 * endpoint.c built on it, plus endpoint_parse_content_range() (a storage
 * answer's Content-Range header) and the small validators.
 * Input: LOCATION '\n' ENDPOINT '\n' REL '\n' ACCESS_POINT '\n' TOKEN, each a
 * heap string (missing fields are NULL); the whole input is also given, as
 * one string, to the Content-Range parser. Checked: the documented outputs
 * (no '/' at either end of a prefix, a Content-Range with LAST >= FIRST,
 * request paths that start with '/', nothing allocated on failure). */
#include <errno.h>

#include "fuzz_input.h"
#include "storage/endpoint.h"
#include "storage/url.h"

/* The init functions give 0, -EINVAL (with a message) or -ENOMEM. */
static bool inited(int rc, char **err)
{
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	FUZZ_CHECK(rc != -EINVAL || *err);
	free(*err);
	return rc == 0;
}

static void s3(const char *loc, const struct storage_url *u, char **f)
{
	struct endpoint_s3 e;
	char *err = NULL;
	int rc = endpoint_s3_init(&e, loc, u, f[1], f[1] && (f[1][0] & 1), &err);
	if (!inited(rc, &err))
		return;
	for (int dir = 0; dir < 2; dir++) {
		char *key = endpoint_s3_key(&e, f[2], dir);
		struct endpoint_s3_target t;
		FUZZ_CHECK(key);
		for (int global = 0; global < 2; global++) {
			if (endpoint_s3_target(&e, f[3], "us-east-1", global, &t))
				continue;
			char *path = NULL, *url = NULL, *q = endpoint_s3_list_query(key, 1000, f[4]);
			FUZZ_CHECK(q);
			FUZZ_CHECK(endpoint_s3_request(&t, dir ? key : NULL, q, &path, &url) == 0);
			FUZZ_CHECK(path[0] == '/');
			free(path);
			free(url);
			free(q);
			endpoint_s3_target_free(&t);
		}
		free(key);
	}
	(void)endpoint_s3_region_valid(f[4] ? f[4] : "");
	(void)endpoint_s3_bucket_dns_safe(e.bucket);
	endpoint_s3_free(&e);
}

/* Azure and GCS: a blob/object URL for REL and a listing of it. */
static void azure_gcs(const char *loc, const struct storage_url *u, char **f)
{
	struct endpoint_azure az;
	struct endpoint_gcs gs;
	bool is_az = u->scheme == SCHEME_AZURE;
	char *err = NULL, *a = NULL, *b = NULL, *c = NULL;
	int rc = is_az ? endpoint_azure_init(&az, loc, u, f[1], &err)
		       : endpoint_gcs_init(&gs, loc, u, f[1], &err);
	if (!inited(rc, &err))
		return;
	char *key = endpoint_join_key(is_az ? az.prefix : gs.prefix, f[2]);
	char *dir = key ? endpoint_dir_prefix(key) : NULL;
	FUZZ_CHECK(key && dir);
	if (is_az) {
		a = endpoint_azure_blob_path(key);
		b = endpoint_azure_list_query(dir, f[4], 5000);
		FUZZ_CHECK(a && b && a[0] == '/');
		c = endpoint_azure_url(&az, a, b, f[3]);
		endpoint_azure_free(&az);
	} else {
		a = endpoint_gcs_object_url(&gs, key);
		b = endpoint_gcs_media_url(&gs, key, f[3]);
		c = endpoint_gcs_list_url(&gs, dir, f[4], 1000);
		endpoint_gcs_free(&gs);
	}
	FUZZ_CHECK(a && b && c);
	free(a);
	free(b);
	free(c);
	free(dir);
	free(key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[5], *whole = fuzz_cstr(data, size);
	struct storage_url u;
	char *err = NULL;
	uint64_t first = 0, last = 0, total = 0;

	if (endpoint_parse_content_range(whole, &first, &last, &total) == 0)
		FUZZ_CHECK(last >= first);
	(void)endpoint_page_size(whole);
	fuzz_fields(data, size, f, 5);
	int rc = storage_url_parse(f[0], &u, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == -EINVAL)
		FUZZ_CHECK(err);
	free(err);
	if (!rc) {
		const char *pfx = u.prefix;
		if (pfx)
			FUZZ_CHECK(pfx[0] != '/' && (!pfx[0] || pfx[strlen(pfx) - 1] != '/'));
		if (u.scheme == SCHEME_FILE)
			FUZZ_CHECK(u.path && u.path[0] == '/');
		else if (u.scheme == SCHEME_S3)
			s3(f[0], &u, f);
		else
			azure_gcs(f[0], &u, f);
		(void)endpoint_rel_valid(f[2]);
		char *blob = endpoint_azure_blob_endpoint(u.host, f[1]), *origin = endpoint_gcs_origin(f[1]);
		FUZZ_CHECK(blob && origin);
		free(blob);
		free(origin);
		storage_url_free(&u);
	}
	fuzz_fields_free(f, 5);
	free(whole);
	return 0;
}
