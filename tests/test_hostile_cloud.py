"""Issue 8 against the cloud backends (moto, Azurite, the GCS emulator behind
counting proxies; fixtures/cloudlab.py): hostile storage listings and vending
answers, through real mounts.

- item 2: a listing whose continuation tokens loop A, B, A (or never end,
  or come slowly) makes `ls` fail with EIO quickly, after a bounded number
  of requests, with a log line naming the bucket/container and prefix;
- item 8 (storage side): names with NUL, '/' or over 255 bytes in a real
  listing are left out of the directory and logged once;
- item 7: vending answers whose expiration_time is already past (or a second
  away) are used, and asked for again with a backoff - not once per file
  operation (before: 41-55 vending requests for 40 operations);
- item 5: an Azure listing whose Last-Modified is cut short ("Tue, ", the
  input that over-read the RFC 1123 parser) or nonsense;
- item 6: numbers no int64 holds (1e300, -1e300, 10**30) as the tables'
  timestamps and the vending answer's expiration_time.
The daemons run under AddressSanitizer/UBSan in the suite: a report in their
stderr fails the test (mountutil.check_stderr).
"""
from __future__ import annotations

import errno
import os
import re
import secrets
import time
from pathlib import Path

import pytest

from cloudlab import SCHEMA, CloudLab
from mountutil import Mount
from storageproxy import EditPages, EndlessListing, ExtraEntries
from ucproxy import aws_session, azure_sas, gcp_token, now_ms

BACKENDS = ["s3", "azure", "gcs"]
PREFIX = "tables/orders/"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with CloudLab(tmp_path_factory.mktemp("hostile_cloud")) as lab:
        yield lab


def mount(lab: CloudLab, tmp: Path, extra: str = "", **env) -> Mount:
    """A mount to use with `with` (which starts and stops it)."""
    mp = tmp / f"mnt{len(list(tmp.glob('mnt*')))}"
    e = lab.env()
    e.update({k: str(v) for k, v in env.items()})
    return Mount(mp, e, options=lab.options(tmp / "cache", extra), logdir=tmp)


def orders(m: Mount, lab: CloudLab, backend: str) -> Path:
    return m.mp / lab.backends[backend].catalog / SCHEMA / "orders"


def listing_fails_with_eio(path: Path) -> float:
    t0 = time.monotonic()
    with pytest.raises(OSError) as e:
        os.listdir(path)
    assert e.value.errno == errno.EIO, e.value
    return time.monotonic() - t0


WHERE = {"s3": "s3: s3://ucfs-cloud/tables/orders/", "azure": "azure devstoreaccount1/lake/tables/orders/",
         "gcs": "gcs lake/tables/orders/"}


# ----------------------------------------------------------------------------- item 2

@pytest.mark.parametrize("backend", BACKENDS)
def test_looping_continuation_tokens_fail_ls_with_eio(lab, backend, tmp_path):
    b = lab.backends[backend]
    loop = b.proxy.alter = EndlessListing(backend, PREFIX)
    try:
        with mount(lab, tmp_path) as m:
            took = listing_fails_with_eio(orders(m, lab, backend))
            print(f"[measure] {backend}: ls -> EIO in {took:.3f}s after {loop.pages} pages")
            assert loop.pages == 3, loop.pages  # A, B, then A again: stop
            assert took < 10
            took = listing_fails_with_eio(orders(m, lab, backend))  # not cached as good
            assert loop.pages == 6 and took < 10
            log = m.stderr()
    finally:
        b.proxy.alter = None
    want = f"{WHERE[backend]}: listing aborted: page 3 sent a continuation token this listing already followed"
    assert want in log, log


def endless_ls(lab, tmp_path, backend: str, endless: EndlessListing, **env) -> tuple[float, str]:
    """ls of orders while ENDLESS answers its listing: (seconds to EIO, mount log)."""
    b = lab.backends[backend]
    b.proxy.alter = endless
    try:
        with mount(lab, tmp_path, **env) as m:
            took = listing_fails_with_eio(orders(m, lab, backend))
            return took, m.stderr()
    finally:
        b.proxy.alter = None


