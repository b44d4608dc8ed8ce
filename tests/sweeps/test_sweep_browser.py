"""The sweep pages in a real browser (Debian's chromium driven by Playwright) against the
whole platform (the ``stack`` fixture): start a sweep from the form, watch its progress reach
100%, open the heatmap, click the best cell and land on that combo's run page.

Screenshots go to a temporary directory, or to SWEEP_SCREENSHOTS_DIR when set
(``SWEEP_SCREENSHOTS_DIR=docs/images`` refreshes the README's ``sweep.png`` and
docs/sweeps.md's ``sweep-portfolio.png``). A portfolio sweep's page draws its heatmap over
the two searched names and opens its best cell as a portfolio.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import delete

from store.db import make_engine
from store.models import Portfolio
from tests.portfolios.support import valid_portfolio
from tests.web.support_browser import finished_heatmap

pytestmark = [pytest.mark.browser, pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

TIMEOUT_MS = 120_000
HEATMAP = {"width": 800, "height": 420, "left": 60, "right": 84, "top": 24, "bottom": 40}
"""The heatmap canvas's drawing size and plot margins (web/static/sweeps.js)."""


@pytest.fixture
def shots(tmp_path) -> Path:
    wanted = os.environ.get("SWEEP_SCREENSHOTS_DIR")
    folder = Path(wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cell_position(canvas, cell: dict, columns: int, rows: int) -> dict[str, float]:
    """Where, in the canvas's displayed pixels, the heatmap draws ``cell`` (its ``i``, ``j``)
    of a ``columns`` × ``rows`` grid (the drawing's margins are ``HEATMAP``'s)."""
    cw = (HEATMAP["width"] - HEATMAP["left"] - HEATMAP["right"]) / columns
    ch = (HEATMAP["height"] - HEATMAP["top"] - HEATMAP["bottom"]) / rows
    x = HEATMAP["left"] + (cell["i"] + 0.5) * cw
    y = HEATMAP["top"] + (rows - 1 - cell["j"] + 0.5) * ch
    scale = canvas.bounding_box()["width"] / HEATMAP["width"]
    return {"x": x * scale, "y": y * scale}


def test_a_sweep_from_the_dashboard_reaches_100_percent_and_its_best_cell_opens_a_run(
    stack, browser, shots
):
    """Form → sweep page at 100% → heatmap drawn → best cell clicked → /runs/<id> page."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{stack.base_url}/sweeps")
    page.select_option("#s-rule", "SMA_CROSS")
    page.fill("#s-p-fast", "2:30:2")
    page.fill("#s-p-slow", "10:80:5")
    page.check("#s-t-GLOBEX")
    page.uncheck("#s-t-ACME")
    page.fill("#s-p-slow", "10:80")  # no step: the server says so, before a submission
    page.fill("#s-chunk", "50")
    posts: list[str] = []
    page.on(
        "request",
        lambda r: (
            posts.append(r.url) if r.method == "POST" and r.url.endswith("/api/sweeps") else None
        ),
    )
    page.wait_for_load_state("networkidle")
    page.click("#submit-sweep")
    expect(page.locator("#sweep-error")).to_have_text(
        "grid.slow must be a list or \"start:stop:step\" (got '10:80')"
    )
    assert posts == []
    page.fill("#s-p-slow", "10:80:5")
    expect(page.locator("#s-count")).to_contain_text("225 combinations")
    page.click("#submit-sweep")
    page.wait_for_url(re.compile(r"/sweeps/[0-9a-f-]{36}$"), timeout=30_000)

    expect(page.locator("body")).to_have_attribute(
        "data-sweep-status", "SUCCEEDED", timeout=TIMEOUT_MS
    )
    expect(page.locator("#sweep-bar")).to_have_text("100%")
    expect(page.locator("#top-table tbody tr")).to_have_count(25)
    canvas = page.locator("#heatmap")
    expect(canvas).to_have_attribute("data-best-cell", re.compile(r"\{"))
    best = json.loads(canvas.get_attribute("data-best-cell"))
    page.locator("#heatmap").scroll_into_view_if_needed()
    card = page.locator("#heatmap").locator("xpath=ancestor::div[contains(@class,'card')][1]")
    card.screenshot(path=str(shots / "sweep.png"))
    assert (shots / "sweep.png").stat().st_size < 150_000

    values_x = json.loads(page.locator("#sweep-data").text_content())["dimensions"]["fast"]
    values_y = json.loads(page.locator("#sweep-data").text_content())["dimensions"]["slow"]
    cell = cell_position(canvas, best, len(values_x), len(values_y))
    canvas.hover(position=cell)
    expect(page.locator("#hm-hover")).to_contain_text(f"fast={values_x[best['i']]}")
    expect(page.locator("#hm-hover")).to_contain_text("(1 combo; best #")  # not "1 combos"
    tip = page.locator("#hm-tip")  # the same words beside the pointer
    expect(tip).to_be_visible()
    assert tip.text_content() == page.locator("#hm-hover").text_content()
    expect(canvas).to_have_attribute("data-cell-values", "shown")  # 15 × 15 cells: room for text
    card.screenshot(path=str(shots / "sweep-hover.png"))

    results_url = f"{stack.base_url}/api/sweeps/{page.url.rsplit('/', 1)[1]}/results"
    most = requests.get(
        results_url, params={"sort": "num_trades", "per_page": 1}, timeout=30
    ).json()["results"][0]["metrics"]["num_trades"]
    busiest = requests.get(
        results_url, params={"min.num_trades": most, "per_page": 1}, timeout=30
    ).json()["total"]
    assert busiest < 25
    page.fill("#top-min-trades", str(most))
    page.locator("#top-min-trades").dispatch_event("change")
    expect(page.locator("#top-table tbody tr")).to_have_count(busiest)  # min trades: the rest
    page.screenshot(path=str(shots / "sweep-page.png"), full_page=True)
    canvas.click(position=cell)
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}$"), timeout=30_000)
    slug = f"sma_cross-{values_x[best['i']]}-{values_y[best['j']]}"
    expect(page.locator("body")).to_contain_text(slug)
    page.screenshot(path=str(shots / "sweep-run.png"))
    assert errors == []


def test_the_form_shows_the_servers_400_and_submits_nothing_the_server_refuses(stack, browser):
    """Bounds of a range's values, an int parameter's integer range, the chunk size and the
    tickers list are refused before any submission, in the words POST /api/sweeps answers
    for the very body the page sends (the page asks POST /api/schema/sweep/validate); a
    choice typed in any case is not refused (the server matches it case-insensitively)."""
    page = browser.new_page()
    page.goto(f"{stack.base_url}/sweeps")
    submissions: list[str] = []
    is_submission = re.compile(r"/api/sweeps$")
    page.on(
        "request",
        lambda r: (
            submissions.append(r.url)
            if r.method == "POST" and is_submission.search(r.url)
            else None
        ),
    )
    page.wait_for_load_state("networkidle")
    error = page.locator("#sweep-error")

    def submit_and_expect(message: str) -> None:
        with page.expect_request(lambda r: r.url.endswith("/api/schema/sweep/validate")) as sent:
            page.click("#submit-sweep")
        expect(error).to_have_text(message)
        answer = requests.post(
            f"{stack.base_url}/api/sweeps", json=sent.value.post_data_json, timeout=30
        )
        assert answer.status_code == 400
        field, error_text = answer.json()["field"], answer.json()["error"]
        assert message == (
            error_text if error_text.startswith(f"{field} ") else f"{field}: {error_text}"
        )

    for selector, value, message in [
        ("#s-p-fast", "1:5:1", "grid.fast values must be between 2 and 400 (got 1)"),
        (
            "#s-p-fast",
            "2.5:5:0.5",
            "grid.fast start, stop and step must be integers for an int parameter: '2.5'",
        ),
    ]:
        page.fill(selector, value)
        submit_and_expect(message)
    page.fill("#s-p-fast", "5:50:5")  # the server names its first problem only
    page.fill("#s-chunk", "10")
    submit_and_expect("chunk_size: must be an integer from 50 to 2000")
    page.fill("#s-chunk", "50")
    for box in page.locator("#s-tickers input:checked").all():
        box.uncheck()
    submit_and_expect("tickers: must be a list of 1 to 20 tickers")
    assert submissions == []

    page.route(
        "**/api/sweeps",
        lambda route: route.fulfill(status=400, json={"error": "stub", "field": "stub"}),
    )
    page.locator("#s-tickers input").first.check()
    page.select_option("#s-rule", "COMPOSITE")
    page.fill("#s-p-operator", "and,Or")
    page.click("#submit-sweep")
    expect(error).to_have_text("stub: stub")
    assert len(submissions) == 1


def test_an_empty_chunk_size_is_left_to_the_server(stack, browser, shots):
    """The chunk field starts empty ("auto"): the POST names no chunk_size and the server
    sizes the chunks (kinds.sweeps.contract.sized_chunk_size)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{stack.base_url}/sweeps")
    page.wait_for_load_state("networkidle")
    assert page.input_value("#s-chunk") == ""
    expect(page.locator("#s-chunk-help")).to_contain_text("Empty: 1,000 for a small sweep")
    page.select_option("#s-rule", "SMA_CROSS")
    page.fill("#s-p-fast", "2:10:2")
    page.fill("#s-p-slow", "20:40:10")
    page.locator("form").first.screenshot(path=str(shots / "sweep-form.png"))
    with page.expect_request(lambda r: r.method == "POST" and "/api/sweeps" in r.url) as sent:
        page.click("#submit-sweep")
    assert "chunk_size" not in sent.value.post_data_json
    page.wait_for_url(re.compile(r"/sweeps/[0-9a-f-]{36}$"), timeout=30_000)


PORTFOLIO_SWEEP = {"grid": {"n": "10:60:10", "top_n": [1, 2, 3]}}
"""A lookback × top_n sweep of the demo momentum portfolio (18 points)."""


def test_a_portfolio_sweeps_heatmap_is_drawn_and_its_best_cell_opens_that_portfolio(
    stack, browser, shots
):
    """Portfolio page → "Sweep this portfolio" (a refused grid names its entry) → sweep page
    at 100% → heatmap over n × top_n → best cell hovered, clicked → its portfolio's page.
    The portfolios it made are deleted after (the session's database is shared)."""
    made: list[str] = []
    try:
        _portfolio_sweep_from_the_dashboard(stack, browser, shots, made)
    finally:
        engine = make_engine(stack.database_url)
        with engine.begin() as connection:
            connection.execute(delete(Portfolio).where(Portfolio.portfolio_id.in_(made)))
        engine.dispose()


def _portfolio_sweep_from_the_dashboard(stack, browser, shots, made: list[str]) -> None:
    answer = requests.post(f"{stack.base_url}/api/portfolios", json=valid_portfolio(), timeout=60)
    assert answer.status_code == 202, answer.text
    made.append(answer.json()["portfolio_id"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{stack.base_url}/portfolios/{answer.json()['portfolio_id']}")
    page.fill("#pf-sweep-grid", json.dumps({"n": [0, 2]}))
    page.click("#pf-sweep")  # a window of 0 bars: refused, naming the entry
    expect(page.locator("#pf-sweep-error")).to_contain_text("grid.n")
    page.fill("#pf-sweep-grid", json.dumps(PORTFOLIO_SWEEP["grid"]))
    page.click("#pf-sweep")
    page.wait_for_url(re.compile(r"/sweeps/[0-9a-f-]{36}$"), timeout=30_000)
    canvas, best, dims = finished_heatmap(page, TIMEOUT_MS)
    expect(page.locator("#sweep-rule")).to_have_text("roc(close, $n)")
    values_x, values_y = dims["n"], dims["top_n"]
    assert (values_x, values_y) == ([10, 20, 30, 40, 50, 60], [1, 2, 3])
    canvas.scroll_into_view_if_needed()
    card = canvas.locator("xpath=ancestor::div[contains(@class,'card')][1]")
    card.screenshot(path=str(shots / "sweep-portfolio.png"))
    cell = cell_position(canvas, best, len(values_x), len(values_y))
    canvas.hover(position=cell)
    expect(page.locator("#hm-hover")).to_contain_text(f"n={values_x[best['i']]}")
    canvas.click(position=cell)
    page.wait_for_url(re.compile(r"/portfolios/[0-9a-f-]{36}$"), timeout=30_000)
    made.append(page.url.rsplit("/", 1)[1])
    assert errors == []


def test_the_sweep_form_offers_the_scaling_fields_as_grid_entries(stack, browser):
    """max_entries and exit_fraction take a list or a range like a stop: the count follows
    them, the page sends them as grid entries, and a value outside the engine's domain is
    shown in the server's words before anything is submitted."""
    page = browser.new_page()
    page.goto(f"{stack.base_url}/sweeps")
    page.wait_for_load_state("networkidle")
    page.select_option("#s-rule", "SMA_CROSS")
    expect(page.locator("#s-f-max_entries")).to_have_value("1")
    page.fill("#s-p-fast", "5,10")
    page.fill("#s-p-slow", "40")
    page.fill("#s-f-max_entries", "1:3:1")
    page.fill("#s-f-exit_fraction", "0.5,1")
    expect(page.locator("#s-count")).to_contain_text("12 combinations")
    sent: list[dict] = []

    def stub(route) -> None:
        sent.append(route.request.post_data_json)
        route.fulfill(status=400, json={"error": "stub", "field": "stub"})

    page.route("**/api/sweeps", stub)
    page.click("#submit-sweep")
    expect(page.locator("#sweep-error")).to_have_text("stub: stub")
    grid = sent[0]["grid"]
    assert (grid["max_entries"], grid["exit_fraction"]) == ("1:3:1", [0.5, 1])
    page.fill("#s-f-max_entries", "0,2")
    page.click("#submit-sweep")
    expect(page.locator("#sweep-error")).to_have_text(
        "grid.max_entries values must be a whole number from 1 to 100 (units held at once) (got 0)"
    )
    assert len(sent) == 1


def test_the_sweep_form_sends_exit_priority_when_ticked_and_the_sweep_stores_it(stack, browser):
    """The sweep form has the run form's checkboxes (close open trades at the end, exit
    priority) below its trading fields, unticked: unticked they send nothing (the request
    the form sent before they existed); Exit priority ticked sends ``exit_priority: true``,
    which the sweep stores and passes to its combinations."""
    page = browser.new_page()
    page.goto(f"{stack.base_url}/sweeps")
    page.wait_for_load_state("networkidle")
    page.select_option("#s-rule", "SMA_CROSS")
    for name in ("close_open_trades_at_end", "exit_priority"):
        expect(page.locator(f"#s-f-{name}")).not_to_be_checked()
    page.fill("#s-p-fast", "5,10")
    page.fill("#s-p-slow", "40")
    unticked = page.evaluate("SweepForm.tradingValues(document.getElementById('s-trading'))")
    assert "exit_priority" not in unticked and "close_open_trades_at_end" not in unticked
    page.check("#s-f-exit_priority")
    with page.expect_request(lambda r: r.method == "POST" and "/api/sweeps" in r.url) as sent:
        page.click("#submit-sweep")
    assert sent.value.post_data_json["exit_priority"] is True
    assert "close_open_trades_at_end" not in sent.value.post_data_json
    page.wait_for_url(re.compile(r"/sweeps/[0-9a-f-]{36}$"), timeout=30_000)
    sweep_id = page.url.rsplit("/", 1)[1]
    status = requests.get(f"{stack.base_url}/api/sweeps/{sweep_id}", timeout=30).json()
    assert status["request"]["exit_priority"] is True
