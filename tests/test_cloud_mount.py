"""Cloud tables end to end through a real mount (issue 3, "Tests"): S3 (moto,
credentials vended by the real Unity Catalog OSS server), Azure (Azurite over
HTTPS with a test CA, SAS tokens) and GCS (gcp-storage-emulator, bearer
tokens), each behind a counting proxy; Azure/GCS vending answered by a UC
proxy the tests control (fixtures/ucproxy.py explains why). Setup:
fixtures/cloudlab.py.

For every backend:
- deltalake, DuckDB, polars and Spark read the same rows through the mount as
  deltalake reads from the local copy that was uploaded; time travel to v0;
- a second full read is served by the disk cache (the storage sees no new data
  requests), also after a remount with the same cache_dir;
- cache_size= caps the disk space of the cache files;
- a table whose vending is denied stays listed, its reads fail with EACCES,
  the log says why, the other tables keep working; credentials the storage
  refuses fail cleanly too (EACCES, no secret logged, no vending storm);
- credentials that expire during a long read are refreshed ahead of expiry:
  no failed read, no request refused by the storage, bytes identical;
- an object replaced after the listing fails the read with EIO, never serves
  the new bytes.
"""
from __future__ import annotations

import datetime as dt
import decimal
import errno
import hashlib
import os
import re
import time
import urllib.parse
from pathlib import Path

import polars as pl
import pytest

import duck
from azurite import AZURITE
from cloudlab import LIFETIME, SCHEMA, CloudLab
from mountutil import Mount
from tables import read_delta_arrow

pytestmark = pytest.mark.skipif(not AZURITE.exists(),
                                reason="Azurite not installed (scripts/bootstrap azurite)")

BACKENDS = ["s3", "azure", "gcs"]
MiB = 1 << 20


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with CloudLab(tmp_path_factory.mktemp("cloudlab")) as lab:
        yield lab


@pytest.fixture(scope="module")
def shared(lab, tmp_path_factory):
    """One mount for the reader and denial tests."""
    tmp = tmp_path_factory.mktemp("shared")
    m = lab.mount(tmp)
    yield m
    m.stop()


# --------------------------------------------------------------------------- helpers

def _norm(v):
    if isinstance(v, (dt.datetime, dt.date, decimal.Decimal)):
        return str(v)
    if hasattr(v, "item"):
        return v.item()
    return v


def rows(records) -> list[tuple]:
    out = [tuple(sorted((k, _norm(v)) for k, v in r.items())) for r in records]
    return sorted(out, key=lambda r: dict(r)["id"])


def read_deltalake(path, version=None):
    return rows(read_delta_arrow(path, version).to_pylist())


def read_duckdb(path, version=None):
    con = duck.connect()
    try:
        return rows(duck.delta_scan(con, str(path), version).to_pylist())
    finally:
        con.close()


def read_polars(path, version=None):
    return rows(pl.read_delta(str(path), version=version).to_dicts())


def read_spark(spark, path, version=None):
    r = spark.read.format("delta")
    if version is not None:
        r = r.option("versionAsOf", version)
    return rows(row.asDict() for row in r.load(str(path)).collect())


def table_dir(m: Mount, lab: CloudLab, backend: str, table: str) -> Path:
    return m.mp / lab.backends[backend].catalog / SCHEMA / table


def local_files(lab: CloudLab, table: str) -> dict[str, Path]:
    root = lab.local[table]
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*")) if p.is_file()}


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def read_tables(m: Mount, lab: CloudLab, backend: str, tables, drop_page_cache=False) -> int:
    """Read every file of TABLES fully through the mount and check its bytes
    against the local copy; returns the bytes read."""
    total = 0
    for t in tables:
        for rel, p in local_files(lab, t).items():
            f = table_dir(m, lab, backend, t) / rel
            with open(f, "rb") as fh:
                if drop_page_cache:  # make the read reach ucfs, not the kernel's copy
                    os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
                got = fh.read()
            assert sha(got) == sha(p.read_bytes()), f"{backend} {t}/{rel}"
            total += len(got)
    return total


def cache_bytes(cache_dir: Path) -> tuple[int, int]:
    """Objects in the cache and the disk space their data takes (sparse
    files: allocated blocks, not apparent sizes)."""
    dats = list(cache_dir.rglob("*.dat"))
    return len(dats), sum(d.stat().st_blocks * 512 for d in dats)


def log_problems(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if "error" in ln.lower() or "warn" in ln.lower()]


# --------------------------------------------------------------------------- readers

