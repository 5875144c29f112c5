/* selection.c - see selection.h. */
#include "core/selection.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strutil.h"

static const char WHY_SCHEMA_EXCLUDED[] = "schema excluded by selection";
static const char WHY_TABLE_EXCLUDED[] = "table excluded by selection";
static const char WHY_SCHEMA_NOT_INCLUDED[] =
	"not selected: the catalog is Partial and this schema is not included";
static const char WHY_TABLE_NOT_INCLUDED[] =
	"not selected: the schema is Partial and this table is not included";

const char *sel_mode_name(enum sel_mode m)
{
	switch (m) {
	case SEL_FULL:
		return "Full";
	case SEL_PARTIAL:
		return "Partial";
	case SEL_EXCLUDE:
		return "Exclude";
	}
	return "?";
}

int sel_mode_parse(const char *s, enum sel_mode *out)
{
	if (!s)
		return -EINVAL;
	if (!strcasecmp(s, "full"))
		*out = SEL_FULL;
	else if (!strcasecmp(s, "partial"))
		*out = SEL_PARTIAL;
	else if (!strcasecmp(s, "exclude"))
		*out = SEL_EXCLUDE;
	else
		return -EINVAL;
	return 0;
}

/* -EINVAL with a formatted message in *err (if err). */
__attribute__((format(printf, 2, 3))) static int fail(char **err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		char *m = NULL;
		va_start(ap, fmt);
		if (vasprintf(&m, fmt, ap) < 0)
			m = NULL;
		va_end(ap);
		free(*err);
		*err = m;
	}
	return -EINVAL;
}

static bool name_ok(const char *n) { return n && *n && !strchr(n, '.'); }

static bool mode_ok(enum sel_mode m) { return m == SEL_FULL || m == SEL_PARTIAL || m == SEL_EXCLUDE; }

/* Order: schema, then the schema's own rule (table NULL), then tables. */
static int cmp_obj(const char *sa, const char *ta, const char *sb, const char *tb)
{
	int c = strcmp(sa, sb);
	if (c)
		return c;
	if (!ta || !tb)
		return ta ? 1 : tb ? -1 : 0;
	return strcmp(ta, tb);
}

/* Index of the rule for (schema, table), or of where it would be inserted. */
static size_t lower_bound(const struct selection *s, const char *schema, const char *table,
			  bool *found)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct sel_rule *r = &s->rules[mid];
		if (cmp_obj(r->schema, r->table, schema, table) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < s->n && !cmp_obj(s->rules[lo].schema, s->rules[lo].table, schema, table);
	return lo;
}

static const struct sel_rule *find(const struct selection *s, const char *schema,
				   const char *table)
{
	bool found;
	size_t i = lower_bound(s, schema, table, &found);
	return found ? &s->rules[i] : NULL;
}

static void remove_at(struct selection *s, size_t i)
{
	free(s->rules[i].schema);
	free(s->rules[i].table);
	memmove(&s->rules[i], &s->rules[i + 1], (s->n - i - 1) * sizeof(s->rules[0]));
	s->n--;
}

void selection_init(struct selection *s)
{
	s->catalog = SEL_FULL;
	s->rules = NULL;
	s->n = 0;
}

void selection_free(struct selection *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->rules[i].schema);
		free(s->rules[i].table);
	}
	free(s->rules);
	selection_init(s);
}

int selection_copy(const struct selection *src, struct selection *dst)
{
	struct selection t;
	selection_init(&t);
	t.catalog = src->catalog;
	if (src->n) {
		t.rules = calloc(src->n, sizeof(t.rules[0]));
		if (!t.rules)
			return -ENOMEM;
	}
	for (size_t i = 0; i < src->n; i++) {
		const struct sel_rule *r = &src->rules[i];
		struct sel_rule *o = &t.rules[t.n++];
		o->mode = r->mode;
		o->schema = xstrdup(r->schema);
		o->table = xstrdup(r->table);
		if ((r->schema && !o->schema) || (r->table && !o->table)) {
			selection_free(&t);
			return -ENOMEM;
		}
	}
	*dst = t;
	return 0;
}

