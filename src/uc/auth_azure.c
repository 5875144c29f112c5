/* auth_azure.c - see auth_azure.h. */
#include "uc/auth_azure.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/jsonnum.h"
#include "util/log.h"
#include "util/strutil.h"

#define MAX_LIFETIME_S (24LL * 3600)  /* no token is believed to live longer */
#define CLI_TIMEOUT_MS 30000
#define CLI_MAX_OUTPUT (64 * 1024)

static const struct {
	const char *name, *authority, *management;
} clouds[] = {
	{"PUBLIC", "https://login.microsoftonline.com", "https://management.core.windows.net/"},
	{"USGOVERNMENT", "https://login.microsoftonline.us", "https://management.core.usgovcloudapi.net/"},
	{"CHINA", "https://login.chinacloudapi.cn", "https://management.core.chinacloudapi.cn/"},
};

/* The SDK's name handling: AzurePublicCloud -> PUBLIC; else by the host's zone. */
static int cloud_of(const char *environment, const char *host)
{
	if (!str_empty(environment)) {
		char buf[64];
		snprintf(buf, sizeof(buf), "%s", environment);
		char *e = buf;
		if (!strncasecmp(e, "AZURE", 5))
			e += 5;
		size_t l = strlen(e);
		if (l >= 5 && !strcasecmp(e + l - 5, "CLOUD"))
			e[l - 5] = '\0';
		for (int i = 0; i < 3; i++)
			if (!strcasecmp(e, clouds[i].name))
				return i;
		return 0;
	}
	if (host && (strstr(host, ".databricks.azure.us") != NULL))
		return 1;
	if (host && (strstr(host, ".databricks.azure.cn") != NULL))
		return 2;
	return 0;
}

const char *azure_authority(const char *environment, const char *host)
{
	const char *o = getenv("AZURE_AUTHORITY_HOST");
	return !str_empty(o) ? o : clouds[cloud_of(environment, host)].authority;
}

static void wipe_body(struct http_response *r)
{
	if (r->body)
		memset(r->body, 0, r->body_len);
	http_response_free(r);
}

static long long now_epoch(void) { return (long long)time(NULL); }

/* Seconds from a number or a decimal string; -1 when absent or not a number. */
static long long secs_of(const cJSON *it)
{
	return json_item_i64(it, -1, 253402300799LL, -1);
}

