"""First run (issue 9): the mistakes a new user makes on the first day get a
clear error that says what to do, and leave nothing behind."""
from __future__ import annotations

import json
import os
import pty
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import mountutil
from conftest import CATALOG
from mountutil import env_for, is_mounted, run
from ucproxy import UCProxy


def items(state) -> list[dict]:
    return json.loads(run(["mirror", "list", "--json"], env=env_for(state), check=True).stdout)


# ----------------------------------------------------------------------------- --include typos

@pytest.mark.parametrize("flags,msg", [
    (["--include", "slaes"], "--include 'slaes' matches nothing in catalog 'ucfs_test': "
                             "there is no schema 'slaes'; did you mean 'sales'?"),
    (["--include", "sales.ordres"], "--include 'sales.ordres' matches nothing in catalog "
                                    "'ucfs_test': schema 'sales' has no table 'ordres'; did you "
                                    "mean 'sales.orders'?"),
    (["--exclude", "mics"], "--exclude 'mics' matches nothing in catalog 'ucfs_test': there is "
                            "no schema 'mics'; did you mean 'misc'?"),
    (["--include", "zzzzzzzz"], "there is no schema 'zzzzzzzz' (it has: "),
])
def test_mirror_create_pattern_matching_nothing_is_an_error(uc_server, catalog, fresh_state,
                                                            flags, msg):
    """`mirror create --include retial` used to create an item with 0 tables and
    exit 0. Now: exit 1, the nearest name, and no state database at all."""
    p = run(["mirror", "create", "--catalog", CATALOG, "--host", uc_server.url, *flags],
            env=env_for(fresh_state))
    assert p.returncode == 1, p.stderr
    assert msg in p.stderr, p.stderr
    assert "not created" in p.stderr and f"ucfs browse {CATALOG}" in p.stderr, p.stderr
    assert p.stdout == ""
    assert not fresh_state.exists()
    # a database that exists is left as it was
    run(["mirror", "create", "other", "--catalog", CATALOG, "--host", uc_server.url],
        env=env_for(fresh_state), check=True)
    p = run(["mirror", "create", "--catalog", CATALOG, "--host", uc_server.url, *flags],
            env=env_for(fresh_state))
    assert p.returncode == 1 and msg in p.stderr, p.stderr
    assert [i["name"] for i in items(fresh_state)] == ["other"]


def test_mirror_edit_pattern_matching_nothing_is_an_error(uc_server, catalog, fresh_state):
    """The same for `mirror edit`: checked against the stored tables, then Unity
    Catalog (an empty schema is never stored, yet is a valid --include)."""
    env = env_for(fresh_state)
    run(["mirror", "create", "--catalog", CATALOG, "--host", uc_server.url], env=env,
        check=True)
    before = run(["mirror", "show", CATALOG], env=env, check=True).stdout
    p = run(["mirror", "edit", CATALOG, "--exclude", "sales.ordres"], env=env)
    assert p.returncode == 1, p.stderr
    assert ("--exclude 'sales.ordres' matches nothing in catalog 'ucfs_test': schema 'sales' "
            "has no table 'ordres'; did you mean 'sales.orders'?") in p.stderr, p.stderr
    assert f"mirrored item '{CATALOG}' not changed" in p.stderr
    p = run(["mirror", "edit", CATALOG, "--include", "slaes"], env=env)
    assert p.returncode == 1 and "did you mean 'sales'?" in p.stderr, p.stderr
    assert run(["mirror", "show", CATALOG], env=env, check=True).stdout == before
    p = run(["mirror", "edit", CATALOG, "--include", "empty_schema"], env=env)
    assert p.returncode == 0, p.stderr
    assert "schema empty_schema: Full" in p.stdout, p.stdout


def test_mirror_create_good_patterns_still_work(uc_server, catalog, fresh_state):
    p = run(["mirror", "create", "--catalog", CATALOG, "--host", uc_server.url,
             "--include", "sales.orders", "--include", "misc"], env=env_for(fresh_state),
            check=True)
    assert "tables mirrored" in p.stdout


# ----------------------------------------------------------------------------- browse

def test_browse_failure_prints_nothing_on_stdout(uc_server, catalog):
    """`browse CATALOG.typo` printed the table header, then the error."""
    p = run(["browse", f"{CATALOG}.slaes", "--host", uc_server.url], env=env_for())
    assert p.returncode == 1 and "slaes" in p.stderr, p.stderr
    assert f"ucfs: note: did you mean 'ucfs browse {CATALOG}.sales'?" in p.stderr, p.stderr
    assert p.stdout == ""
    p = run(["browse", f"{CATALOG}.sales", "--host", uc_server.url], env=env_for(), check=True)
    assert p.stdout.startswith("TABLE ") and "sales.orders" in p.stdout


# ----------------------------------------------------------------------------- no state

