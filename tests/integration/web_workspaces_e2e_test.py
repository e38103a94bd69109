#!/usr/bin/python3
"""web_workspaces_e2e_test: the bureau's, the city's and the verifier's workspaces.

Starts a PostgreSQL-backed cuofeng-server (replay clock) and cuofeng-web and
drives the pages in Debian's headless Chromium at 1366x768 with Selenium.
The journeys, each over the real gateway and server:

 1. the bureau (蓟州区) signs in and lands on its registry; uploads a registry
    workbook (XLSX) with one bad cell: the dry run names the sheet, row,
    column letter and header of that cell and writes nothing; uploads the
    corrected workbook: the dry run passes, the import writes; the registry
    table filters (industry 铸造) and pages; an enterprise's detail shows its
    lines, processes, equipment and meters;
 2. the bureau generates a list: the target proof per level and pollutant as
    a table and a chart; an entry's explanation opens; the list is submitted
    and the filing history shows it waiting for the city; the list renders as
    an XLSX document through the gateway;
 3. access: the same bureau opens another district's (宁河区) registry, an
    enterprise of it and its lists by URL (each page shows the refusal), and
    sends hand-made JSON calls and an import for that district (403, or its
    own district's data only);
 4. the city sees every district (蓟州区 submitted, 宁河区 not), acknowledges
    the filing, previews an orange alert (how many enterprises, which
    obligations change) and issues it;
 5. the season's data arrive (server clock moved to 5 December); the
    verifier runs verification over the period, sees the run's counts and the
    coverage list, opens a finding with its evidence chart and confirms it
    with a comment (an empty comment is refused);
 6. the city's overview counts the district's findings, and the alert's
    daily summary lists who is bound and that day's findings;
 7. the district's map places every enterprise on its registered coordinates
    (the bureau of another district is refused it by URL).
Screenshots of every page go to CUOFENG_TEST_OUTPUT (default:
build/test-output/web_workspaces_e2e_test).
"""
import csv
import os
import shutil
import sys
import tempfile
import time
import zipfile
from xml.sax.saxutils import escape

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
from web_support import (BIN, CLOCK_FILING, CLOCK_TODAY, SRC, ADMIN_DSN, WAIT, Backend, Browser, Http, check,
                         report, run, violations)

OUT = os.environ.get("CUOFENG_TEST_OUTPUT",
                     os.path.join(BIN, "..", "test-output", "web_workspaces_e2e_test"))
DISTRICT = "districts/120119"
OTHER = "districts/120221"
# The registry template's sheets, as the bureau's workbook names them.
SHEETS = [("townships", "镇乡"), ("enterprises", "企业"), ("lines", "生产线"), ("processes", "工序"),
          ("equipment", "设备"), ("meters", "电表"), ("cameras", "摄像头"), ("vehicles", "车辆"),
          ("retrofit_tasks", "整改任务"), ("emission_totals", "排放总量"),
          ("whitelist_entries", "车辆白名单"), ("monitoring_points", "排放口"),
          ("production_ledgers", "生产台账")]

def column_letter(n):
    s = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def write_xlsx(path, sheets):
    """A minimal workbook (inline strings), as Excel would save the template:
    sheets is [(name, rows)] with rows lists of cell texts."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml",
                   '<?xml version="1.0" encoding="UTF-8"?>'
                   '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   + "".join('<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/'
                             'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' % (i + 1)
                             for i in range(len(sheets))) + "</Types>")
        z.writestr("_rels/.rels",
                   '<?xml version="1.0" encoding="UTF-8"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                   'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml",
                   '<?xml version="1.0" encoding="UTF-8"?>'
                   '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                   'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
                   + "".join('<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (escape(n), i + 1, i + 1)
                             for i, (n, _) in enumerate(sheets)) + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<?xml version="1.0" encoding="UTF-8"?>'
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   + "".join('<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/'
                             '2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>' % (i + 1, i + 1)
                             for i in range(len(sheets))) + "</Relationships>")
        for i, (_, rows) in enumerate(sheets):
            xml = ['<?xml version="1.0" encoding="UTF-8"?>'
                   '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
            for r, row in enumerate(rows, 1):
                xml.append('<row r="%d">' % r)
                for c, text in enumerate(row, 1):
                    if text != "":
                        xml.append('<c r="%s%d" t="inlineStr"><is><t>%s</t></is></c>'
                                   % (column_letter(c), r, escape(text)))
                xml.append("</row>")
            xml.append("</sheetData></worksheet>")
            z.writestr("xl/worksheets/sheet%d.xml" % (i + 1), "".join(xml))


USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc(first17):
    """A 统一社会信用代码 with its GB 32100-2015 check character."""
    total = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return first17 + USCC_CHARS[(31 - total % 31) % 31]


def respell_uscc(path, district_code):
    """The generator's codes are the same in every district: give this one its own."""
    with open(path, encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    col = rows[0].index("统一社会信用代码")
    for row in rows[1:]:
        row[col] = uscc(row[col][:2] + district_code + row[col][8:17])
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)


