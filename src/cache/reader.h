/*
 * reader.h - reads of one immutable cloud object through the disk block
 * cache, with sequential readahead.
 *
 * Contract: cached_read() returns exactly the bytes of [off, off+len) of the
 * object (short only at EOF), serving blocks from the bcache and fetching the
 * missing ones from storage, one block per range request. Concurrent readers
 * of a block wait for one fetch instead of repeating it. When reads of a
 * handle are sequential, the following blocks are fetched ahead by the pool's
 * worker threads in parallel, the window doubling from 1 block up to
 * `max_window` blocks; a random read resets it. An object's identity must
 * change whenever its content may (location, path, ETag, size), so cached
 * blocks are never stale. Thread-safe.
 */
#ifndef UCFS_READER_H
#define UCFS_READER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache/blockcache.h"
#include "storage/storage.h"
#include "util/iostats.h"

struct reader_pool;
struct cached_file;

struct reader_stats {
	uint64_t fetches;       /* range requests sent to storage */
	uint64_t bytes_fetched; /* bytes they returned */
	uint64_t prefetches;    /* of those, fetched ahead by the workers */
	uint64_t errors;        /* failed fetches */
};

/* threads: readahead workers (0 = no readahead); max_window in blocks. */
struct reader_pool *reader_pool_new(struct bcache *cache, int threads, unsigned max_window);
void reader_pool_free(struct reader_pool *p); /* after every cached_file is closed */
void reader_pool_stats(struct reader_pool *p, struct reader_stats *out);
struct bcache *reader_pool_cache(struct reader_pool *p);

/* Takes ownership of f (closed by cached_close). stats (may be NULL) gets
 * the file's cache hits/misses, fetches and errors; it must outlive it. */
int cached_open(struct reader_pool *p, struct storage_file *f, const char *identity,
		uint64_t size, struct io_stats *stats, struct cached_file **out);
ssize_t cached_read(struct cached_file *cf, void *buf, size_t len, uint64_t off);
void cached_close(struct cached_file *cf);

#endif
