/*
 * status.h - the machine-readable status of mirrored items and lakehouses,
 * as `ucfs status --json` prints it and MOUNT/<item>/.ucfs/status.json
 * serves it.
 *
 * Contract: pure functions of a mount_view (no I/O); the caller owns the
 * returned cJSON tree. Field names are a stable interface for scripts.
 */
#ifndef UCFS_STATUS_H
#define UCFS_STATUS_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "core/view.h"

/* {name, catalog, host, profile, description, auto_sync, sync_status,
 *  last_sync_at, last_sync_time, last_sync_duration_ms, last_error{code,message},
 *  sync_pid, access{uid,gid,mode}, allow_local[], counts{mirrored,skipped,failing}
 *  (tables), volumes (bool: the item mirrors volumes), volume_counts{mirrored,skipped},
 *  selection{catalog_mode, rules[]}, selection_issues[],
 *  skipped_names[{kind, name, reason}] (schemas, tables and volumes the last sync
 *  skipped: duplicates, unusable names; names escaped), tables[] and volume_list[]
 *  (when with_tables; a volume has volume_type, volume_id, storage_location and
 *  path "Volumes/CATALOG/SCHEMA/NAME" instead of the table fields)}.
 * access: uid/gid null = the mounting user/group; mode an octal string. */
cJSON *status_item_json(const struct view_item *vi, bool with_tables);
/* [{name, access{uid,gid,mode}, shortcuts[{name, target, status: "ok"|"broken", reason}]}] */
cJSON *status_lakehouses_json(const struct mount_view *v);
/* The whole document: {items: [...], lakehouses: [...]} (item NULL = all). */
cJSON *status_json(const struct mount_view *v, const char *item, bool with_tables);

#endif
