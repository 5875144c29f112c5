/* test_selection.c - Fabric's inclusion/exclusion modes: every combination of
 * catalog x schema x table mode (valid and invalid), CLI list parsing, edits,
 * missing objects and the `mirror show` summary; the same rules applied to
 * volume rows, and which item's volumes MOUNT/Volumes/CATALOG shows. */
#include <errno.h>
#include <stdlib.h>

#include "check.h"
#include "core/catalog_sync.h"
#include "core/selection.h"
#include "core/view.h"
#include "util/strutil.h"

#define MAXW 16

/* Split a space-separated list into v (pointers into buf). */
static size_t words(const char *list, char *buf, size_t bufsz, const char **v)
{
	size_t n = 0;
	if (!list)
		return 0;
	snprintf(buf, bufsz, "%s", list);
	for (char *save = NULL, *w = strtok_r(buf, " ", &save); w && n < MAXW;
	     w = strtok_r(NULL, " ", &save))
		v[n++] = w;
	return n;
}

static int build(const char *inc, const char *exc, struct selection *out, char **err)
{
	char b1[256], b2[256];
	const char *vi[MAXW], *ve[MAXW];
	size_t ni = words(inc, b1, sizeof(b1), vi), ne = words(exc, b2, sizeof(b2), ve);
	return selection_from_lists(vi, ni, ve, ne, out, err);
}

static int edit(const struct selection *cur, const char *inc, const char *exc, const char *unl,
		bool all, struct selection *out, char **err)
{
	char b1[256], b2[256], b3[256];
	const char *vi[MAXW], *ve[MAXW], *vu[MAXW];
	size_t ni = words(inc, b1, sizeof(b1), vi), ne = words(exc, b2, sizeof(b2), ve),
	       nu = words(unl, b3, sizeof(b3), vu);
	return selection_edit(cur, vi, ni, ve, ne, vu, nu, all, out, err);
}

/* The selection as one line: "P| s:F s.t:X" */
static char *flat(const struct selection *s)
{
	struct strbuf sb = {0};
	sb_printf(&sb, "%c|", sel_mode_name(s->catalog)[0]);
	for (size_t i = 0; i < s->n; i++)
		sb_printf(&sb, " %s%s%s:%c", s->rules[i].schema, s->rules[i].table ? "." : "",
			  s->rules[i].table ? s->rules[i].table : "",
			  s->rules[i].mode == SEL_EXCLUDE ? 'X' : sel_mode_name(s->rules[i].mode)[0]);
	return sb_detach(&sb);
}

static void expect_ok(const char *inc, const char *exc, const char *want)
{
	struct selection s;
	char *err = (char *)"junk";
	int rc = build(inc, exc, &s, &err);
	CHECK(rc == 0);
	CHECK(err == NULL);
	if (rc) {
		fprintf(stderr, "  include '%s' exclude '%s': %s\n", inc, exc, err ? err : "?");
		free(err);
		return;
	}
	char *f = flat(&s);
	CHECK_STR(f, want);
	free(f);
	selection_free(&s);
}

static void expect_err(const char *inc, const char *exc, const char *msg_substr)
{
	struct selection s = {SEL_FULL, (struct sel_rule *)&s, 4242}; /* must stay untouched */
	char *err = NULL;
	int rc = build(inc, exc, &s, &err);
	CHECK(rc == -EINVAL);
	CHECK(s.n == 4242 && s.rules == (struct sel_rule *)&s);
	CHECK(err != NULL && strstr(err, msg_substr) != NULL);
	if (!err || !strstr(err, msg_substr))
		fprintf(stderr, "  include '%s' exclude '%s': got \"%s\", want \"%s\"\n", inc, exc,
			err ? err : "(null)", msg_substr);
	free(err);
}

/* ---- the full mode matrix, built rule by rule ---- */

enum { UNLISTED = -1 };

struct combo {
	int cat, schema, table; /* sel_mode or UNLISTED */
	const char *err;        /* substring of the validation error, NULL = valid */
	/* why for s.t, s.u (same schema, unlisted), o.x (other schema, unlisted),
	 * and the schema-level query for s; NULL = selected */
	const char *st, *su, *ox, *s;
};

#define SX "schema excluded by selection"
#define TX "table excluded by selection"
#define CP "not selected: the catalog is Partial and this schema is not included"
#define SP "not selected: the schema is Partial and this table is not included"