static int token_from(const cJSON *root, const char *tok_key, char **token)
{
	const cJSON *at = cJSON_GetObjectItemCaseSensitive(root, tok_key);
	if (!cJSON_IsString(at) || str_empty(at->valuestring) || strlen(at->valuestring) > 32768)
		return -EBADMSG;
	for (const char *p = at->valuestring; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -EBADMSG; /* would break the header line */
	return (*token = xstrdup(at->valuestring)) ? 0 : -ENOMEM;
}

static int lifetime_from(long long secs, long long *lifetime_ms, char **err, const char *what)
{
	if (secs <= 0) {
		*err = xasprintf("%s: the token answer is already expired or has no usable expiry", what);
		return -EBADMSG;
	}
	*lifetime_ms = (secs > MAX_LIFETIME_S ? MAX_LIFETIME_S : secs) * 1000;
	return 0;
}

int azure_parse_token_answer(const char *json, long long now_s, char **token, long long *lifetime_ms,
			     char **err)
{
	*token = NULL;
	*err = NULL;
	cJSON *root = json ? cJSON_Parse(json) : NULL;
	int rc = token_from(root, "access_token", token);
	if (rc == -EBADMSG)
		*err = xstrdup("the token answer has no usable access_token");
	if (!rc) {
		long long in = secs_of(cJSON_GetObjectItemCaseSensitive(root, "expires_in"));
		long long on = secs_of(cJSON_GetObjectItemCaseSensitive(root, "expires_on"));
		rc = lifetime_from(in >= 0 ? in : on >= 0 ? on - now_s : 3600, lifetime_ms, err, "Entra ID");
	}
	cJSON_Delete(root);
	if (rc) {
		str_wipe_free(*token);
		*token = NULL;
		if (!*err)
			*err = xstrdup("out of memory");
	}
	return rc;
}

/* "YYYY-MM-DD HH:MM:SS[.ffffff]" local time (az's expiresOn) -> epoch, or -1. */
static long long parse_local_time(const char *s)
{
	struct tm tm = {0};
	char rest[64] = "";
	if (!s || strlen(s) > 40 ||
	    sscanf(s, "%4d-%2d-%2d%*[ T]%2d:%2d:%2d%63s", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, rest) < 6)
		return -1;
	if (tm.tm_year < 1970 || tm.tm_year > 9999 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	time_t t = mktime(&tm);
	return t == (time_t)-1 ? -1 : (long long)t;
}

int azure_parse_cli_answer(const char *json, long long now_s, char **token, long long *lifetime_ms, char **err)
{
	*token = NULL;
	*err = NULL;
	cJSON *root = json ? cJSON_Parse(json) : NULL;
	int rc = token_from(root, "accessToken", token);
	if (rc == -EBADMSG)
		*err = xstrdup("azure-cli: 'az account get-access-token' printed no usable accessToken");
	if (!rc) {
		long long on = secs_of(cJSON_GetObjectItemCaseSensitive(root, "expires_on"));
		const cJSON *eo = cJSON_GetObjectItemCaseSensitive(root, "expiresOn");
		if (on < 0 && cJSON_IsString(eo))
			on = parse_local_time(eo->valuestring);
		if (on < 0) {
			*err = xstrdup("azure-cli: 'az account get-access-token' printed neither expires_on nor a readable expiresOn");
			rc = -EBADMSG;
		} else {
			rc = lifetime_from(on - now_s, lifetime_ms, err, "azure-cli");
		}
	}
	cJSON_Delete(root);
	if (rc) {
		str_wipe_free(*token);
		*token = NULL;
		if (!*err)
			*err = xstrdup("out of memory");
	}
	return rc;
}

bool azure_jwt_has_upn(const char *jwt)
{
	const char *p = jwt ? strchr(jwt, '.') : NULL;
	const char *q = p ? strchr(p + 1, '.') : NULL;
	if (!q || q - p - 1 > 16384)
		return false;
	size_t n = (size_t)(q - p - 1);
	unsigned char *dec = malloc(n + 4);
	bool upn = false;
	if (!dec)
		return false;
	/* base64url without padding */
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		const char *c = strchr(tbl, p[1 + i]);
		if (!c || !p[1 + i]) {
			free(dec);
			return false;
		}
		acc = (acc << 6) | (unsigned)(c - tbl);
		if ((bits += 6) >= 8)
			dec[o++] = (unsigned char)(acc >> (bits -= 8));
	}
	dec[o] = '\0';
	cJSON *root = cJSON_ParseWithLength((const char *)dec, o);
	upn = cJSON_GetObjectItemCaseSensitive(root, "upn") != NULL;
	cJSON_Delete(root);
	memset(dec, 0, o);
	free(dec);
	return upn;
}

/* ---------------------------------------------------------------- HTTP methods */

/* One token request; WHAT names the method and endpoint in errors. */
static int http_token(struct http_client *http, const struct http_request *req, const char *what,
		      const char *fix, char **token, long long *lifetime_ms, char **err)
{
	struct http_response resp;
	char *msg = NULL;
	int rc = http_perform(http, req, &resp, &msg);
	if (rc) {
		*err = xasprintf("%s: %s", what, msg ? msg : strerror(-rc));
		free(msg);
		return rc;
	}
	if (!http_status_ok(resp.status)) {
		cJSON *root = cJSON_Parse(resp.body);
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "error");
		const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "error_description");
		char d[160] = "";
		if (cJSON_IsString(desc))
			snprintf(d, sizeof(d), "%s", desc->valuestring);
		d[strcspn(d, "\r\n")] = '\0';
		rc = resp.status == 400 || resp.status == 401 || resp.status == 403 ? -EACCES : -EIO;
		*err = xasprintf("%s failed (%ld%s%s%s%s)%s%s", what, resp.status, cJSON_IsString(code) ? " " : "",
				 cJSON_IsString(code) ? code->valuestring : "", d[0] ? ": " : "", d,
				 rc == -EACCES ? ": " : "", rc == -EACCES ? fix : "");
		cJSON_Delete(root);
		wipe_body(&resp);
		return rc;
	}
	char *perr = NULL;
	rc = azure_parse_token_answer(resp.body, now_epoch(), token, lifetime_ms, &perr);
	if (rc) {
		*err = xasprintf("%s: %s", what, perr ? perr : "bad answer");
		free(perr);
	}
	wipe_body(&resp);
	return rc;
}

