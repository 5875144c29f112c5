/* reader.c - see reader.h. */
#include "cache/reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/strutil.h"

struct cached_file {
	struct reader_pool *pool;
	struct storage_file *f;
	char *identity;
	uint64_t size;
	struct io_stats *stats;
	int refs;            /* the handle + queued prefetch jobs; pool lock */
	uint64_t next_off;   /* where a sequential reader reads next */
	unsigned window;     /* readahead window in blocks, 0 = random access */
	uint64_t ahead_upto; /* blocks below this have been scheduled */
};

/* A block being fetched. Freed by whoever is last: the fetcher when no one
 * waits, else the last waiter. Pool lock guards every field. */
struct inflight {
	char *identity;
	uint64_t block;
	bool done;
	int err;
	int waiters;
	struct inflight *next;
};

struct job {
	struct cached_file *cf;
	uint64_t block;
	struct job *next;
};

struct reader_pool {
	struct bcache *cache;
	uint32_t bs;
	unsigned max_window;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* an in-flight fetch finished / a job arrived */
	struct inflight *inflight;
	struct job *jobs, *jobs_tail;
	bool stop;
	int nthreads;
	pthread_t *threads;
	struct reader_stats stats;
};

static void file_unref(struct reader_pool *p, struct cached_file *cf)
{
	/* pool lock held */
	if (--cf->refs > 0)
		return;
	storage_close(cf->f);
	free(cf->identity);
	free(cf);
	pthread_cond_broadcast(&p->changed);
}

static struct inflight *find_inflight(struct reader_pool *p, const char *identity, uint64_t block)
{
	for (struct inflight *x = p->inflight; x; x = x->next)
		if (x->block == block && !strcmp(x->identity, identity))
			return x;
	return NULL;
}

/*
 * Make block `b` available: from the cache into buf (when buf != NULL), or
 * by fetching it (once, however many threads ask). Returns its length or a
 * negative errno.
 */
static ssize_t get_block(struct cached_file *cf, uint64_t b, char *buf, bool prefetch)
{
	struct reader_pool *p = cf->pool;
	char *tmp = NULL;
	for (;;) {
		size_t len = 0;
		if (buf && bcache_get(p->cache, cf->identity, b, buf, p->bs, &len) == 0) {
			if (cf->stats)
				io_add(&cf->stats->cache_hits, 1);
			return (ssize_t)len;
		}
		pthread_mutex_lock(&p->lock);
		struct inflight *x = find_inflight(p, cf->identity, b);
		if (x) {
			/* Someone fetches it: wait, then read it from the cache. */
			x->waiters++;
			while (!x->done)
				pthread_cond_wait(&p->changed, &p->lock);
			int err = x->err;
			if (--x->waiters == 0) {
				free(x->identity);
				free(x);
			}
			pthread_mutex_unlock(&p->lock);
			if (!buf)
				return 0;
			if (err)
				return err;
			if (bcache_get(p->cache, cf->identity, b, buf, p->bs, &len) == 0)
				return (ssize_t)len;
			/* Not kept (cache full or failing): fetch it ourselves below. */
			pthread_mutex_lock(&p->lock);
			if (find_inflight(p, cf->identity, b)) {
				pthread_mutex_unlock(&p->lock);
				continue;
			}
		} else if (!buf && bcache_contains(p->cache, cf->identity, b)) {
			pthread_mutex_unlock(&p->lock);
			return 0; /* prefetch of a block already cached */
		}
		struct inflight *me = calloc(1, sizeof(*me));
		if (!me || !(me->identity = xstrdup(cf->identity))) {
			free(me);
			pthread_mutex_unlock(&p->lock);
			return -ENOMEM;
		}
		me->block = b;
		me->next = p->inflight;
		p->inflight = me;
		pthread_mutex_unlock(&p->lock);

		char *dst = buf ? buf : (tmp = malloc(p->bs));
		ssize_t n = dst ? 0 : -ENOMEM;
		uint64_t off = b * p->bs;
		size_t want = off >= cf->size ? 0 : (size_t)(cf->size - off < p->bs ? cf->size - off : p->bs);
		if (dst && want)
			n = storage_read(cf->f, dst, want, off);
		if (n >= 0 && (size_t)n != want)
			n = -EIO; /* the object is shorter than listed: it changed */
		if (n > 0)
			bcache_put(p->cache, cf->identity, b, dst, (size_t)n);
		if (cf->stats) {
			io_add(&cf->stats->cache_misses, 1);
			io_add(&cf->stats->fetches, 1);
			if (n >= 0)
				io_add(&cf->stats->bytes_fetched, (uint64_t)n);
			else
				io_add(&cf->stats->errors, 1);
		}

		pthread_mutex_lock(&p->lock);
		p->stats.fetches++;
		if (n >= 0)
			p->stats.bytes_fetched += (uint64_t)n;
		else
			p->stats.errors++;
		if (prefetch)
			p->stats.prefetches++;
		for (struct inflight **pp = &p->inflight; *pp; pp = &(*pp)->next)
			if (*pp == me) {
				*pp = me->next;
				break;
			}
		me->done = true;
		me->err = n < 0 ? (int)n : 0;
		if (me->waiters == 0) {
			free(me->identity);
			free(me);
		}
		pthread_cond_broadcast(&p->changed);
		pthread_mutex_unlock(&p->lock);
		free(tmp);
		return n;
	}
}

