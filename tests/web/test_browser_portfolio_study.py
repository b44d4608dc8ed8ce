"""A study over a portfolio in a real browser (Debian's chromium driven by Playwright): the
app served on loopback with no consumer; the study is submitted through the API and its
batches executed here as a Job does. Its page says what it searches (the portfolio's
universe, allocation and schedule, its window), draws its history and trial table with the
portfolio's searched names, and offers no "run as a backtest" nor walk-forward (its trials
are portfolios)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from kinds.studies.state import open_batch_messages
from store.dbapi import as_tx
from tests.portfolios.support import valid_portfolio
from tests.studies.support import execute_batch
from tests.web.support import app_with_schema, on_loopback
from tests.web.support_browser import recording_page, screenshots_dir, shoot
from web.db import get_database

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]


TRIALS = 12


@pytest.fixture
def served(sqlite_url, redis_url, demo_data_dir) -> Iterator[tuple[str, str]]:
    """(base URL, id of a finished 12-trial study over a momentum portfolio)."""
    app = app_with_schema(sqlite_url, redis_url, demo_data_dir)
    body = {
        "kind": "portfolio",
        "base": valid_portfolio(end_date="2019-12-31"),
        "space": {"n": {"low": 5, "high": 60}, "top_n": {"low": 1, "high": 3}},
        "n_trials": TRIALS,
        "batch_size": 6,
        "name": "momentum lookback",
    }
    answer = app.test_client().post("/api/studies", json=body)
    assert answer.status_code == 202, answer.json
    study_id = answer.json["study_id"]
    for _ in range(10):
        with get_database(app).sessionmaker() as session:
            pending = open_batch_messages(as_tx(session), study_id)
        for message in pending:
            assert execute_batch(app.config["DATABASE_URL"], message)
    with on_loopback(app) as base_url:
        yield base_url, study_id


def test_a_portfolio_studys_page_shows_its_portfolio_and_trials(served, browser, tmp_path):
    base_url, study_id = served
    page = recording_page(browser, {"width": 1280, "height": 900})
    page.goto(f"{base_url}/studies/{study_id}")
    expect(page.locator("#study-status")).to_have_text("SUCCEEDED")
    setup = page.locator("#study-setup")
    expect(setup).to_contain_text("portfolio 4 tickers · top 2 by roc(close, $n) · monthly")
    expect(setup).to_contain_text("2018-01-01 → 2019-12-31")
    expect(page.locator("#study-done")).to_have_text(f"{TRIALS} / {TRIALS} trials done")
    head = page.locator("#study-trials thead")
    expect(head).to_contain_text("n")
    expect(head).to_contain_text("top_n")
    expect(page.locator("#study-trials tbody tr")).to_have_count(TRIALS)
    expect(page.locator("#study-trials [data-run-trial]")).to_have_count(0)
    expect(page.locator("#study-run-best")).to_be_hidden()
    expect(page.locator("#study-walkforward")).to_be_hidden()
    expect(page.locator("#study-best")).to_contain_text("best trial #")
    shoot(page, screenshots_dir(tmp_path) / "study-portfolio.png", full_page=True)
    page.context.close()
    assert page.errors == []
