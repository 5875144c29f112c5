"""Local storage is confined (issue 8, item 1): a file:// table is served only
below the roots its item allows, after normalising the location; nothing is
resolved outside the table's directory. A hostile Unity Catalog answer is made
by a proxy in front of the real server (the real server normalises or refuses
these locations itself); the mount, the status and real readers are checked.
"""
from __future__ import annotations

import errno
import json
import os
import sqlite3
from pathlib import Path

import pytest
from deltalake import write_deltalake

from mountutil import Mount
from synctools import NOSYNC, Catalog, Ucfs, table_status, wait_for
from tables import _simple_rows, read_delta_arrow
from ucproxy import UCProxy

SECRET = b"ucfs-confinement-secret-0f1e2d"


def _outside_markers() -> list[bytes]:
    """Bytes that only files outside the allowed root hold."""
    marks = [SECRET]
    for p in ("/etc/passwd", "/etc/shadow", "/etc/hostname", "/proc/self/status"):
        try:
            data = Path(p).read_bytes()[:64]
        except OSError:
            continue
        if len(data) >= 8:
            marks.append(data)
    return marks


def _hostile_layout(tmp: Path):
    """The allowed root with a good Delta table (plus symlinks, some leaving
    it), and things outside the root."""
    root = (tmp / "allowed").resolve()
    outside = (tmp / "outside").resolve()
    outside.mkdir(parents=True)
    (outside / "secret.txt").write_bytes(SECRET)
    good = root / "good"
    write_deltalake(str(good), _simple_rows(range(5), "good"))
    data_file = sorted(p.name for p in good.glob("*.parquet"))[0]
    links = {
        "escape_abs": "/etc/passwd",
        "escape_rel": "../../outside/secret.txt",
        "escape_dir": "/etc",
        "escape_updir": "..",
        "escape_proc": "/proc/self/root/etc/passwd",
        "escape_dangling": "../nope",
        "inside_link": data_file,           # stays inside: served
        "inside_dir": "_delta_log",         # stays inside: served
    }
    for name, target in links.items():
        os.symlink(target, good / name)
    os.symlink("../../../outside/secret.txt", good / "_delta_log" / "escape_log")
    os.symlink("/etc", root / "linkroot")          # a table root leading out (absolute)
    os.symlink("../outside", root / "linkrel")     # ... and relative
    write_deltalake(str(outside / "table"), _simple_rows(range(3), "out"))  # valid, outside
    return root, outside, good, data_file