static const struct combo combos[] = {
	/* catalog Full */
	{SEL_FULL, SEL_FULL, SEL_FULL, "'s.t' is already included by including 's'"},
	{SEL_FULL, SEL_FULL, SEL_EXCLUDE, NULL, TX, NULL, NULL, NULL},
	{SEL_FULL, SEL_FULL, UNLISTED, NULL, NULL, NULL, NULL, NULL},
	{SEL_FULL, SEL_PARTIAL, SEL_FULL, NULL, NULL, SP, NULL, NULL},
	{SEL_FULL, SEL_PARTIAL, SEL_EXCLUDE, "cannot exclude table 's.t': exclusions apply only inside a Full scope, and schema 's' is Partial"},
	{SEL_FULL, SEL_PARTIAL, UNLISTED, "schema 's' is Partial but none of its tables is included"},
	{SEL_FULL, SEL_EXCLUDE, SEL_FULL, "'s.t' is included but schema 's' is excluded"},
	{SEL_FULL, SEL_EXCLUDE, SEL_EXCLUDE, "schema 's' is already excluded as a whole"},
	{SEL_FULL, SEL_EXCLUDE, UNLISTED, NULL, SX, SX, NULL, SX},
	{SEL_FULL, UNLISTED, SEL_FULL, "cannot include table 's.t' on its own: the catalog is Full"},
	{SEL_FULL, UNLISTED, SEL_EXCLUDE, NULL, TX, NULL, NULL, NULL},
	{SEL_FULL, UNLISTED, UNLISTED, NULL, NULL, NULL, NULL, NULL},
	/* catalog Partial */
	{SEL_PARTIAL, SEL_FULL, SEL_FULL, "'s.t' is already included by including 's'"},
	{SEL_PARTIAL, SEL_FULL, SEL_EXCLUDE, NULL, TX, NULL, CP, NULL},
	{SEL_PARTIAL, SEL_FULL, UNLISTED, NULL, NULL, NULL, CP, NULL},
	{SEL_PARTIAL, SEL_PARTIAL, SEL_FULL, NULL, NULL, SP, CP, NULL},
	{SEL_PARTIAL, SEL_PARTIAL, SEL_EXCLUDE, "cannot exclude table 's.t': exclusions apply only inside a Full scope, and schema 's' is Partial"},
	{SEL_PARTIAL, SEL_PARTIAL, UNLISTED, "schema 's' is Partial but none of its tables is included"},
	{SEL_PARTIAL, SEL_EXCLUDE, SEL_FULL, "'s.t' is included but schema 's' is excluded"},
	{SEL_PARTIAL, SEL_EXCLUDE, SEL_EXCLUDE, "schema 's' is already excluded as a whole"},
	{SEL_PARTIAL, SEL_EXCLUDE, UNLISTED, "cannot exclude schema 's': exclusions apply only inside a Full scope, and the catalog is Partial"},
	{SEL_PARTIAL, UNLISTED, SEL_FULL, "table 's.t' is included but its schema 's' is not listed"},
	{SEL_PARTIAL, UNLISTED, SEL_EXCLUDE, "cannot exclude table 's.t': exclusions apply only inside a Full scope, and schema 's' is not included"},
	{SEL_PARTIAL, UNLISTED, UNLISTED, "the catalog is Partial but nothing is included"},
};

static void check_why(const struct selection *s, const char *schema, const char *table,
		      const char *want)
{
	const char *why = "junk";
	bool sel = selection_selects(s, schema, table, &why);
	if (!want) {
		CHECK(sel && why == NULL);
	} else {
		CHECK(!sel);
		CHECK_STR(why, want);
	}
	CHECK(selection_selects(s, schema, table, NULL) == sel);
}

static void test_matrix(void)
{
	for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++) {
		const struct combo *c = &combos[i];
		struct selection s;
		selection_init(&s);
		s.catalog = (enum sel_mode)c->cat;
		if (c->schema != UNLISTED)
			CHECK(selection_set_rule(&s, "s", NULL, (enum sel_mode)c->schema) == 0);
		if (c->table != UNLISTED)
			CHECK(selection_set_rule(&s, "s", "t", (enum sel_mode)c->table) == 0);
		char *err = (char *)"junk";
		int rc = selection_validate(&s, &err);
		if (c->err) {
			CHECK(rc == -EINVAL);
			CHECK(err && strstr(err, c->err));
			if (!err || !strstr(err, c->err))
				fprintf(stderr, "  combo %zu: got \"%s\"\n", i, err ? err : "(null)");
		} else {
			CHECK(rc == 0 && err == NULL);
			if (rc)
				fprintf(stderr, "  combo %zu: unexpected \"%s\"\n", i, err ? err : "");
			check_why(&s, "s", "t", c->st);
			check_why(&s, "s", "u", c->su);
			check_why(&s, "o", "x", c->ox);
			check_why(&s, "s", NULL, c->s);
		}
		free(err);
		CHECK(selection_validate(&s, NULL) == rc);
		selection_free(&s);
	}
}

