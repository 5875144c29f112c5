"""How ucfs connects and authenticates, against the real Unity Catalog OSS server 0.6.0.

The module's server runs with `server.authorization=enable` (scripts/uc-server --auth):
every request then needs `Authorization: Bearer <token>`; the server writes its admin
token to DIR/etc/conf/token.txt and answers 401 UNAUTHENTICATED ("No authorization
found." / "Invalid access token.") otherwise.

- PAT: DATABRICKS_TOKEN works; a bad or missing token is a clear 401 error; the token
  never shows in output (even at -v -v) nor in the state database.
- Profiles: --profile / DATABRICKS_CONFIG_PROFILE pick host+token from
  DATABRICKS_CONFIG_FILE; unknown profile lists the existing ones; a mirrored item
  remembers the profile name and `ucfs mount` uses the profile's token.
- OAuth M2M: OIDCProxy (below) is a local {host}/oidc/v1/token endpoint in front of the
  real server. It issues its own short-lived tokens and, like a real workspace, checks
  them: a valid issued token is swapped for the server's admin token, an expired one is
  answered with 401 by the proxy; anything else is forwarded verbatim.
- Unreachable hosts (closed port, unresolvable name) fail fast with a message naming them.
"""
from __future__ import annotations

import base64
import http.client
import json
import secrets
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pytest
import requests
from deltalake import write_deltalake

from mountutil import Mount, env_for, run
from ucapi import UCClient
from ucserver import UCServer
import netutil
from netutil import free_port  # noqa: E402

CAT = "auth_cat"
TABLES = {"sales": ["orders", "returns"], "hr": ["people"]}


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    """An authorization-enabled server with CAT: two schemas, three Delta tables."""
    work = tmp_path_factory.mktemp("auth")
    s = UCServer(work / "uc", auth=True).start()
    try:
        api = UCClient(s.url, token=s.admin_token)
        api.create_catalog(CAT)
        for schema, tables in TABLES.items():
            api.create_schema(CAT, schema)
            for t in tables:
                data = pa.table({"id": [1, 2, 3]})
                write_deltalake(str(work / "data" / t), data)
                api.register_arrow_table(CAT, schema, t, work / "data" / t, data.schema)
        yield s
    finally:
        s.stop()


def catalogs_of(p) -> list[str]:
    assert p.returncode == 0, p.stderr
    return [c["name"] for c in json.loads(p.stdout)]


def state_bytes(state: Path) -> bytes:
    """The state database and its WAL/SHM side files, as bytes."""
    files = sorted(state.parent.glob(state.name + "*"))
    assert files, f"no state database at {state}"
    return b"".join(f.read_bytes() for f in files)


# ----------------------------------------------------------------------------- PAT

def test_server_enforces_authentication(srv):
    """Guards the rest: without a token the real server refuses, with the admin token it answers."""
    url = srv.url + "/api/2.1/unity-catalog/catalogs"
    assert requests.get(url, timeout=10).status_code == 401
    r = requests.get(url, headers={"Authorization": f"Bearer {srv.admin_token}"}, timeout=10)
    assert r.status_code == 200 and CAT in [c["name"] for c in r.json()["catalogs"]]


def test_pat_lists_catalogs(srv):
    p = run(["-v", "-v", "catalogs", "--host", srv.url, "--json"],
            env=env_for(DATABRICKS_TOKEN=srv.admin_token))
    assert catalogs_of(p) == [CAT]
    assert srv.admin_token not in p.stdout + p.stderr


@pytest.mark.parametrize("token", ["dapi" + "0123456789abcdef" * 2, "@ADMIN_TOKEN@x"])
def test_bad_token_is_a_clear_401_without_the_token(srv, token):
    token = token.replace("@ADMIN_TOKEN@", srv.admin_token)  # a forged signature
    p = run(["-v", "-v", "catalogs", "--host", srv.url], env=env_for(DATABRICKS_TOKEN=token))
    assert p.returncode == 1 and p.stdout == ""
    assert "authentication failed" in p.stderr and "401" in p.stderr, p.stderr
    assert srv.url in p.stderr
    assert token not in p.stderr and token[-16:] not in p.stderr


