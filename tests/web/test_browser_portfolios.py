"""The portfolio pages in a real browser (Debian's chromium driven by Playwright).

The form's universe picker and modes run on the app served on a loopback port with the
shipped data (the demo universe) and the portfolio pages registered: the whole demo
universe is picked at first, a sector button adds its members, the allocation and
schedule show their own inputs, and the request the form would POST is the one the page
describes. The 30-ticker momentum rotation runs end to end (form → /portfolios/<id> →
SUCCEEDED → charts, contributions, orders and the list) on the ``stack`` fixture's
platform (MariaDB, Redis, its scaler and consumers), and so does a risk-parity long-short
book with a volatility target: built in the form, swept from its page, its best point
opened from the heatmap and checked against the sweep's figures. A sector ranking (the two
best sectors by momentum, two names each) is built in the form and accepted.

Screenshots go to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set
(``DASHBOARD_SCREENSHOTS_DIR=docs/images`` refreshes ``portfolio-form.png``,
``portfolio.png`` and docs/portfolios.md's ``portfolio-form-sector-ranking.png``,
``portfolio-form-risk-parity.png``,
``sweep-portfolio-risk-parity.png`` and ``portfolio-best-point.png``).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import delete

import data
from store.db import make_engine
from store.models import Portfolio
from tests.sweeps.test_sweep_browser import cell_position
from tests.web.support import app_with_schema, on_loopback
from tests.web.support_browser import finished_heatmap, recording_page, server_refuses, shoot
from tests.web.test_portfolio_pages import with_pages

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

SHIPPED_DATA = Path(data.__file__).resolve().parent

TIMEOUT_MS = 240_000
"""Longest wait for the portfolio to go through the queue."""


CATALOG = data.load_catalog(SHIPPED_DATA, user_dir=None).tickers()


def members(*sectors: str) -> list[str]:
    """The catalog's tickers in ``sectors``: what the form's sector buttons pick."""
    return [i.ticker for i in CATALOG if i.sector in sectors]


PICKED = [i.ticker for i in CATALOG if i.sector]
"""The tickers the form picks at first: every catalog ticker with a sector (the 30 of the
demo universe, the delisted DNDR and the dividend payer VRDN)."""
ALL_PICKED = f"{len(PICKED)} tickers"


@pytest.fixture
def shots(tmp_path) -> Path:
    """Where the screenshots go: DASHBOARD_SCREENSHOTS_DIR or a temporary directory."""
    folder = Path(os.environ.get("DASHBOARD_SCREENSHOTS_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def served(sqlite_url: str, redis_url: str) -> Iterator[str]:
    """The app on the shipped data with the portfolio pages, on a loopback port."""
    app = with_pages(app_with_schema(sqlite_url, redis_url, SHIPPED_DATA))
    with on_loopback(app) as base_url:
        yield base_url


def test_the_universe_picker_takes_whole_sectors_and_the_form_describes_its_request(
    served, browser, shots
):
    """Every demo-universe ticker at first; "none" then Energy and Technology: their
    members (VRDN is Technology too); rank shows score/filter/top N and the language panel,
    fixed its weights, "every N bars" its N; the request body is the form's values."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{served}/portfolios")
    expect(page.locator("#pf-count")).to_have_text(ALL_PICKED)
    expect(page.locator("#pf-help details.bt-expr-help")).to_have_count(1)
    shoot(page.locator("#pf-form"), shots / "portfolio-form.png")

    page.click("[data-group='']")
    expect(page.locator("#pf-count")).to_have_text("0 tickers")
    page.click("[data-group='Energy']")
    page.click("[data-group='Technology']")
    picked = len(members("Energy", "Technology"))
    expect(page.locator("#pf-count")).to_have_text(f"{picked} tickers")
    page.check("#pf-universe input[value='ACME']")
    expect(page.locator("#pf-count")).to_have_text(f"{picked + 1} tickers")
    page.fill("#pf-top_n", "3")
    page.fill("#pf-params", "lookback=63")
    page.fill("#pf-drift", "0.05")
    body = page.evaluate("PortfolioForm.body()")
    assert sorted(body["tickers"]) == sorted(["ACME", *members("Energy", "Technology")])
    assert body["allocation"] == {
        "method": "rank",
        "score": "close / sma(close, $lookback) - 1",
        "filter": "close > sma(close, 200)",
        "top_n": 3,
        "weighting": "equal",
    }
    assert body["params"] == {"lookback": 63} and "name" not in body
    assert body["rebalance"] == {"schedule": "monthly", "drift_threshold": 0.05}
    assert (body["initial_capital"], body["fee_rate"], body["slippage_bps"]) == (100000, 0.001, 5)

    bad, good = "close > sma(close, )", "close > sma(close, 200)"
    server_refuses(page, "#pf-filter", bad, good, "#pf-filter", "allocation.filter")

    expect(page.locator("#pf-weights")).to_be_hidden()
    page.select_option("#pf-method", "fixed")
    expect(page.locator("#pf-weights")).to_be_visible()
    expect(page.locator("#pf-score")).to_be_hidden()
    page.fill("#pf-weights", "ACME=0.4, PTRX=0.35")
    expect(page.locator("#pf-every")).to_be_hidden()
    page.select_option("#pf-schedule", "bars")
    expect(page.locator("#pf-every")).to_be_visible()
    page.fill("#pf-name", "two names")
    page.fill("#pf-fee_fixed", "1.5")
    page.fill("#pf-fee_per_share", "0.005")
    body = page.evaluate("PortfolioForm.body()")
    assert (body["fee_fixed"], body["fee_per_share"]) == (1.5, 0.005)
    assert "fee_min" not in body and "fee_max" not in body
    assert body["allocation"] == {"method": "fixed", "weights": {"ACME": 0.4, "PTRX": 0.35}}
    assert "params" not in body and body["name"] == "two names"
    assert body["rebalance"] == {"schedule": "bars", "every_n_bars": 21, "drift_threshold": 0.05}
    context.close()
    assert errors == []


