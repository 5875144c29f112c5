/* model.c - see model.h. */
#include "uc/model.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonnum.h"
#include "util/log.h"
#include "util/names.h"
#include "util/strutil.h"

/* ---- field helpers: null, absent and wrong types all read as "unset" ---- */

/* Returns 0, or -ENOMEM when a present string could not be copied. */
static int get_str(const cJSON *o, const char *key, char **out)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	*out = NULL;
	if (!cJSON_IsString(it) || !it->valuestring)
		return 0;
	return (*out = xstrdup(it->valuestring)) ? 0 : -ENOMEM;
}

/* Epoch-ms timestamps: number or decimal string, clamped to [0, year 9999]
 * (a negative one reads as 0, unknown). */
static int64_t get_epoch_ms(const cJSON *o, const char *key)
{
	return json_item_i64(cJSON_GetObjectItemCaseSensitive(o, key), 0, JSON_EPOCH_MS_MAX, 0);
}

static bool get_bool(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

static bool present(const cJSON *o, const char *key)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
	return it && !cJSON_IsNull(it);
}

static int set_err(char **err, int rc, const char *fmt, const char *arg)
{
	if (err)
		*err = xasprintf(fmt, arg);
	return rc;
}

/* ---- frees ---- */

void uc_catalog_free(struct uc_catalog *c)
{
	if (!c)
		return;
	free(c->name);
	free(c->comment);
	free(c->catalog_type);
	free(c->owner);
	memset(c, 0, sizeof(*c));
}

void uc_schema_free(struct uc_schema *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->catalog_name);
	free(s->full_name);
	free(s->comment);
	free(s->owner);
	memset(s, 0, sizeof(*s));
}

void uc_table_free(struct uc_table *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->catalog_name);
	free(t->schema_name);
	free(t->full_name);
	free(t->table_id);
	free(t->table_type);
	free(t->data_source_format);
	free(t->storage_location);
	free(t->columns_json);
	free(t->constraints_json);
	free(t->comment);
	free(t->owner);
	memset(t, 0, sizeof(*t));
}

void uc_volume_free(struct uc_volume *v)
{
	if (!v)
		return;
	free(v->name);
	free(v->catalog_name);
	free(v->schema_name);
	free(v->full_name);
	free(v->volume_id);
	free(v->volume_type);
	free(v->storage_location);
	free(v->comment);
	free(v->owner);
	memset(v, 0, sizeof(*v));
}

#define LIST_FREE(fn, type, itemfree)                      \
	void fn(type *l)                                   \
	{                                                  \
		if (!l)                                    \
			return;                            \
		for (size_t i = 0; i < l->n; i++)          \
			itemfree(&l->items[i]);            \
		free(l->items);                            \
		l->items = NULL;                           \
		l->n = 0;                                  \
	}
LIST_FREE(uc_catalog_list_free, struct uc_catalog_list, uc_catalog_free)
LIST_FREE(uc_schema_list_free, struct uc_schema_list, uc_schema_free)
LIST_FREE(uc_table_list_free, struct uc_table_list, uc_table_free)
LIST_FREE(uc_volume_list_free, struct uc_volume_list, uc_volume_free)

/* ---- object -> struct; 0, -ENOMEM, or 1 for "skip (no name)" ---- */

static int catalog_from(const cJSON *o, struct uc_catalog *c)
{
	memset(c, 0, sizeof(*c));
	int rc = get_str(o, "name", &c->name);
	if (!rc && !c->name)
		return 1;
	if (!rc)
		rc = get_str(o, "comment", &c->comment);
	if (!rc)
		rc = get_str(o, "catalog_type", &c->catalog_type);
	if (!rc)
		rc = get_str(o, "owner", &c->owner);
	c->created_at = get_epoch_ms(o, "created_at");
	c->updated_at = get_epoch_ms(o, "updated_at");
	if (rc)
		uc_catalog_free(c);
	return rc;
}

static int schema_from(const cJSON *o, struct uc_schema *s)
{
	memset(s, 0, sizeof(*s));
	int rc = get_str(o, "name", &s->name);
	if (!rc && !s->name)
		return 1;
	if (!rc)
		rc = get_str(o, "catalog_name", &s->catalog_name);
	if (!rc)
		rc = get_str(o, "full_name", &s->full_name);
	if (!rc)
		rc = get_str(o, "comment", &s->comment);
	if (!rc)
		rc = get_str(o, "owner", &s->owner);
	if (!rc && !s->full_name && s->catalog_name &&
	    !(s->full_name = xasprintf("%s.%s", s->catalog_name, s->name)))
		rc = -ENOMEM;
	s->created_at = get_epoch_ms(o, "created_at");
	s->updated_at = get_epoch_ms(o, "updated_at");
	if (rc)
		uc_schema_free(s);
	return rc;
}

