/*
 * fs_ahead.c - work done ahead of readers by a few threads: _delta_log
 * listings taken again ahead of a walk, and a table's commit files fetched
 * into the disk cache ahead of a Delta reader.
 *
 * Walks. A walk of the mount (ls -R, find, os.walk, du) that lasts longer
 * than log_ttl finds every _delta_log listing it took before stale, and
 * would list them again one at a time, one storage round trip each, while
 * it waits. When two sibling tables are opened as directories within
 * log_ttl (a walk, not a reader of one table), the stale or half-stale
 * _delta_log listings of their siblings are queued, in name order, and
 * taken again by the threads, so the walk finds them fresh. Only listings
 * the mount took before are refreshed (a walk never makes it list what
 * nobody listed), and one parent is rescanned at most every log_ttl / 4.
 * What a reader sees is unchanged: each listing is still at most log_ttl
 * old when it is used (a relist only makes it newer).
 *
 * Commits. Delta readers read a snapshot's commit files one after another
 * (delta-kernel: newest first), one storage round trip each. When one of a
 * _delta_log's commit files is opened, the commits from its newest
 * checkpoint on (at most AHEAD_COMMITS, newest first, each at most
 * AHEAD_FILE_MAX bytes) are fetched into the disk cache by the threads, each
 * once per mount, through the read path (same identity, checks and shared
 * fetches as a reader's). They are immutable files: nothing shown changes.
 *
 * At most AHEAD_QUEUE jobs wait. Entry points run with the tree lock held,
 * except fs_ahead_stop.
 */
#include "fs/fs_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/names.h"

#define AHEAD_JOBS 32
#define AHEAD_QUEUE 4096
#define PARENT_SLOTS 16                /* directories whose last rescan time is kept */
#define AHEAD_COMMITS 64               /* commit files fetched ahead per trigger */
#define AHEAD_FILE_MAX (16ull << 20)   /* larger commit files are left to readers */
#define AHEAD_BYTES (64ull << 20)      /* commit bytes fetched ahead per trigger */

enum job_kind { JOB_RELIST, JOB_FETCH };

struct job {
	uint64_t ino;
	enum job_kind kind;
};

