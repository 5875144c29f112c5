"""Mirrored items that stay in sync, end to end against the real Unity Catalog
OSS server: selection (create / edit / show, invalid rules), background
auto-sync of upstream changes, `ucfs sync`, status (CLI and the in-mount
.ucfs/status.json), offline operation, crash safety (kill -9) and selection
edits racing a running sync. Every test builds its own catalog (unique name,
deleted at the end), its own state database and its own mount."""
from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import shutil
import subprocess
import time

import polars as pl
from deltalake import write_deltalake

from mountutil import Mount, is_mounted
from synctools import (FAST, NOSYNC, Catalog, GateProxy, Ucfs, ids_of, rules, table_status,
                       tree_of, wait_for)
from tables import _simple_rows, write_csv_dir, write_parquet_dir
from ucapi import UCClient
from ucserver import UCServer

LAYOUT = {"a": ["t1", "t2"], "b": ["t3"], "c": ["t4"]}


# ----------------------------------------------------------------------------- selection

def test_create_selection_variants(uc_api, uc_server, tmp_path):
    """--include / --exclude at create time: the stored selection (mirror show) and
    what the mount shows, for Full, Full minus exclusions, Partial, Partial + Full
    schema minus a table."""
    variants = {
        "full": ([], "Full", [], LAYOUT),
        "minus": (["--exclude", "b", "--exclude", "a.t2"], "Full",
                  [("a", "t2", "Exclude"), ("b", None, "Exclude")],
                  {"a": ["t1"], "c": ["t4"]}),
        "part": (["--include", "a", "--include", "c.t4"], "Partial",
                 [("a", None, "Full"), ("c", None, "Partial"), ("c", "t4", "Full")],
                 {"a": ["t1", "t2"], "c": ["t4"]}),
        "part_minus": (["--include", "a", "--exclude", "a.t2"], "Partial",
                       [("a", None, "Full"), ("a", "t2", "Exclude")], {"a": ["t1"]}),
    }
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        cat.build(LAYOUT)
        for item, (args, mode, want_rules, _) in variants.items():
            u("mirror", "create", item, "--catalog", cat.name, "--host", uc_server.url, *args)
            show = u.show(item)
            assert show["selection"]["catalog_mode"] == mode, item
            assert rules(show) == want_rules, item
            text = u("mirror", "show", item).stdout
            assert f"catalog: {mode}" in text
            for s, t, m in want_rules:
                assert (f"table {s}.{t}: {m}" if t else f"schema {s}: {m}") in text, (item, text)
        with Mount(tmp_path / "mnt", u.env, options=NOSYNC) as m:
            for item, (_, _, _, want) in variants.items():
                assert tree_of(m.mp / item) == want, item
            assert not (m.mp / "minus" / "b").exists()
            assert not (m.mp / "part_minus" / "a" / "t2").exists()
            st = u.status("minus")
            reasons = {k: t["reason"] for k, t in table_status(st).items()}
            assert "excluded by selection" in reasons["b.t3"]
            assert "excluded by selection" in reasons["a.t2"]
            assert reasons["a.t1"] is None and reasons["c.t4"] is None
            assert st["counts"] == {"mirrored": 2, "skipped": 2, "failing": 0}