def test_a_portfolio_saved_as_a_preset_fills_the_form_again_and_stays_off_the_run_form(
    served, browser, shots
):
    """Save the form as a portfolio preset, change the form, Load: the universe, ranking,
    parameters and schedule come back; the run dashboard's presets list does not show it."""
    context = browser.new_context(viewport={"width": 1280, "height": 1100}, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{served}/portfolios")
    expect(page.locator("#preset-select")).to_have_text("no presets yet")
    page.click("[data-group='']")
    page.click("[data-group='Energy']")
    page.fill("#pf-top_n", "2")
    page.fill("#pf-params", "lookback=42")
    page.select_option("#pf-schedule", "weekly")
    saved = page.evaluate("PortfolioForm.body()")
    page.fill("#preset-name", "energy top 2")
    page.click("#preset-save")
    expect(page.locator("#preset-status")).to_have_text('saved "energy top 2"')
    shoot(page.locator("#presets"), shots / "portfolio-presets.png")

    page.click("[data-group='*']")
    page.fill("#pf-top_n", "7")
    page.select_option("#pf-schedule", "monthly")
    expect(page.locator("#pf-count")).to_have_text(ALL_PICKED)
    page.click("#preset-load")
    expect(page.locator("#preset-status")).to_have_text('loaded "energy top 2"')
    expect(page.locator("#pf-count")).to_have_text(f"{len(members('Energy'))} tickers")
    assert page.evaluate("PortfolioForm.body()") == saved
    assert saved["params"] == {"lookback": 42} and saved["rebalance"]["schedule"] == "weekly"

    page.goto(f"{served}/")
    expect(page.locator("#preset-select")).to_have_text("no presets yet")
    context.close()
    assert errors == []


@pytest.fixture
def on_stack(stack) -> Iterator[str]:
    """The stack's web (its portfolio kind registers the pages)."""
    yield stack.base_url


@pytest.mark.mysql
def test_a_thirty_ticker_rotation_from_the_form_is_drawn_once_it_succeeded(
    on_stack, browser, shots
):
    """The demo universe, top 5 by 126-day momentum above the 200-day average, monthly: a
    broken score is refused under its input (the API's 400); fixed, the form submits it,
    its page follows it to SUCCEEDED and draws the equity, drawdown, weights and turnover
    charts, the contributions, the orders and the metrics; the list shows it."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "status of 400" not in m.text  # the refusal provoked
            else None
        ),
    )
    page.goto(f"{on_stack}/portfolios")
    expect(page.locator("#pf-count")).to_have_text(ALL_PICKED)
    page.fill("#pf-start", "2016-01-04")
    page.fill("#pf-top_n", "5")
    page.fill("#pf-params", "lookback=126")
    page.fill("#pf-name", "momentum top 5")
    page.fill("#pf-score", "close / sma(close, $lookback) -")
    page.click("#submit-pf")
    expect(page.locator("#pf-score")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#pf-score + .invalid-feedback")).to_contain_text("allocation.score")
    page.fill("#pf-score", "close / sma(close, $lookback) - 1")
    page.click("#submit-pf")
    page.wait_for_url(re.compile(r"/portfolios/[0-9a-f-]{36}$"), timeout=30_000)
    portfolio_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("body")).to_have_attribute(
        "data-portfolio-status", "SUCCEEDED", timeout=TIMEOUT_MS
    )
    for chart in ("pf-equity", "pf-drawdown", "pf-weights", "pf-turnover"):
        expect(page.locator(f"#{chart}[data-ready='1'] canvas")).to_have_count(1)
    expect(page.locator("#pf-contrib tbody tr")).to_have_count(len(PICKED))
    assert page.locator("#pf-orders tbody tr").count() > 20
    expect(page.locator("#pf-orders-count")).to_contain_text("orders")
    expect(page.locator("#pf-kpis [data-kpi]")).to_have_count(6)
    expect(page.locator("#pf-metrics tbody tr").first).to_be_visible()
    expect(page.locator("#pf-setup")).to_contain_text(ALL_PICKED)
    shoot(page, shots / "portfolio.png", full_page=True)

    page.goto(f"{on_stack}/portfolios")
    row = page.locator(f'#pf-table tr[data-portfolio-id="{portfolio_id}"]')
    expect(row).to_contain_text("SUCCEEDED")
    expect(row).to_contain_text("momentum top 5")
    expect(row.locator("[data-allocation]")).to_contain_text("top 5")
    expect(row.locator("[data-schedule]")).to_have_text("monthly")
    context.close()
    assert errors == []


def test_the_form_builds_a_risk_parity_long_short_book_with_a_volatility_target(
    served, browser, shots
):
    """Risk parity, three long and three short, 10 % volatility within 1.5x and a 30 % cap:
    the body holds each field and the server accepts it (202)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1100}, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{served}/portfolios")
    expect(page.locator("#pf-count")).to_have_text(ALL_PICKED)
    page.fill("#pf-top_n", "3")
    page.fill("#pf-params", "lookback=63")
    page.select_option("#pf-weighting", "equal_risk_contribution")
    page.fill("#pf-short_n", "3")
    page.fill("#pf-vol", "0.1")
    page.fill("#pf-leverage", "1.5")
    page.fill("#pf-max_weight", "0.3")
    body = page.evaluate("PortfolioForm.body()")
    assert body["allocation"] == {
        "method": "rank",
        "score": "close / sma(close, $lookback) - 1",
        "filter": "close > sma(close, 200)",
        "top_n": 3,
        "weighting": "equal_risk_contribution",
        "short_n": 3,
        "target_volatility": 0.1,
        "max_leverage": 1.5,
        "max_weight": 0.3,
    }
    shoot(page.locator("#pf-form"), shots / "portfolio-form-long-short.png")
    answer = page.request.post(f"{served}/api/portfolios", data=body)
    assert answer.status == 202, answer.text()
    context.close()
    assert errors == []


