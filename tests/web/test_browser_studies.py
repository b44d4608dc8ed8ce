"""The study pages in a real browser (Debian's chromium driven by Playwright) against the
whole platform (the ``stack`` fixture: web and local scaler on MariaDB and Redis).

From /studies: a space the server refuses is shown under its input (the API's 400), then a
small study (ACME, SMA_CROSS, fast and slow searched, 30 trials) is submitted through the
form; its page is followed to SUCCEEDED and the history, importances, "Is the best trial luck?"
(the deflated Sharpe ratio of the best trial) and trial table are checked drawn, with no
script error; the best trial is run as a backtest and its run page reaches SUCCEEDED. A
two-objective study (Sharpe up, max drawdown down) draws its Pareto front (and says its
best trial cannot be deflated), and "walk-forward this space" opens the walk-forward form
prefilled.

The screenshots go to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set
(``DASHBOARD_SCREENSHOTS_DIR=docs/images`` refreshes docs/dashboard.md's ``study.png``,
``study-form.png``, ``study-luck.png`` and ``study-pareto.png``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
import requests
from playwright.sync_api import expect

from tests.web.support_browser import recording_page, screenshots_dir, shoot

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

TIMEOUT_MS = 240_000
"""Longest wait for a study's batches to go through the queue."""

EXPECTED_CONSOLE = "Failed to load resource: the server responded with a status of 400"
"""Chromium logs the 400 the test provokes; the page shows it under its field."""

