/* blockcache.c - persistent LRU block cache; the contract is in blockcache.h. */
#include "cache/blockcache.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>
#ifdef __x86_64__
#include <nmmintrin.h>
#endif

#include "util/log.h"
#include "util/strutil.h"

#define HDR_SIZE 72
#define HDR_VERSION 1
#define NAME_BUF 128 /* "ab/<64 hex>-<20 digits>.blk" */
#define HEX "0123456789abcdef"

struct ent {
	struct ent *hnext;       /* hash chain */
	struct ent *prev, *next; /* LRU ring through bcache.ring: next is less recent */
	uint8_t id[32];
	uint64_t block, fsize;
	uint64_t stamp; /* ns since the epoch; only kept up to date while scanning */
};

struct bcache {
	int dirfd, lockfd;
	char *dir;
	uint64_t max_bytes;
	uint32_t bsize;
	bool fsync;
	pthread_mutex_t mu; /* guards everything below except the atomics */
	struct ent **tab;
	size_t nb, n;
	struct ent ring; /* sentinel: ring.next = most, ring.prev = least recently used */
	uint64_t last;   /* last recency stamp handed out */
	uint64_t bytes_used, bytes_written, evictions, corrupt;
	uint64_t seq, hits, misses, bytes_read; /* atomics */
};

/* ---- CRC32C: SSE4.2 instruction when present, else slicing-by-8 ---- */

static uint32_t crc_tab[8][256];
#ifdef __x86_64__
static bool crc_hw;
#endif
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78U & (0U - (c & 1U)));
		crc_tab[0][i] = c;
	}
	for (int t = 1; t < 8; t++)
		for (int i = 0; i < 256; i++)
			crc_tab[t][i] = (crc_tab[t - 1][i] >> 8) ^ crc_tab[0][crc_tab[t - 1][i] & 0xff];
#ifdef __x86_64__
	__builtin_cpu_init();
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static void put64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }
static void put32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }

static uint32_t crc_sw(uint32_t crc, const uint8_t *p, size_t n) /* un-inverted */
{
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w = get64(p) ^ crc;
		crc = crc_tab[7][w & 0xff] ^ crc_tab[6][(w >> 8) & 0xff] ^
		      crc_tab[5][(w >> 16) & 0xff] ^ crc_tab[4][(w >> 24) & 0xff] ^
		      crc_tab[3][(w >> 32) & 0xff] ^ crc_tab[2][(w >> 40) & 0xff] ^
		      crc_tab[1][(w >> 48) & 0xff] ^ crc_tab[0][w >> 56];
	}
	while (n--)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

#ifdef __x86_64__
__attribute__((target("sse4.2"))) static uint32_t crc_sse(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = crc;
	for (; n >= 8; p += 8, n -= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
	}
	for (crc = (uint32_t)c; n--;)
		crc = _mm_crc32_u8(crc, *p++);
	return crc;
}
#endif

uint32_t bcache_crc32c_sw(uint32_t crc, const void *data, size_t n)
{
	pthread_once(&crc_once, crc_init);
	return ~crc_sw(~crc, data, n);
}

uint32_t bcache_crc32c(uint32_t crc, const void *data, size_t n)
{
	pthread_once(&crc_once, crc_init);
#ifdef __x86_64__
	if (crc_hw)
		return ~crc_sse(~crc, data, n);
#endif
	return ~crc_sw(~crc, data, n);
}

/* ---- header, names, small helpers ---- */

struct hdr {
	uint32_t bsize, len, pcrc;
	uint64_t block;
	uint8_t id[32];
};

static void hdr_encode(uint8_t *h, const struct hdr *v)
{
	memset(h, 0, HDR_SIZE);
	memcpy(h, "UCFSBLK", 8);
	put32(h + 8, HDR_VERSION);
	put32(h + 12, v->bsize);
	put64(h + 16, v->block);
	put32(h + 24, v->len);
	put32(h + 28, v->pcrc);
	memcpy(h + 32, v->id, 32);
	put32(h + 68, bcache_crc32c(0, h, 68)); /* bytes 64..67 reserved, zero */
}

