/*
 * cmd_mirror.c - `ucfs mirror create|list|rm`: mirrored items in the state
 * database. create checks the catalog and reads its structure first, so a
 * bad catalog, host or token leaves no state behind.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "core/catalog_sync.h"
#include "core/tablefilter.h"
#include "core/view.h"
#include "storage/localpath.h"
#include "core/status.h"
#include "util/names.h"
#include "util/strutil.h"

static const char mirror_help[] =
	"usage: ucfs mirror create [NAME] --catalog CATALOG [--host URL] [--profile P]\n"
	"                          [--include S[.T]]... [--exclude S[.T]]...\n"
	"                          [--description TEXT] [--auto-sync on|off]\n"
	"                          [--allow-local DIR]... [--owner U] [--group G] [--mode M]\n"
	"                          [--volumes]\n"
	"       ucfs mirror edit NAME [--rename NEW] [--description TEXT] [--auto-sync on|off]\n"
	"                          [--include S[.T]]... [--exclude S[.T]]... [--unlist S[.T]]...\n"
	"                          [--all] [--allow-local DIR]... [--disallow-local DIR]...\n"
	"                          [--owner U] [--group G] [--mode M] [--volumes|--no-volumes]\n"
	"       ucfs mirror show NAME [--json]\n"
	"       ucfs mirror list [--json]\n"
	"       ucfs mirror rm NAME\n"
	"\n"
	"A mirrored item is one Unity Catalog catalog presented under\n"
	"MOUNTPOINT/NAME/<schema>/<table>. NAME defaults to the catalog name and must be\n"
	"unique (among items and lakehouses). create reads the catalog's structure right\n"
	"away; the connection (host and profile name, never a secret) is remembered.\n"
	"\n"
	"Selection (Fabric's modes): without --include the catalog is Full (everything\n"
	"but exclusions; new schemas and tables are picked up); with --include it is\n"
	"Partial (only what is listed). --include S makes schema S Full, --include S.T\n"
	"includes one table (schema S Partial). --exclude S / S.T is allowed only inside\n"
	"a Full scope. edit adds rules; --unlist drops the rule naming an object; --all\n"
	"starts again from the whole catalog. Edits are refused while a sync runs.\n"
	"\n"
	"Volumes: with --volumes the catalog's volumes are mirrored too, read-only, at\n"
	"MOUNTPOINT/Volumes/CATALOG/<schema>/<volume>/ (the /Volumes paths of Databricks\n"
	"code; link /Volumes there). The selection rules apply to them as to tables\n"
	"(--include S.V, --exclude S.V). edit --volumes takes effect at the next sync\n"
	"(ucfs sync NAME, or a mount's); --no-volumes drops them at once.\n"
	"\n"
	"Local storage: a table stored at file://PATH is served only when PATH is at or\n"
	"below a directory allowed with --allow-local DIR (repeatable; its real path is\n"
	"kept; --disallow-local DIR removes one). Other local tables are skipped, with\n"
	"the reason in 'ucfs status --tables'. Nothing outside a table's directory is\n"
	"served: symlinks leading out of it are left out.\n"
	"\n"
	"Access: with 'ucfs mount -o allow_other' other users may enter the item as its\n"
	"--owner USER, --group GROUP and --mode OCTAL say (defaults: the mounting user,\n"
	"its group, 0700; 'default' restores one). Files below it are 0444 and\n"
	"directories 0555, masked by the mode. A running mount follows edits.\n"
	"\n"
	"Options (all subcommands): --state PATH, -v\n";

/* Selection rules naming objects the catalog no longer has. */
static void print_issues(const char *issues_json)
{
	cJSON *a = issues_json ? cJSON_Parse(issues_json) : NULL;
	cJSON *x;
	cJSON_ArrayForEach(x, a)
		if (cJSON_IsString(x))
			fprintf(stderr, "ucfs: warning: %s\n", x->valuestring);
	cJSON_Delete(a);
}

