/* catalog_sync.c - see catalog_sync.h. */
#include "core/catalog_sync.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/tablefilter.h"
#include "util/log.h"
#include "util/strutil.h"

static int set_error(struct uc_error *e, int err, const char *code, char *message)
{
	uc_error_clear(e);
	e->err = err;
	e->code = xstrdup(code);
	e->message = message;
	return err;
}

static int row_from_table(const struct uc_table *t, struct table_row *r)
{
	memset(r, 0, sizeof(*r));
	struct table_facts f = {
		.table_type = t->table_type,
		.data_source_format = t->data_source_format,
		.storage_location = t->storage_location,
		.has_row_filter = t->has_row_filter,
		.has_column_mask = t->has_column_mask,
	};
	bool oom;
	r->skip_reason = table_skip_reason(&f, &oom);
	if (!r->skip_reason && !name_is_valid_entry(t->name))
		r->skip_reason = xasprintf("name '%s' cannot be a directory name", t->name);
	r->schema_name = xstrdup(t->schema_name);
	r->name = xstrdup(t->name);
	r->table_id = xstrdup(t->table_id);
	r->table_type = xstrdup(t->table_type);
	r->format = xstrdup(t->data_source_format);
	r->location = xstrdup(t->storage_location);
	r->updated_at = t->updated_at;
	if (oom || !r->schema_name || !r->name) {
		table_row_clear(r);
		return -ENOMEM;
	}
	return 0;
}

int catalog_fetch(struct uc_client *uc, const char *catalog, struct table_row **rows,
		  size_t *n, struct uc_error *e)
{
	struct uc_catalog cat;
	struct uc_schema_list schemas = {0};
	*rows = NULL;
	*n = 0;
	memset(&cat, 0, sizeof(cat));
	int r = uc_get_catalog(uc, catalog, &cat, e);
	if (r)
		return r;
	char *why = catalog_skip_reason(cat.catalog_type);
	uc_catalog_free(&cat);
	if (why) {
		r = set_error(e, -EOPNOTSUPP, "UNSUPPORTED_CATALOG",
			      xasprintf("catalog '%s' cannot be mirrored: %s", catalog, why));
		free(why);
		return r;
	}
	if ((r = uc_list_schemas(uc, catalog, &schemas, e)))
		return r;
	size_t cap = 0;
	for (size_t s = 0; s < schemas.n && !r; s++) {
		struct uc_table_list tl = {0};
		if (!name_is_valid_entry(schemas.items[s].name)) {
			log_warn("catalog %s: schema '%s' is skipped: not a valid directory name",
				 catalog, schemas.items[s].name);
			continue;
		}
		r = uc_list_tables(uc, catalog, schemas.items[s].name, &tl, e);
		if (r == -ENOENT) { /* schema dropped while we listed: skip it */
			uc_error_clear(e);
			r = 0;
			continue;
		}
		for (size_t i = 0; !r && i < tl.n; i++) {
			if (*n == cap) {
				cap = cap ? cap * 2 : 64;
				struct table_row *v = realloc(*rows, cap * sizeof(*v));
				if (!v) {
					r = -ENOMEM;
					break;
				}
				*rows = v;
			}
			if (!tl.items[i].schema_name) {
				free(tl.items[i].schema_name);
				tl.items[i].schema_name = xstrdup(schemas.items[s].name);
			}
			r = row_from_table(&tl.items[i], &(*rows)[*n]);
			if (!r)
				(*n)++;
		}
		uc_table_list_free(&tl);
	}
	uc_schema_list_free(&schemas);
	if (r) {
		if (r == -ENOMEM)
			set_error(e, r, "OUT_OF_MEMORY", xstrdup("out of memory"));
		table_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	return r;
}

int catalog_sync_item(struct state *st, struct uc_client *uc, const struct item *it, char **err)
{
	struct table_row *rows;
	size_t n;
	struct uc_error e = {0};
	char *what = xasprintf("catalog '%s'", it->catalog);
	state_item_set_status(st, it->id, "InProgress", NULL, NULL);
	int r = catalog_fetch(uc, it->catalog, &rows, &n, &e);
	if (r) {
		char *msg = uc_error_describe(&e, what ? what : it->catalog);
		state_item_set_status(st, it->id, "Failed", e.code ? e.code : "SYNC_FAILED", msg);
		if (err)
			*err = xasprintf("mirrored item '%s': sync failed: %s", it->name,
					 msg ? msg : strerror(-r));
		free(msg);
		uc_error_clear(&e);
		free(what);
		return r;
	}
	free(what);
	r = state_item_store_sync(st, it->id, rows, n, (int64_t)time(NULL));
	table_rows_free(rows, n);
	if (r && err)
		*err = xasprintf("mirrored item '%s': storing the synced tables failed: %s",
				 it->name, strerror(-r));
	return r;
}
