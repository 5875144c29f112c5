/*
 * cmd_auth.c - `ucfs auth describe`: which host and sign-in method a command
 * would use, and where every setting came from (like `databricks auth
 * describe`); `ucfs auth login` and `auth token` are cmd_auth_login.c. Secrets print as
 * ********; nothing is sent anywhere.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "util/strutil.h"

static void auth_usage(FILE *out)
{
	fprintf(out,
		"usage: ucfs auth describe [--host URL | --profile NAME] [--json]\n"
		"       ucfs auth login [--host URL] [--client-id ID] [--port N] [--no-browser]\n"
		"       ucfs auth token [--host URL] [--profile NAME] [--method METHOD] [--json]\n"
		"\n"
		"  describe  the host and sign-in method ucfs would use, and where each\n"
		"            setting came from (command line, environment variable,\n"
		"            profile of the config file); secrets print as ********\n"
		"  login     sign in with your own identity in a browser (OAuth U2M)\n"
		"  token     get a token as a mount would and print when it expires\n"
		"\n"
		"Methods, as the Databricks SDKs name them (auth_type / DATABRICKS_AUTH_TYPE):\n"
		"  pat, oauth-m2m, external-browser, databricks-cli, azure-client-secret,\n"
		"  azure-cli, azure-msi, env-oidc, file-oidc. See ucfs(1), AUTHENTICATION.\n");
}

static void describe_usage(FILE *out)
{
	fprintf(out,
		"usage: ucfs auth describe [--host URL] [--profile NAME] [--json]\n"
		"\n"
		"Resolve the connection like every ucfs command does (Databricks unified\n"
		"authentication) and print the host, the method chosen and why, and every\n"
		"setting used with where it came from. Exit 1 with one line when the\n"
		"settings do not resolve.\n"
		"\n"
		"  --host URL      workspace or Unity Catalog server URL\n"
		"  --profile NAME  profile of the config file (DATABRICKS_CONFIG_FILE)\n"
		"  --json          machine-readable output\n");
}

static const char *shown(const struct conn_setting *s) { return s->secret ? "********" : s->value; }

static int describe(int argc, char **argv, struct global_opts *g)
{
	static const struct option longopts[] = {
		{"host", required_argument, NULL, 'H'},
		{"profile", required_argument, NULL, 'p'},
		{"json", no_argument, NULL, 'j'},
		{"help", no_argument, NULL, 'h'},
		CLI_COMMON_LONGOPTS,
		{0},
	};
	const char *host = NULL, *profile = NULL;
	bool json = false;
	int opt;
	while ((opt = getopt_long(argc, argv, "hp:v", longopts, NULL)) != -1) {
		if (cli_common_opt(opt, optarg, g))
			continue;
		switch (opt) {
		case 'H': host = optarg; break;
		case 'p': profile = optarg; break;
		case 'j': json = true; break;
		case 'h': describe_usage(stdout); return 0;
		default: describe_usage(stderr); return EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("auth describe", "unexpected argument '%s'", argv[optind]);
	struct conn_request req = {.host = host, .profile = profile};
	struct ucfs_conn c;
	char *err = NULL;
	if (conn_resolve(&req, &c, &err)) {
		cli_fail("%s", err ? err : "cannot resolve the connection settings");
		free(err);
		return 1;
	}
	int rc = 0;
	if (json) {
		cJSON *root = cJSON_CreateObject(), *st = cJSON_CreateArray();
		cJSON_AddStringToObject(root, "host", c.host);
		cJSON_AddStringToObject(root, "auth_type", auth_kind_name(c.auth));
		cJSON_AddStringToObject(root, "auth_from", c.auth_from ? c.auth_from : "");
		if (c.profile)
			cJSON_AddStringToObject(root, "profile", c.profile);
		else
			cJSON_AddNullToObject(root, "profile");
		for (size_t i = 0; i < c.n_settings; i++) {
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "name", c.settings[i].name);
			cJSON_AddStringToObject(o, "value", shown(&c.settings[i]));
			cJSON_AddStringToObject(o, "from", c.settings[i].from);
			cJSON_AddBoolToObject(o, "secret", c.settings[i].secret);
			cJSON_AddItemToArray(st, o);
		}
		cJSON_AddItemToObject(root, "settings", st);
		char *s = cJSON_Print(root);
		cJSON_Delete(root);
		if (s)
			puts(s);
		else
			rc = cli_fail("out of memory");
		free(s);
	} else {
		printf("Host: %s\n", c.host);
		printf("Authentication: %s (%s)\n", auth_kind_name(c.auth), c.auth_from ? c.auth_from : "");
		if (c.profile)
			printf("Profile: %s\n", c.profile);
		printf("Settings:\n");
		for (size_t i = 0; i < c.n_settings; i++)
			printf("  %-28s %s (from %s)\n", c.settings[i].name, shown(&c.settings[i]),
			       c.settings[i].from);
	}
	conn_free(&c);
	return rc;
}

int cmd_auth(int argc, char **argv, struct global_opts *g)
{
	static const char *const subs[] = {"describe", "login", "token", NULL};
	if (argc < 2) {
		auth_usage(stderr);
		return EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (!strcmp(sub, "-h") || !strcmp(sub, "--help")) {
		auth_usage(stdout);
		return 0;
	}
	optind = 0;
	if (!strcmp(sub, "describe"))
		return describe(argc - 1, argv + 1, g);
	if (!strcmp(sub, "login"))
		return cmd_auth_login(argc - 1, argv + 1, g);
	if (!strcmp(sub, "token"))
		return cmd_auth_token(argc - 1, argv + 1, g);
	return cli_unknown_sub("auth", sub, subs);
}
