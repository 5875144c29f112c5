/* listing.c - see listing.h. XML through libexpat, JSON through cJSON. */
#include "storage/listing.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <expat.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/log.h"
#include "util/names.h"
#include "util/seenset.h"
#include "util/strutil.h"

/* ---- raw records, checked and converted once the whole page is read ---- */

enum time_kind { TIME_ISO8601, TIME_RFC1123 };

struct raw {
	char *key, *size, *mtime, *etag, *md5, *generation;
	bool is_dir, key_encoded;
};

struct raws {
	struct raw *r;
	size_t n, cap;
};

static void raw_clear(struct raw *r)
{
	free(r->key);
	free(r->size);
	free(r->mtime);
	free(r->etag);
	free(r->md5);
	free(r->generation);
	memset(r, 0, sizeof(*r));
}

static void raws_free(struct raws *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		raw_clear(&rs->r[i]);
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

/* Append a cleared record; NULL on ENOMEM. */
static struct raw *raws_new(struct raws *rs)
{
	if (rs->n == rs->cap) {
		size_t nc = rs->cap ? rs->cap * 2 : 32;
		struct raw *nr = realloc(rs->r, nc * sizeof(*nr));
		if (!nr)
			return NULL;
		rs->r = nr;
		rs->cap = nc;
	}
	memset(&rs->r[rs->n], 0, sizeof(rs->r[0]));
	return &rs->r[rs->n++];
}

/* The longest error message: the answer's text it quotes is the server's. */
#define ERR_MAX 400

/* *err = the message, with the answer's text in it escaped (name_escape: no
 * control or bidi character reaches a log) and cut at ERR_MAX bytes. */
static int set_err(char **err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int set_err(char **err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		char *m = NULL;
		va_start(ap, fmt);
		if (vasprintf(&m, fmt, ap) < 0)
			m = NULL;
		va_end(ap);
		char *e = m ? name_escape(m) : NULL;
		free(m);
		size_t n = e ? strlen(e) : 0;
		if (n > ERR_MAX) {
			size_t cut = ERR_MAX;
			while (cut && ((unsigned char)e[cut] & 0xC0) == 0x80)
				cut--; /* not inside a UTF-8 sequence */
			char *t = NULL;
			if (asprintf(&t, "%.*s... (%zu bytes)", (int)cut, e, n) < 0)
				t = NULL;
			free(e);
			e = t;
		}
		free(*err);
		*err = e;
	}
	return -EBADMSG;
}

static int parse_u64(const char *s, uint64_t *v)
{
	uint64_t x = 0;
	if (!s || !*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return 0;
}

/* %-decoding (after "+" -> ' ' when PLUS: S3 encoding-type=url, like
 * botocore's unquote_plus); a decoded NUL becomes the names.h marker. */
static char *url_decode(const char *s, bool plus)
{
	char *t = xstrdup(s), *d, *m;
	size_t len;
	if (!t)
		return NULL;
	for (char *p = t; plus && *p; p++)
		if (*p == '+')
			*p = ' ';
	d = pct_decode_len(t, &len);
	free(t);
	if (!d || strlen(d) == len)
		return d;
	m = name_mark_nul(d, len);
	free(d);
	return m;
}

/* NAME of KEY relative to PREFIX; *name NULL when the entry is to be skipped. */
static int rel_name(const char *key, const char *prefix, bool is_dir, char **name, char **err)
{
	size_t plen = strlen(prefix), len;
	const char *rest;

	*name = NULL;
	if (strncmp(key, prefix, plen) != 0)
		return set_err(err, "listing entry \"%s\" is outside the prefix \"%s\"", key, prefix);
	rest = key + plen;
	len = strlen(rest);
	if (is_dir && len && rest[len - 1] == '/')
		len--;
	if (!is_dir && len == 0)
		return 0; /* the directory marker object itself */
	if (len == 0 || (len == 1 && rest[0] == '.') ||
	    (len == 2 && rest[0] == '.' && rest[1] == '.')) {
		log_debug("listing: skipping \"%s\": not a file name under \"%s\"", key, prefix);
		return 0;
	}
	*name = xstrndup(rest, len);
	return *name ? 0 : -ENOMEM;
}

static char *unquote_etag(const char *e)
{
	size_t n = strlen(e);
	if (n >= 2 && e[0] == '"' && e[n - 1] == '"')
		return xstrndup(e + 1, n - 2);
	return xstrdup(e);
}

static void entries_free(struct storage_entry *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].name);
		free(items[i].etag);
	}
	free(items);
}