/* ---- the same combinations as the CLI builds them ---- */

static void test_from_lists(void)
{
	/* valid: every combination reachable from --include/--exclude */
	expect_ok(NULL, NULL, "F|");
	expect_ok(NULL, "s.t", "F| s.t:X");
	expect_ok(NULL, "s", "F| s:X");
	expect_ok(NULL, "s o.x", "F| o.x:X s:X");
	expect_ok("s", NULL, "P| s:F");
	expect_ok("s", "s.t", "P| s:F s.t:X");
	expect_ok("s.t", NULL, "P| s:P s.t:F");
	expect_ok("s.t s.u o", "o.x", "P| o:F o.x:X s:P s.t:F s.u:F");
	/* sorted by schema, schema rule first, then tables */
	expect_ok("b a.z a.c", NULL, "P| a:P a.c:F a.z:F b:F");
	/* names with spaces or odd characters are fine; only '.' is reserved */
	expect_ok("my-schema.t_1", NULL, "P| my-schema:P my-schema.t_1:F");

	/* duplicates collapse */
	expect_ok("s s", NULL, "P| s:F");
	expect_ok("s.t s.t", NULL, "P| s:P s.t:F");
	expect_ok(NULL, "x x", "F| x:X");
	expect_ok(NULL, "x.t x.t", "F| x.t:X");
	expect_ok("s", "s.t s.t", "P| s:F s.t:X");

	/* parse errors */
	const char *bad_inc[] = {""};
	struct selection s;
	char *err = NULL;
	CHECK(selection_from_lists(bad_inc, 1, NULL, 0, &s, &err) == -EINVAL);
	CHECK_STR(err, "invalid --include '': expected SCHEMA or SCHEMA.TABLE");
	free(err);
	const char *null_inc[] = {NULL};
	err = NULL;
	CHECK(selection_from_lists(null_inc, 1, NULL, 0, &s, &err) == -EINVAL);
	CHECK(err && strstr(err, "invalid --include"));
	free(err);
	expect_err(".", NULL, "invalid --include '.': the schema name is empty");
	expect_err(".b", NULL, "invalid --include '.b': the schema name is empty");
	expect_err("a.", NULL, "invalid --include 'a.': the table name is empty");
	expect_err("a.b.c", NULL, "invalid --include 'a.b.c': names cannot contain '.'");
	expect_err("a..", NULL, "names cannot contain '.'");
	expect_err(NULL, ".", "invalid --exclude '.'");
	expect_err(NULL, "a.", "invalid --exclude 'a.': the table name is empty");
	expect_err(NULL, ".b", "invalid --exclude '.b'");
	expect_err(NULL, "a.b.c", "invalid --exclude 'a.b.c'");
	expect_err("ok", "a.b.c", "invalid --exclude 'a.b.c'");

	/* contradictions */
	expect_err("s", "s", "'s' is both included and excluded");
	expect_err("s.t", "s.t", "'s.t' is both included and excluded");
	expect_err("s.t", "s", "'s.t' is included but schema 's' is excluded");
	expect_err("s s.t", NULL, "'s.t' is already included by including 's'");
	expect_err("s.t s", NULL, "'s.t' is already included by including 's'");

	/* exclusions outside a Full scope */
	err = NULL;
	CHECK(build("a", "x", &s, &err) == -EINVAL);
	CHECK_STR(err, "cannot exclude schema 'x': exclusions apply only inside a Full scope, and "
		       "the catalog is Partial (only listed objects are mirrored); drop --exclude x "
		       "or stop including other objects");
	free(err);
	expect_err("s.t", "s.u", "cannot exclude table 's.u': exclusions apply only inside a Full "
				 "scope, and schema 's' is Partial");
	expect_err("a", "b.t", "cannot exclude table 'b.t': exclusions apply only inside a Full "
			       "scope, and schema 'b' is not included");
	expect_err(NULL, "s s.t", "cannot exclude table 's.t': schema 's' is already excluded");
	expect_err("a", "s s.t", "cannot exclude table 's.t': schema 's' is already excluded");

	/* err may be NULL */
	CHECK(build("a", "x", &s, NULL) == -EINVAL);
	CHECK(build("a", NULL, &s, NULL) == 0);
	selection_free(&s);
	selection_free(&s); /* twice is fine */
}

