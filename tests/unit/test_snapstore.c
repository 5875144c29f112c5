/* test_snapstore.c - snapshot manifests: parsing refuses what a hostile or
 * damaged file could hold (paths leaving the table, bad ids, unknown
 * format), print/parse round trip, listing a directory of a manifest
 * (files, the subdirectories they lie in), and the store on disk: put,
 * replace, pin, remove, reload, a manifest filed under another name. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/snapstore.h"
#include "check.h"
#include "util/strutil.h"

static char root[64];

#define ID64 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static int parse(const char *json, struct snap_manifest **m)
{
	char *err = NULL;
	int r = snap_manifest_parse(json, strlen(json), m, &err);
	CHECK((r == 0) == (err == NULL));
	free(err);
	return r;
}

static char *doc(const char *path)
{
	return xasprintf("{\"format\":1,\"location\":\"s3://b/t\",\"table\":\"i.s.t\",\"version\":3,"
			 "\"files\":[{\"path\":\"%s\",\"size\":5,\"id\":\"" ID64 "\"}]}", path);
}

static void test_parse(void)
{
	struct snap_manifest *m = NULL;
	static const char *bad_paths[] = {"../x", "a/../b", "/abs", "a//b", "a/", ".", "", "a/./b"};
	for (size_t i = 0; i < sizeof(bad_paths) / sizeof(bad_paths[0]); i++) {
		char *d = doc(bad_paths[i]);
		CHECK(parse(d, &m) == -EINVAL && !m);
		free(d);
	}
	char *d = doc("x=1/part-0.parquet");
	CHECK(parse(d, &m) == 0 && m && m->nfiles == 1 && m->version == 3 && m->bytes == 5);
	CHECK(m && m->files[0].id[0] == 0x00 && m->files[0].id[31] == 0xff);
	char *again = m ? snap_manifest_json(m) : NULL;
	struct snap_manifest *m2 = NULL;
	CHECK(again && parse(again, &m2) == 0 && m2 && !strcmp(m2->files[0].path, "x=1/part-0.parquet"));
	snap_manifest_free(m);
	snap_manifest_free(m2);
	free(again);
	free(d);
	CHECK(parse("{\"format\":2,\"location\":\"s3://b/t\",\"files\":[]}", &m) == -EINVAL);
	CHECK(parse("{\"format\":1,\"files\":[]}", &m) == -EINVAL);
	CHECK(parse("[1,2]", &m) == -EINVAL);
	CHECK(parse("{\"format\":1,\"location\":\"s3://b/t\",\"files\":[{\"path\":\"a\",\"id\":\"xyz\"}]}",
		    &m) == -EINVAL);
	/* huge numbers are clamped, never undefined */
	CHECK(parse("{\"format\":1,\"location\":\"s3://b/t\",\"version\":1e300,\"files\":[{\"path\":"
		    "\"a\",\"size\":-5,\"mtime\":1e999,\"id\":\"" ID64 "\"}]}", &m) == 0);
	CHECK(m && m->files[0].size == 0);
	snap_manifest_free(m);
}

static struct snap_manifest *manifest(const char *location, const char *const *paths, size_t n)
{
	struct snap_manifest *m = calloc(1, sizeof(*m));
	m->location = xstrdup(location);
	m->table = xstrdup("i.s.t");
	m->version = 7;
	m->files = calloc(n, sizeof(*m->files));
	for (size_t i = 0; i < n; i++) {
		m->files[i].path = xstrdup(paths[i]);
		m->files[i].etag = xasprintf("\"e%zu\"", i);
		m->files[i].size = 100 + i;
		m->files[i].mtime.tv_sec = 1000 + (time_t)i;
		m->files[i].id[0] = (uint8_t)i;
		m->bytes += m->files[i].size;
	}
	m->nfiles = n;
	return m;
}

static size_t find(const struct storage_list *l, const char *name, bool dir)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->items[i].name, name) && l->items[i].is_dir == dir)
			return i + 1;
	return 0;
}

