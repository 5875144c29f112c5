"""Helpers for the end-to-end tests of selection, sync, status, crash safety and
lakehouse shortcuts (test_sync.py, test_lakehouse.py): throwaway catalogs on the
real Unity Catalog server, the ucfs CLI bound to one state database, polling
with a deadline, and a TCP proxy that can hold requests (to catch a sync
deterministically while it runs)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

from deltalake import write_deltalake

from mountutil import env_for, run
from tables import SIMPLE_SCHEMA, _simple_rows, read_delta_arrow

# Short intervals: auto-sync every second, pick up CLI changes within 0.2 s.
FAST = "sync_interval=1,state_poll=0.2,log_ttl=0.2"
# Follow CLI changes quickly but never auto-sync during the test.
NOSYNC = "sync_interval=3600,state_poll=0.2,log_ttl=0.2"


def unique(prefix: str = "ucfs_sync") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def ids_of(path) -> list[int]:
    """Sorted ids of the Delta table at path (read with deltalake)."""
    return sorted(read_delta_arrow(path).column("id").to_pylist())


def wait_for(pred, timeout: float = 10.0, what: str = "condition", interval: float = 0.1):
    """Poll pred() until it returns something truthy; exceptions count as 'not yet'."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            v = pred()
            if v:
                return v
            last = v
        except Exception as e:  # noqa: BLE001 - e.g. a table that is being re-pointed
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")
        time.sleep(interval)


def tree_of(item_dir: Path) -> dict[str, list[str]]:
    """{schema: sorted table names} as the mount lists them (every item also lists
    its .ucfs dot-directory, which is not a schema)."""
    names = os.listdir(item_dir)
    assert ".ucfs" in names, f"{item_dir} does not list .ucfs: {sorted(names)}"
    return {s: sorted(os.listdir(item_dir / s)) for s in sorted(names) if s != ".ucfs"}


class Catalog:
    """A catalog with a unique name on the server, deleted (force) on exit."""

    def __init__(self, api, data_dir: Path, name: str | None = None, **create_kw):
        self.api = api
        self.name = name or unique()
        self.data = Path(data_dir) / self.name
        self.create_kw = create_kw
        self._n = 0

    def __enter__(self) -> "Catalog":
        self.api.delete_catalog(self.name)
        self.api.create_catalog(self.name, **self.create_kw)
        return self

    def __exit__(self, etype, *exc):
        try:
            self.api.delete_catalog(self.name)
        except Exception:  # noqa: BLE001 - don't hide the test's own failure
            if etype is None:
                raise

    def schema(self, schema: str) -> None:
        self.api.create_schema(self.name, schema)

    def new_path(self, schema: str, table: str) -> Path:
        self._n += 1
        return self.data / f"{schema}.{table}.{self._n}"

    def table(self, schema: str, table: str, ids=range(3), tag: str | None = None) -> Path:
        """Write a fresh Delta table (one commit) and register it as EXTERNAL."""
        path = self.new_path(schema, table)
        write_deltalake(str(path), _simple_rows(ids, tag or table))
        self.register(schema, table, path)
        return path

    def register(self, schema: str, table: str, path, fmt: str = "DELTA") -> None:
        self.api.register_arrow_table(self.name, schema, table, path, SIMPLE_SCHEMA, fmt=fmt)

    def view(self, schema: str, table: str, on: str) -> None:
        from ucapi import columns_from_arrow
        self.api.create_table(self.name, schema, table, columns=columns_from_arrow(SIMPLE_SCHEMA),
                              table_type="VIEW", data_source_format=None,
                              view_definition=f"SELECT id FROM {self.name}.{on}")

    def build(self, layout: dict[str, list[str]]) -> dict[str, Path]:
        """Schemas with Delta tables: {"a": ["t1", "t2"]} -> {"a.t1": path, ...}."""
        out = {}
        for s, tables in layout.items():
            self.schema(s)
            for t in tables:
                out[f"{s}.{t}"] = self.table(s, t)
        return out

    def drop(self, schema: str, table: str) -> None:
        self.api.delete_table(f"{self.name}.{schema}.{table}", missing_ok=False)

    def drop_schema(self, schema: str) -> None:
        self.api.delete_schema(self.name, schema, force=True, missing_ok=False)


class Ucfs:
    """The ucfs CLI bound to one state database."""

    def __init__(self, state: Path):
        self.state = Path(state)
        self.env = env_for(self.state)

    def __call__(self, *args, check: bool = True, timeout: float = 120):
        return run(list(args), env=self.env, check=check, timeout=timeout)

    def popen(self, *args) -> subprocess.Popen:
        from mountutil import UCFS, with_local_root
        return subprocess.Popen([str(UCFS), *with_local_root([str(a) for a in args])],
                                env=self.env,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def show(self, name: str) -> dict:
        return json.loads(self("mirror", "show", name, "--json").stdout)

    def status_doc(self, name: str | None = None, tables: bool = True) -> dict:
        args = ["status", *([name] if name else []), "--json", *(["--tables"] if tables else [])]
        return json.loads(self(*args).stdout)

    def status(self, name: str, tables: bool = True) -> dict:
        items = self.status_doc(name, tables)["items"]
        assert [i["name"] for i in items] == [name]
        return items[0]

    def items(self) -> list[dict]:
        return json.loads(self("mirror", "list", "--json").stdout)


def rules(show: dict) -> list[tuple]:
    """The selection rules of a `mirror show --json` document as tuples."""
    return [(r["schema"], r["table"], r["mode"]) for r in show["selection"]["rules"]]


def table_status(st: dict) -> dict[str, dict]:
    """{"schema.table": table entry} of an item's status document."""
    return {f"{t['schema']}.{t['name']}": t for t in st["tables"]}


class GateProxy:
    """TCP proxy to a local server that forwards bytes until hold() is called; then
    the next request from the client is held (``held`` is set) until release().
    Lets a test catch `ucfs sync` (or the mount's auto-sync) in the middle of a
    sync deterministically."""

    def __init__(self, upstream_url: str):
        u = urlparse(upstream_url)
        self.upstream = (u.hostname, u.port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.gate = threading.Event()
        self.gate.set()
        self.held = threading.Event()
        self._closed = False
        self._socks: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def hold(self) -> None:
        self.held.clear()
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def _accept(self):
        while not self._closed:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(self.upstream, timeout=10)
                up.settimeout(None)
            except OSError:
                c.close()
                continue
            self._socks += [c, up]
            threading.Thread(target=self._pump, args=(c, up, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(up, c, False), daemon=True).start()

    def _pump(self, src, dst, gated):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if gated and not self.gate.is_set():
                    self.held.set()
                    self.gate.wait()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self._closed = True
        self.gate.set()
        self.sock.close()
        for s in self._socks:
            try:
                s.close()
            except OSError:
                pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
