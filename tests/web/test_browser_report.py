"""The run page's Report tab in a real browser (Debian's chromium driven by Playwright)
against the app served on loopback (SQLite, the test Redis, the repository's demo data):
a stored ACME run's report is drawn, then redrawn against GLOBEX and with another rolling
window, with no script error (console or pageerror).

The report's "Is it luck?" section shows the run's stored PSR and its inputs and the Monte
Carlo asked on its own, redrawn for another seed, with a refused parameter named.

Screenshots (1280 x 800) go to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when
set (``dashboard-report.png``, ``dashboard-report-risk.png`` and
``dashboard-report-luck.png``, shown in docs/dashboard.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.web.support import app_with_schema, on_loopback
from tests.web.support_dashboard import add_succeeded
from tests.web.test_browser_dashboard import VIEWPORT, Watched, shoot, shots  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

"""The repository's synthetic demo tickers (ACME, GLOBEX, …), read only."""


@pytest.fixture
def served_run(
    sqlite_url: str, redis_url: str, demo_data_dir
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(base URL, run_id, stored result) of a SUCCEEDED all-in ACME SMA-cross run,
    2016-2020, on loopback."""
    app = app_with_schema(sqlite_url, redis_url, demo_data_dir)
    request, result = add_succeeded(
        app,
        ticker="ACME",
        params={"fast": 10, "slow": 40},
        size_type="percent",
        position_size=100,
        start_date="2016-01-01",
        end_date="2020-12-31",
    )
    with on_loopback(app) as base_url:
        yield base_url, request.run_id, result


def report_tab(
    browser: Browser, base_url: str, run_id: str
) -> tuple[BrowserContext, Page, Watched]:
    """A fresh context on the run's page with its Report tab clicked: (context, page, what
    the page reported)."""
    context = browser.new_context(viewport=VIEWPORT, reduced_motion="reduce")
    page = context.new_page()
    watched = Watched(page)
    page.goto(f"{base_url}/runs/{run_id}")
    page.click("#tab-report")
    return context, page, watched


def test_the_report_tab_draws_and_follows_the_benchmark_and_window(browser, served_run, shots):  # noqa: F811
    """Report tab: 5 statistic cards + common bars, a heatmap row per year 2016-2020 with
    12 months and a total, four charts, up to five drawdowns; GLOBEX as benchmark and a
    126-bar window redraw it; a refused ticker is named beside the menus; no script errors
    (the 400 chromium logs for that ticker is expected)."""
    context, page, watched = report_tab(browser, *served_run[:2])
    pane = page.locator("#pane-report")
    expect(pane).to_have_attribute("data-ready", ":63")
    expect(page.locator("#report-stats .bt-kpi")).to_have_count(6)
    beta = page.locator("#report-stats [data-stat='beta'] .bt-kpi-value")
    own_beta = beta.text_content()
    assert float(own_beta) > 0
    years = page.locator("#report-monthly tbody tr")
    expect(years).to_have_count(5)
    expect(years.first.locator("td")).to_have_count(13)
    assert page.locator("#report-monthly thead th").all_text_contents()[1:4] == [
        "Jan",
        "Feb",
        "Mar",
    ]
    shaded = page.eval_on_selector_all(
        "#report-monthly tbody td", "cells => cells.filter(c => c.style.backgroundColor).length"
    )
    assert shaded > 40
    rows = page.locator("#report-drawdowns tbody tr")
    assert 1 <= rows.count() <= 5
    for chart in ("benchmark", "sharpe", "vol", "underwater"):
        expect(page.locator(f"#chart-report-{chart} canvas")).to_have_count(1)
        expect(page.locator(f"#chart-report-{chart} .u-legend")).to_be_visible()
    expect(page.locator("#report-sharpe-title")).to_contain_text("63 bars")

    expect(page.locator("#report-benchmark option[value='GLOBEX']")).to_have_count(1)
    page.select_option("#report-benchmark", "GLOBEX")
    expect(pane).to_have_attribute("data-ready", "GLOBEX:63")
    expect(page.locator("#report-benchmark-title")).to_contain_text("GLOBEX")
    expect(beta).not_to_have_text(own_beta)
    page.select_option("#report-window", "126")
    expect(pane).to_have_attribute("data-ready", "GLOBEX:126")
    expect(page.locator("#report-vol-title")).to_contain_text("126 bars")
    expect(page.locator("#chart-report-benchmark .u-legend")).to_contain_text("GLOBEX")
    shoot(page, shots / "dashboard-report.png")
    page.eval_on_selector("#report-benchmark", "s => s.add(new Option('NOPE', 'NOPE'))")
    page.select_option("#report-benchmark", "NOPE")
    expect(pane).to_have_attribute("data-ready", "error")
    expect(page.locator("#report-state")).to_have_text("benchmark: unknown ticker NOPE")
    page.select_option("#report-benchmark", "")
    expect(pane).to_have_attribute("data-ready", ":126")
    page.locator("#chart-report-sharpe").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 120)")
    shoot(page, shots / "dashboard-report-risk.png")
    context.close()
    assert watched.errors == []


def test_the_luck_section_shows_the_psr_and_a_seeded_monte_carlo(browser, served_run, shots):  # noqa: F811
    """PSR cards from the stored result with a verdict; the Monte Carlo with the server's
    defaults (1,000 paths, seed 0, block 10): two rows per method, the reshuffled total
    return equal to the run's at every percentile, a probability of a loss; seed 5 redraws
    the bootstrap; paths 0 is named beside the button; no script error."""
    context, page, watched = report_tab(browser, *served_run[:2])
    stored = served_run[2]
    section = page.locator("#report-luck")
    expect(section).to_have_attribute("data-ready", "1000:0:10")
    psr = stored["probabilistic_sharpe"]
    card = page.locator("#luck-psr [data-luck='psr'] .bt-kpi-value")
    expect(card).to_have_text(f"{psr['psr']:.3f}")
    expect(page.locator("#luck-psr [data-luck='n_returns'] .bt-kpi-value")).to_have_text(
        f"{psr['n_returns']:,}"
    )
    expect(page.locator("#luck-verdict")).to_contain_text("PSR")
    rows = page.locator("#luck-table tbody tr")
    expect(rows).to_have_count(4)
    total = f"{stored['metrics']['total_return_pct']:,.2f}%"
    reshuffled = page.locator("#luck-table tr[data-method='trades'][data-stat='total_return_pct']")
    assert reshuffled.locator("td.text-end").all_text_contents() == [total] * 6
    expect(page.locator("#luck-table svg")).to_have_count(4)
    expect(page.locator("#luck-loss")).to_contain_text("Probability of a loss")
    bootstrap = "#luck-table tr[data-method='bootstrap'][data-stat='total_return_pct'] td"
    before = page.locator(bootstrap).all_text_contents()
    page.fill("#luck-seed", "5")
    page.click("#luck-run")
    expect(section).to_have_attribute("data-ready", "1000:5:10")
    assert page.locator(bootstrap).all_text_contents() != before
    csv_link = page.locator("#luck-csv")
    assert csv_link.get_attribute("href").endswith("/montecarlo.csv?paths=1000&seed=5&block=10")
    section.scroll_into_view_if_needed()
    shoot(section, shots / "dashboard-report-luck.png")
    page.fill("#luck-paths", "0")
    page.click("#luck-run")
    expect(section).to_have_attribute("data-ready", "error")
    most = 3_000_000 // psr["n_returns"]  # MONTECARLO_MAX_VALUES' default over the returns
    refused = f"paths: must be an integer between 1 and {most}"
    expect(page.locator("#luck-state")).to_have_text(refused)
    context.close()
    assert watched.errors == []
