"""The azure storage backend against Azurite (npm) over HTTPS with a test CA.

A Delta table is written with deltalake straight into Azurite over HTTPS
(deltalake trusts the test CA through SSL_CERT_FILE); `ucfs storage ls/stat/cat`
must show exactly what the azure-storage-blob SDK sees: names (partition
directories with %20/%25 escapes), sizes, ETags, mtimes, bytes (sha256) and
byte ranges. SAS tokens are container-scoped; a SAS that is expired, made for
another container, or missing must fail cleanly without the secret appearing
in any output.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from azurite import ACCOUNT, ACCOUNT_KEY, AZURITE, Azurite
from mountutil import env_for, run

pytestmark = pytest.mark.skipif(not AZURITE.exists(),
                                reason="Azurite not installed (scripts/bootstrap azurite)")

CONTAINER = "tables"
OTHER = "other"
TABLE = "sales/orders"  # key prefix of the table inside CONTAINER


@pytest.fixture(scope="module")
def azurite(tmp_path_factory):
    az = Azurite(tmp_path_factory.mktemp("azurite"))
    az.start()
    yield az
    az.stop()


def _write_table(az: Azurite) -> None:
    """Three commits of a table partitioned by a string with ' ', '%' and UTF-8."""
    uri = f"abfss://{CONTAINER}@{ACCOUNT}.dfs.core.windows.net/{TABLE}"
    opts = {"account_name": ACCOUNT, "account_key": ACCOUNT_KEY,
            "azure_storage_endpoint": az.endpoint}
    old = os.environ.get("SSL_CERT_FILE")
    os.environ["SSL_CERT_FILE"] = str(az.ca_file)
    try:
        for i, region in enumerate(["north east", "50% off", "süd"]):
            n = 2000 + 500 * i
            t = pa.table({"id": pa.array(range(i * 10000, i * 10000 + n), pa.int64()),
                          "region": [region] * n,
                          "payload": [f"row-{j}-" + "x" * (j % 37) for j in range(n)]})
            write_deltalake(uri, t, mode="append", partition_by=["region"],
                            storage_options=opts)
    finally:
        if old is None:
            os.environ.pop("SSL_CERT_FILE", None)
        else:
            os.environ["SSL_CERT_FILE"] = old


@pytest.fixture(scope="module")
def table(azurite):
    """{relative name: BlobProperties} of every blob of the table."""
    svc = azurite.service()
    svc.create_container(CONTAINER)
    svc.create_container(OTHER)
    svc.get_container_client(OTHER).upload_blob("secret.txt", b"not yours")
    _write_table(azurite)
    cc = svc.get_container_client(CONTAINER)
    blobs = {b.name[len(TABLE) + 1:]: b for b in cc.list_blobs(name_starts_with=TABLE + "/")}
    assert any(k.startswith("_delta_log/") for k in blobs)
    assert any("region=50%25%20off/" in k for k in blobs), sorted(blobs)
    return blobs


@pytest.fixture(scope="module")
def sas(azurite, table):
    return azurite.container_sas(CONTAINER)


def ucfs_storage(az: Azurite, sas: str | None, *args, extra=None):
    env = env_for(None, **az.ucfs_env(sas), **(extra or {}))
    return run(["storage", *args], env=env, timeout=60)


def loc(az: Azurite, scheme: str = "abfss") -> str:
    return az.location(CONTAINER, TABLE, scheme)


def parse_ls(out: str) -> dict[str, tuple[str, int, int]]:
    rows = {}
    for line in out.splitlines():
        kind, size, mtime, name = line.split("\t")
        rows[name] = (kind, int(size), int(mtime))
    return rows


def expected_dir(blobs: dict, rel: str) -> dict[str, tuple[str, int]]:
    """What one directory of the table holds, from the SDK's blob list."""
    pfx = rel + "/" if rel else ""
    out = {}
    for name, b in blobs.items():
        if not name.startswith(pfx):
            continue
        rest = name[len(pfx):]
        if "/" in rest:
            out[rest.split("/", 1)[0] + "/"] = ("d", 0)
        else:
            out[rest] = ("-", b.size)
    return out


def all_dirs(blobs: dict) -> list[str]:
    dirs = {""}
    for name in blobs:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    return sorted(dirs)


def assert_clean(p, *secrets):
    text = p.stdout + p.stderr
    for s in secrets:
        assert s not in text
    assert "sig=" not in text.replace("sig=<redacted>", "")


@pytest.mark.parametrize("page_size", [None, "3"])
def test_listing_matches_sdk(azurite, table, sas, page_size):
    extra = {"UCFS_LIST_PAGE_SIZE": page_size} if page_size else None
    for rel in all_dirs(table):
        p = ucfs_storage(azurite, sas, "ls", loc(azurite), rel, extra=extra)
        assert p.returncode == 0, p.stderr
        got = parse_ls(p.stdout)
        assert {k: v[:2] for k, v in got.items()} == expected_dir(table, rel), rel
        for name, (kind, _, mtime) in got.items():
            if kind == "-":
                lm = table[f"{rel}/{name}" if rel else name].last_modified
                assert mtime == int(lm.timestamp())
    # the partition directories keep their escapes as stored
    root = parse_ls(ucfs_storage(azurite, sas, "ls", loc(azurite)).stdout)
    assert {"region=north%20east/", "region=50%25%20off/", "region=s%C3%BCd/"} <= set(root) \
        or {"region=north%20east/", "region=50%25%20off/", "region=süd/"} <= set(root), root


