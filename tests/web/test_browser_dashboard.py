"""The dashboard in a real browser (Debian's chromium driven by Playwright) against the whole
platform (the ``stack`` fixture: web + consumers on MariaDB and Redis).

Fills and submits the form, follows the run to its page, opens every tab, sorts, filters and
pages the trades, downloads the CSV, checks client hints and a server 400 shown next to its
field, saves / loads / deletes presets (a preset named ``<script>alert(1)</script>`` must
show as text and fire no dialog), compares two runs (their setups' differences marked; more
than ten refused before submission), follows a run's status live on /runs
and on its page, and watches the queue panel.

Screenshots (1280 x 800) go to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when
set (``DASHBOARD_SCREENSHOTS_DIR=docs/images`` refreshes the README's pictures, named
``dashboard-<view>.png``; the drawdown, portfolio and candles tabs are written too).
"""

from __future__ import annotations

import csv
import io
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from kinds.runs.contract import parse_request
from kinds.runs.store import insert_pending, mark_failed, mark_running
from store.db import make_engine, make_sessionmaker
from store.presets import create_preset
from tests.stack import run_count
from tests.web.support_browser import page_error, shoot

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 120_000
"""Longest wait for a run to go through the queue and a consumer."""


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where screenshots go."""
    wanted = os.environ.get("DASHBOARD_SCREENSHOTS_DIR")
    if wanted:
        path = Path(wanted)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


EXPECTED_CONSOLE = (
    "Failed to load resource: the server responded with a status of 400",
    "Failed to load resource: the server responded with a status of 409",
)
"""Chromium logs every 4xx answer; the page handles these (a 400 shown next to its field,
the 409 of a duplicate preset name), so they are not errors."""


class Watched:
    """A page plus what it reported: dialogs opened and script errors."""

    def __init__(self, page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._dialog)
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        page.on("console", self._console)

    def _console(self, message) -> None:
        if page_error(message, EXPECTED_CONSOLE):
            self.errors.append(f"console: {message.text}")

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def watched(request, browser, stack) -> Iterator[Watched]:
    """A fresh browser context and page; ``{"bypass_csp": True}`` (indirect parametrize)
    turns the Content-Security-Policy off, to show escaping alone stops injected markup."""
    options = getattr(request, "param", {})
    context = browser.new_context(
        viewport=VIEWPORT, accept_downloads=True, reduced_motion="reduce", **options
    )
    page = context.new_page()
    watched = Watched(page)
    yield watched
    context.close()
    assert watched.errors == []


def waiting_request():
    """A HOOLI RSI request with a fresh run_id, for a run inserted PENDING and never queued
    (so no consumer of the stack takes it)."""
    return parse_request(
        {
            "run_id": str(uuid.uuid4()),
            "ticker": "HOOLI",
            "rule_type": "RSI",
            "start_date": "2020-01-01",
            "end_date": "2020-12-31",
        }
    )


def open_form(page, stack) -> None:
    page.goto(f"{stack.base_url}/")
    page.wait_for_selector("#run-form[data-ready='1']")


def submit_form(page, stack) -> tuple[str, dict]:
    """Submit the run form, follow it to the run's page until its result has loaded; (the
    run's id, its ``/status`` answer), which says SUCCEEDED."""
    page.click("#submit-run")
    page.wait_for_url("**/runs/*", timeout=TIMEOUT_MS)
    run_id = page.url.rsplit("/", 1)[1]
    page.wait_for_selector("body[data-result='loaded']")
    status = requests.get(f"{stack.base_url}/status/{run_id}", timeout=30).json()
    assert status["status"] == "SUCCEEDED"
    return run_id, status


def fill_run(page, *, rule: str, params: dict[str, str], **fields: str) -> None:
    """Set ticker, dates, rule, its params and trading fields on the form."""
    page.select_option("#f-ticker", fields.pop("ticker", "ACME"))
    page.fill("#f-start", fields.pop("start_date", "2015-01-01"))
    page.fill("#f-end", fields.pop("end_date", "2024-12-31"))
    page.select_option("#f-rule", rule)
    for name, value in params.items():
        page.fill(f"[data-field='params.{name}']", value)
    for name, value in fields.items():
        selector = f"[data-field='{name}']"
        if page.eval_on_selector(selector, "node => node.tagName") == "SELECT":
            page.select_option(selector, value)
        else:
            page.fill(selector, value)