@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("table", ["orders", "regions"])
def test_readers_same_rows_through_mount(lab, shared, backend, table):
    mounted = table_dir(shared, lab, backend, table)
    local = lab.local[table]
    for version in (None, 0):
        want = read_deltalake(local, version)
        assert want, (table, version)
        for name, reader in (("deltalake", read_deltalake), ("duckdb", read_duckdb),
                             ("polars", read_polars)):
            assert reader(mounted, version) == want, (name, backend, table, version)
    assert read_deltalake(local, 0) != read_deltalake(local)  # v0 really is older


@pytest.mark.parametrize("backend", BACKENDS)
def test_spark_same_rows_through_mount(lab, shared, spark, backend):
    for table in ("orders", "regions"):
        mounted = table_dir(shared, lab, backend, table)
        for version in (None, 0):
            assert read_spark(spark, mounted, version) == \
                read_deltalake(lab.local[table], version), (backend, table, version)
    n = spark.sql(f"SELECT count(*) AS n FROM delta.`{table_dir(shared, lab, backend, 'orders')}`"
                  ).collect()[0]["n"]
    assert n == lab.specs["orders"].latest.num_rows


def test_listing_matches_local_copy(lab, shared):
    for backend in BACKENDS:
        for table in ("orders", "regions", "big"):
            root = table_dir(shared, lab, backend, table)
            got = {p.relative_to(root).as_posix(): p.stat().st_size
                   for p in root.rglob("*") if p.is_file()}
            assert got == {k: p.stat().st_size for k, p in local_files(lab, table).items()}, \
                (backend, table)


# --------------------------------------------------------------------------- disk cache

@pytest.mark.parametrize("backend", BACKENDS)
def test_second_read_and_remount_served_from_cache(lab, backend, tmp_path):
    proxy = lab.backends[backend].proxy
    cache = tmp_path / "cache"
    tables = ("orders", "regions", "big")
    m = lab.mount(tmp_path, cache)
    try:
        n0 = proxy.data_requests()
        size = read_tables(m, lab, backend, tables)
        n1 = proxy.data_requests()
        assert n1 - n0 >= 8, "the cold read must fetch from the storage"
        # big's 8 MiB file in 1 MiB blocks, plus one request per small file, at most
        nfiles = sum(len(local_files(lab, t)) for t in tables)
        assert n1 - n0 <= nfiles + size // MiB + 2, "\n".join(f"{r.path[-30:]} {r.range}" for r in proxy.records[-40:])
        read_tables(m, lab, backend, tables, drop_page_cache=True)
        assert proxy.data_requests() == n1, "second read not served from the cache"
    finally:
        log = m.stop()
    assert not log_problems(log), log
    nobj, used = cache_bytes(cache)
    assert nobj >= 8 and used >= size
    m = lab.mount(tmp_path, cache)  # same cache_dir: the blocks survive
    try:
        read_tables(m, lab, backend, tables)
        assert proxy.data_requests() == n1, "remount lost the cache"
    finally:
        log = m.stop()
    assert not log_problems(log), log


@pytest.mark.parametrize("backend", BACKENDS)
def test_cache_size_cap_honoured(lab, backend, tmp_path):
    cache = tmp_path / "cache"
    cap = 3 * MiB
    m = lab.mount(tmp_path, cache, extra="cache_size=3M")
    try:
        size = read_tables(m, lab, backend, ("big", "orders", "regions"))
        assert size > 2 * cap
        nobj, used = cache_bytes(cache)
        assert 0 < used <= cap, (nobj, used)
        # evicted blocks are fetched again, and still right
        n = lab.backends[backend].proxy.data_requests()
        read_tables(m, lab, backend, ("big",), drop_page_cache=True)
        assert lab.backends[backend].proxy.data_requests() > n
        assert cache_bytes(cache)[1] <= cap
    finally:
        log = m.stop()
    assert not log_problems(log), log


# --------------------------------------------------------------------------- credentials

@pytest.mark.parametrize("backend", BACKENDS)
def test_denied_table_listed_but_unreadable(lab, shared, backend):
    b = lab.backends[backend]
    schema = shared.mp / b.catalog / SCHEMA
    assert "denied" in os.listdir(schema)
    d = schema / "denied"
    assert d.is_dir()
    with pytest.raises(OSError) as e:
        os.listdir(d)
    assert e.value.errno == errno.EACCES, e.value
    with pytest.raises(OSError) as e:
        with open(d / "_delta_log" / "00000000000000000000.json", "rb") as f:
            f.read()
    assert e.value.errno == errno.EACCES, e.value
    # the rest of the catalog keeps working
    assert read_deltalake(schema / "orders") == read_deltalake(lab.local["orders"])
    assert "EXTERNAL USE SCHEMA" in shared.stderr(), shared.stderr()
    n = lab.ucproxy.vends[b.table_id("denied")]
    assert 1 <= n <= 2, f"denial not remembered: {n} vending requests"


