/* seenset.c - see seenset.h. */
#include "util/seenset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

struct seen_slot {
	uint64_t hash;
	size_t len;
	unsigned char *key; /* NULL: empty slot */
};

/* The slot holding KEY, or the empty slot where it would go. cap > 0. */
static struct seen_slot *probe(struct seen_slot *slot, size_t cap, uint64_t h, const void *key,
			       size_t len)
{
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		struct seen_slot *e = &slot[i];
		if (!e->key || (e->hash == h && e->len == len && !memcmp(e->key, key, len)))
			return e;
	}
}

static int grow(struct seenset *s)
{
	size_t nc = s->cap ? s->cap * 2 : 64;
	struct seen_slot *ns = calloc(nc, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->slot[i].key)
			continue;
		size_t j = s->slot[i].hash & (nc - 1);
		while (ns[j].key) /* keys in the old table are distinct: first free slot */
			j = (j + 1) & (nc - 1);
		ns[j] = s->slot[i];
	}
	free(s->slot);
	s->slot = ns;
	s->cap = nc;
	return 0;
}

bool seenset_has(const struct seenset *s, const void *key, size_t len)
{
	if (!s->cap)
		return false;
	return probe(s->slot, s->cap, fnv1a64(key, len), key, len)->key != NULL;
}

int seenset_add(struct seenset *s, const void *key, size_t len)
{
	if ((s->n + 1) * 2 > s->cap && grow(s))
		return -ENOMEM;
	uint64_t h = fnv1a64(key, len);
	struct seen_slot *e = probe(s->slot, s->cap, h, key, len);
	if (e->key)
		return 0;
	unsigned char *copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, key, len);
	*e = (struct seen_slot){.hash = h, .len = len, .key = copy};
	s->n++;
	return 1;
}

int seenset_add_str(struct seenset *s, const char *key)
{
	return seenset_add(s, key, strlen(key));
}

bool seenset_has_str(const struct seenset *s, const char *key)
{
	return seenset_has(s, key, strlen(key));
}

void seenset_free(struct seenset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i].key);
	free(s->slot);
	memset(s, 0, sizeof(*s));
}
