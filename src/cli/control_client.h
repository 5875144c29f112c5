/*
 * control_client.h - the client side of a ucfs mount's control socket, used
 * by `ucfs prefetch` and `ucfs cache` (spec: one JSON request per
 * connection, answered by one JSON line).
 *
 * Contract: ctl_call() reads the mount's disk cache directory from
 * MOUNT/.ucfs/stats.json ("cache": {"dir": ...}), connects to
 * DIR/control.sock (through /proc/self/fd/N/control.sock, N the directory
 * opened O_PATH, when that path does not fit a Unix socket address), refuses
 * a server whose uid (SO_PEERCRED) is neither ours nor root's, sends REQ as
 * one line (at most 64 MiB; a send stalled 120 s fails) and shuts down its
 * write side, then waits up to 120 s for one answer line (at most 64 MiB).
 * *ANSWER is set (the caller frees it) only when the answer says "ok": true;
 * an answer with "ok": false has its "error" printed, escaped. Returns 0 or
 * a negative errno (-EREMOTEIO: the daemon refused); every failure has been
 * printed as "ucfs: error: ..." naming the mount and what to do; every path
 * frees what it took.
 */
#ifndef UCFS_CONTROL_CLIENT_H
#define UCFS_CONTROL_CLIENT_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "daemon/control.h"

#define CTL_MAX_MSG CONTROL_MAX_REQUEST /* the daemon reads no more */
#define CTL_ANSWER_TIMEOUT_MS 120000

int ctl_call(const char *mount, const cJSON *req, cJSON **answer);

/* {"op": OP} (PATH NULL) or {"op": OP, "path": PATH}, as ctl_call. */
int ctl_simple(const char *mount, const char *op, const char *path, cJSON **answer);

/* Non-negative integer field KEY of an answer (0 when absent or wrong). */
int64_t ctl_i64(const cJSON *o, const char *key);

#endif
