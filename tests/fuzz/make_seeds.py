#!/usr/bin/python3
"""Writes the seed corpora of tests/fuzz/corpus/ from tools/sample, tools/rulesets and small
handmade inputs. Run once after changing it (the output is checked in):
  PYTHONPATH=build/gen/python /usr/bin/python3 tests/fuzz/make_seeds.py
Needs the Python protobuf stubs (cmake --build build --target python_stubs)."""
import base64
import hashlib
import hmac
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
sys.path.insert(0, os.path.join(ROOT, "build", "gen", "python"))
from cuofeng.v1 import compliance_pb2, registry_pb2  # noqa: E402


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# --- csv: the head of every sample file, and the awkward cases by hand.
sample = os.path.join(ROOT, "tools", "sample", "jizhou")
for fn in sorted(os.listdir(sample)):
    with open(os.path.join(sample, fn), "rb") as f:
        lines = f.read().split(b"\n")
    write("csv", fn, b"\n".join(lines[:6]) + b"\n")
write("csv", "quoted.csv", 'a,"b,c","say ""hi""","two\nlines"\r\n1,2,3,4\r\n')
write("csv", "blank_lines.csv", "\n\na,b\n\n\nc,d\n")
write("csv", "spaces.csv", ' a , "b " ,c\n')
write("csv", "empty_cells.csv", ',,\n"",x\n""\n')
write("csv", "unclosed.csv", 'a,"b\nc,d\n')
write("csv", "after_quote.csv", 'a,"b"c\n')
write("csv", "gb18030.csv", "编号,名称\ne1,铸造厂\n".encode("gb18030"))
write("csv", "gb18030_bom.csv", b"\xef\xbb\xbf" + "编号,名称\n".encode("gb18030"))
write("csv", "bad_utf8.csv", b"meter,time\nm1,\xff\xfe2024\n")
write("csv", "no_newline.csv", "a,b")
write("csv", "nul.csv", b"a,\x00b\n")

# --- rule_set: both rule sets, and small ones.
for fn in ("jizhou-2018.textproto", "national-2020-sample.textproto"):
    with open(os.path.join(ROOT, "tools", "rulesets", fn)) as f:
        write("rule_set", fn, f.read())
write("rule_set", "minimal.textproto", 'display_name: "最小"\nsource: "test"\n')
write("rule_set", "targets.textproto",
      'display_name: "x"\ntargets { level: YELLOW pollutant: PM percent: 10 seed_clause: "T74" }\n')
write("rule_set", "bad_enum.textproto", "focus_industries: [NOPE]\n")
write("rule_set", "bad_syntax.textproto", "thresholds { \n")

# --- filter: first byte picks the resource (order of fuzz_filter.cc's Resources()).
TYPES = ["District", "Township", "Enterprise", "ProductionLine", "Process", "Equipment", "Meter",
         "Camera", "Vehicle", "WhitelistEntry", "RetrofitTask", "EmissionTotal"]
filters = [
    ("Enterprise", "industry_category = FOUNDRY OR industry_category = 化工"),
    ("Enterprise", 'NOT (permit_status = PERMIT_VALID) AND display_name : "铸造"'),
    ("Enterprise", 'livelihood_cap_percent > 50 AND township = "districts/120119/townships/t1"'),
    ("Enterprise", "-restricted_class = true"),
    ("Enterprise", "permit_compliant:* AND supplies_heating = 是"),
    ("Enterprise", 'create_time >= "2024-01-01T00:00:00+08:00"'),
    ("Enterprise", 'display_name = "a \\"quoted\\" name"'),
    ("Enterprise", "(a = b"),
    ("Meter", "role = PRODUCTION AND interval_minutes <= 15"),
    ("Meter", "rated_kw != 60.3"),
    ("Vehicle", "plate : 津"),
    ("District", ""),
]
for i, (t, text) in enumerate(filters):
    write("filter", "f%02d" % i, bytes([TYPES.index(t)]) + text.encode())

# --- page_token: scope \n position \n edits, and tokens made with the default key.
def token(scope, position):
    mac = hmac.new(b"cuofeng page tokens", scope.encode() + b"\0" + position.encode(),
                   hashlib.sha256).digest()[:12]
    b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    return b64(position.encode()) + "." + b64(mac)

write("page_token", "round_trip", "ListEnterprises\n120\n")
write("page_token", "edit", "ListRuleSets\ndistricts/120119/ruleSets/r1\n\x03\x01")
write("page_token", "raw_ok", "ListEnterprises\n120\n!" + token("ListEnterprises", "120"))
write("page_token", "raw_padded", "ListEnterprises\n120\n!" + token("ListEnterprises", "120") + "=")
write("page_token", "bare_token", token("ListEnterprises", "4711"))
write("page_token", "garbage", "abc.def")
write("page_token", "empty_position", "ListFilings\n\n")

# --- row_codec: [type, even, field index, text] or [type, odd, wire form].
for i, (t, field, text) in enumerate([(2, 16, "50"), (2, 5, "FOUNDRY"), (2, 6, "t"),
                                     (6, 6, "15"), (6, 7, "1e-320"), (2, 1, "蓟州铸造厂"),
                                     (2, 18, "-0"), (6, 7, "nan")]):
    write("row_codec", "text%02d" % i, bytes([t, 0, field]) + text.encode())
e = registry_pb2.Enterprise(name="districts/120119/enterprises/e1", display_name="铸造厂",
                            industry_category=registry_pb2.FOUNDRY, restricted_class=True,
                            livelihood_cap_percent=37.5, approved_capacity_daily=1e300)
write("row_codec", "enterprise.pb", bytes([2, 1]) + e.SerializeToString())
m = registry_pb2.Meter(name="districts/120119/enterprises/e1/meters/m1", interval_minutes=15,
                       rated_kw=785.4)
write("row_codec", "meter.pb", bytes([6, 1]) + m.SerializeToString())

# --- monitoring: [0-2, wire form], [4, a cell] or [3, time].
r = compliance_pb2.IngestReadingsRequest(source="readings.csv")
rd = r.readings.add(meter="districts/120119/enterprises/e1/meters/m1", value=12.5, line=2)
rd.time.seconds = 1700000000
write("monitoring", "readings.pb", b"\x00" + r.SerializeToString())
g = compliance_pb2.IngestGateEventsRequest(source="gate.csv")
g.events.add(camera="districts/120119/enterprises/e1/cameras/c1", plate="津A12345", line=2)
write("monitoring", "gate.pb", b"\x01" + g.SerializeToString())
lr = compliance_pb2.IngestLedgerRowsRequest(source="ledger.csv")
lr.rows.add(enterprise="districts/120119/enterprises/e1", plate="津A12345", tonnage=30, line=2)
write("monitoring", "ledger.pb", b"\x02" + lr.SerializeToString())
for i, t in enumerate(["2024-11-15 08:30", "2024-11-15 08:30:05", "2024-11-15T00:30:05Z",
                       "2024-11-15T08:30:05.123456+08:00", "2024-02-29 00:00", "0000-01-01 00:00",
                       "9999-12-31T23:59:59.999999-14:00", " 2024-11-15 08:30 "]):
    write("monitoring", "time%02d" % i, b"\x03" + t.encode())
write("monitoring", "cell_utf8", b"\x04" + "districts/120119/enterprises/e1/meters/m1".encode())
