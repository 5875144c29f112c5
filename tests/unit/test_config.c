/* test_config.c - unit tests for core/config (INI parsing, host
 * normalisation, precedence between arguments, environment and file). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/config.h"
#include "util/log.h"


static const char *kv(char **k, char **v, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(k[i], key))
			return v[i];
	return NULL;
}

static void test_ini(void)
{
	const char *text =
		"; top comment\n"
		"# another\n"
		"[DEFAULT]\n"
		"host = https://adb-1.azuredatabricks.net/\n"
		"token = dapiDEFAULT\n"
		"\n"
		"  [dev]  \n"
		"  HOST=dev.cloud.databricks.com   ; inline comment\n"
		"token=\"dapiDEV\"\n"
		"client_id : abc # trailing\n"
		"url = https://x/#frag\n"
		"empty =\n"
		"novalue\n"
		"[bad\n"
		"[dev]\n"
		"token = dapiDEV2\r\n"
		"[empty]\n"
		"[sp]\n"
		"host=h\n"
		"client_id=id\n"
		"client_secret=s3cr3t\n";
	char **k, **v;
	size_t n;
	CHECK(ini_get_profile(text, "DEFAULT", &k, &v, &n) == 0 && n == 2);
	CHECK(!strcmp(kv(k, v, n, "host"), "https://adb-1.azuredatabricks.net/"));
	CHECK(!strcmp(kv(k, v, n, "token"), "dapiDEFAULT"));
	ini_free_kv(k, v, n);
	/* NULL profile means DEFAULT. */
	CHECK(ini_get_profile(text, NULL, &k, &v, &n) == 0 && n == 2);
	ini_free_kv(k, v, n);
	/* dev: keys lower-cased, inline comments, quotes, ':' delimiter, merged repeat, no DEFAULT inheritance. */
	CHECK(ini_get_profile(text, "dev", &k, &v, &n) == 0);
	CHECK(!strcmp(kv(k, v, n, "host"), "dev.cloud.databricks.com"));
	CHECK(!strcmp(kv(k, v, n, "token"), "dapiDEV2"));
	CHECK(!strcmp(kv(k, v, n, "client_id"), "abc"));
	CHECK(!strcmp(kv(k, v, n, "url"), "https://x/#frag"));
	CHECK(kv(k, v, n, "empty") && !strcmp(kv(k, v, n, "empty"), ""));
	CHECK(!kv(k, v, n, "novalue"));
	ini_free_kv(k, v, n);
	/* Present but empty named section: found, no keys. */
	CHECK(ini_get_profile(text, "empty", &k, &v, &n) == 0 && n == 0);
	ini_free_kv(k, v, n);
	CHECK(ini_get_profile(text, "missing", &k, &v, &n) == -ENOENT && n == 0 && !k);
	/* Profile names are case-sensitive. */
	CHECK(ini_get_profile(text, "DEV", &k, &v, &n) == -ENOENT);
	/* Keys before any header belong to DEFAULT; an empty DEFAULT is absent. */
	CHECK(ini_get_profile("host = bare\n[x]\na=1\n", "DEFAULT", &k, &v, &n) == 0 && n == 1);
	CHECK(!strcmp(kv(k, v, n, "host"), "bare"));
	ini_free_kv(k, v, n);
	CHECK(ini_get_profile("[DEFAULT]\n[x]\nhost=y\n", "DEFAULT", &k, &v, &n) == -ENOENT);
	CHECK(ini_get_profile("", "DEFAULT", &k, &v, &n) == -ENOENT);
	char **names;
	size_t nn;
	CHECK(ini_list_profiles(text, &names, &nn) == 0 && nn == 4);
	CHECK(nn == 4 && !strcmp(names[0], "DEFAULT") && !strcmp(names[1], "dev") && !strcmp(names[3], "sp"));
	ini_free_kv(names, NULL, nn);
}

static void check_norm(const char *in, const char *want)
{
	char *out = NULL;
	int rc = conn_normalize_host(in, &out);
	if (want) {
		CHECK(rc == 0 && out && !strcmp(out, want));
		if (rc || !out || strcmp(out, want))
			fprintf(stderr, "  normalize(%s) = %s, want %s\n", in, out ? out : "(null)", want);
	} else {
		CHECK(rc == -EINVAL && !out);
	}
	free(out);
}

