/*
 * creds.h - the mount's source of vended storage credentials: for each
 * mirrored item, a Unity Catalog client (its host and profile, resolved the
 * Databricks way) and a vending cache, created on the first read of one of
 * its cloud tables.
 *
 * Contract: thread-safe; the fs calls creds_registry_get() from FUSE worker
 * threads. Items are (re)learnt from each state snapshot; a client whose
 * item changed host or profile is retired, never freed while the mount runs
 * (a read may still use it). Secrets stay inside the uc/vending modules.
 */
#ifndef UCFS_CREDS_H
#define UCFS_CREDS_H

#include "core/view.h"
#include "storage/storage.h"

struct creds_registry;

struct creds_registry *creds_registry_new(void);
void creds_registry_free(struct creds_registry *r);
/* Learn the items (name -> host, profile) of a snapshot. */
int creds_registry_update(struct creds_registry *r, const struct mount_view *v);

/* The fs_backend callbacks (ctx = the registry). */
int creds_registry_get(void *ctx, const char *item, bool volume, const char *table_id,
		       const char *full_name, struct storage_creds *out, char **err);
void creds_registry_invalidate(void *ctx, const char *item, bool volume, const char *table_id);

#endif
