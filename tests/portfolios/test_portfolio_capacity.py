"""A portfolio's capacity curve (docs/capacity.md, "Portfolios"): the request's ``capacity``
and ``capacity_capitals`` are a run's (the same 400s naming the field, left out of the
normalised request at their defaults); the Job re-simulates the same portfolio at each
capital and each point equals the portfolio submitted at that capital (a rebalancing book
with a volume limit on the thin MOSS, and a portfolio of rules sized by value); its own
capital gives its own metrics bit for bit; a request without it stores the bytes of
before; ``GET /api/portfolios/<id>/capacity`` (+ ``.svg``) answers it as a run's route, and
the client's ``Portfolio.capacity()`` reads it as the run's DataFrame."""

from __future__ import annotations

import json
import uuid

import pytest

from adapters.capacity import COLUMNS, capacity_svg
from backtest_client import BacktestRequestError, Client
from engine.capacity import capital_grid
from kinds.portfolios.kind import computed
from kinds.portfolios.request_model import parse_portfolio
from tests.portfolios.support import execute_item, valid_portfolio
from work.errors import RequestError

THIN = {
    "tickers": ["MOSS", "GLOBEX"],
    "start_date": "2015-01-01",
    "end_date": "2024-12-31",
    "volume_limit": 0.1,
}
"""Equal weight over the thin demo ticker (1,500 shares a day) and a liquid one, monthly,
its fills at most a tenth of a bar's volume."""

RULES = {
    "tickers": ["ACME", "GLOBEX", "HOOLI"],
    "start_date": "2016-01-01",
    "end_date": "2022-12-31",
    "allocation": {"method": "rules"},
    "strategy": {
        "rule_type": "SMA_CROSS",
        "params": {"fast": 10, "slow": 50},
        "size_type": "value",
        "position_size": 20_000,
    },
}
"""A portfolio of rules whose entries are 20,000 each of its 100,000."""


def _computed(body: dict) -> dict:
    request = parse_portfolio(body)
    request["portfolio_id"] = str(uuid.uuid4())
    return computed(request)[0]


def _point(capacity: dict, i: int) -> dict:
    return {name: capacity["points"][name][i] for name in COLUMNS}


def _own(result: dict, capital: float) -> dict:
    metrics = result["metrics"]
    liquidity = result.get("liquidity")
    return {
        "capital": capital,
        **{name: metrics[name] for name in COLUMNS[1:-1]},
        "unfilled_pct": liquidity["unfilled_pct"] if liquidity else 0.0,
    }


@pytest.mark.parametrize(
    ("body", "capitals"),
    [(THIN, [1e4, 3e6, 2e8]), (RULES, [25_000.0, 1e6, 5e7])],
    ids=["thin-volume-limit", "rules-by-value"],
)
def test_each_capital_equals_the_portfolio_submitted_at_that_capital(body, capitals):
    curve = _computed({**body, "capacity": True, "capacity_capitals": capitals})["capacity"]
    assert curve["points"]["capital"] == capitals
    for i, capital in enumerate(capitals):
        at = dict(body, initial_capital=capital)
        if "strategy" in body:  # a size by value is the same share of the capital
            size = body["strategy"]["position_size"] * capital / 100_000
            at["strategy"] = {**body["strategy"], "position_size": size}
        assert _point(curve, i) == _own(_computed(at), capital)


def test_the_own_capital_gives_the_portfolios_own_metrics_bit_for_bit():
    capitals = [1e4, 100_000.0, 1e9]
    result = _computed({**THIN, "capacity": True, "capacity_capitals": capitals})
    assert _point(result["capacity"], 1) == _own(result, 100_000.0)
    assert result["liquidity"]["unfilled_pct"] > 0


def test_the_thin_name_s_sharpe_ratio_falls_with_the_capital_and_halves():
    """The default 12 capitals: the volume limit leaves most of a large book's MOSS orders
    unfilled, and the Sharpe ratio halves within the grid."""
    curve = _computed({**THIN, "capacity": True})["capacity"]
    points = curve["points"]
    assert points["capital"] == list(capital_grid())
    assert points["sharpe_ratio"][-1] < points["sharpe_ratio"][0] / 2
    assert points["unfilled_pct"][-1] > 90 > points["unfilled_pct"][0]
    assert 1e7 < curve["half_sharpe_capital"] < 1e8
    assert curve["reference_sharpe"] == points["sharpe_ratio"][0]


def test_a_request_without_capacity_stores_what_it_stored_before():
    """Its normalised request has neither field, its result no ``capacity``; the same
    request with the curve stores that result plus the curve and its two request fields."""
    body = valid_portfolio()
    request = parse_portfolio(body)
    assert "capacity" not in request and "capacity_capitals" not in request
    plain = _computed(body)
    assert "capacity" not in plain
    asked = _computed({**body, "capacity": True, "capacity_capitals": [1e4, 1e6]})
    assert asked["request"]["capacity"] is True
    assert asked["request"]["capacity_capitals"] == [1e4, 1e6]
    del asked["capacity"], asked["request"]["capacity"], asked["request"]["capacity_capitals"]
    del asked["portfolio_id"], plain["portfolio_id"]
    asked["request"]["portfolio_id"] = plain["request"]["portfolio_id"]
    assert json.dumps(asked) == json.dumps(plain)