def test_no_token_is_a_clear_error(srv):
    p = run(["catalogs", "--host", srv.url], env=env_for())
    assert p.returncode == 1 and p.stdout == ""
    assert "authentication failed" in p.stderr and "401" in p.stderr, p.stderr
    assert "No authorization found" in p.stderr  # the server's reason is passed on


def test_token_never_stored_in_state(srv, tmp_path, mountpoint):
    state = tmp_path / "state.db"
    tok = srv.admin_token
    run(["mirror", "create", "--catalog", CAT, "--host", srv.url], check=True,
        env=env_for(state, DATABRICKS_TOKEN=tok))
    # A failing sync stores its error; that must not carry the (bad) token either.
    bad = "dapi" + secrets.token_hex(16)
    p = run(["mount", str(mountpoint)], env=env_for(state, DATABRICKS_TOKEN=bad))
    assert p.returncode == 1 and "401" in p.stderr, p.stderr
    data = state_bytes(state)
    assert CAT.encode() in data and srv.url.encode() in data  # we are looking at the right bytes
    for secret in (tok, tok.split(".")[-1], bad):
        assert secret.encode() not in data


# ----------------------------------------------------------------------------- profiles

@pytest.fixture
def cfg(srv, tmp_path) -> Path:
    """[DEFAULT] points at a closed port, [dev] at the server with the admin token."""
    p = tmp_path / "databrickscfg"
    p.write_text(f"[DEFAULT]\nhost = http://127.0.0.1:{free_port()}\ntoken = default-tok\n\n"
                 f"[dev]\nhost = {srv.url}\ntoken = {srv.admin_token}\n\n"
                 f"[staging]\nhost = {srv.url}\ntoken = staging-tok\n")
    return p


def test_profile_selects_host_and_token(srv, cfg):
    base = env_for(DATABRICKS_CONFIG_FILE=cfg)
    assert catalogs_of(run(["catalogs", "--profile", "dev", "--json"], env=base)) == [CAT]
    assert catalogs_of(run(["catalogs", "--json"], env={**base, "DATABRICKS_CONFIG_PROFILE": "dev"})) == [CAT]
    # Without a profile name, [DEFAULT] (closed port) is used: the above was not luck.
    p = run(["catalogs"], env=base)
    assert p.returncode == 1 and "cannot reach" in p.stderr, p.stderr
    # [staging]'s token is sent to the same server and rejected.
    p = run(["catalogs", "--profile", "staging"], env=base)
    assert p.returncode == 1 and "401" in p.stderr, p.stderr


def test_unknown_profile_lists_existing_ones(srv, cfg):
    p = run(["catalogs", "--profile", "nope"], env=env_for(DATABRICKS_CONFIG_FILE=cfg))
    assert p.returncode != 0 and p.stdout == ""
    assert "'nope'" in p.stderr and str(cfg) in p.stderr, p.stderr
    assert all(n in p.stderr for n in ("DEFAULT", "dev", "staging")), p.stderr
    assert srv.admin_token not in p.stderr


def test_mirror_remembers_profile_and_mount_uses_its_token(srv, cfg, tmp_path, mountpoint):
    state = tmp_path / "state.db"
    env = env_for(state, DATABRICKS_CONFIG_FILE=cfg)
    run(["mirror", "create", "--catalog", CAT, "--profile", "dev"], env=env, check=True)
    [item] = json.loads(run(["mirror", "list", "--json"], env=env, check=True).stdout)
    assert item["name"] == CAT and item["profile"] == "dev" and item["host"] == srv.url
    assert srv.admin_token.encode() not in state_bytes(state)

    with Mount(mountpoint, env):
        assert sorted(p.name for p in (mountpoint / CAT).iterdir()) == [".ucfs", *sorted(TABLES)]
        for schema, tables in TABLES.items():
            assert sorted(p.name for p in (mountpoint / CAT / schema).iterdir()) == sorted(tables)
        assert (mountpoint / CAT / "sales" / "orders" / "_delta_log" / "00000000000000000000.json").is_file()

    # The token is read from the profile at mount time: a revoked one fails the mount.
    cfg.write_text(cfg.read_text().replace(srv.admin_token, "dapi-revoked"))
    p = run(["mount", str(mountpoint)], env=env)
    assert p.returncode == 1 and "401" in p.stderr, p.stderr