def pnl_column(page) -> list[float]:
    texts = page.eval_on_selector_all(
        "#trades-table tbody tr", "rows => rows.map(r => r.cells[9].textContent)"
    )
    return [float(text.replace(",", "")) for text in texts]


def test_submit_follow_every_tab_sort_filter_and_download(watched, stack, shots):
    """Form → PENDING/RUNNING progress → run page; every tab draws; trades sort, filter and
    page; the CSV download holds every trade; "Run again" makes a new run."""
    page = watched.page
    open_form(page, stack)
    fill_run(page, rule="SMA_CROSS", params={"fast": "10", "slow": "30"}, direction="longshort")
    shoot(page, shots / "dashboard-form.png")
    page.click("#submit-run")
    page.wait_for_selector("#progress-status")
    assert page.text_content("#progress-status") in ("PENDING", "RUNNING", "SUCCEEDED")
    page.wait_for_url("**/runs/*", timeout=TIMEOUT_MS)
    run_id = page.url.rsplit("/", 1)[1]
    page.wait_for_selector("body[data-result='loaded']")

    status = requests.get(f"{stack.base_url}/status/{run_id}", timeout=30).json()
    assert status["status"] == "SUCCEEDED"
    assert status["request"]["params"] == {"fast": 10, "slow": 30}
    metrics, trades = status["metrics"], status["result"]["trades"]
    shown = page.text_content("[data-kpi='total_return_pct'] .bt-kpi-value")
    assert shown == f"{metrics['total_return_pct']:,.2f}%"
    assert page.text_content("[data-kpi='num_trades'] .bt-kpi-value") == str(metrics["num_trades"])
    shoot(page, shots / "dashboard-stats.png")

    charts = {
        "equity": ["#chart-equity"],
        "drawdown": ["#chart-drawdown"],
        "portfolio": ["#chart-orders", "#chart-pnl", "#chart-cumret"],
        "candles": ["#chart-candles", "#candles-panels"],
    }
    for tab, selectors in charts.items():
        page.click(f"#tab-{tab}")
        for selector in selectors:
            page.wait_for_selector(f"{selector}[data-ready='1'] canvas")
        shoot(page, shots / f"dashboard-{tab}.png")

    page.click("#tab-trades")
    page.wait_for_selector("#trades-table[data-ready='1']")
    assert len(trades) > 50, "the run should trade enough to page"
    assert page.text_content("#trades-count") == f"{len(trades)} of {len(trades)} trades"
    assert page.locator("#trades-table tbody tr").count() == 50
    pnl = sorted(t["pnl_abs"] for t in trades)
    page.click("th[data-sort='pnl_abs']")
    assert page.get_attribute("th[data-sort='pnl_abs']", "aria-sort") == "ascending"
    assert pnl_column(page) == pytest.approx([round(v, 2) for v in pnl[:50]], abs=0.006)
    page.click("th[data-sort='pnl_abs']")
    assert page.get_attribute("th[data-sort='pnl_abs']", "aria-sort") == "descending"
    assert pnl_column(page)[0] == pytest.approx(round(pnl[-1], 2), abs=0.006)
    shoot(page, shots / "dashboard-trades.png")

    page.click("#trades-next")
    assert page.text_content("#trades-page").startswith("page 2 / ")
    shorts = [t for t in trades if t["side"] == "SELL"]
    page.select_option("#trades-side", "SELL")
    assert page.text_content("#trades-count") == f"{len(shorts)} of {len(trades)} trades"
    sides = page.eval_on_selector_all(
        "#trades-table tbody tr", "rows => rows.map(r => r.cells[1].textContent)"
    )
    assert set(sides) == {"SELL"}
    wins = [t for t in shorts if not t["is_open"] and t["pnl_abs"] > 0]
    page.select_option("#trades-outcome", "win")
    assert page.text_content("#trades-count") == f"{len(wins)} of {len(trades)} trades"

    with page.expect_download() as download_info:
        page.click("#export-csv")
    download = download_info.value
    assert download.suggested_filename == f"trades-{run_id}.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text())))
    exported = [float(row["pnl_abs"]) for row in rows]  # 10 decimal places: no float noise
    assert exported == pytest.approx([t["pnl_abs"] for t in trades], rel=0, abs=1e-10)

    page.click("#run-again")
    page.wait_for_url(lambda url: run_id not in url and "/runs/" in url)
    page.wait_for_selector("#run-status[data-status='SUCCEEDED']", timeout=TIMEOUT_MS)
    again = page.url.rsplit("/", 1)[1]
    assert requests.get(f"{stack.base_url}/status/{again}", timeout=30).json()["request"][
        "params"
    ] == {"fast": 10, "slow": 30}


