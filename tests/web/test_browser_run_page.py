"""The run page and the history in a real browser (Debian's chromium driven by Playwright)
against the app served on loopback (SQLite, the test Redis, the repository's demo data):
what issue 24 found misleading or broken there.

- a low-exposure run's Overview draws the strategy on an axis of its own, readable;
- a default-sized run (10,000 a trade of 100,000) shows its average exposure beside its
  return and both benchmarks, 100 % invested and at its exposure, labelled, on the Stats
  and Equity tabs and in the report;
- a chart leaves the report's null values (the rolling Sharpe of a flat stretch) as gaps;
- a waiting run's badge and body say the same status when it moves on;
- the history table fits its card at 1,440 × 900 (and 1,280 × 800);
- the Stats and Drawdown tabs show each chart once (no server PNG beside the interactive
  one); each PNG is a download drawn on demand; the form and "Run again" submit
  ``charts: false``.

Screenshots go to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set
(``dashboard-stats.png``, the Stats tab at 1,280 × 800, as the stack test names it;
``dashboard-equity-benchmarks.png`` and ``dashboard-history-1440.png``, shown in
docs/dashboard.md).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from playwright.sync_api import expect

from kinds.runs.store import mark_running, update_labels
from tests.web.support import app_with_schema, on_loopback
from tests.web.support_dashboard import add_pending, add_succeeded
from tests.web.test_browser_dashboard import VIEWPORT, Watched, shoot, shots  # noqa: F401
from web.db import get_database

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

"""The repository's synthetic demo tickers (ACME, GLOBEX, …), read only."""

DEFAULT_RUN = {
    "ticker": "ACME",
    "params": {"fast": 10, "slow": 40},
    "start_date": "2015-01-01",
    "end_date": "2020-12-31",
}
"""An SMA-cross run at the form's default sizing (10,000 a trade of 100,000: ~5% invested
on average, in the market half the time) and with the server PNGs (``charts`` default)."""

COMPOSITE = {
    "operator": "AND",
    "rules": [
        {"rule_type": "RSI", "params": {"period": 14, "oversold": 30, "overbought": 70}},
        {"rule_type": "MACD", "params": {"fast": 12, "slow": 26, "signal": 9}},
        {"rule_type": "SMA_CROSS", "params": {"fast": 10, "slow": 40}},
    ],
}
"""A rule whose rule_id is long (the history's widest cell)."""


@pytest.fixture
def served(sqlite_url: str, redis_url: str, demo_data_dir) -> Iterator[tuple[object, str]]:
    """(the app, its base URL on loopback)."""
    app = app_with_schema(sqlite_url, redis_url, demo_data_dir)
    with on_loopback(app) as base_url:
        yield app, base_url


@pytest.fixture
def page(browser) -> Iterator[object]:
    """A fresh 1280 × 800 page; no script error (console or pageerror) by the end."""
    context = browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
    page = context.new_page()
    watched = Watched(page)
    yield page
    context.close()
    assert watched.errors == []


def open_run(page, base_url: str, run_id: str) -> None:
    page.goto(f"{base_url}/runs/{run_id}")
    page.wait_for_selector("body[data-result='loaded']")


def legend_labels(page, chart: str) -> list[str]:
    """The series labels of a chart's legend (its x series first)."""
    return page.eval_on_selector(chart, "el => el.btChart.series.map((s) => s.label)")