@pytest.mark.parametrize("backend", BACKENDS)
def test_credentials_refused_by_storage_fail_cleanly(lab, shared, backend):
    """Vending succeeds but the storage refuses what it gave (wrong secret,
    expired SAS, unknown token): EACCES, a bounded number of vends (fresh
    credentials tried once, no storm), no secret in the log."""
    b = lab.backends[backend]
    d = shared.mp / b.catalog / SCHEMA / "badcred"
    assert d.is_dir()
    for _ in range(3):
        with pytest.raises(OSError) as e:
            os.listdir(d)
        assert e.value.errno == errno.EACCES, e.value
    n = lab.ucproxy.vends[b.table_id("badcred")]
    assert 1 <= n <= 6, f"{n} vending requests for 3 listings"
    log = shared.stderr()
    assert "badcred" in log, log
    assert lab.BAD_SECRET not in log
    if backend == "azure":
        sig = re.search(r"(?:^|&)sig=([^&]+)", lab.bad_sas).group(1)
        assert sig not in log and urllib.parse.unquote(sig) not in log
    assert read_deltalake(d.parent / "orders") == read_deltalake(lab.local["orders"])


@pytest.mark.parametrize("backend", BACKENDS)
def test_credentials_refreshed_during_long_read(lab, backend, tmp_path):
    """`slow` gets credentials valid LIFETIME s (Azure: the SAS itself expires
    then; GCS/S3: the storage proxy refuses them after it). A read spread over
    more than LIFETIME (backwards, one small read per 1 MiB block, readahead
    off) needs new ones mid-way: ucfs must get them ahead of expiry."""
    b = lab.backends[backend]
    tid = b.table_id("slow")
    [(rel, local)] = [(k, p) for k, p in local_files(lab, "slow").items()
                      if k.endswith(".parquet")]
    want = local.read_bytes()
    nblocks = len(want) // MiB + 1
    assert nblocks >= 8
    m = lab.mount(tmp_path)
    try:
        f = table_dir(m, lab, backend, "slow") / rel
        assert f.stat().st_size == len(want)  # the listing vended the first credentials
        v0, t0 = lab.ucproxy.vends[tid], time.monotonic()
        assert v0 >= 1
        fd = os.open(f, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
            for k in reversed(range(nblocks)):
                off = k * MiB + 1000
                assert os.pread(fd, 4096, off) == want[off:off + 4096], k
                time.sleep((LIFETIME + 1.5) / nblocks)
        finally:
            os.close(fd)
        elapsed = time.monotonic() - t0
        assert elapsed > LIFETIME
        with open(f, "rb") as fh:
            assert sha(fh.read()) == sha(want)
        vends = lab.ucproxy.vends[tid]
        assert vends >= 2, f"credentials never refreshed ({vends} vends in {elapsed:.1f}s)"
        refused = [r for r in b.proxy.records if r.t >= t0 and r.status in (400, 401, 403)]
        assert not refused, f"storage refused expired credentials: {refused}"
    finally:
        log = m.stop()
    assert not log_problems(log), log


# --------------------------------------------------------------------------- changed objects

@pytest.mark.parametrize("backend", BACKENDS)
def test_object_replaced_after_listing_is_eio(lab, backend, tmp_path):
    b = lab.backends[backend]
    rel = max((k for k in local_files(lab, "replaced") if k.endswith(".parquet")),
              key=lambda k: local_files(lab, "replaced")[k].stat().st_size)
    old = local_files(lab, "replaced")[rel].read_bytes()
    new = bytes(x ^ 0xFF for x in old)  # same size, other bytes
    m = lab.mount(tmp_path)
    try:
        f = table_dir(m, lab, backend, "replaced") / rel
        assert f.stat().st_size == len(old)  # listed with the old identity
        b.put(f"tables/replaced/{rel}", new)
        try:
            with open(f, "rb") as fh:
                got = fh.read()
        except OSError as e:
            assert e.errno == errno.EIO, e
        else:
            what = "the new" if got == new else "the old" if got == old else "mixed/other"
            pytest.fail(f"read of a replaced object returned {len(got)} bytes ({what} "
                        "content) instead of failing with EIO; requests: "
                        f"{[(r.method, r.path, r.status) for r in b.proxy.records[-4:]]}")
    finally:
        b.put(f"tables/replaced/{rel}", old)
        log = m.stop()
    assert "changed" in log or "412" in log or "EIO" in log or "Input/output" in log, log
