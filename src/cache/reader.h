/*
 * reader.h - reads of immutable cloud objects through the disk cache: what
 * to fetch (cache/readpolicy), fetching it within a budget (this module's
 * worker pool), storing it (cache/objcache).
 *
 * Contract: cached_read() makes bytes [off, off+len) of the object (short
 * only at EOF) available and says where they are: in the object's cache
 * file (reply->fd at reply->off: serve them from there, e.g. spliced, then
 * cached_reply_release) or, when the disk cache failed (disk full, I/O
 * error), in reply->buf read straight from storage. Missing blocks are
 * fetched in this thread, streamed from the network into the cache file;
 * what the policy wants ahead is claimed at once and fetched by the pool's
 * workers, in order, while the bytes of fetches running stay within
 * max_inflight (a read that needs a block of a queued fetch runs that fetch
 * itself instead of waiting). Concurrent readers of a block wait for one
 * fetch. The first read of an object's tail parses its Parquet footer, when
 * it has one, so that column chunks are prefetched whole and nothing past
 * them. An object's identity must change whenever its content may
 * (location, path, ETag, size), so cached blocks are never stale.
 * Thread-safe; a cached_file may be read by several threads at once.
 */
#ifndef UCFS_READER_H
#define UCFS_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cache/objcache.h"
#include "storage/storage.h"
#include "util/iostats.h"

struct reader_pool;
struct cached_file;

#define READER_DEFAULT_THREADS 8
#define READER_DEFAULT_INFLIGHT (64ULL << 20)

struct reader_opts {
	int threads;           /* prefetch workers; 0 = default, < 0 = none */
	uint64_t max_inflight; /* bytes of fetches running at once; 0 = default */
};

struct reader_stats {
	uint64_t fetches;       /* range requests sent to storage */
	uint64_t bytes_fetched; /* bytes they returned */
	uint64_t prefetches;    /* of those, fetched ahead by the workers */
	uint64_t errors;        /* failed fetches */
	uint64_t fallbacks;     /* reads served without the disk cache (it failed) */
	uint64_t parquet;       /* footers parsed for column-chunk prefetch */
	uint64_t inflight_peak; /* most bytes of fetches running at once */
};

struct reader_pool *reader_pool_new(struct ocache *cache, const struct reader_opts *o);
void reader_pool_free(struct reader_pool *p); /* after every cached_file is closed */
void reader_pool_stats(struct reader_pool *p, struct reader_stats *out);
struct ocache *reader_pool_cache(struct reader_pool *p);

/* Takes ownership of f (closed by cached_close). The cache object is
 * created in GROUP (objcache.h). stats (may be NULL) gets the file's cache
 * hits/misses, fetches and errors; it must outlive it. */
int cached_open(struct reader_pool *p, struct storage_file *f, const char *identity,
		uint64_t group, uint64_t size, struct io_stats *stats, struct cached_file **out);

/* What a reader's first read will most likely fetch, fetched now by the
 * pool's workers while the caller answers the open: the object's tail (as
 * much as a first tail read fetches) when `tail` (a Parquet file: readers
 * read the footer first), else its first block. Costs one request when no
 * read follows; a read that comes first runs the fetch itself. */
void cached_open_ahead(struct cached_file *cf, bool tail);

struct cached_reply {
	int fd;       /* the bytes are at off in this file (-1: in buf) */
	uint64_t off;
	size_t len;
	char *buf;
	struct cached_file *held; /* blocks [first, last] held (and the file kept)
				     until released: the kernel may close the file
				     as soon as the reply is sent */
	uint64_t first, last;
};
/* Bytes available (0 at EOF; *reply set) or -errno (nothing to release). */
ssize_t cached_read(struct cached_file *cf, size_t len, uint64_t off, struct cached_reply *reply);
void cached_reply_release(struct cached_reply *reply);
void cached_close(struct cached_file *cf);

#endif
