/*
 * selection.h - which schemas and tables of one mirrored catalog are mirrored
 * (Fabric's inclusion / exclusion selection).
 *
 * Contract: pure logic, no I/O. Modes follow Fabric's item definition:
 *   catalog  Full    everything except explicit exclusions (new objects too)
 *            Partial only what is listed; nothing by default
 *   schema   Full | Partial | Exclude   (Exclude only under a Full catalog;
 *            a schema listed under a Partial catalog is Full or Partial)
 *   table    Full | Exclude             (Exclude only under a Full schema -
 *            explicitly Full, or not listed under a Full catalog; a Full
 *            table only under a Partial schema)
 * New objects are picked up only inside Full scopes. A Partial schema must
 * include at least one table, and a Partial catalog must list something.
 *
 * Names are matched exactly (case-sensitive, as the mount shows them); a
 * name is non-empty and contains no '.'. s->rules is kept sorted by
 * (schema, table) with a schema's own rule (table == NULL) first and no two
 * rules for the same object; every function here keeps that invariant and
 * selection_validate rejects a selection that breaks it.
 *
 * Errors are negative errno values: -EINVAL for a rejected selection (with a
 * malloc'ed message in *err that names the offending rule and says what to
 * do; *err may be NULL if even the message could not be allocated), -ENOMEM.
 * err may be NULL. On any error the output argument is left untouched and
 * nothing leaks.
 */
#ifndef UCFS_SELECTION_H
#define UCFS_SELECTION_H

#include <stdbool.h>
#include <stddef.h>

enum sel_mode { SEL_FULL = 0, SEL_PARTIAL, SEL_EXCLUDE };

/* "Full", "Partial", "Exclude" ("?" for an out-of-range value). */
const char *sel_mode_name(enum sel_mode m);
/* Case-insensitive "full" / "partial" / "exclude"; -EINVAL otherwise. */
int sel_mode_parse(const char *s, enum sel_mode *out);

struct sel_rule {
	char *schema;
	char *table; /* NULL for a schema rule */
	enum sel_mode mode;
};

struct selection {
	enum sel_mode catalog; /* SEL_FULL or SEL_PARTIAL */
	struct sel_rule *rules;
	size_t n;
};

/* Catalog Full, no rules: everything is mirrored. */
void selection_init(struct selection *s);
/* Frees the rules and re-initializes *s (safe to call twice). */
void selection_free(struct selection *s);
/* Deep copy into *dst (which is overwritten, not freed). 0 or -ENOMEM. */
int selection_copy(const struct selection *src, struct selection *dst);

/* Set the rule for one object (table NULL: the schema itself), replacing any
 * rule for the same object and keeping the rules sorted; the names are
 * copied. For loading a stored selection: does not check the mode
 * combination (call selection_validate afterwards). 0, -EINVAL (invalid
 * name or mode), -ENOMEM. */
int selection_set_rule(struct selection *s, const char *schema, const char *table,
		       enum sel_mode mode);

/* Build from CLI lists: --include X / --exclude X, X = "schema" or
 * "schema.table" (split at the first '.'; empty parts and a '.' in the table
 * name are rejected).
 *   no --include          -> catalog Full;  any --include -> catalog Partial
 *   --include s           -> schema s Full
 *   --include s.t         -> schema s Partial + table s.t Full (an error if s
 *                            is also included whole)
 *   --exclude s           -> schema s Exclude (only under a Full catalog)
 *   --exclude s.t         -> table s.t Exclude (only under a Full schema)
 * Duplicates are collapsed; including and excluding the same object is an
 * error. The result is validated. *out must not hold a live selection. */
int selection_from_lists(const char *const *includes, size_t ninc, const char *const *excludes,
			 size_t nexc, struct selection *out, char **err);

/* Edit *cur into *out (cur itself is not modified; cur may equal out only
 * if the caller frees the old one after success - better use a separate
 * variable). Order: `all` resets to catalog Full with no rules; then each
 * `unlist` name removes the rule for that object (a schema name also removes
 * its tables' rules; a name that has no rule is an error) and Partial
 * schemas left with no included table are dropped; then includes and
 * excludes are applied as in selection_from_lists (any include makes the
 * catalog Partial; a new rule replaces the rule for the same object; an
 * include of s.t keeps an existing Partial schema s and turns an unlisted
 * or excluded s into Partial). The result is validated. On error *out is
 * untouched. */
int selection_edit(const struct selection *cur, const char *const *includes, size_t ninc,
		   const char *const *excludes, size_t nexc, const char *const *unlist, size_t nunl,
		   bool all, struct selection *out, char **err);

/* 0 when the selection obeys the rules above, else -EINVAL (+ *err). */
int selection_validate(const struct selection *s, char **err);

/* Whether table schema.table is mirrored. When false, *why (if why is not
 * NULL) is one of these static strings:
 *   "schema excluded by selection"
 *   "table excluded by selection"
 *   "not selected: the catalog is Partial and this schema is not included"
 *   "not selected: the schema is Partial and this table is not included"
 * (the caller knows the names); when true, *why is NULL. table == NULL asks
 * about the schema: true unless it is excluded or, under a Partial catalog,
 * not listed (a Partial schema counts as selected). */
bool selection_selects(const struct selection *s, const char *schema, const char *table,
		       const char **why);

/* Rules naming objects absent from the catalog listing: schemas[] are schema
 * names, tables[] are "schema.table" names. Each absent object gives one
 * malloc'ed line such as "included table 'sales.gone' does not exist in the
 * catalog (dropped or renamed upstream?)"; a missing schema is reported once
 * (not again for each of its table rules). *lines is a malloc'ed array (NULL
 * when *nlines is 0). 0 or -ENOMEM. */
int selection_missing(const struct selection *s, const char *const *schemas, size_t nschemas,
		      const char *const *tables, size_t ntables, char ***lines, size_t *nlines);
/* Frees what selection_missing returned. */
void selection_lines_free(char **lines, size_t n);

/* Human summary for `ucfs mirror show`, one line per rule, '\n'-terminated:
 *   catalog: Partial
 *     schema sales: Full
 *       table sales.tmp: Exclude
 *     schema web: Partial
 *       table web.events: Full
 * A table rule whose schema has no rule of its own gets a
 * "  schema s: Full (catalog default)" line above it. NULL on ENOMEM. */
char *selection_describe(const struct selection *s);

#endif