def test_hostile_locations_serve_nothing_outside_the_allowed_roots(uc_api, uc_server, tmp_path):
    root, outside, good, data_file = _hostile_layout(tmp_path)
    hostile = {
        "etc": "file:///etc",
        "rootdir": "file:///root",
        "slash": "file:///",
        "procself": "file:///proc/self",
        "localhost_etc": "file://localhost/etc/",
        "dotdot": "file:///x/../../etc",
        "pct_dotdot": f"file://{root}" + "/%2e%2e" * 12 + "/etc",
        "pct_slash": f"file://{root}" + "%2f.." * 12 + "%2fetc",
        "pct_upper": f"file://{root}/good/%2E%2E/%2E%2E/outside/table",
        "otherhost": "file://evil.example/etc",
        "nul": f"file://{root}/good%00/../../../etc",
        "ctl": f"file://{root}/good%0a",
        "double_enc": f"file://{root}/%252e%252e/%252e%252e/etc",  # a literal "%2e%2e" dir
        "dotdot_back_in": f"file:///x/..{root}/good",              # normalises into the root
        # Table roots that are symlinks leading out (the real server would
        # register their targets).
        "linkroot": f"file://{root}/linkroot",
        "linkrel": f"file://{root}/linkrel",
    }
    real = {"good": good, "outside_table": outside / "table", **{n: good for n in hostile}}
    with Catalog(uc_api, tmp_path / "data") as cat, UCProxy(uc_server.url) as px:
        cat.schema("s")
        for name, path in real.items():
            cat.register("s", name, path)

        def rewrite(t):
            if t.get("catalog_name") == cat.name and t.get("name") in hostile:
                t = dict(t, storage_location=hostile[t["name"]])
            return t
        px.rewrite_tables(rewrite)

        u = Ucfs(tmp_path / "state.db")
        p = u("mirror", "create", "hostile", "--catalog", cat.name, "--host", px.url,
              "--allow-local", root)
        # good, dotdot_back_in and double_enc (inside the root, nothing there)
        assert "3 tables mirrored" in p.stdout, p.stdout
        st = table_status(u.status("hostile"))
        reasons = {k.split(".", 1)[1]: (v["status"], v["reason"] or "") for k, v in st.items()}
        outside_roots = f"outside the local roots item 'hostile' allows ({root})"
        for name in ("etc", "rootdir", "slash", "procself", "localhost_etc", "dotdot",
                     "pct_dotdot", "pct_slash", "pct_upper", "outside_table"):
            assert reasons[name][0] == "skipped" and outside_roots in reasons[name][1], (name,
                                                                                        reasons[name])
        assert "another host is not served" in reasons["otherhost"][1]
        assert "NUL" in reasons["nul"][1]
        assert "control character" in reasons["ctl"][1]
        assert "\n" not in json.dumps(st)  # escaped by JSON, never raw
        for name in ("linkroot", "linkrel"):
            assert reasons[name][0] == "skipped", reasons[name]
            assert f"resolves outside the allowed local root {root}" in reasons[name][1]
        assert reasons["good"] == ("mirrored", "")
        assert reasons["dotdot_back_in"] == ("mirrored", "")
        assert reasons["double_enc"][0] == "failing"  # inside the root, but nothing there
        # The text status says the same.
        text = u("status", "hostile", "--tables").stdout
        assert "outside the local roots" in text and "resolves outside" in text

        with Mount(tmp_path / "mnt", u.env, options=NOSYNC) as m:
            item = m.mp / "hostile" / "s"
            assert sorted(os.listdir(item)) == ["dotdot_back_in", "double_enc", "good"]
            # The table lists what is inside it; symlinks leaving it are left out.
            shown = set(os.listdir(item / "good"))
            assert {"inside_link", "inside_dir", "_delta_log", data_file} <= shown
            assert not {n for n in shown if n.startswith("escape")}, shown
            assert "escape_log" not in os.listdir(item / "good" / "_delta_log")
            for name in ("escape_abs", "escape_rel", "escape_dir/passwd", "escape_proc",
                         "escape_updir/linkroot", "_delta_log/escape_log", "escape_dangling"):
                with pytest.raises(FileNotFoundError):
                    (item / "good" / name).read_bytes()
            assert (item / "good" / "inside_link").read_bytes() == (good / data_file).read_bytes()
            assert sorted(os.listdir(item / "good" / "inside_dir")) == \
                sorted(set(os.listdir(good / "_delta_log")) - {"escape_log"})
            with pytest.raises(OSError) as e:
                os.listdir(item / "double_enc")
            assert e.value.errno in (errno.EIO, errno.ENOENT)
            for name in hostile.keys() - {"dotdot_back_in", "double_enc"}:
                with pytest.raises(FileNotFoundError):
                    os.listdir(item / name)
            # Every byte the mount serves: none of it from outside the root.
            marks = _outside_markers()
            nfiles = 0
            for d, dirs, files in os.walk(m.mp, onerror=lambda e: None):
                for f in files:
                    data = Path(d, f).read_bytes()
                    nfiles += 1
                    assert not any(mk in data for mk in marks), Path(d, f)
            assert nfiles >= 5
            # Real readers read the confined table as it is.
            want = read_delta_arrow(good)
            assert read_delta_arrow(item / "good") == want
            assert read_delta_arrow(item / "dotdot_back_in") == want


def _as_schema_2(state: Path) -> None:
    """Make the database look like one an older ucfs (schema 2) wrote: no
    local roots, no owners, file:// tables mirrored."""
    db = sqlite3.connect(state)
    db.executescript(
        "DROP TABLE local_roots;"
        "ALTER TABLE items DROP COLUMN owner_uid; ALTER TABLE items DROP COLUMN owner_gid;"
        "ALTER TABLE items DROP COLUMN mode;"
        "ALTER TABLE lakehouses DROP COLUMN owner_uid;"
        "ALTER TABLE lakehouses DROP COLUMN owner_gid; ALTER TABLE lakehouses DROP COLUMN mode;"
        "ALTER TABLE items DROP COLUMN skipped_names;"
        "ALTER TABLE items DROP COLUMN volumes;"  # schema 5 (its tables key stays: no volume rows)
        "ALTER TABLE tables DROP COLUMN columns_json;"  # schema 6
        "ALTER TABLE tables DROP COLUMN constraints_json;"
        "UPDATE tables SET skip_reason = NULL WHERE unsupported_reason IS NULL;"
        "PRAGMA user_version=2;")
    db.commit()
    db.close()


