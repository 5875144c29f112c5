/*
 * readpolicy.h - which bytes to fetch for a read, and which to fetch ahead:
 * pure logic over the history of reads on one open file.
 *
 * Contract: rp_next() is given one read [off, off+len) of an object of
 * `size` bytes and the handle's state, updates the state and answers a plan:
 *  - fetch: what to fetch now for this read. It covers the read; for the
 *    first read of the object's tail it covers the whole tail (`footer`
 *    bytes), so that a Parquet reader's two footer reads cost one request.
 *  - ahead: what to fetch in the background, in requests of `part` bytes.
 *    Sequential reads - a read that touches one of the last RP_RECENT reads
 *    or is at most its own length away from one (the kernel's parallel
 *    readahead arrives out of order, but next to what came before) - open
 *    a window from the second one on, from min_window, doubling per read up
 *    to max_window; a read elsewhere resets it (random access: nothing
 *    ahead; two random reads in a row next to earlier ones are rare). The
 *    window is topped up only when half of it has been read, so requests
 *    stay large however small the reads are.
 *    Request sizes grow with the window (half of it, at most
 *    max_part), so the first bytes come quickly and long streams use large
 *    requests.
 *  - Parquet: when the object's column chunks are known (extents, sorted,
 *    not overlapping), a read inside a chunk fetches the rest of that chunk
 *    ahead and nothing past it; a read outside every chunk fetches nothing
 *    ahead, and so does a sequential run that began before the chunk it
 *    enters (the kernel's readahead running past the chunk wanted), until
 *    the run reaches parquet_run past the end of the chunk it began in (a
 *    scan of every chunk: then the window).
 *    Chunks known or not, a handle reading
 *    the file from its first byte on (cp, cat) ignores the chunks. When the first read was at
 *    the tail but no chunks are known, the window opens only after a
 *    sequential run of `parquet_run` bytes (a query skips column chunks).
 * Everything is in bytes; callers align to their blocks. No I/O, no locks.
 */
#ifndef UCFS_CACHE_READPOLICY_H
#define UCFS_CACHE_READPOLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rp_extent {
	uint64_t start, end;
};

struct rp_config {
	uint64_t min_window, max_window; /* sequential prefetch window */
	uint64_t min_part, max_part;     /* request sizes ahead */
	uint64_t footer;                 /* tail fetched whole on a first tail read */
	uint64_t parquet_run;            /* run before a window opens, no extents */
};

/* The defaults: 2 MiB..64 MiB window, 256 KiB..8 MiB requests, 64 KiB
 * footer, 8 MiB Parquet run. */
void rp_config_default(struct rp_config *c);

#define RP_RECENT 16

struct rp_state {
	struct {
		uint64_t start, end;
	} recent[RP_RECENT]; /* the last reads (a ring) */
	unsigned nrecent, at;
	uint64_t next_off; /* where a sequential reader reads next */
	uint64_t window;   /* bytes kept requested ahead (0: none) */
	uint64_t ahead;    /* background fetches requested up to here */
	uint64_t run;      /* bytes of the current sequential run */
	uint64_t run_start; /* where it started */
	uint64_t reads;
	uint64_t seq_reads; /* sequential reads in a row */
	bool tail_first;   /* the first read was at the tail */
};

struct rp_plan {
	uint64_t fetch_start, fetch_end; /* now, for this read */
	uint64_t ahead_start, ahead_end; /* in the background (empty: start == end) */
	uint64_t part;                   /* request size for the background range */
	bool tail;                       /* a first read of the tail (fetch is the tail) */
};

void rp_next(struct rp_state *s, const struct rp_config *cfg, uint64_t size,
	     const struct rp_extent *ext, size_t next, uint64_t off, uint64_t len,
	     struct rp_plan *p);

#endif
