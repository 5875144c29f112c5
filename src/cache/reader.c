/* reader.c - see reader.h. */
#include "cache/reader.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/strutil.h"

/* One range request fetches up to this many consecutive blocks. */
#define RUN_BLOCKS 8

struct cached_file {
	struct reader_pool *pool;
	struct storage_file *f;
	char *identity;
	uint64_t size;
	struct io_stats *stats;
	int refs;            /* the handle + queued prefetch jobs; pool lock */
	uint64_t next_off;   /* where a sequential reader reads next; pool lock */
	unsigned window;     /* readahead window in blocks, 0 = random access */
	uint64_t ahead_upto; /* blocks below this have been scheduled */
	/* The block the last read ended in, kept in memory: the kernel reads in
	 * pieces much smaller than a block. */
	pthread_mutex_t memo_lock;
	char *memo;
	uint64_t memo_block;
	size_t memo_len;
	bool memo_valid;
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
	unsigned nblocks;
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

static void file_unref(struct cached_file *cf)
{
	/* pool lock held */
	if (--cf->refs > 0)
		return;
	storage_close(cf->f);
	pthread_mutex_destroy(&cf->memo_lock);
	free(cf->memo);
	free(cf->identity);
	free(cf);
}

static struct inflight *find_inflight(const struct reader_pool *p, const char *identity,
				      uint64_t block)
{
	for (struct inflight *x = p->inflight; x; x = x->next)
		if (x->block == block && !strcmp(x->identity, identity))
			return x;
	return NULL;
}

static size_t block_len(const struct cached_file *cf, uint64_t b)
{
	uint64_t off = b * cf->pool->bs;
	if (off >= cf->size)
		return 0;
	return cf->size - off < cf->pool->bs ? (size_t)(cf->size - off) : cf->pool->bs;
}

/*
 * Fetch blocks [first, first+n) in one range request, stopping the run at
 * the first block that is cached or being fetched by someone else; store them
 * in the cache. Copies block `first` into `out` (when not NULL). Returns the
 * length of block `first`, or a negative errno; -EAGAIN when `first` itself
 * is being fetched by another thread.
 */
static ssize_t fetch_run(struct cached_file *cf, uint64_t first, unsigned n, char *out,
			 bool prefetch)
{
	struct reader_pool *p = cf->pool;
	struct inflight *mine[RUN_BLOCKS];
	unsigned got = 0;
	if (n > RUN_BLOCKS)
		n = RUN_BLOCKS;
	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < n; i++) {
		uint64_t b = first + i;
		if (!block_len(cf, b) || find_inflight(p, cf->identity, b) ||
		    (i > 0 && bcache_contains(p->cache, cf->identity, b)))
			break;
		struct inflight *x = calloc(1, sizeof(*x));
		if (!x || !(x->identity = xstrdup(cf->identity))) {
			free(x);
			break;
		}
		x->block = b;
		x->next = p->inflight;
		p->inflight = x;
		mine[got++] = x;
	}
	bool busy = !got && find_inflight(p, cf->identity, first);
	pthread_mutex_unlock(&p->lock);
	if (!got)
		return busy ? -EAGAIN : -ENOMEM;

	uint64_t off = first * p->bs;
	size_t want = 0;
	for (unsigned i = 0; i < got; i++)
		want += block_len(cf, first + i);
	char *buf = malloc(want);
	ssize_t n_read = buf ? storage_read(cf->f, buf, want, off) : -ENOMEM;
	if (n_read >= 0 && (size_t)n_read != want)
		n_read = -EIO; /* shorter than listed: the object changed */
	ssize_t ret = n_read;
	if (n_read >= 0) {
		size_t at = 0;
		for (unsigned i = 0; i < got; i++) {
			size_t bl = block_len(cf, first + i);
			bcache_put(p->cache, cf->identity, first + i, buf + at, bl);
			if (i == 0) {
				ret = (ssize_t)bl;
				if (out)
					memcpy(out, buf, bl);
			}
			at += bl;
		}
	}
	free(buf);
	if (cf->stats) {
		io_add(&cf->stats->cache_misses, got);
		io_add(&cf->stats->fetches, 1);
		if (n_read >= 0)
			io_add(&cf->stats->bytes_fetched, (uint64_t)n_read);
		else
			io_add(&cf->stats->errors, 1);
	}

	pthread_mutex_lock(&p->lock);
	p->stats.fetches++;
	if (n_read >= 0)
		p->stats.bytes_fetched += (uint64_t)n_read;
	else
		p->stats.errors++;
	if (prefetch)
		p->stats.prefetches++;
	for (unsigned i = 0; i < got; i++) {
		struct inflight *x = mine[i];
		for (struct inflight **pp = &p->inflight; *pp; pp = &(*pp)->next)
			if (*pp == x) {
				*pp = x->next;
				break;
			}
		x->done = true;
		x->err = n_read < 0 ? (int)n_read : 0;
		if (x->waiters == 0) {
			free(x->identity);
			free(x);
		}
	}
	pthread_cond_broadcast(&p->changed);
	pthread_mutex_unlock(&p->lock);
	return ret;
}

/* Block `b` into buf (block_size bytes): from the cache, by waiting for a
 * fetch in flight, or by fetching it. Returns its length or -errno. */
