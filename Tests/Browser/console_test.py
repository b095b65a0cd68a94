#!/usr/bin/env python3
"""The web console in a real browser (issue 17): headless Chromium from Debian, driven by
Selenium, against three real node processes and their three consoles.

    console_test.py TACIT ARTEFACT_DIR

Logs in at each console (a wrong token first), sees the claims job appear when the insurer
proposes it, approves it from the page at each approver, watches it complete, sees the payouts
at the recipient and only the digest at the hospital, opens the hospital's input commitment on
the audit page, verifies the ledger from the page, and checks that forged state-changing
requests (no CSRF token, or another site's origin) are refused. Screenshots go to
ARTEFACT_DIR. Every process it starts is stopped, also on failure.
"""
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

TACIT = os.path.abspath(sys.argv[1])
ARTEFACTS = os.path.abspath(sys.argv[2])
INSURER, HOSPITAL, REGULATOR = "acme-insurance", "st-marys", "regulator"
PARTIES = [INSURER, HOSPITAL, REGULATOR]
TIMEOUT = 180  # generous: CI machines are two noisy cores
PROCS = []


def log(msg):
    print(f"[console-test] {msg}", flush=True)


def run(*args, **kw):
    return subprocess.run([TACIT, *args], check=True, capture_output=True, text=True, timeout=TIMEOUT, **kw).stdout


def start(args, out, err):
    p = subprocess.Popen([TACIT, *args], stdout=out, stderr=err, text=True, start_new_session=True)
    PROCS.append(p)
    return p


def stop_all():
    for p in PROCS:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in PROCS:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def until(what, check, timeout=TIMEOUT, every=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


def start_console(conf, name, logdir):
    """A console on a free port (port 0): its URL and token from its first lines."""
    err = open(os.path.join(logdir, f"{name}.console.log"), "w")
    p = start(["console", "--config", conf, "--listen", "127.0.0.1:0"], subprocess.PIPE, err)
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in p.stdout], daemon=True).start()
    url = token = None
    deadline = time.monotonic() + TIMEOUT
    while url is None or token is None:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"{name}'s console printed no URL and token (exit {p.poll()})")
        if m := re.search(r"serving (\S+)", line):
            url = m.group(1).rstrip("/")
        if m := re.search(r"login token \(shown once, stored nowhere\): ([0-9a-f]{64})", line):
            token = m.group(1)
    return url, token


class Raw:
    """Plain HTTP requests beside the browser: what a forged request from elsewhere sends."""

    @staticmethod
    def post(url, fields, cookie=None, origin=None):
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        req = urllib.request.Request(url, data=data, method="POST")
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
        if cookie:
            req.add_header("Cookie", cookie)
        if origin:
            req.add_header("Origin", origin)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    @staticmethod
    def get(url, cookie):
        req = urllib.request.Request(url)
        req.add_header("Cookie", cookie)
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.headers, r.read().decode()


