"""A walk-forward over a portfolio base (``kinds.walkforward.search_folds``): folds planned on
the universe's trading days, each fold's training sweep the portfolio's search over the
training dates, the fold running its best point with the portfolio's own computation on the
test window (the same bytes as that portfolio submitted alone), and the outcome stitched. A
point-in-time universe (a late listing, a delisted ticker) walks forward too: each fold holds
the names with a bar in its windows, as a portfolio over those windows does."""

from __future__ import annotations

import json
import os

import pytest
from redis import Redis

from kinds.portfolios.kind import run_locally
from store import dbapi
from tests.portfolios.support import DEMO, valid_portfolio
from tests.sweeps.support import SWEEP_QUEUE, sweep_app
from tests.walkforward.support import execute_walkforward_jobs, portfolio_walkforward

pytestmark = pytest.mark.redis

BODY = portfolio_walkforward()

POINT_IN_TIME = portfolio_walkforward(
    base=valid_portfolio(
        tickers=[*DEMO, "BRWN", "DNDR"], start_date="2019-01-01", end_date="2021-12-31"
    ),
    train_bars=250,
    test_bars=125,
)
"""The demo momentum portfolio with BRWN (first bar 2020-01-02) and DNDR (delisted
2021-06-15) over 2019–2021: four folds, the first trained on days before BRWN's first bar,
the last tested on days after DNDR's delisting."""


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


def test_a_point_in_time_walkforward_runs_each_fold_on_the_names_listed_in_it(app):
    client = app.test_client()
    response = client.post("/api/walkforward", json=POINT_IN_TIME)
    assert response.status_code == 202, response.json
    body = response.json
    folds = execute_walkforward_jobs(app)
    status = client.get(body["status_url"]).json
    assert status["status"] == "SUCCEEDED", status
    assert len(folds) == body["folds"] == 4
    listed = []
    for message, result in folds:
        sweep = client.get(f"/api/sweeps/{message['sweep_id']}?metric=sharpe_ratio").json
        assert sweep["status"] == "SUCCEEDED", sweep
        best = sweep["best"][0]
        assert result["params"] == best["params"]
        point = client.get(f"/api/sweeps/{message['sweep_id']}/combos/{best['combo_no']}").json
        request = point["request"]
        for window, curve in (("train", result["train_curve"]), ("test", result["test_curve"])):
            dates = {k: message[window][k] for k in ("start_date", "end_date")}
            alone = json.loads(run_locally({**request, **dates}))
            names = alone["tickers"]
            only_listed = json.loads(run_locally({**request, **dates, "tickers": names}))
            assert curve["equity"] == alone["equity"] == only_listed["equity"]
            assert alone["metrics"] == only_listed["metrics"]
            listed.append((window, names))
        assert result["test_metrics"] == alone["metrics"]
    assert listed[0] == ("train", [*DEMO, "DNDR"])  # BRWN's first bar is after it
    assert listed[-1] == ("test", [*DEMO, "BRWN"])  # DNDR was delisted before it
