/*
 * test_listing.c - S3 / Azure / GCS listing parsers on recorded answers.
 *
 * The answers in tests/unit/data/ were written by hand after the response
 * examples of the services' documentation (S3 ListObjectsV2 "Response
 * Syntax"/examples, Azure Blob "List Blobs" response body, GCS JSON API
 * objects.list response and object resource) with table-shaped content:
 * partition directories ("part=a%20b/"), _delta_log with 20-digit commits,
 * directory markers, names with XML-escaped and non-ASCII characters, a
 * truncated page with its continuation token, an empty listing, error
 * documents and malformed answers. The test finds them through
 * $UCFS_TEST_DATA (set by meson) or tests/unit/data.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "storage/listing.h"
#include "storage/storage.h"
#include "util/strutil.h"

static char *load(const char *name, size_t *len)
{
	const char *dir = getenv("UCFS_TEST_DATA");
	char *path = xasprintf("%s/%s", dir ? dir : "tests/unit/data", name);
	FILE *f = path ? fopen(path, "rb") : NULL;
	char *buf = NULL;
	long n;
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path ? path : name);
		free(path);
		exit(2);
	}
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		fprintf(stderr, "cannot read %s\n", path);
		exit(2);
	}
	fclose(f);
	free(path);
	return buf;
}

typedef int (*parse_fn)(const char *, size_t, const char *, struct storage_list *, char **, char **);

static void entry(const struct storage_list *l, size_t i, const char *name, bool is_dir, uint64_t size,
		  time_t sec, long nsec, const char *etag)
{
	if (i >= l->n) {
		CHECK(i < l->n);
		return;
	}
	const struct storage_entry *e = &l->items[i];
	CHECK_STR(e->name, name);
	CHECK(e->is_dir == is_dir);
	CHECK(e->size == size);
	CHECK(e->mtime.tv_sec == sec);
	CHECK(e->mtime.tv_nsec == nsec);
	if (etag)
		CHECK_STR(e->etag, etag);
	else
		CHECK(e->etag == NULL);
}

static void dir(const struct storage_list *l, size_t i, const char *name) { entry(l, i, name, true, 0, 0, 0, NULL); }

/* Parse FILE (or the first LEN bytes of TEXT) expecting -EBADMSG with a reason
 * containing WHY; *out and the token must stay as they were. */
static void bad_text(parse_fn fn, const char *text, size_t len, const char *prefix, const char *why)
{
	struct storage_list out = {0};
	char *tok = xstrdup("previous-token"), *err = NULL;
	/* pre-fill with one entry so "nothing appended" is visible */
	out.items = calloc(1, sizeof(*out.items));
	out.items[0].name = xstrdup("keep");
	out.n = 1;
	int rc = fn(text, len, prefix, &out, &tok, &err);
	CHECK(rc == -EBADMSG);
	if (rc != -EBADMSG)
		fprintf(stderr, "  got %d for a bad answer (%s)\n", rc, why);
	CHECK(out.n == 1 && str_eq(out.items[0].name, "keep"));
	CHECK_STR(tok, "previous-token");
	CHECK(err != NULL);
	if (why && err && !strstr(err, why)) {
		CHECK(!"error reason");
		fprintf(stderr, "  reason \"%s\" lacks \"%s\"\n", err, why);
	}
	free(err);
	free(tok);
	storage_list_free(&out);
}

static void bad_file(parse_fn fn, const char *file, const char *prefix, const char *why)
{
	size_t len;
	char *doc = load(file, &len);
	fprintf(stderr, "malformed: %s\n", file);
	bad_text(fn, doc, len, prefix, why);
	free(doc);
}

static void bad_str(parse_fn fn, const char *doc, const char *prefix, const char *why)
{
	bad_text(fn, doc, strlen(doc), prefix, why);
}