def main():
    os.makedirs(ARTEFACTS, exist_ok=True)
    work = tempfile.mkdtemp(prefix="tacit-console-test.")
    driver = None
    try:
        log(f"consortium in {work}")
        run("init", "--example", "claims", "--parties", ",".join(PARTIES), "--claims", "400", "--seed", "17", work)
        conf = {p: os.path.join(work, p, "node.yaml") for p in PARTIES}
        for p in PARTIES:
            start(["node", "--config", conf[p]], open(os.path.join(work, p, "node.out"), "w"), open(os.path.join(work, p, "node.log"), "w"))
        for p in PARTIES:
            until(f"{p}'s node", lambda p=p: subprocess.run([TACIT, "node", "status", "--config", conf[p]], capture_output=True).returncode == 0)
        consoles = {p: start_console(conf[p], p, work) for p in PARTIES}
        log("nodes and consoles up: " + ", ".join(f"{p} {u}" for p, (u, _) in consoles.items()))

        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        for a in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1600",
                  "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"]:
            opts.add_argument(a)
        driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=opts)
        driver.set_page_load_timeout(TIMEOUT)
        # Live pages reload themselves: an element read mid-reload is looked up again.
        wait = WebDriverWait(driver, TIMEOUT, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))

        def shot(name):
            path = os.path.join(ARTEFACTS, f"console-{name}.png")
            driver.save_screenshot(path)
            log(f"screenshot {path}")

        def login(party, token):
            driver.get(consoles[party][0] + "/login")
            box = wait.until(EC.presence_of_element_located((By.ID, "token")))
            box.clear()
            box.send_keys(token)
            driver.find_element(By.ID, "login").click()

        # A wrong token is refused, in the page and on the wire.
        url_i, token_i = consoles[INSURER]
        login(INSURER, "0" * 64)
        err = wait.until(EC.presence_of_element_located((By.ID, "login-error")))
        assert "not this console's token" in err.text, err.text
        status, _ = Raw.post(url_i + "/login", {"token": "f" * 64}, origin=url_i)
        assert status == 401, f"a wrong token got HTTP {status}"
        driver.get(url_i + "/jobs")
        assert driver.current_url.endswith("/login"), f"without a session /jobs went to {driver.current_url}"
        log("a wrong token is refused")

        for p in PARTIES:
            login(p, consoles[p][1])
            wait.until(EC.presence_of_element_located((By.ID, "nav-jobs")))
            assert driver.find_element(By.ID, "party").text == p
        cookies = {p: next(f"{c['name']}={c['value']}" for c in driver.get_cookies() if c["name"] == "tacit_console_" + p.replace("-", "_")) for p in PARTIES}
        log("logged in at all three consoles")

        # The job appears on the insurer's open jobs page when proposed from the command line.
        driver.get(url_i + "/jobs")
        wait.until(EC.presence_of_element_located((By.ID, "no-jobs")))
        out = run("job", "submit", "--config", conf[INSURER], os.path.join(work, "jobs", "claims.yaml"))
        job = re.search(r"proposed job (\S+);", out).group(1)
        row = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f'tr[data-job="{job}"]')))
        assert row.get_attribute("data-phase") == "proposed", row.get_attribute("data-phase")
        assert "claims" in row.text and "replicated" in row.text, row.text
        shot("jobs-proposed")
        log(f"job {job} appeared on the jobs page")

        # A forged approval or rejection is refused: no CSRF token, or another site's origin.
        url_h = consoles[HOSPITAL][0]
        status, body = Raw.post(f"{url_h}/jobs/{job}/reject", {"reason": "forged"}, cookie=cookies[HOSPITAL], origin=url_h)
        assert status == 403 and "CSRF" in body, (status, body)
        driver.get(f"{url_h}/jobs/{job}")
        csrf = driver.find_element(By.CSS_SELECTOR, '#reject-form input[name="csrf"]').get_attribute("value")
        status, body = Raw.post(f"{url_h}/jobs/{job}/reject", {"reason": "forged", "csrf": csrf}, cookie=cookies[HOSPITAL], origin="http://evil.example")
        assert status == 403, (status, body)
        status, body = Raw.post(f"{url_h}/jobs/{job}/approve", {"confirm": "yes", "csrf": csrf}, origin=url_h)
        assert status == 401, (status, body)
        st = json.loads(subprocess.run([TACIT, "job", "status", "--config", conf[HOSPITAL], job, "--json"], capture_output=True, text=True, check=True).stdout)
        assert st["status"]["phase"] == "proposed" and st["status"]["approvals"] == [], st["status"]
        log("forged requests refused; the job untouched")

        # Each approver approves from its own console's page.
        for p in [HOSPITAL, INSURER, REGULATOR]:
            driver.get(f"{consoles[p][0]}/jobs/{job}")
            text = wait.until(EC.presence_of_element_located((By.ID, "status-text"))).text
            assert f"job {job}: proposed" in text, text
            if p == HOSPITAL:
                assert "bills" in driver.find_element(By.ID, "approve-form").text
                shot("approve-hospital")
            driver.find_element(By.ID, "confirm").click()
            driver.find_element(By.ID, "approve").click()
            wait.until(lambda d, p=p: "approved" in d.find_element(By.CSS_SELECTOR, f'#approvals tr[data-approver="{p}"]').text)
            log(f"approved at {p}")

        # The insurer's page follows the run live and shows the payouts when it completes.
        driver.get(f"{url_i}/jobs/{job}")
        wait.until(lambda d: d.find_element(By.ID, "phase").text == "completed")
        result = wait.until(EC.presence_of_element_located((By.ID, "result")))
        assert result.get_attribute("data-recipient") == "yes"
        rows = driver.find_elements(By.CSS_SELECTOR, "#result table.result-table tbody tr")
        assert len(rows) > 0, "no payout rows at the recipient"
        assert driver.find_elements(By.ID, "payout-chart"), "no payout distribution"
        digest_i = driver.find_element(By.CSS_SELECTOR, "#result .digest code").text
        kinds = [e.get_attribute("data-kind") for e in driver.find_elements(By.CSS_SELECTOR, "#entries tbody tr")]
        for k in ["JobProposed", "JobApproved", "InputCommitted", "ResultRecorded"]:
            assert k in kinds, (k, kinds)
        blocks = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#entries tbody tr td:nth-child(4)")]
        assert all(b.isdigit() for b in blocks), blocks
        shot("job-completed-insurer")
        # The same as the command line says.
        cli = subprocess.run([TACIT, "job", "result", "--config", conf[INSURER], job, "--json"], capture_output=True, text=True, check=True).stdout
        assert digest_i in cli
        log("completed; payouts at the insurer")

        # The hospital sees only the digest.
        driver.get(f"{url_h}/jobs/{job}")
        only = wait.until(EC.presence_of_element_located((By.ID, "result-digest-only")))
        assert digest_i in only.text, only.text
        assert not driver.find_elements(By.ID, "result") and not driver.find_elements(By.CSS_SELECTOR, ".result-table")
        shot("job-completed-hospital")
        log("only the digest at the hospital")

        # The audit page opens the hospital's commitment from the opening it hands an auditor.
        opening = os.path.join(work, "opening.json")
        run("audit", "export", "--config", conf[HOSPITAL], job, "--out", opening)
        url_r = consoles[REGULATOR][0]
        driver.get(url_r + "/audit")
        with open(opening) as f:
            text = f.read()
        driver.execute_script("document.getElementById('audit-opening').value = arguments[0];", text)
        driver.find_element(By.ID, "audit-check").click()
        verdict = wait.until(EC.presence_of_element_located((By.ID, "audit-result"))).text
        assert verdict.startswith("MATCH"), verdict
        tampered = json.loads(text)
        tampered["salt"] = "00" * 32
        driver.get(url_r + "/audit")
        driver.execute_script("document.getElementById('audit-opening').value = arguments[0];", json.dumps(tampered))
        driver.find_element(By.ID, "audit-check").click()
        verdict = wait.until(EC.presence_of_element_located((By.ID, "audit-result"))).text
        assert verdict.startswith("NO MATCH"), verdict
        log("audit: the opening matches, a wrong salt does not")

        # The ledger page: members, blocks, verification on demand, the export.
        driver.get(url_r + "/ledger")
        members = [e.get_attribute("data-member") for e in driver.find_elements(By.CSS_SELECTOR, "#members tbody tr")]
        assert sorted(members) == sorted(PARTIES), members
        driver.find_element(By.ID, "verify").click()
        status_text = wait.until(lambda d: (t := d.find_element(By.ID, "verify-status").text).startswith("Verified") and t)
        assert "blocks" in status_text and "job invariants hold" in status_text, status_text
        shot("ledger-verified")
        code, headers, body = Raw.get(url_r + "/ledger/export.json", cookies[REGULATOR])
        export = json.loads(body)
        assert code == 200 and "attachment" in headers.get("Content-Disposition", "") and export, headers
        code, _, report = Raw.get(url_r + "/ledger/verification.txt", cookies[REGULATOR])
        assert "result: OK" in report, report
        log("ledger verified from the page; export and report downloaded")

        # The pages fetch nothing from outside the machine.
        for p in PARTIES:
            for path in ["/jobs", f"/jobs/{job}", "/ledger", "/audit"]:
                _, _, html = Raw.get(consoles[p][0] + path, cookies[p])
                for ref in re.findall(r'(?:src|href|action)="([^"]*)"', html):
                    assert not re.match(r"^(https?:)?//", ref), f"{p}{path} refers to {ref}"
        log("PASS")
    except BaseException:
        if driver is not None:
            driver.save_screenshot(os.path.join(ARTEFACTS, "console-failure.png"))
            with open(os.path.join(ARTEFACTS, "console-failure.html"), "w") as f:
                f.write(driver.page_source)
            log(f"failed at {driver.current_url}; page saved to {ARTEFACTS}/console-failure.html")
        for name in os.listdir(work):
            if name.endswith(".console.log"):
                shutil.copy(os.path.join(work, name), ARTEFACTS)
        raise
    finally:
        if driver is not None:
            driver.quit()
        stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
