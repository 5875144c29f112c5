/* test_oauth.c - the pure parts of U2M / OIDC sign-in (uc/oauth_util.h):
 * PKCE (RFC 7636 appendix B), RFC 3339 expiries, the Databricks CLI's token
 * cache document (read, merge, write as the Go SDK does), token answers,
 * URLs and forms. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "uc/oauth_util.h"

static long long t(const char *s)
{
	long long ms = -2;
	return oauth_parse_time(s, &ms) ? -99 : ms;
}

static void pkce(void)
{
	/* RFC 7636 appendix B */
	char *c = oauth_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	CHECK_STR(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	free(c);
	/* b64url of the RFC's octets: the verifier itself */
	static const unsigned char octets[] = {116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96,
					       125, 216, 173, 187, 186, 22, 212, 37, 77, 105, 214,
					       191, 240, 91, 88, 5, 88, 83, 132, 141, 121};
	char *v = oauth_b64url(octets, sizeof(octets));
	CHECK_STR(v, "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	free(v);
	char *r1 = oauth_random(32), *r2 = oauth_random(32);
	CHECK(r1 && r2 && strlen(r1) == 43 && strcmp(r1, r2) != 0);
	CHECK(r1 && strspn(r1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43);
	free(r1);
	free(r2);
	CHECK(oauth_random(65) == NULL);
}

static void times(void)
{
	CHECK(t("1970-01-01T00:00:00Z") == 0);
	CHECK(t("2024-02-29T12:34:56Z") == 1709210096000LL);
	CHECK(t("2024-02-29T12:34:56.5Z") == 1709210096500LL);
	CHECK(t("2024-02-29T12:34:56.123456789Z") == 1709210096123LL);
	CHECK(t("2024-02-29T14:34:56.123+02:00") == 1709210096123LL);
	CHECK(t("2024-02-29T07:04:56-05:30") == 1709210096000LL);
	CHECK(t("2024-02-29t12:34:56z") == 1709210096000LL);
	CHECK(t("0001-01-01T00:00:00Z") == OAUTH_NO_EXPIRY); /* Go's zero time */
	/* malformed or out of range */
	CHECK(t("2024-02-30T00:00:00Z") == -99);
	CHECK(t("2024-13-01T00:00:00Z") == -99);
	CHECK(t("2024-01-01T24:00:00Z") == -99);
	CHECK(t("2024-01-01T00:00:00") == -99);
	CHECK(t("2023-02-29T00:00:00Z") == -99);
	CHECK(t("2024-01-01T00:00:00+0200") == t("2023-12-31T22:00:00Z"));
	CHECK(t("2024-01-01T00:00:00.Z") == -99);
	CHECK(t("1969-12-31T23:59:59Z") == -99);
	CHECK(t("10000-01-01T00:00:00Z") == -99);
	CHECK(t("2024-01-01T00:00:00Zjunk") == -99);
	CHECK(t("") == -99);
	CHECK(t("9999-12-31T23:59:59.999Z") == 253402300799999LL);
	char buf[40];
	oauth_format_time(1709210096123LL, buf);
	CHECK_STR(buf, "2024-02-29T12:34:56.123Z");
	CHECK(t(buf) == 1709210096123LL);
	oauth_format_time(OAUTH_NO_EXPIRY, buf);
	CHECK_STR(buf, "0001-01-01T00:00:00Z");
	oauth_format_time(0, buf);
	CHECK_STR(buf, "1970-01-01T00:00:00.000Z");
}

/* As databricks-sdk-go's file cache writes it (json.MarshalIndent, Go time). */
static const char GO_CACHE[] =
	"{\n  \"version\": 1,\n  \"tokens\": {\n"
	"    \"https://other.cloud.databricks.com\": {\n"
	"      \"access_token\": \"other-at\",\n      \"token_type\": \"Bearer\",\n"
	"      \"refresh_token\": \"other-rt\",\n"
	"      \"expiry\": \"2030-01-02T03:04:05.123456789+01:00\",\n      \"expires_in\": 3600\n    },\n"
	"    \"https://acc.cloud.databricks.com/oidc/accounts/abc\": {\n"
	"      \"access_token\": \"acc-at\",\n      \"token_type\": \"Bearer\",\n"
	"      \"expiry\": \"0001-01-01T00:00:00Z\"\n    }\n  }\n}\n";

static void cache(void)
{
	struct oauth_cache *c = NULL;
	CHECK(oauth_cache_parse(GO_CACHE, strlen(GO_CACHE), &c) == 0);
	struct oauth_token tk;
	CHECK(oauth_cache_get(c, "https://other.cloud.databricks.com", &tk) == 0);
	CHECK_STR(tk.access_token, "other-at");
	CHECK_STR(tk.refresh_token, "other-rt");
	CHECK(tk.expiry_ms == t("2030-01-02T02:04:05.123Z"));
	oauth_token_clear(&tk);
	char *key = oauth_cache_key("https://acc.cloud.databricks.com/", "abc");
	CHECK_STR(key, "https://acc.cloud.databricks.com/oidc/accounts/abc");
	CHECK(oauth_cache_get(c, key, &tk) == 0 && tk.expiry_ms == OAUTH_NO_EXPIRY && !tk.refresh_token);
	oauth_token_clear(&tk);
	free(key);
	CHECK(oauth_cache_get(c, "https://nope", &tk) == -ENOENT);

	/* put: a new entry; the others stay as they were (expires_in included) */
	struct oauth_token mine = {.access_token = "my-at", .refresh_token = "my-rt",
				   .token_type = "Bearer", .expiry_ms = 1709210096123LL};
	CHECK(oauth_cache_put(c, "https://mine.databricks.com", &mine) == 0);
	mine.access_token = "my-at-2";
	CHECK(oauth_cache_put(c, "https://mine.databricks.com", &mine) == 0);
	char *out = oauth_cache_print(c);
	CHECK(out && strstr(out, "\n  \"version\": 1,\n  \"tokens\": {\n    \"https://other") != NULL);
	CHECK(out && !strchr(out, '\t'));
	oauth_cache_free(c);
	c = NULL;
	CHECK(out && oauth_cache_parse(out, strlen(out), &c) == 0);
	CHECK(c && oauth_cache_get(c, "https://mine.databricks.com", &tk) == 0);
	CHECK_STR(tk.access_token, "my-at-2");
	CHECK(tk.expiry_ms == 1709210096123LL);
	oauth_token_clear(&tk);
	cJSON *root = out ? cJSON_Parse(out) : NULL;
	cJSON *toks = cJSON_GetObjectItem(root, "tokens");
	CHECK(cJSON_GetArraySize(toks) == 3);
	cJSON *other = cJSON_GetObjectItem(toks, "https://other.cloud.databricks.com");
	CHECK(cJSON_GetObjectItem(other, "expires_in") != NULL);
	CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(other, "expiry")),
		  "2030-01-02T03:04:05.123456789+01:00");
	/* the entry has exactly the four fields of Go's oauth2.Token */
	cJSON *m = cJSON_GetObjectItem(toks, "https://mine.databricks.com");
	CHECK(cJSON_GetArraySize(m) == 4);
	CHECK(cJSON_IsString(cJSON_GetObjectItem(m, "access_token")) &&
	      cJSON_IsString(cJSON_GetObjectItem(m, "token_type")) &&
	      cJSON_IsString(cJSON_GetObjectItem(m, "refresh_token")) &&
	      cJSON_IsString(cJSON_GetObjectItem(m, "expiry")));
	cJSON_Delete(root);
	free(out);
	oauth_cache_free(c);

	/* hostile or foreign documents */
	static const char *bad[] = {"[]", "{\"version\": 2, \"tokens\": {}}", "{\"tokens\": {}}",
				    "{\"version\": 1, \"tokens\": []}", "{\"version\": \"1\"}", "{", "nul"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		c = NULL;
		CHECK(oauth_cache_parse(bad[i], strlen(bad[i]), &c) == -EBADMSG && !c);
	}
	CHECK(oauth_cache_parse("", 0, &c) == 0 && c);
	oauth_cache_free(c);
	static const char nulltoks[] = "{\"version\": 1, \"tokens\": null}";
	CHECK(oauth_cache_parse(nulltoks, strlen(nulltoks), &c) == 0);
	CHECK(oauth_cache_put(c, "k", &mine) == 0);
	oauth_cache_free(c);
	/* entries: wrong types, bad expiry, control characters in a token */
	static const char odd[] = "{\"version\": 1, \"tokens\": {\"a\": 5, \"b\": {\"access_token\": \"x\", "
				  "\"expiry\": \"tomorrow\"}, \"c\": {\"access_token\": \"x\\r\\nX-Evil: 1\"}, "
				  "\"d\": {\"access_token\": \"ok\"}}}";
	CHECK(oauth_cache_parse(odd, strlen(odd), &c) == 0);
	CHECK(oauth_cache_get(c, "a", &tk) == -EBADMSG);
	CHECK(oauth_cache_get(c, "b", &tk) == -EBADMSG);
	CHECK(oauth_cache_get(c, "c", &tk) == -EBADMSG);
	CHECK(oauth_cache_get(c, "d", &tk) == 0 && tk.expiry_ms == OAUTH_NO_EXPIRY);
	oauth_token_clear(&tk);
	oauth_cache_free(c);
	/* too many entries */
	char *big = malloc(64 * (OAUTH_CACHE_MAX_ENTRIES + 2));
	size_t n = (size_t)sprintf(big, "{\"version\":1,\"tokens\":{");
	for (int i = 0; i <= OAUTH_CACHE_MAX_ENTRIES; i++)
		n += (size_t)sprintf(big + n, "%s\"k%d\":{}", i ? "," : "", i);
	n += (size_t)sprintf(big + n, "}}");
	CHECK(oauth_cache_parse(big, n, &c) == -EBADMSG);
	free(big);
}

