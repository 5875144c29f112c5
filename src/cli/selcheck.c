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

/* One value: "schema" or "schema.table". Returns 1 when it matches nothing
 * (reported unless QUIET). */
static int check_one(const char *flag, const char *pat, const struct catalog_listing *l,
		     const char *catalog, bool quiet)
{
	char *schema = xstrdup(pat);
	if (!schema)
		return cli_fail("out of memory");
	char *table = strchr(schema, '.');
	if (table)
		*table++ = '\0';
	int r = 0;
	if (!has_schema(l, schema)) {
		r = 1;
		if (quiet)
			goto done;
		char *what = xasprintf("there is no schema '%s'", schema);
		report(flag, pat, catalog, what ? what : "no such schema", schema,
		       (const char *const *)l->schemas, l->nschemas, "");
		free(what);
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
		} else if (!found && quiet) {
			r = 1;
		} else if (!found) {
			char *what = xasprintf("schema '%s' has no table%s '%s'", schema,
					       l->volumes ? " or volume" : "", table);
			char *prefix = xasprintf("%s.", schema);
			report(flag, pat, catalog, what ? what : "no such table", table, names, n,
			       prefix ? prefix : "");
			free(prefix);
			free(what);
			r = 1;
		}
		free(names);
	}
done:
	free(schema);
	return r;
}

int cli_check_patterns(const char *catalog, const char *const *inc, size_t ninc,
		       const char *const *exc, size_t nexc, const struct catalog_listing *l)
{
	int bad = 0;
	for (size_t i = 0; i < ninc; i++)
		bad |= check_one("--include", inc[i], l, catalog, false);
	for (size_t i = 0; i < nexc; i++)
		bad |= check_one("--exclude", exc[i], l, catalog, false);
	return bad;
}

/* The stored tables as a listing (schemas: those with a stored table). */
static int stored_listing(const struct item *it, struct table_row *rows, size_t n,
			  struct catalog_listing *l)
{
	memset(l, 0, sizeof(*l));
	l->rows = rows;
	l->n = n;
	l->volumes = it->volumes;
	l->schemas = calloc(n ? n : 1, sizeof(char *));
	if (!l->schemas)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!has_schema(l, rows[i].schema_name))
			l->schemas[l->nschemas++] = rows[i].schema_name;
	return 0;
}

int cli_check_patterns_item(const struct item *it, struct table_row *rows, size_t n,
			    const char *const *inc, size_t ninc, const char *const *exc,
			    size_t nexc)
{
	struct catalog_listing stored;
	if (stored_listing(it, rows, n, &stored))
		return cli_fail("out of memory");
	int missing = 0;
	for (size_t i = 0; i < ninc; i++)
		missing |= check_one("--include", inc[i], &stored, it->catalog, true);
	for (size_t i = 0; i < nexc; i++)
		missing |= check_one("--exclude", exc[i], &stored, it->catalog, true);
	free(stored.schemas); /* the names and rows are the caller's */
	if (!missing)
		return 0;
	/* Not among the stored tables: a typo, or a schema without tables (never
	 * stored), or one created since the last sync - Unity Catalog decides. */
	struct ucfs_conn conn;
	struct uc_client *uc;
	if (cli_connect(it->host, it->profile, &conn, &uc)) {
		cli_fail("cannot check the --include/--exclude names of '%s' against catalog "
			 "'%s' (above)", it->name, it->catalog);
		return -1;
	}
	struct catalog_listing l;
	struct uc_error e = {0};
	int r = catalog_fetch(uc, it->catalog, it->volumes, NULL, it->name, &l, &e);
	if (r) {
		char *what = xasprintf("catalog '%s'", it->catalog);
		char *m = uc_error_describe(&e, what);
		r = -cli_fail("cannot check the --include/--exclude names of '%s': %s", it->name,
			      m ? m : "request failed");
		free(m);
		free(what);
	} else {
		r = cli_check_patterns(it->catalog, inc, ninc, exc, nexc, &l);
		catalog_listing_free(&l);
	}
	uc_error_clear(&e);
	uc_client_free(uc);
	conn_free(&conn);
	return r;
}
