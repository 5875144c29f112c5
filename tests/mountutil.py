"""Running the ucfs binary and real FUSE mounts from tests.

Every daemon's stderr goes to a file; `check_stderr` fails the test on a
sanitizer report or an unexpected error line (the sshfs/libfuse test rule).
"""
from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UCFS = Path(os.environ.get("UCFS_BIN", ROOT / "build" / "ucfs"))

SANITIZER = re.compile(r"(ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
                       r"ThreadSanitizer|SUMMARY: \w+Sanitizer)")


def env_for(state: Path | None = None, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=0")
    if state is not None:
        env["UCFS_STATE"] = str(state)
    # Caches of test mounts live with the test run, not in the user's ~/.cache.
    env.setdefault("XDG_CACHE_HOME", str(Path(os.environ.get("TMPDIR", "/tmp")) / f"ucfs-test-cache-{os.getpid()}"))
    # An empty config file so a developer's ~/.databrickscfg never leaks in.
    env.setdefault("DATABRICKS_CONFIG_FILE", "/nonexistent/ucfs-test-databrickscfg")
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env


def check_stderr(text: str, what: str = "ucfs") -> None:
    m = SANITIZER.search(text)
    assert not m, f"{what} stderr shows a sanitizer report:\n{text}"


# ucfs serves file:// tables only below the roots an item allows. Every table
# the tests write lives under pytest's base temporary directory (conftest sets
# LOCAL_ROOT to its real path), so `mirror create` run through run() allows it,
# unless the test names its own roots with --allow-local (as the confinement
# tests do).
LOCAL_ROOT: str | None = None


def with_local_root(args: list[str]) -> list[str]:
    if LOCAL_ROOT and args[:2] == ["mirror", "create"] and "--allow-local" not in args:
        return [*args, "--allow-local", LOCAL_ROOT]
    return args


def run(args, env=None, timeout=120, check=False, input=None) -> subprocess.CompletedProcess:
    """Run `ucfs ARGS`; sanitizer output in its stderr fails the test."""
    args = with_local_root([str(a) for a in args])
    p = subprocess.run([str(UCFS), *args], env=env, capture_output=True, text=True,
                       timeout=timeout, input=input, stdin=None if input else subprocess.DEVNULL)
    check_stderr(p.stderr, "ucfs " + " ".join(map(str, args[:2])))
    if check and p.returncode != 0:
        raise AssertionError(f"ucfs {args} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")
    return p


def unescape_name(shown: str) -> str:
    """A remote name as ucfs prints it (util/names.h: \\\\, \\xHH, \\uXXXX) back to
    the name itself."""
    out, i = bytearray(), 0
    while i < len(shown):
        c = shown[i]
        if c == "\\" and shown[i + 1:i + 2] == "\\":
            out += b"\\"
            i += 2
        elif c == "\\" and shown[i + 1:i + 2] == "x":
            out.append(int(shown[i + 2:i + 4], 16))
            i += 4
        elif c == "\\" and shown[i + 1:i + 2] == "u":
            out += chr(int(shown[i + 2:i + 6], 16)).encode()
            i += 6
        else:
            out += c.encode()
            i += 1
    return out.decode(errors="surrogateescape")


def is_mounted(path: Path) -> bool:
    real = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = line.split()[4].encode().decode("unicode_escape")
            if mp == real:
                return True
    return False


class Mount:
    """A foreground `ucfs mount -f` daemon with its stderr captured."""

    def __init__(self, mountpoint: Path, env: dict, options: str | None = None,
                 logdir: Path | None = None):
        self.mp = Path(mountpoint)
        self.env = env
        self.options = options
        self.log = (logdir or self.mp.parent) / f"ucfs-{self.mp.name}-{os.getpid()}.log"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> "Mount":
        self.mp.mkdir(parents=True, exist_ok=True)
        args = [str(UCFS), "mount", str(self.mp), "-f"]
        if self.options:
            args += ["-o", self.options]
        self._logf = open(self.log, "w")
        self.proc = subprocess.Popen(args, env=self.env, stdout=self._logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if is_mounted(self.mp):
                return self
            if self.proc.poll() is not None:
                raise AssertionError(f"ucfs mount exited {self.proc.returncode}:\n{self.stderr()}")
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"mount did not appear within {timeout}s:\n{self.stderr()}")

    def stderr(self) -> str:
        self._logf.flush()
        return self.log.read_text(errors="replace")

    def stop(self) -> str:
        if self.proc is None:
            return ""
        if is_mounted(self.mp):
            subprocess.run(["fusermount3", "-u", str(self.mp)], capture_output=True)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            subprocess.run(["fusermount3", "-uz", str(self.mp)], capture_output=True)
        self._logf.close()
        text = self.log.read_text(errors="replace")
        self.proc = None
        check_stderr(text, f"ucfs mount {self.mp}")
        return text

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
