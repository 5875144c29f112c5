/* reader.c - see reader.h. */
#include "cache/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/pqfooter.h"
#include "cache/readpolicy.h"
#include "util/log.h"
#include "util/strutil.h"

/* A demand fetch claims at most this much past the read (the tail). */
#define MAX_DEMAND_RUN (8U << 20)

struct cached_file {
	struct reader_pool *pool;
	struct storage_file *f;
	struct oc_obj *o;
	uint64_t size;
	uint32_t bs;
	struct io_stats *stats;
	int refs;     /* the handle + queued jobs; pool lock */
	bool closing; /* pool lock */
	pthread_mutex_t plock; /* ps, footer_tried */
	struct rp_state ps;
	bool footer_tried;
};

/* Blocks claimed ahead, waiting for a worker: to fetch from storage, or
 * (verify) cached blocks to check against their CRCs, which also reads them
 * into the page cache ahead of the reader. */
struct job {
	struct cached_file *cf;
	uint64_t first;
	unsigned n;
	bool verify;
	struct job *next;
};

/* Run a job (in a worker, or in a reader that needs it now). */
static void run_job(struct job *j, bool prefetch);

struct reader_pool {
	struct ocache *cache;
	struct rp_config cfg;
	uint64_t max_inflight;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* workers wait here: signalled once per job queued
				 * or per fetch ended with jobs waiting (no herd of
				 * 8 on every fetch), broadcast at stop */
	struct job *jobs, *jobs_tail;
	uint64_t inflight;
	bool stop;
	int nthreads;
	pthread_t *threads;
	_Atomic uint64_t fetches, bytes_fetched, prefetches, errors, fallbacks, parquet;
	uint64_t inflight_peak; /* pool lock */
};

/* What the policy knows of an object: its Parquet column chunks. */
struct pq_hint {
	struct rp_extent *v;
	size_t n;
};

static void free_hint(void *h)
{
	struct pq_hint *x = h;
	free(x->v);
	free(x);
}

static void file_unref(struct cached_file *cf)
{
	/* pool lock held */
	if (--cf->refs > 0)
		return;
	oc_close(cf->o);
	storage_close(cf->f);
	pthread_mutex_destroy(&cf->plock);
	free(cf);
}

static uint64_t job_bytes(const struct cached_file *cf, uint64_t first, unsigned n)
{
	uint64_t a = first * cf->bs, b = (first + n) * cf->bs;
	return (b < cf->size ? b : cf->size) - a;
}

static void inflight_add(struct reader_pool *p, uint64_t n)
{
	pthread_mutex_lock(&p->lock);
	p->inflight += n;
	if (p->inflight > p->inflight_peak)
		p->inflight_peak = p->inflight;
	pthread_mutex_unlock(&p->lock);
}

static void inflight_sub(struct reader_pool *p, uint64_t n)
{
	pthread_mutex_lock(&p->lock);
	p->inflight -= n;
	if (p->jobs) /* one may wait for the budget; no job, no worker to wake */
		pthread_cond_signal(&p->changed);
	pthread_mutex_unlock(&p->lock);
}

/* Stream claimed blocks [first, first+n) from storage into the cache.
 * 0 or -errno; *cache_err: the cache file could not be written. */
static int fetch_blocks(struct cached_file *cf, uint64_t first, unsigned n, bool prefetch,
			int *cache_err)
{
	struct reader_pool *p = cf->pool;
	struct oc_writer w;
	oc_writer_init(&w, cf->o, first, n);
	uint64_t off = first * cf->bs, want = job_bytes(cf, first, n);
	struct storage_sink s = {.data = oc_writer_data, .ctx = &w};
	ssize_t r = storage_read_stream(cf->f, off, (size_t)want, &s);
	oc_writer_end(&w);
	if (r >= 0 && (uint64_t)r != want)
		r = -EIO; /* shorter than listed: the object changed */
	atomic_fetch_add(&p->fetches, 1);
	atomic_fetch_add(&p->bytes_fetched, w.bytes);
	if (prefetch)
		atomic_fetch_add(&p->prefetches, 1);
	if (r < 0)
		atomic_fetch_add(&p->errors, 1);
	if (cf->stats) {
		io_add(&cf->stats->fetches, 1);
		io_add(&cf->stats->bytes_fetched, w.bytes);
		if (r < 0)
			io_add(&cf->stats->errors, 1);
	}
	if (cache_err)
		*cache_err = w.cache_err;
	if (w.cache_err && r < 0)
		log_warn("disk cache: cannot write (%s): reading without it", strerror(-w.cache_err));
	return r < 0 ? (int)r : 0;
}

