/*
 * client.h - read-only Unity Catalog REST client ({host}/api/2.1/unity-catalog).
 *
 * Contract: thread-safe (shares one http_client and one uc_auth). Listings
 * follow next_page_token to the end (empty pages carrying a token included)
 * with max_results=0 - "server default page size" on both Databricks and the
 * OSS server (OSS maps 0 to its cap of 100; Databricks needs an explicit
 * max_results to paginate at all). Every listing is bounded by a page_guard
 * (util/pageguard.h): a page token already followed in the listing (A, B, A
 * as well as A, A), more pages than its cap or a listing past its time
 * budget is -EIO with a message naming the listing, not an endless loop. Path segments and
 * query values are percent-encoded. Status mapping: 401 -EACCES, 403 -EPERM,
 * 404 -ENOENT, 400 -EINVAL, other non-2xx -EIO; transport errors keep
 * http_perform's errno (then http_status is 0). On failure *e is filled (free
 * with uc_error_clear) and *out is left empty.
 */
#ifndef UCFS_UC_CLIENT_H
#define UCFS_UC_CLIENT_H

#include "core/config.h"
#include "net/http.h"
#include "uc/auth.h"
#include "uc/model.h"

struct uc_error {
	long http_status; /* 0 when no response */
	int err;          /* negative errno */
	char *code;       /* server error_code, or NULL */
	char *message;    /* server message or transport/auth text, or NULL */
	char *host;       /* the Unity Catalog host the request went to */
	bool anonymous;   /* the request carried no credentials */
	const char *auth; /* the sign-in method used (auth_kind_name), static */
};

void uc_error_clear(struct uc_error *e);
/* One line for humans, malloc'ed (NULL only on ENOMEM). what: e.g. "catalog 'x'", may be NULL. */
char *uc_error_describe(const struct uc_error *e, const char *what);

struct uc_client;

struct uc_client *uc_client_new(const struct ucfs_conn *conn, const struct http_options *opts, char **err);
void uc_client_free(struct uc_client *c);
const char *uc_client_host(const struct uc_client *c);
/* Borrowed handles, e.g. for credential vending or storage requests. */
struct http_client *uc_client_http(struct uc_client *c);
struct uc_auth *uc_client_auth(struct uc_client *c);

int uc_list_catalogs(struct uc_client *c, struct uc_catalog_list *out, struct uc_error *e);
int uc_get_catalog(struct uc_client *c, const char *name, struct uc_catalog *out, struct uc_error *e);
int uc_list_schemas(struct uc_client *c, const char *catalog, struct uc_schema_list *out, struct uc_error *e);
int uc_list_tables(struct uc_client *c, const char *catalog, const char *schema, struct uc_table_list *out,
		   struct uc_error *e);
/* GET /volumes?catalog_name=&schema_name= (paginated like the others). */
int uc_list_volumes(struct uc_client *c, const char *catalog, const char *schema,
		    struct uc_volume_list *out, struct uc_error *e);
int uc_get_table(struct uc_client *c, const char *full_name, struct uc_table *out, struct uc_error *e);

/* Lower level: GET/POST {host}{path_and_query} with auth, status mapping and
 * error filling as above. On 0, *body is the malloc'ed 2xx body. json_body
 * NULL = GET, else POST with Content-Type: application/json. */
int uc_request(struct uc_client *c, const char *path_and_query, const char *json_body, char **body,
	       struct uc_error *e);

/* Pure: HTTP status -> negative errno per the mapping above (2xx -> 0). */
int uc_status_to_errno(long status);

#endif
