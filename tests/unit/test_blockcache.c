/* test_blockcache.c - the persistent block cache on real files in a temp dir:
 * round trips, misses, checksum on every read, torn blocks and temp files,
 * LRU eviction and its order across reopen, concurrency, block size, errors. */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/blockcache.h"
#include "check.h"
#include "util/strutil.h"

#define HDR 72
#define BS 4096

static char root[64];

static void fill(uint8_t *b, int obj, uint64_t block, size_t len)
{
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(obj * 131 + block * 17 + i * 7 + (i >> 8));
}

static char idents[8][64]; /* filled once in main(), before any thread */

static const char *ident(int obj)
{
	return idents[obj & 7];
}

/* Where the cache keeps (identity, block) below dir. */
static char *path_of(const char *dir, const char *identity, uint64_t block)
{
	uint8_t h[32];
	char hex[65];
	SHA256((const unsigned char *)identity, strlen(identity), h);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	return xasprintf("%s/%.2s/%s-%llu.blk", dir, hex, hex, (unsigned long long)block);
}

static bool exists(const char *dir, int obj, uint64_t block)
{
	char *p = path_of(dir, ident(obj), block);
	bool r = access(p, F_OK) == 0;
	free(p);
	return r;
}

static struct bcache *open_cache(const char *dir, uint64_t max, uint32_t bs)
{
	struct bcache_opts o = {.dir = dir, .max_bytes = max, .block_size = bs};
	struct bcache *c = NULL;
	char *err = NULL;
	int r = bcache_open(&o, &c, &err);
	if (r)
		fprintf(stderr, "bcache_open: %d %s\n", r, err ? err : "");
	free(err);
	return c;
}

static int put_obj(struct bcache *c, int obj, uint64_t block, size_t len)
{
	uint8_t b[BS];
	fill(b, obj, block, len);
	return bcache_put(c, ident(obj), block, b, len);
}

/* 1 if a hit with exactly the expected bytes, 0 on a miss, -1 otherwise. */
static int get_obj(struct bcache *c, int obj, uint64_t block, size_t want_len)
{
	uint8_t b[BS], e[BS];
	size_t len = 12345;
	int r = bcache_get(c, ident(obj), block, b, sizeof(b), &len);
	if (r == -ENOENT)
		return 0;
	if (r || len != want_len)
		return -1;
	fill(e, obj, block, len);
	return memcmp(b, e, len) == 0 ? 1 : -1;
}

static struct bcache_stats stats(struct bcache *c)
{
	struct bcache_stats s;
	bcache_stats(c, &s);
	return s;
}

static void poke(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t x = 0;
	if (pread(fd, &x, 1, off) == 1) {
		x ^= 0x40;
		if (pwrite(fd, &x, 1, off) != 1)
			perror("pwrite");
	}
	close(fd);
}

