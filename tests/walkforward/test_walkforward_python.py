"""A walk-forward of a PYTHON strategy: its folds' training sweeps vary the class's
attributes (each chunk in one sandbox, ``kinds.strategies.replayed``), and each fold runs
its best point on the test window as that run alone computes it
(``kinds.runs.python_run.execute_python``)."""

from __future__ import annotations

import os

import pytest
from redis import Redis

from kinds.runs.contract import parse_request
from kinds.runs.python_run import execute_python
from store import dbapi
from tests.runs.python_strategies import ACME_SMA_CROSS, SMA_CROSS
from tests.sweeps.support import SWEEP_QUEUE, sweep_app
from tests.walkforward.support import execute_walkforward_jobs

pytestmark = pytest.mark.redis

BODY = {
    **ACME_SMA_CROSS,
    "end_date": "2018-12-31",
    "grid": {"n1": [5, 10], "n2": [20, 40]},
    "train_bars": 250,
    "test_bars": 125,
    "min_trades": 0,
}


@pytest.fixture
def app(sqlite_url, redis_url, monkeypatch):
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")
    monkeypatch.setitem(dbapi._PROCESS_DATABASES, os.getpid(), dbapi.Database(sqlite_url))
    return sweep_app(sqlite_url, redis_url)


def test_a_python_walkforward_runs_each_folds_best_attributes_out_of_sample(app):
    client = app.test_client()
    response = client.post("/api/walkforward", json=BODY)
    assert response.status_code == 202, response.json
    assert response.json["combos_per_fold"] == 4 and response.json["folds"] >= 3
    folds = execute_walkforward_jobs(app)
    assert len(folds) == response.json["folds"]
    for message, result in folds:
        sweep = client.get(f"/api/sweeps/{message['sweep_id']}?metric=sharpe_ratio").json
        assert sweep["status"] == "SUCCEEDED"
        best = sweep["best"][0]
        assert result["params"] == best["params"]
        alone = execute_python(
            parse_request(
                {
                    **{k: v for k, v in BODY.items() if k in ("ticker", "rule_type")},
                    "strategy_code": SMA_CROSS,
                    "strategy_class": "SmaCross",
                    "params": best["params"],
                    "start_date": message["test"]["start_date"],
                    "end_date": message["test"]["end_date"],
                }
            )
        )
        assert result["test_metrics"] == alone.metrics
        assert len(result["test_curve"]["equity"]) == message["test"]["bars"]
    status = client.get(response.json["status_url"]).json
    assert status["status"] == "SUCCEEDED", status
    assert [f["params"] for f in status["folds"]] == [r["params"] for _, r in folds]


def test_a_bad_python_walkforward_is_a_400_naming_the_field(app):
    client = app.test_client()
    for change, field in (
        ({"grid": {"n3": [1]}}, "grid.n3"),
        ({"strategy_code": "class S(:\n"}, "strategy_code"),
        ({"grid": {"n1": [5, float("inf")]}}, "grid.n1[1]"),
        ({"trade_on_close": "no"}, "trade_on_close"),
        ({"margin": -1}, "margin"),
    ):
        response = client.post("/api/walkforward", json={**BODY, **change})
        assert response.status_code == 400, response.json
        assert response.json["field"] == field, response.json


def test_a_python_walkforward_passes_its_refs_to_the_folds_sweeps_and_test_runs(app):
    from tests.strategy.test_strategy_refs import RATIO

    named = ("ticker", "rule_type", "strategy_code", "strategy_class", "refs")
    body = {
        **BODY,
        "strategy_code": RATIO,
        "strategy_class": "Ratio",
        "refs": ["demoix"],
        "grid": {"n": [5, 20]},
    }
    client = app.test_client()
    response = client.post("/api/walkforward", json=body)
    assert response.status_code == 202, response.json
    folds = execute_walkforward_jobs(app)
    assert len(folds) == response.json["folds"] >= 3
    for message, result in folds:
        sweep = client.get(f"/api/sweeps/{message['sweep_id']}?metric=sharpe_ratio").json
        assert sweep["status"] == "SUCCEEDED", sweep
        assert result["params"] == sweep["best"][0]["params"]
        alone = execute_python(
            parse_request(
                {
                    **{k: body[k] for k in named},
                    "params": result["params"],
                    "start_date": message["test"]["start_date"],
                    "end_date": message["test"]["end_date"],
                }
            )
        )
        assert result["test_metrics"] == alone.metrics
    status = client.get(response.json["status_url"]).json
    assert status["status"] == "SUCCEEDED", status
