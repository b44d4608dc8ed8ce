"""A portfolio's capacity curve in a real browser (Debian's chromium driven by Playwright):
equal weight over the thin demo ticker MOSS and GLOBEX, monthly, with a volume limit and
``capacity`` asked for; the item is computed by the kind's own Job code in this process,
and the portfolio's page shows the Capacity card: the server's chart of the stored table,
one row per default capital, the Sharpe ratio halving within them (docs/capacity.md).

The screenshot goes to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set
(``DASHBOARD_SCREENSHOTS_DIR=docs/images`` refreshes docs/capacity.md's
``portfolio-capacity.png``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from playwright.sync_api import expect

import data
from engine.capacity import capital_grid
from tests.portfolios.support import execute_item
from tests.web.support import app_with_schema, on_loopback
from tests.web.support_browser import recording_page, screenshots_dir, shoot
from tests.web.test_portfolio_pages import with_pages

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

SHIPPED_DATA = Path(data.__file__).resolve().parent

THIN = {
    "tickers": ["MOSS", "GLOBEX"],
    "start_date": "2015-01-01",
    "end_date": "2024-12-31",
    "volume_limit": 0.1,
    "capacity": True,
    "name": "MOSS and GLOBEX, volume limit 10 %",
}


@pytest.fixture
def served(sqlite_url: str, redis_url: str) -> Iterator[tuple[Flask, str]]:
    """The app on the shipped data with the portfolio pages, and its loopback URL."""
    app = with_pages(app_with_schema(sqlite_url, redis_url, SHIPPED_DATA))
    with on_loopback(app) as base_url:
        yield app, base_url


def test_the_thin_portfolios_capacity_card_shows_the_sharpe_ratio_halving(
    served, browser, tmp_path
):
    app, base_url = served
    accepted = requests.post(f"{base_url}/api/portfolios", json=THIN, timeout=30)
    assert accepted.status_code == 202, accepted.text
    portfolio_id = accepted.json()["portfolio_id"]
    execute_item(app, portfolio_id)
    page = recording_page(browser, {"width": 1280, "height": 1000})
    page.goto(f"{base_url}/portfolios/{portfolio_id}")
    expect(page.locator("body")).to_have_attribute(
        "data-portfolio-status", "SUCCEEDED", timeout=60_000
    )
    card = page.locator("#pane-capacity")
    expect(card).to_have_attribute("data-drawn", "true", timeout=30_000)
    expect(card).to_have_attribute("data-chart", "loaded", timeout=30_000)
    rows = page.locator("#capacity-table tbody tr")
    expect(rows).to_have_count(len(capital_grid()))
    expect(rows.first.locator("td").first).to_have_text("10k")
    expect(rows.last.locator("td").first).to_have_text("1B")
    chart = page.locator("#capacity-chart")
    assert chart.get_attribute("src").endswith(f"/api/portfolios/{portfolio_id}/capacity.svg")
    stored = requests.get(f"{base_url}/api/portfolios/{portfolio_id}/capacity", timeout=30).json()
    assert stored["half_sharpe_capital"] is not None
    expect(page.locator("#capacity-verdict")).to_contain_text("falls to half")
    sharpe = rows.first.locator("td").nth(1)
    expect(sharpe).to_have_text(f"{stored['points']['sharpe_ratio'][0]:.2f}")
    card.scroll_into_view_if_needed()
    shoot(card, screenshots_dir(tmp_path) / "portfolio-capacity.png")
    page.context.close()
    assert page.errors == []
