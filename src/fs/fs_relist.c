/*
 * fs_relist.c - _delta_log listings taken again ahead of a walk.
 *
 * A walk of the mount (ls -R, find, os.walk, du) that lasts longer than
 * log_ttl finds every _delta_log listing it took before stale, and would
 * list them again one at a time, one storage round trip each, while it
 * waits. When two sibling tables are opened as directories within log_ttl
 * (a walk, not a reader of one table), the stale or half-stale _delta_log
 * listings of their siblings are queued, in name order, and taken again by
 * RELIST_JOBS threads, so the walk finds them fresh. Only listings the mount
 * took before are refreshed (a walk never makes it list what nobody
 * listed), at most RELIST_QUEUE at a time, and one parent is rescanned at
 * most every log_ttl / 4. What a reader sees is unchanged: each listing is
 * still at most log_ttl old when it is used (a relist only makes it newer).
 * All entry points run with the tree lock held.
 */
#include "fs/fs_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define RELIST_JOBS 16
#define RELIST_QUEUE 4096 /* queued listings, at most */
#define PARENT_SLOTS 16   /* directories whose last rescan time is kept */

struct relist {
	pthread_t threads[RELIST_JOBS];
	int nthreads;
	bool stop, failed;
	pthread_cond_t work;
	uint64_t q[RELIST_QUEUE]; /* inodes of _delta_log directories */
	size_t head, len;
	/* The walk detector: the last table opened as a directory. */
	uint64_t last_table, last_parent;
	struct timespec last_at;
	struct {
		uint64_t parent;
		struct timespec at;
	} scanned[PARENT_SLOTS];
	unsigned next_slot;
};

static double since(struct timespec t, struct timespec now)
{
	return (double)(now.tv_sec - t.tv_sec) + (double)(now.tv_nsec - t.tv_nsec) / 1e9;
}

static void *worker(void *arg)
{
	struct ucfs_fs *fs = arg;
	struct relist *r = fs->relist;
	pthread_mutex_lock(&fs->lock);
	for (;;) {
		while (!r->stop && !r->len)
			pthread_cond_wait(&r->work, &fs->lock);
		if (r->stop)
			break;
		uint64_t ino = r->q[r->head];
		r->head = (r->head + 1) % RELIST_QUEUE;
		r->len--;
		struct node *n = tree_get(&fs->tree, ino);
		if (!n)
			continue;
		n->relist_queued = false;
		if (n->removed)
			continue;
		/* Half of log_ttl: what the walk reaches later is still fresh then. */
		struct timespec before = n->listed_at;
		if (fs_list_within(fs, n, fs->cfg.log_ttl / 2) == 0 &&
		    (n->listed_at.tv_sec != before.tv_sec || n->listed_at.tv_nsec != before.tv_nsec))
			fs->relisted++; /* listed here, not found fresh */
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

/* The walk detector's state, made at the first table opened. */
static struct relist *relist_get(struct ucfs_fs *fs)
{
	if (fs->relist)
		return fs->relist;
	struct relist *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	pthread_cond_init(&r->work, NULL);
	fs->relist = r;
	return r;
}

/* The threads, started at the first walk. */
static bool relist_threads(struct ucfs_fs *fs, struct relist *r)
{
	if (r->nthreads || r->failed)
		return r->nthreads > 0;
	for (int i = 0; i < RELIST_JOBS; i++) {
		if (pthread_create(&r->threads[i], NULL, worker, fs))
			break;
		r->nthreads++;
	}
	r->failed = !r->nthreads;
	if (r->failed)
		log_warn("listings ahead of a walk: no thread could be started (each "
			 "_delta_log is listed when it is opened)");
	return r->nthreads > 0;
}

/* Has parent been scanned within log_ttl / 4? If not, remember it is now. */
static bool scanned_recently(struct ucfs_fs *fs, struct relist *r, uint64_t parent,
			     struct timespec now)
{
	for (unsigned i = 0; i < PARENT_SLOTS; i++) {
		if (r->scanned[i].parent != parent)
			continue;
		if (since(r->scanned[i].at, now) < fs->cfg.log_ttl / 4)
			return true;
		r->scanned[i].at = now;
		return false;
	}
	unsigned i = r->next_slot++ % PARENT_SLOTS;
	r->scanned[i].parent = parent;
	r->scanned[i].at = now;
	return false;
}

void fs_relist_walk(struct ucfs_fs *fs, struct node *table)
{
	if (table->kind != N_TABLE || !table->parent || table->table->volume ||
	    fs->cfg.log_ttl <= 0)
		return;
	struct relist *r = relist_get(fs);
	if (!r)
		return;
	struct timespec now = fs_now();
	uint64_t parent = table->parent->ino;
	bool walk = r->last_parent == parent && r->last_table != table->ino &&
		    since(r->last_at, now) < fs->cfg.log_ttl;
	r->last_table = table->ino;
	r->last_parent = parent;
	r->last_at = now;
	if (!walk || scanned_recently(fs, r, parent, now))
		return;
	if (!relist_threads(fs, r))
		return;
	for (size_t i = 0; i < table->parent->nkids && r->len < RELIST_QUEUE; i++) {
		struct node *t = table->parent->kids[i];
		struct node *log = t->kind == N_TABLE ? node_child(t, "_delta_log") : NULL;
		/* Listed before, not in flight, older than half of log_ttl. */
		if (!log || log->relist_queued || log->listing || !fs_is_log_dir(log) ||
		    fs_listing_age(log) < fs->cfg.log_ttl / 2)
			continue;
		log->relist_queued = true;
		r->q[(r->head + r->len) % RELIST_QUEUE] = log->ino;
		r->len++;
	}
	pthread_cond_broadcast(&r->work);
}

void fs_relist_stop(struct ucfs_fs *fs)
{
	pthread_mutex_lock(&fs->lock);
	struct relist *r = fs->relist;
	if (r) {
		r->stop = true;
		pthread_cond_broadcast(&r->work);
	}
	pthread_mutex_unlock(&fs->lock);
	if (!r)
		return;
	for (int i = 0; i < r->nthreads; i++)
		pthread_join(r->threads[i], NULL);
	pthread_mutex_lock(&fs->lock);
	fs->relist = NULL;
	pthread_mutex_unlock(&fs->lock);
	pthread_cond_destroy(&r->work);
	free(r);
}
