/* test_objcache.c - the disk cache on real files in a temp dir: fetch and
 * hit, reopen and verify, damaged data refetched, a writer killed halfway,
 * eviction under the cap and its LRU order, one fetch per block for
 * concurrent readers, failed fetches, old-layout cleanup, CRC-32C; groups
 * (usage, drop, kept over a reopen) and pins (never evicted, also when
 * given at open); new objects made from spare unnamed files (linked under
 * their names, replacing leftovers; found again after a reopen). */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cache/objcache.h"
#include "cache/objcache_internal.h" /* the spares' count */
#include "check.h"
#include "util/crc32c.h"
#include "util/strutil.h"

#define KiB (1U << 10)

static char root[64];

static uint8_t byte_at(int obj, uint64_t off)
{
	return (uint8_t)(obj * 131 + off * 7 + (off >> 9) + (off >> 17));
}

struct src {
	struct oc_obj *o;
	int obj;
	_Atomic int calls;
	_Atomic uint64_t bytes;
	int fail; /* fail this many fetches */
	size_t piece; /* deliver in pieces of this size */
};

static int fetch(void *ctx, uint64_t first, unsigned n)
{
	struct src *s = ctx;
	atomic_fetch_add(&s->calls, 1);
	struct oc_writer w;
	oc_writer_init(&w, s->o, first, n);
	uint64_t bs = oc_block_size(s->o), size = oc_size(s->o);
	uint64_t a = first * bs, b = (first + n) * bs < size ? (first + n) * bs : size;
	int r = 0;
	if (s->fail > 0) {
		s->fail--;
		/* half a block, then the transfer breaks */
		uint8_t buf[100];
		for (int i = 0; i < 100; i++)
			buf[i] = byte_at(s->obj, a + (uint64_t)i);
		oc_writer_data(&w, (const char *)buf, 100);
		r = -EIO;
	} else {
		size_t piece = s->piece ? s->piece : 7777;
		uint8_t *buf = malloc(piece);
		for (uint64_t at = a; at < b && !r;) {
			size_t k = b - at < piece ? (size_t)(b - at) : piece;
			for (size_t i = 0; i < k; i++)
				buf[i] = byte_at(s->obj, at + i);
			r = oc_writer_data(&w, (const char *)buf, k);
			at += k;
		}
		free(buf);
		atomic_fetch_add(&s->bytes, b - a);
	}
	oc_writer_end(&w);
	return r;
}

static struct ocache *open_cache(const char *dir, uint64_t max)
{
	struct ocache_opts o = {.dir = dir, .max_bytes = max};
	struct ocache *c = NULL;
	char *err = NULL;
	int r = ocache_open(&o, &c, &err);
	if (r)
		fprintf(stderr, "ocache_open: %d %s\n", r, err ? err : "");
	free(err);
	return c;
}

static char *ident(int obj)
{
	return xasprintf("s3://bucket/table\npart-%05d.parquet\netag%d\n", obj, obj);
}

/* Read [off, off+len) through the cache; 1 if the bytes are right. */
static int read_ok(struct oc_obj *o, struct src *s, uint64_t off, size_t len)
{
	uint64_t bs = oc_block_size(o);
	int r = oc_acquire(o, off / bs, (off + len - 1) / bs, 0, 64, fetch, s, NULL);
	if (r)
		return r;
	uint8_t *b = malloc(len);
	ssize_t n = pread(oc_fd(o), b, len, (off_t)off);
	int ok = n == (ssize_t)len;
	for (size_t i = 0; ok && i < len; i++)
		ok = b[i] == byte_at(s->obj, off + i);
	free(b);
	oc_release(o, off / bs, (off + len - 1) / bs);
	return ok;
}

static char *data_path(const char *dir, int obj, const char *ext)
{
	char *id = ident(obj);
	uint8_t h[32];
	char hex[65];
	SHA256((const unsigned char *)id, strlen(id), h);
	free(id);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	return xasprintf("%s/%.2s/%s.%s", dir, hex, hex, ext);
}

