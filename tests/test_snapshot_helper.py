"""scripts/ucfs-snapshot, the helper `ucfs prefetch` runs: the exact files one
snapshot of a Delta table needs (the log from the latest complete checkpoint,
the data files of the version, their deletion vectors), with sizes, for tables
written by the real writers (deltalake; Spark for deletion vectors, multi-part
and v2 checkpoints). The helper works on any table directory, so no mount is
needed here; tests/test_prefetch.py runs it through a mount."""
from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable, write_deltalake

from mountutil import ROOT, UCFS

HELPER = ROOT / "scripts" / "ucfs-snapshot"
# The Delta protocol's example (PROTOCOL.md, Deletion Vector Descriptor): prefix
# "ab", then the z85 text of UUID d2c639aa-8816-431a-aaf6-d3fe2512ff61.
PROTOCOL_DV = "ab^-aqEH.-t@S}K{vb[*k^"
PROTOCOL_DV_FILE = "ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin"


def helper(table: Path, *args: str, python: list[str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*(python or [sys.executable]), str(HELPER), str(table), *args],
                          capture_output=True, text=True, timeout=120)


def snapshot(table: Path, *args: str) -> dict:
    p = helper(table, *args)
    assert p.returncode == 0, p.stderr
    assert p.stderr == "", p.stderr
    return json.loads(p.stdout)


def failure(table: Path, *args: str) -> str:
    """The helper's one-line error (exit status 1)."""
    p = helper(table, *args)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("ucfs-snapshot: error: "), p.stderr
    return lines[0]


def by_kind(snap: dict) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in snap["files"]:
        out.setdefault(f["kind"], set()).add(f["path"])
    return out


def check_sizes(table: Path, snap: dict) -> None:
    paths = [f["path"] for f in snap["files"]]
    assert len(paths) == len(set(paths)), "duplicates"
    for f in snap["files"]:
        assert f["size"] == (table / f["path"]).stat().st_size, f
    assert snap["bytes"] == sum(f["size"] for f in snap["files"])


def log(v: int) -> str:
    return f"_delta_log/{v:020d}.json"


def live_files(table: Path, upto: int) -> set[str]:
    """The data files of version UPTO, replayed from the JSON commits (the
    test's own reading of the log, independent of deltalake and the helper)."""
    from urllib.parse import unquote
    live: set[str] = set()
    for v in range(upto + 1):
        for line in (table / log(v)).read_text().splitlines():
            a = json.loads(line)
            if "add" in a:
                live.add(unquote(a["add"]["path"]))
            elif "remove" in a:
                live.discard(unquote(a["remove"]["path"]))
    return live


def data_on_disk(table: Path) -> set[str]:
    return {str(p.relative_to(table)) for p in table.rglob("*.parquet")
            if "_delta_log" not in p.parts}


@pytest.fixture
def three(tmp_path) -> Path:
    """v0: two partitions (one value with a space: a URL-encoded path), v1: an
    append, v2: an overwrite of everything."""
    t = tmp_path / "t"
    write_deltalake(str(t), pa.table({"x": [1, 2], "p": ["a", "c d"]}), partition_by=["p"])
    write_deltalake(str(t), pa.table({"x": [3], "p": ["a"]}), mode="append", partition_by=["p"])
    write_deltalake(str(t), pa.table({"x": [4, 5], "p": ["b", "b"]}), mode="overwrite",
                    partition_by=["p"])
    return t


def test_versions_list_exactly_their_files(three):
    t = three
    all_data = data_on_disk(t)
    assert len(all_data) == 4 and "p=c%20d" in {p.split("/")[0] for p in all_data}
    for v in (0, 1, 2):
        s = snapshot(t, "--version", str(v))
        assert s["version"] == v
        assert by_kind(s) == {"commit": {log(i) for i in range(v + 1)},
                              "data": live_files(t, v)}
        check_sizes(t, s)
    assert live_files(t, 0) < live_files(t, 1) and live_files(t, 2).isdisjoint(live_files(t, 1))
    # the latest is version 2; the log lists first, in version order
    s = snapshot(t)
    assert s["version"] == 2 and by_kind(s)["data"] == live_files(t, 2)
    assert [f["path"] for f in s["files"][:3]] == [log(0), log(1), log(2)]
    # the decoded partition path is the directory's real name
    assert any(p.startswith("p=c%20d/") for p in by_kind(snapshot(t, "--version", "0"))["data"])


