/* test_endpoint.c - request URL mapping for every cloud scheme (S3, Azure,
 * GCS): hosts, canonical paths, listing queries, endpoint overrides, key
 * encoding; and the Content-Range parser / ranged-answer check. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "net/http.h"
#include "storage/cloud_util.h"
#include "storage/endpoint.h"
#include "storage/sigv4.h"
#include "storage/url.h"

/* A key with everything that needs encoding: space, '%', '+', '=', '#',
 * '?', UTF-8, and a partition directory whose value looks pre-encoded. */
#define HARD_REL "part=a%20b/x y+z#1?.parquet"
#define HARD_REL_S3 "part%3Da%2520b/x%20y%2Bz%231%3F.parquet"
#define UNI_REL "caf\xc3\xa9/\xe2\x82\xac.parquet"
#define UNI_REL_ENC "caf%C3%A9/%E2%82%AC.parquet"

static void parse(const char *loc, struct storage_url *u)
{
	char *err = NULL;
	int r = storage_url_parse(loc, u, &err);
	CHECK(r == 0);
	if (r)
		fprintf(stderr, "parse %s: %s\n", loc, err ? err : "?");
	free(err);
}

/* ---------------- shared ---------------- */

static void test_shared(void)
{
	CHECK_STR(endpoint_pick("a", "b", "c"), "a");
	CHECK_STR(endpoint_pick(NULL, "b", "c"), "b");
	CHECK_STR(endpoint_pick("", "", "c"), "c");
	CHECK(endpoint_pick("", NULL, "") == NULL);
	CHECK(endpoint_pick(NULL, NULL, NULL) == NULL);

	CHECK(endpoint_rel_valid(NULL));
	CHECK(endpoint_rel_valid(""));
	CHECK(endpoint_rel_valid("a/b.parquet"));
	CHECK(endpoint_rel_valid(".hidden/..."));
	CHECK(endpoint_rel_valid(HARD_REL));
	CHECK(!endpoint_rel_valid("a//b"));
	CHECK(!endpoint_rel_valid("/a"));
	CHECK(!endpoint_rel_valid("a/"));
	CHECK(!endpoint_rel_valid("./a"));
	CHECK(!endpoint_rel_valid("a/.."));
	CHECK(!endpoint_rel_valid(".."));

	struct {
		const char *prefix, *rel, *key, *dir;
	} j[] = {
		{"", "", "", ""},
		{NULL, NULL, "", ""},
		{"tables/t1", "", "tables/t1", "tables/t1/"},
		{"tables/t1", NULL, "tables/t1", "tables/t1/"},
		{"", "a/b", "a/b", "a/b/"},
		{"tables/t1", "_delta_log/0.json", "tables/t1/_delta_log/0.json",
		 "tables/t1/_delta_log/0.json/"},
	};
	for (size_t i = 0; i < sizeof(j) / sizeof(j[0]); i++) {
		char *k = endpoint_join_key(j[i].prefix, j[i].rel);
		char *d = endpoint_dir_prefix(k);
		CHECK_STR(k, j[i].key);
		CHECK_STR(d, j[i].dir);
		free(k);
		free(d);
	}
	char *d = endpoint_dir_prefix(NULL);
	CHECK_STR(d, "");
	free(d);

	CHECK(endpoint_page_size(NULL) == 0);
	CHECK(endpoint_page_size("") == 0);
	CHECK(endpoint_page_size("0") == 0);
	CHECK(endpoint_page_size("1") == 1);
	CHECK(endpoint_page_size("5000") == 5000);
	CHECK(endpoint_page_size("5001") == 0);
	CHECK(endpoint_page_size("-3") == 0);
	CHECK(endpoint_page_size("12x") == 0);
}

/* ---------------- S3 ---------------- */

struct s3_case {
	const char *loc;      /* location */
	const char *endpoint; /* custom endpoint or NULL */
	bool path_style;
	const char *ap;     /* access point or NULL */
	const char *region; /* configured/discovered region */
	bool global;
	const char *rel; /* NULL: the bucket itself (key NULL) */
	/* expected */
	const char *host, *path, *url, *sign_region;
};

static void s3_case(const struct s3_case *c)
{
	struct storage_url u;
	parse(c->loc, &u);
	struct endpoint_s3 e;
	char *err = NULL;
	int r = endpoint_s3_init(&e, c->loc, &u, c->endpoint, c->path_style, &err);
	CHECK(r == 0);
	if (r) {
		fprintf(stderr, "init %s: %s\n", c->loc, err ? err : "?");
		free(err);
		storage_url_free(&u);
		return;
	}
	struct endpoint_s3_target t;
	r = endpoint_s3_target(&e, c->ap, c->region, c->global, &t);
	CHECK(r == 0);
	char *key = c->rel ? endpoint_s3_key(&e, c->rel, false) : NULL;
	char *path = NULL, *url = NULL;
	if (!r) {
		CHECK(endpoint_s3_request(&t, key, NULL, &path, &url) == 0);
		CHECK_STR(t.host, c->host);
		CHECK_STR(path, c->path);
		CHECK_STR(url, c->url);
		CHECK_STR(t.region, c->sign_region ? c->sign_region : c->region);
		/* The URL is the origin followed by exactly the signed path. */
		CHECK(url && t.origin && !strncmp(url, t.origin, strlen(t.origin)) &&
		      !strcmp(url + strlen(t.origin), path));
		/* The Host header curl derives from the URL is the one signed. */
		CHECK(t.origin && t.host && strstr(t.origin, "://") &&
		      !strcmp(strstr(t.origin, "://") + 3, t.host));
	}
	free(path);
	free(url);
	free(key);
	endpoint_s3_target_free(&t);
	endpoint_s3_free(&e);
	storage_url_free(&u);
}