def test_the_form_dates_follow_the_tickers_data_until_the_user_types_one(watched, stack, shots):
    """The dates open on the last ten years of the ticker's data (shown under it); a ticker
    whose data ends in 2013 moves them there; a date the user typed stays. The sweep form
    opens on the same dates."""
    page = watched.page
    open_form(page, stack)
    expect(page.locator("#f-ticker-range")).to_have_text("data: 2014-01-02 … 2024-12-31")
    assert (page.input_value("#f-start"), page.input_value("#f-end")) == (
        "2015-01-01",
        "2024-12-31",
    )
    # a ticker with backtesting.py's GOOG range (the stack's tickers all span 2014-2024)
    page.eval_on_selector(
        "#f-ticker option:nth-child(2)",
        "o => { o.dataset.first = '2004-08-19'; o.dataset.last = '2013-03-01'; }",
    )
    second = page.eval_on_selector("#f-ticker option:nth-child(2)", "o => o.value")
    page.select_option("#f-ticker", second)
    expect(page.locator("#f-ticker-range")).to_have_text("data: 2004-08-19 … 2013-03-01")
    assert (page.input_value("#f-start"), page.input_value("#f-end")) == (
        "2004-08-19",
        "2013-03-01",
    )
    shoot(page, shots / "form-dates.png")
    page.fill("#f-start", "2010-06-01")
    page.select_option("#f-ticker", index=0)
    assert page.input_value("#f-start") == "2010-06-01", "a typed date is the user's"

    page.goto(f"{stack.base_url}/sweeps")
    assert (page.input_value("#s-start"), page.input_value("#s-end")) == (
        "2015-01-01",
        "2024-12-31",
    )
    expect(page.locator("#s-ticker-range")).to_have_text("· data: 2014-01-02 … 2024-12-31")


def test_client_hints_and_server_400_show_next_to_their_field(watched, stack):
    """fast >= slow is caught before submitting (the page asks the server's validation
    route; no run is recorded); a range without bars comes back as the server's 400 and is
    shown under the start date."""
    page = watched.page
    open_form(page, stack)
    before = run_count(stack.base_url)
    fill_run(page, rule="SMA_CROSS", params={"fast": "30", "slow": "10"})
    page.click("#submit-run")
    fast = page.locator("[data-field='params.fast']")
    expect(fast).to_have_class(re.compile(r"(^|\s)is-invalid(\s|$)"))
    feedback = page.locator("[data-field='params.fast'] + .invalid-feedback")
    expect(feedback).to_have_text("params.fast (30) must be less than slow (10)")
    assert run_count(stack.base_url) == before

    fill_run(
        page,
        rule="SMA_CROSS",
        params={"fast": "10", "slow": "30"},
        start_date="1990-01-01",
        end_date="1990-12-31",
    )
    page.click("#submit-run")
    start_feedback = page.locator("#f-start + .invalid-feedback")
    expect(start_feedback).to_have_text(re.compile(r"^no ACME bars between 1990-01-01"))
    expect(page.locator("#f-start")).to_have_class(re.compile("is-invalid"))
    assert run_count(stack.base_url) == before


