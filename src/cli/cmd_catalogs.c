/*
 * cmd_catalogs.c - `ucfs catalogs` and `ucfs browse`: what the identity can
 * see, and what a mirror of it would show (the "choose tables" step).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "core/catalog_sync.h"
#include "core/tablefilter.h"
#include "util/names.h"
#include "util/strutil.h"
#include "util/suggest.h"

static const char *or_dash(const char *s) { return str_empty(s) ? "-" : s; }

/* One row of the human listings: the cells are remote text, printed escaped. */
static void print_row(FILE *out, int w1, const char *c1, int w2, const char *c2, int w3,
		      const char *c3, const char *c4)
{
	char *e[4] = {name_escape(c1), name_escape(c2), name_escape(c3), name_escape(c4)};
	if (w3 < 0)
		fprintf(out, "%-*s %-*s %s\n", w1, e[0] ? e[0] : "?", w2, e[1] ? e[1] : "?",
			e[2] ? e[2] : "?");
	else
		fprintf(out, "%-*s %-*s %-*s %s\n", w1, e[0] ? e[0] : "?", w2,
			e[1] ? e[1] : "?", w3, e[2] ? e[2] : "?", e[3] ? e[3] : "?");
	for (int i = 0; i < 4; i++)
		free(e[i]);
}

static int print_json(cJSON *root)
{
	char *s = root ? cJSON_Print(root) : NULL;
	cJSON_Delete(root);
	if (!s)
		return cli_fail("out of memory");
	puts(s);
	free(s);
	return 0;
}

static int report_uc_error(const struct uc_error *e, const char *what)
{
	char *m = uc_error_describe(e, what);
	cli_fail("%s", m ? m : "request failed");
	free(m);
	return 1;
}

struct conn_flags {
	const char *host, *profile;
	bool json;
};

/* Parse the flags shared by catalogs/browse. Returns -1 to go on, else an
 * exit status. */
static int parse_flags(int argc, char **argv, const char *cmd, const char *help,
		       struct conn_flags *f, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"host", required_argument, NULL, 'H'},
		{"profile", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "hp:v", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'H': f->host = optarg; break;
		case 'p': f->profile = optarg; break;
		case 'j': f->json = true; break;
		case 'h': fputs(help, stdout); return 0;
		default: return cli_usage_error(cmd, "invalid option");
		}
	}
	return -1;
}

int cmd_catalogs(int argc, char **argv, struct global_opts *g)
{
	static const char help[] =
		"usage: ucfs catalogs [--host URL] [--profile NAME] [--json]\n"
		"\n"
		"List the Unity Catalog catalogs the connecting identity can see.\n"
		"\n"
		"  --host URL       workspace or server URL (else DATABRICKS_HOST or the profile)\n"
		"  -p, --profile N  profile in ~/.databrickscfg (or DATABRICKS_CONFIG_FILE)\n"
		"  --json           machine-readable output\n";
	struct conn_flags f = {0};
	int r = parse_flags(argc, argv, "catalogs", help, &f, g);
	if (r >= 0)
		return r;
	if (optind < argc)
		return cli_usage_error("catalogs", "unexpected argument '%s'", argv[optind]);

	struct ucfs_conn conn;
	struct uc_client *uc;
	if (cli_connect(f.host, f.profile, &conn, &uc))
		return 1;
	struct uc_catalog_list cats = {0};
	struct uc_error e = {0};
	if (uc_list_catalogs(uc, &cats, &e)) {
		r = report_uc_error(&e, "catalogs");
		goto out;
	}
	if (f.json) {
		cJSON *arr = cJSON_CreateArray();
		for (size_t i = 0; arr && i < cats.n; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", cats.items[i].name);
			if (cats.items[i].catalog_type)
				cJSON_AddStringToObject(o, "catalog_type", cats.items[i].catalog_type);
			if (cats.items[i].comment)
				cJSON_AddStringToObject(o, "comment", cats.items[i].comment);
			char *why = catalog_skip_reason(cats.items[i].catalog_type);
			cJSON_AddBoolToObject(o, "mirrorable", why == NULL);
			if (why)
				cJSON_AddStringToObject(o, "skip_reason", why);
			free(why);
			cJSON_AddItemToArray(arr, o);
		}
		r = print_json(arr);
	} else {
		printf("%-32s %-20s %s\n", "CATALOG", "TYPE", "COMMENT");
		for (size_t i = 0; i < cats.n; i++)
			print_row(stdout, 32, cats.items[i].name, 20,
				  or_dash(cats.items[i].catalog_type), -1,
				  or_dash(cats.items[i].comment), NULL);
		r = 0;
	}
out:
	uc_catalog_list_free(&cats);
	uc_error_clear(&e);
	uc_client_free(uc);
	conn_free(&conn);
	return r;
}

