/*
 * objcache_internal.h - what the parts of the object cache share (objcache.c:
 * files, registry, eviction; objcache_blocks.c: block states, waiting,
 * checking; objcache_writer.c: writing fetched bytes; objcache_create.c:
 * the files of new objects). Not for other
 * modules: the contract is objcache.h.
 */
#ifndef UCFS_CACHE_OBJCACHE_INTERNAL_H
#define UCFS_CACHE_OBJCACHE_INTERNAL_H

#include <endian.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cache/objcache.h"

#define HDR_SIZE 96
#define HDR_VERSION 1
#define ENT_SIZE 8
#define ENT_SEED 0x5a17c0deU
#define HEX "0123456789abcdef"
#define NAME_BUF 96 /* "ab/<64 hex>.idx" */

enum { B_EMPTY = 0, B_BUSY = 1, B_VALID = 2 };
#define B_STATE 3
#define B_CHECKED 4 /* VALID and its CRC matched the disk (or was computed from the wire) */
#define B_VERIFY 8  /* BUSY: a VALID block being checked (VALID again if given back) */

#define OC_SPARES 4 /* pairs of unnamed files kept ready */

struct ent {
	struct ent *hnext;
	uint8_t id[32];
	uint64_t bytes;    /* disk space of VALID blocks, while closed (open: obj->bytes) */
	uint64_t last_use; /* ns since the epoch (closed objects) */
	uint64_t group;    /* the caller's group tag (0: none) */
	bool pinned;       /* never evicted (ocache_pin) */
	struct oc_obj *obj; /* while open */
	uint8_t *checked;   /* closed: a bit per block checked in this process */
	uint64_t nchecked;  /* its size in blocks */
};

struct oc_obj {
	struct ocache *c;
	struct ent *e;
	int refs;      /* cache mutex */
	int fd, ifd;   /* data, index */
	uint64_t size, nblocks;
	uint32_t bs;
	pthread_mutex_t wmu; /* one pwrite to the data file at a time: concurrent
				buffered writes to one file contend on its inode
				lock in the kernel, which spins (a third of the
				daemon's CPU with 8 writers); here they sleep */
	pthread_mutex_t mu; /* everything below */
	pthread_cond_t changed;
	uint8_t *st;   /* per block: B_* | B_CHECKED */
	uint32_t *crc; /* per VALID block */
	uint32_t *tick; /* per block: when it was last read (for eviction inside) */
	uint16_t *hold; /* per block: acquires needing it (never evicted while > 0) */
	uint32_t clock;
	int waiters;    /* threads in oc_acquire waiting for a BUSY block */
	_Atomic uint64_t bytes; /* disk space of VALID blocks (oc_bdisk); written under mu, read without it by eviction */
	_Atomic uint64_t last_use;
	void *hint;
	void (*hint_free)(void *);
};

struct ocache {
	int dirfd, lockfd;
	char *dir;
	uint64_t max_bytes;
	pthread_mutex_t mu;
	struct ent **tab;
	size_t nb, n;
	_Atomic uint64_t bytes_used;
	_Atomic uint64_t hits, misses, bytes_written, evictions, corrupt;
	_Atomic int evicting;
	/* Unnamed files made ahead for new objects (objcache_create.c). */
	pthread_mutex_t smu;
	pthread_cond_t scv;
	pthread_t sthread;
	bool sinit, sstarted, sstop, soff; /* soff: not possible here */
	int spare[OC_SPARES][2];           /* data, index */
	int nspare;
	_Atomic uint64_t sused; /* objects made from a spare pair */
};

static inline uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return le64toh(v); }
static inline uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return le32toh(v); }
static inline void put64(uint8_t *p, uint64_t v) { v = htole64(v); memcpy(p, &v, 8); }
static inline void put32(uint8_t *p, uint32_t v) { v = htole32(v); memcpy(p, &v, 4); }

/* ns since the epoch, coarse (recency). */
uint64_t oc_now_ns(void);
/* Length of block b of o (0 past the end). */
size_t oc_blen(const struct oc_obj *o, uint64_t b);
/* The disk space block b takes (its length rounded up to OC_DISK_UNIT): what
 * the cap counts. */
#define OC_DISK_UNIT 4096u
size_t oc_bdisk(const struct oc_obj *o, uint64_t b);
/* The check word of an index entry: never 0, so a zeroed entry is invalid. */
uint32_t oc_ent_check(const uint8_t *id, uint64_t b, uint32_t crc);
/* All n bytes at off, or -errno (-EIO for a file that ends early). */
int oc_pread_full(int fd, void *buf, size_t n, uint64_t off);
int oc_pwrite_full(int fd, const void *buf, size_t n, uint64_t off);
/* Punch VALID block b out of the data file and the index (object mutex held). */
void oc_punch(struct oc_obj *o, uint64_t b);
/* The registry (cache mutex held): lookup, removal (the entry only), and
 * removal of an object's files. */
struct ent *oc_find_ent(struct ocache *c, const uint8_t *id);
void oc_del_ent(struct ocache *c, struct ent *e);
void oc_unlink_obj(struct ocache *c, const uint8_t *id);
/* Block size of an object of SIZE bytes; disk space of LEN bytes. */
uint32_t oc_block_size_for(uint64_t size);
uint64_t oc_disk_len(uint64_t len);
/* An object's file name "ab/<hex id>.EXT"; its index header. */
void oc_obj_name(char *buf, const uint8_t *id, const char *ext);
void oc_hdr_encode(uint8_t *h, uint32_t bs, uint64_t size, uint64_t nblocks, const uint8_t *id,
		   uint64_t group);
/* New objects (objcache_create.c): start and stop the thread making spare
 * unnamed files; create a new object's files, left open in *fd and *ifd. */
void oc_spares_start(struct ocache *c);
void oc_spares_stop(struct ocache *c);
int oc_create_files(struct ocache *c, const uint8_t *id, uint64_t size, uint32_t bs, uint64_t nb,
		    uint64_t group, int *fd, int *ifd);
/* Evict when the cache is over its cap (no mutex held). */
void oc_maybe_evict(struct ocache *c);

#endif
