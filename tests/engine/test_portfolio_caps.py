"""Position and sector caps (engine/portfolio/caps.py) and the minimum trade
(``PortfolioConfig.min_trade``): caps are never exceeded, neither in the targets nor in the
holdings a rebalance buys; what is cut goes to the uncapped tickers pro rata, or to cash."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.portfolio import (
    NO_SECTOR,
    PortfolioConfig,
    cap_weights,
    rebalance_schedule,
    simulate_portfolio,
    target_weights,
)
from tests.engine.portfolio_universe import random_universe


def test_the_excess_over_a_cap_goes_to_the_others_in_proportion():
    got = cap_weights(np.array([[0.5, 0.3, 0.2]]), max_weight=0.4)
    np.testing.assert_allclose(got, [[0.4, 0.36, 0.24]], atol=1e-15)


def test_redistribution_that_pushes_another_over_the_cap_is_capped_again():
    got = cap_weights(np.array([[0.6, 0.3, 0.1]]), max_weight=0.35)
    np.testing.assert_allclose(got, [[0.35, 0.35, 0.3]], atol=1e-15)


def test_what_no_ticker_can_take_stays_in_cash():
    got = cap_weights(np.array([[0.5, 0.5]]), max_weight=0.3)
    np.testing.assert_allclose(got, [[0.3, 0.3]], atol=1e-15)


def test_a_sector_over_its_cap_is_scaled_down_and_the_rest_scaled_up():
    """Two tech tickers at 0.3 each (0.6) with a 0.4 sector cap: 0.2 each; the 0.2 cut
    goes to the others (0.25, 0.15) pro rata; a ticker without a sector is never capped."""
    weights = np.array([[0.3, 0.3, 0.25, 0.15]])
    sectors = np.array([0, 0, 1, NO_SECTOR])
    got = cap_weights(weights, sectors=sectors, max_sector_weight=0.4)
    np.testing.assert_allclose(got, [[0.2, 0.2, 0.375, 0.225]], atol=1e-15)


def test_no_caps_return_the_weights_unchanged():
    weights = np.array([[0.7, 0.3]])
    assert cap_weights(weights) is weights or np.array_equal(cap_weights(weights), weights)
    with pytest.raises(ValueError, match="max_weight"):
        cap_weights(weights, max_weight=0.0)
    with pytest.raises(ValueError, match="sectors"):
        cap_weights(weights, max_sector_weight=0.5)


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(1, 30),
    cap=st.floats(0.02, 1.0),
    sector_cap=st.one_of(st.none(), st.floats(0.05, 1.0)),
)
def test_caps_are_never_exceeded_and_a_rows_sum_never_grows(seed, n, cap, sector_cap):
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(n, 0.5), 3) * rng.uniform(0.2, 1.0, (3, 1))
    weights[rng.random((3, n)) < 0.3] = 0.0
    sectors = rng.integers(-1, 4, n)
    got = cap_weights(weights, max_weight=cap, sectors=sectors, max_sector_weight=sector_cap)
    assert np.all(got <= cap + 1e-12) and np.all(got >= 0)
    assert np.all(got.sum(axis=1) <= weights.sum(axis=1) + 1e-12)
    assert np.all(got[weights == 0] == 0)
    if sector_cap is not None:
        for code in range(4):
            assert np.all(got[:, sectors == code].sum(axis=1) <= sector_cap + 1e-12)
    # Nothing cut while some ticker could still take it: either the whole row is kept or
    # every held ticker is at its cap or in a sector at its cap.
    for row, before in zip(got, weights, strict=True):
        if row.sum() < before.sum() - 1e-9:
            held = row > 0
            at_cap = row >= cap - 1e-9
            if sector_cap is not None:
                full = np.array([row[sectors == s].sum() >= sector_cap - 1e-9 for s in sectors])
                at_cap |= full & (sectors >= 0)
            assert np.all(at_cap[held])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cap=st.floats(0.05, 0.5))
def test_a_holding_after_a_rebalance_exceeds_its_cap_by_less_than_one_share(seed, cap):
    """At each fill's open, shares x price <= cap x the value the orders were sized from,
    but for the one share a sale rounded toward zero keeps (docs/execution.md)."""
    rng = np.random.default_rng(seed)
    universe = random_universe(rng, 200, int(rng.integers(3, 15)), late_share=0.3)
    decide = rebalance_schedule(universe.days, "weekly")
    targets = cap_weights(target_weights(universe.has_bar, method="equal"), max_weight=cap)
    config = PortfolioConfig(initial_capital=100_000.0, fee_rate=0.001, slippage_bps=5.0)
    result = simulate_portfolio(universe.open_, universe.close, targets, decide, config)
    for bar in np.unique(result.orders.bar).tolist():
        price = np.nan_to_num(np.where(np.isfinite(universe.close[bar]), universe.open_[bar], 0))
        value = result.cash[bar - 1] + float(result.shares[bar - 1] @ price)
        traded = np.isin(np.arange(price.size), result.orders.asset[result.orders.bar == bar])
        held = result.shares[bar] * price
        assert np.all(held[traded] <= cap * value + price[traded] * (1 - 1e-12)), bar


def test_a_minimum_trade_skips_the_small_orders_and_only_those():
    rng = np.random.default_rng(5)
    universe = random_universe(rng, 300, 10)
    decide = rebalance_schedule(universe.days, "weekly")
    targets = target_weights(universe.has_bar, method="equal")
    base = PortfolioConfig(initial_capital=1_000_000.0, fee_rate=0.001)
    every = simulate_portfolio(universe.open_, universe.close, targets, decide, base)
    config = PortfolioConfig(initial_capital=1_000_000.0, fee_rate=0.001, min_trade=0.005)
    some = simulate_portfolio(universe.open_, universe.close, targets, decide, config)
    assert 0 < len(some.orders) < len(every.orders)
    first = some.orders.bar == some.orders.bar[0]
    assert first.sum() == 10  # the first allocation: every order is 10% of the value
    for bar, shares, price in zip(
        some.orders.bar.tolist(),
        some.orders.shares.tolist(),
        some.orders.price.tolist(),
        strict=True,
    ):
        opened = np.nan_to_num(universe.open_[bar])
        value = some.cash[bar - 1] + float(some.shares[bar - 1] @ opened)
        assert (abs(shares) + 1) * price >= 0.005 * value * (1 - 1e-4), bar
    with pytest.raises(ValueError, match="min_trade"):
        PortfolioConfig(initial_capital=1.0, min_trade=1.0)