def test_edit_changes_mount_without_remount(uc_api, uc_server, tmp_path):
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        paths = cat.build(LAYOUT)
        u("mirror", "create", "ed", "--catalog", cat.name, "--host", uc_server.url)
        with Mount(tmp_path / "mnt", u.env, options=NOSYNC) as m:
            root = m.mp / "ed"
            assert tree_of(root) == LAYOUT

            def edit_and_expect(args, want):
                u("mirror", "edit", "ed", *args)
                wait_for(lambda: tree_of(root) == want, 5, f"mount to show {want} after {args}")

            edit_and_expect(["--exclude", "b"], {"a": ["t1", "t2"], "c": ["t4"]})
            assert not (root / "b").exists() and not (root / "b" / "t3").exists()
            edit_and_expect(["--exclude", "a.t2"], {"a": ["t1"], "c": ["t4"]})
            assert not (root / "a" / "t2").exists()
            edit_and_expect(["--unlist", "b"], {"a": ["t1"], "b": ["t3"], "c": ["t4"]})
            assert ids_of(root / "b" / "t3") == [0, 1, 2]
            edit_and_expect(["--all"], LAYOUT)
            assert rules(u.show("ed")) == [] and u.show("ed")["selection"]["catalog_mode"] == "Full"
            edit_and_expect(["--include", "a.t1", "--include", "c"], {"a": ["t1"], "c": ["t4"]})
            assert u.show("ed")["selection"]["catalog_mode"] == "Partial"
            assert ids_of(root / "a" / "t1") == ids_of(paths["a.t1"])
            edit_and_expect(["--unlist", "c"], {"a": ["t1"]})
            assert rules(u.show("ed")) == [("a", None, "Partial"), ("a", "t1", "Full")]
            # a Full schema cannot also list its tables: refused, then unlist + include
            r = u("mirror", "edit", "ed", "--include", "a", check=False)
            assert r.returncode == 2 and "already included by including 'a'" in r.stderr
            edit_and_expect(["--unlist", "a", "--include", "a"], {"a": ["t1", "t2"]})
            assert rules(u.show("ed")) == [("a", None, "Full")]
            edit_and_expect(["--include", "b.t3"], {"a": ["t1", "t2"], "b": ["t3"]})

            u("mirror", "edit", "ed", "--description", "CRM tables", "--auto-sync", "off")
            show = u.show("ed")
            assert show["description"] == "CRM tables" and show["auto_sync"] is False
            text = u("mirror", "show", "ed").stdout
            assert "description: CRM tables" in text and "auto-sync:   off" in text
            u("mirror", "edit", "ed", "--auto-sync", "on")
            assert u.show("ed")["auto_sync"] is True
            # metadata edits leave the selection and the mount alone
            assert tree_of(root) == {"a": ["t1", "t2"], "b": ["t3"]}


def test_rename_keeps_mount_and_shortcuts(uc_api, uc_server, tmp_path):
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        paths = cat.build({"a": ["t1"]})
        u("mirror", "create", "old", "--catalog", cat.name, "--host", uc_server.url)
        u("lakehouse", "create", "lh")
        u("shortcut", "create", "lh", "sc", "old.a.t1")
        with Mount(tmp_path / "mnt", u.env, options=NOSYNC) as m:
            assert ids_of(m.mp / "old" / "a" / "t1") == [0, 1, 2]
            u("mirror", "edit", "old", "--rename", "new")
            wait_for(lambda: sorted(os.listdir(m.mp)) == [".ucfs", "lh", "new"], 5, "renamed item dir")
            assert not (m.mp / "old").exists()
            assert ids_of(m.mp / "new" / "a" / "t1") == ids_of(paths["a.t1"])
            assert ids_of(m.mp / "lh" / "Tables" / "sc") == [0, 1, 2]
            assert json.loads((m.mp / "new" / ".ucfs" / "status.json").read_text())["name"] == "new"
            lh = u.status_doc(tables=False)["lakehouses"]
            assert lh == [{"name": "lh", "access": {"uid": None, "gid": None, "mode": "0700"},
                           "shortcuts": [{"name": "sc", "target": "new.a.t1", "status": "ok",
                                          "reason": None}]}]
            r = u("mirror", "show", "old", check=False)
            assert r.returncode == 1 and "no mirrored item named 'old'" in r.stderr
            # the old name is free again; the new one is taken
            r = u("lakehouse", "create", "new", check=False)
            assert r.returncode != 0 and "already used" in r.stderr


