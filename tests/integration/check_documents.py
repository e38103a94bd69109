#!/usr/bin/python3
"""Reads cuofeng's documents back with readers independent of the ones that
wrote them (openpyxl for XLSX, poppler's pdftotext and pdftoppm for PDF),
checks what can be checked inside one file and prints what it found, one
`key<TAB>value` per line, for the test to compare with what the server says.

usage: check_documents.py list-xlsx|plan-xlsx|case-xlsx|registry-xlsx|overview-xlsx|pdf|cells FILE
       check_documents.py rename-sheet FILE OUT OLD NEW | set-cell FILE OUT SHEET CELL VALUE
Exit status 1 (with `FAIL<TAB>why` lines) when a check inside the file fails.
"""
import re
import subprocess
import sys
import tempfile
import os

import openpyxl

failures = []


def out(key, value):
    print("%s\t%s" % (key, str(value).replace("\n", " | ")))


def fail(why):
    failures.append(why)
    out("FAIL", why)


def header_row(ws, first="序号"):
    for row in ws.iter_rows(min_row=1, max_row=12):
        if row[0].value == first:
            return row[0].row
    return None


def print_settings(ws, name):
    out("%s.orientation" % name, ws.page_setup.orientation)
    out("%s.paper" % name, ws.page_setup.paperSize)
    out("%s.fit" % name, "%s %s %s" % (ws.sheet_properties.pageSetUpPr.fitToPage
                                       if ws.sheet_properties.pageSetUpPr else None,
                                       # OOXML's default for both is 1 (a writer may leave it out)
                                       ws.page_setup.fitToWidth or 1,
                                       1 if ws.page_setup.fitToHeight is None
                                       else ws.page_setup.fitToHeight))
    out("%s.repeat" % name, ws.print_title_rows)
    out("%s.footer" % name, ws.oddFooter.right.text or "")
    out("%s.freeze" % name, ws.freeze_panes)
    out("%s.autofilter" % name, ws.auto_filter.ref)


def list_xlsx(path):
    wb = openpyxl.load_workbook(path)
    out("sheets", ",".join(wb.sheetnames))
    ws = wb["错峰生产清单"]
    out("title", ws["A1"].value)
    h = header_row(ws)
    out("header_row", h)
    for r in range(2, h):
        out("fact", ws.cell(r, 1).value)
    header = [c.value for c in ws[h]]
    out("header", ",".join(str(x) for x in header))
    print_settings(ws, "list")
    widths = [ws.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
              for i in range(len(header))]
    if any(w is None or w < 4 for w in widths):
        fail("a column of the list has no width: %s" % widths)
    col = {name: i for i, name in enumerate(header)}
    entries = 0
    red = [0.0] * 4
    english = 0
    wrapped = True
    seen = set()
    for row in ws.iter_rows(min_row=h + 1):
        if not isinstance(row[0].value, int):
            continue
        entries += 1
        for name in ("错峰措施（采暖季）", "黄色预警", "橙色预警", "红色预警", "运输管控"):
            v = row[col[name]].value or ""
            if re.search(r"[A-Za-z]", v):
                english += 1
        if not row[col["错峰措施（采暖季）"]].alignment.wrap_text:
            wrapped = False
        for p, name in enumerate(("红色预警颗粒物减排量（吨）", "红色预警二氧化硫减排量（吨）",
                                  "红色预警氮氧化物减排量（吨）", "红色预警挥发性有机物减排量（吨）")):
            v = row[col[name]].value
            if v is not None:
                red[p] += v
        if entries == 1:
            out("first.enterprise", row[col["企业名称"]].value)
            out("first.township", row[col["区/镇乡"]].value)
            out("first.season", row[col["错峰措施（采暖季）"]].value)
        if "format" not in seen and row[col["颗粒物年排放量（吨）"]].value is not None:
            seen.add("format")
            out("first.format", row[col["颗粒物年排放量（吨）"]].number_format)
    out("entries", entries)
    out("measures_with_latin_letters", english)
    out("measures_wrapped", wrapped)
    # The signature block below the entries.
    tail = " ".join(str(c.value) for row in ws.iter_rows(min_row=ws.max_row - 6) for c in row
                    if c.value)
    out("signature", "盖章" in tail and "负责人" in tail)

    proof = wb["减排核算"]
    ph = header_row(proof, "预警级别")
    print_settings(proof, "proof")
    cuts = {}
    for row in proof.iter_rows(min_row=ph + 1):
        if row[0].value in ("黄色预警", "橙色预警", "红色预警"):
            cuts[(row[0].value, row[1].value)] = row[3].value
            out("proof.%s.%s" % (row[0].value, row[1].value), "%.3f" % row[3].value)
        if row[4].value is not None and row[0].value in ("黄色预警", "橙色预警", "红色预警"):
            if proof.cell(row[4].row, 5).number_format != "0.0":
                fail("减排比例 is not formatted 0.0")

    detail = wb["减排明细"]
    dh = header_row(detail, "清单序号")
    dheader = [c.value for c in detail[dh]]
    sums = [0.0] * (len(dheader))
    counted = 0
    total_row = None
    for row in detail.iter_rows(min_row=dh + 1):
        if row[1].value == "合计":
            total_row = row
            continue
        if isinstance(row[0].value, int):
            counted += 1
            for i in range(7, len(dheader)):
                sums[i] += row[i].value or 0
    out("detail.counted", counted)
    checked = 0
    for i in range(7, len(dheader)):
        m = re.match(r"(.色预警)(.+)减排量（吨）", dheader[i])
        level, pollutant = m.group(1), m.group(2)
        expected = cuts.get((level, pollutant))
        if expected is None:
            fail("减排核算 has no %s %s" % (level, pollutant))
            continue
        if abs(round(sums[i], 3) - expected) > 0.0015:
            fail("减排明细 %s: entries add up to %.6f, 减排核算 says %.3f" %
                 (dheader[i], sums[i], expected))
        if total_row is not None and abs(total_row[i].value - expected) > 0.0005:
            fail("减排明细 合计 %s is %s, 减排核算 says %s" % (dheader[i], total_row[i].value, expected))
        checked += 1
    # The list sheet's red-alert cut per entry adds up to the same.
    for p, pollutant in enumerate(("颗粒物", "二氧化硫", "氮氧化物", "挥发性有机物")):
        expected = cuts.get(("红色预警", pollutant))
        if expected is not None and abs(round(red[p], 3) - expected) > 0.0015:
            fail("list sheet red cut %s adds up to %.6f, 减排核算 says %.3f" % (pollutant, red[p], expected))
    out("cut_totals_checked", checked)

    plans = [n for n in wb.sheetnames if n not in ("错峰生产清单", "减排核算", "减排明细")]
    out("plan_sheets", len(plans))
    if plans:
        plan_sheet(wb[plans[0]], "plan")


