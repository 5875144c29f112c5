"""Installing ucfs (issue 9): `meson install` puts mount.ucfs where mount(8)
looks for helpers (/sbin) and ucfs@.service where systemd looks for units;
then the README's ways of mounting at boot work for real: `mount -t ucfs`,
an fstab line, and the unit's ExecStart/ExecStop.

The staged install (DESTDIR) is laid over the real paths in a mount
namespace of the test's own (/usr/local bound, /usr/sbin an overlay with the
staged /sbin on top), so the machine's /sbin and /usr/local are not touched
and the mounts are seen only there."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

import mountutil
from conftest import CATALOG
from mountutil import env_for, run

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (mount namespaces)")


@pytest.fixture(scope="module")
def staged(tmp_path_factory) -> Path:
    """meson setup (default prefix /usr/local) + ninja install with DESTDIR."""
    d = tmp_path_factory.mktemp("install")
    build, dest = d / "build", d / "dest"
    subprocess.run(["meson", "setup", "--buildtype=debug", str(build)], cwd=ROOT, check=True,
                   capture_output=True, text=True, timeout=600)
    p = subprocess.run(["ninja", "-C", str(build), "install"], env={**os.environ,
                       "DESTDIR": str(dest)}, capture_output=True, text=True, timeout=1200)
    assert p.returncode == 0, p.stdout[-4000:] + p.stderr[-4000:]
    return dest


def test_install_layout(staged):
    assert (staged / "usr/local/bin/ucfs").is_file()
    helper = staged / "sbin/mount.ucfs"  # /sbin: where mount(8) runs helpers from
    assert helper.is_symlink() and os.readlink(helper) == "/usr/local/bin/ucfs"
    unit = staged / "usr/local/lib/systemd/system/ucfs@.service"
    text = unit.read_text()
    assert "ExecStart=/usr/local/bin/ucfs mount %f\n" in text
    assert "ExecStop=/usr/local/bin/ucfs umount %f\n" in text
    assert "After=network-online.target" in text and "@BINDIR@" not in text
    assert (staged / "usr/local/share/man/man1/ucfs.1").is_file()
    # the snapshot helper of `ucfs prefetch`, where the installed ucfs looks for it
    assert os.access(staged / "usr/local/libexec/ucfs/ucfs-snapshot", os.X_OK)


def in_namespace(staged: Path, script: str, env: dict) -> subprocess.CompletedProcess:
    """Run the bash SCRIPT where the staged install is the installed ucfs."""
    setup = f"""set -euo pipefail
mount -t overlay overlay -o lowerdir={staged}/sbin:/usr/sbin /usr/sbin
mount --bind {staged}/usr/local /usr/local
"""
    p = subprocess.run(["unshare", "--mount", "--propagation", "private", "bash", "-c",
                        setup + script], env=env, capture_output=True, text=True, timeout=300)
    mountutil.check_stderr(p.stderr)
    return p


@pytest.fixture
def root_state(tmp_path, uc_server, catalog) -> Path:
    state = tmp_path / "state.db"
    run(["mirror", "create", "--catalog", CATALOG, "--host", uc_server.url],
        env=env_for(state), check=True)
    return state


def test_mount_t_ucfs_and_fstab(staged, root_state, tmp_path):
    """`mount -t ucfs` and the fstab line of README and ucfs(1) (type ucfs,
    _netdev) run the installed /sbin/mount.ucfs; a table file reads; umount."""
    mp = tmp_path / "mnt"
    mp.mkdir()
    fstab = tmp_path / "fstab"
    fstab.write_text(f"{root_state}  {mp}  ucfs  _netdev,nofail  0 0\n")
    log = f"{mp}/{CATALOG}/sales/orders/_delta_log/00000000000000000000.json"
    env = {k: v for k, v in env_for().items() if k != "UCFS_STATE"}
    env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin"  # as mount(8) gets it at boot
    script = f"""
mount -t ucfs {root_state} {mp} -o log_ttl=1
grep -q '"commitInfo"\\|"protocol"' {log} && echo read-1
findmnt -n -o FSTYPE {mp}
umount {mp}
mount -T {fstab} {mp}
grep -q '"commitInfo"\\|"protocol"' {log} && echo read-2
umount {mp}
mount --fstab {fstab} -a -t ucfs -O _netdev
grep -q '"commitInfo"\\|"protocol"' {log} && echo read-3
umount {mp}
# fuse.ucfs: mount.fuse3 runs `ucfs` from the PATH mount(8) sets for helpers
# (/usr/local/sbin:/usr/local/bin:/usr/sbin:...), whatever the caller's
PATH=/usr/bin:/bin mount -t fuse.ucfs {root_state} {mp} -o log_ttl=1
grep -q '"commitInfo"\\|"protocol"' {log} && echo read-4
umount {mp}
"""
    p = in_namespace(staged, script, env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.split() == ["read-1", "fuse.ucfs", "read-2", "read-3", "read-4"], p.stdout


def test_systemd_unit(staged, root_state, tmp_path):
    """ucfs@.service: systemd-analyze verify accepts an instance of it, and its
    ExecStart (with %f, the unescaped instance) mounts, ExecStop unmounts."""
    mp = tmp_path / "mnt uc"  # a space: escaped in the instance name
    mp.mkdir()
    inst = subprocess.run(["systemd-escape", "--path", str(mp)], capture_output=True, text=True,
                          check=True).stdout.strip()
    path = subprocess.run(["systemd-escape", "--unescape", "--path", inst], capture_output=True,
                          text=True, check=True).stdout.strip()
    assert path == str(mp)
    text = (staged / "usr/local/lib/systemd/system/ucfs@.service").read_text()
    units = tmp_path / "units"
    units.mkdir()
    shutil.copy(staged / "usr/local/lib/systemd/system/ucfs@.service",
                units / f"ucfs@{inst}.service")
    start = re.search(r"^ExecStart=(.*)$", text, re.M)[1].replace("%f", "\"$MP\"")
    stop = re.search(r"^ExecStop=(.*)$", text, re.M)[1].replace("%f", "\"$MP\"")
    env = {k: v for k, v in env_for().items() if k != "UCFS_STATE"}
    env.update(PATH="/usr/sbin:/usr/bin:/sbin:/bin", MP=str(mp), UCFS_STATE=str(root_state))
    script = f"""
SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no {units}/ucfs@{inst}.service
echo verified
{start}
ls "$MP/{CATALOG}/sales/orders/_delta_log" | grep -q 00000000000000000000.json && echo read
{stop}
findmnt "$MP" >/dev/null || echo unmounted
"""
    p = in_namespace(staged, script, env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.split() == ["verified", "read", "unmounted"], p.stdout + p.stderr


def test_readme_and_man_give_the_same_fstab_line():
    """One fstab form, type ucfs (mount.ucfs in /sbin), the one tested above."""
    line = "/root/.local/share/ucfs/state.db  /mnt/uc  ucfs  _netdev,nofail  0 0"
    readme = (ROOT / "README.md").read_text()
    man = (ROOT / "man/ucfs.1").read_text()
    assert line in readme and line in man
    assert "fuse.ucfs  " not in readme and "fuse.ucfs  " not in man  # no second form
    assert "ucfs@.service" in readme and "ucfs@.service" in man
    assert "-Dmount_helper_dir" in readme and "-Dmount_helper_dir" in man