@pytest.mark.parametrize("args", [["mirror", "list"], ["mirror", "list", "--json"],
                                  ["mirror", "show", CATALOG], ["status"], ["status", "--json"],
                                  ["lakehouse", "list"], ["sync"]])
def test_reading_commands_never_create_state(tmp_path, args):
    """`mirror list` on a missing database created it (while `status` said there
    was none): every reading command now gives status's error and creates nothing."""
    state = tmp_path / "sub" / "state.db"
    p = run(args, env=env_for(state))
    assert p.returncode == 1, (args, p.stdout, p.stderr)
    assert f"no state database at {state}: create a mirrored item first" in p.stderr, p.stderr
    assert p.stdout == ""
    assert not state.exists() and not state.parent.exists()


# ----------------------------------------------------------------------------- -o options

@pytest.mark.parametrize("opt,msg", [
    ("no_such_fuse_option", "unknown mount option 'no_such_fuse_option' (the options are "
                            "listed by 'ucfs mount --help'"),
    ("allow_othr", "unknown mount option 'allow_othr': did you mean 'allow_other'?"),
    ("log_tl=2", "unknown mount option 'log_tl': did you mean 'log_ttl'?"),
    ("cache_sise=1G", "unknown mount option 'cache_sise': did you mean 'cache_size'?"),
    ("log_ttl", "option log_ttl needs a value (log_ttl=...)"),
    ("log_ttl=abc", "option log_ttl=abc: expected a number of seconds"),
])
def test_mount_option_errors_are_ucfs_usage_errors(state, mountpoint, opt, msg):
    """An unknown -o option exited 1 with libfuse's message while a bad value exited
    2 with ucfs's: now both are ucfs's usage errors (exit 2), with a suggestion,
    the same through mount.fuse3 as mount(8) runs it."""
    p = run(["mount", str(mountpoint), "-o", f"_netdev,{opt}"], env=env_for(state))
    assert p.returncode == 2, p.stderr
    assert f"ucfs: error: {msg}" in p.stderr, p.stderr
    assert "fuse:" not in p.stderr
    p = run([str(state), str(mountpoint), "-o", f"dev,suid,{opt}"], env=env_for())
    assert p.returncode == 2 and msg in p.stderr, p.stderr
    assert not is_mounted(mountpoint)


def test_mount_accepts_fstab_and_fuse_words(state, mountpoint):
    words = ("defaults,auto,noauto,user,users,nofail,_netdev,ro,nosuid,nodev,noexec,suid,dev,"
             "exec,noatime,default_permissions,x-systemd.automount,x-systemd.requires=a.service,"
             "comment=x,fsname=ucfs-test,log_ttl=1")
    p = run(["mount", str(mountpoint), "-o", words], env=env_for(state))
    assert p.returncode == 0, p.stderr
    try:
        with open("/proc/self/mountinfo") as f:
            line = next(l for l in f if f" {mountpoint} " in l)
        assert "ucfs-test" in line
        assert sorted(os.listdir(mountpoint / CATALOG)) == [".ucfs", "misc", "sales"]
    finally:
        run(["umount", str(mountpoint)], env=env_for(state), check=True)


# ----------------------------------------------------------------------------- HOME unset

FIRST_USER = "ucfs9first"


@pytest.fixture
def user_home():
    """A real user whose home is a fresh directory (removed again at the end)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to add a user")
    home = Path(tempfile.mkdtemp(prefix="ucfs-home-"))
    made = False
    try:
        pwd.getpwnam(FIRST_USER)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--home-dir", str(home), "--shell",
                        "/usr/sbin/nologin", FIRST_USER], check=True)
        made = True
    subprocess.run(["usermod", "--home", str(home), FIRST_USER], check=True)
    pw = pwd.getpwnam(FIRST_USER)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    home.chmod(0o755)
    yield pw, home
    if made:
        subprocess.run(["userdel", FIRST_USER], check=False)
    shutil.rmtree(home, ignore_errors=True)


def as_user(pw, args, env) -> subprocess.CompletedProcess:
    p = subprocess.run(["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
                        "--init-groups", "--", str(mountutil.UCFS), *map(str, args)],
                       env=env, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    mountutil.check_stderr(p.stderr)
    return p


def test_home_unset_uses_the_password_database(uc_server, catalog, user_home):
    """With HOME unset the default state and cache paths were under /root whoever
    ran ucfs: now they are under the user's home from the password database."""
    pw, home = user_home
    env = {k: v for k, v in env_for().items()
           if k not in ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "UCFS_STATE")}
    p = as_user(pw, ["status"], env)
    assert p.returncode == 1
    state = home / ".local" / "share" / "ucfs" / "state.db"
    assert f"no state database at {state}:" in p.stderr, p.stderr
    # the user's own state, then a mount: its disk cache goes to ~/.cache/ucfs/
    run(["mirror", "create", "--catalog", CATALOG, "--host", uc_server.url],
        env=env_for(state), check=True)
    subprocess.run(["chown", "-R", f"{pw.pw_uid}:{pw.pw_gid}", str(home)], check=True)
    p = as_user(pw, ["mirror", "list"], env)
    assert p.returncode == 0 and CATALOG in p.stdout, p.stderr
    mp = home / "mnt"
    mp.mkdir()
    os.chown(mp, pw.pw_uid, pw.pw_gid)
    # /dev/fuse is root's only here: the user mounts in a mount namespace of its
    # own where a copy of the device node is theirs.
    dev = home / "fuse"
    cache = home / ".cache" / "ucfs" / str(mp)[1:].replace("/", "_")
    script = f"""set -e
mknod {dev} c 10 229 && chmod 0666 {dev} && mount --bind {dev} /dev/fuse
as_user() {{ setpriv --reuid={pw.pw_uid} --regid={pw.pw_gid} --init-groups -- "$@"; }}
as_user {mountutil.UCFS} mount {mp} -o offline
for i in $(seq 300); do [ -d {cache} ] && break; sleep 0.1; done
ls -d {cache}
as_user {mountutil.UCFS} umount {mp}
"""
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c", script],
                       env=env, capture_output=True, text=True, timeout=120)
    mountutil.check_stderr(p.stderr)
    assert p.returncode == 0, p.stderr
    assert str(cache) in p.stdout
    assert not Path("/root/.cache/ucfs", cache.name).exists()


