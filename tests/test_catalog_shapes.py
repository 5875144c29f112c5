"""Catalog shapes beyond the basic fixture: listings longer than one page
(the OSS server pages at 100), MANAGED tables, and deletion-vector tables
written by Spark (files no add action names must still be there)."""
from __future__ import annotations

import json
import os
import shutil

import polars as pl
from deltalake import write_deltalake

from mountutil import Mount, env_for, run
from tables import _simple_rows, read_delta_arrow
from ucapi import file_uri as file_uri_of


def _fresh_catalog(api, name, **kw):
    api.delete_catalog(name)
    api.create_catalog(name, **kw)


def test_listings_longer_than_a_page(uc_api, uc_server, tmp_path):
    """130 tables in one schema and 105 schemas: every page is followed."""
    cat = "ucfs_many"
    _fresh_catalog(uc_api, cat)
    src = tmp_path / "data" / "proto"
    write_deltalake(str(src), _simple_rows(range(2), "p"))
    uc_api.create_schema(cat, "big")
    schema = _simple_rows([0], "x").schema
    for i in range(130):
        dst = tmp_path / "data" / f"t{i:03d}"
        shutil.copytree(src, dst)
        uc_api.register_arrow_table(cat, "big", f"t{i:03d}", dst, schema)
    for i in range(104):
        uc_api.create_schema(cat, f"s{i:03d}")
    uc_api.register_arrow_table(cat, "s103", "last", tmp_path / "data" / "t000", schema)

    j = json.loads(run(["browse", cat, "--host", uc_server.url, "--json"], env=env_for(),
                       check=True).stdout)
    assert len(j["schemas"]) == 105
    assert sum(len(s["tables"]) for s in j["schemas"]) == 131
    state = tmp_path / "state.db"
    run(["mirror", "create", "--catalog", cat, "--host", uc_server.url], env=env_for(state),
        check=True)
    with Mount(tmp_path / "mnt", env_for(state)) as m:
        assert len(os.listdir(m.mp / cat / "big")) == 130
        assert sorted(os.listdir(m.mp / cat)) == [".ucfs", "big", "s103"]  # empty schemas hidden
        assert read_delta_arrow(m.mp / cat / "big" / "t129").num_rows == 2
    uc_api.delete_catalog(cat)


def test_managed_table_is_shown(uc_api, uc_server, tmp_path):
    cat = "ucfs_managed"
    root = tmp_path / "root"
    root.mkdir()
    _fresh_catalog(uc_api, cat, storage_root=file_uri_of(root))
    uc_api.create_schema(cat, "m")
    rows = _simple_rows(range(7), "m")
    uc_api.create_managed_delta(cat, "m", "owned", lambda p: write_deltalake(p, rows),
                                rows.schema)
    state = tmp_path / "state.db"
    run(["mirror", "create", "--catalog", cat, "--host", uc_server.url], env=env_for(state),
        check=True)
    with Mount(tmp_path / "mnt", env_for(state)) as m:
        t = m.mp / cat / "m" / "owned"
        assert os.getxattr(t, "user.ucfs.table_type") == b"MANAGED"
        assert read_delta_arrow(t).num_rows == 7
    uc_api.delete_catalog(cat)


def test_deletion_vectors_written_by_spark(spark, uc_api, uc_server, tmp_path):
    cat = "ucfs_dv"
    path = tmp_path / "data" / "dv"
    spark.range(0, 1000).selectExpr("id", "id % 10 AS k").repartition(1).write.format(
        "delta").option("delta.enableDeletionVectors", "true").save(str(path))
    spark.sql(f"DELETE FROM delta.`{path}` WHERE k = 3")
    dvs = list(path.glob("deletion_vector_*.bin"))
    assert dvs, "Spark wrote no deletion vector: the fixture does not exercise DVs"
    _fresh_catalog(uc_api, cat)
    uc_api.create_schema(cat, "s")
    uc_api.register_arrow_table(cat, "s", "dv", path, pl.DataFrame(
        {"id": [0], "k": [0]}).to_arrow().schema)
    state = tmp_path / "state.db"
    run(["mirror", "create", "--catalog", cat, "--host", uc_server.url], env=env_for(state),
        check=True)
    with Mount(tmp_path / "mnt", env_for(state)) as m:
        t = m.mp / cat / "s" / "dv"
        assert sorted(p.name for p in t.glob("deletion_vector_*.bin")) == sorted(
            p.name for p in dvs)
        via_spark = sorted(r.id for r in spark.read.format("delta").load(str(t)).collect())
        assert via_spark == [i for i in range(1000) if i % 10 != 3]
        via_polars = sorted(pl.read_delta(str(t))["id"].to_list())
        assert via_polars == via_spark
    uc_api.delete_catalog(cat)