static void *worker(void *arg)
{
	struct reader_pool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop &&
		       (!p->jobs || (!p->jobs->verify && p->inflight &&
				     p->inflight + job_bytes(p->jobs->cf, p->jobs->first, p->jobs->n) >
					     p->max_inflight)))
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop)
			break;
		struct job *j = p->jobs;
		p->jobs = j->next;
		if (!p->jobs)
			p->jobs_tail = NULL;
		else /* the next job for the next worker (signals wake one each) */
			pthread_cond_signal(&p->changed);
		uint64_t bytes = j->verify ? 0 : job_bytes(j->cf, j->first, j->n);
		p->inflight += bytes;
		if (p->inflight > p->inflight_peak)
			p->inflight_peak = p->inflight;
		bool skip = j->cf->closing;
		pthread_mutex_unlock(&p->lock);
		if (skip)
			oc_unclaim(j->cf->o, j->first, j->n);
		else if (j->verify)
			oc_verify(j->cf->o, j->first, j->n);
		else
			fetch_blocks(j->cf, j->first, j->n, true, NULL);
		pthread_mutex_lock(&p->lock);
		p->inflight -= bytes;
		file_unref(j->cf);
		free(j);
		if (p->jobs)
			pthread_cond_signal(&p->changed);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct reader_pool *reader_pool_new(struct ocache *cache, const struct reader_opts *o)
{
	struct reader_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	int threads = o && o->threads ? o->threads : READER_DEFAULT_THREADS;
	p->cache = cache;
	rp_config_default(&p->cfg);
	p->max_inflight = o && o->max_inflight ? o->max_inflight : READER_DEFAULT_INFLIGHT;
	if (p->cfg.max_window > p->max_inflight)
		p->cfg.max_window = p->max_inflight;
	/* Read-ahead never outgrows a quarter of the cache: what is fetched ahead
	 * must still be there when it is read. */
	uint64_t quarter = ocache_max_bytes(cache) / 4;
	if (p->cfg.max_window > quarter)
		p->cfg.max_window = quarter > p->cfg.min_part ? quarter : p->cfg.min_part;
	if (p->cfg.min_window > p->cfg.max_window)
		p->cfg.min_window = p->cfg.max_window;
	if (p->cfg.max_part > p->cfg.max_window / 2)
		p->cfg.max_part = p->cfg.max_window / 2 > p->cfg.min_part ? p->cfg.max_window / 2
									     : p->cfg.min_part;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	p->threads = calloc(threads > 0 ? (size_t)threads : 1, sizeof(pthread_t));
	if (!p->threads) {
		reader_pool_free(p);
		return NULL;
	}
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p))
			break;
		p->nthreads++;
	}
	return p;
}

void reader_pool_free(struct reader_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	/* Jobs never started: give their blocks back. */
	while (p->jobs) {
		struct job *j = p->jobs;
		p->jobs = j->next;
		oc_unclaim(j->cf->o, j->first, j->n);
		file_unref(j->cf);
		free(j);
	}
	free(p->threads);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
	free(p);
}

void reader_pool_stats(struct reader_pool *p, struct reader_stats *out)
{
	out->fetches = atomic_load(&p->fetches);
	out->bytes_fetched = atomic_load(&p->bytes_fetched);
	out->prefetches = atomic_load(&p->prefetches);
	out->errors = atomic_load(&p->errors);
	out->fallbacks = atomic_load(&p->fallbacks);
	out->parquet = atomic_load(&p->parquet);
	pthread_mutex_lock(&p->lock);
	out->inflight_peak = p->inflight_peak;
	pthread_mutex_unlock(&p->lock);
}

struct ocache *reader_pool_cache(struct reader_pool *p) { return p->cache; }

int cached_open(struct reader_pool *p, struct storage_file *f, const char *identity,
		uint64_t group, uint64_t size, struct io_stats *stats, struct cached_file **out)
{
	struct cached_file *cf = calloc(1, sizeof(*cf));
	if (!cf)
		return -ENOMEM;
	int r = oc_open_group(p->cache, identity, group, size, &cf->o);
	if (r) {
		free(cf);
		return r;
	}
	cf->pool = p;
	cf->f = f;
	cf->size = size;
	cf->bs = oc_block_size(cf->o);
	cf->stats = stats;
	cf->refs = 1;
	pthread_mutex_init(&cf->plock, NULL);
	*out = cf;
	return 0;
}

/* Ahead of a reader, over bytes [a, b): fetches of the EMPTY blocks (`part`
 * bytes each), checks of the cached blocks not checked yet, and for the
 * checked ones a hint to the kernel to read the cache file ahead. */
