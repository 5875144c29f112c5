/*
 * objcache_groups.c - the object cache seen per group (usage, drop) and per
 * object (lookup, pins); see objcache.h. Every function takes the cache
 * mutex, then an open object's mutex (the cache's lock order).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache/objcache_internal.h"

static uint64_t ent_bytes(struct ent *e)
{
	return e->obj ? atomic_load(&e->obj->bytes) : e->bytes;
}

static uint64_t ent_use(struct ent *e)
{
	return e->obj ? atomic_load(&e->obj->last_use) : e->last_use;
}

int ocache_groups(struct ocache *c, struct ocache_usage **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	size_t cap = 0, cnt = 0;
	struct ocache_usage *u = NULL;
	int r = 0;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->nb && !r; i++)
		for (struct ent *e = c->tab[i]; e && !r; e = e->hnext) {
			size_t k = 0;
			while (k < cnt && u[k].group != e->group) /* few groups: a scan is fine */
				k++;
			if (k == cnt) {
				if (cnt == cap) {
					size_t nc = cap ? cap * 2 : 64;
					struct ocache_usage *nu = realloc(u, nc * sizeof(*nu));
					if (!nu) {
						r = -ENOMEM;
						break;
					}
					u = nu;
					cap = nc;
				}
				memset(&u[cnt], 0, sizeof(u[cnt]));
				u[cnt++].group = e->group;
			}
			uint64_t b = ent_bytes(e), t = ent_use(e);
			u[k].objects++;
			u[k].bytes += b;
			if (e->pinned)
				u[k].pinned_bytes += b;
			if (t > u[k].last_use)
				u[k].last_use = t;
		}
	pthread_mutex_unlock(&c->mu);
	if (r) {
		free(u);
		return r;
	}
	*out = u;
	*n = cnt;
	return 0;
}

/* Disk bytes of an object of SIZE when every block is VALID. */
static uint64_t full_bytes(uint64_t size)
{
	uint64_t bs = oc_block_size_for(size);
	if (!size)
		return 0;
	uint64_t nb = (size + bs - 1) / bs;
	return (nb - 1) * bs + oc_disk_len(size - (nb - 1) * bs);
}

int ocache_lookup(struct ocache *c, const uint8_t id[32], uint64_t size, uint64_t *bytes,
		  bool *complete, uint64_t *last_use)
{
	pthread_mutex_lock(&c->mu);
	struct ent *e = oc_find_ent(c, id);
	if (!e) {
		pthread_mutex_unlock(&c->mu);
		return -ENOENT;
	}
	uint64_t b = ent_bytes(e);
	bool full;
	if (e->obj) {
		struct oc_obj *o = e->obj;
		pthread_mutex_lock(&o->mu);
		full = o->size == size;
		for (uint64_t k = 0; full && k < o->nblocks; k++)
			full = (o->st[k] & B_STATE) == B_VALID;
		pthread_mutex_unlock(&o->mu);
	} else {
		full = b == full_bytes(size);
	}
	if (bytes)
		*bytes = b;
	if (complete)
		*complete = full;
	if (last_use)
		*last_use = ent_use(e);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

int ocache_pin(struct ocache *c, const uint8_t id[32], bool pin)
{
	pthread_mutex_lock(&c->mu);
	struct ent *e = oc_find_ent(c, id);
	if (e)
		e->pinned = pin;
	pthread_mutex_unlock(&c->mu);
	return e ? 0 : -ENOENT;
}

uint64_t ocache_pinned_bytes(struct ocache *c)
{
	uint64_t sum = 0;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->nb; i++)
		for (struct ent *e = c->tab[i]; e; e = e->hnext)
			if (e->pinned)
				sum += ent_bytes(e);
	pthread_mutex_unlock(&c->mu);
	return sum;
}

uint64_t ocache_drop_group(struct ocache *c, uint64_t group)
{
	uint64_t freed = 0;
	pthread_mutex_lock(&c->mu);
	for (size_t i = 0; i < c->nb; i++)
		for (struct ent *e = c->tab[i], *nx; e; e = nx) {
			nx = e->hnext;
			if (e->group != group)
				continue;
			e->pinned = false;
			if (!e->obj) {
				oc_unlink_obj(c, e->id);
				atomic_fetch_sub(&c->bytes_used, e->bytes);
				freed += e->bytes;
				oc_del_ent(c, e);
				continue;
			}
			struct oc_obj *o = e->obj;
			pthread_mutex_lock(&o->mu);
			for (uint64_t b = 0; b < o->nblocks; b++)
				if ((o->st[b] & B_STATE) == B_VALID && !o->hold[b]) {
					freed += oc_bdisk(o, b);
					oc_punch(o, b);
				}
			pthread_mutex_unlock(&o->mu);
		}
	pthread_mutex_unlock(&c->mu);
	return freed;
}
