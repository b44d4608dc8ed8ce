"""A study whose base is a portfolio request (``kind: "portfolio"``, ``base``): accepted
over the names the portfolio declares searchable, its batches evaluate each trial by the
portfolio's own computation (point by point), and each trial's stored metrics equal those
of the same portfolio submitted alone; the status document, trials and the deflated Sharpe
ratio work as a run study's; bad input is a 400 naming its field."""

from __future__ import annotations

import json

import pytest

from kinds.portfolios.kind import run_locally
from kinds.portfolios.search import apply
from metrics import SWEEP_METRIC_KEYS
from tests.portfolios.support import valid_portfolio
from tests.studies.test_study_web import drain, queued

pytestmark = pytest.mark.redis

BASE = valid_portfolio(end_date="2019-12-31")
"""Momentum over the four demo tickers, top 2 by roc(close, $n) among those above their
50-day average, monthly."""


def portfolio_study(**fields) -> dict:
    body = {
        "kind": "portfolio",
        "base": BASE,
        "space": {"n": {"low": 5, "high": 60}, "top_n": {"low": 1, "high": 3}},
        "n_trials": 6,
        "batch_size": 3,
        "sampler": "random",
    }
    return {**body, **fields}


def test_each_trial_of_a_portfolio_study_equals_the_same_portfolio_submitted_alone(
    app, client, redis_url
):
    answer = client.post("/api/studies", json=portfolio_study())
    assert answer.status_code == 202, answer.json
    study_id = answer.json["study_id"]
    assert [m["batch_id"] for m in queued(redis_url)] == [f"{study_id}-b0", f"{study_id}-b1"]
    assert drain(app, redis_url) >= 2
    status = client.get(f"/api/studies/{study_id}").json
    assert status["status"] == "SUCCEEDED"
    assert status["request"]["kind"] == "portfolio"
    assert status["request"]["base"]["params"] == {"n": 20}
    trials = client.get(f"/api/studies/{study_id}/trials").json["trials"]
    assert [t["number"] for t in trials] == list(range(6))
    evaluated = [t for t in trials if not t["reused_from"]]
    assert {t["state"] for t in evaluated} == {"COMPLETE"}
    for trial in evaluated:
        request = apply(BASE, trial["params"])
        alone = json.loads(run_locally(request))["metrics"]
        assert trial["metrics"] == {key: alone.get(key) for key in SWEEP_METRIC_KEYS}
        assert trial["values"] == [alone["sharpe_ratio"]]
    best = max(evaluated, key=lambda t: t["values"][0])
    assert status["best"]["number"] == best["number"]
    assert status["deflated"]["best_trial"] == best["number"]
    assert 0 <= status["deflated"]["dsr"] <= 1


def test_a_portfolio_study_varies_the_portfolio_not_its_neighbour(app, client, redis_url):
    """Two trials with different top_n differ the way the two portfolios alone differ."""
    study = portfolio_study(space={"top_n": {"low": 1, "high": 3}}, n_trials=4, batch_size=4)
    study_id = client.post("/api/studies", json=study).json["study_id"]
    drain(app, redis_url)
    trials = client.get(f"/api/studies/{study_id}/trials").json["trials"]
    by_top = {t["params"]["top_n"]: t["metrics"]["total_return_pct"] for t in trials}
    alone = {
        n: json.loads(run_locally(apply(BASE, {"top_n": n})))["metrics"]["total_return_pct"]
        for n in by_top
    }
    assert by_top == alone


BAD = [
    ({"kind": "nothing"}, "kind"),
    ({"base": None}, "base"),
    ({"base": {**BASE, "tickers": ["ACME"]}}, "base.tickers"),
    ({"base": {**BASE, "tickers": ["ACME", "NOPE"]}}, "base.tickers[1]"),
    ({"space": {"lookback": {"low": 1, "high": 5}}}, "space.lookback"),
    ({"space": {"schedule": {"low": 1, "high": 5}}}, "space.schedule"),
    ({"space": {"n": {"low": 0, "high": 5}}}, "space.n.low"),
    ({"space": {"top_n": {"low": 1, "high": 3, "step": 0.5}}}, "space.top_n.step"),
    ({"space": {"drift_threshold": {"low": 0, "high": 0.2}}}, "space.drift_threshold.low"),
    ({"ticker": "ACME"}, "ticker"),
    ({"n_trials": 0}, "n_trials"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[field for _, field in BAD])
def test_a_bad_portfolio_study_is_a_400_naming_its_field(client, redis_url, change, field):
    answer = client.post("/api/studies", json=portfolio_study(**change))
    assert answer.status_code == 400, answer.json
    assert answer.json["field"] == field, answer.json
    assert queued(redis_url) == []


def test_a_portfolio_studys_trials_are_not_run_as_backtests(app, client, redis_url):
    study_id = client.post("/api/studies", json=portfolio_study(n_trials=1, batch_size=1)).json[
        "study_id"
    ]
    drain(app, redis_url)
    for answer in (
        client.post(f"/api/studies/{study_id}/trials/0/run"),
        client.get(f"/api/studies/{study_id}/walkforward"),
    ):
        assert answer.status_code == 400 and answer.json["field"] == "kind"


def test_a_portfolio_trials_reuse_key_is_its_request_on_its_data():
    """The same point on the same data is one key (its name aside); another point, or other
    data, another key; a point the portfolio refuses has none."""
    from kinds.studies.bases import parse_base_study
    from kinds.studies.reuse import trial_key

    stored = parse_base_study(portfolio_study()).stored
    named = parse_base_study(portfolio_study(base={**BASE, "name": "other"})).stored
    key = trial_key(stored, {"n": 10, "top_n": 2}, "hash")
    assert key == trial_key(named, {"n": 10, "top_n": 2}, "hash")
    assert key != trial_key(stored, {"n": 11, "top_n": 2}, "hash")
    assert key != trial_key(stored, {"n": 10, "top_n": 2}, "other hash")
    assert trial_key(stored, {"n": 10, "top_n": 0}, "hash") is None


def test_validating_a_portfolio_study_answers_as_its_submission(client, redis_url):
    """POST /api/schema/study/validate: the submission's very 400 for a bad base, 200 valid
    for a good study; nothing queued."""
    bad = portfolio_study(base={**BASE, "tickers": ["ACME", "NOPE"]})
    checked = client.post("/api/schema/study/validate", json=bad)
    assert (checked.status_code, checked.json) == (400, client.post("/api/studies", json=bad).json)
    good = client.post("/api/schema/study/validate", json=portfolio_study())
    assert (good.status_code, good.json) == (200, {"valid": True})
    assert queued(redis_url) == []
