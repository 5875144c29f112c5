/*
 * seenset.h - a set of byte strings, for "have I seen this before?" checks on
 * remote answers: repeated page tokens, duplicate names.
 *
 * Contract: pure (no I/O, no globals). Keys are copied; a key is LEN bytes
 * (NUL bytes allowed). Open addressing with FNV-1a, grown at half load, so
 * add/has are O(1) on average and memory is O(total key bytes). Not
 * thread-safe (callers own one set each). A zeroed struct is an empty set.
 */
#ifndef UCFS_SEENSET_H
#define UCFS_SEENSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct seenset {
	struct seen_slot *slot;
	size_t n, cap;
};

/* 1 when KEY was added, 0 when it was already there, -ENOMEM. */
int seenset_add(struct seenset *s, const void *key, size_t len);
bool seenset_has(const struct seenset *s, const void *key, size_t len);
/* The same for a NUL-terminated string. */
int seenset_add_str(struct seenset *s, const char *key);
bool seenset_has_str(const struct seenset *s, const char *key);
void seenset_free(struct seenset *s);

#endif