def test_checkpoint_replaces_the_commits_before_it(three):
    t = three
    DeltaTable(str(t)).create_checkpoint()
    write_deltalake(str(t), pa.table({"x": [6], "p": ["e"]}), mode="append", partition_by=["p"])
    cp = "_delta_log/00000000000000000002.checkpoint.parquet"
    assert (t / cp).is_file() and (t / "_delta_log/_last_checkpoint").is_file()
    s = snapshot(t)
    assert s["version"] == 3
    assert by_kind(s) == {"checkpoint": {cp}, "commit": {log(3)}, "data": live_files(t, 3)}
    check_sizes(t, s)
    # a checkpoint at the version itself: that version's commit comes too
    # (Spark looks for the commit of the version it loads)
    assert by_kind(snapshot(t, "--version", "2")) == {"checkpoint": {cp}, "commit": {log(2)},
                                                      "data": live_files(t, 2)}
    # a checkpoint after the version asked for is not used
    assert by_kind(snapshot(t, "--version", "1")) == {"commit": {log(0), log(1)},
                                                      "data": live_files(t, 1)}
    # .crc files and _last_checkpoint are never listed
    (t / "_delta_log/00000000000000000003.crc").write_text("{}")
    assert not any(p.endswith((".crc", "_last_checkpoint")) for p in
                   (f["path"] for f in snapshot(t)["files"]))
    # the log cleaned up before the checkpoint: the latest still needs only it
    (t / log(0)).unlink()
    (t / log(1)).unlink()
    assert by_kind(snapshot(t))["commit"] == {log(3)}
    err = failure(t, "--version", "1")
    assert "version 1" in err, err


def test_incomplete_multipart_checkpoint_falls_back(three):
    """Parts 1 of 2 only: not a checkpoint; the commits are listed instead."""
    t = three
    DeltaTable(str(t)).create_checkpoint()
    cp = t / "_delta_log/00000000000000000002.checkpoint.parquet"
    shutil.copy(cp, t / "_delta_log/00000000000000000002.checkpoint.0000000001.0000000002.parquet")
    cp.unlink()
    (t / "_delta_log/_last_checkpoint").unlink()  # as the mount shows a snapshot offline
    s = snapshot(t)
    assert by_kind(s) == {"commit": {log(0), log(1), log(2)}, "data": live_files(t, 2)}


def test_timestamp_picks_the_version_current_then(three):
    t = three
    for v, year in enumerate((2020, 2021, 2022)):
        when = dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc).timestamp()
        os.utime(t / log(v), (when, when))
    assert snapshot(t, "--timestamp", "2020-06-01T00:00:00Z")["version"] == 0
    assert snapshot(t, "--timestamp", "2021-06-01T12:00:00+00:00")["version"] == 1
    assert snapshot(t, "--timestamp", "2021-06-01")["version"] == 1  # no zone: UTC
    s = snapshot(t, "--timestamp=2023-01-01T00:00:00Z")
    assert s["version"] == 2 and by_kind(s)["data"] == live_files(t, 2)
    assert "before version 0" in failure(t, "--timestamp", "2019-01-01T00:00:00Z")
    assert "ISO 8601" in failure(t, "--timestamp", "yesterday")
    assert "not both" in failure(t, "--version", "1", "--timestamp", "2021-06-01")
    assert "no version 9: its latest is 2" in failure(t, "--version", "9")
    assert "--version" in failure(t, "--version", "-1")


def append_commit(t: Path, v: int, actions: list[dict]) -> None:
    with open(t / log(v), "w") as f:
        for a in actions:
            f.write(json.dumps(a) + "\n")


