"""The entry-order walk: its compiled path equals the Python walk bit for bit, and a market
entry type leaves runs as they were (docs/execution.md, "Entry orders")."""

from __future__ import annotations

import numpy as np
import pytest

from engine import Bars, TradingParams, run, run_batch
from engine import backtest as backtest_module


def _random_bars(rng: np.random.Generator, n_bars: int) -> Bars:
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.02, n_bars)))
    open_ = np.r_[close[0], close[:-1]] * np.exp(rng.normal(0.0, 0.01, n_bars))
    high = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.01, n_bars)))
    low = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.01, n_bars)))
    days = np.arange(n_bars).astype("datetime64[D]")
    return Bars(days, open_, high, low, close, np.ones(n_bars))


STOPS = [(None, None, None), (3.0, 5.0, None), (None, None, 4.0), (2.0, 6.0, 3.0)]


@pytest.mark.parametrize("kind", ["limit", "stop", "stop_limit", "on_close"])
@pytest.mark.parametrize("direction", ["longonly", "longshort"])
@pytest.mark.parametrize(("sl", "tp", "trail"), STOPS)
def test_the_compiled_order_walk_equals_the_python_walk_bit_for_bit(kind, direction, sl, tp, trail):
    """64 random runs, per-run order prices, fees, slippage and value sizing: every core
    metric of the compiled walk equals the Python walk's exactly."""
    rng = np.random.default_rng(len(kind) * 7 + len(direction))
    bars = _random_bars(rng, 300)
    entries = rng.random((64, 300)) < 0.05
    exits = rng.random((64, 300)) < 0.05
    limit = bars.close[None] * (1.0 - rng.uniform(0.0, 0.02, (64, 1)))
    stop = bars.close[None] * (1.0 + rng.uniform(0.0, 0.02, (64, 1)))
    if kind == "stop_limit":  # a buy stop-limit that can fill: its limit above its stop
        limit = stop * 1.01
    limit[:, :20] = np.nan  # a warm-up: orders there are cancelled
    params = TradingParams(
        fee_rate=0.001,
        slippage_bps=3.0,
        position_size=30_000.0,
        direction=direction,
        entry_type=kind,
        valid_bars=int(rng.integers(1, 5)),
        stop_loss_pct=sl,
        take_profit_pct=tp,
        trailing_stop_pct=trail,
    )
    python = run_batch(bars, entries, exits, params, limit=limit, stop=stop)
    compiled = backtest_module._compiled_orders(bars, entries, exits, params, limit, stop)
    for name, values in python.metrics.items():
        np.testing.assert_array_equal(compiled.metrics[name], values, err_msg=name)
    assert python.metrics["num_trades"].sum() > 0
    kept = run_batch(bars, entries, exits, params, limit=limit, stop=stop, keep_equity=True)
    curves = backtest_module._compiled_orders(bars, entries, exits, params, limit, stop, True)
    np.testing.assert_array_equal(curves.equity, kept.equity)
    for name, values in kept.metrics.items():
        np.testing.assert_array_equal(curves.metrics[name], values, err_msg=name)


def test_a_run_equals_its_row_in_a_batch_with_entry_orders():
    rng = np.random.default_rng(5)
    bars = _random_bars(rng, 200)
    entries = rng.random((3, 200)) < 0.06
    exits = rng.random((3, 200)) < 0.06
    params = TradingParams(position_size=50_000.0, entry_type="stop", valid_bars=2)
    stop = bars.close * 1.01
    batch = run_batch(bars, entries, exits, params, stop=stop)
    for i in range(3):
        single = run(bars, entries[i], exits[i], params, stop=stop)
        for name, value in single.metrics.items():
            assert batch.metrics[name][i] == value or np.isnan(batch.metrics[name][i])


def test_a_market_entry_type_is_the_market_walk():
    rng = np.random.default_rng(9)
    bars = _random_bars(rng, 150)
    entries, exits = rng.random(150) < 0.07, rng.random(150) < 0.07
    plain = run(bars, entries, exits, TradingParams(stop_loss_pct=3.0))
    market = run(bars, entries, exits, TradingParams(stop_loss_pct=3.0, entry_type="market"))
    np.testing.assert_array_equal(plain.equity, market.equity)
    assert plain.trades == market.trades and market.orders is None
