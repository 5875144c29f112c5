/* tablefilter.c - see tablefilter.h. */
#include "core/tablefilter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/names.h"
#include "storage/localpath.h"
#include "util/strutil.h"

static bool eq(const char *a, const char *b) { return a && strcasecmp(a, b) == 0; }

char *table_skip_reason(const struct table_facts *t, bool *oom)
{
	char *r = NULL;
	*oom = false;
	const char *type = t->table_type, *fmt = t->data_source_format;

	if (eq(type, "VIEW"))
		r = xstrdup("view: views have no storage of their own to mirror");
	else if (eq(type, "MATERIALIZED_VIEW"))
		r = xstrdup("materialized view: not supported by mirroring");
	else if (eq(type, "METRIC_VIEW"))
		r = xstrdup("metric view: not supported by mirroring");
	else if (eq(type, "STREAMING_TABLE"))
		r = xstrdup("streaming table: not supported by mirroring");
	else if (eq(type, "FOREIGN"))
		r = xstrdup("foreign (federated) table: data is not in Unity Catalog storage");
	else if (eq(fmt, "DELTASHARING"))
		r = xstrdup("Delta Sharing table: not supported by mirroring");
	else if (!eq(type, "MANAGED") && !eq(type, "EXTERNAL"))
		r = xasprintf("table type %s: only MANAGED and EXTERNAL tables are mirrored",
			      str_empty(type) ? "(none)" : type);
	else if (!eq(fmt, "DELTA"))
		r = xasprintf("format %s: only Delta tables are mirrored",
			      str_empty(fmt) ? "(none)" : fmt);
	else if (t->has_row_filter)
		r = xstrdup("row filter: Unity Catalog policies would not apply on the storage path");
	else if (t->has_column_mask)
		r = xstrdup("column mask: Unity Catalog policies would not apply on the storage path");
	else if (str_empty(t->storage_location))
		r = xstrdup("no storage location reported by Unity Catalog");
	else
		return NULL;
	if (!r)
		*oom = true;
	return r;
}

char *local_location_reason(const char *location, const char *item,
			    const char *const *roots, size_t nroots, bool *oom)
{
	*oom = false;
	if (!location || strncasecmp(location, "file:", 5) != 0)
		return NULL;
	char *path = NULL, *err = NULL, *r;
	int e = localpath_from_url(location, &path, &err);
	if (e == -ENOMEM) {
		*oom = true;
		return NULL;
	}
	if (e) {
		r = err; /* names the location, control characters masked */
	} else if (localpath_find_root(path, roots, nroots, NULL) >= 0) {
		free(path);
		return NULL;
	} else if (nroots == 0) {
		/* The same text as migration 3 in state.c. */
		r = xasprintf("local storage is not served until allowed: item '%s' allows no local "
			      "root (run: ucfs mirror edit %s --allow-local DIR, DIR holding this "
			      "table)", item, item);
	} else {
		struct strbuf b = {0};
		for (size_t i = 0; i < nroots; i++)
			if ((i && sb_puts(&b, ", ")) || sb_puts(&b, roots[i]))
				break;
		char *p = localpath_printable(path, 300);
		r = p && b.buf ? xasprintf("local storage location %s is outside the local roots "
					   "item '%s' allows (%s): not served (to serve it: ucfs "
					   "mirror edit %s --allow-local DIR)", p, item, b.buf, item)
			       : NULL;
		free(p);
		sb_free(&b);
	}
	free(path);
	if (!r)
		*oom = true;
	return r;
}

char *catalog_skip_reason(const char *type)
{
	if (str_empty(type) || eq(type, "MANAGED_CATALOG"))
		return NULL;
	return xasprintf("catalog type %s: only managed catalogs can be mirrored", type);
}

bool name_is_valid_entry(const char *name)
{
	return name && !name_entry_problem(name);
}
