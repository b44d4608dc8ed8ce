"""GET /api/portfolios shows each portfolio's name (or a readable default saying what it
does) and its parameters: universe size, allocation, top_n, weighting, the score shortened,
the ``$name`` values, the schedule, the drift threshold and the construction; the page's
one-line summary of a request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from kinds.portfolios.describe import TEXT_SHOWN, construction, default_label, shorten, summary
from kinds.portfolios.request_model import parse_portfolio
from tests.portfolios.support import demo_app, valid_portfolio


@pytest.fixture
def app(sqlite_url: str, redis_url: str, demo_data_dir) -> Iterator[Flask]:
    """The app on SQLite and the test Redis, with the shipped demo data."""
    yield from demo_app(sqlite_url, redis_url, demo_data_dir)


def _listed(app: Flask, **fields) -> dict:
    client = app.test_client()
    answer = client.post("/api/portfolios", json=valid_portfolio(**fields))
    assert answer.status_code == 202, answer.get_json()
    portfolio_id = answer.get_json()["portfolio_id"]
    rows = client.get("/api/portfolios").get_json()["portfolios"]
    return next(row for row in rows if row["portfolio_id"] == portfolio_id)


def test_the_list_shows_a_named_portfolios_name_and_its_parameters(app):
    row = _listed(
        app,
        name="momentum top 2",
        rebalance={"schedule": "quarterly", "drift_threshold": 0.05},
    )
    assert row["name"] == row["label"] == "momentum top 2"
    assert row["parameters"] == {
        "tickers": 4,
        "method": "rank",
        "top_n": 2,
        "weighting": "equal",
        "score": "roc(close, $n)",
        "filter": "close > sma(close, 50)",
        "params": {"n": 20},
        "schedule": "quarterly",
        "every_n_bars": None,
        "drift_threshold": 0.05,
        "construction": [],
    }


def test_an_unnamed_portfolio_is_listed_with_a_label_saying_what_it_does(app):
    ranked = _listed(app)
    assert ranked["name"] is None
    assert ranked["label"] == "rank top 2 by roc(close, $n) · monthly · 4 tickers"
    every = _listed(
        app,
        allocation={"method": "equal"},
        params={},
        rebalance={"schedule": "bars", "every_n_bars": 21},
    )
    assert every["label"] == "equal weight · every 21 bars · 4 tickers"
    assert every["parameters"]["top_n"] is None
    assert every["parameters"]["score"] is None


def test_a_long_score_is_shortened_on_one_line_in_the_list(app):
    score = "roc(close, $n)\n + " + " + ".join(f"roc(close, {n})" for n in range(5, 40))
    row = _listed(app, allocation={"method": "rank", "score": score, "top_n": 2})
    shown = row["parameters"]["score"]
    assert len(shown) == TEXT_SHOWN and shown.endswith("…")
    assert "\n" not in shown and shown.startswith("roc(close, $n) + roc(close, 5)")
    assert shorten("a  b") == "a b"


def test_the_default_label_says_a_score_weighted_ranking_and_its_drift_threshold():
    request = {
        "tickers": ["A", "B", "C"],
        "allocation": {
            "method": "rank",
            "top_n": 1,
            "weighting": "score",
            "score": "close",
            "filter": None,
        },
        "rebalance": {"schedule": "weekly", "every_n_bars": None, "drift_threshold": 0.1},
        "params": {},
    }
    assert (
        default_label(request)
        == "rank top 1 score-weighted by close · weekly or 0.1 drift · 3 tickers"
    )


def test_the_construction_names_each_setting_a_request_sets_in_the_forms_order(app):
    """A risk-parity long-short book with a volatility target, caps, a minimum trade and
    both rates: one phrase each, in the list row and the page's summary."""
    row = _listed(
        app,
        cash_rate=0.02,
        borrow_rate=0.01,
        allocation={
            "method": "rank",
            "score": "roc(close, $n)",
            "top_n": 1,
            "short_n": 1,
            "weighting": "equal_risk_contribution",
            "max_weight": 0.6,
            "max_sector_weight": 0.8,
            "target_volatility": 0.1,
            "max_leverage": 1.5,
        },
        rebalance={"schedule": "monthly", "min_trade": 0.005},
    )
    expected = [
        "risk parity",
        "short 1 (gross 2, net 0)",
        "63-day risk lookback",
        "max weight 0.6",
        "max sector weight 0.8",
        "volatility target 10% (leverage ≤ 1.5)",
        "min trade 0.005",
        "cash rate 2%",
        "borrow rate 1%",
    ]
    assert row["parameters"]["construction"] == expected
    plain = parse_portfolio(valid_portfolio(allocation={"method": "equal"}, params={}))
    assert construction(plain) == []
    assert summary(plain) == (
        f"4 tickers · {plain['start_date']} … {plain['end_date']} · equal weight · "
        "rebalance monthly"
    )
