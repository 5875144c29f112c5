"""Access on a shared machine (issue 8): with allow_other, each mirrored item
and lakehouse has an owner, group and mode, enforced by the kernel
(default_permissions) for real non-root users made for the test; a running
mount follows `ucfs mirror edit` / `ucfs lakehouse edit`. Without allow_other
only the mounting user enters."""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from mountutil import ROOT, Mount
from synctools import NOSYNC, Catalog, Ucfs, wait_for

GROUP = "ucfs8team"
USERS = {"alice": [GROUP], "bob": [GROUP], "carol": []}  # ucfs8alice, ...

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to add users")


def _name(u: str) -> str:
    return f"ucfs8{u}"


@pytest.fixture(scope="module")
def users():
    """Real users and a group, removed again at the end (unless they existed)."""
    made_group = False
    try:
        grp.getgrnam(GROUP)
    except KeyError:
        subprocess.run(["groupadd", GROUP], check=True)
        made_group = True
    made = []
    for u, groups in USERS.items():
        try:
            pwd.getpwnam(_name(u))
        except KeyError:
            subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin",
                            *(["--groups", ",".join(groups)] if groups else []), _name(u)],
                           check=True)
            made.append(_name(u))
    yield {u: pwd.getpwnam(_name(u)) for u in USERS}
    for u in made:
        subprocess.run(["userdel", u], check=False)
    if made_group:
        subprocess.run(["groupdel", GROUP], check=False)


def as_user(pw, *cmd, timeout=60) -> subprocess.CompletedProcess:
    """Run cmd as that user (real and effective ids, their groups only)."""
    return subprocess.run(["setpriv", f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}",
                           "--init-groups", "--", *map(str, cmd)],
                          capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)


def reads(pw, path: Path, want: bytes | None = None) -> bool:
    p = as_user(pw, "cat", path)
    if p.returncode == 0:
        assert want is None or p.stdout == want
        return True
    assert b"Permission denied" in p.stderr, p.stderr
    return False


def lists(pw, path: Path) -> bool:
    p = as_user(pw, "ls", path)
    if p.returncode == 0:
        return True
    assert b"Permission denied" in p.stderr, p.stderr
    return False


@pytest.fixture
def shared_dir():
    """A mount point other users can reach (pytest's own tmp is 0700)."""
    d = Path(tempfile.mkdtemp(prefix="ucfs-access-"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_items_and_lakehouses_admit_by_owner_group_and_mode(uc_api, uc_server, tmp_path,
                                                            users, shared_dir):
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        paths = cat.build({"a": ["t1"]})
        data = sorted(paths["a.t1"].glob("*.parquet"))[0]
        want = data.read_bytes()
        host = ["--catalog", cat.name, "--host", uc_server.url]
        u("mirror", "create", "team", *host, "--owner", _name("alice"), "--group", GROUP,
          "--mode", "0750")
        u("mirror", "create", "priv", *host)
        u("lakehouse", "create", "lh", "--owner", str(carol.pw_uid))
        u("shortcut", "create", "lh", "sc", "team.a.t1")
        show = u("mirror", "show", "team").stdout
        assert f"owner:       {_name('alice')} (uid {alice.pw_uid})" in show
        assert f"group:       {GROUP} (gid {grp.getgrnam(GROUP).gr_gid})" in show
        assert "mode:        0750" in show
        assert "mode:        0700 (default)" in u("mirror", "show", "priv").stdout
        assert u.show("team")["access"] == {"uid": alice.pw_uid,
                                            "gid": grp.getgrnam(GROUP).gr_gid, "mode": "0750"}
        assert f"owner uid {carol.pw_uid}" in u("lakehouse", "list").stdout

        with Mount(shared_dir / "mnt", u.env, options=NOSYNC + ",allow_other") as m:
            team, priv, lh = m.mp / "team", m.mp / "priv", m.mp / "lh" / "Tables" / "sc"
            f = team / "a" / "t1" / data.name
            st = os.stat(team)
            assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (
                alice.pw_uid, grp.getgrnam(GROUP).gr_gid, 0o750)
            assert os.stat(team / "a").st_mode & 0o777 == 0o550
            assert os.stat(f).st_mode & 0o777 == 0o440
            assert os.stat(m.mp).st_mode & 0o777 == 0o755
            assert os.stat(priv).st_mode & 0o777 == 0o700 and os.stat(priv).st_uid == 0
            for who in (alice, bob, carol):  # everyone reaches the items' names
                assert lists(who, m.mp)
            # owner and group in, others out; the default item only for the mounting user
            assert reads(alice, f, want) and reads(bob, f, want) and not reads(carol, f)
            assert not lists(carol, team)
            assert not any(lists(w, priv) for w in (alice, bob, carol))
            # the lakehouse is carol's: she reads the shortcut, the item's owner does not
            assert reads(carol, lh / data.name, want)
            assert not reads(alice, lh / data.name)
            # a real reader as a non-root user (os._exit: deltalake's runtime may
            # abort in its threads at interpreter exit, after the answer)
            py = as_user(alice, ROOT / ".venv" / "bin" / "python", "-c",
                         f"import os; from deltalake import DeltaTable; "
                         f"print(DeltaTable('{team / 'a' / 't1'}').to_pyarrow_table().num_rows, "
                         f"flush=True); os._exit(0)")
            assert py.returncode == 0 and py.stdout.strip() == b"3", py.stderr[-2000:]

            # A running mount follows edits (cached attributes are dropped).
            u("mirror", "edit", "team", "--mode", "0700")
            wait_for(lambda: not reads(bob, f), 10, "bob to be refused after --mode 0700")
            assert reads(alice, f, want)
            u("mirror", "edit", "team", "--mode", "0755", "--group", "default")
            wait_for(lambda: reads(carol, f, want), 10, "carol to be admitted by --mode 0755")
            assert os.stat(team).st_gid == 0
            u("mirror", "edit", "team", "--owner", _name("carol"), "--mode", "0700")
            wait_for(lambda: reads(carol, f) and not reads(alice, f), 10,
                     "the new owner alone to be admitted")
            assert not reads(bob, f)
            u("lakehouse", "edit", "lh", "--group", GROUP, "--mode", "0750")
            wait_for(lambda: reads(bob, lh / data.name, want), 10,
                     "the lakehouse's group to be admitted")
            assert not reads(alice, priv / "a" / "t1" / data.name)
            u("mirror", "edit", "priv", "--mode", "0705")
            wait_for(lambda: reads(alice, priv / "a" / "t1" / data.name, want), 10,
                     "others to be admitted by --mode 0705")


def test_without_allow_other_only_the_mounting_user_enters(uc_api, uc_server, tmp_path, users,
                                                          shared_dir):
    alice = users["alice"]
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "data") as cat:
        paths = cat.build({"a": ["t1"]})
        data = sorted(paths["a.t1"].glob("*.parquet"))[0]
        u("mirror", "create", "open", "--catalog", cat.name, "--host", uc_server.url,
          "--owner", _name("alice"), "--mode", "0755")
        with Mount(shared_dir / "mnt", u.env, options=NOSYNC) as m:
            f = m.mp / "open" / "a" / "t1" / data.name
            assert f.read_bytes() == data.read_bytes()  # the mounting user (root)
            assert not lists(alice, m.mp)
            assert not reads(alice, f)
