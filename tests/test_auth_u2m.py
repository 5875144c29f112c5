"""Sign-in as a Databricks user does: U2M (browser login, token cache, refresh), the
databricks CLI, and workload identity federation (env-oidc, file-oidc).

The chain is real: Keycloak 26 (tests/fixtures/keycloak.py) issues the tokens; a
workspace front (tests/fixtures/workspace.py) serves {host}/oidc/v1/{authorize,token} from
it and checks every API call's token with Keycloak's introspection before it goes on to
the real Unity Catalog server (authorization on); ucfs sends what it got.

- The browser is this test: it follows the URL `ucfs auth login` prints, fills
  Keycloak's login form (or denies consent), and follows the redirect to ucfs's
  loopback listener.
- The databricks CLI cannot be installed here (not on the Go module proxy): its
  documented contract stands in, a `databricks` executable on PATH that answers
  `databricks auth token --host H` with {access_token, token_type, expiry} from the same
  token cache (~/.databricks/token-cache.json, the Go SDK's file cache format).
- Token use goes through `ucfs auth token` (what a mount's provider calls). The tests
  marked "dispatch" use the methods through `ucfs catalogs` / `ucfs mount`: they need
  auth_type resolution and uc/auth.c's dispatch to u2m_token() / oidc_token().
"""
from __future__ import annotations

import html
import json
import os
import re
import secrets
import stat
import subprocess
import threading
import time
import urllib.parse
from datetime import datetime, timezone, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
import requests
from deltalake import write_deltalake

import keycloak as kcmod
from keycloak import Keycloak
from mountutil import UCFS, Mount, check_stderr, env_for, run
from ucapi import UCClient
from ucserver import UCServer
from workspace import WorkspaceProxy

CAT = "u2m_cat"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
SCHEMA, TABLE = "s", "t"


@pytest.fixture(scope="session")
def kc(tmp_path_factory, request):
    k = Keycloak(tmp_path_factory.mktemp("keycloak")).start()
    try:
        k.setup_realm()
        tr = request.config.pluginmanager.get_plugin("terminalreporter")
        if tr:
            tr.write_line(f"keycloak: ready in {k.start_seconds:.1f} s")
        yield k
    finally:
        k.stop()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    work = tmp_path_factory.mktemp("u2m")
    s = UCServer(work / "uc", auth=True).start()
    try:
        api = UCClient(s.url, token=s.admin_token)
        api.create_catalog(CAT)
        api.create_schema(CAT, SCHEMA)
        data = pa.table({"id": list(range(100))})
        write_deltalake(str(work / "data" / TABLE), data)
        api.register_arrow_table(CAT, SCHEMA, TABLE, work / "data" / TABLE, data.schema)
        yield s
    finally:
        s.stop()


@pytest.fixture
def lifespan(kc):
    """Access tokens of the realm live 300 s unless a test sets less; reset after."""
    yield kc.set_token_lifespan
    kc.set_token_lifespan(300)


@pytest.fixture
def ws(kc, srv):
    p = WorkspaceProxy(kc, srv.url, srv.admin_token)
    yield p
    p.close()


@pytest.fixture
def home(tmp_path) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    return h


def cache_path(home: Path) -> Path:
    return home / ".databricks" / "token-cache.json"


def cache_of(home: Path) -> dict:
    return json.loads(cache_path(home).read_text())


def uenv(home: Path, **extra) -> dict:
    env = env_for(HOME=str(home), **extra)
    for k in ("DISPLAY", "WAYLAND_DISPLAY"):  # no browser is started: this test is the browser
        env.pop(k, None)
    return env


# ----------------------------------------------------------------------------- the browser