# ----------------------------------------------------------------------------- OAuth M2M

class OIDCProxy:
    """127.0.0.1:PORT in front of the UC server: POST /oidc/v1/token issues tokens
    (client_credentials, scope all-apis, HTTP Basic); every other request is forwarded
    (method, path+query, body, headers) with issued tokens checked and swapped for the
    admin token. `delay` slows each forwarded request down."""

    def __init__(self, upstream: str, admin_token: str, client_id: str, client_secret: str,
                 expires_in: int = 3600, delay: float = 0.0):
        self.up = urllib.parse.urlsplit(upstream)
        self.admin_token, self.expires_in, self.delay = admin_token, expires_in, delay
        self.creds = (client_id, client_secret)
        self.token_requests: list[tuple[float, int]] = []  # (time, status)
        self.forwarded: list[tuple[float, str, str]] = []   # (time, path, token as sent)
        self.issued: dict[str, float] = {}                  # token -> expiry
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                if self.path == "/oidc/v1/token":
                    return proxy.token(self)
                proxy.forward(self)

            do_GET = do_DELETE = do_PATCH = do_PUT = lambda self: proxy.forward(self)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    reply = staticmethod(netutil.reply)

    def token(self, h):
        body = h.rfile.read(int(h.headers.get("Content-Length", 0))).decode()
        form = urllib.parse.parse_qs(body)
        basic = h.headers.get("Authorization", "")
        ok_creds = basic == "Basic " + base64.b64encode(":".join(self.creds).encode()).decode()
        if h.headers.get("Content-Type") != "application/x-www-form-urlencoded" or \
                form != {"grant_type": ["client_credentials"], "scope": ["all-apis"]}:
            status, ans = 400, {"error": "invalid_request", "error_description": body}
        elif not ok_creds:
            status, ans = 401, {"error": "invalid_client",
                                "error_description": "Client authentication failed"}
        else:
            tok = "m2m-" + secrets.token_urlsafe(24)
            with self.lock:
                self.issued[tok] = time.monotonic() + self.expires_in
            status, ans = 200, {"access_token": tok, "token_type": "Bearer",
                                "expires_in": self.expires_in, "scope": "all-apis"}
        with self.lock:
            self.token_requests.append((time.monotonic(), status))
        self.reply(h, status, json.dumps(ans).encode())

    def forward(self, h):
        time.sleep(self.delay)
        body = h.rfile.read(int(h.headers.get("Content-Length", 0) or 0))
        hdrs = {k: v for k, v in h.headers.items()
                if k.lower() not in ("host", "connection", "content-length", "accept-encoding")}
        sent = hdrs.get("Authorization", "").removeprefix("Bearer ")
        with self.lock:
            self.forwarded.append((time.monotonic(), h.path, sent))
            expiry = self.issued.get(sent)
        if expiry is not None:
            if time.monotonic() >= expiry:
                return self.reply(h, 401, json.dumps({"error_code": "UNAUTHENTICATED",
                                                      "message": "token expired"}).encode())
            hdrs["Authorization"] = f"Bearer {self.admin_token}"
        c = http.client.HTTPConnection(self.up.hostname, self.up.port, timeout=30)
        try:
            c.request(h.command, h.path, body=body or None, headers=hdrs)
            r = c.getresponse()
            self.reply(h, r.status, r.read(), r.getheader("Content-Type", "application/json"))
        finally:
            c.close()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


CLIENT_ID, CLIENT_SECRET = "ucfs-test-sp", "s3cr3t-" + secrets.token_hex(12)


@pytest.fixture
def proxy(srv, request):
    kw = getattr(request, "param", {})
    p = OIDCProxy(srv.url, srv.admin_token, CLIENT_ID, CLIENT_SECRET, **kw)
    yield p
    p.close()