def test_listing_page_cap(lab, tmp_path):
    endless = EndlessListing("gcs", PREFIX, tokens="fresh")
    took, log = endless_ls(lab, tmp_path, "gcs", endless, UCFS_LIST_MAX_PAGES=25)
    assert endless.pages == 25 and took < 20
    assert f"{WHERE['gcs']}: listing aborted: it has not ended after 25 pages" in log, log


def test_listing_time_budget(lab, tmp_path):
    slow = EndlessListing("s3", PREFIX, tokens="fresh", delay=0.3)
    took, log = endless_ls(lab, tmp_path, "s3", slow, UCFS_LIST_TIME_LIMIT=1.5)
    assert 1.5 <= took < 6, took
    assert 5 <= slow.pages <= 8, slow.pages
    assert re.search(re.escape(WHERE["s3"]) + r": listing aborted: it has not ended after "
                     r"(1\.[5-9]|[2-5]\.\d) s \(\d+ pages\)", log), log


# ----------------------------------------------------------------------------- item 8

@pytest.mark.parametrize("backend", ["s3", "gcs"])
def test_storage_names_that_cannot_be_files_are_left_out_and_logged_once(lab, backend,
                                                                         tmp_path):
    b = lab.backends[backend]
    bad = ["evil\x00.parquet", "L" * 300, "a/b.parquet"]
    b.proxy.alter = ExtraEntries(backend, PREFIX, bad)
    try:
        with mount(lab, tmp_path, extra="dir_ttl=0") as m:
            want = sorted(["_delta_log"] + [p.name for p in lab.local["orders"].glob("*.parquet")])
            for _ in range(3):  # listed again each time (dir_ttl=0)
                assert sorted(os.listdir(orders(m, lab, backend))) == want
            assert not (orders(m, lab, backend) / "evil").exists()  # never truncated
            log = m.stderr()
    finally:
        b.proxy.alter = None
    for shown, why in (("evil\\u0000.parquet", "contains a NUL character"),
                       ("L" * 300, "is longer than 255 bytes"),
                       ("a/b.parquet", "contains '/'")):
        lines = [ln for ln in log.splitlines() if f"'{shown}' in '' is left out" in ln]
        assert len(lines) == 1, (shown, log)
        assert why in lines[0]


# ----------------------------------------------------------------------------- item 7

def vend_answer(lab: CloudLab, backend: str, expires_ms: int):
    """Credentials the storage accepts for an hour, whatever expiration_time says."""
    if backend == "azure":
        import datetime as dt
        sas = lab.azurite.container_sas(
            "lake", start=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5),
            expiry=dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1))
        return lambda: azure_sas(sas, expires_ms)
    if backend == "gcs":
        tok = "ya29.ucfs-test-" + secrets.token_urlsafe(12)
        with lab.lock:
            lab.gcs_tokens[tok] = time.time() + 3600
        return lambda: gcp_token(tok, expires_ms)
    c = lab.moto.creds
    return lambda: aws_session(c.session_key, c.session_secret, c.session_token, expires_ms)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("expiry", ["expired", "nearly"])
