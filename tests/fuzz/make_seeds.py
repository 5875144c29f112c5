#!/usr/bin/env python3
"""Write the seed corpora of the fuzz targets: tests/fuzz/corpus/<target>/seed-*.

Seeds are the recorded answers (tests/unit/data/) and the strings that the
C unit tests embed (every C string literal, adjacent literals joined), given
to the target whose input they are, in that target's input format (see the
header of each tests/fuzz/fuzz_*.c). Regression inputs (crash-*) and what
fuzzing added are left alone. Run it again when the unit tests change:
    tests/fuzz/make_seeds.py
"""
import hashlib
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
UNIT = ROOT / "tests" / "unit"
CORPUS = ROOT / "tests" / "fuzz" / "corpus"

LIT = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
ESC = {"n": b"\n", "t": b"\t", "r": b"\r", "0": b"\0", "\\": b"\\", '"': b'"', "'": b"'"}


def unescape(s):
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = s[i + 1]
        if n == "x":
            m = re.match(r"[0-9a-fA-F]+", s[i + 2:])
            out.append(int(m.group(0), 16) & 0xFF)
            i += 2 + len(m.group(0))
        elif n in "01234567" and re.match(r"[0-7]{1,3}", s[i + 1:]).group(0) != "0":
            m = re.match(r"[0-7]{1,3}", s[i + 1:])
            out.append(int(m.group(0), 8) & 0xFF)
            i += 1 + len(m.group(0))
        else:
            out += ESC.get(n, n.encode())
            i += 2
    return bytes(out)


def literals(path):
    """Every string literal of a C file, adjacent ones (blanks, newlines and
    comments between them) joined, with the source text that follows it."""
    src, res, i, n = path.read_text(), [], 0, None
    parts, end = [], 0

    def flush():
        if parts:
            res.append((unescape("".join(parts)), src[end:end + 200]))
            parts.clear()

    while i < len(src):
        c = src[i]
        if src.startswith("/*", i):
            i = src.index("*/", i + 2) + 2
        elif src.startswith("//", i):
            i = src.find("\n", i)
            i = len(src) if i < 0 else i
        elif c == "'":
            m = re.compile(r"'(?:[^'\\]|\\.)*'").match(src, i)
            flush()
            i = m.end()
        elif c == '"':
            m = LIT.match(src, i)
            parts.append(m.group(1))
            i = end = m.end()
        elif c.isspace():
            i += 1
        else:
            flush()
            i += 1
    flush()
    return res


def write(target, data, seeds):
    seeds.setdefault(target, set()).add(data)