static int hdr_decode(const uint8_t *h, struct hdr *v)
{
	if (memcmp(h, "UCFSBLK", 8) != 0 || get32(h + 8) != HDR_VERSION ||
	    get32(h + 68) != bcache_crc32c(0, h, 68))
		return -1;
	v->bsize = get32(h + 12);
	v->block = get64(h + 16);
	v->len = get32(h + 24);
	v->pcrc = get32(h + 28);
	memcpy(v->id, h + 32, 32);
	return 0;
}

/* "ab/ab...(64 hex)-<block>.blk", relative to the cache dir. */
static void ent_name(char *buf, const uint8_t *id, uint64_t block)
{
	char hex[65];
	for (int i = 0; i < 32; i++)
		hex[2 * i] = HEX[id[i] >> 4], hex[2 * i + 1] = HEX[id[i] & 15];
	hex[64] = '\0';
	snprintf(buf, NAME_BUF, "%.2s/%s-%" PRIu64 ".blk", hex, hex, block);
}

static uint64_t ts_ns(struct timespec t)
{
	return (uint64_t)t.tv_sec * 1000000000ULL + (uint64_t)t.tv_nsec;
}

/* Strictly increasing wall-clock stamp, as utimensat() wants it. Under mu. */
static void next_stamp(struct bcache *c, struct timespec ts[2])
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	c->last = ts_ns(now) > c->last ? ts_ns(now) : c->last + 1;
	ts[0] = (struct timespec){0, UTIME_OMIT};
	ts[1] = (struct timespec){(time_t)(c->last / 1000000000ULL), (long)(c->last % 1000000000ULL)};
}