def test_expired_credentials_are_not_fetched_per_operation(lab, backend, expiry, tmp_path):
    b = lab.backends[backend]
    tid = b.table_id("replaced")  # same files as orders; its vending is ours here
    exp = now_ms() - 10 * 60 * 1000 if expiry == "expired" else now_ms() + 1000
    lab.ucproxy.register(tid, vend_answer(lab, backend, exp))
    try:
        with mount(lab, tmp_path, extra="log_ttl=0") as m:
            d = m.mp / b.catalog / SCHEMA / "replaced" / "_delta_log"
            v0 = lab.ucproxy.vends[tid]
            lists0 = sum(1 for r in b.proxy.records if "_delta_log" in r.path)
            t0 = time.monotonic()
            for _ in range(40):  # 40 operations that each reach the storage
                assert "00000000000000000000.json" in os.listdir(d)
            took = time.monotonic() - t0
            vends = lab.ucproxy.vends[tid] - v0
            lists = sum(1 for r in b.proxy.records if "_delta_log" in r.path) - lists0
            log = m.stderr()
    finally:
        lab._register_vending(b)
    print(f"[measure] {backend}/{expiry}: {vends} vending requests for 40 listings "
          f"({lists} storage requests) in {took:.2f}s")
    assert lists >= 40, lists
    # one vend, then one per backoff (2 s, 4 s, ...) at most
    allowed = 1 + sum(1 for k in range(1, 8) if sum(2 ** i for i in range(1, k + 1)) <= took)
    assert 1 <= vends <= allowed, f"{vends} vending requests for 40 operations in {took:.1f}s"
    assert "storage credentials of table" in log and "asking again in 2 s" in log, log
    assert log.count("by this machine's clock") == 1, log


# ----------------------------------------------------------------------------- items 5, 6

@pytest.mark.parametrize("stamp", ["Tue, ", "Tue, 32 Foo 2024 25:61:61 GMT", "", "x" * 600,
                                   "Tue, \u202e\t"])
def test_azure_listing_with_broken_times_fails_cleanly(lab, tmp_path, stamp):
    """A listing page with a time that is not one is a malformed answer: that
    listing fails (EIO, one log line naming the object, the text bounded),
    nothing is read past the string, and the next good answer is served."""
    b = lab.backends["azure"]
    edit = b.proxy.alter = EditPages(
        "azure", PREFIX,
        lambda t: re.sub(r"<Last-Modified>[^<]*</Last-Modified>",
                         f"<Last-Modified>{stamp}</Last-Modified>", t))
    try:
        with mount(lab, tmp_path, extra="dir_ttl=0") as m:
            d = orders(m, lab, "azure")
            listing_fails_with_eio(d)
            b.proxy.alter = None
            want = sorted(["_delta_log"] + [p.name for p in lab.local["orders"].glob("*.parquet")])
            assert sorted(os.listdir(d)) == want
            name = want[1]
            assert (d / name).read_bytes() == (lab.local["orders"] / name).read_bytes()
            log = m.stderr()
    finally:
        b.proxy.alter = None
    assert edit.pages >= 1
    lines = [ln for ln in log.splitlines() if "bad modification time" in ln]
    assert lines and "azure devstoreaccount1/lake: unexpected listing answer for 'tables/orders'" \
        in lines[0], log
    assert all(len(ln) < 600 for ln in lines), lines  # the server's text is cut short
    assert "\u202e" not in log and "\t" not in log  # and escaped


@pytest.mark.parametrize("backend", BACKENDS)
def test_numbers_no_int64_holds_are_clamped(lab, backend, tmp_path):
    b = lab.backends[backend]
    tid = b.table_id("replaced")
    lab.ucproxy.register(tid, vend_answer(lab, backend, 1e300))
    lab.ucproxy.rewrite_tables(lambda t: {**t, "created_at": 10 ** 30, "updated_at": -1e300})
    try:
        with mount(lab, tmp_path, extra="log_ttl=0") as m:
            d = m.mp / b.catalog / SCHEMA / "replaced"
            v0 = lab.ucproxy.vends[tid]
            for _ in range(10):
                assert "00000000000000000000.json" in os.listdir(d / "_delta_log")
            vends = lab.ucproxy.vends[tid] - v0
            st = d.stat()
            assert 0 <= st.st_mtime <= 2 ** 63 / 1e9, st.st_mtime
            got = sorted((d / n).read_bytes() for n in os.listdir(d) if n.endswith(".parquet"))
            assert got == sorted(p.read_bytes() for p in lab.local["orders"].glob("*.parquet"))
    finally:
        lab.ucproxy.rewrite_tables(None)
        lab._register_vending(b)
    # a far-future expiry is one credential for the whole run, not one per operation
    assert vends <= 1, vends
