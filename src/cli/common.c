/* common.c - see cli.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "util/log.h"
#include "util/names.h"
#include "util/strutil.h"
#include "util/suggest.h"

/* Returns whether the message is about a failed TLS handshake (uc/client.c
 * says "TLS handshake failed"). */
static bool vprint(const char *pfx, const char *fmt, va_list ap)
{
	char buf[4096];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	redact(buf);
	fprintf(stderr, "ucfs: %s%s\n", pfx, buf);
	return strstr(buf, "TLS handshake failed") != NULL;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool tls = vprint("error: ", fmt, ap);
	va_end(ap);
	if (tls)
		cli_host_hint_print();
	return 1;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint("error: ", fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try 'ucfs %s --help'.\n", cmd);
	return EXIT_USAGE;
}

int cli_unknown_sub(const char *cmd, const char *sub, const char *const *names)
{
	size_t n = 0;
	while (names[n])
		n++;
	const char *best = suggest_best(sub, names, n);
	if (best)
		return cli_usage_error(cmd, "unknown subcommand '%s': did you mean 'ucfs %s %s'?",
				       sub, cmd, best);
	return cli_usage_error(cmd, "unknown subcommand '%s'", sub);
}

bool cli_common_opt(int opt, const char *arg, struct global_opts *g)
{
	if (opt == CLI_OPT_STATE) {
		g->state_path = arg;
		return true;
	}
	if (opt == 'v') {
		g->verbose++;
		log_set_level(g->verbose > 1 ? LOG_LVL_DEBUG : LOG_LVL_INFO);
		return true;
	}
	return false;
}

int cli_connect(const char *host, const char *profile, struct ucfs_conn *conn,
		struct uc_client **uc)
{
	struct conn_request req = {.host = host, .profile = profile};
	char *err = NULL;
	memset(conn, 0, sizeof(*conn));
	*uc = NULL;
	if (conn_resolve(&req, conn, &err)) {
		cli_fail("%s", err ? err : "cannot resolve the Unity Catalog connection");
		free(err);
		return 1;
	}
	/* The raw text of the host, to say so when its https:// was a guess. */
	const char *env = getenv("DATABRICKS_HOST");
	if (host)
		cli_host_hint_set("--host", host, conn->host);
	else if (!str_empty(env) && !strstr(env, "://") && conn->host &&
		 !strncmp(conn->host, "https://", 8) &&
		 !strncmp(conn->host + 8, env, strlen(conn->host + 8)))
		cli_host_hint_set("DATABRICKS_HOST", env, conn->host);
	else
		cli_host_hint_set(NULL, NULL, conn->host);
	*uc = uc_client_new(conn, NULL, &err);
	if (!*uc) {
		cli_fail("%s", err ? err : "cannot create the Unity Catalog client");
		free(err);
		conn_free(conn);
		return 1;
	}
	return 0;
}

int cli_open_state(const struct global_opts *g, bool create, struct state **st)
{
	char *err = NULL;
	const char *path = g->state_path ? g->state_path : getenv("UCFS_STATE");
	if (str_empty(path))
		path = NULL;
	int r = state_open(path, create, st, &err);
	if (r) {
		cli_fail("%s", err ? err : strerror(-r));
		free(err);
		return 1;
	}
	return 0;
}

void cli_put_escaped(FILE *out, const char *s)
{
	char *e = name_escape(s);
	fputs(e ? e : "?", out);
	free(e);
}

void cli_print_skipped(FILE *out, const char *pfx, const char *skipped_json)
{
	cJSON *a = skipped_json ? cJSON_Parse(skipped_json) : NULL, *x;
	cJSON_ArrayForEach(x, a) {
		const cJSON *k = cJSON_GetObjectItemCaseSensitive(x, "kind");
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(x, "name");
		const cJSON *w = cJSON_GetObjectItemCaseSensitive(x, "reason");
		/* name and reason were escaped when the sync stored them */
		fprintf(out, "%sskipped %s '%s': %s\n", pfx,
			cJSON_IsString(k) ? k->valuestring : "name",
			cJSON_IsString(n) ? n->valuestring : "?",
			cJSON_IsString(w) ? w->valuestring : "?");
	}
	cJSON_Delete(a);
}

const char *cli_time(long long epoch, char buf[32])
{
	if (epoch <= 0)
		return "never";
	time_t t = (time_t)epoch;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%d %H:%M:%S", &tm);
	return buf;
}

const char *cli_size(unsigned long long bytes, char buf[32])
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
	if (bytes < 1024) {
		snprintf(buf, 32, "%llu B", bytes);
		return buf;
	}
	double v = (double)bytes / 1024;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, 32, "%.1f %s", v, units[u]);
	return buf;
}
