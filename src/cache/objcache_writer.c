/* objcache_writer.c - writing fetched bytes into a cached object (struct
 * oc_writer in objcache.h). */
#include "cache/objcache_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "util/crc32c.h"
#include "util/log.h"

/* ---- writing ---- */

/* Pieces from libcurl (16 KiB each) are gathered up to this much before
 * one pwrite: a write(2) per piece costs more than the copy, and concurrent
 * writers of one file contend on its inode lock once per write. */
#define STAGE_BYTES (256U << 10)

void oc_writer_init(struct oc_writer *w, struct oc_obj *o, uint64_t first, unsigned n)
{
	memset(w, 0, sizeof(*w));
	w->o = o;
	w->next = first;
	w->end = first + n;
	w->pos = first * o->bs;
	w->ent_from = first;
	w->stage_at = w->pos;
	w->pend_from = first;
	/* a fetch of more than one block gathers its pieces (STAGE_BYTES is a
	 * whole number of blocks, so pending completions fit pend_crc) */
	if (n > 1 && o->bs <= STAGE_BYTES)
		w->stage = malloc(STAGE_BYTES);
}

/* Write the index entries of the blocks completed so far (those still
 * VALID: eviction may have punched one out meanwhile). Object mutex held. */
static void persist(struct oc_writer *w)
{
	struct oc_obj *o = w->o;
	if (!w->nent)
		return;
	uint8_t ents[ENT_SIZE * OC_WRITER_BATCH] = {0};
	for (unsigned i = 0; i < w->nent; i++) {
		uint64_t b = w->ent_from + i;
		if ((o->st[b] & B_STATE) != B_VALID)
			continue; /* zero: not cached */
		put32(ents + i * ENT_SIZE, o->crc[b]);
		put32(ents + i * ENT_SIZE + 4, oc_ent_check(o->e->id, b, o->crc[b]));
	}
	/* the entries go to the index after the data went to the data file */
	oc_pwrite_full(o->ifd, ents, (size_t)w->nent * ENT_SIZE, HDR_SIZE + w->ent_from * ENT_SIZE);
	w->ent_from += w->nent;
	w->nent = 0;
}

/* Blocks [from, to) are complete with checksums crcs[]: VALID now (waiters
 * wake), indexed in batches. */
static void complete(struct oc_writer *w, uint64_t from, uint64_t to, const uint32_t *crcs)
{
	struct oc_obj *o = w->o;
	uint64_t bytes = 0, disk = 0;
	pthread_mutex_lock(&o->mu);
	for (uint64_t b = from; b < to; b++) {
		o->st[b] = B_VALID | B_CHECKED;
		o->crc[b] = crcs[b - from];
		o->tick[b] = o->clock;
		bytes += oc_blen(o, b);
		disk += oc_bdisk(o, b);
		if (++w->nent == OC_WRITER_BATCH)
			persist(w);
	}
	o->bytes += disk;
	if (o->waiters) /* a wake-up per completed piece costs a context switch */
		pthread_cond_broadcast(&o->changed);
	pthread_mutex_unlock(&o->mu);
	atomic_fetch_add(&o->c->bytes_used, disk);
	atomic_fetch_add(&o->c->bytes_written, bytes);
}

/* Write what is gathered, then complete the blocks it finished. */
static int flush_stage(struct oc_writer *w)
{
	struct oc_obj *o = w->o;
	if (w->nstage) {
		pthread_mutex_lock(&o->wmu);
		int r = oc_pwrite_full(o->fd, w->stage, w->nstage, w->stage_at);
		pthread_mutex_unlock(&o->wmu);
		if (r)
			return w->cache_err = r;
		w->stage_at += w->nstage;
		w->nstage = 0;
	}
	/* every pending block ends at or before stage_at now */
	if (w->npend) {
		complete(w, w->pend_from, w->pend_from + w->npend, w->pend_crc);
		w->pend_from += w->npend;
		w->npend = 0;
	}
	return 0;
}

int oc_writer_data(void *wp, const char *p, size_t n)
{
	struct oc_writer *w = wp;
	struct oc_obj *o = w->o;
	uint64_t limit = w->end * o->bs < o->size ? w->end * o->bs : o->size;
	if (n > limit - w->pos)
		return -EIO; /* more than was claimed: never write outside the claim */
	if (w->stage && w->nstage + n > STAGE_BYTES && flush_stage(w))
		return w->cache_err;
	if (w->stage && n <= STAGE_BYTES) {
		memcpy(w->stage + w->nstage, p, n);
		w->nstage += n;
	} else {
		pthread_mutex_lock(&o->wmu);
		int r = oc_pwrite_full(o->fd, p, n, w->pos);
		pthread_mutex_unlock(&o->wmu);
		if (r)
			return w->cache_err = r;
		w->stage_at = w->pos + n;
	}
	w->bytes += n;
	/* Checksum the piece while it is in the CPU's cache. A block becomes
	 * VALID only once all its bytes are in the data file: with a stage,
	 * completed blocks wait (pend) for the write of what was gathered. */
	uint32_t crcs[64];
	uint64_t from = w->next;
	while (n) {
		uint64_t bend = w->next * o->bs + oc_blen(o, w->next);
		size_t take = bend - w->pos < n ? (size_t)(bend - w->pos) : n;
		w->crc = crc32c(w->crc, p, take);
		p += take;
		n -= take;
		w->pos += take;
		if (w->pos < bend)
			continue;
		if (w->stage) {
			w->pend_crc[w->npend++] = w->crc;
			if (w->npend == OC_STAGE_BLOCKS && flush_stage(w))
				return w->cache_err;
		} else {
			crcs[w->next - from] = w->crc;
			if (w->next + 1 - from == 64) {
				complete(w, from, w->next + 1, crcs);
				from = w->next + 1;
			}
		}
		w->crc = 0;
		w->next++;
	}
	if (!w->stage && w->next > from)
		complete(w, from, w->next, crcs);
	/* the last bytes, or pieces written past the stage */
	if (w->stage && (w->pos == limit || (!w->nstage && w->npend)) && flush_stage(w))
		return w->cache_err;
	oc_maybe_evict(o->c);
	return 0;
}

void oc_writer_end(struct oc_writer *w)
{
	struct oc_obj *o = w->o;
	/* Bytes of blocks never completed are not written: they would only be
	 * punched out at the next load. Completed ones must be. */
	if (w->npend)
		flush_stage(w);
	pthread_mutex_lock(&o->mu);
	persist(w);
	pthread_mutex_unlock(&o->mu);
	free(w->stage);
	w->stage = NULL;
	if (w->next < w->end)
		oc_unclaim(o, w->next, (unsigned)(w->end - w->next));
	w->next = w->end;
}
