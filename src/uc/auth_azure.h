/*
 * auth_azure.h - Microsoft Entra ID tokens for Azure Databricks
 * (azure-client-secret, azure-cli, azure-msi), as the Databricks SDKs get them.
 *
 * Contract: azure_token() yields an Entra ID access token for the workspace
 * resource conn->azure_resource (default 2ff814a6-3304-4ab8-85cb-
 * cd0e6f879c1d) and, where the SDK sends one, a management token for the
 * Azure service management endpoint (*mgmt, else NULL); *lifetime_ms is the
 * shorter of both lifetimes.
 *  - azure-client-secret: POST {authority}/{tenant}/oauth2/token, form
 *    grant_type=client_credentials, client_id, client_secret, resource (the
 *    SDK's v1 request); authority from azure_environment (PUBLIC
 *    login.microsoftonline.com, USGOVERNMENT login.microsoftonline.us, CHINA
 *    login.chinacloudapi.cn; by the host's DNS zone when unset), overridden
 *    by AZURE_AUTHORITY_HOST.
 *  - azure-cli: `az account get-access-token --resource R --output json
 *    [--tenant T] [--subscription S]` (fork/execvp, no shell, 30 s, 64 KiB
 *    of output); management token only for a non-user identity (no "upn").
 *  - azure-msi: IMDS (GET http://169.254.169.254/metadata/identity/oauth2/
 *    token?api-version=2018-02-01&resource=R[&client_id=C], Metadata: true),
 *    App Service / AKS IDENTITY_ENDPOINT + IDENTITY_HEADER (api-version
 *    2019-08-01, X-IDENTITY-HEADER), or legacy MSI_ENDPOINT + MSI_SECRET.
 * Every answer is hostile: sizes, times and numbers are bounded. 0 or a
 * negative errno with a malloc'ed one-line *err naming the method, where its
 * settings came from and what to do (never a token or secret).
 */
#ifndef UCFS_UC_AUTH_AZURE_H
#define UCFS_UC_AUTH_AZURE_H

#include "core/config.h"
#include "net/http.h"

int azure_token(struct http_client *http, const struct ucfs_conn *conn, char **access_token, char **mgmt,
		long long *lifetime_ms, char **err);

/* Pure parsers, unit-tested. */
/* An Entra/IMDS token answer: access_token, expires_in (seconds, number or
 * string) or expires_on (epoch seconds). now_s: the current epoch time. */
int azure_parse_token_answer(const char *json, long long now_s, char **token, long long *lifetime_ms,
			     char **err);
/* `az account get-access-token` output: accessToken, expires_on (epoch s)
 * or expiresOn ("YYYY-MM-DD HH:MM:SS[.ffffff]", local time). */
int azure_parse_cli_answer(const char *json, long long now_s, char **token, long long *lifetime_ms,
			   char **err);
/* Does the JWT's payload carry a "upn" claim (a human user)? */
bool azure_jwt_has_upn(const char *jwt);
/* Entra ID authority URL (no trailing slash) for an environment name. */
const char *azure_authority(const char *environment, const char *host);

#endif
