/*
 * log.h - leveled logging to stderr (or syslog once daemonized).
 *
 * Contract: log_msg() never prints secrets it can recognise: anything that
 * looks like a bearer token, SAS signature, AWS key or client secret in the
 * formatted text is replaced by "<redacted>" (see redact()). Messages are one
 * line each, prefixed "ucfs: " and the level for warnings and errors.
 * Thread-safe.
 */
#ifndef UCFS_LOG_H
#define UCFS_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERROR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* After daemonizing: send messages to syslog instead of stderr. */
void log_use_syslog(bool on);

void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/*
 * Redact secrets in place: values after "Bearer ", "token=", "sig=",
 * "client_secret=", "X-Amz-Security-Token", "X-Amz-Credential", "Signature=",
 * "access_token"/"secret" JSON keys. Returns s.
 */
char *redact(char *s);

#endif
