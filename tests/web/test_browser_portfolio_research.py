"""A portfolio's research started from its page in a real browser (Debian's chromium driven
by Playwright): the app served on loopback with no consumer, the work each start queues
executed here as its Jobs execute it. "Study this portfolio" offers the portfolio's
searchable names with first ranges and starts a study over it; "Walk this portfolio forward"
offers the sweep's first grid and windows that fit the portfolio's days and starts a
walk-forward over it as first filled (its universe lists BRWN, whose first bar is after the
first fold's training days: that fold holds the others); a refusal names its field under
the card; each start opens its page, which shows the finished work."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import expect
from redis import Redis

from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.search import suggested_space
from kinds.studies.kind import BATCH
from kinds.studies.state import open_batch_messages
from store import dbapi
from store.dbapi import as_tx
from tests.portfolios.support import DEMO, execute_item
from tests.studies.support import execute_batch
from tests.walkforward.support import execute_walkforward_jobs, portfolio_walkforward
from tests.web.support import app_with_schema, on_loopback
from tests.web.support_browser import recording_page, screenshots_dir, shoot
from web.db import get_database
from work.connection import kind_queue_name
from work.queue import backtest_queue

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.slow]


TRIALS = 8

BASE = {**portfolio_walkforward()["base"], "tickers": [*DEMO, "BRWN"]}


@pytest.fixture
def served(sqlite_url, redis_url, monkeypatch, demo_data_dir) -> Iterator[tuple[Flask, str, str]]:
    """(the app, its base URL, the id of a finished two-year momentum portfolio of the demo
    tickers and BRWN, listed a year into it)."""
    app = app_with_schema(sqlite_url, redis_url, demo_data_dir)
    monkeypatch.setitem(dbapi._PROCESS_DATABASES, os.getpid(), dbapi.Database(sqlite_url))
    answer = app.test_client().post("/api/portfolios", json=BASE)
    assert answer.status_code == 202, answer.json
    portfolio_id = answer.json["portfolio_id"]
    execute_item(app, portfolio_id)
    with on_loopback(app) as base_url:
        yield app, base_url, portfolio_id


def _finish_study(app: Flask, study_id: str) -> None:
    """Every batch of the study executed as its Jobs would, until none is open; their queued
    jobs are dropped (executed here)."""
    for _ in range(10):
        with get_database(app).sessionmaker() as session:
            pending = open_batch_messages(as_tx(session), study_id)
        for message in pending:
            assert execute_batch(app.config["DATABASE_URL"], message)
    redis = Redis.from_url(app.config["REDIS_URL"])
    backtest_queue(redis, kind_queue_name(BATCH, app.config)).empty()


def test_a_portfolio_study_and_walkforward_start_from_its_page(served, browser, tmp_path):
    app, base_url, portfolio_id = served
    shots = screenshots_dir(tmp_path)
    page = recording_page(browser, {"width": 1280, "height": 1000}, expected="Failed to load")
    portfolio_url = f"{base_url}/portfolios/{portfolio_id}"
    page.goto(portfolio_url)
    expect(page.locator("#pf-research-data")).to_have_attribute("data-ready", "1")

    rows = page.locator("#pf-study-space tbody tr")
    base = parse_portfolio(BASE)
    offered = [entry["name"] for entry in suggested_space(base)]  # n, top_n, then the settings
    expect(rows).to_have_count(len(offered))
    assert rows.evaluate_all("rs => rs.map((r) => r.dataset.space)") == offered
    n_row = page.locator('#pf-study-space [data-space="n"]')
    expect(n_row.locator('[data-role="low"]')).to_have_value("10")
    expect(n_row.locator('[data-role="high"]')).to_have_value("40")
    expect(n_row.locator('[data-role="search"]')).to_be_checked()
    expect(
        page.locator('#pf-study-space [data-space="drift_threshold"] [data-role="search"]')
    ).not_to_be_checked()
    n_row.locator('[data-role="low"]').fill("0")  # a window of 0 bars
    page.fill("#pf-study-trials", str(TRIALS))
    page.click("#pf-study")
    expect(page.locator("#pf-study-error")).to_contain_text("space.n")
    n_row.locator('[data-role="low"]').fill("5")
    shoot(page.locator("#pf-study-card"), shots / "portfolio-study-card.png")
    page.click("#pf-study")
    page.wait_for_url(re.compile(r"/studies/[0-9a-f-]{36}$"))
    _finish_study(app, page.url.rsplit("/", 1)[1])
    expect(page.locator("#study-status")).to_have_text("SUCCEEDED")
    expect(page.locator("#study-setup")).to_contain_text("portfolio 5 tickers")
    expect(page.locator("#study-done")).to_have_text(f"{TRIALS} / {TRIALS} trials done")
    expect(page.locator("#study-trials tbody tr")).to_have_count(TRIALS)
    shoot(page, shots / "portfolio-study-started.png", full_page=True)

    page.goto(portfolio_url)
    expect(page.locator("#pf-research-data")).to_have_attribute("data-ready", "1")
    expect(page.locator("#pf-wf-grid")).to_have_value('{"n": "10:40:6", "top_n": [1, 2, 3, 4, 5]}')
    train = page.locator("#pf-wf-train")
    assert int(train.input_value()) > 0 and int(page.locator("#pf-wf-test").input_value()) > 0
    first_train = train.input_value()
    train.fill("5000")  # more than the portfolio's days
    page.click("#pf-wf")
    expect(page.locator("#pf-wf-error")).to_contain_text("train_bars")
    train.fill(first_train)  # the request as first filled
    shoot(page.locator("#pf-wf-card"), shots / "portfolio-walkforward-card.png")
    page.click("#pf-wf")
    page.wait_for_url(re.compile(r"/walkforward/[0-9a-f-]{36}$"))
    folds = execute_walkforward_jobs(app)
    assert len(folds) >= 3
    first = folds[0][0]["train"]["end_date"]
    assert first < "2020-01-02"  # BRWN's first bar: the first fold trains without it
    expect(page.locator("#wf-status")).to_have_text("SUCCEEDED")
    expect(page.locator("#wf-folds tbody tr")).to_have_count(len(folds))
    shoot(page, shots / "portfolio-walkforward-started.png", full_page=True)
    page.context.close()
    assert page.errors == []