def test_the_capitals_are_stored_ascending_each_once():
    request = parse_portfolio(valid_portfolio(capacity=True, capacity_capitals=[5e6, 1e4, 1e4]))
    assert request["capacity"] is True and request["capacity_capitals"] == [1e4, 5e6]
    assert "capacity_capitals" not in parse_portfolio(valid_portfolio(capacity=True))


BAD = [
    ({"capacity": 1}, "capacity"),
    ({"capacity": "yes"}, "capacity"),
    ({"capacity_capitals": [1e4, 1e6]}, "capacity_capitals"),
    ({"capacity": False, "capacity_capitals": [1e4, 1e6]}, "capacity_capitals"),
    ({"capacity": True, "capacity_capitals": [1e4]}, "capacity_capitals"),
    ({"capacity": True, "capacity_capitals": [0, 1e6]}, "capacity_capitals"),
    ({"capacity": True, "capacity_capitals": [-5, 1e6]}, "capacity_capitals"),
    ({"capacity": True, "capacity_capitals": [1e4, 2e12]}, "capacity_capitals"),
    ({"capacity": True, "capacity_capitals": [1e4] * 25}, "capacity_capitals"),
    ({"capacity": True, "capacity_capitals": "1e4"}, "capacity_capitals"),
    ({"capacity": True, "capacity_capitals": [1e4, "x"]}, "capacity_capitals"),
]


@pytest.mark.parametrize(("fields", "field"), BAD)
def test_a_bad_capacity_field_is_a_400_naming_it_in_a_run_request_s_words(fields, field):
    from kinds.runs.contract import parse_request

    with pytest.raises(RequestError) as ours:
        parse_portfolio(valid_portfolio(**fields))
    run = {"ticker": "ACME", "rule_type": "SMA_CROSS", "params": {"fast": 10, "slow": 50}}
    run |= {"start_date": "2020-01-01", "end_date": "2020-12-31", **fields}
    with pytest.raises(RequestError) as theirs:
        parse_request(run)
    assert (ours.value.field, ours.value.message) == (field, theirs.value.message)
    assert theirs.value.field == field


@pytest.mark.redis
def test_the_route_the_chart_and_the_client_answer_the_stored_curve(
    demo_portfolio_app, demo_api_url
):
    """200 with the stored document (and its SVG) for a portfolio with the curve; 404 for
    no such portfolio; 409 before it has a result and for one without the curve; the
    client's ``capacity()`` is the run's DataFrame of it."""
    client = Client(demo_api_url)
    http = demo_portfolio_app.test_client()
    capitals = [1e4, 1e6, 1e8]
    body = valid_portfolio(capacity=True, capacity_capitals=capitals)
    accepted = http.post("/api/portfolios", json=body)
    assert accepted.status_code == 202, accepted.get_data(as_text=True)
    portfolio_id = accepted.get_json()["portfolio_id"]
    for suffix in ("capacity", "capacity.svg"):
        early = http.get(f"/api/portfolios/{portfolio_id}/{suffix}")
        assert early.status_code == 409
        assert http.get(f"/api/portfolios/{uuid.uuid4()}/{suffix}").status_code == 404
    execute_item(demo_portfolio_app, portfolio_id)
    stored = http.get(f"/api/portfolios/{portfolio_id}").get_json()["result"]["capacity"]
    answer = http.get(f"/api/portfolios/{portfolio_id}/capacity")
    assert answer.status_code == 200
    assert answer.get_json() == {"portfolio_id": portfolio_id, **stored}
    chart = http.get(f"/api/portfolios/{portfolio_id}/capacity.svg")
    assert chart.mimetype == "image/svg+xml"
    assert chart.get_data(as_text=True) == capacity_svg(stored)
    frame = client.get_portfolio(portfolio_id).capacity()
    assert list(frame.index) == capitals and list(frame.columns) == list(COLUMNS[1:])
    assert frame["sharpe_ratio"].tolist() == stored["points"]["sharpe_ratio"]
    assert frame.attrs["half_sharpe_capital"] == stored["half_sharpe_capital"]

    plain = http.post("/api/portfolios", json=valid_portfolio()).get_json()["portfolio_id"]
    execute_item(demo_portfolio_app, plain)
    refused = http.get(f"/api/portfolios/{plain}/capacity")
    assert refused.status_code == 409 and "capacity true" in refused.get_json()["error"]
    with pytest.raises(BacktestRequestError):
        client.get_portfolio(plain).capacity()


def test_a_search_over_a_portfolio_with_a_curve_computes_none_at_its_points():
    """A sweep, study or walk-forward scores its points by their metrics: the base's
    ``capacity`` is not carried to them (a point would cost a curve of 12 portfolios)."""
    from kinds.portfolios.search import SEARCH

    base = parse_portfolio(valid_portfolio(capacity=True, capacity_capitals=[1e4, 1e6]))
    point = SEARCH.apply(base, {"top_n": 1})
    assert point["allocation"]["top_n"] == 1
    assert "capacity" not in point and "capacity_capitals" not in point
