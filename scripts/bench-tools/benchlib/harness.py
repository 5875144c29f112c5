"""Orchestration of one bench run: data, servers, mounts, the figures for each
network profile, then the report. Everything it sets up is torn down at the
end, on error and on Ctrl-C/SIGTERM; leftovers of a run that was killed
outright (SIGKILL) are removed at the start of the next one."""
from __future__ import annotations

import datetime
import fcntl
import os
import re
import platform
import shutil
import sys
import time
from pathlib import Path

from . import datasets, report
from .clients import Curl, Mountpoint, Ptfs, Rclone, S3fs, Ucfs
from .figures import RUNNERS, Profile, run_figures
from .servers import (HOST_IP, NETNS, NS_IP, ByteCounter, Toxiproxy, Versitygw, mount_tmpfs,
                      netns_down, netns_up, new_keys, start_uc)
from .util import BenchError, Teardown, loadavg, log, run, sigterm_as_interrupt, unmount, write_json


# The passthrough's bdi readahead: 256-512 KiB read fastest here (1 GiB from tmpfs,
# splice): 1.0-1.2 GB/s against 0.8-1.1 at the kernel's 128 and 0.4-0.7 at 1024.
PTFS_READAHEAD_KIB = 512


class Tools:
    def __init__(self, root: Path):
        cache = root / ".cache"
        self.ucfs = Path(os.environ.get("UCFS_BIN") or root / "build-bench" / "ucfs")
        self.versitygw = cache / "go" / "bin" / "versitygw"
        self.toxiproxy = cache / "go" / "bin" / "toxiproxy-server"
        self.ptfs = cache / "bench-tools" / "ptfs"
        self.ucvend = cache / "bench-tools" / "ucvend.jar"
        self.mountpoint = cache / "bench-tools" / "mountpoint-target" / "release" / "ucfs-bench-mountpoint"

    def check(self) -> None:
        missing = [f"{n} ({p})" for n, p in (("ucfs", self.ucfs), ("versitygw", self.versitygw),
                                             ("toxiproxy", self.toxiproxy), ("ptfs", self.ptfs),
                                             ("the credential generator", self.ucvend))
                   if not os.access(p, os.X_OK if n != "the credential generator" else os.R_OK)]
        for exe in ("rclone", "s3fs", "curl", "nft", "ip", "tc", "fusermount3"):
            if not shutil.which(exe):
                missing.append(exe)
        if missing:
            raise BenchError("missing: " + ", ".join(missing) + " (scripts/bench installs and builds "
                             "them; run it rather than bench.py)")


def _cleanup_leftovers(work: Path) -> None:
    """Remove what a killed run left: its mounts, namespace, counter, servers."""
    if not work.exists():
        return
    real = os.path.realpath(work)
    with open("/proc/self/mountinfo") as f:
        mps = [line.split()[4].encode().decode("unicode_escape") for line in f]
    for mp in sorted((m for m in mps if m.startswith(real + "/")), key=len, reverse=True):
        log(f"removing the leftover mount {mp}")
        unmount(Path(mp)) if not mp.endswith("/s3") else run(["umount", "-l", mp], check=False)
    netns_down()
    run(["nft", "delete", "table", "inet", "ucfs_bench"], check=False)
    pids = work / "pids"
    if pids.exists():
        for line in pids.read_text().split():
            _kill_if_ours(int(line))
    if (work / "uc" / "server.pid").exists():
        run([work.parents[2] / "scripts" / "uc-server", "stop", "--dir", work / "uc"], check=False)
    shutil.rmtree(work, ignore_errors=True)


def _kill_if_ours(pid: int) -> None:
    """Kill a process a previous run recorded, if it still runs one of our tools."""
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
    except OSError:
        return
    if any(k in cmd for k in ("versitygw", "toxiproxy", "ucfs", "rclone", "s3fs", "ptfs", "mountpoint")):
        log(f"stopping the leftover process {pid} ({cmd})")
        try:
            os.kill(pid, 9)
        except OSError:
            pass


def _record_pid(work: Path, pid: int) -> None:
    with open(work / "pids", "a") as f:
        f.write(f"{pid}\n")


def _inflight_opt(tools: Tools, mib: int | None) -> str:
    """-o max_inflight= only when this ucfs documents it."""
    if mib is None:
        return ""
    h = run([tools.ucfs, "mount", "--help"], check=False)
    if "max_inflight" not in (h.stdout + h.stderr):
        raise BenchError("--max-inflight-mib: this ucfs has no max_inflight mount option "
                         "(see `ucfs mount --help`)")
    return f"max_inflight={mib}M"