TRIALS = 30


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the screenshots go: DASHBOARD_SCREENSHOTS_DIR or a temporary directory."""
    return screenshots_dir(tmp_path)


@pytest.fixture
def page(browser):
    """A page of a fresh context; its script errors (but the expected 400) must be none at
    the end."""
    page = recording_page(browser, {"width": 1280, "height": 900}, EXPECTED_CONSOLE)
    yield page
    page.context.close()
    assert page.errors == []


def _form(page, base_url: str) -> None:
    page.goto(f"{base_url}/studies")
    page.wait_for_selector("#study-form[data-ready='1']")
    page.select_option("#st-ticker", "ACME")
    page.select_option("#st-rule", "SMA_CROSS")
    page.fill("#st-start", "2018-01-01")
    page.fill("#st-end", "2020-12-31")
    page.fill("#st-fast-low", "5")
    page.fill("#st-fast-high", "30")
    page.fill("#st-slow-low", "40")
    page.fill("#st-slow-high", "120")
    page.fill("#st-n_trials", str(TRIALS))


def _submit(page) -> str:
    page.click("#submit-study")
    page.wait_for_url(re.compile(r"/studies/[0-9a-f-]{36}$"))
    expect(page.locator("body")).to_have_attribute(
        "data-study-status", "SUCCEEDED", timeout=TIMEOUT_MS
    )
    return page.url.rsplit("/", 1)[1]


def _luck_card(page, base_url: str, study_id: str) -> None:
    """The "Is the best trial luck?" card shows the study's stored deflated Sharpe ratio of
    its best trial: the verdict, the DSR and the trials it deflates by."""
    status = requests.get(f"{base_url}/api/studies/{study_id}", timeout=30).json()
    deflated = status["deflated"]
    assert deflated["best_trial"] == status["best"]["number"], deflated
    expect(page.locator("body")).to_have_attribute("data-study-luck", "shown")
    expect(page.locator("#study-luck-card")).to_be_visible()
    expect(page.locator("#study-luck-verdict")).to_have_text(deflated["verdict"])
    cells = page.locator("#study-luck-table tr[data-row='deflated Sharpe ratio (DSR)'] td")
    expect(cells.nth(1)).to_have_text(f"{deflated['dsr']:.3f}")
    expect(page.locator("#study-luck-table")).to_contain_text(f"#{deflated['best_trial']} of")


def test_a_study_from_the_form_runs_and_its_best_trial_opens_as_a_run(stack, page, shots):
    """Form (the live check's 400 under fast's high first) → /studies/<id> → SUCCEEDED → history,
    importances, the luck card and trials drawn; the best trial runs as a backtest to its run
    page."""
    _form(page, stack.base_url)
    page.fill("#st-fast-high", "1000")  # the server checks the form as it changes
    expect(page.locator("#st-fast-high")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator('[data-space="fast"] [data-role="error"]')).to_contain_text(
        "space.fast.high"
    )
    shoot(page.locator("#study-form"), shots / "study-form.png")
    page.fill("#st-fast-high", "30")
    expect(page.locator("#st-fast-high")).not_to_have_class(re.compile(r"\bis-invalid\b"))

    study_id = _submit(page)
    expect(page.locator("#study-bar")).to_have_text("100%")
    expect(page.locator("#study-done")).to_have_text(f"{TRIALS} / {TRIALS} trials done")
    expect(page.locator("#study-history")).to_have_attribute(
        "data-axes", "trial | Sharpe (maximize)"
    )
    legend = page.locator("#study-history .u-legend")
    for label in ("trial value", "best so far"):
        expect(legend).to_contain_text(label)
    expect(page.locator("#study-importances [data-param]")).to_have_count(2)
    expect(page.locator("#study-pareto-card")).to_be_hidden()
    rows = page.locator("#study-trials tbody tr")
    expect(rows).to_have_count(25)
    expect(page.locator("#trials-page")).to_have_text(f"page 1 / 2 · {TRIALS} trials")
    page.click("#trials-next")
    expect(rows).to_have_count(TRIALS - 25)
    page.click("#study-trials th[data-sort='value0']")
    page.click("#study-trials th[data-sort='value0']")  # descending: the best first
    expect(page.locator("#trials-page")).to_have_text(f"page 1 / 2 · {TRIALS} trials")
    expect(rows.first).to_have_class(re.compile(r"\bbt-best\b"))
    _luck_card(page, stack.base_url, study_id)
    shoot(page.locator("#study-luck-card"), shots / "study-luck.png")
    shoot(page, shots / "study.png", full_page=True)

    page.goto(f"{stack.base_url}/studies")
    row = page.locator(f'#studies-table tr[data-study-id="{study_id}"]')
    expect(row).to_contain_text("SUCCEEDED")
    expect(row).to_contain_text(f"{TRIALS} / {TRIALS}")
    row.locator("a").click()
    page.wait_for_url(re.compile(rf"/studies/{study_id}$"))
    expect(page.locator("#study-run-best")).to_be_enabled()
    page.click("#study-run-best")
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}$"))
    page.wait_for_selector("#run-status[data-status='SUCCEEDED']", timeout=TIMEOUT_MS)


def test_two_objectives_draw_a_pareto_front_and_the_space_walks_forward(stack, page, shots):
    """Sharpe up and max drawdown down: the Pareto front is drawn; "walk-forward this
    space" opens the walk-forward form with the searched ranges as grids."""
    _form(page, stack.base_url)
    page.select_option("#st-objective-2", "max_drawdown_pct")
    expect(page.locator("#st-direction-2")).to_have_value("minimize")
    _submit(page)
    expect(page.locator("#study-pareto-card")).to_be_visible()
    expect(page.locator("#study-pareto")).to_have_attribute(
        "data-axes", "Sharpe (maximize) | Max drawdown (minimize)"
    )
    expect(page.locator("#study-pareto .u-legend")).to_contain_text("Pareto front")
    expect(page.locator("body")).to_have_attribute("data-study-luck", "unavailable")
    expect(page.locator("#study-luck-verdict")).to_contain_text("one objective only")
    shoot(page, shots / "study-pareto.png", full_page=True)

    page.click("#study-walkforward")
    page.wait_for_url(re.compile(r"/walkforward#request="))
    page.wait_for_selector("#wf-form[data-ready='1']")
    handed = json.loads(unquote(page.url.split("#request=", 1)[1]))
    assert set(handed["grid"]) == {"fast", "slow"}
    expect(page.locator("#w-ticker")).to_have_value("ACME")
    expect(page.locator("#w-p-fast")).to_have_value(handed["grid"]["fast"])
    expect(page.locator("#w-start")).to_have_value("2018-01-01")