def plan_sheet(ws, name):
    out("%s.name" % name, ws.title)
    out("%s.title" % name, ws["A1"].value)
    h = header_row(ws)
    out("%s.header" % name, ",".join(str(c.value) for c in ws[h]))
    for r in range(2, h):
        out("%s.fact" % name, ws.cell(r, 1).value)
    print_settings(ws, name)
    text = " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    out("%s.publicity" % name, "公示" in text)


def plan_xlsx(path):
    wb = openpyxl.load_workbook(path)
    out("sheets", ",".join(wb.sheetnames))
    plan_sheet(wb[wb.sheetnames[0]], "plan")


def case_xlsx(path):
    wb = openpyxl.load_workbook(path)
    out("sheets", ",".join(wb.sheetnames))
    ws = wb[wb.sheetnames[0]]
    out("title", ws["A1"].value)
    for row in ws.iter_rows(min_row=3):
        if row[0].value:
            out("row.%s" % row[0].value, row[1].value)


def overview_xlsx(path):
    wb = openpyxl.load_workbook(path)
    out("sheets", ",".join(wb.sheetnames))
    for name in wb.sheetnames:
        ws = wb[name]
        out("%s.title" % name, ws["A1"].value)
        out("%s.facts" % name, ws["A2"].value)
        header = [c.value for c in ws[4]]
        out("%s.header" % name, ",".join(str(h) for h in header))
        for row in ws.iter_rows(min_row=5):
            if row[0].value:
                for h, c in zip(header, row):
                    out("%s.%s.%s" % (name, row[0].value, h), "" if c.value is None else c.value)
        print_settings(ws, name)


def pdf(path):
    text = subprocess.run(["pdftotext", "-layout", path, "-"], check=True,
                          capture_output=True).stdout.decode("utf-8")
    info = subprocess.run(["pdfinfo", path], check=True, capture_output=True).stdout.decode()
    for line in info.splitlines():
        if line.startswith(("Pages:", "Page size:")):
            out(line.split(":")[0].lower().replace(" ", "_"), line.split(":", 1)[1].strip())
    out("text", text.replace("\f", "\n"))
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-gray", path,
                        os.path.join(d, "p")], check=True)
        page = [f for f in os.listdir(d) if f.endswith(".pgm")][0]
        data = open(os.path.join(d, page), "rb").read()
        # Binary PGM: P5 <w> <h> <max> then w*h bytes.
        parts = data.split(maxsplit=4)
        w, h = int(parts[1]), int(parts[2])
        pixels = parts[4][:w * h]
        dark = sum(1 for b in pixels if b < 160)
        out("page1_pixels", w * h)
        out("page1_dark_permille", dark * 1000 // (w * h))


def registry_xlsx(path):
    wb = openpyxl.load_workbook(path)
    out("sheets", ",".join(wb.sheetnames))
    out("hidden", ",".join(ws.title for ws in wb.worksheets if ws.sheet_state != "visible"))
    ws = wb["企业"]
    header = [c.value for c in ws[1]]
    out("enterprises.header", ",".join(str(h) for h in header))
    out("enterprises.rows", ws.max_row - 1)
    out("enterprises.validations", len(ws.data_validations.dataValidation))
    out("enterprises.freeze", ws.freeze_panes)
    values = {}
    for i, h in enumerate(header):
        values[h] = set(str(row[i].value) for row in ws.iter_rows(min_row=2) if row[i].value is not None)
    for h in ("行业类别", "排污许可证状态", "稳定达标", "绩效分级"):
        if h in values:
            out("enterprises.%s" % h, ",".join(sorted(values[h])))


def cells(path):
    """Every cell of every sheet, for comparing two workbooks."""
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value is not None:
                    print("%s!%s\t%s" % (ws.title, c.coordinate, c.value))


def rename_sheet(path, target, old, new):
    wb = openpyxl.load_workbook(path)
    wb[old].title = new
    wb.save(target)


def set_cell(path, target, sheet, cell, value):
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = value
    wb.save(target)


kind, path = sys.argv[1], sys.argv[2]
if kind == "rename-sheet":
    rename_sheet(path, *sys.argv[3:6])
elif kind == "set-cell":
    set_cell(path, *sys.argv[3:7])
else:
    {"list-xlsx": list_xlsx, "plan-xlsx": plan_xlsx, "case-xlsx": case_xlsx, "pdf": pdf,
     "registry-xlsx": registry_xlsx, "cells": cells, "overview-xlsx": overview_xlsx}[kind](path)
sys.exit(1 if failures else 0)
