/*
 * iostats.h - counters of the data path, updated lock-free from any thread:
 * per mirrored item (reads served, storage fetches, cache hits and misses,
 * errors) and process-wide for HTTP (requests, retries, failures).
 */
#ifndef UCFS_IOSTATS_H
#define UCFS_IOSTATS_H

#include <stdatomic.h>
#include <stdint.h>

struct io_stats {
	_Atomic uint64_t reads, bytes_read;        /* read() calls served by the mount */
	_Atomic uint64_t fetches, bytes_fetched;   /* range requests to storage */
	_Atomic uint64_t cache_hits, cache_misses; /* disk cache blocks */
	_Atomic uint64_t errors;                   /* failed reads and fetches */
};

static inline void io_add(_Atomic uint64_t *counter, uint64_t n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

static inline uint64_t io_get(_Atomic uint64_t *counter)
{
	return atomic_load_explicit(counter, memory_order_relaxed);
}

#endif