/* Tell the operator which selected local tables are not served, and why. */
static void print_local_skips(const struct table_row *rows, size_t n,
			      const struct selection *sel, const char *item)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const struct table_row *r = &rows[i];
		const char *why;
		if (r->unsupported_reason || !r->skip_reason || !r->location ||
		    strncasecmp(r->location, "file:", 5) != 0 ||
		    !selection_selects(sel, r->schema_name, r->name, &why))
			continue;
		if (k++ < 5)
			fprintf(stderr, "ucfs: warning: %s.%s: %s\n", r->schema_name, r->name,
				r->skip_reason);
	}
	if (k > 5)
		fprintf(stderr, "ucfs: warning: ... and %zu more local tables not served "
			"(ucfs status %s --tables)\n", k - 5, item);
}

struct create_args {
	const char *name, *catalog, *host, *profile, *desc;
	bool auto_sync;
	const struct selection *sel;
	const char *const *inc, *const *exc; /* the --include / --exclude values */
	size_t ninc, nexc;
	char **roots;
	size_t nroots;
	struct access acc;
	bool volumes;
};

/* An item or lakehouse NAME exists in the open state: error (1), else 0. */
static int name_taken_in(struct state *st, const char *name, const char *catalog)
{
	struct item existing;
	if (state_item_get(st, name, &existing) != 0)
		return 0;
	item_clear(&existing);
	return cli_fail("a mirrored item named '%s' already exists: choose another name "
			"(ucfs mirror create NAME --catalog %s) or remove it (ucfs mirror rm %s)",
			name, catalog, name);
}

/* The same before reading the catalog, when a state database exists already
 * (none is created here). */
static int name_taken(const struct global_opts *g, const char *name, const char *catalog)
{
	const char *path = g->state_path ? g->state_path : getenv("UCFS_STATE");
	struct state *st = NULL;
	char *err = NULL;
	int r = 0;
	if (state_open(str_empty(path) ? NULL : path, false, &st, &err) == 0)
		r = name_taken_in(st, name, catalog);
	free(err); /* a missing or unreadable database is reported when creating it */
	state_close(st);
	return r;
}

static int create_item(struct global_opts *g, const struct create_args *a)
{
	const char *name = a->name, *catalog = a->catalog;
	struct state *st = NULL;
	if (name_taken(g, name, catalog))
		return 1;
	struct ucfs_conn conn;
	struct uc_client *uc;
	if (cli_connect(a->host, a->profile, &conn, &uc))
		return 1;
	struct catalog_listing l = {0};
	struct uc_error e = {0};
	struct sync_result res;
	char *issues = NULL, *err = NULL;
	int r = catalog_fetch(uc, catalog, a->volumes, NULL, name, &l, &e);
	if (r) {
		char *what = xasprintf("catalog '%s'", catalog);
		char *m = uc_error_describe(&e, what);
		r = cli_fail("cannot create mirrored item '%s': %s", name, m ? m : strerror(-r));
		free(m);
		free(what);
		goto out;
	}
	if (cli_check_patterns(catalog, a->inc, a->ninc, a->exc, a->nexc, &l)) {
		r = cli_fail("mirrored item '%s' not created: every --include and --exclude must "
			     "name a schema or table of catalog '%s' (see 'ucfs browse %s')", name,
			     catalog, catalog);
		goto out;
	}
	/* The state database is created only now that there is an item to store. */
	if ((r = cli_open_state(g, true, &st)))
		goto out;
	if ((r = name_taken_in(st, name, catalog)))
		goto out;
	struct local_policy lp = {.item = name, .roots = (const char *const *)a->roots,
				  .n = a->nroots};
	if (catalog_prepare(&l, a->sel, &lp, &res, &issues)) {
		r = cli_fail("out of memory");
		goto out;
	}
	struct item it = {
		.name = (char *)name,
		.catalog = (char *)catalog,
		.host = conn.host,
		.profile = conn.profile,
		.description = (char *)a->desc,
		.auto_sync = a->auto_sync,
		.created_at = (int64_t)time(NULL),
		.last_sync_at = (int64_t)time(NULL),
		.sync_status = "Success",
		.selection_issues = issues,
		.skipped_names = l.skipped_json,
		.allow_local = a->roots,
		.n_allow_local = a->nroots,
		.acc = a->acc,
		.volumes = a->volumes,
	};
	if (state_item_create(st, &it, a->sel, l.rows, l.n, &err)) {
		r = cli_fail("%s", err ? err : "cannot store the mirrored item");
		free(err);
		goto out;
	}
	printf("created mirrored item '%s' for catalog '%s' at %s: %zu tables mirrored, "
	       "%zu skipped", name, catalog, conn.host, res.mirrored, res.skipped);
	if (a->volumes)
		printf("; %zu volumes mirrored, %zu skipped", res.volumes_mirrored,
		       res.volumes_skipped);
	putchar('\n');
	print_local_skips(l.rows, l.n, a->sel, name);
	print_issues(issues);
	cli_print_skipped(stderr, "ucfs: warning: ", l.skipped_json);
	r = 0;
out:
	free(issues);
	catalog_listing_free(&l);
	uc_error_clear(&e);
	uc_client_free(uc);
	conn_free(&conn);
	state_close(st);
	return r;
}

