/* creds.c - see creds.h. */
#include "daemon/creds.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "uc/client.h"
#include "uc/vending.h"
#include "util/log.h"
#include "util/strutil.h"

struct slot {
	char *item, *host, *profile;
	bool retired;
	struct ucfs_conn conn;
	struct uc_client *uc;
	struct vending *vend;
	struct slot *next;
};

struct creds_registry {
	pthread_mutex_t lock;
	struct slot *slots;
};

struct creds_registry *creds_registry_new(void)
{
	struct creds_registry *r = calloc(1, sizeof(*r));
	if (r)
		pthread_mutex_init(&r->lock, NULL);
	return r;
}

void creds_registry_free(struct creds_registry *r)
{
	if (!r)
		return;
	while (r->slots) {
		struct slot *s = r->slots;
		r->slots = s->next;
		vending_free(s->vend);
		uc_client_free(s->uc);
		conn_free(&s->conn);
		free(s->item);
		free(s->host);
		free(s->profile);
		free(s);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static struct slot *find(struct creds_registry *r, const char *item)
{
	for (struct slot *s = r->slots; s; s = s->next)
		if (!s->retired && !strcmp(s->item, item))
			return s;
	return NULL;
}

int creds_registry_update(struct creds_registry *r, const struct mount_view *v)
{
	int ret = 0;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < v->nitems; i++) {
		const struct item *it = &v->items[i].it;
		struct slot *s = find(r, it->name);
		if (s && str_eq(s->host, it->host) && str_eq(s->profile, it->profile))
			continue;
		if (s)
			s->retired = true;
		s = calloc(1, sizeof(*s));
		if (!s || !(s->item = xstrdup(it->name)) || !(s->host = xstrdup(it->host)) ||
		    (it->profile && !(s->profile = xstrdup(it->profile)))) {
			if (s) {
				free(s->item);
				free(s->host);
				free(s);
			}
			ret = -ENOMEM;
			break;
		}
		s->next = r->slots;
		r->slots = s;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* The item's vending cache, connecting on first use. Lock held. */
static struct vending *vending_of(struct slot *s, char **err)
{
	if (s->vend)
		return s->vend;
	struct conn_request req = {.host = s->host, .profile = s->profile};
	if (!s->uc) {
		conn_free(&s->conn);
		if (conn_resolve(&req, &s->conn, err))
			return NULL;
		if (!(s->uc = uc_client_new(&s->conn, NULL, err)))
			return NULL;
	}
	s->vend = vending_new(s->uc);
	if (!s->vend && err)
		*err = xstrdup("out of memory");
	return s->vend;
}

int creds_registry_get(void *ctx, const char *item, bool volume, const char *table_id,
		       const char *full_name, struct storage_creds *out, char **err)
{
	struct creds_registry *r = ctx;
	pthread_mutex_lock(&r->lock);
	struct slot *s = find(r, item);
	struct vending *v = s ? vending_of(s, err) : NULL;
	pthread_mutex_unlock(&r->lock);
	if (!v) {
		if (!s && err)
			*err = xasprintf("mirrored item '%s' is not known to the mount", item);
		return -EIO;
	}
	/* The request itself runs without the registry lock. */
	return vending_get(v, volume, table_id, full_name, out, err);
}

void creds_registry_invalidate(void *ctx, const char *item, bool volume, const char *table_id)
{
	struct creds_registry *r = ctx;
	pthread_mutex_lock(&r->lock);
	struct slot *s = find(r, item);
	struct vending *v = s ? s->vend : NULL;
	pthread_mutex_unlock(&r->lock);
	if (v)
		vending_invalidate(v, volume, table_id);
}
