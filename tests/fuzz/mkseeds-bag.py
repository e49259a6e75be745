#!/usr/bin/env python3
# mkseeds-bag.py POLICE_DIR -- writes the seed corpora of fuzz_bag_manifest,
# fuzz_bag_info and fuzz_bag_tar into tests/fuzz/corpus/ from a real export
# and by hand.
#
# POLICE_DIR is where `make demo` has the officer unpack the export
# (build/demo/police: B.tar, the plain tar CMS decrypted, and the bag it
# holds).  The real files are copied as they are; the hostile ones are
# made here from them or from scratch (Python's tarfile, and raw ustar
# headers where tarfile will not write what a forger would).  Run it from
# the top of the tree; it overwrites the seeds it makes and leaves other
# files in the corpora (regressions found by fuzzing) alone.
import io
import os
import sys
import tarfile

if len(sys.argv) != 2:
    sys.exit("usage: mkseeds-bag.py POLICE_DIR")
police = sys.argv[1]
bags = [d for d in os.listdir(police)
        if os.path.isdir(os.path.join(police, d)) and d.startswith("custody-")]
if len(bags) != 1:
    sys.exit("mkseeds-bag.py: expected one custody-* bag in " + police)
bag = os.path.join(police, bags[0])
name = bags[0]


def real(f):
    with open(os.path.join(bag, f), "rb") as fp:
        return fp.read()


