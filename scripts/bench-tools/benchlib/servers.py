"""The bench's storage side: versitygw (posix backend on tmpfs), the network
namespace with its rate-limited veth link, toxiproxy's latency, a byte counter
at the storage server's socket, and the Unity Catalog server vending the keys.

Addresses: the namespace's link uses 198.18.0.0/30, the range reserved for
network benchmarks (RFC 2544); nothing else on the machine uses it. Every
resource is removed by the Teardown it is registered with.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

import requests

from .util import BenchError, Teardown, log, run, stop_process, wait_port

NETNS = "ucfsbench"
VETH_HOST, VETH_NS = "ucfsb0", "ucfsb1"
HOST_IP, NS_IP = "198.18.0.1", "198.18.0.2"
NFT_TABLE = "ucfs_bench"
REGION = "us-east-1"
BUCKET = "bench"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def mount_tmpfs(path: Path, size_mib: int, td: Teardown) -> None:
    path.mkdir(parents=True, exist_ok=True)
    run(["umount", "-l", path], check=False)
    run(["mount", "-t", "tmpfs", "-o", f"size={size_mib}m,mode=0755", "tmpfs", path])
    td.push(f"umount tmpfs {path}", lambda: run(["umount", "-l", path], check=False))


# ---------------------------------------------------------------- namespace link
def netns_down() -> None:
    run(["ip", "netns", "del", NETNS], check=False)
    run(["ip", "link", "del", VETH_HOST], check=False)


def netns_up(rate_gbit: float, td: Teardown) -> None:
    """A namespace for the storage server, reached over a veth pair whose both
    directions are shaped to rate_gbit by tbf (this kernel has no netem)."""
    netns_down()  # leftovers of an interrupted run
    td.push("delete the network namespace", netns_down)
    run(["ip", "netns", "add", NETNS])
    run(["ip", "link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NS])
    run(["ip", "link", "set", VETH_NS, "netns", NETNS])
    run(["ip", "addr", "add", f"{HOST_IP}/30", "dev", VETH_HOST])
    run(["ip", "link", "set", VETH_HOST, "up"])
    run(["ip", "-n", NETNS, "addr", "add", f"{NS_IP}/30", "dev", VETH_NS])
    run(["ip", "-n", NETNS, "link", "set", VETH_NS, "up"])
    run(["ip", "-n", NETNS, "link", "set", "lo", "up"])
    rate_bytes = rate_gbit * 1e9 / 8
    # 5 ms worth of burst (>= a 64 KiB GSO packet), 20 ms of queue.
    burst = max(int(rate_bytes * 0.005), 128 << 10)
    tbf = ["tbf", "rate", f"{rate_gbit}gbit", "burst", str(burst), "latency", "20ms"]
    run(["tc", "qdisc", "replace", "dev", VETH_HOST, "root", *tbf])
    run(["ip", "netns", "exec", NETNS, "tc", "qdisc", "replace", "dev", VETH_NS, "root", *tbf])


def in_netns(args: list, netns: str | None) -> list:
    return ["ip", "netns", "exec", netns, *args] if netns else list(args)


# ---------------------------------------------------------------- byte counter
class ByteCounter:
    """Bytes the storage server sends (TCP source port = its port), counted by an
    nftables rule in the server's namespace: the same count for every client."""

    def __init__(self, port: int, netns: str | None, td: Teardown):
        self.netns = netns
        self.delete()
        td.push("delete the nftables counter", self.delete)
        nft = in_netns(["nft"], netns)
        run([*nft, "add", "table", "inet", NFT_TABLE])
        run([*nft, "add", "chain", "inet", NFT_TABLE, "out",
             "{ type filter hook output priority 0 ; policy accept ; }"])
        run([*nft, "add", "rule", "inet", NFT_TABLE, "out", "tcp", "sport", str(port), "counter"])

    def delete(self) -> None:
        run(in_netns(["nft", "delete", "table", "inet", NFT_TABLE], self.netns), check=False)

    def bytes(self) -> int:
        out = run(in_netns(["nft", "-j", "list", "table", "inet", NFT_TABLE], self.netns)).stdout
        for item in json.loads(out).get("nftables", []):
            rule = item.get("rule")
            if rule:
                for e in rule.get("expr", []):
                    if "counter" in e:
                        return int(e["counter"]["bytes"])
        raise BenchError("nftables counter not found")


# ---------------------------------------------------------------- versitygw
@dataclass
class S3Keys:
    access: str
    secret: str


class Versitygw:
    """versitygw's posix backend serving DATA_DIR (buckets = its directories)."""

    def __init__(self, binary: Path, data_dir: Path, keys: S3Keys, workdir: Path,
                 host: str = "127.0.0.1", netns: str | None = None):
        self.binary, self.data_dir, self.keys = binary, data_dir, keys
        self.host, self.netns = host, netns
        self.port = free_port() if not netns else 7070
        self.log = workdir / f"versitygw-{'ns' if netns else 'lo'}.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, td: Teardown) -> "Versitygw":
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VGW_"))}
        env["ROOT_ACCESS_KEY"], env["ROOT_SECRET_KEY"] = self.keys.access, self.keys.secret
        # --keep-alive: as S3 does (versitygw's default answers every request
        # with Connection: close, so each client paid a connection per request)
        args = in_netns([self.binary, "--port", f"{self.host}:{self.port}", "--region", REGION,
                         "--keep-alive", "--quiet", "posix", self.data_dir], self.netns)
        with open(self.log, "w") as logf:
            self.proc = subprocess.Popen([str(a) for a in args], stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env, start_new_session=True)
        td.push("stop versitygw", self.stop)
        wait_port(self.host, self.port, "versitygw", self.proc, self.log, netns=self.netns)
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None


