/* objcache.c - the disk cache of immutable objects; the contract is in objcache.h. */
#include "cache/objcache_internal.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "util/crc32c.h"
#include "util/log.h"
#include "util/strutil.h"

/* ---- small helpers ---- */

uint64_t oc_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void hexid(char out[65], const uint8_t *id)
{
	for (int i = 0; i < 32; i++)
		out[2 * i] = HEX[id[i] >> 4], out[2 * i + 1] = HEX[id[i] & 15];
	out[64] = '\0';
}

/* "ab/<hex>.<ext>" relative to the cache dir. */
void oc_obj_name(char *buf, const uint8_t *id, const char *ext)
{
	char h[65];
	hexid(h, id);
	snprintf(buf, NAME_BUF, "%.2s/%s.%s", h, h, ext);
}

uint32_t oc_block_size_for(uint64_t size)
{
	uint32_t bs = OC_MIN_BLOCK;
	while (bs < (1U << 30) && (size + bs - 1) / bs > OC_MAX_BLOCKS)
		bs <<= 1;
	return bs;
}

size_t oc_blen(const struct oc_obj *o, uint64_t b)
{
	uint64_t off = b * o->bs;
	return off >= o->size ? 0 : o->size - off < o->bs ? (size_t)(o->size - off) : o->bs;
}

/* Disk space of a block of len bytes: the file system allocates whole pages,
 * so an object's partial last block takes up to 4 KiB more than its bytes. */
uint64_t oc_disk_len(uint64_t len)
{
	return (len + OC_DISK_UNIT - 1) / OC_DISK_UNIT * OC_DISK_UNIT;
}

size_t oc_bdisk(const struct oc_obj *o, uint64_t b)
{
	return (size_t)oc_disk_len(oc_blen(o, b));
}

uint32_t oc_ent_check(const uint8_t *id, uint64_t b, uint32_t crc)
{
	uint8_t m[20];
	put64(m, b);
	put32(m + 8, crc);
	memcpy(m + 12, id, 8);
	return crc32c(ENT_SEED, m, sizeof(m)) | 1U; /* never 0: a zeroed entry is invalid */
}

void oc_hdr_encode(uint8_t *h, uint32_t bs, uint64_t size, uint64_t nblocks,
		  const uint8_t *id, uint64_t group)
{
	memset(h, 0, HDR_SIZE);
	memcpy(h, "UCFSOBJ", 8);
	put32(h + 8, HDR_VERSION);
	put32(h + 12, bs);
	put64(h + 16, size);
	put64(h + 24, nblocks);
	memcpy(h + 32, id, 32);
	put64(h + 64, group); /* 0 in objects made before groups existed */
	put32(h + 92, crc32c(0, h, 92));
}

static int hdr_decode(const uint8_t *h, uint32_t *bs, uint64_t *size, uint64_t *nblocks,
		      uint8_t *id, uint64_t *group)
{
	if (memcmp(h, "UCFSOBJ", 8) || get32(h + 8) != HDR_VERSION || get32(h + 92) != crc32c(0, h, 92))
		return -1;
	*bs = get32(h + 12);
	*size = get64(h + 16);
	*nblocks = get64(h + 24);
	memcpy(id, h + 32, 32);
	*group = get64(h + 64);
	if (*bs < OC_MIN_BLOCK || (*bs & (*bs - 1)) || *bs != oc_block_size_for(*size) ||
	    *nblocks != (*size + *bs - 1) / *bs)
		return -1;
	return 0;
}

/* All n bytes at off, or -errno (-EIO for a file that ends early). */
static int io_full(int fd, char *buf, size_t n, uint64_t off, bool write)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = write ? pwrite(fd, buf + done, n - done, (off_t)(off + done))
				  : pread(fd, buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

int oc_pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	return io_full(fd, buf, n, off, false);
}

int oc_pwrite_full(int fd, const void *buf, size_t n, uint64_t off)
{
	return io_full(fd, (char *)buf, n, off, true);
}

/* ---- registry (cache mutex held) ---- */

static size_t hslot(const struct ocache *c, const uint8_t *id)
{
	uint64_t h;
	memcpy(&h, id, 8);
	return (size_t)(h % c->nb);
}

struct ent *oc_find_ent(struct ocache *c, const uint8_t *id)
{
	for (struct ent *e = c->tab[hslot(c, id)]; e; e = e->hnext)
		if (!memcmp(e->id, id, 32))
			return e;
	return NULL;
}

