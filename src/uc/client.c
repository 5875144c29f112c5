/* client.c - see client.h. */
#include "uc/client.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/pageguard.h"
#include "util/strutil.h"

#define API "/api/2.1/unity-catalog"

struct uc_client {
	char *host;
	struct http_client *http;
	struct uc_auth *auth;
};

void uc_error_clear(struct uc_error *e)
{
	if (!e)
		return;
	free(e->code);
	free(e->message);
	free(e->host);
	memset(e, 0, sizeof(*e));
}

int uc_status_to_errno(long s)
{
	if (s >= 200 && s < 300)
		return 0;
	switch (s) {
	case 400: return -EINVAL;
	case 401: return -EACCES;
	case 403: return -EPERM;
	case 404: return -ENOENT;
	default: return -EIO;
	}
}

static const char *transport_text(int err)
{
	switch (err) {
	case -ECONNREFUSED: return "connection refused - is the server running and the host right?";
	case -EHOSTUNREACH: return "host not found or unreachable - check the host name";
	case -ETIMEDOUT: return "timed out - is the host right and reachable from here?";
	case -EPROTO: return "TLS handshake failed - check the scheme (http/https) and the CA bundle (CURL_CA_BUNDLE)";
	default: return NULL;
	}
}

char *uc_error_describe(const struct uc_error *e, const char *what)
{
	const char *host = e && e->host ? e->host : "?";
	const char *w = what ? what : "the request";
	char *out, detail[1024] = "";
	if (!e)
		return xstrdup("unknown error");
	if (e->http_status)
		snprintf(detail, sizeof(detail), "%ld%s%s%s%s", e->http_status, e->code ? " " : "",
			 e->code ? e->code : "", e->message ? ": " : "", e->message ? e->message : "");
	if (!e->http_status && e->err == -EACCES) {
		out = xasprintf("authentication with Unity Catalog at %s failed: %s", host,
				e->message ? e->message : "no details");
	} else if (!e->http_status && transport_text(e->err)) {
		/* Refused/timed out say it all; DNS and TLS details help. */
		bool detail_helps = e->message && (e->err == -EHOSTUNREACH || e->err == -EPROTO);
		out = xasprintf("cannot reach Unity Catalog at %s: %s%s%s%s", host, transport_text(e->err),
				detail_helps ? " [" : "", detail_helps ? e->message : "", detail_helps ? "]" : "");
	} else if (!e->http_status) {
		out = xasprintf("request to Unity Catalog at %s for %s failed: %s", host, w,
				e->message ? e->message : strerror(e->err < 0 ? -e->err : EIO));
	} else if (e->http_status >= 200 && e->http_status < 300) {
		out = xasprintf("Unity Catalog at %s: bad answer for %s: %s", host, w,
				e->message ? e->message : strerror(e->err < 0 ? -e->err : EIO));
	} else if (e->http_status == 401) {
		out = e->anonymous
			      ? xasprintf("Unity Catalog at %s: authentication failed (%s): no credentials "
					  "are configured: set DATABRICKS_TOKEN (or DATABRICKS_CLIENT_ID and "
					  "DATABRICKS_CLIENT_SECRET), or use --profile", host, detail)
			      : xasprintf("Unity Catalog at %s: authentication failed (%s): check the "
					  "credentials of sign-in method %s ('ucfs auth describe' shows where "
					  "they come from)", host, detail, e->auth ? e->auth : "?");
	} else if (e->http_status == 403) {
		out = xasprintf("Unity Catalog at %s: permission denied for %s (%s)", host, w, detail);
	} else if (e->http_status == 404 && !e->code) {
		out = xasprintf("Unity Catalog at %s: %s not found (%s, no Unity Catalog error body - is this a Unity Catalog server?)",
				host, w, detail);
	} else if (e->http_status == 404) {
		out = xasprintf("Unity Catalog at %s: %s does not exist (%s)", host, w, detail);
	} else if (e->http_status == 429 || e->http_status == 503) {
		out = xasprintf("Unity Catalog at %s is throttling or unavailable for %s (%s); try again later", host, w, detail);
	} else {
		out = xasprintf("Unity Catalog at %s: request for %s failed (%s)", host, w, detail);
	}
	return out ? redact(out) : NULL;
}

struct uc_client *uc_client_new(const struct ucfs_conn *conn, const struct http_options *opts, char **err)
{
	if (err)
		*err = NULL;
	struct uc_client *c = calloc(1, sizeof(*c));
	if (!c || !conn || !conn->host || !(c->host = xstrdup(conn->host)) ||
	    !(c->http = http_client_new(opts)) || !(c->auth = uc_auth_new(conn))) {
		if (err)
			*err = xstrdup(conn && conn->host ? "cannot set up the HTTP client (out of memory or libcurl failure)"
							  : "no Unity Catalog host");
		uc_client_free(c);
		return NULL;
	}
	return c;
}

