"""One DuckDB query for scripts/bench, in a fresh process (nothing cached):

    python duck_query.py LOCATION

LOCATION is a Delta table directory (local or mounted) or s3://bucket/prefix
(then BENCH_S3_ENDPOINT, BENCH_S3_KEY, BENCH_S3_SECRET give the server). The
delta and httpfs extensions are loaded from their PyPI packages, offline.
Prints one JSON line: {"seconds": query time, "count": ..., "sum": ...}.
"""
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import duckdb


def extension(pkg: str, name: str) -> Path:
    spec = importlib.util.find_spec(pkg)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"{pkg} is not installed (run scripts/bootstrap venv)")
    p = Path(list(spec.submodule_search_locations)[0]) / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not p.is_file():
        sys.exit(f"missing {p}: pin {pkg} to duckdb's version {duckdb.__version__}")
    return p


loc = sys.argv[1]
con = duckdb.connect(config={"autoinstall_known_extensions": False,
                             "autoload_known_extensions": False})
con.execute(f"LOAD '{extension('duckdb_extension_delta', 'delta')}'")
if loc.startswith("s3://"):
    con.execute(f"LOAD '{extension('duckdb_extension_httpfs', 'httpfs')}'")
    ep = urlparse(os.environ["BENCH_S3_ENDPOINT"])
    def q(v: str) -> str:
        return "'" + v.replace("'", "''") + "'"
    con.execute(f"CREATE SECRET bench (TYPE s3, KEY_ID {q(os.environ['BENCH_S3_KEY'])}, "
                f"SECRET {q(os.environ['BENCH_S3_SECRET'])}, REGION 'us-east-1', "
                f"ENDPOINT {q(ep.netloc)}, URL_STYLE 'path', USE_SSL false)")
t0 = time.monotonic()
n, s = con.execute(f"SELECT count(*), sum(a) FROM delta_scan('{loc.rstrip('/')}')").fetchone()
print(json.dumps({"seconds": time.monotonic() - t0, "count": n, "sum": s}))
