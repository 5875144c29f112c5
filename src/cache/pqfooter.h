/*
 * pqfooter.h - where a Parquet file's column chunks are, from its footer.
 *
 * Contract: pq_footer_extents() is given the FileMetaData bytes of a Parquet
 * file (the `len` bytes before the final 8: 4-byte little-endian length and
 * "PAR1") and the file's size, and returns the byte ranges a reader reads
 * besides the footer: each column chunk (from its dictionary page, or its
 * first data page, for total_compressed_size bytes) and each page index
 * (column and offset index) - sorted by start, overlaps merged, clipped to
 * the file. It reads the Thrift compact encoding itself, skipping every
 * field it does not need, and treats the bytes as hostile: nesting depth,
 * element counts and the number of extents are bounded, and anything
 * malformed is -EINVAL (never a crash or an over-read). Only the prefetch
 * policy uses the result: a file it cannot parse is read without it.
 */
#ifndef UCFS_CACHE_PQFOOTER_H
#define UCFS_CACHE_PQFOOTER_H

#include <stddef.h>
#include <stdint.h>

#include "cache/readpolicy.h"

#define PQ_MAX_FOOTER (16U << 20) /* larger footers are not parsed */
#define PQ_MAX_EXTENTS (1U << 20)

/* The footer length from the last 8 bytes of a file of `size` bytes: 0 and
 * *len, or -EINVAL when they are not a Parquet trailer or len is out of
 * range (over PQ_MAX_FOOTER or the file). */
int pq_footer_len(const uint8_t tail[8], uint64_t size, uint32_t *len);

/* *out (malloc'ed, free() it) and *n, or -EINVAL / -ENOMEM. */
int pq_footer_extents(const uint8_t *meta, size_t len, uint64_t size, struct rp_extent **out,
		      size_t *n);

#endif