/* Repeatable --include/--exclude/--unlist values. */
struct strlist {
	const char **v;
	size_t n;
};

static int strlist_add(struct strlist *l, const char *s)
{
	const char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	v[l->n++] = s;
	l->v = v;
	return 0;
}

/* Append s (owned) to the array *v of *n strings. */
static int roots_push(char ***v, size_t *n, char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(s);
		return cli_fail("out of memory");
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

/* --allow-local DIR, kept as its real path. */
static int roots_add(char ***v, size_t *n, const char *dir)
{
	char *real;
	int r = cli_local_root("mirror", dir, &real);
	return r ? r : roots_push(v, n, real);
}

static void roots_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* --disallow-local DIR: the root as stored (its real path when it still
 * exists, else its normal form). */
static int roots_rm(char ***v, size_t *n, const char *dir)
{
	char real[PATH_MAX], *norm = NULL;
	if (realpath(dir, real))
		dir = real;
	if (localpath_normalise(dir, &norm))
		return cli_usage_error("mirror", "--disallow-local %s: give the absolute path "
					       "'ucfs mirror show' lists", dir);
	return roots_push(v, n, norm);
}

static int parse_on_off(const char *v, bool *out)
{
	if (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int check_name(const char *name)
{
	const char *why = name ? name_entry_problem(name) : "is empty";
	if (!why)
		return 0;
	char *shown = name_escape(name);
	int r = cli_usage_error("mirror", "invalid item name '%s': it becomes a directory name, "
				"and it %s", shown ? shown : "?", why);
	free(shown);
	return r;
}

static int check_description(const char *desc)
{
	size_t chars = 0; /* UTF-8 characters: bytes that don't continue one */
	for (const char *p = desc; p && *p; p++)
		chars += ((unsigned char)*p & 0xC0) != 0x80;
	if (chars > 256)
		return cli_usage_error("mirror", "description is %zu characters; at most 256", chars);
	return 0;
}

static int mirror_create(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"catalog", required_argument, NULL, 'c'},
		{"host", required_argument, NULL, 'H'},
		{"profile", required_argument, NULL, 'p'},
		{"description", required_argument, NULL, 'D'},
		{"include", required_argument, NULL, 'i'},
		{"exclude", required_argument, NULL, 'x'},
		{"auto-sync", required_argument, NULL, 'A'},
		{"no-auto-sync", no_argument, NULL, 'N'},
		{"allow-local", required_argument, NULL, 'L'},
		{"volumes", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		CLI_ACCESS_LONGOPTS,
		{0},
	};
	const char *catalog = NULL, *host = NULL, *profile = NULL, *desc = NULL;
	struct strlist inc = {0}, exc = {0};
	bool auto_sync = true, volumes = false;
	char **roots = NULL;
	size_t nroots = 0;
	struct access acc = {-1, -1, -1};
	int opt, r = 0;
	while ((opt = getopt_long(argc, argv, "c:p:i:x:hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'c': catalog = optarg; break;
		case 'H': host = optarg; break;
		case 'p': profile = optarg; break;
		case 'D': desc = optarg; break;
		case 'i': r = strlist_add(&inc, optarg); break;
		case 'x': r = strlist_add(&exc, optarg); break;
		case 'N': auto_sync = false; break;
		case 'A':
			if (parse_on_off(optarg, &auto_sync))
				r = cli_usage_error("mirror", "--auto-sync takes on or off, not '%s'", optarg);
			break;
		case 'L': r = roots_add(&roots, &nroots, optarg); break;
		case 'V': volumes = true; break;
		case CLI_OPT_OWNER:
		case CLI_OPT_GROUP:
		case CLI_OPT_MODE: r = cli_access_opt("mirror", opt, optarg, &acc); break;
		case 'h': fputs(mirror_help, stdout); goto done;
		default: r = cli_usage_error("mirror", "invalid option"); goto done;
		}
		if (r)
			goto done;
	}
	const char *name = optind < argc ? argv[optind] : catalog;
	if (!catalog)
		r = cli_usage_error("mirror", "mirror create needs --catalog CATALOG");
	else if (optind < argc - 1)
		r = cli_usage_error("mirror", "unexpected argument '%s'", argv[optind + 1]);
	else
		r = check_name(name) ? EXIT_USAGE : check_description(desc);
	if (r)
		goto done;
	struct selection sel;
	char *err = NULL;
	if (selection_from_lists(inc.v, inc.n, exc.v, exc.n, &sel, &err)) {
		r = cli_usage_error("mirror", "%s", err ? err : "invalid selection");
		free(err);
		goto done;
	}
	struct create_args a = {.name = name, .catalog = catalog, .host = host,
				.profile = profile, .desc = desc, .auto_sync = auto_sync,
				.sel = &sel, .inc = inc.v, .ninc = inc.n, .exc = exc.v, .nexc = exc.n,
				.roots = roots, .nroots = nroots, .acc = acc, .volumes = volumes};
	r = create_item(g, &a);
	selection_free(&sel);
done:
	free(inc.v);
	free(exc.v);
	roots_free(roots, nroots);
	return r;
}

/* The item's roots after an edit: current + add - rm (pointers, not copies). */
static const char **edited_roots(const struct item *it, char **add, size_t nadd, char **rm,
				 size_t nrm, size_t *n)
{
	const char **v = calloc(it->n_allow_local + nadd + 1, sizeof(*v));
	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < it->n_allow_local + nadd; i++) {
		const char *r = i < it->n_allow_local ? it->allow_local[i]
						     : add[i - it->n_allow_local];
		bool drop = false;
		for (size_t k = 0; k < nrm && !drop; k++)
			drop = !strcmp(rm[k], r);
		for (size_t k = 0; k < *n && !drop; k++)
			drop = !strcmp(v[k], r);
		if (!drop)
			v[(*n)++] = r;
	}
	return v;
}

/* Free the volume rows of ROWS[0..n), keeping the others in order; the
 * new count. */
static size_t drop_volumes(struct table_row *rows, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].volume)
			table_row_clear(&rows[i]);
		else
			rows[k++] = rows[i];
	}
	return k;
}