static int grow(struct ocache *c)
{
	size_t nb = c->nb ? c->nb * 2 : 1024;
	struct ent **t = calloc(nb, sizeof(*t));
	if (!t)
		return -ENOMEM;
	struct ent **old = c->tab;
	size_t onb = c->nb;
	c->tab = t;
	c->nb = nb;
	for (size_t i = 0; i < onb; i++)
		for (struct ent *e = old[i], *nx; e; e = nx) {
			nx = e->hnext;
			size_t s = hslot(c, e->id);
			e->hnext = t[s];
			t[s] = e;
		}
	free(old);
	return 0;
}

static struct ent *add_ent(struct ocache *c, const uint8_t *id)
{
	if (c->n + 1 > c->nb && grow(c))
		return NULL;
	struct ent *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	memcpy(e->id, id, 32);
	size_t s = hslot(c, id);
	e->hnext = c->tab[s];
	c->tab[s] = e;
	c->n++;
	return e;
}

void oc_del_ent(struct ocache *c, struct ent *e)
{
	for (struct ent **pp = &c->tab[hslot(c, e->id)]; *pp; pp = &(*pp)->hnext)
		if (*pp == e) {
			*pp = e->hnext;
			break;
		}
	c->n--;
	free(e->checked);
	free(e);
}

void oc_unlink_obj(struct ocache *c, const uint8_t *id)
{
	char name[NAME_BUF];
	oc_obj_name(name, id, "idx");
	unlinkat(c->dirfd, name, 0);
	oc_obj_name(name, id, "dat");
	unlinkat(c->dirfd, name, 0);
}

/* ---- eviction ---- */

void oc_punch(struct oc_obj *o, uint64_t b)
{
	/* object mutex held; b is VALID */
	size_t n = oc_bdisk(o, b);
	fallocate(o->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(b * o->bs), (off_t)n);
	static const uint8_t zero[ENT_SIZE];
	oc_pwrite_full(o->ifd, zero, ENT_SIZE, HDR_SIZE + b * ENT_SIZE);
	o->st[b] = B_EMPTY;
	o->bytes -= n;
	atomic_fetch_sub(&o->c->bytes_used, n);
}

static int tick_cmp(const void *a, const void *b, void *arg)
{
	const uint32_t *t = arg;
	uint32_t x = t[*(const uint32_t *)a], y = t[*(const uint32_t *)b];
	return x < y ? -1 : x > y;
}

/* Evict VALID blocks of an open, unpinned object, least recently read
 * first, until the cache is down to target. Both mutexes held. */
static void evict_blocks(struct ocache *c, struct oc_obj *o, uint64_t target)
{
	uint32_t *idx = malloc(o->nblocks * sizeof(*idx));
	size_t n = 0;
	if (!idx)
		return;
	for (uint64_t b = 0; b < o->nblocks; b++)
		if ((o->st[b] & B_STATE) == B_VALID)
			idx[n++] = (uint32_t)b;
	qsort_r(idx, n, sizeof(*idx), tick_cmp, o->tick);
	for (size_t i = 0; i < n && atomic_load(&c->bytes_used) > target; i++) {
		if (o->hold[idx[i]])
			continue; /* a read is using it */
		oc_punch(o, idx[i]);
		atomic_fetch_add(&c->evictions, 1);
	}
	free(idx);
}

static uint64_t ent_last_use(const struct ent *e)
{
	return e->obj ? atomic_load(&e->obj->last_use) : e->last_use;
}

/* Evict down to 15/16 of the cap: least recently used objects first.
 * Cache mutex held. */
