"""Risk weightings in a portfolio request (docs/portfolios.md): inverse volatility, equal
risk contribution and minimum variance over the eligible (``equal``) or ranked tickers, their
``risk_lookback``, the 400s naming the field, the demo data computed with them, and the
search names that vary them."""

from __future__ import annotations

import json
import uuid

import numpy as np
import pytest

from kinds.portfolios.compute import simulate
from kinds.portfolios.kind import run_locally
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.search import apply, space, suggested_space
from kinds.portfolios.universe import load_universe
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError

EQUAL = {"method": "equal"}


def _parsed(**allocation) -> dict:
    return parse_portfolio(valid_portfolio(allocation=allocation, params={}))


def _run(request: dict) -> dict:
    return json.loads(run_locally({**request, "portfolio_id": str(uuid.uuid4())}))


def test_an_equal_allocation_keeps_a_risk_weighting_and_a_default_lookback_of_63():
    allocation = _parsed(method="equal", weighting="inverse_volatility")["allocation"]
    assert (allocation["weighting"], allocation["risk_lookback"]) == ("inverse_volatility", 63)


def test_an_allocation_without_a_risk_weighting_normalises_as_before():
    allocation = _parsed(method="equal", risk_lookback=20)["allocation"]
    assert (allocation["weighting"], allocation["risk_lookback"]) == (None, None)
    ranked = parse_portfolio(valid_portfolio())["allocation"]
    assert (ranked["weighting"], ranked["risk_lookback"]) == ("equal", None)


@pytest.mark.parametrize(
    ("allocation", "field"),
    [
        ({"method": "fixed", "weights": {"ACME": 0.5}, "weighting": "min_variance"}, "weighting"),
        ({"method": "equal", "weighting": "min_variance", "risk_lookback": 1}, "risk_lookback"),
        ({"method": "equal", "weighting": "min_variance", "risk_lookback": 2.5}, "risk_lookback"),
        ({"method": "equal", "weighting": "max_sharpe"}, "weighting"),
    ],
)
def test_a_bad_risk_weighting_is_refused_naming_its_field(allocation, field):
    with pytest.raises(RequestError) as caught:
        parse_portfolio(valid_portfolio(allocation=allocation, params={}))
    assert caught.value.field == f"allocation.{field}"


def test_risk_weightings_hold_different_books_from_equal_weights():
    """The demo universe, monthly: each risk weighting trades other share counts."""
    equal = _run(_parsed(method="equal"))
    books = {
        method: _run(_parsed(method="equal", weighting=method, risk_lookback=40))
        for method in ("inverse_volatility", "equal_risk_contribution", "min_variance")
    }
    first = [order["shares"] for order in equal["orders"][:4]]
    for method, result in books.items():
        assert [order["shares"] for order in result["orders"][:4]] != first, method
        assert result["request"]["allocation"]["weighting"] == method
    assert len({json.dumps(r["equity"]) for r in books.values()}) == 3


def test_a_search_varies_the_weighting_and_the_lookback():
    base = _parsed(method="equal", weighting="equal_risk_contribution")
    domains = space(base)
    assert "min_variance" in domains["weighting"].choices
    assert domains["risk_lookback"].default == 63
    point = apply(base, {"weighting": "min_variance", "risk_lookback": 120})
    assert point["allocation"]["weighting"] == "min_variance"
    assert point["allocation"]["risk_lookback"] == 120
    offered = {entry["name"]: entry for entry in suggested_space(base)}
    assert offered["risk_lookback"]["searched"] is True


def test_a_lookback_point_on_an_equally_weighted_base_changes_nothing_and_is_refused():
    base = _parsed(method="equal")
    with pytest.raises(RequestError) as caught:
        apply(base, {"risk_lookback": 40})
    assert caught.value.field == "grid.risk_lookback"
    assert apply(base, {"weighting": "inverse_volatility"})["allocation"]["risk_lookback"] == 63
    assert "risk_lookback" not in {entry["name"] for entry in suggested_space(base)}


def test_the_first_decision_is_risk_weighted_from_the_closes_before_the_window():
    """Decided at the window's first close from the 63 returns before it: the first fill
    already holds inverse-volatility weights, not equal ones."""
    request = _parsed(method="equal", weighting="inverse_volatility")
    universe = load_universe(request, None)
    result = simulate(request, universe)
    first = result.weights[1]
    assert result.orders.bar[0] == 1
    assert first.max() - first.min() > 0.02
    prices = np.vstack(
        [h.close[r < 0][-64:] for h, r in zip(universe.histories, universe.rows, strict=True)]
    )
    variance = np.var(prices[:, 1:] / prices[:, :-1] - 1.0, axis=1)
    assert np.argmin(first) == np.argmax(variance)