int selection_set_rule(struct selection *s, const char *schema, const char *table,
		       enum sel_mode mode)
{
	if (!name_ok(schema) || (table && !name_ok(table)) || !mode_ok(mode))
		return -EINVAL;
	bool found;
	size_t i = lower_bound(s, schema, table, &found);
	if (found) {
		s->rules[i].mode = mode;
		return 0;
	}
	char *sc = xstrdup(schema), *tb = xstrdup(table);
	struct sel_rule *nr = sc && (!table || tb) ? realloc(s->rules, (s->n + 1) * sizeof(*nr)) : NULL;
	if (!nr) {
		free(sc);
		free(tb);
		return -ENOMEM;
	}
	s->rules = nr;
	memmove(&s->rules[i + 1], &s->rules[i], (s->n - i) * sizeof(*nr));
	s->rules[i] = (struct sel_rule){sc, tb, mode};
	s->n++;
	return 0;
}

/* ---- validation ---- */

/* Mode of schema `schema` as it applies to its tables; *listed tells whether
 * it has a rule of its own. An unlisted schema under a Partial catalog gets
 * SEL_EXCLUDE (nothing in it is mirrored) with *listed false. */
static enum sel_mode schema_mode(const struct selection *s, const char *schema, bool *listed)
{
	const struct sel_rule *r = find(s, schema, NULL);
	*listed = r != NULL;
	if (r)
		return r->mode;
	return s->catalog == SEL_FULL ? SEL_FULL : SEL_EXCLUDE;
}

static int validate_table(const struct selection *s, const struct sel_rule *r, char **err)
{
	const char *sc = r->schema, *t = r->table;
	bool listed;
	enum sel_mode sm = schema_mode(s, sc, &listed);

	if (r->mode == SEL_PARTIAL)
		return fail(err, "table '%s.%s' cannot be Partial: a table is either Full (included) "
				 "or Exclude; include or exclude it instead", sc, t);
	if (r->mode == SEL_FULL) {
		if (sm == SEL_PARTIAL)
			return 0;
		if (sm == SEL_FULL && listed)
			return fail(err, "'%s.%s' is already included by including '%s'; drop --include "
					 "%s.%s (or --unlist %s.%s)", sc, t, sc, sc, t, sc, t);
		if (sm == SEL_FULL)
			return fail(err, "cannot include table '%s.%s' on its own: the catalog is Full, so "
					 "it is mirrored already; drop --include %s.%s",
				    sc, t, sc, t);
		if (listed)
			return fail(err, "'%s.%s' is included but schema '%s' is excluded; drop one of "
					 "--include %s.%s and --exclude %s", sc, t, sc, sc, t, sc);
		return fail(err, "table '%s.%s' is included but its schema '%s' is not listed; a table "
				 "can be included only under a Partial schema (--include %s.%s sets that up)",
			    sc, t, sc, sc, t);
	}
	/* SEL_EXCLUDE */
	if (sm == SEL_FULL)
		return 0;
	if (sm == SEL_PARTIAL)
		return fail(err, "cannot exclude table '%s.%s': exclusions apply only inside a Full "
				 "scope, and schema '%s' is Partial (only its included tables are "
				 "mirrored); drop --exclude %s.%s (--unlist %s.%s stops mirroring an "
				 "included table)", sc, t, sc, sc, t, sc, t);
	if (listed)
		return fail(err, "cannot exclude table '%s.%s': schema '%s' is already excluded as a "
				 "whole; drop --exclude %s.%s", sc, t, sc, sc, t);
	return fail(err, "cannot exclude table '%s.%s': exclusions apply only inside a Full scope, "
			 "and schema '%s' is not included (the catalog is Partial, so the table is not "
			 "mirrored anyway); drop --exclude %s.%s or include schema '%s' whole",
		    sc, t, sc, sc, t, sc);
}

