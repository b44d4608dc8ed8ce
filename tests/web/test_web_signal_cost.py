"""The signal cost cap in the web (kinds.runs.signal_cost through web/api): on a 100,000-bar
5-minute ticker, the analyzer, a run's submission and its validation route refuse the
heaviest expression with a 400 naming params, fast and before computing (nothing recorded,
nothing queued), accept zscore(close, 2000) on a day, and follow the app's own settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

import data
from data.generate_intraday import five_minute_csv
from store.models import BacktestRun
from tests.runs.test_runs_signal_cost import BARS, HEAVIEST, TICKER, ZSCORE, request
from tests.web.support import app_with_schema, handled, queue_key, serve
from web.db import get_engine
from web.queue import get_run_queue

REFUSED_WITHIN_S = 0.2
"""A refusal's bound once the file is parsed (the worker's cache), in CPU seconds of the
thread that handles it (the test client's: a wall clock measures the shared machine's load
too, 1.8 s once at load 14): the estimate is arithmetic on the tree and the bar count."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fivemin")
    data.register_csv(five_minute_csv(BARS), TICKER, data_dir=folder)
    return folder


@pytest.fixture
def app(sqlite_url, redis_url, folder):
    yield from serve(app_with_schema(sqlite_url, redis_url, folder))


@pytest.mark.parametrize("url", ["/api/analyze_signals", "/api/runs", "/api/schema/run/validate"])
def test_the_heaviest_expression_is_a_fast_400_naming_params(client, url):
    client.post("/api/schema/run/validate", json=request(ZSCORE))  # the worker has parsed the file
    response, elapsed = handled(client, "POST", url, json=request(HEAVIEST))
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == "params"
    assert "SIGNAL_MAX_WORK" in body["error"]
    assert elapsed < REFUSED_WITHIN_S


def test_a_refused_submission_records_and_queues_nothing(app, client):
    assert client.post("/api/runs", json=request(HEAVIEST)).status_code == 400
    with get_engine(app).connect() as connection:
        assert connection.scalar(select(func.count()).select_from(BacktestRun)) == 0
    assert get_run_queue(app).redis.llen(queue_key(app)) == 0


def test_a_2000_bar_zscore_on_a_day_is_analysed(client):
    response = client.post("/api/analyze_signals", json=request(ZSCORE))
    assert response.status_code == 200
    assert response.get_json()["bars"] == 78


def test_the_apps_own_limits_apply(sqlite_url, redis_url, folder):
    app = app_with_schema(sqlite_url, redis_url, folder, SIGNAL_MAX_WORK=100_000_000)
    for _ in serve(app):
        response = app.test_client().post("/api/analyze_signals", json=request(ZSCORE))
        assert response.status_code == 400
        assert response.get_json()["field"] == "params"
        assert "at most 1e+08 (SIGNAL_MAX_WORK)" in response.get_json()["error"]