/* ---- edits ---- */

static void expect_edit(const char *cur_inc, const char *cur_exc, const char *inc,
			const char *exc, const char *unl, bool all, const char *want)
{
	struct selection cur, out;
	char *err = NULL;
	CHECK(build(cur_inc, cur_exc, &cur, NULL) == 0);
	char *before = flat(&cur);
	int rc = edit(&cur, inc, exc, unl, all, &out, &err);
	char *after = flat(&cur);
	CHECK_STR(after, before); /* cur is never modified */
	if (want && !strncmp(want, "ERR:", 4)) {
		CHECK(rc == -EINVAL);
		CHECK(err && strstr(err, want + 4));
		if (!err || !strstr(err, want + 4))
			fprintf(stderr, "  edit: got \"%s\", want \"%s\"\n", err ? err : "(null)", want + 4);
		if (rc == 0)
			selection_free(&out);
	} else {
		CHECK(rc == 0 && err == NULL);
		if (rc) {
			fprintf(stderr, "  edit: unexpected \"%s\"\n", err ? err : "?");
		} else {
			char *f = flat(&out);
			CHECK_STR(f, want);
			free(f);
			CHECK(selection_validate(&out, NULL) == 0);
			selection_free(&out);
		}
	}
	free(err);
	free(before);
	free(after);
	selection_free(&cur);
}

