"""A portfolio volatility target (docs/portfolios.md): over ten years of the demo universe the
realised annual volatility is within ±15 % of the target, the book never holds more than
``max_leverage`` of its value at a fill, and the fields are checked and searchable."""

from __future__ import annotations

import numpy as np
import pytest

from data.demo_universe import UNIVERSE
from kinds.portfolios.compute import simulate
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.search import apply, suggested_space
from kinds.portfolios.universe import load_universe
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError

TICKERS = [member.ticker for member in UNIVERSE][:10]


def _request(**allocation) -> dict:
    body = valid_portfolio(
        tickers=TICKERS,
        start_date="2014-01-01",
        end_date="2024-12-31",
        allocation={"method": "equal", **allocation},
        params={},
    )
    return parse_portfolio(body)


@pytest.mark.parametrize("target", [0.05, 0.10, 0.20])
def test_realised_volatility_over_ten_years_is_within_15_percent_of_the_target(target):
    request = _request(target_volatility=target, max_leverage=2.0)
    universe = load_universe(request)
    result = simulate(request, universe)
    assert (universe.days[-1] - universe.days[0]).astype(int) > 3650
    returns = np.diff(result.equity) / result.equity[:-1]
    realised = returns.std(ddof=1) * np.sqrt(universe.bars_per_year)
    assert abs(realised / target - 1.0) <= 0.15, realised


def test_leverage_at_each_fill_never_exceeds_its_cap():
    """A 30 % target on a ~10 % universe wants 3x; max_leverage 1.5 holds it (within a
    share per ticker), and the cash borrowed shows as negative cash."""
    request = _request(target_volatility=0.3, max_leverage=1.5)
    universe = load_universe(request)
    result = simulate(request, universe)
    bars = np.unique(result.orders.bar)
    opened = np.nan_to_num(universe.open[bars])
    value = result.cash[bars - 1] + (result.shares[bars - 1] * opened).sum(axis=1)
    held = (result.shares[bars] * opened).sum(axis=1)
    assert np.all(held <= 1.5 * value + opened.sum(axis=1))
    assert held.max() / value[held.argmax()] > 1.4
    assert result.cash.min() < 0


def test_without_a_target_the_book_is_never_levered_and_the_fields_normalise_away():
    allocation = _request(max_leverage=3.0)["allocation"]
    assert (allocation["target_volatility"], allocation["max_leverage"]) == (None, 1.0)
    assert allocation["risk_lookback"] is None
    targeted = _request(target_volatility=0.1)["allocation"]
    assert (targeted["max_leverage"], targeted["risk_lookback"]) == (1.0, 63)


@pytest.mark.parametrize(
    ("allocation", "field"),
    [
        ({"target_volatility": 0}, "allocation.target_volatility"),
        ({"target_volatility": 0.1, "max_leverage": 0.5}, "allocation.max_leverage"),
        ({"target_volatility": 0.1, "max_leverage": 10}, "allocation.max_leverage"),
    ],
)
def test_a_bad_target_or_leverage_is_refused_naming_its_field(allocation, field):
    with pytest.raises(RequestError) as caught:
        _request(**allocation)
    assert caught.value.field == field


def test_a_search_varies_the_target_and_the_leverage():
    base = _request(target_volatility=0.1, max_leverage=2.0)
    point = apply(base, {"target_volatility": 0.15, "max_leverage": 1.5})
    assert point["allocation"]["target_volatility"] == 0.15
    assert point["allocation"]["max_leverage"] == 1.5
    offered = {entry["name"]: entry for entry in suggested_space(base)}
    assert offered["target_volatility"]["searched"] and offered["max_leverage"]["searched"]
    assert "max_leverage" not in {e["name"] for e in suggested_space(_request())}


def test_a_cash_rate_grows_the_idle_cash_and_is_searchable():
    """A 10 % target on a ~10 % book leaves little cash; a 2 % one leaves most of it idle,
    and a 5 % cash rate shows in its equity. Refused above 50 %."""
    idle = _request(target_volatility=0.02)
    earning = {**idle, "cash_rate": 0.05}
    universe = load_universe(idle)
    plain, paid = simulate(idle, universe), simulate(parse_portfolio(earning), universe)
    assert paid.equity[-1] > plain.equity[-1] * 1.2
    assert apply(idle, {"cash_rate": 0.03})["cash_rate"] == 0.03
    with pytest.raises(RequestError) as caught:
        parse_portfolio({**earning, "cash_rate": 0.6})
    assert caught.value.field == "cash_rate"
