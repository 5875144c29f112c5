/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of cached data.
 *
 * Contract: crc32c(0, p, n) is the standard CRC-32C of n bytes; passing a
 * previous result as crc continues it (crc32c(crc32c(0, a, n), b, m) ==
 * crc32c(0, a||b, n+m)). Uses the SSE4.2 instruction when the CPU has it
 * (three streams interleaved for long inputs), else slicing-by-8;
 * crc32c_sw is always the portable path (for tests). Thread-safe.
 */
#ifndef UCFS_UTIL_CRC32C_H
#define UCFS_UTIL_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *data, size_t n);
uint32_t crc32c_sw(uint32_t crc, const void *data, size_t n);

#endif