def main():
    seeds = {}
    # listing answers: recorded pages with the prefix the unit test lists them with
    lt = (UNIT / "test_listing.c").read_text()
    for fn, name, pfx in re.findall(r'(?:parse_file|bad_file|truncations)\(listing_parse_(\w+),\s*"([^"]+)",\s*"([^"]*)"', lt):
        doc = (UNIT / "data" / name).read_bytes()
        write("fuzz_listing_" + fn, pfx.encode() + b"\n" + doc, seeds)
        write("fuzz_listing_" + fn, b"\n" + doc, seeds)
    for lit, after in literals(UNIT / "test_listing.c"):
        nxt = LIT.search(after)
        pfx = unescape(nxt.group(1)) if nxt and after.lstrip().startswith(",") else b""
        if not (pfx == b"" or pfx.endswith(b"/")):
            pfx = b""
        if lit.startswith(b"<ListBucketResult"):
            write("fuzz_listing_s3", pfx + b"\n" + lit, seeds)
        elif lit.startswith(b"<EnumerationResults"):
            write("fuzz_listing_azure", pfx + b"\n" + lit, seeds)
        elif lit.startswith((b"{", b"[")):
            write("fuzz_listing_gcs", pfx + b"\n" + lit, seeds)
        elif re.match(rb"\d{4}-|[A-Z][a-z]{2},", lit):
            write("fuzz_time", lit, seeds)
    for lit, _ in literals(UNIT / "test_retry.c"):
        write("fuzz_time", lit, seeds)
    # Unity Catalog answers
    for lit, _ in literals(UNIT / "test_model.c"):
        if lit.startswith(b"{"):
            write("fuzz_uc_model", lit, seeds)
    for lit, _ in literals(UNIT / "test_vending.c"):
        if lit.startswith(b"{") or lit.startswith(b"["):
            write("fuzz_vending", lit, seeds)
    # ~/.databrickscfg texts and hosts
    for lit, _ in literals(UNIT / "test_config.c"):
        if b"[" in lit or b"=" in lit or b"." in lit:
            write("fuzz_config", lit, seeds)
    # locations (with the endpoints, keys and tokens the endpoint tests use) and Content-Range
    locs, others = [], []
    for f in ("test_url.c", "test_endpoint.c"):
        for lit, _ in literals(UNIT / f):
            if re.match(rb"(?i)(file:|abfss?://|wasbs?://|s3a?://|gs://)", lit):
                locs.append(lit)
            elif re.match(rb"(?i)\s*bytes", lit):
                write("fuzz_url_endpoint", lit, seeds)
            elif lit and len(lit) < 200:
                others.append(lit)
    eps = [b"", b"http://127.0.0.1:9000", b"https://minio.local:9443/base/", b"127.0.0.1:4443",
           b"https://127.0.0.1:10000/devstoreaccount1"]
    rels = [b"", b"_delta_log/00000000000000000000.json", b"part=a b/x+y%.parquet"]
    aps = [b"", b"arn:aws:s3:us-west-2:123456789012:accesspoint/my-ap", b"my-ap-alias-s3alias"]
    for i, loc in enumerate(locs):
        write("fuzz_url_endpoint", b"\n".join([loc, eps[i % len(eps)], rels[i % len(rels)],
                                               aps[i % len(aps)], b"tok/en=="]), seeds)
    for i, o in enumerate(others[:60]):
        write("fuzz_url_endpoint", b"\n".join([locs[i % len(locs)], b"", o, b"", o]), seeds)
    # SigV4: the requests of the AWS test-suite cases and the S3 documentation examples
    def sig(when, method, host, path, query, region, service, akid, secret, token, payload, headers):
        return b"\n".join([when, method, host, path, query, region, service, akid, secret, token,
                           payload, b"\n".join(headers)])
    s, k = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", b"AKIDEXAMPLE"
    h = b"example.amazonaws.com"
    for req in [
        (b"GET", b"/", b"", []),
        (b"GET", b"/", b"Param2=value2&Param1=value1", []),
        (b"GET", b"/", b"Param1=value2&Param1=Value1", []),
        (b"GET", b"/", b"-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789", []),
        (b"GET", b"/", b"Param1=value1", [b"My-Header1: value1", b"My-Header1: value2"]),
        (b"GET", b"/", b"", [b"My-Header1:    value1", b"My-Header2:    \"a   b   c\""]),
        (b"GET", b"/%E1%88%B4", b"", []),
        (b"GET", b"/example%20space/", b"", []),
        (b"POST", b"/", b"Param1=value1", [b"Content-Type: application/x-www-form-urlencoded"]),
        (b"GET", b"/", b"lifecycle", [b"Range: bytes=0-9"]),
        (b"GET", b"/", b"max-keys=2&prefix=J", []),
        (b"GET", b"/", b"list-type=2&prefix=a%2Fb%2F&delimiter=%2F&encoding-type=url&continuation-token=1%2B2%3D", []),
    ]:
        write("fuzz_sigv4", sig(b"1440938160", req[0], h, req[1], req[2], b"us-east-1", b"service", k, s,
                                b"", b"", req[3]), seeds)
        write("fuzz_sigv4", sig(b"1369353600", req[0], b"examplebucket.s3.amazonaws.com", req[1], req[2],
                                b"us-east-1", b"s3", b"AKIAIOSFODNN7EXAMPLE", s,
                                b"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW",
                                b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", req[3]), seeds)
    for lit, _ in literals(UNIT / "test_sigv4.c"):
        if lit.startswith((b"GET\n", b"PUT\n", b"POST\n")):
            write("fuzz_sigv4", b"1440938160\n" + lit, seeds)  # canonical requests: odd fields
    total = 0
    for target, datas in sorted(seeds.items()):
        d = CORPUS / target
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob("seed-*"):
            old.unlink()
        for data in datas:
            (d / ("seed-" + hashlib.sha1(data).hexdigest()[:16])).write_bytes(data)
        print(f"{target}: {len(datas)} seeds")
        total += len(datas)
    print(f"total: {total}")


if __name__ == "__main__":
    main()