int selection_validate(const struct selection *s, char **err)
{
	if (err)
		*err = NULL;
	if (s->catalog != SEL_FULL && s->catalog != SEL_PARTIAL)
		return fail(err, "the catalog's mode must be Full or Partial, not %s",
			    sel_mode_name(s->catalog));
	for (size_t i = 0; i < s->n; i++) {
		const struct sel_rule *r = &s->rules[i];
		if (!name_ok(r->schema) || (r->table && !name_ok(r->table)))
			return fail(err, "invalid rule '%s%s%s': names must be non-empty and contain no '.'",
				    r->schema ? r->schema : "(null)", r->table ? "." : "",
				    r->table ? r->table : "");
		if (!mode_ok(r->mode))
			return fail(err, "rule '%s%s%s' has an invalid mode", r->schema,
				    r->table ? "." : "", r->table ? r->table : "");
		if (i > 0) {
			const struct sel_rule *p = &s->rules[i - 1];
			int c = cmp_obj(p->schema, p->table, r->schema, r->table);
			if (c == 0)
				return fail(err, "two rules for '%s%s%s'; keep one", r->schema,
					    r->table ? "." : "", r->table ? r->table : "");
			if (c > 0)
				return fail(err, "selection rules are not sorted (internal error; build "
						 "them with selection_set_rule)");
		}
	}
	/* tables first: their messages are the more specific ones */
	for (size_t i = 0; i < s->n; i++) {
		int rc = s->rules[i].table ? validate_table(s, &s->rules[i], err) : 0;
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct sel_rule *r = &s->rules[i];
		if (r->table)
			continue;
		if (r->mode == SEL_EXCLUDE && s->catalog != SEL_FULL)
			return fail(err, "cannot exclude schema '%s': exclusions apply only inside a Full "
					 "scope, and the catalog is Partial (only listed objects are "
					 "mirrored); drop --exclude %s or stop including other objects",
				    r->schema, r->schema);
		if (r->mode == SEL_PARTIAL) {
			bool any = false;
			for (size_t j = i + 1; j < s->n && !strcmp(s->rules[j].schema, r->schema); j++)
				any |= s->rules[j].mode == SEL_FULL;
			if (!any)
				return fail(err, "schema '%s' is Partial but none of its tables is included, "
						 "so nothing in it would be mirrored; include a table "
						 "(--include %s.TABLE) or unlist the schema",
					    r->schema, r->schema);
		}
	}
	if (s->catalog == SEL_PARTIAL && s->n == 0)
		return fail(err, "the catalog is Partial but nothing is included, so nothing would be "
				 "mirrored; include a schema or table, or use --all to mirror the whole "
				 "catalog");
	return 0;
}

/* ---- building and editing ---- */

struct item {
	const char *text; /* as given */
	char *schema, *table;
};

static void items_free(struct item *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].schema);
		free(v[i].table);
	}
	free(v);
}

static int parse_one(const char *flag, const char *x, struct item *it, char **err)
{
	it->text = x;
	if (!x || !*x)
		return fail(err, "invalid --%s '': expected SCHEMA or SCHEMA.TABLE", flag);
	const char *dot = strchr(x, '.');
	if (dot == x)
		return fail(err, "invalid --%s '%s': the schema name is empty; expected SCHEMA or "
				 "SCHEMA.TABLE", flag, x);
	if (dot && !dot[1])
		return fail(err, "invalid --%s '%s': the table name is empty; expected SCHEMA or "
				 "SCHEMA.TABLE", flag, x);
	if (dot && strchr(dot + 1, '.'))
		return fail(err, "invalid --%s '%s': names cannot contain '.' (the first '.' separates "
				 "schema and table); expected SCHEMA or SCHEMA.TABLE", flag, x);
	it->schema = dot ? xstrndup(x, (size_t)(dot - x)) : xstrdup(x);
	it->table = dot ? xstrdup(dot + 1) : NULL;
	if (!it->schema || (dot && !it->table))
		return -ENOMEM;
	return 0;
}

static int parse_list(const char *flag, const char *const *v, size_t n, struct item **out,
		      char **err)
{
	*out = NULL;
	if (!n)
		return 0;
	struct item *it = calloc(n, sizeof(*it));
	if (!it)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = parse_one(flag, v[i], &it[i], err);
		if (rc) {
			items_free(it, n);
			return rc;
		}
	}
	*out = it;
	return 0;
}

static bool same_obj(const struct item *a, const struct item *b)
{
	return !cmp_obj(a->schema, a->table, b->schema, b->table);
}

/* Remove the rule for one object (a schema: also its tables' rules). */
static int unlist_one(struct selection *w, const struct item *u, char **err)
{
	bool removed = false;
	for (size_t i = w->n; i-- > 0;) {
		const struct sel_rule *r = &w->rules[i];
		if (strcmp(r->schema, u->schema))
			continue;
		if (!u->table || (r->table && !strcmp(r->table, u->table))) {
			remove_at(w, i);
			removed = true;
		}
	}
	if (!removed)
		return fail(err, "cannot unlist '%s': it is not on the selection list (see ucfs mirror "
				 "show)", u->text);
	return 0;
}

