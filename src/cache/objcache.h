/*
 * objcache.h - the disk cache of immutable storage objects: one sparse file
 * per object, filled in blocks as ranges arrive from storage.
 *
 * Contract:
 *  - An object is named by an opaque identity that changes whenever its
 *    bytes can (callers pass location + path + ETag + size); h = hex
 *    SHA-256(identity). Its bytes live at their own offsets in
 *    <dir>/<h[0..1]>/<h>.dat (sparse, the object's size); <h>.idx holds a
 *    96-byte header (magic, version, block size, object size, block count,
 *    SHA-256 of the identity, header CRC32C) and one 8-byte entry per block:
 *    the block's CRC32C and a check word binding it to the block number and
 *    identity. A zero or damaged entry means "not cached".
 *  - Blocks are oc_block_size() bytes (32 KiB, doubled until an object has
 *    at most OC_MAX_BLOCKS); only the last one may be shorter. Each block is
 *    EMPTY, BUSY (claimed by one fetcher or verifier) or VALID. A block
 *    becomes VALID only when all its bytes were written and checksummed; a
 *    VALID block is served only after its CRC was checked against the disk
 *    once in this process (blocks written by this process were checksummed
 *    from the bytes received; what was checked is remembered while the
 *    object is closed). A mismatch punches the block out, counts it
 *    in `corrupt` and makes it EMPTY: damaged data is refetched, never
 *    served.
 *  - Crash safety without fsync: data is written before its index entry, and
 *    a torn or lost write shows as a checksum mismatch or a missing entry.
 *    ocache_open removes temporary files, index files with a bad header,
 *    data files without an index and files of the old block layout
 *    (<h>-<n>.blk); it does not read data.
 *  - LRU under max_bytes (the disk space of VALID blocks, each rounded up
 *    to 4 KiB as the file system allocates it): objects least recently
 *    used first; a closed object is deleted whole, an open one loses its
 *    least recently read blocks. Eviction goes down to 15/16 of the cap and
 *    never touches BUSY blocks or blocks held by an oc_acquire (from its
 *    start until oc_release): a read never loses what it waits for. Recency
 *    survives a restart (index file mtime). <dir>/.lock is held with
 *    flock(LOCK_EX): one process per cache directory. Directories 0700,
 *    files 0600.
 *  - Groups and pins: an object carries the 64-bit group tag its creator
 *    gave (oc_open_group; the fs uses a hash of the table's location, so
 *    usage and drops go per table), kept in its index header (bytes
 *    64..71; 0 = none). A pinned object (ocache_pin, or ocache_opts.pins
 *    before the first eviction) is never evicted, neither whole nor by
 *    block; pins live in memory only (the caller keeps them).
 *  - Thread-safe: a cache mutex guards the object registry, a mutex per
 *    object its block states (lock order: cache, then object). Disk I/O of
 *    data runs outside both. Errors are negative errno.
 */
#ifndef UCFS_CACHE_OBJCACHE_H
#define UCFS_CACHE_OBJCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OC_MIN_BLOCK (32U << 10)
#define OC_MAX_BLOCKS 65536U
#define OC_DEFAULT_MAX_BYTES (10ULL << 30)

struct ocache;
struct oc_obj;

struct ocache_opts {
	const char *dir;    /* created (with parents) if missing, mode 0700 */
	uint64_t max_bytes; /* LRU cap; 0 = OC_DEFAULT_MAX_BYTES */
	const uint8_t (*pins)[32]; /* objects pinned from the start (ids) */
	size_t npins;
};

struct ocache_stats {
	uint64_t hits, misses;  /* blocks found VALID / needing a fetch, by oc_acquire */
	uint64_t bytes_written; /* block bytes written from storage */
	uint64_t evictions;     /* blocks evicted */
	uint64_t corrupt;       /* blocks whose checksum failed */
	uint64_t objects, bytes_used;
};

/* Open (creating) the cache dir, take its lock, scan it (see above) and
 * evict down to the cap. On error -errno and, if err is not NULL, *err a
 * malloc'ed message naming the directory. */
int ocache_open(const struct ocache_opts *o, struct ocache **out, char **err);
void ocache_close(struct ocache *c); /* NULL-safe; every object must be closed */
void ocache_stats(struct ocache *c, struct ocache_stats *out);
uint64_t ocache_max_bytes(const struct ocache *c);
const char *ocache_dir(const struct ocache *c); /* as opened */

/* The object with this identity and size, created when new (in GROUP).
 * Reference counted: every oc_open is matched by one oc_close. */
int oc_open(struct ocache *c, const char *identity, uint64_t size, struct oc_obj **out);
int oc_open_group(struct ocache *c, const char *identity, uint64_t group, uint64_t size,
		  struct oc_obj **out);
/* The id an identity names its object by (SHA-256). */
void ocache_id(const char *identity, uint8_t id[32]);

/* Per group: objects, disk bytes of VALID blocks, of pinned objects, and
 * the latest use (ns since the epoch). */
struct ocache_usage {
	uint64_t group, objects, bytes, pinned_bytes, last_use;
};
/* Every group with an object (*out malloc'ed, unordered), or -ENOMEM. */
int ocache_groups(struct ocache *c, struct ocache_usage **out, size_t *n);
/* Object ID of SIZE bytes: its VALID disk bytes, whether every block is
 * VALID, its last use (any out may be NULL). -ENOENT: not in the cache. */
int ocache_lookup(struct ocache *c, const uint8_t id[32], uint64_t size, uint64_t *bytes,
		  bool *complete, uint64_t *last_use);