def put(target, seed, data):
    d = os.path.join("tests/fuzz/corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, seed), "wb") as fp:
        fp.write(data)


# ---- manifests ----
m256 = real("manifest-sha256.txt")
line = m256.split(b"\n")[0]
hex64, path = line[:64], line[66:]
for f in ("manifest-sha256.txt", "manifest-sha512.txt",
          "tagmanifest-sha256.txt", "tagmanifest-sha512.txt"):
    put("bag_manifest", f, real(f))
man = {
    "crlf": m256.replace(b"\n", b"\r\n"),
    "duplicate-path": m256 + line + b"\n",
    "dotdot": hex64 + b"  data/../../etc/passwd\n",
    "absolute": hex64 + b"  /etc/passwd\n",
    "nul-byte": hex64 + b"  data/a\x00b\n" + m256,
    "no-final-newline": m256 + line,
    "long-line": hex64 + b"  data/" + b"a/" * 600 + b"b\n",
    "long-segment": hex64 + b"  data/" + b"x" * 300 + b"\n",
    "binary-marker": hex64 + b" *" + path + b"\n",
    "one-space": hex64 + b" " + path + b"\n",
    "bad-hex": b"g" + hex64[1:] + b"  " + path + b"\n",
    "short-hex": hex64[:62] + b"  " + path + b"\n",
    "tag-below-top": hex64 + b"  data/bagit.txt\n",
    "outside-data": hex64 + b"  bagit.txt\n",
    "dot-segment": hex64 + b"  data/./a\n",
    "empty-segment": hex64 + b"  data//a\n",
    "utf8-name": hex64 + b"  data/caf\xc3\xa9.txt\n",
    "empty": b"",
    "blank-line": m256 + b"\n",
}
for k, v in man.items():
    put("bag_manifest", k, v)

# ---- bag-info.txt ----
info = real("bag-info.txt")
put("bag_info", "bag-info.txt", info)
put("bag_info", "bagit.txt", real("bagit.txt"))
oxum = [l for l in info.split(b"\n") if l.startswith(b"Payload-Oxum:")][0]
no_oxum = b"\n".join(l for l in info.split(b"\n")
                     if not l.startswith(b"Payload-Oxum:"))
bi = {
    "crlf": info.replace(b"\n", b"\r\n"),
    "missing-oxum": no_oxum,
    "oxum-twice": info + oxum + b"\n",
    "oxum-lowercase": b"payload-oxum:   20887.7\n",
    "oxum-after-nul": info + b"\x00" + oxum.replace(b"20887", b"1") + b"\n",
    "oxum-overflow": b"Payload-Oxum: 18446744073709551616.1\n",
    "oxum-max": b"Payload-Oxum: 18446744073709551615.18446744073709551615\n",
    "oxum-no-count": b"Payload-Oxum: 20887.\n",
    "oxum-no-dot": b"Payload-Oxum: 20887\n",
    "oxum-two-dots": b"Payload-Oxum: 1.2.3\n",
    "folded": b"Source-Organization: a\n  folded on\n\tand on\n" + oxum +
    b"\n",
    "fold-first": b" Payload-Oxum: 1.1\n" + oxum + b"\n",
    "no-colon": b"Source-Organization a\n" + oxum + b"\n",
    "empty-label": b": value\n" + oxum + b"\n",
    "no-final-newline": info + oxum,
    "long-line": b"Contact-Name: " + b"x" * 5000 + b"\n" + oxum + b"\n",
    "empty": b"",
}
for k, v in bi.items():
    put("bag_info", k, v)

# ---- tars ----
with open(os.path.join(police, "B.tar"), "rb") as fp:
    btar = fp.read()
put("bag_tar", "export", btar)
put("bag_tar", "truncated-header", btar[:700])
put("bag_tar", "truncated-data", btar[:3000])
put("bag_tar", "empty", b"")
put("bag_tar", "zero-blocks", b"\x00" * 1024)


def mktar(entries, fmt=tarfile.USTAR_FORMAT):
    """entries: (TarInfo, data or None)"""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as t:
        for ti, data in entries:
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    # Without tarfile's padding to 10240 bytes: the end-of-archive's two
    # zero blocks are enough, and small seeds fuzz faster.
    tar = out.getvalue().rstrip(b"\x00")
    return tar + b"\x00" * (-len(tar) % 512 + 1024)


def ent(path, kind=tarfile.REGTYPE, data=b"", link=""):
    ti = tarfile.TarInfo(path)
    ti.type = kind
    ti.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    ti.mtime = 1795000000
    ti.linkname = link
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    return (ti, data if kind == tarfile.REGTYPE else None)


top = ent("bag/", tarfile.DIRTYPE)
small = [top, ent("bag/bagit.txt", data=real("bagit.txt")),
         ent("bag/data/", tarfile.DIRTYPE),
         ent("bag/data/a.txt", data=b"hello\n")]
put("bag_tar", "small-pax", mktar(small, tarfile.PAX_FORMAT))
put("bag_tar", "small-gnu", mktar(small, tarfile.GNU_FORMAT))
put("bag_tar", "small-ustar", mktar(small))
put("bag_tar", "dotdot", mktar([top, ent("bag/../../escape", data=b"x")]))
put("bag_tar", "absolute", mktar([ent("/tmp/custody-escape", data=b"x")]))
put("bag_tar", "symlink", mktar([top, ent("bag/l", tarfile.SYMTYPE,
                                          link="/etc"),
                                 ent("bag/l/passwd", data=b"x")]))
put("bag_tar", "hardlink", mktar([top, ent("bag/h", tarfile.LNKTYPE,
                                           link="/etc/passwd")]))
put("bag_tar", "fifo", mktar([top, ent("bag/f", tarfile.FIFOTYPE)]))
put("bag_tar", "chardev", mktar([top, ent("bag/c", tarfile.CHRTYPE)]))
put("bag_tar", "duplicate", mktar([top, ent("bag/a", data=b"one"),
                                   ent("bag/a", data=b"two")]))
put("bag_tar", "dir-then-file", mktar([top, ent("bag/a/", tarfile.DIRTYPE),
                                       ent("bag/a", data=b"x")]))
put("bag_tar", "two-tops", mktar([top, ent("other/x", data=b"x")]))
put("bag_tar", "file-on-top", mktar([ent("bag", data=b"x")]))
put("bag_tar", "long-name-pax",
    mktar([top, ent("bag/" + "d/" * 700 + "f", data=b"x")],
          tarfile.PAX_FORMAT))
put("bag_tar", "long-name-gnu",
    mktar([top, ent("bag/" + "x" * 300, data=b"x")], tarfile.GNU_FORMAT))
put("bag_tar", "bad-char", mktar([top, ent("bag/a b", data=b"x")]))

# A declared size far past the data, and one past the limit (1 TiB, in
# the ustar base-256 form): tarfile checks sizes, so the header is edited
# and its checksum made again.
def resize(tar, size):
    h = bytearray(tar[512:1024])
    if size < 8 ** 11:
        h[124:136] = b"%011o\x00" % size
    else:
        h[124:136] = b"\x80" + size.to_bytes(11, "big")
    h[148:156] = b"        "
    h[148:156] = b"%06o\x00 " % sum(h)
    return tar[:512] + bytes(h) + tar[1024:]


onefile = mktar([top, ent("bag/a", data=b"x" * 10)])
put("bag_tar", "size-past-data", resize(onefile, 5000))
put("bag_tar", "size-octal-max", resize(onefile, 8 ** 11 - 1))
put("bag_tar", "size-huge", resize(onefile, 1 << 40))
bad = bytearray(onefile)
bad[512 + 148:512 + 156] = b"0000000\x00"
put("bag_tar", "bad-checksum", bytes(bad))