static bool any_column_mask(const cJSON *o)
{
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(o, "columns"), *col;
	if (!cJSON_IsArray(cols))
		return false;
	cJSON_ArrayForEach(col, cols)
		if (cJSON_IsObject(col) && present(col, "mask"))
			return true;
	return false;
}

/* Copy string KEY of FROM into TO (nothing when absent or not a string). */
static bool copy_str(cJSON *to, const cJSON *from, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(from, key);
	return !cJSON_IsString(v) || cJSON_AddStringToObject(to, key, v->valuestring);
}

/* An array of the strings in FROM[KEY] (others dropped), added to TO as AS. */
static bool copy_names(cJSON *to, const cJSON *from, const char *key, const char *as)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(from, key), *v;
	cJSON *out = cJSON_AddArrayToObject(to, as);
	if (!out)
		return false;
	int n = 0;
	cJSON_ArrayForEach(v, (cJSON_IsArray(arr) ? arr : NULL))
		if (cJSON_IsString(v) && n++ < UC_MAX_COLUMNS &&
		    !cJSON_AddItemToArray(out, cJSON_CreateString(v->valuestring)))
			return false;
	return true;
}

/* The table's columns and keys as compact JSON (see model.h). */
static int columns_from(const cJSON *o, struct uc_table *t)
{
	const cJSON *cols = cJSON_GetObjectItemCaseSensitive(o, "columns"), *c;
	const cJSON *cons = cJSON_GetObjectItemCaseSensitive(o, "table_constraints");
	cJSON *out = cJSON_IsArray(cols) ? cJSON_CreateArray() : NULL;
	bool ok = !cJSON_IsArray(cols) || out;
	int n = 0;
	cJSON_ArrayForEach(c, (out ? cols : NULL)) {
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
		if (!ok || !cJSON_IsString(name) || n++ >= UC_MAX_COLUMNS)
			continue;
		cJSON *col = cJSON_CreateObject();
		const cJSON *pos = cJSON_GetObjectItemCaseSensitive(c, "position");
		const cJSON *nul = cJSON_GetObjectItemCaseSensitive(c, "nullable");
		ok = col && cJSON_AddItemToArray(out, col) && copy_str(col, c, "name") &&
		     copy_str(col, c, "type_text") && copy_str(col, c, "type_name") &&
		     cJSON_AddBoolToObject(col, "nullable", !cJSON_IsFalse(nul)) &&
		     (!cJSON_IsNumber(pos) || cJSON_AddNumberToObject(col, "position",
								      pos->valuedouble));
	}
	if (ok && out && !(t->columns_json = cJSON_PrintUnformatted(out)))
		ok = false;
	cJSON_Delete(out);
	out = ok && cJSON_IsArray(cons) ? cJSON_CreateArray() : NULL;
	ok = ok && (!cJSON_IsArray(cons) || out);
	n = 0;
	cJSON_ArrayForEach(c, (out ? cons : NULL)) {
		const cJSON *pk = cJSON_GetObjectItemCaseSensitive(c, "primary_key_constraint");
		const cJSON *fk = cJSON_GetObjectItemCaseSensitive(c, "foreign_key_constraint");
		const cJSON *k = cJSON_IsObject(pk) ? pk : cJSON_IsObject(fk) ? fk : NULL;
		if (!ok || !k || n++ >= UC_MAX_CONSTRAINTS)
			continue;
		cJSON *e = cJSON_CreateObject();
		ok = e && cJSON_AddItemToArray(out, e) &&
		     cJSON_AddStringToObject(e, "kind", k == pk ? "primary_key" : "foreign_key") &&
		     copy_str(e, k, "name") && copy_names(e, k, "child_columns", "columns");
		if (ok && k == fk)
			ok = copy_str(e, k, "parent_table") &&
			     copy_names(e, k, "parent_columns", "parent_columns");
	}
	if (ok && out && !(t->constraints_json = cJSON_PrintUnformatted(out)))
		ok = false;
	cJSON_Delete(out);
	return ok ? 0 : -ENOMEM;
}