static void test_fetch_hit_reopen_corrupt(void)
{
	char *dir = xasprintf("%s/a", root);
	struct ocache *c = open_cache(dir, 0);
	CHECK(c != NULL);
	char *id = ident(1);
	struct oc_obj *o = NULL;
	uint64_t size = 1000 * KiB + 123; /* 32 blocks of 32 KiB, the last short */
	CHECK(oc_open(c, id, size, &o) == 0);
	CHECK(oc_block_size(o) == 32 * KiB && oc_nblocks(o) == 32);
	struct src s = {.o = o, .obj = 1};
	CHECK(read_ok(o, &s, 100, 5000) == 1);
	CHECK(s.calls == 1);
	CHECK(read_ok(o, &s, size - 200, 200) == 1); /* the short last block */
	CHECK(s.calls == 2);
	CHECK(read_ok(o, &s, 0, 32 * KiB) == 1); /* already there: a hit */
	CHECK(s.calls == 2);
	CHECK(read_ok(o, &s, 0, (size_t)size) == 1);
	CHECK(s.calls == 3 && s.bytes == size); /* one run for the 30 missing blocks */
	oc_close(o);
	struct ocache_stats st;
	ocache_stats(c, &st);
	uint64_t disk = (size + 4095) / 4096 * 4096; /* the short last block takes whole pages */
	CHECK(st.bytes_used == disk && st.objects == 1 && st.corrupt == 0);
	ocache_close(c);

	/* Reopened: everything is there, checked once, no fetch. */
	c = open_cache(dir, 0);
	ocache_stats(c, &st);
	CHECK(st.bytes_used == disk);
	CHECK(oc_open(c, id, size, &o) == 0);
	s = (struct src){.o = o, .obj = 1};
	CHECK(read_ok(o, &s, 0, (size_t)size) == 1);
	CHECK(s.calls == 0);
	oc_close(o);
	ocache_close(c);

	/* A damaged byte in block 5: detected, that block alone refetched. */
	char *dat = data_path(dir, 1, "dat");
	int fd = open(dat, O_RDWR);
	uint8_t x = 0;
	CHECK(pread(fd, &x, 1, 5 * 32 * KiB + 77) == 1);
	x ^= 0xff;
	CHECK(pwrite(fd, &x, 1, 5 * 32 * KiB + 77) == 1);
	close(fd);
	c = open_cache(dir, 0);
	CHECK(oc_open(c, id, size, &o) == 0);
	s = (struct src){.o = o, .obj = 1};
	CHECK(read_ok(o, &s, 0, (size_t)size) == 1);
	CHECK(s.calls == 1 && s.bytes == 32 * KiB);
	ocache_stats(c, &st);
	CHECK(st.corrupt == 1);
	oc_close(o);
	ocache_close(c);

	/* A second open of the same identity with another size is refused. */
	c = open_cache(dir, 0);
	struct oc_obj *o2 = NULL;
	CHECK(oc_open(c, id, size, &o) == 0);
	CHECK(oc_open(c, id, size + 1, &o2) == -EINVAL);
	oc_close(o);
	/* ...and while closed, a new size starts the object afresh. */
	CHECK(oc_open(c, id, size + 1, &o) == 0);
	s = (struct src){.o = o, .obj = 1};
	CHECK(read_ok(o, &s, 0, 10) == 1 && s.calls == 1);
	oc_close(o);
	ocache_close(c);
	free(dat);
	free(id);
	free(dir);
}

