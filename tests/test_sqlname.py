"""Issue 10, part 1: tables by name. A real mount of a real Unity Catalog OSS
server serves MOUNT/.ucfs/duckdb.sql and MOUNT/.ucfs/spark.sql; DuckDB (the
duckdb-cli through `ucfs sql`, and Python's duckdb) and Spark (pyspark with
delta-spark, session catalog) query the tables by name and get what the same
query by path gets; the files follow a sync that adds or drops a table; a
hostile table name (quotes, spaces, unicode; given by a proxy, as the server
refuses such names) is quoted, not mangled; skipped tables are comments.
Unity Catalog's columns and keys are in MOUNT/.ucfs/model.json and the keys in
the files' comments. `ucfs preview` prints a table's columns and first rows."""
from __future__ import annotations

import errno
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

import duck
from mountutil import UCFS, Mount, run
from synctools import NOSYNC, Catalog, Ucfs, wait_for
from ucproxy import UCProxy

HOSTILE = "it's \"q\" t\u00e4 ble"
MOUNT_NAME = "m'nt x"  # the paths in the files hold a quote and a space too


def dq(s) -> str:
    """A DuckDB string literal's body."""
    return str(s).replace("'", "''")


def sq(s) -> str:
    """A Spark string literal's body."""
    return str(s).replace("\\", "\\\\").replace("'", "\\'")
VENV_BIN = Path(sys.executable).parent


def sql_env(u: Ucfs, path_has_duckdb: bool = True) -> dict:
    """The CLI's environment: duckdb (the PyPI duckdb-cli in the venv) on PATH."""
    env = dict(u.env)
    env["PATH"] = (f"{VENV_BIN}:" if path_has_duckdb else "") + "/usr/local/bin:/usr/bin:/bin"
    return env


@pytest.fixture(scope="module")
def lab(uc_api, uc_server, tmp_path_factory):
    """Item 'it' (schema s: t, u, the hostile table, a view) and item 'main' (the
    same catalog, a name DuckDB reserves), lakehouse 'lh' with shortcut 'sc' ->
    it.s.t, mounted (no auto-sync)."""
    tmp = tmp_path_factory.mktemp("sqlname")
    proxy = UCProxy(uc_server.url)

    def alter(t):
        if t.get("name") == "h":
            return dict(t, name=HOSTILE, full_name=f"{t['catalog_name']}.s.{HOSTILE}")
        if t.get("name") == "t":  # keys as Databricks reports them (the OSS server has none)
            return dict(t, table_constraints=[
                {"primary_key_constraint": {"name": "t_pk", "child_columns": ["id"]}},
                {"foreign_key_constraint": {"name": "t_u\nfk", "child_columns": ["qty"],
                                            "parent_table": f"{t['catalog_name']}.s.u",
                                            "parent_columns": ["id"]}}])
        return t
    proxy.rewrite_tables(alter)
    with Catalog(uc_api, tmp / "data") as cat:
        cat.schema("s")
        cat.table("s", "t", ids=range(10))
        cat.table("s", "u", ids=range(100, 103))
        cat.table("s", "h", ids=range(50, 54))
        cat.view("s", "v", on="s.t")
        u = Ucfs(tmp / "state.db")
        u("mirror", "create", "it", "--catalog", cat.name, "--host", proxy.url)
        u("mirror", "create", "main", "--catalog", cat.name, "--host", proxy.url)
        u("lakehouse", "create", "lh")
        u("shortcut", "create", "lh", "sc", "it.s.t")
        with Mount(tmp / MOUNT_NAME, u.env, options=NOSYNC) as m:
            yield {"u": u, "mnt": m.mp, "cat": cat, "tmp": tmp}
    proxy.close()


def defs(mnt: Path, name: str) -> str:
    return (mnt / ".ucfs" / name).read_text()


