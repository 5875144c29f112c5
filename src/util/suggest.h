/*
 * suggest.h - "did you mean ...?" for mistyped command words.
 *
 * Contract: pure. The distance is the optimal-string-alignment edit distance
 * (insert, delete, substitute, swap two neighbours: each costs 1), in bytes.
 */
#ifndef UCFS_SUGGEST_H
#define UCFS_SUGGEST_H

#include <stddef.h>

/* Edit distance between A and B (strings of at most 64 bytes; longer ones
 * count as far from everything: SIZE_MAX). */
size_t suggest_distance(const char *a, const char *b);

/*
 * The candidate WORD most likely meant, or NULL: the one with the smallest
 * distance when that is at most 2 and less than half of WORD's length
 * (ties: the first in CANDS), else a candidate that WORD is a prefix of
 * (WORD of at least 2 bytes, and only one such candidate).
 */
const char *suggest_best(const char *word, const char *const *cands, size_t n);

#endif
