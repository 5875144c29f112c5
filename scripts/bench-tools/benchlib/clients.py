"""The readers the bench compares: ucfs and its peers as FUSE mounts (each a
foreground process of its own, so its PID gives its CPU time and peak RSS),
and curl against the same endpoint.

Every mount is started fresh (cold) by `start()` and removed by `stop()`; a
mount left by an interrupted run is removed by the Teardown.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .servers import BUCKET, REGION, S3Keys
from .util import BenchError, Teardown, log, mounted, stop_process, unmount, wait_mounted


class FuseClient:
    """A FUSE file system run in the foreground by the bench."""
    name = "?"
    label = "?"

    def __init__(self, mp: Path, workdir: Path, td: Teardown):
        self.mp, self.workdir = mp, workdir
        self.proc: subprocess.Popen | None = None
        self.logpath = workdir / f"{self.name}.log"
        td.push(f"unmount {self.name}", self.stop)

    def command(self) -> list:
        raise NotImplementedError

    def env(self) -> dict:
        return {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}

    def prepare(self) -> None:
        """Per-mount setup (e.g. an empty cache directory for a cold start)."""

    def after_mount(self) -> None:
        """Per-mount tuning once mounted."""

    def start(self) -> "FuseClient":
        self.stop()
        self.mp.mkdir(parents=True, exist_ok=True)
        self.prepare()
        self._log = open(self.logpath, "a")
        self.proc = subprocess.Popen([str(a) for a in self.command()], stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     env=self.env(), start_new_session=True)
        wait_mounted(self.mp, self.proc, self.label, self.logpath)
        self.after_mount()
        return self

    @property
    def pid(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            raise BenchError(f"{self.label} is not running (log: {self.logpath})")
        return self.proc.pid

    def stop(self) -> None:
        if mounted(self.mp):
            unmount(self.mp)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                stop_process(self.proc)
            self.proc = None
            self._log.close()

    def path(self, rel: str) -> Path:
        """Where the object at bucket key REL appears in this mount."""
        raise NotImplementedError


def set_readahead_kib(mp: Path, kib: int) -> None:
    """What ucfs does for its own mount (cmd_mount.c raise_readahead)."""
    st = os.stat(mp)
    dev = f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}"
    try:
        Path(f"/sys/class/bdi/{dev}/read_ahead_kb").write_text(f"{kib}\n")
    except OSError as e:
        log(f"cannot set read_ahead_kb of {mp}: {e}")


class Ucfs(FuseClient):
    name, label = "ucfs", "ucfs"

    def __init__(self, binary: Path, state: Path, endpoint: str, mp: Path, workdir: Path,
                 td: Teardown, prefix_map: dict[str, str], extra_opts: str = ""):
        self.binary, self.state, self.endpoint = binary, state, endpoint
        self.prefix_map, self.extra_opts = prefix_map, extra_opts
        self.cache = workdir / "ucfs-cache"
        super().__init__(mp, workdir, td)

    def env(self) -> dict:
        env = super().env()
        env.update(UCFS_STATE=str(self.state), AWS_ENDPOINT_URL=self.endpoint, AWS_REGION=REGION,
                   XDG_CACHE_HOME=str(self.workdir / "xdg"),
                   DATABRICKS_CONFIG_FILE="/nonexistent/ucfs-bench-databrickscfg")
        return env

    def prepare(self) -> None:
        if not getattr(self, "_keep_cache", False):
            shutil.rmtree(self.cache, ignore_errors=True)
        self.cache.mkdir(parents=True, exist_ok=True)

    def start_warm(self) -> "Ucfs":
        """Remount keeping the disk cache of the previous mount."""
        self._keep_cache = True
        try:
            return self.start()
        finally:
            self._keep_cache = False

    def command(self) -> list:
        opts = f"cache_dir={self.cache},cache_size=20G,s3_endpoint={self.endpoint},s3_region={REGION}"
        if self.extra_opts:
            opts += "," + self.extra_opts
        # BENCH_UCFS_WRAP: a profiler to run the daemon under (e.g. "strace -f -ttt -T -o F")
        wrap = os.environ.get("BENCH_UCFS_WRAP", "").split()
        return [*wrap, self.binary, "mount", self.mp, "-f", "-o", opts]

    def path(self, rel: str) -> Path:
        for key_prefix, tree_prefix in self.prefix_map.items():
            if rel.startswith(key_prefix):
                return self.mp / tree_prefix / rel[len(key_prefix):]
        raise BenchError(f"ucfs: no table holds {rel}")

    def stats(self) -> dict:
        import json
        return json.loads((self.mp / ".ucfs" / "stats.json").read_text())


def bytes_fetched(stats: dict) -> int:
    """Sum of every 'bytes_fetched' counter in ucfs's stats.json (any layout)."""
    total = 0
    if isinstance(stats, dict):
        for k, v in stats.items():
            if k == "bytes_fetched" and isinstance(v, (int, float)):
                total += int(v)
            else:
                total += bytes_fetched(v)
    elif isinstance(stats, list):
        total += sum(bytes_fetched(v) for v in stats)
    return total


class S3Peer(FuseClient):
    """A peer that mounts BUCKET/PREFIX of the S3 endpoint directly."""

    def __init__(self, endpoint: str, keys: S3Keys, prefix: str, mp: Path, workdir: Path,
                 td: Teardown):
        self.endpoint, self.keys, self.prefix = endpoint, keys, prefix.strip("/")
        super().__init__(mp, workdir, td)

    def path(self, rel: str) -> Path:
        if not rel.startswith(self.prefix + "/"):
            raise BenchError(f"{self.label} mounts {self.prefix}/ only, not {rel}")
        return self.mp / rel[len(self.prefix) + 1:]