static int mirror_edit(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"rename", required_argument, NULL, 'r'},
		{"description", required_argument, NULL, 'D'},
		{"include", required_argument, NULL, 'i'},
		{"exclude", required_argument, NULL, 'x'},
		{"unlist", required_argument, NULL, 'u'},
		{"all", no_argument, NULL, 'a'},
		{"auto-sync", required_argument, NULL, 'A'},
		{"allow-local", required_argument, NULL, 'L'},
		{"disallow-local", required_argument, NULL, 'R'},
		{"volumes", no_argument, NULL, 'V'},
		{"no-volumes", no_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		CLI_ACCESS_LONGOPTS,
		{0},
	};
	struct strlist inc = {0}, exc = {0}, unl = {0};
	struct item_update u = {.auto_sync = -1, .volumes = -1};
	struct access acc = {-1, -1, -1};
	char **add = NULL, **rm = NULL;
	size_t nadd = 0, nrm = 0;
	bool all = false, on;
	int opt, r = 0;
	while ((opt = getopt_long(argc, argv, "i:x:hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'r': u.new_name = optarg; break;
		case 'D': u.description = optarg; break;
		case 'i': r = strlist_add(&inc, optarg); break;
		case 'x': r = strlist_add(&exc, optarg); break;
		case 'u': r = strlist_add(&unl, optarg); break;
		case 'a': all = true; break;
		case 'A':
			if (parse_on_off(optarg, &on))
				r = cli_usage_error("mirror", "--auto-sync takes on or off, not '%s'", optarg);
			u.auto_sync = on;
			break;
		case 'L': r = roots_add(&add, &nadd, optarg); break;
		case 'R': r = roots_rm(&rm, &nrm, optarg); break;
		case 'V':
		case 'W':
			if (u.volumes >= 0 && u.volumes != (opt == 'V'))
				r = cli_usage_error("mirror", "give --volumes or --no-volumes, not both");
			u.volumes = opt == 'V';
			break;
		case CLI_OPT_OWNER:
		case CLI_OPT_GROUP:
		case CLI_OPT_MODE: r = cli_access_opt("mirror", opt, optarg, &acc); break;
		case 'h': fputs(mirror_help, stdout); goto done;
		default: r = cli_usage_error("mirror", "invalid option"); goto done;
		}
		if (r)
			goto done;
	}
	if (optind != argc - 1) {
		r = cli_usage_error("mirror", "mirror edit needs exactly one NAME");
		goto done;
	}
	const char *name = argv[optind];
	bool edit_sel = inc.n || exc.n || unl.n || all, edit_roots = nadd || nrm;
	bool edit_acc = acc.uid != -1 || acc.gid != -1 || acc.mode != -1;
	u.acc = edit_acc ? &acc : NULL;
	if (!edit_sel && !edit_roots && !edit_acc && !u.new_name && !u.description &&
	    u.auto_sync < 0 && u.volumes < 0) {
		r = cli_usage_error("mirror", "nothing to change: give --rename, --description, "
					      "--auto-sync, --allow-local, --disallow-local, --owner, "
					      "--group, --mode, --volumes, --no-volumes or selection "
					      "options");
		goto done;
	}
	if ((u.new_name && check_name(u.new_name)) || check_description(u.description)) {
		r = EXIT_USAGE;
		goto done;
	}
	struct state *st;
	if (cli_open_state(g, false, &st)) {
		r = 1;
		goto done;
	}
	struct item it;
	struct selection cur, next;
	struct table_row *rows = NULL;
	const char **roots = NULL;
	size_t n = 0, nroots = 0, shown = 0;
	char *err = NULL;
	selection_init(&cur);
	selection_init(&next);
	if (state_item_get(st, name, &it)) {
		r = cli_fail("no mirrored item named '%s' (see 'ucfs mirror list')", name);
		goto close;
	}
	bool edit_rows = edit_sel || edit_roots || u.volumes == 0;
	if (edit_rows) {
		/* Tables are evaluated again: selection, then where they are stored. */
		if (state_selection_get(st, it.id, &cur) || state_tables_list(st, it.id, &rows, &n)) {
			r = cli_fail("cannot read the selection of '%s'", name);
			goto close;
		}
		if (u.volumes == 0)
			n = drop_volumes(rows, n);
		if (u.volumes >= 0)
			it.volumes = u.volumes;
		if (edit_sel &&
		    selection_edit(&cur, inc.v, inc.n, exc.v, exc.n, unl.v, unl.n, all, &next, &err)) {
			r = cli_usage_error("mirror", "%s", err ? err : "invalid selection");
			goto close;
		}
		int bad = inc.n || exc.n ? cli_check_patterns_item(&it, rows, n, inc.v, inc.n,
								    exc.v, exc.n) : 0;
		if (bad) {
			r = bad < 0 ? 1
				    : cli_fail("mirrored item '%s' not changed: every --include and "
					       "--exclude must name a schema or table of catalog "
					       "'%s' (see 'ucfs browse %s')", name, it.catalog,
					       it.catalog);
			goto close;
		}
		roots = edited_roots(&it, add, nadd, rm, nrm, &nroots);
		struct local_policy lp = {.item = u.new_name ? u.new_name : name, .roots = roots,
					  .n = nroots};
		if (!roots || rows_apply_selection(rows, n, edit_sel ? &next : &cur, &lp) ||
		    rows_read_versions(rows, n, &lp)) {
			r = cli_fail("out of memory");
			goto close;
		}
		u.selection = edit_sel ? &next : NULL;
		u.rows = rows;
		u.nrows = n;
	}
	u.allow_add = (const char *const *)add;
	u.n_allow_add = nadd;
	u.allow_remove = (const char *const *)rm;
	u.n_allow_remove = nrm;
	if (state_item_update(st, name, &u, &err)) {
		r = cli_fail("%s", err ? err : "cannot update the mirrored item");
		goto close;
	}
	printf("updated mirrored item '%s'", u.new_name ? u.new_name : name);
	if (edit_rows) {
		size_t tables = 0, vols = 0, vshown = 0;
		for (size_t i = 0; i < n; i++) {
			*(rows[i].volume ? &vols : &tables) += 1;
			*(rows[i].volume ? &vshown : &shown) += rows[i].skip_reason == NULL;
		}
		char *d = edit_sel ? selection_describe(&next) : NULL;
		printf(": %zu tables mirrored, %zu skipped", shown, tables - shown);
		if (it.volumes)
			printf("; %zu volumes mirrored, %zu skipped", vshown, vols - vshown);
		printf("\n%s", d ? d : "");
		free(d);
		print_local_skips(rows, n, edit_sel ? &next : &cur, u.new_name ? u.new_name : name);
	} else {
		putchar('\n');
	}
	if (u.volumes > 0)
		printf("volumes of catalog '%s' are listed at the next sync: run 'ucfs sync %s' "
		       "(a mount shows them within a second of it)\n", it.catalog,
		       u.new_name ? u.new_name : name);
close:
	free(err);
	free(roots);
	table_rows_free(rows, n);
	selection_free(&cur);
	selection_free(&next);
	item_clear(&it);
	state_close(st);
done:
	free(inc.v);
	free(exc.v);
	free(unl.v);
	roots_free(add, nadd);
	roots_free(rm, nrm);
	return r;
}