class Browser:
    """What a person does in the browser: open the URL, log in at Keycloak (or deny the
    consent), land on ucfs's loopback listener. Keeps what it saw (the code) to check
    that ucfs never prints it."""

    def __init__(self):
        self.s = requests.Session()
        self.code = None
        self.landing: requests.Response | None = None

    def _loopback_is_secure(self):
        """Keycloak's cookies are Secure; a browser sends them to http://127.0.0.1 (a
        secure context), requests does not."""
        for c in self.s.cookies:
            c.secure = False

    def _follow(self, r: requests.Response) -> requests.Response:
        for _ in range(10):
            self._loopback_is_secure()
            if r.status_code not in (301, 302, 303, 307):
                return r
            loc = r.headers["Location"]
            q = dict(x.split("=", 1) for x in loc.split("?", 1)[1].split("&")) if "?" in loc else {}
            if loc.startswith("http://localhost:") or loc.startswith("http://127.0.0.1:"):
                self.code = q.get("code")
            r = self.s.get(loc, allow_redirects=False, timeout=30)
        return r

    @staticmethod
    def form(r: requests.Response, form_id: str | None = None) -> str:
        page = r.text
        m = re.search(r'<form[^>]*id="%s"[^>]*action="([^"]+)"' % form_id, page) if form_id else \
            re.search(r'<form[^>]*action="([^"]+)"', page)
        assert m, page[:2000]
        return urllib.parse.urljoin(r.url, html.unescape(m.group(1)))

    def login(self, url: str, password: str = kcmod.PASSWORD, consent: str | None = None):
        r = self._follow(self.s.get(url, allow_redirects=False, timeout=30))
        assert r.status_code == 200 and "kc-form-login" in r.text, r.text[:1000]
        self._loopback_is_secure()
        r = self.s.post(self.form(r, "kc-form-login"), allow_redirects=False, timeout=30,
                        data={"username": kcmod.USER, "password": password, "credentialId": ""})
        r = self._follow(r)
        if consent is not None:
            assert r.status_code == 200 and 'name="accept"' in r.text, r.text[:1000]
            self._loopback_is_secure()
            r = self._follow(self.s.post(self.form(r), allow_redirects=False, timeout=30,
                                         data={consent: "1"}))
        self.landing = r
        return r


