"""POST /api/portfolios refuses every bad input with a 400 naming the field (dotted path),
before anything is recorded or queued, and a universe too large for a Job's memory is
refused at submission (not OOM-killed later)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from redis import Redis

from tests.portfolios.support import demo_app, valid_portfolio
from tests.web.support import queue_key


@pytest.fixture
def app(sqlite_url: str, redis_url: str, demo_data_dir) -> Iterator[Flask]:
    """The app on SQLite and the test Redis, with the shipped demo data."""
    yield from demo_app(sqlite_url, redis_url, demo_data_dir)


def _rank(**fields) -> dict:
    return {"method": "rank", "score": "roc(close, $n)", "top_n": 2, **fields}


BAD = [
    ({"tickers": ["ACME"]}, "tickers"),
    ({"tickers": [f"T{i}" for i in range(501)]}, "tickers"),
    ({"tickers": ["ACME", "NOPE"]}, "tickers[1]"),
    ({"tickers": ["ACME", "GLOBEX", "ACME"]}, "tickers[2]"),
    ({"tickers": ["ACME", 7]}, "tickers[1]"),
    ({"start_date": "2018-02-30"}, "start_date"),
    ({"end_date": "2017-01-01"}, "end_date"),
    ({"fee_rate": 0.5}, "fee_rate"),
    ({"slippage_bps": -1}, "slippage_bps"),
    ({"initial_capital": 0}, "initial_capital"),
    ({"bogus": 1}, "bogus"),
    ({"allocation": {"method": "momentum"}}, "allocation.method"),
    ({"allocation": _rank(score="roc(clse, $n)")}, "allocation.score"),
    ({"allocation": _rank(filter="close >")}, "allocation.filter"),
    ({"allocation": _rank(top_n=0)}, "allocation.top_n"),
    (
        {"allocation": {"method": "fixed", "weights": {"ACME": 0.7, "GLOBEX": 0.5}}},
        "allocation.weights",
    ),
    ({"allocation": {"method": "fixed", "weights": {"ZZZ": 0.5}}}, "allocation.weights.ZZZ"),
    ({"allocation": {"method": "fixed"}}, "allocation.weights"),
    ({"params": {}}, "params.n"),
    ({"rebalance": {"schedule": "hourly"}}, "rebalance.schedule"),
    ({"rebalance": {"schedule": "bars"}}, "rebalance.every_n_bars"),
    ({"rebalance": {"drift_threshold": 2}}, "rebalance.drift_threshold"),
    ({"membership": "NOPE"}, "membership"),
    ({"membership": "ACME"}, "membership"),
    ({"membership": 7}, "membership"),
    ({"membership": " "}, "membership"),
    ({"survivorship_audit": "yes"}, "survivorship_audit"),
]


@pytest.mark.parametrize(("change", "field"), BAD, ids=[field for _, field in BAD])
def test_a_bad_portfolio_is_a_400_naming_its_field(app, redis_url, change, field):
    """Each bad input: 400 ``{"error", "field"}`` naming it; nothing queued."""
    answer = app.test_client().post("/api/portfolios", json=valid_portfolio(**change))
    assert answer.status_code == 400, answer.get_json()
    assert answer.get_json()["field"] == field, answer.get_json()
    assert Redis.from_url(redis_url).llen(queue_key(app)) == 0


def test_a_universe_too_large_for_the_jobs_memory_is_refused_at_submission(app, redis_url):
    """With PORTFOLIO_MAX_MEMORY_MB below the universe's estimate: a 400 naming tickers
    that says the limit, nothing recorded or queued; the same request fits the default."""
    app.config["PORTFOLIO_MAX_MEMORY_MB"] = 1
    client = app.test_client()
    answer = client.post("/api/portfolios", json=valid_portfolio())
    assert answer.status_code == 400
    assert answer.get_json()["field"] == "tickers"
    assert "PORTFOLIO_MAX_MEMORY_MB" in answer.get_json()["error"]
    assert client.get("/api/portfolios").get_json()["portfolios"] == []
    assert Redis.from_url(redis_url).llen(queue_key(app)) == 0
    app.config["PORTFOLIO_MAX_MEMORY_MB"] = 768
    assert client.post("/api/portfolios", json=valid_portfolio()).status_code == 202


def test_a_good_portfolio_is_recorded_pending_and_queued_once(app, redis_url):
    """202 with its status URL; the row is PENDING with the normalised request; one message."""
    client = app.test_client()
    answer = client.post("/api/portfolios", json=valid_portfolio())
    assert answer.status_code == 202
    portfolio_id = answer.get_json()["portfolio_id"]
    status = client.get(f"/api/portfolios/{portfolio_id}").get_json()
    assert status["status"] == "PENDING"
    assert status["request"]["allocation"]["top_n"] == 2
    assert status["request"]["rebalance"]["every_n_bars"] is None
    assert Redis.from_url(redis_url).lrange(queue_key(app), 0, -1) == [portfolio_id.encode()]
