/*
 * cli.h - shared pieces of the `ucfs` commands (one file per command family,
 * git builtin/ style): global options, connecting to Unity Catalog, opening
 * the state database, printing errors.
 *
 * Contract: commands parse their own flags, call core/uc, print (human or
 * --json) and return an exit status: 0 success, 1 failure, 2 usage error.
 * They print errors as "ucfs: error: <what failed, on what, what to do>".
 */
#ifndef UCFS_CLI_H
#define UCFS_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "core/config.h"
#include "core/state.h"
#include "uc/client.h"

#define EXIT_USAGE 2

struct global_opts {
	const char *state_path; /* --state or $UCFS_STATE, NULL = default */
	int verbose;
};

struct cmd {
	const char *name;
	int (*run)(int argc, char **argv, struct global_opts *g);
	const char *summary;
};

int cmd_catalogs(int argc, char **argv, struct global_opts *g);
int cmd_browse(int argc, char **argv, struct global_opts *g);
int cmd_mirror(int argc, char **argv, struct global_opts *g);
int cmd_mount(int argc, char **argv, struct global_opts *g);
int cmd_umount(int argc, char **argv, struct global_opts *g);
int cmd_sync(int argc, char **argv, struct global_opts *g);
int cmd_status(int argc, char **argv, struct global_opts *g);
int cmd_lakehouse(int argc, char **argv, struct global_opts *g);
int cmd_shortcut(int argc, char **argv, struct global_opts *g);
int cmd_storage(int argc, char **argv, struct global_opts *g);
int cmd_sql(int argc, char **argv, struct global_opts *g);
int cmd_preview(int argc, char **argv, struct global_opts *g);
int cmd_prefetch(int argc, char **argv, struct global_opts *g);
int cmd_cache(int argc, char **argv, struct global_opts *g);
int cmd_auth(int argc, char **argv, struct global_opts *g);
int cmd_auth_login(int argc, char **argv, struct global_opts *g); /* argv[0] = "login" */
int cmd_auth_token(int argc, char **argv, struct global_opts *g); /* argv[0] = "token" */

/* Print "ucfs: error: ..." to stderr (redacted). Returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Usage error: message plus "see 'ucfs CMD --help'". Returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Usage error for an unknown subcommand SUB of CMD, with "did you mean"
 * among the NAMES (NULL-terminated) when one is close. Returns EXIT_USAGE. */
int cli_unknown_sub(const char *cmd, const char *sub, const char *const *names);

/* Resolve connection settings and create a client; prints errors. */
int cli_connect(const char *host, const char *profile, struct ucfs_conn *conn,
		struct uc_client **uc);
/* The host as given (WHAT: "--host" or "DATABRICKS_HOST", RAW: its text, may
 * be NULL) and as resolved (HOST), recorded by cli_connect for
 * cli_host_hint_print (hosthint.c). */
void cli_host_hint_set(const char *what, const char *raw, const char *host);
/* After a TLS handshake failure (cli_fail calls it): print to stderr the
 * scheme ucfs assumed, if it did, and the http:// URL to use when host:port
 * answers plain HTTP (one request, a few seconds at most). Once. */
void cli_host_hint_print(void);
int cli_open_state(const struct global_opts *g, bool create, struct state **st);

/* Handle the options every command shares (--state PATH, -v). Returns true
 * when opt was one of them. */
bool cli_common_opt(int opt, const char *arg, struct global_opts *g);
#define CLI_OPT_STATE 1000
#define CLI_COMMON_LONGOPTS {"state", required_argument, NULL, CLI_OPT_STATE}, \
	{"verbose", no_argument, NULL, 'v'}

/* Print each entry of a skipped_names JSON array (struct item) as
 * "PFXskipped KIND 'NAME': REASON" lines to OUT. Nothing for NULL. */
void cli_print_skipped(FILE *out, const char *pfx, const char *skipped_json);

/* Print S to OUT escaped as util/names.h does (remote text: names, reasons,
 * server messages), never raw. */
void cli_put_escaped(FILE *out, const char *s);
/* --owner, --group, --mode of items and lakehouses (access_opts.c). */
#define CLI_OPT_OWNER 1001
#define CLI_OPT_GROUP 1002
#define CLI_OPT_MODE 1003
#define CLI_ACCESS_LONGOPTS {"owner", required_argument, NULL, CLI_OPT_OWNER}, \
	{"group", required_argument, NULL, CLI_OPT_GROUP}, \
	{"mode", required_argument, NULL, CLI_OPT_MODE}
/* Parse one of them into a (USER|UID, GROUP|GID, octal MODE, or "default"
 * for ACCESS_RESET). Returns 0 or EXIT_USAGE (message printed). */
int cli_access_opt(const char *cmd, int opt, const char *v, struct access *a);
/* --allow-local DIR: the real path of an existing directory other than "/"
 * into *out (malloc'ed). Returns 0 or EXIT_USAGE (message printed). */
int cli_local_root(const char *cmd, const char *dir, char **out);
/* "owner:", "group:" and "mode:" lines of `show` (names looked up). */
void cli_print_access(const struct access *a, const char *what);

/* mirror create: every --include (INC) and --exclude (EXC) value, "schema" or
 * "schema.table", must name a schema or table of the catalog listing L.
 * Prints an error for each that matches nothing, with the nearest name ("did
 * you mean") or the names there are (selcheck.c). Returns 0, or 1 when any
 * matched nothing. */
struct catalog_listing;
int cli_check_patterns(const char *catalog, const char *const *inc, size_t ninc,
		       const char *const *exc, size_t nexc, const struct catalog_listing *l);
/* mirror edit: the same for item IT, first against its N stored ROWS; a name
 * not found there is looked up in Unity Catalog (it may be a schema without
 * tables, or new), and an error when the catalog has it neither. Returns 0,
 * 1 when a name matches nothing, -1 when Unity Catalog could not be asked
 * (both reported). */
int cli_check_patterns_item(const struct item *it, struct table_row *rows, size_t n,
			    const char *const *inc, size_t ninc, const char *const *exc,
			    size_t nexc);

/* Format a byte count for people: "512 B", "1.5 KiB" .. "2.0 TiB". */
const char *cli_size(unsigned long long bytes, char buf[32]);

/* Format epoch seconds as local "YYYY-MM-DD HH:MM:SS" (or "never"). */
const char *cli_time(long long epoch, char buf[32]);

#endif