def test_invalid_selection_refused(uc_api, uc_server, tmp_path):
    """Invalid rules exit 2 with a message naming the problem, and change nothing."""
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        cat.build({"a": ["t1", "t2"], "b": ["t3"]})
        host = ["--catalog", cat.name, "--host", uc_server.url]
        u("mirror", "create", "p", *host, "--include", "a.t1", "--description", "keep")
        before_items = u.items()
        before = u.show("p")
        bad_create = [
            (["--include", "a", "--exclude", "b"], "exclusions apply only inside a Full scope, "
                                                   "and the catalog is Partial"),
            (["--include", "a", "--exclude", "a"], "'a' is both included and excluded"),
            (["--include", "a.t1", "--exclude", "a.t1"], "'a.t1' is both included and excluded"),
            (["--include", "a.t1", "--exclude", "a.t2"], "schema 'a' is Partial"),
            (["--include", "a."], "invalid --include 'a.'"),
            (["--exclude", ".t1"], "invalid --exclude '.t1'"),
            (["--include", "a.t1.x"], "invalid --include 'a.t1.x'"),
            (["--include", ""], "SCHEMA or SCHEMA.TABLE"),
            (["--description", "x" * 257], "257"),
            (["--auto-sync", "maybe"], "maybe"),
        ]
        for args, needle in bad_create:
            r = u("mirror", "create", "bad", *host, *args, check=False)
            assert r.returncode == 2, (args, r.stdout, r.stderr)
            assert needle in r.stderr and "ucfs" in r.stderr, (args, r.stderr)
            assert u.items() == before_items, args
        for name in (".hidden", "x/y", ""):
            r = u("mirror", "create", name, *host, check=False)
            assert r.returncode == 2 and "invalid item name" in r.stderr, (name, r.stderr)
        assert u.items() == before_items

        bad_edit = [
            (["--exclude", "b"], "cannot exclude schema 'b': exclusions apply only inside a "
                                 "Full scope, and the catalog is Partial"),
            (["--exclude", "a.t2"], "cannot exclude table 'a.t2'"),
            (["--include", "a.t2", "--exclude", "a.t2"], "'a.t2' is both included and excluded"),
            (["--unlist", "b"], "cannot unlist 'b': it is not on the selection list"),
            (["--include", "a..t"], "invalid --include 'a..t'"),
            (["--description", "é" * 257], "257"),
            (["--rename", ".x"], "invalid item name"),
            ([], "nothing to change"),
        ]
        for args, needle in bad_edit:
            r = u("mirror", "edit", "p", *args, check=False)
            assert r.returncode == 2, (args, r.stdout, r.stderr)
            assert needle in r.stderr, (args, r.stderr)
            assert u.show("p") == before, args
        # the limit is 256 characters (not bytes), inclusive
        u("mirror", "edit", "p", "--description", "é" * 256)
        assert u.show("p")["description"] == "é" * 256
        u("mirror", "create", "ok", *host, "--description", "y" * 256)
        assert u.show("ok")["description"] == "y" * 256


# ----------------------------------------------------------------------------- auto-sync

def test_auto_sync_follows_upstream(uc_api, uc_server, tmp_path):
    """sync_interval=1: creates, drops, re-pointing and new commits upstream show up
    in the mount without remounting."""
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        paths = cat.build({"s1": ["gone", "live", "moved"]})
        u("mirror", "create", "it", "--catalog", cat.name, "--host", uc_server.url)
        with Mount(tmp_path / "mnt", u.env, options=FAST) as m:
            root = m.mp / "it"
            assert tree_of(root) == {"s1": ["gone", "live", "moved"]}
            assert not (root / "s2").exists()  # a negative entry the sync must invalidate

            cat.schema("s2")
            cat.table("s2", "n1", ids=range(10, 14))
            wait_for(lambda: tree_of(root).get("s2") == ["n1"], 8, "new schema s2 in the mount")
            assert ids_of(root / "s2" / "n1") == [10, 11, 12, 13]

            cat.table("s1", "extra")
            wait_for(lambda: "extra" in os.listdir(root / "s1"), 8, "new table s1.extra")

            cat.drop("s1", "gone")
            wait_for(lambda: "gone" not in os.listdir(root / "s1"), 8, "dropped table to vanish")
            assert not (root / "s1" / "gone").exists()

            cat.drop_schema("s2")
            wait_for(lambda: "s2" not in os.listdir(root), 8, "dropped schema to vanish")
            assert not (root / "s2").exists() and not (root / "s2" / "n1").exists()

            # re-pointed: same name, another storage location with other data
            moved = root / "s1" / "moved"
            assert ids_of(moved) == [0, 1, 2]
            cat.drop("s1", "moved")
            newp = cat.new_path("s1", "moved")
            write_deltalake(str(newp), _simple_rows(range(50, 55), "moved2"))
            cat.register("s1", "moved", newp)
            wait_for(lambda: ids_of(moved) == [50, 51, 52, 53, 54], 8, "re-pointed table data")
            assert os.getxattr(moved, "user.ucfs.storage_location").decode() == newp.as_uri()

            # new commits written by deltalake: visible to readers without remount
            live = root / "s1" / "live"
            write_deltalake(str(paths["s1.live"]), _simple_rows(range(3, 6), "c1"), mode="append")
            wait_for(lambda: ids_of(live) == list(range(6)), 5, "commit 1 through the mount")
            assert sorted(pl.read_delta(str(live))["id"].to_list()) == list(range(6))
            write_deltalake(str(paths["s1.live"]), _simple_rows(range(6, 8), "c2"), mode="append")
            wait_for(lambda: ids_of(live) == list(range(8)), 5, "commit 2 through the mount")
            assert f"{2:020d}.json" in os.listdir(live / "_delta_log")
            assert tree_of(root) == {"s1": ["extra", "live", "moved"]}