struct ahead {
	pthread_t threads[AHEAD_JOBS];
	int nthreads;
	bool stop, failed;
	pthread_cond_t work;
	struct job q[AHEAD_QUEUE];
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

static void run(struct ucfs_fs *fs, struct job j)
{
	struct node *n = tree_get(&fs->tree, j.ino);
	if (!n)
		return;
	n->ahead_queued = false;
	if (n->removed)
		return;
	if (j.kind == JOB_FETCH) {
		pthread_mutex_unlock(&fs->lock);
		int r = fs_file_warm(fs, j.ino, AHEAD_FILE_MAX);
		pthread_mutex_lock(&fs->lock);
		if (r > 0)
			fs->ahead_fetched++;
		return;
	}
	/* Half of log_ttl: what the walk reaches later is still fresh then. */
	struct timespec before = n->listed_at;
	if (fs_list_within(fs, n, fs->cfg.log_ttl / 2) == 0 &&
	    (n->listed_at.tv_sec != before.tv_sec || n->listed_at.tv_nsec != before.tv_nsec))
		fs->relisted++; /* listed here, not found fresh */
}

static void *worker(void *arg)
{
	struct ucfs_fs *fs = arg;
	struct ahead *a = fs->ahead;
	pthread_mutex_lock(&fs->lock);
	for (;;) {
		while (!a->stop && !a->len)
			pthread_cond_wait(&a->work, &fs->lock);
		if (a->stop)
			break;
		struct job j = a->q[a->head];
		a->head = (a->head + 1) % AHEAD_QUEUE;
		a->len--;
		run(fs, j);
	}
	pthread_mutex_unlock(&fs->lock);
	return NULL;
}

/* The state, made at the first use; the threads, started at the first job. */
static struct ahead *ahead_get(struct ucfs_fs *fs)
{
	if (fs->ahead)
		return fs->ahead;
	struct ahead *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	pthread_cond_init(&a->work, NULL);
	fs->ahead = a;
	return a;
}

static bool ahead_threads(struct ucfs_fs *fs, struct ahead *a)
{
	if (a->nthreads || a->failed)
		return a->nthreads > 0;
	for (int i = 0; i < AHEAD_JOBS; i++) {
		if (pthread_create(&a->threads[i], NULL, worker, fs))
			break;
		a->nthreads++;
	}
	a->failed = !a->nthreads;
	if (a->failed)
		log_warn("work ahead of readers: no thread could be started (listings and "
			 "commit files are read when readers ask for them)");
	return a->nthreads > 0;
}

static bool push(struct ahead *a, struct node *n, enum job_kind kind)
{
	if (n->ahead_queued || a->len >= AHEAD_QUEUE)
		return false;
	n->ahead_queued = true;
	a->q[(a->head + a->len) % AHEAD_QUEUE] = (struct job){n->ino, kind};
	a->len++;
	return true;
}

/* Has parent been scanned within log_ttl / 4? If not, remember it is now. */
static bool scanned_recently(struct ucfs_fs *fs, struct ahead *a, uint64_t parent,
			     struct timespec now)
{
	for (unsigned i = 0; i < PARENT_SLOTS; i++) {
		if (a->scanned[i].parent != parent)
			continue;
		if (since(a->scanned[i].at, now) < fs->cfg.log_ttl / 4)
			return true;
		a->scanned[i].at = now;
		return false;
	}
	unsigned i = a->next_slot++ % PARENT_SLOTS;
	a->scanned[i].parent = parent;
	a->scanned[i].at = now;
	return false;
}

void fs_ahead_walk(struct ucfs_fs *fs, struct node *table)
{
	if (table->kind != N_TABLE || !table->parent || table->table->volume ||
	    fs->cfg.log_ttl <= 0)
		return;
	struct ahead *a = ahead_get(fs);
	if (!a)
		return;
	struct timespec now = fs_now();
	uint64_t parent = table->parent->ino;
	bool walk = a->last_parent == parent && a->last_table != table->ino &&
		    since(a->last_at, now) < fs->cfg.log_ttl;
	a->last_table = table->ino;
	a->last_parent = parent;
	a->last_at = now;
	if (!walk || scanned_recently(fs, a, parent, now) || !ahead_threads(fs, a))
		return;
	for (size_t i = 0; i < table->parent->nkids && a->len < AHEAD_QUEUE; i++) {
		struct node *t = table->parent->kids[i];
		struct node *log = t->kind == N_TABLE ? node_child(t, "_delta_log") : NULL;
		/* Listed before, not in flight, older than half of log_ttl. */
		if (log && !log->listing && fs_is_log_dir(log) &&
		    fs_listing_age(log) >= fs->cfg.log_ttl / 2)
			push(a, log, JOB_RELIST);
	}
	pthread_cond_broadcast(&a->work);
}

void fs_ahead_commits(struct ucfs_fs *fs, struct node *file)
{
	struct node *log = file->parent;
	bool cp = false;
	if (file->kind != N_FILE || !log || !fs_is_log_dir(log) || file->ahead_done ||
	    delta_log_version(file->name, &cp) < 0 || cp || !fs->backend.pool ||
	    fs_offline_cloud(fs, file->table))
		return;
	file->ahead_done = true; /* its log is scanned once per commit opened */
	struct ahead *a = ahead_get(fs);
	if (!a || !ahead_threads(fs, a))
		return;
	int64_t from = 0;
	for (size_t i = 0; i < log->nkids; i++) { /* the newest checkpoint */
		int64_t v = delta_log_version(log->kids[i]->name, &cp);
		if (v >= 0 && cp && v > from)
			from = v;
	}
	/* Kids are sorted by name, so by version: newest first. */
	int queued = 0;
	uint64_t bytes = 0;
	for (size_t i = log->nkids; i-- > 0 && queued < AHEAD_COMMITS && bytes < AHEAD_BYTES;) {
		struct node *c = log->kids[i];
		int64_t v = delta_log_version(c->name, &cp);
		if (v < 0) /* _last_checkpoint, .crc files, _commits/ */
			continue;
		if (v < from)
			break;
		if (cp || c->kind != N_FILE || c->ahead_done || c->size > AHEAD_FILE_MAX)
			continue;
		c->ahead_done = true; /* once per mount */
		if (push(a, c, JOB_FETCH)) {
			queued++;
			bytes += c->size;
		}
	}
	if (queued)
		pthread_cond_broadcast(&a->work);
}

void fs_ahead_stop(struct ucfs_fs *fs)
{
	pthread_mutex_lock(&fs->lock);
	struct ahead *a = fs->ahead;
	if (a) {
		a->stop = true;
		pthread_cond_broadcast(&a->work);
	}
	pthread_mutex_unlock(&fs->lock);
	if (!a)
		return;
	for (int i = 0; i < a->nthreads; i++)
		pthread_join(a->threads[i], NULL);
	pthread_mutex_lock(&fs->lock);
	fs->ahead = NULL;
	pthread_mutex_unlock(&fs->lock);
	pthread_cond_destroy(&a->work);
	free(a);
}