static void test_store(void)
{
	char *dir = xasprintf("%s/c", root);
	mkdir(dir, 0700);
	struct snapstore *s = NULL;
	CHECK(snapstore_open(dir, &s) == 0 && s);
	static const char *const paths[] = {"_delta_log/00000000000000000007.json",
					    "_delta_log/00000000000000000005.checkpoint.parquet",
					    "x=1/a.parquet", "x=1/b.parquet", "x=2/y=3/c.parquet",
					    "top.parquet"};
	struct snap_manifest *old = (struct snap_manifest *)1;
	CHECK(snapstore_put(s, manifest("s3://b/t", paths, 6), &old) == 0 && !old);
	struct storage_list l;
	uint64_t v = 0;
	CHECK(snapstore_list(s, "s3://b/t", "", &l, &v) == 0 && v == 7);
	CHECK(l.n == 4 && find(&l, "_delta_log", true) && find(&l, "x=1", true) &&
	      find(&l, "x=2", true) && find(&l, "top.parquet", false));
	size_t k = find(&l, "top.parquet", false);
	CHECK(k && l.items[k - 1].size == 105 && !strcmp(l.items[k - 1].etag, "\"e5\""));
	k = find(&l, "x=1", true);
	CHECK(k && l.items[k - 1].mtime.tv_sec == 1003); /* the newest file below */
	storage_list_free(&l);
	CHECK(snapstore_list(s, "s3://b/t", "x=2", &l, NULL) == 0 && l.n == 1 && find(&l, "y=3", true));
	storage_list_free(&l);
	CHECK(snapstore_list(s, "s3://b/t", "x=3", &l, NULL) == -ENOTDIR);
	CHECK(snapstore_list(s, "s3://b/other", "", &l, NULL) == -ENOENT);

	/* pins: only pinned manifests' files */
	uint8_t(*ids)[32] = NULL;
	size_t n = 9;
	CHECK(snapstore_pinned_ids(s, &ids, &n) == 0 && n == 0);
	free(ids);
	CHECK(snapstore_set_pinned(s, "s3://b/t", true) == 0);
	CHECK(snapstore_set_pinned(s, "s3://b/none", true) == -ENOENT);
	CHECK(snapstore_pinned_ids(s, &ids, &n) == 0 && n == 6 && ids[5][0] == 5);
	free(ids);
	/* replace: the old one comes back */
	CHECK(snapstore_put(s, manifest("s3://b/t", paths, 2), &old) == 0 && old && old->nfiles == 6);
	snap_manifest_free(old);
	CHECK(snapstore_put(s, manifest("s3://b/u", paths, 1), &old) == 0 && !old);
	snapstore_free(s);

	/* reload from disk; a manifest filed under another name is ignored */
	char *a = xasprintf("%s/snapshots/%016llx.json", dir, (unsigned long long)snap_group("s3://b/u"));
	char *b = xasprintf("%s/snapshots/0000000000000001.json", dir);
	CHECK(link(a, b) == 0);
	CHECK(snapstore_open(dir, &s) == 0);
	CHECK(snapstore_list(s, "s3://b/t", "", &l, &v) == 0 && l.n == 1 && v == 7);
	storage_list_free(&l);
	CHECK(snapstore_pinned_ids(s, &ids, &n) == 0 && n == 0); /* the replacement was not pinned */
	free(ids);
	CHECK(snapstore_remove(s, "s3://b/u", &old) == 0 && old);
	snap_manifest_free(old);
	CHECK(snapstore_remove(s, "s3://b/u", &old) == -ENOENT);
	CHECK(access(a, F_OK) != 0);
	snapstore_free(s);
	free(a);
	free(b);
	free(dir);
}

static int rm(const char *p, const struct stat *sb, int f, struct FTW *w)
{
	(void)sb, (void)f, (void)w;
	return remove(p);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/ucfs-snapstore-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	CHECK(snap_group("s3://b/t") != 0 && snap_group("s3://b/t") != snap_group("s3://b/u"));
	test_parse();
	test_store();
	nftw(root, rm, 16, FTW_DEPTH | FTW_PHYS);
	return check_done();
}