def test_auto_sync_off_waits_for_ucfs_sync(uc_api, uc_server, tmp_path):
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        cat.build({"s": ["t"]})
        host = ["--catalog", cat.name, "--host", uc_server.url]
        u("mirror", "create", "off", *host, "--auto-sync", "off")
        u("mirror", "create", "on", *host)
        assert u.show("off")["auto_sync"] is False and u.show("on")["auto_sync"] is True
        with Mount(tmp_path / "mnt", u.env, options=FAST) as m:
            on, off = m.mp / "on", m.mp / "off"
            last_off = u.status("off")["last_sync_at"]
            cat.table("s", "n1")
            # the auto-synced item follows; the other does not
            wait_for(lambda: tree_of(on) == {"s": ["n1", "t"]}, 8, "'on' to pick up n1")
            assert tree_of(off) == {"s": ["t"]}

            u("mirror", "edit", "on", "--auto-sync", "off")
            # an auto-sync round that started before the edit finishes first
            wait_for(lambda: u.status("on", tables=False)["sync_status"] != "InProgress", 10,
                     "the running sync of 'on' to end")
            last_on = u.status("on", tables=False)["last_sync_at"]
            cat.table("s", "n2")
            cat.drop("s", "t")
            # Nothing may happen now: watch for > 3 sync intervals (a bounded
            # window for a negative check, not a wait for a condition).
            time.sleep(3.5)
            assert u.status("on", tables=False)["last_sync_at"] == last_on
            assert tree_of(on) == {"s": ["n1", "t"]}
            assert tree_of(off) == {"s": ["t"]}
            assert u.status("off")["last_sync_at"] == last_off

            r = u("sync", "off")
            assert "synced 'off'" in r.stdout and "2 tables mirrored" in r.stdout
            wait_for(lambda: tree_of(off) == {"s": ["n1", "n2"]}, 5, "'off' after ucfs sync")
            assert not (off / "s" / "t").exists()
            assert tree_of(on) == {"s": ["n1", "t"]}
            u("sync")  # every item
            wait_for(lambda: tree_of(on) == {"s": ["n1", "n2"]}, 5, "'on' after ucfs sync")
            # back on: follows by itself again
            u("mirror", "edit", "on", "--auto-sync", "on")
            cat.table("s", "n3")
            wait_for(lambda: tree_of(on) == {"s": ["n1", "n2", "n3"]}, 8, "'on' after auto-sync on")
            assert tree_of(off) == {"s": ["n1", "n2"]}


def test_new_objects_only_in_full_scopes(uc_api, uc_server, tmp_path):
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        cat.build({"p": ["t1"], "f": ["t2"]})
        host = ["--catalog", cat.name, "--host", uc_server.url]
        u("mirror", "create", "part", *host, "--include", "p.t1", "--include", "f")
        u("mirror", "create", "full", *host)
        with Mount(tmp_path / "mnt", u.env, options=FAST) as m:
            part, full = m.mp / "part", m.mp / "full"
            assert tree_of(part) == {"f": ["t2"], "p": ["t1"]}
            cat.table("p", "new_p")
            cat.table("f", "new_f")
            cat.schema("z")
            cat.table("z", "new_z")
            want_full = {"f": ["new_f", "t2"], "p": ["new_p", "t1"], "z": ["new_z"]}
            wait_for(lambda: tree_of(full) == want_full, 8, "Full catalog to pick up everything")
            # Full schema f inside the Partial catalog: picked up; Partial schema p and
            # the unlisted schema z: not
            wait_for(lambda: "new_f" in os.listdir(part / "f"), 8, "Full schema to pick up new_f")
            assert tree_of(part) == {"f": ["new_f", "t2"], "p": ["t1"]}
            reasons = {k: t["reason"] for k, t in table_status(u.status("part")).items()}
            assert "schema is Partial" in reasons["p.new_p"]
            assert "catalog is Partial" in reasons["z.new_z"]
            assert reasons["f.new_f"] is None


