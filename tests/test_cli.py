"""The ucfs commands: help, browsing, mirrored items, mounting, and clear errors
(non-zero exit, no stale mount, no partial state) for bad input."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

import mountutil
from conftest import CATALOG
from mountutil import Mount, env_for, is_mounted, run
from netutil import free_port  # noqa: E402

COMMANDS = [["catalogs"], ["browse"], ["mirror"], ["mirror", "create"], ["mirror", "list"],
            ["mirror", "rm"], ["mirror", "edit"], ["mirror", "show"], ["sync"], ["status"],
            ["lakehouse"], ["lakehouse", "create"], ["shortcut"], ["shortcut", "create"],
            ["storage"], ["mount"], ["umount"], ["auth"], ["auth", "describe"],
            ["auth", "login"], ["auth", "token"], ["sql"], ["preview"], ["prefetch"],
            ["cache"], ["cache", "drop"], ["cache", "unpin"]]


def items(state: Path) -> list[dict]:
    p = run(["mirror", "list", "--json"], env=env_for(state), check=True)
    return json.loads(p.stdout)


def test_help_and_version():
    p = run(["--help"], check=True)
    for c in ("catalogs", "browse", "mirror", "sync", "status", "lakehouse", "shortcut",
              "storage", "mount", "umount", "auth", "sql", "preview", "prefetch", "cache"):
        assert c in p.stdout
    assert run(["--version"], check=True).stdout.startswith("ucfs ")
    for cmd in COMMANDS:
        p = run([*cmd, "--help"])
        assert p.returncode == 0, (cmd, p.stderr)
        assert "usage: ucfs" in p.stdout, cmd
    p = run(["frobnicate"])
    assert p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr
    assert "did you mean" not in p.stderr and "ucfs --help" in p.stderr, p.stderr
    p = run([])
    assert p.returncode == 2 and p.stderr.startswith("usage: ucfs"), p.stderr


def test_prefetch_and_cache_usage_errors(tmp_path):
    """Bad arguments fail before any mount or socket is looked at (exit 2), and
    a directory outside every ucfs mount is refused by name (exit 1)."""
    for args, msg in ((["prefetch"], "which table?"),
                      (["prefetch", "a.b.c", "d.e.f"], "one TABLE at a time"),
                      (["prefetch", "a.b.c", "--jobs", "0"], "--jobs wants a number from 1 to 64"),
                      (["prefetch", "a.b.c", "--version", "x"], "--version wants a table version"),
                      (["prefetch", "a.b.c", "--version", "1", "--timestamp", "2026-01-01"],
                       "not both"),
                      (["cache", "drop"], "which table?"),
                      (["cache", "unpn"], "did you mean 'ucfs cache unpin'?")):
        p = run(args)
        assert p.returncode == 2 and msg in p.stderr, (args, p.stderr)
    for cmd in (["prefetch"], ["cache", "drop"], ["cache", "unpin"]):
        p = run([*cmd, str(tmp_path)])
        assert p.returncode == 1 and f"{tmp_path} ({tmp_path.resolve()}) is not inside a ucfs " \
            "mount" in p.stderr, (cmd, p.stderr)


def test_catalogs_lists_and_json(uc_server, catalog):
    p = run(["catalogs", "--host", uc_server.url], env=env_for(), check=True)
    assert CATALOG in p.stdout
    cats = json.loads(run(["catalogs", "--host", uc_server.url, "--json"], env=env_for(),
                          check=True).stdout)
    assert CATALOG in [c["name"] for c in cats]
    # DATABRICKS_HOST works like --host
    p = run(["catalogs"], env=env_for(DATABRICKS_HOST=uc_server.url), check=True)
    assert CATALOG in p.stdout


def test_browse_shows_types_formats_and_reasons(uc_server, catalog):
    p = run(["browse", CATALOG, "--host", uc_server.url], env=env_for(), check=True)
    lines = {l.split()[0]: l for l in p.stdout.splitlines()[1:]}
    assert "yes" in lines["sales.orders"] and "DELTA" in lines["sales.orders"]
    assert "skipped: view" in lines["misc.orders_view"]
    assert "skipped: format PARQUET" in lines["misc.raw_parquet"]
    assert "skipped: format CSV" in lines["misc.raw_csv"]
    assert "empty schema" in lines["empty_schema"]
    j = json.loads(run(["browse", CATALOG, "--host", uc_server.url, "--json"], env=env_for(),
                       check=True).stdout)
    by = {(s["name"], t["name"]): t for s in j["schemas"] for t in s["tables"]}
    assert by[("sales", "orders")]["mirrored"] is True
    assert by[("misc", "orders_view")]["mirrored"] is False
    assert by[("misc", "orders_view")]["table_type"] == "VIEW"
    assert "PARQUET" in by[("misc", "raw_parquet")]["skip_reason"]
    one = json.loads(run(["browse", f"{CATALOG}.sales", "--host", uc_server.url, "--json"],
                         env=env_for(), check=True).stdout)
    assert [s["name"] for s in one["schemas"]] == ["sales"]
    assert len(one["schemas"][0]["tables"]) == 4


def test_browse_errors(uc_server, catalog):
    p = run(["browse", "no_such_catalog", "--host", uc_server.url], env=env_for())
    assert p.returncode == 1
    assert "no_such_catalog" in p.stderr and "does not exist" in p.stderr
    p = run(["browse", f"{CATALOG}.no_such_schema", "--host", uc_server.url], env=env_for())
    assert p.returncode == 1 and "no_such_schema" in p.stderr
    p = run(["browse", "a.b.c", "--host", uc_server.url], env=env_for())
    assert p.returncode == 2 and "expected CATALOG or CATALOG.SCHEMA, got 'a.b.c'" in p.stderr
    p = run(["browse"], env=env_for())
    assert p.returncode == 2 and "expected one CATALOG[.SCHEMA] argument" in p.stderr


def test_no_host_is_a_clear_error():
    p = run(["catalogs"], env=env_for())
    assert p.returncode == 1
    assert "DATABRICKS_HOST" in p.stderr or "--host" in p.stderr


def test_server_down_and_wrong_host_fail_fast():
    port = free_port()
    t0 = time.monotonic()
    p = run(["catalogs", "--host", f"http://127.0.0.1:{port}"], env=env_for(), timeout=60)
    assert p.returncode == 1
    assert f"127.0.0.1:{port}" in p.stderr and "reach" in p.stderr
    assert time.monotonic() - t0 < 30


def test_mirror_create_list_rm(uc_server, catalog, fresh_state):
    env = env_for(fresh_state)
    p = run(["mirror", "create", "--catalog", CATALOG, "--host", uc_server.url,
             "--description", "for tests"], env=env, check=True)
    assert "5 tables mirrored, 3 skipped" in p.stdout
    [it] = items(fresh_state)
    assert it["name"] == CATALOG and it["catalog"] == CATALOG
    assert it["tables_mirrored"] == 5 and it["tables_skipped"] == 3
    assert it["sync_status"] == "Success" and it["auto_sync"] is True
    assert it["description"] == "for tests" and it["host"] == uc_server.url
    # a second item for the same catalog needs its own name
    p = run(["mirror", "create", "--catalog", CATALOG, "--host", uc_server.url], env=env)
    assert p.returncode == 1 and "already exists" in p.stderr
    run(["mirror", "create", "second", "--catalog", CATALOG, "--host", uc_server.url,
         "--no-auto-sync"], env=env, check=True)
    assert [i["name"] for i in items(fresh_state)] == ["second", CATALOG]
    assert [i["auto_sync"] for i in items(fresh_state)] == [False, True]
    run(["mirror", "rm", "second"], env=env, check=True)
    p = run(["mirror", "rm", "second"], env=env)
    assert p.returncode == 1 and "no mirrored item named 'second'" in p.stderr
    assert [i["name"] for i in items(fresh_state)] == [CATALOG]
    db = sqlite3.connect(fresh_state)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("SELECT count(*) FROM tables").fetchone()[0] == 8
    db.close()


@pytest.mark.parametrize("args,code,msg", [
    (["--catalog", "no_such_catalog"], 1, "does not exist"),
    (["bad/name", "--catalog", CATALOG], 2, "invalid item name"),
    ([".hidden", "--catalog", CATALOG], 2, "invalid item name"),
    (["--catalog", CATALOG, "--description", "x" * 257], 2, "at most 256"),
    ([], 2, "--catalog"),
])
def test_mirror_create_bad_input_leaves_no_state(uc_server, catalog, fresh_state, args, code,
                                                 msg):
    p = run(["mirror", "create", *args, "--host", uc_server.url], env=env_for(fresh_state))
    assert p.returncode == code, p.stderr
    assert msg in p.stderr
    assert not fresh_state.exists() or items(fresh_state) == []


def test_mirror_create_server_down_leaves_no_state(fresh_state):
    p = run(["mirror", "create", "--catalog", CATALOG, "--host",
             f"http://127.0.0.1:{free_port()}"], env=env_for(fresh_state))
    assert p.returncode == 1 and "reach" in p.stderr
    assert not fresh_state.exists() or items(fresh_state) == []


def test_mount_daemonizes_and_umount(state, mountpoint):
    env = env_for(state)
    p = run(["mount", str(mountpoint)], env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    try:
        assert is_mounted(mountpoint)
        assert sorted(os.listdir(mountpoint / CATALOG)) == [".ucfs", "misc", "sales"]
    finally:
        u = run(["umount", str(mountpoint)], env=env)
    assert u.returncode == 0, u.stderr
    assert not is_mounted(mountpoint)
    p = run(["umount", str(mountpoint)], env=env)
    assert p.returncode == 1 and "not mounted" in p.stderr


def test_mount_errors(state, mountpoint, tmp_path, mount):
    env = env_for(state)
    p = run(["mount", str(tmp_path / "missing")], env=env)
    assert p.returncode == 1 and "missing" in p.stderr
    f = tmp_path / "file"
    f.write_text("x")
    p = run(["mount", str(f)], env=env)
    assert p.returncode == 1 and "not a directory" in p.stderr
    # the session's mount point is busy
    p = run(["mount", str(mount)], env=env)
    assert p.returncode == 1 and "already in use" in p.stderr
    assert sorted(os.listdir(mount)) == [".ucfs", CATALOG]  # and still serving
    p = run(["mount", str(mountpoint)], env=env_for(tmp_path / "none.db"))
    assert p.returncode == 1 and "no state database" in p.stderr
    p = run(["mount"], env=env)
    assert p.returncode == 2 and "missing MOUNTPOINT" in p.stderr, p.stderr
    for opt in ("log_ttl=abc", "log_ttl=nan", "dir_ttl=-nan", "state_poll=inf", "sync_interval=1e300",
                "attr_timeout=-1"):
        p = run(["mount", str(mountpoint), "-o", opt], env=env)
        assert p.returncode == 2 and f"option {opt}: expected a number of seconds" in p.stderr, (opt, p.stderr)
    p = run(["mount", str(mountpoint), "-f", "-o", "no_such_fuse_option"], env=env)
    assert p.returncode == 2 and "unknown mount option 'no_such_fuse_option'" in p.stderr, p.stderr
    assert not is_mounted(mountpoint)


def test_mount_server_down_reports_before_daemonizing(uc_server, catalog, tmp_path, mountpoint):
    """The item's server is unreachable: error on the terminal, exit 1, no mount;
    -o offline mounts the last synced state."""
    state = tmp_path / "state.db"
    run(["mirror", "create", "--catalog", CATALOG, "--host", uc_server.url],
        env=env_for(state), check=True)
    db = sqlite3.connect(state)
    db.execute("UPDATE items SET host = ?", (f"http://127.0.0.1:{free_port()}",))
    db.commit()
    db.close()
    p = run(["mount", str(mountpoint)], env=env_for(state), timeout=120)
    assert p.returncode == 1
    assert "reach" in p.stderr and "offline" in p.stderr
    assert not is_mounted(mountpoint)
    [it] = items(state)
    assert it["sync_status"] == "Failed" and it["tables_mirrored"] == 5  # last state kept
    with Mount(mountpoint, env_for(state), options="offline") as m:
        assert sorted(os.listdir(m.mp / CATALOG / "sales")) == ["customers", "events",
                                                                 "orders", "regions"]


def test_mount_helper_fstab_style(state, mountpoint):
    """mount.fuse3 runs `ucfs SOURCE MOUNTPOINT -o OPTS` for type fuse.ucfs."""
    env = env_for()
    env["PATH"] = f"{mountutil.UCFS.parent}:{env['PATH']}"
    p = subprocess.run(["mount.fuse3", str(state), str(mountpoint), "-t", "ucfs", "-o",
                        "defaults,_netdev,nofail,noauto,x-systemd.automount,log_ttl=1"],
                       env=env, capture_output=True, text=True, timeout=120)
    mountutil.check_stderr(p.stderr)
    assert p.returncode == 0, p.stderr
    try:
        assert sorted(os.listdir(mountpoint / CATALOG)) == [".ucfs", "misc", "sales"]
        with open("/proc/self/mountinfo") as f:
            line = next(l for l in f if str(mountpoint) in l)
        assert "fuse.ucfs" in line and " ro," in line.replace(" ro ", " ro,")
    finally:
        run(["umount", str(mountpoint)], env=env, check=True)


def test_dead_daemon_leaves_no_stale_mount(state, mountpoint):
    m = Mount(mountpoint, env_for(state)).start()
    m.proc.kill()
    m.proc.wait()
    deadline = time.monotonic() + 10
    while is_mounted(mountpoint) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not is_mounted(mountpoint), "auto_unmount did not clean up after SIGKILL"
    m.proc = None
    m._logf.close()


# ----------------------------------------------------------------------------- typos (issue 8)

@pytest.mark.parametrize("word,hint", [("unmount", "ucfs umount"), ("mout", "ucfs mount"),
                                       ("stauts", "ucfs status"), ("frobnicate", None)])
def test_unknown_command_with_a_directory_never_mounts(state, mountpoint, word, hint):
    """`ucfs WORD DIR` used to mount DIR for any unknown WORD (`ucfs unmount ~/uc`
    mounted it). Now it is a usage error with a suggestion, and nothing is mounted."""
    p = run([word, str(mountpoint)], env=env_for(state), timeout=60)
    assert p.returncode == 2, p.stderr
    assert f"ucfs: error: unknown command '{word}'" in p.stderr, p.stderr
    if hint:
        assert f"did you mean '{hint}'?" in p.stderr, p.stderr
    else:
        assert "did you mean" not in p.stderr, p.stderr
    assert p.stdout == ""
    assert not is_mounted(mountpoint)


def test_unknown_subcommand_suggests(fresh_state):
    p = run(["mirror", "craete", "x"], env=env_for(fresh_state))
    assert p.returncode == 2
    assert "unknown subcommand 'craete': did you mean 'ucfs mirror create'?" in p.stderr
    p = run(["lakehouse", "lsit"], env=env_for(fresh_state))
    assert p.returncode == 2 and "did you mean 'ucfs lakehouse list'?" in p.stderr, p.stderr
    assert not fresh_state.exists()


def test_helper_source_must_be_a_state_database(state, mountpoint, tmp_path):
    """In mount-helper form a mistyped SOURCE used to fall back to the default
    state database silently; now it is an error naming it."""
    env = env_for()  # no UCFS_STATE: a fallback would find nothing to blame
    missing = tmp_path / "stat.db"  # a typo of state.db
    p = run([str(missing), str(mountpoint), "-o", "log_ttl=1"], env=env, timeout=60)
    assert p.returncode == 1, p.stderr
    assert f"mount source '{missing}' is not a ucfs state database (No such file" in p.stderr
    notdb = tmp_path / "notes.txt"
    notdb.write_text("not a database\n" * 10)
    p = run([str(notdb), str(mountpoint), "-o", "log_ttl=1"], env=env, timeout=60)
    assert p.returncode == 1 and "not an SQLite file" in p.stderr, p.stderr
    # the same through mount.fuse3, as mount(8) runs it for type fuse.ucfs
    env["PATH"] = f"{mountutil.UCFS.parent}:{env['PATH']}"
    p = subprocess.run(["mount.fuse3", str(missing), str(mountpoint), "-t", "ucfs", "-o",
                        "_netdev,log_ttl=1"], env=env, capture_output=True, text=True,
                       timeout=120)
    mountutil.check_stderr(p.stderr)
    assert p.returncode != 0 and "is not a ucfs state database" in p.stderr, p.stderr
    # and as mount.ucfs (argv[0])
    helper = tmp_path / "mount.ucfs"
    helper.symlink_to(mountutil.UCFS)
    p = subprocess.run([str(helper), str(missing), str(mountpoint)], env=env,
                       capture_output=True, text=True, timeout=60)
    mountutil.check_stderr(p.stderr)
    assert p.returncode == 1 and "is not a ucfs state database" in p.stderr, p.stderr
    assert not is_mounted(mountpoint)


def test_helper_placeholder_source_with_state_option(state, mountpoint):
    """The fstab line of ucfs(1): SOURCE 'ucfs', the database in -o state=."""
    env = env_for()
    env["PATH"] = f"{mountutil.UCFS.parent}:{env['PATH']}"
    p = subprocess.run(["mount.fuse3", "ucfs", str(mountpoint), "-t", "ucfs", "-o",
                        f"state={state},_netdev,log_ttl=1"], env=env, capture_output=True,
                       text=True, timeout=120)
    mountutil.check_stderr(p.stderr)
    assert p.returncode == 0, p.stderr
    try:
        assert sorted(os.listdir(mountpoint / CATALOG)) == [".ucfs", "misc", "sales"]
    finally:
        run(["umount", str(mountpoint)], env=env, check=True)