static cJSON *table_json(const struct uc_table *t, const char *reason)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "name", t->name);
	cJSON_AddStringToObject(o, "full_name", t->full_name);
	cJSON_AddStringToObject(o, "table_type", t->table_type ? t->table_type : "");
	cJSON_AddStringToObject(o, "data_source_format",
				t->data_source_format ? t->data_source_format : "");
	if (t->storage_location)
		cJSON_AddStringToObject(o, "storage_location", t->storage_location);
	cJSON_AddBoolToObject(o, "mirrored", reason == NULL);
	if (reason)
		cJSON_AddStringToObject(o, "skip_reason", reason);
	return o;
}

static char *reason_of(const struct uc_table *t)
{
	bool oom;
	const char *bad = name_entry_problem(t->name);
	return bad ? xasprintf("its name %s", bad) : uc_table_unsupported_reason(t, &oom);
}

/* `browse CATALOG.SCHEMA` of a schema that does not exist: the nearest one. */
static void suggest_schema(struct uc_client *uc, const char *catalog, const char *schema)
{
	struct uc_schema_list l = {0};
	struct uc_error e = {0};
	const char **names = NULL;
	if (uc_list_schemas(uc, catalog, &l, &e) == 0 &&
	    (names = calloc(l.n ? l.n : 1, sizeof(*names)))) {
		for (size_t i = 0; i < l.n; i++)
			names[i] = l.items[i].name;
		const char *best = suggest_best(schema, names, l.n);
		if (best) {
			fputs("ucfs: note: did you mean 'ucfs browse ", stderr);
			cli_put_escaped(stderr, catalog);
			fputc('.', stderr);
			cli_put_escaped(stderr, best);
			fputs("'?\n", stderr);
		}
	}
	free(names);
	uc_schema_list_free(&l);
	uc_error_clear(&e);
}