def test_a_run_page_opens_on_its_equity_chart_with_the_key_figures_beside_it(
    served,
    page,
    shots,  # noqa: F811
):
    """As a report's first page: the Overview tab is open, its chart draws the strategy and
    both buy-and-hold lines, and the key figures (the run's own metrics, formatted) stand to
    the right of the chart at 1,440 px, their tops level with it."""
    app, base_url = served
    request, result = add_succeeded(app, **DEFAULT_RUN)
    page.set_viewport_size({"width": 1440, "height": 900})
    open_run(page, base_url, request.run_id)
    expect(page.locator("#tab-overview")).to_have_attribute("aria-selected", "true")
    page.wait_for_selector("#chart-overview[data-ready='1'] canvas")
    assert legend_labels(page, "#chart-overview")[1:4] == [
        "strategy",
        "buy & hold (100% invested)",
        f"buy & hold at {result['metrics']['avg_exposure_pct']:.1f}% (the run's avg exposure)",
    ]
    figures = page.locator("#key-figures")
    sharpe = result["metrics"]["sharpe_ratio"]
    expect(figures.locator("[data-figure='sharpe_ratio'] td")).to_have_text(f"{sharpe:.2f}")
    expect(figures.locator("[data-figure='num_trades'] td")).to_have_text(
        str(result["metrics"]["num_trades"])
    )
    chart, table = page.locator("#chart-overview").bounding_box(), figures.bounding_box()
    assert table["x"] >= chart["x"] + chart["width"] - 1, "the figures stand beside the chart"
    assert abs(table["y"] - chart["y"]) < 40
    shoot(page, shots / "dashboard-run-overview.png")


HEIGHT_SHARE = """(el, i) => {
  const u = el.btChart, scale = u.series[i].scale;
  const ys = u.data[i].filter((v) => v !== null && v !== undefined);
  const top = u.valToPos(Math.max(...ys), scale), bottom = u.valToPos(Math.min(...ys), scale);
  return (bottom - top) / (u.bbox.height / devicePixelRatio);
}"""
"""The share of a chart's plot height that series ``i``'s curve spans, lowest to highest
value, as uPlot placed it on its scale."""


def test_a_low_exposure_runs_overview_draws_the_strategy_on_an_axis_of_its_own(served, page):
    """A run ~5 % invested on average moves a twentieth as much as buy and hold 100 %
    invested: the Overview opens with the strategy and buy and hold at its exposure on a
    right axis of their own, the strategy's curve spanning over half the plot's height
    (one line of the chart, checked on the drawn scales). Its switch puts every line on
    one axis, where the strategy is the flat line it was (under a fifth of the height),
    and back."""
    app, base_url = served
    request, result = add_succeeded(app, **DEFAULT_RUN)
    assert result["metrics"]["avg_exposure_pct"] < 10
    open_run(page, base_url, request.run_id)
    chart, switch = page.locator("#chart-overview"), page.locator("#overview-own-axis")
    page.wait_for_selector("#chart-overview[data-ready='1'] canvas")
    assert chart.evaluate(HEIGHT_SHARE, 1) > 0.5
    expect(chart).to_have_attribute("data-axes", "own")
    expect(switch).to_be_checked()
    scales = "el => el.btChart.series.slice(1).map((s) => s.scale)"
    assert page.eval_on_selector("#chart-overview", scales) == ["right", "y", "right"]
    axes = "el => el.btChart.axes.map((a) => [a.scale || 'x', a.side, a.label || null])"
    assert page.eval_on_selector("#chart-overview", axes)[1:] == [
        ["y", 3, "buy & hold 100%"],
        ["right", 1, "strategy · buy & hold at its exposure"],
    ]
    assert legend_labels(page, "#chart-overview")[1] == "strategy"
    switch.uncheck()
    expect(chart).to_have_attribute("data-axes", "shared")
    assert page.eval_on_selector("#chart-overview", scales) == ["y", "y", "y"]
    assert chart.evaluate(HEIGHT_SHARE, 1) < 0.2
    switch.check()
    expect(chart).to_have_attribute("data-axes", "own")
    assert chart.evaluate(HEIGHT_SHARE, 1) > 0.5