/* Read up to n bytes at off; *got < n only at end of file. */
static int pread_full(int fd, void *buf, size_t n, off_t off, size_t *got)
{
	ssize_t r = 1;
	for (*got = 0; *got < n && r != 0; *got += r > 0 ? (size_t)r : 0) {
		r = pread(fd, (char *)buf + *got, n - *got, off + (off_t)*got);
		if (r < 0 && errno != EINTR)
			return -errno;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	while (n) {
		ssize_t r = write(fd, buf, n);
		if (r < 0 && errno != EINTR)
			return -errno;
		r = r < 0 ? 0 : r;
		buf = (const char *)buf + r;
		n -= (size_t)r;
	}
	return 0;
}

/* ---- index: hash table + LRU ring, all under mu ---- */

static struct ent **find_slot(struct bcache *c, const uint8_t *id, uint64_t block)
{
	uint64_t h;
	memcpy(&h, id, 8);
	struct ent **pp = &c->tab[(h ^ (block * 0x9E3779B97F4A7C15ULL)) & (c->nb - 1)];
	while (*pp && !((*pp)->block == block && memcmp((*pp)->id, id, 32) == 0))
		pp = &(*pp)->hnext;
	return pp;
}

static void lru_unlink(struct ent *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void lru_front(struct bcache *c, struct ent *e)
{
	e->prev = &c->ring;
	e->next = c->ring.next;
	e->next->prev = e;
	c->ring.next = e;
}

/* Insert e (not present) as most recently used. A failed table growth only
 * lengthens the chains. */
static void index_add(struct bcache *c, struct ent *e)
{
	struct ent **old = c->tab, **t;
	size_t onb = c->nb;
	if (c->n >= c->nb && (t = calloc(2 * onb, sizeof(*t)))) {
		c->tab = t;
		c->nb = 2 * onb;
		for (size_t i = 0; i < onb; i++) {
			for (struct ent *x = old[i], *nx; x; x = nx) {
				nx = x->hnext;
				struct ent **pp = find_slot(c, x->id, x->block);
				x->hnext = NULL;
				*pp = x;
			}
		}
		free(old);
	}
	e->hnext = NULL;
	*find_slot(c, e->id, e->block) = e;
	lru_front(c, e);
	c->n++;
	c->bytes_used += e->fsize;
}

static void index_drop(struct bcache *c, struct ent *e, bool unlink_file)
{
	struct ent **pp = find_slot(c, e->id, e->block);
	*pp = e->hnext;
	lru_unlink(e);
	c->n--;
	c->bytes_used -= e->fsize;
	if (unlink_file) {
		char name[NAME_BUF];
		ent_name(name, e->id, e->block);
		if (unlinkat(c->dirfd, name, 0) < 0 && errno != ENOENT)
			log_warn("cache: cannot remove %s/%s: %s", c->dir, name, strerror(errno));
	}
	free(e);
}

static void evict_locked(struct bcache *c, const struct ent *keep)
{
	while (c->bytes_used > c->max_bytes && c->ring.prev != &c->ring && c->ring.prev != keep) {
		index_drop(c, c->ring.prev, true);
		c->evictions++;
	}
}

/* ---- get / put ---- */

static int miss(struct bcache *c)
{
	__atomic_fetch_add(&c->misses, 1, __ATOMIC_RELAXED);
	return -ENOENT;
}

/* The block at name vanished (fd < 0) or proved corrupt through fd (why):
 * drop it, unless a concurrent put has re-created it (renames happen under
 * mu, so index and directory agree while it is held). Returns a miss. */
static int forget(struct bcache *c, int fd, const char *name, const uint8_t *id, uint64_t block,
		  const char *why)
{
	struct stat a, b;
	pthread_mutex_lock(&c->mu);
	struct ent *e = *find_slot(c, id, block);
	bool gone = fstatat(c->dirfd, name, &b, 0) < 0 && errno == ENOENT;
	bool same = fd >= 0 && !gone && fstat(fd, &a) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev;
	if (e && (fd < 0 ? gone : same))
		index_drop(c, e, same);
	else if (same) /* not indexed (cannot happen while mu holds): still remove */
		unlinkat(c->dirfd, name, 0);
	if (same) {
		c->corrupt++;
		log_warn("cache: removed corrupt block %s/%s (%s)", c->dir, name, why);
	}
	pthread_mutex_unlock(&c->mu);
	return miss(c);
}

int bcache_get(struct bcache *c, const char *identity, uint64_t block, void *buf, size_t cap,
	       size_t *len)
{
	uint8_t id[32], h[HDR_SIZE];
	char name[NAME_BUF];
	struct timespec ts[2];
	if (len)
		*len = 0;
	if (!c || !identity || (!buf && cap))
		return -EINVAL;
	SHA256((const unsigned char *)identity, strlen(identity), id);
	ent_name(name, id, block);

	pthread_mutex_lock(&c->mu);
	struct ent *e = *find_slot(c, id, block);
	if (e) {
		lru_unlink(e);
		lru_front(c, e);
		next_stamp(c, ts);
	}
	pthread_mutex_unlock(&c->mu);
	if (!e)
		return miss(c);

	int fd = openat(c->dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int r = -errno; /* ENOENT: evicted meanwhile, or removed by someone */
		return r == -ENOENT ? forget(c, -1, name, id, block, NULL) : r;
	}
	struct hdr v;
	struct stat st;
	size_t got;
	const char *why = NULL;
	int r = pread_full(fd, h, HDR_SIZE, 0, &got);
	if (r)
		goto out;
	if (got < HDR_SIZE || hdr_decode(h, &v) < 0)
		why = "bad header";
	else if (v.bsize != c->bsize || v.block != block || memcmp(v.id, id, 32) != 0)
		why = "header names another block";
	else if (v.len > cap) {
		r = -ERANGE;
		goto out;
	} else if ((r = pread_full(fd, buf, v.len, HDR_SIZE, &got)) != 0)
		goto out;
	else if (got != v.len || fstat(fd, &st) < 0 || (uint64_t)st.st_size != HDR_SIZE + (uint64_t)v.len)
		why = "wrong length";
	else if (bcache_crc32c(0, buf, v.len) != v.pcrc)
		why = "checksum mismatch";
	if (why) {
		r = forget(c, fd, name, id, block, why);
		goto out;
	}
	futimens(fd, ts); /* recency survives reopen; a failure only costs order */
	__atomic_fetch_add(&c->hits, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&c->bytes_read, v.len, __ATOMIC_RELAXED);
	if (len)
		*len = v.len;
out:
	close(fd);
	return r;
}

int bcache_put(struct bcache *c, const char *identity, uint64_t block, const void *buf,
	       size_t len)
{
	uint8_t h[HDR_SIZE];
	char name[NAME_BUF], tmp[NAME_BUF + 32];
	struct timespec ts[2];
	struct hdr v = {.len = (uint32_t)len, .block = block};
	if (!c || !identity || (!buf && len) || len > c->bsize)
		return -EINVAL;
	if (HDR_SIZE + (uint64_t)len > c->max_bytes)
		return -EFBIG;
	SHA256((const unsigned char *)identity, strlen(identity), v.id);
	ent_name(name, v.id, block);

	pthread_mutex_lock(&c->mu);
	struct ent *e = *find_slot(c, v.id, block);
	next_stamp(c, ts);
	if (e) { /* immutable: already cached, just refresh its recency */
		lru_unlink(e);
		lru_front(c, e);
	}
	pthread_mutex_unlock(&c->mu);
	if (e)
		return utimensat(c->dirfd, name, ts, 0), 0;

	if (!(e = calloc(1, sizeof(*e))))
		return -ENOMEM;
	memcpy(e->id, v.id, 32);
	e->block = block;
	e->fsize = HDR_SIZE + (uint64_t)len;
	snprintf(tmp, sizeof(tmp), "%s.%" PRIu64 ".tmp", name,
		 __atomic_fetch_add(&c->seq, 1, __ATOMIC_RELAXED));
	int r = 0, fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT) { /* first block in this subdirectory */
		char sub[3] = {name[0], name[1], '\0'};
		if (mkdirat(c->dirfd, sub, 0700) == 0 || errno == EEXIST)
			fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	}
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	v.bsize = c->bsize;
	v.pcrc = bcache_crc32c(0, buf, len);
	hdr_encode(h, &v);
	if (!(r = write_full(fd, h, HDR_SIZE)) && !(r = write_full(fd, buf, len)) && c->fsync &&
	    fsync(fd) < 0)
		r = -errno;
	if (!r)
		futimens(fd, ts);
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r)
		goto fail;

	pthread_mutex_lock(&c->mu);
	if (*find_slot(c, v.id, block)) { /* a concurrent put of the same block won */
		pthread_mutex_unlock(&c->mu);
		goto fail;
	}
	if (renameat(c->dirfd, tmp, c->dirfd, name) < 0) {
		r = -errno;
		pthread_mutex_unlock(&c->mu);
		goto fail;
	}
	index_add(c, e);
	c->bytes_written += len;
	evict_locked(c, e);
	pthread_mutex_unlock(&c->mu);
	return 0;
fail:
	unlinkat(c->dirfd, tmp, 0); /* tmp names are unique: nobody else's file */
	free(e);
	return r;
}