def start_login(home: Path, ws_url: str, *args: str) -> tuple[subprocess.Popen, str]:
    """`ucfs -v -v auth login ...` running; returns it and the URL it printed."""
    p = subprocess.Popen([str(UCFS), "-v", "-v", "auth", "login", "--host", ws_url, "--no-browser",
                          "--port", "0", *args], env=uenv(home), text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    lines = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("http"):
            return p, line.strip()
    p.kill()
    raise AssertionError(f"no URL printed: {lines} {p.stderr.read()}")


def finish(p: subprocess.Popen, timeout: float = 60) -> tuple[int, str, str]:
    out, err = p.communicate(timeout=timeout)
    check_stderr(err)
    return p.returncode, out, err


def login(home: Path, ws_url: str, **kw) -> tuple[Browser, str, str]:
    """Log in; returns the browser, and ucfs's stdout (its URL line included) and stderr."""
    t0 = time.monotonic()
    p, url = start_login(home, ws_url)
    b = Browser()
    b.login(url, **kw)
    rc, out, err = finish(p)
    assert rc == 0, out + err
    login.seconds = time.monotonic() - t0
    return b, url + "\n" + out, err


def api_catalogs(ws_url: str, token: str) -> requests.Response:
    return requests.get(f"{ws_url}/api/2.1/unity-catalog/catalogs",
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)


def auth_token(home: Path, ws_url: str, *args: str, **env) -> subprocess.CompletedProcess:
    """`ucfs -v -v auth token`; its stderr without the resolver's one debug line
    ("connection: host H, auth M (why), from S": no secret in it, checked here)."""
    e = uenv(home, **env)
    p = run(["-v", "-v", "auth", "token", "--host", ws_url, *args], env=e, timeout=90)
    check_stderr(p.stderr)
    lines = p.stderr.splitlines(keepends=True)
    conn = [x for x in lines if x.startswith("ucfs: debug: connection: host ")]
    assert len(conn) <= 1, p.stderr
    for k in ("DATABRICKS_OIDC_TOKEN", "DATABRICKS_CLIENT_SECRET", "MY_JWT"):
        assert not (e.get(k) and any(e[k] in x for x in conn)), p.stderr
    p.stderr = "".join(x for x in lines if x not in conn)
    return p


def token_json(home: Path, ws_url: str, *args: str, **env) -> dict:
    p = auth_token(home, ws_url, "--json", *args, **env)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


# ----------------------------------------------------------------------------- U2M login

def test_workspace_front_is_what_the_sdk_discovers(ws):
    """The Databricks SDK for Python finds the front's endpoints where ucfs uses them:
    {host}/oidc/v1/authorize and {host}/oidc/v1/token (ucfs does not follow discovery,
    so no answer can send its codes and refresh tokens to another host)."""
    from databricks.sdk.oauth import get_workspace_endpoints
    ep = get_workspace_endpoints(ws.url)
    assert ep.authorization_endpoint == ws.url + "/oidc/v1/authorize"
    assert ep.token_endpoint == ws.url + "/oidc/v1/token"


def test_login_stores_the_token_and_it_opens_unity_catalog(ws, home):
    b, out, err = login(home, ws.url)
    assert b.landing.status_code == 200 and "signed in" in b.landing.text.lower()
    # The URL went to the workspace's authorize endpoint with PKCE S256 and a state.
    url = [line for line in out.splitlines() if line.startswith("http")][0]
    assert url.startswith(ws.url + "/oidc/v1/authorize?")
    for part in ("client_id=databricks-cli", "code_challenge_method=S256", "code_challenge=",
                 "state=", "scope=all-apis%20offline_access", "redirect_uri=http%3A%2F%2Flocalhost%3A"):
        assert part in url, url
    assert ws.grants("authorization_code") and ws.grants("refresh_token") == []
    # The cache: the Go SDK's file, private.
    path = cache_path(home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    doc = cache_of(home)
    entry = doc["tokens"][ws.url]
    assert entry["access_token"] and entry["refresh_token"] and entry["token_type"] == "Bearer"
    # The token works through the whole chain (workspace front -> UC server).
    r = api_catalogs(ws.url, entry["access_token"])
    assert r.status_code == 200 and CAT in [c["name"] for c in r.json()["catalogs"]]
    # Neither token nor code in what ucfs printed (-v -v).
    for secret in (entry["access_token"], entry["refresh_token"], b.code):
        assert secret and secret not in out + err
    # `ucfs auth token` serves it without a new token request.
    n = len(ws.grants(status=None))
    p = auth_token(home, ws.url)
    assert p.returncode == 0 and "valid until" in p.stdout, p.stderr
    assert entry["access_token"] not in p.stdout + p.stderr
    assert token_json(home, ws.url)["access_token"] == entry["access_token"]
    assert len(ws.grants(status=None)) == n
    print(f"login took {login.seconds:.2f} s")


def test_cache_layout_is_the_go_sdks_and_other_entries_stay(ws, home):
    """A cache written by the Go SDK (json.MarshalIndent of {version, tokens: map of
    oauth2.Token}) keeps its other entries, unknown fields included; ours has exactly
    the Go layout."""
    path = cache_path(home)
    path.parent.mkdir(mode=0o700)
    other = {"access_token": "other-at", "token_type": "Bearer", "refresh_token": "other-rt",
             "expiry": "2030-01-02T03:04:05.123456789+01:00", "expires_in": 3600}
    acct = {"access_token": "acc-at", "token_type": "Bearer", "expiry": "0001-01-01T00:00:00Z"}
    path.write_text(json.dumps({"version": 1, "tokens": {
        "https://other.cloud.databricks.com": other,
        "https://accounts.cloud.databricks.com/oidc/accounts/abc": acct}}, indent=2))
    path.chmod(0o644)  # ours is written anew, 0600
    login(home, ws.url)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    doc = json.loads(text)
    assert set(doc) == {"version", "tokens"} and doc["version"] == 1
    assert doc["tokens"]["https://other.cloud.databricks.com"] == other
    assert doc["tokens"]["https://accounts.cloud.databricks.com/oidc/accounts/abc"] == acct
    mine = doc["tokens"][ws.url]
    assert set(mine) == {"access_token", "token_type", "refresh_token", "expiry"}
    # Go's time.Time accepts RFC 3339; ours is UTC with milliseconds.
    exp = datetime.fromisoformat(mine["expiry"].replace("Z", "+00:00"))
    assert timedelta(seconds=200) < exp - datetime.now(timezone.utc) < timedelta(seconds=310)
    assert text.startswith('{\n  "version": 1,\n  "tokens": {\n') and "\t" not in text
    assert not list(path.parent.glob("token-cache.json.*[!k]"))  # no temporary file left


def test_a_go_written_cache_is_read(ws, home):
    """The entry rewritten as Go writes it (local time with offset, nanoseconds): ucfs
    uses its access token as it is, no token request."""
    login(home, ws.url)
    doc = cache_of(home)
    e = doc["tokens"][ws.url]
    exp = datetime.fromisoformat(e["expiry"].replace("Z", "+00:00")).astimezone(timezone(timedelta(hours=5, minutes=30)))
    e["expiry"] = exp.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123+05:30"
    e["expires_in"] = 300
    cache_path(home).write_text(json.dumps(doc, indent=2))
    n = len(ws.grants(status=None))
    assert token_json(home, ws.url)["access_token"] == e["access_token"]
    assert len(ws.grants(status=None)) == n


def test_expired_token_is_refreshed_and_written_back(ws, home, lifespan):
    lifespan(12)
    login(home, ws.url)
    first = cache_of(home)["tokens"][ws.url]
    time.sleep(13)
    assert api_catalogs(ws.url, first["access_token"]).status_code == 401  # really expired
    tok = token_json(home, ws.url)["access_token"]
    assert tok != first["access_token"]
    assert len(ws.grants("refresh_token")) == 1
    assert cache_of(home)["tokens"][ws.url]["access_token"] == tok
    assert api_catalogs(ws.url, tok).status_code == 200
    # Fresh again: the next call makes no request.
    token_json(home, ws.url)
    assert len(ws.grants("refresh_token")) == 1


def test_concurrent_refreshes_keep_every_entry(kc, srv, home, lifespan):
    """Two workspaces, both expired; six `ucfs auth token` at once: the cache lock makes
    one refresh per workspace, and both entries survive the concurrent writes."""
    lifespan(12)
    wss = [WorkspaceProxy(kc, srv.url, srv.admin_token) for _ in range(2)]
    try:
        for w in wss:
            login(home, w.url)
        time.sleep(13)
        procs = [subprocess.Popen([str(UCFS), "auth", "token", "--host", w.url], env=uenv(home),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for w in wss for _ in range(3)]
        for p in procs:
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
        doc = cache_of(home)
        for w in wss:
            assert len(w.grants("refresh_token")) == 1
            assert api_catalogs(w.url, doc["tokens"][w.url]["access_token"]).status_code == 200
    finally:
        for w in wss:
            w.close()


def test_wrong_password_times_out_with_one_line(ws, home):
    p, url = start_login(home, ws.url, "--timeout", "8")
    t0 = time.monotonic()
    r = Browser().login(url, password="wrong")
    assert "kc-form-login" in r.text  # Keycloak asks again; nothing reaches ucfs
    rc, out, err = finish(p, 30)
    assert rc == 1 and time.monotonic() - t0 < 20
    assert err.count("ucfs: error:") == 1 and "within 8 s" in err, err
    assert not cache_path(home).exists()


def test_denied_consent_fails_at_once(ws, home):
    p, url = start_login(home, ws.url, "--client-id", kcmod.CONSENT_CLIENT, "--timeout", "60")
    t0 = time.monotonic()
    b = Browser()
    b.login(url, consent="cancel")
    rc, out, err = finish(p, 30)
    assert rc == 1 and time.monotonic() - t0 < 15
    assert "access_denied" in err and err.count("ucfs: error:") == 1, err
    assert not cache_path(home).exists()


def test_consent_given_logs_in(ws, home):
    p, url = start_login(home, ws.url, "--client-id", kcmod.CONSENT_CLIENT)
    Browser().login(url, consent="accept")
    rc, out, err = finish(p)
    assert rc == 0, err
    assert cache_of(home)["tokens"][ws.url]["refresh_token"]


def test_nobody_signs_in_times_out(ws, home):
    p, url = start_login(home, ws.url, "--timeout", "2")
    rc, out, err = finish(p, 20)
    assert rc == 1 and "no sign-in came back" in err and err.count("\n") == 1, err


def test_forged_redirects_are_ignored(ws, home):
    """A redirect with another state (or none, or another path) is answered 400/404 and
    the listener keeps waiting for the real one."""
    p, url = start_login(home, ws.url)
    redirect = re.search(r"redirect_uri=([^&]+)", url).group(1)
    loop = requests.utils.unquote(redirect)
    assert requests.get(loop + "/?code=forged&state=wrong", timeout=10).status_code == 400
    assert requests.get(loop + "/?code=forged", timeout=10).status_code == 400
    assert requests.get(loop + "/favicon.ico", timeout=10).status_code == 404
    Browser().login(url)
    rc, out, err = finish(p)
    assert rc == 0, err
    assert "forged" not in json.dumps(cache_of(home))


def test_no_login_is_one_line_naming_the_command(ws, home):
    p = auth_token(home, ws.url)
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.strip() == (f"ucfs: error: no Databricks login for {ws.url}: "
                                f"run 'ucfs auth login --host {ws.url}'"), p.stderr


@pytest.mark.parametrize("kind", ["symlink", "huge", "version2", "garbage"])
def test_hostile_cache_is_refused_cleanly(ws, home, tmp_path, kind):
    path = cache_path(home)
    path.parent.mkdir(mode=0o700)
    if kind == "symlink":
        target = tmp_path / "elsewhere.json"
        target.write_text(json.dumps({"version": 1, "tokens": {}}))
        path.symlink_to(target)
    elif kind == "huge":
        path.write_text('{"version": 1, "tokens": {"x": "' + "a" * (5 << 20) + '"}}')
    elif kind == "version2":
        path.write_text('{"version": 2, "tokens": {}}')
    else:
        path.write_bytes(b"\x00\xff{{{")
    p = auth_token(home, ws.url)
    assert p.returncode == 1 and p.stderr.count("\n") == 1 and str(path) in p.stderr, p.stderr
    p = run(["auth", "login", "--host", ws.url, "--no-browser", "--port", "0", "--timeout", "1"],
            env=uenv(home), timeout=30)
    assert p.returncode == 1  # times out before it would touch the cache


def test_json_token_refused_on_a_shared_log(ws, home):
    """`auth token --json` prints a secret: not when stdout is where stderr goes."""
    p = subprocess.run(f"'{UCFS}' auth token --host {ws.url} --json 2>&1", shell=True,
                       env=uenv(home), capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and "--json" in p.stdout


# ----------------------------------------------------------------------------- databricks CLI

FAKE_CLI = r'''#!/usr/bin/env python3
"""The contract of `databricks auth token --host H`: the token of H from the CLI's token
cache as {access_token, token_type, expiry}; exit 1 with a message when there is none."""
import json, os, sys
from datetime import datetime, timezone
log = os.environ.get("FAKE_CLI_LOG")
if log:
    with open(log, "a") as f:
        f.write(json.dumps(sys.argv[1:]) + "\n")
args = sys.argv[1:]
if args[:2] != ["auth", "token"] or "--host" not in args:
    sys.exit(2)
host = args[args.index("--host") + 1]
if os.environ.get("FAKE_CLI_MODE") == "garbage":
    print("not json")
    sys.exit(0)
if os.environ.get("FAKE_CLI_MODE") == "refresh":
    # The real CLI refreshes an expired token in the shared cache before printing it;
    # ucfs's own refresh of that cache (same file, same format) stands in for it here.
    os.execv(os.environ["UCFS_FOR_CLI"], [os.environ["UCFS_FOR_CLI"], "auth", "token", "--host", host,
                                          "--method", "external-browser", "--json"])
try:
    with open(os.path.expanduser("~/.databricks/token-cache.json")) as f:
        t = json.load(f)["tokens"][host]
except (OSError, KeyError):
    print(f"Error: cache: databricks OAuth is not configured for this host. "
          f"Try logging in again with `databricks auth login --host {host}`", file=sys.stderr)
    sys.exit(1)
print(json.dumps({"access_token": t["access_token"], "token_type": t["token_type"],
                  "expiry": t["expiry"]}, indent=2))
'''


@pytest.fixture
def fake_cli(tmp_path) -> Path:
    d = tmp_path / "bin"
    d.mkdir()
    (d / "databricks").write_text(FAKE_CLI)
    (d / "databricks").chmod(0o755)
    return d


def test_databricks_cli_method_runs_the_cli(ws, home, fake_cli, tmp_path):
    login(home, ws.url)
    log = tmp_path / "cli.log"
    env = {"PATH": f"{fake_cli}:{os.environ['PATH']}", "FAKE_CLI_LOG": str(log)}
    tok = token_json(home, ws.url, "--method", "databricks-cli", **env)["access_token"]
    assert tok == cache_of(home)["tokens"][ws.url]["access_token"]
    assert [json.loads(x) for x in log.read_text().splitlines()] == [["auth", "token", "--host", ws.url]]
    # Its failure with no cache entry to fall back on: one line, the CLI's reason.
    other = home.parent / "home2"
    other.mkdir()
    p = auth_token(other, ws.url, "--method", "databricks-cli", **env)
    assert p.returncode == 1 and "no Databricks login" in p.stderr, p.stderr
    # Garbage on its stdout, with DATABRICKS_CLI_PATH naming it: a clear error.
    p = auth_token(home, ws.url, "--method", "databricks-cli", DATABRICKS_CLI_PATH=str(fake_cli / "databricks"),
                   FAKE_CLI_MODE="garbage")
    assert p.returncode == 1 and "printed no access_token" in p.stderr, p.stderr


def test_databricks_cli_method_without_the_cli_reads_the_cache(ws, home, tmp_path):
    login(home, ws.url)
    empty = tmp_path / "nobin"
    empty.mkdir()
    tok = token_json(home, ws.url, "--method", "databricks-cli", PATH=str(empty))["access_token"]
    assert tok == cache_of(home)["tokens"][ws.url]["access_token"]


# ----------------------------------------------------------------------------- env-oidc, file-oidc

def test_env_oidc_exchanges_the_workload_token(kc, ws, home):
    sub = kc.workload_token()["access_token"]
    assert api_catalogs(ws.url, sub).status_code == 401  # the raw workload token is no workspace token
    p = auth_token(home, ws.url, "--method", "env-oidc", DATABRICKS_OIDC_TOKEN=sub)
    assert p.returncode == 0 and "valid until" in p.stdout, p.stderr
    assert sub not in p.stdout + p.stderr
    tok = token_json(home, ws.url, "--method", "env-oidc", DATABRICKS_OIDC_TOKEN=sub)["access_token"]
    assert api_catalogs(ws.url, tok).status_code == 200
    assert len(ws.grants(EXCHANGE)) == 2
    # Another variable, by name.
    tok2 = token_json(home, ws.url, "--method", "env-oidc", DATABRICKS_OIDC_TOKEN_ENV="MY_JWT",
                      MY_JWT=sub)["access_token"]
    assert api_catalogs(ws.url, tok2).status_code == 200
    # Unset, or a token Keycloak refuses: one line each.
    p = auth_token(home, ws.url, "--method", "env-oidc")
    assert p.returncode == 1 and "DATABRICKS_OIDC_TOKEN" in p.stderr and "holds no OIDC token" in p.stderr \
        and "--method" in p.stderr, p.stderr
    p = auth_token(home, ws.url, "--method", "env-oidc", DATABRICKS_OIDC_TOKEN="eyJ.forged.x")
    assert p.returncode == 1 and "token exchange refused" in p.stderr and p.stderr.count("\n") == 1, p.stderr


def test_env_oidc_sends_the_client_id_of_a_federation_policy(kc, srv, home):
    w = WorkspaceProxy(kc, srv.url, srv.admin_token, federation_client_id="sp-1234")
    try:
        sub = kc.workload_token()["access_token"]
        p = auth_token(home, w.url, "--method", "env-oidc", DATABRICKS_OIDC_TOKEN=sub)
        assert p.returncode == 1 and "invalid_client" in p.stderr, p.stderr
        p = auth_token(home, w.url, "--method", "env-oidc", DATABRICKS_OIDC_TOKEN=sub,
                       DATABRICKS_CLIENT_ID="sp-1234")
        assert p.returncode == 0, p.stderr
    finally:
        w.close()


def test_file_oidc_rereads_the_file(kc, ws, home, tmp_path):
    f = tmp_path / "oidc-token"
    first = kc.workload_token()["access_token"]
    f.write_text(first + "\n")
    tok = token_json(home, ws.url, "--method", "file-oidc", DATABRICKS_OIDC_TOKEN_FILEPATH=str(f))["access_token"]
    assert api_catalogs(ws.url, tok).status_code == 200
    f.write_text("garbage that is no token")
    p = auth_token(home, ws.url, "--method", "file-oidc", DATABRICKS_OIDC_TOKEN_FILEPATH=str(f))
    assert p.returncode == 1 and str(f) in p.stderr and p.stderr.count("\n") == 1, p.stderr
    second = kc.workload_token()["access_token"]
    f.write_text(second)
    tok2 = token_json(home, ws.url, "--method", "file-oidc", DATABRICKS_OIDC_TOKEN_FILEPATH=str(f))["access_token"]
    assert api_catalogs(ws.url, tok2).status_code == 200
    assert kc.introspect(tok2)["active"]
    f.unlink()
    p = auth_token(home, ws.url, "--method", "file-oidc", DATABRICKS_OIDC_TOKEN_FILEPATH=str(f))
    assert p.returncode == 1 and f"token file {f}" in p.stderr and "missing" in p.stderr, p.stderr


# ----------------------------------------------------------------------------- through the dispatch
# These use auth_type resolution (DATABRICKS_AUTH_TYPE) and uc/auth.c's dispatch to
# u2m_token() / oidc_token(), merged from the other half of issue 9.

def table_files(mp: Path) -> list[Path]:
    return sorted((mp / CAT / SCHEMA / TABLE).rglob("*.parquet")) + \
        sorted((mp / CAT / SCHEMA / TABLE / "_delta_log").glob("*.json"))


def test_dispatch_catalogs_with_the_cached_login(ws, home):
    login(home, ws.url)
    p = run(["catalogs", "--host", ws.url, "--json"], env=uenv(home, DATABRICKS_AUTH_TYPE="external-browser"))
    assert p.returncode == 0, p.stderr
    assert [c["name"] for c in json.loads(p.stdout)] == [CAT]


# How long a mount test reads with 12 s tokens: past one whole token life, so
# a token expires (and is refreshed, at half life) at least twice while it runs.
WATCH_S = 20


def read_past_expiries(ws, mountpoint: Path, env: dict, seconds: float, grant: str) -> int:
    """Read the table and list the catalog for SECONDS while the mount syncs every second
    (so it keeps calling Unity Catalog with its token)."""
    f0 = len(ws.forwarded)
    with Mount(mountpoint, env, options="sync_interval=1"):
        t0 = time.monotonic()
        n = 0
        while time.monotonic() - t0 < seconds:
            for f in table_files(mountpoint):
                assert f.read_bytes()
                n += 1
            assert sorted(x.name for x in (mountpoint / CAT).iterdir()) == [".ucfs", SCHEMA]
            time.sleep(1)
    assert not [x for x in ws.forwarded if x[3] == 401], "an expired token reached the workspace"
    assert len(ws.forwarded) - f0 >= seconds / 2, "the mount did not keep calling Unity Catalog"
    return n


def test_dispatch_mount_refreshes_u2m_tokens(ws, home, lifespan, tmp_path, mountpoint):
    lifespan(12)
    login(home, ws.url)
    env = uenv(home, UCFS_STATE=str(tmp_path / "state.db"), DATABRICKS_AUTH_TYPE="external-browser")
    run(["mirror", "create", "--catalog", CAT, "--host", ws.url], env=env, check=True)
    reads = read_past_expiries(ws, mountpoint, env, WATCH_S, "refresh_token")
    refreshes = len(ws.grants("refresh_token"))
    print(f"u2m mount: {reads} reads, {refreshes} refreshes in {WATCH_S} s (token life 12 s)")
    assert 2 <= refreshes <= WATCH_S


def test_dispatch_mount_file_oidc(kc, ws, home, lifespan, tmp_path, mountpoint):
    lifespan(12)
    f = tmp_path / "oidc-token"
    f.write_text(kc.workload_token()["access_token"])
    env = uenv(home, UCFS_STATE=str(tmp_path / "state.db"), DATABRICKS_AUTH_TYPE="file-oidc",
               DATABRICKS_OIDC_TOKEN_FILEPATH=str(f))
    run(["mirror", "create", "--catalog", CAT, "--host", ws.url], env=env, check=True)
    stop = threading.Event()

    def rotate():  # the CI system writes a fresh subject token now and then
        while not stop.wait(8):
            f.write_text(kc.workload_token()["access_token"])
    threading.Thread(target=rotate, daemon=True).start()
    try:
        reads = read_past_expiries(ws, mountpoint, env, WATCH_S, EXCHANGE)
    finally:
        stop.set()
    exchanges = len(ws.grants(EXCHANGE))
    print(f"file-oidc mount: {reads} reads, {exchanges} exchanges in {WATCH_S} s (token life 12 s)")
    assert 2 <= exchanges <= WATCH_S


@pytest.mark.parametrize("method", ["oauth-m2m", "env-oidc", "databricks-cli"])
def test_dispatch_mount_refreshes(method, kc, ws, home, lifespan, fake_cli, tmp_path, mountpoint):
    """Each remaining method inside a running mount, with 12 s workspace tokens: oauth-m2m
    (a Keycloak service account's client credentials through the workspace front), env-oidc
    (one CI token, exchanged again at each refresh), databricks-cli (the CLI, refreshing the
    shared cache as the real one does). No expired token reaches the workspace."""
    lifespan(12)
    env = uenv(home, UCFS_STATE=str(tmp_path / "state.db"))
    grant = {"oauth-m2m": "client_credentials", "env-oidc": EXCHANGE, "databricks-cli": "refresh_token"}[method]
    if method == "oauth-m2m":
        env.update(DATABRICKS_CLIENT_ID=kcmod.SP_CLIENT, DATABRICKS_CLIENT_SECRET=kcmod.SP_SECRET)
    elif method == "env-oidc":
        env.update(DATABRICKS_AUTH_TYPE="env-oidc", DATABRICKS_OIDC_TOKEN=kc.workload_token()["access_token"])
    else:
        login(home, ws.url)
        env.update(DATABRICKS_AUTH_TYPE="databricks-cli", PATH=f"{fake_cli}:{os.environ['PATH']}",
                   FAKE_CLI_MODE="refresh", UCFS_FOR_CLI=str(UCFS))
    p = run(["auth", "describe", "--host", ws.url, "--json"], env=env, check=True)
    assert json.loads(p.stdout)["auth_type"] == method, p.stdout
    p2 = run(["mirror", "create", "--catalog", CAT, "--host", ws.url, "-v", "-v"], env=env, check=True)
    reads = read_past_expiries(ws, mountpoint, env, WATCH_S, grant)
    grants = len(ws.grants(grant))
    print(f"{method} mount: {reads} reads, {grants} {grant} grants in {WATCH_S} s (token life 12 s)")
    assert 2 <= grants <= WATCH_S
    secrets_seen = [env.get(k) for k in ("DATABRICKS_CLIENT_SECRET", "DATABRICKS_OIDC_TOKEN") if env.get(k)]
    out = p.stdout + p.stderr + p2.stdout + p2.stderr
    assert not any(x in out for x in secrets_seen + sorted(ws.issued))
