"""What the browser tests share: checks, processes, a private database with a
cuofeng-server on it, the gateway, the JSON API by hand, and a headless
Chromium with the page helpers (elements are found by their data-test name).

Used by web_e2e_test.py (the enterprise's page) and
web_workspaces_e2e_test.py (the bureau's, the city's and the verifier's).
"""
import http.client
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

BIN = os.environ["CUOFENG_BIN_DIR"]
SRC = os.environ["CUOFENG_SOURCE_DIR"]
ADMIN_DSN = os.environ.get("CUOFENG_TEST_DSN", "")
CLOCK_FILING = "2018-10-25T09:00:00+08:00"
CLOCK_TODAY = "2018-12-05T09:00:00+08:00"
WAIT = 30  # seconds: the bound of every poll

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def report():
    """The exit code: 1 when a check failed (each listed), else 0."""
    if failures:
        print("%d check(s) failed:\n  %s" % (len(failures), "\n  ".join(failures)))
        return 1
    print("all checks passed")
    return 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(argv, key=None, server=None, ok=True):
    env = dict(os.environ)
    if key:
        env["CUOFENG_KEY"] = key
    if server:
        env["CUOFENG_SERVER"] = server
    r = subprocess.run(argv, env=env, capture_output=True, text=True)
    if ok and r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s %s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))
    return r


def psql(dsn, sql):
    run(["psql", dsn, "-qXc", sql])


def wait_for(what, fn, timeout=WAIT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if fn():
                return True
        except Exception:
            pass
        time.sleep(0.3)
    raise RuntimeError("timed out waiting for " + what)


class Processes:
    def __init__(self):
        self.procs = []

    def start(self, argv, log):
        p = subprocess.Popen(argv, stdout=open(log, "ab"), stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def stop(self, p):
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs.remove(p)

    def stop_all(self):
        for p in list(self.procs):
            self.stop(p)


class Http:
    """The JSON API by hand, as a script (or an attacker) would call it.
    request() and call() answer (HTTP status, parsed body, headers)."""

    def __init__(self, port, cookie="", timeout=120):
        self.port = port
        self.cookie = cookie
        self.csrf = ""
        self.timeout = timeout

    def request(self, method, path, body=None, csrf=True, raw=None, content_type="application/json"):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        headers = {"Content-Type": content_type}
        if self.cookie:
            headers["Cookie"] = self.cookie
        if csrf and self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        text = r.read().decode()
        hdrs = dict(r.getheaders())
        conn.close()
        try:
            parsed = json.loads(text) if text else {}
        except ValueError:
            parsed = {"raw": text}
        return r.status, parsed, hdrs

    def call(self, service, method, body, csrf=True):
        return self.request("POST", "/api/v1/%s/%s" % (service, method), body, csrf)


def violations(answer):
    """The fields an error answer's BadRequest names."""
    return [v["field"] for d in answer.get("error", {}).get("details", []) for v in d.get("fieldViolations", [])]


class Backend:
    """A database of its own (dropped by close()), bootstrapped, with
    cuofeng-server and cuofeng-web started on free ports; logs go to `out`."""

    def __init__(self, db, out):
        self.db = db
        self.out = out
        self.procs = Processes()
        psql(ADMIN_DSN, "DROP DATABASE IF EXISTS %s" % db)
        psql(ADMIN_DSN, "CREATE DATABASE %s" % db)
        self.dsn = "%s dbname=%s" % (ADMIN_DSN, db)
        self.cli = os.path.join(BIN, "cuofeng")
        self.admin = run([self.cli, "admin", "bootstrap", "--database=" + self.dsn, "--quiet"]).stdout.strip()
        self.addr = "127.0.0.1:%d" % free_port()
        self.server = None

    def start_server(self, clock):
        """(Re)starts the server on the replay clock `clock`."""
        if self.server is not None:
            self.procs.stop(self.server)
        self.server = self.procs.start([os.path.join(BIN, "cuofeng-server"), "--database=" + self.dsn,
                                        "--listen=" + self.addr, "--clock=" + clock],
                                       os.path.join(self.out, "server.log"))
        wait_for("the server", lambda: self.as_(self.admin, "admin", "whoami", ok=False).returncode == 0)
        return self.server

    def as_(self, key, *args, ok=True):
        """The CLI with `key`."""
        return run([self.cli, *args], key, self.addr, ok)

    def key(self, role, scope, name):
        args = ["admin", "create-key", "--role=" + role, "--name=" + name, "--quiet"]
        if scope:
            args.append("--scope=" + scope)
        return self.as_(self.admin, *args).stdout.strip()

    def start_gateway(self):
        """cuofeng-web over the server; returns (port, base URL)."""
        port = free_port()
        self.procs.start([os.path.join(BIN, "cuofeng-web"), "--listen=127.0.0.1:%d" % port, "--server=" + self.addr,
                          "--static_dir=" + SRC + "/web/dist"], os.path.join(self.out, "web.log"))
        base = "http://127.0.0.1:%d" % port
        wait_for("the gateway", lambda: urllib.request.urlopen(base + "/api/healthz").status == 200)
        return port, base

    def close(self):
        self.procs.stop_all()
        try:
            psql(ADMIN_DSN, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.db)
        except Exception as e:
            print("could not drop", self.db, e)


class Browser:
    """Debian's headless Chromium (chromium-driver) at width x height, its
    profile and downloads under `tmp`, screenshots to `out`."""

    def __init__(self, tmp, out, width, height, downloads=None):
        self.out = out
        self.size = (width, height)
        options = Options()
        options.binary_location = "/usr/bin/chromium"
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--window-size=%d,%d" % (width, height), "--lang=zh-CN", "--user-data-dir=" + tmp + "/chromium"):
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.wait = WebDriverWait(self.driver, WAIT)
        if downloads:
            os.makedirs(downloads, exist_ok=True)
            self.driver.execute_cdp_cmd("Browser.setDownloadBehavior",
                                        {"behavior": "allow", "downloadPath": downloads})

    def quit(self):
        self.driver.quit()

    def shot(self, name, full=False):
        path = os.path.join(self.out, name + ".png")
        if full:  # the whole page, as tall as it is
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(self.size[0], max(self.size[1], min(height + 40, 4000)))
            time.sleep(0.5)
            self.driver.save_screenshot(path)
            self.driver.set_window_size(*self.size)
        else:
            self.driver.save_screenshot(path)

    def find(self, test):
        return self.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, '[data-test="%s"]' % test)))

    def all_of(self, test):
        return self.driver.find_elements(By.CSS_SELECTOR, '[data-test="%s"]' % test)

    def text_of(self, test):
        return self.find(test).text

    def typing(self, test, text):
        el = self.find(test)
        box = el if el.tag_name in ("input", "textarea") else el.find_element(By.CSS_SELECTOR, "input,textarea")
        # clear() does not reach Vue's v-model: select all and type over it.
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(text)

    def choose(self, test, option):
        """Picks the option starting with `option` in the el-select `test`."""
        self.find(test).click()
        item = self.wait.until(EC.element_to_be_clickable((
            By.XPATH, "//li[contains(@class,'el-select-dropdown__item')][starts-with(normalize-space(), '%s')]"
            % option)))
        item.click()
        self.driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)

    def click(self, test):
        el = self.find(test)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
        self.wait.until(EC.element_to_be_clickable((By.CSS_SELECTOR, '[data-test="%s"]' % test)))
        el.click()

    def cookie(self):
        return "; ".join("%s=%s" % (c["name"], c["value"]) for c in self.driver.get_cookies())
