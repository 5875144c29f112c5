/* sigv4.c - see sigv4.h. */
#include "storage/sigv4.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util/strutil.h"

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[in[i] >> 4];
		out[2 * i + 1] = hexdig[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static bool unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static char *uri_encode_n(const char *s, size_t n, bool encode_slash)
{
	static const char up[] = "0123456789ABCDEF";
	char *out = malloc(3 * n + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (unreserved(ch) || (ch == '/' && !encode_slash)) {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = up[ch >> 4];
			*o++ = up[ch & 15];
		}
	}
	*o = '\0';
	return out;
}

char *sigv4_uri_encode(const char *s, bool encode_slash)
{
	if (!s)
		s = "";
	return uri_encode_n(s, strlen(s), encode_slash);
}

int sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		ERR_clear_error(); /* leave no stale error for curl's TLS code */
		out[0] = '\0';
		return -EIO;
	}
	to_hex(md, 32, out);
	return 0;
}

static int hmac256(const void *key, size_t keylen, const char *msg, unsigned char out[32])
{
	unsigned int outlen = 0;
	if (keylen > INT32_MAX)
		return -EINVAL;
	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)msg, strlen(msg), out, &outlen) ||
	    outlen != 32) {
		ERR_clear_error();
		return -EIO;
	}
	return 0;
}

/* ---- canonical query ---- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode s[0..n) ('+' stays '+') and re-encode it the AWS way. */
static int requote(const char *s, size_t n, char **out)
{
	char *dec = malloc(n + 1);
	size_t k = 0;
	if (!dec)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%') {
			int h = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
			int l = h >= 0 ? hexval((unsigned char)s[i + 2]) : -1;
			if (h < 0 || l < 0) {
				free(dec);
				return -EINVAL;
			}
			dec[k++] = (char)(h * 16 + l);
			i += 2;
		} else {
			dec[k++] = s[i];
		}
	}
	*out = uri_encode_n(dec, k, true);
	free(dec);
	return *out ? 0 : -ENOMEM;
}

struct qparam {
	char *key, *value;
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

int sigv4_canonical_query(const char *query, char **out)
{
	struct qparam *ps = NULL;
	size_t n = 0, cap = 0;
	struct strbuf sb = {0};
	int rc = 0;

	*out = NULL;
	if (query && *query == '?')
		query++;
	for (const char *p = query ? query : ""; *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		if (len) {
			const char *eq = memchr(p, '=', len);
			size_t klen = eq ? (size_t)(eq - p) : len;
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 8;
				struct qparam *np = realloc(ps, nc * sizeof(*np));
				if (!np) {
					rc = -ENOMEM;
					goto out;
				}
				ps = np;
				cap = nc;
			}
			ps[n].key = ps[n].value = NULL;
			n++;
			rc = requote(p, klen, &ps[n - 1].key);
			if (!rc)
				rc = eq ? requote(eq + 1, len - klen - 1, &ps[n - 1].value)
					: (ps[n - 1].value = xstrdup("")) ? 0 : -ENOMEM;
			if (rc)
				goto out;
		}
		p += len;
		if (*p == '&')
			p++;
	}
	if (n)
		qsort(ps, n, sizeof(*ps), qparam_cmp);
	for (size_t i = 0; i < n && !rc; i++)
		rc = sb_printf(&sb, "%s%s=%s", i ? "&" : "", ps[i].key, ps[i].value);
	if (!rc && !sb.buf)
		rc = sb_append(&sb, "", 0);
	if (!rc)
		*out = sb_detach(&sb);
out:
	sb_free(&sb);
	for (size_t i = 0; i < n; i++) {
		free(ps[i].key);
		free(ps[i].value);
	}
	free(ps);
	return rc;
}

/* ---- canonical headers ---- */

struct hdr {
	char *name, *value;
	size_t order;
};

struct hdrset {
	struct hdr *h;
	size_t n, cap;
};

static void hdrset_free(struct hdrset *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->h[i].name);
		if (s->h[i].value) /* may hold the session token */
			OPENSSL_cleanse(s->h[i].value, strlen(s->h[i].value));
		free(s->h[i].value);
	}
	free(s->h);
	memset(s, 0, sizeof(*s));
}

static bool is_ws(char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; }

/* Lowercase NAME[0..nlen), trim VALUE and collapse its whitespace runs. */
static int hdrset_add(struct hdrset *s, const char *name, size_t nlen, const char *value)
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? s->cap * 2 : 8;
		struct hdr *nh = realloc(s->h, nc * sizeof(*nh));
		if (!nh)
			return -ENOMEM;
		s->h = nh;
		s->cap = nc;
	}
	char *nm = xstrndup(name, nlen);
	char *v = malloc(strlen(value) + 1);
	if (!nm || !v) {
		free(nm);
		free(v);
		return -ENOMEM;
	}
	for (char *p = nm; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	size_t k = 0;
	bool pending_space = false;
	for (const char *p = value; *p; p++) {
		if (is_ws(*p)) {
			pending_space = k > 0;
			continue;
		}
		if (pending_space)
			v[k++] = ' ';
		pending_space = false;
		v[k++] = *p;
	}
	v[k] = '\0';
	s->h[s->n].name = nm;
	s->h[s->n].value = v;
	s->h[s->n].order = s->n;
	s->n++;
	return 0;
}

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->order < y->order ? -1 : x->order > y->order);
}

