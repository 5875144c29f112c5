/* test_vending.c - parsing temporary-table-credentials answers (OSS and
 * Databricks shapes, every cloud) and when to refresh them. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "uc/vending.h"

int main(void)
{
	struct storage_creds c;
	char *err = NULL;

	/* AWS, as the OSS server vends a static session credential. */
	CHECK(vending_parse("{\"aws_temp_credentials\":{\"access_key_id\":\"AKID\","
			    "\"secret_access_key\":\"SECRET\",\"session_token\":\"TOKEN\"},"
			    "\"expiration_time\":1795679486000,\"url\":\"s3://b/t\"}",
			    &c, &err) == 0);
	CHECK_STR(c.aws_access_key_id, "AKID");
	CHECK_STR(c.aws_secret_access_key, "SECRET");
	CHECK_STR(c.aws_session_token, "TOKEN");
	CHECK(c.aws_access_point == NULL && c.azure_sas == NULL);
	CHECK(c.expires_at_ms == 1795679486000LL);
	storage_creds_clear(&c);
	CHECK(c.aws_access_key_id == NULL);

	/* Azure SAS with a leading '?', Databricks omits expiration when static. */
	CHECK(vending_parse("{\"azure_user_delegation_sas\":{\"sas_token\":\"?sv=2021&sig=abc\"}}",
			    &c, &err) == 0);
	CHECK_STR(c.azure_sas, "sv=2021&sig=abc");
	CHECK(c.expires_at_ms == 0);
	storage_creds_clear(&c);

	/* GCP, with an explicit null expiration (OSS style). */
	CHECK(vending_parse("{\"gcp_oauth_token\":{\"oauth_token\":\"ya29.x\"},"
			    "\"expiration_time\":null}", &c, &err) == 0);
	CHECK_STR(c.gcp_oauth_token, "ya29.x");
	storage_creds_clear(&c);

	/* file:// tables: the OSS server answers {} - no credentials needed. */
	CHECK(vending_parse("{}", &c, &err) == 0);
	CHECK(!c.aws_access_key_id && !c.azure_sas && !c.gcp_oauth_token);
	storage_creds_clear(&c);

	/* expiration_time out of range is clamped, never cast out of range
	 * (undefined behaviour: UBSan fails this test if it is): huge -> year
	 * 9999, negative -> long expired (1), 0 -> none given. */
	static const struct { const char *exp; int64_t want; } exps[] = {
		{"1e300", 253402300799999LL}, {"1e999", 253402300799999LL},
		{"9223372036854775808", 253402300799999LL}, {"-1e300", 1}, {"-1e999", 1},
		{"-9223372036854775809", 1}, {"-5", 1}, {"0", 0}, {"-0", 0}, {"0.5", 1},
		{"1795679486000.9", 1795679486000LL},
	};
	for (size_t i = 0; i < sizeof(exps) / sizeof(exps[0]); i++) {
		char json[128];
		snprintf(json, sizeof(json), "{\"gcp_oauth_token\":{\"oauth_token\":\"t\"},"
			 "\"expiration_time\":%s}", exps[i].exp);
		CHECK(vending_parse(json, &c, &err) == 0);
		if (c.expires_at_ms != exps[i].want)
			fprintf(stderr, "expiration_time %s -> %lld\n", exps[i].exp, (long long)c.expires_at_ms);
		CHECK(c.expires_at_ms == exps[i].want);
		storage_creds_clear(&c);
	}

	/* Unknown extra fields (r2, aad) are tolerated. */
	CHECK(vending_parse("{\"r2_temp_credentials\":{\"x\":1},\"azure_aad\":{\"aad_token\":\"t\"}}",
			    &c, &err) == 0);
	storage_creds_clear(&c);

	/* Malformed answers. */
	CHECK(vending_parse("not json", &c, &err) == -EBADMSG);
	CHECK(err != NULL);
	free(err);
	err = NULL;
	CHECK(vending_parse("[1,2]", &c, &err) == -EBADMSG);
	free(err);
	err = NULL;
	CHECK(vending_parse("{\"aws_temp_credentials\":{\"access_key_id\":\"A\"}}", &c, &err) ==
	      -EBADMSG);
	CHECK(err && !strstr(err, "A\"")); /* the message names no key material */
	free(err);

	/* Refresh ahead of expiry: min(5 min, half the lifetime) before it. */
	const int64_t hour = 3600000, min = 60000;
	CHECK(!vending_needs_refresh(50 * min, hour));
	CHECK(!vending_needs_refresh(6 * min, hour));
	CHECK(vending_needs_refresh(5 * min, hour));
	CHECK(vending_needs_refresh(0, hour));
	CHECK(vending_needs_refresh(-1000, hour));
	CHECK(!vending_needs_refresh(2 * min, 2 * min + 1000)); /* short-lived: half */
	CHECK(!vending_needs_refresh(61000, 2 * min));
	CHECK(vending_needs_refresh(60000, 2 * min));

	/* When to ask again (issue 8): the margin for a normal answer, a growing
	 * backoff for one that is expired or nearly so (clock skew), never 0. */
	const int64_t t0 = 1700000000000LL;
	int64_t b = 0;
	CHECK(vending_next_fetch(t0, 0, &b) == INT64_MAX && b == 0);
	CHECK(vending_next_fetch(t0, t0 + hour, &b) == t0 + hour - 5 * min && b == 0);
	CHECK(vending_next_fetch(t0, t0 + 4000, &b) == t0 + 2000 && b == 0); /* half of 4 s */
	CHECK(vending_next_fetch(t0, t0 + 3000, &b) == t0 + 1500 && b == 0); /* short-lived: normal */
	CHECK(vending_next_fetch(t0, t0 + 2100, &b) == t0 + 1050 && b == 0);
	CHECK(vending_next_fetch(t0, t0 + 2001, &b) == t0 + 1001 && b == 0);
	CHECK(vending_next_fetch(t0, t0 - 10 * min, &b) == t0 + 2000 && b == 2000);
	CHECK(vending_next_fetch(t0, t0 - 10 * min, &b) == t0 + 4000 && b == 4000);
	CHECK(vending_next_fetch(t0, t0 + 1000, &b) == t0 + 8000 && b == 8000); /* nearly expired */
	for (int i = 0; i < 20; i++)
		vending_next_fetch(t0, t0 - 1, &b);
	CHECK(b == VENDING_BACKOFF_MAX_MS);
	CHECK(vending_next_fetch(t0, INT64_MIN, &b) == t0 + VENDING_BACKOFF_MAX_MS);
	CHECK(vending_next_fetch(t0, t0 + hour, &b) == t0 + hour - 5 * min && b == 0); /* reset */
	CHECK(vending_next_fetch(t0, INT64_MAX, &b) == INT64_MAX - 5 * min && b == 0);
	CHECK(vending_next_fetch(t0, t0 + 2000, &b) == t0 + 2000 && b == 2000); /* 2 s: backoff */
	return check_done();
}
