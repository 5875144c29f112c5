"""The mount as a file system: layout, the storage tree presented exactly as it
is (names, sizes, mtimes, bytes), shell tools, read-only semantics, extended
attributes, fresh _delta_log listings and mmap."""
from __future__ import annotations

import errno
import hashlib
import mmap
import os
import subprocess
import time
from pathlib import Path

import pytest
from deltalake import write_deltalake

from conftest import CATALOG
from mountutil import Mount, env_for, run
from synctools import wait_for
from tables import _simple_rows, read_delta_arrow


def tree(root: Path) -> dict[str, tuple]:
    """relative path -> (is_dir, size, mtime_ns) for everything under root."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = Path(dirpath) / n
            st = p.stat()
            rel = str(p.relative_to(root))
            out[rel] = (p.is_dir(), 0 if p.is_dir() else st.st_size, st.st_mtime_ns)
    return out


def test_layout_items_schemas_tables(mount, catalog):
    # .ucfs: ucfs's own dot-directories (test_ucfs_dirs_listed_and_readable)
    assert sorted(os.listdir(mount)) == [".ucfs", CATALOG]
    # empty_schema has no table: hidden; misc keeps only its Delta table.
    assert sorted(os.listdir(mount / CATALOG)) == [".ucfs", "misc", "sales"]
    assert sorted(os.listdir(mount / CATALOG / "sales")) == ["customers", "events", "orders",
                                                             "regions"]
    assert sorted(os.listdir(mount / CATALOG / "misc")) == ["notes"]
    for skipped in ("orders_view", "raw_parquet", "raw_csv"):
        assert not (mount / CATALOG / "misc" / skipped).exists()
    assert not (mount / CATALOG / "empty_schema").exists()


@pytest.mark.parametrize("table", ["sales.orders", "sales.customers", "sales.regions",
                                   "sales.events", "misc.notes"])
def test_table_tree_is_storage_as_is(mount, catalog, table):
    spec = catalog[table]
    mounted = mount / CATALOG / table.replace(".", "/")
    assert tree(mounted) == tree(spec.path)
    for rel, (is_dir, size, _) in tree(spec.path).items():
        if not is_dir:
            a = hashlib.sha256((mounted / rel).read_bytes()).hexdigest()
            assert a == hashlib.sha256((spec.path / rel).read_bytes()).hexdigest(), rel


def test_special_partition_names_exact(mount, catalog):
    mounted = mount / CATALOG / "sales" / "regions"
    names = sorted(os.listdir(mounted))
    assert names == sorted(os.listdir(catalog["sales.regions"].path))
    assert "part=100%25" in names and "part=a%20b" in names


def test_checkpoint_files_present(mount):
    log = mount / CATALOG / "sales" / "customers" / "_delta_log"
    names = os.listdir(log)
    assert "_last_checkpoint" in names
    assert f"{3:020d}.checkpoint.parquet" in names
    assert (log / "_last_checkpoint").read_text().strip().startswith("{")


def test_shell_tools_ls_find_cp_du(mount, catalog, tmp_path):
    root = mount / CATALOG
    ls = subprocess.run(["ls", "-R", str(root)], capture_output=True, text=True, timeout=60)
    assert ls.returncode == 0, ls.stderr
    assert "00000000000000000000.json" in ls.stdout
    found = subprocess.run(["find", str(root), "-name", "*.parquet"], capture_output=True,
                           text=True, timeout=60)
    assert found.returncode == 0
    n_parquet = sum(len(list(s.path.rglob("*.parquet"))) for k, s in catalog.items()
                    if s.fmt == "DELTA")
    assert len(found.stdout.split()) == n_parquet
    src = catalog["sales.regions"].path
    dst = tmp_path / "copy"
    cp = subprocess.run(["cp", "-r", str(root / "sales" / "regions"), str(dst)],
                        capture_output=True, text=True, timeout=60)
    assert cp.returncode == 0, cp.stderr
    diff = subprocess.run(["diff", "-r", str(src), str(dst)], capture_output=True, text=True)
    assert diff.returncode == 0, diff.stdout
    du = [subprocess.run(["du", "-s", "--apparent-size", "-B1", str(p)], capture_output=True,
                         text=True, check=True).stdout.split()[0]
          for p in (root / "sales" / "events", catalog["sales.events"].path)]
    # directories count 0 bytes in the mount: compare file bytes only
    files = sum(f.stat().st_size for f in catalog["sales.events"].path.rglob("*") if f.is_file())
    assert int(du[0]) == files


def test_writes_fail_with_erofs(mount):
    t = mount / CATALOG / "sales" / "orders"
    f = next(t.glob("*.parquet"))

    def erofs(fn, *a):
        with pytest.raises(OSError) as ei:
            fn(*a)
        assert ei.value.errno == errno.EROFS, (fn, ei.value)

    erofs(open, t / "new.txt", "w")
    erofs(open, f, "r+b")
    erofs(open, f, "ab")
    erofs(os.mkdir, t / "d")
    erofs(os.unlink, f)
    erofs(os.rmdir, t / "_delta_log")
    erofs(os.rename, f, t / "x.parquet")
    erofs(os.truncate, f, 0)
    erofs(os.utime, f, None)
    erofs(os.chmod, f, 0o777)
    erofs(os.symlink, "x", t / "link")
    erofs(os.link, f, t / "hard")
    erofs(os.setxattr, t, "user.x", b"1")
    erofs(os.mkdir, mount / "newitem")
    erofs(os.mkdir, mount / CATALOG / "newschema")


def test_table_xattrs(mount, catalog):
    t = mount / CATALOG / "sales" / "orders"
    names = os.listxattr(t)
    assert set(names) >= {"user.ucfs.full_name", "user.ucfs.table_id", "user.ucfs.table_type",
                          "user.ucfs.storage_location", "user.ucfs.format"}
    assert os.getxattr(t, "user.ucfs.full_name") == f"{CATALOG}.sales.orders".encode()
    assert os.getxattr(t, "user.ucfs.table_type") == b"EXTERNAL"
    assert os.getxattr(t, "user.ucfs.format") == b"DELTA"
    loc = os.getxattr(t, "user.ucfs.storage_location").decode()
    assert loc.startswith("file://") and loc.endswith(str(catalog["sales.orders"].path))
    assert len(os.getxattr(t, "user.ucfs.table_id")) >= 32
    with pytest.raises(OSError) as ei:
        os.getxattr(t, "user.ucfs.nope")
    assert ei.value.errno == errno.ENODATA
    assert os.listxattr(t / "_delta_log") == []
    # README's command (getfattr: the attr package, which scripts/bootstrap installs)
    g = subprocess.run(["getfattr", "-d", str(t)], capture_output=True, text=True, timeout=30)
    assert g.returncode == 0, g.stderr
    assert f'user.ucfs.full_name="{CATALOG}.sales.orders"' in g.stdout.splitlines()


def test_missing_names_enoent_fast(mount):
    log = mount / CATALOG / "sales" / "orders" / "_delta_log"
    t0 = time.monotonic()
    for i in range(200):
        assert not (log / f"{1000 + i:020d}.json").exists()
        assert not (log.parent / f".part-{i}.crc").exists()
    assert time.monotonic() - t0 < 5


def test_mmap_reads_same_bytes(mount, catalog):
    spec = catalog["sales.events"]
    f = sorted(spec.path.rglob("*.parquet"))[0]
    with open(mount / CATALOG / "sales" / "events" / f.relative_to(spec.path), "rb") as fh:
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as m:
            assert m[:] == f.read_bytes()


def test_statfs_and_modes(mount):
    sv = os.statvfs(mount)
    assert sv.f_flag & os.ST_RDONLY
    # The mount point is 0755; an item has its mode (default 0700) and what is
    # below it is 0444/0555 masked by it (test_access.py covers other modes).
    st = os.stat(mount / CATALOG / "sales" / "orders" / "_delta_log" / f"{0:020d}.json")
    assert oct(st.st_mode & 0o777) == "0o400"
    assert oct(os.stat(mount / CATALOG / "sales").st_mode & 0o777) == "0o500"
    assert oct(os.stat(mount / CATALOG).st_mode & 0o777) == "0o700"
    assert oct(os.stat(mount).st_mode & 0o777) == "0o755"


def test_new_commits_visible_without_remount(uc_api, uc_server, tmp_path):
    """A commit written upstream after mounting shows up within log_ttl."""
    cat = "ucfs_live"
    path = tmp_path / "data" / "live"
    write_deltalake(str(path), _simple_rows(range(3), "a"))
    uc_api.delete_catalog(cat)
    uc_api.create_catalog(cat)
    uc_api.create_schema(cat, "s")
    uc_api.register_arrow_table(cat, "s", "live", path, _simple_rows([0], "x").schema)
    state = tmp_path / "state.db"
    run(["mirror", "create", "--catalog", cat, "--host", uc_server.url], env=env_for(state),
        check=True)
    with Mount(tmp_path / "mnt", env_for(state), options="log_ttl=0.3") as m:
        t = m.mp / cat / "s" / "live"
        assert read_delta_arrow(t).num_rows == 3
        write_deltalake(str(path), _simple_rows(range(3, 5), "b"), mode="append")
        # within log_ttl (0.3 s) plus scheduling slack, not "after some sleep"
        wait_for(lambda: f"{1:020d}.json" in os.listdir(t / "_delta_log"), 3,
                 "commit 1 in the _delta_log listing")
        assert read_delta_arrow(t).num_rows == 5
        # new data files are found by lookup even inside a cached listing
        write_deltalake(str(path), _simple_rows(range(5, 6), "c"), mode="append")
        wait_for(lambda: read_delta_arrow(t).num_rows == 6, 3, "commit 2 through the mount")
    uc_api.delete_catalog(cat)


def test_stats_view_counts_reads(mount, catalog):
    """MOUNT/.ucfs/stats.json: per-item data-path counters."""
    import json
    before = json.loads((mount / ".ucfs" / "stats.json").read_text())
    f = next((mount / CATALOG / "sales" / "orders").rglob("*.parquet"))
    with open(f, "rb") as fh:  # earlier tests read it: drop it from the page cache
        os.posix_fadvise(fh.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        data = fh.read()
    after = json.loads((mount / ".ucfs" / "stats.json").read_text())
    it0 = before["items"].get(CATALOG, {"reads": 0, "bytes_read": 0})
    it1 = after["items"][CATALOG]
    assert it1["reads"] > it0["reads"]
    assert it1["bytes_read"] - it0["bytes_read"] >= len(data)
    assert it1["errors"] == it0.get("errors", 0)
    assert set(after["http"]) == {"requests", "retries", "failures"}


def test_ucfs_dirs_listed_and_readable(mount, catalog):
    """MOUNT/.ucfs and MOUNT/<item>/.ucfs are listed as the dot-directories they
    are (ls -a shows them, plain ls does not), their files are listed with the
    size a read returns, and nothing below the item level has one."""
    import json
    for d, names in ((mount, [".ucfs", CATALOG]), (mount / CATALOG, [".ucfs", "misc", "sales"])):
        with os.scandir(d) as it:
            entries = {e.name: e for e in it}
        assert sorted(entries) == names
        assert entries[".ucfs"].is_dir() and not entries[".ucfs"].is_symlink()
        ls_a = subprocess.run(["ls", "-la", str(d)], capture_output=True, text=True, timeout=30)
        assert ls_a.returncode == 0, ls_a.stderr
        assert any(line.startswith("d") and line.split()[-1] == ".ucfs"
                   for line in ls_a.stdout.splitlines()), ls_a.stdout
        ls = subprocess.run(["ls", str(d)], capture_output=True, text=True, timeout=30)
        assert ".ucfs" not in ls.stdout.split()
    # MOUNT/.ucfs also holds duckdb.sql, spark.sql and model.json (test_sqlname.py)
    for dot, name, key in ((mount / ".ucfs", "stats.json", "items"),
                           (mount / CATALOG / ".ucfs", "status.json", "name")):
        others = ["duckdb.sql", "model.json", "spark.sql"] if name == "stats.json" else []
        assert sorted(os.listdir(dot)) == sorted([name, *others])
        with os.scandir(dot) as it:
            [e] = [e for e in it if e.name == name]
        assert e.is_file()
        data = (dot / name).read_bytes()
        assert key in json.loads(data)
        if name == "status.json":  # stats.json changes with every read
            assert e.stat().st_size == len(data) > 0
    assert json.loads((mount / CATALOG / ".ucfs" / "status.json").read_text())["name"] == CATALOG
    # find lists both (a walk sees them); a table directory has no .ucfs.
    found = subprocess.run(["find", str(mount), "-path", "*/.ucfs/*"], capture_output=True,
                           text=True, timeout=60)
    assert found.returncode == 0, found.stderr
    assert sorted(found.stdout.split()) == sorted([str(mount / ".ucfs" / "stats.json"),
                                                  str(mount / ".ucfs" / "duckdb.sql"),
                                                  str(mount / ".ucfs" / "spark.sql"),
                                                  str(mount / ".ucfs" / "model.json"),
                                                  str(mount / CATALOG / ".ucfs" / "status.json")])
    assert ".ucfs" not in os.listdir(mount / CATALOG / "sales")
    assert ".ucfs" not in os.listdir(mount / CATALOG / "sales" / "orders")