static void test_edit(void)
{
	/* add includes / excludes */
	expect_edit("s.t", NULL, "s.u", NULL, NULL, false, "P| s:P s.t:F s.u:F");
	expect_edit("s.t", NULL, "o", NULL, NULL, false, "P| o:F s:P s.t:F");
	expect_edit("s", NULL, NULL, "s.t", NULL, false, "P| s:F s.t:X");
	expect_edit(NULL, "x", NULL, "y.t", NULL, false, "F| x:X y.t:X");
	expect_edit("s", NULL, "s", NULL, NULL, false, "P| s:F"); /* already there: collapses */
	expect_edit(NULL, "x", NULL, "x", NULL, false, "F| x:X");
	/* an include turns a Full catalog Partial; a leftover exclusion then fails */
	expect_edit(NULL, "x", "a", NULL, NULL, false,
		    "ERR:cannot exclude schema 'x': exclusions apply only inside a Full scope, and "
		    "the catalog is Partial");
	expect_edit(NULL, "x.t", "a", NULL, NULL, false,
		    "ERR:cannot exclude table 'x.t': exclusions apply only inside a Full scope, and "
		    "schema 'x' is not included");
	/* including a table of an excluded schema turns the schema Partial */
	expect_edit(NULL, "s", "s.t", NULL, NULL, false, "P| s:P s.t:F");
	/* including a schema whole while some of its tables are included */
	expect_edit("s.t", NULL, "s", NULL, NULL, false,
		    "ERR:'s.t' is already included by including 's'");
	expect_edit("s", NULL, "s.t", NULL, NULL, false,
		    "ERR:'s.t' is already included by including 's'");
	/* excluding an included table (use --unlist instead) */
	expect_edit("s.t s.u", NULL, NULL, "s.t", NULL, false,
		    "ERR:cannot exclude table 's.t': exclusions apply only inside a Full scope, and "
		    "schema 's' is Partial");
	expect_edit("s o", NULL, NULL, "s", NULL, false,
		    "ERR:cannot exclude schema 's': exclusions apply only inside a Full scope");
	/* contradictions within one edit */
	expect_edit("s", NULL, "o", "o", NULL, false, "ERR:'o' is both included and excluded");
	expect_edit("s", NULL, "o.t", "o", NULL, false,
		    "ERR:'o.t' is included but schema 'o' is excluded");
	expect_edit("s", NULL, "o o.t", NULL, NULL, false,
		    "ERR:'o.t' is already included by including 'o'");
	/* parse errors */
	expect_edit("s", NULL, "a.b.c", NULL, NULL, false, "ERR:invalid --include 'a.b.c'");
	expect_edit("s", NULL, NULL, NULL, "s.", false, "ERR:invalid --unlist 's.'");

	/* unlist */
	expect_edit("s.t s.u", NULL, NULL, NULL, "s.u", false, "P| s:P s.t:F");
	expect_edit("s.t o", NULL, NULL, NULL, "s.t", false, "P| o:F"); /* empty Partial dropped */
	expect_edit("s.t", NULL, NULL, NULL, "s.t", false,
		    "ERR:the catalog is Partial but nothing is included");
	expect_edit("s o", "s.x", NULL, NULL, "s", false, "P| o:F"); /* schema takes its tables */
	expect_edit("s.t o", NULL, NULL, NULL, "s", false, "P| o:F");
	expect_edit(NULL, "s.t", NULL, NULL, "s.t", false, "F|");
	expect_edit(NULL, "s x", NULL, NULL, "s", false, "F| x:X");
	expect_edit("s", NULL, NULL, NULL, "nope", false,
		    "ERR:cannot unlist 'nope': it is not on the selection list");
	expect_edit("s", NULL, NULL, NULL, "s.t", false,
		    "ERR:cannot unlist 's.t': it is not on the selection list");
	/* unlist is applied first: replace a whole schema by some of its tables */
	expect_edit("s", NULL, "s.t", NULL, "s", false, "P| s:P s.t:F");
	/* ... or stop excluding a table */
	expect_edit("s", "s.t", NULL, NULL, "s.t", false, "P| s:F");

	/* all: reset to catalog Full before applying */
	expect_edit("s.t o", NULL, NULL, NULL, NULL, true, "F|");
	expect_edit(NULL, "x", "a", NULL, NULL, true, "P| a:F");
	expect_edit("s.t", NULL, NULL, "x", NULL, true, "F| x:X");
	expect_edit("s", NULL, NULL, NULL, "s", true, "ERR:cannot unlist 's'");

	/* on error *out is untouched; cur == NULL edits an empty (Full) selection */
	struct selection cur, out = {SEL_PARTIAL, (struct sel_rule *)&cur, 77};
	CHECK(build("s", NULL, &cur, NULL) == 0);
	const char *exc[] = {"s"};
	CHECK(selection_edit(&cur, NULL, 0, exc, 1, NULL, 0, false, &out, NULL) == -EINVAL);
	CHECK(out.catalog == SEL_PARTIAL && out.n == 77 && out.rules == (struct sel_rule *)&cur);
	const char *empty[] = {""};
	char *err = NULL;
	CHECK(selection_edit(&cur, NULL, 0, empty, 1, NULL, 0, false, &out, &err) == -EINVAL);
	CHECK_STR(err, "invalid --exclude '': expected SCHEMA or SCHEMA.TABLE");
	free(err);
	CHECK(out.n == 77);
	CHECK(selection_edit(NULL, NULL, 0, exc, 1, NULL, 0, false, &out, NULL) == 0);
	char *f = flat(&out);
	CHECK_STR(f, "F| s:X");
	free(f);
	selection_free(&out);
	selection_free(&cur);
}

/* ---- rules built by hand (as loaded from the state database) ---- */