/*
 * Check and convert RS, then append them to OUT (all or nothing). DEDUP_DIRS:
 * skip a directory whose name is already a directory in OUT or this page.
 */
static int finish(struct raws *rs, const char *prefix, bool url_encoded, enum time_kind tk,
		  bool dedup_dirs, struct storage_list *out, char **err)
{
	struct storage_entry *items = NULL;
	struct seenset seen = {0};
	size_t n = 0;
	int rc = 0;

	if (!rs->n)
		return 0;
	items = calloc(rs->n, sizeof(*items));
	if (!items)
		return -ENOMEM;
	if (dedup_dirs) {
		for (size_t i = 0; i < out->n && !rc; i++)
			if (out->items[i].is_dir && out->items[i].name)
				rc = seenset_add_str(&seen, out->items[i].name) < 0 ? -ENOMEM : 0;
	}
	for (size_t i = 0; i < rs->n && !rc; i++) {
		struct raw *r = &rs->r[i];
		struct storage_entry *e = &items[n];
		char *key = NULL, *name = NULL;

		if (!r->key) {
			rc = set_err(err, "listing entry without a name");
			break;
		}
		if (url_encoded || r->key_encoded) {
			key = url_decode(r->key, url_encoded);
			if (!key) {
				rc = set_err(err, "listing entry \"%s\": bad URL encoding", r->key);
				break;
			}
		}
		rc = rel_name(key ? key : r->key, prefix, r->is_dir, &name, err);
		if (rc || !name) {
			free(key);
			continue;
		}
		if (r->is_dir) {
			if (dedup_dirs && seenset_has_str(&seen, name)) {
				free(name);
				free(key);
				continue;
			}
			e->name = name;
			e->is_dir = true;
			n++;
			if (dedup_dirs)
				rc = seenset_add_str(&seen, name) < 0 ? -ENOMEM : 0;
			free(key);
			continue;
		}
		e->name = name;
		n++;
		if (parse_u64(r->size, &e->size))
			rc = r->size ? set_err(err, "\"%s\": size \"%s\" is not a byte count", name, r->size)
				     : set_err(err, "\"%s\": no size", name);
		else if (!r->mtime)
			rc = set_err(err, "\"%s\": no modification time", name);
		else if ((tk == TIME_ISO8601 ? listing_parse_time_iso8601(r->mtime, &e->mtime)
					     : listing_parse_time_rfc1123(r->mtime, &e->mtime)))
			rc = set_err(err, "\"%s\": bad modification time \"%s\"", name, r->mtime);
		else if (r->etag && r->generation) {
			/* The generation pins reads (ifGenerationMatch): keep it. */
			char *uq = unquote_etag(r->etag);
			rc = uq && (e->etag = xasprintf("%s#%s", uq, r->generation)) ? 0 : -ENOMEM;
			free(uq);
		} else if (r->etag)
			rc = (e->etag = unquote_etag(r->etag)) ? 0 : -ENOMEM;
		else if (r->md5 || r->generation)
			rc = (e->etag = xasprintf("%s#%s", r->md5 ? r->md5 : "", r->generation ? r->generation : ""))
				     ? 0
				     : -ENOMEM;
		free(key);
	}
	seenset_free(&seen);
	if (!rc && n) {
		struct storage_entry *ni = realloc(out->items, (out->n + n) * sizeof(*ni));
		if (!ni) {
			rc = -ENOMEM;
		} else {
			memcpy(ni + out->n, items, n * sizeof(*ni));
			out->items = ni;
			out->n += n;
			free(items);
			return 0;
		}
	}
	entries_free(items, n);
	return rc;
}

/* ---- XML through expat ---- */

#define XDEPTH 8
#define NS_SEP '\x01'