/* Every cut of a good answer before its end is malformed, never a crash. */
static void truncations(parse_fn fn, const char *file, const char *prefix, const char *end_marker)
{
	size_t len, fails = 0;
	char *doc = load(file, &len);
	const char *end = strstr(doc, end_marker);
	size_t upto = end ? (size_t)(end - doc) + strlen(end_marker) : len;
	for (size_t cut = 0; cut < upto; cut++) {
		struct storage_list out = {0};
		char *tok = NULL, *err = NULL;
		/* a copy of exactly CUT bytes, so ASan sees any read past it */
		char *part = malloc(cut ? cut : 1);
		memcpy(part, doc, cut);
		int rc = fn(part, cut, prefix, &out, &tok, &err);
		if (rc != -EBADMSG || out.n || tok || !err) {
			fails++;
			fprintf(stderr, "%s cut at %zu: rc %d\n", file, cut, rc);
		}
		storage_list_free(&out);
		free(tok);
		free(err);
		free(part);
	}
	CHECK(fails == 0);
	CHECK(upto > 100);
	free(doc);
}

static int parse_file(parse_fn fn, const char *file, const char *prefix, struct storage_list *out,
		      char **tok)
{
	size_t len;
	char *doc = load(file, &len), *err = NULL;
	int rc = fn(doc, len, prefix, out, tok, &err);
	if (rc)
		fprintf(stderr, "%s: %d %s\n", file, rc, err ? err : "");
	CHECK(err == NULL);
	free(err);
	free(doc);
	return rc;
}

