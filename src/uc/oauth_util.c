/* oauth_util.c - see oauth_util.h. */
#include "uc/oauth_util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/listing.h"
#include "util/jsonnum.h"
#include "util/names.h"
#include "util/strutil.h"

void oauth_wipe_free(char *s)
{
	if (s) {
		volatile char *p = s;
		while (*p)
			*p++ = 0;
		free(s);
	}
}

char *oauth_b64url(const unsigned char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	int n = EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = 0;
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

char *oauth_pkce_challenge(const char *verifier)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)verifier, strlen(verifier), md);
	return oauth_b64url(md, sizeof(md));
}

char *oauth_random(size_t n)
{
	unsigned char buf[64];
	if (n > sizeof(buf) || RAND_bytes(buf, (int)n) != 1)
		return NULL;
	char *s = oauth_b64url(buf, n);
	memset(buf, 0, sizeof(buf));
	return s;
}

/* ------------------------------------------------------------------ times */

int oauth_parse_time(const char *s, long long *epoch_ms)
{
	struct timespec ts;
	if (str_eq(s, "0001-01-01T00:00:00Z")) { /* Go's zero time.Time */
		*epoch_ms = OAUTH_NO_EXPIRY;
		return 0;
	}
	if (!s || listing_parse_time_iso8601(s, &ts))
		return -EINVAL;
	/* Before the epoch (no expiry worth keeping) or past year 9999: refused,
	 * so the milliseconds below cannot overflow. */
	if (ts.tv_sec < 0 || ts.tv_sec > JSON_EPOCH_MS_MAX / 1000)
		return -EINVAL;
	*epoch_ms = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return 0;
}

void oauth_format_time(long long epoch_ms, char buf[40])
{
	if (epoch_ms < 0) {
		strcpy(buf, "0001-01-01T00:00:00Z");
		return;
	}
	if (epoch_ms > JSON_EPOCH_MS_MAX)
		epoch_ms = JSON_EPOCH_MS_MAX;
	long long secs = epoch_ms / 1000, z = secs / 86400 + 719468, sod = secs % 86400;
	long long era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long long y = (long long)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned d = doy - (153 * mp + 2) / 5 + 1;
	unsigned m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	snprintf(buf, 40, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", y, m, d, sod / 3600,
		 sod / 60 % 60, sod % 60, epoch_ms % 1000);
}

/* ------------------------------------------------------------------ tokens */

void oauth_token_clear(struct oauth_token *t)
{
	oauth_wipe_free(t->access_token);
	oauth_wipe_free(t->refresh_token);
	free(t->token_type);
	memset(t, 0, sizeof(*t));
}

/* A bounded, non-empty string item without control characters, or NULL. */
static const char *good_str(const cJSON *root, const char *name)
{
	const cJSON *it = cJSON_GetObjectItemCaseSensitive(root, name);
	if (!cJSON_IsString(it) || str_empty(it->valuestring))
		return NULL;
	size_t n = strnlen(it->valuestring, OAUTH_MAX_TOKEN_LEN + 1);
	if (n > OAUTH_MAX_TOKEN_LEN)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)it->valuestring; *p; p++)
		if (*p < 0x21 || *p == 0x7f)
			return NULL; /* would break a header line */
	return it->valuestring;
}

static int fill_token(const cJSON *root, struct oauth_token *t)
{
	const char *at = good_str(root, "access_token");
	const char *rt = good_str(root, "refresh_token");
	const char *tt = good_str(root, "token_type");
	t->access_token = xstrdup(at);
	t->refresh_token = xstrdup(rt);
	t->token_type = xstrdup(tt ? tt : "Bearer");
	if ((at && !t->access_token) || (rt && !t->refresh_token) || !t->token_type) {
		oauth_token_clear(t);
		return -ENOMEM;
	}
	return 0;
}

int oauth_parse_token_answer(const char *body, size_t len, long long now_ms, struct oauth_token *t,
			     const char **what)
{
	memset(t, 0, sizeof(*t));
	*what = NULL;
	if (!body || len > OAUTH_ANSWER_MAX_BYTES) {
		*what = "the answer is too large";
		return -EBADMSG;
	}
	cJSON *root = cJSON_ParseWithLength(body, len);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		*what = "the answer is not a JSON object";
		return -EBADMSG;
	}
	int rc = fill_token(root, t);
	if (!rc && !t->access_token) {
		*what = "the answer has no usable access_token";
		oauth_token_clear(t);
		rc = -EBADMSG;
	}
	if (!rc) {
		long long secs = json_item_i64(cJSON_GetObjectItemCaseSensitive(root, "expires_in"), 1,
					       10LL * 366 * 86400, 3600);
		t->expiry_ms = now_ms + secs * 1000;
	}
	cJSON_Delete(root);
	return rc;
}

