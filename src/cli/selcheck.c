/*
 * selcheck.c - `mirror create --include/--exclude` values must name something
 * the catalog has: a typo ("--include retial") is an error naming the nearest
 * names, never an item with 0 tables. See cli.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/catalog_sync.h"
#include "util/strutil.h"
#include "util/suggest.h"

/* Up to MAX_LISTED names in a "(schemas: a, b, c, ...)" hint. */
#define MAX_LISTED 8

static bool has_schema(const struct catalog_listing *l, const char *schema)
{
	for (size_t i = 0; i < l->nschemas; i++)
		if (!strcmp(l->schemas[i], schema))
			return true;
	return false;
}

/* ", " separated names, at most MAX_LISTED of them then "...". */
static char *join_names(const char *const *names, size_t n)
{
	struct strbuf b = {0};
	for (size_t i = 0; i < n && i < MAX_LISTED; i++)
		if ((i && sb_puts(&b, ", ")) || sb_puts(&b, names[i]))
			goto oom;
	if (n > MAX_LISTED && sb_puts(&b, ", ..."))
		goto oom;
	if (!b.buf && sb_puts(&b, ""))
		goto oom;
	return b.buf;
oom:
	sb_free(&b);
	return NULL;
}

/* "did you mean 'X'?" among NAMES, or the list of them. */
static void report(const char *flag, const char *pat, const char *catalog, const char *what,
		   const char *word, const char *const *names, size_t n, const char *prefix)
{
	const char *best = suggest_best(word, names, n);
	if (best) {
		cli_fail("%s '%s' matches nothing in catalog '%s': %s; did you mean '%s%s'?",
			 flag, pat, catalog, what, prefix, best);
		return;
	}
	char *list = join_names(names, n);
	if (n)
		cli_fail("%s '%s' matches nothing in catalog '%s': %s (it has: %s)", flag, pat,
			 catalog, what, list ? list : "?");
	else
		cli_fail("%s '%s' matches nothing in catalog '%s': %s (it has none)", flag, pat,
			 catalog, what);
	free(list);
}

/* One value: "schema" or "schema.table". Returns 1 when it matches nothing. */
static int check_one(const char *flag, const char *pat, const struct catalog_listing *l,
		     const char *catalog)
{
	char *schema = xstrdup(pat);
	if (!schema)
		return cli_fail("out of memory");
	char *table = strchr(schema, '.');
	if (table)
		*table++ = '\0';
	int r = 0;
	if (!has_schema(l, schema)) {
		char *what = xasprintf("there is no schema '%s'", schema);
		report(flag, pat, catalog, what ? what : "no such schema", schema,
		       (const char *const *)l->schemas, l->nschemas, "");
		free(what);
		r = 1;
	} else if (table) {
		const char **names = calloc(l->n ? l->n : 1, sizeof(*names));
		size_t n = 0;
		bool found = false;
		for (size_t i = 0; names && i < l->n && !found; i++) {
			if (strcmp(l->rows[i].schema_name, schema))
				continue;
			found = !strcmp(l->rows[i].name, table);
			names[n++] = l->rows[i].name;
		}
		if (!names) {
			r = cli_fail("out of memory");
		} else if (!found) {
			char *what = xasprintf("schema '%s' has no table '%s'", schema, table);
			char *prefix = xasprintf("%s.", schema);
			report(flag, pat, catalog, what ? what : "no such table", table, names, n,
			       prefix ? prefix : "");
			free(prefix);
			free(what);
			r = 1;
		}
		free(names);
	}
	free(schema);
	return r;
}

int cli_check_patterns(const char *catalog, const char *const *inc, size_t ninc,
		       const char *const *exc, size_t nexc, const struct catalog_listing *l)
{
	int bad = 0;
	for (size_t i = 0; i < ninc; i++)
		bad |= check_one("--include", inc[i], l, catalog);
	for (size_t i = 0; i < nexc; i++)
		bad |= check_one("--exclude", exc[i], l, catalog);
	return bad;
}
