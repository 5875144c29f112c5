/*
 * cmd_storage.c - `ucfs storage ls|stat|cat LOCATION [PATH]`: read a table's
 * storage directly, through the same backends the mount uses. For
 * diagnostics ("can this machine read that bucket?") and for tests of the
 * backends. Credentials come from the environment (never the command line).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "net/http.h"
#include "storage/storage.h"
#include "util/strutil.h"

static const char help[] =
	"usage: ucfs storage ls LOCATION [DIR]\n"
	"       ucfs storage stat LOCATION PATH\n"
	"       ucfs storage cat LOCATION PATH [--offset N] [--length N]\n"
	"\n"
	"Read a storage location (file://, s3://, abfss://, gs://) through ucfs's own\n"
	"backends, e.g. to check that this machine can reach a table's storage.\n"
	"Credentials from the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,\n"
	"AWS_SESSION_TOKEN; AZURE_STORAGE_SAS_TOKEN; GOOGLE_OAUTH_ACCESS_TOKEN.\n"
	"Endpoints: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION,\n"
	"UCFS_AZURE_ENDPOINT, STORAGE_EMULATOR_HOST; CA: CURL_CA_BUNDLE.\n"
	"A file:// location is read as you, wherever it is (the --allow-local roots of\n"
	"mirrored items confine what a mount serves, not this command); PATH still\n"
	"never leaves the location's directory.\n";

static int env_creds(void *ctx, struct storage_creds *out, char **err)
{
	(void)ctx;
	(void)err;
	memset(out, 0, sizeof(*out));
	out->aws_access_key_id = xstrdup(getenv("AWS_ACCESS_KEY_ID"));
	out->aws_secret_access_key = xstrdup(getenv("AWS_SECRET_ACCESS_KEY"));
	out->aws_session_token = xstrdup(getenv("AWS_SESSION_TOKEN"));
	out->azure_sas = xstrdup(getenv("AZURE_STORAGE_SAS_TOKEN"));
	out->gcp_oauth_token = xstrdup(getenv("GOOGLE_OAUTH_ACCESS_TOKEN"));
	return 0;
}

static void no_invalidate(void *ctx) { (void)ctx; }

int cmd_storage(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"offset", required_argument, NULL, 'O'},
		{"length", required_argument, NULL, 'L'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	uint64_t off = 0, len = UINT64_MAX;
	int opt;
	while ((opt = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'O': off = strtoull(optarg, NULL, 10); break;
		case 'L': len = strtoull(optarg, NULL, 10); break;
		case 'h': fputs(help, stdout); return 0;
		default: return cli_usage_error("storage", "invalid option");
		}
	}
	if (argc - optind < 2)
		return cli_usage_error("storage", "expected ls|stat|cat LOCATION [PATH]");
	const char *verb = argv[optind], *loc = argv[optind + 1];
	const char *rel = argc - optind > 2 ? argv[optind + 2] : "";
	if (strcmp(verb, "ls") && strcmp(verb, "stat") && strcmp(verb, "cat"))
		return cli_usage_error("storage", "unknown verb '%s' (ls, stat or cat)", verb);
	struct http_client *http = http_client_new(NULL);
	static const char *const anywhere[] = {"/"};
	struct storage_env env = {
		.http = http,
		.azure_endpoint = getenv("UCFS_AZURE_ENDPOINT"),
		.local_roots = anywhere,
		.n_local_roots = 1,
	};
	struct storage_creds_source creds = {.get = env_creds, .invalidate = no_invalidate};
	struct storage *st = NULL;
	char *err = NULL;
	int r = http ? storage_new(loc, &env, &creds, &st, &err) : -ENOMEM;
	if (r) {
		cli_fail("%s", err ? err : strerror(-r));
		free(err);
		http_client_free(http);
		return 1;
	}
	if (!strcmp(verb, "ls")) {
		struct storage_list l = {0};
		r = storage_list(st, rel, &l);
		for (size_t i = 0; !r && i < l.n; i++) {
			/* names are remote text: escaped, never raw (util/names.h) */
			printf("%s\t%" PRIu64 "\t%lld\t", l.items[i].is_dir ? "d" : "-",
			       l.items[i].size, (long long)l.items[i].mtime.tv_sec);
			cli_put_escaped(stdout, l.items[i].name);
			puts(l.items[i].is_dir ? "/" : "");
		}
		storage_list_free(&l);
	} else if (!strcmp(verb, "stat")) {
		struct storage_entry e = {0};
		r = storage_stat(st, rel, &e);
		if (!r)
			printf("%s\t%" PRIu64 "\t%lld\t%s\n", e.is_dir ? "d" : "-", e.size,
			       (long long)e.mtime.tv_sec, e.etag ? e.etag : "-");
		storage_entry_clear(&e);
	} else {
		struct storage_file *f = NULL;
		r = storage_open(st, rel, NULL, &f);
		char *buf = r ? NULL : malloc(1 << 20);
		if (!r && !buf)
			r = -ENOMEM;
		while (!r && len > 0) {
			size_t want = len < (1u << 20) ? (size_t)len : (1u << 20);
			ssize_t n = storage_read(f, buf, want, off);
			if (n < 0)
				r = (int)n;
			else if (n == 0)
				break;
			else if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
				r = -EIO;
			else {
				off += (uint64_t)n;
				len -= (uint64_t)n;
			}
		}
		free(buf);
		storage_close(f);
	}
	if (r)
		cli_fail("%s %s %s: %s", verb, loc, rel, strerror(-r));
	storage_free(st);
	http_client_free(http);
	return r ? 1 : 0;
}
