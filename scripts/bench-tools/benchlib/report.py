"""The bench's output: one table per profile (every client's median, min and
max, and ucfs's ratio against each), the issue's targets with the ratio each
run reached, and the raw runs as JSON."""
from __future__ import annotations

import statistics

# figure key, title, unit, True when higher is better
ROWS = [
    ("seq", "cold sequential read of {size}", "MB/s", True),
    ("ttfb", "time to first 4 KiB, cold file", "ms", False),
    ("warm", "warm sequential (page cache dropped)", "MB/s", True),
    ("random", "{random} random 64 KiB reads, cold", "s", False),
    ("random_bytes", "  bytes sent by the server for them", "MB", False),
    ("random_ucfs", "  bytes fetched per ucfs's stats.json", "MB", False),
    ("duckdb_cold", "DuckDB delta_scan count+sum, cold", "s", False),
    ("duckdb_bytes", "  bytes sent by the server for it", "MB", False),
    ("duckdb_warm", "DuckDB delta_scan count+sum, warm", "s", False),
    ("ls_cold", "ls -R of {tables} tables ({where}), cold", "s", False),
    ("ls_warm", "ls -R of {tables} tables ({where}), warm", "s", False),
    ("find_cold", "find -printf %s of {tables} tables ({where}), cold", "s", False),
    ("find_warm", "find -printf %s of {tables} tables ({where}), warm", "s", False),
    ("rss", "daemon peak RSS, 4 parallel cold readers", "MiB", False),
    ("prefetch", "snapshot prefetch of the Delta table, cold", "MB/s", True),
    ("cpu", "CPU seconds per GiB, cold sequential", "s/GiB", False),
]

LABELS = {
    "ucfs": "ucfs", "curl": "curl single GET", "curl-ranges": "curl 8 parallel ranges",
    "rclone": "rclone mount", "rclone-full": "rclone mount, vfs full", "s3fs": "s3fs",
    "mountpoint-s3": "mountpoint-s3", "ptfs": "FUSE passthrough", "local": "local disk",
    "duckdb-s3": "DuckDB on S3 directly", "curl-files": "curl 8 parallel GETs, its files",
}


def derived(results: dict, size: int) -> dict:
    """Rows computed from recorded runs: CPU per GiB, bytes from the server."""
    out = dict(results)
    gib = size / (1 << 30)
    cpu = {c: [{"value": r["cpu_s"] / gib} for r in runs if "cpu_s" in r]
           for c, runs in results.get("seq", {}).items()}
    out["cpu"] = {c: v for c, v in cpu.items() if v}
    ucfs_rnd = [{"value": r["ucfs_bytes_fetched"] / 1e6}
                for r in results.get("random", {}).get("ucfs", []) if "ucfs_bytes_fetched" in r]
    if ucfs_rnd:
        out["random_ucfs"] = {"ucfs": ucfs_rnd}
    for fig, row in (("random", "random_bytes"), ("duckdb_cold", "duckdb_bytes")):
        b = {c: [{"value": r["server_bytes"] / 1e6} for r in runs if "server_bytes" in r]
             for c, runs in results.get(fig, {}).items()}
        out[row] = {c: v for c, v in b.items() if v}
    return out


def stats(runs: list[dict]) -> dict:
    v = [r["value"] for r in runs]
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def fmt(x: float) -> str:
    if x >= 100:
        return f"{x:,.0f}"
    if x >= 10:
        return f"{x:.1f}"
    if x >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def size_label(size: int) -> str:
    return f"{size >> 30} GiB" if size >= 1 << 30 else f"{size >> 20} MiB"