static void evict_locked(struct ocache *c)
{
	uint64_t target = c->max_bytes - c->max_bytes / 16;
	/* Each round removes the least recently used candidate; objects that
	 * cannot give anything now (pinned, nothing VALID) are skipped. */
	for (size_t round = 0; round <= c->n && atomic_load(&c->bytes_used) > target; round++) {
		struct ent *best = NULL;
		uint64_t best_use = UINT64_MAX;
		for (size_t i = 0; i < c->nb; i++)
			for (struct ent *e = c->tab[i]; e; e = e->hnext) {
				uint64_t u = ent_last_use(e);
				if (u >= best_use || e->pinned)
					continue;
				if (e->obj) {
					if (!e->obj->bytes)
						continue;
				} else if (!e->bytes) {
					continue;
				}
				best = e;
				best_use = u;
			}
		if (!best)
			break;
		if (!best->obj) {
			oc_unlink_obj(c, best->id);
			atomic_fetch_sub(&c->bytes_used, best->bytes);
			atomic_fetch_add(&c->evictions, (best->bytes + OC_MIN_BLOCK - 1) / OC_MIN_BLOCK);
			oc_del_ent(c, best);
			continue;
		}
		struct oc_obj *o = best->obj;
		pthread_mutex_lock(&o->mu);
		evict_blocks(c, o, target);
		/* what stays is in use right now: try older ones first next time */
		atomic_store(&o->last_use, oc_now_ns());
		pthread_mutex_unlock(&o->mu);
	}
}

void oc_maybe_evict(struct ocache *c)
{
	if (atomic_load(&c->bytes_used) <= c->max_bytes)
		return;
	int expect = 0;
	if (!atomic_compare_exchange_strong(&c->evicting, &expect, 1))
		return; /* another thread is at it */
	pthread_mutex_lock(&c->mu);
	evict_locked(c);
	pthread_mutex_unlock(&c->mu);
	atomic_store(&c->evicting, 0);
}

/* ---- open / scan ---- */

static int mkdirs(const char *path)
{
	char *p = xstrdup(path);
	if (!p)
		return -ENOMEM;
	int r = 0;
	for (char *s = p + 1; !r; s++) {
		if (*s != '/' && *s)
			continue;
		char save = *s;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			r = -errno;
		*s = save;
		if (!save)
			break;
	}
	free(p);
	return r;
}

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

static void unhex(uint8_t *id, const char *s)
{
	for (int i = 0; i < 32; i++) {
		int hi = s[2 * i] <= '9' ? s[2 * i] - '0' : s[2 * i] - 'a' + 10;
		int lo = s[2 * i + 1] <= '9' ? s[2 * i + 1] - '0' : s[2 * i + 1] - 'a' + 10;
		id[i] = (uint8_t)(hi << 4 | lo);
	}
}

/* Count the VALID bytes an index file records; -1 if its header is bad. */
static int64_t index_bytes(int ifd, const uint8_t *want_id, uint64_t *group)
{
	uint8_t h[HDR_SIZE], id[32];
	uint32_t bs;
	uint64_t size, nb;
	if (oc_pread_full(ifd, h, HDR_SIZE, 0) || hdr_decode(h, &bs, &size, &nb, id, group) ||
	    memcmp(id, want_id, 32))
		return -1;
	struct stat sb;
	if (fstat(ifd, &sb) < 0 || (uint64_t)sb.st_size != HDR_SIZE + nb * ENT_SIZE)
		return -1;
	uint8_t *ents = malloc(nb * ENT_SIZE + 1);
	if (!ents)
		return -1;
	int64_t bytes = -1;
	if (!oc_pread_full(ifd, ents, nb * ENT_SIZE, HDR_SIZE)) {
		bytes = 0;
		for (uint64_t b = 0; b < nb; b++) {
			const uint8_t *e = ents + b * ENT_SIZE;
			if (get32(e + 4) == oc_ent_check(id, b, get32(e))) {
				uint64_t off = b * bs;
				bytes += (int64_t)oc_disk_len(size - off < bs ? size - off : bs);
			}
		}
	}
	free(ents);
	return bytes;
}

