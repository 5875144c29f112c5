"""The gcs storage backend against gcp-storage-emulator (PyPI), plus a tiny fake
JSON API server for what the emulator cannot show (401 with a bearer token,
ranged answers that are not the range asked for).

A Delta table written with deltalake to a local directory is uploaded object by
object (names kept byte for byte, e.g. 'region=50%25%20off'); `ucfs storage
ls/stat/cat` must show what the emulator's own JSON API shows and the bytes
that were uploaded.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from gcs_emulator import GCSEmulator
from mountutil import UCFS, check_stderr, env_for, run

BUCKET = "lake"
TABLE = "sales/orders"


@pytest.fixture(scope="module")
def gcs(tmp_path_factory):
    g = GCSEmulator(tmp_path_factory.mktemp("gcs"))
    g.start()
    yield g
    g.stop()


@pytest.fixture(scope="module")
def table(gcs, tmp_path_factory) -> dict[str, bytes]:
    """{relative name: bytes} of every object of the table."""
    local = tmp_path_factory.mktemp("gcs-table") / "t"
    for i, region in enumerate(["north east", "50% off", "süd"]):
        n = 1500 + 400 * i
        t = pa.table({"id": pa.array(range(i * 10000, i * 10000 + n), pa.int64()),
                      "region": [region] * n,
                      "payload": [f"row-{j}-" + "y" * (j % 29) for j in range(n)]})
        write_deltalake(str(local), t, mode="append", partition_by=["region"])
    gcs.create_bucket(BUCKET)
    gcs.upload(BUCKET, "elsewhere/x.txt", b"outside the table")
    objs = gcs.upload_tree(BUCKET, local, TABLE)
    out = {k[len(TABLE) + 1:]: v for k, v in objs.items()}
    assert any("region=50%25%20off/" in k for k in out), sorted(out)
    return out


def ucfs_storage(g: GCSEmulator, *args, token: str | None = None, host: str | None = None,
                 binary: bool = False):
    env = env_for(None, STORAGE_EMULATOR_HOST=host or g.host, GOOGLE_OAUTH_ACCESS_TOKEN=token)
    if not binary:
        return run(["storage", *args], env=env, timeout=60)
    p = subprocess.run([str(UCFS), "storage", *map(str, args)], env=env, capture_output=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    check_stderr(p.stderr.decode(errors="replace"))
    return p


def loc(path: str = TABLE) -> str:
    return f"gs://{BUCKET}/{path}".rstrip("/")


def parse_ls(out: str) -> dict[str, tuple[str, int, int]]:
    rows = {}
    for line in out.splitlines():
        kind, size, mtime, name = line.split("\t")
        rows[name] = (kind, int(size), int(mtime))
    return rows


def all_dirs(names) -> list[str]:
    dirs = {""}
    for name in names:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    return sorted(dirs)


def rfc3339_epoch(s: str) -> int:
    return int(dt.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp())


def test_listing_matches_emulator(gcs, table):
    for rel in all_dirs(table):
        p = ucfs_storage(gcs, "ls", loc(), rel, token="ya29.test-token-not-checked")
        assert p.returncode == 0, p.stderr
        got = parse_ls(p.stdout)
        full = f"{TABLE}/{rel}/" if rel else f"{TABLE}/"
        api = gcs.list(BUCKET, full)
        want = {o["name"][len(full):]: ("-", int(o["size"]), rfc3339_epoch(o["updated"]))
                for o in api.get("items", [])}
        want.update({pf[len(full):]: ("d", 0, 0) for pf in api.get("prefixes", [])})
        assert got == want, rel
        # and the uploaded files themselves
        local = {n[len(rel) + 1 if rel else 0:] for n in table if n.startswith(rel)}
        for name, (kind, size, _) in got.items():
            if kind == "-":
                assert size == len(table[f"{rel}/{name}" if rel else name])
            else:
                assert any(x.startswith(name) for x in local)
    root = parse_ls(ucfs_storage(gcs, "ls", loc()).stdout)
    assert {"region=north%20east/", "region=50%25%20off/", "_delta_log/"} <= set(root), root


def test_stat_matches_emulator(gcs, table):
    for name, data in table.items():
        p = ucfs_storage(gcs, "stat", loc(), name)
        assert p.returncode == 0, p.stderr
        kind, size, mtime, etag = p.stdout.rstrip("\n").split("\t")
        meta = gcs.object(BUCKET, f"{TABLE}/{name}")
        assert (kind, int(size)) == ("-", len(data)), name
        assert int(mtime) == rfc3339_epoch(meta["updated"])
        # The object's identity: its etag and the generation reads are pinned to.
        assert etag == f'{meta["etag"]}#{meta["generation"]}'
    for d in ("", "_delta_log", "region=50%25%20off"):
        p = ucfs_storage(gcs, "stat", loc(), d)
        assert p.returncode == 0 and p.stdout.startswith("d\t0\t"), (d, p.stderr)


def test_cat_matches_uploaded_bytes(gcs, table):
    for name, data in table.items():
        p = ucfs_storage(gcs, "cat", loc(), name, binary=True)
        assert p.returncode == 0, p.stderr
        assert hashlib.sha256(p.stdout).hexdigest() == hashlib.sha256(data).hexdigest(), name


def test_ranged_reads(gcs, table):
    name = max((n for n in table if n.endswith(".parquet")), key=lambda n: len(table[n]))
    data = table[name]
    size = len(data)
    for off, ln in [(0, 4), (size - 8, 8), (size - 8, 100), (size // 2, 1), (1, size - 2),
                    (size, 10), (size + 5, 10), (0, size)]:
        p = ucfs_storage(gcs, "cat", loc(), name, "--offset", off, "--length", ln, binary=True)
        assert p.returncode == 0, p.stderr
        assert p.stdout == data[off:off + ln], (off, ln)


def test_missing_paths(gcs, table):
    p = ucfs_storage(gcs, "stat", loc(), "no/such/file")
    assert p.returncode != 0 and "No such file" in p.stderr
    p = ucfs_storage(gcs, "ls", loc(), "_delta_log/00000000000000000000.json")
    assert p.returncode != 0 and "Not a directory" in p.stderr
    p = ucfs_storage(gcs, "ls", loc("no-such-table"))
    assert p.returncode != 0 and "No such file" in p.stderr
    p = ucfs_storage(gcs, "ls", "gs://no-such-bucket/t")
    assert p.returncode != 0


# ---------------------------------------------------------------- fake server

class Fake(BaseHTTPRequestHandler):
    """mode 'deny': 401 to everything. mode 'badrange'/'fullbody': metadata for
    one 100-byte object, then media answers that are not the asked range."""
    mode = "deny"
    seen: list = []
    body = bytes(range(100))

    def log_message(self, *a):  # quiet
        pass

    def _send(self, status, body=b"", headers=None):
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        Fake.seen.append((self.path, self.headers.get("Authorization")))
        if Fake.mode == "deny":
            err = {"error": {"code": 401, "message": "Invalid Credentials"}}
            return self._send(401, json.dumps(err).encode(), {"Content-Type": "application/json"})
        if "alt=media" not in self.path:
            meta = {"kind": "storage#object", "name": "t/f.bin", "size": "100",
                    "updated": "2024-01-02T03:04:05.000Z", "etag": "CAE=", "generation": "7"}
            return self._send(200, json.dumps(meta).encode(), {"Content-Type": "application/json"})
        if Fake.mode == "badrange":
            return self._send(206, self.body[0:10], {"Content-Range": "bytes 0-9/100"})
        return self._send(200, self.body)


@pytest.fixture
def fake():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Fake)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    Fake.seen = []
    yield srv, f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def test_denied_token_retries_once_and_fails_cleanly(gcs, fake):
    _, host = fake
    Fake.mode = "deny"
    token = "ya29.SECRET-token-value-123"
    p = ucfs_storage(gcs, "stat", "gs://b/t", "f.bin", token=token, host=host)
    assert p.returncode != 0 and p.stdout == ""
    assert "access denied" in p.stderr and "Permission denied" in p.stderr, p.stderr
    assert token not in p.stderr
    # sent as a bearer token; refused once, fresh credentials, refused again
    assert [a for _, a in Fake.seen] == [f"Bearer {token}"] * 2


@pytest.mark.parametrize("mode", ["badrange", "fullbody"])
def test_wrong_range_answer_is_an_error(gcs, fake, mode):
    _, host = fake
    Fake.mode = mode
    p = ucfs_storage(gcs, "cat", "gs://b/t", "f.bin", "--offset", 50, "--length", 10, host=host,
                     binary=True)
    assert p.returncode != 0
    assert p.stdout == b""
    err = p.stderr.decode()
    assert "Input/output error" in err, err
    assert ("not the range asked for" in err) if mode == "badrange" else ("ignored the byte range"
                                                                         in err), err
    media = [path for path, _ in Fake.seen if "alt=media" in path]
    assert media and all("ifGenerationMatch=7" in m for m in media), Fake.seen