static void test_s3(void)
{
	struct storage_list out = {0};
	char *tok = NULL;

	CHECK(parse_file(listing_parse_s3, "s3_list_page1.xml", "warehouse/sales/", &out, &tok) == 0);
	CHECK(out.n == 5);
	entry(&out, 0, "part-00000-7c2d3e4f-1a2b-4c5d-8e9f-0a1b2c3d4e5f-c000.snappy.parquet", false, 1048576,
	      1709288131, 123000000, "9b2cf535f27731c974343645a3985328");
	entry(&out, 1, "Tom & Jerry <notes> 100%.txt", false, 12, 1709337600, 0, "5d41402abc4b2a76b9719d911017c592-2");
	entry(&out, 2, "caf\xc3\xa9-\xe6\x97\xa5\xe6\x9c\xac.csv", false, UINT64_MAX, 1709368200, 500000000,
	      "e99a18c428cb38d5f260853678922e03");
	dir(&out, 3, "_delta_log");
	dir(&out, 4, "part=a%20b");
	CHECK_STR(tok, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");

	/* the next page appends; "warehouse/sales//" cannot be shown and is skipped */
	CHECK(parse_file(listing_parse_s3, "s3_list_page2.xml", "warehouse/sales/", &out, &tok) == 0);
	CHECK(out.n == 7);
	entry(&out, 5, "zz.json", false, 1, 1709467200, 0, "0cc175b9c0f1b6a831c399e269772661");
	dir(&out, 6, "part=c");
	CHECK(tok == NULL);
	storage_list_free(&out);

	CHECK(parse_file(listing_parse_s3, "s3_delta_log.xml", "warehouse/sales/_delta_log/", &out, &tok) == 0);
	CHECK(out.n == 6);
	entry(&out, 0, "00000000000000000000.json", false, 2154, 1709288129, 0, "3b5d5c3712955042212316173ccf37be");
	entry(&out, 1, "00000000000000000009.json", false, 1210, 1709622000, 0, "2063c1608d6e0baf80249c42e2be5804");
	entry(&out, 2, "00000000000000000010.checkpoint.parquet", false, 34567, 1709622001, 0,
	      "6f8db599de986fab7a21625b7916589c-1");
	entry(&out, 3, "00000000000000000010.json", false, 987, 1709622000, 900000000,
	      "a87ff679a2f3e71d9181a67b7542122c");
	entry(&out, 4, "_last_checkpoint", false, 36, 1709622002, 0, "e4da3b7fbbce2345d7772b0674a318d5");
	dir(&out, 5, "_commits");
	CHECK(tok == NULL);
	storage_list_free(&out);

	CHECK(parse_file(listing_parse_s3, "s3_empty.xml", "warehouse/empty/", &out, &tok) == 0);
	CHECK(out.n == 0 && out.items == NULL && tok == NULL);

	/* encoding-type=url: keys come %-encoded with '+' for spaces */
	CHECK(parse_file(listing_parse_s3, "s3_url_encoded.xml", "warehouse/t+1/", &out, NULL) == 0);
	CHECK(out.n == 2);
	entry(&out, 0, "a b+c%d\x01.txt", false, 0, 1709288130, 0, "d41d8cd98f00b204e9800998ecf8427e");
	dir(&out, 1, "part=x y");
	storage_list_free(&out);

	/* the bucket root: prefix "" */
	const char *root = "<ListBucketResult><Prefix></Prefix><IsTruncated>false</IsTruncated>"
			   "<Contents><Key>top.txt</Key><LastModified>2024-03-01T10:15:30Z</LastModified>"
			   "<Size>5</Size></Contents><CommonPrefixes><Prefix>tables/</Prefix></CommonPrefixes>"
			   "</ListBucketResult>";
	char *err = NULL;
	CHECK(listing_parse_s3(root, strlen(root), "", &out, &tok, &err) == 0);
	CHECK(out.n == 2 && err == NULL);
	entry(&out, 0, "top.txt", false, 5, 1709288130, 0, NULL);
	dir(&out, 1, "tables");
	storage_list_free(&out);

	bad_file(listing_parse_s3, "s3_error.xml", "warehouse/sales/", "<Error>");
	bad_file(listing_parse_s3, "s3_bad_size.xml", "warehouse/sales/", "12kB");
	bad_file(listing_parse_s3, "s3_missing_key.xml", "warehouse/sales/", "without a name");
	bad_file(listing_parse_s3, "s3_truncated_no_token.xml", "warehouse/sales/", "NextContinuationToken");
	bad_file(listing_parse_s3, "s3_doctype.xml", "", "DOCTYPE");
	bad_file(listing_parse_s3, "s3_list_page1.xml", "warehouse/other/", "answer is for prefix");
	bad_file(listing_parse_azure, "s3_list_page1.xml", "warehouse/sales/", "<ListBucketResult>");
	truncations(listing_parse_s3, "s3_list_page1.xml", "warehouse/sales/", "</ListBucketResult>");
	bad_str(listing_parse_s3, "", "", "XML");
	bad_str(listing_parse_s3, "not xml at all", "", "XML");
	bad_str(listing_parse_s3, "<ListBucketResult><Contents><Key>a</Key>", "", "XML");
	bad_str(listing_parse_s3, "<ListBucketResult></ListBucketResult><extra/>", "", "XML");
	bad_str(listing_parse_s3,
		"<ListBucketResult><Contents><Key>elsewhere/a</Key><Size>1</Size>"
		"<LastModified>2024-03-01T10:15:30Z</LastModified></Contents></ListBucketResult>",
		"warehouse/", "outside the prefix");
	bad_str(listing_parse_s3,
		"<ListBucketResult><Contents><Key>a</Key><Size>1</Size>"
		"<LastModified>yesterday</LastModified></Contents></ListBucketResult>",
		"", "yesterday");
	bad_str(listing_parse_s3,
		"<ListBucketResult><Contents><Key>a</Key><Size>1</Size></Contents></ListBucketResult>", "",
		"modification time");
	bad_str(listing_parse_s3,
		"<ListBucketResult><Contents><Key>a</Key><LastModified>2024-03-01T10:15:30Z</LastModified>"
		"</Contents></ListBucketResult>",
		"", "no size");
	bad_str(listing_parse_s3,
		"<ListBucketResult><Contents><Key>a</Key><Size>18446744073709551616</Size>"
		"<LastModified>2024-03-01T10:15:30Z</LastModified></Contents></ListBucketResult>",
		"", "18446744073709551616");
	bad_str(listing_parse_s3, "<ListBucketResult><IsTruncated>maybe</IsTruncated></ListBucketResult>", "",
		"IsTruncated");
	bad_str(listing_parse_s3, "<ListBucketResult><EncodingType>base64</EncodingType></ListBucketResult>", "",
		"EncodingType");
	bad_str(listing_parse_s3,
		"<ListBucketResult><EncodingType>url</EncodingType><CommonPrefixes><Prefix>a%zz/</Prefix>"
		"</CommonPrefixes></ListBucketResult>",
		"", "URL encoding");
	/* an invalid XML character reference is an XML error, not a truncated name */
	bad_str(listing_parse_s3,
		"<ListBucketResult><CommonPrefixes><Prefix>a&#0;b/</Prefix></CommonPrefixes></ListBucketResult>",
		"", "XML");

	/* prefix must be "" or end in '/' */
	CHECK(listing_parse_s3("<ListBucketResult/>", 19, "warehouse", &out, &tok, &err) == -EINVAL);
	CHECK(listing_parse_s3(NULL, 0, NULL, &out, &tok, &err) == -EINVAL);
	/* NULL with length 0 is an empty (malformed) document; err may be NULL */
	CHECK(listing_parse_s3(NULL, 0, "", &out, NULL, NULL) == -EBADMSG);
	CHECK(out.n == 0);
}

static void test_azure(void)
{
	struct storage_list out = {0};
	char *tok = NULL;

	CHECK(parse_file(listing_parse_azure, "azure_list_page1.xml", "tables/sales/", &out, &tok) == 0);
	CHECK(out.n == 5);
	dir(&out, 0, "_delta_log"); /* directory blob; its BlobPrefix is not repeated */
	entry(&out, 1, "part-00000-7c2d3e4f-c000.snappy.parquet", false, 1048576, 1709288131, 0, "0x8DC39D6A2D1E2A4");
	dir(&out, 2, "part=a%20b");
	entry(&out, 3, "Tom & Jerry 100%.txt", false, 12, 1709337600, 0, "0x8DC3A5F0E0C8001");
	entry(&out, 4, "ctl\x01\xe6\x97\xa5.bin", false, 7, 1709368200, 0, "0x8DC3A5F0E0C8002");
	CHECK_STR(tok, "2!148!MDAwMDY1IXRhYmxlcy9zYWxlcy9wYXJ0PWElMjBiLyEwMDAwMjghOTk5OS0xMi0zMVQyMzo1OTo1OS45OTk5OTk5Wi!-");

	/* page 2 starts with the BlobPrefix of page 1's directory blob: not repeated */
	CHECK(parse_file(listing_parse_azure, "azure_list_page2.xml", "tables/sales/", &out, &tok) == 0);
	CHECK(out.n == 7);
	dir(&out, 5, "part=c");
	entry(&out, 6, "zz.json", false, 1, 1709467200, 0, "0x8DC3B7A1F00D000");
	CHECK(tok == NULL);
	storage_list_free(&out);

	/* Azurite-style: the "_delta_log/" marker blob equals the prefix and is skipped */
	CHECK(parse_file(listing_parse_azure, "azure_delta_log.xml", "tables/sales/_delta_log/", &out, &tok) == 0);
	CHECK(out.n == 2);
	entry(&out, 0, "00000000000000000000.json", false, 2154, 1709288129, 0, "0x8DC39D6A2B9C1F2");
	entry(&out, 1, "00000000000000000001.json", false, 1210, 1709622000, 0, "0x8DC3CE0F1E2D3C4");
	CHECK(tok == NULL);
	storage_list_free(&out);

	CHECK(parse_file(listing_parse_azure, "azure_empty.xml", "tables/empty/", &out, &tok) == 0);
	CHECK(out.n == 0 && tok == NULL);

	bad_file(listing_parse_azure, "azure_error.xml", "tables/sales/", "<Error>");
	bad_file(listing_parse_azure, "azure_bad_size.xml", "tables/sales/", "-1");
	bad_file(listing_parse_s3, "azure_empty.xml", "tables/empty/", "<EnumerationResults>");
	bad_file(listing_parse_azure, "azure_list_page1.xml", "tables/", "answer is for prefix");
	truncations(listing_parse_azure, "azure_list_page1.xml", "tables/sales/", "</EnumerationResults>");
	bad_str(listing_parse_azure,
		"<EnumerationResults><Blobs><Blob><Properties><Content-Length>1</Content-Length>"
		"<Last-Modified>Fri, 01 Mar 2024 10:15:29 GMT</Last-Modified></Properties></Blob></Blobs>"
		"</EnumerationResults>",
		"", "without a name");
	bad_str(listing_parse_azure,
		"<EnumerationResults><Blobs><Blob><Name>a</Name><Properties><Content-Length>1</Content-Length>"
		"<Last-Modified>2024-03-01T10:15:29Z</Last-Modified></Properties></Blob></Blobs>"
		"</EnumerationResults>",
		"", "modification time");
	bad_str(listing_parse_azure,
		"<EnumerationResults><Blobs><Blob><Name Encoded=\"true\">a%G1</Name><Properties>"
		"<Content-Length>1</Content-Length><Last-Modified>Fri, 01 Mar 2024 10:15:29 GMT</Last-Modified>"
		"</Properties></Blob></Blobs></EnumerationResults>",
		"", "URL encoding");
}

static void test_gcs(void)
{
	struct storage_list out = {0};
	char *tok = NULL;

	CHECK(parse_file(listing_parse_gcs, "gcs_list_page1.json", "tables/sales/", &out, &tok) == 0);
	CHECK(out.n == 4);
	dir(&out, 0, "_delta_log");
	dir(&out, 1, "part=a%20b");
	entry(&out, 2, "part-00000-7c2d3e4f-c000.snappy.parquet", false, 1048576, 1709288131, 123000000,
	      "CMDW5pKu94QDEAE=#1709288131123456"); /* etag#generation: reads pin it */
	/* no etag: md5Hash#generation */
	entry(&out, 3, "Tom & Jerry \"100%\" \xe6\x97\xa5\xe6\x9c\xac.txt", false, 12, 1709337600, 0,
	      "XUFAKrxLKna5cZ2REBfFkg==#1709337600000000");
	CHECK_STR(tok, "CjF0YWJsZXMvc2FsZXMvcGFydC0wMDAwMC03YzJkM2U0Zi1jMDAwLnNuYXBweS5wYXJxdWV0");

	CHECK(parse_file(listing_parse_gcs, "gcs_list_page2.json", "tables/sales/", &out, &tok) == 0);
	CHECK(out.n == 6);
	dir(&out, 4, "part=c");
	entry(&out, 5, "zz.json", false, 1, 1709467200, 0, "CIDg6pKu94QDEAE=#1709467200000000");
	CHECK(tok == NULL);
	storage_list_free(&out);

	CHECK(parse_file(listing_parse_gcs, "gcs_empty.json", "tables/empty/", &out, &tok) == 0);
	CHECK(out.n == 0 && tok == NULL);

	bad_file(listing_parse_gcs, "gcs_error.json", "tables/sales/", "Invalid Credentials");
	bad_file(listing_parse_gcs, "gcs_numeric_size.json", "tables/sales/", "decimal string");
	bad_file(listing_parse_gcs, "gcs_missing_name.json", "tables/sales/", "without a name");
	bad_file(listing_parse_gcs, "s3_list_page1.xml", "warehouse/sales/", "JSON");
	truncations(listing_parse_gcs, "gcs_list_page1.json", "tables/sales/", "]\n}");
	bad_str(listing_parse_gcs, "[]", "", "not a JSON object");
	bad_str(listing_parse_gcs, "{\"kind\":\"storage#buckets\"}", "", "storage#buckets");
	bad_str(listing_parse_gcs, "{\"items\":{}}", "", "not an array");
	bad_str(listing_parse_gcs, "{\"items\":[1]}", "", "not an object");
	bad_str(listing_parse_gcs, "{\"prefixes\":[\"a/\", 2]}", "", "not a string");
	bad_str(listing_parse_gcs, "{\"items\":[{\"name\":7}]}", "", "\"name\" is not a string");
	bad_str(listing_parse_gcs, "{\"items\":[{\"name\":\"a\",\"size\":\"1e3\",\"updated\":\"2024-03-01T10:15:31Z\"}]}",
		"", "1e3");
	bad_str(listing_parse_gcs, "{\"items\":[{\"name\":\"a\",\"size\":\"1\",\"updated\":\"2024-03-01\"}]}", "",
		"2024-03-01");
	bad_str(listing_parse_gcs, "{\"nextPageToken\":5}", "", "nextPageToken");
	bad_str(listing_parse_gcs, "", "", "JSON");
}

static void test_times(void)
{
	struct timespec ts;

	CHECK(listing_parse_time_iso8601("2009-10-12T17:50:30.000Z", &ts) == 0);
	CHECK(ts.tv_sec == 1255369830 && ts.tv_nsec == 0);
	CHECK(listing_parse_time_iso8601("2024-03-01T10:15:31.123456789123Z", &ts) == 0);
	CHECK(ts.tv_sec == 1709288131 && ts.tv_nsec == 123456789);
	CHECK(listing_parse_time_iso8601("2024-03-01T11:15:31+01:00", &ts) == 0);
	CHECK(ts.tv_sec == 1709288131);
	CHECK(listing_parse_time_iso8601("2024-03-01t04:45:31.5-0530", &ts) == 0);
	CHECK(ts.tv_sec == 1709288131 && ts.tv_nsec == 500000000);
	CHECK(listing_parse_time_iso8601("2024-03-01 10:15:31z", &ts) == 0);
	CHECK(ts.tv_sec == 1709288131);
	CHECK(listing_parse_time_iso8601("2000-02-29T23:59:59Z", &ts) == 0);
	CHECK(ts.tv_sec == 951868799);
	CHECK(listing_parse_time_iso8601("1969-12-31T23:59:59Z", &ts) == 0);
	CHECK(ts.tv_sec == -1);
	CHECK(listing_parse_time_iso8601("1970-01-01T00:00:00Z", &ts) == 0);
	CHECK(ts.tv_sec == 0);
	const char *bad_iso[] = {"", "2024-03-01T10:15:31", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z",
				 "2024-03-01T24:00:00Z", "2024-13-01T00:00:00Z", "2024-03-01T10:15:31.Z",
				 "2024-03-01T10:15:31Zjunk", "2024-3-01T10:15:31Z", "2024-03-01T10:15:31+1:00",
				 "Fri, 01 Mar 2024 10:15:29 GMT", "2024-03-01T10:60:00Z", "2024-03-01T10:15:31+24:00"};
	for (size_t i = 0; i < sizeof(bad_iso) / sizeof(*bad_iso); i++) {
		int rc = listing_parse_time_iso8601(bad_iso[i], &ts);
		CHECK(rc == -EINVAL);
		if (rc != -EINVAL)
			fprintf(stderr, "  accepted \"%s\"\n", bad_iso[i]);
	}
	CHECK(listing_parse_time_iso8601(NULL, &ts) == -EINVAL);

	/* the example of RFC 7231 / Azure's documentation */
	CHECK(listing_parse_time_rfc1123("Wed, 09 Sep 2009 09:20:02 GMT", &ts) == 0);
	CHECK(ts.tv_sec == 1252488002 && ts.tv_nsec == 0);
	CHECK(listing_parse_time_rfc1123("Wed, 9 Sep 2009 09:20:02 GMT", &ts) == 0);
	CHECK(ts.tv_sec == 1252488002);
	CHECK(listing_parse_time_rfc1123("Sun, 06 Nov 1994 08:49:37 GMT", &ts) == 0);
	CHECK(ts.tv_sec == 784111777);
	const char *bad_rfc[] = {"", "09 Sep 2009 09:20:02 GMT", "Wed, 09 Sept 2009 09:20:02 GMT",
				 "Wed, 09 Sep 2009 09:20:02 +0100", "Wed, 09 Sep 2009 09:20:02 GMT junk",
				 "Wed, 31 Sep 2009 09:20:02 GMT", "Wed, 09 Sep 2009 9:20:02 GMT",
				 "Xyz, 09 Sep 2009 09:20:02 GMT", "2009-09-09T09:20:02Z", "Wed,",
				 "Tue, " /* read one byte past its end once (fuzz regression) */,
				 "Tue, 1", "Tue, 1 ", "Tue, 1 Jan", "Mon, 01 Jan 2024 00:00:00 GM"};
	for (size_t i = 0; i < sizeof(bad_rfc) / sizeof(*bad_rfc); i++) {
		int rc = listing_parse_time_rfc1123(bad_rfc[i], &ts);
		CHECK(rc == -EINVAL);
		if (rc != -EINVAL)
			fprintf(stderr, "  accepted \"%s\"\n", bad_rfc[i]);
	}

	/* Every prefix of valid dates, each in a heap block of exactly its size,
	 * so AddressSanitizer sees any read past the terminating NUL (as for an
	 * Azure <Last-Modified> or a Last-Modified header). Only the whole string
	 * parses. */
	const char *whole[] = {"Wed, 09 Sep 2009 09:20:02 GMT", "Wed, 9 Sep 2009 09:20:02 UTC",
			       "2024-03-01T04:45:31.123456789-05:30", "2024-03-01 10:15:31+0100",
			       "2009-10-12T17:50:30.000Z"};
	for (size_t i = 0; i < sizeof(whole) / sizeof(*whole); i++) {
		size_t n = strlen(whole[i]);
		bool iso = whole[i][0] >= '0' && whole[i][0] <= '9';
		for (size_t k = 0; k <= n; k++) {
			char *s = malloc(k + 1);
			memcpy(s, whole[i], k);
			s[k] = '\0';
			int rc = iso ? listing_parse_time_iso8601(s, &ts) : listing_parse_time_rfc1123(s, &ts);
			CHECK(k == n ? rc == 0 : rc == -EINVAL);
			if (k == n ? rc != 0 : rc != -EINVAL)
				fprintf(stderr, "  prefix \"%s\": %d\n", s, rc);
			free(s);
		}
	}
}

/* Issue 8: a NUL decoded from "%00" or JSON "\u0000" is kept as the names.h
 * marker (never truncating the name into another one); names no file system
 * can show are returned for storage_list() to leave out and log. */
static void test_unusable_names(void)
{
	static const char s3[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
		"<Name>b</Name><Prefix>p%2F</Prefix><Delimiter>%2F</Delimiter>"
		"<EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
		"<Contents><Key>p%2Fevil%00x.parquet</Key><LastModified>2024-01-02T03:04:05.000Z"
		"</LastModified><ETag>&quot;e&quot;</ETag><Size>1</Size></Contents>"
		"<Contents><Key>p%2Fa%2Fb</Key><LastModified>2024-01-02T03:04:05.000Z"
		"</LastModified><ETag>&quot;e&quot;</ETag><Size>1</Size></Contents>"
		"</ListBucketResult>";
	struct storage_list out = {0};
	char *tok = NULL, *err = NULL;
	CHECK(listing_parse_s3(s3, strlen(s3), "p/", &out, &tok, &err) == 0);
	CHECK(out.n == 2);
	if (out.n == 2) {
		CHECK_STR(out.items[0].name, "evil\xc0\x80x.parquet");
		CHECK_STR(out.items[1].name, "a/b");
	}
	storage_list_free(&out);
	static const char gcs[] =
		"{\"kind\":\"storage#objects\",\"items\":[{\"name\":\"p/nul\\u0000y\",\"size\":\"1\","
		"\"updated\":\"2024-01-02T03:04:05.000Z\",\"etag\":\"CAE=\"},"
		"{\"name\":\"p/back\\\\u0000slash\",\"size\":\"1\","
		"\"updated\":\"2024-01-02T03:04:05.000Z\",\"etag\":\"CAE=\"}]}";
	CHECK(listing_parse_gcs(gcs, strlen(gcs), "p/", &out, &tok, &err) == 0);
	CHECK(out.n == 2);
	if (out.n == 2) {
		CHECK_STR(out.items[0].name, "nul\xc0\x80y");
		CHECK_STR(out.items[1].name, "back\\u0000slash"); /* an escaped backslash: text */
	}
	storage_list_free(&out);
	free(err);
}

int main(void)
{
	test_unusable_names();
	test_times();
	test_s3();
	test_azure();
	test_gcs();
	return check_done();
}
