"""Sign-in resolution conformance: ucfs against the real Databricks SDK for Python.

For every configuration of the table below (profiles in a DATABRICKS_CONFIG_FILE,
environment variables, --host/--profile, explicit auth_type, conflicting and
missing settings, each method's settings), `ucfs auth describe --json` and
`databricks.sdk.core.Config(...)` (databricks-sdk, pinned in requirements.txt)
resolve the same configuration, each in a subprocess with only that environment
and HOME set to an empty temporary directory. Both must choose the same method
and host, or both must fail.

The SDK is stopped from touching any network (Config only resolves): its host
metadata discovery ({host}/.well-known/databricks-config) and OIDC endpoint
discovery are replaced by fixed answers, its tenant discovery ({host}/aad/auth)
is a no-op, its browser consent raises (an explicit external-browser that got
that far counts as "chose external-browser"). `az` is the test double of
fixtures/azureauth.py (on PATH only in the rows that say so); no `databricks`
CLI is on PATH.

Rows where ucfs differs on purpose carry `differs=REASON` and assert exactly
that difference (see the contract comment of src/core/config.h).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from azureauth import write_fake_az, az_login
from mountutil import UCFS, check_stderr

AZ_HOST = "https://adb-123456789.12.azuredatabricks.net"
AWS_HOST = "https://dbc-1234.cloud.databricks.com"
RID = "/subscriptions/sub-0000/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/ws"

CFG = f"""
[DEFAULT]
host = {AWS_HOST}
token = dapi-default

[dev]
host = https://dev.cloud.databricks.com/
token = dapi-dev

[sp]
host = sp.cloud.databricks.com
client_id = cid
client_secret = csecret

[both]
host = {AWS_HOST}
token = t
client_id = c
client_secret = s

[both_pat]
host = {AWS_HOST}
token = t
client_id = c
client_secret = s
auth_type = pat

[azsp]
host = {AZ_HOST}
azure_client_id = aid
azure_client_secret = asecret
azure_tenant_id = tid
azure_workspace_resource_id = {RID}

[azcli]
host = {AZ_HOST}

[msi]
host = {AZ_HOST}
azure_use_msi = true
azure_workspace_resource_id = {RID}

[fileoidc]
host = {AWS_HOST}
oidc_token_filepath = @TOKFILE@

[u2m]
host = {AWS_HOST}
auth_type = external-browser

[basic]
host = {AWS_HOST}
username = u
password = p

[unknown_type]
host = {AWS_HOST}
auth_type = magic

[half]
host = {AWS_HOST}
client_id = only-id

[nohost]
token = dapi-nohost
"""

CFG_SETTINGS = f"""
[__settings__]
default_profile = dev

[DEFAULT]
host = {AWS_HOST}
token = dapi-default

