"""Real Delta readers get exactly the same rows through the mount as directly
from the table's storage: deltalake, DuckDB (delta_scan), polars, pandas and
PySpark with delta-spark, for the latest version and with time travel."""
from __future__ import annotations

import datetime as dt
import decimal

import pandas as pd
import pyarrow as pa
import polars as pl
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable

import duck
from conftest import CATALOG
from tables import read_delta_arrow

DELTA_TABLES = ["sales.orders", "sales.customers", "sales.regions", "sales.events", "misc.notes"]


def _norm(v):
    if isinstance(v, (dt.datetime, dt.date, decimal.Decimal)):
        return str(v)
    if hasattr(v, "item"):  # numpy scalars
        return v.item()
    return v


def rows(records) -> list[tuple]:
    """Canonical, reader-independent form: sorted (column, value) tuples, rows sorted by id."""
    out = [tuple(sorted((k, _norm(v)) for k, v in r.items())) for r in records]
    return sorted(out, key=lambda r: dict(r)["id"])


def read_deltalake(path, version=None):
    return rows(read_delta_arrow(path, version).to_pylist())


def read_duckdb(path, version=None):
    con = duck.connect()
    try:
        return rows(duck.delta_scan(con, str(path), version).to_pylist())
    finally:
        con.close()


def read_polars(path, version=None):
    return rows(pl.read_delta(str(path), version=version).to_dicts())


def read_pandas(path, version=None):
    """pandas reads the Parquet files the Delta log names (pyarrow engine), adding
    partition values from the log, as a notebook without Spark would."""
    t = DeltaTable(str(path), version=version)
    frames = []
    for add in pa.table(t.get_add_actions(flatten=True)).to_pylist():
        df = pd.read_parquet(f"{path}/{_unquote(add['path'])}", engine="pyarrow")
        for k, v in add.items():
            if k.startswith("partition.") and k[len("partition."):] not in df.columns:
                df[k[len("partition."):]] = v
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    return rows(df.to_dict("records"))


def _unquote(p: str) -> str:
    from urllib.parse import unquote
    return unquote(p)


def read_spark(spark, path, version=None):
    r = spark.read.format("delta")
    if version is not None:
        r = r.option("versionAsOf", version)
    return rows(row.asDict() for row in r.load(str(path)).collect())


READERS = {"deltalake": read_deltalake, "duckdb": read_duckdb, "polars": read_polars,
           "pandas": read_pandas}


def expected(spec, version=None):
    t = spec.v0 if version == 0 else spec.latest
    return rows(t.to_pylist())


@pytest.mark.parametrize("table", DELTA_TABLES)
@pytest.mark.parametrize("reader", list(READERS))
def test_reader_latest_same_through_mount(reader, table, catalog, mount):
    spec = catalog[table]
    mounted = mount / CATALOG / table.replace(".", "/")
    via_mount = READERS[reader](mounted)
    direct = READERS[reader](spec.path)
    assert via_mount == direct
    assert [dict(r)["id"] for r in via_mount] == [dict(r)["id"] for r in expected(spec)]
    assert len(via_mount) == spec.latest.num_rows > 0


@pytest.mark.parametrize("table", ["sales.orders", "sales.regions", "sales.customers"])
@pytest.mark.parametrize("reader", ["deltalake", "duckdb", "polars"])
def test_time_travel_version_0(reader, table, catalog, mount):
    spec = catalog[table]
    mounted = mount / CATALOG / table.replace(".", "/")
    old = READERS[reader](mounted, 0)
    assert old == READERS[reader](spec.path, 0)
    assert [dict(r)["id"] for r in old] == [dict(r)["id"] for r in expected(spec, 0)]
    assert old != READERS[reader](mounted)  # version 0 really differs from the latest


@pytest.mark.parametrize("table", DELTA_TABLES)
def test_spark_same_through_mount(spark, table, catalog, mount):
    spec = catalog[table]
    mounted = mount / CATALOG / table.replace(".", "/")
    via_mount = read_spark(spark, mounted)
    assert via_mount == read_spark(spark, spec.path)
    assert [dict(r)["id"] for r in via_mount] == [dict(r)["id"] for r in expected(spec)]


def test_spark_time_travel_and_sql(spark, catalog, mount):
    spec = catalog["sales.orders"]
    mounted = mount / CATALOG / "sales" / "orders"
    assert read_spark(spark, mounted, 0) == read_spark(spark, spec.path, 0)
    assert [dict(r)["id"] for r in read_spark(spark, mounted, 0)] == list(range(5))
    n = spark.sql(f"SELECT count(*) AS n FROM delta.`{mounted}`").collect()[0]["n"]
    assert n == spec.latest.num_rows


def test_parquet_footer_read_directly(catalog, mount):
    """A Parquet reader seeks to the footer first: sizes must be exact before any read."""
    spec = catalog["sales.events"]
    mounted = mount / CATALOG / "sales" / "events"
    for f in sorted(spec.path.rglob("*.parquet"))[:5]:
        rel = f.relative_to(spec.path)
        assert pq.read_metadata(mounted / rel).num_rows == pq.read_metadata(f).num_rows