def test_the_return_is_shown_with_its_exposure_and_both_benchmarks_labelled(
    served,
    page,
    shots,  # noqa: F811
):
    """Stats: the Total return card says the average exposure, buy and hold at it and at
    100%, from the run's metrics; the two benchmark cards are labelled; the PSR has its
    card. Equity and the report's equity chart draw both benchmarks, labelled with the
    exposure."""
    app, base_url = served
    request, result = add_succeeded(app, **DEFAULT_RUN)
    metrics = result["metrics"]
    exposure = metrics["avg_exposure_pct"]
    assert 1 < exposure < 15 and metrics["exposure_pct"] > 30
    open_run(page, base_url, request.run_id)
    context = page.locator("#return-context")
    expect(context).to_contain_text(f"avg exposure {exposure:.1f}%")
    exposed, full = metrics["benchmark_exposed_return_pct"], metrics["benchmark_return_pct"]
    expect(context.locator("[data-context='exposed']")).to_have_text(f"{exposed:,.2f}%")
    expect(context.locator("[data-context='full']")).to_have_text(f"{full:,.2f}%")
    expect(context).to_contain_text("at 100%")
    card = "[data-kpi='{}'] .bt-kpi-label"
    expect(page.locator(card.format("benchmark_return_pct"))).to_have_text(
        "Buy & hold (100% invested)"
    )
    expect(page.locator(card.format("benchmark_exposed_return_pct"))).to_have_text(
        "Buy & hold at run's exposure"
    )
    expect(page.locator(card.format("avg_exposure_pct"))).to_have_text("Avg exposure")
    expect(page.locator(card.format("psr"))).to_have_text("PSR (Sharpe > 0)")
    psr = page.locator("[data-kpi='psr'] .bt-kpi-value")
    expect(psr).to_have_text(f"{metrics['psr']:.3f}")
    page.click("#tab-stats")
    shoot(page, shots / "dashboard-stats.png")

    page.click("#tab-equity")
    page.wait_for_selector("#chart-equity[data-ready='1'] canvas")
    at_exposure = f"buy & hold at {exposure:.1f}% (the run's avg exposure)"
    assert legend_labels(page, "#chart-equity")[1:] == [
        "strategy",
        "buy & hold (100% invested)",
        at_exposure,
    ]
    shoot(page, shots / "dashboard-equity-benchmarks.png")

    page.click("#tab-report")
    expect(page.locator("#pane-report")).to_have_attribute("data-ready", ":63")
    assert legend_labels(page, "#chart-report-benchmark")[2:] == [
        "buy & hold (100% invested)",
        f"buy & hold at {exposure:.1f}% (the run's avg exposure)",
    ]


def test_a_chart_leaves_null_values_as_gaps(served, page):
    """The rolling Sharpe is null over flat stretches (a window without a position has no
    std): the drawn path has gaps there instead of a line joining across them, and so has
    every other line chart of the run page with nulls inside its values."""
    app, base_url = served
    request, _ = add_succeeded(app, **DEFAULT_RUN)
    open_run(page, base_url, request.run_id)
    page.click("#tab-report")
    page.select_option("#report-window", "21")
    expect(page.locator("#pane-report")).to_have_attribute("data-ready", ":21")
    drawn = page.eval_on_selector_all(
        ".bt-chart[data-ready='1']",
        """charts => charts.map((el) => {
             const u = el.btChart;
             return u.series.slice(1).map((s, k) => {
               const ys = u.data[k + 1];
               const known = ys.map((v, i) => (v === null || v === undefined ? -1 : i));
               const first = known.find((i) => i >= 0), last = Math.max(...known);
               const inner = first !== undefined && ys.slice(first, last).some((v) => v === null);
               const gaps = ((s._paths || {}).gaps || []).length;
               return { chart: el.id, label: s.label, inner, gaps };
             });
           }).flat()""",
    )
    sharpe = [line for line in drawn if line["chart"] == "chart-report-sharpe"]
    assert sharpe and sharpe[0]["inner"], "the run should have flat 21-bar windows"
    with_holes = [line for line in drawn if line["inner"]]
    assert all(line["gaps"] > 0 for line in with_holes), with_holes


def test_a_waiting_runs_badge_and_body_say_the_same_status(served, page):
    """A PENDING run's page; the run moves to RUNNING (as when a sweep's heatmap click
    opens it before a consumer takes it): the badge and the waiting message both say
    RUNNING, none says PENDING."""
    app, base_url = served
    request = add_pending(app, ticker="ACME", start_date="2020-01-01", end_date="2020-12-31")
    page.goto(f"{base_url}/runs/{request.run_id}")
    badge, waiting = page.locator("#run-status"), page.locator("#run-waiting")
    expect(badge).to_have_text("PENDING")
    expect(waiting).to_contain_text("PENDING")
    with get_database(app).sessionmaker.begin() as session:
        mark_running(session, request.run_id, "worker-1")
    expect(badge).to_have_text("RUNNING")
    expect(waiting).to_contain_text("RUNNING")
    expect(waiting).not_to_contain_text("PENDING")