struct xml {
	XML_Parser p;
	const char *root;
	char *path[XDEPTH + 1]; /* local names of the open elements, [1] is the root */
	int depth;
	bool name_encoded; /* Azure <Name Encoded="true"> */
	struct strbuf text;
	int rc;
	char **err;
	void (*start)(struct xml *x); /* after the element is pushed; may be NULL */
	void (*end)(struct xml *x, const char *text); /* before it is popped */
	void *user;
};

static const char *local_name(const char *n)
{
	const char *s = strrchr(n, NS_SEP);
	return s ? s + 1 : n;
}

static void xml_fail(struct xml *x, int rc)
{
	if (!x->rc)
		x->rc = rc;
	XML_StopParser(x->p, XML_FALSE);
}

/* Is the open element path exactly A/B/...? */
static bool at(const struct xml *x, int n, ...)
{
	va_list ap;
	bool ok = x->depth == n;
	va_start(ap, n);
	for (int i = 1; ok && i <= n; i++) {
		const char *want = va_arg(ap, const char *);
		ok = x->path[i] && strcmp(x->path[i], want) == 0;
	}
	va_end(ap);
	return ok;
}

static void XMLCALL x_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct xml *x = ud;
	const char *ln = local_name(name);

	if (x->rc)
		return;
	x->depth++;
	if (x->depth == 1 && strcmp(ln, x->root) != 0) {
		set_err(x->err, "unexpected root element <%s> (expected <%s>)", ln, x->root);
		xml_fail(x, -EBADMSG);
		return;
	}
	if (x->depth <= XDEPTH && !(x->path[x->depth] = xstrdup(ln))) {
		xml_fail(x, -ENOMEM);
		return;
	}
	x->name_encoded = false;
	for (int i = 0; attrs && attrs[i]; i += 2)
		if (strcmp(local_name(attrs[i]), "Encoded") == 0 && strcasecmp(attrs[i + 1], "true") == 0)
			x->name_encoded = true;
	x->text.len = 0;
	if (x->text.buf)
		x->text.buf[0] = '\0';
	if (x->start)
		x->start(x);
}

static void XMLCALL x_end(void *ud, const XML_Char *name)
{
	struct xml *x = ud;
	(void)name;
	if (x->rc)
		return;
	x->end(x, x->text.buf ? x->text.buf : "");
	if (x->depth <= XDEPTH) {
		free(x->path[x->depth]);
		x->path[x->depth] = NULL;
	}
	x->depth--;
	x->text.len = 0;
	if (x->text.buf)
		x->text.buf[0] = '\0';
}

static void XMLCALL x_text(void *ud, const XML_Char *s, int len)
{
	struct xml *x = ud;
	if (x->rc || len <= 0)
		return;
	if (sb_append(&x->text, s, (size_t)len))
		xml_fail(x, -ENOMEM);
}

static void XMLCALL x_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			      const XML_Char *pubid, int has_internal_subset)
{
	struct xml *x = ud;
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	set_err(x->err, "unexpected DOCTYPE in a listing answer");
	xml_fail(x, -EBADMSG);
}

/* Run the parser over the whole document; 0 or the first error. */
static int xml_run(struct xml *x, const char *doc, size_t len)
{
	int rc = 0;

	x->p = XML_ParserCreateNS(NULL, NS_SEP); /* encoding from the declaration, UTF-8 by default */
	if (!x->p)
		return -ENOMEM;
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, x_start, x_end);
	XML_SetCharacterDataHandler(x->p, x_text);
	XML_SetStartDoctypeDeclHandler(x->p, x_doctype);
	do {
		int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
		bool final = (size_t)chunk == len;
		if (XML_Parse(x->p, doc, chunk, final) != XML_STATUS_OK) {
			if (x->rc)
				rc = x->rc;
			else if (XML_GetErrorCode(x->p) == XML_ERROR_NO_MEMORY)
				rc = -ENOMEM;
			else
				rc = set_err(x->err, "malformed XML at line %lu, column %lu: %s",
					     (unsigned long)XML_GetCurrentLineNumber(x->p),
					     (unsigned long)XML_GetCurrentColumnNumber(x->p),
					     XML_ErrorString(XML_GetErrorCode(x->p)));
			break;
		}
		doc += chunk;
		len -= (size_t)chunk;
	} while (len);
	if (!rc)
		rc = x->rc;
	XML_ParserFree(x->p);
	x->p = NULL;
	for (int i = 0; i <= XDEPTH; i++) {
		free(x->path[i]);
		x->path[i] = NULL;
	}
	sb_free(&x->text);
	return rc;
}