static void test_killed_writer(void)
{
	char *dir = xasprintf("%s/k", root);
	char *id = ident(2);
	uint64_t size = 4096 * KiB;
	pid_t pid = fork();
	if (pid == 0) {
		/* Fill half the object, then die in the middle of a block. */
		struct ocache *c = open_cache(dir, 0);
		struct oc_obj *o;
		if (!c || oc_open(c, id, size, &o))
			_exit(2);
		struct oc_writer w;
		CHECK(oc_claim(o, 0, 128) == 128);
		oc_writer_init(&w, o, 0, 128);
		uint8_t buf[10000];
		for (uint64_t at = 0; at < size / 2 + 1000; at += sizeof(buf)) {
			for (size_t i = 0; i < sizeof(buf); i++)
				buf[i] = byte_at(2, at + i);
			oc_writer_data(&w, (const char *)buf, sizeof(buf));
		}
		_exit(0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	struct ocache *c = open_cache(dir, 0); /* the dead process's lock is gone */
	CHECK(c != NULL);
	struct oc_obj *o;
	CHECK(oc_open(c, id, size, &o) == 0);
	struct src s = {.o = o, .obj = 2};
	CHECK(read_ok(o, &s, 0, (size_t)size) == 1);
	/* what was written stayed; the rest is refetched: from the torn block
	 * on, what the writer had gathered but not written (<= 256 KiB) and
	 * the index entries it had not written yet (<= 8 blocks) */
	CHECK(s.bytes > 0 && s.bytes <= size / 2 + 2 * 256 * KiB + 32 * KiB);
	oc_close(o);
	ocache_close(c);
	free(id);
	free(dir);
}

static uint64_t allocated_n(const char *dir, int nobj)
{
	uint64_t total = 0;
	for (int obj = 0; obj < nobj; obj++) {
		char *p = data_path(dir, obj, "dat");
		struct stat sb;
		if (stat(p, &sb) == 0)
			total += (uint64_t)sb.st_blocks * 512;
		free(p);
	}
	return total;
}

static uint64_t allocated(const char *dir) { return allocated_n(dir, 8); }

/* Object obj of size bytes read whole (fetched) and closed. */
static void fill(struct ocache *c, int obj, uint64_t size)
{
	char *id = ident(obj);
	struct oc_obj *o;
	CHECK(oc_open(c, id, size, &o) == 0);
	struct src s = {.o = o, .obj = obj};
	CHECK(read_ok(o, &s, 0, (size_t)size) == 1);
	oc_close(o);
	free(id);
}

/* Small objects (Delta commits, checkpoints' sidecars): each takes a page of
 * disk for its few bytes, and the cap counts that page. */
static void test_small_objects_cap(void)
{
	char *dir = xasprintf("%s/s", root);
	uint64_t cap = 64 * KiB, size = 1000;
	struct ocache *c = open_cache(dir, cap);
	struct ocache_stats st;
	for (int obj = 0; obj < 40; obj++) {
		fill(c, obj, size);
		ocache_stats(c, &st);
		CHECK(st.bytes_used <= cap);
		CHECK(allocated_n(dir, 40) <= cap);
	}
	CHECK(st.evictions > 0);
	ocache_close(c);
	free(dir);
}

static void test_eviction(void)
{
	char *dir = xasprintf("%s/e", root);
	uint64_t cap = 640 * KiB, size = 200 * KiB;
	struct ocache *c = open_cache(dir, cap);
	struct ocache_stats st;
	for (int obj = 0; obj < 3; obj++) {
		fill(c, obj, size);
		usleep(20000); /* distinct recency stamps */
	}
	/* touch object 0: object 1 is now the least recently used */
	char *id0 = ident(0);
	struct oc_obj *o;
	CHECK(oc_open(c, id0, size, &o) == 0);
	struct src s0 = {.o = o, .obj = 0};
	CHECK(read_ok(o, &s0, 0, 10) == 1 && s0.calls == 0);
	oc_close(o);
	usleep(20000);
	char *id3 = ident(3);
	CHECK(oc_open(c, id3, size, &o) == 0);
	struct src s3 = {.o = o, .obj = 3};
	CHECK(read_ok(o, &s3, 0, (size_t)size) == 1);
	oc_close(o);
	ocache_stats(c, &st);
	CHECK(st.bytes_used <= cap);
	CHECK(allocated(dir) <= cap);
	char *p1 = data_path(dir, 1, "dat"), *p0 = data_path(dir, 0, "dat");
	CHECK(access(p1, F_OK) != 0); /* evicted whole */
	CHECK(access(p0, F_OK) == 0); /* recently used: kept */
	ocache_close(c);

	/* One object larger than the cap: it keeps its most recent blocks. */
	c = open_cache(dir, cap);
	char *id5 = ident(5);
	CHECK(oc_open(c, id5, 2048 * KiB, &o) == 0);
	struct src s5 = {.o = o, .obj = 5};
	for (uint64_t off = 0; off < 2048 * KiB; off += 64 * KiB)
		CHECK(read_ok(o, &s5, off, 64 * KiB) == 1);
	ocache_stats(c, &st);
	CHECK(st.bytes_used <= cap && st.evictions > 0);
	CHECK(read_ok(o, &s5, 2048 * KiB - 64 * KiB, 64 * KiB) == 1);
	int calls = s5.calls;
	CHECK(read_ok(o, &s5, 2048 * KiB - 64 * KiB, 64 * KiB) == 1 && s5.calls == calls);
	oc_close(o);
	ocache_close(c);
	free(p1);
	free(p0);
	free(id0);
	free(id3);
	free(id5);
	free(dir);
}

/* Fill object OBJ of GROUP whole. */
static void fill_group(struct ocache *c, int obj, uint64_t group, uint64_t size)
{
	char *id = ident(obj);
	struct oc_obj *o;
	CHECK(oc_open_group(c, id, group, size, &o) == 0);
	struct src s = {.o = o, .obj = obj};
	CHECK(read_ok(o, &s, 0, (size_t)size) == 1);
	oc_close(o);
	free(id);
}

static const struct ocache_usage *usage_of(const struct ocache_usage *u, size_t n, uint64_t g)
{
	for (size_t i = 0; i < n; i++)
		if (u[i].group == g)
			return &u[i];
	return NULL;
}

static void test_groups_and_pins(void)
{
	char *dir = xasprintf("%s/g", root);
	uint64_t cap = 640 * KiB, size = 200 * KiB;
	struct ocache *c = open_cache(dir, cap);
	fill_group(c, 0, 7, size);
	usleep(20000);
	fill_group(c, 1, 7, size);
	usleep(20000);
	fill_group(c, 2, 9, 100 * KiB);
	struct ocache_usage *u = NULL;
	size_t n = 0;
	CHECK(ocache_groups(c, &u, &n) == 0 && n == 2);
	const struct ocache_usage *g7 = usage_of(u, n, 7), *g9 = usage_of(u, n, 9);
	CHECK(g7 && g7->objects == 2 && g7->bytes == 2 * size && g7->pinned_bytes == 0);
	CHECK(g9 && g9->objects == 1 && g9->bytes == 100 * KiB);
	free(u);

	/* lookup: complete, and the id an identity names */
	uint8_t id0[32], id1[32], id9[32];
	char *i0 = ident(0), *i1 = ident(1), *i9 = ident(9);
	ocache_id(i0, id0);
	ocache_id(i1, id1);
	ocache_id(i9, id9);
	uint64_t bytes = 0;
	bool full = false;
	CHECK(ocache_lookup(c, id0, size, &bytes, &full, NULL) == 0 && full && bytes == size);
	CHECK(ocache_lookup(c, id9, size, NULL, NULL, NULL) == -ENOENT);
	CHECK(ocache_pin(c, id9, true) == -ENOENT);

	/* object 0 is the least recently used, but pinned: object 1 goes */
	CHECK(ocache_pin(c, id0, true) == 0 && ocache_pinned_bytes(c) == size);
	fill_group(c, 3, 9, size);
	fill_group(c, 4, 9, size);
	CHECK(ocache_lookup(c, id0, size, NULL, &full, NULL) == 0 && full);
	CHECK(ocache_lookup(c, id1, size, NULL, NULL, NULL) == -ENOENT);
	ocache_close(c);

	/* the group survives a reopen; pins given at open hold from the start */
	const uint8_t(*pins)[32] = (const uint8_t(*)[32])id0;
	struct ocache_opts oo = {.dir = dir, .max_bytes = 200 * KiB, .pins = pins, .npins = 1};
	c = NULL;
	CHECK(ocache_open(&oo, &c, NULL) == 0);
	CHECK(c && ocache_lookup(c, id0, size, NULL, &full, NULL) == 0 && full);
	CHECK(c && ocache_groups(c, &u, &n) == 0);
	g7 = usage_of(u, n, 7);
	CHECK(g7 && g7->objects == 1 && g7->pinned_bytes == size);
	free(u);
	/* drop: the group's objects go, pinned or not, open or closed */
	struct oc_obj *o;
	CHECK(oc_open_group(c, i0, 7, size, &o) == 0);
	CHECK(ocache_drop_group(c, 7) == size);
	CHECK(ocache_lookup(c, id0, size, &bytes, &full, NULL) == 0 && !full && bytes == 0);
	CHECK(ocache_pinned_bytes(c) == 0);
	oc_close(o);
	ocache_close(c);
	free(i0);
	free(i1);
	free(i9);
	free(dir);
}

struct conc {
	struct oc_obj *o;
	struct src *s;
	int ok;
};

static void *reader_thread(void *arg)
{
	struct conc *c = arg;
	c->ok = 1;
	for (uint64_t off = 0; off < oc_size(c->o); off += 48 * KiB) {
		uint64_t len = oc_size(c->o) - off < 48 * KiB ? oc_size(c->o) - off : 48 * KiB;
		if (read_ok(c->o, c->s, off, (size_t)len) != 1)
			c->ok = 0;
	}
	return NULL;
}

static void test_concurrent(void)
{
	char *dir = xasprintf("%s/c", root);
	struct ocache *c = open_cache(dir, 0);
	char *id = ident(6);
	struct oc_obj *o;
	uint64_t size = 3000 * KiB;
	CHECK(oc_open(c, id, size, &o) == 0);
	struct src s = {.o = o, .obj = 6, .piece = 1000};
	pthread_t t[8];
	struct conc cc[8];
	for (int i = 0; i < 8; i++) {
		cc[i] = (struct conc){.o = o, .s = &s};
		pthread_create(&t[i], NULL, reader_thread, &cc[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CHECK(cc[i].ok == 1);
	}
	CHECK(s.bytes == size); /* every block fetched exactly once */
	oc_close(o);
	ocache_close(c);
	free(id);
	free(dir);
}

static void test_failed_fetch(void)
{
	char *dir = xasprintf("%s/f", root);
	struct ocache *c = open_cache(dir, 0);
	char *id = ident(7);
	struct oc_obj *o;
	CHECK(oc_open(c, id, 100 * KiB, &o) == 0);
	struct src s = {.o = o, .obj = 7, .fail = 1};
	CHECK(read_ok(o, &s, 0, 40 * KiB) == -EIO);
	CHECK(oc_next_empty(o, 0, oc_nblocks(o)) == 0); /* given back */
	CHECK(read_ok(o, &s, 0, 40 * KiB) == 1);        /* and fetched again */
	/* claim / unclaim / covered */
	CHECK(!oc_covered(o, 0, 3));    /* block 2 was never read */
	CHECK(oc_claim(o, 2, 10) == 2); /* blocks 2 and 3 (the last: 100 KiB) */
	CHECK(oc_covered(o, 0, 3));
	CHECK(oc_claim(o, 3, 1) == 0);
	oc_unclaim(o, 2, 2);
	CHECK(!oc_covered(o, 0, 3));
	oc_close(o);
	ocache_close(c);
	free(id);
	free(dir);
}

static void test_leftovers_and_lock(void)
{
	char *dir = xasprintf("%s/l", root);
	struct ocache *c = open_cache(dir, 0);
	CHECK(c != NULL);
	struct ocache *c2 = NULL;
	struct ocache_opts oo = {.dir = dir};
	char *err = NULL;
	CHECK(ocache_open(&oo, &c2, &err) == -EBUSY && err && strstr(err, dir));
	free(err);
	ocache_close(c);
	char *old = xasprintf("%s/ab/%064d-3.blk", dir, 0);
	char *tmp = xasprintf("%s/ab/x.idx.1.tmp", dir);
	char *orphan = xasprintf("%s/ab/%064d.dat", dir, 0);
	char *mine = xasprintf("%s/ab/notes.txt", dir);
	const char *files[] = {old, tmp, orphan, mine};
	for (int i = 0; i < 4; i++)
		close(open(files[i], O_CREAT | O_WRONLY, 0600));
	c = open_cache(dir, 0);
	CHECK(access(old, F_OK) != 0 && access(tmp, F_OK) != 0 && access(orphan, F_OK) != 0);
	CHECK(access(mine, F_OK) == 0); /* not ours: left alone */
	struct stat sb;
	CHECK(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	ocache_close(c);
	for (int i = 0; i < 4; i++)
		free((char *)files[i]);
	free(dir);
}

static int spares(struct ocache *c)
{
	pthread_mutex_lock(&c->smu);
	int n = c->soff ? -1 : c->nspare;
	pthread_mutex_unlock(&c->smu);
	return n;
}

static void test_spares(void)
{
	char *dir = xasprintf("%s/sp", root);
	struct ocache *c = open_cache(dir, 0);
	CHECK(c != NULL);
	for (int i = 0; i < 200 && spares(c) >= 0 && spares(c) < OC_SPARES; i++)
		usleep(10000);
	CHECK(spares(c) == OC_SPARES); /* O_TMPFILE works on the test's file system */
	/* A leftover pair under the names of object 40, unknown to the cache. */
	char *dat = data_path(dir, 40, "dat"), *idx = data_path(dir, 40, "idx");
	char *sub = xstrdup(dat);
	*strrchr(sub, '/') = '\0';
	mkdir(sub, 0700);
	for (int k = 0; k < 2; k++) {
		int fd = open(k ? idx : dat, O_CREAT | O_WRONLY | O_TRUNC, 0600);
		CHECK(fd >= 0 && write(fd, "junk", 4) == 4);
		close(fd);
	}
	struct src s[6];
	for (int k = 0; k < 6; k++) { /* 4 from spares, then made by name or new spares */
		memset(&s[k], 0, sizeof(s[k]));
		s[k].obj = 40 + k;
		char *id = ident(40 + k);
		CHECK(oc_open(c, id, 300 * KiB, &s[k].o) == 0);
		free(id);
		CHECK(read_ok(s[k].o, &s[k], 0, 300 * KiB) == 1);
		oc_close(s[k].o);
	}
	CHECK(atomic_load(&c->sused) >= OC_SPARES);
	struct stat sb;
	CHECK(stat(dat, &sb) == 0 && sb.st_size == 300 * KiB);
	ocache_close(c);
	c = open_cache(dir, 0);
	for (int k = 0; k < 6; k++) { /* all there, nothing fetched again */
		char *id = ident(40 + k);
		CHECK(oc_open(c, id, 300 * KiB, &s[k].o) == 0);
		free(id);
		int calls = atomic_load(&s[k].calls);
		CHECK(read_ok(s[k].o, &s[k], 0, 300 * KiB) == 1);
		CHECK(atomic_load(&s[k].calls) == calls);
		oc_close(s[k].o);
	}
	ocache_close(c);
	free(sub);
	free(dat);
	free(idx);
	free(dir);
}

static void test_crc(void)
{
	CHECK(crc32c(0, "123456789", 9) == 0xe3069283U);
	uint8_t *b = malloc(100000);
	for (int i = 0; i < 100000; i++)
		b[i] = (uint8_t)(i * 2654435761U >> 13);
	for (size_t n = 0; n < 100000; n = n * 3 + 1) {
		CHECK(crc32c(0, b, n) == crc32c_sw(0, b, n));
		CHECK(crc32c(crc32c(0, b, n / 3), b + n / 3, n - n / 3) == crc32c(0, b, n));
	}
	CHECK(crc32c(0, b, 100000) == crc32c_sw(0, b, 100000));
	free(b);
}

static int rm(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb, (void)flag, (void)f;
	return remove(p);
}

int main(void)
{
	snprintf(root, sizeof(root), "/tmp/ucfs-objcache-XXXXXX");
	if (!mkdtemp(root))
		return 1;
	test_crc();
	test_fetch_hit_reopen_corrupt();
	test_killed_writer();
	test_eviction();
	test_groups_and_pins();
	test_small_objects_cap();
	test_concurrent();
	test_failed_fetch();
	test_leftovers_and_lock();
	test_spares();
	nftw(root, rm, 16, FTW_DEPTH | FTW_PHYS);
	return check_done();
}
