/* test_pqfooter.c - column-chunk extents from real Parquet footers (written
 * by pyarrow: tests/unit/data/make_parquet.py, or a file given on the
 * command line with its expected chunks), and malformed footers: every
 * truncation, flipped bytes, deep nesting and huge counts never crash. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/pqfooter.h"
#include "check.h"
#include "util/strutil.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Every "START END" line of chunks_path is exactly one extent. */
static void check_file(const char *parquet, const char *chunks_path)
{
	size_t size = 0;
	uint8_t *file = slurp(parquet, &size);
	CHECK(file != NULL);
	if (!file)
		return;
	uint32_t len = 0;
	CHECK(pq_footer_len(file + size - 8, size, &len) == 0);
	struct rp_extent *v = NULL;
	size_t n = 0;
	CHECK(pq_footer_extents(file + size - 8 - len, len, size, &v, &n) == 0);
	CHECK(n > 0);
	for (size_t i = 1; i < n; i++)
		CHECK(v[i - 1].end <= v[i].start); /* sorted, apart */
	FILE *f = fopen(chunks_path, "r");
	CHECK(f != NULL);
	unsigned long long a, b;
	int chunks = 0;
	while (f && fscanf(f, "%llu %llu", &a, &b) == 2) {
		bool found = false;
		for (size_t i = 0; i < n; i++)
			found |= v[i].start == a && v[i].end == b;
		if (!found)
			fprintf(stderr, "chunk %llu-%llu not an extent\n", a, b);
		CHECK(found);
		chunks++;
	}
	CHECK(chunks > 0);
	if (f)
		fclose(f);

	/* Every truncation and every single flipped byte: no crash, and a
	 * result that stays inside the file. */
	for (uint32_t cut = 0; cut < len; cut++) {
		struct rp_extent *w = NULL;
		size_t m = 0;
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, file + size - 8 - len, cut);
		if (pq_footer_extents(copy, cut, size, &w, &m) == 0)
			for (size_t i = 0; i < m; i++)
				CHECK(w[i].start < w[i].end && w[i].end <= size);
		free(w);
		free(copy);
	}
	uint8_t *copy = malloc(len);
	for (uint32_t i = 0; i < len; i += 7) {
		memcpy(copy, file + size - 8 - len, len);
		copy[i] ^= 0xa5;
		struct rp_extent *w = NULL;
		size_t m = 0;
		if (pq_footer_extents(copy, len, size, &w, &m) == 0)
			for (size_t k = 0; k < m; k++)
				CHECK(w[k].start < w[k].end && w[k].end <= size);
		free(w);
	}
	free(copy);
	free(v);
	free(file);
}

static void test_trailer(void)
{
	uint32_t len;
	uint8_t t[8] = {10, 0, 0, 0, 'P', 'A', 'R', '1'};
	CHECK(pq_footer_len(t, 100, &len) == 0 && len == 10);
	CHECK(pq_footer_len(t, 21, &len) == -EINVAL); /* 10 + 12 > 21 */
	CHECK(pq_footer_len(t, 22, &len) == 0);
	t[4] = 'X';
	CHECK(pq_footer_len(t, 100, &len) == -EINVAL);
	uint8_t big[8] = {0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'};
	CHECK(pq_footer_len(big, 1ULL << 40, &len) == -EINVAL); /* over PQ_MAX_FOOTER */
	uint8_t zero[8] = {0, 0, 0, 0, 'P', 'A', 'R', '1'};
	CHECK(pq_footer_len(zero, 100, &len) == -EINVAL);
}

static void test_hostile(void)
{
	struct rp_extent *v = NULL;
	size_t n = 0;
	/* struct nesting 10000 deep: field 1, type struct, again and again */
	uint8_t deep[10000];
	memset(deep, 0x1c, sizeof(deep));
	CHECK(pq_footer_extents(deep, sizeof(deep), 1000, &v, &n) == -EINVAL);
	free(v);
	/* field 4 (row groups): a list claiming 2^60 structs in 12 bytes */
	uint8_t huge[] = {0x49, 0xfc, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00};
	v = NULL;
	CHECK(pq_footer_extents(huge, sizeof(huge), 1000, &v, &n) == -EINVAL);
	free(v);
	/* row groups: a list of 1000 bools in 4 bytes (a fuzzer's hang: list
	 * bools take a byte each, so the count must fit the bytes left) */
	uint8_t bools[] = {0x49, 0xf1, 0xe8, 0x07, 0x01, 0x01};
	v = NULL;
	CHECK(pq_footer_extents(bools, sizeof(bools), 1000, &v, &n) == -EINVAL);
	free(v);
	/* a map of bool -> bool: two bytes an entry too */
	uint8_t map[] = {0x1b, 0x64, 0x11, 0x01, 0x01, 0x00};
	v = NULL;
	CHECK(pq_footer_extents(map, sizeof(map), 1000, &v, &n) == -EINVAL);
	free(v);
	/* a varint that never ends */
	uint8_t endless[32];
	memset(endless, 0xff, sizeof(endless));
	endless[0] = 0x06; /* field 0 delta, i64 */
	v = NULL;
	CHECK(pq_footer_extents(endless, sizeof(endless), 1000, &v, &n) == -EINVAL);
	free(v);
	/* an empty struct is fine: no extents */
	uint8_t empty[] = {0x00};
	v = NULL;
	CHECK(pq_footer_extents(empty, 1, 1000, &v, &n) == 0 && n == 0);
	free(v);
	/* a binary longer than what is left */
	uint8_t longbin[] = {0x18, 0x7f, 'a'};
	v = NULL;
	CHECK(pq_footer_extents(longbin, sizeof(longbin), 1000, &v, &n) == -EINVAL);
	free(v);
}

int main(int argc, char **argv)
{
	test_trailer();
	test_hostile();
	if (argc == 3) {
		check_file(argv[1], argv[2]);
	} else {
		const char *dir = getenv("UCFS_TEST_DATA");
		char *p = xasprintf("%s/pq_small.parquet", dir ? dir : "tests/unit/data");
		char *c = xasprintf("%s/pq_small.chunks", dir ? dir : "tests/unit/data");
		check_file(p, c);
		free(p);
		free(c);
	}
	return check_done();
}
