/*
 * syncer.h - the mount daemon's background thread: keeps the mounted tree
 * equal to the state database and the catalogs.
 *
 * Contract: every poll interval it checks whether another process changed
 * the state database (ucfs sync, mirror edit, shortcuts...) and, if so,
 * applies the new snapshot to the file system. Every sync interval it syncs
 * each item that has auto-sync on (never with `offline`), then applies the
 * result. A failed sync (server down, auth) is recorded in the item's status
 * and the mount keeps serving the last synced metadata. Runs with its own
 * state connection and Unity Catalog clients; stops promptly on request.
 */
#ifndef UCFS_SYNCER_H
#define UCFS_SYNCER_H

#include <stdbool.h>

struct ucfs_fs;
struct creds_registry;

struct syncer_config {
	const char *state_path;
	double sync_interval; /* seconds between auto-syncs of an item */
	double poll_interval; /* seconds between checks for state changes */
	bool offline;         /* never contact Unity Catalog */
	struct creds_registry *creds; /* told about every applied snapshot (may be NULL) */
};

struct syncer;

int syncer_start(struct ucfs_fs *fs, const struct syncer_config *cfg, struct syncer **out);
void syncer_stop(struct syncer *s);

#endif
