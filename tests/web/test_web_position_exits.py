"""Position-aware exits through the API: a run whose exit names ``bars_held`` is accepted,
executed by the real Job path and its trades held the bars the exit says, beside a limit
entry too (counted from each fill); a sweep and a walk-forward grid its $names; the names
out of place are a 400 naming the field; fuzzed texts with the names never get a 5xx and
are answered in under 200 ms (docs/execution.md, "Position-aware exits")."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kinds.runs.kind import RUN
from kinds.runs.store import get_run
from tests.web.support import (
    app_with_schema,
    jobs_here,
    serve,
    valid_request,
    valid_sweep,
    valid_walkforward,
)
from web.db import get_database
from work.lifecycle import run_item
from work.status import RunStatus

TIME_EXIT = {
    "entry": "crossover(close, sma(close, 5))",
    "exit": "bars_held >= $n",
    "bounds": {"n": [1, 30]},
    "n": 3,
}
"""Out three closes after the fill: each closed trade spans 4 bars (fill bar + 4)."""

ANSWER_SECONDS = 0.2


@pytest.fixture
def app(sqlite_url: str, redis_url: str, data_dir: Path, monkeypatch) -> Iterator[Flask]:
    """The app, with Jobs run in this process on its database and data."""
    with_jobs = jobs_here(monkeypatch, sqlite_url, data_dir)
    next(with_jobs)
    yield from serve(app_with_schema(sqlite_url, redis_url, data_dir))
    next(with_jobs, None)


def _run(**params) -> dict:
    return valid_request(rule_type="EXPR", params={**TIME_EXIT, **params})


def test_a_time_exit_run_is_executed_by_its_job_and_holds_each_trade_n_bars(app):
    client = app.test_client()
    answer = client.post("/run_backtest", json=_run())
    assert answer.status_code == 202, answer.get_json()
    run_id = answer.get_json()["run_id"]
    with get_database(app).sessionmaker() as session:
        payload = json.loads(get_run(session, run_id).request_json)
    assert run_item(RUN, payload)["status"] == RunStatus.SUCCEEDED
    result = client.get(f"/api/runs/{run_id}").get_json()["result"]
    bar_of = {stamp: i for i, stamp in enumerate(result["price_candles"]["timestamps"])}
    trades = [t for t in result["trades"] if t["exit_reason"] == "signal"]
    assert trades
    for trade in trades:
        assert bar_of[trade["exit_timestamp"]] - bar_of[trade["entry_timestamp"]] == 4, trade


def test_a_time_exit_beside_a_limit_entry_holds_each_trade_n_bars_from_its_fill(app):
    client = app.test_client()
    order = {"type": "limit", "limit": "close", "valid_bars": 3}
    answer = client.post("/run_backtest", json={**_run(), "entry_order": order})
    assert answer.status_code == 202, answer.get_json()
    run_id = answer.get_json()["run_id"]
    with get_database(app).sessionmaker() as session:
        payload = json.loads(get_run(session, run_id).request_json)
    assert run_item(RUN, payload)["status"] == RunStatus.SUCCEEDED
    result = client.get(f"/api/runs/{run_id}").get_json()["result"]
    bar_of = {stamp: i for i, stamp in enumerate(result["price_candles"]["timestamps"])}
    trades = [t for t in result["trades"] if t["exit_reason"] == "signal"]
    assert trades and {t["entry_order"] for t in trades} == {"limit"}
    for trade in trades:
        assert bar_of[trade["exit_timestamp"]] - bar_of[trade["entry_timestamp"]] == 4, trade


def test_a_sweep_and_a_walkforward_grid_the_names_of_a_position_exit(app):
    client = app.test_client()
    sweep = valid_sweep(rule_type="EXPR", params=TIME_EXIT, grid={"n": [2, 3, 5]})
    assert client.post("/api/sweeps", json=sweep).status_code == 202
    forward = valid_walkforward(rule_type="EXPR", params=TIME_EXIT, grid={"n": [2, 3]})
    assert client.post("/api/walkforward", json=forward).status_code in (200, 201, 202)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"params": {**TIME_EXIT, "entry": "bars_held < 2"}}, "params.entry", "only an exit"),
        ({"params": {**TIME_EXIT, "exit": "sma(open_return, 3) > 1"}}, "params.exit", "sma"),
        (
            {
                "rule_type": "SMA_CROSS",
                "params": {"fast": 3, "slow": 8},
                "entry_order": {"type": "limit", "limit": "entry_price"},
            },
            "entry_order.limit",
            "only an exit",
        ),
    ],
)
def test_the_names_out_of_place_are_a_400_naming_the_field(app, change, field, words):
    body = {**_run(), **change}
    started = time.perf_counter()
    answer = app.test_client().post("/run_backtest", json=body)
    assert time.perf_counter() - started < 1.0
    assert answer.status_code == 400
    assert answer.get_json()["field"] == field
    assert words in answer.get_json()["error"]


PIECES = [
    "bars_held", "entry_price", "open_return", "max_open_return", "$n", " >= ", " and ",
    " or ", "not ", "(", ")", "sma(", "abs(", "max(", ", ", "lag(", "crossover(", "1e308",
    "-", "*", "/", "bars_hel", "__class__", '"', "\x00", "(" * 40, "abs(" * 40, "tf('1w', ",
]  # fmt: skip
VALID = ["bars_held >= $n", "open_return >= 5 or max_open_return - open_return > 2"]


@st.composite
def texts(draw) -> str:
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 5))
        text = text[:at] + draw(st.sampled_from(PIECES)) + text[at + cut :]
    return text


def _timed(client, body: dict):
    started = time.perf_counter()
    response = client.post("/run_backtest", json=body)
    return response, time.perf_counter() - started


def test_fuzzed_texts_with_the_names_never_get_a_5xx_and_refusals_name_their_field(app):
    client = app.test_client()

    @settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES") or 120),
        deadline=None,
        derandomize=not os.environ.get("FUZZ_EXAMPLES"),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(side=st.sampled_from(["entry", "exit"]), text=texts())
    def check(side, text):
        body = _run(**{side: text})
        response, seconds = _timed(client, body)
        assert response.status_code < 500, (body, response.get_data(as_text=True))
        if response.status_code == 400:
            assert response.get_json()["field"].startswith("params"), response.get_json()
        if seconds >= ANSWER_SECONDS:
            seconds = min(seconds, _timed(client, body)[1])
        assert seconds < ANSWER_SECONDS, (body, seconds)

    check()