static void test_basic(const char *dir)
{
	struct bcache *c = open_cache(dir, 0, BS);
	CHECK(c != NULL);
	CHECK(bcache_block_size(c) == BS);
	CHECK(put_obj(c, 0, 0, BS) == 0);
	CHECK(put_obj(c, 0, 1, 100) == 0); /* short last block */
	CHECK(get_obj(c, 0, 0, BS) == 1);
	CHECK(get_obj(c, 0, 1, 100) == 1);
	CHECK(get_obj(c, 0, 2, 0) == 0);     /* miss: other block */
	CHECK(get_obj(c, 1, 0, 0) == 0);     /* miss: other object */
	CHECK(bcache_contains(c, ident(0), 1) && !bcache_contains(c, ident(1), 0));
	CHECK(put_obj(c, 1, 0, 777) == 0);   /* same block number, other identity */
	CHECK(get_obj(c, 1, 0, 777) == 1);
	CHECK(get_obj(c, 0, 0, BS) == 1);
	CHECK(put_obj(c, 0, 0, BS) == 0);    /* already cached: no rewrite */
	uint8_t small[10];
	size_t len;
	CHECK(bcache_get(c, ident(0), 0, small, sizeof(small), &len) == -ERANGE);
	struct bcache_stats s = stats(c);
	CHECK(s.hits == 4 && s.misses == 2 && s.entries == 3);
	CHECK(s.bytes_read == BS + 100 + 777 + BS && s.bytes_written == BS + 100 + 777);
	CHECK(s.bytes_used == 3 * HDR + BS + 100 + 777);

	/* Checksum verified on every read: a flipped payload byte is caught
	 * even though the block was read fine before. */
	char *p = path_of(dir, ident(0), 0);
	poke(p, HDR + 10);
	CHECK(get_obj(c, 0, 0, BS) == 0);
	CHECK(stats(c).corrupt == 1 && stats(c).entries == 2);
	CHECK(access(p, F_OK) < 0 && errno == ENOENT);
	CHECK(get_obj(c, 0, 0, BS) == 0);
	CHECK(put_obj(c, 0, 0, BS) == 0 && get_obj(c, 0, 0, BS) == 1);
	poke(p, 40); /* header: the identity hash */
	CHECK(get_obj(c, 0, 0, BS) == 0 && stats(c).corrupt == 2 && access(p, F_OK) < 0);
	free(p);

	/* A valid block file under another block's name is refused. */
	CHECK(put_obj(c, 0, 0, BS) == 0);
	char *p0 = path_of(dir, ident(0), 0), *p1 = path_of(dir, ident(1), 0);
	char *cmd = xasprintf("cp %s %s.x && mv %s.x %s", p1, p0, p0, p0);
	CHECK(system(cmd) == 0);
	CHECK(get_obj(c, 0, 0, BS) == 0 && stats(c).corrupt == 3 && access(p0, F_OK) < 0);
	CHECK(get_obj(c, 1, 0, 777) == 1);
	free(p0), free(p1), free(cmd);

	/* A torn (truncated) block is never served. */
	p = path_of(dir, ident(1), 0);
	CHECK(truncate(p, HDR + 50) == 0);
	CHECK(get_obj(c, 1, 0, 777) == 0 && stats(c).corrupt == 4 && access(p, F_OK) < 0);
	free(p);
	CHECK(stats(c).entries == 1 && stats(c).bytes_used == HDR + 100);
	bcache_close(c);
}

static void test_reopen_cleanup(const char *dir)
{
	struct bcache *c = open_cache(dir, 0, BS);
	CHECK(put_obj(c, 2, 0, BS) == 0 && put_obj(c, 2, 1, BS) == 0 && put_obj(c, 2, 2, 5) == 0);
	bcache_close(c);
	char *torn = path_of(dir, ident(2), 1), *zero = path_of(dir, ident(2), 2);
	char *good = path_of(dir, ident(2), 0);
	char *tmp = xasprintf("%s.42.tmp", good);
	CHECK(truncate(torn, HDR + 100) == 0); /* crash mid-write without fsync */
	CHECK(truncate(zero, 0) == 0);
	int fd = open(tmp, O_WRONLY | O_CREAT, 0600); /* leftover temp file */
	CHECK(fd >= 0 && write(fd, "partial", 7) == 7);
	close(fd);
	char *foreign = xasprintf("%s/README", dir);
	fd = open(foreign, O_WRONLY | O_CREAT, 0600);
	close(fd);

	c = open_cache(dir, 0, BS);
	CHECK(c != NULL);
	struct bcache_stats s = stats(c);
	CHECK(s.entries == 2 && s.corrupt == 2); /* obj 0 block 1 from before + obj 2 block 0 */
	CHECK(access(torn, F_OK) < 0 && access(zero, F_OK) < 0 && access(tmp, F_OK) < 0);
	CHECK(access(foreign, F_OK) == 0); /* files that are not ours are left alone */
	CHECK(get_obj(c, 2, 1, BS) == 0 && get_obj(c, 2, 2, 5) == 0);
	CHECK(get_obj(c, 2, 0, BS) == 1 && get_obj(c, 0, 1, 100) == 1); /* survived remount */

	/* Another block size: old blocks are stale, dropped at open. */
	bcache_close(c);
	c = open_cache(dir, 0, 8192);
	CHECK(c && bcache_block_size(c) == 8192 && stats(c).entries == 0);
	CHECK(access(good, F_OK) < 0);
	uint8_t big[8193] = {0};
	CHECK(bcache_put(c, "x", 0, big, 8193) == -EINVAL);
	CHECK(bcache_put(c, "x", 0, big, 8192) == 0);
	bcache_close(c);
	free(torn), free(zero), free(good), free(tmp), free(foreign);
}

