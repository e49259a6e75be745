#!/usr/bin/env python3
# gen-lockdown-corpus.py -- writes the seed corpus of fuzz_lockdown
# (tests/fuzz/corpus/lockdown/): lockdownd's five values as XML and
# binary plists, normal and hostile.  Run once from the top of the tree;
# its output is committed.  Uses only Python's plistlib.
import os
import plistlib

OUT = "tests/fuzz/corpus/lockdown"
UDID = "00008110-001A2B3C4D5E6F70"
IPHONE = {
    "UniqueDeviceID": UDID,
    "ProductType": "iPhone14,2",
    "ProductVersion": "17.4.1",
    "DeviceClass": "iPhone",
    "DeviceName": "Jo's iPhone",
}


def put(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def xml(d):
    return plistlib.dumps(d, fmt=plistlib.FMT_XML)


def binary(d):
    return plistlib.dumps(d, fmt=plistlib.FMT_BINARY)


def with_(**kw):
    d = dict(IPHONE)
    for k, v in kw.items():
        if v is None:
            d.pop(k, None)
        else:
            d[k] = v
    return d


os.makedirs(OUT, exist_ok=True)
put("iphone.xml", xml(IPHONE))
put("iphone.bplist", binary(IPHONE))
put("old-udid.xml", xml(with_(
    UniqueDeviceID="0123456789abcdef0123456789abcdef01234567",
    ProductType="iPhone10,4", ProductVersion="16.7")))
put("extra-keys.bplist", binary(with_(BuildVersion="21E236",
    HardwareModel="D63AP", ActivationState=1)))
put("no-name.bplist", binary(with_(DeviceName=None, DeviceClass=None)))
put("missing-udid.xml", xml(with_(UniqueDeviceID=None)))
put("empty.bplist", binary({}))
put("not-dict.xml", xml([UDID, "iPhone14,2"]))
put("wrong-type-int.xml", xml(with_(ProductVersion=17)))
put("wrong-type-data.bplist", binary(with_(DeviceName=b"\x1b[2J")))
put("wrong-type-dict.bplist", binary(with_(UniqueDeviceID={"a": 1})))
put("long-type.xml", xml(with_(ProductType="iPhone" + "9" * 300)))
put("long-name.bplist", binary(with_(DeviceName="A" * 127 + "\u00e9" +
    "B" * 200)))
put("unicode-name.bplist", binary(with_(
    DeviceName="\u017bo\u0142\u0105d\u017a \U0001F4F1 \u202eenohPi")))
put("bad-version.xml", xml(with_(ProductVersion="17..4")))
put("bad-udid.xml", xml(with_(UniqueDeviceID="00008110_001A2B3C4D5E6F70")))
# Terminal escapes as entities (which libplist decodes), raw bytes that
# are not UTF-8, and a CR LF: what a hostile phone can put in a name.
put("hostile-name.xml", xml(with_(DeviceName="@NAME@")).replace(
    b"@NAME@", b"&#27;[2J&#27;]0;owned&#7;Tom\xff\xfe's &lt;iPhone&gt;\r\n"))
put("hostile-name.bplist", binary(with_(
    DeviceName="\x1b[31m\x07\x9b\x00hidden")))
b = binary(IPHONE)
put("truncated.bplist", b[:len(b) - 20])
put("truncated.xml", xml(IPHONE)[:200])