static int client_secret_token(struct http_client *http, const struct ucfs_conn *c, const char *resource,
			       char **token, long long *lifetime_ms, char **err)
{
	const char *auth = azure_authority(c->azure_environment, c->host);
	size_t al = strlen(auth);
	while (al && auth[al - 1] == '/')
		al--;
	char *url = xasprintf("%.*s/%s/oauth2/token", (int)al, auth, c->azure_tenant_id);
	char *e_id = pct_encode(c->azure_client_id, NULL), *e_sec = pct_encode(c->azure_client_secret, NULL);
	char *e_res = pct_encode(resource, NULL);
	char *form = e_id && e_sec && e_res
			     ? xasprintf("grant_type=client_credentials&scope=all-apis&resource=%s&client_id=%s&client_secret=%s",
					 e_res, e_id, e_sec)
			     : NULL;
	char *what = url ? xasprintf("azure-client-secret: token request to %s", url) : NULL;
	char *fix = xasprintf("check azure_client_id / azure_client_secret / azure_tenant_id (from %s)", c->source);
	int rc = -ENOMEM;
	if (url && form && what && fix) {
		const char *hdrs[] = {"Accept: application/json", NULL};
		struct http_request req = {.method = "POST", .url = url, .headers = hdrs, .body = form,
					   .body_len = strlen(form),
					   .content_type = "application/x-www-form-urlencoded"};
		rc = http_token(http, &req, what, fix, token, lifetime_ms, err);
	}
	free(url);
	free(e_id);
	str_wipe_free(e_sec);
	free(e_res);
	str_wipe_free(form);
	free(what);
	free(fix);
	return rc;
}

static int msi_token(struct http_client *http, const struct ucfs_conn *c, const char *resource, char **token,
		     long long *lifetime_ms, char **err)
{
	const char *ep = getenv("IDENTITY_ENDPOINT"), *hd = getenv("IDENTITY_HEADER");
	const char *lep = getenv("MSI_ENDPOINT"), *lsec = getenv("MSI_SECRET");
	char *e_res = pct_encode(resource, NULL);
	char *e_cid = c->azure_client_id ? pct_encode(c->azure_client_id, NULL) : NULL;
	char *url = NULL, *hdr = NULL;
	const char *kind;
	if (!str_empty(ep) && !str_empty(hd)) {
		kind = "App Service/AKS identity endpoint (IDENTITY_ENDPOINT)";
		url = xasprintf("%s%sapi-version=2019-08-01&resource=%s%s%s", ep, strchr(ep, '?') ? "&" : "?",
				e_res ? e_res : "", e_cid ? "&client_id=" : "", e_cid ? e_cid : "");
		hdr = xasprintf("X-IDENTITY-HEADER: %s", hd);
	} else if (!str_empty(lep) && !str_empty(lsec)) {
		kind = "legacy MSI endpoint (MSI_ENDPOINT)";
		url = xasprintf("%s%sapi-version=2017-09-01&resource=%s%s%s", lep, strchr(lep, '?') ? "&" : "?",
				e_res ? e_res : "", e_cid ? "&clientid=" : "", e_cid ? e_cid : "");
		hdr = xasprintf("Secret: %s", lsec);
	} else {
		const char *imds = getenv("AZURE_POD_IDENTITY_AUTHORITY_HOST"); /* azure-identity's IMDS override */
		kind = "Azure Instance Metadata Service";
		url = xasprintf("%s/metadata/identity/oauth2/token?api-version=2018-02-01&resource=%s%s%s",
				!str_empty(imds) ? imds : "http://169.254.169.254", e_res ? e_res : "",
				e_cid ? "&client_id=" : "", e_cid ? e_cid : "");
		hdr = xstrdup("Metadata: true");
	}
	char *what = url ? xasprintf("azure-msi: token request to the %s", kind) : NULL;
	char *fix = xasprintf("check the managed identity%s%s (azure_use_msi from %s) is assigned to this machine",
			      c->azure_client_id ? " " : "", c->azure_client_id ? c->azure_client_id : "", c->source);
	int rc = -ENOMEM;
	if (url && hdr && what && fix && e_res && (!c->azure_client_id || e_cid)) {
		const char *hdrs[] = {hdr, "Accept: application/json", NULL};
		struct http_request req = {.method = "GET", .url = url, .headers = hdrs};
		rc = http_token(http, &req, what, fix, token, lifetime_ms, err);
	}
	free(e_res);
	free(e_cid);
	free(url);
	str_wipe_free(hdr);
	free(what);
	free(fix);
	return rc;
}