static int table_from(const cJSON *o, struct uc_table *t)
{
	memset(t, 0, sizeof(*t));
	int rc = get_str(o, "name", &t->name);
	if (!rc && !t->name)
		return 1;
	struct { const char *key; char **dst; } f[] = {
		{"catalog_name", &t->catalog_name}, {"schema_name", &t->schema_name},
		{"full_name", &t->full_name}, {"table_id", &t->table_id},
		{"table_type", &t->table_type}, {"data_source_format", &t->data_source_format},
		{"storage_location", &t->storage_location}, {"comment", &t->comment},
		{"owner", &t->owner},
	};
	for (size_t i = 0; !rc && i < sizeof(f) / sizeof(f[0]); i++)
		rc = get_str(o, f[i].key, f[i].dst);
	if (!rc && !t->full_name && t->catalog_name && t->schema_name &&
	    !(t->full_name = xasprintf("%s.%s.%s", t->catalog_name, t->schema_name, t->name)))
		rc = -ENOMEM;
	t->created_at = get_epoch_ms(o, "created_at");
	t->updated_at = get_epoch_ms(o, "updated_at");
	t->has_row_filter = present(o, "row_filter");
	t->has_column_mask = any_column_mask(o);
	t->browse_only = get_bool(o, "browse_only");
	if (!rc)
		rc = columns_from(o, t);
	if (rc)
		uc_table_free(t);
	return rc;
}

static int volume_from(const cJSON *o, struct uc_volume *v)
{
	memset(v, 0, sizeof(*v));
	int rc = get_str(o, "name", &v->name);
	if (!rc && !v->name)
		return 1;
	struct { const char *key; char **dst; } f[] = {
		{"catalog_name", &v->catalog_name}, {"schema_name", &v->schema_name},
		{"full_name", &v->full_name}, {"volume_id", &v->volume_id},
		{"volume_type", &v->volume_type}, {"storage_location", &v->storage_location},
		{"comment", &v->comment}, {"owner", &v->owner},
	};
	for (size_t i = 0; !rc && i < sizeof(f) / sizeof(f[0]); i++)
		rc = get_str(o, f[i].key, f[i].dst);
	if (!rc && !v->full_name && v->catalog_name && v->schema_name &&
	    !(v->full_name = xasprintf("%s.%s.%s", v->catalog_name, v->schema_name, v->name)))
		rc = -ENOMEM;
	v->created_at = get_epoch_ms(o, "created_at");
	v->updated_at = get_epoch_ms(o, "updated_at");
	if (rc)
		uc_volume_free(v);
	return rc;
}

/* ---- generic page parsing ---- */

/* cJSON_Parse, with "\u0000" escapes kept as the names.h NUL marker so a
 * name holding a NUL is never truncated into another, valid name. */
static cJSON *parse_json(const char *json)
{
	char *marked = NULL;
	size_t mlen;
	if (!json || name_json_mark_nul(json, strlen(json), &marked, &mlen))
		return NULL;
	cJSON *root = cJSON_Parse(marked ? marked : json);
	free(marked);
	return root;
}

typedef int (*item_fn)(const cJSON *o, void *item);
typedef void (*free_fn)(void *item);

