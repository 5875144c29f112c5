"""scripts/bench's harness (run by scripts/bench after it has installed the tools
and built ucfs; see scripts/bench --help). Argument parsing uses only the
standard library so that scripts/bench can check the arguments first."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ("loopback", "cloud")
# The figures, in the order they run (benchlib.figures.RUNNERS has one function each).
FIGURES = ("seq", "ttfb", "warm", "random", "duckdb", "meta", "rss", "prefetch")


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="scripts/bench", add_help=False)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int)
    ap.add_argument("--size-mib", type=int)
    ap.add_argument("--delta-mib", type=int)
    ap.add_argument("--tables", type=int)
    ap.add_argument("--cloud-tables", type=int)
    ap.add_argument("--meta-storage", choices=("s3", "file"), default="s3")
    ap.add_argument("--random-reads", type=int)
    ap.add_argument("--profiles", default=",".join(PROFILES))
    ap.add_argument("--only", default="")
    ap.add_argument("--rate-gbit", type=float, default=2.0)
    ap.add_argument("--latency-ms", type=int, default=10)
    ap.add_argument("--max-inflight-mib", type=int)
    ap.add_argument("--ucfs-opts", default="")
    ap.add_argument("--with-mountpoint", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--check-args", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    q = a.quick
    a.runs = a.runs if a.runs is not None else (2 if q else 5)
    a.size_mib = a.size_mib or (64 if q else 1024)
    a.delta_mib = a.delta_mib or (16 if q else 500)
    a.tables = a.tables or (50 if q else 2000)
    a.cloud_tables = min(a.cloud_tables or (20 if q else 200), a.tables)
    a.random_reads = a.random_reads or (50 if q else 200)
    a.profiles = [p for p in a.profiles.split(",") if p]
    a.only = [f for f in a.only.split(",") if f] or list(FIGURES)
    errors = []
    for opt, lo, hi in (("runs", 1, 50), ("size_mib", 8, 8192), ("delta_mib", 4, 8192),
                        ("tables", 1, 20000), ("cloud_tables", 1, 20000),
                        ("random_reads", 1, 100000), ("rate_gbit", 0.01, 100),
                        ("latency_ms", 0, 1000)):
        if not lo <= getattr(a, opt) <= hi:
            errors.append(f"--{opt.replace('_', '-')} must be between {lo:g} and {hi:g}")
    bad = [p for p in a.profiles if p not in PROFILES]
    if bad or not a.profiles:
        errors.append(f"--profiles takes a comma-separated subset of {','.join(PROFILES)}")
    bad = [f for f in a.only if f not in FIGURES]
    if bad:
        errors.append(f"--only: unknown figure(s) {','.join(bad)} (known: {','.join(FIGURES)})")
    if errors:
        ap.error("; ".join(errors))
    return a


def main(argv: list[str]) -> int:
    a = parse(argv)
    if a.check_args:
        return 0
    sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "fixtures")]
    from benchlib import harness
    return harness.main(a, ROOT)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main(sys.argv[1:]))
