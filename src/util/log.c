/* log.c - see log.h. */
#include "util/log.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

static enum log_level g_level = LOG_LVL_WARN;
static bool g_syslog;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level lvl) { g_level = lvl; }
enum log_level log_get_level(void) { return g_level; }
void log_use_syslog(bool on)
{
	g_syslog = on;
	if (on)
		openlog("ucfs", LOG_PID, LOG_DAEMON);
}

/* Markers after which a secret value follows, up to a delimiter. */
static const char *const markers[] = {
	"bearer ", "token=", "sig=", "signature=", "client_secret=", "secret=",
	"x-amz-security-token=", "x-amz-security-token: ", "x-amz-credential=",
	"\"access_token\":", "\"token\":", "\"client_secret\":", "\"sas_token\":",
	"\"secret_access_key\":", "\"session_token\":", "\"oauth_token\":",
	"authorization: basic ", NULL,
};

static bool is_delim(char c)
{
	return c == '\0' || c == '&' || c == ' ' || c == '"' || c == ',' || c == '\n' ||
	       c == '\r' || c == '}' || c == '\'' || c == ';';
}

char *redact(char *s)
{
	static const char rep[] = "<redacted>";
	if (!s)
		return s;
	for (int m = 0; markers[m]; m++) {
		size_t ml = strlen(markers[m]);
		char *p = s;
		while ((p = strcasestr(p, markers[m])) != NULL) {
			char *v = p + ml;
			while (*v == ' ' || *v == '"')
				v++;
			char *e = v;
			while (!is_delim(*e))
				e++;
			size_t vl = (size_t)(e - v);
			if (vl == 0 || (vl == sizeof(rep) - 1 && !strncmp(v, rep, vl))) {
				p = e;
				continue;
			}
			if (vl >= sizeof(rep) - 1) {
				memcpy(v, rep, sizeof(rep) - 1);
				memmove(v + sizeof(rep) - 1, e, strlen(e) + 1);
			} else {
				/* Value shorter than the replacement: mask it in place. */
				memset(v, '*', vl);
			}
			p = v + 1;
		}
	}
	return s;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	if (lvl > g_level)
		return;
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	redact(buf);
	static const char *const pfx[] = {"error: ", "warning: ", "", "debug: "};
	if (g_syslog) {
		static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
		syslog(prio[lvl], "%s%s", pfx[lvl], buf);
		return;
	}
	pthread_mutex_lock(&g_lock);
	fprintf(stderr, "ucfs: %s%s\n", pfx[lvl], buf);
	pthread_mutex_unlock(&g_lock);
}
