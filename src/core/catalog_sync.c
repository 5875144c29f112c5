/* catalog_sync.c - see catalog_sync.h. */
#include "core/catalog_sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/tablefilter.h"
#include "storage/storage.h"
#include "util/log.h"
#include "util/names.h"
#include "util/seenset.h"
#include "util/strutil.h"

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int set_error(struct uc_error *e, int err, const char *code, char *message)
{
	uc_error_clear(e);
	e->err = err;
	e->code = xstrdup(code);
	e->message = message;
	return err;
}

void catalog_listing_free(struct catalog_listing *l)
{
	table_rows_free(l->rows, l->n);
	for (size_t i = 0; i < l->nschemas; i++)
		free(l->schemas[i]);
	free(l->schemas);
	free(l->skipped_json);
	memset(l, 0, sizeof(*l));
}

char *uc_table_unsupported_reason(const struct uc_table *t, bool *oom)
{
	struct table_facts f = {
		.table_type = t->table_type,
		.data_source_format = t->data_source_format,
		.storage_location = t->storage_location,
		.has_row_filter = t->has_row_filter,
		.has_column_mask = t->has_column_mask,
	};
	return table_skip_reason(&f, oom);
}

static int row_from_table(const struct uc_table *t, const char *schema, struct table_row *r)
{
	memset(r, 0, sizeof(*r));
	bool oom;
	r->unsupported_reason = uc_table_unsupported_reason(t, &oom);
	r->schema_name = xstrdup(schema);
	r->name = xstrdup(t->name);
	r->table_id = xstrdup(t->table_id);
	r->table_type = xstrdup(t->table_type);
	r->format = xstrdup(t->data_source_format);
	r->location = xstrdup(t->storage_location);
	r->columns_json = xstrdup(t->columns_json);
	r->constraints_json = xstrdup(t->constraints_json);
	r->updated_at = t->updated_at;
	r->delta_version = -1;
	if (oom || !r->schema_name || !r->name || (t->columns_json && !r->columns_json) ||
	    (t->constraints_json && !r->constraints_json)) {
		table_row_clear(r);
		return -ENOMEM;
	}
	return 0;
}

/* Why ucfs cannot mirror this volume, or NULL (*oom on ENOMEM). */
static char *volume_unsupported_reason(const struct uc_volume *v, bool *oom)
{
	const char *why = NULL;
	if (!v->storage_location || !*v->storage_location)
		why = "Unity Catalog gave no storage location for this volume";
	else if (!v->volume_id || !*v->volume_id)
		why = "Unity Catalog gave no volume id (its credentials are asked for by id)";
	char *r = why ? xstrdup(why) : NULL;
	*oom = why && !r;
	return r;
}

static int row_from_volume(const struct uc_volume *v, const char *schema, struct table_row *r)
{
	memset(r, 0, sizeof(*r));
	bool oom;
	r->volume = true;
	r->unsupported_reason = volume_unsupported_reason(v, &oom);
	r->schema_name = xstrdup(schema);
	r->name = xstrdup(v->name);
	r->table_id = xstrdup(v->volume_id);
	r->table_type = xstrdup(v->volume_type);
	r->location = xstrdup(v->storage_location);
	r->updated_at = v->updated_at;
	r->delta_version = DELTA_VERSION_UNKNOWN;
	if (oom || !r->schema_name || !r->name) {
		table_row_clear(r);
		return -ENOMEM;
	}
	return 0;
}

/* Record in SKIPPED that KIND NAME (schema, or schema.table) is skipped for
 * WHY, and log it. Names are escaped; 0 or -ENOMEM. */
static int skip_name(cJSON *skipped, const char *catalog, const char *kind, const char *schema,
		     const char *table, const char *why)
{
	char *s = name_escape(schema), *t = table ? name_escape(table) : NULL;
	char *shown = s && (t || !table) ? (t ? xasprintf("%s.%s", s, t) : xstrdup(s)) : NULL;
	cJSON *o = shown ? cJSON_CreateObject() : NULL;
	int r = o && cJSON_AddStringToObject(o, "kind", kind) &&
			cJSON_AddStringToObject(o, "name", shown) &&
			cJSON_AddStringToObject(o, "reason", why) && cJSON_AddItemToArray(skipped, o)
		? 0
		: -ENOMEM;
	if (r)
		cJSON_Delete(o);
	else
		log_warn("catalog %s: %s '%s' is skipped: %s", catalog, kind, shown, why);
	free(s);
	free(t);
	free(shown);
	return r;
}