/* Pin or unpin object ID: -ENOENT when it is not in the cache. */
int ocache_pin(struct ocache *c, const uint8_t id[32], bool pin);
/* Disk bytes of pinned objects. */
uint64_t ocache_pinned_bytes(struct ocache *c);
/* Evict every object of GROUP (closed ones deleted, open ones lose every
 * block not BUSY or held by a read) and unpin them: the bytes freed. */
uint64_t ocache_drop_group(struct ocache *c, uint64_t group);
void oc_close(struct oc_obj *o);
uint32_t oc_block_size(const struct oc_obj *o);
uint64_t oc_nblocks(const struct oc_obj *o);
uint64_t oc_size(const struct oc_obj *o);
int oc_fd(const struct oc_obj *o); /* the data file, for spliced replies */

/*
 * Fetch callback of oc_acquire: bring blocks [first, first+n), which the
 * caller has claimed (BUSY), into the object with an oc_writer, then
 * return 0 or a negative errno. oc_writer_end has released what it did not
 * complete.
 */
typedef int (*oc_fetch_fn)(void *ctx, uint64_t first, unsigned n);

/*
 * Make blocks [first, last] VALID and checked: EMPTY runs are claimed (a
 * run may extend up to claim_last, stopping at the first block that is not
 * EMPTY, at most max_run blocks) and fetched with fetch(ctx, ...) in this
 * thread; blocks others fetch are waited for; blocks read from disk are
 * verified. On 0 the blocks are held: their bytes may be served from
 * oc_fd() until oc_release(o, first, last). A fetch error of this thread is
 * returned (nothing held then); a failed fetch of another thread is retried
 * here. *hit (may be NULL): every block was VALID on the first look.
 */
int oc_acquire(struct oc_obj *o, uint64_t first, uint64_t last, uint64_t claim_last,
	       unsigned max_run, oc_fetch_fn fetch, void *ctx, bool *hit);
void oc_release(struct oc_obj *o, uint64_t first, uint64_t last);

/* Claim up to max EMPTY blocks from first (stopping at the first one that
 * is not EMPTY): the number claimed, 0 when first is not EMPTY. */
unsigned oc_claim(struct oc_obj *o, uint64_t first, unsigned max);
/* Give back claimed blocks that will not be fetched (EMPTY again). */
void oc_unclaim(struct oc_obj *o, uint64_t first, unsigned n);
/* The first EMPTY block in [from, to), or to. */
uint64_t oc_next_empty(struct oc_obj *o, uint64_t from, uint64_t to);
/* The same, also stopping at a VALID block not checked yet (*unchecked
 * says which it is). */
uint64_t oc_next_work(struct oc_obj *o, uint64_t from, uint64_t to, bool *unchecked);
/* The end of the run of VALID, checked blocks from `from` (from itself when
 * it is not one), at most to. */
uint64_t oc_checked_run(struct oc_obj *o, uint64_t from, uint64_t to);
/* Claim up to max VALID, not yet checked blocks from first (stopping at the
 * first other one): the number claimed. oc_unclaim gives them back VALID. */
unsigned oc_claim_unchecked(struct oc_obj *o, uint64_t first, unsigned max);
/* Check claimed blocks [first, first+n) against their CRCs with one read:
 * each becomes VALID and checked, or (damaged, unreadable) is punched out
 * and EMPTY; waiters wake. 0 or the read's -errno. */
int oc_verify(struct oc_obj *o, uint64_t first, unsigned n);
/* Is every block of [first, last] VALID or BUSY (nothing left to claim)? */
bool oc_covered(struct oc_obj *o, uint64_t first, uint64_t last);

/*
 * Writes claimed blocks [first, first+n) as their bytes arrive, in order:
 * each piece is checksummed as it comes and written to the data file at its
 * offset (gathered into writes of 256 KiB for fetches of several blocks);
 * a block becomes VALID (waiters wake) once its bytes are written, and its
 * index entry follows, in batches of OC_WRITER_BATCH and at oc_writer_end.
 * oc_writer_data has the storage_sink signature.
 */
#define OC_WRITER_BATCH 8 /* index entries written at once (a kill loses at most these) */
#define OC_STAGE_BLOCKS ((256U << 10) / OC_MIN_BLOCK) /* blocks a write gathers */
struct oc_writer {
	struct oc_obj *o;
	uint64_t next;     /* first block not completed yet */
	uint64_t end;      /* one past the last claimed block */
	uint64_t pos;      /* object offset of the next byte */
	uint32_t crc;      /* of the bytes of block `next` so far */
	int cache_err;     /* a write to the data file failed (-errno) */
	uint64_t bytes;    /* bytes received */
	char *stage;       /* pieces gathered for one write (fetches > 1 block) */
	size_t nstage;
	uint64_t stage_at; /* object offset of stage[0]: all before is written */
	uint64_t pend_from; /* received blocks waiting for their bytes' write */
	unsigned npend;
	uint32_t pend_crc[OC_STAGE_BLOCKS + 1];
	uint64_t ent_from; /* first block whose index entry is not written */
	unsigned nent;     /* completed blocks from ent_from not indexed yet */
};
void oc_writer_init(struct oc_writer *w, struct oc_obj *o, uint64_t first, unsigned n);
int oc_writer_data(void *w, const char *p, size_t n);
/* Release what was not completed (EMPTY again, waiters wake). */
void oc_writer_end(struct oc_writer *w);

/* A small object of the caller's, kept with the cache object while it is
 * open (freed with free_fn when the last reference goes). */
void *oc_hint(struct oc_obj *o);
bool oc_set_hint(struct oc_obj *o, void *hint, void (*free_fn)(void *)); /* false: one is set */

#endif
