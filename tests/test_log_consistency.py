"""A consistent _delta_log (issue 8, item 11): while a writer (deltalake, in its
own process) appends commits and checkpoints every few, deltalake, polars and
DuckDB read the table through the mount in a loop, each in its own process.
No read may fail: a reader never sees _last_checkpoint name a checkpoint the
_delta_log listing it gets lacks. New commits still show within log_ttl."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from deltalake import write_deltalake

from mountutil import Mount
from synctools import Catalog, Ucfs
from tables import read_delta_arrow

HERE = Path(__file__).resolve().parent
CHURN = HERE / "fixtures" / "logchurn.py"
COMMITS, EVERY, PAUSE = 80, 4, 0.4  # ~40 s of writing: 200+ reads even on a loaded machine
LOG_TTL = 2.0  # the default: a cached listing may be this old
READERS = ("deltalake", "polars", "duckdb")


def churn(*args) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(CHURN), *map(str, args)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)


def run_churn(table: Path, log: Path, stop: Path, report) -> dict:
    """Readers on `table` (a mounted path) while the writer appends to `log`'s
    table; returns {"readers": {kind: result}, "commits": {v: t},
    "seen": {v: t}} where seen is when the mount first listed commit v."""
    sys.path.insert(0, str(CHURN.parent))
    import logchurn
    readers = {k: churn("read", k, table, stop) for k in READERS}
    time.sleep(1.0)  # the readers are importing and reading version 0
    writer = churn("write", log, COMMITS, EVERY, PAUSE)
    commits, seen = {}, {}

    def follow_writer():
        for line in writer.stdout:
            d = json.loads(line)
            commits[d["version"]] = d["time"]

    def follow_mount():
        while writer.poll() is None or len(seen) < COMMITS:
            try:
                names = os.listdir(table / "_delta_log")
            except OSError:
                names = []
            now = time.time()
            for n in names:
                if n.endswith(".json") and n[:20].isdigit():
                    seen.setdefault(int(n[:20]), now)
            if writer.poll() is not None and time.time() > max(commits.values(), default=0) + 10:
                break
            time.sleep(0.05)

    threads = [threading.Thread(target=follow_writer), threading.Thread(target=follow_mount)]
    for t in threads:
        t.start()
    err = writer.stderr.read()
    assert writer.wait(timeout=600) == 0, err[-3000:]
    for t in threads:
        t.join(timeout=120)
    time.sleep(LOG_TTL + 1)  # the last version is then visible to everyone
    stop.write_text("stop")
    results = {}
    for k, p in readers.items():
        out, perr = p.communicate(timeout=300)
        assert p.returncode == 0, perr[-3000:]
        results[k] = json.loads(out.strip().splitlines()[-1])
        if results[k]["failures"]:
            report(f"{k} stderr:\n{perr[-3000:]}")
    assert logchurn.ROWS == 10
    return {"readers": results, "commits": commits, "seen": seen}


def test_readers_never_fail_while_a_writer_checkpoints(uc_api, uc_server, tmp_path):
    src = tmp_path / "data" / "churn"
    sys.path.insert(0, str(CHURN.parent))
    import logchurn
    write_deltalake(str(src), logchurn.batch(0))
    u = Ucfs(tmp_path / "state.db")
    with Catalog(uc_api, tmp_path / "cat") as cat:
        cat.schema("s")
        uc_api.register_arrow_table(cat.name, "s", "churn", src, logchurn.batch(0).schema)
        u("mirror", "create", "it", "--catalog", cat.name, "--host", uc_server.url)
        notes = []
        with Mount(tmp_path / "mnt", u.env,
                   options=f"sync_interval=3600,state_poll=1,log_ttl={LOG_TTL}") as m:
            table = m.mp / "it" / "s" / "churn"
            r = run_churn(table, src, tmp_path / "stop", notes.append)
            final = read_delta_arrow(table)
        reads = {k: v["reads"] for k, v in r["readers"].items()}
        failed = {k: len(v["failures"]) for k, v in r["readers"].items()}
        lags = [r["seen"][v] - t for v, t in r["commits"].items() if v in r["seen"]]
        summary = (f"reads {reads} (total {sum(reads.values())}), failed {failed}, "
                   f"commits {len(r['commits'])}, checkpoints {COMMITS // EVERY}, "
                   f"visible after max {max(lags):.2f}s / mean {sum(lags) / len(lags):.2f}s")
        print(summary)
        (tmp_path / "summary.txt").write_text(summary)
        for k, v in r["readers"].items():
            assert not v["failures"], f"{k}: {v['failures'][:3]}\n{summary}\n{notes}"
            # every read is some whole version: 10 rows per commit, 0..COMMITS
            assert all(n % 10 == 0 and 10 <= n <= 10 * (COMMITS + 1) for n in v["rows"]), k
            assert v["rows"][-1] == 10 * (COMMITS + 1), k  # and the latest at the end
        assert sum(reads.values()) >= 200, summary
        assert len(r["commits"]) == COMMITS and set(r["seen"]) >= set(range(1, COMMITS + 1))
        assert max(lags) <= LOG_TTL + 1.0, summary  # + polling and a loaded machine
        assert final.num_rows == 10 * (COMMITS + 1)
        # reads happened while the writer ran, not only after it
        assert sum(len(v["rows"]) for v in r["readers"].values()) > 0
