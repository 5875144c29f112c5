"""Lakehouse shortcuts end to end against the real Unity Catalog OSS server:
MOUNT/<lakehouse>/Tables/<shortcut> appears and disappears with the CLI (no
remount), reads exactly like the table (Spark, DuckDB, deltalake), names are
unique across items and lakehouses, and a shortcut whose target is dropped
upstream is hidden from the mount and reported as broken."""
from __future__ import annotations

import json
import os

from deltalake import write_deltalake

import duck
from mountutil import Mount
from synctools import NOSYNC, Catalog, Ucfs, ids_of, wait_for
from tables import _simple_rows


def spark_rows(spark, path) -> list[tuple]:
    return sorted(tuple(sorted(r.asDict().items()))
                  for r in spark.read.format("delta").load(str(path)).collect())


def duck_rows(path) -> list[tuple]:
    con = duck.connect()
    try:
        return sorted(tuple(sorted(r.items()))
                      for r in duck.delta_scan(con, str(path)).to_pylist())
    finally:
        con.close()


def test_shortcuts_read_follow_and_break(spark, uc_api, uc_server, tmp_path):
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        cat.schema("s")
        t = cat.table("s", "t", ids=range(10))
        write_deltalake(str(t), _simple_rows(range(10, 13), "v1"), mode="append")
        cat.table("s", "u", ids=range(100, 102))
        u("mirror", "create", "it", "--catalog", cat.name, "--host", uc_server.url)
        assert "created lakehouse 'lh'" in u("lakehouse", "create", "lh").stdout
        with Mount(tmp_path / "mnt", u.env, options=NOSYNC) as m:
            tables = m.mp / "lh" / "Tables"
            assert sorted(os.listdir(m.mp)) == [".ucfs", "it", "lh"]
            assert os.listdir(m.mp / "lh") == ["Tables"] and os.listdir(tables) == []
            assert not (tables / "sc").exists()

            r = u("shortcut", "create", "lh", "sc", "it.s.t")
            assert "created shortcut lh/Tables/sc -> it.s.t" in r.stdout
            wait_for(lambda: os.listdir(tables) == ["sc"], 5, "shortcut sc in the mount")
            sc, tbl = tables / "sc", m.mp / "it" / "s" / "t"
            assert sorted(os.listdir(sc)) == sorted(os.listdir(tbl))
            assert sorted(os.listdir(sc / "_delta_log")) == sorted(os.listdir(t / "_delta_log"))
            assert ids_of(sc) == list(range(13))
            want = spark_rows(spark, tbl)
            assert len(want) == 13
            assert spark_rows(spark, sc) == want
            assert duck_rows(sc) == duck_rows(tbl) == want
            assert os.getxattr(sc, "user.ucfs.full_name").decode() == f"{cat.name}.s.t"

            # names are one namespace across items and lakehouses; targets must exist
            errors = [
                (["lakehouse", "create", "it"], 1, "already used"),
                (["lakehouse", "create", "lh"], 1, "already used"),
                (["mirror", "create", "lh", "--catalog", cat.name, "--host", uc_server.url],
                 1, "already"),
                (["shortcut", "create", "lh", "sc", "it.s.u"], 1,
                 "lakehouse 'lh' already has a shortcut named 'sc'"),
                (["shortcut", "create", "lh", "x", "nope.s.t"], 1, "no mirrored item named 'nope'"),
                (["shortcut", "create", "nolh", "x", "it.s.t"], 1, "no lakehouse named 'nolh'"),
                (["shortcut", "create", "lh", "x", "it.s"], 2, "ITEM.SCHEMA.TABLE"),
                (["shortcut", "create", "lh", ".x", "it.s.t"], 2, "invalid shortcut name"),
                (["lakehouse", "create", ".lh"], 2, "invalid lakehouse name"),
            ]
            for args, rc, needle in errors:
                r = u(*args, check=False)
                assert r.returncode == rc and needle in r.stderr, (args, r.returncode, r.stderr)
            assert [i["name"] for i in u.items()] == ["it"]
            assert sorted(os.listdir(m.mp)) == [".ucfs", "it", "lh"]

            u("shortcut", "create", "lh", "sc2", "it.s.u")
            wait_for(lambda: sorted(os.listdir(tables)) == ["sc", "sc2"], 5, "shortcut sc2")
            assert ids_of(tables / "sc2") == [100, 101]

            # the target is dropped upstream: after a sync the shortcut is hidden, not an
            # I/O error, and status says it is broken
            cat.drop("s", "t")
            u("sync", "it")
            wait_for(lambda: os.listdir(tables) == ["sc2"], 5, "broken shortcut to vanish")
            assert not sc.exists() and not tbl.exists()
            assert ids_of(tables / "sc2") == [100, 101]
            lhs = u.status_doc(tables=False)["lakehouses"]
            scs = {s["name"]: s for s in lhs[0]["shortcuts"]}
            assert lhs[0]["name"] == "lh" and set(scs) == {"sc", "sc2"}
            assert scs["sc"]["status"] == "broken" and scs["sc"]["target"] == "it.s.t"
            assert scs["sc"]["reason"], scs["sc"]
            assert scs["sc2"] == {"name": "sc2", "target": "it.s.u", "status": "ok",
                                  "reason": None}
            text = u("status").stdout
            assert "Tables/sc" in text and "broken: " in text
            # back upstream: the shortcut works again after a sync
            cat.register("s", "t", t)
            u("sync", "it")
            wait_for(lambda: sorted(os.listdir(tables)) == ["sc", "sc2"], 5, "sc to return")
            assert ids_of(sc) == list(range(13))
            assert json.loads(u("status", "--json").stdout)["lakehouses"][0]["shortcuts"][0][
                "status"] == "ok"

            u("shortcut", "rm", "lh", "sc2")
            wait_for(lambda: os.listdir(tables) == ["sc"], 5, "removed shortcut to vanish")
            assert not (tables / "sc2").exists()
            r = u("shortcut", "rm", "lh", "sc2", check=False)
            assert r.returncode == 1 and "no shortcut named 'sc2'" in r.stderr
            u("lakehouse", "rm", "lh")
            wait_for(lambda: sorted(os.listdir(m.mp)) == [".ucfs", "it"], 5, "removed lakehouse to vanish")
            assert not (m.mp / "lh").exists() and not sc.exists()
            r = u("lakehouse", "rm", "lh", check=False)
            assert r.returncode == 1 and "no lakehouse named 'lh'" in r.stderr
            assert u.status_doc(tables=False)["lakehouses"] == []
            # the name is free again
            u("lakehouse", "create", "lh")
            wait_for(lambda: sorted(os.listdir(m.mp)) == [".ucfs", "it", "lh"], 5, "lakehouse again")
            assert os.listdir(m.mp / "lh" / "Tables") == []
