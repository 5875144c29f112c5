/* tablemodel.c - see tablemodel.h. */
#include "core/tablemodel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/names.h"

static cJSON *str_or_null(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* "a, b" of a JSON array of strings. */
static int put_list(struct strbuf *sb, const cJSON *arr)
{
	const cJSON *v;
	int r = 0, i = 0;
	cJSON_ArrayForEach(v, (cJSON_IsArray(arr) ? arr : NULL))
		if (cJSON_IsString(v) && !r)
			r = sb_printf(sb, "%s%s", i++ ? ", " : "", v->valuestring);
	return r;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int tablemodel_key_comments(struct strbuf *sb, const char *constraints_json)
{
	cJSON *keys = constraints_json ? cJSON_Parse(constraints_json) : NULL, *k;
	int r = 0;
	cJSON_ArrayForEach(k, (cJSON_IsArray(keys) ? keys : NULL)) {
		struct strbuf line = {0};
		bool fk = !strcmp(jstr(k, "kind") ? jstr(k, "kind") : "", "foreign_key");
		r = sb_printf(&line, "%s key", fk ? "foreign" : "primary");
		if (!r && jstr(k, "name"))
			r = sb_printf(&line, " %s", jstr(k, "name"));
		if (!r && !(r = sb_puts(&line, " (")) &&
		    !(r = put_list(&line, cJSON_GetObjectItemCaseSensitive(k, "columns"))))
			r = sb_puts(&line, ")");
		if (!r && fk)
			r = sb_printf(&line, " references %s (",
				      jstr(k, "parent_table") ? jstr(k, "parent_table") : "?") ||
			    put_list(&line, cJSON_GetObjectItemCaseSensitive(k, "parent_columns")) ||
			    sb_puts(&line, ")");
		char *esc = r ? NULL : name_escape(line.buf);
		if (!r)
			r = esc ? sb_printf(sb, "-- %s\n", esc) : -ENOMEM;
		free(esc);
		sb_free(&line);
		if (r)
			break;
	}
	cJSON_Delete(keys);
	return r ? -ENOMEM : 0;
}

/* The mounted item.schema.table of Unity Catalog's FULL name (catalog.s.t),
 * or NULL: a mirrored row of an item of that catalog, OWN (the referring
 * table's item) first. */
static const struct table_row *mounted(const struct mount_view *v, const char *full,
				       const struct view_item *own, const struct view_item **item)
{
	for (size_t i = 0; full && i <= v->nitems; i++) {
		const struct view_item *vi = i ? &v->items[i - 1] : own;
		size_t cl = strlen(vi->it.catalog);
		if (strncmp(full, vi->it.catalog, cl) || full[cl] != '.')
			continue;
		for (size_t k = 0; k < vi->nrows; k++) {
			const struct table_row *r = &vi->rows[k];
			size_t sl = strlen(r->schema_name);
			const char *p = full + cl + 1;
			if (!r->skip_reason && !r->volume && !strncmp(p, r->schema_name, sl) && p[sl] == '.' &&
			    !strcmp(p + sl + 1, r->name)) {
				*item = vi;
				return r;
			}
		}
	}
	return NULL;
}

static void add_rel(cJSON *rels, const struct mount_view *v, const struct view_item *vi,
		    const struct table_row *r, const cJSON *fk)
{
	cJSON *rel = cJSON_CreateObject(), *from = cJSON_CreateObject(), *to = cJSON_CreateObject();
	cJSON_AddItemToArray(rels, rel);
	cJSON_AddItemToObject(rel, "name", str_or_null(jstr(fk, "name")));
	cJSON_AddItemToObject(rel, "from", from);
	cJSON_AddItemToObject(rel, "to", to);
	cJSON_AddStringToObject(from, "item", vi->it.name);
	cJSON_AddStringToObject(from, "schema", r->schema_name);
	cJSON_AddStringToObject(from, "name", r->name);
	cJSON_AddItemToObject(from, "columns",
			      cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(fk, "columns"), 1));
	const struct view_item *pvi = NULL;
	const struct table_row *p = mounted(v, jstr(fk, "parent_table"), vi, &pvi);
	cJSON_AddItemToObject(to, "full_name", str_or_null(jstr(fk, "parent_table")));
	cJSON_AddItemToObject(to, "item", str_or_null(p ? pvi->it.name : NULL));
	cJSON_AddItemToObject(to, "schema", str_or_null(p ? p->schema_name : NULL));
	cJSON_AddItemToObject(to, "name", str_or_null(p ? p->name : NULL));
	cJSON_AddItemToObject(to, "columns", cJSON_Duplicate(
		cJSON_GetObjectItemCaseSensitive(fk, "parent_columns"), 1));
}

static cJSON *table_json(const struct mount_view *v, const struct view_item *vi,
			 const struct table_row *r, const char *mnt, cJSON *rels)
{
	cJSON *t = cJSON_CreateObject();
	char *full = xasprintf("%s.%s.%s", vi->it.catalog, r->schema_name, r->name);
	char *path = xasprintf("%s/%s/%s/%s", strcmp(mnt, "/") ? mnt : "", vi->it.name,
			       r->schema_name, r->name);
	cJSON_AddStringToObject(t, "item", vi->it.name);
	cJSON_AddStringToObject(t, "schema", r->schema_name);
	cJSON_AddStringToObject(t, "name", r->name);
	cJSON_AddItemToObject(t, "full_name", str_or_null(full));
	cJSON_AddItemToObject(t, "path", str_or_null(r->skip_reason ? NULL : path));
	cJSON_AddStringToObject(t, "status", r->skip_reason ? "skipped" : "mirrored");
	cJSON_AddItemToObject(t, "reason", str_or_null(r->skip_reason));
	free(full);
	free(path);
	cJSON *cols = r->columns_json ? cJSON_Parse(r->columns_json) : NULL;
	cJSON_AddItemToObject(t, "columns", cJSON_IsArray(cols) ? cols : cJSON_CreateNull());
	if (cols && !cJSON_IsArray(cols))
		cJSON_Delete(cols);
	cJSON *keys = r->constraints_json ? cJSON_Parse(r->constraints_json) : NULL, *k;
	cJSON *pk = NULL, *fks = cJSON_AddArrayToObject(t, "foreign_keys");
	cJSON_ArrayForEach(k, (cJSON_IsArray(keys) ? keys : NULL)) {
		const char *kind = jstr(k, "kind");
		cJSON *colsk = cJSON_GetObjectItemCaseSensitive(k, "columns");
		if (kind && !strcmp(kind, "primary_key") && !pk) {
			pk = cJSON_Duplicate(colsk, 1);
		} else if (kind && !strcmp(kind, "foreign_key")) {
			cJSON *fk = cJSON_CreateObject();
			cJSON_AddItemToArray(fks, fk);
			cJSON_AddItemToObject(fk, "name", str_or_null(jstr(k, "name")));
			cJSON_AddItemToObject(fk, "columns", cJSON_Duplicate(colsk, 1));
			cJSON_AddItemToObject(fk, "parent_table", str_or_null(jstr(k, "parent_table")));
			cJSON_AddItemToObject(fk, "parent_columns", cJSON_Duplicate(
				cJSON_GetObjectItemCaseSensitive(k, "parent_columns"), 1));
			if (!r->skip_reason)
				add_rel(rels, v, vi, r, k);
		}
	}
	cJSON_AddItemToObject(t, "primary_key", pk ? pk : cJSON_CreateNull());
	cJSON_Delete(keys);
	return t;
}

char *tablemodel_json(const struct mount_view *v, const char *mnt)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "mount", mnt);
	cJSON *tables = cJSON_AddArrayToObject(root, "tables");
	cJSON *scs = cJSON_AddArrayToObject(root, "shortcuts");
	cJSON *rels = cJSON_AddArrayToObject(root, "relationships");
	for (size_t i = 0; rels && i < v->nitems; i++)
		for (size_t k = 0; k < v->items[i].nrows; k++)
			if (!v->items[i].rows[k].volume) /* volumes are files, not tables */
				cJSON_AddItemToArray(tables, table_json(v, &v->items[i], &v->items[i].rows[k],
									mnt, rels));
	for (size_t i = 0; scs && i < v->nscs; i++) {
		const struct view_shortcut *s = &v->scs[i];
		if (s->broken)
			continue;
		cJSON *o = cJSON_CreateObject();
		char *path = xasprintf("%s/%s/Tables/%s", strcmp(mnt, "/") ? mnt : "",
				       s->sc.lakehouse, s->sc.name);
		cJSON_AddItemToArray(scs, o);
		cJSON_AddStringToObject(o, "lakehouse", s->sc.lakehouse);
		cJSON_AddStringToObject(o, "name", s->sc.name);
		cJSON_AddItemToObject(o, "path", str_or_null(path));
		cJSON_AddStringToObject(o, "item", s->item->it.name);
		cJSON_AddStringToObject(o, "schema", s->table->schema_name);
		cJSON_AddStringToObject(o, "table", s->table->name);
		free(path);
	}
	/* cJSON drops what it could not allocate; the print fails as a whole. */
	char *out = cJSON_Print(root);
	cJSON_Delete(root);
	return out;
}