static void schedule(struct cached_file *cf, uint64_t a, uint64_t b, uint64_t part)
{
	struct reader_pool *p = cf->pool;
	if (a >= b || !p->nthreads)
		return;
	uint64_t fb = a / cf->bs, lb = (b + cf->bs - 1) / cf->bs;
	unsigned pb = part / cf->bs ? (unsigned)(part / cf->bs) : 1;
	for (uint64_t blk = fb; blk < lb;) {
		uint64_t vend = oc_checked_run(cf->o, blk, lb);
		if (vend > blk) {
			/* only here: on a hole the kernel would read zeros into the
			 * page cache that the fetch then overwrites */
			uint64_t end = vend * cf->bs < cf->size ? vend * cf->bs : cf->size;
			posix_fadvise(oc_fd(cf->o), (off_t)(blk * cf->bs), (off_t)(end - blk * cf->bs),
				      POSIX_FADV_WILLNEED);
			blk = vend;
			continue;
		}
		bool unchecked = false;
		uint64_t w = oc_next_work(cf->o, blk, lb, &unchecked);
		if (w >= lb)
			break;
		if (w > blk) {
			blk = w;
			continue;
		}
		unsigned max = lb - blk < pb ? (unsigned)(lb - blk) : pb;
		unsigned n = unchecked ? oc_claim_unchecked(cf->o, blk, max) : oc_claim(cf->o, blk, max);
		if (!n) {
			blk++;
			continue;
		}
		struct job *j = calloc(1, sizeof(*j));
		if (!j) {
			oc_unclaim(cf->o, blk, n);
			return;
		}
		j->first = blk;
		j->n = n;
		j->verify = unchecked;
		j->cf = cf;
		pthread_mutex_lock(&p->lock);
		cf->refs++;
		if (p->jobs_tail)
			p->jobs_tail->next = j;
		else
			p->jobs = j;
		p->jobs_tail = j;
		pthread_cond_signal(&p->changed);
		pthread_mutex_unlock(&p->lock);
		blk += n;
	}
}

void cached_open_ahead(struct cached_file *cf, bool tail)
{
	uint64_t footer = cf->pool->cfg.footer;
	if (cf->size <= footer) /* small: all of it, whichever end is read first */
		schedule(cf, 0, cf->size, footer);
	else if (tail)
		schedule(cf, cf->size - footer, cf->size, footer + cf->bs); /* one request */
	else
		schedule(cf, 0, cf->bs, cf->bs);
}

/* Take the queued jobs of cf's object (of cf itself, with own) that hold
 * blocks of [first, last] out of the queue, in order. */
static struct job *unqueue(struct cached_file *cf, bool own, uint64_t first, uint64_t last)
{
	struct reader_pool *p = cf->pool;
	struct job *taken = NULL, **tail = &taken, *prev = NULL;
	pthread_mutex_lock(&p->lock);
	for (struct job *j = p->jobs, *nx; j; j = nx) {
		nx = j->next;
		bool match = (own ? j->cf == cf : j->cf->o == cf->o) && j->first <= last &&
			     j->first + j->n > first;
		if (!match) {
			prev = j;
			continue;
		}
		if (prev)
			prev->next = nx;
		else
			p->jobs = nx;
		if (p->jobs_tail == j)
			p->jobs_tail = prev;
		j->next = NULL;
		*tail = j;
		tail = &j->next;
	}
	pthread_mutex_unlock(&p->lock);
	return taken;
}

/* Run the queued fetches of blocks of [first, last] here: the read needs
 * them now. */
static void steal(struct cached_file *cf, uint64_t first, uint64_t last)
{
	struct reader_pool *p = cf->pool;
	struct job *mine = unqueue(cf, false, first, last);
	while (mine) {
		struct job *j = mine;
		mine = j->next;
		run_job(j, false);
		pthread_mutex_lock(&p->lock);
		file_unref(j->cf);
		pthread_mutex_unlock(&p->lock);
		free(j);
	}
}

static void run_job(struct job *j, bool prefetch)
{
	if (j->verify) {
		oc_verify(j->cf->o, j->first, j->n);
		return;
	}
	uint64_t bytes = job_bytes(j->cf, j->first, j->n);
	inflight_add(j->cf->pool, bytes);
	fetch_blocks(j->cf, j->first, j->n, prefetch, NULL);
	inflight_sub(j->cf->pool, bytes);
}

struct demand {
	struct cached_file *cf;
	int cache_err;
};

static int demand_fetch(void *ctx, uint64_t first, unsigned n)
{
	struct demand *d = ctx;
	uint64_t bytes = job_bytes(d->cf, first, n);
	inflight_add(d->cf->pool, bytes);
	int r = fetch_blocks(d->cf, first, n, false, &d->cache_err);
	inflight_sub(d->cf->pool, bytes);
	return r;
}