REFUSAL_LOGGED = "Failed to load resource: the server responded with a status of 400"
"""Chromium logs the 400 a test provokes; the form shows it under its input."""

SECTOR_RANKING = {
    "method": "rank",
    "score": "roc(close, $lookback)",
    "filter": 'ref("DEMOIX", close) > ref("DEMOIX", sma(close, 200))',
    "top_n": 4,
    "weighting": "equal",
    "top_groups": 2,
    "per_group": 2,
    "group_score": "mean",
}
"""The demo universe's two sectors of highest mean 63-day momentum, two names of each,
while the demo index is above its 200-day average."""

SECTOR_FORM = {
    "score": SECTOR_RANKING["score"],
    "filter": SECTOR_RANKING["filter"],
    "params": "lookback=63",
    "top_n": "4",
    "top_groups": "2",
    "per_group": "2",
    "name": "two best sectors, two names each",
}
"""What the form is given for it (input id after ``pf-`` → text), besides the sector score."""


def test_the_form_ranks_sectors_and_refuses_a_sector_ranking_with_shorts_under_its_input(
    served, browser, shots
):
    """Top sectors 2, names per sector 2, by mean momentum, with an index filter read by
    ref(): the body holds the ranking and the server accepts it (202); three shorts beside
    it are refused under Top sectors (a sector ranking is long only)."""
    page = recording_page(browser, {"width": 1280, "height": 1100}, REFUSAL_LOGGED)
    page.goto(f"{served}/portfolios")
    expect(page.locator("#pf-count")).to_have_text(ALL_PICKED)
    for field, value in SECTOR_FORM.items():
        page.fill(f"#pf-{field}", value)
    page.select_option("#pf-group_score", "mean")
    body = page.evaluate("PortfolioForm.body()")
    assert body["allocation"] == SECTOR_RANKING
    assert body["params"] == {"lookback": 63}

    server_refuses(page, "#pf-short_n", "3", "", "#pf-top_groups", "long-only")
    page.locator("#pf-short_n").blur()
    shoot(page.locator("#pf-form"), shots / "portfolio-form-sector-ranking.png")
    answer = page.request.post(
        f"{served}/api/portfolios", data=page.evaluate("PortfolioForm.body()")
    )
    assert answer.status == 202, answer.text()
    page.context.close()
    assert page.errors == []