# ---------------------------------------------------------------- toxiproxy
class Toxiproxy:
    """toxiproxy on 127.0.0.1 forwarding to UPSTREAM, adding a round trip of
    2 x latency_ms to every request/response exchange.

    The whole round trip is one latency toxic on the request (upstream) stream.
    Toxiproxy delays data, not connection setup, so for HTTP exchanges this is
    the same as latency_ms each way: a response starts 2 x latency_ms after its
    request was sent, and streams at the link's rate either way. A latency toxic
    on the response (downstream) stream is not usable here: toxiproxy 2.5 (and
    2.12, the same link.go) keeps that toxic's 1024-chunk buffer, up to 32 MB,
    for every connection the client closes while the response is still coming
    (FUSE readers do that on every abandoned prefetch), and a full run took it
    to 15 GB. RSS_LIMIT stops the bench if toxiproxy grows anyway."""
    RSS_LIMIT_MIB = 2048

    def __init__(self, binary: Path, upstream: str, latency_ms: int, workdir: Path):
        self.binary, self.upstream, self.latency_ms = binary, upstream, latency_ms
        self.api_port, self.port = free_port(), free_port()
        self.log = workdir / "toxiproxy.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, td: Teardown) -> "Toxiproxy":
        with open(self.log, "w") as logf:
            self.proc = subprocess.Popen([str(self.binary), "-host", "127.0.0.1",
                                          "-port", str(self.api_port)],
                                         stdout=logf, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True,
                                         env={**os.environ, "LOG_LEVEL": "error"})
        td.push("stop toxiproxy", lambda: stop_process(self.proc))
        wait_port("127.0.0.1", self.api_port, "toxiproxy", self.proc, self.log)
        api = f"http://127.0.0.1:{self.api_port}"
        r = requests.post(f"{api}/proxies", timeout=10, json={
            "name": "s3", "listen": f"127.0.0.1:{self.port}", "upstream": self.upstream,
            "enabled": True})
        if r.status_code not in (200, 201):
            raise BenchError(f"toxiproxy: creating the proxy failed: {r.status_code} {r.text}")
        r = requests.post(f"{api}/proxies/s3/toxics", timeout=10, json={
            "name": "round_trip", "type": "latency", "stream": "upstream", "toxicity": 1.0,
            "attributes": {"latency": 2 * self.latency_ms, "jitter": 0}})
        if r.status_code not in (200, 201):
            raise BenchError(f"toxiproxy: adding the latency failed: {r.status_code} {r.text}")
        wait_port("127.0.0.1", self.port, "toxiproxy's S3 proxy", self.proc, self.log)
        return self

    def check_rss(self) -> None:
        from .util import proc_rss_kib
        mib = proc_rss_kib(self.proc.pid) / 1024
        if mib > self.RSS_LIMIT_MIB:
            raise BenchError(f"toxiproxy holds {mib:.0f} MiB (limit {self.RSS_LIMIT_MIB}): "
                             "stopping before the machine runs out of memory")


# ---------------------------------------------------------------- Unity Catalog
def uc_server_lib(root: Path, work: Path, generator_jar: Path) -> Path:
    """The server's class path plus the bench's credential generator."""
    lib = work / "uclib"
    shutil.rmtree(lib, ignore_errors=True)
    lib.mkdir(parents=True)
    src = root / ".cache" / "ucserver" / "lib"
    jars = sorted(src.glob("*.jar"))
    if not jars:
        raise BenchError(f"no Unity Catalog server jars in {src}: run scripts/bootstrap ucserver")
    for j in jars:
        (lib / j.name).symlink_to(j)
    (lib / generator_jar.name).symlink_to(generator_jar)
    return lib


GENERATOR_CLASS = "ucfs.bench.KeyOnlyAwsCredentialGenerator"


def start_uc(root: Path, work: Path, generator_jar: Path, keys: S3Keys, td: Teardown):
    """The real Unity Catalog server, vending KEYS (no session token) for s3://bench."""
    from ucserver import S3Vending, UCServer  # tests/fixtures
    os.environ["UCFS_UCSERVER_LIB"] = str(uc_server_lib(root, work, generator_jar))
    os.environ["UCFS_UC_EXTRA_PROPERTIES"] = f"s3.credentialGenerator.0={GENERATOR_CLASS}"
    # The session token given here is never vended: the generator replaces the
    # built-in static vending (which would send it) for this bucket.
    vend = S3Vending(f"s3://{BUCKET}", REGION, keys.access, keys.secret, "unused-by-the-generator")
    uc = UCServer(work / "uc", s3=vend)
    td.push("stop the Unity Catalog server", uc.stop)
    log("starting the Unity Catalog server")
    uc.start()
    return uc


def new_keys() -> S3Keys:
    return S3Keys("UCFSBENCH" + secrets.token_hex(6).upper(), secrets.token_urlsafe(30))