def test_files_are_served_read_only_with_their_size(lab):
    mnt = lab["mnt"]
    assert {"duckdb.sql", "spark.sql", "stats.json"} <= set(os.listdir(mnt / ".ucfs"))
    for name in ("duckdb.sql", "spark.sql"):
        p = mnt / ".ucfs" / name
        data = p.read_bytes()
        st = p.stat()
        assert st.st_size == len(data) > 0  # readers that trust st_size get everything
        assert st.st_mode & 0o222 == 0
        with pytest.raises(OSError) as e:
            os.open(p, os.O_WRONLY)
        assert e.value.errno in (errno.EROFS, errno.EACCES)
        text = data.decode()
        assert f"mounted at {mnt}" in text
        # the view is skipped: a comment with the reason, no statement
        assert re.search(r"^-- skipped it\.s\.v: .*view", text, re.M), text
        assert "s.v AS" not in text and "/s/v'" not in text
    d = defs(mnt, "duckdb.sql")
    assert "ATTACH IF NOT EXISTS ':memory:' AS it;\n" in d
    assert f"CREATE OR REPLACE VIEW it.s.t AS SELECT * FROM delta_scan('{dq(mnt)}/it/s/t');" in d
    # hostile: quoted as DuckDB reads it, the path with ' doubled
    assert ("CREATE OR REPLACE VIEW it.s.\"it's \"\"q\"\" t\u00e4 ble\" AS SELECT * FROM "
            f"delta_scan('{dq(mnt)}/it/s/it''s \"q\" t\u00e4 ble');") in d
    assert "CREATE OR REPLACE VIEW lh.Tables.sc AS SELECT * FROM " \
           f"delta_scan('{dq(mnt)}/lh/Tables/sc');" in d
    assert re.search(r"^-- skipped item main: DuckDB reserves the database name 'main'", d, re.M)
    assert "AS main" not in d
    s = defs(mnt, "spark.sql")
    assert f"CREATE TABLE IF NOT EXISTS it_s.t USING delta LOCATION '{sq(mnt)}/it/s/t';" in s
    # Spark's session catalog takes no such name, quoted or not: a comment, not a mangled name
    assert (f"-- skipped it.s.{HOSTILE}: Spark's session catalog takes only letters, digits "
            f"and _ in table names, not '{HOSTILE}'\n") in s
    assert f"CREATE TABLE IF NOT EXISTS main_s.t USING delta LOCATION '{sq(mnt)}/main/s/t';" in s
    assert f"CREATE TABLE IF NOT EXISTS lh.sc USING delta LOCATION '{sq(mnt)}/lh/Tables/sc';" in s


def test_model_json_has_columns_keys_and_relationships(lab):
    mnt, cat = lab["mnt"], lab["cat"].name
    p = mnt / ".ucfs" / "model.json"
    data = p.read_bytes()
    assert p.stat().st_size == len(data)
    doc = json.loads(data)
    assert doc["mount"] == str(mnt)
    tables = {(t["item"], t["schema"], t["name"]): t for t in doc["tables"]}
    t = tables[("it", "s", "t")]
    assert t["full_name"] == f"{cat}.s.t" and t["path"] == f"{mnt}/it/s/t"
    assert t["status"] == "mirrored" and t["reason"] is None
    # the columns as the real server reports them for the table written by deltalake
    assert [(c["name"], c["type_name"]) for c in t["columns"]] == [
        ("id", "LONG"), ("item", "STRING"), ("qty", "INT"), ("price", "DOUBLE"), ("day", "DATE")]
    assert t["primary_key"] == ["id"]
    assert t["foreign_keys"] == [{"name": "t_u\nfk", "columns": ["qty"],
                                  "parent_table": f"{cat}.s.u", "parent_columns": ["id"]}]
    assert tables[("it", "s", "u")]["primary_key"] is None
    assert tables[("it", "s", "v")]["status"] == "skipped" and tables[("it", "s", "v")]["path"] is None
    assert tables[("it", "s", HOSTILE)]["path"] == f"{mnt}/it/s/{HOSTILE}"
    rels = [r for r in doc["relationships"] if r["from"]["item"] == "it"]
    assert rels == [{"name": "t_u\nfk",
                     "from": {"item": "it", "schema": "s", "name": "t", "columns": ["qty"]},
                     "to": {"full_name": f"{cat}.s.u", "item": "it", "schema": "s", "name": "u",
                            "columns": ["id"]}}]
    # item main mirrors the same catalog: its relationship stays inside main
    [mrel] = [r for r in doc["relationships"] if r["from"]["item"] == "main"]
    assert mrel["to"]["item"] == "main"
    assert {"lakehouse": "lh", "name": "sc", "path": f"{mnt}/lh/Tables/sc", "item": "it",
            "schema": "s", "table": "t"} in doc["shortcuts"]
    # the keys follow the table in both files, escaped to one line each
    for name in ("duckdb.sql", "spark.sql"):
        text = defs(mnt, name)
        assert (f"-- primary key t_pk (id)\n-- foreign key t_u\\x0Afk (qty) references "
                f"{cat}.s.u (id)\n") in text, text


def rows_of(rel) -> list[tuple]:
    return sorted(rel.fetchall())


