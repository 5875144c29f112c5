/* sqldefs.c - see sqldefs.h. */
#include "core/sqldefs.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/tablemodel.h"
#include "util/names.h"
#include "util/seenset.h"

/* Reserved words of DuckDB (its reserved and type/function-name keywords)
 * and Spark SQL (ANSI reserved): unquoted they do not parse as names. */
static const char *const keywords[] = {
	"all", "alter", "analyse", "analyze", "and", "anti", "any", "array", "as", "asc",
	"asof", "asymmetric", "authorization", "between", "binary", "both", "by", "case",
	"cast", "check", "collate", "collation", "column", "columns", "concurrently",
	"constraint", "create", "cross", "cube", "current", "current_date", "current_time",
	"current_timestamp", "current_user", "default", "deferrable", "delete", "desc",
	"describe", "distinct", "do", "drop", "else", "end", "escape", "except", "exists",
	"external", "false", "fetch", "filter", "for", "foreign", "freeze", "from", "full",
	"function", "generated", "glob", "global", "grant", "group", "grouping", "having",
	"ilike", "in", "initially", "inner", "insert", "intersect", "interval", "into", "is",
	"isnull", "join", "lambda", "lateral", "leading", "left", "like", "limit", "map",
	"natural", "not", "notnull", "null", "of", "offset", "on", "only", "or", "order",
	"outer", "overlaps", "partition", "pivot", "pivot_longer", "pivot_wider", "placing",
	"positional", "primary", "qualify", "range", "references", "returning", "right",
	"rollup", "row", "rows", "select", "semi", "session_user", "set", "show", "similar",
	"some", "struct", "summarize", "symmetric", "table", "tablesample", "then", "time",
	"to", "trailing", "true", "try_cast", "union", "unique", "unknown", "unpivot",
	"update", "user", "using", "variadic", "verbose", "when", "where", "window", "with",
};

bool sql_plain_ident(const char *name)
{
	if (!name || !(isalpha((unsigned char)*name) || *name == '_'))
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (!strcasecmp(name, keywords[i]))
			return false;
	return true;
}

int sql_put_ident(struct strbuf *sb, const char *name, char q)
{
	if (sql_plain_ident(name))
		return sb_puts(sb, name);
	if (sb_append(sb, &q, 1))
		return -ENOMEM;
	for (const char *p = name; *p; p++)
		if ((*p == q && sb_append(sb, &q, 1)) || sb_append(sb, p, 1))
			return -ENOMEM;
	return sb_append(sb, &q, 1);
}

int sql_put_string_duckdb(struct strbuf *sb, const char *s)
{
	if (sb_puts(sb, "'"))
		return -ENOMEM;
	for (const char *p = s; *p; p++)
		if ((*p == '\'' && sb_puts(sb, "'")) || sb_append(sb, p, 1))
			return -ENOMEM;
	return sb_puts(sb, "'");
}

int sql_put_string_spark(struct strbuf *sb, const char *s)
{
	if (sb_puts(sb, "'"))
		return -ENOMEM;
	for (const char *p = s; *p; p++)
		if (((*p == '\'' || *p == '\\') && sb_puts(sb, "\\")) || sb_append(sb, p, 1))
			return -ENOMEM;
	return sb_puts(sb, "'");
}

int sql_put_skipped(struct strbuf *sb, const char *what, const char *why)
{
	char *w = name_escape(what), *y = name_escape(why);
	int r = w && y ? sb_printf(sb, "-- skipped %s: %s\n", w, y) : -ENOMEM;
	free(w);
	free(y);
	return r;
}

/* ---- names as an engine sees them -------------------------------------- */

/* Names given so far: exactly (KEY: who owns it) and as the engine compares
 * them (ASCII case folded). */
struct names {
	struct seenset exact, folded;
};

static void names_free(struct names *n)
{
	seenset_free(&n->exact);
	seenset_free(&n->folded);
}

/* Claim the engine name FOLD for owner KEY[0..klen): 1 when KEY had it
 * already, 0 when newly claimed, -EEXIST when another owner has it (the
 * same name but for case), -ENOMEM. */