static void *worker(void *arg)
{
	struct reader_pool *p = arg;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->stop && !p->jobs)
			pthread_cond_wait(&p->changed, &p->lock);
		if (p->stop && !p->jobs)
			break;
		struct job *j = p->jobs;
		p->jobs = j->next;
		if (!p->jobs)
			p->jobs_tail = NULL;
		bool stopping = p->stop;
		pthread_mutex_unlock(&p->lock);
		if (!stopping) /* on the way out, queued readahead is dropped */
			get_block(j->cf, j->block, NULL, true);
		pthread_mutex_lock(&p->lock);
		file_unref(p, j->cf);
		free(j);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

struct reader_pool *reader_pool_new(struct bcache *cache, int threads, unsigned max_window)
{
	struct reader_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->cache = cache;
	p->bs = bcache_block_size(cache);
	p->max_window = max_window ? max_window : 1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->changed, NULL);
	p->threads = calloc(threads > 0 ? (size_t)threads : 1, sizeof(pthread_t));
	for (int i = 0; p->threads && i < threads; i++) {
		if (pthread_create(&p->threads[i], NULL, worker, p))
			break;
		p->nthreads++;
	}
	if (!p->threads) {
		reader_pool_free(p);
		return NULL;
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
	free(p->threads);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->changed);
	free(p);
}

void reader_pool_stats(struct reader_pool *p, struct reader_stats *out)
{
	pthread_mutex_lock(&p->lock);
	*out = p->stats;
	pthread_mutex_unlock(&p->lock);
}

struct bcache *reader_pool_cache(struct reader_pool *p) { return p->cache; }

int cached_open(struct reader_pool *p, struct storage_file *f, const char *identity,
		uint64_t size, struct io_stats *stats, struct cached_file **out)
{
	struct cached_file *cf = calloc(1, sizeof(*cf));
	if (!cf || !(cf->identity = xstrdup(identity))) {
		free(cf);
		return -ENOMEM;
	}
	cf->pool = p;
	cf->f = f;
	cf->size = size;
	cf->stats = stats;
	cf->refs = 1;
	*out = cf;
	return 0;
}

/* Queue blocks ahead of a sequential reader. Pool lock held. */
static void schedule_ahead(struct cached_file *cf, uint64_t last_block)
{
	struct reader_pool *p = cf->pool;
	if (!p->nthreads || p->stop)
		return;
	uint64_t nblocks = (cf->size + p->bs - 1) / p->bs;
	uint64_t from = last_block + 1 > cf->ahead_upto ? last_block + 1 : cf->ahead_upto;
	uint64_t to = last_block + 1 + cf->window;
	if (to > nblocks)
		to = nblocks;
	for (uint64_t b = from; b < to; b++) {
		struct job *j = calloc(1, sizeof(*j));
		if (!j)
			break;
		j->cf = cf;
		j->block = b;
		cf->refs++;
		if (p->jobs_tail)
			p->jobs_tail->next = j;
		else
			p->jobs = j;
		p->jobs_tail = j;
		cf->ahead_upto = b + 1;
	}
	pthread_cond_broadcast(&p->changed);
}

ssize_t cached_read(struct cached_file *cf, void *buf, size_t len, uint64_t off)
{
	struct reader_pool *p = cf->pool;
	if (off >= cf->size || len == 0)
		return 0;
	if (len > cf->size - off)
		len = (size_t)(cf->size - off);
	uint64_t first = off / p->bs, last = (off + len - 1) / p->bs;

	pthread_mutex_lock(&p->lock);
	/* Kernel readahead may reorder slightly: count a read starting within
	 * one block of where the last one ended as sequential. */
	bool seq = off >= cf->next_off ? off - cf->next_off <= p->bs : cf->next_off - off <= p->bs;
	if (seq && cf->next_off)
		cf->window = cf->window ? (cf->window * 2 > p->max_window ? p->max_window : cf->window * 2) : 1;
	else if (!seq)
		cf->window = 0, cf->ahead_upto = 0;
	cf->next_off = off + len;
	if (cf->window)
		schedule_ahead(cf, last);
	pthread_mutex_unlock(&p->lock);

	char *block = malloc(p->bs);
	if (!block)
		return -ENOMEM;
	size_t done = 0;
	for (uint64_t b = first; b <= last; b++) {
		ssize_t n = get_block(cf, b, block, false);
		if (n < 0) {
			free(block);
			return n;
		}
		uint64_t boff = b * p->bs;
		size_t from = off + done > boff ? (size_t)(off + done - boff) : 0;
		size_t take = (size_t)n > from ? (size_t)n - from : 0;
		if (take > len - done)
			take = len - done;
		memcpy((char *)buf + done, block + from, take);
		done += take;
		if ((size_t)n < p->bs)
			break; /* last block of the object */
	}
	free(block);
	return (ssize_t)done;
}

void cached_close(struct cached_file *cf)
{
	if (!cf)
		return;
	struct reader_pool *p = cf->pool;
	pthread_mutex_lock(&p->lock);
	file_unref(p, cf);
	pthread_mutex_unlock(&p->lock);
}
