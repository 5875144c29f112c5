/* objcache_blocks.c - block states of cached objects: claiming, waiting for
 * what others fetch, checking what was read from disk; see objcache.h. */
#include "cache/objcache_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "util/crc32c.h"
#include "util/log.h"

/* ---- block states ---- */

unsigned oc_claim(struct oc_obj *o, uint64_t first, unsigned max)
{
	unsigned n = 0;
	pthread_mutex_lock(&o->mu);
	for (uint64_t b = first; b < o->nblocks && n < max && o->st[b] == B_EMPTY; b++, n++)
		o->st[b] = B_BUSY;
	pthread_mutex_unlock(&o->mu);
	return n;
}

void oc_unclaim(struct oc_obj *o, uint64_t first, unsigned n)
{
	pthread_mutex_lock(&o->mu);
	for (uint64_t b = first; b < first + n && b < o->nblocks; b++)
		if ((o->st[b] & B_STATE) == B_BUSY)
			o->st[b] = (o->st[b] & B_VERIFY) ? B_VALID : B_EMPTY;
	if (o->waiters) /* a wake-up per completed piece costs a context switch */
		pthread_cond_broadcast(&o->changed);
	pthread_mutex_unlock(&o->mu);
}

uint64_t oc_next_empty(struct oc_obj *o, uint64_t from, uint64_t to)
{
	return oc_next_work(o, from, to, NULL);
}

uint64_t oc_checked_run(struct oc_obj *o, uint64_t from, uint64_t to)
{
	pthread_mutex_lock(&o->mu);
	if (to > o->nblocks)
		to = o->nblocks;
	while (from < to && o->st[from] == (B_VALID | B_CHECKED))
		from++;
	pthread_mutex_unlock(&o->mu);
	return from;
}

uint64_t oc_next_work(struct oc_obj *o, uint64_t from, uint64_t to, bool *unchecked)
{
	pthread_mutex_lock(&o->mu);
	if (to > o->nblocks)
		to = o->nblocks;
	while (from < to && o->st[from] != B_EMPTY && !(unchecked && o->st[from] == B_VALID))
		from++;
	if (unchecked)
		*unchecked = from < to && o->st[from] == B_VALID;
	pthread_mutex_unlock(&o->mu);
	return from < to ? from : to;
}

bool oc_covered(struct oc_obj *o, uint64_t first, uint64_t last)
{
	bool all = true;
	pthread_mutex_lock(&o->mu);
	for (uint64_t b = first; b <= last && b < o->nblocks && all; b++)
		all = o->st[b] != B_EMPTY;
	pthread_mutex_unlock(&o->mu);
	return all;
}

unsigned oc_claim_unchecked(struct oc_obj *o, uint64_t first, unsigned max)
{
	unsigned n = 0;
	pthread_mutex_lock(&o->mu);
	for (uint64_t b = first; b < o->nblocks && n < max && o->st[b] == B_VALID; b++, n++)
		o->st[b] = B_BUSY | B_VERIFY;
	pthread_mutex_unlock(&o->mu);
	return n;
}

int oc_verify(struct oc_obj *o, uint64_t first, unsigned n)
{
	struct ocache *c = o->c;
	uint64_t off = first * o->bs, end = (first + n) * o->bs;
	if (end > o->size)
		end = o->size;
	char *buf = malloc(end - off ? end - off : 1);
	int r = buf ? oc_pread_full(o->fd, buf, end - off, off) : -ENOMEM;
	pthread_mutex_lock(&o->mu);
	for (uint64_t b = first; b < first + n; b++) {
		bool ok = !r && crc32c(0, buf + (b - first) * o->bs, oc_blen(o, b)) == o->crc[b];
		if (ok) {
			o->st[b] = B_VALID | B_CHECKED;
			continue;
		}
		if (!r) {
			log_warn("disk cache: damaged block %" PRIu64 " of an object (checksum "
				 "mismatch): fetching it again", b);
			atomic_fetch_add(&c->corrupt, 1);
		}
		o->st[b] = B_VALID; /* oc_punch() expects VALID */
		oc_punch(o, b);
	}
	if (o->waiters) /* a wake-up per completed piece costs a context switch */
		pthread_cond_broadcast(&o->changed);
	pthread_mutex_unlock(&o->mu);
	free(buf);
	return r;
}