static int names_claim(struct names *n, const char *key, size_t klen, const char *name)
{
	if (seenset_has(&n->exact, key, klen))
		return 1;
	char *fold = xstrdup(name);
	if (!fold)
		return -ENOMEM;
	for (char *p = fold; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	int r = seenset_add_str(&n->folded, fold);
	free(fold);
	if (r < 0)
		return r;
	if (r == 0)
		return -EEXIST;
	return seenset_add(&n->exact, key, klen) < 0 ? -ENOMEM : 0;
}

/* KEY of strings A, B (and C) joined with NULs (names hold no NUL). */
static char *key3(const char *a, const char *b, const char *c, size_t *len)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0, lc = c ? strlen(c) : 0;
	char *k = malloc(la + lb + lc + 3);
	if (!k)
		return NULL;
	memcpy(k, a, la + 1);
	if (b)
		memcpy(k + la + 1, b, lb + 1);
	if (c)
		memcpy(k + la + lb + 2, c, lc + 1);
	*len = la + 1 + (b ? lb + 1 : 0) + (c ? lc + 1 : 0);
	return k;
}

static char *dotted(const char *a, const char *b, const char *c)
{
	return c ? xasprintf("%s.%s.%s", a, b, c) : xasprintf("%s.%s", a, b);
}

/* MOUNTPOINT/a/b/c */
static char *mounted_path(const char *mnt, const char *a, const char *b, const char *c)
{
	return xasprintf("%s/%s/%s/%s", strcmp(mnt, "/") ? mnt : "", a, b, c);
}

/* Why a mirrored row is left out of both files, or NULL. */
static const char *row_problem(const struct table_row *r)
{
	if (r->skip_reason)
		return r->skip_reason;
	if (r->delta_version == DELTA_VERSION_UNREADABLE)
		return "no readable _delta_log at the last sync";
	return NULL;
}

/* "-- skipped A.B.C: WHY" for the dotted name. */
static int skip3(struct strbuf *sb, const char *a, const char *b, const char *c, const char *why)
{
	char *what = dotted(a, b, c);
	int r = what ? sql_put_skipped(sb, what, why) : -ENOMEM;
	free(what);
	return r;
}

/* ---- DuckDB ------------------------------------------------------------- */

/* Database names DuckDB has already, or refuses to ATTACH as. */
const char *sqldefs_duckdb_reserved(const char *name)
{
	static const char *const reserved[] = {"main", "temp", "system", "memory"};
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (!strcasecmp(name, reserved[i]))
			return reserved[i];
	return NULL;
}

struct gen {
	struct strbuf sb;
	const char *mnt;
	struct names dbs, schemas, tables;
	int err;
};

static void put(struct gen *g, int r)
{
	if (r && !g->err)
		g->err = r;
}

/* Claim database name DB (an item or lakehouse); false (with a skipped
 * line) when DuckDB cannot take it. */
static bool duck_database(struct gen *g, const char *db, const char *kind)
{
	const char *res = sqldefs_duckdb_reserved(db);
	char *why = NULL;
	int r = res ? -EEXIST : names_claim(&g->dbs, db, strlen(db), db);
	if (r == -ENOMEM) {
		put(g, r);
		return false;
	}
	if (res)
		why = xasprintf("DuckDB reserves the database name '%s': rename the %s to query "
				"it by name (or read its tables by path with delta_scan)", res, kind);
	else if (r == -EEXIST)
		why = xasprintf("DuckDB sees the %s name as equal to another item's or "
				"lakehouse's (names differ only in case)", kind);
	if (why || r == -EEXIST) {
		char *what = xasprintf("%s %s", kind, db);
		put(g, what && why ? sql_put_skipped(&g->sb, what, why) : -ENOMEM);
		free(what);
		free(why);
		return false;
	}
	put(g, sb_puts(&g->sb, "ATTACH IF NOT EXISTS ':memory:' AS "));
	put(g, sql_put_ident(&g->sb, db, '"'));
	put(g, sb_puts(&g->sb, ";\n"));
	return true;
}

/* A.B.C as identifiers quoted with Q (B, C may be NULL). */
static void put_names(struct gen *g, char q, const char *a, const char *b, const char *c)
{
	put(g, sql_put_ident(&g->sb, a, q));
	for (const char *n = b; n; n = n == b ? c : NULL) {
		put(g, sb_puts(&g->sb, "."));
		put(g, sql_put_ident(&g->sb, n, q));
	}
}

/* Claim table NAME in DB (.SCHEMA): false, with a skipped line saying WHY
 * (as SHOWN, else DB.SCHEMA.NAME), when the engine has it already. */
static bool claim_table(struct gen *g, const char *db, const char *schema, const char *name,
			const char *shown, const char *why)
{
	size_t klen;
	char *key = key3(db, schema ? schema : "", name, &klen);
	char *fold = key ? xasprintf("%s\x01%s\x01%s", db, schema ? schema : "", name) : NULL;
	int t = key && fold ? names_claim(&g->tables, key, klen, fold) : -ENOMEM;
	free(key);
	free(fold);
	if (t == -EEXIST || t == 1)
		put(g, shown ? sql_put_skipped(&g->sb, shown, why)
			     : skip3(&g->sb, db, schema, name, why));
	else if (t < 0)
		put(g, t);
	return t == 0;
}

