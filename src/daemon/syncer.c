/* syncer.c - see syncer.h. */
#include "daemon/syncer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/catalog_sync.h"
#include "core/config.h"
#include "core/state.h"
#include "core/view.h"
#include "daemon/creds.h"
#include "fs/fs.h"
#include "uc/client.h"
#include "util/log.h"
#include "util/strutil.h"

struct client_slot {
	int64_t item_id;
	char *host, *profile;
	struct ucfs_conn conn;
	struct uc_client *uc;
	double next_sync; /* monotonic seconds */
};

struct syncer {
	struct syncer_config cfg;
	char *state_path;
	struct ucfs_fs *fs;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
	struct client_slot *slots;
	size_t nslots;
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void slot_clear(struct client_slot *c)
{
	uc_client_free(c->uc);
	conn_free(&c->conn);
	free(c->host);
	free(c->profile);
	memset(c, 0, sizeof(*c));
}

/* The slot of an item, created with the first sync due one interval after
 * the mount's own initial sync. */
static struct client_slot *slot_for(struct syncer *s, const struct item *it)
{
	for (size_t i = 0; i < s->nslots; i++)
		if (s->slots[i].item_id == it->id)
			return &s->slots[i];
	struct client_slot *v = realloc(s->slots, (s->nslots + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->slots = v;
	struct client_slot *c = &s->slots[s->nslots++];
	memset(c, 0, sizeof(*c));
	c->item_id = it->id;
	c->next_sync = mono() + s->cfg.sync_interval;
	return c;
}

static struct uc_client *client_for(struct client_slot *c, const struct item *it)
{
	if (c->uc && str_eq(c->host, it->host) && str_eq(c->profile, it->profile))
		return c->uc;
	int64_t id = c->item_id;
	double next = c->next_sync;
	slot_clear(c);
	c->item_id = id;
	c->next_sync = next;
	struct conn_request req = {.host = it->host, .profile = it->profile};
	char *err = NULL;
	if (conn_resolve(&req, &c->conn, &err) == 0)
		c->uc = uc_client_new(&c->conn, NULL, &err);
	if (!c->uc) {
		log_error("mirrored item '%s': cannot connect: %s", it->name, err ? err : "?");
		free(err);
		conn_free(&c->conn);
		return NULL;
	}
	c->host = xstrdup(it->host);
	c->profile = xstrdup(it->profile);
	return c->uc;
}

static int apply_state(struct syncer *s, struct state *st)
{
	struct mount_view v;
	int r = view_load(st, &v);
	if (r) {
		log_error("reading %s: %s", s->state_path, strerror(-r));
		return r;
	}
	if (s->cfg.creds)
		creds_registry_update(s->cfg.creds, &v);
	r = fs_apply(s->fs, &v);
	if (r > 0)
		log_info("mount updated: %d entries changed", r);
	view_free(&v);
	return r < 0 ? r : 0;
}

/* Sync the items whose time has come. Returns how many were synced. */
static int sync_due(struct syncer *s, struct state *st)
{
	struct item *items;
	size_t n;
	int synced = 0;
	if (s->cfg.offline || state_items_list(st, &items, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];
		struct client_slot *c = slot_for(s, it);
		if (!c || !it->auto_sync || mono() < c->next_sync)
			continue;
		c->next_sync = mono() + s->cfg.sync_interval;
		struct uc_client *uc = client_for(c, it);
		if (!uc)
			continue;
		struct sync_result res;
		char *err = NULL;
		int r = catalog_sync_item(st, uc, it, NULL, &res, &err);
		if (r == -EBUSY)
			log_info("mirrored item '%s': %s; skipping this round", it->name, err);
		else if (r)
			log_warn("%s (serving the last synced state)", err ? err : "sync failed");
		else
			log_info("mirrored item '%s' synced in %lld ms: %zu tables mirrored, %zu skipped",
				 it->name, (long long)res.duration_ms, res.mirrored, res.skipped);
		free(err);
		synced++;
		pthread_mutex_lock(&s->lock);
		bool stop = s->stop;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
	}
	items_free(items, n);
	return synced;
}

static void *run(void *arg)
{
	struct syncer *s = arg;
	struct state *st = NULL;
	char *err = NULL;
	if (state_open(s->state_path, false, &st, &err)) {
		log_error("syncer: %s; the mount will not follow changes", err ? err : "cannot open state");
		free(err);
		return NULL;
	}
	int64_t seen = -1, dv;
	state_data_version(st, &seen);
	for (;;) {
		pthread_mutex_lock(&s->lock);
		if (!s->stop) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			double t = (double)until.tv_nsec / 1e9 + s->cfg.poll_interval;
			until.tv_sec += (time_t)t;
			until.tv_nsec = (long)((t - (double)(time_t)t) * 1e9);
			pthread_cond_timedwait(&s->wake, &s->lock, &until);
		}
		bool stop = s->stop;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		bool changed = state_data_version(st, &dv) == 0 && dv != seen;
		if (changed)
			seen = dv;
		if (sync_due(s, st) > 0 || changed) {
			apply_state(s, st);
			state_data_version(st, &seen);
		}
	}
	state_close(st);
	return NULL;
}

int syncer_start(struct ucfs_fs *fs, const struct syncer_config *cfg, struct syncer **out)
{
	struct syncer *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = *cfg;
	s->fs = fs;
	s->state_path = xstrdup(cfg->state_path);
	if (!s->state_path) {
		free(s);
		return -ENOMEM;
	}
	s->cfg.state_path = s->state_path;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	int r = pthread_create(&s->thread, NULL, run, s);
	if (r) {
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->wake);
		free(s->state_path);
		free(s);
		return -r;
	}
	*out = s;
	return 0;
}

void syncer_stop(struct syncer *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < s->nslots; i++)
		slot_clear(&s->slots[i]);
	free(s->slots);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	free(s->state_path);
	free(s);
}
