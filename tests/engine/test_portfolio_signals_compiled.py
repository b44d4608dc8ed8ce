"""The compiled walk of a portfolio of rules (``engine._signals_kernel``) equals the Python walk
(``engine.portfolio.signals``) bit for bit: random universes with missing bars, every fee
model, percent and value sizes, with and without stops (Hypothesis); every output compared
with ``np.array_equal``. A walk with forced closes or corporate actions stays in Python."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import compiled
from engine.broker.stops import Stops
from engine.portfolio import ForcedCloses, PortfolioConfig, rule_costs, simulate_signals

FIELDS = ("equity", "cash", "shares", "weights", "turnover", "decisions", "contribution")
ORDER_FIELDS = ("bar", "asset", "shares", "price", "fee", "value", "reason", "forced")


def _market(seed: int, n_bars: int, n_assets: int, rate: float):
    rng = np.random.default_rng(seed)
    close = 40 * np.exp(np.cumsum(rng.normal(0, 0.025, (n_bars, n_assets)), axis=0))
    open_ = close * np.exp(rng.normal(0, 0.01, close.shape))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.03, close.shape))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.03, close.shape))
    missing = rng.random(close.shape) < 0.04
    missing[0] = False
    late = rng.integers(0, n_bars // 2, n_assets) * (rng.random(n_assets) < 0.3)
    for column, first in enumerate(late.tolist()):
        missing[:first, column] = True
    for array in (open_, high, low, close):
        array[missing] = np.nan
    entries = (rng.random(close.shape) < rate) & ~missing
    exits = (rng.random(close.shape) < rate) & ~missing
    return open_, high, low, close, entries, exits


def _both(*args):
    """(the Python walk's result, the compiled walk's)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(compiled, "MIN_SIGNAL_BAR_UPDATES", 10**12)
        python = simulate_signals(*args)
        patch.setattr(compiled, "MIN_SIGNAL_BAR_UPDATES", 1)
        return python, simulate_signals(*args)


COSTS = st.sampled_from(
    [
        {"position_size": 10.0},
        {"position_size": 60.0, "fee_fixed": 1.5},
        {"position_size": 25.0, "fee_per_share": 0.01, "fee_min": 1.0, "fee_max": 8.0},
        {"by_value": True, "position_size": 20_000.0},
        {"by_value": True, "position_size": 250_000.0, "fee_fixed": 2.0},
    ]
)
STOPS = st.sampled_from(
    [None, Stops(0.05, None, None), Stops(None, 0.08, None), Stops(0.06, 0.1, 0.04)]
)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n_bars=st.integers(2, 120),
    n_assets=st.integers(1, 12),
    rate=st.sampled_from([0.02, 0.1, 0.3]),
    costs=COSTS,
    stops=STOPS,
    fee_rate=st.sampled_from([0.0, 0.001, 0.004]),
    slippage=st.sampled_from([0.0, 5.0, 30.0]),
)
def test_the_compiled_walk_equals_the_python_walk_bit_for_bit(
    seed, n_bars, n_assets, rate, costs, stops, fee_rate, slippage
):
    config = PortfolioConfig(100_000.0, fee_rate, slippage)
    args = (*_market(seed, n_bars, n_assets, rate), config, rule_costs(config, **costs), stops)
    python, kernel = _both(*args)
    for field in FIELDS:
        assert np.array_equal(getattr(python, field), getattr(kernel, field)), field
    for field in ORDER_FIELDS:
        assert np.array_equal(getattr(python.orders, field), getattr(kernel.orders, field)), field


def test_the_cases_trade_and_stop():
    """A case of the property trades both ways and exits by every stop."""
    config = PortfolioConfig(100_000.0, 0.001, 5.0)
    args = (*_market(3, 200, 8, 0.1), config, rule_costs(config, position_size=20.0))
    _, kernel = _both(*args, Stops(0.03, 0.06, 0.06))
    assert {1, 2, 3} <= set(kernel.orders.reason.tolist())


def test_a_walk_with_forced_closes_stays_in_python(monkeypatch):
    """The compiled walk is never called with forced closes (it does not model them)."""
    import engine.portfolio.signals as module

    def refuse(*_):
        raise AssertionError("compiled walk called")

    monkeypatch.setattr(module, "_compiled_walk", refuse)
    monkeypatch.setattr(compiled, "MIN_SIGNAL_BAR_UPDATES", 1)
    config = PortfolioConfig(100_000.0)
    market = _market(4, 50, 3, 0.1)
    blocked = np.zeros(market[0].shape, dtype=bool)
    blocked[30:, 1] = True
    result = simulate_signals(
        *market, config, rule_costs(config), closes=ForcedCloses(blocked, None)
    )
    assert result.equity.size == 50
    with pytest.raises(AssertionError, match="compiled walk called"):
        simulate_signals(*market, config, rule_costs(config))
