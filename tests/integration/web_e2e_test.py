#!/usr/bin/python3
"""web_e2e_test: the enterprise's page in a real headless Chromium.

Starts a PostgreSQL-backed cuofeng-server (replay clock) and cuofeng-web,
files a list for a generated district, replays its first 20 season days of
data and verifies them, then drives the pages with Selenium (Debian's
chromium and chromium-driver) and the JSON API by hand. What it checks:

 1. login: an account made with an admin key must change its initial
    password at the first login; then the enterprise lands on its own page;
 2. today's obligations: the page shows what binds now (cards with measure
    and reason) and the level banner says 无预警;
 3. live update: the city issues an orange alert with the CLI; within a
    bounded poll the banner turns 橙色预警 over Server-Sent Events (no reload)
    and the alert's 文号 is on the timeline;
 4. a finding: its page opens from the list, shows the evidence (chart when
    the finding has a load curve), and the 异常申报 form stores the text (the
    verifier reads it back with the CLI);
 5. another enterprise: its page, its finding page, and hand-made JSON calls
    (GetEnterprise, GetObligations, ExplainFinding, ListFindings of the
    district, the SSE watch) are refused or narrowed to the caller's own;
 6. the JSON API: gRPC refusals arrive with the right HTTP status and the
    same field violations (400 + field, 401, 403, 404), a change without the
    CSRF token is refused, malformed JSON names the body;
 7. lockout: five wrong passwords lock the account with a Chinese message
    naming the time; the right password is then refused too;
 8. logout ends the session on the server: the old cookie gets 401;
 9. account scope: a bureau key creates an enterprise account in its
    district but not a city account; security headers are on every answer;
10. the admin's own account over the JSON API: the first-login password
    change, unlocking the locked account, rotating a machine key (the old
    one stops, the successor works); an expired session gets 401.
A screenshot of every page goes to CUOFENG_TEST_OUTPUT (default:
build/test-output/web_e2e_test).
"""
import csv
import http.client
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.dont_write_bytecode = True  # no __pycache__ next to the sources
from web_support import (BIN, CLOCK_FILING, CLOCK_TODAY, SRC, ADMIN_DSN, WAIT, Backend, Browser, Http, check,
                         psql, report, run, violations, wait_for)

OUT = os.environ.get("CUOFENG_TEST_OUTPUT", os.path.join(BIN, "..", "test-output", "web_e2e_test"))
DISTRICT = "districts/120119"


