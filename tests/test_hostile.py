"""Issue 8: Unity Catalog answers are hostile input. A proxy in front of the REAL
Unity Catalog OSS server (fixtures/ucproxy.py) alters its answers:

- page tokens that loop A, B, A for the catalogs, schemas and tables listings
  (item 3): the listing stops at the third page with a clear error, the proxy
  sees exactly three requests;
- a schema and a table listed twice (item 4): the sync succeeds, the first
  listing wins (deterministically), the duplicates are skipped with a reason
  that `ucfs status` shows;
- names with control, bidi and separator characters, NUL, '/', a leading '.',
  over 255 bytes (item 8): skipped with a reason, never truncated, never a
  directory, never printed raw;

and the state database's files are private from the start (item 9).
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import time

import pytest

from mountutil import UCFS, Mount, env_for, run
from synctools import Catalog, Ucfs, ids_of
from ucproxy import Chain, EditListing, LoopingPages, UCProxy


@pytest.fixture
def proxy(uc_server):
    p = UCProxy(uc_server.url)
    yield p
    p.close()


def fails_fast(args, env, timeout=30):
    t0 = time.monotonic()
    p = run(args, env=env, timeout=timeout)
    return p, time.monotonic() - t0


# ----------------------------------------------------------------------------- item 3

def test_catalogs_listing_that_loops_stops_at_the_third_page(proxy, uc_api, tmp_path):
    with Catalog(uc_api, tmp_path), Catalog(uc_api, tmp_path), Catalog(uc_api, tmp_path):
        loop = proxy.alter = LoopingPages("/catalogs")
        p, took = fails_fast(["catalogs", "--host", proxy.url], env_for())
        print(f"[measure] catalogs A,B,A: exit {p.returncode} in {took:.2f}s, "
              f"{loop.pages} pages")
    assert p.returncode == 1, p.stdout + p.stderr
    assert p.stdout == ""
    assert ("listing the catalogs aborted: page 3 sent a continuation token this listing "
            "already followed") in p.stderr, p.stderr
    assert loop.pages == 3 and proxy.requests_to("/api/2.1/unity-catalog/catalogs") == 3
    assert took < 20


def test_schemas_listing_that_loops_fails_the_create_naming_the_catalog(proxy, uc_api, tmp_path):
    with Catalog(uc_api, tmp_path / "data") as cat:
        cat.build({f"s{i}": [] for i in range(5)})
        loop = proxy.alter = LoopingPages("/schemas", catalog_name=cat.name)
        state = tmp_path / "state.db"
        p, took = fails_fast(["mirror", "create", "--catalog", cat.name, "--host", proxy.url],
                             env_for(state))
    assert p.returncode == 1, p.stderr
    assert f"the schemas of catalog '{cat.name}' aborted: page 3" in p.stderr, p.stderr
    assert loop.pages == 3 and proxy.requests_to("/api/2.1/unity-catalog/schemas") == 3
    assert took < 20
    assert not state.exists() or Ucfs(state).items() == []


def test_tables_listing_that_loops_fails_the_sync_and_keeps_the_tables(proxy, uc_api, tmp_path):
    with Catalog(uc_api, tmp_path / "data") as cat:
        cat.build({"s": ["t1", "t2", "t3", "t4", "t5"]})
        u = Ucfs(tmp_path / "state.db")
        u("mirror", "create", "--catalog", cat.name, "--host", proxy.url)
        loop = proxy.alter = LoopingPages("/tables", catalog_name=cat.name, schema_name="s")
        t0 = time.monotonic()
        p = u("sync", check=False)
        took = time.monotonic() - t0
    assert p.returncode == 1, p.stderr
    want = (f"the tables of schema '{cat.name}.s' aborted: page 3 sent a continuation token "
            "this listing already followed")
    assert want in p.stderr, p.stderr
    assert loop.pages == 3 and took < 20
    it = u.status(cat.name)
    assert it["sync_status"] == "Failed" and want in it["last_error"]["message"]
    assert sorted(t["name"] for t in it["tables"]) == ["t1", "t2", "t3", "t4", "t5"]


# ----------------------------------------------------------------------------- item 4

def test_duplicate_schema_and_table_are_skipped_first_wins(proxy, uc_api, tmp_path):
    with Catalog(uc_api, tmp_path / "data") as cat:
        paths = cat.build({"s": ["t1", "t2"], "u": ["t3"]})
        infos = {t["name"]: t for t in uc_api.list_tables(cat.name, "s")}

        def dup_schema(items):
            return items + [dict(x) for x in items if x["name"] == "s"]

        def dup_table(items):
            # t1 again, but pointing at t2's data: the first listing must win
            second = dict(infos["t2"], name="t1", full_name=f"{cat.name}.s.t1")
            return items + [second]
        proxy.alter = Chain(EditListing("/schemas", "schemas", dup_schema, catalog_name=cat.name),
                            EditListing("/tables", "tables", dup_table, catalog_name=cat.name,
                                        schema_name="s"))
        u = Ucfs(tmp_path / "state.db")
        r = u("mirror", "create", "--catalog", cat.name, "--host", proxy.url)
        assert "3 tables mirrored" in r.stdout, r.stdout
        assert "skipped schema 's'" in r.stderr and "skipped table 's.t1'" in r.stderr, r.stderr
        for _ in range(2):  # the same answer gives the same result, sync after sync
            it = u.status(cat.name)
            skipped = {(s["kind"], s["name"]): s["reason"] for s in it["skipped_names"]}
            assert set(skipped) == {("schema", "s"), ("table", "s.t1")}, skipped
            assert all("more than once; the first listing is used" in w
                       for w in skipped.values())
            tables = {(t["schema"], t["name"]): t for t in it["tables"]}
            assert len(tables) == 3
            assert tables[("s", "t1")]["table_id"] == infos["t1"]["table_id"]
            r = u("sync", cat.name)
            assert "2 schema or table names skipped" in r.stdout, r.stdout
        human = u("status", cat.name).stdout
        assert ("skipped table 's.t1': Unity Catalog listed this table more than once; "
                "the first listing is used") in human, human
        with Mount(tmp_path / "mnt", u.env) as m:
            assert sorted(os.listdir(m.mp / cat.name)) == [".ucfs", "s", "u"]
            assert sorted(os.listdir(m.mp / cat.name / "s")) == ["t1", "t2"]
            assert ids_of(m.mp / cat.name / "s" / "t1") == ids_of(paths["s.t1"])


# ----------------------------------------------------------------------------- item 8

HOSTILE = {
    "new\nline": "new\\x0Aline",
    "tab\there": "tab\\x09here",
    "del\x7fx": "del\\x7Fx",
    "c1\x85x": "c1\\u0085x",
    "rtl\u202etxt.exe": "rtl\\u202Etxt.exe",
    "iso\u2066x": "iso\\u2066x",
    "ls\u2028x": "ls\\u2028x",
    "nul\x00x": "nul\\u0000x",
    "esc\x1b[31mred": "esc\\x1B[31mred",
    "a/b": "a/b",
    ".hidden": ".hidden",
    "L" * 256: "L" * 256,
}


def raw_control(text: str) -> list[str]:
    """Characters a terminal would act on, other than the newlines between lines."""
    return [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f
            or c in "\u061c\u200e\u200f\u2028\u2029" or 0x202a <= ord(c) <= 0x202e
            or 0x2066 <= ord(c) <= 0x2069]


def test_unusable_names_are_skipped_never_truncated_nor_printed_raw(proxy, uc_api, tmp_path):
    with Catalog(uc_api, tmp_path / "data") as cat:
        cat.build({"s": ["t1"], "u": ["t2"]})
        t1 = uc_api.list_tables(cat.name, "s")[0]
        u_schema = [s for s in uc_api.list_schemas(cat.name) if s["name"] == "u"][0]

        def bad_tables(items):
            return items + [dict(t1, name=n, full_name=f"{cat.name}.s.{n}", table_id=f"id-{i}")
                            for i, n in enumerate(HOSTILE)]

        def bad_schemas(items):
            return items + [dict(u_schema, name="evil\nschema", full_name=f"{cat.name}.evil")]
        proxy.alter = Chain(EditListing("/tables", "tables", bad_tables, catalog_name=cat.name,
                                        schema_name="s"),
                            EditListing("/schemas", "schemas", bad_schemas,
                                        catalog_name=cat.name))
        u = Ucfs(tmp_path / "state.db")
        r = u("mirror", "create", "--catalog", cat.name, "--host", proxy.url)
        assert "2 tables mirrored" in r.stdout, r.stdout
        assert not raw_control(r.stdout + r.stderr.replace("\n", "")), repr(r.stderr)
        it = u.status(cat.name)
        skipped = {s["name"]: s["reason"] for s in it["skipped_names"]}
        want = {f"s.{shown}" for shown in HOSTILE.values()} | {"evil\\x0Aschema"}
        assert set(skipped) == want, sorted(skipped)
        assert "NUL" in skipped["s.nul\\u0000x"]
        assert "U+202E" in skipped["s.rtl\\u202Etxt.exe"]
        assert "255 bytes" in skipped["s." + "L" * 256]
        assert "'/'" in skipped["s.a/b"] and "starts with '.'" in skipped["s..hidden"]
        assert sorted(t["name"] for t in it["tables"]) == ["t1", "t2"]  # "nul" is not one
        human = u("status", cat.name, "--tables").stdout
        assert not raw_control(human), repr(human)
        assert "skipped table 's.nul\\u0000x': its name contains a NUL character" in human
        assert "skipped schema 'evil\\x0Aschema'" in human, human
        b = run(["browse", cat.name, "--host", proxy.url], env=env_for())
        assert b.returncode == 0 and not raw_control(b.stdout), repr(b.stdout)
        assert "skipped: its name contains a NUL character" in b.stdout, b.stdout
        assert "s.rtl\\u202Etxt.exe" in b.stdout, b.stdout
        with Mount(tmp_path / "mnt", u.env) as m:
            assert sorted(os.listdir(m.mp / cat.name)) == [".ucfs", "s", "u"]
            assert sorted(os.listdir(m.mp / cat.name / "s")) == ["t1"]
            assert not (m.mp / cat.name / "s" / "nul").exists()
            log = m.stderr()
        assert not raw_control(log.replace("\n", "")), repr(log)


# ----------------------------------------------------------------------------- item 9

def modes(db) -> dict[str, int]:
    out = {}
    for sfx in ("", "-wal", "-shm"):
        p = f"{db}{sfx}"
        if os.path.exists(p):
            out[sfx or "db"] = stat.S_IMODE(os.stat(p).st_mode)
    return out


def test_state_files_are_private_from_the_start(uc_server, catalog, tmp_path):
    """Under umask 000 every file of the state database is 0600 the moment it
    exists: checked while a mount holds -wal and -shm open, and right after a
    first run is killed (SIGKILL) in the middle of creating the database."""
    db = tmp_path / "state" / "state.db"
    env = env_for(db)
    old = os.umask(0)
    try:
        # kill the first run as early as we can see the file: no chmod to come
        proc = subprocess.Popen([str(UCFS), "mirror", "create", "--catalog",
                                 "ucfs_test", "--host", uc_server.url], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while not db.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert db.exists()
        assert set(modes(db).values()) == {0o600}, modes(db)
        assert stat.S_IMODE(os.stat(db.parent).st_mode) == 0o700
        # a complete run, and a mount holding the WAL files
        for f in db.parent.iterdir():
            f.unlink()
        run(["mirror", "create", "--catalog", "ucfs_test", "--host", uc_server.url], env=env,
            check=True)
        with Mount(tmp_path / "mnt", env):
            # the mount opens the database on its state polls: wait for its WAL files
            deadline = time.monotonic() + 15
            while set(modes(db)) != {"db", "-wal", "-shm"} and time.monotonic() < deadline:
                assert set(modes(db).values()) == {0o600}, modes(db)
                time.sleep(0.005)
            m = modes(db)
            assert set(m) == {"db", "-wal", "-shm"} and set(m.values()) == {0o600}, m
    finally:
        os.umask(old)


def test_state_files_left_readable_by_an_older_run_are_narrowed(tmp_path):
    """A database whose first run died between create and chmod (older ucfs):
    db, -wal and -shm 0644, the WAL holding data. Opening it narrows all three."""
    db = tmp_path / "old.db"
    old = os.umask(0o022)
    try:
        holder = subprocess.Popen(
            ["python3", "-c", (
                "import sqlite3,sys,os;c=sqlite3.connect(sys.argv[1]);"
                "c.execute('PRAGMA journal_mode=WAL');c.execute('CREATE TABLE x(a)');"
                "c.execute('INSERT INTO x VALUES (1)');c.commit();print('ready',flush=True);"
                "os.kill(os.getpid(),9)"), str(db)], stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "ready"
        holder.wait()
    finally:
        os.umask(old)
    assert modes(db) == {"db": 0o644, "-wal": 0o644, "-shm": 0o644}
    p = run(["status"], env=env_for(db))
    assert p.returncode == 0, p.stderr
    assert set(modes(db).values()) == {0o600}, modes(db)
    with sqlite3.connect(db) as c:  # the data in the WAL survived
        assert c.execute("SELECT a FROM x").fetchall() == [(1,)]