def test_an_expr_examples_dollar_names_get_space_rows_and_its_study_runs(stack, page):
    """EXPR: an example of the reference panel fills the texts, and each $name of them gets
    a row, searched over the example's range; a $name typed into a text gets one too, and
    one no text names any more loses its row; the example's study runs to SUCCEEDED."""
    page.goto(f"{stack.base_url}/studies")
    page.wait_for_selector("#study-form[data-ready='1']")
    page.select_option("#st-rule", "EXPR")
    page.click("details.bt-expr-help summary")
    page.click("[data-example='0']")
    expect(page.locator("#st-p-entry")).to_have_value(re.compile(r"\$n\b"))
    expect(page.locator("#st-n-low")).to_have_value("2")
    expect(page.locator("#st-n-high")).to_have_value("6")
    expect(page.locator("#st-low-mode")).to_have_value("fixed")
    expect(page.locator("#st-low-value")).to_have_value("10")
    page.fill("#st-p-exit", "rsi(close, $n) > $top")
    expect(page.locator('[data-space="top"]')).to_have_count(1)
    expect(page.locator('[data-space="high"]')).to_have_count(0)

    page.click("[data-example='0']")  # the example again: its rows again
    expect(page.locator('[data-space="top"]')).to_have_count(0)
    page.select_option("#st-ticker", "ACME")
    page.fill("#st-start", "2018-01-01")
    page.fill("#st-end", "2020-12-31")
    page.fill("#st-n_trials", "10")
    _submit(page)
    expect(page.locator("#study-setup")).to_contain_text("n 2…6")
    expect(page.locator("#study-trials tbody tr")).to_have_count(10)
    expect(page.locator("#study-trials th[data-sort='param:n']")).to_have_text("n")


def test_pause_extend_and_resume_steer_a_running_study(stack, page):
    """A study of small batches, one at a time: Pause (the page says paused and offers Resume),
    Extend by 50 (the budget grows), Resume; it then ends with every trial of the larger
    budget done, and the controls are gone."""
    body = {
        "ticker": "ACME", "rule_type": "SMA_CROSS", "start_date": "2018-01-01",
        "end_date": "2020-12-31", "sampler": "random", "n_trials": 150, "batch_size": 50,
        "parallelism": 1,
        "space": {"fast": {"low": 5, "high": 30}, "slow": {"low": 40, "high": 120}},
    }  # fmt: skip
    answer = requests.post(f"{stack.base_url}/api/studies", json=body, timeout=30)
    assert answer.status_code == 202, answer.text
    page.goto(f"{stack.base_url}/studies/{answer.json()['study_id']}")
    page.click("#study-pause")
    expect(page.locator("#study-other")).to_contain_text("paused")
    expect(page.locator("#study-resume")).to_be_visible()
    expect(page.locator("#study-pause")).to_be_hidden()
    page.fill("#study-extend-n", "50")
    page.click("#study-extend")
    expect(page.locator("#study-setup")).to_contain_text("200 trials")
    page.click("#study-resume")
    expect(page.locator("#study-pause")).to_be_visible()
    expect(page.locator("body")).to_have_attribute(
        "data-study-status", "SUCCEEDED", timeout=TIMEOUT_MS
    )
    expect(page.locator("#study-done")).to_have_text("200 / 200 trials done")
    expect(page.locator("#study-controls button:visible")).to_have_count(0)


def test_the_study_form_searches_units_and_the_exit_fraction(stack, page):
    """The scaling fields are space rows beside the stops, fixed at their defaults (sent as
    run fields) until set to search (sent as int and float space entries)."""
    _form(page, stack.base_url)
    expect(page.locator("#st-max_entries-value")).to_have_value("1")
    page.select_option("#st-max_entries-mode", "search")
    page.fill("#st-max_entries-low", "1")
    page.fill("#st-max_entries-high", "3")
    page.select_option("#st-exit_fraction-mode", "search")
    page.fill("#st-exit_fraction-low", "0.5")
    page.fill("#st-exit_fraction-high", "1")
    sent: list[dict] = []

    def stub(route) -> None:
        sent.append(route.request.post_data_json)
        route.fulfill(status=400, json={"error": "stub", "field": "stub"})

    page.route("**/api/studies", stub)
    page.click("#submit-study")
    expect(page.locator("#study-error")).to_have_text("stub: stub")
    (body,) = sent
    assert body["space"]["max_entries"] == {"low": 1, "high": 3}
    assert body["space"]["exit_fraction"] == {"low": 0.5, "high": 1}
    assert "max_entries" not in body and body["take_profit_fraction"] == 1
    assert "fee_fixed" not in body  # an optional cost left empty is not sent