def main():
    if not ADMIN_DSN:
        print("CUOFENG_TEST_DSN is not set: run through tools/test")
        return 1
    os.makedirs(OUT, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="cuofeng-web-e2e.")
    backend = None
    browser = None
    try:
        backend = Backend("t_web_%d" % os.getpid(), OUT)
        dsn, addr, admin, as_, key = backend.dsn, backend.addr, backend.admin, backend.as_, backend.key

        # 1. Before the season: registry, list filed, an orange alert for 1-3 December.
        backend.start_server(CLOCK_FILING)
        as_(admin, "district", "create", "120119", "--name=蓟州区", "--city=天津市")

        bureau = key("bureau", DISTRICT, "蓟州区工信委")
        city = key("city", "", "天津市生态环境局")
        verifier = key("verifier", DISTRICT, "蓟州区核查组")
        platform = key("service", "", "分表计电平台")
        run([os.path.join(BIN, "cuofeng-gen"), "--out=" + tmp + "/registry", "--enterprises=90",
             "--equipment=270", "--chinese_headers"])
        as_(bureau, "import", "registry", tmp + "/registry", "--district=" + DISTRICT)
        as_(bureau, "ruleset", "load", SRC + "/tools/rulesets/jizhou-2018.textproto", "--id=jizhou-2018")
        as_(bureau, "season", "create", "--district=" + DISTRICT, "--id=2018-2019", "--start=2018-11-15",
            "--end=2019-03-15", "--filing_deadline=2018-10-31")
        summary = as_(bureau, "list", "generate", "--district=" + DISTRICT,
                      "--season=%s/seasons/2018-2019" % DISTRICT, "--rule_set=ruleSets/jizhou-2018").stdout
        list_name = re.search(r"^清单 (districts/\S+) ", summary, re.M).group(1)
        as_(bureau, "filing", "submit", list_name)
        as_(city, "filing", "acknowledge", list_name)
        as_(city, "alert", "issue", "--level=ORANGE", "--districts=" + DISTRICT,
            "--start_time=2018-12-01T00:00:00+08:00", "--end_time=2018-12-04T00:00:00+08:00",
            "--document=津重污染指〔2018〕7号")
        # 2. 5 December: the data of the first 20 season days, verified.
        backend.start_server(CLOCK_TODAY)
        run([os.path.join(BIN, "cuofeng-gen"), "season", "--out=" + tmp + "/season", "--district=" + DISTRICT,
             "--key=" + bureau, "--server=" + addr, "--from=2018-10-16 00:00",
             "--season_start=2018-11-15 00:00", "--to=2018-12-05 00:00"])
        for kind in ("readings", "gate", "ledger"):
            as_(platform, "ingest", kind, "%s/season/%s.csv" % (tmp, kind), ok=False)
        as_(verifier, "verify", "run", "--district=" + DISTRICT, "--from=2018-11-15 00:00",
            "--to=2018-12-05 00:00")
        rows = list(csv.DictReader(io.StringIO(as_(
            verifier, "findings", "list", "--parent=" + DISTRICT, "--output=csv", "--all", "--quiet").stdout)))
        check(len(rows) > 0, "the verification found something to show (%d findings)" % len(rows))
        name_col = list(rows[0].keys())[0]
        type_col = "type" if "type" in rows[0] else list(rows[0].keys())[1]
        preferred = [r for r in rows if r[type_col] in ("STOP_NOT_KEPT", "LIMIT_EXCEEDED", "TREATMENT_OFF")]
        mine = (preferred or rows)[0][name_col]
        enterprise = mine.split("/findings/")[0]
        others = [r[name_col] for r in rows if not r[name_col].startswith(enterprise + "/")]
        other_finding = others[0] if others else ""
        other_enterprise = (other_finding.split("/findings/")[0] if other_finding
                            else DISTRICT + "/enterprises/" + ("e10002" if not enterprise.endswith("e10002") else "e10003"))
        print("enterprise", enterprise, "finding", mine, "other", other_enterprise, other_finding, flush=True)

        # 3. Accounts (made with keys, as tools/demo does) and the gateway.
        account = os.path.join(BIN, "cuofeng-web-account")

        def make_account(key_, username, role, scope, password, ok=True):
            return run([account, "--server=" + addr, "--key=" + key_, "--username=" + username,
                        "--role=" + role, "--scope=" + scope, "--password=" + password,
                        "--name=" + username], ok=ok)

        make_account(admin, "plant", "enterprise", enterprise, "chushi-mima-1")
        make_account(admin, "lockme", "enterprise", enterprise, "chushi-mima-2")
        r = make_account(bureau, "bureau-made", "enterprise", other_enterprise, "chushi-mima-3", ok=False)
        check(r.returncode == 0, "a bureau key creates an enterprise account in its district")
        r = make_account(bureau, "bureau-city", "city", "", "chushi-mima-4", ok=False)
        check(r.returncode != 0 and "PERMISSION_DENIED" in r.stderr,
              "a bureau key may not create a city account: " + r.stderr.strip())
        r = make_account(admin, "x", "enterprise", enterprise, "short", ok=False)
        check(r.returncode == 2, "a bad username and short password are INVALID_ARGUMENT: " + r.stderr.strip())
        web_port, base = backend.start_gateway()

        # 4. The browser: a phone-sized headless Chromium.
        downloads = os.path.join(tmp, "downloads")
        browser = Browser(tmp, OUT, 412, 1400, downloads)
        driver, wait = browser.driver, browser.wait
        shot, find, typing = browser.shot, browser.find, browser.typing

        driver.get(base + "/#/login")
        typing("username", "plant")
        typing("password", "chushi-mima-1")
        shot("01-login")
        find("login").click()
        find("new-password")
        shot("02-change-password")
        typing("new-password", "xin-mima-2018-plant")
        typing("new-password2", "xin-mima-2018-plant")
        find("change").click()
        level = find("level")
        check("/#/" + enterprise in driver.current_url, "the enterprise lands on its own page: " + driver.current_url)
        check("无预警" in level.text, "today's banner says no alert: " + level.text)
        wait.until(lambda d: "已连接" in d.find_element(By.CSS_SELECTOR, '[data-test="live-status"]').text)
        cards = driver.find_elements(By.CSS_SELECTOR, '[data-test="obligation"]')
        check(len(cards) > 0 or driver.find_elements(By.CSS_SELECTOR, '[data-test="no-obligations"]'),
              "today's obligations are shown (%d cards)" % len(cards))
        if cards:
            check("依据" in cards[0].text, "an obligation says why: " + cards[0].text.replace("\n", " / ")[:160])
        shot("03-enterprise-today")

        # Live: the city issues an orange alert from now with the CLI.
        as_(city, "alert", "issue", "--level=ORANGE", "--districts=" + DISTRICT,
            "--start_time=2018-12-05T09:00:00+08:00", "--end_time=2018-12-06T00:00:00+08:00",
            "--document=津重污染指〔2018〕21号")
        issued = time.time()
        try:
            wait.until(lambda d: "橙色预警" in d.find_element(By.CSS_SELECTOR, '[data-test="level"]').text)
            check(True, "the banner turned orange %.1f s after the CLI issued the alert (no reload)"
                  % (time.time() - issued))
        except Exception:
            check(False, "the banner turned orange within %d s" % WAIT)
        wait.until(lambda d: "21号" in d.find_element(By.CSS_SELECTOR, '[data-test="alerts"]').text)
        check(True, "the alert's 文号 is on the timeline")
        # The toast follows the obligations' own update, which may land after
        # the banner and the timeline: waited for, not looked for once.
        def said_changed(d):
            return any("要求已更新" in (t.get_attribute("textContent") or "")
                       for t in d.find_elements(By.CSS_SELECTOR, ".el-notification"))
        try:
            wait.until(said_changed)
            check(True, "the page says that the requirements changed")
        except Exception:
            check(False, "the page says that the requirements changed (within %d s)" % WAIT)
        for close in driver.find_elements(By.CSS_SELECTOR, ".el-notification__closeBtn"):
            try:
                close.click()
            except Exception:
                pass  # a toast already fading out
        time.sleep(1)  # the toast fades out
        shot("04-enterprise-orange-alert")

        # The alert's notification reaches the page; the plant marks it read,
        # and the bureau sees it read.
        try:
            note = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, '[data-test="notification"]'))
            check("21号" in note.text or "橙色" in note.text,
                  "the notification says what changed: " + note.text.replace("\n", " / ")[:160])
            find("mark-read").click()
            wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, '[data-test="notification-read"]'))
            check(True, "the notification is marked read (已读) on the page")
            shot("04b-notification-read")
            # Toasts fade before the next clicks (they lie over the top bar).
            WebDriverWait(driver, 15).until(
                lambda d: not d.find_elements(By.CSS_SELECTOR, ".el-notification"))
            listed = as_(bureau, "notifications", "list", "--parent=" + enterprise).stdout
            check("已读" in listed, "the bureau sees the notification read: " + listed.replace("\n", " / ")[:200])
        except Exception as e:
            check(False, "the alert's notification appears on the page and can be marked read (%s)" % e)

        # The 告知书 and the 一厂一策 of the filed list in force, downloaded from the page.
        try:
            for button in ("notice-pdf", "plan-pdf"):
                before = set(os.listdir(downloads))
                driver.execute_script("arguments[0].scrollIntoView()", find(button))
                find(button).click()
                got = WebDriverWait(driver, 60).until(
                    lambda d: [f for f in set(os.listdir(downloads)) - before
                               if f.endswith(".pdf")])
                with open(os.path.join(downloads, got[0]), "rb") as f:
                    head = f.read(5)
                check(head == b"%PDF-", "the page downloads %s as a PDF (%s)" % (button, got[0]))
            shot("04c-documents")
        except Exception as e:
            check(False, "the page offers the 告知书 and 一厂一策 of the filed list (%s)" % e)

        # A finding and its 异常申报.
        driver.get(base + "/#/" + mine)
        find("finding")
        time.sleep(1)
        shot("05-finding")
        text = "停电检修，已向供电公司报备（测试）<b>不是HTML</b>"
        typing("explain-text", text)
        find("explain-submit").click()
        explanation = find("explanation")
        check("<b>不是HTML</b>" in explanation.text, "the explanation is shown as text, not HTML")
        shot("06-finding-explained")
        got = json.loads(as_(verifier, "findings", "get", mine, "--output=json").stdout)
        check(got.get("explanation") == text, "the verifier reads the 异常申报 back")

        # Another enterprise, by URL.
        driver.get(base + "/#/" + other_enterprise)
        refused = find("refused")
        check("无权" in refused.text, "another enterprise's page is refused: " + refused.text.replace("\n", " "))
        shot("07-other-enterprise-refused")
        if other_finding:
            driver.get(base + "/#/" + other_finding)
            check("无权" in find("refused").text, "another enterprise's finding page is refused")

        # 5. The JSON API by hand, with the browser's own cookie.
        cookie = browser.cookie()
        session_cookie = [c for c in driver.get_cookies() if c["name"] == "cuofeng_session"][0]
        check(session_cookie.get("httpOnly") and session_cookie.get("sameSite") == "Strict",
              "the session cookie is HttpOnly and SameSite=Strict")
        api = Http(web_port, cookie)
        status, body, headers = api.request("GET", "/api/session")
        check(status == 200 and body["caller"]["scope"] == enterprise, "the session names its enterprise")
        check("default-src 'self'" in headers.get("Content-Security-Policy", "") and
              headers.get("X-Content-Type-Options") == "nosniff" and headers.get("X-Frame-Options") == "DENY",
              "security headers are set")
        api.csrf = body["csrfToken"]
        status, body, _ = api.call("RegistryService", "GetEnterprise", {"name": other_enterprise})
        check(status == 403 and body["error"]["status"] == "PERMISSION_DENIED",
              "GetEnterprise of another enterprise: %d %s" % (status, body.get("error", {}).get("status")))
        status, body, _ = api.call("ObligationService", "GetObligations", {"enterprise": other_enterprise})
        check(status == 403, "GetObligations of another enterprise: %d" % status)
        if other_finding:
            status, body, _ = api.call("ComplianceService", "ExplainFinding",
                                       {"name": other_finding, "explanation": "x", "requestId": "r1"})
            check(status == 403, "ExplainFinding of another enterprise's finding: %d" % status)
            status, body, _ = api.call("ComplianceService", "GetFinding", {"name": other_finding})
            check(status in (403, 404), "GetFinding of another enterprise's finding: %d" % status)
        status, body, _ = api.call("ComplianceService", "ListFindings", {"parent": DISTRICT, "pageSize": 1000})
        names = [f["name"] for f in body.get("findings", [])]
        check(status == 200 and names and all(n.startswith(enterprise + "/") for n in names),
              "ListFindings of the district returns only its own (%d)" % len(names))
        status, body, _ = api.call("ComplianceService", "ExplainFinding", {"name": mine, "explanation": "", "requestId": "r2"})
        check(status == 400 and body["error"]["status"] == "INVALID_ARGUMENT" and "explanation" in violations(body),
              "an empty 异常申报 is 400 naming the field: %d %s" % (status, violations(body)))
        status, body, _ = api.call("ComplianceService", "GetFinding", {"name": enterprise + "/findings/999999999"})
        check(status == 404 and body["error"]["status"] == "NOT_FOUND", "a missing finding is 404: %d" % status)
        status, body, _ = api.call("AlertService", "IssueAlert", {"alert": {"level": "RED"}})
        check(status == 403, "an enterprise may not issue alerts: %d" % status)
        status, body, _ = api.request("POST", "/api/v1/RegistryService/GetEnterprise", raw="{not json")
        check(status == 400 and "body" in violations(body), "malformed JSON is 400 naming the body")
        status, body, _ = api.call("RegistryService", "GetEnterprise", {"name": enterprise, "colour": "red"})
        check(status == 400, "an unknown JSON field is 400: %d" % status)
        status, body, _ = api.call("RegistryService", "GetEnterprise", {"name": enterprise}, csrf=False)
        check(status == 403 and "CSRF" in body["error"]["message"], "a call without the CSRF token is refused")
        status, body, _ = Http(web_port).call("RegistryService", "GetEnterprise", {"name": enterprise})
        check(status == 401, "a call without a session is 401: %d" % status)
        status, body, _ = api.call("AccountService", "Login", {"username": "plant", "password": "x"})
        check(status == 404, "Login is only reachable through /api/login: %d" % status)
        # The watch of another enterprise streams a refusal, never its obligations.
        conn = http.client.HTTPConnection("127.0.0.1", web_port, timeout=WAIT)
        conn.request("GET", "/api/v1/watch/obligations?enterprise=" + other_enterprise, headers={"Cookie": cookie})
        r = conn.getresponse()
        first = b""
        while b"\n\n" not in first:
            chunk = r.read1(4096) if hasattr(r, "read1") else r.read(1)
            if not chunk:
                break
            first += chunk
        conn.close()
        check(b"PERMISSION_DENIED" in first and b"event: obligations" not in first,
              "the watch of another enterprise streams a refusal: " + first.decode()[:120])

        # 6. Logout ends the session on the server.
        driver.get(base + "/#/" + enterprise)
        find("logout").click()
        wait.until(lambda d: "/login" in d.current_url)
        status, _, _ = api.request("GET", "/api/session")
        check(status == 401, "after logout the old cookie gets 401: %d" % status)

        # 7. Lockout after five wrong passwords.
        driver.delete_all_cookies()
        driver.get(base + "/#/login")
        message = ""
        for i in range(5):
            typing("username", "lockme")
            typing("password", "wrong-password-%d" % i)
            find("login").click()
            # The message is cleared on submit and shown again with the answer.
            wait.until(lambda d: "is-loading" not in find("login").get_attribute("class")
                       and d.find_elements(By.CSS_SELECTOR, '[data-test="login-error"]'))
            message = find("login-error").text
        check("账户已锁定" in message and "之后再试" in message, "five wrong passwords lock: " + message)
        shot("08-locked")
        status, body, _ = Http(web_port).request("POST", "/api/login", {"username": "lockme", "password": "chushi-mima-2"})
        check(status == 403 and "账户已锁定" in body["error"]["message"],
              "while locked the right password is refused too: %d" % status)
        status, body, _ = Http(web_port).request("POST", "/api/login", {"username": "nobody", "password": "x"})
        check(status == 401 and "用户名或密码错误" in body["error"]["message"], "an unknown user is 401")

        # 8. The administrator's own account, through the same JSON API: unlock, rotate a key.
        make_account(admin, "root", "admin", "", "chushi-mima-5")
        root = Http(web_port)
        status, body, _ = root.request("POST", "/api/login", {"username": "root", "password": "chushi-mima-5"})
        check(status == 400 and body["error"]["status"] == "FAILED_PRECONDITION"
              and "PASSWORD_CHANGE_REQUIRED" in json.dumps(body), "a first login must change the password: %d" % status)
        status, body, headers = root.request("POST", "/api/change-password", {
            "username": "root", "oldPassword": "chushi-mima-5", "newPassword": "root-mima-2018"})
        root.cookie = headers.get("Set-Cookie", "").split(";")[0]
        root.csrf = body.get("csrfToken", "")
        check(status == 200 and root.cookie.startswith("cuofeng_session=cfs_"), "the new password gives a session")
        status, body, _ = root.call("AccountService", "UnlockAccount", {"name": "accounts/lockme"})
        check(status == 200 and not body.get("lockedUntil"), "the admin unlocks the account: %d" % status)
        status, body, _ = Http(web_port).request("POST", "/api/login", {"username": "lockme", "password": "chushi-mima-2"})
        check(status == 400 and "PASSWORD_CHANGE_REQUIRED" in json.dumps(body), "unlocked, the right password works")
        platform_name = as_(platform, "admin", "whoami").stdout.split()[0]
        status, body, _ = root.call("AccountService", "RotateApiKey", {"name": platform_name, "grace": "0s"})
        check(status == 200 and body.get("secret", "").startswith("cfk_"), "the admin rotates a machine key: %d" % status)
        successor = body.get("secret", "")
        wait_for("the old key to expire", lambda: as_(platform, "admin", "whoami", ok=False).returncode != 0)
        check(as_(successor, "admin", "whoami", ok=False).returncode == 0, "the successor key works")
        status, body, _ = api.call("AccountService", "RotateApiKey", {"name": platform_name})
        check(status == 401, "the ended session of the enterprise cannot rotate keys: %d" % status)
        psql(dsn, "UPDATE core.account_session SET expire_time = now() WHERE username = 'root'")
        status, _, _ = root.request("GET", "/api/session")
        check(status == 401, "an expired session gets 401: %d" % status)

        audit = as_(admin, "audit", "list", "--parent=accounts/", "--output=csv", "--all", "--quiet").stdout
        check("Login" in audit and "ChangePassword" in audit and "Logout" in audit,
              "logins, the password change and logout are in the audit log")
    finally:
        if browser is not None:
            browser.quit()
        if backend is not None:
            backend.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print("screenshots in", os.path.abspath(OUT))
    return report()


if __name__ == "__main__":
    sys.exit(main())
