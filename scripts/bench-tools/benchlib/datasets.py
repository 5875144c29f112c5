"""The bench's data: made once on the local disk (kept in .cache/bench/data,
keyed by size, reused by later runs), uploaded to the S3 server's tmpfs and
registered in Unity Catalog on every run.

    seq/big.bin, seq/par1..3.bin  random bytes (the sequential, first-byte,
                                  random-read and parallel-reader objects)
    seq/small.bin                 a few bytes, read first so credentials and
                                  listings are in place before a timed read
    delta/                        a Delta table written by deltalake: an id and
                                  five incompressible columns, so a one-column
                                  query reads about a sixth of it (Parquet pattern)
    meta/<schema>/<table>/        N one-commit Delta tables, 100 per schema
                                  (4 entries each: the `ls -R` / `find` catalog)
"""
from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .servers import BUCKET, REGION, S3Keys
from .util import BenchError, log

PAR_READERS = 4


def s3_client(endpoint: str, keys: S3Keys):
    import boto3
    from botocore.config import Config
    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id=keys.access, aws_secret_access_key=keys.secret,
                        config=Config(s3={"addressing_style": "path"}, max_pool_connections=16,
                                      retries={"max_attempts": 3}))


def _made(d: Path) -> bool:
    """True if D was completed by an earlier run; else D is emptied for a new one."""
    if (d / ".stamp").is_file():
        return True
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    return False


def make_object(data: Path, size_mib: int) -> Path:
    d = data / f"object-{size_mib}"
    if _made(d):
        return d / "big.bin"
    log(f"making a {size_mib} MiB random object in {d}")
    with open(d / "big.bin", "wb") as f:
        for _ in range(size_mib):
            f.write(os.urandom(1 << 20))
    (d / ".stamp").write_text("1")
    return d / "big.bin"


def make_delta(data: Path, size_mib: int) -> Path:
    """A Delta table of about SIZE_MIB written by deltalake (several files)."""
    d = data / f"delta-{size_mib}"
    if _made(d):
        return d / "table"
    import numpy as np
    import pyarrow as pa
    from deltalake import write_deltalake
    log(f"writing a ~{size_mib} MB Delta table with deltalake in {d}")
    rows_total = size_mib * 1_000_000 // 48  # 6 columns of 8 bytes
    per_file = max(rows_total // 8, 1000)
    rng = np.random.default_rng(7)
    written = 0
    while written < rows_total:
        n = min(per_file, rows_total - written)
        t = pa.table({
            "id": pa.array(np.arange(written, written + n, dtype=np.int64)),
            "a": pa.array(rng.random(n)), "b": pa.array(rng.random(n)),
            "c": pa.array(rng.integers(0, 1 << 62, n, dtype=np.int64)),
            "d": pa.array(rng.random(n)), "e": pa.array(rng.random(n)),
        })
        write_deltalake(str(d / "table"), t, mode="append")
        written += n
    (d / ".stamp").write_text("1")
    return d / "table"


def make_meta(data: Path, tables: int) -> Path:
    """TABLES one-commit Delta tables laid out as <schema>/<table>/ (100 per
    schema), the local twin of the mounted catalog."""
    d = data / f"meta-{tables}"
    if _made(d):
        return d / "tree"
    import pyarrow as pa
    from deltalake import write_deltalake
    log(f"writing {tables} small Delta tables in {d}")
    proto = d / "proto"
    write_deltalake(str(proto), pa.table({"id": list(range(10)), "v": [f"v{i}" for i in range(10)]}))
    tree = d / "tree"
    for i in range(tables):
        shutil.copytree(proto, tree / schema_of(i) / f"t{i}")
    shutil.rmtree(proto)
    (d / ".stamp").write_text("1")
    return tree


def schema_of(i: int) -> str:
    return f"s{i // 100}"


def upload_tree(s3, root: Path, prefix: str) -> int:
    files = [p for p in root.rglob("*") if p.is_file() and p.name != ".stamp"]

    def put(p: Path) -> None:
        s3.upload_file(str(p), BUCKET, f"{prefix}/{p.relative_to(root).as_posix()}")
    with ThreadPoolExecutor(8) as ex:
        list(ex.map(put, files))
    return len(files)


def upload_all(s3, obj: Path, delta: Path, meta: Path) -> None:
    from boto3.s3.transfer import TransferConfig
    s3.create_bucket(Bucket=BUCKET)
    cfg = TransferConfig(multipart_threshold=1 << 40)  # one PUT: one plain file on the server
    s3.upload_file(str(obj), BUCKET, "seq/big.bin", Config=cfg)
    for i in range(1, PAR_READERS):
        s3.copy_object(Bucket=BUCKET, Key=f"seq/par{i}.bin", CopySource={"Bucket": BUCKET, "Key": "seq/big.bin"})
    s3.put_object(Bucket=BUCKET, Key="seq/small.bin", Body=b"ucfs bench\n")
    upload_tree(s3, delta, "delta")
    upload_tree(s3, meta, "meta")


def register_uc(api, delta: Path, meta: Path, tables: int, meta_on_s3: bool = True) -> None:
    """Catalog `bench` (schema s: tables seq, delta) and catalog `meta`, whose
    tables are in the S3 server (meta_on_s3) or the local tree itself (file://)."""
    import pyarrow.parquet as pq
    from ucapi import columns_from_arrow, file_uri
    api.create_catalog("bench")
    api.create_schema("bench", "s")
    api.create_table("bench", "s", "seq", columns=[], storage_location=f"s3://{BUCKET}/seq")
    pf = next(delta.glob("*.parquet"))
    api.create_table("bench", "s", "delta", columns=columns_from_arrow(pq.read_schema(pf)),
                     storage_location=f"s3://{BUCKET}/delta")
    api.create_catalog("meta")
    mpf = next(meta.glob("*/*/*.parquet"))
    cols = columns_from_arrow(pq.read_schema(mpf))
    for s in sorted({schema_of(i) for i in range(tables)}):
        api.create_schema("meta", s)

    def reg(i: int) -> None:
        rel = f"{schema_of(i)}/t{i}"
        api.create_table("meta", schema_of(i), f"t{i}", columns=cols,
                         storage_location=f"s3://{BUCKET}/meta/{rel}" if meta_on_s3 else file_uri(meta / rel))
    with ThreadPoolExecutor(4) as ex:
        list(ex.map(reg, range(tables)))
    got = sum(len(api.list_tables("meta", s)) for s in sorted({schema_of(i) for i in range(tables)}))
    if got != tables:
        raise BenchError(f"Unity Catalog lists {got} tables in catalog meta, expected {tables}")