void uc_client_free(struct uc_client *c)
{
	if (!c)
		return;
	uc_auth_free(c->auth);
	http_client_free(c->http);
	free(c->host);
	free(c);
}

const char *uc_client_host(const struct uc_client *c) { return c ? c->host : NULL; }
struct http_client *uc_client_http(struct uc_client *c) { return c ? c->http : NULL; }
struct uc_auth *uc_client_auth(struct uc_client *c) { return c ? c->auth : NULL; }

static int set_error(struct uc_error *e, const struct uc_client *c, long status, int err, char *code, char *msg)
{
	uc_error_clear(e);
	e->http_status = status;
	e->err = err;
	e->code = code;
	e->message = msg ? redact(msg) : NULL;
	e->host = xstrdup(c->host);
	e->anonymous = uc_auth_kind(c->auth) == AUTH_NONE;
	e->auth = auth_kind_name(uc_auth_kind(c->auth));
	return err;
}

int uc_request(struct uc_client *c, const char *path_and_query, const char *json_body, char **body,
	       struct uc_error *e)
{
	*body = NULL;
	char *aerr = NULL, *url = NULL, *terr = NULL;
	struct uc_auth_headers ah;
	int rc;
	for (int attempt = 0;; attempt++) {
		rc = uc_auth_headers(c->auth, &ah, &aerr);
		if (rc)
			return set_error(e, c, 0, rc, NULL, aerr);
		if (!(url = xasprintf("%s%s", c->host, path_and_query))) {
			uc_auth_headers_free(&ah);
			return set_error(e, c, 0, -ENOMEM, NULL, xstrdup("out of memory"));
		}
		const char *hdrs[UC_AUTH_MAX_HEADERS + 2] = {"Accept: application/json"};
		for (int i = 0; ah.line[i]; i++)
			hdrs[i + 1] = ah.line[i];
		struct http_request req = {.method = json_body ? "POST" : "GET", .url = url, .headers = hdrs,
					   .body = json_body, .body_len = json_body ? strlen(json_body) : 0,
					   .content_type = json_body ? "application/json" : NULL};
		struct http_response resp;
		rc = http_perform(c->http, &req, &resp, &terr);
		uc_auth_headers_free(&ah);
		log_debug("uc: %s %s -> %s%ld", req.method, path_and_query, rc ? "error " : "",
			  rc ? (long)rc : resp.status);
		free(url);
		url = NULL;
		if (rc)
			return set_error(e, c, 0, rc, NULL, terr);
		/* A 401 with a cached token: it may have been revoked early. */
		if (resp.status == 401 && attempt == 0 && uc_auth_refreshes(uc_auth_kind(c->auth))) {
			http_response_free(&resp);
			uc_auth_invalidate(c->auth);
			continue;
		}
		if (http_status_ok(resp.status)) {
			*body = resp.body;
			resp.body = NULL;
			http_response_free(&resp);
			return 0;
		}
		char *code = NULL, *msg = NULL;
		uc_parse_error(resp.body, &code, &msg);
		long st = resp.status;
		http_response_free(&resp);
		return set_error(e, c, st, uc_status_to_errno(st), code, msg);
	}
}

/* ---- pagination ---- */

typedef int (*page_fn)(const char *json, void *list, char **next, char **err);

/* Every page of PATH?QUERY into LIST; WHAT names the listing in errors. */
static int list_all(struct uc_client *c, const char *path, const char *query, const char *what,
		    page_fn fn, void *list, struct uc_error *e)
{
	char *token = NULL;
	int rc = 0;
	struct page_guard guard;
	page_guard_init(&guard);
	for (;;) {
		char *enc = token ? pct_encode(token, NULL) : NULL;
		char *pq = xasprintf("%s%s?%s%smax_results=0%s%s", API, path, query ? query : "", query ? "&" : "",
				     enc ? "&page_token=" : "", enc ? enc : "");
		free(enc);
		if (!pq || (token && !enc)) {
			free(pq);
			rc = set_error(e, c, 0, -ENOMEM, NULL, xstrdup("out of memory"));
			break;
		}
		char *body = NULL, *next = NULL, *perr = NULL;
		rc = uc_request(c, pq, NULL, &body, e);
		free(pq);
		if (rc)
			break;
		rc = fn(body, list, &next, &perr);
		free(body);
		if (rc) {
			set_error(e, c, 200, rc, NULL, perr);
			break;
		}
		if (!next)
			break;
		rc = page_guard_next(&guard, next);
		free(token);
		token = next;
		if (rc) {
			rc = set_error(e, c, 200, rc, NULL,
				       rc == -EIO ? xasprintf("listing %s aborted: %s", what,
							      page_guard_why(&guard))
						  : xstrdup("out of memory"));
			break;
		}
	}
	page_guard_free(&guard);
	free(token);
	return rc;
}