/* Why this schema or table name is skipped, or NULL; SEEN holds the names
 * kept so far (the name is added when it is kept). *oom on ENOMEM. */
static const char *name_skip_reason(struct seenset *seen, const char *name, const char *kind,
				    char buf[128], bool *oom)
{
	const char *p = name_entry_problem(name);
	if (p) {
		snprintf(buf, 128, "its name %s", p);
		return buf;
	}
	int a = seenset_add_str(seen, name);
	if (a < 0)
		*oom = true;
	if (a == 0) {
		snprintf(buf, 128, "Unity Catalog listed this %s more than once; the first "
			 "listing is used", kind);
		return buf;
	}
	return NULL;
}

/* Whether the listed KIND ("table", "volume") NAME of schema SNAME is kept:
 * 1, or 0 when it is skipped (recorded in SKIPPED), or -ENOMEM. */
static int keep_name(struct seenset *seen, cJSON *skipped, const char *catalog,
		     const char *kind, const char *sname, const char *name)
{
	char buf[128];
	bool oom = false;
	const char *why = name_skip_reason(seen, name, kind, buf, &oom);
	if (oom)
		return -ENOMEM;
	return why ? skip_name(skipped, catalog, kind, sname, name, why) : 1;
}

/* The slot after OUT's last row (not counted yet), or NULL on ENOMEM. */
static struct table_row *next_row(struct catalog_listing *out, size_t *cap)
{
	if (out->n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct table_row *v = realloc(out->rows, nc * sizeof(*v));
		if (!v)
			return NULL;
		out->rows = v;
		*cap = nc;
	}
	return &out->rows[out->n];
}

/* The tables of schema SNAME, or its volumes when VOL (rows with `volume`
 * set), into OUT (rows, skipped names). */
static int fetch_schema(struct uc_client *uc, const char *catalog, const char *sname, bool vol,
			struct catalog_listing *out, size_t *cap, cJSON *skipped, struct uc_error *e)
{
	struct uc_table_list tl = {0};
	struct uc_volume_list vl = {0};
	struct seenset seen = {0};
	int r = vol ? uc_list_volumes(uc, catalog, sname, &vl, e)
		    : uc_list_tables(uc, catalog, sname, &tl, e);
	if (r == -ENOENT) { /* schema dropped while we listed: skip it */
		uc_error_clear(e);
		return 0;
	}
	for (size_t i = 0; !r && i < (vol ? vl.n : tl.n); i++) {
		const char *name = vol ? vl.items[i].name : tl.items[i].name;
		int k = keep_name(&seen, skipped, catalog, vol ? "volume" : "table", sname, name);
		struct table_row *row = k > 0 ? next_row(out, cap) : NULL;
		r = k <= 0 ? k
		    : !row ? -ENOMEM
		    : vol  ? row_from_volume(&vl.items[i], sname, row)
			   : row_from_table(&tl.items[i], sname, row);
		if (!r && row)
			out->n++;
	}
	seenset_free(&seen);
	uc_table_list_free(&tl);
	uc_volume_list_free(&vl);
	return r;
}