/* CREATE SCHEMA for DB.SCHEMA once, and the view DB.SCHEMA.NAME. */
static bool duck_view(struct gen *g, const char *db, const char *schema, const char *name,
		      const char *path)
{
	size_t klen;
	char *key = key3(db, schema, NULL, &klen);
	char *sfold = key ? xasprintf("%s\x01%s", db, schema) : NULL;
	int r = key && sfold ? names_claim(&g->schemas, key, klen, sfold) : -ENOMEM;
	free(key);
	free(sfold);
	if (r == -EEXIST) {
		put(g, skip3(&g->sb, db, schema, name,
			     "DuckDB sees its schema name as equal to another schema's of the "
			     "same item (names differ only in case)"));
		return false;
	}
	if (r < 0) {
		put(g, r);
		return false;
	}
	struct strbuf *sb = &g->sb;
	if (r == 0) { /* first use of the schema */
		put(g, sb_puts(sb, "CREATE SCHEMA IF NOT EXISTS "));
		put_names(g, '"', db, schema, NULL);
		put(g, sb_puts(sb, ";\n"));
	}
	if (!claim_table(g, db, schema, name, NULL,
			 "DuckDB sees its name as equal to another table's of the same schema "
			 "(names differ only in case)"))
		return false;
	put(g, sb_puts(sb, "CREATE OR REPLACE VIEW "));
	put_names(g, '"', db, schema, name);
	put(g, sb_puts(sb, " AS SELECT * FROM delta_scan("));
	put(g, sql_put_string_duckdb(sb, path));
	put(g, sb_puts(sb, ");\n"));
	return true;
}

static void gen_free(struct gen *g)
{
	names_free(&g->dbs);
	names_free(&g->schemas);
	names_free(&g->tables);
}

static char *gen_done(struct gen *g)
{
	gen_free(g);
	if (g->err) {
		sb_free(&g->sb);
		return NULL;
	}
	return sb_detach(&g->sb);
}

/* ---- Spark -------------------------------------------------------------- */

/* Spark's session catalog refuses other database and table names
 * (INVALID_SCHEMA_OR_RELATION_NAME), quoted or not. */
static bool spark_name_ok(const char *name)
{
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	return *name != '\0';
}

/* The table DB.NAME at PATH, the database made on first use. OWNER keys who
 * the database name belongs to; SHOWN is the dotted name of a skipped line. */
static bool spark_put(struct gen *g, const char *owner, size_t olen, const char *db,
		      const char *name, const char *path, const char *shown)
{
	int r = names_claim(&g->schemas, owner, olen, db);
	if (r == -EEXIST) {
		char *why = xasprintf("Spark sees its database name %s as equal to another's "
				      "(names differ only in case, or item_schema joins alike)", db);
		put(g, why ? sql_put_skipped(&g->sb, shown, why) : -ENOMEM);
		free(why);
		return false;
	}
	if (r < 0) {
		put(g, r);
		return false;
	}
	struct strbuf *sb = &g->sb;
	if (r == 0) { /* first use of the database */
		put(g, sb_puts(sb, "CREATE SCHEMA IF NOT EXISTS "));
		put_names(g, '`', db, NULL, NULL);
		put(g, sb_puts(sb, ";\n"));
	}
	if (!claim_table(g, db, NULL, name, shown,
			 "Spark sees its name as equal to another table's of the same database "
			 "(names differ only in case)"))
		return false;
	put(g, sb_puts(sb, "CREATE TABLE IF NOT EXISTS "));
	put_names(g, '`', db, name, NULL);
	put(g, sb_puts(sb, " USING delta LOCATION "));
	put(g, sql_put_string_spark(sb, path));
	put(g, sb_puts(sb, ";\n"));
	return true;
}

/* The table of A.B.C at PATH as Spark's DB.C: DB is A_B for an item's
 * table, A for a lakehouse's shortcut; made on first use. */
static bool spark_table(struct gen *g, bool lakehouse, const char *a, const char *b,
			const char *c, const char *path)
{
	bool made = false;
	size_t olen;
	char *db = lakehouse ? xstrdup(a) : xasprintf("%s_%s", a, b);
	char *owner = key3(lakehouse ? "lakehouse" : "item", a, lakehouse ? NULL : b, &olen);
	char *shown = dotted(a, b, c);
	char *why = NULL;
	if (db && shown && (!spark_name_ok(db) || !spark_name_ok(c)))
		why = xasprintf("Spark's session catalog takes only letters, digits and _ in "
				"%s names, not '%s'", spark_name_ok(db) ? "table" : "database",
				spark_name_ok(db) ? c : db);
	if (why)
		put(g, sql_put_skipped(&g->sb, shown, why));
	else if (db && owner && shown)
		made = spark_put(g, owner, olen, db, c, path, shown);
	else
		put(g, -ENOMEM);
	free(why);
	free(db);
	free(owner);
	free(shown);
	return made;
}