def test_a_bad_value_shows_the_apis_400_message_under_its_field_as_it_is_typed(
    watched, stack, shots
):
    """Typing a fee of 0.5 shows, without submitting, the very message POST /run_backtest
    answers for the body the page checked (the server's words, not a copy in the page);
    fixing the value clears it."""
    page = watched.page
    open_form(page, stack)
    before = run_count(stack.base_url)
    fill_run(page, rule="SMA_CROSS", params={"fast": "10", "slow": "30"})
    with page.expect_request(lambda r: r.url.endswith("/api/schema/run/validate")) as sent:
        page.fill("[data-field='fee_rate']", "0.5")
    feedback = page.locator("[data-field='fee_rate'] + .invalid-feedback")
    expect(feedback).to_have_text("must be from 0 to 0.1 (a fraction: 0.001 = 0.1%)")
    expect(page.locator("[data-field='fee_rate']")).to_have_class(re.compile("is-invalid"))
    page.locator("#run-form").screenshot(path=str(shots / "dashboard-form-error.png"))
    answer = requests.post(
        f"{stack.base_url}/run_backtest", json=sent.value.post_data_json, timeout=30
    )
    assert answer.status_code == 400
    assert answer.json() == {"error": feedback.text_content(), "field": "fee_rate"}

    page.fill("[data-field='fee_rate']", "0.001")
    expect(feedback).to_have_text("")
    expect(page.locator("[data-field='fee_rate']")).not_to_have_class(re.compile("is-invalid"))
    assert run_count(stack.base_url) == before


@pytest.mark.parametrize("watched", [{"bypass_csp": True}], indirect=True)
def test_presets_save_load_delete_and_show_names_as_text(watched, stack):
    """A preset named like a script is saved, listed and loaded as plain text; a duplicate
    name shows the 409 message (and offers to overwrite); delete removes it; no dialog ever
    opens (with the CSP off, so only the page's escaping prevents one)."""
    page = watched.page
    name = "<script>alert(1)</script>"
    open_form(page, stack)
    fill_run(page, rule="RSI", params={"period": "21"}, fee_rate="0.002")
    page.fill("#preset-name", name)
    page.click("#preset-save")
    option = page.locator("#preset-select option", has_text=name)
    expect(option).to_have_count(1)
    assert option.text_content() == name
    expect(page.locator("#preset-status")).to_have_text(f'saved "{name}"')

    page.fill("#preset-name", name)
    page.click("#preset-save")
    expect(page.locator("#preset-error")).to_have_text(
        f'a preset named "{name}" already exists: click Overwrite to replace it with this form'
    )

    page.select_option("#f-rule", "MACD")
    page.reload()
    page.wait_for_selector("#run-form[data-ready='1']")
    expect(option).to_have_count(1)
    page.select_option("#preset-select", label=name)
    page.click("#preset-load")
    assert page.input_value("#f-rule") == "RSI"
    assert page.input_value("[data-field='params.period']") == "21"
    assert page.input_value("[data-field='fee_rate']") == "0.002"
    assert page.text_content("#preset-loaded") == name

    page.click("#preset-delete")
    page.click("#preset-delete")
    expect(option).to_have_count(0)
    assert watched.dialogs == []


