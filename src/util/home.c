/* home.c - see home.h. */
#include "util/home.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/strutil.h"

char *home_dir(void)
{
	const char *env = getenv("HOME");
	if (!str_empty(env))
		return xstrdup(env);
	long max = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t len = max > 0 ? (size_t)max : 16384;
	for (;;) {
		char *buf = malloc(len);
		if (!buf)
			return NULL;
		struct passwd pw, *res = NULL;
		int e = getpwuid_r(getuid(), &pw, buf, len, &res);
		if (e == ERANGE && len < (1u << 20)) {
			free(buf);
			len *= 2;
			continue;
		}
		char *home = xstrdup(!e && res && !str_empty(pw.pw_dir) ? pw.pw_dir : "/");
		free(buf);
		return home;
	}
}