def workbook_from(folder, path, change=None):
    """The generator's CSV folder as the bureau's workbook; change(sheet, rows) may spoil a cell."""
    sheets = []
    for stem, name in SHEETS:
        f = os.path.join(folder, stem + ".csv")
        if not os.path.exists(f):
            continue
        with open(f, encoding="utf-8-sig") as fh:
            rows = [r for r in csv.reader(fh)]
        if change:
            change(name, rows)
        sheets.append((name, rows))
    write_xlsx(path, sheets)


def main():
    if not ADMIN_DSN:
        print("CUOFENG_TEST_DSN is not set: run through tools/test")
        return 1
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".png"):
            os.remove(os.path.join(OUT, old))
    tmp = tempfile.mkdtemp(prefix="cuofeng-web-ws.")
    backend = None
    browser = None
    driver = None
    began = time.time()
    try:
        backend = Backend("t_webws_%d" % os.getpid(), OUT)
        addr, admin, as_, key = backend.addr, backend.admin, backend.as_, backend.key

        # Before the season: two districts, keys, the rule set and the season.
        backend.start_server(CLOCK_FILING)
        as_(admin, "district", "create", "120119", "--name=蓟州区", "--city=天津市")
        as_(admin, "district", "create", "120221", "--name=宁河区", "--city=天津市")

        bureau = key("bureau", DISTRICT, "蓟州区工信委")
        other_bureau = key("bureau", OTHER, "宁河区工信委")
        platform = key("service", "", "分表计电平台")
        run([os.path.join(BIN, "cuofeng-gen"), "--out=" + tmp + "/registry", "--enterprises=90",
             "--equipment=270", "--chinese_headers"])
        run([os.path.join(BIN, "cuofeng-gen"), "--out=" + tmp + "/other", "--enterprises=4",
             "--equipment=8", "--chinese_headers", "--seed=7"])
        respell_uscc(tmp + "/other/enterprises.csv", "120221")
        as_(other_bureau, "import", "registry", tmp + "/other", "--district=" + OTHER)
        as_(bureau, "ruleset", "load", SRC + "/tools/rulesets/jizhou-2018.textproto", "--id=jizhou-2018")
        as_(bureau, "season", "create", "--district=" + DISTRICT, "--id=2018-2019", "--start=2018-11-15",
            "--end=2019-03-15", "--filing_deadline=2018-10-31")

        # The bureau's workbook, once with a bad 统一社会信用代码 in the second enterprise.
        bad_cell = {}

        def spoil(sheet, rows):
            if sheet == "企业":
                col = rows[0].index("统一社会信用代码")
                rows[2][col] = "91120119MA000000XX"
                bad_cell.update(row=3, column=column_letter(col + 1))

        workbook_from(tmp + "/registry", tmp + "/名录-有错.xlsx", spoil)
        workbook_from(tmp + "/registry", tmp + "/名录.xlsx")
        # Later: the fourth enterprise turns out to be of the restricted class (限制类).
        changed = {}

        def restrict(sheet, rows):
            if sheet == "企业":
                rows[4][rows[0].index("限制类")] = "true"
                changed["name"] = rows[4][rows[0].index("名称")]

        workbook_from(tmp + "/registry", tmp + "/名录-更正.xlsx", restrict)

        account = os.path.join(BIN, "cuofeng-web-account")
        for username, role, scope in (("jz-bureau", "bureau", DISTRICT), ("jz-verifier", "verifier", DISTRICT),
                                      ("tj-city", "city", "")):
            run([account, "--server=" + addr, "--key=" + admin, "--username=" + username, "--role=" + role,
                 "--scope=" + scope, "--password=chushi-mima-" + username, "--name=" + username])
        web_port, base = backend.start_gateway()
        browser = Browser(tmp, OUT, 1366, 768, tmp + "/downloads")
        driver, wait = browser.driver, browser.wait
        shot, find, all_of, text_of = browser.shot, browser.find, browser.all_of, browser.text_of
        typing, choose, click = browser.typing, browser.choose, browser.click

        def upload(paths):
            # A file input with `multiple` keeps what chromedriver gave it before: empty it first.
            el = find("import-file")
            el.clear()
            el.send_keys(paths)

        def login(username, password, new_password=None):
            driver.delete_all_cookies()
            driver.get(base + "/#/login")
            typing("username", username)
            typing("password", password)
            find("login").click()
            if new_password:
                find("new-password")
                typing("new-password", new_password)
                typing("new-password2", new_password)
                find("change").click()
            wait.until(lambda d: "/login" not in d.current_url)

        def api():
            h = Http(web_port, browser.cookie())
            status, body, _ = h.request("GET", "/api/session")
            h.csrf = body.get("csrfToken", "")
            return h

        # 1. The bureau: registry import with a bad cell, then the good workbook.
        login("jz-bureau", "chushi-mima-jz-bureau", "xin-mima-jz-bureau-2018")
        check(driver.current_url.endswith("/#/" + DISTRICT + "/registry"),
              "the bureau lands on its registry: " + driver.current_url)
        find("enterprises")
        shot("01-bureau-registry-empty")
        upload(tmp + "/名录-有错.xlsx")
        click("import-dry-run")
        errors = find("import-errors")
        result = text_of("import-result")
        cells = errors.text
        check("未通过" in result and "未写入" in result, "the dry run of the bad workbook fails: " + result)
        check("企业" in cells and str(bad_cell["row"]) in cells and bad_cell["column"] + "（统一社会信用代码）" in cells,
              "the bad cell is named 企业, row %d, column %s（统一社会信用代码）: %s"
              % (bad_cell["row"], bad_cell["column"], cells.replace("\n", " / ")[:300]))
        shot("02-bureau-import-bad-cell", full=True)
        status, body, _ = api().call("RegistryService", "ListEnterprises", {"parent": DISTRICT})
        check(status == 200 and not body.get("enterprises"), "the failed dry run wrote nothing")

        upload(tmp + "/名录.xlsx")
        click("import-dry-run")
        wait.until(lambda d: "试导入通过" in d.find_element(By.CSS_SELECTOR, '[data-test="import-result"]').text)
        check(True, "the corrected workbook passes the dry run: " + text_of("import-result"))
        click("import-run")
        wait.until(lambda d: "导入完成" in d.find_element(By.CSS_SELECTOR, '[data-test="import-result"]').text)
        check("新增" in text_of("import-result"), "the import writes: " + text_of("import-result"))
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-test="enterprise-link"]')) > 0)
        # The same registry as the CSV template's files: the dry run finds nothing to change.
        csvs = sorted(os.path.join(tmp, "registry", f) for f in os.listdir(tmp + "/registry") if f.endswith(".csv"))
        upload("\n".join(csvs))
        click("import-dry-run")
        wait.until(lambda d: "试导入通过" in d.find_element(By.CSS_SELECTOR, '[data-test="import-result"]').text)
        check("新增 0、更新 0" in text_of("import-result"),
              "the CSV template's %d files pass the dry run unchanged: %s" % (len(csvs), text_of("import-result")))
        first_page = len(all_of("enterprise-link"))
        check(first_page == 20, "the registry table shows a page of 20 enterprises: %d" % first_page)
        choose("filter-industry", "铸造")
        time.sleep(1)
        foundries = [e.text for e in all_of("enterprise-link")]
        check(foundries and all("铸造" in t for t in foundries),
              "the industry filter (铸造) keeps only foundries: %d" % len(foundries))
        typing("search", "蓟州区")
        click("do-search")
        time.sleep(1)
        shot("03-bureau-registry-filtered")
        all_of("enterprise-link")[0].click()
        detail = find("enterprise-detail")
        check("信用代码" in detail.text, "an enterprise's detail opens")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-test="equipment"] tbody tr'))
        check(len(all_of("line")) > 0, "its lines, processes and equipment are shown with meters")
        shot("04-bureau-enterprise-detail", full=True)

        # 2. Generate, prove, explain, submit.
        click("nav-lists")
        wait.until(lambda d: "2018-2019" in d.find_element(By.CSS_SELECTOR, '[data-test="season"]').text)
        season_text = text_of("season")
        check("当前" in season_text, "the season select offers the district's seasons (ListSeasons) and picks the "
              "one in force: " + season_text)
        click("generate")
        find("version-detail")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-test="entries"] tbody tr'))
        proof = text_of("proof")
        check("颗粒物" in proof and ("达到" in proof or "差" in proof), "the target proof is a table per level and pollutant")
        check(find("proof-chart").size["height"] > 100, "the target proof is drawn as a chart")
        shot("05-bureau-list-generated", full=True)
        all_of("explain-entry")[0].click()
        wait.until(lambda d: len(d.find_element(By.CSS_SELECTOR, '[data-test="entry-explanation"]').text) > 10)
        explanation = text_of("entry-explanation")
        check("…" != explanation and len(explanation) > 10, "an entry's explanation opens: " + explanation[:120].replace("\n", " / "))
        shot("06-bureau-entry-explained")
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        time.sleep(0.5)
        click("submit")
        wait.until(lambda d: "已报送" in d.find_element(By.CSS_SELECTOR, '[data-test="lists-message"]').text)
        wait.until(lambda d: "待确认" in d.find_element(By.CSS_SELECTOR, '[data-test="filings"]').text)
        check(True, "the list is submitted and the filing history shows it waiting: " + text_of("lists-message"))
        shot("07-bureau-submitted", full=True)
        h = api()
        status, versions, _ = h.call("PlanningService", "ListListVersions", {"parent": DISTRICT})
        list_name = versions["listVersions"][0]["name"]
        status, doc, _ = h.call("DocumentService", "RenderList", {"list": list_name, "format": "XLSX"})
        check(status == 200 and doc.get("content") and doc.get("fileName", "").endswith(".xlsx"),
              "the list renders as an XLSX document through the gateway: %d %s" % (status, doc.get("fileName")))
        # ListSeasons pages with our tokens and names the season in force.
        status, _, _ = h.call("PlanningService", "CreateSeason", {
            "parent": DISTRICT, "seasonId": "2019-2020",
            "season": {"start": "2019-11-15", "end": "2020-03-15", "filingDeadline": "2019-10-31"}})
        status, page1, _ = h.call("PlanningService", "ListSeasons", {"parent": DISTRICT, "pageSize": 1})
        status2, page2, _ = h.call("PlanningService", "ListSeasons",
                                   {"parent": DISTRICT, "pageSize": 1, "pageToken": page1.get("nextPageToken", "")})
        check(status == 200 and [x["name"] for x in page1.get("seasons", [])] == [DISTRICT + "/seasons/2018-2019"]
              and page1.get("inForce") == DISTRICT + "/seasons/2018-2019" and page1.get("nextPageToken")
              and status2 == 200 and [x["name"] for x in page2.get("seasons", [])] == [DISTRICT + "/seasons/2019-2020"]
              and not page2.get("nextPageToken"),
              "ListSeasons pages (1 + 1) and names 2018-2019 in force: %d %s / %s" % (status, page1, page2))
        status, answer, _ = h.call("PlanningService", "ListSeasons", {"parent": "districts/x"})
        check(status == 400 and "parent" in violations(answer), "ListSeasons of a bad parent is 400 naming it: %d" % status)

        # 3. Another district, by URL and by hand-made JSON.
        for path in ("/registry", "/registry/e10000", "/lists", "/verification", "/map"):
            driver.get(base + "/#/" + OTHER + path)
            refused = find("refused")
            check("无权访问：" in refused.text, "the bureau of 蓟州区 is refused %s%s, the server's reason after a "
                  "Chinese lead: %s" % (OTHER, path, refused.text.replace("\n", " ")[:100]))
            if path == "/registry":
                shot("08-bureau-other-district-refused")
        h = api()
        for service, method, body in (
                ("RegistryService", "ListEnterprises", {"parent": OTHER}),
                ("RegistryService", "GetEnterprise", {"name": OTHER + "/enterprises/e10000"}),
                ("RegistryService", "GetDistrict", {"name": OTHER}),
                ("PlanningService", "ListListVersions", {"parent": OTHER}),
                ("PlanningService", "ListSeasons", {"parent": OTHER}),
                ("ComplianceService", "ListVerificationRuns", {"parent": OTHER}),
                ("DocumentService", "RenderRegistryWorkbook", {"district": OTHER}),
                ("PlanningService", "GenerateList", {"parent": OTHER, "season": OTHER + "/seasons/2018-2019",
                                                     "ruleSet": "ruleSets/jizhou-2018", "requestId": "x1"})):
            status, answer, _ = h.call(service, method, body)
            check(status in (403, 404), "%s/%s for 宁河区: %d %s" % (service, method, status,
                                                                    answer.get("error", {}).get("status")))
        status, answer, _ = h.call("RegistryService", "ListEnterprises", {"parent": "districts/-"})
        names = [e["name"] for e in answer.get("enterprises", [])]
        check(status == 403 or (names and all(n.startswith(DISTRICT + "/") for n in names)),
              "ListEnterprises of every district gives only 蓟州区's: %d (%d)" % (status, len(names)))
        status, answer, _ = h.call("FilingService", "ListFilings", {"parent": "districts/-"})
        lists = [f["list"] for f in answer.get("filings", [])]
        check(status == 403 or all(n.startswith(DISTRICT + "/") for n in lists),
              "ListFilings of every district gives only 蓟州区's: %d" % status)
        with open(tmp + "/名录.xlsx", "rb") as fh:
            status, answer, _ = h.request("POST", "/api/import/registry?district=%s&validateOnly=true&requestId=x2" % OTHER,
                                       raw=fh.read(), content_type="application/octet-stream")
        check(status == 403, "an import into 宁河区 is refused: %d %s" % (status, answer.get("error", {}).get("message", "")[:80]))
        status, answer, _ = h.request("POST", "/api/import/registry?district=%s&validateOnly=true" % DISTRICT,
                                   raw=b"not a workbook", content_type="application/octet-stream")
        check(status == 400, "an upload that is not a workbook is 400: %d %s"
              % (status, answer.get("error", {}).get("message", "")[:80]))
        boundary = "cuofeng-test-boundary"
        form = ("--%s\r\nContent-Disposition: form-data; name=\"files\"; filename=\"notes.csv\"\r\n"
                "Content-Type: text/csv\r\n\r\na,b\r\n1,2\r\n--%s--\r\n" % (boundary, boundary)).encode()
        status, answer, _ = h.request("POST", "/api/import/registry?district=%s&validateOnly=true" % DISTRICT, raw=form,
                                   content_type="multipart/form-data; boundary=" + boundary)
        fields = [v["field"] for d in answer.get("error", {}).get("details", []) for v in d.get("fieldViolations", [])]
        check(status == 400 and "notes.csv" in fields, "a CSV file that is no template kind is named: %d %s" % (status, fields))
        h.csrf = ""
        status, _, _ = h.request("POST", "/api/import/registry?district=%s&validateOnly=true" % DISTRICT, raw=b"x")
        check(status == 403, "an upload without the CSRF token is refused: %d" % status)
        find("logout").click()
        find("login")

        # 4. The city: overview, acknowledge, alert preview and issue.
        login("tj-city", "chushi-mima-tj-city", "xin-mima-tj-city-2018")
        check(driver.current_url.endswith("/#/city"), "the city lands on its overview: " + driver.current_url)
        overview = find("overview")
        wait.until(lambda d: "待确认" in d.find_element(By.CSS_SELECTOR, '[data-test="overview"]').text)
        check("蓟州区" in overview.text and "宁河区" in overview.text and "未报送" in overview.text,
              "the overview lists every district (宁河区 未报送)")
        shot("09-city-overview")
        click("acknowledge")
        wait.until(lambda d: "已确认" in d.find_element(By.CSS_SELECTOR, '[data-test="ack-message"]').text)
        wait.until(lambda d: "已备案" in d.find_element(By.CSS_SELECTOR, '[data-test="overview"]').text)
        check(True, "the city acknowledges 蓟州区's filing: " + text_of("ack-message"))
        choose("alert-level", "橙色预警")
        choose("alert-districts", "蓟州区")
        # An end before the start: the server's field violation, under a Chinese lead.
        typing("alert-start", "2018-12-04 00:00")
        typing("alert-end", "2018-12-01 00:00")
        click("preview")
        wait.until(lambda d: "输入有误" in d.find_element(By.CSS_SELECTOR, '[data-test="alert-message"]').text)
        message = text_of("alert-message")
        check("字段 issue.alert.end_time" in message, "a refused preview leads with 输入有误 and lists the field: "
              + message.replace("\n", " / "))
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", find("alert-message"))
        shot("09b-city-preview-refused")
        typing("alert-start", "2018-12-01 00:00")
        typing("alert-end", "2018-12-04 00:00")
        typing("alert-document", "津重污染指〔2018〕7号")
        click("preview")
        summary = find("preview-result").text
        rows = driver.find_elements(By.CSS_SELECTOR, '[data-test="preview-table"] tbody tr')
        check("家企业" in summary and "项要求将改变" in summary and len(rows) > 0,
              "the preview says how many enterprises and which obligations change: %s (%d rows)"
              % (summary.split("\n")[0], len(rows)))
        shot("10-city-alert-preview", full=True)
        click("send")
        wait.until(lambda d: "已发布" in d.find_element(By.CSS_SELECTOR, '[data-test="alert-message"]').text)
        wait.until(lambda d: "7号" in d.find_element(By.CSS_SELECTOR, '[data-test="alerts"]').text)
        check(True, "the alert is issued and listed: " + text_of("alert-message"))
        shot("11-city-alert-issued")
        # A red alert over it, 2–6 December: the server's preview says what binds
        # before at each time (the orange until the 4th, the season after).
        choose("alert-level", "红色预警")
        typing("alert-start", "2018-12-02 00:00")
        typing("alert-end", "2018-12-06 00:00")
        typing("alert-document", "津重污染指〔2018〕8号")
        click("preview")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-test="preview-table"] tbody tr'))
        table = text_of("preview-table")
        check("橙色预警" in table and ("错峰季" in table or "无要求" in table) and "红色预警" in table,
              "the red alert's preview shows the orange binding before it until the 4th and the season after: "
              + table[:240].replace("\n", " / "))
        shot("11a-city-preview-over-orange", full=True)
        find("logout").click()
        find("login")

        # The bureau corrects the registry, generates again, compares and amends with a reason.
        login("jz-bureau", "xin-mima-jz-bureau-2018")
        upload(tmp + "/名录-更正.xlsx")
        click("import-dry-run")
        wait.until(lambda d: "试导入通过" in d.find_element(By.CSS_SELECTOR, '[data-test="import-result"]').text)
        click("import-run")
        wait.until(lambda d: "导入完成" in d.find_element(By.CSS_SELECTOR, '[data-test="import-result"]').text)
        check("更新 1" in text_of("import-result"), "the corrected workbook updates one enterprise: " + text_of("import-result"))
        click("nav-lists")
        find("versions")
        click("generate")
        wait.until(lambda d: "v2" in d.find_element(By.CSS_SELECTOR, '[data-test="version-detail"]').text)
        choose("diff-base", "2018-2019-v1")
        click("diff")
        diff = find("diff-table").text
        check(changed["name"] in diff, "the diff of v1 and v2 names the plant (%s): %s"
              % (changed["name"], diff.replace("\n", " / ")[:200]))
        shot("11b-bureau-diff", full=True)
        click("amend")
        typing("amend-reason", "核实该企业属《产业结构调整指导目录》限制类，更正名录后重新生成。")
        click("amend-submit")
        wait.until(lambda d: "已报送修订" in d.find_element(By.CSS_SELECTOR, '[data-test="lists-message"]').text)
        check(True, "the amendment is submitted with its reason: " + text_of("lists-message"))
        wait.until(lambda d: "限制类" in d.find_element(By.CSS_SELECTOR, '[data-test="filings"]').text)
        check(True, "the filing history shows the amendment and its reason")
        shot("11c-bureau-amended", full=True)
        find("logout").click()
        find("login")
        login("tj-city", "xin-mima-tj-city-2018")
        wait.until(lambda d: "修订" in d.find_element(By.CSS_SELECTOR, '[data-test="overview"]').text)
        click("acknowledge")
        wait.until(lambda d: "2018-2019-v2" in d.find_element(By.CSS_SELECTOR, '[data-test="ack-message"]').text)
        check(True, "the city approves the amendment: " + text_of("ack-message"))
        find("logout").click()
        find("login")

        # 5. The season's data; the verifier runs verification and confirms a finding.
        backend.start_server(CLOCK_TODAY)
        run([os.path.join(BIN, "cuofeng-gen"), "season", "--out=" + tmp + "/season", "--district=" + DISTRICT,
             "--key=" + bureau, "--server=" + addr, "--from=2018-10-16 00:00",
             "--season_start=2018-11-15 00:00", "--to=2018-12-05 00:00"])
        for kind in ("readings", "gate", "ledger"):
            if os.path.exists("%s/season/%s.csv" % (tmp, kind)):
                as_(platform, "ingest", kind, "%s/season/%s.csv" % (tmp, kind), ok=False)
        login("jz-verifier", "chushi-mima-jz-verifier", "xin-mima-jz-verifier-2018")
        check(driver.current_url.endswith("/#/" + DISTRICT + "/verification"),
              "the verifier lands on its district's findings: " + driver.current_url)
        wait.until(lambda d: "2018-2019" in d.find_element(By.CSS_SELECTOR, '[data-test="season"]').text)
        run_from = find("run-from")
        if run_from.tag_name != "input":
            run_from = run_from.find_element(By.CSS_SELECTOR, "input")
        check(run_from.get_attribute("value") == "2018-11-15 00:00",
              "the season in force fills the period's start: " + run_from.get_attribute("value"))
        typing("run-from", "2018-11-15 00:00")
        typing("run-to", "2018-12-05 00:00")
        click("run")
        try:
            WebDriverWait(driver, 60).until(
                lambda d: "第" in d.find_element(By.CSS_SELECTOR, '[data-test="run-progress-text"]').text)
            print("progress seen:", text_of("run-progress-text"), flush=True)
            shot("12-verifier-running")
        except Exception:
            pass  # a quick run is over before its progress is read
        WebDriverWait(driver, 300).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, '[data-test="run-result"]'))
        run_text = text_of("run-result")
        check("核查完成" in run_text and "约束时段" in run_text, "the run's counts are shown: " + run_text.split("\n")[0])
        # The run was recorded from its start: its progress and request id.
        h = api()
        status, runs, _ = h.call("ComplianceService", "ListVerificationRuns", {"parent": DISTRICT, "includeRunning": True})
        first = runs.get("runs", [{}])[0]
        status, got, _ = h.call("ComplianceService", "GetVerificationRun", {"name": first.get("name", "")})
        p = got.get("progress", {})
        check(status == 200 and p.get("state") == "SUCCEEDED" and p.get("steps") == 8 and p.get("requestId")
              and p.get("metersDone") == p.get("metersTotal") and p.get("metersTotal", 0) > 0,
              "GetVerificationRun reads the run with its progress: %d %s" % (status, p))
        status, answer, _ = h.call("ComplianceService", "GetVerificationRun", {"name": DISTRICT + "/verificationRuns/x"})
        check(status == 400 and "name" in violations(answer), "a malformed run name is 400 naming it: %d" % status)
        # A second, shorter run; the page lists both and shows the first's coverage list again.
        status, second, _ = h.call("ComplianceService", "RunVerification", {
            "district": DISTRICT, "from": "2018-12-01T00:00:00+08:00", "to": "2018-12-02T00:00:00+08:00",
            "requestId": "second-run"})
        check(status == 200, "a second run over 1 December: %d" % status)
        driver.refresh()
        wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, '[data-test="run-row"]')) >= 2)
        rows = all_of("run-row")
        check(rows[0].text == second["name"].split("/")[-1], "the newest run is listed first: " + rows[0].text)
        rows[1].click()
        wait.until(lambda d: first["name"].split("/")[-1] in d.find_element(By.CSS_SELECTOR, '[data-test="run-result"]').text)
        check(len(first.get("unverified", [])) == 0 or
              len(driver.find_elements(By.CSS_SELECTOR, '[data-test="coverage"] tbody tr')) > 0,
              "a past run shows its own coverage list (%d windows not verified)" % len(first.get("unverified", [])))
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-test="finding-row"]'))
        shot("13-verifier-run-and-queue", full=True)
        click("baselines-toggle")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-test="baselines"] tbody tr'))
        check(True, "the production meters' baselines are listed (%d)"
              % len(driver.find_elements(By.CSS_SELECTOR, '[data-test="baselines"] tbody tr')))
        choose("filter-status", "待核实")
        time.sleep(1)
        wanted = None
        for t in ("未落实停产", "超出限产要求", "治污设施未运行"):
            rows = [r for r in all_of("finding-row") if r.text == t]
            if rows:
                wanted = rows[0]
                break
        (wanted or all_of("finding-row")[0]).click()
        find("finding")
        try:
            WebDriverWait(driver, 10).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, '[data-test="evidence-chart"] canvas'))
            check(True, "the finding's evidence chart is drawn")
        except Exception:
            check(bool(all_of("no-chart")), "the finding shows its evidence (no load curve for its type)")
        time.sleep(0.5)
        shot("14-verifier-finding-chart", full=True)
        finding_url = driver.current_url
        h = api()
        name = "districts/%s/enterprises/%s/findings/%s" % tuple(
            finding_url.split("/verification/")[0].split("/")[-1:] + finding_url.split("/verification/")[1].split("/"))
        status, answer, _ = h.call("ComplianceService", "ReviewFinding",
                                {"name": name, "decision": "CONFIRM", "comment": "", "requestId": "x3"})
        check(status == 400, "confirming without a comment is refused: %d" % status)
        check(not find("confirm").is_enabled(), "the confirm button waits for a comment")
        typing("review-comment", "负荷曲线显示约束时段内未停产，证据充分。")
        click("confirm")
        wait.until(lambda d: "已确认" in d.find_element(By.CSS_SELECTOR, '[data-test="finding-status"]').text)
        check(True, "the verifier confirms the finding with a comment")
        shot("15-verifier-confirmed")
        status, answer, _ = h.call("ComplianceService", "GetFinding", {"name": name})
        check(answer.get("status") == "CONFIRMED" and "证据充分" in answer.get("reviewComment", ""),
              "the confirmation and its comment are stored")
        find("logout").click()
        find("login")

        # 6. The city's daily summary during the alert, and findings across districts.
        login("tj-city", "xin-mima-tj-city-2018")
        find("overview")
        wait.until(lambda d: "已确认 1" in d.find_element(By.CSS_SELECTOR, '[data-test="overview"]').text)
        check(True, "the overview counts 蓟州区's open and confirmed findings")
        click("daily")
        wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-test="daily-table"] tbody tr'))
        daily = text_of("daily-table")
        check("蓟州区" in daily, "the alert's daily summary lists the district: " + daily.replace("\n", " / ")[:160])
        shot("16-city-daily-summary")
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
        time.sleep(0.5)

        # 7. The district's map: every plant on its registered coordinates.
        all_of("open-map")[0].click()
        wait.until(lambda d: "家企业上图" in d.find_element(By.CSS_SELECTOR, '[data-test="map-summary"]').text)
        summary = text_of("map-summary")
        check(summary.startswith("90 家企业上图"), "the map places every enterprise: " + summary)
        check(bool(driver.find_elements(By.CSS_SELECTOR, '[data-test="map-chart"] canvas')), "the map is drawn")
        time.sleep(1)
        shot("17-city-map")
        find("map-mode").find_elements(By.CSS_SELECTOR, "label")[1].click()
        time.sleep(1)
        shot("18-city-map-findings")
    except Exception:
        if driver is not None:
            driver.save_screenshot(os.path.join(OUT, "99-failure.png"))
            print("failed at", driver.current_url, flush=True)
        raise
    finally:
        if browser is not None:
            browser.quit()
        if backend is not None:
            backend.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("took %.0f s; screenshots in %s" % (time.time() - began, os.path.abspath(OUT)))
    return report()


if __name__ == "__main__":
    sys.exit(main())