static void test_s3_addressing(void)
{
	static const struct s3_case cases[] = {
		/* AWS, virtual-hosted */
		{"s3://my-bucket/tables/t1", NULL, false, NULL, "us-west-2", false, "a.parquet",
		 "my-bucket.s3.us-west-2.amazonaws.com", "/tables/t1/a.parquet",
		 "https://my-bucket.s3.us-west-2.amazonaws.com/tables/t1/a.parquet", NULL},
		/* s3a:// is the same thing */
		{"s3a://my-bucket/tables/t1/", NULL, false, NULL, "us-east-1", false, "a.parquet",
		 "my-bucket.s3.us-east-1.amazonaws.com", "/tables/t1/a.parquet",
		 "https://my-bucket.s3.us-east-1.amazonaws.com/tables/t1/a.parquet", NULL},
		/* keys that need encoding; a partition value that looks encoded */
		{"s3://my-bucket/tables/t1", NULL, false, NULL, "us-west-2", false, HARD_REL,
		 "my-bucket.s3.us-west-2.amazonaws.com", "/tables/t1/" HARD_REL_S3,
		 "https://my-bucket.s3.us-west-2.amazonaws.com/tables/t1/" HARD_REL_S3, NULL},
		{"s3://my-bucket", NULL, false, NULL, "us-west-2", false, UNI_REL,
		 "my-bucket.s3.us-west-2.amazonaws.com", "/" UNI_REL_ENC,
		 "https://my-bucket.s3.us-west-2.amazonaws.com/" UNI_REL_ENC, NULL},
		/* table root (empty relative path): the prefix itself */
		{"s3://my-bucket/tables/t1", NULL, false, NULL, "us-west-2", false, "",
		 "my-bucket.s3.us-west-2.amazonaws.com", "/tables/t1",
		 "https://my-bucket.s3.us-west-2.amazonaws.com/tables/t1", NULL},
		/* the bucket itself (listing, region discovery) */
		{"s3://my-bucket/tables/t1", NULL, false, NULL, "us-west-2", false, NULL,
		 "my-bucket.s3.us-west-2.amazonaws.com", "/",
		 "https://my-bucket.s3.us-west-2.amazonaws.com/", NULL},
		/* global endpoint for region discovery */
		{"s3://my-bucket/t", NULL, false, NULL, "us-east-1", true, NULL,
		 "my-bucket.s3.amazonaws.com", "/", "https://my-bucket.s3.amazonaws.com/", NULL},
		{"s3://my.bucket/t", NULL, false, NULL, "us-east-1", true, NULL, "s3.amazonaws.com",
		 "/my.bucket", "https://s3.amazonaws.com/my.bucket", NULL},
		/* China partition */
		{"s3://my-bucket/t", NULL, false, NULL, "cn-north-1", false, "x",
		 "my-bucket.s3.cn-north-1.amazonaws.com.cn", "/t/x",
		 "https://my-bucket.s3.cn-north-1.amazonaws.com.cn/t/x", NULL},
		/* not DNS/TLS safe: dots, uppercase, '_', too short -> path-style */
		{"s3://my.dotted.bucket/t", NULL, false, NULL, "eu-west-1", false, "a b",
		 "s3.eu-west-1.amazonaws.com", "/my.dotted.bucket/t/a%20b",
		 "https://s3.eu-west-1.amazonaws.com/my.dotted.bucket/t/a%20b", NULL},
		{"s3://MyBucket/t", NULL, false, NULL, "eu-west-1", false, "k",
		 "s3.eu-west-1.amazonaws.com", "/MyBucket/t/k",
		 "https://s3.eu-west-1.amazonaws.com/MyBucket/t/k", NULL},
		{"s3://my_bucket/t", NULL, false, NULL, "eu-west-1", false, "k",
		 "s3.eu-west-1.amazonaws.com", "/my_bucket/t/k",
		 "https://s3.eu-west-1.amazonaws.com/my_bucket/t/k", NULL},
		{"s3://ab/t", NULL, false, NULL, "eu-west-1", false, "k", "s3.eu-west-1.amazonaws.com",
		 "/ab/t/k", "https://s3.eu-west-1.amazonaws.com/ab/t/k", NULL},
		{"s3://my.bucket/t", NULL, false, NULL, "eu-west-1", false, NULL,
		 "s3.eu-west-1.amazonaws.com", "/my.bucket",
		 "https://s3.eu-west-1.amazonaws.com/my.bucket", NULL},
		/* path style configured */
		{"s3://my-bucket/t", NULL, true, NULL, "us-west-2", false, "k",
		 "s3.us-west-2.amazonaws.com", "/my-bucket/t/k",
		 "https://s3.us-west-2.amazonaws.com/my-bucket/t/k", NULL},
		/* custom endpoints: always path-style, Host with a non-default port */
		{"s3://my-bucket/tables/t1", "http://127.0.0.1:5000", false, NULL, "us-east-1",
		 false, HARD_REL, "127.0.0.1:5000", "/my-bucket/tables/t1/" HARD_REL_S3,
		 "http://127.0.0.1:5000/my-bucket/tables/t1/" HARD_REL_S3, NULL},
		{"s3://my-bucket/tables/t1", "http://127.0.0.1:5000/", false, NULL, "us-east-1",
		 false, "", "127.0.0.1:5000", "/my-bucket/tables/t1",
		 "http://127.0.0.1:5000/my-bucket/tables/t1", NULL},
		{"s3://my-bucket/t", "http://127.0.0.1:5000", false, NULL, "us-east-1", true, NULL,
		 "127.0.0.1:5000", "/my-bucket", "http://127.0.0.1:5000/my-bucket", NULL},
		{"s3://my.bucket/t", "https://minio.example.com:443/s3/", false, NULL, "us-east-1",
		 false, "k", "minio.example.com", "/s3/my.bucket/t/k",
		 "https://minio.example.com/s3/my.bucket/t/k", NULL},
		{"s3://b1b/t", "HTTP://Store.Example:80", false, NULL, "us-east-1", false, "k",
		 "Store.Example", "/b1b/t/k", "http://Store.Example/b1b/t/k", NULL},
		{"s3://b1b/t", "https://store.example:9443", false, NULL, "us-east-1", false, "k",
		 "store.example:9443", "/b1b/t/k", "https://store.example:9443/b1b/t/k", NULL},
		/* access point alias: addressed like a bucket */
		{"s3://my-bucket/t", NULL, false, "my-ap-abcdefgh1234-s3alias", "us-west-2", false,
		 "k", "my-ap-abcdefgh1234-s3alias.s3.us-west-2.amazonaws.com", "/t/k",
		 "https://my-ap-abcdefgh1234-s3alias.s3.us-west-2.amazonaws.com/t/k", NULL},
		{"s3://my-bucket/t", "http://127.0.0.1:5000", false, "my-ap-abcdefgh1234-s3alias",
		 "us-west-2", false, "k", "127.0.0.1:5000", "/my-ap-abcdefgh1234-s3alias/t/k",
		 "http://127.0.0.1:5000/my-ap-abcdefgh1234-s3alias/t/k", NULL},
		/* access point ARN: its own host, signed for the ARN's region */
		{"s3://my-bucket/t", NULL, false, "arn:aws:s3:eu-central-1:123456789012:accesspoint/my-ap",
		 "us-east-1", false, "a b", "my-ap-123456789012.s3-accesspoint.eu-central-1.amazonaws.com",
		 "/t/a%20b",
		 "https://my-ap-123456789012.s3-accesspoint.eu-central-1.amazonaws.com/t/a%20b",
		 "eu-central-1"},
		{"s3://my-bucket/t", NULL, false, "arn:aws-cn:s3:cn-north-1:111122223333:accesspoint:ap1",
		 "us-east-1", false, NULL, "ap1-111122223333.s3-accesspoint.cn-north-1.amazonaws.com.cn",
		 "/", "https://ap1-111122223333.s3-accesspoint.cn-north-1.amazonaws.com.cn/",
		 "cn-north-1"},
		{"s3://my-bucket/t", "http://127.0.0.1:5000", false,
		 "arn:aws:s3:eu-central-1:123456789012:accesspoint/my-ap", "us-east-1", false, "k",
		 "127.0.0.1:5000", "/my-ap/t/k", "http://127.0.0.1:5000/my-ap/t/k", "eu-central-1"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		s3_case(&cases[i]);
}

static void test_s3_misc(void)
{
	CHECK(endpoint_s3_region_valid("us-east-1"));
	CHECK(endpoint_s3_region_valid("cn-northwest-1"));
	CHECK(!endpoint_s3_region_valid(""));
	CHECK(!endpoint_s3_region_valid(NULL));
	CHECK(!endpoint_s3_region_valid("US-EAST-1"));
	CHECK(!endpoint_s3_region_valid("us east"));
	CHECK(!endpoint_s3_region_valid("us-east-1\r\nx: y"));
	CHECK(endpoint_s3_bucket_dns_safe("my-bucket"));
	CHECK(endpoint_s3_bucket_dns_safe("abc"));
	CHECK(!endpoint_s3_bucket_dns_safe("ab"));
	CHECK(!endpoint_s3_bucket_dns_safe("-abc"));
	CHECK(!endpoint_s3_bucket_dns_safe("abc-"));
	CHECK(!endpoint_s3_bucket_dns_safe("a.bc"));
	CHECK(!endpoint_s3_bucket_dns_safe("aBc"));

	/* keys: the file key and the listing prefix of a directory */
	struct storage_url u;
	struct endpoint_s3 e;
	parse("s3://b1b/tables/t1", &u);
	CHECK(endpoint_s3_init(&e, "s3://b1b/tables/t1", &u, NULL, false, NULL) == 0);
	CHECK(!e.path_style && !e.ep_origin);
	char *k = endpoint_s3_key(&e, "", false);
	CHECK_STR(k, "tables/t1");
	free(k);
	k = endpoint_s3_key(&e, NULL, true);
	CHECK_STR(k, "tables/t1/");
	free(k);
	k = endpoint_s3_key(&e, "part=a%20b", true);
	CHECK_STR(k, "tables/t1/part=a%20b/");
	free(k);
	endpoint_s3_free(&e);
	storage_url_free(&u);
	parse("s3://b1b", &u);
	CHECK(endpoint_s3_init(&e, "s3://b1b", &u, "", false, NULL) == 0);
	k = endpoint_s3_key(&e, "", true);
	CHECK_STR(k, "");
	free(k);
	k = endpoint_s3_key(&e, "d", true);
	CHECK_STR(k, "d/");
	free(k);
	endpoint_s3_free(&e);

	/* custom endpoint implies path style; bad endpoints */
	CHECK(endpoint_s3_init(&e, "s3://b1b", &u, "http://localhost:9000", false, NULL) == 0);
	CHECK(e.path_style);
	CHECK_STR(e.ep_origin, "http://localhost:9000");
	CHECK_STR(e.ep_host, "localhost:9000");
	CHECK_STR(e.ep_base, "");
	endpoint_s3_free(&e);
	char *err = NULL;
	CHECK(endpoint_s3_init(&e, "s3://b1b", &u, "ftp://x.example", false, &err) == -EINVAL);
	CHECK(err && strstr(err, "ftp://x.example") && strstr(err, "http(s)"));
	CHECK(e.bucket == NULL && e.ep_origin == NULL);
	free(err);
	err = NULL;
	CHECK(endpoint_s3_init(&e, "s3://b1b", &u, "not a url", false, &err) == -EINVAL);
	CHECK(err != NULL);
	free(err);
	endpoint_s3_free(&e); /* safe on a zeroed struct */
	storage_url_free(&u);

	/* no bucket */
	struct storage_url nb = {.scheme = SCHEME_S3, .bucket = (char *)"", .prefix = (char *)""};
	err = NULL;
	CHECK(endpoint_s3_init(&e, "s3:///x", &nb, NULL, false, &err) == -EINVAL);
	CHECK(err && strstr(err, "s3:///x") && strstr(err, "missing bucket"));
	free(err);

	/* bad access point ARNs */
	parse("s3://b1b/t", &u);
	CHECK(endpoint_s3_init(&e, "s3://b1b/t", &u, NULL, false, NULL) == 0);
	static const char *const bad_arns[] = {
		"arn:aws:sqs:us-east-1:123:accesspoint/ap1",
		"arn:aws:s3:::my-bucket",
		"arn:aws:s3:us-east-1:123:bucket/b",
		"arn:aws:s3:us-east-1::accesspoint/ap1",
		"arn:aws:s3:us-east-1:123:accesspoint/",
		"arn:aws:s3:us-east-1:123:accesspoint/a/b",
		"arn:aws:s3:US-EAST-1:123:accesspoint/ap1",
		"arn:aws:s3:us-east-1:123:accesspoint/Bad_Name",
		"arn:aws:s3",
	};
	for (size_t i = 0; i < sizeof(bad_arns) / sizeof(bad_arns[0]); i++) {
		struct endpoint_s3_target t;
		CHECK(endpoint_s3_target(&e, bad_arns[i], "us-east-1", false, &t) == -EINVAL);
		CHECK(t.origin == NULL && t.host == NULL && t.base == NULL);
		endpoint_s3_target_free(&t);
	}
	/* an empty access point is none */
	struct endpoint_s3_target t;
	CHECK(endpoint_s3_target(&e, "", "us-east-2", false, &t) == 0);
	CHECK_STR(t.host, "b1b.s3.us-east-2.amazonaws.com");
	char *path = NULL, *url = NULL;
	/* a request with a query */
	CHECK(endpoint_s3_request(&t, NULL, "list-type=2&prefix=", &path, &url) == 0);
	CHECK_STR(path, "/");
	CHECK_STR(url, "https://b1b.s3.us-east-2.amazonaws.com/?list-type=2&prefix=");
	free(path);
	free(url);
	CHECK(endpoint_s3_request(&t, "t/k", "", &path, &url) == 0);
	CHECK_STR(url, "https://b1b.s3.us-east-2.amazonaws.com/t/k");
	free(path);
	free(url);
	endpoint_s3_target_free(&t);
	endpoint_s3_free(&e);
	storage_url_free(&u);
}

/* Every name=value of Q survives SigV4 canonicalisation unchanged, so what
 * is sent is what is signed. */
static void check_canonical(const char *q)
{
	char *canon = NULL;
	CHECK(sigv4_canonical_query(q, &canon) == 0);
	char *dup = strdup(q);
	for (char *save = NULL, *tok = strtok_r(dup, "&", &save); tok;
	     tok = strtok_r(NULL, "&", &save)) {
		size_t n = strlen(tok);
		const char *p = canon ? strstr(canon, tok) : NULL;
		CHECK(p && (p == canon || p[-1] == '&') && (p[n] == '&' || !p[n]));
	}
	free(dup);
	free(canon);
}

static void test_s3_list_query(void)
{
	struct {
		const char *pfx;
		int max;
		const char *token, *want;
	} c[] = {
		{"", 0, NULL, "list-type=2&prefix=&delimiter=%2F&encoding-type=url"},
		{"tables/t1/", 0, NULL,
		 "list-type=2&prefix=tables%2Ft1%2F&delimiter=%2F&encoding-type=url"},
		{"tables/t1/part=a b/", 2, NULL,
		 "list-type=2&prefix=tables%2Ft1%2Fpart%3Da%20b%2F&delimiter=%2F&encoding-type=url"
		 "&max-keys=2"},
		{"t/100%+#?/", 0, "1/ab+c=",
		 "list-type=2&prefix=t%2F100%25%2B%23%3F%2F&delimiter=%2F&encoding-type=url"
		 "&continuation-token=1%2Fab%2Bc%3D"},
		{"caf\xc3\xa9/", 1000, "tok",
		 "list-type=2&prefix=caf%C3%A9%2F&delimiter=%2F&encoding-type=url&max-keys=1000"
		 "&continuation-token=tok"},
		{NULL, -1, NULL, "list-type=2&prefix=&delimiter=%2F&encoding-type=url"},
	};
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		char *q = endpoint_s3_list_query(c[i].pfx, c[i].max, c[i].token);
		CHECK_STR(q, c[i].want);
		if (q)
			check_canonical(q);
		free(q);
	}
}

/* ---------------- Azure ---------------- */

struct az_case {
	const char *loc, *endpoint, *rel, *sas;
	const char *base_url, *url;
};

static void az_case(const struct az_case *c)
{
	struct storage_url u;
	parse(c->loc, &u);
	struct endpoint_azure e;
	char *err = NULL;
	int r = endpoint_azure_init(&e, c->loc, &u, c->endpoint, &err);
	CHECK(r == 0);
	if (!r) {
		CHECK_STR(e.base_url, c->base_url);
		char *key = endpoint_join_key(e.prefix, c->rel);
		char *path = endpoint_azure_blob_path(key);
		char *url = endpoint_azure_url(&e, path, NULL, c->sas);
		CHECK_STR(url, c->url);
		free(key);
		free(path);
		free(url);
	} else {
		fprintf(stderr, "init %s: %s\n", c->loc, err ? err : "?");
	}
	free(err);
	endpoint_azure_free(&e);
	storage_url_free(&u);
}

static void test_azure(void)
{
	static const struct az_case cases[] = {
		/* ADLS Gen2 dfs host -> blob host, every scheme */
		{"abfss://cont@acct.dfs.core.windows.net/tables/t1", NULL, "a.parquet", NULL,
		 "https://acct.blob.core.windows.net/cont",
		 "https://acct.blob.core.windows.net/cont/tables/t1/a.parquet"},
		{"abfs://cont@acct.dfs.core.windows.net/tables/t1/", NULL, "a.parquet", NULL,
		 "https://acct.blob.core.windows.net/cont",
		 "https://acct.blob.core.windows.net/cont/tables/t1/a.parquet"},
		{"wasbs://cont@acct.blob.core.windows.net/tables/t1", NULL, "a.parquet", NULL,
		 "https://acct.blob.core.windows.net/cont",
		 "https://acct.blob.core.windows.net/cont/tables/t1/a.parquet"},
		{"wasb://cont@acct.blob.core.windows.net/tables/t1", NULL, "a.parquet", NULL,
		 "https://acct.blob.core.windows.net/cont",
		 "https://acct.blob.core.windows.net/cont/tables/t1/a.parquet"},
		/* sovereign clouds keep their suffix */
		{"abfss://cont@acct.dfs.core.chinacloudapi.cn/t", NULL, "x", NULL,
		 "https://acct.blob.core.chinacloudapi.cn/cont",
		 "https://acct.blob.core.chinacloudapi.cn/cont/t/x"},
		{"abfss://cont@acct.dfs.core.usgovcloudapi.net/t", NULL, "x", NULL,
		 "https://acct.blob.core.usgovcloudapi.net/cont",
		 "https://acct.blob.core.usgovcloudapi.net/cont/t/x"},
		/* keys that need encoding ('/' kept), unicode */
		{"abfss://cont@acct.dfs.core.windows.net/tables/t1", NULL, HARD_REL, NULL,
		 "https://acct.blob.core.windows.net/cont",
		 "https://acct.blob.core.windows.net/cont/tables/t1/" HARD_REL_S3},
		{"abfss://cont@acct.dfs.core.windows.net", NULL, UNI_REL, NULL,
		 "https://acct.blob.core.windows.net/cont",
		 "https://acct.blob.core.windows.net/cont/" UNI_REL_ENC},
		/* table root */
		{"abfss://cont@acct.dfs.core.windows.net/tables/t1", NULL, "", NULL,
		 "https://acct.blob.core.windows.net/cont",
		 "https://acct.blob.core.windows.net/cont/tables/t1"},
		/* SAS appended, a leading '?' ignored */
		{"abfss://cont@acct.dfs.core.windows.net/t", NULL, "x", "sv=2021-08-06&sig=a%2Bb",
		 "https://acct.blob.core.windows.net/cont",
		 "https://acct.blob.core.windows.net/cont/t/x?sv=2021-08-06&sig=a%2Bb"},
		{"abfss://cont@acct.dfs.core.windows.net/t", NULL, "x", "??sv=1&sig=z",
		 "https://acct.blob.core.windows.net/cont",
		 "https://acct.blob.core.windows.net/cont/t/x?sv=1&sig=z"},
		{"abfss://cont@acct.dfs.core.windows.net/t", NULL, "x", "?",
		 "https://acct.blob.core.windows.net/cont",
		 "https://acct.blob.core.windows.net/cont/t/x"},
		/* endpoint override: Azurite (path-style account), trailing '/' dropped */
		{"abfss://cont@devstoreaccount1.dfs.core.windows.net/tables/t1",
		 "https://127.0.0.1:10000/devstoreaccount1/", HARD_REL, "sig=s",
		 "https://127.0.0.1:10000/devstoreaccount1/cont",
		 "https://127.0.0.1:10000/devstoreaccount1/cont/tables/t1/" HARD_REL_S3 "?sig=s"},
		{"wasbs://cont@acct.blob.core.windows.net/t", "https://acct.blob.core.example.gov", "x",
		 NULL, "https://acct.blob.core.example.gov/cont",
		 "https://acct.blob.core.example.gov/cont/t/x"},
		/* a container that needs encoding */
		{"abfss://$logs@acct.dfs.core.windows.net/t", NULL, "x", NULL,
		 "https://acct.blob.core.windows.net/%24logs",
		 "https://acct.blob.core.windows.net/%24logs/t/x"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		az_case(&cases[i]);

	/* the blob endpoint on its own */
	char *ep = endpoint_azure_blob_endpoint("acct.dfs.core.windows.net", NULL);
	CHECK_STR(ep, "https://acct.blob.core.windows.net");
	free(ep);
	ep = endpoint_azure_blob_endpoint("acct.dfs.core.windows.net", "");
	CHECK_STR(ep, "https://acct.blob.core.windows.net");
	free(ep);
	ep = endpoint_azure_blob_endpoint("acct.blob.core.windows.net", NULL);
	CHECK_STR(ep, "https://acct.blob.core.windows.net");
	free(ep);
	ep = endpoint_azure_blob_endpoint("nodot", NULL);
	CHECK_STR(ep, "https://nodot");
	free(ep);
	ep = endpoint_azure_blob_endpoint("x.dfs.y", "http://127.0.0.1:10000/acct///");
	CHECK_STR(ep, "http://127.0.0.1:10000/acct");
	free(ep);

	/* listing URL (container, query, SAS) */
	struct storage_url u;
	struct endpoint_azure e;
	parse("abfss://cont@acct.dfs.core.windows.net/tables/t1", &u);
	CHECK(endpoint_azure_init(&e, "abfss://...", &u, NULL, NULL) == 0);
	CHECK_STR(e.prefix, "tables/t1");
	CHECK_STR(e.account, "acct");
	CHECK_STR(e.container, "cont");
	char *key = endpoint_join_key(e.prefix, "part=a b");
	char *pfx = endpoint_dir_prefix(key);
	char *q = endpoint_azure_list_query(pfx, NULL, 0);
	CHECK_STR(q, "restype=container&comp=list&prefix=tables%2Ft1%2Fpart%3Da%20b%2F"
		     "&delimiter=%2F&include=metadata");
	char *url = endpoint_azure_url(&e, "", q, "?sv=1&sig=s");
	CHECK_STR(url, "https://acct.blob.core.windows.net/cont?restype=container&comp=list"
		       "&prefix=tables%2Ft1%2Fpart%3Da%20b%2F&delimiter=%2F&include=metadata"
		       "&sv=1&sig=s");
	cloud_free_secret(url);
	url = endpoint_azure_url(&e, "", q, NULL);
	CHECK(url && !strcmp(strchr(url, '?') + 1, q));
	free(url);
	free(q);
	q = endpoint_azure_list_query("t/100%+#?/", "2!88!MDAw/+=", 1);
	CHECK_STR(q, "restype=container&comp=list&prefix=t%2F100%25%2B%23%3F%2F&delimiter=%2F"
		     "&include=metadata&marker=2%2188%21MDAw%2F%2B%3D&maxresults=1");
	free(q);
	q = endpoint_azure_list_query("", NULL, 5000);
	CHECK_STR(q, "restype=container&comp=list&prefix=&delimiter=%2F&include=metadata"
		     "&maxresults=5000");
	free(q);
	char *root = endpoint_dir_prefix("");
	q = endpoint_azure_list_query(root, "m", -1);
	CHECK_STR(q, "restype=container&comp=list&prefix=&delimiter=%2F&include=metadata&marker=m");
	free(q);
	free(root);
	free(pfx);
	free(key);
	/* the table root as a listing prefix, with and without a trailing '/' */
	key = endpoint_join_key(e.prefix, "");
	pfx = endpoint_dir_prefix(key);
	CHECK_STR(pfx, "tables/t1/");
	free(pfx);
	free(key);
	endpoint_azure_free(&e);
	storage_url_free(&u);

	/* locations that cannot be addressed */
	static const char *const bad[] = {
		"abfss://cont@acct/t",
		"abfss://cont@.dfs.core.windows.net/t",
		"abfss://cont@acct./t",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *err = NULL;
		parse(bad[i], &u);
		CHECK(endpoint_azure_init(&e, bad[i], &u, NULL, &err) == -EINVAL);
		CHECK(err && strstr(err, bad[i]) && strstr(err, "CONTAINER@ACCOUNT"));
		CHECK(e.base_url == NULL);
		free(err);
		storage_url_free(&u);
	}
	struct storage_url nc = {.scheme = SCHEME_AZURE, .container = (char *)"",
				 .host = (char *)"acct.dfs.core.windows.net"};
	CHECK(endpoint_azure_init(&e, "x", &nc, NULL, NULL) == -EINVAL);
}

/* ---------------- GCS ---------------- */

static void test_gcs(void)
{
	struct {
		const char *in, *want;
	} origins[] = {
		{NULL, "https://storage.googleapis.com"},
		{"", "https://storage.googleapis.com"},
		{"localhost:4443", "http://localhost:4443"},
		{"127.0.0.1:9023/", "http://127.0.0.1:9023"},
		{"http://127.0.0.1:9023/", "http://127.0.0.1:9023"},
		{"https://gcs.example.com", "https://gcs.example.com"},
		{"https://gcs.example.com/base//", "https://gcs.example.com/base"},
	};
	for (size_t i = 0; i < sizeof(origins) / sizeof(origins[0]); i++) {
		char *o = endpoint_gcs_origin(origins[i].in);
		CHECK_STR(o, origins[i].want);
		free(o);
	}
	/* configured endpoint wins over STORAGE_EMULATOR_HOST */
	CHECK_STR(endpoint_pick("https://conf.example", "localhost:4443", NULL),
		  "https://conf.example");
	CHECK_STR(endpoint_pick(NULL, "localhost:4443", NULL), "localhost:4443");

	struct storage_url u;
	struct endpoint_gcs e;
	char *err = NULL;
	parse("gs://my-bucket/tables/t1/", &u);
	CHECK(endpoint_gcs_init(&e, "gs://my-bucket/tables/t1/", &u, NULL, &err) == 0);
	CHECK_STR(e.base_url, "https://storage.googleapis.com/storage/v1/b/my-bucket");
	CHECK_STR(e.prefix, "tables/t1");
#define G "https://storage.googleapis.com/storage/v1/b/my-bucket"
	struct {
		const char *rel, *meta, *media;
	} objs[] = {
		{"a.parquet", G "/o/tables%2Ft1%2Fa.parquet", G "/o/tables%2Ft1%2Fa.parquet?alt=media"},
		{"", G "/o/tables%2Ft1", G "/o/tables%2Ft1?alt=media"},
		{NULL, G "/o/tables%2Ft1", G "/o/tables%2Ft1?alt=media"},
		{HARD_REL, G "/o/tables%2Ft1%2Fpart%3Da%2520b%2Fx%20y%2Bz%231%3F.parquet",
		 G "/o/tables%2Ft1%2Fpart%3Da%2520b%2Fx%20y%2Bz%231%3F.parquet?alt=media"},
		{UNI_REL, G "/o/tables%2Ft1%2Fcaf%C3%A9%2F%E2%82%AC.parquet",
		 G "/o/tables%2Ft1%2Fcaf%C3%A9%2F%E2%82%AC.parquet?alt=media"},
	};
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		char *key = endpoint_join_key(e.prefix, objs[i].rel);
		char *m = endpoint_gcs_object_url(&e, key);
		char *c = endpoint_gcs_media_url(&e, key, NULL);
		CHECK_STR(m, objs[i].meta);
		CHECK_STR(c, objs[i].media);
		free(m);
		free(c);
		free(key);
	}
	char *c = endpoint_gcs_media_url(&e, "tables/t1/a b", "1712345678901234");
	CHECK_STR(c, G "/o/tables%2Ft1%2Fa%20b?alt=media&ifGenerationMatch=1712345678901234");
	free(c);
	c = endpoint_gcs_media_url(&e, "k", "1&x=y");
	CHECK_STR(c, G "/o/k?alt=media&ifGenerationMatch=1%26x%3Dy");
	free(c);

	/* listings */
	char *l = endpoint_gcs_list_url(&e, "tables/t1/", NULL, 0);
	CHECK_STR(l, G "/o?prefix=tables%2Ft1%2F&delimiter=%2F");
	free(l);
	l = endpoint_gcs_list_url(&e, "tables/t1/part=a b/", "CgR0ZXN0/+=", 2);
	CHECK_STR(l, G "/o?prefix=tables%2Ft1%2Fpart%3Da%20b%2F&delimiter=%2F"
		       "&pageToken=CgR0ZXN0%2F%2B%3D&maxResults=2");
	free(l);
	l = endpoint_gcs_list_url(&e, "", NULL, 1);
	CHECK_STR(l, G "/o?prefix=&delimiter=%2F&maxResults=1");
	free(l);
	l = endpoint_gcs_list_url(&e, "t/100%+#?/", "tok", -1);
	CHECK_STR(l, G "/o?prefix=t%2F100%25%2B%23%3F%2F&delimiter=%2F&pageToken=tok");
	free(l);
#undef G
	endpoint_gcs_free(&e);
	storage_url_free(&u);

	/* the emulator, with and without a scheme; bucket with dots; table root */
	parse("gs://my.bucket", &u);
	CHECK(endpoint_gcs_init(&e, "gs://my.bucket", &u, "localhost:4443", NULL) == 0);
	CHECK_STR(e.base_url, "http://localhost:4443/storage/v1/b/my.bucket");
	CHECK_STR(e.prefix, "");
	char *key = endpoint_join_key(e.prefix, "");
	char *pfx = endpoint_dir_prefix(key);
	l = endpoint_gcs_list_url(&e, pfx, NULL, 0);
	CHECK_STR(l, "http://localhost:4443/storage/v1/b/my.bucket/o?prefix=&delimiter=%2F");
	free(l);
	free(pfx);
	free(key);
	c = endpoint_gcs_media_url(&e, "d/x", NULL);
	CHECK_STR(c, "http://localhost:4443/storage/v1/b/my.bucket/o/d%2Fx?alt=media");
	free(c);
	endpoint_gcs_free(&e);
	CHECK(endpoint_gcs_init(&e, "gs://my.bucket", &u, "https://127.0.0.1:4443/", NULL) == 0);
	CHECK_STR(e.base_url, "https://127.0.0.1:4443/storage/v1/b/my.bucket");
	endpoint_gcs_free(&e);
	storage_url_free(&u);

	struct storage_url nb = {.scheme = SCHEME_GCS, .bucket = (char *)""};
	err = NULL;
	CHECK(endpoint_gcs_init(&e, "gs:///x", &nb, NULL, &err) == -EINVAL);
	CHECK(err && strstr(err, "gs:///x") && strstr(err, "gs://BUCKET/PATH"));
	CHECK(e.base_url == NULL);
	free(err);
}

/* ---------------- Content-Range ---------------- */

static void cr_ok(const char *v, uint64_t f, uint64_t l, uint64_t t)
{
	uint64_t a = 1, b = 2, c = 3;
	CHECK(endpoint_parse_content_range(v, &a, &b, &c) == 0);
	CHECK(a == f && b == l && c == t);
}

static void cr_bad(const char *v)
{
	uint64_t a, b, c;
	CHECK(endpoint_parse_content_range(v, &a, &b, &c) == -EINVAL);
}

/* cloud_check_range on a synthetic answer. */
static int check_range(long status, const char *cr, size_t body_len, uint64_t off, size_t want,
		       uint64_t size, const char **why)
{
	char hdrs[256];
	snprintf(hdrs, sizeof(hdrs), "Content-Type: application/octet-stream\r\n%s%s%s",
		 cr ? "Content-Range: " : "", cr ? cr : "", cr ? "\r\n" : "");
	char *body = calloc(1, body_len + 1);
	struct http_response r = {.status = status, .body = body, .body_len = body_len,
				  .headers = hdrs};
	*why = NULL;
	int ret = cloud_check_range(&r, off, want, size, why);
	free(body);
	return ret;
}

static void test_content_range(void)
{
	cr_ok("bytes 0-99/1000", 0, 99, 1000);
	cr_ok("bytes=0-0/1", 0, 0, 1);
	cr_ok("  bytes 5-9/*", 5, 9, UINT64_MAX);
	cr_ok("BYTES 1-2/3  ", 1, 2, 3);
	cr_ok("bytes 7-7/8", 7, 7, 8);
	cr_ok("bytes 0-18446744073709551614/18446744073709551615", 0, UINT64_MAX - 1,
	      UINT64_MAX);
	cr_bad(NULL);
	cr_bad("");
	cr_bad("garbage");
	cr_bad("bytes");
	cr_bad("bytes0-9/10");
	cr_bad("bytes 10-5/100"); /* last before first */
	cr_bad("bytes 0-99/");
	cr_bad("bytes 0-99");
	cr_bad("bytes */1000"); /* unsatisfied-range form is not a range */
	cr_bad("bytes -1-5/10");
	cr_bad("bytes 0--5/10");
	cr_bad("bytes 0-9/10x");
	cr_bad("bytes 0-9/10 x");
	cr_bad("bytes 0-9/*x");
	cr_bad("bytes 0-18446744073709551616/1"); /* overflow */
	cr_bad("items 0-9/10");
	cr_bad("bytes 0x0-9/10");

	const char *why;
	/* exactly the range asked for */
	CHECK(check_range(206, "bytes 100-199/1000", 100, 100, 100, 1000, &why) == 0);
	CHECK(check_range(206, "bytes=0-0/1", 1, 0, 1, 1, &why) == 0);
	/* mismatched start, end, total */
	CHECK(check_range(206, "bytes 101-199/1000", 99, 100, 100, 1000, &why) == -EIO);
	CHECK(why && strstr(why, "not the range"));
	CHECK(check_range(206, "bytes 100-198/1000", 99, 100, 100, 1000, &why) == -EIO);
	CHECK(why && strstr(why, "not the range"));
	CHECK(check_range(206, "bytes 100-199/1001", 100, 100, 100, 1000, &why) == -EIO);
	CHECK(why && strstr(why, "size changed"));
	/* '*' total is not the size the object was opened with */
	CHECK(check_range(206, "bytes 100-199/*", 100, 100, 100, 1000, &why) == -EIO);
	CHECK(why && strstr(why, "size changed"));
	/* garbage or missing Content-Range */
	CHECK(check_range(206, "bytes garbage", 100, 100, 100, 1000, &why) == -EIO);
	CHECK(why && strstr(why, "valid Content-Range"));
	CHECK(check_range(206, NULL, 100, 100, 100, 1000, &why) == -EIO);
	CHECK(why && strstr(why, "valid Content-Range"));
	/* short or long body */
	CHECK(check_range(206, "bytes 100-199/1000", 99, 100, 100, 1000, &why) == -EIO);
	CHECK(why && strstr(why, "body length"));
	CHECK(check_range(206, "bytes 100-199/1000", 101, 100, 100, 1000, &why) == -EIO);
	/* 200: only for the whole object */
	CHECK(check_range(200, NULL, 1000, 0, 1000, 1000, &why) == 0);
	CHECK(check_range(200, NULL, 1000, 0, 100, 1000, &why) == -EIO);
	CHECK(why && strstr(why, "ignored the byte range"));
	CHECK(check_range(416, NULL, 0, 0, 100, 1000, &why) == -EIO);
}

int main(void)
{
	test_shared();
	test_s3_addressing();
	test_s3_misc();
	test_s3_list_query();
	test_azure();
	test_gcs();
	test_content_range();
	return check_done();
}