/* Drop Partial schemas none of whose tables is included any more. */
static void drop_empty_partials(struct selection *w)
{
	for (size_t i = w->n; i-- > 0;) {
		const struct sel_rule *r = &w->rules[i];
		if (r->table || r->mode != SEL_PARTIAL)
			continue;
		bool any = false;
		for (size_t j = i + 1; j < w->n && !strcmp(w->rules[j].schema, r->schema); j++)
			any |= w->rules[j].mode == SEL_FULL;
		if (!any)
			remove_at(w, i);
	}
}

static int apply(struct selection *w, const struct item *inc, size_t ninc, const struct item *exc,
		 size_t nexc, const struct item *unl, size_t nunl, bool all, char **err)
{
	int rc;
	for (size_t i = 0; i < ninc; i++)
		for (size_t j = 0; j < nexc; j++)
			if (same_obj(&inc[i], &exc[j]))
				return fail(err, "'%s' is both included and excluded; drop one of "
						 "--include %s and --exclude %s", inc[i].text,
					    inc[i].text, exc[j].text);
	for (size_t i = 0; i < ninc; i++) {
		if (!inc[i].table)
			continue;
		for (size_t j = 0; j < ninc; j++)
			if (!inc[j].table && !strcmp(inc[j].schema, inc[i].schema))
				return fail(err, "'%s' is already included by including '%s'; drop "
						 "--include %s", inc[i].text, inc[j].text, inc[i].text);
		for (size_t j = 0; j < nexc; j++)
			if (!exc[j].table && !strcmp(exc[j].schema, inc[i].schema))
				return fail(err, "'%s' is included but schema '%s' is excluded; drop "
						 "one of --include %s and --exclude %s", inc[i].text,
					    exc[j].text, inc[i].text, exc[j].text);
	}

	if (all) {
		selection_free(w);
		selection_init(w);
	}
	for (size_t i = 0; i < nunl; i++)
		if ((rc = unlist_one(w, &unl[i], err)))
			return rc;
	drop_empty_partials(w);

	if (ninc)
		w->catalog = SEL_PARTIAL;
	for (size_t i = 0; i < ninc; i++) {
		const struct item *it = &inc[i];
		if (it->table) {
			const struct sel_rule *sr = find(w, it->schema, NULL);
			if (sr && sr->mode == SEL_FULL)
				return fail(err, "'%s' is already included by including '%s'; drop "
						 "--include %s (or --unlist %s first to include only "
						 "some of its tables)", it->text, it->schema, it->text,
					    it->schema);
			if (!sr || sr->mode != SEL_PARTIAL)
				if ((rc = selection_set_rule(w, it->schema, NULL, SEL_PARTIAL)))
					return rc;
		}
		if ((rc = selection_set_rule(w, it->schema, it->table, SEL_FULL)))
			return rc;
	}
	for (size_t i = 0; i < nexc; i++)
		if ((rc = selection_set_rule(w, exc[i].schema, exc[i].table, SEL_EXCLUDE)))
			return rc;
	return selection_validate(w, err);
}

int selection_edit(const struct selection *cur, const char *const *includes, size_t ninc,
		   const char *const *excludes, size_t nexc, const char *const *unlist, size_t nunl,
		   bool all, struct selection *out, char **err)
{
	struct item *inc = NULL, *exc = NULL, *unl = NULL;
	struct selection w;
	int rc;

	if (err)
		*err = NULL;
	selection_init(&w);
	if ((rc = parse_list("include", includes, ninc, &inc, err)) ||
	    (rc = parse_list("exclude", excludes, nexc, &exc, err)) ||
	    (rc = parse_list("unlist", unlist, nunl, &unl, err)))
		goto out;
	if (cur && (rc = selection_copy(cur, &w)))
		goto out;
	rc = apply(&w, inc, ninc, exc, nexc, unl, nunl, all, err);
	/* apply() ends with selection_validate, which resets *err first */
out:
	items_free(inc, ninc);
	items_free(exc, nexc);
	items_free(unl, nunl);
	if (rc) {
		selection_free(&w);
		if (rc == -ENOMEM && err) {
			free(*err);
			*err = NULL;
		}
		return rc;
	}
	*out = w;
	return 0;
}

