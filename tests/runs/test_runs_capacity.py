"""A run's capacity curve (docs/capacity.md): the request fields and their 400s, the cache
key, the stored document (each capital's figures, the run's own capital equal to its
metrics), and the curve of the demo strategy with liquidity models: Sharpe falling with
capital on the thin demo ticker, flat on a liquid one."""

from __future__ import annotations

import pytest

from engine.capacity import capital_grid
from kinds.runs.cache import cache_key
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute
from kinds.sweeps.contract import parse_sweep_request
from tests.runs.python_strategies import ACME_SMA_CROSS
from tests.sweeps.test_sweep_contract import BASE as SWEEP

DEMO = {
    "rule_type": "SMA_CROSS",
    "params": {"fast": 10, "slow": 50},
    "start_date": "2014-01-02",
    "end_date": "2024-12-31",
    "charts": False,
}
"""The demo strategy of the capacity tests: positive Sharpe on MOSS (thin) and GLOBEX."""


def _request(ticker: str = "MOSS", **fields):
    return parse_request({"ticker": ticker, **DEMO, **fields})


def test_a_request_without_capacity_stores_the_bytes_of_before() -> None:
    request = _request()
    assert (request.capacity, request.capacity_capitals) == (False, None)
    assert "capacity" not in request.to_dict() and "capacity_capitals" not in request.to_dict()
    assert execute(request).to_dict().get("capacity", "absent") == "absent"


def test_capitals_are_stored_ascending_once_and_change_the_cache_key() -> None:
    plain = _request()
    asked = _request(capacity=True)
    listed = _request(capacity=True, capacity_capitals=[1e6, 1e4, 1e6, 5e4])
    assert listed.capacity_capitals == [1e4, 5e4, 1e6]
    assert listed.to_dict()["capacity"] is True
    keys = {cache_key(r, "hash") for r in (plain, asked, listed)}
    assert len(keys) == 3


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"capacity": "yes"}, "capacity", "true or false"),
        ({"capacity": True, "capacity_capitals": [1e4]}, "capacity_capitals", "2 to 24"),
        ({"capacity": True, "capacity_capitals": [0, 1e5]}, "capacity_capitals", "above 0"),
        ({"capacity": True, "capacity_capitals": [1e4, 1e13]}, "capacity_capitals", "above 0"),
        ({"capacity": True, "capacity_capitals": [1e4] * 25}, "capacity_capitals", "2 to 24"),
        ({"capacity": True, "capacity_capitals": "1e4"}, "capacity_capitals", "a list"),
        ({"capacity_capitals": [1e4, 1e5]}, "capacity_capitals", "needs capacity true"),
    ],
)
def test_bad_capacity_fields_are_400s_naming_them(fields: dict, field: str, words: str) -> None:
    with pytest.raises(RequestError) as refused:
        _request(**fields)
    assert refused.value.field == field and words in refused.value.message


def test_a_python_strategy_and_a_sweep_take_no_capacity() -> None:
    with pytest.raises(RequestError) as refused:
        parse_request({**ACME_SMA_CROSS, "capacity": True})
    assert refused.value.field == "capacity"
    with pytest.raises(RequestError) as sweep:
        parse_sweep_request({**SWEEP, "capacity": True})
    assert sweep.value.field == "capacity"


def test_the_curve_has_each_capital_and_the_runs_own_equals_its_metrics() -> None:
    """The default grid, 12 points; a listed grid holding the request's own capital answers
    the run's own Sharpe ratio, CAGR, return and trades there, bit for bit."""
    result = execute(_request(capacity=True))
    assert result.capacity["points"]["capital"] == list(capital_grid())
    own = 100_000.0
    listed = execute(_request(capacity=True, capacity_capitals=[1e4, own, 1e7]))
    points, metrics = listed.capacity["points"], listed.metrics
    at = points["capital"].index(own)
    assert points["sharpe_ratio"][at] == metrics["sharpe_ratio"]
    assert points["cagr_pct"][at] == metrics["cagr_pct"]
    assert points["total_return_pct"][at] == metrics["total_return_pct"]
    assert points["num_trades"][at] == metrics["num_trades"]
    assert listed.capacity["reference_sharpe"] == points["sharpe_ratio"][0]
    assert listed.to_dict()["capacity"] == listed.capacity
    without = execute(_request())
    assert without.metrics == metrics  # the curve changes nothing of the run itself


LIQUIDITY = {"volume_limit": 0.1}
"""Orders take at most a tenth of a bar's volume, the rest carried to later bars."""
CAPITALS = [1e4, 1e5, 1e6, 1e7, 1e8, 1e9]


def test_the_demo_strategys_sharpe_falls_with_capital_on_the_thin_ticker_only() -> None:
    """With a volume limit, the demo strategy on MOSS (1,500 shares a day) loses half its
    Sharpe ratio within these capitals, and more at the largest; on GLOBEX (a million
    shares a day) its Sharpe ratio stays within 10 % of the smallest capital's up to 1 B."""
    fields = {"capacity": True, "capacity_capitals": CAPITALS, **LIQUIDITY}
    thin = execute(_request("MOSS", **fields)).capacity
    liquid = execute(_request("GLOBEX", **fields)).capacity
    sharpe = thin["points"]["sharpe_ratio"]
    assert thin["reference_sharpe"] > 0
    assert thin["half_sharpe_capital"] is not None and thin["half_sharpe_capital"] <= 1e8
    assert (sharpe[-1] or 0.0) < sharpe[0] / 2
    flat = liquid["points"]["sharpe_ratio"]
    assert liquid["reference_sharpe"] > 0 and liquid["half_sharpe_capital"] is None
    assert all(abs(s - flat[0]) <= 0.1 * flat[0] for s in flat)