/* Scan one fan-out directory: register objects, remove leftovers. */
static void scan_dir(struct ocache *c, const char *sub)
{
	int dfd = openat(c->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		size_t len = strlen(n);
		if (n[0] == '.')
			continue;
		bool idx = len == 68 && is_hex64(n) && !strcmp(n + 64, ".idx");
		bool dat = len == 68 && is_hex64(n) && !strcmp(n + 64, ".dat");
		if (dat) {
			char iname[72];
			snprintf(iname, sizeof(iname), "%.64s.idx", n);
			if (faccessat(dfd, iname, F_OK, 0) < 0)
				unlinkat(dfd, n, 0); /* no index: nothing in it can be trusted */
			continue;
		}
		if (!idx) {
			/* temp files, and blocks of the old per-block layout */
			if (str_endswith(n, ".tmp") || str_endswith(n, ".blk"))
				unlinkat(dfd, n, 0);
			continue;
		}
		uint8_t id[32];
		unhex(id, n);
		char dname[72];
		snprintf(dname, sizeof(dname), "%.64s.dat", n);
		int ifd = openat(dfd, n, O_RDONLY | O_CLOEXEC);
		struct stat sb;
		uint64_t group = 0;
		int64_t bytes = ifd >= 0 ? index_bytes(ifd, id, &group) : -1;
		bool ok = bytes >= 0 && fstat(ifd, &sb) == 0 && faccessat(dfd, dname, F_OK, 0) == 0;
		if (ifd >= 0)
			close(ifd);
		struct ent *e = ok ? add_ent(c, id) : NULL;
		if (!e) {
			unlinkat(dfd, n, 0);
			unlinkat(dfd, dname, 0);
			continue;
		}
		e->bytes = (uint64_t)bytes;
		e->group = group;
		e->last_use = (uint64_t)sb.st_mtim.tv_sec * 1000000000ULL + (uint64_t)sb.st_mtim.tv_nsec;
		atomic_fetch_add(&c->bytes_used, e->bytes);
	}
	closedir(d);
}

