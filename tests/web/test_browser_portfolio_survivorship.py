"""The survivorship audit in a real browser (Debian's chromium driven by Playwright): the
demo universe (the 30 companies and the delisted DNDR), equal weight, monthly, with the
audit asked for in the form; the item is computed by the kind's own Job code in this
process, and the portfolio's page shows the audit's table, the survivors-only run ahead.

The screenshot goes to a temporary directory, or to DASHBOARD_SCREENSHOTS_DIR when set
(``DASHBOARD_SCREENSHOTS_DIR=docs/images`` refreshes docs/portfolios.md's
``portfolio-survivorship.png``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

import data
from data.demo_universe import DELISTED
from tests.portfolios.support import execute_item
from tests.web.support import app_with_schema, on_loopback
from tests.web.support_browser import recording_page, screenshots_dir, shoot
from tests.web.test_portfolio_pages import with_pages

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]

SHIPPED_DATA = Path(data.__file__).resolve().parent


@pytest.fixture
def served(sqlite_url: str, redis_url: str) -> Iterator[tuple[Flask, str]]:
    """The app on the shipped data with the portfolio pages, and its loopback URL."""
    app = with_pages(app_with_schema(sqlite_url, redis_url, SHIPPED_DATA))
    with on_loopback(app) as base_url:
        yield app, base_url


def test_the_audit_of_the_demo_universe_shows_the_survivors_ahead(served, browser, tmp_path):
    """Equal weight over every demo-universe ticker, monthly, no slippage, with the audit:
    the page's audit table has CAGR, Sharpe and total return, the survivors-only column
    above the one with DNDR (a positive difference), and names DNDR as delisted."""
    app, base_url = served
    page = recording_page(browser, {"width": 1280, "height": 1000})
    page.goto(f"{base_url}/portfolios")
    expect(page.locator(f"#pf-universe input[value='{DELISTED.ticker}']")).to_be_checked()
    page.select_option("#pf-method", "equal")
    page.fill("#pf-slippage", "0")
    page.check("#pf-survivorship")
    body = page.evaluate("PortfolioForm.body()")
    assert body["survivorship_audit"] is True and DELISTED.ticker in body["tickers"]
    assert "membership" not in body
    page.click("#submit-pf")
    page.wait_for_url(re.compile(r"/portfolios/[0-9a-f-]{36}$"), timeout=30_000)
    execute_item(app, page.url.rsplit("/", 1)[1])
    expect(page.locator("body")).to_have_attribute(
        "data-portfolio-status", "SUCCEEDED", timeout=60_000
    )
    card = page.locator("#pf-survivorship-card")
    expect(card).to_be_visible()
    rows = page.locator("#pf-survivorship tbody tr")
    expect(rows).to_have_count(3)
    for key in ("cagr_pct", "sharpe_ratio", "total_return_pct"):
        cells = page.locator(f"#pf-survivorship tr[data-metric='{key}'] td")
        expect(cells.nth(3)).to_have_text(re.compile(r"^\+"))
    expect(page.locator("#pf-survivorship-note")).to_contain_text(DELISTED.ticker)
    card.scroll_into_view_if_needed()
    shoot(card, screenshots_dir(tmp_path) / "portfolio-survivorship.png")
    page.context.close()
    assert page.errors == []