static void answers(void)
{
	struct oauth_token tk;
	const char *why;
	static const char ok[] = "{\"access_token\":\"at\",\"refresh_token\":\"rt\",\"expires_in\":300,"
				 "\"token_type\":\"bearer\"}";
	CHECK(oauth_parse_token_answer(ok, strlen(ok), 1000, &tk, &why) == 0);
	CHECK_STR(tk.access_token, "at");
	CHECK_STR(tk.refresh_token, "rt");
	CHECK(tk.expiry_ms == 301000);
	oauth_token_clear(&tk);
	static const char huge[] = "{\"access_token\":\"at\",\"expires_in\":1e300}";
	CHECK(oauth_parse_token_answer(huge, strlen(huge), 0, &tk, &why) == 0);
	CHECK(tk.expiry_ms == 10LL * 366 * 86400 * 1000);
	oauth_token_clear(&tk);
	static const char neg[] = "{\"access_token\":\"at\",\"expires_in\":-5}";
	CHECK(oauth_parse_token_answer(neg, strlen(neg), 0, &tk, &why) == 0 && tk.expiry_ms == 1000);
	oauth_token_clear(&tk);
	static const char none[] = "{\"access_token\":\"at\"}";
	CHECK(oauth_parse_token_answer(none, strlen(none), 0, &tk, &why) == 0 && tk.expiry_ms == 3600000);
	CHECK_STR(tk.token_type, "Bearer");
	oauth_token_clear(&tk);
	static const char *bad[] = {"{}", "[]", "{\"access_token\":5}", "{\"access_token\":\"\"}",
				    "{\"access_token\":\"a b\"}", "x"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(oauth_parse_token_answer(bad[i], strlen(bad[i]), 0, &tk, &why) == -EBADMSG && why);
	static const char err[] = "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid user \\u001b[31mcredentials\"}";
	char *e = oauth_error_text(err, strlen(err));
	CHECK(e && strstr(e, "invalid_grant: Invalid user") == e && !strchr(e, 0x1b));
	free(e);
	CHECK(oauth_error_text("nope", 4) == NULL);
}

static void urls(void)
{
	char *u = oauth_authorize_url("https://h.example", "databricks-cli", "http://localhost:8020",
				      "all-apis offline_access", "st", "ch");
	CHECK_STR(u, "https://h.example/oidc/v1/authorize?response_type=code&client_id=databricks-cli"
		     "&redirect_uri=http%3A%2F%2Flocalhost%3A8020&scope=all-apis%20offline_access"
		     "&state=st&code_challenge=ch&code_challenge_method=S256");
	free(u);
	const char *names[] = {"a", "b", "c"};
	const char *values[] = {"x&y=z", NULL, "ü+"};
	char *f = oauth_form(3, names, values);
	CHECK_STR(f, "a=x%26y%3Dz&c=%C3%BC%2B");
	free(f);
	char *v = oauth_query_get("code=a%2Fb+c&state=s", "code");
	CHECK_STR(v, "a/b c");
	free(v);
	v = oauth_query_get("xcode=1&code=2", "code");
	CHECK_STR(v, "2");
	free(v);
	CHECK(oauth_query_get("code=1&code=2", "code") == NULL); /* ambiguous */
	CHECK(oauth_query_get("code=%zz", "code") == NULL);
	CHECK(oauth_query_get("code=a%00b", "code") == NULL);
	CHECK(oauth_query_get("state=1", "code") == NULL);
	CHECK(oauth_query_get("", "code") == NULL);
	char *k = oauth_cache_key("https://h.example//", NULL);
	CHECK_STR(k, "https://h.example");
	free(k);
}

int main(void)
{
	pkce();
	times();
	cache();
	answers();
	urls();
	return check_done();
}