ERC_FORM = {
    "start": "2018-01-02",
    "end": "2023-12-29",
    "params": "lookback=63",
    "top_n": "3",
    "short_n": "3",
    "borrow": "0.01",
    "vol": "0.1",
    "leverage": "1.5",
    "max_weight": "0.4",
    "max_sector_weight": "0.6",
    "min_trade": "0.002",
    "cash_rate": "0.02",
    "name": "risk parity long-short",
}
"""What the form is given (input id after ``pf-`` → text), besides risk parity."""

ERC_SWEEP = {"lookback": [21, 63, 126, 252], "risk_lookback": [21, 63, 126]}
"""The risk-parity book's sweep from its page: the score's lookback × the covariance's
(12 points)."""


@pytest.mark.mysql
def test_a_risk_parity_long_short_book_from_the_form_sweeps_and_opens_its_best_point(
    stack, browser, shots
):
    """Fifteen tickers, three long and three short by 63-day momentum, risk parity, a 10 %
    volatility target within 1.5x, caps per ticker and sector, a minimum trade and both
    rates, built in the form and run on the platform; its page says each setting; "Sweep
    this portfolio" over the target × the lookback reaches 100 %; the heatmap's best cell
    opens that point as a portfolio, whose page shows the sweep's figures for it. The
    portfolios it made are deleted after (the session's database is shared)."""
    made: list[str] = []
    try:
        _erc_book_swept(stack.base_url, browser, shots, made)
    finally:
        engine = make_engine(stack.database_url)
        with engine.begin() as connection:
            connection.execute(delete(Portfolio).where(Portfolio.portfolio_id.in_(made)))
        engine.dispose()


