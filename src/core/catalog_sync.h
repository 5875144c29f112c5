/*
 * catalog_sync.h - read a catalog's structure from Unity Catalog and store
 * it as a mirrored item's tables.
 *
 * Contract: catalog_fetch() lists every schema and table of a catalog (full
 * pagination through the uc client) and classifies each table: mirrored, or
 * skipped with a reason (tablefilter). It changes no state. catalog_sync_item()
 * fetches and then replaces the item's tables in one transaction; on failure
 * the previous tables stay and the item's status records the error.
 */
#ifndef UCFS_CATALOG_SYNC_H
#define UCFS_CATALOG_SYNC_H

#include <stddef.h>

#include "core/state.h"
#include "uc/client.h"

/* Checks the catalog exists and can be mirrored, then lists it. */
int catalog_fetch(struct uc_client *uc, const char *catalog, struct table_row **rows,
		  size_t *n, struct uc_error *e);

/* On failure *err describes it (what failed, on which object, what to do). */
int catalog_sync_item(struct state *st, struct uc_client *uc, const struct item *it, char **err);

#endif