/* Bytes [off, off+len) of the object into buf through the cache: 0 or -errno. */
static int read_cached(struct cached_file *cf, uint64_t off, size_t len, void *buf)
{
	uint64_t first = off / cf->bs, last = (off + len - 1) / cf->bs;
	struct demand d = {.cf = cf};
	int r = oc_acquire(cf->o, first, last, last, MAX_DEMAND_RUN / cf->bs, demand_fetch, &d,
			   NULL);
	if (r)
		return r;
	ssize_t n = pread(oc_fd(cf->o), buf, len, (off_t)off);
	oc_release(cf->o, first, last);
	return n == (ssize_t)len ? 0 : -EIO;
}

/* After the first read of the tail: learn the column chunks of a Parquet
 * file from its footer (an empty hint for anything else). */
static void learn_footer(struct cached_file *cf)
{
	if (oc_hint(cf->o))
		return;
	struct pq_hint *h = calloc(1, sizeof(*h));
	if (!h)
		return;
	uint8_t tail[8];
	uint32_t len = 0;
	if (cf->size >= 12 && !read_cached(cf, cf->size - 8, 8, tail) &&
	    !pq_footer_len(tail, cf->size, &len)) {
		uint8_t *meta = malloc(len);
		if (meta && !read_cached(cf, cf->size - 8 - len, len, meta) &&
		    !pq_footer_extents(meta, len, cf->size, &h->v, &h->n))
			atomic_fetch_add(&cf->pool->parquet, 1);
		free(meta);
	}
	if (!oc_set_hint(cf->o, h, free_hint))
		free_hint(h);
}

ssize_t cached_read(struct cached_file *cf, size_t len, uint64_t off, struct cached_reply *out)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (off >= cf->size || len == 0)
		return 0;
	if (len > cf->size - off)
		len = (size_t)(cf->size - off);
	struct reader_pool *p = cf->pool;
	struct pq_hint *h = oc_hint(cf->o);
	struct rp_plan plan;
	pthread_mutex_lock(&cf->plock);
	rp_next(&cf->ps, &p->cfg, cf->size, h ? h->v : NULL, h ? h->n : 0, off, len, &plan);
	bool learn = plan.tail && !cf->footer_tried;
	if (learn)
		cf->footer_tried = true;
	pthread_mutex_unlock(&cf->plock);

	uint64_t first = plan.fetch_start / cf->bs, last = (off + len - 1) / cf->bs;
	uint64_t claim_last = (plan.fetch_end - 1) / cf->bs;
	steal(cf, first, last);
	schedule(cf, plan.ahead_start, plan.ahead_end, plan.part);
	struct demand d = {.cf = cf};
	bool hit = false;
	int r = oc_acquire(cf->o, first, last, claim_last, MAX_DEMAND_RUN / cf->bs, demand_fetch,
			   &d, &hit);
	if (cf->stats)
		io_add(hit ? &cf->stats->cache_hits : &cf->stats->cache_misses, 1);
	if (r && d.cache_err) {
		/* The disk cache cannot take it (full, failing): read around it. */
		atomic_fetch_add(&p->fallbacks, 1);
		out->buf = malloc(len);
		ssize_t n = out->buf ? storage_read(cf->f, out->buf, len, off) : -ENOMEM;
		if (n < 0) {
			free(out->buf);
			out->buf = NULL;
			return n;
		}
		out->len = (size_t)n;
		return n;
	}
	if (r)
		return r;
	out->fd = oc_fd(cf->o);
	out->off = off;
	out->len = len;
	out->held = cf;
	out->first = first;
	out->last = last;
	pthread_mutex_lock(&p->lock);
	cf->refs++;
	pthread_mutex_unlock(&p->lock);
	if (learn)
		learn_footer(cf);
	return (ssize_t)len;
}

void cached_reply_release(struct cached_reply *r)
{
	struct cached_file *cf = r->held;
	if (cf) {
		struct reader_pool *p = cf->pool;
		oc_release(cf->o, r->first, r->last);
		pthread_mutex_lock(&p->lock);
		file_unref(cf);
		pthread_mutex_unlock(&p->lock);
	}
	free(r->buf);
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

void cached_close(struct cached_file *cf)
{
	if (!cf)
		return;
	struct reader_pool *p = cf->pool;
	pthread_mutex_lock(&p->lock);
	cf->closing = true;
	pthread_mutex_unlock(&p->lock);
	/* Fetches queued for this handle that no worker started: let them go. */
	struct job *drop = unqueue(cf, true, 0, UINT64_MAX - 1);
	while (drop) {
		struct job *j = drop;
		drop = j->next;
		oc_unclaim(cf->o, j->first, j->n);
		pthread_mutex_lock(&p->lock);
		file_unref(cf);
		pthread_mutex_unlock(&p->lock);
		free(j);
	}
	pthread_mutex_lock(&p->lock);
	file_unref(cf);
	pthread_mutex_unlock(&p->lock);
}
