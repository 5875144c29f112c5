/* status.c - see status.h. */
#include "core/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/strutil.h"

static void add_str(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static cJSON *table_json(const struct view_item *vi, const struct table_row *r)
{
	cJSON *t = cJSON_CreateObject();
	char *full = xasprintf("%s.%s.%s", vi->it.catalog, r->schema_name, r->name);
	cJSON_AddStringToObject(t, "schema", r->schema_name);
	cJSON_AddStringToObject(t, "name", r->name);
	add_str(t, "full_name", full);
	free(full);
	if (r->volume) {
		char *path = xasprintf("Volumes/%s/%s/%s", vi->it.catalog, r->schema_name, r->name);
		add_str(t, "volume_type", r->table_type);
		add_str(t, "storage_location", r->location);
		add_str(t, "volume_id", r->table_id);
		add_str(t, "path", path);
		free(path);
	} else {
		add_str(t, "table_type", r->table_type);
		add_str(t, "format", r->format);
		add_str(t, "storage_location", r->location);
		add_str(t, "table_id", r->table_id);
	}
	bool mirrored = r->skip_reason == NULL;
	bool failing = mirrored && r->delta_version == DELTA_VERSION_UNREADABLE;
	cJSON_AddStringToObject(t, "status", !mirrored ? "skipped" : failing ? "failing" : "mirrored");
	cJSON_AddBoolToObject(t, "mirrored", mirrored);
	add_str(t, "reason", r->skip_reason ? r->skip_reason
				: failing ? "no readable _delta_log at the last sync" : NULL);
	if (r->delta_version >= 0)
		cJSON_AddNumberToObject(t, "delta_version", (double)r->delta_version);
	else if (!r->volume)
		cJSON_AddNullToObject(t, "delta_version");
	return t;
}

/* {"uid": n|null, "gid": n|null, "mode": "0700"}: null = the mounting user / group. */
static cJSON *access_json(const struct access *a)
{
	cJSON *o = cJSON_CreateObject();
	char mode[32];
	if (a->uid >= 0)
		cJSON_AddNumberToObject(o, "uid", (double)a->uid);
	else
		cJSON_AddNullToObject(o, "uid");
	if (a->gid >= 0)
		cJSON_AddNumberToObject(o, "gid", (double)a->gid);
	else
		cJSON_AddNullToObject(o, "gid");
	snprintf(mode, sizeof(mode), "%04llo",
		 (unsigned long long)(a->mode >= 0 ? a->mode : ACCESS_DEFAULT_MODE));
	cJSON_AddStringToObject(o, "mode", mode);
	return o;
}

cJSON *status_item_json(const struct view_item *vi, bool with_tables)
{
	const struct item *it = &vi->it;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", it->name);
	cJSON_AddStringToObject(o, "catalog", it->catalog);
	cJSON_AddStringToObject(o, "host", it->host);
	add_str(o, "profile", it->profile);
	add_str(o, "description", it->description);
	cJSON_AddBoolToObject(o, "auto_sync", it->auto_sync);
	cJSON_AddStringToObject(o, "sync_status", it->sync_status);
	cJSON_AddNumberToObject(o, "last_sync_at", (double)it->last_sync_at);
	char tb[32] = "";
	if (it->last_sync_at > 0) {
		time_t t = (time_t)it->last_sync_at;
		struct tm tm;
		gmtime_r(&t, &tm);
		strftime(tb, sizeof(tb), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	add_str(o, "last_sync_time", *tb ? tb : NULL);
	cJSON_AddNumberToObject(o, "last_sync_duration_ms", (double)it->sync_duration_ms);
	if (it->last_error_code || it->last_error_message) {
		cJSON *e = cJSON_AddObjectToObject(o, "last_error");
		add_str(e, "code", it->last_error_code);
		add_str(e, "message", it->last_error_message);
	} else {
		cJSON_AddNullToObject(o, "last_error");
	}
	if (it->sync_pid > 0)
		cJSON_AddNumberToObject(o, "sync_pid", (double)it->sync_pid);
	cJSON_AddItemToObject(o, "access", access_json(&it->acc));
	cJSON *roots = cJSON_AddArrayToObject(o, "allow_local");
	for (size_t i = 0; i < it->n_allow_local; i++)
		cJSON_AddItemToArray(roots, cJSON_CreateString(it->allow_local[i]));
	size_t m, s, f;
	view_counts(vi, &m, &s, &f);
	cJSON *c = cJSON_AddObjectToObject(o, "counts");
	cJSON_AddNumberToObject(c, "mirrored", (double)m);
	cJSON_AddNumberToObject(c, "skipped", (double)s);
	cJSON_AddNumberToObject(c, "failing", (double)f);
	cJSON_AddBoolToObject(o, "volumes", it->volumes);
	view_volume_counts(vi, &m, &s);
	cJSON *vc = cJSON_AddObjectToObject(o, "volume_counts");
	cJSON_AddNumberToObject(vc, "mirrored", (double)m);
	cJSON_AddNumberToObject(vc, "skipped", (double)s);
	cJSON *sel = cJSON_AddObjectToObject(o, "selection");
	cJSON_AddStringToObject(sel, "catalog_mode", sel_mode_name(vi->sel.catalog));
	cJSON *rules = cJSON_AddArrayToObject(sel, "rules");
	for (size_t i = 0; i < vi->sel.n; i++) {
		cJSON *ru = cJSON_CreateObject();
		cJSON_AddStringToObject(ru, "schema", vi->sel.rules[i].schema);
		add_str(ru, "table", vi->sel.rules[i].table);
		cJSON_AddStringToObject(ru, "mode", sel_mode_name(vi->sel.rules[i].mode));
		cJSON_AddItemToArray(rules, ru);
	}
	cJSON *issues = it->selection_issues ? cJSON_Parse(it->selection_issues) : NULL;
	cJSON_AddItemToObject(o, "selection_issues", issues ? issues : cJSON_CreateArray());
	cJSON *skipped = it->skipped_names ? cJSON_Parse(it->skipped_names) : NULL;
	cJSON_AddItemToObject(o, "skipped_names", cJSON_IsArray(skipped) ? skipped : cJSON_CreateArray());
	if (skipped && !cJSON_IsArray(skipped))
		cJSON_Delete(skipped);
	if (with_tables) {
		cJSON *ts = cJSON_AddArrayToObject(o, "tables");
		cJSON *vs = cJSON_AddArrayToObject(o, "volume_list");
		for (size_t i = 0; i < vi->nrows; i++)
			cJSON_AddItemToArray(vi->rows[i].volume ? vs : ts,
					     table_json(vi, &vi->rows[i]));
	}
	return o;
}

cJSON *status_lakehouses_json(const struct mount_view *v)
{
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; i < v->nlhs; i++) {
		cJSON *l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "name", v->lhs[i].name);
		cJSON_AddItemToObject(l, "access", access_json(&v->lhs[i].acc));
		cJSON *scs = cJSON_AddArrayToObject(l, "shortcuts");
		for (size_t k = 0; k < v->nscs; k++) {
			const struct view_shortcut *s = &v->scs[k];
			if (strcmp(s->sc.lakehouse, v->lhs[i].name) != 0)
				continue;
			cJSON *o = cJSON_CreateObject();
			char *target = xasprintf("%s.%s.%s", s->sc.item_name, s->sc.schema_name,
						 s->sc.table_name);
			cJSON_AddStringToObject(o, "name", s->sc.name);
			add_str(o, "target", target);
			free(target);
			cJSON_AddStringToObject(o, "status", s->broken ? "broken" : "ok");
			add_str(o, "reason", s->broken);
			cJSON_AddItemToArray(scs, o);
		}
		cJSON_AddItemToArray(arr, l);
	}
	return arr;
}

cJSON *status_json(const struct mount_view *v, const char *item, bool with_tables)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *items = cJSON_AddArrayToObject(root, "items");
	for (size_t i = 0; i < v->nitems; i++)
		if (!item || !strcmp(item, v->items[i].it.name))
			cJSON_AddItemToArray(items, status_item_json(&v->items[i], with_tables));
	cJSON_AddItemToObject(root, "lakehouses", status_lakehouses_json(v));
	return root;
}