def test_a_preset_naming_an_unknown_sub_rule_loads_with_the_problem_shown(watched, stack, shots):
    """A COMPOSITE preset whose second sub-rule has an unknown type (stored before presets
    were validated, or before a rule was removed; the API refuses it now, so it is written
    to the database directly): the editor is drawn whole, the bad entry replaced by a
    usable rule, and the problem named next to the preset controls; no script error."""
    page = watched.page
    payload = {
        "rule_type": "COMPOSITE",
        "params": {
            "operator": "OR",
            "rules": [
                {"rule_type": "RSI", "params": {"period": 9}},
                {"rule_type": "NO_SUCH_RULE", "params": {}},
            ],
        },
    }
    name = f"broken composite {uuid.uuid4().hex[:6]}"
    refused = requests.post(
        f"{stack.base_url}/api/strategies", json={"name": name, "payload": payload}, timeout=10
    )
    assert refused.status_code == 400
    assert refused.json()["field"] == "payload.params.rules[1].rule_type"
    engine = make_engine(stack.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            preset_id = create_preset(session, name, payload).id
    finally:
        engine.dispose()
    open_form(page, stack)
    page.select_option("#preset-select", label=name)
    page.click("#preset-load")
    error = page.locator("#preset-error")
    expect(error).to_contain_text('"NO_SUCH_RULE" is not a rule that can be nested here')
    expect(error).to_contain_text("params.rules[1]")
    assert page.input_value("#f-rule") == "COMPOSITE"
    assert page.input_value("[data-field='params.operator']") == "OR"
    assert page.input_value("[data-field='params.rules[0].params.period']") == "9"
    assert page.locator(".bt-subrule").count() == 2  # the editor is whole
    shoot(page, shots / "preset-problem.png")
    requests.delete(f"{stack.base_url}/api/strategies/{preset_id}", timeout=10)


def test_history_compares_two_runs(watched, stack, shots):
    """Two finished runs picked on /runs open side by side: metrics table and one chart."""
    page = watched.page
    ids = []
    for params in ({"fast": 5, "slow": 20}, {"fast": 20, "slow": 50}):
        response = stack.submit(
            {
                "ticker": "GLOBEX",
                "rule_type": "SMA_CROSS",
                "params": params,
                "start_date": "2016-01-01",
                "end_date": "2024-12-31",
            }
        )
        ids.append(response.json()["run_id"])
    stack.wait_finished(ids)
    page.goto(f"{stack.base_url}/runs")
    page.wait_for_selector("#queue-panel[data-state='ok']")
    for run_id in ids:
        page.check(f"input[value='{run_id}']")
    assert page.text_content("#selected-count") == "2"
    page.click("#compare-selected")
    page.wait_for_url("**/compare?ids=*")
    page.wait_for_selector("#chart-compare[data-ready='1'] canvas")
    headers = page.eval_on_selector_all(
        "#compare-table thead th a", "links => links.map(a => a.getAttribute('href'))"
    )
    assert sorted(headers) == sorted(f"/runs/{run_id}" for run_id in ids)
    legend = page.text_content("#chart-compare .u-legend")
    assert all(run_id[:8] in legend for run_id in ids)
    differing = page.eval_on_selector_all(
        "#compare-table tr.bt-diff th", "cells => cells.map(c => c.textContent.trim())"
    )
    assert differing == ["param fast", "param slow"]
    window = page.locator("#compare-table tr[data-setup='market']", has_text="Window")
    expect(window.locator("td").first).to_have_text("2016-01-01 → 2024-12-31")
    shoot(page, shots / "dashboard-compare.png")
    page.locator("#compare-table").scroll_into_view_if_needed()
    shoot(page, shots / "dashboard-compare-setup.png")
    page.click("label[for='scale-equity']")
    page.wait_for_selector("#chart-compare[data-ready='1'] canvas")


def test_history_refuses_to_compare_more_than_ten_runs_before_submitting(watched, stack):
    """Eleven runs ticked on /runs: the compare button is disabled and says why; unticking
    one makes it usable again. No request is sent for the refused selection."""
    page = watched.page
    tag = f"cmp{uuid.uuid4().hex[:8]}"
    ids = [
        stack.submit(
            {
                "ticker": "ACME",
                "rule_type": "SMA_CROSS",
                "params": {"fast": 3 + i, "slow": 30},
                "start_date": "2020-01-01",
                "end_date": "2020-12-31",
                "charts": False,
                "tags": [tag],
            }
        ).json()["run_id"]
        for i in range(11)
    ]
    stack.wait_finished(ids)
    page.goto(f"{stack.base_url}/runs?tag={tag}")
    for run_id in ids:
        page.check(f"input[value='{run_id}']")
    expect(page.locator("#selected-count")).to_have_text("11")
    expect(page.locator("#compare-selected")).to_be_disabled()
    expect(page.locator("#compare-limit")).to_be_visible()
    expect(page.locator("#compare-limit")).to_contain_text("at most 10 runs")
    page.uncheck(f"input[value='{ids[0]}']")
    expect(page.locator("#compare-selected")).to_be_enabled()
    expect(page.locator("#compare-limit")).to_be_hidden()
    page.click("#compare-selected")
    page.wait_for_url("**/compare?ids=*")
    assert page.locator("#compare-table thead th a").count() == 10


def test_queue_panel_reads_rqs_registries(watched, stack, shots):
    """The panel on / shows the queue's name and numeric counts from /api/queue, and a line
    for the sweep chunks' own queue."""
    page = watched.page
    open_form(page, stack)
    page.wait_for_selector("#queue-panel[data-state='ok']")
    assert page.text_content("#queue-panel [data-q='queue']") == stack.queue
    for part in ("queued", "running", "failed", "consumers"):
        assert page.text_content(f"#queue-panel [data-q='{part}']").isdigit()
    sweeps = page.text_content("#queue-panel [data-q='sweeps']")
    assert re.fullmatch(
        rf"sweep chunks \({stack.queue}-sweeps\): \d+ queued · \d+ running · \d+ consumers", sweeps
    ), sweeps
    page.locator("#queue-panel").screenshot(path=str(shots / "queue-panel.png"))


def test_history_and_run_page_follow_a_run_live(watched, stack):
    """A PENDING row on /runs and the run's own page both change when the run's status
    changes in the database, without a manual reload."""
    page = watched.page
    request = waiting_request()
    engine = make_engine(stack.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            insert_pending(session, request, "browser-test")
        page.goto(f"{stack.base_url}/runs")
        badge = page.locator(f"tr[data-run-id='{request.run_id}'] .badge")
        expect(badge).to_have_text("PENDING")
        with make_sessionmaker(engine).begin() as session:
            mark_running(session, request.run_id, "browser-test")
        expect(badge).to_have_text("RUNNING", timeout=10_000)

        page.goto(f"{stack.base_url}/runs/{request.run_id}")
        expect(page.locator("#run-waiting")).to_contain_text("waiting for")
        with make_sessionmaker(engine).begin() as session:
            mark_failed(session, request.run_id, "ticker: <i>gone</i>")
        expect(page.locator("#run-error pre")).to_have_text("ticker: <i>gone</i>", timeout=10_000)
    finally:
        engine.dispose()


def test_a_waiting_run_is_cancelled_labelled_and_deleted_from_its_page(watched, stack, shots):
    """On the run page: Cancel turns a PENDING run CANCELLED (the page says so), the labels
    card saves name, tags, notes and the pin, and Delete (clicked twice, no dialog) removes
    the run and lands on the history."""
    page = watched.page
    request = waiting_request()
    engine = make_engine(stack.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            insert_pending(session, request, "browser-test")  # not queued: it stays PENDING
    finally:
        engine.dispose()
    status_url = f"{stack.base_url}/status/{request.run_id}"

    page.goto(f"{stack.base_url}/runs/{request.run_id}")
    expect(page.locator("#run-status")).to_have_text("PENDING")
    page.click("#run-cancel")
    expect(page.locator("#run-cancelled")).to_be_visible()
    expect(page.locator("#run-status")).to_have_text("CANCELLED")
    assert page.locator("#run-cancel").count() == 0
    # Cancel reloads the page: the scripts at its end wire "Edit labels" by DOMContentLoaded,
    # which a loaded machine can reach after the status text is already shown.
    page.wait_for_load_state("domcontentloaded")

    page.click("#labels-edit")
    page.fill("#label-name", "momentum <try>")
    page.fill("#label-tags", "alpha, beta.2")
    page.fill("#label-notes", "cancelled: wrong window")
    page.check("#label-pinned")
    page.click("#labels-save")
    expect(page.locator("#labels-tags .bt-tag")).to_have_text(["alpha", "beta.2"])
    expect(page.locator("#labels-pinned")).to_be_visible()
    expect(page.locator("#run-name")).to_have_text("momentum <try>")
    expect(page.locator("#labels-form")).to_be_hidden()
    shoot(page, shots / "run-labels-cancelled.png")
    stored = requests.get(status_url, timeout=10).json()
    assert (stored["name"], stored["tags"], stored["pinned"]) == (
        "momentum <try>",
        ["alpha", "beta.2"],
        True,
    )

    page.click("#labels-edit")
    page.fill("#label-tags", "has space")
    page.click("#labels-save")
    expect(page.locator("#labels-error")).to_contain_text("tags:")

    page.goto(f"{stack.base_url}/runs?tag=alpha&sort=created_at&order=desc")
    row = page.locator(f"tr[data-run-id='{request.run_id}']")
    expect(row.locator("[data-cell=labels] .bt-tag")).to_have_text(["alpha", "beta.2"])
    expect(row.locator("[data-cell=status] .badge")).to_have_text("CANCELLED")
    expect(row.locator("[data-cell=window]")).to_have_attribute("title", "2020-01-01 … 2020-12-31")
    shoot(page, shots / "history-labels.png")

    page.goto(f"{stack.base_url}/runs/{request.run_id}")
    page.click("#run-delete")
    expect(page.locator("#run-delete")).to_have_text("Confirm delete")
    page.click("#run-delete")
    page.wait_for_url(f"{stack.base_url}/runs")
    assert requests.get(status_url, timeout=10).status_code == 404
    assert watched.dialogs == []