/* ---------------------------------------------------------------- az */

/* Run ARGV (argv[0] a path) with stdout/stderr captured, bounded; -errno or 0 with *status. */
static int run_bounded(char *const argv[], char **out, char **errout, int *status)
{
	int po[2], pe[2];
	*out = *errout = NULL;
	if (pipe2(po, O_CLOEXEC))
		return -errno;
	if (pipe2(pe, O_CLOEXEC)) {
		int e = errno;
		close(po[0]);
		close(po[1]);
		return -e;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	if (pid < 0) {
		int e = errno;
		close(po[0]);
		close(pe[0]);
		return -e;
	}
	struct strbuf b[2] = {{0}, {0}};
	struct pollfd pf[2] = {{.fd = po[0], .events = POLLIN}, {.fd = pe[0], .events = POLLIN}};
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = 0, open_fds = 2;
	while (open_fds && !rc) {
		clock_gettime(CLOCK_MONOTONIC, &t);
		long left = CLI_TIMEOUT_MS - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0) {
			rc = -ETIMEDOUT;
			break;
		}
		int n = poll(pf, 2, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			break;
		}
		for (int i = 0; i < 2 && !rc; i++) {
			if (pf[i].fd < 0 || !(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[4096];
			ssize_t r = read(pf[i].fd, buf, sizeof(buf));
			if (r <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				open_fds--;
			} else if (b[i].len + (size_t)r > CLI_MAX_OUTPUT) {
				rc = -EFBIG;
			} else {
				rc = sb_append(&b[i], buf, (size_t)r);
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (pf[i].fd >= 0)
			close(pf[i].fd);
	if (rc)
		kill(pid, SIGKILL);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	if (!rc && (sb_append(&b[0], "", 0) || sb_append(&b[1], "", 0)))
		rc = -ENOMEM;
	if (rc) {
		if (b[0].buf)
			memset(b[0].buf, 0, b[0].len);
		sb_free(&b[0]);
		sb_free(&b[1]);
		return rc;
	}
	*out = sb_detach(&b[0]);
	*errout = sb_detach(&b[1]);
	return 0;
}

static int az_once(const char *az, const char *resource, const char *tenant, const char *sub, char **token,
		   long long *lifetime_ms, char **err)
{
	char *argv[12];
	int n = 0;
	argv[n++] = (char *)az;
	argv[n++] = "account";
	argv[n++] = "get-access-token";
	argv[n++] = "--resource";
	argv[n++] = (char *)resource;
	argv[n++] = "--output";
	argv[n++] = "json";
	if (sub) {
		argv[n++] = "--subscription";
		argv[n++] = (char *)sub;
	}
	if (tenant) {
		argv[n++] = "--tenant";
		argv[n++] = (char *)tenant;
	}
	argv[n] = NULL;
	char *out = NULL, *eout = NULL;
	int status = 0;
	int rc = run_bounded(argv, &out, &eout, &status);
	if (rc) {
		*err = xasprintf("azure-cli: '%s account get-access-token' %s", az,
				 rc == -ETIMEDOUT ? "did not answer within 30 s"
				 : rc == -EFBIG	  ? "printed more than 64 KiB"
						  : strerror(-rc));
		return rc;
	}
	if (status) {
		char line[200];
		snprintf(line, sizeof(line), "%s", eout ? eout : "");
		line[strcspn(line, "\r\n")] = '\0';
		bool login = eout && (strstr(eout, "az login") || strstr(eout, "Please run"));
		*err = login ? xasprintf("azure-cli: the Azure CLI is not logged in%s%s: run 'az login'%s%s",
					 tenant ? " for tenant " : "", tenant ? tenant : "",
					 tenant ? " --tenant " : "", tenant ? tenant : "")
			     : xasprintf("azure-cli: '%s account get-access-token' failed (exit %d): %s", az, status,
					 line[0] ? line : "no message");
		rc = login ? -EACCES : -EIO;
	} else {
		rc = azure_parse_cli_answer(out, now_epoch(), token, lifetime_ms, err);
	}
	if (out)
		memset(out, 0, strlen(out));
	free(out);
	free(eout);
	return rc;
}

/* The SDK's for_resource: with the workspace's subscription first, then without. */
static int az_token(const struct ucfs_conn *c, const char *resource, char **token, long long *lifetime_ms,
		    char **err)
{
	char *az = conn_find_executable("az");
	if (!az) {
		*err = xstrdup("azure-cli: the Azure CLI 'az' is not on PATH: install it and run 'az login', or choose another method");
		return -ENOENT;
	}
	char *sub = NULL;
	const char *rid = c->azure_workspace_resource_id;
	if (rid && !strncasecmp(rid, "/subscriptions/", 15) && rid[15] && rid[15] != '/')
		sub = xstrndup(rid + 15, strcspn(rid + 15, "/"));
	int rc = -EAGAIN;
	if (sub) {
		rc = az_once(az, resource, c->azure_tenant_id, sub, token, lifetime_ms, err);
		if (rc && rc != -ENOMEM) {
			log_debug("auth: azure-cli token for subscription %s failed, trying without: %s", sub,
				  *err ? *err : "");
			free(*err);
			*err = NULL;
		}
	}
	if (rc && rc != -ENOMEM)
		rc = az_once(az, resource, c->azure_tenant_id, NULL, token, lifetime_ms, err);
	free(sub);
	free(az);
	return rc;
}

int azure_token(struct http_client *http, const struct ucfs_conn *conn, char **access_token, char **mgmt,
		long long *lifetime_ms, char **err)
{
	*access_token = *mgmt = NULL;
	*err = NULL;
	const char *resource = conn->azure_resource ? conn->azure_resource : conn_azure_login_app_id(conn->host);
	const char *management = clouds[cloud_of(conn->azure_environment, conn->host)].management;
	long long life = 0, mlife = 0;
	char *merr = NULL;
	int rc, mrc = 0;
	switch (conn->auth) {
	case AUTH_AZURE_CLIENT_SECRET:
		rc = client_secret_token(http, conn, resource, access_token, &life, err);
		if (!rc)
			mrc = client_secret_token(http, conn, management, mgmt, &mlife, &merr);
		break;
	case AUTH_AZURE_MSI:
		rc = msi_token(http, conn, resource, access_token, &life, err);
		if (!rc)
			mrc = msi_token(http, conn, management, mgmt, &mlife, &merr);
		break;
	case AUTH_AZURE_CLI:
		rc = az_token(conn, resource, access_token, &life, err);
		/* Like the SDK: a management token only for service principals and identities. */
		if (!rc && !azure_jwt_has_upn(*access_token)) {
			mrc = az_token(conn, management, mgmt, &mlife, &merr);
			if (mrc) {
				log_debug("auth: azure-cli: no service management token: %s", merr ? merr : "");
				mrc = 0;
			}
		}
		break;
	default:
		*err = xasprintf("%s is not an Azure method", auth_kind_name(conn->auth));
		return -EINVAL;
	}
	if (!rc && mrc) {
		rc = mrc;
		*err = merr;
		merr = NULL;
	}
	free(merr);
	if (rc) {
		str_wipe_free(*access_token);
		str_wipe_free(*mgmt);
		*access_token = *mgmt = NULL;
		if (!*err)
			*err = xstrdup("out of memory");
		return rc;
	}
	if (!*mgmt)
		mlife = life;
	*lifetime_ms = life < mlife ? life : mlife;
	return 0;
}