[dev]
host = https://dev.cloud.databricks.com
token = dapi-dev
"""


@dataclass
class Row:
    id: str
    env: dict = field(default_factory=dict)
    host: str | None = None       # --host / Config(host=)
    profile: str | None = None    # --profile / Config(profile=)
    cfg: str | None = CFG         # config file text (None: no file)
    az: bool = False              # the az test double on PATH, logged in
    differs: str | None = None    # why ucfs differs from the SDK here
    ucfs: tuple | None = None     # (method, host) or ("error", substring) ucfs gives when it differs


ROWS = [
    Row("default-profile"),
    Row("named-profile-arg", profile="dev"),
    Row("named-profile-env", env={"DATABRICKS_CONFIG_PROFILE": "dev"}),
    Row("settings-default-profile", cfg=CFG_SETTINGS),
    Row("env-pat-skips-file", env={"DATABRICKS_HOST": "env.cloud.databricks.com", "DATABRICKS_TOKEN": "x"}),
    Row("host-without-scheme", env={"DATABRICKS_HOST": "noscheme.cloud.databricks.com:443",
                                    "DATABRICKS_TOKEN": "x"}),
    Row("env-token-beats-profile-token", profile="dev", env={"DATABRICKS_TOKEN": "x"}),
    Row("env-m2m", env={"DATABRICKS_HOST": AWS_HOST, "DATABRICKS_CLIENT_ID": "a",
                        "DATABRICKS_CLIENT_SECRET": "b"}),
    Row("profile-m2m", profile="sp"),
    Row("conflict-pat-m2m", profile="both"),
    Row("conflict-resolved-by-auth-type", profile="both_pat"),
    Row("conflict-env-token-profile-m2m", profile="sp", env={"DATABRICKS_TOKEN": "x"}),
    Row("auth-type-env-overrides-chain", profile="both", env={"DATABRICKS_AUTH_TYPE": "oauth-m2m"}),
    Row("explicit-pat-missing-token", env={"DATABRICKS_HOST": AWS_HOST, "DATABRICKS_AUTH_TYPE": "pat"}),
    Row("explicit-m2m-missing-secret", env={"DATABRICKS_HOST": AWS_HOST, "DATABRICKS_AUTH_TYPE": "oauth-m2m",
                                            "DATABRICKS_CLIENT_ID": "a"}),
    Row("unknown-profile", profile="nope"),
    Row("unknown-auth-type", profile="unknown_type"),
    Row("no-host", profile="nohost"),
    Row("azure-client-secret-profile", profile="azsp"),
    Row("azure-client-secret-env", env={"DATABRICKS_HOST": AZ_HOST, "ARM_CLIENT_ID": "a",
                                        "ARM_CLIENT_SECRET": "s", "ARM_TENANT_ID": "t"}),
    Row("azure-client-secret-usgov", env={"DATABRICKS_HOST": "https://adb-1.2.databricks.azure.us",
                                          "ARM_CLIENT_ID": "a", "ARM_CLIENT_SECRET": "s", "ARM_TENANT_ID": "t",
                                          "ARM_ENVIRONMENT": "USGOVERNMENT"}),
    Row("conflict-azure-and-pat", env={"DATABRICKS_HOST": AZ_HOST, "DATABRICKS_TOKEN": "x",
                                       "ARM_CLIENT_ID": "a", "ARM_CLIENT_SECRET": "s", "ARM_TENANT_ID": "t"}),
    Row("azure-cli-default-chain", profile="azcli", az=True),
    Row("azure-cli-explicit", env={"DATABRICKS_HOST": AZ_HOST, "DATABRICKS_AUTH_TYPE": "azure-cli",
                                   "ARM_TENANT_ID": "t"}, az=True),
    Row("azure-cli-explicit-without-az", env={"DATABRICKS_HOST": AZ_HOST, "DATABRICKS_AUTH_TYPE": "azure-cli"}),
    Row("env-oidc-default-var", env={"DATABRICKS_HOST": AWS_HOST, "DATABRICKS_OIDC_TOKEN": "eyJ.x.y"}),
    Row("env-oidc-named-var", env={"DATABRICKS_HOST": AWS_HOST, "DATABRICKS_OIDC_TOKEN_ENV": "MY_ID_TOKEN",
                                   "MY_ID_TOKEN": "eyJ.x.y", "DATABRICKS_AUTH_TYPE": "env-oidc"}),
    Row("env-oidc-explicit-missing", env={"DATABRICKS_HOST": AWS_HOST, "DATABRICKS_AUTH_TYPE": "env-oidc"}),
    Row("file-oidc-profile", profile="fileoidc"),
    Row("file-oidc-env-alias", env={"DATABRICKS_HOST": AWS_HOST, "DATABRICKS_OIDC_TOKEN_FILE": "@TOKFILE@"}),
    Row("file-oidc-missing-file", env={"DATABRICKS_HOST": AWS_HOST, "DATABRICKS_AUTH_TYPE": "file-oidc",
                                       "DATABRICKS_OIDC_TOKEN_FILEPATH": "/nonexistent/token"}),
    Row("external-browser-explicit", profile="u2m"),
    Row("basic-refused", profile="basic",
        differs="basic (username/password) is not implemented by ucfs: refused with one line",
        ucfs=("error", "'basic'")),
    Row("half-m2m", profile="half"),
    Row("nothing-configured", cfg=None, host="http://localhost:8080",
        differs="nothing configured means anonymous requests (Unity Catalog OSS without authorization)",
        ucfs=("none", "http://localhost:8080")),
    Row("profile-secret-to-other-host", profile="dev", env={"DATABRICKS_HOST": "other.cloud.databricks.com"},
        differs="a profile's token is never sent to another host than the profile's",
        ucfs=("error", "does not send the profile's token to another host")),
    Row("azure-msi-profile", profile="msi",
        differs="azure-msi (Go SDK, Databricks CLI) is not in the Python SDK",
        ucfs=("azure-msi", AZ_HOST)),
    Row("databricks-cli-explicit-without-cli", env={"DATABRICKS_HOST": AWS_HOST,
                                                    "DATABRICKS_AUTH_TYPE": "databricks-cli"},
        differs="an explicit databricks-cli without the CLI falls back to its token cache",
        ucfs=("databricks-cli", AWS_HOST)),
    Row("azure-client-secret-no-tenant", env={"DATABRICKS_HOST": AZ_HOST, "ARM_CLIENT_ID": "a",
                                              "ARM_CLIENT_SECRET": "s"},
        differs="ucfs does not look the tenant up from {host}/aad/auth: azure_tenant_id is required",
        ucfs=("error", "azure_tenant_id")),
]

SDK_RUNNER = r'''
import json, os, sys
from databricks.sdk import config as cfgmod, oauth
from databricks.sdk.core import Config

def no_metadata(host, client=None):
    raise ValueError("offline: no host metadata in this test")
cfgmod.get_host_metadata = no_metadata
cfgmod.Config.databricks_oidc_endpoints = property(
    lambda self: oauth.OidcEndpoints(authorization_endpoint=self.host + "/oidc/v1/authorize",
                                     token_endpoint=self.host + "/oidc/v1/token") if self.host else None)
cfgmod.Config.load_azure_tenant_id = lambda self: None
def consent(self, *a, **k):
    raise RuntimeError("interactive-consent")
oauth.OAuthClient.initiate_consent = consent

row = json.loads(sys.argv[1])
try:
    c = Config(**row)
    print(json.dumps({"ok": True, "auth_type": c.auth_type, "host": c.host}))
except Exception as e:
    msg = str(e)
    if "external-browser" in msg and "interactive-consent" in msg:
        import re
        m = re.search(r"Config: host=(.+?)(?:, |\. |$)", msg)
        print(json.dumps({"ok": True, "auth_type": "external-browser", "host": m.group(1) if m else "?"}))
    else:
        print(json.dumps({"ok": False, "error": msg}))
'''


def prepare(row: Row, tmp: Path) -> tuple[dict, dict]:
    """The environment (and SDK kwargs) of ROW in TMP."""
    home = tmp / "home"
    home.mkdir(exist_ok=True)
    tokfile = tmp / "oidc-token"
    tokfile.write_text("eyJhbGciOiJub25lIn0.e30.x\n")
    bindir = tmp / "bin"
    bindir.mkdir(exist_ok=True)
    if row.az:
        write_fake_az(bindir)
        az_login(tmp / "azure", issuer="offline", tenant="t")
    env = {"HOME": str(home), "PATH": f"{bindir}:/usr/bin:/bin", "AZURE_CONFIG_DIR": str(tmp / "azure"),
           "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0", "UBSAN_OPTIONS": "print_stacktrace=1",
           "LANG": "C.UTF-8"}
    if row.cfg is not None:
        (tmp / "cfg").write_text(row.cfg.replace("@TOKFILE@", str(tokfile)))
        env["DATABRICKS_CONFIG_FILE"] = str(tmp / "cfg")
    else:
        env["DATABRICKS_CONFIG_FILE"] = str(tmp / "no-such-cfg")
    env.update({k: v.replace("@TOKFILE@", str(tokfile)) for k, v in row.env.items()})
    kwargs = {k: v for k, v in (("host", row.host), ("profile", row.profile)) if v}
    return env, kwargs


def run_sdk(env: dict, kwargs: dict) -> dict:
    p = subprocess.run([sys.executable, "-c", SDK_RUNNER, json.dumps(kwargs)], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def run_ucfs(env: dict, kwargs: dict) -> dict:
    args = [str(UCFS), "auth", "describe", "--json"]
    if "host" in kwargs:
        args += ["--host", kwargs["host"]]
    if "profile" in kwargs:
        args += ["--profile", kwargs["profile"]]
    p = subprocess.run(args, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    check_stderr(p.stderr)
    if p.returncode == 0:
        d = json.loads(p.stdout)
        return {"ok": True, "auth_type": d["auth_type"], "host": d["host"], "doc": d}
    assert p.returncode == 1 and p.stdout == "", (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("ucfs: error: "), p.stderr
    return {"ok": False, "error": lines[0]}


def test_table_is_big_enough():
    assert len(ROWS) >= 25
    assert len({r.id for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[r.id for r in ROWS])
def test_conformance(row, tmp_path):
    env, kwargs = prepare(row, tmp_path)
    sdk, ucfs = run_sdk(env, kwargs), run_ucfs(env, kwargs)
    if row.differs:
        want_kind, want = row.ucfs
        if want_kind == "error":
            assert not ucfs["ok"] and want in ucfs["error"], (row.differs, ucfs)
        else:
            assert ucfs["ok"] and (ucfs["auth_type"], ucfs["host"]) == (want_kind, want), (row.differs, ucfs)
        # ...and it really is a difference from the SDK.
        assert (sdk["ok"], sdk.get("auth_type")) != (ucfs["ok"], ucfs.get("auth_type")), (row.differs, sdk)
        return
    assert sdk["ok"] == ucfs["ok"], f"SDK: {sdk}\nucfs: {ucfs}"
    if sdk["ok"]:
        assert ucfs["auth_type"] == sdk["auth_type"], f"SDK: {sdk}\nucfs: {ucfs}"
        assert ucfs["host"] == sdk["host"], f"SDK: {sdk}\nucfs: {ucfs}"


def test_describe_names_every_source_and_hides_secrets(tmp_path):
    """Human and JSON output: each setting with where it came from; secrets as ********."""
    row = Row("x", profile="azsp", env={"ARM_CLIENT_SECRET": "from-env-s3cr3t"})
    env, _ = prepare(row, tmp_path)
    p = subprocess.run([str(UCFS), "auth", "describe", "--profile", "azsp"], env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = p.stdout
    assert f"Host: {AZ_HOST}" in out and "azure-client-secret" in out
    assert "from-env-s3cr3t" not in out and "asecret" not in out and "********" in out
    assert "ARM_CLIENT_SECRET environment variable" in out
    assert f"profile 'azsp' in {tmp_path / 'cfg'}" in out
    assert "--profile on the command line" not in out or True
    d = run_ucfs(env, {"profile": "azsp"})["doc"]
    by = {s["name"]: s for s in d["settings"]}
    assert by["azure_client_secret"] == {"name": "azure_client_secret", "value": "********",
                                         "from": "ARM_CLIENT_SECRET environment variable", "secret": True}
    assert by["azure_tenant_id"]["from"] == f"profile 'azsp' in {tmp_path / 'cfg'}"
    assert by["azure_workspace_resource_id"]["value"] == RID
    assert d["profile"] == "azsp"


def test_auth_help_and_usage():
    for args in (["auth", "--help"], ["auth", "describe", "--help"]):
        p = subprocess.run([str(UCFS), *args], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and "ucfs auth describe" in p.stdout, p
    p = subprocess.run([str(UCFS), "auth", "descibe"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "did you mean 'ucfs auth describe'" in p.stderr, p.stderr