static void test_lru(const char *dir)
{
	uint64_t cap = 4 * (HDR + BS);
	struct bcache *c = open_cache(dir, cap, BS);
	for (int b = 0; b < 4; b++)
		CHECK(put_obj(c, 3, (uint64_t)b, BS) == 0);
	CHECK(stats(c).evictions == 0 && stats(c).bytes_used == cap);
	CHECK(get_obj(c, 3, 0, BS) == 1); /* block 0 becomes most recent */
	CHECK(put_obj(c, 3, 4, BS) == 0); /* evicts block 1, the least recent */
	CHECK(stats(c).evictions == 1 && stats(c).bytes_used <= cap && stats(c).entries == 4);
	CHECK(exists(dir, 3, 0) && !exists(dir, 3, 1) && exists(dir, 3, 2));
	CHECK(exists(dir, 3, 3) && exists(dir, 3, 4));
	bcache_close(c);

	/* Reopen keeps entries and their order: 2, 3, 0, 4 (oldest first). */
	c = open_cache(dir, cap, BS);
	CHECK(stats(c).entries == 4 && stats(c).bytes_used == cap);
	CHECK(put_obj(c, 3, 5, BS) == 0);
	CHECK(!exists(dir, 3, 2) && exists(dir, 3, 3) && exists(dir, 3, 0));
	CHECK(get_obj(c, 3, 3, BS) == 1);
	CHECK(put_obj(c, 3, 6, BS) == 0); /* now block 0 is the oldest */
	CHECK(!exists(dir, 3, 0) && exists(dir, 3, 3) && exists(dir, 3, 4));
	bcache_close(c);

	/* A smaller cap at open evicts the oldest down to it: 4, 5, 3, 6 -> 3, 6. */
	c = open_cache(dir, 2 * (HDR + BS), BS);
	CHECK(stats(c).entries == 2 && stats(c).evictions == 2);
	CHECK(exists(dir, 3, 3) && exists(dir, 3, 6) && !exists(dir, 3, 4) && !exists(dir, 3, 5));
	CHECK(put_obj(c, 3, 7, BS) == 0 && exists(dir, 3, 6) && !exists(dir, 3, 3));
	uint8_t b[BS] = {0};
	bcache_close(c);
	c = open_cache(dir, HDR + 100, BS);
	CHECK(stats(c).entries == 0);
	CHECK(bcache_put(c, "y", 0, b, BS) == -EFBIG && bcache_put(c, "y", 0, b, 100) == 0);
	bcache_close(c);
}

struct worker {
	struct bcache *c;
	unsigned seed;
	int wrong, errors, hits;
};

#define NOBJ 4
#define NBLK 16
static size_t blk_len(uint64_t b)
{
	return b == NBLK - 1 ? 1000 : BS;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 3000; i++) {
		int obj = (int)(rand_r(&w->seed) % NOBJ);
		uint64_t b = rand_r(&w->seed) % NBLK;
		int r = get_obj(w->c, obj, b, blk_len(b));
		if (r < 0)
			w->wrong++;
		else if (r == 1)
			w->hits++;
		else if (put_obj(w->c, obj, b, blk_len(b)) != 0)
			w->errors++;
	}
	return NULL;
}

static int nblk, ntmp;
static int count_cb(const char *fpath, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb, (void)f;
	nblk += type == FTW_F && str_endswith(fpath, ".blk");
	ntmp += type == FTW_F && str_endswith(fpath, ".tmp");
	return 0;
}

static void test_threads(const char *dir)
{
	uint64_t cap = 20 * (HDR + BS);
	struct bcache *c = open_cache(dir, cap, BS);
	struct worker w[8];
	pthread_t t[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){.c = c, .seed = (unsigned)i * 7919U + 1};
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	int wrong = 0, errors = 0, hits = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		wrong += w[i].wrong, errors += w[i].errors, hits += w[i].hits;
	}
	struct bcache_stats s = stats(c);
	CHECK(wrong == 0 && errors == 0);
	CHECK(hits > 0 && s.evictions > 0 && s.corrupt == 0);
	CHECK(s.bytes_used <= cap && s.entries >= 19);
	nblk = ntmp = 0;
	nftw(dir, count_cb, 16, FTW_PHYS);
	CHECK((uint64_t)nblk == s.entries && ntmp == 0); /* index and directory agree */
	bcache_close(c);
	c = open_cache(dir, cap, BS);
	CHECK(stats(c).entries == s.entries && stats(c).bytes_used == s.bytes_used);
	bcache_close(c);
}

