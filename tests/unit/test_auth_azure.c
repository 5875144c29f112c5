/* test_auth_azure.c - the pure parts of the Azure sign-in methods: Entra/IMDS
 * token answers, `az account get-access-token` output, the JWT "upn" check
 * and authorities; answers are hostile (bad types, huge numbers, expired). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "core/config.h"
#include "uc/auth_azure.h"
#include "util/log.h"

static int tok(const char *json, long long now, long long *life)
{
	char *t = NULL, *err = NULL;
	int rc = azure_parse_token_answer(json, now, &t, life, &err);
	CHECK(rc ? (!t && err) : (t && !err && !strcmp(t, "T0k")));
	free(t);
	free(err);
	return rc;
}

static int cli(const char *json, long long now, long long *life, char **err)
{
	char *t = NULL;
	int rc = azure_parse_cli_answer(json, now, &t, life, err);
	CHECK(rc ? !t && *err : t && !strcmp(t, "eyJ.a.b"));
	free(t);
	return rc;
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	long long life = 0;
	const long long now = 1700000000;

	/* Entra v1 / IMDS: expires_in as a string or a number, else expires_on. */
	CHECK(tok("{\"access_token\":\"T0k\",\"expires_in\":\"3599\"}", now, &life) == 0 && life == 3599000);
	CHECK(tok("{\"access_token\":\"T0k\",\"expires_in\":60}", now, &life) == 0 && life == 60000);
	CHECK(tok("{\"access_token\":\"T0k\",\"expires_on\":\"1700000100\"}", now, &life) == 0 && life == 100000);
	CHECK(tok("{\"access_token\":\"T0k\"}", now, &life) == 0 && life == 3600000);
	/* Bounded: a year-long token is believed for a day; expired / zero refused. */
	CHECK(tok("{\"access_token\":\"T0k\",\"expires_in\":1e300}", now, &life) == 0 && life == 86400000);
	CHECK(tok("{\"access_token\":\"T0k\",\"expires_in\":0}", now, &life) < 0);
	CHECK(tok("{\"access_token\":\"T0k\",\"expires_on\":\"1600000000\"}", now, &life) < 0);
	/* No token, a token that is not a string, one that would break a header. */
	CHECK(tok("{\"expires_in\":60}", now, &life) < 0);
	CHECK(tok("{\"access_token\":42}", now, &life) < 0);
	CHECK(tok("{\"access_token\":\"a\\r\\nX-Evil: 1\"}", now, &life) < 0);
	CHECK(tok("not json", now, &life) < 0);
	CHECK(tok(NULL, now, &life) < 0);

	/* az: expires_on (epoch) preferred, else expiresOn in local time. */
	char *err = NULL;
	CHECK(cli("{\"accessToken\":\"eyJ.a.b\",\"expires_on\":1700000600,\"expiresOn\":\"2001-01-01 00:00:00.000000\"}",
		  now, &life, &err) == 0 && life == 600000);
	struct tm tm;
	time_t in_5min = (time_t)time(NULL) + 300;
	char buf[64], json[256];
	localtime_r(&in_5min, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S.123456", &tm);
	snprintf(json, sizeof(json), "{\"accessToken\":\"eyJ.a.b\",\"expiresOn\":\"%s\"}", buf);
	CHECK(cli(json, (long long)time(NULL), &life, &err) == 0 && life > 290000 && life <= 300000);
	CHECK(cli("{\"accessToken\":\"eyJ.a.b\",\"expiresOn\":\"soon\"}", now, &life, &err) < 0 && strstr(err, "expiresOn"));
	free(err);
	err = NULL;
	CHECK(cli("{\"accessToken\":\"eyJ.a.b\",\"expiresOn\":\"2023-13-45 99:00:00\"}", now, &life, &err) < 0);
	free(err);
	err = NULL;
	CHECK(cli("{\"token\":\"x\",\"expires_on\":1800000000}", now, &life, &err) < 0 && strstr(err, "accessToken"));
	free(err);
	err = NULL;
	CHECK(cli("[]", now, &life, &err) < 0);
	free(err);

	/* upn claim: user tokens get no management token. */
	CHECK(azure_jwt_has_upn("eyJhbGciOiJub25lIn0.eyJ1cG4iOiJhQGIuYyJ9.sig"));   /* {"upn":"a@b.c"} */
	CHECK(!azure_jwt_has_upn("eyJhbGciOiJub25lIn0.eyJvaWQiOiJ4In0.sig"));       /* {"oid":"x"} */
	CHECK(!azure_jwt_has_upn("not-a-jwt") && !azure_jwt_has_upn(NULL) && !azure_jwt_has_upn("a.!!!.b"));

	/* Authorities and login app ids. */
	unsetenv("AZURE_AUTHORITY_HOST");
	CHECK(!strcmp(azure_authority(NULL, "https://adb-1.2.azuredatabricks.net"), "https://login.microsoftonline.com"));
	CHECK(!strcmp(azure_authority(NULL, "https://adb-1.2.databricks.azure.us"), "https://login.microsoftonline.us"));
	CHECK(!strcmp(azure_authority("AzureChinaCloud", NULL), "https://login.chinacloudapi.cn"));
	CHECK(!strcmp(azure_authority("usgovernment", NULL), "https://login.microsoftonline.us"));
	setenv("AZURE_AUTHORITY_HOST", "http://127.0.0.1:1", 1);
	CHECK(!strcmp(azure_authority("CHINA", NULL), "http://127.0.0.1:1"));
	CHECK(!strcmp(conn_azure_login_app_id("https://x.dev.azuredatabricks.net"), "62a912ac-b58e-4c1d-89ea-b2dbfc7358fc"));
	CHECK(!strcmp(conn_azure_login_app_id("http://127.0.0.1:8080"), "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d"));
	CHECK(conn_host_is_azure("https://adb-1.2.azuredatabricks.net:443") && !conn_host_is_azure("https://azuredatabricks.net.evil.com"));
	CHECK(!conn_host_is_azure(NULL) && !conn_host_is_azure("https://dbc-1.cloud.databricks.com"));
	return check_done();
}
