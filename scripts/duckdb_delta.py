"""Implementation of scripts/duckdb-delta (see there)."""
from __future__ import annotations

import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures"))
from duck import connect  # noqa: E402  (where the extension file is, and loading it)

USAGE = "usage: scripts/duckdb-delta SQL [SQL...]   (DuckDB with the delta extension, offline)"


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    try:
        con = connect()
    except RuntimeError as e:  # the extension is missing or does not match duckdb
        print(f"duckdb-delta: {e}", file=sys.stderr)
        return 1
    for sql in argv:
        try:
            rel = con.sql(sql)
            if rel is not None:
                rel.show(max_rows=100)
        except duckdb.Error as e:
            print(f"duckdb-delta: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
