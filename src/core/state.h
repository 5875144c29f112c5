/*
 * state.h - the state database: mirrored items and their tables (SQLite).
 *
 * Contract: the only module that speaks SQL. One file per user (XDG data dir
 * by default), WAL mode, busy timeout, schema versioned with PRAGMA
 * user_version and migrated forward on open (never backward: a newer schema
 * is an error). Every write runs in one BEGIN IMMEDIATE transaction, so
 * there is one writer at a time and a failure leaves no partial state.
 * Secrets are never stored: items keep host and profile name only.
 * Functions return 0 or a negative errno (-ENOENT, -EEXIST, -EIO ...);
 * *err, when given, receives a message for the user.
 */
#ifndef UCFS_STATE_H
#define UCFS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STATE_SCHEMA_VERSION 1

struct state;

struct item {
	int64_t id;
	char *name, *catalog, *host, *profile, *description;
	bool auto_sync;
	int64_t created_at, last_sync_at; /* epoch seconds, 0 = never */
	char *sync_status;                /* NotStarted|InProgress|Success|Failed */
	char *last_error_code, *last_error_message;
};

struct table_row {
	char *schema_name, *name, *table_id, *table_type, *format, *location;
	char *skip_reason; /* NULL = mirrored */
	int64_t updated_at;
};

/* malloc'ed default path: $XDG_DATA_HOME/ucfs/state.db or
 * ~/.local/share/ucfs/state.db. */
char *state_default_path(void);

/* Open (creating the file and its directory when create is true). */
int state_open(const char *path, bool create, struct state **out, char **err);
void state_close(struct state *st);
const char *state_path(const struct state *st);

int state_items_list(struct state *st, struct item **out, size_t *n);
int state_item_get(struct state *st, const char *name, struct item *out);
/* Adds item and its tables in one transaction; -EEXIST when the name is
 * taken. Sets it->id. */
int state_item_create(struct state *st, struct item *it, const struct table_row *rows,
		      size_t nrows, char **err);
int state_item_remove(struct state *st, const char *name);
/* Replace an item's tables with a fresh listing and record a successful
 * sync, in one transaction. */
int state_item_store_sync(struct state *st, int64_t item_id, const struct table_row *rows,
			  size_t nrows, int64_t when);
int state_item_set_status(struct state *st, int64_t item_id, const char *status,
			  const char *code, const char *message);
int state_tables_list(struct state *st, int64_t item_id, struct table_row **out, size_t *n);

void item_clear(struct item *it);
void items_free(struct item *v, size_t n);
void table_row_clear(struct table_row *r);
void table_rows_free(struct table_row *v, size_t n);

#endif
