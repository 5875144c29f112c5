/*
 * oauth_util.h - the pure pieces of the OAuth sign-in methods (U2M, OIDC
 * federation): PKCE, RFC 3339 times, the Databricks CLI's token cache
 * document, token endpoint answers, and URL/form building.
 *
 * Contract: no I/O, no globals, thread-safe. Functions that allocate return
 * NULL / -ENOMEM only on ENOMEM. Everything read from a remote answer or a
 * file is bounded: texts by OAUTH_MAX_TOKEN_LEN, the cache by
 * OAUTH_CACHE_MAX_BYTES and OAUTH_CACHE_MAX_ENTRIES, numbers clamped through
 * util/jsonnum.h. Secrets are never put into messages; free them with
 * oauth_wipe_free().
 *
 * The token cache is the Databricks CLI's (databricks-sdk-go
 * credentials/u2m/cache/file.go, version 1):
 *   {"version": 1, "tokens": {KEY: {"access_token", "token_type",
 *    "refresh_token", "expiry"}}}
 * KEY is the workspace host ("https://adb-1.2.azuredatabricks.net"), or
 * HOST/oidc/accounts/ACCOUNT_ID for an account; "expiry" is RFC 3339 (Go's
 * time.Time), the zero time 0001-01-01T00:00:00Z meaning "no expiry".
 */
#ifndef UCFS_UC_OAUTH_UTIL_H
#define UCFS_UC_OAUTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#define OAUTH_MAX_TOKEN_LEN (32 * 1024)        /* one token, code or id */
#define OAUTH_CACHE_MAX_BYTES (4 * 1024 * 1024) /* the cache file */
#define OAUTH_CACHE_MAX_ENTRIES 1000
#define OAUTH_ANSWER_MAX_BYTES (256 * 1024)    /* a token endpoint answer */
#define OAUTH_NO_EXPIRY (-1LL)                 /* Go's zero time: never expires */

/* base64url without padding of LEN bytes into a new string. */
char *oauth_b64url(const unsigned char *data, size_t len);
/* The PKCE S256 challenge of VERIFIER (RFC 7636 4.2). */
char *oauth_pkce_challenge(const char *verifier);
/* A random string of N bytes, base64url (verifier: 32, state: 16). NULL on
 * ENOMEM or when the random source fails. */
char *oauth_random(size_t n);

/* RFC 3339 "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)" ('t'/'z'/' '
 * accepted; storage/listing.h parses it) into epoch milliseconds. 0, or -EINVAL
 * (malformed, before 1970, after 9999).
 * Go's zero time gives OAUTH_NO_EXPIRY. */
int oauth_parse_time(const char *s, long long *epoch_ms);
/* Epoch ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) into buf. OAUTH_NO_EXPIRY
 * gives the zero time. */
void oauth_format_time(long long epoch_ms, char buf[40]);

struct oauth_token {
	char *access_token, *token_type, *refresh_token;
	long long expiry_ms; /* epoch ms, or OAUTH_NO_EXPIRY */
};
void oauth_token_clear(struct oauth_token *t); /* wipes and frees, zeroes */

/* A token endpoint's JSON answer (access_token required; expires_in
 * clamped to [1 s, 10 years], 1 hour when absent; token_type defaults to
 * "Bearer"; refresh_token optional) with NOW_MS as the issue time.
 * 0, -EBADMSG (with *what: a static reason), -ENOMEM. */
int oauth_parse_token_answer(const char *body, size_t len, long long now_ms, struct oauth_token *t,
			     const char **what);
/* An OAuth error answer's "error" and "error_description", escaped and cut
 * to 200 bytes each, as "error: description" (malloc'ed), or NULL. */
char *oauth_error_text(const char *body, size_t len);

/* The cache document. */
struct oauth_cache;
/* Parse TEXT (NULL or "" = empty cache). 0, -EBADMSG (not JSON, wrong
 * version, too big, too many entries), -ENOMEM. */
int oauth_cache_parse(const char *text, size_t len, struct oauth_cache **out);
struct oauth_cache *oauth_cache_new(void);
/* The entry of KEY: 0 (copied into *t), -ENOENT, -EBADMSG (entry without
 * an access token or with a malformed expiry), -ENOMEM. */
int oauth_cache_get(const struct oauth_cache *c, const char *key, struct oauth_token *t);
/* Set (or replace) KEY; every other entry is kept as it was, unknown
 * fields included. 0 or -ENOMEM. */
int oauth_cache_put(struct oauth_cache *c, const char *key, const struct oauth_token *t);
/* The document as the Go SDK writes it (2-space indent), malloc'ed. */
char *oauth_cache_print(const struct oauth_cache *c);
void oauth_cache_free(struct oauth_cache *c);

/* The cache key of a workspace HOST (no trailing '/'), or of an account
 * when ACCOUNT_ID is set: HOST/oidc/accounts/ACCOUNT_ID. */
char *oauth_cache_key(const char *host, const char *account_id);

/* "{host}/oidc/v1/authorize?..." with every value percent-encoded. */
char *oauth_authorize_url(const char *host, const char *client_id, const char *redirect_uri,
			  const char *scopes, const char *state, const char *challenge);
/* An application/x-www-form-urlencoded body of N name/value pairs (values
 * may be NULL: pair left out). */
char *oauth_form(size_t n, const char *const *names, const char *const *values);
/* The value of NAME in a query string ("a=1&b=2"), percent- and '+'-decoded,
 * at most OAUTH_MAX_TOKEN_LEN; NULL when absent, malformed or on ENOMEM.
 * A repeated name gives NULL (ambiguous). */
char *oauth_query_get(const char *query, const char *name);

void oauth_wipe_free(char *s);

#endif