int oc_acquire(struct oc_obj *o, uint64_t first, uint64_t last, uint64_t claim_last,
	       unsigned max_run, oc_fetch_fn fetch, void *ctx, bool *hit)
{
	struct ocache *c = o->c;
	if (last >= o->nblocks)
		last = o->nblocks ? o->nblocks - 1 : 0;
	if (claim_last < last)
		claim_last = last;
	if (claim_last >= o->nblocks)
		claim_last = o->nblocks ? o->nblocks - 1 : 0;
	if (max_run == 0)
		max_run = 1;
	bool first_look = true;
	int err = 0;
	pthread_mutex_lock(&o->mu);
	if (!o->nblocks) { /* an empty object: nothing to fetch */
		pthread_mutex_unlock(&o->mu);
		if (hit)
			*hit = true;
		return 0;
	}
	for (uint64_t b = first; b <= last; b++)
		if (o->hold[b] < UINT16_MAX)
			o->hold[b]++;
	/* Each round makes progress (a fetch, a check, a wake-up); the bound
	 * only guards against a fetch that keeps failing for others. */
	for (int round = 0; round < 100000; round++) {
		uint64_t empty = UINT64_MAX, unchecked = UINT64_MAX;
		bool busy = false;
		for (uint64_t b = first; b <= last; b++) {
			uint8_t s = o->st[b];
			if (s == (B_VALID | B_CHECKED))
				continue;
			if ((s & B_STATE) == B_EMPTY && empty == UINT64_MAX)
				empty = b;
			else if ((s & B_STATE) == B_VALID && unchecked == UINT64_MAX)
				unchecked = b;
			else if ((s & B_STATE) == B_BUSY)
				busy = true;
		}
		if (first_look) {
			bool all = empty == UINT64_MAX && !busy;
			if (hit)
				*hit = all;
			atomic_fetch_add(all ? &c->hits : &c->misses, 1);
			first_look = false;
		}
		if (empty == UINT64_MAX && unchecked == UINT64_MAX && !busy) {
			o->clock++;
			for (uint64_t b = first; b <= last; b++)
				o->tick[b] = o->clock;
			atomic_store(&o->last_use, oc_now_ns());
			pthread_mutex_unlock(&o->mu);
			return 0;
		}
		if (empty != UINT64_MAX) {
			unsigned n = 0;
			for (uint64_t b = empty; b <= claim_last && n < max_run && o->st[b] == B_EMPTY;
			     b++, n++)
				o->st[b] = B_BUSY;
			pthread_mutex_unlock(&o->mu);
			err = fetch(ctx, empty, n);
			pthread_mutex_lock(&o->mu);
			if (err)
				break;
			continue;
		}
		if (unchecked != UINT64_MAX) {
			/* the whole run of unchecked blocks, with one read */
			unsigned n = 0;
			for (uint64_t b = unchecked; b <= claim_last && n < max_run && o->st[b] == B_VALID;
			     b++, n++)
				o->st[b] = B_BUSY | B_VERIFY;
			pthread_mutex_unlock(&o->mu);
			oc_verify(o, unchecked, n); /* an I/O error punches: fetched next round */
			pthread_mutex_lock(&o->mu);
			continue;
		}
		o->waiters++;
		pthread_cond_wait(&o->changed, &o->mu);
		o->waiters--;
	}
	for (uint64_t b = first; b <= last; b++)
		if (o->hold[b])
			o->hold[b]--;
	pthread_mutex_unlock(&o->mu);
	return err ? err : -EIO;
}

void oc_release(struct oc_obj *o, uint64_t first, uint64_t last)
{
	pthread_mutex_lock(&o->mu);
	for (uint64_t b = first; b <= last && b < o->nblocks; b++)
		if (o->hold[b])
			o->hold[b]--;
	pthread_mutex_unlock(&o->mu);
}