/* Replace *dst with a copy of TEXT. */
static void keep(struct xml *x, char **dst, const char *text)
{
	char *c = xstrdup(text);
	if (!c) {
		xml_fail(x, -ENOMEM);
		return;
	}
	free(*dst);
	*dst = c;
}

static int check_prefix(const char *prefix)
{
	return !prefix || (*prefix && prefix[strlen(prefix) - 1] != '/') ? -EINVAL : 0;
}

/* ---- S3 ListObjectsV2 ---- */

struct s3 {
	struct raws rs;
	size_t cur_i; /* the open <Contents> in rs (pointers move on realloc) */
	bool in_contents;
	char *truncated, *next, *encoding, *prefix;
};

#define S3_ROOT "ListBucketResult"

static void s3_start(struct xml *x)
{
	struct s3 *s = x->user;
	if (at(x, 2, S3_ROOT, "Contents")) {
		if (!raws_new(&s->rs)) {
			xml_fail(x, -ENOMEM);
			return;
		}
		s->in_contents = true;
		s->cur_i = s->rs.n - 1;
	}
}

static void s3_end(struct xml *x, const char *text)
{
	struct s3 *s = x->user;
	struct raw *c = s->in_contents ? &s->rs.r[s->cur_i] : NULL;

	if (at(x, 2, S3_ROOT, "Contents")) {
		s->in_contents = false;
	} else if (c && at(x, 3, S3_ROOT, "Contents", "Key")) {
		keep(x, &c->key, text);
	} else if (c && at(x, 3, S3_ROOT, "Contents", "Size")) {
		keep(x, &c->size, text);
	} else if (c && at(x, 3, S3_ROOT, "Contents", "LastModified")) {
		keep(x, &c->mtime, text);
	} else if (c && at(x, 3, S3_ROOT, "Contents", "ETag")) {
		keep(x, &c->etag, text);
	} else if (at(x, 3, S3_ROOT, "CommonPrefixes", "Prefix")) {
		struct raw *r = raws_new(&s->rs);
		if (!r) {
			xml_fail(x, -ENOMEM);
			return;
		}
		r->is_dir = true;
		keep(x, &r->key, text);
	} else if (at(x, 2, S3_ROOT, "IsTruncated")) {
		keep(x, &s->truncated, text);
	} else if (at(x, 2, S3_ROOT, "NextContinuationToken")) {
		keep(x, &s->next, text);
	} else if (at(x, 2, S3_ROOT, "EncodingType")) {
		keep(x, &s->encoding, text);
	} else if (at(x, 2, S3_ROOT, "Prefix")) {
		keep(x, &s->prefix, text);
	}
}

static void set_next(char **next, char *tok)
{
	if (next) {
		free(*next);
		*next = tok;
	} else {
		free(tok);
	}
}

int listing_parse_s3(const char *xml, size_t len, const char *prefix, struct storage_list *out,
		     char **next_token, char **err)
{
	struct s3 s = {0};
	struct xml x = {.root = S3_ROOT, .err = err, .start = s3_start, .end = s3_end, .user = &s};
	bool url = false, truncated = false;
	int rc;

	if (check_prefix(prefix) || !out || (!xml && len))
		return -EINVAL;
	rc = xml_run(&x, xml ? xml : "", len);
	if (!rc && !str_empty(s.encoding)) {
		if (strcmp(s.encoding, "url") != 0)
			rc = set_err(err, "unknown EncodingType \"%s\"", s.encoding);
		url = true;
	}
	if (!rc && s.truncated) {
		if (strcmp(s.truncated, "true") == 0)
			truncated = true;
		else if (strcmp(s.truncated, "false") != 0)
			rc = set_err(err, "IsTruncated is \"%s\"", s.truncated);
	}
	if (!rc && truncated && str_empty(s.next))
		rc = set_err(err, "truncated listing without a NextContinuationToken");
	if (!rc && s.prefix) {
		char *p = url ? url_decode(s.prefix, true) : xstrdup(s.prefix);
		if (!p)
			rc = url ? set_err(err, "bad URL encoding in Prefix") : -ENOMEM;
		else if (strcmp(p, prefix) != 0)
			rc = set_err(err, "answer is for prefix \"%s\", not \"%s\"", p, prefix);
		free(p);
	}
	if (!rc)
		rc = finish(&s.rs, prefix, url, TIME_ISO8601, false, out, err);
	if (!rc) {
		/* the token is opaque: never decoded, passed back as it came */
		set_next(next_token, truncated ? s.next : NULL);
		if (truncated)
			s.next = NULL;
	}
	raws_free(&s.rs);
	free(s.truncated);
	free(s.next);
	free(s.encoding);
	free(s.prefix);
	return rc;
}

