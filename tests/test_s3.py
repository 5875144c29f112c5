"""The S3 backend against a real S3 implementation (moto's server) with signature
checking on: Delta tables written by deltalake, other keys by boto3, read with
`ucfs storage ls|stat|cat` and compared with boto3's view of the same bucket
(names, sizes, mtimes, ETags, bytes, ranges, >1000 entries in one directory);
bad credentials fail cleanly without leaking them; and the Unity Catalog OSS
server vends static S3 session credentials for an s3:// table that ucfs reads."""
from __future__ import annotations

import hashlib
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pytest
from deltalake import write_deltalake

from motoserver import REGION, MotoServer
import mountutil
from mountutil import env_for, run
from tables import PART_SCHEMA, SPECIAL_PARTITION_VALUES
from ucapi import UCClient, columns_from_arrow
from ucserver import S3Vending, UCServer

BUCKET = "ucfs-s3-test"
OTHER_BUCKET = "ucfs-s3-eu"  # in another region: found by discovery
MANY = 1005  # > 1000, moto's (and S3's) page size: the listing needs two pages
ODD_KEYS = ["odd/a b/100%/ü ñ.txt", "odd/plus+sign&amp=1.bin", "odd/tab\tname", "odd/x#y?z"]
SIMPLE_SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    srv = MotoServer(tmp_path_factory.mktemp("moto"))
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def s3(moto):
    """The moto bucket with its content written; auth on from here."""
    admin = moto.admin_client("s3")
    admin.create_bucket(Bucket=BUCKET)
    admin.create_bucket(Bucket=OTHER_BUCKET,
                        CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    creds = moto.enable_auth()
    cli = moto.client("s3", creds.user_key, creds.user_secret)
    opts = {"AWS_ENDPOINT_URL": moto.url, "AWS_ALLOW_HTTP": "true", "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": creds.user_key, "AWS_SECRET_ACCESS_KEY": creds.user_secret,
            "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}
    simple = pa.table({"id": pa.array(range(50), pa.int64()),
                       "name": [f"n{i}" for i in range(50)]}, schema=SIMPLE_SCHEMA)
    write_deltalake(f"s3://{BUCKET}/tables/simple", simple, storage_options=opts)
    write_deltalake(f"s3://{BUCKET}/tables/simple", simple.slice(0, 5), mode="append",
                    storage_options=opts)
    vals = SPECIAL_PARTITION_VALUES
    parts = pa.table({"id": pa.array(range(2 * len(vals)), pa.int64()),
                      "part": [vals[i % len(vals)] for i in range(2 * len(vals))],
                      "v": [f"row{i}" for i in range(2 * len(vals))]}, schema=PART_SCHEMA)
    write_deltalake(f"s3://{BUCKET}/tables/regions", parts, partition_by=["part"],
                    storage_options=opts)
    with ThreadPoolExecutor(16) as ex:
        list(ex.map(lambda i: cli.put_object(Bucket=BUCKET, Key=f"many/d/f{i:05d}.txt",
                                             Body=f"{i}\n".encode()), range(MANY)))
    for k in ODD_KEYS:
        cli.put_object(Bucket=BUCKET, Key=k, Body=("content of " + k).encode())
    cli.put_object(Bucket=BUCKET, Key="big/blob.bin", Body=bytes(range(256)) * (12 * 1024 + 7))
    cli.put_object(Bucket=BUCKET, Key="big/empty", Body=b"")
    cli.put_object(Bucket=OTHER_BUCKET, Key="t/hello.txt", Body=b"hello from eu-west-1\n")
    return cli


def ucfs_env(moto, key=None, secret=None, token=None, region=REGION, **extra):
    """Environment for `ucfs storage`: credentials and endpoint the AWS way."""
    creds = moto.creds
    env = env_for(None)
    for k in [k for k in env if k.startswith("AWS_")]:
        del env[k]
    env.update({"AWS_ENDPOINT_URL": moto.url, "AWS_REGION": region,
                "AWS_ACCESS_KEY_ID": key or creds.user_key,
                "AWS_SECRET_ACCESS_KEY": secret or creds.user_secret,
                "AWS_SESSION_TOKEN": token, **extra})
    return {k: v for k, v in env.items() if v is not None}


def boto_dir(cli, prefix: str, bucket: str = BUCKET) -> dict[str, tuple]:
    """name -> (is_dir, size, mtime_s, etag) of one directory as boto3 lists it."""
    out = {}
    pag = cli.get_paginator("list_objects_v2")
    for page in pag.paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for o in page.get("Contents", []):
            name = o["Key"][len(prefix):]
            if name:
                out[name] = (False, o["Size"], int(o["LastModified"].timestamp()),
                             o["ETag"].strip('"'))
        for p in page.get("CommonPrefixes", []):
            out[p["Prefix"][len(prefix):].rstrip("/")] = (True, 0, 0, None)
    return out


def ucfs_ls(env, loc: str, rel: str = "") -> dict[str, tuple]:
    p = run(["storage", "ls", loc, rel], env=env, check=True)
    out = {}
    for line in p.stdout.splitlines():
        kind, size, mtime, name = line.split("\t", 3)
        name = mountutil.unescape_name(name)  # printed escaped: "tab\x09name"
        is_dir = kind == "d"
        out[name[:-1] if is_dir else name] = (is_dir, int(size), int(mtime))
    return out


def walk(cli, prefix: str) -> list[str]:
    """Every directory prefix (ending in '/') at and under prefix."""
    dirs, todo = [], [prefix]
    while todo:
        d = todo.pop()
        dirs.append(d)
        todo += [d + n + "/" for n, v in boto_dir(cli, d).items() if v[0]]
    return dirs


def cat(env, loc, rel, offset=None, length=None) -> bytes:
    args = ["storage", "cat", loc, rel]
    if offset is not None:
        args += ["--offset", offset]
    if length is not None:
        args += ["--length", length]
    p = subprocess.run([str(mountutil.UCFS), *map(str, args)], env=env, capture_output=True,
                       timeout=120, stdin=subprocess.DEVNULL)
    mountutil.check_stderr(p.stderr.decode(errors="replace"))
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p.stdout


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


# --------------------------------------------------------------------------- listing / stat

@pytest.mark.parametrize("table", ["tables/simple", "tables/regions", "odd", "big"])
def test_listing_matches_boto3_everywhere(moto, s3, table):
    env = ucfs_env(moto)
    for d in walk(s3, table + "/"):
        rel = d[len(table) + 1:].rstrip("/")
        want = {n: v[:3] for n, v in boto_dir(s3, d).items()}
        assert ucfs_ls(env, f"s3://{BUCKET}/{table}", rel) == want, d


def test_special_partition_dirs_exact(moto, s3):
    got = ucfs_ls(ucfs_env(moto), f"s3://{BUCKET}/tables/regions")
    want = set(boto_dir(s3, "tables/regions/"))
    assert set(got) == want
    assert len([n for n in got if n.startswith("part=")]) == len(SPECIAL_PARTITION_VALUES)
    assert "_delta_log" in got


def test_listing_paginates_past_1000(moto, s3):
    got = ucfs_ls(ucfs_env(moto), f"s3://{BUCKET}/many", "d")
    assert len(got) == MANY
    assert got == {n: v[:3] for n, v in boto_dir(s3, "many/d/").items()}


def test_bucket_root_and_s3a(moto, s3):
    env = ucfs_env(moto)
    root = ucfs_ls(env, f"s3://{BUCKET}")
    assert root == {n: v[:3] for n, v in boto_dir(s3, "").items()}
    assert ucfs_ls(env, f"s3a://{BUCKET}/tables/") == ucfs_ls(env, f"s3://{BUCKET}/tables")


def test_stat_matches_head(moto, s3):
    env = ucfs_env(moto)
    for key in ODD_KEYS + ["big/blob.bin", "big/empty", "tables/simple/_delta_log/"
                           "00000000000000000000.json"]:
        h = s3.head_object(Bucket=BUCKET, Key=key)
        prefix, rel = key.split("/", 1)
        p = run(["storage", "stat", f"s3://{BUCKET}/{prefix}", rel], env=env, check=True)
        kind, size, mtime, etag = p.stdout.rstrip("\n").split("\t")
        assert (kind, int(size), int(mtime), etag) == (
            "-", h["ContentLength"], int(h["LastModified"].timestamp()), h["ETag"].strip('"')), key
    p = run(["storage", "stat", f"s3://{BUCKET}/tables", "simple/_delta_log"], env=env, check=True)
    assert p.stdout.startswith("d\t")


def test_missing_paths(moto, s3):
    env = ucfs_env(moto)
    p = run(["storage", "stat", f"s3://{BUCKET}/tables", "simple/nope.parquet"], env=env)
    assert p.returncode != 0 and "No such file" in p.stderr
    p = run(["storage", "cat", f"s3://{BUCKET}/tables", "simple/nope.parquet"], env=env)
    assert p.returncode != 0 and "No such file" in p.stderr
    p = run(["storage", "ls", f"s3://{BUCKET}/tables", "nope"], env=env)
    assert p.returncode != 0 and "No such file" in p.stderr
    # a prefix of a name is not a directory; an object is not a directory
    p = run(["storage", "ls", f"s3://{BUCKET}/tables", "simp"], env=env)
    assert p.returncode != 0 and "No such file" in p.stderr
    p = run(["storage", "ls", f"s3://{BUCKET}/big", "blob.bin"], env=env)
    assert p.returncode != 0 and "Not a directory" in p.stderr
    p = run(["storage", "ls", "s3://no-such-bucket-ucfs/x"], env=env)
    assert p.returncode != 0 and "NoSuchBucket" in p.stderr
    for bad in ["../tables", "simple/./x", "simple//x"]:
        p = run(["storage", "stat", f"s3://{BUCKET}/tables", bad], env=env)
        assert p.returncode != 0 and "No such file" in p.stderr, bad


# --------------------------------------------------------------------------- reads

def test_bytes_match_everywhere(moto, s3):
    env = ucfs_env(moto)
    keys = []
    for d in walk(s3, "tables/") + walk(s3, "odd/") + ["big/"]:
        keys += [d + n for n, v in boto_dir(s3, d).items() if not v[0]]
    assert len(keys) >= 15
    for key in keys:
        want = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        got = cat(env, f"s3://{BUCKET}", key)
        assert sha(got) == sha(want), key


def test_ranged_reads(moto, s3):
    env = ucfs_env(moto)
    data = s3.get_object(Bucket=BUCKET, Key="big/blob.bin")["Body"].read()
    n = len(data)
    assert n > 3 * (1 << 20)  # cat reads 1 MiB at a time: several ranged GETs
    for off, ln in [(0, 1), (1, 255), (1000, 5000), ((1 << 20) - 3, 10), (n - 10, 10),
                    (n - 10, 1000), (n - 1, None), (n, 10), (n + 5, 10), (0, n), (17, None)]:
        got = cat(env, f"s3://{BUCKET}/big", "blob.bin", off, ln)
        end = n if ln is None else off + ln
        assert got == data[off:end], (off, ln)
    assert cat(env, f"s3://{BUCKET}/big", "empty") == b""


def test_session_credentials_and_region_discovery(moto, s3):
    c = moto.creds
    env = ucfs_env(moto, c.session_key, c.session_secret, c.session_token)
    assert cat(env, f"s3://{BUCKET}/odd", "a b/100%/ü ñ.txt") == "content of odd/a b/100%/ü ñ.txt".encode()
    # no region configured: found with a HEAD on the bucket (x-amz-bucket-region)
    env = ucfs_env(moto, region=None)
    assert cat(env, f"s3://{OTHER_BUCKET}/t", "hello.txt") == b"hello from eu-west-1\n"
    assert "hello.txt" in ucfs_ls(env, f"s3://{OTHER_BUCKET}/t")


def test_endpoint_precedence(moto, s3):
    """AWS_ENDPOINT_URL_S3 wins over AWS_ENDPOINT_URL."""
    env = ucfs_env(moto, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ENDPOINT_URL_S3=moto.url)
    assert cat(env, f"s3://{BUCKET}/big", "blob.bin", 0, 4) == bytes(range(4))


def test_object_replaced_during_read_fails_never_mixes(moto, s3):
    """cat reads 1 MiB per ranged GET and blocks on the pipe until we consume
    its output, so after we read the first MiB and replace the object, the
    third GET runs against the new version: If-Match makes it fail (EIO)."""
    key = "changing/obj.bin"
    old = bytes([1]) * (4 << 20)
    s3.put_object(Bucket=BUCKET, Key=key, Body=old)
    env = ucfs_env(moto)
    p = subprocess.Popen([str(mountutil.UCFS), "storage", "cat", f"s3://{BUCKET}/changing",
                          "obj.bin"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         stdin=subprocess.DEVNULL)
    first = p.stdout.read(1 << 20)
    s3.put_object(Bucket=BUCKET, Key=key, Body=bytes([2]) * (4 << 20))
    rest = p.stdout.read()
    err = p.stderr.read().decode(errors="replace")
    p.wait(timeout=60)
    mountutil.check_stderr(err)
    got = first + rest
    assert p.returncode != 0, "read across a replaced object must fail"
    assert "changed" in err and "Input/output error" in err, err
    assert len(got) < len(old) and got == old[:len(got)]


# --------------------------------------------------------------------------- bad credentials

@pytest.mark.parametrize("what", ["secret", "key", "token"])
def test_bad_credentials_fail_cleanly(moto, s3, what):
    c = moto.creds
    secret = "WrongSecretDoNotPrint" + "x" * 20
    token = c.session_token + "Tampered"
    if what == "secret":
        env, expect, leak = ucfs_env(moto, c.user_key, secret), "SignatureDoesNotMatch", secret
    elif what == "key":
        env, expect, leak = (ucfs_env(moto, "AKIAUNKNOWNKEY000000", c.user_secret),
                             "InvalidAccessKeyId", c.user_secret)
    else:
        env, expect, leak = (ucfs_env(moto, c.session_key, c.session_secret, token),
                             "InvalidToken", token)
    for verb, rel in [("ls", ""), ("stat", "blob.bin"), ("cat", "blob.bin")]:
        p = run(["storage", verb, f"s3://{BUCKET}/big", rel], env=env)
        assert p.returncode != 0, (verb, p.stdout)
        assert "Permission denied" in p.stderr and expect in p.stderr, p.stderr
        assert leak not in p.stderr and leak not in p.stdout
        assert c.session_secret not in p.stderr and c.user_secret not in p.stderr


def test_anonymous_request_is_refused(moto, s3):
    env = ucfs_env(moto)
    env.pop("AWS_ACCESS_KEY_ID")
    env.pop("AWS_SECRET_ACCESS_KEY")
    p = run(["storage", "ls", f"s3://{BUCKET}/big"], env=env)
    assert p.returncode != 0


# --------------------------------------------------------------------------- credential vending

@pytest.fixture(scope="module")
def uc_s3(moto, s3, tmp_path_factory):
    """A Unity Catalog OSS server vending moto's STS session for BUCKET, with the
    s3 tables registered."""
    c = moto.creds
    srv = UCServer(tmp_path_factory.mktemp("ucs3"),
                   s3=S3Vending(f"s3://{BUCKET}", REGION, c.session_key, c.session_secret,
                                c.session_token))
    srv.start()
    api = UCClient(srv.url)
    api.create_catalog("s3cat")
    api.create_schema("s3cat", "sales")
    api.create_table("s3cat", "sales", "simple", columns=columns_from_arrow(SIMPLE_SCHEMA),
                     storage_location=f"s3://{BUCKET}/tables/simple")
    api.create_table("s3cat", "sales", "regions",
                     columns=columns_from_arrow(PART_SCHEMA, ["part"]),
                     storage_location=f"s3://{BUCKET}/tables/regions")
    yield srv, api
    srv.stop()


def test_vended_credentials_read_the_table(moto, s3, uc_s3):
    srv, api = uc_s3
    assert "s3.sessionToken.0=" in (srv.workdir / "etc/conf/server.properties").read_text()
    for name in ("simple", "regions"):
        t = api.get_table(f"s3cat.sales.{name}")
        assert t["storage_location"] == f"s3://{BUCKET}/tables/{name}"
        vend = api.temporary_table_credentials(t["table_id"], "READ")
        aws = vend["aws_temp_credentials"]
        assert aws["access_key_id"] == moto.creds.session_key
        assert aws["session_token"] == moto.creds.session_token
        env = ucfs_env(moto, aws["access_key_id"], aws["secret_access_key"],
                       aws["session_token"])
        loc = t["storage_location"]
        for d in walk(s3, f"tables/{name}/"):
            rel = d[len(f"tables/{name}/"):].rstrip("/")
            assert ucfs_ls(env, loc, rel) == {n: v[:3] for n, v in boto_dir(s3, d).items()}
            for n, v in boto_dir(s3, d).items():
                if not v[0]:
                    want = s3.get_object(Bucket=BUCKET, Key=d + n)["Body"].read()
                    assert sha(cat(env, loc, (rel + "/" if rel else "") + n)) == sha(want)


# --------------------------------------------------------------------------- through the mount

def test_mount_reads_s3_tables_with_vended_credentials(moto, s3, uc_s3, tmp_path):
    """The mount gets credentials only from Unity Catalog (no AWS keys in its
    environment, just the endpoint) and readers see what deltalake reads directly."""
    import polars as pl
    from deltalake import DeltaTable

    import duck
    from mountutil import Mount

    srv, _ = uc_s3
    state = tmp_path / "state.db"
    env = ucfs_env(moto)
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(k, None)
    env["UCFS_STATE"] = str(state)
    run(["mirror", "create", "--catalog", "s3cat", "--host", srv.url], env=env, check=True)
    c = moto.creds
    opts = {"AWS_ENDPOINT_URL": moto.url, "AWS_ALLOW_HTTP": "true", "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": c.user_key, "AWS_SECRET_ACCESS_KEY": c.user_secret}
    m = Mount(tmp_path / "mnt", env).start()
    try:
        for name in ("simple", "regions"):
            mounted = m.mp / "s3cat" / "sales" / name
            want = DeltaTable(f"s3://{BUCKET}/tables/{name}", storage_options=opts) \
                .to_pyarrow_table().sort_by("id")
            assert DeltaTable(str(mounted)).to_pyarrow_table().sort_by("id") == want
            assert pl.read_delta(str(mounted)).sort("id").to_arrow().cast(want.schema) == want
            con = duck.connect()
            try:
                got = duck.delta_scan(con, str(mounted)).sort_by("id")
            finally:
                con.close()
            assert got.select(want.column_names).cast(want.schema) == want
            for d in walk(s3, f"tables/{name}/"):
                rel = d[len(f"tables/{name}/"):]
                names = sorted(n for n in boto_dir(s3, d))
                assert sorted(p.name for p in (mounted / rel).iterdir()) == names
    finally:
        log = m.stop()
    assert not [ln for ln in log.splitlines() if "error" in ln or "warning" in ln], log