static void test_rules_api(void)
{
	CHECK_STR(sel_mode_name(SEL_FULL), "Full");
	CHECK_STR(sel_mode_name(SEL_PARTIAL), "Partial");
	CHECK_STR(sel_mode_name(SEL_EXCLUDE), "Exclude");
	CHECK_STR(sel_mode_name((enum sel_mode)9), "?");
	enum sel_mode m = SEL_EXCLUDE;
	CHECK(sel_mode_parse("full", &m) == 0 && m == SEL_FULL);
	CHECK(sel_mode_parse("PARTIAL", &m) == 0 && m == SEL_PARTIAL);
	CHECK(sel_mode_parse("Exclude", &m) == 0 && m == SEL_EXCLUDE);
	CHECK(sel_mode_parse("excluded", &m) == -EINVAL && m == SEL_EXCLUDE);
	CHECK(sel_mode_parse("", &m) == -EINVAL);
	CHECK(sel_mode_parse(NULL, &m) == -EINVAL);

	struct selection s, c;
	selection_init(&s);
	CHECK(s.catalog == SEL_FULL && s.n == 0 && s.rules == NULL);
	CHECK(selection_validate(&s, NULL) == 0);
	CHECK(selection_selects(&s, "any", "thing", NULL));
	CHECK(selection_set_rule(&s, "", NULL, SEL_FULL) == -EINVAL);
	CHECK(selection_set_rule(&s, NULL, NULL, SEL_FULL) == -EINVAL);
	CHECK(selection_set_rule(&s, "a.b", NULL, SEL_FULL) == -EINVAL);
	CHECK(selection_set_rule(&s, "a", "", SEL_FULL) == -EINVAL);
	CHECK(selection_set_rule(&s, "a", "b.c", SEL_FULL) == -EINVAL);
	CHECK(selection_set_rule(&s, "a", NULL, (enum sel_mode)7) == -EINVAL);
	CHECK(s.n == 0);
	/* inserted in any order, kept sorted; same object replaces */
	s.catalog = SEL_PARTIAL;
	CHECK(selection_set_rule(&s, "web", "events", SEL_FULL) == 0);
	CHECK(selection_set_rule(&s, "sales", "tmp", SEL_EXCLUDE) == 0);
	CHECK(selection_set_rule(&s, "web", NULL, SEL_PARTIAL) == 0);
	CHECK(selection_set_rule(&s, "sales", NULL, SEL_PARTIAL) == 0);
	CHECK(selection_set_rule(&s, "sales", NULL, SEL_FULL) == 0);
	CHECK(selection_set_rule(&s, "web", "clicks", SEL_FULL) == 0);
	char *f = flat(&s);
	CHECK_STR(f, "P| sales:F sales.tmp:X web:P web.clicks:F web.events:F");
	free(f);
	CHECK(selection_validate(&s, NULL) == 0);

	CHECK(selection_copy(&s, &c) == 0);
	CHECK(c.rules != s.rules && c.n == s.n && c.rules[0].schema != s.rules[0].schema);
	f = flat(&c);
	CHECK_STR(f, "P| sales:F sales.tmp:X web:P web.clicks:F web.events:F");
	free(f);
	selection_free(&c);
	selection_init(&c);
	struct selection empty;
	selection_init(&empty);
	CHECK(selection_copy(&empty, &c) == 0 && c.n == 0 && c.catalog == SEL_FULL);
	selection_free(&c);

	/* a hand-made struct that breaks the invariants */
	char *err = NULL;
	struct sel_rule r = s.rules[0];
	s.rules[0] = s.rules[1];
	s.rules[1] = r;
	CHECK(selection_validate(&s, &err) == -EINVAL);
	CHECK(err && strstr(err, "not sorted"));
	free(err);
	s.rules[1] = s.rules[0];
	s.rules[0] = r;
	char *saved = s.rules[1].table;
	s.rules[1].table = NULL;
	CHECK(selection_validate(&s, &err) == -EINVAL);
	CHECK(err && strstr(err, "two rules for 'sales'"));
	free(err);
	s.rules[1].table = saved;
	s.rules[1].mode = SEL_PARTIAL;
	CHECK(selection_validate(&s, &err) == -EINVAL);
	CHECK(err && strstr(err, "table 'sales.tmp' cannot be Partial"));
	free(err);
	s.rules[1].mode = SEL_EXCLUDE;
	s.catalog = SEL_EXCLUDE;
	CHECK(selection_validate(&s, &err) == -EINVAL);
	CHECK(err && strstr(err, "must be Full or Partial"));
	free(err);
	s.catalog = SEL_PARTIAL;
	CHECK(selection_validate(&s, &err) == 0 && err == NULL);
	selection_free(&s);
}

/* ---- selects on a realistic selection ---- */

static void test_selects(void)
{
	struct selection s;
	CHECK(build("sales web.events web.clicks", "sales.tmp", &s, NULL) == 0);
	check_why(&s, "sales", "orders", NULL);
	check_why(&s, "sales", "new_table", NULL); /* new objects inside a Full scope */
	check_why(&s, "sales", "tmp", TX);
	check_why(&s, "web", "events", NULL);
	check_why(&s, "web", "clicks", NULL);
	check_why(&s, "web", "new_table", SP); /* not inside a Partial scope */
	check_why(&s, "hr", "people", CP);
	check_why(&s, "new_schema", "t", CP);
	check_why(&s, "Sales", "orders", CP); /* names match exactly */
	check_why(&s, "web", NULL, NULL);
	check_why(&s, "hr", NULL, CP);
	selection_free(&s);

	CHECK(build(NULL, "staging raw.tmp", &s, NULL) == 0);
	check_why(&s, "sales", "orders", NULL);
	check_why(&s, "new_schema", "t", NULL); /* new schemas under a Full catalog */
	check_why(&s, "staging", "t", SX);
	check_why(&s, "staging", NULL, SX);
	check_why(&s, "raw", "tmp", TX);
	check_why(&s, "raw", "tmp2", NULL);
	check_why(&s, "raw", NULL, NULL);
	selection_free(&s);
}

