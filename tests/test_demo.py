"""scripts/demo as a newcomer runs it, start to stop: the sample catalog mounted,
the commands it prints working as printed in a fresh shell (`export UCFS_STATE=`
and `ucfs status --tables`, the DuckDB query offline), and `scripts/demo stop`
unmounting and stopping the Unity Catalog server, twice without harm.

The demo runs with UCFS_DEMO_SKIP_BOOTSTRAP=1 (scripts/test has bootstrapped),
UCFS_BIN (the build under test), its own UCFS_DEMO_DIR and a free UCFS_DEMO_PORT.
"""
from __future__ import annotations

import hashlib
import os
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from duck import connect
from mountutil import ROOT, UCFS, check_stderr, is_mounted
from ucserver import free_port_pair

DEMO = ROOT / "scripts" / "demo"
TABLES = ("retail.orders", "retail.customers", "retail.products", "web.events")
QUERY = ("SELECT product_id, count(*) AS orders, sum(quantity) AS units FROM delta_scan('{}') "
         "GROUP BY product_id ORDER BY product_id")


def fresh_env(home: Path, **extra) -> dict:
    """A new shell's environment: nothing of the demo's or the test's."""
    home.mkdir(exist_ok=True)
    return {"PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8", **extra}


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def ucfs_daemons(*mnts: Path) -> list[int]:
    """Pids of `ucfs mount MNT` processes still running, for any of mnts."""
    want = {os.fsencode(m) for m in mnts}
    pids = []
    for d in Path("/proc").iterdir():
        try:
            argv = (d / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"mount" in argv and want & set(argv) and argv[0].endswith(b"ucfs"):
            pids.append(int(d.name))
    return pids


def box_rows(text: str) -> list[tuple[int, ...]]:
    """The data rows of DuckDB's box rendering (all-integer columns)."""
    cells = [[c.strip() for c in ln.strip().strip("│").split("│")]
             for ln in text.splitlines() if ln.startswith("│")]
    return [tuple(int(c) for c in row) for row in cells[2:]]  # after names and types


def in_new_netns_if_possible(argv: list[str]) -> list[str]:
    """Run argv without a network when this machine lets us (a new network
    namespace has only a down loopback): 'offline' is then checked, not assumed."""
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    return ["unshare", "--net", *argv] if probe.returncode == 0 else argv


def demo_env(tmp_path: Path, port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "UCFS_STATE"}
    san = tmp_path / "sanitizer"
    env.update(UCFS_DEMO_PORT=str(port), UCFS_DEMO_DIR=str(tmp_path / "demo"),
               UCFS_DEMO_SKIP_BOOTSTRAP="1", UCFS_BIN=str(UCFS),
               XDG_CACHE_HOME=str(tmp_path / "cache"),
               # the daemon detaches (stderr closed): sanitizer reports go to files
               ASAN_OPTIONS=f"detect_leaks=1:abort_on_error=0:log_path={san}",
               UBSAN_OPTIONS=f"print_stacktrace=1:halt_on_error=0:log_path={san}")
    return env


def test_demo_start_query_status_stop(tmp_path):
    port = free_port_pair()
    mnt = tmp_path / "mnt"
    env = demo_env(tmp_path, port)
    demo_dir = Path(env["UCFS_DEMO_DIR"])
    try:
        p = subprocess.run([str(DEMO), str(mnt)], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=600, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p.stdout + p.stderr
        out = [ln.strip() for ln in p.stdout.splitlines()]
        assert is_mounted(mnt)
        assert f"{mnt}/ucfs_demo/retail/orders" in p.stdout
        assert "shape: (5, 2)" in p.stdout  # the polars query ran: 5 order dates

        # A new shell: without the export ucfs has no state (what a newcomer hit) ...
        home = tmp_path / "home"
        [export] = [ln for ln in out if ln.startswith("export UCFS_STATE=")]
        [state_kv] = shlex.split(export)[1:]
        state = state_kv.split("=", 1)[1]
        assert Path(state) == (demo_dir / "state.db").resolve()
        [status_cmd] = [ln for ln in out if ln.endswith(" status --tables")]
        argv = shlex.split(status_cmd)
        assert Path(argv[0]).resolve() == UCFS.resolve()
        bare = subprocess.run(argv, env=fresh_env(home), capture_output=True, text=True,
                              cwd=tmp_path, timeout=60)
        check_stderr(bare.stderr)
        assert bare.returncode != 0 and "state" in bare.stderr
        # ... with it, the demo's item and its tables.
        st = subprocess.run(argv, env=fresh_env(home, UCFS_STATE=state), capture_output=True,
                            text=True, cwd=tmp_path, timeout=60)
        check_stderr(st.stderr)
        assert st.returncode == 0, st.stderr
        assert "ucfs_demo" in st.stdout
        for t in TABLES:
            assert t in st.stdout, st.stdout

        # The DuckDB command as printed: rows, offline, in a fresh shell.
        [duck] = [ln for ln in out if "duckdb-delta" in ln and "delta_scan" in ln]
        q = subprocess.run(in_new_netns_if_possible(["bash", "-c", duck]), cwd=tmp_path,
                           env=fresh_env(home), capture_output=True, text=True, timeout=120)
        assert q.returncode == 0, q.stdout + q.stderr
        con = connect()
        try:
            want = con.sql(QUERY.format(demo_dir.resolve() / "data" / "ucfs_demo" / "retail"
                                        / "orders")).fetchall()
        finally:
            con.close()
        assert want and box_rows(q.stdout) == [tuple(r) for r in want]
        ran = p.stdout.split(duck, 1)[1].split("ucfs in another shell")[0]
        assert box_rows(ran) == box_rows(q.stdout)  # the demo ran the same query

        # Run again elsewhere: the server and item are reused, the old mount goes.
        mnt2 = tmp_path / "mnt2"
        again = subprocess.run([str(DEMO), str(mnt2)], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=600,
                               stdin=subprocess.DEVNULL)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "uc-server: already running" in again.stdout
        assert is_mounted(mnt2) and not is_mounted(mnt)
        assert (mnt2 / "ucfs_demo" / "retail" / "orders" / "_delta_log").is_dir()
        mnt = mnt2

        # Stop, as printed: the mount and the server are gone; again: harmless.
        [stop_line] = [ln for ln in out if ln.startswith("Stop it")]
        stop = stop_line.split(": ", 1)[1]
        s1 = subprocess.run(["bash", "-c", stop], cwd=tmp_path, env=fresh_env(home),
                            capture_output=True, text=True, timeout=120)
        assert s1.returncode == 0, s1.stdout + s1.stderr
        assert f"demo: unmounted {mnt}" in s1.stdout and "uc-server: stopped" in s1.stdout
        assert not is_mounted(mnt)
        assert not port_open(port) and not port_open(port + 1)
        s2 = subprocess.run(["bash", "-c", stop], cwd=tmp_path, env=fresh_env(home),
                            capture_output=True, text=True, timeout=60)
        assert s2.returncode == 0, s2.stdout + s2.stderr
        assert "nothing to unmount" in s2.stdout and "uc-server: not running" in s2.stdout
        deadline = time.monotonic() + 30
        while ucfs_daemons(tmp_path / "mnt", mnt2) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not ucfs_daemons(tmp_path / "mnt", mnt2), "a mount's daemon outlived its unmount"
        reports = sorted(tmp_path.glob("sanitizer.*"))
        assert not reports, "\n".join(r.read_text(errors="replace") for r in reports)
    finally:
        for m in (tmp_path / "mnt", tmp_path / "mnt2"):
            if is_mounted(m):
                subprocess.run(["fusermount3", "-uz", str(m)], capture_output=True)
        subprocess.run([str(ROOT / "scripts" / "uc-server"), "stop", "--dir",
                        str(demo_dir / "server")], capture_output=True, timeout=60)


def test_demo_busy_port_names_the_variable(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = demo_env(tmp_path, port)
        p = subprocess.run([str(DEMO), str(tmp_path / "mnt")], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert p.returncode == 1
    assert f"port {port} is already in use" in p.stderr
    assert "UCFS_DEMO_PORT=" in p.stderr, p.stderr
    assert not is_mounted(tmp_path / "mnt")


def test_demo_help_and_usage():
    h = subprocess.run([str(DEMO), "--help"], capture_output=True, text=True, timeout=30)
    assert h.returncode == 0
    for word in ("scripts/demo stop", "UCFS_DEMO_PORT", "UCFS_DEMO_DIR",
                 "UCFS_DEMO_SKIP_BOOTSTRAP", "UCFS_BIN", "export UCFS_STATE"):
        assert word in h.stdout, word
    bad = subprocess.run([str(DEMO), "--bogus"], capture_output=True, text=True, timeout=30)
    assert bad.returncode == 1 and "unknown option" in bad.stderr


def full_venv_stamp() -> str:
    reqs = (ROOT / "tests" / "requirements.txt").read_bytes()
    demo = (ROOT / "scripts" / "requirements-demo.txt").read_bytes()
    return (f"full {hashlib.sha256(reqs + demo).hexdigest()}"
            f"-{sys.version_info[0]}.{sys.version_info[1]}")


def test_bootstrap_demo_is_the_demo_subset():
    """`scripts/bootstrap demo` runs only apt (without the test-only packages), the
    venv and the server jars; a venv bootstrapped in full satisfies it. Run after
    the full bootstrap (scripts/test does it first), so nothing is installed."""
    stamp = ROOT / ".venv" / ".ucfs-stamp"
    if not stamp.is_file() or stamp.read_text().strip() != full_venv_stamp():
        pytest.skip("the venv is not bootstrapped in full for these requirements "
                    "(run scripts/bootstrap): this test must not install anything")
    p = subprocess.run([str(ROOT / "scripts" / "bootstrap"), "demo"], capture_output=True,
                       text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    steps = [ln.split()[1].rstrip(":") for ln in p.stderr.splitlines()
             if ln.startswith("[bootstrap]") and "done in" not in ln]
    assert steps == ["apt", "venv", "ucserver"], p.stderr
    assert "venv: up to date" in p.stderr
    n_demo = int(p.stderr.split("apt: all ")[1].split()[0])
    full = subprocess.run([str(ROOT / "scripts" / "bootstrap"), "apt"], capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert full.returncode == 0, full.stderr
    assert int(full.stderr.split("apt: all ")[1].split()[0]) > n_demo  # clang, libFuzzer
    mixed = subprocess.run([str(ROOT / "scripts" / "bootstrap"), "demo", "venv"],
                           capture_output=True, text=True, timeout=60)
    assert mixed.returncode == 1 and "give it alone" in mixed.stderr
