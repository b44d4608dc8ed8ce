"""The signal cost caps of ref through the web (kinds.runs.signal_cost): on a one-month daily
window that refs a 100,000-bar 5-minute ticker, the analyzer, a run's submission and its
validation route refuse series that pass a cap on the ticker's bars with a fast 400 naming
params and the ticker (nothing recorded, nothing queued), as they refuse them un-wrapped."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

import data
from data.generate_intraday import five_minute_csv
from store.models import BacktestRun
from tests.runs.test_runs_ref_cost import BARS, OTHER, OVER_VALUES, OVER_WORK, request
from tests.web.support import app_with_schema, queue_key, serve
from web.db import get_engine
from web.queue import get_run_queue

REFUSED_WITHIN_S = 0.5
"""A refusal's bound once both files are read (the worker's cache): the estimate is
arithmetic on the tree and the stretches' bar counts."""

URLS = ["/api/analyze_signals", "/api/runs", "/api/schema/run/validate"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory, demo_data_dir) -> Path:
    folder = tmp_path_factory.mktemp("refcost-web")
    raw = (demo_data_dir / "ACME.csv").read_bytes()
    data.register_csv(raw, "ACME", data_dir=folder)
    data.register_csv(five_minute_csv(BARS), OTHER, data_dir=folder)
    return folder


@pytest.fixture
def app(sqlite_url, redis_url, folder):
    yield from serve(app_with_schema(sqlite_url, redis_url, folder))


def _body(url: str, params: dict) -> dict:
    body = request(params)
    return {k: v for k, v in body.items() if k != "charts"} if "analyze" in url else body


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(
    ("params", "variable"), [(OVER_WORK, "SIGNAL_MAX_WORK"), (OVER_VALUES, "SIGNAL_MAX_VALUES")]
)
def test_a_ref_over_a_cap_on_the_tickers_bars_is_a_fast_400_naming_params(
    client, url, params, variable
):
    cheap = {"entry": f'ref("{OTHER}", close) > close', "exit": "close < 0"}
    assert client.post(url, json=_body(url, cheap)).status_code in (200, 202)  # files read
    started = time.perf_counter()
    response = client.post(url, json=_body(url, params))
    elapsed = time.perf_counter() - started
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == "params"
    assert variable in body["error"] and f'ref("{OTHER}", …)' in body["error"]
    assert elapsed < REFUSED_WITHIN_S


def test_a_refused_ref_records_and_queues_nothing(app, client):
    assert client.post("/api/runs", json=request(OVER_WORK)).status_code == 400
    with get_engine(app).connect() as connection:
        assert connection.scalar(select(func.count()).select_from(BacktestRun)) == 0
    assert get_run_queue(app).redis.llen(queue_key(app)) == 0