/* ---- missing objects ---- */

static void test_missing(void)
{
	struct selection s;
	char **lines = (char **)"junk";
	size_t n = 99;
	const char *schemas[] = {"sales", "web", "hr"};
	const char *tables[] = {"sales.orders", "web.events", "hr.people", "web.x.y"};

	CHECK(build("sales web.events web.gone gone.t", "sales.tmp", &s, NULL) == 0);
	CHECK(selection_missing(&s, schemas, 3, tables, 4, &lines, &n) == 0);
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(lines[0], "included schema 'gone' does not exist in the catalog (dropped or "
				    "renamed upstream?)");
		CHECK_STR(lines[1], "excluded table 'sales.tmp' does not exist in the catalog "
				    "(dropped or renamed upstream?)");
		CHECK_STR(lines[2], "included table 'web.gone' does not exist in the catalog (dropped "
				    "or renamed upstream?)");
	}
	selection_lines_free(lines, n);
	selection_free(&s);

	/* nothing missing */
	CHECK(build("sales web.events", NULL, &s, NULL) == 0);
	CHECK(selection_missing(&s, schemas, 3, tables, 4, &lines, &n) == 0);
	CHECK(n == 0 && lines == NULL);
	selection_free(&s);

	/* a table exclusion under a Full catalog whose schema vanished; an excluded schema */
	CHECK(build(NULL, "old.t old.u staging web.events2", &s, NULL) == 0);
	CHECK(selection_missing(&s, schemas, 3, tables, 4, &lines, &n) == 0);
	CHECK(n == 3);
	if (n == 3) {
		CHECK_STR(lines[0], "schema 'old' of excluded table 'old.t' does not exist in the "
				    "catalog (dropped or renamed upstream?)");
		CHECK_STR(lines[1], "excluded schema 'staging' does not exist in the catalog "
				    "(dropped or renamed upstream?)");
		CHECK_STR(lines[2], "excluded table 'web.events2' does not exist in the catalog "
				    "(dropped or renamed upstream?)");
	}
	selection_lines_free(lines, n);

	/* empty listing: everything named is missing; prefix matches don't count */
	const char *pre[] = {"web.event"};
	CHECK(selection_missing(&s, NULL, 0, pre, 1, &lines, &n) == 0);
	CHECK(n == 3);
	selection_lines_free(lines, n);
	selection_free(&s);

	selection_init(&s);
	CHECK(selection_missing(&s, NULL, 0, NULL, 0, &lines, &n) == 0 && n == 0 && !lines);
}

/* ---- describe ---- */

static void test_describe(void)
{
	struct selection s;
	CHECK(build("sales web.events", "sales.tmp", &s, NULL) == 0);
	char *d = selection_describe(&s);
	CHECK_STR(d, "catalog: Partial\n"
		     "  schema sales: Full\n"
		     "    table sales.tmp: Exclude\n"
		     "  schema web: Partial\n"
		     "    table web.events: Full\n");
	free(d);
	selection_free(&s);

	selection_init(&s);
	d = selection_describe(&s);
	CHECK_STR(d, "catalog: Full\n");
	free(d);

	CHECK(build(NULL, "raw.tmp raw.tmp2 staging", &s, NULL) == 0);
	d = selection_describe(&s);
	CHECK_STR(d, "catalog: Full\n"
		     "  schema raw: Full (catalog default)\n"
		     "    table raw.tmp: Exclude\n"
		     "    table raw.tmp2: Exclude\n"
		     "  schema staging: Exclude\n");
	free(d);
	selection_free(&s);
}

static struct table_row vrow(const char *schema, const char *name, bool volume,
			     const char *location)
{
	struct table_row r = {0};
	r.volume = volume;
	r.schema_name = xstrdup(schema);
	r.name = xstrdup(name);
	r.location = xstrdup(location);
	r.delta_version = DELTA_VERSION_UNKNOWN;
	return r;
}

static void clear_rows(struct table_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		table_row_clear(&rows[i]);
}

/* rows: raw.events (table), raw.landing, raw.files (volumes), raw.x as
 * both, loc.t (table), loc.docs (volume). Which are mirrored under SEL? */
