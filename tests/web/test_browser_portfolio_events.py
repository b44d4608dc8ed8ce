"""Splits and dividends on a portfolio's page in a real browser (Debian's chromium driven by
Playwright): a long-short book over a made-up universe whose long splits 4:1 and both pay
dividends, computed by the kind's own Job code in this process; the page lists each event
that met a holding, and the form sends the ranking's ``price_adjustment``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.portfolios.support import execute_item
from tests.portfolios.test_portfolio_corporate_actions import write_universe
from tests.web.support import app_with_schema, on_loopback
from tests.web.support_browser import recording_page
from tests.web.test_portfolio_pages import with_pages

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def served(
    sqlite_url: str, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Flask, str]]:
    """The app with the portfolio pages over a data folder with events files, its URL."""
    folder = write_universe(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(folder))
    app = with_pages(app_with_schema(sqlite_url, redis_url, folder))
    with on_loopback(app) as base_url:
        yield app, base_url


def test_the_page_lists_the_splits_and_dividends_that_met_the_book(served, browser):
    """The form sends ``price_adjustment`` only when one is chosen; the computed portfolio's
    page shows the four events, the split's shares 100 → 400 and the short's dividend as a
    negative cash."""
    app, base_url = served
    # choosing the adjustment on a form with no tickers yet makes the form's live check
    # answer 400 (its way of naming the missing field) once the user pauses: whether that
    # comes before the page is left depends on this machine's speed, so it is not an error
    page = recording_page(
        browser,
        {"width": 1280, "height": 1000},
        expected="Failed to load resource: the server responded with a status of 400",
    )
    page.goto(f"{base_url}/portfolios")
    assert "price_adjustment" not in page.evaluate("PortfolioForm.body()")
    page.select_option("#pf-adjustment", "split")
    assert page.evaluate("PortfolioForm.body()")["price_adjustment"] == "split"
    body = {
        "tickers": ["AAA", "BBB"],
        "start_date": "2024-01-02",
        "end_date": "2024-01-15",
        "initial_capital": 10_000,
        "fee_rate": 0.001,
        "allocation": {"method": "rank", "score": "close", "top_n": 1, "short_n": 1},
        "rebalance": {"schedule": "bars", "every_n_bars": 100},
    }
    answer = app.test_client().post("/api/portfolios", json=body)
    assert answer.status_code == 202, answer.get_json()
    portfolio_id = answer.get_json()["portfolio_id"]
    execute_item(app, portfolio_id)
    page.goto(f"{base_url}/portfolios/{portfolio_id}")
    expect(page.locator("body")).to_have_attribute(
        "data-portfolio-status", "SUCCEEDED", timeout=60_000
    )
    expect(page.locator("#pf-events-card")).to_be_visible()
    rows = page.locator("#pf-events tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(2)).to_contain_text("split 4")
    expect(rows.nth(2)).to_contain_text(re.compile(r"100 → 400"))
    expect(rows.nth(1).locator("td").nth(4)).to_have_class(re.compile(r"\bneg\b"))
    page.context.close()
    assert page.errors == []
