/*
 * control.h - the mount's control socket: how `ucfs prefetch` and `ucfs
 * cache` talk to a running mount.
 *
 * Contract: a Unix stream socket DIR/control.sock in the mount's cache
 * directory (0700, so only its owner reaches it; the socket is 0600), bound
 * through /proc/self/fd/N/ when the full path is too long for sun_path. One
 * thread serves one connection at a time: the peer must have the daemon's
 * uid or be root (SO_PEERCRED), must send one JSON object and a newline
 * (at most CONTROL_MAX_REQUEST bytes, within CONTROL_READ_TIMEOUT_S), and
 * gets one JSON object and a newline (fs_control()'s answer; a request that
 * is not valid gets {"ok":false,"error":...}). control_stop() ends the
 * thread and removes the socket.
 */
#ifndef UCFS_CONTROL_H
#define UCFS_CONTROL_H

#define CONTROL_SOCKET "control.sock"
#define CONTROL_MAX_REQUEST (64u << 20)
#define CONTROL_READ_TIMEOUT_S 30

struct ucfs_fs;
struct control;
struct sockaddr_un;

/* The address of DIR/control.sock for bind() or connect(): the path itself,
 * or /proc/self/fd/DIRFD/control.sock when that is too long for sun_path
 * (DIRFD: DIR opened O_PATH; the server keeps one open, a client may pass
 * -1 and gets one opened into *opened, to close after connect()). */
int control_addr(struct sockaddr_un *a, const char *dir, int dirfd, int *opened);

/* Start serving at DIR/control.sock; -errno (and a log line) on failure. */
int control_start(struct ucfs_fs *fs, const char *dir, struct control **out);
void control_stop(struct control *c); /* NULL-safe */

#endif
