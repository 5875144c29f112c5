/*
 * jsonnum.h - numbers from JSON answers to integers, without undefined
 * behaviour.
 *
 * Contract: pure. A JSON number is a double of any magnitude (cJSON turns
 * 1e300 into 1e300 and 1e999 into +inf), and converting a double outside the
 * target type's range to an integer is undefined behaviour in C. Every
 * double -> integer conversion of a number that came from JSON (or any other
 * remote answer) goes through json_num_clamp(): it truncates toward zero like
 * a cast, but clamps to [lo, hi] first, and maps NaN to lo. json_item_i64()
 * reads a cJSON item that is a number or a decimal string (Unity Catalog
 * servers send both), clamped the same way, or DFLT when it is absent, null
 * or of another type.
 */
#ifndef UCFS_JSONNUM_H
#define UCFS_JSONNUM_H

#include <stdint.h>

struct cJSON;

/* The last millisecond of year 9999 (UTC): a ceiling for epoch-ms fields. */
#define JSON_EPOCH_MS_MAX 253402300799999LL

/* V truncated toward zero and clamped to [LO, HI] (LO <= HI); NaN gives LO. */
int64_t json_num_clamp(double v, int64_t lo, int64_t hi);

/* A number, or a string holding a decimal integer (leading blanks and a sign
 * allowed, trailing text ignored as strtoll does), clamped to [LO, HI]; DFLT
 * when absent, null, of another type, or a string without digits. */
int64_t json_item_i64(const struct cJSON *it, int64_t lo, int64_t hi, int64_t dflt);

#endif