static void test_normalize(void)
{
	check_norm("adb-123.azuredatabricks.net", "https://adb-123.azuredatabricks.net");
	check_norm("adb-1.azuredatabricks.net:443/", "https://adb-1.azuredatabricks.net"); /* as the SDK */
	check_norm("https://h:4430", "https://h:4430");
	check_norm("https://x.cloud.databricks.com/", "https://x.cloud.databricks.com");
	check_norm("  http://localhost:8080//  ", "http://localhost:8080");
	check_norm("HTTP://LocalHost:8080", "http://LocalHost:8080");
	check_norm("http://localhost:8080/api/2.1/unity-catalog/", "http://localhost:8080");
	check_norm("localhost:8080", "https://localhost:8080");
	check_norm("https://proxy.example/uc/", "https://proxy.example/uc");
	check_norm("", NULL);
	check_norm("https://", NULL);
	check_norm("ftp://x", NULL);
	check_norm("http://a b", NULL);
	check_norm(NULL, NULL);
}

static char cfgpath[64];

static void write_cfg(const char *text)
{
	FILE *f = fopen(cfgpath, "w");
	fputs(text, f);
	fclose(f);
}

static void clear_env(void)
{
	const char *vars[] = {"DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CLIENT_ID",
			      "DATABRICKS_CLIENT_SECRET", "DATABRICKS_CONFIG_PROFILE", "DATABRICKS_AUTH_TYPE",
			      "ARM_CLIENT_SECRET", NULL};
	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	setenv("DATABRICKS_CONFIG_FILE", cfgpath, 1);
}

/* Resolve and check; returns rc. */
static int resolve(const char *host, const char *profile, struct ucfs_conn *c, char **err)
{
	struct conn_request r = {.host = host, .profile = profile};
	*err = NULL;
	return conn_resolve(&r, c, err);
}