static char *cut_escaped(const char *s)
{
	char tmp[201];
	snprintf(tmp, sizeof(tmp), "%s", s);
	return name_escape(tmp);
}

char *oauth_error_text(const char *body, size_t len)
{
	if (!body || len > OAUTH_ANSWER_MAX_BYTES)
		return NULL;
	cJSON *root = cJSON_ParseWithLength(body, len);
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(root, "error_description");
	char *es = cJSON_IsString(e) ? cut_escaped(e->valuestring) : NULL;
	char *ds = cJSON_IsString(d) ? cut_escaped(d->valuestring) : NULL;
	char *out = NULL;
	if (es || ds)
		out = xasprintf("%s%s%s", es ? es : "", es && ds ? ": " : "", ds ? ds : "");
	free(es);
	free(ds);
	cJSON_Delete(root);
	return out;
}

/* ------------------------------------------------------------------ cache */

struct oauth_cache {
	cJSON *root; /* {"version": 1, "tokens": {...}} */
};

struct oauth_cache *oauth_cache_new(void)
{
	struct oauth_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->root = cJSON_CreateObject();
	if (!c->root || !cJSON_AddNumberToObject(c->root, "version", 1) ||
	    !cJSON_AddObjectToObject(c->root, "tokens")) {
		oauth_cache_free(c);
		return NULL;
	}
	return c;
}

int oauth_cache_parse(const char *text, size_t len, struct oauth_cache **out)
{
	*out = NULL;
	bool blank = true;
	for (size_t i = 0; text && i < len && blank; i++)
		blank = text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t';
	if (blank) {
		*out = oauth_cache_new();
		return *out ? 0 : -ENOMEM;
	}
	if (len > OAUTH_CACHE_MAX_BYTES)
		return -EBADMSG;
	cJSON *root = cJSON_ParseWithLength(text, len);
	if (!root)
		return cJSON_GetErrorPtr() ? -EBADMSG : -ENOMEM;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
	cJSON *toks = cJSON_GetObjectItemCaseSensitive(root, "tokens");
	int n = 0;
	if (!cJSON_IsObject(root) || !cJSON_IsNumber(v) || v->valuedouble != 1 ||
	    (toks && !cJSON_IsNull(toks) && !cJSON_IsObject(toks)) ||
	    (n = cJSON_GetArraySize(toks)) > OAUTH_CACHE_MAX_ENTRIES) {
		cJSON_Delete(root);
		return -EBADMSG;
	}
	if (!cJSON_IsObject(toks)) { /* absent or null, as Go writes a nil map */
		cJSON_DeleteItemFromObjectCaseSensitive(root, "tokens");
		if (!cJSON_AddObjectToObject(root, "tokens")) {
			cJSON_Delete(root);
			return -ENOMEM;
		}
	}
	struct oauth_cache *c = calloc(1, sizeof(*c));
	if (!c) {
		cJSON_Delete(root);
		return -ENOMEM;
	}
	c->root = root;
	*out = c;
	return 0;
}

int oauth_cache_get(const struct oauth_cache *c, const char *key, struct oauth_token *t)
{
	memset(t, 0, sizeof(*t));
	const cJSON *toks = cJSON_GetObjectItemCaseSensitive(c->root, "tokens");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(toks, key);
	if (!e || cJSON_IsNull(e))
		return -ENOENT;
	if (!cJSON_IsObject(e))
		return -EBADMSG;
	int rc = fill_token(e, t);
	if (rc)
		return rc;
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(e, "expiry");
	if (!t->access_token && !t->refresh_token) {
		oauth_token_clear(t);
		return -EBADMSG;
	}
	if (!ex || cJSON_IsNull(ex)) {
		t->expiry_ms = OAUTH_NO_EXPIRY;
	} else if (!cJSON_IsString(ex) || strlen(ex->valuestring) > 64 ||
		   oauth_parse_time(ex->valuestring, &t->expiry_ms)) {
		oauth_token_clear(t);
		return -EBADMSG;
	}
	return 0;
}

int oauth_cache_put(struct oauth_cache *c, const char *key, const struct oauth_token *t)
{
	cJSON *toks = cJSON_GetObjectItemCaseSensitive(c->root, "tokens");
	cJSON *e = cJSON_CreateObject();
	char when[40];
	oauth_format_time(t->expiry_ms, when);
	if (!e || !cJSON_AddStringToObject(e, "access_token", t->access_token ? t->access_token : "") ||
	    !cJSON_AddStringToObject(e, "token_type", t->token_type ? t->token_type : "Bearer") ||
	    (t->refresh_token && !cJSON_AddStringToObject(e, "refresh_token", t->refresh_token)) ||
	    !cJSON_AddStringToObject(e, "expiry", when)) {
		cJSON_Delete(e);
		return -ENOMEM;
	}
	if (cJSON_GetObjectItemCaseSensitive(toks, key)) {
		if (!cJSON_ReplaceItemInObjectCaseSensitive(toks, key, e)) {
			cJSON_Delete(e);
			return -ENOMEM;
		}
	} else if (!cJSON_AddItemToObject(toks, key, e)) {
		cJSON_Delete(e);
		return -ENOMEM;
	}
	return 0;
}