def _erc_book_swept(base_url: str, browser, shots: Path, made: list[str]) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, reduced_motion="reduce")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base_url}/portfolios")
    page.click("[data-group='']")
    for sector in ("Energy", "Technology", "Health Care"):
        page.click(f"[data-group='{sector}']")
    picked = len(members("Energy", "Technology", "Health Care"))
    expect(page.locator("#pf-count")).to_have_text(f"{picked} tickers")
    page.select_option("#pf-weighting", "equal_risk_contribution")
    for field, value in ERC_FORM.items():
        page.fill(f"#pf-{field}", value)
    body = page.evaluate("PortfolioForm.body()")
    assert body["borrow_rate"] == 0.01 and body["cash_rate"] == 0.02
    assert body["allocation"]["max_sector_weight"] == 0.6
    assert body["rebalance"]["min_trade"] == 0.002
    shoot(page.locator("#pf-form"), shots / "portfolio-form-risk-parity.png")
    page.click("#submit-pf")
    page.wait_for_url(re.compile(r"/portfolios/[0-9a-f-]{36}$"), timeout=30_000)
    made.append(page.url.rsplit("/", 1)[1])
    expect(page.locator("body")).to_have_attribute(
        "data-portfolio-status", "SUCCEEDED", timeout=TIMEOUT_MS
    )
    expect(page.locator("#pf-setup")).to_contain_text(
        "risk parity · short 3 (gross 2, net 0) · 63-day risk lookback · max weight 0.4 · "
        "max sector weight 0.6 · volatility target 10% (leverage ≤ 1.5) · min trade 0.002 · "
        "cash rate 2% · borrow rate 1%"
    )
    expect(page.locator("#pf-metrics [data-metric='turnover_pct'] td").first).to_have_text(
        "Turnover"
    )

    page.fill("#pf-sweep-grid", json.dumps(ERC_SWEEP))
    page.click("#pf-sweep")
    page.wait_for_url(re.compile(r"/sweeps/[0-9a-f-]{36}$"), timeout=30_000)
    sweep_id = page.url.rsplit("/", 1)[1]
    canvas, best, dims = finished_heatmap(page, TIMEOUT_MS)
    values_x, values_y = dims["lookback"], dims["risk_lookback"]
    assert (values_x, values_y) == (ERC_SWEEP["lookback"], ERC_SWEEP["risk_lookback"])
    canvas.scroll_into_view_if_needed()
    cell = cell_position(canvas, best, len(values_x), len(values_y))
    canvas.hover(position=cell)
    hover = page.locator("#hm-hover")
    expect(hover).to_contain_text(f"lookback={values_x[best['i']]}")
    card = canvas.locator("xpath=ancestor::div[contains(@class,'card')][1]")
    shoot(card, shots / "sweep-portfolio-risk-parity.png")
    combo_no = re.search(r"best #(\d+)", hover.text_content()).group(1)
    point = requests.get(f"{base_url}/api/sweeps/{sweep_id}/combos/{combo_no}", timeout=30).json()
    figures = point["metrics"]
    assert figures["sharpe_ratio"] == pytest.approx(best["v"], abs=1e-9)
    risk_lookback = values_y[best["j"]]
    assert point["request"]["allocation"]["risk_lookback"] == risk_lookback

    canvas.click(position=cell)
    page.wait_for_url(re.compile(r"/portfolios/[0-9a-f-]{36}$"), timeout=30_000)
    made.append(page.url.rsplit("/", 1)[1])
    expect(page.locator("body")).to_have_attribute(
        "data-portfolio-status", "SUCCEEDED", timeout=TIMEOUT_MS
    )
    setup = page.locator("#pf-setup")
    expect(setup).to_contain_text(f"$lookback={values_x[best['i']]}")
    expect(setup).to_contain_text(f"{risk_lookback}-day risk lookback")
    sharpe = page.locator("#pf-kpis [data-kpi='Sharpe'] .bt-kpi-value")
    expect(sharpe).to_have_text(f"{figures['sharpe_ratio']:,.2f}")
    for key in ("total_return_pct", "max_drawdown_pct", "cagr_pct"):
        cell = page.locator(f"#pf-metrics [data-metric='{key}'] td").nth(1)
        expect(cell).to_have_text(f"{figures[key]:,.2f}%")
    page.locator("#pf-kpis").scroll_into_view_if_needed()
    shoot(page, shots / "portfolio-best-point.png", full_page=True)
    context.close()
    assert errors == []