def test_duckdb_python_by_name_matches_by_path(lab):
    mnt = lab["mnt"]
    con = duck.connect()
    try:
        con.execute(defs(mnt, "duckdb.sql"))
        for name, path in [("it.s.t", "it/s/t"), ("it.s.u", "it/s/u"),
                           ('it.s."it\'s ""q"" t\u00e4 ble"', f"it/s/{HOSTILE}"),
                           ("lh.Tables.sc", "lh/Tables/sc")]:
            by_name = rows_of(con.sql(f"SELECT * FROM {name}"))
            lit = dq(mnt / path)
            by_path = rows_of(con.sql(f"SELECT * FROM delta_scan('{lit}')"))
            assert by_name == by_path and by_name, name
        assert [r[0] for r in rows_of(con.sql("SELECT id FROM it.s.u"))] == [100, 101, 102]
        # duckdb.sql via duckdb.sql(): the module's default connection
        import duckdb
        duckdb.sql(f"LOAD '{duck.delta_extension_path()}'")
        duckdb.sql(defs(mnt, "duckdb.sql"))
        assert duckdb.sql('SELECT count(*) FROM it.s."it\'s ""q"" t\u00e4 ble"').fetchall() == [(4,)]
    finally:
        con.close()


def cli(lab, *args, env=None):
    return run(list(args), env=env or sql_env(lab["u"]), timeout=120)


def test_ucfs_sql_runs_one_query_by_name(lab):
    mnt = lab["mnt"]
    m = ["--mount", str(mnt)]
    r = cli(lab, "sql", *m, "-c",
            "SELECT count(*) AS n, sum(id) AS s FROM it.s.t UNION ALL "
            "SELECT count(*), sum(id) FROM delta_scan('" + dq(mnt) + "/it/s/t')")
    assert r.returncode == 0, r.stderr
    assert len(re.findall(r"10\s*│\s*45", r.stdout)) == 2, r.stdout
    # ITEM: its tables are schema.table too; the hostile name quoted by the user
    r = cli(lab, "sql", "it", *m, "-c", 'SELECT sum(id) AS total FROM s."it\'s ""q"" t\u00e4 ble"')
    assert r.returncode == 0 and re.search(r"│\s*206\s*│", r.stdout), (r.stdout, r.stderr)
    r = cli(lab, "sql", "lh", *m, "-c", "SELECT count(*) AS n FROM Tables.sc")
    assert r.returncode == 0 and re.search(r"│\s*10\s*│", r.stdout), (r.stdout, r.stderr)
    # the CLI given by --duckdb (nothing on PATH), the offline extension found beside it
    r = cli(lab, "sql", *m, "--duckdb", str(VENV_BIN / "duckdb"), "-c",
            "SELECT count(*) AS n FROM it.s.u", env=sql_env(lab["u"], path_has_duckdb=False))
    assert r.returncode == 0 and re.search(r"│\s*3\s*│", r.stdout), (r.stdout, r.stderr)
    # the shell (no -c): statements from stdin, with the definitions loaded
    r = run(["sql", "it", *m], env=sql_env(lab["u"]), timeout=120,
            input="SELECT count(*) AS n FROM s.u;\nSELECT max(id) AS top FROM lh.Tables.sc;\n")
    assert r.returncode == 0, r.stderr
    assert re.search(r"│\s*3\s*│", r.stdout) and re.search(r"│\s*9\s*│", r.stdout), r.stdout
    # a failing query is the exit status
    r = cli(lab, "sql", *m, "-c", "SELECT * FROM it.s.nope")
    assert r.returncode != 0 and "nope" in r.stderr + r.stdout


def one_error_line(r) -> str:
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode != 0 and len(lines) == 1 and lines[0].startswith("ucfs: error: "), r.stderr
    return lines[0]


def test_ucfs_sql_errors_say_what_to_do(lab, tmp_path):
    mnt = lab["mnt"]
    m = ["--mount", str(mnt)]
    assert "no item or lakehouse 'nope'" in one_error_line(cli(lab, "sql", "nope", *m, "-c", "SELECT 1"))
    line = one_error_line(cli(lab, "sql", "main", *m, "-c", "SELECT 1"))
    assert "DuckDB reserves the database name 'main'" in line and "--rename" in line
    line = one_error_line(cli(lab, "sql", "--mount", str(tmp_path), "-c", "SELECT 1"))
    assert "is not a ucfs mount" in line
    line = one_error_line(cli(lab, "sql", *m, "-c", "SELECT 1",
                              env=sql_env(lab["u"], path_has_duckdb=False)))
    assert "no DuckDB CLI" in line and "duckdb-cli" in line
    # no ucfs mount at all (a mount namespace where every ucfs mount is gone)
    with open("/proc/self/mountinfo") as f:
        ours = [ln.split(" - ")[0].split()[4].encode().decode("unicode_escape")
                for ln in f if " - fuse.ucfs " in ln]
    script = "".join(f"umount -l {shlex.quote(p)} && " for p in ours) + \
        f"exec {shlex.quote(str(UCFS))} sql -c 'SELECT 1'"
    p = subprocess.run(["unshare", "-m", "sh", "-c", script], env=sql_env(lab["u"]),
                       capture_output=True, text=True, timeout=60)
    assert "no ucfs mount found" in one_error_line(p)
    assert "usage: ucfs sql" in cli(lab, "sql", "--help").stdout
    assert "usage: ucfs preview" in cli(lab, "preview", "--help").stdout


