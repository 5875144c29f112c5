"""Azure sign-in end to end: azure-client-secret, azure-cli and azure-msi against the
real Unity Catalog OSS server with authorization on.

Entra ID, Azure IMDS, App Service managed identity and a logged-in `az` cannot run
here: fixtures/azureauth.py has local endpoints that speak exactly those protocols
(form and header checks as the real ones; see its docstring) and an `az` executable
implementing `az account get-access-token`'s contract. Their tokens are accepted only
by AzureWorkspace, a workspace-side proxy in front of the real server that swaps a
valid token (and, for service principals and managed identities, a valid
X-Databricks-Azure-SP-Management-Token) for the server's admin token and answers 401
to an expired one. So the whole chain runs: ucfs -> token source -> workspace proxy
-> Unity Catalog, for `ucfs catalogs`, `ucfs mirror create` and a real mount reading
a table while its tokens expire and are refreshed.
"""
from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from azureauth import AzureWorkspace, az_calls, az_login, write_fake_az
from mountutil import Mount, env_for, run
from ucapi import UCClient
from ucserver import UCServer

CAT = "az_cat"
RID = "/subscriptions/sub-0000/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/ws"
METHODS = ["azure-client-secret", "azure-cli", "azure-msi-imds", "azure-msi-appservice"]


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    work = tmp_path_factory.mktemp("azauth")
    s = UCServer(work / "uc", auth=True).start()
    try:
        api = UCClient(s.url, token=s.admin_token)
        api.create_catalog(CAT)
        api.create_schema(CAT, "sales")
        data = pa.table({"id": list(range(100))})
        write_deltalake(str(work / "data" / "orders"), data)
        api.register_arrow_table(CAT, "sales", "orders", work / "data" / "orders", data.schema)
        yield s
    finally:
        s.stop()


@pytest.fixture
def ws(srv, request):
    kw = getattr(request, "param", {})
    w = AzureWorkspace(srv.url, srv.admin_token, **kw)
    yield w
    w.close()


def method_env(method: str, ws: AzureWorkspace, tmp: Path, state=None, **extra) -> dict:
    """The environment a user of METHOD would have, pointed at the local stand-ins."""
    bindir = tmp / "bin"
    write_fake_az(bindir)
    base = env_for(state, DATABRICKS_HOST=ws.url, HOME=str(tmp), AZURE_CONFIG_DIR=str(tmp / "azure"),
                   PATH=f"{bindir}:/usr/bin:/bin")
    if method == "azure-client-secret":
        base.update(ARM_CLIENT_ID=ws.client_id, ARM_CLIENT_SECRET=ws.client_secret, ARM_TENANT_ID=ws.tenant,
                    AZURE_AUTHORITY_HOST=ws.url)
    elif method == "azure-cli":
        az_login(tmp / "azure", ws.url, ws.tenant)
        base.update(DATABRICKS_AUTH_TYPE="azure-cli", ARM_TENANT_ID=ws.tenant)
    elif method == "azure-msi-imds":
        base.update(DATABRICKS_AUTH_TYPE="azure-msi", ARM_USE_MSI="true",
                    AZURE_POD_IDENTITY_AUTHORITY_HOST=ws.url)
    elif method == "azure-msi-appservice":
        base.update(DATABRICKS_AUTH_TYPE="azure-msi", ARM_USE_MSI="true",
                    IDENTITY_ENDPOINT=ws.url + "/msi/token", IDENTITY_HEADER=ws.identity_header)
    base.update({k: str(v) for k, v in extra.items()})
    return base


def token_requests(ws: AzureWorkspace, method: str, tmp: Path) -> int:
    if method == "azure-cli":
        return sum(1 for a in az_calls(tmp / "azure") if a[:2] == ["account", "get-access-token"])
    return len(ws.token_requests)


def secrets_of(ws: AzureWorkspace) -> list[str]:
    with ws.lock:
        return [ws.client_secret, ws.identity_header, *ws.issued]


def assert_no_secret(text: str, ws: AzureWorkspace):
    for s in secrets_of(ws):
        assert s not in text, f"a secret or token shows: ...{s[-8:]}"


@pytest.mark.parametrize("method", METHODS)
def test_catalogs(method, ws, tmp_path):
    p = run(["-v", "-v", "catalogs", "--json"], env=method_env(method, ws, tmp_path))
    assert p.returncode == 0, p.stderr
    assert [c["name"] for c in json.loads(p.stdout)] == [CAT]
    assert ws.rejected == [], ws.rejected
    assert_no_secret(p.stdout + p.stderr, ws)
    # One Databricks token (+ one management token except for a human az user) per process.
    assert token_requests(ws, method, tmp_path) == (1 if method == "azure-cli" else 2)


@pytest.mark.parametrize("ws", [{"resource_id": RID}], indirect=True)
def test_workspace_resource_id_header(ws, tmp_path):
    env = method_env("azure-client-secret", ws, tmp_path)
    p = run(["catalogs"], env=env)
    assert p.returncode == 1 and "401" in p.stderr and "Resource-Id" in p.stderr, p.stderr
    assert "azure-client-secret" in p.stderr and "ucfs auth describe" in p.stderr, p.stderr
    p = run(["catalogs"], env={**env, "DATABRICKS_AZURE_RESOURCE_ID": RID})
    assert p.returncode == 0, p.stderr


def one_line_error(p) -> str:
    assert p.returncode == 1 and p.stdout == "", (p.stdout, p.stderr)
    lines = [x for x in p.stderr.splitlines() if x.startswith("ucfs: error:")]
    assert len(lines) == 1, p.stderr
    return lines[0]