class Rclone(S3Peer):
    def __init__(self, *a, full_cache: bool = False, **kw):
        self.full_cache = full_cache
        self.name = "rclone-full" if full_cache else "rclone"
        self.label = "rclone mount --vfs-cache-mode full" if full_cache else "rclone mount"
        super().__init__(*a, **kw)
        self.cache = self.workdir / f"{self.name}-cache"

    def env(self) -> dict:
        env = super().env()
        env.update(RCLONE_CONFIG=str(self.workdir / "rclone.conf"),  # empty: all from env
                   RCLONE_CONFIG_BENCH_TYPE="s3", RCLONE_CONFIG_BENCH_PROVIDER="Other",
                   RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=self.keys.access,
                   RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=self.keys.secret,
                   RCLONE_CONFIG_BENCH_ENDPOINT=self.endpoint,
                   RCLONE_CONFIG_BENCH_REGION=REGION, RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE="true")
        return env

    def prepare(self) -> None:
        shutil.rmtree(self.cache, ignore_errors=True)
        (self.workdir / "rclone.conf").touch()

    def command(self) -> list:
        args = ["rclone", "mount", f"bench:{BUCKET}/{self.prefix}", self.mp, "--read-only",
                "--cache-dir", self.cache, "--log-level", "ERROR"]
        if self.full_cache:
            args += ["--vfs-cache-mode", "full"]
        return args


class S3fs(S3Peer):
    name, label = "s3fs", "s3fs"

    def prepare(self) -> None:
        pw = self.workdir / "s3fs.passwd"
        pw.write_text(f"{self.keys.access}:{self.keys.secret}\n")
        pw.chmod(0o600)

    def command(self) -> list:
        return ["s3fs", f"{BUCKET}:/{self.prefix}", self.mp, "-f", "-o",
                f"url={self.endpoint},use_path_request_style,passwd_file={self.workdir}/s3fs.passwd,"
                f"ro,endpoint={REGION}"]


class Mountpoint(S3Peer):
    name, label = "mountpoint-s3", "mountpoint-s3"

    def __init__(self, binary: Path, *a, **kw):
        self.binary = binary
        super().__init__(*a, **kw)

    def env(self) -> dict:
        env = super().env()
        env.update(AWS_ACCESS_KEY_ID=self.keys.access, AWS_SECRET_ACCESS_KEY=self.keys.secret,
                   AWS_REGION=REGION, AWS_EC2_METADATA_DISABLED="true")
        return env

    def command(self) -> list:
        return [self.binary, BUCKET, self.mp, "--endpoint-url", self.endpoint, "--region", REGION,
                "--prefix", self.prefix + "/"]


class Ptfs(FuseClient):
    """The FUSE ceiling: the bench's own splice passthrough of a local directory."""
    name, label = "ptfs", "FUSE passthrough (ceiling)"

    def __init__(self, binary: Path, source: Path, mp: Path, workdir: Path, td: Teardown,
                 readahead_kib: int | None = None):
        self.binary, self.source, self.readahead_kib = binary, source, readahead_kib
        super().__init__(mp, workdir, td)

    def command(self) -> list:
        return [self.binary, self.source, self.mp, "-f"]

    def after_mount(self) -> None:
        if self.readahead_kib:
            set_readahead_kib(self.mp, self.readahead_kib)

    def path(self, rel: str) -> Path:
        return self.mp / rel


# ---------------------------------------------------------------- curl
class Curl:
    """curl signing like any S3 client, against ENDPOINT. Transfers are given in
    a config on stdin (the secret never shows on a command line); the transfers
    of one call share curl's connection pool, as a mounted reader's do."""

    def __init__(self, endpoint: str, keys: S3Keys):
        self.endpoint, self.keys = endpoint, keys

    def block(self, key: str, rng: tuple[int, int] | None = None,
              write_out: str | None = None) -> list[str]:
        # curl 7.88 signs without x-amz-content-sha256, which S3 requires: send it.
        lines = [f'url = "{self.endpoint}/{BUCKET}/{key}"', 'output = "/dev/null"', "fail",
                 f'aws-sigv4 = "aws:amz:{REGION}:s3"', f'user = "{self.keys.access}:{self.keys.secret}"',
                 'header = "x-amz-content-sha256: UNSIGNED-PAYLOAD"']
        if rng:
            lines.append(f'range = "{rng[0]}-{rng[1]}"')
        if write_out:
            lines.append(f'write-out = "{write_out}"')
        return lines

    def run(self, blocks: list[list[str]], parallel: int = 0, timeout: float = 900) -> str:
        cfg = []
        for i, b in enumerate(blocks):
            if i:
                cfg.append("next")
            cfg += b
        args = ["curl", "-sS"]
        if parallel:
            args += ["--parallel", "--parallel-max", str(parallel)]
        try:
            p = subprocess.run([*args, "-K", "-"], input="\n".join(cfg) + "\n",
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise BenchError(f"curl did not finish within {timeout} s")
        if p.returncode != 0:
            raise BenchError(f"curl exited {p.returncode}: {p.stderr.strip()[-2000:]}")
        return p.stdout
