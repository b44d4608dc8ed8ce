"""A walk-forward over a portfolio base (``kinds.walkforward.search_folds``): folds planned on
the universe's trading days, each fold's training sweep the portfolio's search over the
training dates, the fold running its best point with the portfolio's own computation on the
test window (the same bytes as that portfolio submitted alone), and the outcome stitched."""

from __future__ import annotations

import json
import os

import pytest
from redis import Redis

from kinds.portfolios.kind import run_locally
from store import dbapi
from tests.sweeps.support import SWEEP_QUEUE, sweep_app
from tests.walkforward.support import execute_walkforward_jobs, portfolio_walkforward

pytestmark = pytest.mark.redis

BODY = portfolio_walkforward()


@pytest.fixture
def app(sqlite_url, redis_url, monkeypatch):
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")
    monkeypatch.setitem(dbapi._PROCESS_DATABASES, os.getpid(), dbapi.Database(sqlite_url))
    return sweep_app(sqlite_url, redis_url)


def test_a_portfolio_walkforward_runs_each_folds_best_point_out_of_sample(app, redis_url):
    client = app.test_client()
    response = client.post("/api/walkforward", json=BODY)
    assert response.status_code == 202, response.json
    body = response.json
    assert (body["folds"], body["combos_per_fold"]) == (3, 4)
    folds = execute_walkforward_jobs(app)
    for message, result in folds:
        sweep = client.get(f"/api/sweeps/{message['sweep_id']}?metric=sharpe_ratio").json
        assert sweep["status"] == "SUCCEEDED"
        assert sweep["request"]["base"]["start_date"] == message["train"]["start_date"]
        best = sweep["best"][0]
        assert result["params"] == best["params"]
        point = client.get(f"/api/sweeps/{message['sweep_id']}/combos/{best['combo_no']}").json
        request = {
            **point["request"],
            **{k: message["test"][k] for k in ("start_date", "end_date")},
        }
        alone = json.loads(run_locally(request))
        assert result["test_metrics"] == alone["metrics"]
        assert len(result["test_curve"]["equity"]) == message["test"]["bars"]
    status = client.get(body["status_url"]).json
    assert status["status"] == "SUCCEEDED", status
    assert status["oos"]["metrics"]["total_return_pct"] is not None
    assert [f["params"] for f in status["folds"]] == [r["params"] for _, r in folds]


def test_a_bad_portfolio_walkforward_is_a_400_naming_the_field(app):
    client = app.test_client()
    for change, field in (
        ({"train_bars": 5000}, "train_bars"),
        ({"grid": {"zz": [1]}}, "grid.zz"),
        ({"base": {**BODY["base"], "tickers": ["ACME", "NOPE"]}}, "base.tickers"),
    ):
        response = client.post("/api/walkforward", json={**BODY, **change})
        assert response.status_code == 400, response.json
        assert response.json["field"].startswith(field), response.json


def test_the_walkforward_page_of_a_portfolio_shows_its_fold_table(app, redis_url):
    client = app.test_client()
    body = client.post("/api/walkforward", json=BODY).json
    execute_walkforward_jobs(app)
    page = client.get(f"/walkforward/{body['walkforward_id']}")
    assert page.status_code == 200, page.get_data(as_text=True)[:2000]
    folds = client.get(f"/api/walkforward/{body['walkforward_id']}/folds.csv")
    assert folds.status_code == 200 and len(folds.text.strip().splitlines()) == 4