def test_preview_prints_columns_and_first_rows(lab):
    mnt = lab["mnt"]
    m = ["--mount", str(mnt)]
    r = cli(lab, "preview", "it.s.t", "-n", "3", *m)
    assert r.returncode == 0, r.stderr
    for col, typ in [("id", "BIGINT"), ("item", "VARCHAR"), ("qty", "INTEGER"), ("day", "DATE")]:
        assert re.search(rf"│\s*{col}\s*│\s*{typ}\s*│", r.stdout), r.stdout
    assert re.search(r"│\s*2\s*│\s*t-2\s*│", r.stdout) and "t-3" not in r.stdout, r.stdout
    r = cli(lab, "preview", "it", "s", HOSTILE, *m)  # a name no dotted form can carry safely
    assert r.returncode == 0 and "h-53" in r.stdout, (r.stdout, r.stderr)
    r = cli(lab, "preview", "lh.Tables.sc", "-n", "1", *m)
    assert r.returncode == 0 and "t-0" in r.stdout and "t-1" not in r.stdout, r.stdout
    assert "no table 'it.s.zz'" in one_error_line(cli(lab, "preview", "it.s.zz", *m))
    assert cli(lab, "preview", "it.s.t", "-n", "0", *m).returncode == 2


def spark_statements(text: str) -> list[str]:
    body = "\n".join(ln for ln in text.splitlines() if not ln.startswith("--"))
    return [s.strip() for s in body.split(";\n") if s.strip()]


def test_spark_session_catalog_by_name_matches_by_path(lab, spark):
    mnt = lab["mnt"]
    for stmt in spark_statements(defs(mnt, "spark.sql")):
        spark.sql(stmt)
    cases = [("it_s.t", "it/s/t"), ("it_s.u", "it/s/u"), ("main_s.t", "main/s/t"),
             ("lh.sc", "lh/Tables/sc"), ("`it_s`.`t`", "it/s/t")]
    for name, path in cases:
        by_name = sorted(tuple(r) for r in spark.sql(f"SELECT * FROM {name}").collect())
        by_path = sorted(tuple(r) for r in spark.read.format("delta").load(str(mnt / path)).collect())
        assert by_name == by_path and by_name, name
    # IF NOT EXISTS: running the file again is harmless
    for stmt in spark_statements(defs(mnt, "spark.sql")):
        spark.sql(stmt)


def test_files_follow_a_sync_that_adds_and_drops_tables(uc_api, uc_server, tmp_path):
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        cat.schema("s")
        cat.table("s", "a", ids=range(3))
        cat.table("s", "b", ids=range(5))
        u("mirror", "create", "x", "--catalog", cat.name, "--host", uc_server.url)
        with Mount(tmp_path / "mnt", u.env, options=NOSYNC) as m:
            p = m.mp / ".ucfs" / "duckdb.sql"
            sp = m.mp / ".ucfs" / "spark.sql"
            before = p.read_text()
            assert "x.s.b AS" in before and "x.s.c AS" not in before
            cat.table("s", "c", ids=range(7))
            cat.drop("s", "b")
            u("sync", "x")
            after = wait_for(lambda: "x.s.c AS" in p.read_text() and p.read_text(), 10,
                             "duckdb.sql to follow the sync")
            assert "x.s.b AS" not in after and "x.s.a AS" in after
            assert after != before and p.stat().st_size == len(after.encode())
            s = sp.read_text()
            assert "x_s.c USING delta" in s and "x_s.b USING" not in s
            con = duck.connect()
            try:
                con.execute(after)
                assert con.sql("SELECT count(*) FROM x.s.c").fetchall() == [(7,)]
                with pytest.raises(Exception, match="b"):
                    con.sql("SELECT * FROM x.s.b").fetchall()
            finally:
                con.close()
            r = run(["sql", "--mount", m.mp, "-c", "SELECT count(*) AS n FROM x.s.c"],
                    env=sql_env(u))
            assert r.returncode == 0 and re.search(r"│\s*7\s*│", r.stdout), (r.stdout, r.stderr)