static ssize_t get_block(struct cached_file *cf, uint64_t b, char *buf)
{
	struct reader_pool *p = cf->pool;
	for (int tries = 0; tries < 100; tries++) {
		size_t len = 0;
		if (bcache_get(p->cache, cf->identity, b, buf, p->bs, &len) == 0) {
			if (cf->stats)
				io_add(&cf->stats->cache_hits, 1);
			return (ssize_t)len;
		}
		pthread_mutex_lock(&p->lock);
		struct inflight *x = find_inflight(p, cf->identity, b);
		if (x) {
			x->waiters++;
			while (!x->done)
				pthread_cond_wait(&p->changed, &p->lock);
			int err = x->err;
			if (--x->waiters == 0) {
				free(x->identity);
				free(x);
			}
			pthread_mutex_unlock(&p->lock);
			if (err)
				return err;
			continue; /* now in the cache (unless it could not be kept) */
		}
		pthread_mutex_unlock(&p->lock);
		ssize_t n = fetch_run(cf, b, 1, buf, false);
		if (n != -EAGAIN)
			return n;
	}
	return -EIO;
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
		if (!stopping && !bcache_contains(p->cache, j->cf->identity, j->block))
			fetch_run(j->cf, j->block, j->nblocks, NULL, true);
		pthread_mutex_lock(&p->lock);
		file_unref(j->cf);
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
	pthread_mutex_init(&cf->memo_lock, NULL);
	*out = cf;
	return 0;
}

/* Queue whole runs of blocks ahead of a sequential reader, so that each
 * range request is RUN_BLOCKS long (short only at the end). Pool lock held. */
static void schedule_ahead(struct cached_file *cf, uint64_t last_block)
{
	struct reader_pool *p = cf->pool;
	if (!p->nthreads || p->stop)
		return;
	uint64_t nblocks = (cf->size + p->bs - 1) / p->bs;
	if (cf->ahead_upto <= last_block)
		cf->ahead_upto = last_block + 1;
	uint64_t want = last_block + 1 + cf->window;
	while (cf->ahead_upto < want && cf->ahead_upto < nblocks) {
		struct job *j = calloc(1, sizeof(*j));
		if (!j)
			break;
		uint64_t b = cf->ahead_upto;
		j->cf = cf;
		j->block = b;
		j->nblocks = nblocks - b < RUN_BLOCKS ? (unsigned)(nblocks - b) : RUN_BLOCKS;
		cf->refs++;
		if (p->jobs_tail)
			p->jobs_tail->next = j;
		else
			p->jobs = j;
		p->jobs_tail = j;
		cf->ahead_upto = b + j->nblocks;
	}
	pthread_cond_broadcast(&p->changed);
}

/* Copy [from, from+take) of block b into dst: from the handle's memo of its
 * last block when it is that one, else through the cache, leaving the block
 * as the new memo. Returns the block's length or -errno. */
static ssize_t read_slice(struct cached_file *cf, uint64_t b, size_t from, size_t take, char *dst)
{
	pthread_mutex_lock(&cf->memo_lock);
	if (cf->memo_valid && cf->memo_block == b) {
		size_t n = cf->memo_len;
		if (from < n)
			memcpy(dst, cf->memo + from, take < n - from ? take : n - from);
		pthread_mutex_unlock(&cf->memo_lock);
		return (ssize_t)n;
	}
	pthread_mutex_unlock(&cf->memo_lock);
	char *tmp = malloc(cf->pool->bs);
	if (!tmp)
		return -ENOMEM;
	ssize_t n = get_block(cf, b, tmp);
	if (n < 0) {
		free(tmp);
		return n;
	}
	if (from < (size_t)n)
		memcpy(dst, tmp + from, take < (size_t)n - from ? take : (size_t)n - from);
	pthread_mutex_lock(&cf->memo_lock);
	char *old = cf->memo; /* the fetched block becomes the memo: no copy */
	cf->memo = tmp;
	cf->memo_block = b;
	cf->memo_len = (size_t)n;
	cf->memo_valid = true;
	pthread_mutex_unlock(&cf->memo_lock);
	free(old);
	return n;
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
	if (seq && cf->next_off) {
		unsigned w = cf->window ? cf->window * 2 : 1;
		cf->window = w > p->max_window ? p->max_window : w;
	} else if (!seq) {
		cf->window = 0;
		cf->ahead_upto = 0;
	}
	cf->next_off = off + len;
	if (cf->window)
		schedule_ahead(cf, last);
	pthread_mutex_unlock(&p->lock);

	size_t done = 0;
	for (uint64_t b = first; b <= last && done < len; b++) {
		uint64_t boff = b * p->bs;
		size_t from = off + done > boff ? (size_t)(off + done - boff) : 0;
		size_t take = p->bs - from < len - done ? p->bs - from : len - done;
		ssize_t n = read_slice(cf, b, from, take, (char *)buf + done);
		if (n < 0)
			return n;
		if ((size_t)n <= from)
			break; /* past the end of a short (last) block */
		done += (size_t)n - from < take ? (size_t)n - from : take;
		if ((size_t)n < p->bs)
			break; /* last block of the object */
	}
	return (ssize_t)done;
}

void cached_close(struct cached_file *cf)
{
	if (!cf)
		return;
	struct reader_pool *p = cf->pool;
	pthread_mutex_lock(&p->lock);
	file_unref(cf);
	pthread_mutex_unlock(&p->lock);
}