static int lc_page(const char *j, void *l, char **n, char **err) { return uc_parse_catalogs_page(j, l, n, err); }
static int ls_page(const char *j, void *l, char **n, char **err) { return uc_parse_schemas_page(j, l, n, err); }
static int lt_page(const char *j, void *l, char **n, char **err) { return uc_parse_tables_page(j, l, n, err); }
static int lv_page(const char *j, void *l, char **n, char **err) { return uc_parse_volumes_page(j, l, n, err); }

int uc_list_catalogs(struct uc_client *c, struct uc_catalog_list *out, struct uc_error *e)
{
	memset(out, 0, sizeof(*out));
	int rc = list_all(c, "/catalogs", NULL, "the catalogs", lc_page, out, e);
	if (rc)
		uc_catalog_list_free(out);
	return rc;
}

int uc_list_schemas(struct uc_client *c, const char *catalog, struct uc_schema_list *out, struct uc_error *e)
{
	memset(out, 0, sizeof(*out));
	char *cat = pct_encode(catalog ? catalog : "", NULL);
	char *q = cat ? xasprintf("catalog_name=%s", cat) : NULL;
	char *what = xasprintf("the schemas of catalog '%s'", catalog ? catalog : "");
	int rc = q && what ? list_all(c, "/schemas", q, what, ls_page, out, e)
			   : set_error(e, c, 0, -ENOMEM, NULL, xstrdup("out of memory"));
	free(cat);
	free(q);
	free(what);
	if (rc)
		uc_schema_list_free(out);
	return rc;
}

/* A listing of one schema's COLL ("tables", "volumes"). */
static int list_in_schema(struct uc_client *c, const char *coll, const char *catalog,
			  const char *schema, page_fn page,
			  void *out, struct uc_error *e)
{
	char *cat = pct_encode(catalog ? catalog : "", NULL);
	char *sch = pct_encode(schema ? schema : "", NULL);
	char *q = cat && sch ? xasprintf("catalog_name=%s&schema_name=%s", cat, sch) : NULL;
	char *path = xasprintf("/%s", coll);
	char *what = xasprintf("the %s of schema '%s.%s'", coll, catalog ? catalog : "",
			       schema ? schema : "");
	int rc = q && what && path ? list_all(c, path, q, what, page, out, e)
				   : set_error(e, c, 0, -ENOMEM, NULL, xstrdup("out of memory"));
	free(cat);
	free(sch);
	free(q);
	free(path);
	free(what);
	return rc;
}

int uc_list_tables(struct uc_client *c, const char *catalog, const char *schema, struct uc_table_list *out,
		   struct uc_error *e)
{
	memset(out, 0, sizeof(*out));
	int rc = list_in_schema(c, "tables", catalog, schema, lt_page, out, e);
	if (rc)
		uc_table_list_free(out);
	return rc;
}

int uc_list_volumes(struct uc_client *c, const char *catalog, const char *schema,
		    struct uc_volume_list *out, struct uc_error *e)
{
	memset(out, 0, sizeof(*out));
	int rc = list_in_schema(c, "volumes", catalog, schema, lv_page, out, e);
	if (rc)
		uc_volume_list_free(out);
	return rc;
}

typedef int (*one_fn)(const char *json, void *out, char **err);

static int get_one(struct uc_client *c, const char *coll, const char *name, one_fn fn, void *out,
		   struct uc_error *e)
{
	char *enc = pct_encode(name ? name : "", NULL);
	char *pq = enc ? xasprintf("%s/%s/%s", API, coll, enc) : NULL;
	free(enc);
	if (!pq)
		return set_error(e, c, 0, -ENOMEM, NULL, xstrdup("out of memory"));
	char *body = NULL, *perr = NULL;
	int rc = uc_request(c, pq, NULL, &body, e);
	free(pq);
	if (rc)
		return rc;
	rc = fn(body, out, &perr);
	free(body);
	if (rc)
		set_error(e, c, 200, rc, NULL, perr);
	return rc;
}

static int gc_fn(const char *j, void *o, char **err) { return uc_parse_catalog(j, o, err); }
static int gt_fn(const char *j, void *o, char **err) { return uc_parse_table(j, o, err); }

int uc_get_catalog(struct uc_client *c, const char *name, struct uc_catalog *out, struct uc_error *e)
{
	memset(out, 0, sizeof(*out));
	return get_one(c, "catalogs", name, gc_fn, out, e);
}

int uc_get_table(struct uc_client *c, const char *full_name, struct uc_table *out, struct uc_error *e)
{
	memset(out, 0, sizeof(*out));
	return get_one(c, "tables", full_name, gt_fn, out, e);
}
