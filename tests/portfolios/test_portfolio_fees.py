"""A portfolio request's fee model beyond ``fee_rate`` (docs/portfolios.md, "Submitting"):
``fee_fixed``, ``fee_per_share``, ``fee_min`` and ``fee_max`` as a run request takes them,
left out of the normalised request when they charge nothing (a request without them reads
as before), refused outside their domain naming the field, given in ``strategy`` by a
portfolio of rules, and charged on every order of the demo book; and a bust's orders as a
stored result reads them."""

from __future__ import annotations

import numpy as np
import pytest

from data.demo_universe import UNIVERSE
from engine.portfolio import PortfolioConfig, simulate_portfolio
from kinds.portfolios.compute import build_result, simulate
from kinds.portfolios.describe import parameters
from kinds.portfolios.request_model import parse_portfolio
from kinds.portfolios.universe import load_universe
from tests.portfolios.support import valid_portfolio
from work.errors import RequestError

TICKERS = [member.ticker for member in UNIVERSE][:8]
EQUAL = {"method": "equal"}


def _request(allocation: dict | None = None, **fields) -> dict:
    body = valid_portfolio(tickers=TICKERS, allocation=allocation or EQUAL, params={}, **fields)
    return parse_portfolio(body)


def test_fees_that_charge_nothing_are_left_out_so_the_request_reads_as_without_them():
    plain = _request()
    assert not {"fee_fixed", "fee_per_share", "fee_min", "fee_max"} & set(plain)
    assert _request(fee_fixed=0, fee_per_share=0.0, fee_min=0, fee_max=None) == plain
    given = _request(fee_fixed=1, fee_per_share=0.005, fee_min=0, fee_max=0)
    assert [given[k] for k in ("fee_fixed", "fee_per_share", "fee_max")] == [1.0, 0.005, 0.0]
    assert "fee_min" not in given  # a minimum of 0 charges nothing; a maximum of 0 does cap
    assert "fee fixed 1" in parameters(given)["construction"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"fee_fixed": -1}, "fee_fixed"),
        ({"fee_per_share": "0.01"}, "fee_per_share"),
        ({"fee_min": float("inf")}, "fee_min"),
        ({"fee_min": 2, "fee_max": 1}, "fee_max"),
        ({"fee_max": -0.5}, "fee_max"),
    ],
)
def test_a_fee_outside_its_domain_is_refused_naming_it(fields, field):
    with pytest.raises(RequestError) as caught:
        _request(**fields)
    assert caught.value.field == field


def test_a_portfolio_of_rules_gives_its_fees_in_the_strategy_block():
    rules = {"method": "rules"}
    strategy = {"rule_type": "SMA_CROSS", "params": {"fast": 5, "slow": 20}}
    with pytest.raises(RequestError) as caught:
        _request(rules, strategy=strategy, fee_per_share=0.01)
    assert caught.value.field == "fee_per_share"
    assert "strategy.fee_per_share" in caught.value.message
    taken = _request(rules, strategy={**strategy, "fee_per_share": 0.01})
    assert taken["strategy"]["fee_per_share"] == 0.01 and "fee_per_share" not in taken


def test_the_demo_book_pays_every_fee_model_on_every_order():
    """Each order's fee is 0.1 % + 2 + 0.01 a share within [1, 5]; the final equity falls
    below the book without them."""
    plain = _request()
    charged = _request(fee_fixed=2, fee_per_share=0.01, fee_min=1, fee_max=5)
    universe = load_universe(plain)
    without = simulate(plain, universe)
    result = simulate(charged, universe)
    orders = result.orders
    per_share = (abs(orders.shares) * 0.01).clip(1.0, 5.0)
    expected = abs(orders.value) * 0.001 + 2.0 + per_share
    assert orders.fee == pytest.approx(expected, rel=1e-12)
    assert result.equity[-1] < without.equity[-1]


def test_a_stored_result_marks_a_bust_books_orders_liquidation():
    """The demo universe's first ticker shorted 16 times the value (the most the core
    allows) busts at the first close it rises past 1/16: the stored result's orders there
    read ``"reason": "liquidation"``, and its equity is 0 from that close on."""
    request = _request()
    universe = load_universe(request)
    shape = universe.close.shape
    targets = np.zeros(shape)
    targets[:, 0] = -16.0
    decide = np.zeros(shape[0], dtype=bool)
    decide[0] = True
    config = PortfolioConfig(100_000.0, allow_short=True, max_leverage=16.0)
    result = simulate_portfolio(universe.open, universe.close, targets, decide, config)
    assert result.bust_bar is not None
    stored = build_result("p", request, universe, result, 100)
    reasons = [order.get("reason") for order in stored["orders"]]
    assert reasons == [None, "liquidation"]
    assert stored["equity"][result.bust_bar :] == [0.0] * (shape[0] - result.bust_bar)
