/*
 * view.h - everything a mount or `ucfs status` shows, read from the state
 * database in one go: items with their tables and selection, lakehouses and
 * shortcuts, and each shortcut's target resolved (or why it is broken).
 *
 * Contract: view_load() is a consistent snapshot (one read transaction);
 * the view owns all its memory; nothing in it is a secret. A local table
 * outside its item's allowed roots is skipped in the view (with the reason)
 * even if the stored row says mirrored.
 */
#ifndef UCFS_VIEW_H
#define UCFS_VIEW_H

#include <stddef.h>

#include "core/selection.h"
#include "core/state.h"

struct view_item {
	struct item it;
	struct selection sel;
	struct table_row *rows; /* tables and volumes (`volume` set) */
	size_t nrows;
};

struct view_shortcut {
	struct shortcut sc;
	const struct view_item *item;  /* NULL when broken */
	const struct table_row *table; /* NULL when broken */
	char *broken;                  /* why it is broken, NULL when fine */
};

struct mount_view {
	struct view_item *items;
	size_t nitems;
	struct lakehouse *lhs;
	size_t nlhs;
	struct view_shortcut *scs;
	size_t nscs;
	struct shortcut *raw_scs; /* storage for scs[].sc */
};

int view_load(struct state *st, struct mount_view *v);
void view_free(struct mount_view *v);

/* Counts of an item's tables. failing = mirrored but with no readable
 * _delta_log at the last sync. */
void view_counts(const struct view_item *vi, size_t *mirrored, size_t *skipped, size_t *failing);
/* Counts of an item's volumes (rows with `volume` set; view_counts leaves
 * them out). */
void view_volume_counts(const struct view_item *vi, size_t *mirrored, size_t *skipped);
/* The item whose volumes the mount shows at MOUNT/Volumes/CATALOG: the first
 * (items are sorted by name) that mirrors CATALOG with volumes, or NULL. */
const struct view_item *view_volume_owner(const struct mount_view *v, const char *catalog);

#endif
