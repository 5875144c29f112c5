/*
 * catalog_sync.h - read a catalog's structure from Unity Catalog and store
 * it as a mirrored item's tables.
 *
 * Contract: catalog_fetch() lists every schema and table of a catalog (full
 * pagination through the uc client) and classifies each table: mirrorable,
 * or unsupported with a reason (tablefilter). Names are hostile input: a
 * schema or table whose name cannot be a directory entry, or that the answer
 * lists again (same schema; same table in one schema), is skipped with its
 * reason in skipped_json - the first listing wins, so the result depends
 * only on the order of the answer - and never stored as a table. A table is
 * stored under the schema it was listed for. It changes no state.
 * rows_apply_selection() then decides, purely, which mirrorable tables the
 * item's selection shows. catalog_sync_item() does both under the item's sync
 * lease, records each mirrored table's latest Delta version (a listing of its
 * _delta_log), reports selection rules naming vanished objects, and stores the
 * result in one transaction; on failure the previous tables stay and the
 * item's status records the error (code + message).
 */
#ifndef UCFS_CATALOG_SYNC_H
#define UCFS_CATALOG_SYNC_H

#include <stddef.h>

#include "core/selection.h"
#include "core/state.h"
#include "uc/client.h"

struct catalog_listing {
	/* every table, unsupported_reason set where it applies, then (when
	 * volumes were listed) the schema's volumes, `volume` set */
	struct table_row *rows;
	bool volumes; /* volumes were listed */
	size_t n;
	char **schemas; /* every schema name, with or without tables */
	size_t nschemas;
	/* Names skipped (struct item's skipped_names), JSON, or NULL for none:
	 * a schema or table listed again (the first listing wins), or whose name
	 * cannot be a directory entry (name_entry_problem). */
	char *skipped_json;
	size_t nskipped; /* entries of skipped_json */
};
void catalog_listing_free(struct catalog_listing *l);

/* Progress of a running sync (may be NULL): schemas listed so far. */
struct sync_progress {
	void (*fn)(void *ctx, const char *item, size_t schemas_done, size_t schemas_total,
		   size_t tables);
	void *ctx;
};

struct sync_result {
	size_t mirrored, skipped;                 /* tables */
	size_t volumes_mirrored, volumes_skipped; /* volumes */
	size_t names_skipped; /* schemas and tables skipped by name (catalog_listing) */
	int64_t duration_ms;
};

/* Why ucfs cannot mirror this table (tablefilter on its facts), or NULL. */
char *uc_table_unsupported_reason(const struct uc_table *t, bool *oom);

/* Checks the catalog exists and can be mirrored, then lists it: every
 * schema's tables and, when VOLUMES, its volumes (GET /volumes; names
 * checked as table names are, apart from the tables'; a volume without a
 * storage location or id is unsupported, with the reason). */
int catalog_fetch(struct uc_client *uc, const char *catalog, bool volumes,
		  const struct sync_progress *p, const char *item_name, struct catalog_listing *out,
		  struct uc_error *e);

/* Where an item's file:// tables may be served from: its name (for
 * messages) and its allowed local roots. */
struct local_policy {
	const char *item;
	const char *const *roots;
	size_t n;
};
/* The policy of a stored item (points into it). */
struct local_policy item_local_policy(const struct item *it);

/* Set every row's skip_reason: its unsupported_reason, else why its local
 * location is not served (local_location_reason), else the selection's
 * reason, else NULL (mirrored). Returns 0 or -ENOMEM. */
int rows_apply_selection(struct table_row *rows, size_t n, const struct selection *sel,
			 const struct local_policy *lp);

/* For every mirrored row: read its latest Delta version (delta_latest_version;
 * volumes keep DELTA_VERSION_UNKNOWN); a local table or volume that cannot be
 * opened beneath its allowed root (a symlinked root leading out) is skipped
 * with the reason. Returns 0 or -ENOMEM. */
int rows_read_versions(struct table_row *rows, size_t n, const struct local_policy *lp);

/* Finish a fresh listing for storing: apply the selection and the local
 * policy, read the latest Delta version of every mirrored table, count, and
 * describe selection rules naming vanished objects (*issues_json: JSON array
 * or NULL). */
int catalog_prepare(struct catalog_listing *l, const struct selection *sel,
		    const struct local_policy *lp, struct sync_result *res, char **issues_json);

/* Latest commit version in the _delta_log of a local (file://) table, opened
 * within the policy's roots; DELTA_VERSION_UNREADABLE when it cannot be
 * listed, DELTA_VERSION_UNKNOWN for cloud locations (their credentials are
 * vended at read time). When the table is refused (outside the roots, or
 * leaving them through a symlink), *refused (if given) gets the reason. */
int64_t delta_latest_version(const char *location, const struct local_policy *lp,
			     char **refused);

/* The whole sync of one item. On failure *err describes it (what failed,
 * on which object, what to do); -EBUSY when another process is syncing it. */
int catalog_sync_item(struct state *st, struct uc_client *uc, const struct item *it,
		      const struct sync_progress *p, struct sync_result *res, char **err);

#endif