def test_wrong_client_secret(ws, tmp_path):
    wrong = "wrong-" + secrets.token_hex(8)
    p = run(["-v", "-v", "catalogs"], env=method_env("azure-client-secret", ws, tmp_path, ARM_CLIENT_SECRET=wrong))
    e = one_line_error(p)
    assert "azure-client-secret" in e and "AADSTS7000215" in e and "401" in e, e
    assert "azure_client_secret" in e and "environment" in e, e
    assert wrong not in p.stderr
    assert ws.forwarded == []


def test_wrong_tenant(ws, tmp_path):
    p = run(["catalogs"], env=method_env("azure-client-secret", ws, tmp_path, ARM_TENANT_ID="nope"))
    e = one_line_error(p)
    assert "azure-client-secret" in e and "/nope/oauth2/token" in e and "AADSTS90002" in e, e


def test_az_not_logged_in(ws, tmp_path):
    env = method_env("azure-cli", ws, tmp_path)
    (tmp_path / "azure" / "ucfs-fake-az.json").unlink()
    e = one_line_error(run(["catalogs"], env=env))
    assert "azure-cli" in e and "not logged in" in e and "az login" in e, e


def test_az_not_installed(ws, tmp_path):
    env = method_env("azure-cli", ws, tmp_path)
    (tmp_path / "bin" / "az").unlink()
    e = one_line_error(run(["catalogs"], env=env))
    assert "azure-cli" in e and "'az'" in e and "PATH" in e, e


def test_az_old_cli_expires_on_local_time(ws, tmp_path):
    """An az without expires_on: expiresOn (local time) is parsed."""
    env = method_env("azure-cli", ws, tmp_path)
    az_login(tmp_path / "azure", ws.url, ws.tenant, old_cli=True)
    p = run(["catalogs", "--json"], env=env)
    assert p.returncode == 0, p.stderr
    calls = az_calls(tmp_path / "azure")
    assert calls[-1] == ["account", "get-access-token", "--resource", "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d",
                         "--output", "json", "--tenant", ws.tenant]


@pytest.mark.parametrize("ws", [{"msi_client_id": "user-assigned-1"}], indirect=True)
def test_msi_user_assigned_identity(ws, tmp_path):
    env = method_env("azure-msi-imds", ws, tmp_path)
    e = one_line_error(run(["catalogs"], env=env))
    assert "azure-msi" in e and "Instance Metadata Service" in e and "Identity not found" in e, e
    p = run(["catalogs"], env={**env, "ARM_CLIENT_ID": "user-assigned-1"})
    assert p.returncode == 0, p.stderr


def test_msi_metadata_header_required(ws, tmp_path):
    """The IMDS stand-in refuses requests without Metadata: true (guards the test)."""
    import urllib.error
    import urllib.request
    with pytest.raises(urllib.error.HTTPError) as ei:
        urllib.request.urlopen(ws.url + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource="
                               "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d", timeout=10)
    assert ei.value.code == 400


@pytest.mark.parametrize("ws", [{"lifetime": 5}], indirect=True)
@pytest.mark.parametrize("method", METHODS)
def test_mount_refreshes_short_lived_tokens(method, ws, tmp_path, mountpoint):
    """5 s tokens, a mount syncing every second for ~14 s while a table is read:
    reads keep working, tokens are refreshed before expiry (never used expired),
    and token requests are bounded by the lifetime, not by the operations."""
    state = tmp_path / "state.db"
    env = method_env(method, ws, tmp_path, state)
    p = run(["mirror", "create", "--catalog", CAT, "-v", "-v"], env=env, check=True)
    assert_no_secret(p.stdout + p.stderr, ws)
    n0, f0 = token_requests(ws, method, tmp_path), len(ws.forwarded)
    t0 = time.monotonic()
    reads = 0
    with Mount(mountpoint, env, options="sync_interval=1") as m:
        log = mountpoint / CAT / "sales" / "orders" / "_delta_log" / "00000000000000000000.json"
        while time.monotonic() - t0 < 14:
            assert log.read_bytes().startswith(b"{")
            assert sorted(p.name for p in (mountpoint / CAT).iterdir()) == [".ucfs", "sales"]
            reads += 1
            time.sleep(0.3)
        status = json.loads((mountpoint / CAT / ".ucfs" / "status.json").read_text())
        mount_log = m.stderr()
    elapsed = time.monotonic() - t0
    uc_requests = len(ws.forwarded) - f0
    tokens = token_requests(ws, method, tmp_path) - n0
    per_refresh = 1 if method == "azure-cli" else 2  # + the management token
    assert ws.expired_401 == 0 and ws.rejected == [], (ws.expired_401, ws.rejected)
    assert status.get("state", status.get("status")) not in ("failed", "Failed"), status
    assert uc_requests >= 10, uc_requests  # the syncer kept talking to Unity Catalog
    refreshes = tokens / per_refresh
    print(f"\n{method}: {tokens} token requests ({refreshes:.0f} refreshes), {uc_requests} Unity Catalog "
          f"requests, {reads} read rounds in {elapsed:.1f} s")
    assert 2 <= refreshes <= elapsed / 2.5 + 3, (tokens, elapsed)  # refresh at half of 5 s
    assert uc_requests > 2 * refreshes, (uc_requests, tokens)
    assert reads > 20
    assert_no_secret(mount_log, ws)
    data = b"".join(f.read_bytes() for f in sorted(state.parent.glob(state.name + "*")))
    for s in secrets_of(ws):
        assert s.encode() not in data