bool bcache_contains(struct bcache *c, const char *identity, uint64_t block)
{
	uint8_t id[32];
	SHA256((const unsigned char *)identity, strlen(identity), id);
	pthread_mutex_lock(&c->mu);
	bool r = *find_slot(c, id, block) != NULL;
	pthread_mutex_unlock(&c->mu);
	return r;
}

/* ---- open / scan / close ---- */

struct scan {
	struct ent **v;
	size_t n, cap;
	unsigned tmp, bad, other_bs;
};

static DIR *open_dir(int at, const char *name)
{
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC), e;
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	if (fd >= 0 && !d)
		e = errno, close(fd), errno = e;
	return d;
}

/* Check sub/nm (a name ending in .blk): 1 = valid block (*out allocated),
 * 0 = valid but another block size, -1 = torn/corrupt/misnamed, -ENOMEM. */
static int check_file(struct bcache *c, int sfd, const char *sub, const char *nm,
		      struct ent **out)
{
	uint8_t h[HDR_SIZE];
	char want[NAME_BUF];
	struct hdr v;
	struct stat st;
	size_t got = 0;
	int ok = -1, fd = openat(sfd, nm, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && pread_full(fd, h, HDR_SIZE, 0, &got) == 0 && got == HDR_SIZE &&
	    hdr_decode(h, &v) == 0 && (uint64_t)st.st_size == HDR_SIZE + (uint64_t)v.len &&
	    v.len <= v.bsize) {
		ent_name(want, v.id, v.block); /* the name must be the header's */
		if (strncmp(want, sub, 2) == 0 && strcmp(want + 3, nm) == 0)
			ok = v.bsize == c->bsize;
	}
	close(fd);
	if (ok == 1) {
		if (!(*out = calloc(1, sizeof(**out))))
			return -ENOMEM;
		memcpy((*out)->id, v.id, 32);
		(*out)->block = v.block;
		(*out)->fsize = (uint64_t)st.st_size;
		(*out)->stamp = ts_ns(st.st_mtim);
	}
	return ok;
}