static void test_write_error(const char *dir)
{
	struct bcache *c = open_cache(dir, 0, BS);
	CHECK(put_obj(c, 5, 0, 10) == 0);
	struct rlimit old, lim = {.rlim_cur = 1000, .rlim_max = RLIM_INFINITY};
	getrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_IGN);
	lim.rlim_max = old.rlim_max;
	setrlimit(RLIMIT_FSIZE, &lim);
	int r = put_obj(c, 5, 1, BS); /* like ENOSPC: the write fails midway */
	setrlimit(RLIMIT_FSIZE, &old);
	CHECK(r == -EFBIG);
	CHECK(stats(c).entries == 1 && get_obj(c, 5, 1, BS) == 0 && get_obj(c, 5, 0, 10) == 1);
	nblk = ntmp = 0;
	nftw(dir, count_cb, 16, FTW_PHYS);
	CHECK(nblk == 1 && ntmp == 0); /* no temp file left behind */
	CHECK(put_obj(c, 5, 1, BS) == 0 && get_obj(c, 5, 1, BS) == 1);
	bcache_close(c);
}

static void test_errors(const char *dir)
{
	struct bcache *c = open_cache(dir, 0, 0);
	CHECK(c && bcache_block_size(c) == (1U << 20));
	struct bcache_opts o = {.dir = dir};
	struct bcache *c2 = NULL;
	char *err = NULL;
	CHECK(bcache_open(&o, &c2, &err) == -EBUSY && !c2 && err && strstr(err, dir));
	free(err);
	bcache_close(c);

	char *file = xasprintf("%s/plainfile", root);
	int fd = open(file, O_WRONLY | O_CREAT, 0600);
	close(fd);
	char *bad = xasprintf("%s/sub/cache", file);
	o.dir = bad;
	err = NULL;
	CHECK(bcache_open(&o, &c2, &err) == -ENOTDIR && !c2);
	CHECK(err && strstr(err, bad) && strstr(err, "Not a directory"));
	free(err);
	if (geteuid() != 0) { /* root writes anywhere */
		char *ro = xasprintf("%s/ro", root);
		mkdir(ro, 0500);
		o.dir = ro;
		err = NULL;
		CHECK(bcache_open(&o, &c2, &err) == -EACCES && err && strstr(err, ro));
		free(err), free(ro);
	}
	o.dir = dir;
	o.block_size = 100;
	err = NULL;
	CHECK(bcache_open(&o, &c2, &err) == -EINVAL && err && strstr(err, "block size"));
	free(err), free(file), free(bad);
	CHECK(bcache_crc32c(0, "123456789", 9) == 0xE3069283U);
	CHECK(bcache_crc32c_sw(0, "123456789", 9) == 0xE3069283U);
	uint8_t rnd[1000];
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(i * 2654435761U >> 13);
	bool same = true;
	for (size_t n = 0; n <= sizeof(rnd); n += 37) /* every tail length, chained */
		same &= bcache_crc32c(bcache_crc32c(0, rnd, n / 2), rnd + n / 2, n - n / 2) ==
			bcache_crc32c_sw(0, rnd, n);
	CHECK(same);
}

static int rm_cb(const char *fpath, const struct stat *sb, int type, struct FTW *f)
{
	(void)sb, (void)type, (void)f;
	return remove(fpath);
}

int main(void)
{
	for (int i = 0; i < 8; i++)
		snprintf(idents[i], sizeof(idents[i]), "s3://b/t/part-%d.parquet|\"etag-%d\"|99999", i, i);
	snprintf(root, sizeof(root), "/tmp/ucfs-bcache-XXXXXX");
	if (!mkdtemp(root))
		return 2;
	char *d1 = xasprintf("%s/a/b/cache", root), *d2 = xasprintf("%s/lru", root);
	char *d3 = xasprintf("%s/threads", root), *d4 = xasprintf("%s/err", root);
	test_basic(d1);
	struct stat st;
	CHECK(stat(d1, &st) == 0 && (st.st_mode & 0777) == 0700);
	test_reopen_cleanup(d1);
	test_lru(d2);
	test_threads(d3);
	test_write_error(d4);
	test_errors(d4);
	nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(d1), free(d2), free(d3), free(d4);
	return check_done();
}
