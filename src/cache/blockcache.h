/*
 * blockcache.h - persistent on-disk cache of fixed-size blocks of immutable
 * objects (the disk cache of issue 3, section 5).
 *
 * Contract:
 *  - An object is named by an opaque identity string that must change whenever
 *    the bytes can (callers pass location + path + ETag + size). Block n of an
 *    object covers bytes [n*block_size, (n+1)*block_size); only the last block
 *    of an object may be shorter. A (identity, block) pair is written once and
 *    never changes; a put of a block already cached only refreshes its recency.
 *  - Layout: <dir>/<h[0..1]>/<h>-<block>.blk where h = hex SHA-256(identity).
 *    Each file is a 72-byte header (magic "UCFSBLK\0", version, block_size,
 *    block number, payload length, CRC32C of the payload, SHA-256 of the
 *    identity, CRC32C of the header) followed by the payload. <dir>/.lock is
 *    held with flock(LOCK_EX) while open: one process per cache directory.
 *  - Every get verifies header and payload checksum. A mismatch, a bad header
 *    or a wrong length deletes the file, counts it in `corrupt` and returns
 *    -ENOENT (a miss): torn or damaged data is never served.
 *  - put writes "<name>.<seq>.tmp" in the same directory and renames it into
 *    place, so readers only ever see complete files. With opts.fsync the temp
 *    file is fsync'ed before the rename (the directory is not: a lost rename
 *    only loses the block); without
 *    it (default) a crash may leave a short or zeroed file, which the header
 *    and checksum reject. bcache_open removes *.tmp files, blocks whose header
 *    or size is wrong and blocks written with another block_size or stored under
 *    a name that is not their header's; it does not read payloads (that
 *    happens on every get). Other files in the directory are left alone.
 *    Directories it creates (the cache dir, missing parents, the 256 fan-out
 *    subdirectories) get mode 0700, files 0600.
 *  - LRU: recency is the file mtime (a strictly increasing stamp set on put
 *    and on every hit), so the order survives close/reopen. After a put, least
 *    recently used blocks are deleted until bytes_used <= max_bytes.
 *    bytes_used counts header + payload bytes of the cached files (their
 *    apparent size; file system rounding adds up to one fs block per file).
 *  - Errors are negative errno. A failed put (ENOSPC, EIO, ...) leaves no temp
 *    file and no index entry behind. On error buf's contents are unspecified.
 *  - Thread-safe: an index mutex guards the hash table, the LRU list and the
 *    counters; payload reads, writes and checksums run outside it (renames and
 *    unlinks run under it so that index and directory never disagree).
 */
#ifndef UCFS_CACHE_BLOCKCACHE_H
#define UCFS_CACHE_BLOCKCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BCACHE_DEFAULT_MAX_BYTES (1ULL << 30)
#define BCACHE_DEFAULT_BLOCK_SIZE (1U << 20)
#define BCACHE_MIN_BLOCK_SIZE 512U
#define BCACHE_MAX_BLOCK_SIZE (64U << 20)

struct bcache;

struct bcache_opts {
	const char *dir;    /* created (with parents) if missing, mode 0700 */
	uint64_t max_bytes; /* LRU cap; 0 = BCACHE_DEFAULT_MAX_BYTES */
	uint32_t block_size; /* 0 = BCACHE_DEFAULT_BLOCK_SIZE; 512 B .. 64 MiB */
	bool fsync;         /* fsync each block before its rename (default off) */
};

struct bcache_stats {
	uint64_t hits, misses, bytes_read, bytes_written, evictions, corrupt, entries,
		bytes_used;
};

/* Open (creating) the cache dir, take its lock and scan it: rebuild the index
 * (LRU order from file mtimes), remove temp files and torn/corrupt blocks,
 * evict down to max_bytes. On error returns -errno and, if err is not NULL,
 * sets *err to a malloc'ed message naming the directory (caller frees). */
int bcache_open(const struct bcache_opts *o, struct bcache **out, char **err);
void bcache_close(struct bcache *c); /* NULL-safe; in-flight calls must be done */

/* 0 on a hit: *len payload bytes copied to buf, entry marked recently used.
 * -ENOENT on a miss (including a block found corrupt and deleted), -ERANGE if
 * cap is smaller than the cached block, other -errno on I/O errors. */
int bcache_get(struct bcache *c, const char *identity, uint64_t block, void *buf, size_t cap,
	       size_t *len);
/* Store len (<= block_size, else -EINVAL) bytes as block `block`. 0 on success
 * (also when already cached), -EFBIG if one block exceeds max_bytes, -errno on
 * I/O errors (the cache stays consistent). */
int bcache_put(struct bcache *c, const char *identity, uint64_t block, const void *buf,
	       size_t len);
/* Whether the index holds the block (for prefetch decisions): no I/O, no
 * verification, no recency or hit/miss change. A later get may still miss. */
bool bcache_contains(struct bcache *c, const char *identity, uint64_t block);
void bcache_stats(struct bcache *c, struct bcache_stats *out);
uint32_t bcache_block_size(const struct bcache *c);

/* CRC32C (Castagnoli) of the checksums, start with crc = 0; exposed for
 * tests. _sw is the portable path (bcache_crc32c uses SSE4.2 when present). */
uint32_t bcache_crc32c(uint32_t crc, const void *data, size_t n);
uint32_t bcache_crc32c_sw(uint32_t crc, const void *data, size_t n);

#endif