int ocache_open(const struct ocache_opts *o, struct ocache **out, char **err)
{
	*out = NULL;
	if (err)
		*err = NULL;
	struct ocache *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->dirfd = c->lockfd = -1;
	c->max_bytes = o->max_bytes ? o->max_bytes : OC_DEFAULT_MAX_BYTES;
	pthread_mutex_init(&c->mu, NULL);
	int r = (c->dir = xstrdup(o->dir)) ? 0 : -ENOMEM;
	const char *what = "cannot create it";
	if (!r)
		r = mkdirs(o->dir);
	if (!r && (c->dirfd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		r = -errno;
		what = "cannot open it";
	}
	if (!r && (c->lockfd = openat(c->dirfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		r = -errno;
		what = "cannot create its lock file";
	}
	if (!r && flock(c->lockfd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		what = "another ucfs process uses it (one mount per cache directory)";
	}
	if (!r)
		r = grow(c);
	for (int i = 0; !r && i < 256; i++) {
		char sub[3] = {HEX[i >> 4], HEX[i & 15], '\0'};
		if (mkdirat(c->dirfd, sub, 0700) < 0 && errno != EEXIST) {
			r = -errno;
			what = "cannot create its subdirectories";
			break;
		}
		scan_dir(c, sub);
	}
	if (r) {
		if (err)
			*err = xasprintf("cache directory %s: %s (%s)", o->dir, what, strerror(-r));
		ocache_close(c);
		return r;
	}
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < o->npins; i++) { /* before anything is evicted */
		struct ent *e = oc_find_ent(c, o->pins[i]);
		if (e)
			e->pinned = true;
	}
	evict_locked(c);
	pthread_mutex_unlock(&c->mu);
	oc_spares_start(c);
	*out = c;
	return 0;
}

void ocache_close(struct ocache *c)
{
	if (!c)
		return;
	oc_spares_stop(c);
	for (size_t i = 0; i < c->nb; i++)
		for (struct ent *e = c->tab[i], *nx; e; e = nx) {
			nx = e->hnext;
			free(e->checked);
			free(e);
		}
	free(c->tab);
	if (c->lockfd >= 0)
		close(c->lockfd);
	if (c->dirfd >= 0)
		close(c->dirfd);
	pthread_mutex_destroy(&c->mu);
	free(c->dir);
	free(c);
}

void ocache_stats(struct ocache *c, struct ocache_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->hits = atomic_load(&c->hits);
	out->misses = atomic_load(&c->misses);
	out->bytes_written = atomic_load(&c->bytes_written);
	out->evictions = atomic_load(&c->evictions);
	out->corrupt = atomic_load(&c->corrupt);
	out->bytes_used = atomic_load(&c->bytes_used);
	pthread_mutex_lock(&c->mu);
	out->objects = c->n;
	pthread_mutex_unlock(&c->mu);
}

uint64_t ocache_max_bytes(const struct ocache *c) { return c->max_bytes; }
const char *ocache_dir(const struct ocache *c) { return c->dir; }

/* ---- objects ---- */

static void obj_free(struct oc_obj *o)
{
	if (o->hint && o->hint_free)
		o->hint_free(o->hint);
	if (o->fd >= 0)
		close(o->fd);
	if (o->ifd >= 0)
		close(o->ifd);
	free(o->st);
	free(o->crc);
	free(o->tick);
	free(o->hold);
	pthread_mutex_destroy(&o->mu);
	pthread_mutex_destroy(&o->wmu);
	pthread_cond_destroy(&o->changed);
	free(o);
}

/* Open the files of a known object and load its index (true), or leave
 * none open (false: unreadable, or not this object). Blocks the index does
 * not vouch for are punched out of the data file. */
static bool load_files(struct ocache *c, struct oc_obj *o, const uint8_t *id, uint64_t *hgroup)
{
	char name[NAME_BUF];
	oc_obj_name(name, id, "idx");
	o->ifd = openat(c->dirfd, name, O_RDWR | O_CLOEXEC);
	oc_obj_name(name, id, "dat");
	o->fd = openat(c->dirfd, name, O_RDWR | O_CLOEXEC);
	uint8_t h[HDR_SIZE], hid[32];
	uint32_t bs;
	uint64_t size, nb;
	struct stat sb;
	bool ok = o->ifd >= 0 && o->fd >= 0 && !oc_pread_full(o->ifd, h, HDR_SIZE, 0) &&
		  !hdr_decode(h, &bs, &size, &nb, hid, hgroup) && !memcmp(hid, id, 32) &&
		  size == o->size && bs == o->bs && fstat(o->fd, &sb) == 0 &&
		  (uint64_t)sb.st_size == size;
	uint8_t *ents = ok ? malloc(nb * ENT_SIZE + 1) : NULL;
	if (ok && (!ents || oc_pread_full(o->ifd, ents, nb * ENT_SIZE, HDR_SIZE)))
		ok = false;
	if (!ok) {
		free(ents);
		if (o->ifd >= 0)
			close(o->ifd);
		if (o->fd >= 0)
			close(o->fd);
		o->ifd = o->fd = -1;
		return false;
	}
	for (uint64_t b = 0; b < nb; b++) {
		const uint8_t *e = ents + b * ENT_SIZE;
		uint32_t crc = get32(e);
		if (get32(e + 4) && get32(e + 4) == oc_ent_check(id, b, crc)) {
			o->st[b] = B_VALID;
			o->crc[b] = crc;
			o->bytes += oc_bdisk(o, b);
		}
	}
	free(ents);
	/* Data written without an index entry (a crash between the two)
	 * takes disk space: punch it out. */
	for (off_t at = 0; (uint64_t)at < size;) {
		off_t d = lseek(o->fd, at, SEEK_DATA);
		if (d < 0)
			break;
		off_t hole = lseek(o->fd, d, SEEK_HOLE);
		if (hole < 0)
			break;
		for (uint64_t b = (uint64_t)d / bs; b * bs < (uint64_t)hole && b < nb; b++)
			if (o->st[b] == B_EMPTY)
				fallocate(o->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					  (off_t)(b * bs), (off_t)oc_blen(o, b));
		at = hole;
	}
	return true;
}

/* The files of an object: a known one's loaded; one not in the cache's
 * index (its scan, or since), or unreadable, made anew (nothing to read
 * back before the first byte). */
static int obj_load(struct ocache *c, struct oc_obj *o, const uint8_t *id, uint64_t group,
		    uint64_t *hgroup, bool known)
{
	if (known && load_files(c, o, id, hgroup))
		return 0;
	*hgroup = group;
	return oc_create_files(c, id, o->size, o->bs, o->nblocks, group, &o->fd, &o->ifd);
}

int oc_open(struct ocache *c, const char *identity, uint64_t size, struct oc_obj **out)
{
	return oc_open_group(c, identity, 0, size, out);
}

void ocache_id(const char *identity, uint8_t id[32])
{
	SHA256((const unsigned char *)identity, strlen(identity), id);
}

int oc_open_group(struct ocache *c, const char *identity, uint64_t group, uint64_t size,
		  struct oc_obj **out)
{
	uint8_t id[32];
	ocache_id(identity, id);
	*out = NULL;
	pthread_mutex_lock(&c->mu);
	struct ent *e = oc_find_ent(c, id);
	if (e && e->obj) {
		if (e->obj->size != size) { /* identity collision in a caller's naming: refuse */
			pthread_mutex_unlock(&c->mu);
			return -EINVAL;
		}
		e->obj->refs++;
		atomic_store(&e->obj->last_use, oc_now_ns());
		*out = e->obj;
		pthread_mutex_unlock(&c->mu);
		return 0;
	}
	struct oc_obj *o = calloc(1, sizeof(*o));
	int r = o ? 0 : -ENOMEM;
	if (!r) {
		o->c = c;
		o->fd = o->ifd = -1;
		o->size = size;
		o->bs = oc_block_size_for(size);
		o->nblocks = (size + o->bs - 1) / o->bs;
		pthread_mutex_init(&o->mu, NULL);
		pthread_mutex_init(&o->wmu, NULL);
		pthread_cond_init(&o->changed, NULL);
		size_t nb = o->nblocks ? o->nblocks : 1;
		o->st = calloc(nb, 1);
		o->crc = calloc(nb, sizeof(*o->crc));
		o->tick = calloc(nb, sizeof(*o->tick));
		o->hold = calloc(nb, sizeof(*o->hold));
		if (!o->st || !o->crc || !o->tick || !o->hold)
			r = -ENOMEM;
	}
	uint64_t hgroup = 0;
	if (!r)
		r = obj_load(c, o, id, group, &hgroup, e != NULL);
	if (!r && !e && !(e = add_ent(c, id)))
		r = -ENOMEM;
	if (r) {
		pthread_mutex_unlock(&c->mu);
		if (o)
			obj_free(o);
		return r;
	}
	/* Blocks checked while the object was open before stay checked. */
	if (e->checked && e->nchecked == o->nblocks)
		for (uint64_t b = 0; b < o->nblocks; b++)
			if (o->st[b] == B_VALID && (e->checked[b / 8] >> (b % 8) & 1))
				o->st[b] = B_VALID | B_CHECKED;
	free(e->checked);
	e->checked = NULL;
	/* the index is the truth: replace what the scan counted */
	atomic_fetch_sub(&c->bytes_used, e->bytes);
	atomic_fetch_add(&c->bytes_used, o->bytes);
	e->bytes = 0;
	/* an object made before groups existed takes its group now (in memory) */
	e->group = hgroup ? hgroup : group;
	e->obj = o;
	o->e = e;
	o->refs = 1;
	atomic_store(&o->last_use, oc_now_ns());
	pthread_mutex_unlock(&c->mu);
	*out = o;
	return 0;
}

void oc_close(struct oc_obj *o)
{
	if (!o)
		return;
	struct ocache *c = o->c;
	pthread_mutex_lock(&c->mu);
	if (--o->refs > 0) {
		pthread_mutex_unlock(&c->mu);
		return;
	}
	struct ent *e = o->e;
	e->obj = NULL;
	e->bytes = o->bytes;
	free(e->checked);
	e->checked = calloc(o->nblocks / 8 + 1, 1);
	e->nchecked = o->nblocks;
	for (uint64_t b = 0; e->checked && b < o->nblocks; b++)
		if (o->st[b] == (B_VALID | B_CHECKED))
			e->checked[b / 8] |= (uint8_t)(1U << (b % 8));
	e->last_use = atomic_load(&o->last_use);
	struct timespec ts[2] = {{.tv_sec = (time_t)(e->last_use / 1000000000ULL),
				  .tv_nsec = (long)(e->last_use % 1000000000ULL)}};
	ts[1] = ts[0];
	futimens(o->ifd, ts); /* recency survives a restart; a failure only costs order */
	pthread_mutex_unlock(&c->mu);
	obj_free(o);
	oc_maybe_evict(c);
}

uint32_t oc_block_size(const struct oc_obj *o) { return o->bs; }
uint64_t oc_nblocks(const struct oc_obj *o) { return o->nblocks; }
uint64_t oc_size(const struct oc_obj *o) { return o->size; }
int oc_fd(const struct oc_obj *o) { return o->fd; }

void *oc_hint(struct oc_obj *o)
{
	pthread_mutex_lock(&o->mu);
	void *h = o->hint;
	pthread_mutex_unlock(&o->mu);
	return h;
}

bool oc_set_hint(struct oc_obj *o, void *hint, void (*free_fn)(void *))
{
	pthread_mutex_lock(&o->mu);
	bool ok = !o->hint;
	if (ok) {
		o->hint = hint;
		o->hint_free = free_fn;
	}
	pthread_mutex_unlock(&o->mu);
	return ok;
}