/* ---- Azure List Blobs ---- */

struct az {
	struct raws rs;
	size_t cur_i;
	bool in_blob, in_prefix, folder;
	char *next, *prefix;
};

#define AZ_ROOT "EnumerationResults"

static void az_start(struct xml *x)
{
	struct az *a = x->user;
	bool blob = at(x, 3, AZ_ROOT, "Blobs", "Blob"), bp = at(x, 3, AZ_ROOT, "Blobs", "BlobPrefix");
	if (blob || bp) {
		if (!raws_new(&a->rs)) {
			xml_fail(x, -ENOMEM);
			return;
		}
		a->cur_i = a->rs.n - 1;
		a->in_blob = blob;
		a->in_prefix = bp;
		a->rs.r[a->cur_i].is_dir = bp;
	} else if ((a->in_blob || a->in_prefix) && x->depth == 4 && x->path[4] &&
		   strcmp(x->path[4], "Name") == 0) {
		a->rs.r[a->cur_i].key_encoded = x->name_encoded;
	}
}

static void az_end(struct xml *x, const char *text)
{
	struct az *a = x->user;
	struct raw *c = (a->in_blob || a->in_prefix) ? &a->rs.r[a->cur_i] : NULL;

	if (at(x, 3, AZ_ROOT, "Blobs", "Blob") || at(x, 3, AZ_ROOT, "Blobs", "BlobPrefix")) {
		a->in_blob = a->in_prefix = false;
	} else if (c && x->depth == 4 && x->path[4] && strcmp(x->path[4], "Name") == 0) {
		keep(x, &c->key, text);
	} else if (c && a->in_blob && at(x, 5, AZ_ROOT, "Blobs", "Blob", "Properties", "Content-Length")) {
		keep(x, &c->size, text);
	} else if (c && a->in_blob && at(x, 5, AZ_ROOT, "Blobs", "Blob", "Properties", "Last-Modified")) {
		keep(x, &c->mtime, text);
	} else if (c && a->in_blob && at(x, 5, AZ_ROOT, "Blobs", "Blob", "Properties", "Etag")) {
		keep(x, &c->etag, text);
	} else if (c && a->in_blob && at(x, 5, AZ_ROOT, "Blobs", "Blob", "Properties", "ResourceType")) {
		if (strcasecmp(text, "directory") == 0)
			c->is_dir = true;
	} else if (c && a->in_blob && at(x, 5, AZ_ROOT, "Blobs", "Blob", "Metadata", "hdi_isfolder")) {
		if (strcasecmp(text, "true") == 0)
			c->is_dir = true;
	} else if (at(x, 2, AZ_ROOT, "NextMarker")) {
		keep(x, &a->next, text);
	} else if (at(x, 2, AZ_ROOT, "Prefix")) {
		keep(x, &a->prefix, text);
	}
}

int listing_parse_azure(const char *xml, size_t len, const char *prefix, struct storage_list *out,
			char **next_marker, char **err)
{
	struct az a = {0};
	struct xml x = {.root = AZ_ROOT, .err = err, .start = az_start, .end = az_end, .user = &a};
	int rc;

	if (check_prefix(prefix) || !out || (!xml && len))
		return -EINVAL;
	rc = xml_run(&x, xml ? xml : "", len);
	if (!rc && a.prefix && strcmp(a.prefix, prefix) != 0)
		rc = set_err(err, "answer is for prefix \"%s\", not \"%s\"", a.prefix, prefix);
	if (!rc)
		rc = finish(&a.rs, prefix, false, TIME_RFC1123, true, out, err);
	if (!rc) {
		bool more = !str_empty(a.next);
		set_next(next_marker, more ? a.next : NULL);
		if (more)
			a.next = NULL;
	}
	raws_free(&a.rs);
	free(a.next);
	free(a.prefix);
	return rc;
}

