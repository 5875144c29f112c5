/*
 * tablefilter.h - which Unity Catalog objects a mirror shows, and why not.
 *
 * Contract: pure functions of the object's metadata (no I/O). A table is shown
 * only when it is a MANAGED or EXTERNAL table in DELTA format with a storage
 * location and no row filter / column mask; everything else gets a short,
 * stable, human-readable reason. Unknown types and formats are opaque strings.
 * A local (file://) location is served only below the roots its item allows
 * (local_location_reason).
 */
#ifndef UCFS_TABLEFILTER_H
#define UCFS_TABLEFILTER_H

#include <stdbool.h>
#include <stddef.h>

struct table_facts {
	const char *table_type;         /* MANAGED, EXTERNAL, VIEW, ... or NULL */
	const char *data_source_format; /* DELTA, PARQUET, ... or NULL */
	const char *storage_location;   /* URL or NULL */
	bool has_row_filter;
	bool has_column_mask;
};

/* NULL when the table is mirrored; otherwise a malloc'ed reason (or NULL on
 * ENOMEM with *oom set). */
char *table_skip_reason(const struct table_facts *t, bool *oom);

/* Why a mirrorable table of ITEM is not served because of where it is
 * stored: NULL when it may be (a cloud location, or a file:// one whose
 * normal form is at or below one of ROOTS), else a malloc'ed reason (NULL
 * with *oom set on ENOMEM). Control characters are never echoed. */
char *local_location_reason(const char *location, const char *item,
			    const char *const *roots, size_t nroots, bool *oom);

/* NULL when a catalog of this type can be mirrored (NULL/absent type, as
 * the OSS server sends, counts as managed); otherwise a malloc'ed reason. */
char *catalog_skip_reason(const char *catalog_type);

/* Whether NAME can be a directory entry: name_entry_problem() (util/names.h)
 * finds nothing - non-empty, <= 255 bytes, no '/', NUL, control or bidi
 * character, valid UTF-8, does not start with '.' (reserved for ucfs). */
bool name_is_valid_entry(const char *name);

#endif