static int scan_sub(struct bcache *c, const char *sub, struct scan *s)
{
	DIR *d = open_dir(c->dirfd, sub);
	if (!d)
		return errno == ENOTDIR ? 0 : -errno;
	int r = 0, sfd = dirfd(d);
	struct dirent *de;
	while (!r && (de = readdir(d))) {
		const char *nm = de->d_name;
		struct ent *e = NULL;
		bool tmp = str_endswith(nm, ".tmp");
		if (!tmp && !str_endswith(nm, ".blk"))
			continue; /* not ours: left alone */
		if (s->n == s->cap) {
			size_t ncap = s->cap ? s->cap * 2 : 256;
			struct ent **nv = realloc(s->v, ncap * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			s->v = nv;
			s->cap = ncap;
		}
		int ok = tmp ? -1 : check_file(c, sfd, sub, nm, &e);
		if (ok == -ENOMEM)
			r = ok;
		else if (ok == 1)
			s->v[s->n++] = e;
		else
			unlinkat(sfd, nm, 0);
		s->tmp += tmp;
		s->bad += !tmp && ok == -1;
		s->other_bs += ok == 0;
	}
	closedir(d);
	return r;
}

static int cmp_stamp(const void *a, const void *b)
{
	const struct ent *x = *(struct ent *const *)a, *y = *(struct ent *const *)b;
	return (x->stamp > y->stamp) - (x->stamp < y->stamp);
}

static int scan(struct bcache *c)
{
	DIR *d = open_dir(c->dirfd, ".");
	if (!d)
		return -errno;
	struct scan s = {0};
	int r = 0;
	struct dirent *de;
	while (!r && (de = readdir(d)))
		if (strlen(de->d_name) == 2 && strspn(de->d_name, HEX) == 2)
			r = scan_sub(c, de->d_name, &s);
	closedir(d);
	if (s.n) /* oldest first, so that the newest ends up most recently used */
		qsort(s.v, s.n, sizeof(*s.v), cmp_stamp);
	for (size_t i = 0; i < s.n; i++) {
		if (r) {
			free(s.v[i]);
			continue;
		}
		index_add(c, s.v[i]);
		c->last = s.v[i]->stamp > c->last ? s.v[i]->stamp : c->last;
	}
	free(s.v);
	if (r)
		return r;
	c->corrupt += s.bad;
	evict_locked(c, NULL);
	if (s.tmp || s.bad || s.other_bs)
		log_info("cache %s: removed %u temp, %u torn/corrupt, %u other-block-size files",
			 c->dir, s.tmp, s.bad, s.other_bs);
	return 0;
}

static int mkdir_p(const char *path)
{
	char *p = xstrdup(path);
	int r = p ? 0 : -ENOMEM;
	for (char *q = p ? p + 1 : NULL; !r; q++) {
		if (*q != '/' && *q != '\0')
			continue;
		char ch = *q;
		*q = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			r = -errno;
		if (!(*q = ch))
			break;
	}
	free(p);
	return r;
}

int bcache_open(const struct bcache_opts *o, struct bcache **out, char **err)
{
	const char *dir = o && o->dir ? o->dir : "", *what = "no directory given: ";
	uint32_t bs = o && o->block_size ? o->block_size : BCACHE_DEFAULT_BLOCK_SIZE;
	struct bcache *c = NULL;
	int r = -EINVAL;
	if (err)
		*err = NULL;
	*out = NULL;
	if (str_empty(dir))
		goto fail;
	what = "block size out of range: ";
	if (bs < BCACHE_MIN_BLOCK_SIZE || bs > BCACHE_MAX_BLOCK_SIZE)
		goto fail;
	what = "";
	r = -ENOMEM;
	if (!(c = calloc(1, sizeof(*c))))
		goto fail;
	c->dirfd = c->lockfd = -1;
	c->bsize = bs;
	c->max_bytes = o->max_bytes ? o->max_bytes : BCACHE_DEFAULT_MAX_BYTES;
	c->fsync = o->fsync;
	c->ring.next = c->ring.prev = &c->ring;
	c->nb = 1024;
	pthread_mutex_init(&c->mu, NULL);
	c->dir = xstrdup(dir);
	c->tab = calloc(c->nb, sizeof(*c->tab));
	if (!c->dir || !c->tab)
		goto fail;
	what = "cannot create: ";
	if ((r = mkdir_p(dir)) < 0)
		goto fail;
	what = "cannot open: ";
	if ((c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		goto fail_errno;
	what = "not writable: ";
	if ((c->lockfd = openat(c->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    faccessat(c->dirfd, ".", W_OK | X_OK, AT_EACCESS) < 0)
		goto fail_errno;
	what = "in use by another process: ";
	if (flock(c->lockfd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto fail;
	}
	what = "cannot scan: ";
	if ((r = scan(c)) < 0)
		goto fail;
	*out = c;
	return 0;
fail_errno:
	r = -errno;
fail:
	if (err)
		*err = xasprintf("cache dir '%s': %s%s", dir, what, strerror(-r));
	bcache_close(c);
	return r;
}

void bcache_close(struct bcache *c)
{
	if (!c)
		return;
	for (struct ent *e = c->ring.next, *nx; e && e != &c->ring; e = nx) {
		nx = e->next;
		free(e);
	}
	free(c->tab);
	if (c->lockfd >= 0)
		close(c->lockfd); /* releases the flock */
	if (c->dirfd >= 0)
		close(c->dirfd);
	pthread_mutex_destroy(&c->mu);
	free(c->dir);
	free(c);
}

void bcache_stats(struct bcache *c, struct bcache_stats *out)
{
	pthread_mutex_lock(&c->mu);
	*out = (struct bcache_stats){.entries = c->n, .bytes_used = c->bytes_used,
				     .bytes_written = c->bytes_written, .evictions = c->evictions,
				     .corrupt = c->corrupt};
	pthread_mutex_unlock(&c->mu);
	out->hits = __atomic_load_n(&c->hits, __ATOMIC_RELAXED);
	out->misses = __atomic_load_n(&c->misses, __ATOMIC_RELAXED);
	out->bytes_read = __atomic_load_n(&c->bytes_read, __ATOMIC_RELAXED);
}

uint32_t bcache_block_size(const struct bcache *c)
{
	return c->bsize;
}