def dv_table(t: Path, dvs: list[dict]) -> list[str]:
    """A deltalake table of len(DVS) files; then a commit (as a DV writer
    makes it) that upgrades the protocol and re-adds file i with DVS[i]."""
    write_deltalake(str(t), pa.table({"x": list(range(len(dvs))), "p": [str(i) for i in
                    range(len(dvs))]}), partition_by=["p"])
    actions = [json.loads(line) for line in (t / log(0)).read_text().splitlines()]
    adds = [a["add"] for a in actions if "add" in a]
    adds.sort(key=lambda a: a["path"])
    acts: list[dict] = [{"commitInfo": {"timestamp": int(time.time() * 1000),
                                        "operation": "DELETE"}},
                        {"protocol": {"minReaderVersion": 3, "minWriterVersion": 7,
                                      "readerFeatures": ["deletionVectors"],
                                      "writerFeatures": ["deletionVectors"]}}]
    for a, dv in zip(adds, dvs):
        acts.append({"remove": {"path": a["path"], "dataChange": True,
                                "deletionTimestamp": int(time.time() * 1000)}})
        acts.append({"add": dict(a, deletionVector=dv)})
    append_commit(t, 1, acts)
    return [a["path"] for a in adds]


def test_deletion_vectors_z85_uuid_path_and_inline(tmp_path):
    t = tmp_path / "t"
    inside = (tmp_path / "t" / "dvs" / "abs.bin")
    dv_table(t, [
        {"storageType": "u", "pathOrInlineDv": PROTOCOL_DV, "offset": 1, "sizeInBytes": 34,
         "cardinality": 1},
        {"storageType": "u", "pathOrInlineDv": PROTOCOL_DV[2:], "offset": 1,
         "sizeInBytes": 34, "cardinality": 1},
        {"storageType": "i", "pathOrInlineDv": "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L",
         "sizeInBytes": 40, "cardinality": 6},
        {"storageType": "p", "pathOrInlineDv": f"file://{t.resolve()}/dvs/abs.bin", "offset": 1,
         "sizeInBytes": 34, "cardinality": 1},
    ])
    no_prefix = PROTOCOL_DV_FILE.split("/")[1]
    err = failure(t)
    assert f"'{PROTOCOL_DV_FILE}'" in err and "cannot be found" in err, err
    for rel in (PROTOCOL_DV_FILE, no_prefix):
        (t / rel).parent.mkdir(exist_ok=True)
        (t / rel).write_bytes(b"\x01" * 43)
    inside.parent.mkdir()
    inside.write_bytes(b"\x02" * 50)
    s = snapshot(t)
    assert by_kind(s) == {"commit": {log(0), log(1)}, "data": live_files(t, 1),
                          "dv": {PROTOCOL_DV_FILE, no_prefix, "dvs/abs.bin"}}
    check_sizes(t, s)
    assert by_kind(snapshot(t, "--version", "0")) == {"commit": {log(0)},
                                                      "data": live_files(t, 0)}


@pytest.mark.parametrize("path, why", [
    ("../outside.parquet", "leaves the table"),
    ("a/../../x.parquet", "leaves the table"),
    ("s3://elsewhere/t/x.parquet", "outside the table"),
    ("file:///etc/passwd", "outside the table"),
    ("/etc/passwd", "outside the table"),
])
def test_hostile_add_paths_are_refused(tmp_path, path, why):
    t = tmp_path / "t"
    write_deltalake(str(t), pa.table({"x": [1]}))
    append_commit(t, 1, [{"commitInfo": {"timestamp": int(time.time() * 1000)}},
                         {"add": {"path": path, "partitionValues": {}, "size": 1,
                                  "modificationTime": 1, "dataChange": True}}])
    err = failure(t)
    assert why in err and path.split("/")[-1] in err, err


def test_hostile_dv_refused(tmp_path):
    t = tmp_path / "t"
    dv_table(t, [{"storageType": "p", "pathOrInlineDv": "file:///etc/shadow", "offset": 1,
                  "sizeInBytes": 34, "cardinality": 1}])
    assert "outside the table" in failure(t)
    t2 = tmp_path / "t2"
    dv_table(t2, [{"storageType": "u", "pathOrInlineDv": "..//" + PROTOCOL_DV[2:],
                   "offset": 1, "sizeInBytes": 34, "cardinality": 1}])
    assert "leaves the table" in failure(t2)
    t3 = tmp_path / "t3"
    dv_table(t3, [{"storageType": "u", "pathOrInlineDv": "ab~~~~~~~~~~~~~~~~~~~~", "offset": 1,
                   "sizeInBytes": 34, "cardinality": 1}])
    assert "z85" in failure(t3)