def m2m_env(state=None, secret=CLIENT_SECRET):
    return env_for(state, DATABRICKS_CLIENT_ID=CLIENT_ID, DATABRICKS_CLIENT_SECRET=secret)


def test_m2m_fetches_one_token_and_lists_catalogs(proxy):
    p = run(["-v", "-v", "catalogs", "--host", proxy.url, "--json"], env=m2m_env())
    assert catalogs_of(p) == [CAT]
    assert [s for _, s in proxy.token_requests] == [200]
    assert proxy.forwarded and all(t in proxy.issued for _, _, t in proxy.forwarded)
    assert CLIENT_SECRET not in p.stdout + p.stderr
    assert not any(t in p.stdout + p.stderr for t in proxy.issued)


def test_m2m_wrong_secret_is_a_clear_error(proxy):
    wrong = "wrong-" + secrets.token_hex(12)
    p = run(["-v", "-v", "catalogs", "--host", proxy.url], env=m2m_env(secret=wrong))
    assert p.returncode == 1 and p.stdout == ""
    assert "/oidc/v1/token" in p.stderr and "401" in p.stderr, p.stderr
    assert "client_secret" in p.stderr and "authentication" in p.stderr, p.stderr
    assert wrong not in p.stderr and CLIENT_SECRET not in p.stderr
    assert proxy.token_requests and all(s == 401 for _, s in proxy.token_requests)
    assert proxy.forwarded == []  # no Unity Catalog request without a token


@pytest.mark.parametrize("proxy", [{"expires_in": 2, "delay": 0.6}], indirect=True)
def test_m2m_token_refreshed_before_expiry(proxy, tmp_path, mountpoint):
    """One `mirror create` / `mount` sync makes several requests, each slowed to 0.6 s:
    it outlives a 2 s token, so ucfs must fetch a new one while the old is still valid
    (the proxy answers 401 to an expired token)."""
    state = tmp_path / "state.db"
    run(["mirror", "create", "--catalog", CAT, "--host", proxy.url], env=m2m_env(state), check=True)
    times = [t for t, s in proxy.token_requests if s == 200]
    assert len(times) >= 2, proxy.token_requests
    assert all(b - a < proxy.expires_in for a, b in zip(times, times[1:])), times
    assert len({t for _, _, t in proxy.forwarded}) >= 2  # the new tokens were used

    n = len(proxy.token_requests)
    with Mount(mountpoint, m2m_env(state)):  # the mount's own sync, same token endpoint
        assert sorted(p.name for p in (mountpoint / CAT).iterdir()) == [".ucfs", *sorted(TABLES)]
    assert len(proxy.token_requests) >= n + 2
    assert CLIENT_SECRET.encode() not in state_bytes(state)


# ----------------------------------------------------------------------------- unreachable

@pytest.mark.parametrize("creds", [{}, {"DATABRICKS_TOKEN": "dapi-x"},
                                   {"DATABRICKS_CLIENT_ID": "a", "DATABRICKS_CLIENT_SECRET": "b"}],
                         ids=["none", "pat", "m2m"])
def test_closed_port_fails_fast_naming_the_host(creds):
    host = f"http://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    p = run(["catalogs", "--host", host], env=env_for(**creds), timeout=60)
    assert time.monotonic() - t0 < 30
    assert p.returncode == 1 and p.stdout == ""
    assert "cannot" in p.stderr and host in p.stderr, p.stderr
    assert "refused" in p.stderr, p.stderr


def test_unresolvable_host_fails_fast():
    host = "http://ucfs-no-such-host.invalid:8080"
    t0 = time.monotonic()
    p = run(["catalogs", "--host", host], env=env_for(DATABRICKS_TOKEN="dapi-x"), timeout=60)
    assert time.monotonic() - t0 < 30
    assert p.returncode == 1 and p.stdout == ""
    assert "cannot reach" in p.stderr and host in p.stderr, p.stderr
    assert "host not found" in p.stderr or "resolve" in p.stderr, p.stderr