static bool is_tchar(unsigned char ch)
{
	return unreserved(ch) || (ch && strchr("!#$%&'*+^`|", ch) != NULL);
}

static bool content_sha_header(const struct sigv4_request *r)
{
	return str_eq(r->service, "s3") || r->payload_sha256_hex;
}

static const char *payload_hash(const struct sigv4_request *r)
{
	if (r->payload_sha256_hex)
		return r->payload_sha256_hex;
	return str_eq(r->service, "s3") ? SIGV4_UNSIGNED_PAYLOAD : SIGV4_EMPTY_SHA256;
}

static int amz_date(time_t when, char out[17])
{
	struct tm tm;
	if (!gmtime_r(&when, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		return -EINVAL;
	return 0;
}

/* Visible ASCII only: what ends up in a header line must not break it. */
static bool token_ok(const char *s)
{
	if (str_empty(s))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

static bool request_ok(const struct sigv4_request *r)
{
	return r && token_ok(r->method) && token_ok(r->host) && token_ok(r->region) &&
	       token_ok(r->service) && (!r->path || !*r->path || *r->path == '/') &&
	       (!r->payload_sha256_hex || token_ok(r->payload_sha256_hex));
}

static bool creds_ok(const struct sigv4_creds *c)
{
	return c && token_ok(c->access_key_id) && c->secret_access_key &&
	       (!c->session_token || !*c->session_token || token_ok(c->session_token));
}

/* All signed headers, sorted, duplicates merged with ','. */
static int collect_headers(const struct sigv4_creds *c, const struct sigv4_request *r,
			   const char *date, struct hdrset *s)
{
	int rc = hdrset_add(s, "host", 4, r->host);
	if (!rc)
		rc = hdrset_add(s, "x-amz-date", 10, date);
	if (!rc && content_sha_header(r))
		rc = hdrset_add(s, "x-amz-content-sha256", 20, payload_hash(r));
	if (!rc && c && !str_empty(c->session_token))
		rc = hdrset_add(s, "x-amz-security-token", 20, c->session_token);
	for (const char *const *h = r->headers; !rc && h && *h; h++) {
		const char *colon = strchr(*h, ':');
		size_t nlen = colon ? (size_t)(colon - *h) : 0;
		if (!nlen)
			return -EINVAL;
		for (size_t i = 0; i < nlen; i++)
			if (!is_tchar((unsigned char)(*h)[i]))
				return -EINVAL;
		static const char *const reserved[] = {"host", "authorization", "x-amz-date",
						       "x-amz-content-sha256", "x-amz-security-token"};
		for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
			if (strlen(reserved[i]) == nlen && strncasecmp(*h, reserved[i], nlen) == 0)
				return -EINVAL;
		rc = hdrset_add(s, *h, nlen, colon + 1);
	}
	if (rc)
		return rc;
	qsort(s->h, s->n, sizeof(*s->h), hdr_cmp);
	/* merge repeated names, keeping their order */
	size_t w = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (w && strcmp(s->h[w - 1].name, s->h[i].name) == 0) {
			char *m = xasprintf("%s,%s", s->h[w - 1].value, s->h[i].value);
			if (!m) {
				/* keep the set consistent for hdrset_free */
				for (size_t j = i; j < s->n; j++)
					s->h[w++] = s->h[j];
				s->n = w;
				return -ENOMEM;
			}
			free(s->h[w - 1].value);
			free(s->h[i].name);
			free(s->h[i].value);
			s->h[w - 1].value = m;
		} else {
			s->h[w++] = s->h[i];
		}
	}
	s->n = w;
	return 0;
}

int sigv4_canonical_request(const struct sigv4_creds *c, const struct sigv4_request *r, char **out,
			    char **signed_headers)
{
	struct hdrset hs = {0};
	struct strbuf sb = {0}, sh = {0};
	char date[17], *query = NULL;
	int rc;

	*out = NULL;
	if (signed_headers)
		*signed_headers = NULL;
	if (!request_ok(r) || (c && !str_empty(c->session_token) && !token_ok(c->session_token)))
		return -EINVAL;
	rc = amz_date(r->when, date);
	if (!rc)
		rc = sigv4_canonical_query(r->query, &query);
	if (!rc)
		rc = collect_headers(c, r, date, &hs);
	if (!rc)
		rc = sb_printf(&sb, "%s\n%s\n%s\n", r->method, str_empty(r->path) ? "/" : r->path, query);
	for (size_t i = 0; !rc && i < hs.n; i++) {
		rc = sb_printf(&sb, "%s:%s\n", hs.h[i].name, hs.h[i].value);
		if (!rc)
			rc = sb_printf(&sh, "%s%s", i ? ";" : "", hs.h[i].name);
	}
	if (!rc)
		rc = sb_printf(&sb, "\n%s\n%s", sh.buf, payload_hash(r));
	if (!rc) {
		*out = sb_detach(&sb);
		if (signed_headers)
			*signed_headers = sb_detach(&sh);
	}
	if (sb.buf)
		OPENSSL_cleanse(sb.buf, sb.len);
	sb_free(&sb);
	sb_free(&sh);
	free(query);
	hdrset_free(&hs);
	return rc;
}

int sigv4_string_to_sign(const struct sigv4_request *r, const char *canonical_request, char **out)
{
	char date[17], hash[65];
	int rc;

	*out = NULL;
	if (!request_ok(r) || !canonical_request)
		return -EINVAL;
	rc = amz_date(r->when, date);
	if (!rc)
		rc = sigv4_sha256_hex(canonical_request, strlen(canonical_request), hash);
	if (rc)
		return rc;
	*out = xasprintf("AWS4-HMAC-SHA256\n%s\n%.8s/%s/%s/aws4_request\n%s", date, date, r->region,
			 r->service, hash);
	return *out ? 0 : -ENOMEM;
}

int sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
		      unsigned char key[32])
{
	unsigned char k1[32], k2[32];
	char *seed;
	int rc;

	if (!secret || !date8 || !region || !service)
		return -EINVAL;
	seed = xasprintf("AWS4%s", secret);
	if (!seed)
		return -ENOMEM;
	rc = hmac256(seed, strlen(seed), date8, k1);
	if (!rc)
		rc = hmac256(k1, 32, region, k2);
	if (!rc)
		rc = hmac256(k2, 32, service, k1);
	if (!rc)
		rc = hmac256(k1, 32, "aws4_request", key);
	OPENSSL_cleanse(seed, strlen(seed));
	free(seed);
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	if (rc)
		OPENSSL_cleanse(key, 32);
	return rc;
}

/* Signature of a request; *signed_headers gets the list (caller frees). */
static int signature(const struct sigv4_creds *c, const struct sigv4_request *r, char out[65],
		     char **signed_headers)
{
	char *creq = NULL, *sts = NULL, date[17];
	unsigned char key[32], sig[32];
	int rc;

	out[0] = '\0';
	*signed_headers = NULL;
	if (!creds_ok(c) || !request_ok(r))
		return -EINVAL;
	rc = amz_date(r->when, date);
	if (!rc)
		rc = sigv4_canonical_request(c, r, &creq, signed_headers);
	if (!rc)
		rc = sigv4_string_to_sign(r, creq, &sts);
	if (!rc) {
		date[8] = '\0';
		rc = sigv4_signing_key(c->secret_access_key, date, r->region, r->service, key);
	}
	if (!rc)
		rc = hmac256(key, sizeof(key), sts, sig);
	if (!rc)
		to_hex(sig, sizeof(sig), out);
	OPENSSL_cleanse(key, sizeof(key));
	if (creq)
		OPENSSL_cleanse(creq, strlen(creq));
	free(creq);
	free(sts);
	if (rc) {
		free(*signed_headers);
		*signed_headers = NULL;
	}
	return rc;
}

int sigv4_signature(const struct sigv4_creds *c, const struct sigv4_request *r, char out[65])
{
	char *sh = NULL;
	int rc = signature(c, r, out, &sh);
	free(sh);
	return rc;
}

void sigv4_headers_free(char **headers, size_t n)
{
	if (!headers)
		return;
	for (size_t i = 0; i < n; i++) {
		if (headers[i])
			OPENSSL_cleanse(headers[i], strlen(headers[i]));
		free(headers[i]);
	}
	free(headers);
}

int sigv4_sign(const struct sigv4_creds *c, const struct sigv4_request *r, char ***headers_out,
	       size_t *n_out)
{
	char sig[65], date[17], *sh = NULL, **h;
	size_t n = 0;
	int rc;

	*headers_out = NULL;
	*n_out = 0;
	rc = signature(c, r, sig, &sh);
	if (!rc)
		rc = amz_date(r->when, date);
	if (rc) {
		free(sh);
		return rc;
	}
	h = calloc(4, sizeof(*h));
	if (!h) {
		free(sh);
		return -ENOMEM;
	}
	rc = -ENOMEM;
	if (!(h[n++] = xasprintf("x-amz-date: %s", date)))
		goto fail;
	if (content_sha_header(r) && !(h[n++] = xasprintf("x-amz-content-sha256: %s", payload_hash(r))))
		goto fail;
	if (!str_empty(c->session_token) &&
	    !(h[n++] = xasprintf("x-amz-security-token: %s", c->session_token)))
		goto fail;
	if (!(h[n++] = xasprintf("Authorization: AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/aws4_request, "
				 "SignedHeaders=%s, Signature=%s",
				 c->access_key_id, date, r->region, r->service, sh, sig)))
		goto fail;
	free(sh);
	*headers_out = h;
	*n_out = n;
	return 0;
fail:
	free(sh);
	sigv4_headers_free(h, n);
	return rc;
}