int cmd_browse(int argc, char **argv, struct global_opts *g)
{
	static const char help[] =
		"usage: ucfs browse CATALOG[.SCHEMA] [--host URL] [--profile NAME] [--json]\n"
		"\n"
		"List the schemas and tables of a catalog (or of one schema) with their type\n"
		"and format, and whether a mirror would show them (or why not).\n"
		"\n"
		"  --host URL       workspace or server URL\n"
		"  -p, --profile N  profile in ~/.databrickscfg\n"
		"  --json           machine-readable output\n";
	struct conn_flags f = {0};
	int r = parse_flags(argc, argv, "browse", help, &f, g);
	if (r >= 0)
		return r;
	if (optind != argc - 1)
		return cli_usage_error("browse", "expected one CATALOG[.SCHEMA] argument");
	char *catalog = xstrdup(argv[optind]);
	if (!catalog)
		return cli_fail("out of memory");
	char *schema = strchr(catalog, '.');
	if (schema)
		*schema++ = '\0';
	if (!*catalog || (schema && (!*schema || strchr(schema, '.')))) {
		free(catalog);
		return cli_usage_error("browse", "expected CATALOG or CATALOG.SCHEMA, got '%s'",
				       argv[optind]);
	}

	struct ucfs_conn conn;
	struct uc_client *uc;
	if (cli_connect(f.host, f.profile, &conn, &uc)) {
		free(catalog);
		return 1;
	}
	struct uc_error e = {0};
	struct uc_catalog cat = {0};
	struct uc_schema_list schemas = {0};
	cJSON *root = f.json ? cJSON_CreateObject() : NULL, *jschemas = NULL;
	/* The human listing is written here and printed only once it is complete:
	 * a failure half-way prints nothing on stdout, only the error. */
	FILE *out = NULL;
	char *text = NULL;
	size_t textlen = 0;
	char *what = xasprintf("catalog '%s'", catalog);
	if (uc_get_catalog(uc, catalog, &cat, &e)) {
		r = report_uc_error(&e, what);
		goto out;
	}
	if (schema) {
		schemas.items = calloc(1, sizeof(*schemas.items));
		if (!schemas.items || !(schemas.items[0].name = xstrdup(schema))) {
			r = cli_fail("out of memory");
			goto out;
		}
		schemas.n = 1;
	} else if (uc_list_schemas(uc, catalog, &schemas, &e)) {
		r = report_uc_error(&e, what);
		goto out;
	}
	if (root) {
		cJSON_AddStringToObject(root, "catalog", catalog);
		jschemas = cJSON_AddArrayToObject(root, "schemas");
	} else if (!(out = open_memstream(&text, &textlen))) {
		r = cli_fail("out of memory");
		goto out;
	} else {
		fprintf(out, "%-48s %-18s %-10s %s\n", "TABLE", "TYPE", "FORMAT", "MIRROR");
	}
	r = 0;
	for (size_t s = 0; s < schemas.n; s++) {
		struct uc_table_list tl = {0};
		const char *bad = name_entry_problem(schemas.items[s].name);
		if (bad) { /* a mirror skips it: its tables are not asked for either */
			char *why = xasprintf("skipped schema: its name %s", bad);
			if (root) {
				cJSON *js = cJSON_CreateObject();
				cJSON_AddStringToObject(js, "name", schemas.items[s].name);
				cJSON_AddStringToObject(js, "skip_reason", why ? why : "unusable name");
				cJSON_AddArrayToObject(js, "tables");
				cJSON_AddItemToArray(jschemas, js);
			} else {
				print_row(out, 48, schemas.items[s].name, 18, "-", 10, "-",
					  why ? why : "?");
			}
			free(why);
			continue;
		}
		char *swhat = xasprintf("schema '%s.%s'", catalog, schemas.items[s].name);
		if (uc_list_tables(uc, catalog, schemas.items[s].name, &tl, &e)) {
			r = report_uc_error(&e, swhat);
			free(swhat);
			if (schema && e.http_status == 404)
				suggest_schema(uc, catalog, schema);
			goto out;
		}
		free(swhat);
		cJSON *js = NULL, *jt = NULL;
		if (root) {
			js = cJSON_CreateObject();
			cJSON_AddStringToObject(js, "name", schemas.items[s].name);
			jt = cJSON_AddArrayToObject(js, "tables");
			cJSON_AddItemToArray(jschemas, js);
		} else if (tl.n == 0) {
			print_row(out, 48, schemas.items[s].name, 18, "-", 10, "-",
				  "(empty schema: not shown in a mirror)");
		}
		for (size_t i = 0; i < tl.n; i++) {
			struct uc_table *t = &tl.items[i];
			char *why = reason_of(t);
			if (root) {
				cJSON_AddItemToArray(jt, table_json(t, why));
			} else {
				char *name = xasprintf("%s.%s", schemas.items[s].name, t->name);
				char *mirror = why ? xasprintf("skipped: %s", why) : NULL;
				print_row(out, 48, name ? name : "?", 18, or_dash(t->table_type), 10,
					  or_dash(t->data_source_format), why ? (mirror ? mirror : why)
									      : "yes");
				free(name);
				free(mirror);
			}
			free(why);
		}
		uc_table_list_free(&tl);
	}
	if (root) {
		r = print_json(root);
		root = NULL;
	} else if (fclose(out) == 0) {
		out = NULL;
		fwrite(text, 1, textlen, stdout);
	} else {
		out = NULL;
		r = cli_fail("out of memory");
	}
out:
	if (out)
		fclose(out);
	free(text);
	cJSON_Delete(root);
	free(what);
	free(catalog);
	uc_catalog_free(&cat);
	uc_schema_list_free(&schemas);
	uc_error_clear(&e);
	uc_client_free(uc);
	conn_free(&conn);
	return r;
}