/* ---- both files -------------------------------------------------------- */

struct engine {
	/* An item's or lakehouse's section starts: false leaves its tables out. */
	bool (*begin)(struct gen *g, const char *name, const char *kind);
	/* Table A.B.C (lakehouse: A.Tables.C) at PATH: true when defined. */
	bool (*table)(struct gen *g, bool lakehouse, const char *a, const char *b, const char *c,
		      const char *path);
};

/* A.B.C is left out for WHY, or defined. */
static void emit(struct gen *g, const struct engine *e, bool lakehouse, const char *why,
		 const char *a, const char *b, const char *c, const char *keys)
{
	if (why) {
		put(g, skip3(&g->sb, a, b, c, why));
		return;
	}
	char *path = mounted_path(g->mnt, a, b, c);
	if (!path)
		put(g, -ENOMEM);
	else if (e->table(g, lakehouse, a, b, c, path))
		put(g, tablemodel_key_comments(&g->sb, keys)); /* Unity Catalog's keys */
	free(path);
}

/* The file: a header (WHAT it names, the mount point escaped: it is in a
 * comment, and USAGE lines), then per item and lakehouse its tables. */
static char *generate(const struct mount_view *v, const char *mnt, const char *what,
		      const char *usage, const struct engine *e)
{
	struct gen g = {.mnt = mnt};
	char *shown = name_escape(mnt);
	put(&g, shown ? sb_printf(&g.sb, "-- ucfs: %s of the tables mounted at %s, remade at "
					 "every sync.\n%s", what, shown, usage)
		      : -ENOMEM);
	free(shown);
	for (size_t i = 0; i < v->nitems && !g.err; i++) {
		const struct view_item *vi = &v->items[i];
		put(&g, sb_puts(&g.sb, "\n"));
		bool ok = e->begin(&g, vi->it.name, "item");
		for (size_t k = 0; k < vi->nrows && !g.err; k++) {
			const struct table_row *r = &vi->rows[k];
			if (r->volume) /* files, not a table: MOUNT/Volumes */
				continue;
			emit(&g, e, false, ok ? row_problem(r) : "its item is left out (above)",
			     vi->it.name, r->schema_name, r->name, r->constraints_json);
		}
	}
	for (size_t i = 0; i < v->nlhs && !g.err; i++) {
		const char *lh = v->lhs[i].name;
		put(&g, sb_puts(&g.sb, "\n"));
		bool ok = e->begin(&g, lh, "lakehouse");
		for (size_t k = 0; k < v->nscs && !g.err; k++) {
			const struct view_shortcut *s = &v->scs[k];
			if (strcmp(s->sc.lakehouse, lh) != 0)
				continue;
			const char *why = !ok ? "its lakehouse is left out (above)"
				: s->broken ? s->broken : row_problem(s->table);
			emit(&g, e, true, why, lh, "Tables", s->sc.name,
			     why ? NULL : s->table->constraints_json);
		}
	}
	return gen_done(&g);
}

static bool duck_table(struct gen *g, bool lakehouse, const char *a, const char *b,
		       const char *c, const char *path)
{
	(void)lakehouse;
	return duck_view(g, a, b, c, path);
}

static bool spark_begin(struct gen *g, const char *name, const char *kind)
{
	(void)g;
	(void)name;
	(void)kind;
	return true; /* databases are made per schema, on first use */
}

char *sqldefs_duckdb(const struct mount_view *v, const char *mnt)
{
	static const struct engine duck = {duck_database, duck_table};
	return generate(v, mnt, "DuckDB names",
			"-- duckdb -init THIS_FILE (needs the delta extension), or 'ucfs sql'.\n"
			"-- SELECT * FROM item.schema.table; lakehouse.Tables.shortcut\n",
			&duck);
}

char *sqldefs_spark(const struct mount_view *v, const char *mnt)
{
	static const struct engine spark = {spark_begin, spark_table};
	return generate(v, mnt, "Spark session catalog names",
			"-- Run each statement with spark.sql() (needs delta-spark).\n"
			"-- SELECT * FROM item_schema.table; lakehouse.shortcut\n",
			&spark);
}
