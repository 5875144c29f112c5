"""The read path (issue 7) end to end on S3: moto behind a counting proxy,
credentials vended by the real Unity Catalog server (fixtures/cloudlab.py),
real mounts, DuckDB as the Parquet reader. Every test counts the bytes the
storage really served (the proxy's Range records) against what was read:

- concurrent readers of one object get its exact bytes, each byte fetched once;
- a daemon killed with SIGKILL while it fills the cache leaves a cache that a
  remount serves correct bytes from (and reuses what was complete);
- a damaged cache block is detected and fetched again (that block alone);
- DuckDB reading 2 of 8 columns fetches at most twice the bytes of the column
  chunks it needs (footer included), and ucfs parsed the Parquet footer;
- random 64 KiB reads fetch at most twice what they read;
- a sequential read uses few, growing requests;
- kernel directory caching never hides a new _delta_log commit beyond log_ttl,
  nor a new file elsewhere beyond dir_ttl;
- a walk of tables longer than log_ttl finds their _delta_log listings taken
  again ahead of it, several at once, once each, new commits included, and
  only those the mount listed before; a reader of one table starts none;
- an open starts the fetch its first read needs (a Parquet file's tail, else
  the first block) and that read fetches nothing more;
- opening a commit file fetches the commits from the newest checkpoint on
  into the cache ahead of the reader, each once, none before the checkpoint.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import WriterProperties, write_deltalake

import duck
from cloudlab import SCHEMA, CloudLab
from mountutil import Mount
from storageproxy import listing_request
from tables import TableSpec

MiB = 1 << 20
KiB = 1 << 10


def write_blob(path: Path, name="blob", mib=24) -> TableSpec:
    """One ~MIB MiB data file of incompressible bytes."""
    schema = pa.schema([("id", pa.int64()), ("blob", pa.binary())])
    t = pa.table({"id": pa.array(range(mib), pa.int64()),
                  "blob": [os.urandom(MiB - 100) for _ in range(mib)]}, schema=schema)
    write_deltalake(str(path), t)
    return TableSpec(name, path, schema, t, t, 0)


NCOLS = 8
ROW_GROUP = 1 << 18


def write_wide(path: Path, name="wide") -> TableSpec:
    """8 float columns of 2 MiB chunks in 4 row groups, as writers lay them out
    (delta-rs defaults to row groups of 1M rows): a query on 2 columns needs
    a quarter of the file."""
    import numpy as np
    rng = np.random.default_rng(7)
    n = 4 * ROW_GROUP
    cols = {"id": pa.array(np.arange(n, dtype=np.int64))}
    for c in range(1, NCOLS):
        cols[f"c{c}"] = pa.array(rng.random(n))
    t = pa.table(cols)
    write_deltalake(str(path), t, writer_properties=WriterProperties(max_row_group_size=ROW_GROUP),
                    target_file_size=1 << 40)
    return TableSpec(name, path, t.schema, t, t, 0)


WALKED = [f"walk{i:02d}" for i in range(12)]


def write_tiny(name: str):
    def write(path: Path) -> TableSpec:
        t = pa.table({"id": pa.array([1, 2], pa.int64())})
        write_deltalake(str(path), t)
        return TableSpec(name, path, t.schema, t, t, 0)
    return write


def write_raw(path: Path) -> TableSpec:
    """A tiny table with a 3 MiB file that is not Parquet beside its data."""
    spec = write_tiny("raw")(path)
    (path / "raw.bin").write_bytes(os.urandom(3 * MiB))
    return spec


def write_commits(path: Path) -> TableSpec:
    """Commits 0-6, a checkpoint at 6, commits 7-10."""
    from deltalake import DeltaTable
    t = pa.table({"id": pa.array([1, 2], pa.int64())})
    for _ in range(7):
        write_deltalake(str(path), t, mode="append")
    DeltaTable(str(path)).create_checkpoint()
    for _ in range(4):
        write_deltalake(str(path), t, mode="append")
    full = pa.concat_tables([t] * 11)
    return TableSpec("commits", path, t.schema, full, full, 10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    extra = {"blob": write_blob, "wide": write_wide, "commits": write_commits, "raw": write_raw,
             **{n: write_tiny(n) for n in WALKED}}
    with CloudLab(tmp_path_factory.mktemp("dplab"), s3_extra=extra) as lab:
        yield lab


def mount(lab: CloudLab, tmp: Path, cache: Path, extra: str = "") -> Mount:
    mp = tmp / f"mnt{len(list(tmp.glob('mnt*')))}"
    return Mount(mp, lab.env(), options=lab.options(cache, extra), logdir=tmp).start()


@contextlib.contextmanager
def mounted(lab: CloudLab, tmp: Path, cache: Path | None = None, extra: str = ""):
    """A mount for the body; its log must show no error when it ends."""
    m = mount(lab, tmp, cache or tmp / "cache", extra)
    try:
        yield m
    finally:
        log = m.stop()
    assert not log_problems(log), log


def table_dir(m: Mount, name: str) -> Path:
    return m.mp / "cm_s3" / SCHEMA / name


def data_file(lab: CloudLab, name: str) -> tuple[str, bytes]:
    """(relative path, bytes) of the table's one data file."""
    root = lab.local[name]
    [p] = [p for p in root.rglob("*.parquet") if "_delta_log" not in p.parts]
    return p.relative_to(root).as_posix(), p.read_bytes()