int selection_from_lists(const char *const *includes, size_t ninc, const char *const *excludes,
			 size_t nexc, struct selection *out, char **err)
{
	return selection_edit(NULL, includes, ninc, excludes, nexc, NULL, 0, false, out, err);
}

/* ---- deciding ---- */

bool selection_selects(const struct selection *s, const char *schema, const char *table,
		       const char **why)
{
	const char *w = NULL;
	const struct sel_rule *sr = find(s, schema, NULL);
	const struct sel_rule *tr = table ? find(s, schema, table) : NULL;

	if (sr && sr->mode == SEL_EXCLUDE)
		w = WHY_SCHEMA_EXCLUDED;
	else if (!sr && s->catalog != SEL_FULL)
		w = WHY_SCHEMA_NOT_INCLUDED;
	else if (!table)
		w = NULL;
	else if (sr && sr->mode == SEL_PARTIAL)
		w = tr && tr->mode == SEL_FULL ? NULL : WHY_TABLE_NOT_INCLUDED;
	else if (tr && tr->mode == SEL_EXCLUDE)
		w = WHY_TABLE_EXCLUDED;
	if (why)
		*why = w;
	return w == NULL;
}

/* ---- missing objects ---- */

static bool in_list(const char *const *v, size_t n, const char *schema, const char *table)
{
	size_t sl = strlen(schema);
	for (size_t i = 0; i < n; i++) {
		if (!v[i])
			continue;
		if (!table) {
			if (!strcmp(v[i], schema))
				return true;
		} else if (!strncmp(v[i], schema, sl) && v[i][sl] == '.' &&
			   !strcmp(v[i] + sl + 1, table)) {
			return true;
		}
	}
	return false;
}

void selection_lines_free(char **lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

int selection_missing(const struct selection *s, const char *const *schemas, size_t nschemas,
		      const char *const *tables, size_t ntables, char ***lines, size_t *nlines)
{
	char **v = NULL;
	size_t n = 0;
	const char *gone_schema = NULL; /* schema reported missing: skip its tables */

	for (size_t i = 0; i < s->n; i++) {
		const struct sel_rule *r = &s->rules[i];
		const char *verb = r->mode == SEL_EXCLUDE ? "excluded" : "included";
		char *line;
		if (gone_schema && !strcmp(r->schema, gone_schema))
			continue;
		if (!in_list(schemas, nschemas, r->schema, NULL)) {
			gone_schema = r->schema;
			if (r->table)
				line = xasprintf("schema '%s' of %s table '%s.%s' does not exist in the "
						 "catalog (dropped or renamed upstream?)",
						 r->schema, verb, r->schema, r->table);
			else
				line = xasprintf("%s schema '%s' does not exist in the catalog (dropped "
						 "or renamed upstream?)", verb, r->schema);
		} else if (r->table && !in_list(tables, ntables, r->schema, r->table)) {
			line = xasprintf("%s table '%s.%s' does not exist in the catalog (dropped or "
					 "renamed upstream?)", verb, r->schema, r->table);
		} else {
			continue;
		}
		char **nv = line ? realloc(v, (n + 1) * sizeof(*v)) : NULL;
		if (!nv) {
			free(line);
			selection_lines_free(v, n);
			return -ENOMEM;
		}
		v = nv;
		v[n++] = line;
	}
	*lines = v;
	*nlines = n;
	return 0;
}

/* ---- describe ---- */

char *selection_describe(const struct selection *s)
{
	struct strbuf sb = {0};
	int rc = sb_printf(&sb, "catalog: %s\n", sel_mode_name(s->catalog));
	for (size_t i = 0; i < s->n && !rc; i++) {
		const struct sel_rule *r = &s->rules[i];
		if (!r->table) {
			rc = sb_printf(&sb, "  schema %s: %s\n", r->schema, sel_mode_name(r->mode));
			continue;
		}
		if ((i == 0 || strcmp(s->rules[i - 1].schema, r->schema)) &&
		    (rc = sb_printf(&sb, "  schema %s: %s\n", r->schema,
				    s->catalog == SEL_FULL ? "Full (catalog default)"
							   : "(not listed)")))
			break;
		rc = sb_printf(&sb, "    table %s.%s: %s\n", r->schema, r->table,
			       sel_mode_name(r->mode));
	}
	if (rc) {
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}