/* ---- GCS objects.list (JSON) ---- */

static int json_str(const cJSON *o, const char *k, char **dst, char **err)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || !v->valuestring)
		return set_err(err, "\"%s\" is not a string", k);
	return (*dst = xstrdup(v->valuestring)) ? 0 : -ENOMEM;
}

int listing_parse_gcs(const char *json, size_t len, const char *prefix, struct storage_list *out,
		      char **next_token, char **err)
{
	struct raws rs = {0};
	char *next = NULL, *marked = NULL;
	size_t mlen = 0;
	cJSON *root;
	const cJSON *v, *it;
	int rc = 0;

	if (check_prefix(prefix) || !out || (!json && len))
		return -EINVAL;
	if (name_json_mark_nul(json, len, &marked, &mlen))
		return -ENOMEM;
	root = marked ? cJSON_ParseWithLength(marked, mlen) : cJSON_ParseWithLength(json ? json : "", len);
	free(marked);
	if (!root)
		return set_err(err, "malformed JSON in a GCS listing answer");
	if (!cJSON_IsObject(root)) {
		rc = set_err(err, "GCS listing answer is not a JSON object");
		goto out;
	}
	if ((v = cJSON_GetObjectItemCaseSensitive(root, "error"))) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(v, "message");
		rc = set_err(err, "GCS error answer: %s",
			     cJSON_IsString(m) && m->valuestring ? m->valuestring : "(no message)");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "kind");
	if (v && !(cJSON_IsString(v) && str_eq(v->valuestring, "storage#objects"))) {
		rc = set_err(err, "GCS answer of kind \"%s\", not storage#objects",
			     cJSON_IsString(v) && v->valuestring ? v->valuestring : "?");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "prefixes");
	if (v && !cJSON_IsArray(v)) {
		rc = set_err(err, "\"prefixes\" is not an array");
		goto out;
	}
	cJSON_ArrayForEach(it, v)
	{
		struct raw *r;
		if (!cJSON_IsString(it) || !it->valuestring) {
			rc = set_err(err, "a \"prefixes\" element is not a string");
			goto out;
		}
		if (!(r = raws_new(&rs)) || !(r->key = xstrdup(it->valuestring))) {
			rc = -ENOMEM;
			goto out;
		}
		r->is_dir = true;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "items");
	if (v && !cJSON_IsArray(v)) {
		rc = set_err(err, "\"items\" is not an array");
		goto out;
	}
	cJSON_ArrayForEach(it, v)
	{
		struct raw *r;
		const cJSON *sz;
		if (!cJSON_IsObject(it)) {
			rc = set_err(err, "an \"items\" element is not an object");
			goto out;
		}
		if (!(r = raws_new(&rs))) {
			rc = -ENOMEM;
			goto out;
		}
		if ((rc = json_str(it, "name", &r->key, err)) || (rc = json_str(it, "updated", &r->mtime, err)) ||
		    (rc = json_str(it, "etag", &r->etag, err)) || (rc = json_str(it, "md5Hash", &r->md5, err)) ||
		    (rc = json_str(it, "generation", &r->generation, err)))
			goto out;
		/* size is a uint64 formatted as a decimal string */
		sz = cJSON_GetObjectItemCaseSensitive(it, "size");
		if (cJSON_IsString(sz) && sz->valuestring) {
			if (!(r->size = xstrdup(sz->valuestring))) {
				rc = -ENOMEM;
				goto out;
			}
		} else if (sz) {
			rc = set_err(err, "\"%s\": size is not a decimal string",
				     r->key ? r->key : "(unnamed)");
			goto out;
		}
	}
	if ((rc = json_str(root, "nextPageToken", &next, err)))
		goto out;
	rc = finish(&rs, prefix, false, TIME_ISO8601, false, out, err);
	if (!rc) {
		bool more = !str_empty(next);
		set_next(next_token, more ? next : NULL);
		if (more)
			next = NULL;
	}
out:
	free(next);
	raws_free(&rs);
	cJSON_Delete(root);
	return rc;
}