static int mirror_show(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	bool json = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'j': json = true; break;
		case 'h': fputs(mirror_help, stdout); return 0;
		default: return cli_usage_error("mirror", "invalid option");
		}
	}
	if (optind != argc - 1)
		return cli_usage_error("mirror", "mirror show needs exactly one NAME");
	struct state *st;
	if (cli_open_state(g, false, &st))
		return 1;
	struct mount_view v;
	int r = view_load(st, &v);
	state_close(st);
	if (r)
		return cli_fail("cannot read the state: %s", strerror(-r));
	const struct view_item *vi = NULL;
	for (size_t i = 0; i < v.nitems; i++)
		if (!strcmp(v.items[i].it.name, argv[optind]))
			vi = &v.items[i];
	if (!vi) {
		view_free(&v);
		return cli_fail("no mirrored item named '%s' (see 'ucfs mirror list')", argv[optind]);
	}
	if (json) {
		cJSON *j = status_item_json(vi, false);
		char *s = cJSON_Print(j);
		if (s)
			puts(s);
		free(s);
		cJSON_Delete(j);
	} else {
		const struct item *it = &vi->it;
		size_t m, sk, f;
		char tb[32];
		view_counts(vi, &m, &sk, &f);
		printf("name:        %s\ncatalog:     %s\nhost:        %s\n", it->name, it->catalog,
		       it->host);
		if (it->profile)
			printf("profile:     %s\n", it->profile);
		if (it->description)
			printf("description: %s\n", it->description);
		printf("auto-sync:   %s\nsync status: %s (last sync %s)\ntables:      %zu "
		       "mirrored, %zu skipped\n", it->auto_sync ? "on" : "off",
		       it->sync_status, cli_time(it->last_sync_at, tb), m, sk);
		if (it->volumes) {
			size_t vm, vs;
			view_volume_counts(vi, &vm, &vs);
			printf("volumes:     %zu mirrored, %zu skipped (MOUNTPOINT/Volumes/%s)\n", vm,
			       vs, it->catalog);
		} else {
			printf("volumes:     not mirrored (mirror edit %s --volumes)\n", it->name);
		}
		cli_print_access(&it->acc, "item");
		printf("local roots:%s\n", it->n_allow_local ? "" : " none (file:// tables are not "
		       "served; allow them with --allow-local DIR)");
		for (size_t i = 0; i < it->n_allow_local; i++)
			printf("  %s\n", it->allow_local[i]);
		printf("selection:\n");
		char *d = selection_describe(&vi->sel);
		fputs(d ? d : "", stdout);
		free(d);
		print_issues(it->selection_issues);
	}
	view_free(&v);
	return 0;
}