static int parse_page(const char *json, const char *array_key, size_t item_size, item_fn fn,
		      free_fn ifree, void **items, size_t *n, char **next_token, char **err)
{
	if (next_token)
		*next_token = NULL;
	if (err)
		*err = NULL;
	cJSON *root = parse_json(json);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return set_err(err, -EBADMSG, "malformed %s listing: not a JSON object", array_key);
	}
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, array_key);
	if (arr && !cJSON_IsNull(arr) && !cJSON_IsArray(arr)) {
		cJSON_Delete(root);
		return set_err(err, -EBADMSG, "malformed listing: '%s' is not an array", array_key);
	}
	int count = arr && cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0;
	char *tmp = NULL, *tok = NULL;
	size_t got = 0;
	int rc = 0;
	if (count > 0 && !(tmp = calloc((size_t)count, item_size)))
		rc = -ENOMEM;
	const cJSON *it;
	if (!rc && count > 0)
		cJSON_ArrayForEach(it, arr) {
			if (!cJSON_IsObject(it)) {
				log_warn("unity catalog: skipping a non-object entry in '%s'", array_key);
				continue;
			}
			int r = fn(it, tmp + got * item_size);
			if (r < 0) {
				rc = r;
				break;
			}
			if (r == 0)
				got++;
			else
				log_warn("unity catalog: skipping an entry without a name in '%s'", array_key);
		}
	const cJSON *nt = cJSON_GetObjectItemCaseSensitive(root, "next_page_token");
	if (!rc && cJSON_IsString(nt) && nt->valuestring && *nt->valuestring &&
	    !(tok = xstrdup(nt->valuestring)))
		rc = -ENOMEM;
	if (!rc && got) {
		void *grown = realloc(*items, (*n + got) * item_size);
		if (!grown) {
			rc = -ENOMEM;
		} else {
			*items = grown;
			memcpy((char *)grown + *n * item_size, tmp, got * item_size);
			*n += got;
			got = 0; /* ownership moved */
		}
	}
	for (size_t i = 0; i < got; i++)
		ifree(tmp + i * item_size);
	free(tmp);
	cJSON_Delete(root);
	if (rc) {
		free(tok);
		return set_err(err, rc, "%s", "out of memory while parsing a listing");
	}
	if (next_token)
		*next_token = tok;
	else
		free(tok);
	return 0;
}

static int catalog_fn(const cJSON *o, void *p) { return catalog_from(o, p); }
static int schema_fn(const cJSON *o, void *p) { return schema_from(o, p); }
static int table_fn(const cJSON *o, void *p) { return table_from(o, p); }
static void catalog_ifree(void *p) { uc_catalog_free(p); }
static void schema_ifree(void *p) { uc_schema_free(p); }
static void table_ifree(void *p) { uc_table_free(p); }
static int volume_fn(const cJSON *o, void *p) { return volume_from(o, p); }
static void volume_ifree(void *p) { uc_volume_free(p); }

int uc_parse_catalogs_page(const char *json, struct uc_catalog_list *l, char **next, char **err)
{
	return parse_page(json, "catalogs", sizeof(struct uc_catalog), catalog_fn, catalog_ifree,
			  (void **)&l->items, &l->n, next, err);
}

int uc_parse_schemas_page(const char *json, struct uc_schema_list *l, char **next, char **err)
{
	return parse_page(json, "schemas", sizeof(struct uc_schema), schema_fn, schema_ifree,
			  (void **)&l->items, &l->n, next, err);
}

int uc_parse_tables_page(const char *json, struct uc_table_list *l, char **next, char **err)
{
	return parse_page(json, "tables", sizeof(struct uc_table), table_fn, table_ifree,
			  (void **)&l->items, &l->n, next, err);
}

int uc_parse_volumes_page(const char *json, struct uc_volume_list *l, char **next, char **err)
{
	return parse_page(json, "volumes", sizeof(struct uc_volume), volume_fn, volume_ifree,
			  (void **)&l->items, &l->n, next, err);
}

/* ---- single objects ---- */

static int parse_one(const char *json, const char *what, item_fn fn, void *out, char **err)
{
	if (err)
		*err = NULL;
	cJSON *root = parse_json(json);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return set_err(err, -EBADMSG, "malformed %s: not a JSON object", what);
	}
	int rc = fn(root, out);
	cJSON_Delete(root);
	if (rc == 1)
		return set_err(err, -EBADMSG, "malformed %s: no name", what);
	if (rc)
		return set_err(err, rc, "out of memory while parsing a %s", what);
	return 0;
}

int uc_parse_catalog(const char *json, struct uc_catalog *out, char **err)
{
	return parse_one(json, "catalog", catalog_fn, out, err);
}

int uc_parse_schema(const char *json, struct uc_schema *out, char **err)
{
	return parse_one(json, "schema", schema_fn, out, err);
}

int uc_parse_table(const char *json, struct uc_table *out, char **err)
{
	return parse_one(json, "table", table_fn, out, err);
}

void uc_parse_error(const char *body, char **code, char **message)
{
	*code = *message = NULL;
	cJSON *root = body ? cJSON_Parse(body) : NULL;
	if (cJSON_IsObject(root)) {
		if (get_str(root, "error_code", code) == 0 && !*code)
			get_str(root, "error", code);
		if (get_str(root, "message", message) == 0 && !*message)
			get_str(root, "error_description", message);
	}
	cJSON_Delete(root);
}
