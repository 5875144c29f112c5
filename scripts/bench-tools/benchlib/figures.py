"""The measurements. Each figure runs its clients interleaved (A, B, C, A, B, C...)
for the configured number of runs and records every run in Profile.results:

    results[figure][client] = [{"value": ..., extra counters...}, ...]

"Cold" means a fresh mount with an empty cache for mounted readers, a fresh
process for curl and DuckDB, and the page cache dropped for local files; the
S3 server keeps its data in memory (tmpfs), as a cloud store keeps it hot.
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .clients import Curl, FuseClient, Ucfs, bytes_fetched
from .datasets import PAR_READERS
from .servers import ByteCounter
from .util import (BenchError, children_cpu_seconds, drop_caches, log, proc_cpu_seconds,
                   proc_hwm_kib, read_file)

RANDOM_SIZE = 64 << 10


@dataclass
class Profile:
    name: str
    description: str
    endpoint: str
    curl: Curl
    counter: ByteCounter
    ucfs: Ucfs                      # the data catalog (bench)
    ucfs_meta: Ucfs                 # the 2,000-table catalog (meta)
    peers: list[FuseClient]         # S3 peers (rclone, s3fs, mountpoint-s3)
    ptfs: FuseClient                # passthrough of the object's directory (tmpfs)
    ptfs_meta: FuseClient           # passthrough of the local metadata tree
    local_object: Path
    local_delta: Path
    local_meta: Path
    size: int
    runs: int
    python: str
    duck_script: Path
    keys: object
    random_reads: int = 200
    meta_tables: list[str] | None = None   # walk only these tables (relative paths), or all
    guard: object = None                   # called after every run (e.g. a proxy's RSS check)
    server_pid: int | None = None          # the S3 server's process (its CPU seconds per walk)
    results: dict = field(default_factory=dict)

    def add(self, figure: str, client: str, value: float, **extra) -> None:
        self.results.setdefault(figure, {}).setdefault(client, []).append({"value": value, **extra})
        if self.guard:
            self.guard()


def _mb_s(nbytes: int, seconds: float) -> float:
    return nbytes / max(seconds, 1e-9) / 1e6


@contextmanager
def cold_mount(c: FuseClient, warm_up: bool = True):
    """A fresh mount of C (empty caches); with warm_up, the small object is read
    first so credentials, the listing and a connection are in place before the
    timed read (as for curl, whose timed transfer reuses a connection)."""
    c.start()
    try:
        if warm_up:
            c.path("seq/small.bin").read_bytes()
        yield c
    finally:
        c.stop()


# ---------------------------------------------------------------- cold sequential
def fig_seq(p: Profile) -> None:
    fuse = [p.ucfs, *p.peers, p.ptfs]
    for r in range(p.runs):
        log(f"{p.name}: cold sequential, run {r + 1}/{p.runs}")
        for c in fuse:
            with cold_mount(c, warm_up=c is not p.ptfs):
                cpu0, b0 = proc_cpu_seconds(c.pid), p.counter.bytes()
                t0 = time.monotonic()
                n = read_file(c.path("seq/big.bin"))
                dt = time.monotonic() - t0
                cpu = proc_cpu_seconds(c.pid) - cpu0
                if n != p.size:
                    raise BenchError(f"{c.label} read {n} bytes of seq/big.bin, expected {p.size}")
                p.add("seq", c.name, _mb_s(n, dt), seconds=dt, cpu_s=cpu,
                      server_bytes=p.counter.bytes() - b0)
        # curl: one GET on a connection opened by a first small GET
        cpu0, b0 = children_cpu_seconds(), p.counter.bytes()
        out = p.curl.run([p.curl.block("seq/small.bin"),
                          p.curl.block("seq/big.bin", write_out="%{time_total} %{size_download}\\n")])
        t, n = out.split()
        p.add("seq", "curl", _mb_s(int(n), float(t)), seconds=float(t),
              cpu_s=children_cpu_seconds() - cpu0, server_bytes=p.counter.bytes() - b0)
        # curl: 8 parallel range GETs of one eighth each (8 connections)
        k = 8
        step = -(-p.size // k)
        blocks = [p.curl.block("seq/big.bin", (a, min(a + step, p.size) - 1))
                  for a in range(0, p.size, step)]
        cpu0, b0 = children_cpu_seconds(), p.counter.bytes()
        t0 = time.monotonic()
        p.curl.run(blocks, parallel=k)
        dt = time.monotonic() - t0
        p.add("seq", "curl-ranges", _mb_s(p.size, dt), seconds=dt,
              cpu_s=children_cpu_seconds() - cpu0, server_bytes=p.counter.bytes() - b0)
        # local disk, page cache dropped
        drop_caches()
        t0 = time.monotonic()
        n = read_file(p.local_object)
        p.add("seq", "local", _mb_s(n, time.monotonic() - t0))


# ---------------------------------------------------------------- first byte
def fig_ttfb(p: Profile) -> None:
    for r in range(p.runs):
        log(f"{p.name}: time to first byte, run {r + 1}/{p.runs}")
        for c in [p.ucfs, *p.peers]:
            with cold_mount(c):
                t0 = time.monotonic()
                f = open(c.path("seq/big.bin"), "rb", buffering=0)
                t1 = time.monotonic()
                got = len(f.read(4096))
                t2 = time.monotonic()
                f.close()
                dt = time.monotonic() - t0
                if got != 4096:
                    raise BenchError(f"{c.label}: first 4 KiB read returned {got} bytes")
                # where it went (JSON only): open (lookup + open), read, close
                p.add("ttfb", c.name, dt * 1e3, open_ms=round((t1 - t0) * 1e3, 3),
                      read_ms=round((t2 - t1) * 1e3, 3), close_ms=round((dt - (t2 - t0)) * 1e3, 3))
        out = p.curl.run([p.curl.block("seq/small.bin"),
                          p.curl.block("seq/big.bin", (0, 4095), write_out="%{time_total}\\n")])
        p.add("ttfb", "curl", float(out.split()[0]) * 1e3)


# ---------------------------------------------------------------- warm sequential
def fig_warm(p: Profile) -> None:
    with cold_mount(p.ucfs) as c:
        log(f"{p.name}: warm sequential: filling ucfs's disk cache")
        read_file(c.path("seq/big.bin"))
        for r in range(p.runs):
            log(f"{p.name}: warm sequential, run {r + 1}/{p.runs}")
            drop_caches()
            cpu0, b0 = proc_cpu_seconds(c.pid), p.counter.bytes()
            t0 = time.monotonic()
            n = read_file(c.path("seq/big.bin"))
            dt = time.monotonic() - t0
            p.add("warm", "ucfs", _mb_s(n, dt), seconds=dt, cpu_s=proc_cpu_seconds(c.pid) - cpu0,
                  server_bytes=p.counter.bytes() - b0)
            drop_caches()
            t0 = time.monotonic()
            n = read_file(p.local_object)
            p.add("warm", "local", _mb_s(n, time.monotonic() - t0))


# ---------------------------------------------------------------- random 64 KiB
def random_ranges(size: int, count: int) -> list[tuple[int, int]]:
    rng = random.Random(64)
    out = []
    for _ in range(count):
        a = rng.randrange(0, max(size - RANDOM_SIZE, 1)) & ~4095
        out.append((a, a + RANDOM_SIZE - 1))
    return out


def fig_random(p: Profile) -> None:
    ranges = random_ranges(p.size, p.random_reads)
    read_bytes = sum(b - a + 1 for a, b in ranges)
    for r in range(p.runs):
        log(f"{p.name}: {p.random_reads} random 64 KiB reads, run {r + 1}/{p.runs}")
        for c in [p.ucfs, *p.peers]:
            with cold_mount(c):
                s0 = bytes_fetched(c.stats()) if c is p.ucfs else None
                b0 = p.counter.bytes()
                t0 = time.monotonic()
                with open(c.path("seq/big.bin"), "rb", buffering=0) as f:
                    for a, b in ranges:
                        if len(os.pread(f.fileno(), b - a + 1, a)) != b - a + 1:
                            raise BenchError(f"{c.label}: short read at {a}")
                dt = time.monotonic() - t0
                extra = {"server_bytes": p.counter.bytes() - b0, "bytes_read": read_bytes}
                if s0 is not None:
                    extra["ucfs_bytes_fetched"] = bytes_fetched(c.stats()) - s0
                p.add("random", c.name, dt, **extra)
        b0 = p.counter.bytes()
        blocks = [p.curl.block("seq/small.bin")]
        blocks += [p.curl.block("seq/big.bin", rg, write_out="%{time_total}\\n") for rg in ranges]
        out = p.curl.run(blocks)
        p.add("random", "curl", sum(float(x) for x in out.split()),
              server_bytes=p.counter.bytes() - b0, bytes_read=read_bytes)


# ---------------------------------------------------------------- DuckDB
def _duck(p: Profile, location: str, s3: bool) -> dict:
    env = None
    if s3:
        env = {**os.environ, "BENCH_S3_ENDPOINT": p.endpoint, "BENCH_S3_KEY": p.keys.access,
               "BENCH_S3_SECRET": p.keys.secret}
    r = subprocess.run([p.python, str(p.duck_script), location], capture_output=True, text=True,
                       timeout=900, env=env, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise BenchError(f"DuckDB on {location} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def fig_duckdb(p: Profile) -> None:
    answers = set()
    for r in range(p.runs):
        log(f"{p.name}: DuckDB delta_scan, run {r + 1}/{p.runs}")
        with cold_mount(p.ucfs) as c:
            where = str(c.path("delta/"))
            s0, b0 = bytes_fetched(c.stats()), p.counter.bytes()
            q = _duck(p, where, False)
            answers.add((q["count"], round(q["sum"], 3)))
            p.add("duckdb_cold", "ucfs", q["seconds"], server_bytes=p.counter.bytes() - b0,
                  ucfs_bytes_fetched=bytes_fetched(c.stats()) - s0)
            drop_caches()
            b0 = p.counter.bytes()
            q = _duck(p, where, False)
            p.add("duckdb_warm", "ucfs", q["seconds"], server_bytes=p.counter.bytes() - b0)
        b0 = p.counter.bytes()
        q = _duck(p, "s3://bench/delta", True)
        answers.add((q["count"], round(q["sum"], 3)))
        p.add("duckdb_cold", "duckdb-s3", q["seconds"], server_bytes=p.counter.bytes() - b0)
        drop_caches()
        q = _duck(p, str(p.local_delta), False)
        answers.add((q["count"], round(q["sum"], 3)))
        p.add("duckdb_warm", "local", q["seconds"])
    if len(answers) != 1:
        raise BenchError(f"DuckDB answers differ between readers: {sorted(answers)}")


# ---------------------------------------------------------------- ls -R / find
class _CpuWatch:
    """CPU seconds of a FUSE daemon and of the S3 server between laps (what
    a walk costs each side: JSON only)."""

    def __init__(self, daemon: int | None, server: int | None):
        self.pids = {"cpu_s": daemon, "server_cpu_s": server}
        self.last = self._now()

    def _now(self) -> dict:
        return {k: proc_cpu_seconds(pid) for k, pid in self.pids.items() if pid}

    def lap(self) -> dict:
        now = self._now()
        out = {k: round(v - self.last.get(k, v), 3) for k, v in now.items()}
        self.last = now
        return out


def _tree_walk(cmd: list[str]) -> tuple[float, int]:
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, timeout=1800)
    dt = time.monotonic() - t0
    if r.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited {r.returncode}: {r.stderr[-2000:]!r}")
    return dt, r.stdout.count(b"\n")


def fig_meta(p: Profile) -> None:
    """ls -R and find over the catalog (or, when p.meta_tables is set, over those
    table directories only: on the cloud link a full cold walk of 2,000 tables is
    minutes of LIST round trips per run)."""
    counts = {}
    # The ucfs item also lists its .ucfs dot-directory: ls -R leaves dot entries
    # out, find is told to, so every reader walks the same entries.
    walks = {"ls": ["ls", "-R"],
             # -printf %s needs every entry's attributes (a getattr each)
             "find": ["find", "-name", ".ucfs", "-prune", "-o", "-printf", "%s %p\n"]}
    for r in range(p.runs):
        log(f"{p.name}: ls -R / find of the catalog, run {r + 1}/{p.runs}")
        for w, cmd in walks.items():
            for name, mount, root in (("ucfs", p.ucfs_meta, None), ("ptfs", p.ptfs_meta, None),
                                      ("local", None, p.local_meta)):
                if mount:
                    mount.start()
                    root = mount.mp / "meta" if mount is p.ucfs_meta else mount.mp
                try:
                    dirs = [str(root / t) for t in p.meta_tables] if p.meta_tables else [str(root)]
                    # find takes its start points first, ls its options
                    argv = [cmd[0], *dirs, *cmd[1:]] if w == "find" else [*cmd, *dirs]
                    drop_caches()
                    cpu = _CpuWatch(mount.pid if mount else None, p.server_pid)
                    cold, n = _tree_walk(argv)
                    cold_cpu = cpu.lap()
                    warm, n2 = _tree_walk(argv)
                    counts.setdefault((w, name), set()).update({n, n2})
                    p.add(f"{w}_cold", name, cold, lines=n, **cold_cpu)
                    p.add(f"{w}_warm", name, warm, lines=n2, **cpu.lap())
                finally:
                    if mount:
                        mount.stop()
    for w in walks:
        seen = {name: sorted(v) for (ww, name), v in counts.items() if ww == w}
        if len({tuple(v) for v in seen.values()}) != 1:
            log(f"WARNING: {w} printed different line counts per reader: {seen}")


# ---------------------------------------------------------------- parallel readers
def fig_rss(p: Profile) -> None:
    keys = ["seq/big.bin"] + [f"seq/par{i}.bin" for i in range(1, PAR_READERS)]
    for c in [p.ucfs, *p.peers]:
        log(f"{p.name}: {PAR_READERS} parallel cold readers through {c.label}")
        with cold_mount(c):
            errors = []

            def reader(key: str) -> None:
                try:
                    if read_file(c.path(key)) != p.size:
                        errors.append(f"short read of {key}")
                except OSError as e:
                    errors.append(f"{key}: {e}")
            cpu0 = proc_cpu_seconds(c.pid)
            t0 = time.monotonic()
            threads = [threading.Thread(target=reader, args=(k,)) for k in keys]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            dt = time.monotonic() - t0
            if errors:
                raise BenchError(f"{c.label}: parallel readers failed: {errors}")
            p.add("rss", c.name, proc_hwm_kib(c.pid) / 1024, seconds=dt,
                  mb_s=_mb_s(p.size * len(keys), dt), cpu_s=proc_cpu_seconds(c.pid) - cpu0)


# ---------------------------------------------------------------- snapshot prefetch
def fig_prefetch(p: Profile) -> None:
    """`ucfs prefetch` of the Delta table's latest snapshot into a fresh mount's
    cache, against curl fetching the same files (8 parallel GETs): MB/s of the
    snapshot's bytes."""
    files = sorted(f.relative_to(p.local_delta).as_posix() for f in p.local_delta.rglob("*")
                   if f.is_file() and f.name != "_last_checkpoint" and not f.name.endswith(".crc"))
    total = sum((p.local_delta / f).stat().st_size for f in files)
    for r in range(p.runs):
        log(f"{p.name}: snapshot prefetch, run {r + 1}/{p.runs}")
        with cold_mount(p.ucfs) as c:
            env = {**c.env(), "UCFS_PYTHON": p.python}
            b0 = p.counter.bytes()
            t0 = time.monotonic()
            out = subprocess.run([str(c.binary), "prefetch", str(c.path("delta/")), "--json"],
                                 env=env, capture_output=True, text=True, timeout=1800)
            dt = time.monotonic() - t0
            if out.returncode != 0:
                raise BenchError(f"ucfs prefetch failed ({out.returncode}): {out.stderr[-2000:]}")
            last = json.loads(out.stdout.strip().splitlines()[-1])
            p.add("prefetch", "ucfs", _mb_s(last["bytes"], dt), seconds=dt, bytes=last["bytes"],
                  server_bytes=p.counter.bytes() - b0)
        blocks = [p.curl.block(f"delta/{f}") for f in files]
        t0 = time.monotonic()
        p.curl.run(blocks, parallel=8)
        p.add("prefetch", "curl-files", _mb_s(total, time.monotonic() - t0), bytes=total)


RUNNERS = {"seq": fig_seq, "ttfb": fig_ttfb, "warm": fig_warm, "random": fig_random,
           "duckdb": fig_duckdb, "meta": fig_meta, "rss": fig_rss, "prefetch": fig_prefetch}


def run_figures(p: Profile, which: list[str]) -> None:
    for f in which:
        t0 = time.monotonic()
        RUNNERS[f](p)
        log(f"{p.name}: {f} done in {time.monotonic() - t0:.0f} s")
    sys.stderr.flush()