static int mirror_list(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	bool json = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'j': json = true; break;
		case 'h': fputs(mirror_help, stdout); return 0;
		default: return cli_usage_error("mirror", "invalid option");
		}
	}
	if (optind < argc)
		return cli_usage_error("mirror", "unexpected argument '%s'", argv[optind]);
	struct state *st;
	if (cli_open_state(g, false, &st))
		return 1;
	struct item *items;
	size_t n;
	int r = state_items_list(st, &items, &n);
	if (r) {
		state_close(st);
		return cli_fail("cannot list mirrored items: %s", strerror(-r));
	}
	cJSON *arr = json ? cJSON_CreateArray() : NULL;
	if (!json)
		printf("%-24s %-24s %-8s %-8s %-10s %-19s %s\n", "NAME", "CATALOG", "TABLES",
		       "SKIPPED", "STATUS", "LAST SYNC", "HOST");
	for (size_t i = 0; i < n; i++) {
		struct table_row *rows;
		size_t nr, shown = 0;
		if (state_tables_list(st, items[i].id, &rows, &nr)) {
			rows = NULL;
			nr = 0;
		}
		size_t vols = 0;
		for (size_t k = 0; k < nr; k++) {
			vols += rows[k].volume;
			shown += !rows[k].volume && rows[k].skip_reason == NULL;
		}
		table_rows_free(rows, nr);
		nr -= vols; /* tables only */
		char tb[32];
		if (arr) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", items[i].name);
			cJSON_AddStringToObject(o, "catalog", items[i].catalog);
			cJSON_AddStringToObject(o, "host", items[i].host);
			if (items[i].profile)
				cJSON_AddStringToObject(o, "profile", items[i].profile);
			if (items[i].description)
				cJSON_AddStringToObject(o, "description", items[i].description);
			cJSON_AddBoolToObject(o, "auto_sync", items[i].auto_sync);
			cJSON_AddBoolToObject(o, "volumes", items[i].volumes);
			cJSON_AddNumberToObject(o, "tables_mirrored", (double)shown);
			cJSON_AddNumberToObject(o, "tables_skipped", (double)(nr - shown));
			cJSON_AddStringToObject(o, "sync_status", items[i].sync_status);
			cJSON_AddNumberToObject(o, "last_sync_at", (double)items[i].last_sync_at);
			if (items[i].last_error_message)
				cJSON_AddStringToObject(o, "last_error", items[i].last_error_message);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-24s %-24s %-8zu %-8zu %-10s %-19s %s\n", items[i].name,
			       items[i].catalog, shown, nr - shown, items[i].sync_status,
			       cli_time(items[i].last_sync_at, tb), items[i].host);
		}
	}
	if (arr) {
		char *s = cJSON_Print(arr);
		if (s)
			puts(s);
		free(s);
		cJSON_Delete(arr);
	}
	items_free(items, n);
	state_close(st);
	return 0;
}