# ----------------------------------------------------------------------------- --host scheme

def test_host_without_scheme_says_https_was_assumed(uc_server, catalog, fresh_state):
    """`--host 127.0.0.1:8080` silently became https:// and failed with a TLS
    error: now the error says https:// was assumed and, since the port answers
    plain HTTP, which URL to use."""
    hostport = uc_server.url.split("://", 1)[1]
    p = run(["catalogs", "--host", hostport], env=env_for())
    assert p.returncode == 1
    assert "TLS handshake failed" in p.stderr, p.stderr
    assert f"ucfs: note: no scheme in --host '{hostport}': assumed https://" in p.stderr
    assert (f"ucfs: note: {hostport} answers plain HTTP, not TLS: use --host "
            f"http://{hostport}") in p.stderr, p.stderr
    p = run(["mirror", "create", "--catalog", CATALOG],
            env=env_for(fresh_state, DATABRICKS_HOST=hostport))
    assert p.returncode == 1 and not fresh_state.exists()
    assert f"no scheme in DATABRICKS_HOST '{hostport}': assumed https://" in p.stderr
    assert f"use http://{hostport}" in p.stderr, p.stderr
    # the URL it suggests works
    run(["catalogs", "--host", f"http://{hostport}"], env=env_for(), check=True)


# ----------------------------------------------------------------------------- sync progress

class Slow:
    """UCProxy alteration: every request to the server waits DELAY seconds."""

    def __init__(self, delay: float):
        self.delay = delay

    def request(self, path: str) -> str:
        time.sleep(self.delay)
        return path

    def answer(self, path: str, status: int, body: bytes) -> bytes:
        return body


def sync_on_a_terminal(args, env) -> tuple[int, str]:
    """Run `ucfs ARGS` with stderr (and stdout) on a pseudo-terminal."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(str(mountutil.UCFS), [str(mountutil.UCFS), *args], env)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    text = out.decode(errors="replace")
    mountutil.check_stderr(text)
    return os.waitstatus_to_exitcode(status), text


def test_sync_shows_progress_on_a_terminal(uc_server, catalog, fresh_state):
    """A sync of a slow catalog shows "syncing CATALOG: schemas N/M, tables K"
    on a terminal, rewritten in place and erased at the end; nothing when stderr
    is not a terminal or with --quiet, nor for a quick sync."""
    with UCProxy(uc_server.url) as proxy:
        run(["mirror", "create", "--catalog", CATALOG, "--host", proxy.url],
            env=env_for(fresh_state), check=True)
        env = env_for(fresh_state)
        # quick: no progress line
        code, text = sync_on_a_terminal(["sync"], env)
        assert code == 0 and "synced 'ucfs_test'" in text, text
        assert "syncing" not in text, text
        proxy.alter = Slow(0.4)
        code, text = sync_on_a_terminal(["sync"], env)
        assert code == 0, text
        assert re.search(r"\r\x1b\[Ksyncing ucfs_test: schemas [23]/3, tables \d+", text), text
        assert "\r\x1b[Ksynced 'ucfs_test'" in text, text  # the line is erased first
        code, text = sync_on_a_terminal(["sync", "--quiet"], env)
        assert code == 0 and text == "", text
        p = run(["sync"], env=env)  # pipes, not a terminal
        assert p.returncode == 0 and "syncing" not in p.stderr and p.stderr == "", p.stderr
