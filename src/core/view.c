/* view.c - see view.h. */
#include "core/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/tablefilter.h"
#include "util/strutil.h"

void view_free(struct mount_view *v)
{
	for (size_t i = 0; i < v->nitems; i++) {
		item_clear(&v->items[i].it);
		selection_free(&v->items[i].sel);
		table_rows_free(v->items[i].rows, v->items[i].nrows);
	}
	free(v->items);
	lakehouses_free(v->lhs, v->nlhs);
	for (size_t i = 0; i < v->nscs; i++)
		free(v->scs[i].broken);
	free(v->scs);
	shortcuts_free(v->raw_scs, v->nscs);
	memset(v, 0, sizeof(*v));
}

void view_counts(const struct view_item *vi, size_t *mirrored, size_t *skipped, size_t *failing)
{
	*mirrored = *skipped = *failing = 0;
	for (size_t i = 0; i < vi->nrows; i++) {
		if (vi->rows[i].volume)
			continue;
		if (vi->rows[i].skip_reason) {
			(*skipped)++;
			continue;
		}
		(*mirrored)++;
		if (vi->rows[i].delta_version == DELTA_VERSION_UNREADABLE)
			(*failing)++;
	}
}

void view_volume_counts(const struct view_item *vi, size_t *mirrored, size_t *skipped)
{
	*mirrored = *skipped = 0;
	for (size_t i = 0; i < vi->nrows; i++)
		if (vi->rows[i].volume)
			*(vi->rows[i].skip_reason ? skipped : mirrored) += 1;
}

const struct view_item *view_volume_owner(const struct mount_view *v, const char *catalog)
{
	for (size_t i = 0; i < v->nitems; i++)
		if (v->items[i].it.volumes && !strcmp(v->items[i].it.catalog, catalog))
			return &v->items[i];
	return NULL;
}

static void resolve(struct mount_view *v, struct view_shortcut *s)
{
	const struct shortcut *sc = &s->sc;
	const struct view_item *vi = NULL;
	for (size_t i = 0; i < v->nitems && sc->item_id; i++)
		if (v->items[i].it.id == sc->item_id)
			vi = &v->items[i];
	if (!vi) {
		s->broken = xasprintf("target item '%s' was removed", sc->item_name);
		return;
	}
	for (size_t i = 0; i < vi->nrows; i++) {
		const struct table_row *r = &vi->rows[i];
		if (r->volume || strcmp(r->schema_name, sc->schema_name) ||
		    strcmp(r->name, sc->table_name))
			continue;
		if (r->skip_reason) {
			s->broken = xasprintf("target %s.%s.%s is not mirrored: %s", vi->it.name,
					      sc->schema_name, sc->table_name, r->skip_reason);
			return;
		}
		s->item = vi;
		s->table = r;
		return;
	}
	s->broken = xasprintf("target %s.%s.%s does not exist in the catalog (dropped or renamed "
			      "upstream?)", vi->it.name, sc->schema_name, sc->table_name);
}

/* Whatever the stored rows say (a database another ucfs wrote), a local
 * table outside the item's roots is skipped, with the reason. */
static int confine_rows(struct view_item *vi)
{
	for (size_t i = 0; i < vi->nrows; i++) {
		struct table_row *r = &vi->rows[i];
		bool oom = false;
		if (r->skip_reason)
			continue;
		r->skip_reason = local_location_reason(r->location, vi->it.name,
						       (const char *const *)vi->it.allow_local,
						       vi->it.n_allow_local, &oom);
		if (oom)
			return -ENOMEM;
	}
	return 0;
}

int view_load(struct state *st, struct mount_view *v)
{
	struct item *items = NULL;
	size_t n = 0;
	memset(v, 0, sizeof(*v));
	int r = state_snapshot_begin(st);
	if (r)
		return r;
	r = state_items_list(st, &items, &n);
	if (r) {
		state_snapshot_end(st);
		return r;
	}
	v->items = calloc(n ? n : 1, sizeof(*v->items));
	if (!v->items) {
		items_free(items, n);
		state_snapshot_end(st);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		struct view_item *vi = &v->items[v->nitems++];
		vi->it = items[i];
		memset(&items[i], 0, sizeof(items[i]));
		selection_init(&vi->sel);
		if ((r = state_tables_list(st, vi->it.id, &vi->rows, &vi->nrows)) ||
		    (r = state_selection_get(st, vi->it.id, &vi->sel)) || (r = confine_rows(vi)))
			break;
	}
	items_free(items, n);
	if (!r)
		r = state_lakehouses_list(st, &v->lhs, &v->nlhs);
	if (!r)
		r = state_shortcuts_list(st, &v->raw_scs, &v->nscs);
	state_snapshot_end(st);
	if (!r && !(v->scs = calloc(v->nscs ? v->nscs : 1, sizeof(*v->scs))))
		r = -ENOMEM;
	for (size_t i = 0; !r && i < v->nscs; i++) {
		v->scs[i].sc = v->raw_scs[i];
		resolve(v, &v->scs[i]);
	}
	if (r)
		view_free(v);
	return r;
}