def test_the_history_table_fits_its_card_at_1440_and_1280_px(served, browser, shots):  # noqa: F811
    """Long names, tags, a pin, a long COMPOSITE rule_id and all statuses: the table is no
    wider than its card (nothing scrolled out of sight) at 1,440 × 900 and 1,280 × 800."""
    app, base_url = served
    for number in range(3):
        request, _ = add_succeeded(
            app,
            ticker="GLOBEX",
            rule_type="COMPOSITE",
            params=COMPOSITE,
            size_type="percent",
            position_size=100,
            direction="longshort",
            start_date="2019-01-01",
            end_date="2020-12-31",
            charts=False,
        )
        with get_database(app).sessionmaker.begin() as session:
            update_labels(
                session,
                request.run_id,
                {
                    "name": f"a long descriptive name for run number {number}",
                    "tags": ["momentum", "baseline", "2024-review"],
                    "pinned": True,
                },
            )
    add_pending(app, ticker="ACME")
    add_succeeded(app, **DEFAULT_RUN, charts=False)
    for width, height in ((1440, 900), (1280, 800)):
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        watched = Watched(page)
        page.goto(f"{base_url}/runs")
        expect(page.locator("#runs-table tbody tr")).to_have_count(5)
        sizes = page.eval_on_selector(
            "#runs-table",
            """table => {
                 const box = table.closest('.table-responsive'), card = table.closest('.card');
                 return { table: table.scrollWidth, box: box.clientWidth,
                          boxScroll: box.scrollWidth, card: card.clientWidth,
                          cardScroll: card.scrollWidth };
               }""",
        )
        assert sizes["boxScroll"] <= sizes["box"], (width, sizes)
        assert sizes["table"] <= sizes["card"] and sizes["cardScroll"] <= sizes["card"], sizes
        last = page.locator("#runs-table thead th").last
        assert last.bounding_box()["x"] + last.bounding_box()["width"] <= width
        if width == 1440:
            shoot(page, shots / "dashboard-history-1440.png")
        context.close()
        assert watched.errors == []


def test_each_chart_is_shown_once_and_its_png_is_a_download_drawn_on_demand(served, page):
    """A run stored with its server PNGs: the Stats tab shows no chart image, the Drawdown
    tab one chart (the interactive one); the PNG links fetch image/png from the charts
    route; "Run again" submits charts: false."""
    app, base_url = served
    request, result = add_succeeded(app, **DEFAULT_RUN)
    assert result["chart_base64"] and result["charts"]["drawdown_curve_base64"]
    open_run(page, base_url, request.run_id)
    expect(page.locator("#pane-stats img")).to_have_count(0)
    page.click("#tab-drawdown")
    page.wait_for_selector("#chart-drawdown[data-ready='1'] canvas")
    expect(page.locator("#pane-drawdown img")).to_have_count(0)
    expect(page.locator("#pane-drawdown canvas")).to_have_count(1)
    links = page.eval_on_selector_all("a[data-png]", "links => links.map((a) => a.href)")
    assert len(links) == 6
    for href in links:
        answer = requests.get(href, timeout=60)
        assert answer.status_code == 200, href
        assert answer.headers["Content-Type"] == "image/png"
        assert answer.content.startswith(b"\x89PNG")
    with page.expect_request(lambda r: r.method == "POST") as submitted:
        page.click("#run-again")
    assert submitted.value.post_data_json["charts"] is False
    page.wait_for_url(f"{base_url}/runs/*")


def test_the_run_form_asks_for_no_server_charts(served, page):
    """The form's submission carries charts: false (the run page draws its own)."""
    _, base_url = served
    page.goto(f"{base_url}/")
    page.wait_for_selector("#run-form[data-ready='1']")
    page.fill("#f-start", "2019-01-01")
    page.fill("#f-end", "2020-12-31")
    with page.expect_request(lambda r: r.method == "POST" and "validate" not in r.url) as sent:
        page.click("#submit-run")
    body = sent.value.post_data_json
    assert body["charts"] is False and body["ticker"]