# ----------------------------------------------------------------------------- status

def test_status_tables_reasons_versions(uc_api, uc_server, tmp_path):
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        cat.schema("s")
        d = cat.table("s", "d")
        for k in (1, 2):
            write_deltalake(str(d), _simple_rows([10 + k], f"v{k}"), mode="append")
        cat.table("s", "d2")
        pq = write_parquet_dir(cat.data / "pq", "pq")
        cat.register("s", "pq", pq.path, fmt="PARQUET")
        csv = write_csv_dir(cat.data / "csv", "csv")
        uc_api.register_arrow_table(cat.name, "s", "csv", csv.path, csv.schema, fmt="CSV")
        cat.view("s", "v", "s.d")
        cat.table("s", "ex")
        cat.table("s", "gone")
        u("mirror", "create", "it", "--catalog", cat.name, "--host", uc_server.url,
          "--exclude", "s.ex", "--exclude", "s.gone")
        st = u.status("it")
        assert st["sync_status"] == "Success" and st["last_error"] is None
        assert abs(st["last_sync_at"] - time.time()) < 60
        assert st["counts"] == {"mirrored": 2, "skipped": 5, "failing": 0}
        assert st["selection_issues"] == []
        ts = table_status(st)
        assert set(ts) == {"s.d", "s.d2", "s.pq", "s.csv", "s.v", "s.ex", "s.gone"}
        assert ts["s.d"]["status"] == "mirrored" and ts["s.d"]["delta_version"] == 2
        assert ts["s.d"]["reason"] is None and ts["s.d2"]["delta_version"] == 0
        assert ts["s.d"]["full_name"] == f"{cat.name}.s.d"
        for name, needle in [("s.v", "view"), ("s.pq", "format PARQUET"),
                             ("s.csv", "format CSV"), ("s.ex", "excluded by selection"),
                             ("s.gone", "excluded by selection")]:
            assert ts[name]["status"] == "skipped" and ts[name]["mirrored"] is False, name
            assert needle in ts[name]["reason"], (name, ts[name]["reason"])
        text = u("status", "it", "--tables").stdout
        assert "s.v" in text and "skipped: view" in text
        assert "skipped: format PARQUET" in text
        assert "mirrored (Delta version 2)" in text

        with Mount(tmp_path / "mnt", u.env, options=NOSYNC) as m:
            root = m.mp / "it"
            assert sorted(os.listdir(root)) == [".ucfs", "s"]  # .ucfs: a dot-directory, listed
            assert sorted(os.listdir(root / "s")) == ["d", "d2"]
            with open(root / ".ucfs" / "status.json") as f:
                assert json.load(f) == u.status("it")

            write_deltalake(str(d), _simple_rows([20], "v3"), mode="append")
            assert table_status(u.status("it"))["s.d"]["delta_version"] == 2  # until a sync
            cat.drop("s", "gone")
            before = u.status("it")["last_sync_at"]
            u("sync", "it")
            st = u.status("it")
            assert table_status(st)["s.d"]["delta_version"] == 3
            assert "s.gone" not in table_status(st) and st["last_sync_at"] >= before
            assert len(st["selection_issues"]) == 1
            assert "'s.gone' does not exist" in st["selection_issues"][0]
            assert rules(st) == [("s", "ex", "Exclude"), ("s", "gone", "Exclude")]
            assert "selection: excluded table 's.gone'" in u("status", "it").stdout
            assert "s.gone" in u("mirror", "show", "it").stderr
            wait_for(lambda: json.loads((root / ".ucfs" / "status.json").read_text())
                     == u.status("it"), 5, "status.json to follow the sync")
            assert os.listdir(root / ".ucfs") == ["status.json"]


