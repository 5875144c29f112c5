/* fuzz_sigv4.c - libFuzzer target: SigV4 canonicalisation and signing
 * (sigv4.c). The path, query and header values come from remote answers
 * (object keys, continuation tokens, vended session tokens and access
 * points), so all of the request is fuzzed.
 * Input: WHEN '\n' METHOD '\n' HOST '\n' PATH '\n' QUERY '\n' REGION '\n'
 * SERVICE '\n' ACCESS_KEY_ID '\n' SECRET '\n' SESSION_TOKEN '\n'
 * PAYLOAD_SHA256 '\n' HEADER LINES... (WHEN: decimal seconds; an empty
 * SESSION_TOKEN or PAYLOAD_SHA256 field means none). Checked: encoded text
 * holds only unreserved bytes and %XX, the canonical query is a fixed point
 * (canonicalising it again changes nothing), signing either fails cleanly or
 * gives 3-4 header lines ending with the Authorization line. */
#include <ctype.h>
#include <errno.h>

#include "fuzz_input.h"
#include "storage/sigv4.h"

#define NF 12

static void check_encoded(const char *e, bool slash_kept)
{
	for (const char *p = e; *p; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch == '%')
			FUZZ_CHECK(isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2]));
		else
			FUZZ_CHECK(isalnum(ch) || strchr("-._~", ch) || (slash_kept && ch == '/'));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[NF], **hdrs = NULL, *q = NULL;
	size_t nh = 0;

	fuzz_fields(data, size, f, NF);
	/* header lines: the last field split on '\n', NULL-terminated */
	if (f[NF - 1]) {
		nh = 1;
		for (const char *p = f[NF - 1]; *p; p++)
			nh += *p == '\n';
		if (!(hdrs = calloc(nh + 1, sizeof(*hdrs))))
			abort();
		char *line = f[NF - 1];
		for (size_t i = 0; i < nh; i++) {
			char *nl = strchr(line, '\n');
			hdrs[i] = nl ? strndup(line, (size_t)(nl - line)) : strdup(line);
			if (!hdrs[i])
				abort();
			line = nl ? nl + 1 : line + strlen(line);
		}
	}

	for (int slash = 0; slash < 2; slash++) {
		char *e = sigv4_uri_encode(f[3], slash);
		FUZZ_CHECK(e);
		check_encoded(e, !slash);
		free(e);
	}
	int rc = sigv4_canonical_query(f[4], &q);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (!rc) {
		char *q2 = NULL;
		FUZZ_CHECK(sigv4_canonical_query(q, &q2) == 0 && !strcmp(q, q2));
		free(q2);
	}
	free(q);

	struct sigv4_creds c = {.access_key_id = f[7], .secret_access_key = f[8],
				.session_token = f[9] && *f[9] ? f[9] : NULL};
	struct sigv4_request r = {.method = f[1], .host = f[2], .path = f[3], .query = f[4],
				  .headers = (const char *const *)hdrs, .region = f[5], .service = f[6],
				  .payload_sha256_hex = f[10] && *f[10] ? f[10] : NULL,
				  .when = f[0] ? (time_t)strtoll(f[0], NULL, 10) : 0};
	char *creq = NULL, *sh = NULL;
	rc = sigv4_canonical_request(&c, &r, &creq, &sh);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	FUZZ_CHECK(rc ? !creq && !sh : creq && sh);
	free(creq);
	free(sh);

	char **out = NULL;
	size_t n = 0;
	rc = sigv4_sign(&c, &r, &out, &n);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM || rc == -EIO);
	if (!rc)
		FUZZ_CHECK(n >= 2 && n <= 4 && !strncmp(out[n - 1], "Authorization: AWS4-HMAC-SHA256 ", 32));
	else
		FUZZ_CHECK(!out && !n);
	sigv4_headers_free(out, n);

	for (size_t i = 0; i < nh; i++)
		free(hdrs[i]);
	free(hdrs);
	fuzz_fields_free(f, NF);
	return 0;
}
