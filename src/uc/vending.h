/*
 * vending.h - short-lived storage credentials vended by Unity Catalog, per
 * table (POST temporary-table-credentials, operation READ) or per volume
 * (POST temporary-volume-credentials, operation READ_VOLUME).
 *
 * Contract: vending_get() answers from a per-table cache while the
 * credentials have more than a refresh margin left (min(5 min, half their
 * lifetime)), so a read that spans the expiry uses fresh ones; concurrent
 * callers for one table share one request. An answer that is already expired
 * or about to (less than 2 s to go by this machine's clock, e.g. clock skew
 * between here and the server) is used all the same - the storage decides -
 * and asked for again only after a backoff (2 s, doubling per such answer in
 * a row, at most 60 s), never once per file operation; a storage refusal of
 * such credentials (vending_invalidate) does not shorten the backoff. The /api/2.1 path is tried first,
 * /api/2.0 (Databricks' documented path) on 404. A denial (401/403, e.g.
 * missing EXTERNAL USE SCHEMA) is remembered for a minute so reads fail fast
 * with -EACCES and the reason, without a request storm. Thread-safe. Never
 * logs a credential.
 */
#ifndef UCFS_VENDING_H
#define UCFS_VENDING_H

#include <stdbool.h>
#include <stdint.h>

#include "storage/storage.h"
#include "uc/client.h"

struct vending;

/* uc stays owned by the caller and must outlive the vending cache. */
struct vending *vending_new(struct uc_client *uc);
void vending_free(struct vending *v);

/* Fill *out (caller clears it) with the credentials of table TABLE_ID, or
 * of volume TABLE_ID when VOLUME (the two are cached apart). 0, or -EACCES
 * (denied), -ENOENT (table or volume gone), -EIO... with *err describing it. */
int vending_get(struct vending *v, bool volume, const char *table_id, const char *table_name,
		struct storage_creds *out, char **err);
/* Storage rejected the credentials: the next get fetches new ones. */
void vending_invalidate(struct vending *v, bool volume, const char *table_id);

/* Pure: parse a temporary-table-credentials answer. */
int vending_parse(const char *json, struct storage_creds *out, char **err);
/* Pure: should credentials with `remaining_ms` of `lifetime_ms` be renewed? */
int vending_needs_refresh(int64_t remaining_ms, int64_t lifetime_ms);

#define VENDING_BACKOFF_MIN_MS 2000
#define VENDING_BACKOFF_MAX_MS 60000
/* Pure: when (epoch ms) to ask again for credentials fetched at T0 that
 * expire at EXPIRES_MS (0: never; INT64_MAX is returned): the refresh margin
 * before expiry (so more than 1 s after T0), or - for an expired or nearly expired answer - T0 plus the
 * next backoff. *BACKOFF_MS is the previous answer's backoff (0: none) on
 * entry and this answer's on return. */
int64_t vending_next_fetch(int64_t t0, int64_t expires_ms, int64_t *backoff_ms);

#endif