static int mirror_rm(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	int opt;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		if (opt == 'h') {
			fputs(mirror_help, stdout);
			return 0;
		}
		return cli_usage_error("mirror", "invalid option");
	}
	if (optind != argc - 1)
		return cli_usage_error("mirror", "mirror rm needs exactly one NAME");
	struct state *st;
	if (cli_open_state(g, false, &st))
		return 1;
	int r = state_item_remove(st, argv[optind]);
	state_close(st);
	if (r == -ENOENT)
		return cli_fail("no mirrored item named '%s' (see 'ucfs mirror list')", argv[optind]);
	if (r)
		return cli_fail("cannot remove mirrored item '%s': %s", argv[optind], strerror(-r));
	printf("removed mirrored item '%s' (a running mount shows it until remounted)\n",
	       argv[optind]);
	return 0;
}

int cmd_mirror(int argc, char **argv, struct global_opts *g)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(mirror_help, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "create"))
		return mirror_create(argc - 1, argv + 1, g);
	if (!strcmp(sub, "edit"))
		return mirror_edit(argc - 1, argv + 1, g);
	if (!strcmp(sub, "show"))
		return mirror_show(argc - 1, argv + 1, g);
	if (!strcmp(sub, "list") || !strcmp(sub, "ls"))
		return mirror_list(argc - 1, argv + 1, g);
	if (!strcmp(sub, "rm") || !strcmp(sub, "remove"))
		return mirror_rm(argc - 1, argv + 1, g);
	static const char *const subs[] = {"create", "edit", "show", "list", "rm", NULL};
	return cli_unknown_sub("mirror", sub, subs);
}