int catalog_fetch(struct uc_client *uc, const char *catalog, bool volumes,
		  const struct sync_progress *p, const char *item_name, struct catalog_listing *out,
		  struct uc_error *e)
{
	struct uc_catalog cat;
	struct uc_schema_list schemas = {0};
	memset(out, 0, sizeof(*out));
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
	out->volumes = volumes;
	struct seenset seen = {0};
	cJSON *skipped = cJSON_CreateArray();
	out->schemas = calloc(schemas.n ? schemas.n : 1, sizeof(char *));
	if (!out->schemas || !skipped)
		r = -ENOMEM;
	size_t cap = 0, ntables = 0; /* tables listed so far (progress) */
	for (size_t s = 0; s < schemas.n && !r; s++) {
		const char *sname = schemas.items[s].name;
		char buf[128];
		bool oom = false;
		const char *skip = name_skip_reason(&seen, sname, "schema", buf, &oom);
		if (oom) {
			r = -ENOMEM;
			break;
		}
		if (skip) {
			r = skip_name(skipped, catalog, "schema", sname, NULL, skip);
			continue;
		}
		if (!(out->schemas[out->nschemas] = xstrdup(sname))) {
			r = -ENOMEM;
			break;
		}
		out->nschemas++;
		size_t before = out->n;
		r = fetch_schema(uc, catalog, sname, false, out, &cap, skipped, e);
		ntables += out->n - before;
		if (!r && volumes)
			r = fetch_schema(uc, catalog, sname, true, out, &cap, skipped, e);
		if (p && p->fn)
			p->fn(p->ctx, item_name, s + 1, schemas.n, ntables);
	}
	seenset_free(&seen);
	uc_schema_list_free(&schemas);
	out->nskipped = skipped ? (size_t)cJSON_GetArraySize(skipped) : 0;
	if (!r && out->nskipped && !(out->skipped_json = cJSON_PrintUnformatted(skipped)))
		r = -ENOMEM;
	cJSON_Delete(skipped);
	if (r) {
		if (r == -ENOMEM)
			set_error(e, r, "OUT_OF_MEMORY", xstrdup("out of memory"));
		catalog_listing_free(out);
	}
	return r;
}

struct local_policy item_local_policy(const struct item *it)
{
	return (struct local_policy){.item = it->name,
				     .roots = (const char *const *)it->allow_local,
				     .n = it->n_allow_local};
}

int rows_apply_selection(struct table_row *rows, size_t n, const struct selection *sel,
			 const struct local_policy *lp)
{
	for (size_t i = 0; i < n; i++) {
		struct table_row *r = &rows[i];
		const char *why = NULL;
		bool oom = false;
		char *local;
		free(r->skip_reason);
		r->skip_reason = NULL;
		if (r->unsupported_reason)
			r->skip_reason = xstrdup(r->unsupported_reason);
		else if ((local = local_location_reason(r->location, lp->item, lp->roots, lp->n,
							&oom)) || oom)
			r->skip_reason = local;
		else if (!selection_selects(sel, r->schema_name, r->name, &why))
			r->skip_reason = xstrdup(why);
		else
			continue;
		if (!r->skip_reason)
			return -ENOMEM;
	}
	return 0;
}

int64_t delta_latest_version(const char *location, const struct local_policy *lp,
			     char **refused)
{
	struct storage *st;
	struct storage_list l = {0};
	char *err = NULL;
	int64_t best = DELTA_VERSION_UNREADABLE;
	if (strncasecmp(location, "file:", 5) != 0)
		return DELTA_VERSION_UNKNOWN;
	struct storage_env env = {.local_roots = lp->roots, .n_local_roots = lp->n};
	int r = storage_new(location, &env, NULL, &st, &err);
	if (r) {
		if (r == -EACCES && refused) {
			*refused = err;
			err = NULL;
		}
		free(err);
		return DELTA_VERSION_UNREADABLE;
	}
	if (storage_list(st, "_delta_log", &l) == 0)
		for (size_t i = 0; i < l.n; i++) {
			bool cp;
			int64_t v = l.items[i].is_dir ? -1
						      : delta_log_version(l.items[i].name, &cp);
			if (v > best)
				best = v;
		}
	storage_list_free(&l);
	storage_free(st);
	return best;
}

