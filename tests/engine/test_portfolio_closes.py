"""Forced closes in the portfolio core (a delisting, leaving a point-in-time index): a hand
computed case to the cent, and a property over random universes (docs/execution.md,
"Portfolios", "Forced closes")."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.portfolio import (
    ForcedCloses,
    PortfolioConfig,
    rebalance_schedule,
    simulate_portfolio,
    target_weights,
)
from tests.engine.portfolio_universe import random_universe

NAN = np.nan


def _two_tickers() -> tuple[np.ndarray, np.ndarray]:
    """A at 10 every bar; B at 20, 20, 13, then no bar (delisted after bar 2)."""
    open_ = np.array([[10, 20], [10, 20], [10, 14], [10, NAN], [10, NAN]], dtype=float)
    close = np.array([[10, 20], [10, 20], [10, 13], [10, NAN], [10, NAN]], dtype=float)
    return open_, close


def test_a_delisted_holding_is_closed_at_its_cash_to_the_cent():
    """Bought at bar 1 (A 500 shares; B cut to 249 by the cash), B's 249 shares are paid
    12.50 each at bar 3's open less the 0.1 % fee: cash 10.02 + 3,112.50 - 3.1125."""
    open_, close = _two_tickers()
    decide = np.array([1, 0, 0, 0, 0], dtype=bool)
    targets = np.full((5, 2), 0.5)
    blocked = np.zeros((5, 2), dtype=bool)
    blocked[3:, 1] = True
    price = np.full((5, 2), NAN)
    price[3, 1] = 12.5
    config = PortfolioConfig(10_000.0, fee_rate=0.001)
    result = simulate_portfolio(open_, close, targets, decide, config, ForcedCloses(blocked, price))
    assert result.shares[:, 1].tolist() == [0, 249, 249, 0, 0]
    assert round(result.cash[2], 2) == 10.02
    assert round(result.equity[2], 2) == 8247.02  # 500 x 10 + 249 x 13 + 10.02
    assert round(result.cash[3], 4) == 3119.4075
    assert round(result.equity[4], 2) == 8119.41
    orders = result.orders
    assert orders.forced.tolist() == [False, False, True]
    assert (orders.bar[2], orders.asset[2], orders.shares[2]) == (3, 1, -249)
    assert orders.price[2] == 12.5 and round(orders.fee[2], 4) == 3.1125
    assert round(result.contribution.sum(), 6) == round(result.equity[-1] - 10_000.0, 6)


def test_a_ticker_leaving_is_sold_at_the_open_with_slippage_and_not_bought_back():
    """Without a cash price the close is a market sale at the open (slippage, fee); a
    later decision leaves its weight in cash while it stays blocked."""
    open_ = np.array([[10, 20], [10, 20], [10, 21], [10, 22], [10, 23]], dtype=float)
    close = open_.copy()
    decide = np.array([1, 0, 1, 0, 0], dtype=bool)
    targets = np.full((5, 2), 0.5)
    blocked = np.zeros((5, 2), dtype=bool)
    blocked[2:, 1] = True
    config = PortfolioConfig(10_000.0, slippage_bps=100.0)
    result = simulate_portfolio(open_, close, targets, decide, config, ForcedCloses(blocked))
    sale = result.orders.forced.nonzero()[0]
    assert result.orders.bar[sale].tolist() == [2]
    assert result.orders.price[sale].tolist() == [pytest.approx(21 * 0.99)]
    assert result.shares[2:, 1].tolist() == [0, 0, 0]
    assert not ((result.orders.asset == 1) & (result.orders.bar >= 2) & ~result.orders.forced).any()


def test_without_a_blocked_bar_the_result_is_the_one_without_closes():
    """An all-False mask changes no byte of any output."""
    u = random_universe(np.random.default_rng(4), 120, 6, late_share=0.3, missing_rate=0.05)
    decide = rebalance_schedule(u.days, "weekly")
    targets = target_weights(u.has_bar, method="equal")
    config = PortfolioConfig(50_000.0, 0.001, 5.0, drift_threshold=0.05)
    plain = simulate_portfolio(u.open_, u.close, targets, decide, config)
    closes = ForcedCloses(np.zeros(u.close.shape, dtype=bool))
    forced = simulate_portfolio(u.open_, u.close, targets, decide, config, closes)
    for name in ("equity", "cash", "shares", "turnover", "benchmark", "decisions"):
        assert getattr(plain, name).tobytes() == getattr(forced, name).tobytes(), name


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    schedule=st.sampled_from(["daily", "weekly", "monthly"]),
    drift=st.sampled_from([None, 0.05]),
)
def test_a_blocked_ticker_is_never_held_and_is_closed_on_its_first_blocked_bar(
    seed, schedule, drift
):
    """Random universes and random blocked runs (delistings: blocked to the end; index
    memberships: on and off): no share is held on a blocked bar, a holding is sold by a
    forced close on the first bar of its run, and equity = cash + holdings still holds."""
    rng = np.random.default_rng(seed)
    n_bars, n_tickers = 80, 7
    u = random_universe(rng, n_bars, n_tickers, late_share=0.3, missing_rate=0.03)
    member = np.ones((n_bars, n_tickers), dtype=bool)
    for j in range(n_tickers):
        for _ in range(int(rng.integers(0, 3))):
            a = int(rng.integers(0, n_bars))
            member[a : a + int(rng.integers(1, 30)), j] = False
    delisted = rng.random(n_tickers) < 0.3
    delist_bar = rng.integers(5, n_bars, n_tickers)
    blocked = ~member
    price = np.full((n_bars, n_tickers), np.nan)
    for j in np.flatnonzero(delisted):
        blocked[delist_bar[j] :, j] = True
        price[delist_bar[j], j] = rng.uniform(0.0, 50.0)
    following = np.vstack([blocked[1:], blocked[-1:]])
    eligible = u.has_bar & ~blocked & ~following
    decide = rebalance_schedule(u.days, schedule)
    targets = target_weights(eligible, method="equal")
    config = PortfolioConfig(100_000.0, 0.001, 5.0, drift_threshold=drift)
    result = simulate_portfolio(
        u.open_, u.close, targets, decide, config, ForcedCloses(blocked, price)
    )
    assert not (result.shares[blocked] != 0).any()
    held_before = np.vstack([np.zeros((1, n_tickers), bool), result.shares[:-1] != 0])
    first = blocked & ~np.vstack([np.ones((1, n_tickers), bool), blocked[:-1]])
    orders = result.orders
    for bar, asset in zip(*np.nonzero(first & held_before), strict=True):
        hit = (orders.bar == bar) & (orders.asset == asset) & orders.forced
        assert hit.sum() == 1
        assert orders.shares[hit][0] == -result.shares[bar - 1, asset]
    buys = orders.shares > 0
    assert not blocked[orders.bar[buys], orders.asset[buys]].any()
    assert blocked[orders.bar[orders.forced], orders.asset[orders.forced]].all()