RANGE = re.compile(r"bytes=(\d+)-(\d+)")


def served(proxy, since: float, name: str) -> list[tuple[int, int]]:
    """[start, end) of every data request for an object whose key ends in NAME."""
    out = []
    for r in list(proxy.records):
        if r.t >= since and r.data and r.status in (200, 206) and r.path.split("?")[0].endswith(name):
            m = RANGE.search(r.range or "")
            if m:
                out.append((int(m.group(1)), int(m.group(2)) + 1))
    return out


def total(ranges) -> int:
    return sum(b - a for a, b in ranges)


def union(ranges) -> int:
    n, end = 0, -1
    for a, b in sorted(ranges):
        if b > end:
            n += b - max(a, end)
            end = b
    return n


def stats(m: Mount) -> dict:
    return json.loads((m.mp / ".ucfs" / "stats.json").read_text())


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def log_problems(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if "error" in ln.lower()]


# --------------------------------------------------------------------------- concurrency

def test_concurrent_readers_fetch_each_byte_once(lab, tmp_path):
    rel, want = data_file(lab, "blob")
    proxy = lab.backends["s3"].proxy
    with mounted(lab, tmp_path) as m:
        f = table_dir(m, "blob") / rel
        assert f.stat().st_size == len(want)
        t0 = time.monotonic()
        got: dict[int, str] = {}
        errors: list[BaseException] = []

        def reader(k: int):
            try:
                # each starts elsewhere and wraps around, 1 MiB at a time
                fd = os.open(f, os.O_RDONLY)
                try:
                    start = (k * len(want) // 8) & ~(4096 - 1)
                    parts = {}
                    for off in list(range(start, len(want), MiB)) + list(range(0, start, MiB)):
                        n = min(MiB, len(want) - off, (start - off) if off < start else MiB)
                        parts[off] = os.pread(fd, n, off)
                    got[k] = sha(b"".join(parts[o] for o in sorted(parts)))
                finally:
                    os.close(fd)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)

        threads = [threading.Thread(target=reader, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not errors, errors
        assert set(got.values()) == {sha(want)}, "a reader got other bytes"
        r = served(proxy, t0, rel)
        assert union(r) == len(want)
        assert total(r) == len(want), f"bytes fetched twice: {total(r) - len(want)}"


# --------------------------------------------------------------------------- crash, damage

def test_kill_9_while_filling_then_remount(lab, tmp_path):
    rel, want = data_file(lab, "blob")
    proxy = lab.backends["s3"].proxy
    cache = tmp_path / "cache"
    m = mount(lab, tmp_path, cache)
    f = table_dir(m, "blob") / rel
    assert f.stat().st_size == len(want)
    t0 = time.monotonic()
    reading = subprocess.Popen(["cat", str(f)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and total(served(proxy, t0, rel)) < 4 * MiB:
        time.sleep(0.01)
    assert total(served(proxy, t0, rel)) >= 4 * MiB, "the read did not start"
    m.proc.send_signal(signal.SIGKILL)  # mid-fill
    m.proc.wait(timeout=30)
    reading.kill()
    reading.wait(timeout=30)
    subprocess.run(["fusermount3", "-uz", str(m.mp)], capture_output=True)
    first = total(served(proxy, t0, rel))
    m.stop()

    with mounted(lab, tmp_path, cache) as m2:
        t1 = time.monotonic()
        f2 = table_dir(m2, "blob") / rel
        assert sha(f2.read_bytes()) == sha(want)
        again = total(served(proxy, t1, rel))
        assert again < len(want), "nothing of the killed run's cache was reused"
        assert stats(m2)["cache"]["corrupt"] == 0
        assert first + again >= len(want)


def test_damaged_cache_block_refetched(lab, tmp_path):
    rel, want = data_file(lab, "blob")
    proxy = lab.backends["s3"].proxy
    cache = tmp_path / "cache"
    with mounted(lab, tmp_path, cache) as m:
        assert sha((table_dir(m, "blob") / rel).read_bytes()) == sha(want)
    [dat] = [d for d in cache.rglob("*.dat") if d.stat().st_size == len(want)]
    off = 5 * MiB + 1234
    with open(dat, "r+b") as fh:
        fh.seek(off)
        b = fh.read(1)
        fh.seek(off)
        fh.write(bytes([b[0] ^ 0xFF]))
    with mounted(lab, tmp_path, cache) as m:
        t0 = time.monotonic()
        assert sha((table_dir(m, "blob") / rel).read_bytes()) == sha(want)
        r = served(proxy, t0, rel)
        assert len(r) == 1 and r[0][0] <= off < r[0][1], r
        assert total(r) <= 64 * KiB, f"refetched {total(r)} bytes for one damaged block"
        assert stats(m)["cache"]["corrupt"] == 1
        assert "damaged block" in m.stderr()


# --------------------------------------------------------------------------- access patterns

def test_parquet_query_fetches_what_it_reads(lab, tmp_path):
    rel, data = data_file(lab, "wide")
    proxy = lab.backends["s3"].proxy
    local = lab.local["wide"] / rel
    md = pq.ParquetFile(local).metadata
    assert md.num_row_groups == 4 and md.num_columns == NCOLS
    names = [md.schema.column(i).name for i in range(md.num_columns)]
    cols = [names.index("c3"), names.index("c6")]
    need = sum(md.row_group(g).column(c).total_compressed_size
               for g in range(md.num_row_groups) for c in cols)
    need += md.serialized_size + 8
    assert need < len(data) / 3
    with mounted(lab, tmp_path) as m:
        t0 = time.monotonic()
        con = duck.connect()
        try:
            got = con.execute(f"SELECT sum(c3), sum(c6), count(*) FROM "
                              f"delta_scan('{table_dir(m, 'wide')}')").fetchone()
        finally:
            con.close()
        t = pq.read_table(local, columns=["c3", "c6"])
        assert got[2] == t.num_rows
        assert abs(got[0] - pa.compute.sum(t["c3"]).as_py()) < 1e-6 * t.num_rows
        fetched = total(served(proxy, t0, rel))
        assert fetched <= 2 * need, \
            f"fetched {fetched} bytes for {need} needed: {sorted(served(proxy, t0, rel))}"
        assert stats(m)["cache"]["parquet_footers"] >= 1


def test_open_starts_the_first_fetch(lab, tmp_path):
    """An open starts the GET its first read needs: a Parquet file's tail (the
    footer, read first), anything else's first block; the read then waits on
    that fetch, and an open without a read costs that one request."""
    proxy = lab.backends["s3"].proxy
    prel, pwant = data_file(lab, "blob")
    rwant = (lab.local["raw"] / "raw.bin").read_bytes()
    with mounted(lab, tmp_path) as m:
        for path, rel, want, tail in ((table_dir(m, "blob") / prel, prel, pwant, True),
                                      (table_dir(m, "raw") / "raw.bin", "raw/raw.bin", rwant, False)):
            path.stat()  # the listing is in place: only the open counts below
            t0 = time.monotonic()
            fd = os.open(path, os.O_RDONLY)
            try:
                assert wait_for(lambda: served(proxy, t0, rel), 10) is not None, \
                    f"{rel}: no request after the open"
                time.sleep(0.3)
                got = served(proxy, t0, rel)
                assert len(got) == 1, (rel, got)
                [(a, b)] = got
                if tail:  # the last 64 KiB (from a block boundary), whole to the end
                    assert b == len(want) and 64 * KiB <= b - a <= 64 * KiB + 32 * KiB, (a, b)
                    off = len(want) - 8  # where a Parquet reader starts
                else:     # the first block
                    assert a == 0 and 4 * KiB <= b <= MiB, (a, b)
                    off = 0
                t1 = time.monotonic()
                assert os.pread(fd, 8, off) == want[off:off + 8]
                assert served(proxy, t1, rel) == [], "the first read fetched again"
            finally:
                os.close(fd)
        assert stats(m)["cache"]["prefetches"] >= 2


def test_random_reads_fetch_little_more_than_read(lab, tmp_path):
    rel, want = data_file(lab, "blob")
    proxy = lab.backends["s3"].proxy
    with mounted(lab, tmp_path) as m:
        f = table_dir(m, "blob") / rel
        rng = random.Random(3)
        t0 = time.monotonic()
        fd = os.open(f, os.O_RDONLY)
        read = 0
        try:
            for _ in range(100):
                off = rng.randrange(0, len(want) - 64 * KiB) & ~4095
                assert os.pread(fd, 64 * KiB, off) == want[off:off + 64 * KiB]
                read += 64 * KiB
        finally:
            os.close(fd)
        fetched = total(served(proxy, t0, rel))
        assert fetched <= 2 * read, f"fetched {fetched} for {read} read"


def test_sequential_read_uses_growing_requests(lab, tmp_path):
    rel, want = data_file(lab, "blob")
    proxy = lab.backends["s3"].proxy
    with mounted(lab, tmp_path) as m:
        t0 = time.monotonic()
        assert sha((table_dir(m, "blob") / rel).read_bytes()) == sha(want)
        r = served(proxy, t0, rel)
        assert total(r) == len(want), "bytes fetched twice"
        sizes = [b - a for a, b in sorted(r)]
        assert len(r) <= len(want) // MiB, f"{len(r)} requests for {len(want) >> 20} MiB"
        assert max(sizes) >= 4 * MiB, sizes  # the window grew
        s = stats(m)["cache"]
        assert s["prefetches"] > 0 and s["inflight_peak"] <= 64 * MiB


# --------------------------------------------------------------------------- listings

def wait_for(cond, timeout: float) -> float | None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if cond():
            return time.monotonic() - t0
        time.sleep(0.05)
    return None


def test_directory_caching_never_hides_new_commits(lab, tmp_path):
    b = lab.backends["s3"]
    commit = f"{99:020d}.json"
    extra = "zz-new-file.bin"
    try:
        with mounted(lab, tmp_path, extra="log_ttl=1,dir_ttl=2") as m:
            root = table_dir(m, "orders")
            log_dir = root / "_delta_log"
            before = set(os.listdir(log_dir))
            top = set(os.listdir(root))
            for _ in range(3):  # the kernel may keep these listings now
                assert set(os.listdir(log_dir)) == before
                assert set(os.listdir(root)) == top
            b.put(f"tables/orders/_delta_log/{commit}", b'{"commitInfo":{}}\n')
            b.put(f"tables/orders/{extra}", b"x" * 10)
            t = wait_for(lambda: commit in os.listdir(log_dir), 10)
            assert t is not None and t <= 1 + 1.5, f"new commit visible after {t} s (log_ttl=1)"
            t = wait_for(lambda: extra in os.listdir(root), 10)
            assert t is not None and t <= 2 + 1.5, f"new file visible after {t} s (dir_ttl=2)"
    finally:
        lab.s3.delete_object(Bucket="ucfs-cloud", Key=f"tables/orders/_delta_log/{commit}")
        lab.s3.delete_object(Bucket="ucfs-cloud", Key=f"tables/orders/{extra}")


# --------------------------------------------------------------------------- walks

class SlowLogListings:
    """Every _delta_log listing takes DELAY seconds at the storage; counts how
    many run at once."""

    def __init__(self, delay: float):
        self.delay, self.now, self.peak = delay, 0, 0
        self.lock = threading.Lock()

    def check(self, h):
        req = listing_request("s3", h.command, h.path)
        if req and req[0].endswith("/_delta_log/"):
            with self.lock:
                self.now += 1
                self.peak = max(self.peak, self.now)
            time.sleep(self.delay)
            with self.lock:
                self.now -= 1
        return None  # forwarded

    def answer(self, method, path, status, body):
        return body


def log_listings(proxy, since: float) -> dict[str, int]:
    """Listings of each table's _delta_log answered since SINCE."""
    out: dict[str, int] = {}
    for r in list(proxy.records):
        req = listing_request("s3", r.method, r.path)
        if r.t >= since and req and req[0].endswith("/_delta_log/"):
            table = req[0].split("/")[-3]
            out[table] = out.get(table, 0) + 1
    return out


def walk(schema: Path, names: list[str]) -> dict[str, set[str]]:
    """What ls -R does per table: the table's directory, then its _delta_log."""
    out = {}
    for n in names:
        os.listdir(schema / n)
        out[n] = set(os.listdir(schema / n / "_delta_log"))
    return out


def test_walk_lists_logs_ahead(lab, tmp_path):
    b = lab.backends["s3"]
    proxy = b.proxy
    commit = f"{50:020d}.json"
    slow = SlowLogListings(0.25)
    try:
        with mounted(lab, tmp_path, extra="log_ttl=1") as m:
            schema = m.mp / "cm_s3" / SCHEMA
            first = walk(schema, WALKED)
            b.put(f"tables/walk07/_delta_log/{commit}", b'{"commitInfo":{}}\n')
            time.sleep(1.3)  # every listing of the first walk is stale now
            proxy.alter = slow
            t0 = time.monotonic()
            ahead0 = stats(m)["ahead"]["relisted"]
            second = walk(schema, WALKED)
            proxy.alter = None
            got = log_listings(proxy, t0)
            # each stale log listed again, once; the new commit in it
            assert got == {n: 1 for n in WALKED}, got
            assert second["walk07"] == first["walk07"] | {commit}
            assert all(second[n] == first[n] for n in WALKED if n != "walk07")
            # most of them by the threads ahead of the walk, several at once
            ahead = stats(m)["ahead"]["relisted"] - ahead0
            assert ahead >= len(WALKED) - 3, ahead
            assert slow.peak >= 4, f"at most {slow.peak} _delta_log listings at once"

            # One table read again and again: no walk, nothing listed ahead.
            time.sleep(1.3)
            t1 = time.monotonic()
            ahead1 = stats(m)["ahead"]["relisted"]
            for _ in range(3):
                walk(schema, ["walk03"])
            assert set(log_listings(proxy, t1)) <= {"walk03"}
            assert stats(m)["ahead"]["relisted"] == ahead1
    finally:
        proxy.alter = None
        lab.s3.delete_object(Bucket="ucfs-cloud", Key=f"tables/walk07/_delta_log/{commit}")


def test_walk_lists_ahead_only_what_was_listed(lab, tmp_path):
    """Tables nobody listed in this mount are not listed by a walk of others."""
    proxy = lab.backends["s3"].proxy
    with mounted(lab, tmp_path, extra="log_ttl=1") as m:
        schema = m.mp / "cm_s3" / SCHEMA
        walk(schema, WALKED[:4])
        time.sleep(1.3)
        t0 = time.monotonic()
        walk(schema, WALKED[:4])
        time.sleep(0.5)  # the threads' work is done
        got = log_listings(proxy, t0)
        assert set(got) == set(WALKED[:4]), got
        assert all(v == 1 for v in got.values()), got


def test_commits_fetched_ahead_of_a_delta_reader(lab, tmp_path):
    proxy = lab.backends["s3"].proxy
    local = lab.local["commits"] / "_delta_log"
    name = lambda v: f"{v:020d}.json"  # noqa: E731
    t0 = time.monotonic()
    with mounted(lab, tmp_path) as m:
        log_dir = table_dir(m, "commits") / "_delta_log"
        assert (log_dir / name(10)).read_bytes() == (local / name(10)).read_bytes()
        t = wait_for(lambda: stats(m)["ahead"]["commits_fetched"] >= 4, 10)
        assert t is not None, stats(m)["ahead"]

        def fetched(v: int) -> int:
            return sum(1 for r in list(proxy.records) if r.t >= t0 and r.data
                       and r.path.split("?")[0].endswith(f"commits/_delta_log/{name(v)}"))
        # from the checkpoint (6) on, each once; nothing older
        assert [fetched(v) for v in range(11)] == [0] * 6 + [1] * 5
        before = proxy.data_requests()
        for v in range(6, 10):  # what the reader reads next: from the cache
            assert (log_dir / name(v)).read_bytes() == (local / name(v)).read_bytes()
        assert proxy.data_requests() == before
        assert stats(m)["ahead"]["commits_fetched"] == 4