/* JSON array of the selection's rules that name vanished objects, or NULL. */
static char *selection_issues_json(const struct selection *sel, const struct catalog_listing *l)
{
	char **full = calloc(l->n ? l->n : 1, sizeof(char *));
	char **lines = NULL, *out = NULL;
	size_t nlines = 0;
	if (!full)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		full[i] = xasprintf("%s.%s", l->rows[i].schema_name, l->rows[i].name);
	if (selection_missing(sel, (const char *const *)l->schemas, l->nschemas,
			      (const char *const *)full, l->n, &lines, &nlines) == 0 && nlines) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; i < nlines; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateString(lines[i]));
		out = cJSON_PrintUnformatted(arr);
		cJSON_Delete(arr);
	}
	selection_lines_free(lines, nlines);
	for (size_t i = 0; i < l->n; i++)
		free(full[i]);
	free(full);
	return out;
}

int rows_read_versions(struct table_row *rows, size_t n, const struct local_policy *lp)
{
	for (size_t i = 0; i < n; i++) {
		struct table_row *r = &rows[i];
		char *refused = NULL;
		if (r->skip_reason)
			continue;
		r->delta_version = delta_latest_version(r->location, lp, &refused);
		if (r->volume) /* no _delta_log: only whether it may be opened counts */
			r->delta_version = DELTA_VERSION_UNKNOWN;
		if (refused) {
			r->skip_reason = refused;
			r->delta_version = DELTA_VERSION_UNKNOWN;
		}
	}
	return 0;
}

int catalog_prepare(struct catalog_listing *l, const struct selection *sel,
		    const struct local_policy *lp, struct sync_result *res, char **issues_json)
{
	memset(res, 0, sizeof(*res));
	res->names_skipped = l->nskipped;
	int r = rows_apply_selection(l->rows, l->n, sel, lp);
	if (!r)
		r = rows_read_versions(l->rows, l->n, lp);
	if (r)
		return r;
	for (size_t i = 0; i < l->n; i++) {
		bool skip = l->rows[i].skip_reason != NULL;
		if (l->rows[i].volume)
			*(skip ? &res->volumes_skipped : &res->volumes_mirrored) += 1;
		else
			*(skip ? &res->skipped : &res->mirrored) += 1;
	}
	*issues_json = selection_issues_json(sel, l);
	return 0;
}

int catalog_sync_item(struct state *st, struct uc_client *uc, const struct item *it,
		      const struct sync_progress *p, struct sync_result *res, char **err)
{
	struct catalog_listing l = {0};
	struct selection sel;
	struct uc_error e = {0};
	char *issues = NULL;
	int64_t t0 = now_ms();
	memset(res, 0, sizeof(*res));
	int r = state_sync_begin(st, it->id, getpid(), err);
	if (r)
		return r;
	if ((r = state_selection_get(st, it->id, &sel))) {
		state_sync_fail(st, it->id, "STATE", "cannot read the selection", now_ms() - t0);
		if (err)
			*err = xasprintf("mirrored item '%s': cannot read its selection", it->name);
		return r;
	}
	r = catalog_fetch(uc, it->catalog, it->volumes, p, it->name, &l, &e);
	if (r) {
		char *what = xasprintf("catalog '%s'", it->catalog);
		char *msg = uc_error_describe(&e, what ? what : it->catalog);
		state_sync_fail(st, it->id, e.code ? e.code : "SYNC_FAILED", msg, now_ms() - t0);
		if (err)
			*err = xasprintf("mirrored item '%s': sync failed: %s", it->name,
					 msg ? msg : strerror(-r));
		free(msg);
		free(what);
		goto out;
	}
	struct local_policy lp = item_local_policy(it);
	if ((r = catalog_prepare(&l, &sel, &lp, res, &issues))) {
		state_sync_fail(st, it->id, "OUT_OF_MEMORY", "out of memory", now_ms() - t0);
		goto out;
	}
	res->duration_ms = now_ms() - t0;
	r = state_sync_finish(st, it->id, l.rows, l.n, (int64_t)time(NULL), res->duration_ms, issues,
			      l.skipped_json);
	if (r) {
		state_sync_fail(st, it->id, "STATE", "storing the synced tables failed", res->duration_ms);
		if (err)
			*err = xasprintf("mirrored item '%s': storing the synced tables failed: %s",
					 it->name, strerror(-r));
	}
out:
	free(issues);
	uc_error_clear(&e);
	selection_free(&sel);
	catalog_listing_free(&l);
	return r;
}
