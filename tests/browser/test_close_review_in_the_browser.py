"""Finance reviews a close in a real browser: headless Chromium on a `dagster dev` started by the test.

Run by `make test-browser` (and `.ci/run`, which installs Debian's chromium first).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from dagster_project.defs.paths import REPO_ROOT

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                  "--disable-background-networking", "--disable-component-update"]
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium at /usr/bin/chromium: install Debian's chromium (.ci/run does)")
    root = tmp_path_factory.mktemp("review")
    (root / "dagster_home").mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", root / "dagster_home" / "dagster.yaml")
    # As `make dev` starts it: the venv not on PATH.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(root), "DAGSTER_HOME": str(root / "dagster_home"),
           "LANDING_DIR": str(root / "landing"), "WAREHOUSE_PATH": str(root / "w.duckdb"),
           "LEDGER_PATH": str(root / "l.duckdb"), "ANALYTICS_PATH": str(root / "a.duckdb"),
           "EXPORTS_DIR": str(root / "exports"), "BILLING_START": "2025-01"}
    cli = str(BIN / "partner-billing")
    subprocess.run([cli, "sample", "--landing", env["LANDING_DIR"], "--months", "2", "--partners", "6",
                    "--tenants", "30", "--events-per-tenant-day", "2", "--start", "2025-01"], env=env, check=True)
    subprocess.run([cli, "run", "--through", "2025-02"], env=env, check=True, cwd=root, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([str(BIN / "dagster"), "dev", "-p", str(port)], env=env, cwd=REPO_ROOT,
                              stdout=open(root / "dev.log", "w"), stderr=subprocess.STDOUT, start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"dagster dev did not start:\n{(root / 'dev.log').read_text()[-3000:]}")
                time.sleep(1)
        with playwright.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1800})
            page.set_default_timeout(60_000)
            yield url, page, root
            browser.close()
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)


def _dismiss_welcome(page) -> None:
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.click()


def test_the_close_page_shows_the_totals_per_currency_in_major_units_and_the_blocking_checks(dagster_dev):
    url, page, root = dagster_dev
    with duckdb.connect(str(root / "l.duckdb"), read_only=True) as con:
        currency, partner_total = con.execute(
            """select upper(currency), sum(amount_minor) from invoice_lines
               where invoice_period = date '2025-02-01' and billing_account_type = 'partner'
               group by 1 order by 2 desc limit 1""").fetchone()
    page.goto(f"{url}/assets/close/monthly_close?view=partitions&partition=2025-02-01")
    page.get_by_text("checks_passed_before_emission").wait_for()
    _dismiss_welcome(page)
    body = page.inner_text("body")
    assert f"{partner_total / 100:,.2f} {currency}" in body
    assert "adjustments" in body and "invoices" in body
    page.get_by_text("[Show Markdown]").last.click()
    page.get_by_text("blocking checks passed.").wait_for()
    body = page.inner_text("body")
    assert "assert_usage_has_a_list_price" in body
    assert "A returned row is a billing line with usage in a currency for which the price book" in body


def test_the_run_list_shows_the_runs_of_a_close_tagged_with_its_month(dagster_dev):
    url, page, _ = dagster_dev
    page.goto(f"{url}/runs")
    page.get_by_text("close_publish_job").first.wait_for()
    _dismiss_welcome(page)
    body = page.inner_text("body")
    assert "partner_billing/close_month: 2025-02" in body
    assert "partner_billing/run_kind: emit" in body
