/* endpoint.c - see endpoint.h. */
#include "storage/endpoint.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "storage/sigv4.h"
#include "storage/url.h"
#include "util/strutil.h"

/* ---- shared ---- */

const char *endpoint_pick(const char *a, const char *b, const char *c)
{
	if (!str_empty(a))
		return a;
	if (!str_empty(b))
		return b;
	return str_empty(c) ? NULL : c;
}

bool endpoint_rel_valid(const char *rel)
{
	if (str_empty(rel))
		return true;
	const char *p = rel;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

char *endpoint_join_key(const char *prefix, const char *rel)
{
	if (str_empty(prefix))
		return xstrdup(rel ? rel : "");
	if (str_empty(rel))
		return xstrdup(prefix);
	return xasprintf("%s/%s", prefix, rel);
}

char *endpoint_dir_prefix(const char *key)
{
	return str_empty(key) ? xstrdup("") : xasprintf("%s/", key);
}

int endpoint_page_size(const char *v)
{
	char *end = NULL;
	long n = v ? strtol(v, &end, 10) : 0;
	return v && *v && !*end && n >= 1 && n <= 5000 ? (int)n : 0;
}

/* Strict unsigned decimal; advances *p. */
static int parse_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

int endpoint_parse_content_range(const char *v, uint64_t *first, uint64_t *last, uint64_t *total)
{
	if (!v)
		return -EINVAL;
	while (*v == ' ')
		v++;
	if (strncasecmp(v, "bytes", 5))
		return -EINVAL;
	v += 5;
	if (*v != ' ' && *v != '=')
		return -EINVAL;
	while (*v == ' ' || *v == '=')
		v++;
	if (parse_u64(&v, first) || *v++ != '-' || parse_u64(&v, last) || *v++ != '/')
		return -EINVAL;
	if (*v == '*') {
		*total = UINT64_MAX;
		v++;
	} else if (parse_u64(&v, total)) {
		return -EINVAL;
	}
	while (*v == ' ')
		v++;
	if (*v || *last < *first)
		return -EINVAL;
	return 0;
}

static int bad(char **err, char *msg)
{
	if (err)
		*err = msg;
	else
		free(msg);
	return -EINVAL;
}

/* ---- S3 ---- */

bool endpoint_s3_region_valid(const char *r)
{
	if (str_empty(r) || strlen(r) > 63)
		return false;
	for (const char *p = r; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
			return false;
	return true;
}

bool endpoint_s3_bucket_dns_safe(const char *b)
{
	size_t n = strlen(b);
	if (n < 3 || n > 63)
		return false;
	for (const char *p = b; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '-')
			return false;
	return b[0] != '-' && b[n - 1] != '-';
}

static const char *aws_suffix(const char *region)
{
	return str_startswith(region, "cn-") ? "amazonaws.com.cn" : "amazonaws.com";
}

/* Parse a custom endpoint URL into origin, Host value and base path. */
static int parse_s3_endpoint(struct endpoint_s3 *e, const char *ep, char **err)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	int r = -EINVAL;
	CURLU *u = curl_url();
	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, ep, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    (strcasecmp(scheme, "http") && strcasecmp(scheme, "https"))) {
		bad(err, xasprintf("S3 endpoint '%s' is not an http(s) URL", ep));
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	bool https = !strcasecmp(scheme, "https");
	bool default_port = !port || !strcmp(port, https ? "443" : "80");
	r = -ENOMEM;
	e->ep_host = default_port ? xstrdup(host) : xasprintf("%s:%s", host, port);
	e->ep_origin = e->ep_host ? xasprintf("%s://%s", https ? "https" : "http", e->ep_host) : NULL;
	const char *pp = path ? path : "";
	size_t pl = strlen(pp);
	while (pl && pp[pl - 1] == '/')
		pl--;
	e->ep_base = xstrndup(pp, pl);
	if (e->ep_host && e->ep_origin && e->ep_base)
		r = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return r;
}

void endpoint_s3_free(struct endpoint_s3 *e)
{
	free(e->bucket);
	free(e->prefix);
	free(e->ep_origin);
	free(e->ep_host);
	free(e->ep_base);
	memset(e, 0, sizeof(*e));
}

int endpoint_s3_init(struct endpoint_s3 *e, const char *location, const struct storage_url *u,
		     const char *endpoint, bool path_style, char **err)
{
	memset(e, 0, sizeof(*e));
	if (str_empty(u->bucket))
		return bad(err, xasprintf("storage location '%s': missing bucket", location));
	e->bucket = xstrdup(u->bucket);
	e->prefix = xstrdup(u->prefix ? u->prefix : "");
	int r = e->bucket && e->prefix ? 0 : -ENOMEM;
	if (!r && !str_empty(endpoint))
		r = parse_s3_endpoint(e, endpoint, err);
	e->path_style = path_style || e->ep_origin;
	if (r)
		endpoint_s3_free(e);
	return r;
}

char *endpoint_s3_key(const struct endpoint_s3 *e, const char *rel, bool dir)
{
	const char *r = rel ? rel : "";
	const char *sep = (*e->prefix && *r) ? "/" : "";
	bool empty = !*e->prefix && !*r;
	return xasprintf("%s%s%s%s", e->prefix, sep, r, (dir && !empty) ? "/" : "");
}

void endpoint_s3_target_free(struct endpoint_s3_target *t)
{
	free(t->origin);
	free(t->host);
	free(t->base);
	memset(t, 0, sizeof(*t));
}

/* arn:PARTITION:s3:REGION:ACCOUNT:accesspoint/NAME (or accesspoint:NAME). */
static int parse_ap_arn(const char *arn, char **region, char **account, char **name)
{
	*region = *account = *name = NULL;
	const char *f[6];
	size_t fl[6];
	const char *p = arn;
	for (int i = 0; i < 6; i++) {
		const char *c = i < 5 ? strchr(p, ':') : p + strlen(p);
		if (!c)
			return -EINVAL;
		f[i] = p;
		fl[i] = (size_t)(c - p);
		p = c + 1;
	}
	if (fl[2] != 2 || strncmp(f[2], "s3", 2) || !fl[3] || !fl[4])
		return -EINVAL;
	const char *res = f[5];
	if (str_startswith(res, "accesspoint/"))
		res += strlen("accesspoint/");
	else if (str_startswith(res, "accesspoint:"))
		res += strlen("accesspoint:");
	else
		return -EINVAL;
	if (!*res || strchr(res, '/') || strchr(res, ':'))
		return -EINVAL;
	*region = xstrndup(f[3], fl[3]);
	*account = xstrndup(f[4], fl[4]);
	*name = xstrdup(res);
	int r = 0;
	if (!*region || !*account || !*name)
		r = -ENOMEM;
	else if (!endpoint_s3_region_valid(*region) || !endpoint_s3_bucket_dns_safe(*name))
		r = -EINVAL;
	if (r) {
		free(*region), free(*account), free(*name);
		*region = *account = *name = NULL;
	}
	return r;
}

int endpoint_s3_target(const struct endpoint_s3 *e, const char *access_point, const char *region,
		       bool global, struct endpoint_s3_target *t)
{
	memset(t, 0, sizeof(*t));
	const char *bucket = e->bucket;
	char *ap_region = NULL, *ap_account = NULL, *ap_name = NULL, *enc_bucket = NULL;
	int r = -ENOMEM;
	snprintf(t->region, sizeof(t->region), "%s", region ? region : "");
	if (!str_empty(access_point)) {
		if (str_startswith(access_point, "arn:")) {
			r = parse_ap_arn(access_point, &ap_region, &ap_account, &ap_name);
			if (r)
				return r;
			bucket = ap_name;
			snprintf(t->region, sizeof(t->region), "%s", ap_region);
			r = -ENOMEM;
		} else {
			bucket = access_point; /* an alias is addressed like a bucket */
		}
	}
	enc_bucket = sigv4_uri_encode(bucket, true);
	if (!enc_bucket)
		goto out;
	if (e->ep_origin) {
		t->origin = xstrdup(e->ep_origin);
		t->host = xstrdup(e->ep_host);
		t->base = xasprintf("%s/%s", e->ep_base, enc_bucket);
	} else if (ap_name) {
		t->host = xasprintf("%s-%s.s3-accesspoint.%s.%s", ap_name, ap_account, t->region,
				    aws_suffix(t->region));
		t->origin = t->host ? xasprintf("https://%s", t->host) : NULL;
		t->base = xstrdup("");
	} else {
		char *svc = global ? xasprintf("s3.%s", aws_suffix(t->region))
				   : xasprintf("s3.%s.%s", t->region, aws_suffix(t->region));
		if (!svc)
			goto out;
		if (e->path_style || !endpoint_s3_bucket_dns_safe(bucket)) {
			t->host = svc;
			t->base = xasprintf("/%s", enc_bucket);
		} else {
			t->host = xasprintf("%s.%s", bucket, svc);
			t->base = xstrdup("");
			free(svc);
		}
		t->origin = t->host ? xasprintf("https://%s", t->host) : NULL;
	}
	if (t->origin && t->host && t->base)
		r = 0;
out:
	free(enc_bucket);
	free(ap_region);
	free(ap_account);
	free(ap_name);
	if (r)
		endpoint_s3_target_free(t);
	return r;
}

int endpoint_s3_request(const struct endpoint_s3_target *t, const char *key, const char *query,
			char **path, char **url)
{
	*path = *url = NULL;
	if (key) {
		char *ek = sigv4_uri_encode(key, false);
		*path = ek ? xasprintf("%s/%s", t->base, ek) : NULL;
		free(ek);
	} else {
		*path = xstrdup(*t->base ? t->base : "/");
	}
	if (*path)
		*url = xasprintf("%s%s%s%s", t->origin, *path, str_empty(query) ? "" : "?",
				 query ? query : "");
	if (!*url) {
		free(*path);
		*path = NULL;
		return -ENOMEM;
	}
	return 0;
}

char *endpoint_s3_list_query(const char *pfx, int max_keys, const char *token)
{
	char *epfx = sigv4_uri_encode(pfx ? pfx : "", true);
	char *etok = token ? sigv4_uri_encode(token, true) : NULL;
	char mk[32] = "";
	if (max_keys > 0)
		snprintf(mk, sizeof(mk), "&max-keys=%d", max_keys);
	char *q = !epfx || (token && !etok)
			  ? NULL
			  : xasprintf("list-type=2&prefix=%s&delimiter=%%2F&encoding-type=url%s%s%s",
				      epfx, mk, etok ? "&continuation-token=" : "", etok ? etok : "");
	free(epfx);
	free(etok);
	return q;
}

/* ---- Azure ---- */

char *endpoint_azure_blob_endpoint(const char *host, const char *endpoint)
{
	if (!str_empty(endpoint)) {
		size_t n = strlen(endpoint);
		while (n && endpoint[n - 1] == '/')
			n--;
		return xstrndup(endpoint, n);
	}
	const char *dot = host ? strchr(host, '.') : NULL;
	if (dot && str_startswith(dot + 1, "dfs."))
		return xasprintf("https://%.*s.blob.%s", (int)(dot - host), host, dot + 5);
	return xasprintf("https://%s", host ? host : "");
}

void endpoint_azure_free(struct endpoint_azure *e)
{
	free(e->base_url);
	free(e->prefix);
	free(e->account);
	free(e->container);
	memset(e, 0, sizeof(*e));
}

int endpoint_azure_init(struct endpoint_azure *e, const char *location,
			const struct storage_url *u, const char *endpoint, char **err)
{
	memset(e, 0, sizeof(*e));
	const char *dot = u->host ? strchr(u->host, '.') : NULL;
	if (!dot || dot == u->host || !dot[1] || str_empty(u->container))
		return bad(err, xasprintf("storage location '%s': expected "
					  "CONTAINER@ACCOUNT.dfs.core.windows.net",
					  location));
	char *ep = endpoint_azure_blob_endpoint(u->host, endpoint);
	char *ec = pct_encode(u->container, "");
	e->base_url = ep && ec ? xasprintf("%s/%s", ep, ec) : NULL;
	e->prefix = xstrdup(u->prefix ? u->prefix : "");
	e->account = xstrndup(u->host, (size_t)(dot - u->host));
	e->container = xstrdup(u->container);
	free(ep);
	free(ec);
	if (!e->base_url || !e->prefix || !e->account || !e->container) {
		endpoint_azure_free(e);
		return -ENOMEM;
	}
	return 0;
}

char *endpoint_azure_blob_path(const char *key)
{
	char *enc = pct_encode(key ? key : "", "/");
	char *p = enc ? xasprintf("/%s", enc) : NULL;
	free(enc);
	return p;
}

char *endpoint_azure_list_query(const char *pfx, const char *marker, int max)
{
	char *ep = pct_encode(pfx ? pfx : "", ""), *em = marker ? pct_encode(marker, "") : NULL;
	char mr[32] = "";
	if (max > 0)
		snprintf(mr, sizeof(mr), "&maxresults=%d", max);
	char *q = NULL;
	if (ep && (!marker || em))
		q = xasprintf("restype=container&comp=list&prefix=%s&delimiter=%%2F&include=metadata"
			      "%s%s%s",
			      ep, em ? "&marker=" : "", em ? em : "", mr);
	free(ep);
	free(em);
	return q;
}

char *endpoint_azure_url(const struct endpoint_azure *e, const char *path, const char *query,
			 const char *sas)
{
	while (sas && *sas == '?')
		sas++;
	bool has_sas = !str_empty(sas), has_q = !str_empty(query);
	return xasprintf("%s%s%s%s%s%s", e->base_url, path ? path : "", has_q || has_sas ? "?" : "",
			 has_q ? query : "", has_q && has_sas ? "&" : "", has_sas ? sas : "");
}

/* ---- GCS ---- */

char *endpoint_gcs_origin(const char *endpoint)
{
	const char *ep = str_empty(endpoint) ? ENDPOINT_GCS_DEFAULT : endpoint;
	size_t n = strlen(ep);
	while (n && ep[n - 1] == '/')
		n--;
	if (strstr(ep, "://"))
		return xstrndup(ep, n);
	return xasprintf("http://%.*s", (int)n, ep);
}

void endpoint_gcs_free(struct endpoint_gcs *e)
{
	free(e->base_url);
	free(e->prefix);
	memset(e, 0, sizeof(*e));
}

int endpoint_gcs_init(struct endpoint_gcs *e, const char *location, const struct storage_url *u,
		      const char *endpoint, char **err)
{
	memset(e, 0, sizeof(*e));
	if (str_empty(u->bucket))
		return bad(err, xasprintf("storage location '%s': expected gs://BUCKET/PATH",
					  location));
	char *ep = endpoint_gcs_origin(endpoint);
	char *eb = pct_encode(u->bucket, "");
	e->base_url = ep && eb ? xasprintf("%s/storage/v1/b/%s", ep, eb) : NULL;
	e->prefix = xstrdup(u->prefix ? u->prefix : "");
	free(ep);
	free(eb);
	if (!e->base_url || !e->prefix) {
		endpoint_gcs_free(e);
		return -ENOMEM;
	}
	return 0;
}

/* base_url/o/NAME (name encoded, '/' too) + SUFFIX. */
static char *gcs_object(const struct endpoint_gcs *e, const char *key, const char *suffix)
{
	char *enc = pct_encode(key ? key : "", "");
	char *p = enc ? xasprintf("%s/o/%s%s", e->base_url, enc, suffix) : NULL;
	free(enc);
	return p;
}

char *endpoint_gcs_object_url(const struct endpoint_gcs *e, const char *key)
{
	return gcs_object(e, key, "");
}

char *endpoint_gcs_media_url(const struct endpoint_gcs *e, const char *key, const char *generation)
{
	if (!generation)
		return gcs_object(e, key, "?alt=media");
	char *eg = pct_encode(generation, "");
	char *suffix = eg ? xasprintf("?alt=media&ifGenerationMatch=%s", eg) : NULL;
	char *url = suffix ? gcs_object(e, key, suffix) : NULL;
	free(eg);
	free(suffix);
	return url;
}

char *endpoint_gcs_list_url(const struct endpoint_gcs *e, const char *pfx, const char *token,
			    int max)
{
	char *ep = pct_encode(pfx ? pfx : "", ""), *et = token ? pct_encode(token, "") : NULL;
	char mr[32] = "";
	if (max > 0)
		snprintf(mr, sizeof(mr), "&maxResults=%d", max);
	char *url = NULL;
	if (ep && (!token || et))
		url = xasprintf("%s/o?prefix=%s&delimiter=%%2F%s%s%s", e->base_url, ep,
				et ? "&pageToken=" : "", et ? et : "", mr);
	free(ep);
	free(et);
	return url;
}