def table(name: str, description: str, results: dict, size: int, info: dict) -> str:
    """INFO: random (reads per run) and tables (tables walked), for the titles."""
    res = derived(results, size)
    lines = [f"== {name}: {description} ==",
             f"{'figure':54} {'client':24} {'median':>9} {'min':>9} {'max':>9}  unit   ucfs/this"]
    for key, title, unit, _ in ROWS:
        clients = res.get(key)
        if not clients:
            continue
        u = stats(clients["ucfs"])["median"] if "ucfs" in clients else None
        order = ["ucfs"] + [c for c in clients if c != "ucfs"]
        for i, c in enumerate(order):
            if c not in clients:
                continue
            s = stats(clients[c])
            ratio = f"{u / s['median']:.2f}x" if u is not None and c != "ucfs" and s["median"] else ""
            t = title.format(size=size_label(size), **info) if i == 0 else ""
            lines.append(f"{t:54} {LABELS.get(c, c):24} {fmt(s['median']):>9} {fmt(s['min']):>9} "
                         f"{fmt(s['max']):>9}  {unit:6} {ratio}")
    return "\n".join(lines)


def _med(res: dict, fig: str, client: str) -> float | None:
    runs = res.get(fig, {}).get(client)
    return stats(runs)["median"] if runs else None


def targets(name: str, results: dict, size: int, inflight_mib: float | None) -> list[dict]:
    """The issue's targets, each with the ratio this run reached (medians)."""
    res = derived(results, size)
    out = []

    def add(what, value, op, bound, note=""):
        if value is None:
            return
        ok = value >= bound if op == ">=" else value <= bound
        out.append({"target": what, "value": value, "op": op, "bound": bound, "ok": ok, "note": note})

    def ratio(fig, a, b):
        x, y = _med(res, fig, a), _med(res, fig, b)
        return x / y if x is not None and y else None

    if name == "loopback":
        lows = [v for v in (_med(res, "seq", "curl"), _med(res, "seq", "ptfs")) if v]
        u = _med(res, "seq", "ucfs")
        if lows and u is not None:
            add("cold sequential / min(curl single GET, FUSE passthrough)", u / min(lows), ">=", 0.9)
    else:
        add("cold sequential / curl 8 parallel ranges", ratio("seq", "ucfs", "curl-ranges"), ">=", 0.9)
    add("time to first byte / curl range GET", ratio("ttfb", "ucfs", "curl"), "<=", 1.5)
    add("cold sequential / mountpoint-s3", ratio("seq", "ucfs", "mountpoint-s3"), ">=", 1.2)
    add("random reads time / mountpoint-s3", ratio("random", "ucfs", "mountpoint-s3"), "<=", 1.0)
    add("warm sequential / local file", ratio("warm", "ucfs", "local"), ">=", 1.0)
    rnd = res.get("random", {}).get("ucfs")
    if rnd:
        fetched = statistics.median(r["server_bytes"] for r in rnd)
        add("random reads: bytes fetched / bytes read", fetched / rnd[0]["bytes_read"], "<=", 2.0)
    add("random reads time / curl same ranges", ratio("random", "ucfs", "curl"), "<=", 1.5)
    add("DuckDB cold / DuckDB on S3 directly", ratio("duckdb_cold", "ucfs", "duckdb-s3"), "<=", 1.0)
    add("DuckDB warm / local disk", ratio("duckdb_warm", "ucfs", "local"), "<=", 1.1)
    add("warm ls -R / local disk", ratio("ls_warm", "ucfs", "local"), "<=", 3.0)
    add("warm ls -R seconds", _med(res, "ls_warm", "ucfs"), "<=", 0.2)
    rss = _med(res, "rss", "ucfs")
    if rss is not None:
        if inflight_mib is not None:
            add(f"daemon peak RSS MiB (64 + max_inflight {inflight_mib:g})", rss, "<=", 64 + inflight_mib)
        else:
            add("daemon peak RSS MiB (64 + in-flight budget: not set)", rss, "<=", 64.0,
                "this ucfs has no max_inflight option; bound shown without the budget")
    add("CPU per GiB / curl's", ratio("cpu", "ucfs", "curl"), "<=", 2.0)
    return out


def targets_text(tg: list[dict]) -> str:
    lines = ["targets (issue 7, medians of this run):"]
    for t in tg:
        verdict = "ok" if t["ok"] else "MISS"
        lines.append(f"  {t['target']:62} {t['value']:8.2f}  ({t['op']} {t['bound']:g})  {verdict}"
                     + (f"  [{t['note']}]" if t["note"] else ""))
    return "\n".join(lines)