def test_errors(tmp_path, three):
    assert "not a Delta table" in failure(tmp_path)
    (three / live_files(three, 2).pop()).unlink()
    assert "cannot be found" in failure(three)
    # without deltalake (site-packages off): its own exit status, naming UCFS_PYTHON
    p = helper(three, python=[sys.executable, "-S", "-I"])
    assert p.returncode == 3 and "UCFS_PYTHON" in p.stderr and "deltalake" in p.stderr, p.stderr


def test_helper_is_beside_the_built_binary():
    """meson copies it next to ucfs (how build/ucfs finds it)."""
    copy = UCFS.parent / "ucfs-snapshot"
    assert copy.read_bytes() == HELPER.read_bytes()
    assert os.access(copy, os.X_OK) and os.access(HELPER, os.X_OK)


def spark_files(t: Path) -> dict[str, set[str]]:
    """What the snapshot of the latest version must be, from a listing."""
    names = sorted(n for n in os.listdir(t / "_delta_log") if not n.startswith("."))
    cps = [n for n in names if ".checkpoint." in n]
    cpv = max(int(n[:20]) for n in cps)
    latest = max(int(n[:20]) for n in names if re.fullmatch(r"\d{20}\.json", n))
    checkpoint = {f"_delta_log/{n}" for n in cps if int(n[:20]) == cpv}
    sidecars = t / "_delta_log" / "_sidecars"
    if sidecars.is_dir():
        checkpoint |= {f"_delta_log/_sidecars/{n}" for n in os.listdir(sidecars)
                       if not n.startswith(".")}
    return {"checkpoint": checkpoint, "commit": {log(v) for v in range(cpv + 1, latest + 1)},
            "data": data_on_disk(t),
            "dv": {str(p.relative_to(t)) for p in t.rglob("deletion_vector_*.bin")}}


@pytest.mark.parametrize("kind", ["multipart", "v2"])
def test_spark_deletion_vectors_and_checkpoints(spark, tmp_path, kind):
    """Spark writes the deletion vectors (each file deleted from once, so
    every DV file on disk is live), a checkpoint at version 3 (multi-part in 3
    parts; or v2 with a sidecar), and commits 4-5 after it."""
    t = (tmp_path / "t").resolve()
    props = "'delta.enableDeletionVectors'='true', 'delta.checkpointInterval'='3'"
    if kind == "v2":
        props += ", 'delta.checkpointPolicy'='v2'"
    else:
        spark.conf.set("spark.databricks.delta.checkpoint.partSize", "2")
    try:
        spark.sql(f"CREATE TABLE delta.`{t}` (id INT, p STRING) USING delta "
                  f"PARTITIONED BY (p) TBLPROPERTIES ({props})")
        for i in range(3):
            spark.sql(f"INSERT INTO delta.`{t}` SELECT id, CAST(id % 3 AS STRING) "
                      f"FROM range({i * 10}, {i * 10 + 10})")
        spark.sql(f"DELETE FROM delta.`{t}` WHERE id = 4")   # v4: a DV, the log after it
        spark.sql(f"DELETE FROM delta.`{t}` WHERE id = 15")  # v5: another file's DV
    finally:
        spark.conf.unset("spark.databricks.delta.checkpoint.partSize")
    want = spark_files(t)
    names = {p.rsplit("/", 1)[-1] for p in want["checkpoint"]}
    if kind == "multipart":
        assert len(names) > 1 and all(re.search(r"\.\d{10}\.\d{10}\.parquet$", n) for n in names)
    else:
        assert any(re.search(r"\.checkpoint\.[0-9a-f-]{36}\.(json|parquet)$", n) for n in names)
        assert any("/_sidecars/" in p for p in want["checkpoint"]), want
    assert want["commit"] == {log(4), log(5)} and len(want["dv"]) == 2, want
    s = snapshot(t)
    assert s["version"] == 5
    assert by_kind(s) == want
    check_sizes(t, s)
    # version 3: the checkpoint and version 3's own commit, no deletion vectors yet
    s3 = by_kind(snapshot(t, "--version", "3"))
    assert s3 == {"checkpoint": want["checkpoint"], "commit": {log(3)}, "data": want["data"]}
    if kind == "v2":
        return
    # a DV recorded in the checkpoint (not in a commit after it) is found too
    DeltaTable(str(t)).create_checkpoint()
    s = snapshot(t)
    assert by_kind(s)["dv"] == want["dv"]
    assert by_kind(s)["checkpoint"] and by_kind(s)["commit"] == {log(5)}