# ----------------------------------------------------------------------------- offline

def test_offline_serves_last_synced_state(tmp_path):
    srv = UCServer(tmp_path / "srv")
    srv.start()
    try:
        api = UCClient(srv.url)
        u = Ucfs(tmp_path / "state.db")
        with Catalog(api, tmp_path / "data") as cat:
            p = cat.build({"s": ["t", "w"]})["s.t"]
            u("mirror", "create", "it", "--catalog", cat.name, "--host", srv.url)
            with Mount(tmp_path / "mnt", u.env, options=FAST) as m:
                root, t = m.mp / "it", m.mp / "it" / "s" / "t"
                assert ids_of(t) == [0, 1, 2]
                srv.kill()
                st = wait_for(lambda: (s := u.status("it"))["sync_status"] == "Failed" and s,
                              30, "a failed sync with the server down")
                assert "reach" in st["last_error"]["message"], st["last_error"]
                assert st["counts"]["mirrored"] == 2
                assert tree_of(root) == {"s": ["t", "w"]}
                assert ids_of(t) == [0, 1, 2]
                # storage is still read directly: new commits show up too
                write_deltalake(str(p), _simple_rows([7], "off"), mode="append")
                wait_for(lambda: ids_of(t) == [0, 1, 2, 7], 5, "commit while offline")
                wait_for(lambda: json.loads((root / ".ucfs" / "status.json").read_text())
                         ["sync_status"] == "Failed", 5, "status.json to say Failed")
                # `ucfs sync` says so too, once the daemon's own (retrying) round is over
                u("mirror", "edit", "it", "--auto-sync", "off")
                wait_for(lambda: u.status("it")["sync_status"] != "InProgress", 30,
                         "the daemon's round to end")
                r = u("sync", "it", check=False)
                assert r.returncode == 1 and "cannot reach Unity Catalog" in r.stderr, r.stderr
                assert u.status("it")["sync_status"] == "Failed"
                u("mirror", "edit", "it", "--auto-sync", "on")
                srv.start()
                wait_for(lambda: u.status("it")["sync_status"] == "Success", 30,
                         "a successful sync after the restart")
                assert u.status("it")["last_error"] is None
                assert tree_of(root) == {"s": ["t", "w"]} and ids_of(t) == [0, 1, 2, 7]
    finally:
        srv.stop()


# ----------------------------------------------------------------------------- crash safety

def _integrity(state) -> str:
    con = sqlite3.connect(str(state))
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def _kill_mount(m: Mount) -> None:
    """kill -9 the daemon and clean up what it leaves behind."""
    os.kill(m.proc.pid, signal.SIGKILL)
    m.proc.wait(timeout=10)
    if is_mounted(m.mp):
        subprocess.run(["fusermount3", "-uz", str(m.mp)], capture_output=True)
    m._logf.close()
    m.proc = None
    assert not is_mounted(m.mp)