/* Wipe every string below IT (tokens) before it is freed. */
static void wipe_json(cJSON *it)
{
	for (; it; it = it->next) {
		if (cJSON_IsString(it) && it->valuestring) {
			volatile char *p = it->valuestring;
			while (*p)
				*p++ = 0;
		}
		wipe_json(it->child);
	}
}

/* cJSON_Print indents with tabs and puts one after ':'; Go's MarshalIndent
 * two spaces and a space. */
char *oauth_cache_print(const struct oauth_cache *c)
{
	char *raw = cJSON_Print(c->root);
	if (!raw)
		return NULL;
	struct strbuf sb = {0};
	bool in_str = false, esc = false, bol = false;
	int rc = 0;
	for (const char *p = raw; *p && !rc; p++) {
		if (in_str) {
			in_str = esc || *p != '"';
			esc = !esc && *p == '\\';
			rc = sb_append(&sb, p, 1);
			continue;
		}
		if (*p == '\n')
			bol = true;
		else if (*p != '\t')
			bol = false;
		if (*p == '\t')
			rc = sb_append(&sb, "  ", bol ? 2 : 1); /* indent, or after "key": */
		else
			rc = sb_append(&sb, p, 1);
		if (*p == '"')
			in_str = true;
	}
	if (!rc)
		rc = sb_append(&sb, "\n", 1);
	memset(raw, 0, strlen(raw));
	free(raw);
	if (rc) {
		if (sb.buf)
			memset(sb.buf, 0, sb.len);
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

void oauth_cache_free(struct oauth_cache *c)
{
	if (!c)
		return;
	if (c->root)
		wipe_json(c->root->child);
	cJSON_Delete(c->root);
	free(c);
}

char *oauth_cache_key(const char *host, const char *account_id)
{
	size_t n = strlen(host);
	while (n > 0 && host[n - 1] == '/')
		n--;
	if (str_empty(account_id))
		return xstrndup(host, n);
	return xasprintf("%.*s/oidc/accounts/%s", (int)n, host, account_id);
}

/* ------------------------------------------------------------------ URLs */

char *oauth_form(size_t n, const char *const *names, const char *const *values)
{
	struct strbuf sb = {0};
	int rc = 0;
	bool first = true;
	for (size_t i = 0; i < n && !rc; i++) {
		if (!values[i])
			continue;
		char *v = pct_encode(values[i], "");
		if (!v) {
			rc = -ENOMEM;
			break;
		}
		rc = sb_printf(&sb, "%s%s=%s", first ? "" : "&", names[i], v);
		oauth_wipe_free(v);
		first = false;
	}
	if (!rc && !sb.buf)
		rc = sb_puts(&sb, "");
	if (rc) {
		if (sb.buf)
			memset(sb.buf, 0, sb.len);
		sb_free(&sb);
		return NULL;
	}
	return sb_detach(&sb);
}

char *oauth_authorize_url(const char *host, const char *client_id, const char *redirect_uri,
			  const char *scopes, const char *state, const char *challenge)
{
	const char *names[] = {"response_type", "client_id", "redirect_uri", "scope", "state",
			       "code_challenge", "code_challenge_method"};
	const char *values[] = {"code", client_id, redirect_uri, scopes, state, challenge, "S256"};
	char *q = oauth_form(7, names, values);
	if (!q)
		return NULL;
	char *url = xasprintf("%s/oidc/v1/authorize?%s", host, q);
	free(q);
	return url;
}

char *oauth_query_get(const char *query, const char *name)
{
	size_t nl = strlen(name);
	char *found = NULL;
	for (const char *p = query; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t seg = amp ? (size_t)(amp - p) : strlen(p);
		if (seg > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			if (found || seg - nl - 1 > 3 * OAUTH_MAX_TOKEN_LEN) {
				oauth_wipe_free(found);
				return NULL;
			}
			char *raw = xstrndup(p + nl + 1, seg - nl - 1);
			if (!raw)
				return NULL;
			for (char *q = raw; *q; q++)
				if (*q == '+')
					*q = ' ';
			size_t dl = 0;
			found = pct_decode_len(raw, &dl);
			oauth_wipe_free(raw);
			if (!found || dl != strlen(found) || dl > OAUTH_MAX_TOKEN_LEN) {
				oauth_wipe_free(found);
				return NULL;
			}
		}
		p = amp ? amp + 1 : NULL;
	}
	return found;
}
