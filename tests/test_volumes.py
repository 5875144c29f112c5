"""Unity Catalog volumes through real mounts and the real Unity Catalog OSS server
(issue 10, part 3).

An item made with `--volumes` shows its catalog's volumes read-only at
MOUNT/Volumes/<catalog>/<schema>/<volume>/ - the layout of Databricks'
/Volumes - next to its tables at MOUNT/<item>/<schema>/<table>/. Files are
read lazily with credentials the server vends per volume
(temporary-volume-credentials, READ_VOLUME):

- EXTERNAL and MANAGED volumes on S3 (moto, signatures checked; the server
  vends moto's STS session) and on local storage (file://, below the item's
  allowed root): `cp -r`, `find` and pandas `read_csv` through the mount match
  the source (boto3 / the local files); a MANAGED volume whose directory was
  never created is an empty directory;
- a volume created or dropped after the mount appears / disappears after a
  sync; `ucfs status` counts and lists volumes;
- the selection rules apply to volumes (--include S.V, --exclude S.V, a schema
  include) and a name that is neither table nor volume is refused;
  `mirror edit --no-volumes` drops them, `--volumes` brings them back at the
  next sync;
- a volume whose credentials Unity Catalog denies stays listed and gives
  EACCES (the denial remembered), one whose vending answer is hostile (AWS
  credentials without keys) stays listed and fails, the log naming each
  volume; another volume of the item still reads.
"""
from __future__ import annotations

import errno
import filecmp
import io
import json
import os
import subprocess
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from deltalake import write_deltalake

from motoserver import REGION, MotoServer
from mountutil import Mount, env_for, run
from ucapi import UCClient, file_uri
from ucproxy import EditListing, LoopingPages, UCProxy, denied
from ucserver import S3Vending, UCServer

BUCKET = "ucfs-volumes"
CAT = "volcat"       # S3 storage root: its MANAGED volumes live in the bucket
LOCAL_CAT = "loccat"  # local storage root: its MANAGED volume is a local directory

CSV = "id,city,amount\n" + "".join(f"{i},city{i % 7},{i * 1.5}\n" for i in range(400))
LANDING = {  # EXTERNAL volume raw.landing on S3: key below the volume -> bytes
    "data.csv": CSV.encode(),
    "2024/01/part-0.csv": CSV[:2000].encode() + b"\n",
    "2024/02/part-1.csv": b"id,city,amount\n1,x,2.5\n",
    "nested/deep/blob.bin": bytes(range(256)) * 3000,  # 768000 bytes: readahead windows
    "name with space.txt": b"spaces are kept\n",
    "empty": b"",
}
MANAGED_S3 = {"readme.txt": b"managed on s3\n", "t.csv": b"a,b\n1,2\n3,4\n"}
LOCAL_EXT = {"a.csv": b"k,v\n1,one\n2,two\n", "sub/b.txt": b"local external\n"}
LOCAL_MANAGED = {"m.csv": b"x\n1\n2\n3\n", "deep/er/f.bin": os.urandom(70000)}


def write_files(root: Path, files: dict) -> None:
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


def local_path(uri: str) -> Path:
    assert uri.startswith("file://"), uri
    return Path(uri[len("file://"):])