def test_stat_matches_sdk(azurite, table, sas):
    for name, b in table.items():
        p = ucfs_storage(azurite, sas, "stat", loc(azurite), name)
        assert p.returncode == 0, p.stderr
        kind, size, mtime, etag = p.stdout.rstrip("\n").split("\t")
        assert (kind, int(size)) == ("-", b.size), name
        assert int(mtime) == int(b.last_modified.timestamp())
        assert etag == b.etag.strip('"')
    p = ucfs_storage(azurite, sas, "stat", loc(azurite), "_delta_log")
    assert p.returncode == 0 and p.stdout.startswith("d\t0\t"), p.stderr
    p = ucfs_storage(azurite, sas, "stat", loc(azurite), "")
    assert p.returncode == 0 and p.stdout.startswith("d\t"), p.stderr


def test_cat_matches_sdk(azurite, table, sas):
    cc = azurite.service().get_container_client(CONTAINER)
    for name in table:
        want = cc.download_blob(f"{TABLE}/{name}").readall()
        assert hashlib.sha256(_cat_bytes(azurite, sas, name)).hexdigest() == \
            hashlib.sha256(want).hexdigest(), name


def _cat_bytes(az, sas, name, *opts) -> bytes:
    import subprocess
    from mountutil import UCFS, check_stderr
    env = env_for(None, **az.ucfs_env(sas))
    p = subprocess.run([str(UCFS), "storage", "cat", loc(az), name, *opts], env=env,
                       capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    check_stderr(p.stderr.decode(errors="replace"))
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_ranged_reads(azurite, table, sas):
    cc = azurite.service().get_container_client(CONTAINER)
    name = max((n for n in table if n.endswith(".parquet")), key=lambda n: table[n].size)
    data = cc.download_blob(f"{TABLE}/{name}").readall()
    size = len(data)
    assert size > 8
    cases = [(0, 4), (size - 8, 8), (size - 8, 100), (size // 2, 1), (1, size - 2),
             (size, 10), (size + 5, 10), (0, size)]
    for off, ln in cases:
        got = _cat_bytes(azurite, sas, name, "--offset", str(off), "--length", str(ln))
        assert got == data[off:off + ln], (off, ln)


def test_wasbs_and_abfs_schemes(azurite, table, sas):
    host_blob = f"{ACCOUNT}.blob.core.windows.net"
    for location in (loc(azurite, "abfs"), loc(azurite, "wasbs"),
                     f"wasbs://{CONTAINER}@{host_blob}/{TABLE}"):
        p = ucfs_storage(azurite, sas, "ls", location, "_delta_log")
        assert p.returncode == 0, p.stderr
        assert "00000000000000000000.json" in p.stdout


def test_missing_paths(azurite, table, sas):
    p = ucfs_storage(azurite, sas, "stat", loc(azurite), "no/such/file")
    assert p.returncode != 0 and "No such file" in p.stderr
    p = ucfs_storage(azurite, sas, "ls", loc(azurite), "_delta_log/00000000000000000000.json")
    assert p.returncode != 0 and "Not a directory" in p.stderr
    p = ucfs_storage(azurite, sas, "ls", azurite.location(CONTAINER, "no-such-table"))
    assert p.returncode != 0 and "No such file" in p.stderr
    p = ucfs_storage(azurite, sas, "ls", azurite.location("nosuchcontainer", "t"))
    assert p.returncode == 1 and p.stdout == "", p.stdout
    assert "ls " in p.stderr and "nosuchcontainer" in p.stderr, p.stderr
    assert "No such file" in p.stderr or "Permission denied" in p.stderr, p.stderr


def _sig(sas: str) -> str:
    m = re.search(r"(?:^|&)sig=([^&]+)", sas)
    assert m
    return m.group(1)


@pytest.mark.parametrize("case", ["expired", "other_container", "none", "garbage"])
def test_bad_sas_fails_cleanly(azurite, table, case):
    now = dt.datetime.now(dt.timezone.utc)
    if case == "expired":
        sas = azurite.container_sas(CONTAINER, start=now - dt.timedelta(hours=2),
                                    expiry=now - dt.timedelta(hours=1))
    elif case == "other_container":
        sas = azurite.container_sas(OTHER)
    elif case == "none":
        sas = None
    else:
        good = azurite.container_sas(CONTAINER)
        sas = good.replace(_sig(good), "A" * 43 + "%3D")
    for verb, args in (("ls", []), ("stat", ["_delta_log"]),
                       ("cat", ["_delta_log/00000000000000000000.json"])):
        p = ucfs_storage(azurite, sas, verb, loc(azurite), *args)
        assert p.returncode == 1, (verb, p.stdout)
        assert p.stdout == ""
        assert "Permission denied" in p.stderr or "access denied" in p.stderr, p.stderr
        assert "access denied" in p.stderr and "SAS" in p.stderr, p.stderr
        if sas:
            assert_clean(p, _sig(sas), sas)


def test_sas_for_other_container_cannot_read_it(azurite, table, sas):
    """The table's SAS is scoped to its container: the other container is refused."""
    p = ucfs_storage(azurite, sas, "cat", azurite.location(OTHER, ""), "secret.txt")
    assert p.returncode == 1 and p.stdout == "", p.stdout  # not one byte of it
    assert "secret.txt: Permission denied" in p.stderr, p.stderr
    assert_clean(p, _sig(sas))
