#!/usr/bin/python3
"""Reads an XLSX file with nothing but the standard library (zipfile and an
XML parser), independent of the library that wrote it, and prints every
non-empty cell as `SHEET!A1<TAB>value`, one per line.

usage: read_xlsx.py FILE [MAX_ROWS]
"""
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "p": "http://schemas.openxmlformats.org/package/2006/relationships"}

path = sys.argv[1]
max_rows = int(sys.argv[2]) if len(sys.argv) > 2 else 10**9
with zipfile.ZipFile(path) as z:
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
            shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
    rels = {r.get("Id"): r.get("Target")
            for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels")).findall("p:Relationship", NS)}
    for sheet in ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", NS):
        name = sheet.get("name")
        target = rels[sheet.get("{%s}id" % NS["r"])]
        root = ET.fromstring(z.read("xl/" + target.lstrip("/").replace("xl/", "")))
        for row in root.iter("{%s}row" % NS["m"]):
            if int(row.get("r")) > max_rows:
                break
            for c in row.findall("m:c", NS):
                v = c.find("m:v", NS)
                if v is None:
                    continue
                value = shared[int(v.text)] if c.get("t") == "s" else v.text
                print("%s!%s\t%s" % (name, c.get("r"), value.replace("\n", " ")))