def _default_inflight_mib(tools: Tools) -> int | None:
    """The in-flight budget `ucfs mount --help` documents as its default."""
    h = run([tools.ucfs, "mount", "--help"], check=False)
    m = re.search(r"max_inflight=SIZE[^(]*\(default (\d+)M\)", h.stdout + h.stderr)
    return int(m.group(1)) if m else None


def _ucfs_version(tools: Tools, root: Path) -> str:
    """Which ucfs ran: this tree's commit for the bench's own build, else the binary."""
    ver = run([tools.ucfs, "--version"], check=False).stdout.strip()
    if os.environ.get("UCFS_BIN"):
        return f"{ver} ({tools.ucfs}, UCFS_BIN)"
    rev = run(["git", "-C", root, "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    dirty = run(["git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", "src",
                 "meson.build"], check=False).stdout.strip()
    return f"{ver}, tree {rev}{'+local changes' if dirty else ''} ({tools.ucfs})"


def main(a, root: Path) -> int:  # noqa: C901 (the one place that wires it all)
    sigterm_as_interrupt()
    if os.geteuid() != 0:
        raise SystemExit("scripts/bench: needs root (FUSE mounts, a network namespace, tc, nftables, "
                         "dropping the page cache)")
    tools = Tools(root)
    try:
        tools.check()
        inflight = _inflight_opt(tools, a.max_inflight_mib)
    except BenchError as e:
        raise SystemExit(f"scripts/bench: {e}")
    with_mp = os.access(tools.mountpoint, os.X_OK)
    cache = root / ".cache" / "bench"
    work, data = cache / "run", cache / "data"
    cache.mkdir(parents=True, exist_ok=True)
    lock = open(cache / "bench.lock", "w")  # held until this process exits
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(f"scripts/bench: another bench runs on this machine ({cache}/bench.lock); "
                         "one at a time (they share the namespace, the ports' counter and the cache)")
    _cleanup_leftovers(work)
    work.mkdir(parents=True)
    data.mkdir(parents=True, exist_ok=True)
    started = time.time()
    meta = {
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
        "args": {k: v for k, v in vars(a).items() if k != "check_args"},
        "ucfs": _ucfs_version(tools, root), "host": platform.node(), "kernel": platform.release(),
        "cpus": os.cpu_count(), "loadavg_before": loadavg(), "mountpoint_s3": with_mp,
    }
    log(f"load average before: {meta['loadavg_before']}")
    td = Teardown()
    results, tgs, tables = {}, {}, []
    try:
        obj = datasets.make_object(data, a.size_mib)
        delta = datasets.make_delta(data, a.delta_mib)
        mtree = datasets.make_meta(data, a.tables)
        size = obj.stat().st_size
        s3dir = work / "s3"
        need = (size * datasets.PAR_READERS >> 20) + a.delta_mib * 2 + a.tables // 10 + 512
        mount_tmpfs(s3dir, need, td)
        keys = new_keys()
        lo_gw = Versitygw(tools.versitygw, s3dir, keys, work).start(td)
        _record_pid(work, lo_gw.proc.pid)
        log("uploading the data to versitygw")
        s3 = datasets.s3_client(lo_gw.url, keys)
        datasets.upload_all(s3, obj, delta, mtree)
        uc = start_uc(root, work, tools.ucvend, keys, td)
        from ucapi import UCClient
        log(f"registering {a.tables + 2} tables in Unity Catalog")
        datasets.register_uc(UCClient(uc.url, timeout=60), delta, mtree, a.tables,
                             meta_on_s3=a.meta_storage == "s3")
        states = {}
        for cat in ("bench", "meta"):
            states[cat] = work / f"state-{cat}.db"
            # file:// tables (--meta-storage file) are served only below an allowed root
            run([tools.ucfs, "mirror", "create", "--catalog", cat, "--host", uc.url,
                 "--allow-local", str(os.path.realpath(data))],
                env={**os.environ, "UCFS_STATE": str(states[cat]),
                     "DATABRICKS_CONFIG_FILE": "/nonexistent/ucfs-bench-databrickscfg"})
        for name in a.profiles:
            ptd = Teardown()
            try:
                guard = None
                if name == "loopback":
                    if lo_gw.proc is None:  # stopped by a cloud profile run first
                        lo_gw.start(td)
                        _record_pid(work, lo_gw.proc.pid)
                    gw = lo_gw
                    endpoint = gw.url
                    counter = ByteCounter(gw.port, None, ptd)
                    desc = "plain loopback (CPU per byte)"
                else:
                    lo_gw.stop()
                    netns_up(a.rate_gbit, ptd)
                    gw = Versitygw(tools.versitygw, s3dir, keys, work, host=NS_IP, netns=NETNS).start(ptd)
                    _record_pid(work, gw.proc.pid)
                    tp = Toxiproxy(tools.toxiproxy, f"{NS_IP}:{gw.port}", a.latency_ms, work).start(ptd)
                    _record_pid(work, tp.proc.pid)
                    endpoint = tp.url
                    guard = tp.check_rss
                    counter = ByteCounter(gw.port, NETNS, ptd)
                    desc = (f"storage in a network namespace ({HOST_IP} -> {NS_IP}), tbf {a.rate_gbit:g} "
                            f"Gbit/s each way, toxiproxy adds a {2 * a.latency_ms} ms round trip "
                            f"({a.latency_ms} ms each way); every client goes through the proxy")
                # the cloud link walks a subset of the tables (see figures.fig_meta)
                walked = ([f"{datasets.schema_of(i)}/t{i}" for i in range(a.cloud_tables)]
                          if name == "cloud" and a.cloud_tables < a.tables and a.meta_storage == "s3"
                          else None)
                mnt = work / "mnt" / name
                prof_work = work / name
                prof_work.mkdir(parents=True)
                opts = ",".join(o for o in (inflight, a.ucfs_opts) if o)
                ucfs = Ucfs(tools.ucfs, states["bench"], endpoint, mnt / "ucfs", prof_work, ptd,
                            {"seq/": "bench/s/seq/", "delta/": "bench/s/delta/"}, opts)
                ucfs_meta = Ucfs(tools.ucfs, states["meta"], endpoint, mnt / "ucfs-meta",
                                 prof_work / "meta", ptd, {}, opts)
                (prof_work / "meta").mkdir()
                peers = [Rclone(endpoint, keys, "seq", mnt / "rclone", prof_work, ptd),
                         Rclone(endpoint, keys, "seq", mnt / "rclone-full", prof_work, ptd, full_cache=True),
                         S3fs(endpoint, keys, "seq", mnt / "s3fs", prof_work, ptd)]
                if with_mp:
                    peers.append(Mountpoint(tools.mountpoint, endpoint, keys, "seq", mnt / "mountpoint",
                                            prof_work, ptd))
                p = Profile(
                    name=name, description=desc, endpoint=endpoint, curl=Curl(endpoint, keys),
                    counter=counter, ucfs=ucfs, ucfs_meta=ucfs_meta, peers=peers,
                    ptfs=Ptfs(tools.ptfs, s3dir / "bench", mnt / "ptfs", prof_work, ptd, PTFS_READAHEAD_KIB),
                    ptfs_meta=Ptfs(tools.ptfs, mtree, mnt / "ptfs-meta", prof_work / "meta", ptd),
                    local_object=obj, local_delta=delta, local_meta=mtree, size=size, runs=a.runs,
                    python=sys.executable, duck_script=root / "scripts" / "bench-tools" / "duck_query.py",
                    keys=keys, random_reads=a.random_reads, meta_tables=walked, guard=guard,
                    server_pid=gw.proc.pid)
                log(f"profile {name}: {desc}")
                run_figures(p, [f for f in a.only if f in RUNNERS])
                results[name] = {"description": desc, "figures": p.results}
                tgs[name] = report.targets(name, p.results, size,
                                           a.max_inflight_mib or _default_inflight_mib(tools))
                info = {"random": a.random_reads, "tables": len(walked) if walked else a.tables,
                        "where": "S3" if a.meta_storage == "s3" else "local file://"}
                results[name]["info"] = info
                tables.append(report.table(name, desc, p.results, size, info) + "\n"
                              + report.targets_text(tgs[name]))
            finally:
                ptd.run()
    except KeyboardInterrupt:
        log("interrupted: tearing down")
        td.run()
        return 130
    except BenchError as e:
        log(f"FAILED: {e}")
        td.run()
        return 1
    finally:
        td.run()
    meta["loadavg_after"] = loadavg()
    meta["seconds"] = round(time.time() - started, 1)
    out = Path(a.json) if a.json else cache / "results" / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(out, {"meta": meta, "profiles": results, "targets": tgs})
    print()
    print(f"ucfs: {meta['ucfs']}")
    print("\n\n".join(tables))
    print(f"\nload average before: {meta['loadavg_before']}   after: {meta['loadavg_after']}   "
          f"({os.cpu_count()} CPUs); took {meta['seconds']:.0f} s")
    if not with_mp:
        print("mountpoint-s3: not in this run (scripts/bench --with-mountpoint builds it once)")
    print(f"raw runs: {out}")
    shutil.rmtree(work, ignore_errors=True)
    return 0