static void test_resolve(void)
{
	struct ucfs_conn c;
	char *err;
	int fd;
	strcpy(cfgpath, "/tmp/ucfs-test-cfg-XXXXXX");
	fd = mkstemp(cfgpath);
	CHECK(fd >= 0);
	close(fd);
	clear_env();
	write_cfg("[DEFAULT]\nhost = default.example.com\ntoken = dapiDEF\n\n"
		  "[dev]\nhost = https://dev.example.com/\ntoken = dapiDEV\n\n"
		  "[sp]\nhost = sp.example.com\nclient_id = cid\nclient_secret = csecret\n\n"
		  "[both]\nhost = b.example.com\ntoken = t\nclient_id = c\nclient_secret = s\n\n"
		  "[both_pat]\nhost = b.example.com\ntoken = t\nclient_id = c\nclient_secret = s\nauth_type = pat\n\n"
		  "[half]\nhost = h.example.com\nclient_id = c\n\n"
		  "[cli]\nhost = c.example.com\nauth_type = databricks-cli\n\n"
		  "[nohost]\ntoken = x\n\n"
		  "[basic]\nhost = b.example.com\nusername = u\npassword = p\n\n"
		  "[azsp]\nhost = adb-1.2.azuredatabricks.net\nazure_client_id = a\nazure_client_secret = s\nazure_tenant_id = t\n\n"
		  "[aznotenant]\nhost = adb-1.2.azuredatabricks.net\nazure_client_id = a\nazure_client_secret = s\n\n"
		  "[azcli]\nhost = adb-1.2.azuredatabricks.net\nauth_type = azure-cli\n\n"
		  "[settings]\nhost = x\n");

	/* File only: DEFAULT. */
	CHECK(resolve(NULL, NULL, &c, &err) == 0);
	CHECK(!strcmp(c.host, "https://default.example.com") && c.auth == AUTH_PAT && !strcmp(c.token, "dapiDEF"));
	CHECK(c.profile && !strcmp(c.profile, "DEFAULT") && strstr(c.source, "profile 'DEFAULT' in "));
	conn_free(&c);

	/* Named profile: no DEFAULT inheritance, M2M. */
	CHECK(resolve(NULL, "sp", &c, &err) == 0);
	CHECK(!strcmp(c.host, "https://sp.example.com") && c.auth == AUTH_OAUTH_M2M);
	CHECK(!strcmp(c.client_id, "cid") && !strcmp(c.client_secret, "csecret") && !c.token);
	conn_free(&c);

	/* Env beats the implicit DEFAULT profile. */
	setenv("DATABRICKS_HOST", "env.example.com", 1);
	setenv("DATABRICKS_TOKEN", "dapiENV", 1);
	CHECK(resolve(NULL, NULL, &c, &err) == 0);
	CHECK(!strcmp(c.host, "https://env.example.com") && !strcmp(c.token, "dapiENV"));
	CHECK(!strcmp(c.source, "environment") && !c.profile);
	conn_free(&c);

	/* As in the SDK, environment values beat a named profile's, one by one. */
	CHECK(resolve(NULL, "dev", &c, &err) == 0);
	CHECK(!strcmp(c.host, "https://env.example.com") && !strcmp(c.token, "dapiENV"));
	conn_free(&c);
	unsetenv("DATABRICKS_HOST");
	CHECK(resolve(NULL, "dev", &c, &err) == 0);
	CHECK(!strcmp(c.host, "https://dev.example.com") && !strcmp(c.token, "dapiENV"));
	CHECK(!strcmp(c.profile, "dev"));
	conn_free(&c);
	setenv("DATABRICKS_HOST", "env.example.com", 1);

	/* Host argument beats all; credentials from env. */
	CHECK(resolve("http://localhost:8080/", NULL, &c, &err) == 0);
	CHECK(!strcmp(c.host, "http://localhost:8080") && !strcmp(c.token, "dapiENV"));
	CHECK(strstr(c.source, "command line") && strstr(c.source, "credentials from environment"));
	conn_free(&c);

	/* DATABRICKS_CONFIG_PROFILE selects the file profile, below env values. */
	unsetenv("DATABRICKS_HOST");
	unsetenv("DATABRICKS_TOKEN");
	setenv("DATABRICKS_CONFIG_PROFILE", "dev", 1);
	CHECK(resolve(NULL, NULL, &c, &err) == 0);
	CHECK(!strcmp(c.host, "https://dev.example.com") && !strcmp(c.profile, "dev"));
	conn_free(&c);
	/* ucfs, unlike the SDK: the profile's token never goes to another host. */
	setenv("DATABRICKS_HOST", "env2.example.com", 1);
	CHECK(resolve(NULL, NULL, &c, &err) == -EPERM && err && strstr(err, "dev.example.com") &&
	      strstr(err, "DATABRICKS_HOST") && !strstr(err, "dapiDEV"));
	free(err);
	unsetenv("DATABRICKS_HOST");
	setenv("DATABRICKS_CONFIG_PROFILE", "nope", 1);
	CHECK(resolve(NULL, NULL, &c, &err) == -ENOENT && err && strstr(err, "nope") &&
	      strstr(err, "DATABRICKS_CONFIG_PROFILE"));
	free(err);
	clear_env();

	/* An implicit DEFAULT for another host lends no credentials. */
	CHECK(resolve("http://localhost:8080", NULL, &c, &err) == 0);
	CHECK(c.auth == AUTH_NONE && !c.token && !c.profile && !strcmp(c.source, "command line"));
	conn_free(&c);
	/* ...nor for the same host: a host given elsewhere means the SDK reads no file. */
	CHECK(resolve("https://default.example.com/", NULL, &c, &err) == 0);
	CHECK(c.auth == AUTH_NONE && !c.token);
	conn_free(&c);
	CHECK(resolve("https://default.example.com/", "DEFAULT", &c, &err) == 0);
	CHECK(c.auth == AUTH_PAT && !strcmp(c.token, "dapiDEF"));
	conn_free(&c);
	/* Env client credentials make M2M. */
	setenv("DATABRICKS_HOST", "m.example.com", 1);
	setenv("DATABRICKS_CLIENT_ID", "eid", 1);
	setenv("DATABRICKS_CLIENT_SECRET", "esecret", 1);
	CHECK(resolve(NULL, NULL, &c, &err) == 0 && c.auth == AUTH_OAUTH_M2M && !strcmp(c.client_id, "eid"));
	conn_free(&c);
	clear_env();

	/* Errors. */
	CHECK(resolve(NULL, "missing", &c, &err) == -ENOENT && err && strstr(err, "missing") && strstr(err, "dev"));
	free(err);
	CHECK(resolve(NULL, "both", &c, &err) == -EINVAL && err && strstr(err, "more than one"));
	CHECK(!strstr(err, "csecret") && !strstr(err, "=s"));
	free(err);
	CHECK(resolve(NULL, "both_pat", &c, &err) == 0 && c.auth == AUTH_PAT);
	conn_free(&c);
	setenv("PATH", "/nonexistent", 1); /* no databricks CLI to fall back on */
	CHECK(resolve(NULL, "half", &c, &err) == -EINVAL && err && strstr(err, "client_id") &&
	      strstr(err, "profile 'half'"));
	free(err);
	CHECK(resolve(NULL, "cli", &c, &err) == 0 && c.auth == AUTH_DATABRICKS_CLI);
	conn_free(&c);
	CHECK(resolve(NULL, "basic", &c, &err) == -ENOTSUP && err && strstr(err, "basic"));
	free(err);
	CHECK(resolve(NULL, "azsp", &c, &err) == 0 && c.auth == AUTH_AZURE_CLIENT_SECRET &&
	      !strcmp(c.azure_resource, "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"));
	conn_free(&c);
	CHECK(resolve(NULL, "aznotenant", &c, &err) == -EINVAL && err && strstr(err, "azure_tenant_id"));
	free(err);
	CHECK(resolve(NULL, "azcli", &c, &err) == -ENOENT && err && strstr(err, "az"));
	free(err);
	CHECK(resolve(NULL, "__settings__", &c, &err) == -EINVAL && err && strstr(err, "reserved"));
	free(err);
	CHECK(resolve(NULL, "nohost", &c, &err) == -EINVAL && err && strstr(err, "DATABRICKS_HOST"));
	free(err);
	CHECK(resolve("ftp://x", NULL, &c, &err) == -EINVAL && err && strstr(err, "ftp://x"));
	free(err);

	/* No file at all: fine without a profile, an error with one. */
	unlink(cfgpath);
	CHECK(resolve(NULL, NULL, &c, &err) == -EINVAL && err && strstr(err, "no Unity Catalog host"));
	free(err);
	CHECK(resolve("localhost:8080", NULL, &c, &err) == 0 && c.auth == AUTH_NONE);
	CHECK(!strcmp(c.host, "https://localhost:8080"));
	conn_free(&c);
	CHECK(resolve(NULL, "dev", &c, &err) == -ENOENT && err && strstr(err, "does not exist"));
	free(err);
	/* File without DEFAULT and no profile named: env alone. */
	write_cfg("[dev]\nhost=dev\n");
	setenv("DATABRICKS_HOST", "http://127.0.0.1:8080", 1);
	CHECK(resolve(NULL, NULL, &c, &err) == 0 && !strcmp(c.host, "http://127.0.0.1:8080"));
	conn_free(&c);
	/* [__settings__] default_profile names the profile. */
	unsetenv("DATABRICKS_HOST");
	write_cfg("[__settings__]\ndefault_profile = dev\n[DEFAULT]\nhost = d\n[dev]\nhost = dev.example.com\ntoken = t\n");
	CHECK(resolve(NULL, NULL, &c, &err) == 0 && !strcmp(c.host, "https://dev.example.com") &&
	      !strcmp(c.profile, "dev") && c.auth == AUTH_PAT);
	conn_free(&c);
	write_cfg("[dev]\nhost=dev\n");
	/* The note is appended to the no-host message. */
	unsetenv("DATABRICKS_HOST");
	struct conn_request r = {.token_env_only_note = "tokens come from DATABRICKS_TOKEN"};
	CHECK(conn_resolve(&r, &c, &err) == -EINVAL && err && strstr(err, "tokens come from DATABRICKS_TOKEN"));
	free(err);
	unlink(cfgpath);
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	test_ini();
	test_normalize();
	test_resolve();
	return check_done();
}
