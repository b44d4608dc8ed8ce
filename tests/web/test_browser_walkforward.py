"""The walk-forward pages in a real browser (Debian's chromium driven by Playwright) against
the whole platform (the ``stack`` fixture: web and local scaler on MariaDB and Redis).

From /walkforward: a window too long for the data is refused under its input (the API's
400), then a small walk-forward (ACME, SMA_CROSS, a 4 × 4 grid, four rolling folds) is
submitted through the form; its page is followed to SUCCEEDED and every chart and table
is checked drawn, with no script error; folds.csv and a fold's sweep page open. The
sweeps list shows the user's own sweeps without the folds' training sweeps, until its
"show walk-forward folds' sweeps" link adds them, each naming its walk-forward and fold.

The screenshots go to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set
(``DASHBOARD_SCREENSHOTS_DIR=docs/images`` refreshes docs/dashboard.md's ``walkforward.png``
and ``walkforward-form.png`` and docs/sweeps.md's ``sweeps-list.png``).
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from tests.stack import ended, wait_until
from tests.web.support_browser import screenshots_dir, shoot

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

TIMEOUT_MS = 240_000
"""Longest wait for every fold's sweep and out-of-sample run to go through the queue."""

EXPECTED_CONSOLE = "Failed to load resource: the server responded with a status of 400"
"""Chromium logs the 400 the test provokes; the page shows it under its field."""

FOLDS = 4

OWN_SWEEPS = (
    {
        "tickers": ["ACME", "GLOBEX", "INITECH"],
        "rule_type": "SMA_CROSS",
        "grid": {"fast": "5:25:5", "slow": "40:120:20"},
        "start_date": "2016-01-01",
        "end_date": "2020-12-31",
    },
    {
        "ticker": "ACME",
        "rule_type": "RSI",
        "grid": {"period": "7:21:7", "oversold": "20:40:10", "overbought": "60:80:10"},
        "start_date": "2016-01-01",
        "end_date": "2020-12-31",
    },
)
"""The user's own sweeps, listed beside the walk-forward's folds' sweeps."""


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the screenshots go: DASHBOARD_SCREENSHOTS_DIR or a temporary directory."""
    return screenshots_dir(tmp_path)


def test_a_walkforward_from_the_form_is_drawn_once_every_fold_succeeded(stack, browser, shots):
    """Form (a 400 under train_bars first) → /walkforward/<id> → SUCCEEDED → timeline,
    equity, fold table, stability charts and KPIs drawn; folds.csv and a fold's sweep open;
    /sweeps lists two sweeps of the user's but none of the folds' until its link asks."""
    own = [
        requests.post(f"{stack.base_url}/api/sweeps", json=body, timeout=30).json()
        for body in OWN_SWEEPS
    ]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"pageerror: {error}"))
    page.on(
        "console",
        lambda m: (
            errors.append(f"console: {m.text}")
            if m.type == "error" and not m.text.startswith(EXPECTED_CONSOLE)
            else None
        ),
    )
    page.goto(f"{stack.base_url}/walkforward")
    page.select_option("#w-ticker", "ACME")
    page.select_option("#w-rule", "SMA_CROSS")
    page.fill("#w-start", "2018-01-01")
    page.fill("#w-end", "2020-12-31")
    page.fill("#w-p-fast", "5:20:5")
    page.fill("#w-p-slow", "30:90:20")
    page.fill("#w-train_bars", "5000")
    page.fill("#w-test_bars", "126")
    page.click("#submit-wf")
    expect(page.locator("#w-train_bars")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#w-train_bars + .invalid-feedback")).to_contain_text("train_bars")
    shoot(page.locator("#wf-form"), shots / "walkforward-form.png")

    page.fill("#w-train_bars", "252")
    page.click("#submit-wf")
    page.wait_for_url(re.compile(r"/walkforward/[0-9a-f-]{36}$"), timeout=30_000)
    expect(page.locator("body")).to_have_attribute(
        "data-wf-status", "SUCCEEDED", timeout=TIMEOUT_MS
    )
    expect(page.locator("#wf-bar")).to_have_text("100%")
    expect(page.locator("#wf-timeline")).to_have_attribute("data-axes", "time (UTC) | fold")
    expect(page.locator("#wf-equity")).to_have_attribute("data-axes", "time (UTC) | equity ($)")
    legend = page.locator("#wf-equity .u-legend")
    for label in ("out-of-sample (stitched)", "buy & hold", "in-sample fold 0"):
        expect(legend).to_contain_text(label)
    rows = page.locator("#wf-folds tbody tr")
    expect(rows).to_have_count(FOLDS)
    expect(page.locator("#wf-stability [data-param]")).to_have_count(2)
    expect(page.locator("#wf-stability-fast")).to_have_attribute(
        "data-axes", "fold | fast (grid 5 … 20)"
    )
    expect(page.locator('[data-kpi="WFE"]')).to_be_visible()
    expect(page.locator('[data-kpi="OOS Total return"]')).to_be_visible()
    shoot(page, shots / "walkforward.png", full_page=True)

    csv_url = page.locator("#folds-csv").get_attribute("href")
    answer = requests.get(f"{stack.base_url}{csv_url}", timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert answer.text.splitlines()[0].startswith("fold,status,train_start")
    assert len(answer.text.strip().splitlines()) == FOLDS + 1

    walkforward_url = page.url
    rows.first.locator("a").click()
    page.wait_for_url(re.compile(r"/sweeps/[0-9a-f-]{36}$"))
    expect(page.locator("body")).to_have_attribute("data-sweep-status", "SUCCEEDED")

    page.goto(f"{stack.base_url}/walkforward")
    walkforward_id = walkforward_url.rsplit("/", 1)[1]
    row = page.locator(f'#wf-table tr[data-walkforward-id="{walkforward_id}"]')
    expect(row).to_contain_text("SUCCEEDED")
    expect(row).to_contain_text(f"{FOLDS} / {FOLDS}")

    for accepted in own:
        wait_until(partial(ended, f"{stack.base_url}{accepted['status_url']}"), 120, 0.5)
    status = requests.get(f"{stack.base_url}/api/walkforward/{walkforward_id}", timeout=10)
    folds = {f["fold"]: f["sweep_id"] for f in status.json()["folds"]}
    page.goto(f"{stack.base_url}/sweeps")
    for accepted in own:
        expect(
            page.locator(f'#sweeps-table tr[data-sweep-id="{accepted["sweep_id"]}"]')
        ).to_contain_text("SUCCEEDED")
    for sweep_id in folds.values():
        expect(page.locator(f'#sweeps-table tr[data-sweep-id="{sweep_id}"]')).to_have_count(0)
    expect(page.locator("#sweeps-table")).not_to_contain_text("walk-forward")
    shoot(page.locator(".card", has=page.locator("#sweeps-table")), shots / "sweeps-list.png")
    page.click("#sweeps-folds")
    page.wait_for_url(re.compile(r"/sweeps\?folds=true$"))
    for fold, sweep_id in folds.items():
        expect(page.locator(f'#sweeps-table tr[data-sweep-id="{sweep_id}"]')).to_contain_text(
            f"walk-forward {walkforward_id[:8]} fold {fold}"
        )
    expect(page.locator("#sweeps-folds")).to_have_text("hide walk-forward folds' sweeps")
    context.close()
    assert errors == []
