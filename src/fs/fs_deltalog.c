/*
 * fs_deltalog.c - a consistent _delta_log: a reader never sees
 * _last_checkpoint name a version whose checkpoint (or commit) is missing
 * from the _delta_log listing it gets next, and never gets a listing older
 * than a hint it has read.
 *
 * The hint is always fresh (it is re-read at every stat and open), while a
 * listing is cached for log_ttl. Writers create the checkpoint before they
 * replace the hint, so a listing taken after a hint was seen covers it. So:
 * whenever a reader sees a hint (stat or open, by its identity: inode, size
 * and nanosecond times locally, the ETag in the cloud) that the current
 * listing is not known to cover, the listing is dropped, and the next one
 * is taken after that moment. A listing records which hint it covers when it
 * starts; if a new hint is seen while it runs, it is not trusted to cover
 * it (hint_gen moved) and is taken again. New commits still appear within
 * log_ttl as before. All functions run with the tree lock held, except
 * fs_log_inval.
 */
#include "fs/fs_internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"

bool fs_is_log_hint(const struct node *n)
{
	const struct node *log = n->parent;
	return n->kind == N_FILE && !strcmp(n->name, "_last_checkpoint") && log &&
	       log->kind == N_DIR && !strcmp(log->name, "_delta_log") && log->parent &&
	       log->parent->kind == N_TABLE;
}

uint64_t fs_log_hint_seen(struct node *hint, const char *identity)
{
	if (!identity || !fs_is_log_hint(hint))
		return 0;
	struct node *log = hint->parent;
	if (!str_eq(log->hint_seen, identity)) {
		char *id = xstrdup(identity);
		if (!id) { /* cannot remember it: never trust a cached listing to cover it */
			log->listed = false;
			log->hint_gen++;
			return log->ino;
		}
		free(log->hint_seen);
		log->hint_seen = id;
	}
	if (str_eq(log->hint_ok, identity))
		return 0;
	log->listed = false; /* the next reader lists again, after this moment */
	log->hint_gen++;
	return log->ino;
}

void fs_log_listing_begin(const struct node *dir, struct log_cover *c)
{
	c->gen = dir->hint_gen;
	c->hint = dir->hint_seen ? xstrdup(dir->hint_seen) : NULL;
	c->oom = dir->hint_seen && !c->hint;
}

bool fs_log_listing_end(struct node *dir, struct log_cover *c)
{
	bool covers = dir->hint_gen == c->gen && !c->oom;
	if (covers) {
		free(dir->hint_ok);
		dir->hint_ok = c->hint;
		c->hint = NULL;
	} else {
		dir->listed = false; /* a newer hint was seen while it ran */
	}
	free(c->hint);
	c->hint = NULL;
	return covers;
}

void fs_log_inval(struct ucfs_fs *fs, uint64_t ino)
{
	if (!ino)
		return;
	pthread_mutex_lock(&fs->lock);
	struct fuse_session *se = fs->se;
	pthread_mutex_unlock(&fs->lock);
	/* The kernel's cached listing and attributes of _delta_log. */
	if (se)
		fuse_lowlevel_notify_inval_inode(se, (fuse_ino_t)ino, 0, 0);
}
