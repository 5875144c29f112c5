"""Session fixtures: the real Unity Catalog OSS server, a test catalog written
with deltalake, a state database with a mirrored item, and a live mount."""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "fixtures"))
sys.path.insert(0, str(HERE))

import mountutil  # noqa: E402
from mountutil import Mount, env_for, run  # noqa: E402
from tables import build_test_catalog  # noqa: E402
from ucapi import UCClient  # noqa: E402
from ucserver import UCServer  # noqa: E402

CATALOG = "ucfs_test"


IN_CI = os.environ.get("CI") == "true"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI=true a skipped test is a failed one: a missing emulator, Spark or
    Azurite must fail CI, not quietly drop the tests that need it."""
    outcome = yield
    rep = outcome.get_result()
    if IN_CI and rep.skipped and not hasattr(rep, "wasxfail"):
        reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        rep.outcome = "failed"
        rep.longrepr = f"skipped under CI=true, which counts as a failure: {reason}"


def pytest_sessionstart(session):
    if not mountutil.UCFS.exists():
        raise pytest.UsageError(f"ucfs binary not found at {mountutil.UCFS}: build it first "
                                "(scripts/test does) or set UCFS_BIN")


@pytest.fixture(scope="session", autouse=True)
def local_root(tmp_path_factory) -> Path:
    """Where every test table lives: the local root test items allow (see
    mountutil.LOCAL_ROOT)."""
    root = Path(tmp_path_factory.getbasetemp()).resolve()
    mountutil.LOCAL_ROOT = str(root)
    return root


@pytest.fixture(scope="session")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ucfs")


@pytest.fixture(scope="session")
def uc_server(workdir):
    srv = UCServer(workdir / "ucserver")
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def uc_api(uc_server) -> UCClient:
    return UCClient(uc_server.url)


@pytest.fixture(scope="session")
def catalog(uc_api, workdir):
    """{"schema.table": TableSpec} of the test catalog on the server."""
    return build_test_catalog(uc_api, workdir / "data", CATALOG)


@pytest.fixture(scope="session")
def state(workdir, uc_server, catalog) -> Path:
    """A state database with one mirrored item, CATALOG, for the session."""
    path = workdir / "state" / "state.db"
    run(["mirror", "create", "--catalog", CATALOG, "--host", uc_server.url],
        env=env_for(path), check=True)
    return path


@pytest.fixture(scope="session")
def mount(workdir, state):
    """The session's mount: MOUNT / CATALOG / schema / table."""
    m = Mount(workdir / "mnt", env_for(state), options="log_ttl=0.5")
    m.start()
    yield m.mp
    m.stop()


@pytest.fixture
def fresh_state(tmp_path) -> Path:
    return tmp_path / "state.db"


@pytest.fixture
def mountpoint(tmp_path) -> Path:
    p = tmp_path / "mnt"
    p.mkdir()
    yield p
    if mountutil.is_mounted(p):
        os.system(f"fusermount3 -uz '{p}' 2>/dev/null")


@pytest.fixture(scope="session")
def spark():
    from spark import get_spark, stop_spark
    s = get_spark()
    yield s
    stop_spark()


def copy_tree(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, symlinks=False)