def test_kill9_daemon_during_syncs(uc_api, uc_server, tmp_path):
    """100 tables, a sync every poll, the daemon killed -9 five times (once
    deterministically while its sync holds the lease): the database stays intact,
    the selection is kept, and neither `ucfs sync` nor a new mount is blocked by
    the dead daemon's InProgress lease."""
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat, GateProxy(uc_server.url) as px:
        proto = cat.data / "proto"
        write_deltalake(str(proto), _simple_rows(range(2), "p"))
        for s in range(4):
            cat.schema(f"s{s}")
            for i in range(25):
                dst = cat.data / f"s{s}_t{i:02d}"
                shutil.copytree(proto, dst)
                cat.register(f"s{s}", f"t{i:02d}", dst)
        host = ["--catalog", cat.name]
        u("mirror", "create", "it", *host, "--host", uc_server.url, "--exclude", "s3",
          "--exclude", "s0.t00", "--description", "crash me")
        u("mirror", "create", "gated", *host, "--host", px.url)
        want = {k: u.show(k) for k in ("it", "gated")}
        keep = ("selection", "description", "auto_sync", "catalog", "host")
        stale_leases = 0
        opts = "sync_interval=0,state_poll=0.02,log_ttl=0.2"
        for rnd in range(5):
            # a new mount point each round: the dead daemon's auto-unmount helper may
            # still be busy with the old one
            m = Mount(tmp_path / f"mnt{rnd}", u.env, options=opts).start()
            assert len(os.listdir(m.mp / "it" / "s1")) == 25
            if rnd == 0:
                px.hold()  # the daemon's next sync of 'gated' stops mid-way
                wait_for(px.held.is_set, 10, "the daemon's sync to reach the proxy")
                st = u.status("gated", tables=False)
                assert st["sync_status"] == "InProgress" and st["sync_pid"] == m.proc.pid, st
            else:
                time.sleep(random.uniform(0.05, 0.6))
            _kill_mount(m)
            px.release()
            stale_leases += u.status("gated", tables=False)["sync_status"] == "InProgress"
            assert _integrity(u.state) == "ok", f"round {rnd}"
            for k in ("it", "gated"):
                show = u.show(k)
                assert {f: show[f] for f in keep} == {f: want[k][f] for f in keep}, (rnd, k)
            r = u("sync")
            assert "synced 'it'" in r.stdout and "synced 'gated'" in r.stdout, r
            st = u.status("it", tables=False)
            assert st["sync_status"] == "Success" and st["counts"]["mirrored"] == 74, st
        assert stale_leases >= 1
        with Mount(tmp_path / "mnt", u.env, options=opts) as m:  # a last, clean mount
            assert tree_of(m.mp / "it")["s0"] == [f"t{i:02d}" for i in range(1, 25)]
            assert "s3" not in os.listdir(m.mp / "it")
            assert ids_of(m.mp / "gated" / "s3" / "t24") == [0, 1]
        assert _integrity(u.state) == "ok"

        # kill -9 of `ucfs sync` while it holds the lease: edits are not blocked after
        px.hold()
        p = u.popen("sync", "gated")
        wait_for(px.held.is_set, 10, "ucfs sync to reach the proxy")
        st = u.status("gated", tables=False)
        assert st["sync_status"] == "InProgress" and st["sync_pid"] == p.pid, st
        p.kill()
        p.communicate(timeout=10)
        px.release()
        assert u.status("gated", tables=False)["sync_status"] == "InProgress"  # stale lease
        u("mirror", "edit", "gated", "--exclude", "s2")
        assert rules(u.show("gated")) == [("s2", None, "Exclude")]
        assert _integrity(u.state) == "ok"
        u("sync", "gated")
        st = u.status("gated", tables=False)
        assert st["sync_status"] == "Success" and st["counts"]["mirrored"] == 75


# ----------------------------------------------------------------------------- concurrency

def test_selection_edit_refused_while_sync_runs(uc_api, uc_server, tmp_path):
    """A sync held mid-way by a proxy: a selection edit (and a second sync) are
    refused with a clear message and change nothing; after it ends, the edit works."""
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat, GateProxy(uc_server.url) as px:
        cat.build({"a": ["t1"], "b": ["t2"]})
        u("mirror", "create", "it", "--catalog", cat.name, "--host", px.url)
        before = u.show("it")
        px.hold()
        p = u.popen("sync", "it")
        try:
            wait_for(px.held.is_set, 10, "ucfs sync to reach the proxy")
            st = u.status("it", tables=False)
            assert st["sync_status"] == "InProgress" and st["sync_pid"] == p.pid, st
            r = u("mirror", "edit", "it", "--exclude", "b", check=False)
            assert r.returncode == 1, (r.stdout, r.stderr)
            assert f"a sync of 'it' is running (pid {p.pid})" in r.stderr, r.stderr
            assert "retry" in r.stderr
            assert u.show("it")["selection"] == before["selection"]
            r = u("sync", "it", check=False)
            assert r.returncode == 1 and f"already running (pid {p.pid})" in r.stderr, r.stderr
        finally:
            px.release()
            out, err = p.communicate(timeout=60)
        assert p.returncode == 0 and "synced 'it'" in out, (out, err)
        u("mirror", "edit", "it", "--exclude", "b")
        assert rules(u.show("it")) == [("b", None, "Exclude")]
        assert "excluded by selection" in table_status(u.status("it"))["b.t2"]["reason"]