def test_item_from_an_older_ucfs_is_not_served_until_roots_are_allowed(uc_api, uc_server,
                                                                       tmp_path):
    """After the upgrade an item with file:// tables and no allowed root keeps
    them skipped, with a reason naming the command to run; allowing a root
    (on a running mount) serves them, disallowing it hides them again."""
    data = (tmp_path / "data").resolve()
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, data) as cat:
        cat.build({"a": ["t1", "t2"]})
        u("mirror", "create", "old", "--catalog", cat.name, "--host", uc_server.url,
          "--allow-local", data)
        _as_schema_2(u.state)
        st = u.status("old")
        for t in st["tables"]:
            assert t["status"] == "skipped"
            assert t["reason"] == ("local storage is not served until allowed: item 'old' allows "
                                   "no local root (run: ucfs mirror edit old --allow-local DIR, "
                                   "DIR holding this table)")
        assert st["allow_local"] == [] and st["access"] == {"uid": None, "gid": None,
                                                            "mode": "0700"}
        assert "local roots: none" in u("mirror", "show", "old").stdout
        with Mount(tmp_path / "mnt", u.env, options=NOSYNC) as m:
            assert os.listdir(m.mp / "old") == [".ucfs"]  # no table served yet
            p = u("mirror", "edit", "old", "--allow-local", data)
            assert "2 tables mirrored, 0 skipped" in p.stdout, p.stdout
            wait_for(lambda: sorted(os.listdir(m.mp / "old" / "a")) == ["t1", "t2"], 10,
                     "the tables to appear after --allow-local")
            assert len(read_delta_arrow(m.mp / "old" / "a" / "t1")) == 3
            assert u.show("old")["allow_local"] == [str(data)]
            assert str(data) in u("mirror", "show", "old").stdout
            # A sync keeps them (the roots are the item's, not the edit's).
            u("sync", "old")
            assert u.status("old")["counts"]["mirrored"] == 2
            p = u("mirror", "edit", "old", "--disallow-local", data)
            assert "0 tables mirrored, 2 skipped" in p.stdout
            assert "outside" in p.stderr or "allows no local root" in p.stderr
            wait_for(lambda: not os.path.exists(m.mp / "old" / "a"), 10,
                     "the tables to go after --disallow-local")


def test_local_root_options_are_checked(uc_server, tmp_path):
    u = Ucfs(tmp_path / "state.db")
    base = ["mirror", "create", "x", "--catalog", "nope", "--host", uc_server.url]
    cases = [
        (["--allow-local", "/"], "that would serve every local file"),
        (["--allow-local", tmp_path / "missing"], "No such file or directory"),
        (["--allow-local", tmp_path / "f.txt"], "not a directory"),
        (["--mode", "999"], "--mode takes octal permission bits"),
        (["--mode", "01777"], "at most 0777"),
        (["--owner", "no_such_user_ucfs"], "no user named 'no_such_user_ucfs'"),
        (["--group", "no_such_group_ucfs"], "no group named 'no_such_group_ucfs'"),
    ]
    (tmp_path / "f.txt").write_text("x")
    for extra, msg in cases:
        p = u(*base, *extra, check=False)
        assert p.returncode == 2 and msg in p.stderr, (extra, p.stderr)
    assert not (tmp_path / "state.db").exists()  # nothing was created


def test_storage_command_reads_local_paths_as_the_user_but_stays_beneath(tmp_path):
    """`ucfs storage` is the operator's own tool (reads as them, anywhere), yet a
    PATH inside a location still never leaves it."""
    from mountutil import env_for, run
    t = tmp_path / "t"
    t.mkdir()
    (t / "a").write_text("in")
    os.symlink("/etc/passwd", t / "out")
    loc = f"file://{t.resolve()}"
    assert run(["storage", "cat", loc, "a"], env=env_for()).stdout == "in"
    p = run(["storage", "cat", loc, "out"], env=env_for())
    assert p.returncode != 0 and "root:" not in p.stdout
    p = run(["storage", "cat", loc, "../../../../etc/passwd"], env=env_for())
    assert p.returncode != 0 and "root:" not in p.stdout
