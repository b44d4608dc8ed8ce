"""A portfolio of rules (``engine.portfolio.simulate_signals``; docs/execution.md, "A portfolio
of rules"): hand-computed fills on one shared ledger (sells before buys, each entry a percent
of the cash left, a buy cut to what the cash affords, the fee model and stops of the broker,
forced closes), and no look-ahead: changing any bar after t never changes the equity, cash,
holdings or orders up to t (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.broker.stops import STOP_LOSS, Stops
from engine.portfolio import ForcedCloses, PortfolioConfig, rule_costs, simulate_signals


def _flat(prices: list[list[float]]) -> tuple[np.ndarray, ...]:
    """open = high = low = close = ``prices`` (T, N)."""
    p = np.array(prices, dtype=np.float64)
    return p, p.copy(), p.copy(), p.copy()


def test_exits_fill_before_entries_and_each_entry_spends_its_percent_of_the_cash_left():
    """1,000 of cash, 50 % a entry, no fee: bar 1 buys A (500 / 10 = 50 shares) then B
    (half of the 500 left, 250 / 20 = 12 shares); bar 3 sells A (50 x 12 = 600) before it
    buys C with half the cash then (260 + 600 = 860, 430 / 5 = 86 shares)."""
    open_, high, low, close = _flat([[10, 20, 5], [10, 20, 5], [11, 20, 5], [12, 20, 5]])
    entries = np.zeros((4, 3), dtype=bool)
    exits = np.zeros((4, 3), dtype=bool)
    entries[0, [0, 1]] = True
    exits[2, 0] = True
    entries[2, 2] = True
    config = PortfolioConfig(initial_capital=1_000.0)
    costs = rule_costs(config, position_size=50.0)
    result = simulate_signals(open_, high, low, close, entries, exits, config, costs)
    assert result.orders.bar.tolist() == [1, 1, 3, 3]
    assert result.orders.asset.tolist() == [0, 1, 0, 2]
    assert result.orders.shares.tolist() == [50, 12, -50, 86]
    assert result.cash[-1] == pytest.approx(1_000 - 500 - 240 + 600 - 430)
    assert result.equity[-1] == pytest.approx(result.cash[-1] + 12 * 20 + 86 * 5)
    assert result.contribution.sum() == pytest.approx(result.equity[-1] - 1_000)


def test_a_buy_is_cut_to_what_the_cash_affords_with_the_fixed_fee():
    """A value size of 800 with 500 of cash and a fixed fee of 5: (500 - 5) / 10 = 49
    shares, then nothing for B (5 of cash left, no share)."""
    open_, high, low, close = _flat([[10, 20], [10, 20], [10, 20]])
    entries = np.zeros((3, 2), dtype=bool)
    entries[0] = True
    config = PortfolioConfig(initial_capital=500.0)
    costs = rule_costs(config, by_value=True, position_size=800.0, fee_fixed=5.0)
    result = simulate_signals(open_, high, low, close, entries, entries & False, config, costs)
    assert result.orders.shares.tolist() == [49]
    assert result.orders.fee.tolist() == [5.0]
    assert result.cash[-1] == pytest.approx(500 - 490 - 5)


def test_a_stop_loss_exits_within_the_bar_at_its_level_and_frees_the_cash():
    """A 10 % stop-loss on a buy at 100: bar 2's low of 85 hits 90, sold at 90."""
    open_ = np.array([[100.0], [100.0], [95.0], [95.0]])
    close = open_.copy()
    high = open_ + 1
    low = np.array([[99.0], [99.0], [85.0], [94.0]])
    entries = np.zeros((4, 1), dtype=bool)
    entries[0] = True
    config = PortfolioConfig(initial_capital=1_000.0)
    costs = rule_costs(config, position_size=100.0)
    result = simulate_signals(
        open_, high, low, close, entries, entries & False, config, costs, Stops(0.1, None, None)
    )
    assert result.orders.shares.tolist() == [10, -10]
    assert result.orders.price.tolist() == [100.0, 90.0]
    assert result.orders.reason.tolist() == [0, STOP_LOSS]
    assert result.cash[2] == pytest.approx(900.0)


def test_a_holding_is_closed_where_its_blocked_run_begins_and_not_bought_inside_it():
    """B is delisted from bar 2 with 7 a share: sold at bar 2's open at 7, and its entry
    at bar 2's close is not filled at bar 3."""
    open_, high, low, close = _flat([[10, 10], [10, 10], [10, 9], [10, 9]])
    entries = np.zeros((4, 2), dtype=bool)
    entries[0, 1] = True
    entries[2, 1] = True
    blocked = np.zeros((4, 2), dtype=bool)
    blocked[2:, 1] = True
    price = np.full((4, 2), np.nan)
    price[2, 1] = 7.0
    config = PortfolioConfig(initial_capital=100.0)
    costs = rule_costs(config, position_size=100.0)
    result = simulate_signals(
        open_,
        high,
        low,
        close,
        entries,
        entries & False,
        config,
        costs,
        closes=ForcedCloses(blocked, price),
    )
    assert result.orders.shares.tolist() == [10, -10]
    assert result.orders.price.tolist() == [10.0, 7.0]
    assert result.orders.forced.tolist() == [False, True]


def _market(seed: int, n_bars: int, n_assets: int):
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, 0.02, (n_bars, n_assets)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.005, close.shape))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, close.shape))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, close.shape))
    missing = rng.random(close.shape) < 0.05
    missing[0] = False
    for array in (open_, high, low, close):
        array[missing] = np.nan
    entries = (rng.random(close.shape) < 0.08) & ~missing
    exits = (rng.random(close.shape) < 0.08) & ~missing
    return [open_, high, low, close, entries, exits], rng


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    cut=st.integers(1, 58),
    stops=st.sampled_from([None, Stops(0.05, None, None), Stops(0.04, 0.06, 0.03)]),
)
def test_no_bar_after_t_changes_anything_up_to_t(seed, cut, stops):
    """Bars (prices and the signals of their closes) after ``cut`` redrawn: equity, cash,
    holdings and every order up to ``cut`` unchanged, bit for bit."""
    arrays, _ = _market(seed, 60, 6)
    config = PortfolioConfig(initial_capital=50_000.0, fee_rate=0.001, slippage_bps=5.0)
    costs = rule_costs(config, position_size=30.0, fee_fixed=1.0)
    first = simulate_signals(*arrays, config, costs, stops)
    other, _ = _market(seed + 1, 60, 6)
    changed = [a.copy() for a in arrays]
    for mine, theirs in zip(changed, other, strict=True):
        mine[cut + 1 :] = theirs[cut + 1 :]
    second = simulate_signals(*changed, config, costs, stops)
    upto = slice(0, cut + 1)
    assert np.array_equal(first.equity[upto], second.equity[upto])
    assert np.array_equal(first.cash[upto], second.cash[upto])
    assert np.array_equal(first.shares[upto], second.shares[upto])
    kept = first.orders.bar <= cut
    assert np.array_equal(first.orders.bar[kept], second.orders.bar[second.orders.bar <= cut])
    assert np.array_equal(first.orders.price[kept], second.orders.price[second.orders.bar <= cut])
    assert np.array_equal(first.orders.shares[kept], second.orders.shares[second.orders.bar <= cut])