def tree_of(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def ls(d: Path) -> list[str]:
    """The entries of d, without ucfs's own dot-directories."""
    return sorted(n for n in os.listdir(d) if not n.startswith("."))


def find(root: Path) -> list[str]:
    p = subprocess.run(["find", ".", "-mindepth", "1"], cwd=root, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return sorted(p.stdout.split("\n")[:-1])


def find_expected(files: dict) -> list[str]:
    out = set()
    for rel in files:
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            out.add("./" + "/".join(parts[:i]))
    return sorted(out)


def wait_for(pred, what: str, timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except OSError:  # not there yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"not within {timeout}s: {what}")


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """moto with the bucket, the Unity Catalog server vending its session for it,
    and two catalogs with volumes (and a Delta table, which stays where tables are)."""
    base = tmp_path_factory.mktemp("volumes")
    moto = MotoServer(base / "moto")
    moto.start()
    srv = None
    try:
        moto.admin_client("s3").create_bucket(Bucket=BUCKET)
        c = moto.enable_auth()
        s3 = moto.client("s3", c.user_key, c.user_secret)
        srv = UCServer(base / "uc", s3=S3Vending(f"s3://{BUCKET}", REGION, c.session_key,
                                                  c.session_secret, c.session_token))
        srv.start()
        api = UCClient(srv.url)
        api.create_catalog(CAT, storage_root=f"s3://{BUCKET}/managed")
        for s in ("raw", "loc"):
            api.create_schema(CAT, s)
        api.create_volume(CAT, "raw", "landing", storage_location=f"s3://{BUCKET}/ext/landing")
        for k, v in LANDING.items():
            s3.put_object(Bucket=BUCKET, Key=f"ext/landing/{k}", Body=v)
        files = api.create_volume(CAT, "raw", "files", volume_type="MANAGED")
        assert files["volume_type"] == "MANAGED", files
        prefix = files["storage_location"][len(f"s3://{BUCKET}/"):].rstrip("/")
        for k, v in MANAGED_S3.items():
            s3.put_object(Bucket=BUCKET, Key=f"{prefix}/{k}", Body=v)
        write_files(base / "docs", LOCAL_EXT)
        api.create_volume(CAT, "loc", "docs", storage_location=file_uri(base / "docs"))
        events = pa.table({"id": pa.array(range(10), pa.int64())})
        write_deltalake(str(base / "events"), events)
        api.register_arrow_table(CAT, "raw", "events", base / "events", events.schema)

        (base / "mroot").mkdir()
        api.create_catalog(LOCAL_CAT, storage_root=file_uri(base / "mroot"))
        api.create_schema(LOCAL_CAT, "s")
        m = api.create_volume(LOCAL_CAT, "s", "m", volume_type="MANAGED")
        write_files(local_path(m["storage_location"]), LOCAL_MANAGED)  # the server makes no dir
        api.create_volume(LOCAL_CAT, "s", "empty", volume_type="MANAGED")  # no directory at all
        yield {"moto": moto, "s3": s3, "srv": srv, "api": api, "base": base,
               "managed_prefix": prefix, "local_managed": local_path(m["storage_location"])}
    finally:
        if srv:
            srv.stop()
        moto.stop()


def mount_env(lab, state: Path) -> dict:
    """Only the S3 endpoint: every credential comes from Unity Catalog."""
    env = env_for(state)
    for k in [k for k in env if k.startswith("AWS_")]:
        del env[k]
    env.update({"AWS_ENDPOINT_URL": lab["moto"].url, "AWS_REGION": REGION})
    return env


def status(env, item: str) -> dict:
    p = run(["status", item, "--json", "--tables"], env=env, check=True)
    return json.loads(p.stdout)["items"][0]


@pytest.fixture(scope="module")
def mounted(lab, tmp_path_factory):
    d = tmp_path_factory.mktemp("volmount")
    env = mount_env(lab, d / "state.db")
    url = lab["srv"].url
    p = run(["mirror", "create", "--catalog", CAT, "--host", url, "--volumes"], env=env,
            check=True)
    assert "1 tables mirrored" in p.stdout and "3 volumes mirrored, 0 skipped" in p.stdout, p.stdout
    run(["mirror", "create", "--catalog", LOCAL_CAT, "--host", url, "--volumes"], env=env,
        check=True)
    m = Mount(d / "mnt", env).start()
    yield m, env
    log = m.stop()
    assert not [ln for ln in log.splitlines() if "error" in ln], log


# --------------------------------------------------------------------------- reading

def test_layout_tables_stay_volumes_under_Volumes(mounted):
    m, env = mounted
    mp = m.mp
    assert ls(mp) == ["Volumes", LOCAL_CAT, CAT]
    assert ls(mp / "Volumes") == [LOCAL_CAT, CAT]
    assert ls(mp / "Volumes" / CAT) == ["loc", "raw"]
    assert ls(mp / "Volumes" / CAT / "raw") == ["files", "landing"]
    assert ls(mp / CAT) == ["raw"]  # the tables: only raw has one
    assert ls(mp / CAT / "raw") == ["events"]
    assert ls(mp / LOCAL_CAT) == []
    # a MANAGED volume nothing was written to (its directory does not exist) is empty
    assert ls(mp / "Volumes" / LOCAL_CAT / "s") == ["empty", "m"]
    assert ls(mp / "Volumes" / LOCAL_CAT / "s" / "empty") == []
    vol = mp / "Volumes" / CAT / "raw" / "landing"
    assert os.getxattr(vol, "user.ucfs.volume_type") == b"EXTERNAL"
    assert os.getxattr(vol, "user.ucfs.full_name") == f"{CAT}.raw.landing".encode()
    assert os.getxattr(mp / "Volumes" / CAT / "raw" / "files",
                       "user.ucfs.volume_type") == b"MANAGED"
    with pytest.raises(OSError) as e:
        (vol / "new.txt").write_bytes(b"x")
    assert e.value.errno == errno.EROFS


def test_tables_by_name_leave_volumes_out(mounted):
    """MOUNT/.ucfs/duckdb.sql, spark.sql and model.json name the tables only: a volume
    is files, and a view over delta_scan of it would stop DuckDB's -init."""
    m, _ = mounted
    dot = m.mp / ".ucfs"
    duck, spark = (dot / "duckdb.sql").read_text(), (dot / "spark.sql").read_text()
    model = json.loads((dot / "model.json").read_text())
    assert f"VIEW {CAT}.raw.events AS" in duck and f"{CAT}_raw.events USING delta" in spark
    for text in (duck, spark):
        for v in ("landing", "files", "loc"):
            assert f"raw.{v} " not in text and f"/{v}'" not in text, text
    assert sorted(t["name"] for t in model["tables"] if t["item"] == CAT) == ["events"]


def test_s3_volumes_cp_find_and_pandas_match_the_bucket(lab, mounted, tmp_path):
    m, _ = mounted
    vol = m.mp / "Volumes" / CAT / "raw" / "landing"
    assert find(vol) == find_expected(LANDING)
    subprocess.run(["cp", "-r", str(vol), str(tmp_path / "copy")], check=True, timeout=300)
    assert tree_of(tmp_path / "copy") == LANDING
    s3 = lab["s3"]
    want = pd.read_csv(io.BytesIO(s3.get_object(Bucket=BUCKET,
                                                Key="ext/landing/data.csv")["Body"].read()))
    pd.testing.assert_frame_equal(pd.read_csv(vol / "data.csv"), want)
    pd.testing.assert_frame_equal(pd.read_csv(vol / "2024" / "02" / "part-1.csv"),
                                  pd.read_csv(io.BytesIO(LANDING["2024/02/part-1.csv"])))
    managed = m.mp / "Volumes" / CAT / "raw" / "files"
    assert find(managed) == find_expected(MANAGED_S3)
    subprocess.run(["cp", "-r", str(managed), str(tmp_path / "mcopy")], check=True, timeout=300)
    assert tree_of(tmp_path / "mcopy") == MANAGED_S3
    pd.testing.assert_frame_equal(pd.read_csv(managed / "t.csv"),
                                  pd.read_csv(io.BytesIO(MANAGED_S3["t.csv"])))


def test_local_volumes_cp_find_and_pandas_match_the_files(lab, mounted, tmp_path):
    m, _ = mounted
    for vol, src, files in (
            (m.mp / "Volumes" / CAT / "loc" / "docs", lab["base"] / "docs", LOCAL_EXT),
            (m.mp / "Volumes" / LOCAL_CAT / "s" / "m", lab["local_managed"], LOCAL_MANAGED)):
        assert find(vol) == find_expected(files)
        dst = tmp_path / vol.name
        subprocess.run(["cp", "-r", str(vol), str(dst)], check=True, timeout=300)
        cmp = filecmp.dircmp(src, dst)
        assert not cmp.left_only and not cmp.right_only and not cmp.diff_files
        assert tree_of(dst) == files
    pd.testing.assert_frame_equal(pd.read_csv(m.mp / "Volumes" / CAT / "loc" / "docs" / "a.csv"),
                                  pd.read_csv(lab["base"] / "docs" / "a.csv"))


def test_volumes_root_mount_is_exactly_the_Volumes_tree(lab, mounted, tmp_path):
    """-o volumes_root: the mount point is /Volumes itself (catalogs at the top, no
    items, no Volumes level), for `ucfs mount /Volumes -o volumes_root`."""
    _, env = mounted
    m = Mount(tmp_path / "Volumes", env, options="volumes_root").start()
    try:
        assert ls(m.mp) == [LOCAL_CAT, CAT]
        assert ls(m.mp / CAT) == ["loc", "raw"]
        assert ls(m.mp / CAT / "raw") == ["files", "landing"]
        assert find(m.mp / CAT / "raw" / "landing") == find_expected(LANDING)
        pd.testing.assert_frame_equal(pd.read_csv(m.mp / CAT / "raw" / "landing" / "data.csv"),
                                      pd.read_csv(io.BytesIO(LANDING["data.csv"])))
        assert tree_of(m.mp / LOCAL_CAT / "s" / "m") == LOCAL_MANAGED
        assert (m.mp / ".ucfs" / "stats.json").is_file()
    finally:
        log = m.stop()
    assert not [ln for ln in log.splitlines() if "error" in ln], log


def test_status_lists_volumes(mounted):
    _, env = mounted
    st = status(env, CAT)
    assert st["volumes"] is True
    assert st["counts"] == {"mirrored": 1, "skipped": 0, "failing": 0}, st["counts"]
    assert st["volume_counts"] == {"mirrored": 3, "skipped": 0}, st["volume_counts"]
    vols = {v["full_name"]: v for v in st["volume_list"]}
    assert set(vols) == {f"{CAT}.raw.landing", f"{CAT}.raw.files", f"{CAT}.loc.docs"}
    assert vols[f"{CAT}.raw.landing"]["path"] == f"Volumes/{CAT}/raw/landing"
    assert vols[f"{CAT}.raw.files"]["volume_type"] == "MANAGED"
    assert [t["name"] for t in st["tables"]] == ["events"]
    p = run(["status", CAT], env=env, check=True)
    assert f"volumes: 3 mirrored, 0 skipped (MOUNTPOINT/Volumes/{CAT})" in p.stdout, p.stdout
    p = run(["status", CAT, "--tables"], env=env, check=True)
    assert "raw.landing" in p.stdout and "volume mirrored" in p.stdout, p.stdout


# --------------------------------------------------------------------------- sync

def test_volume_added_after_mount_appears_after_sync(lab, mounted):
    m, env = mounted
    api = lab["api"]
    late = lab["base"] / "late"
    write_files(late, {"hello.txt": b"late volume\n"})
    api.create_volume(CAT, "loc", "late", storage_location=file_uri(late))
    loc = m.mp / "Volumes" / CAT / "loc"
    try:
        assert ls(loc) == ["docs"]
        p = run(["sync", CAT], env=env, check=True)
        assert "4 volumes mirrored" in p.stdout, p.stdout
        wait_for(lambda: ls(loc) == ["docs", "late"], "volume 'late' shown")
        assert (loc / "late" / "hello.txt").read_bytes() == b"late volume\n"
    finally:
        api.delete_volume(f"{CAT}.loc.late")
    run(["sync", CAT], env=env, check=True)
    wait_for(lambda: ls(loc) == ["docs"], "dropped volume 'late' gone")


# --------------------------------------------------------------------------- selection

def test_selection_applies_to_volumes(lab, tmp_path):
    env = mount_env(lab, tmp_path / "state.db")
    url = lab["srv"].url
    p = run(["mirror", "create", "sel", "--catalog", CAT, "--host", url, "--volumes",
             "--include", "raw.files", "--include", "loc"], env=env, check=True)
    assert "0 tables mirrored" in p.stdout and "2 volumes mirrored, 1 skipped" in p.stdout, p.stdout
    st = status(env, "sel")
    got = {v["name"]: v["reason"] for v in st["volume_list"]}
    assert got["files"] is None and got["docs"] is None
    assert "not selected" in got["landing"], got
    m = Mount(tmp_path / "mnt", env).start()
    try:
        assert ls(m.mp / "Volumes" / CAT / "raw") == ["files"]
        assert ls(m.mp / "Volumes" / CAT / "loc") == ["docs"]
        p = run(["mirror", "edit", "sel", "--all", "--exclude", "raw.landing"], env=env,
                check=True)
        assert "1 tables mirrored" in p.stdout and "2 volumes mirrored, 1 skipped" in p.stdout
        wait_for(lambda: ls(m.mp / "sel" / "raw") == ["events"],
                 "table raw.events shown once the catalog is Full")
        assert ls(m.mp / "Volumes" / CAT / "raw") == ["files"]
        p = run(["mirror", "edit", "sel", "--no-volumes"], env=env, check=True)
        assert "0 volumes" not in p.stdout and "1 tables mirrored" in p.stdout, p.stdout
        wait_for(lambda: "Volumes" not in ls(m.mp), "Volumes gone with --no-volumes")
        assert status(env, "sel")["volume_list"] == []
        p = run(["mirror", "edit", "sel", "--volumes"], env=env, check=True)
        assert "ucfs sync sel" in p.stdout, p.stdout
        run(["sync", "sel"], env=env, check=True)
        wait_for(lambda: (m.mp / "Volumes" / CAT / "raw").is_dir() and
                 ls(m.mp / "Volumes" / CAT / "raw") == ["files"],
                 "volumes back after --volumes and a sync")
    finally:
        log = m.stop()
    assert not [ln for ln in log.splitlines() if "error" in ln], log


def test_volume_listing_is_bounded(lab, tmp_path):
    """Volume listings are paginated and bounded like the others: page tokens that
    loop (the real server's, A B A) end the listing with an error naming it, and
    nothing is created."""
    api = lab["api"]
    api.create_schema(CAT, "many")
    try:
        for i in range(3):
            api.create_volume(CAT, "many", f"v{i}",
                              storage_location=file_uri(lab["base"] / "many" / f"v{i}"))
        env = mount_env(lab, tmp_path / "state.db")
        with UCProxy(lab["srv"].url) as proxy:
            proxy.alter = LoopingPages("/volumes", catalog_name=CAT, schema_name="many")
            p = run(["mirror", "create", "--catalog", CAT, "--host", proxy.url, "--volumes"],
                    env=env)
    finally:
        for i in range(3):
            api.request("DELETE", f"/volumes/{CAT}.many.v{i}", ok=(200, 404))
        api.delete_schema(CAT, "many")
    assert p.returncode != 0, (proxy.alter.pages, proxy.alter.tokens)
    assert f"the volumes of schema '{CAT}.many'" in p.stderr, p.stderr
    assert 3 <= proxy.alter.pages <= 4, proxy.alter.pages
    assert not (tmp_path / "state.db").exists()


def test_hostile_volume_answers(lab, tmp_path):
    """Volume names and locations are hostile input: a volume listed twice (the
    first listing is kept), names that cannot be directory entries, a location
    outside the allowed roots (/etc) and one with no location are never shown;
    status says why."""
    def edit(vols):
        first = vols[0]
        return vols + [dict(first), dict(first, name="bad\x1bname"), dict(first, name=".."),
                       dict(first, name="etc", storage_location="file:///etc", volume_id="e1"),
                       dict(first, name="nowhere", storage_location=None, volume_id="n1")]

    env = mount_env(lab, tmp_path / "state.db")
    with UCProxy(lab["srv"].url) as proxy:
        proxy.alter = EditListing("/volumes", "volumes", edit, catalog_name=CAT,
                                  schema_name="raw")
        run(["mirror", "create", "--catalog", CAT, "--host", proxy.url, "--volumes"], env=env,
            check=True)
        st = status(env, CAT)
        skipped = [s for s in st["skipped_names"] if s["kind"] == "volume"]
        assert len(skipped) == 3, skipped
        assert any("more than once" in s["reason"] for s in skipped), skipped
        vols = {v["name"]: v for v in st["volume_list"]}
        assert set(vols) == {"files", "landing", "docs", "etc", "nowhere"}
        assert "is outside the local roots" in vols["etc"]["reason"], vols["etc"]
        assert "no storage location" in vols["nowhere"]["reason"], vols["nowhere"]
        assert st["volume_counts"] == {"mirrored": 3, "skipped": 2}
        m = Mount(tmp_path / "mnt", env).start()  # its sync sees the same answers
        try:
            assert ls(m.mp / "Volumes" / CAT / "raw") == ["files", "landing"]
        finally:
            m.stop()


def test_selection_names_must_exist(lab, tmp_path):
    env = mount_env(lab, tmp_path / "state.db")
    p = run(["mirror", "create", "x", "--catalog", CAT, "--host", lab["srv"].url, "--volumes",
             "--include", "raw.nosuch"], env=env)
    assert p.returncode != 0
    assert "schema 'raw' has no table or volume 'nosuch'" in p.stderr, p.stderr
    # without --volumes a volume is not something the item can include
    p = run(["mirror", "create", "x", "--catalog", CAT, "--host", lab["srv"].url,
             "--include", "raw.landing"], env=env)
    assert p.returncode != 0 and "has no table 'landing'" in p.stderr, p.stderr


def test_an_item_named_Volumes_keeps_its_name(lab, tmp_path):
    """An item named Volumes (made before, or by someone else) keeps MOUNT/Volumes;
    the log says why the volumes are not shown; renamed, the volumes appear."""
    env = mount_env(lab, tmp_path / "state.db")
    url = lab["srv"].url
    run(["mirror", "create", "--catalog", CAT, "--host", url, "--volumes"], env=env, check=True)
    run(["mirror", "create", "Volumes", "--catalog", LOCAL_CAT, "--host", url], env=env,
        check=True)
    m = Mount(tmp_path / "mnt", env).start()
    try:
        assert ls(m.mp) == ["Volumes", CAT]
        assert ls(m.mp / "Volumes") == []  # the item: loccat has no tables
        assert (m.mp / "Volumes" / ".ucfs" / "status.json").is_file()
        run(["mirror", "edit", "Volumes", "--rename", "lc"], env=env, check=True)
        wait_for(lambda: ls(m.mp) == ["Volumes", "lc", CAT] and ls(m.mp / "Volumes") == [CAT],
                 "the volumes once the item is renamed")
        assert ls(m.mp / "Volumes" / CAT / "raw") == ["files", "landing"]
    finally:
        log = m.stop()
    assert "MOUNT/Volumes is the mirrored item or lakehouse named 'Volumes'" in log, log


# --------------------------------------------------------------------------- denied

def test_denied_or_hostile_vending_volume_listed_but_unreadable(lab, tmp_path):
    """raw.landing: Unity Catalog denies its credentials (403); raw.files: it answers
    200 with AWS credentials without keys. Both stay listed; reads fail (EACCES for the
    denial, remembered: no request storm), the log names the volume; loc.docs reads."""
    api = lab["api"]
    landing = api.request("GET", f"/volumes/{CAT}.raw.landing")
    files = api.request("GET", f"/volumes/{CAT}.raw.files")
    with UCProxy(lab["srv"].url) as proxy:
        proxy.register(landing["volume_id"],
                       lambda: denied(f"User does not have READ VOLUME on {CAT}.raw.landing"))
        proxy.register(files["volume_id"],
                       lambda: (200, {"aws_temp_credentials": {"access_key_id": None,
                                                               "secret_access_key": 7},
                                      "expiration_time": int(time.time() * 1000) + 3600000}))
        env = mount_env(lab, tmp_path / "state.db")
        run(["mirror", "create", "--catalog", CAT, "--host", proxy.url, "--volumes"], env=env,
            check=True)
        m = Mount(tmp_path / "mnt", env).start()
        try:
            raw = m.mp / "Volumes" / CAT / "raw"
            assert ls(raw) == ["files", "landing"]
            for _ in range(3):
                with pytest.raises(OSError) as e:
                    os.listdir(raw / "landing")
                assert e.value.errno == errno.EACCES, e.value
            with pytest.raises(OSError) as e:
                (raw / "landing" / "data.csv").read_bytes()
            assert e.value.errno == errno.EACCES, e.value
            n = proxy.vends[landing["volume_id"]]
            assert 1 <= n <= 2, f"denial not remembered: {n} vending requests"
            with pytest.raises(OSError) as e:
                os.listdir(raw / "files")
            assert e.value.errno == errno.EIO, e.value
            docs = m.mp / "Volumes" / CAT / "loc" / "docs"
            assert tree_of(docs) == LOCAL_EXT
        finally:
            log = m.stop()
    assert f"storage credentials of volume {CAT}.raw.landing" in log, log
    assert "READ VOLUME" in log, log
    assert (f"storage credentials of volume {CAT}.raw.files: credential vending: "
            "aws_temp_credentials without keys") in log, log
