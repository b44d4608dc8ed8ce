"""The client's studies over a portfolio against the real web app on loopback (SQLite, real
Redis, the shipped demo data; batches executed in-process as a Job does): submitted with
``portfolio_study``, read with the same ``Study`` handle — its trials the same DataFrame as a
run study's, the metrics of each the same portfolio's alone; a bad base names its field."""

from __future__ import annotations

import json

import pytest

from backtest_client import BacktestRequestError, Client
from kinds.portfolios.kind import run_locally
from kinds.portfolios.search import apply
from tests.client.test_client_studies import drain
from tests.portfolios.support import valid_portfolio

pytestmark = pytest.mark.redis

BASE = valid_portfolio(end_date="2019-12-31")
SPACE = {"n": {"low": 5, "high": 60}, "top_n": {"low": 1, "high": 3}}


def test_a_portfolio_study_is_waited_for_and_its_trials_are_a_frame(
    demo_portfolio_app, demo_api_url
):
    client = Client(demo_api_url)
    study = client.portfolio_study(BASE, SPACE, n_trials=5, batch_size=5, sampler="random")
    drain(demo_portfolio_app, study.study_id)
    assert study.wait(timeout=10) is study and study["status"] == "SUCCEEDED"
    trials = study.trials
    assert list(trials.index) == list(range(5))
    assert {"state", "n", "top_n", "value_sharpe_ratio", "total_return_pct"} <= set(trials)
    for _, row in trials.iterrows():
        if isinstance(row["reused_from"], str):  # a copy of an evaluated trial
            continue
        point = {"n": int(row["n"]), "top_n": int(row["top_n"])}
        alone = json.loads(run_locally(apply(BASE, point)))
        assert row["total_return_pct"] == pytest.approx(alone["metrics"]["total_return_pct"])
        assert row["value_sharpe_ratio"] == pytest.approx(alone["metrics"]["sharpe_ratio"])
    complete = trials[trials["state"] == "COMPLETE"]
    assert study.best["number"] == int(complete["value_sharpe_ratio"].idxmax())
    assert "dsr" in study.deflated


def test_a_refused_portfolio_study_names_the_base_field(demo_api_url):
    client = Client(demo_api_url)
    with pytest.raises(BacktestRequestError) as refused:
        client.portfolio_study({**BASE, "tickers": ["ACME", "NOPE"]}, SPACE)
    assert refused.value.field == "base.tickers[1]"
