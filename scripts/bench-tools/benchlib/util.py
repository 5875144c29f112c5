"""Process, mount, timing and teardown helpers for scripts/bench.

Everything the bench starts or changes on the machine is registered with a
Teardown (a stack run in reverse on exit, error or Ctrl-C/SIGTERM), so a run
leaves no mount, namespace, qdisc, firewall table or process behind. Every
wait is bounded.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

from mountutil import is_mounted as mounted  # tests/mountutil.py (on sys.path)

CLK_TCK = os.sysconf("SC_CLK_TCK")


class BenchError(RuntimeError):
    """A harness step failed: the message says which and what to look at."""


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


class Teardown:
    def __init__(self):
        self._stack: list[tuple[str, callable]] = []

    def push(self, what: str, fn) -> None:
        self._stack.append((what, fn))

    def run(self) -> None:
        # Ctrl-C during teardown must not leave half of it undone.
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            while self._stack:
                what, fn = self._stack.pop()
                try:
                    fn()
                except Exception as e:  # keep tearing down the rest
                    log(f"teardown: {what}: {e}")
        finally:
            signal.signal(signal.SIGINT, old)


def sigterm_as_interrupt() -> None:
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def run(args, check=True, timeout=600, env=None, capture=True, input=None, cwd=None):
    """Run a command; a failure raises BenchError with its output."""
    try:
        p = subprocess.run([str(a) for a in args], capture_output=capture, text=True,
                           timeout=timeout, env=env, input=input, cwd=cwd,
                           stdin=None if input is not None else subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise BenchError(f"{args[0]} did not finish within {timeout} s: {' '.join(map(str, args))}")
    if check and p.returncode != 0:
        out = ((p.stdout or "") + (p.stderr or "")).strip()[-3000:]
        raise BenchError(f"{' '.join(map(str, args[:3]))} ... exited {p.returncode}:\n{out}")
    return p


def unmount(path: Path, timeout: float = 30) -> None:
    if not mounted(path):
        return
    subprocess.run(["fusermount3", "-u", str(path)], capture_output=True)
    deadline = time.monotonic() + timeout
    while mounted(path) and time.monotonic() < deadline:
        time.sleep(0.1)
        subprocess.run(["fusermount3", "-u", str(path)], capture_output=True)
    if mounted(path):
        subprocess.run(["fusermount3", "-uz", str(path)], capture_output=True)
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def wait_mounted(path: Path, proc: subprocess.Popen | None, what: str, logfile: Path | None,
                 timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if mounted(path):
            return
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{what} exited {proc.returncode} before mounting {path}:\n{tail(logfile)}")
        time.sleep(0.05)
    raise BenchError(f"{what} did not mount {path} within {timeout:.0f} s:\n{tail(logfile)}")


def wait_port(host: str, port: int, what: str, proc: subprocess.Popen | None = None,
              logfile: Path | None = None, timeout: float = 60, netns: str | None = None) -> None:
    import socket
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise BenchError(f"{what} exited {proc.returncode}:\n{tail(logfile)}")
        if netns:
            ok = subprocess.run(["ip", "netns", "exec", netns, "bash", "-c",
                                 f"exec 3<>/dev/tcp/{host}/{port}"], capture_output=True).returncode == 0
        else:
            try:
                with socket.create_connection((host, port), timeout=1):
                    ok = True
            except OSError:
                ok = False
        if ok:
            return
        time.sleep(0.1)
    raise BenchError(f"{what} not listening on {host}:{port} after {timeout:.0f} s:\n{tail(logfile)}")


def tail(path: Path | None, n: int = 30) -> str:
    if not path:
        return ""
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def stop_process(proc: subprocess.Popen | None, timeout: float = 15) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def drop_caches() -> None:
    subprocess.run(["sync"], check=False)
    Path("/proc/sys/vm/drop_caches").write_text("3\n")


def proc_cpu_seconds(pid: int) -> float:
    """utime+stime of a process (all its threads), from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_hwm_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise BenchError(f"no VmHWM for pid {pid}")


def proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for pid {pid}")


def children_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def read_file(path: Path, bufsize: int = 1 << 20, limit: int | None = None) -> int:
    """Read a file sequentially with unbuffered reads; returns bytes read."""
    buf = bytearray(bufsize)
    view = memoryview(buf)
    n = 0
    with open(path, "rb", buffering=0) as f:
        while limit is None or n < limit:
            k = f.readinto(view if limit is None else view[:min(bufsize, limit - n)])
            if not k:
                break
            n += k
    return n


def write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(obj, indent=1, sort_keys=True))
    tmp.replace(path)