static void check_volume_selection(const char *inc, const char *exc, const char *want)
{
	struct table_row rows[] = {
		vrow("raw", "events", false, "s3://b/e"), vrow("raw", "landing", true, "s3://b/l"),
		vrow("raw", "files", true, "s3://b/f"),   vrow("raw", "x", false, "s3://b/xt"),
		vrow("raw", "x", true, "s3://b/xv"),      vrow("loc", "t", false, "s3://b/t"),
		vrow("loc", "docs", true, "file:///data/docs"),
	};
	size_t n = sizeof(rows) / sizeof(rows[0]);
	char b1[256], b2[256];
	const char *iv[MAXW], *ev[MAXW];
	size_t ni = words(inc, b1, sizeof(b1), iv), ne = words(exc, b2, sizeof(b2), ev);
	struct selection sel;
	char *err = NULL;
	CHECK(selection_from_lists(iv, ni, ev, ne, &sel, &err) == 0);
	const char *root = "/data";
	struct local_policy lp = {.item = "it", .roots = &root, .n = 1};
	CHECK(rows_apply_selection(rows, n, &sel, &lp) == 0);
	char got[256] = "";
	for (size_t i = 0; i < n; i++)
		if (!rows[i].skip_reason)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s.%s%s", *got ? " " : "",
				 rows[i].schema_name, rows[i].name, rows[i].volume ? "/v" : "");
	if (strcmp(got, want))
		fprintf(stderr, "include '%s' exclude '%s': got '%s', want '%s'\n", inc ? inc : "",
			exc ? exc : "", got, want);
	CHECK(!strcmp(got, want));
	selection_free(&sel);
	clear_rows(rows, n);
}

static void test_volume_rows(void)
{
	check_volume_selection(NULL, NULL,
			       "raw.events raw.landing/v raw.files/v raw.x raw.x/v loc.t loc.docs/v");
	check_volume_selection("raw.files loc", NULL, "raw.files/v loc.t loc.docs/v");
	/* a rule names schema.name: a table and a volume sharing it go together */
	check_volume_selection(NULL, "raw.x", "raw.events raw.landing/v raw.files/v loc.t loc.docs/v");
	check_volume_selection("raw.x", NULL, "raw.x raw.x/v");
	check_volume_selection(NULL, "loc raw.landing", "raw.events raw.files/v raw.x raw.x/v");

	/* A local volume outside the item's roots is skipped, with the reason. */
	struct table_row r = vrow("s", "v", true, "file:///elsewhere/v");
	struct selection sel;
	selection_init(&sel);
	const char *root = "/data";
	struct local_policy lp = {.item = "it", .roots = &root, .n = 1};
	CHECK(rows_apply_selection(&r, 1, &sel, &lp) == 0);
	CHECK(r.skip_reason && strstr(r.skip_reason, "--allow-local"));
	clear_rows(&r, 1);

	/* Counts keep tables and volumes apart. */
	struct table_row rows[] = {vrow("s", "t", false, "s3://b/t"), vrow("s", "v", true, "s3://b/v"),
				   vrow("s", "w", true, "s3://b/w")};
	rows[2].skip_reason = xstrdup("not selected");
	struct view_item vi = {.rows = rows, .nrows = 3};
	size_t m, sk, f;
	view_counts(&vi, &m, &sk, &f);
	CHECK(m == 1 && sk == 0 && f == 0);
	view_volume_counts(&vi, &m, &sk);
	CHECK(m == 1 && sk == 1);
	clear_rows(rows, 3);

	/* MOUNT/Volumes/CATALOG: the first item (by name) mirroring it with volumes. */
	struct view_item items[] = {
		{.it = {.name = (char *)"a", .catalog = (char *)"c", .volumes = false}},
		{.it = {.name = (char *)"b", .catalog = (char *)"c", .volumes = true}},
		{.it = {.name = (char *)"d", .catalog = (char *)"c", .volumes = true}},
		{.it = {.name = (char *)"e", .catalog = (char *)"k", .volumes = true}},
	};
	struct mount_view v = {.items = items, .nitems = 4};
	CHECK(view_volume_owner(&v, "c") == &items[1]);
	CHECK(view_volume_owner(&v, "k") == &items[3]);
	CHECK(view_volume_owner(&v, "a") == NULL); /* an item name is not a catalog */
	CHECK(view_volume_owner(&v, "z") == NULL);
}

int main(void)
{
	test_rules_api();
	test_matrix();
	test_from_lists();
	test_edit();
	test_selects();
	test_missing();
	test_describe();
	test_volume_rows();
	return check_done();
}
