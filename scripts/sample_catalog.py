"""Implementation of scripts/sample-catalog (see there)."""
from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
from pathlib import Path

import pyarrow as pa
from deltalake import DeltaTable, write_deltalake

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))
from ucapi import UCClient, UCError  # noqa: E402

CATALOG = "ucfs_demo"


def orders(rng: random.Random) -> pa.Table:
    n = 60
    days = [dt.date(2024, 3, 1) + dt.timedelta(days=i % 5) for i in range(n)]
    return pa.table({
        "order_id": pa.array(range(1, n + 1), pa.int64()),
        "customer_id": pa.array([rng.randint(1, 10) for _ in range(n)], pa.int64()),
        "product_id": pa.array([rng.randint(1, 8) for _ in range(n)], pa.int64()),
        "quantity": pa.array([rng.randint(1, 5) for _ in range(n)], pa.int32()),
        "amount": pa.array([round(rng.uniform(5, 500), 2) for _ in range(n)], pa.float64()),
        "order_date": pa.array(days, pa.date32()),
    })


def customers() -> pa.Table:
    names = ["Ada", "Bob", "Chloé", "Dmitri", "Eve", "Farah", "Gus", "Hana", "Ivan", "Jun"]
    cities = ["Paris", "Berlin", "Zürich", "New York", "Tokyo"]
    return pa.table({
        "customer_id": pa.array(range(1, 11), pa.int64()),
        "name": names,
        "city": [cities[i % len(cities)] for i in range(10)],
        "signup": pa.array([dt.datetime(2023, 1 + i, 1, 12, 0, tzinfo=dt.timezone.utc)
                            for i in range(10)], pa.timestamp("us", tz="UTC")),
    })


def products() -> pa.Table:
    return pa.table({
        "product_id": pa.array(range(1, 9), pa.int64()),
        "name": ["mug", "t-shirt", "poster", "sticker", "hoodie", "cap", "notebook", "pen"],
        "price": pa.array([8.5, 20.0, 12.0, 2.0, 45.0, 18.0, 6.5, 1.5], pa.float64()),
        "in_stock": [True, True, False, True, True, False, True, True],
    })


def events_batch(start: int, n: int, day: dt.date) -> pa.Table:
    kinds = ["view", "click", "add_to_cart", "purchase"]
    return pa.table({
        "event_id": pa.array(range(start, start + n), pa.int64()),
        "kind": [kinds[i % 4] for i in range(start, start + n)],
        "url": [f"/p/{i % 8 + 1}" for i in range(start, start + n)],
        "ts": pa.array([dt.datetime.combine(day, dt.time(10, i % 60), tzinfo=dt.timezone.utc)
                        for i in range(n)], pa.timestamp("us", tz="UTC")),
    })


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="sample-catalog", description=__doc__)
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--data", required=True, help="directory for the table data")
    ap.add_argument("--recreate", action="store_true", help="drop and rebuild ucfs_demo")
    a = ap.parse_args(argv)
    c = UCClient(a.url)
    data = Path(a.data).resolve() / CATALOG
    try:
        c.get_catalog(CATALOG)
        exists = True
    except UCError as e:
        if e.status != 404:
            raise
        exists = False
    if exists and not a.recreate:
        print(f"sample-catalog: {CATALOG} already exists at {a.url} (use --recreate to rebuild)")
        return 0
    c.delete_catalog(CATALOG)
    if data.exists():
        shutil.rmtree(data)
    rng = random.Random(42)
    c.create_catalog(CATALOG, comment="ucfs demo catalog")
    c.create_schema(CATALOG, "retail", comment="shop data")
    c.create_schema(CATALOG, "web", comment="click stream")

    o = orders(rng)
    p = data / "retail" / "orders"
    write_deltalake(str(p), o, partition_by=["order_date"])
    c.register_arrow_table(CATALOG, "retail", "orders", p, o.schema, partition_by=["order_date"],
                           comment="orders, partitioned by order_date")
    for name, t in (("customers", customers()), ("products", products())):
        p = data / "retail" / name
        write_deltalake(str(p), t)
        c.register_arrow_table(CATALOG, "retail", name, p, t.schema)

    # web.events: v0 create, v1 append, v2 append, v3 delete the 'view' events of day 1
    p = data / "web" / "events"
    b0 = events_batch(0, 20, dt.date(2024, 3, 1))
    write_deltalake(str(p), b0)
    write_deltalake(str(p), events_batch(20, 20, dt.date(2024, 3, 2)), mode="append")
    write_deltalake(str(p), events_batch(40, 20, dt.date(2024, 3, 3)), mode="append")
    DeltaTable(str(p)).delete("kind = 'view' AND event_id < 20")
    c.register_arrow_table(CATALOG, "web", "events", p, b0.schema, comment="4 versions")

    for s in ("retail", "web"):
        for t in c.list_tables(CATALOG, s):
            print(f"sample-catalog: {CATALOG}.{s}.{t['name']} -> {t['storage_location']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
