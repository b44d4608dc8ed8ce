"""Entry orders: batches through the broker's step equal the engine before the broker (its
Python order walk, ``tests.engine.legacy_engine``) bit for bit, and a market entry type
leaves runs as they were (docs/execution.md, "Entry orders")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine import Bars, TradingParams, run, run_batch
from tests.engine import legacy_engine as legacy


def _legacy_batch(bars: Bars, entries, exits, params: TradingParams, limit, stop, keep=False):
    """The batch through the frozen engine before the broker (its Python order walk)."""
    old_bars = legacy.Bars(bars.timestamps, bars.open, bars.high, bars.low, bars.close, bars.volume)
    known = {f.name for f in dataclasses.fields(legacy.TradingParams)}
    fields = {k: v for k, v in dataclasses.asdict(params).items() if k in known}
    old_params = legacy.TradingParams(**fields)
    return legacy.run_batch(
        old_bars, entries, exits, old_params, limit=limit, stop=stop, keep_equity=keep
    )


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
def test_a_batch_with_entry_orders_equals_the_python_order_walk(kind, direction, sl, tp, trail):
    """64 random runs, per-run order prices, fees, slippage and value sizing: every core
    metric and the equity through the broker's step equal the Python order walk's."""
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
    python = _legacy_batch(bars, entries, exits, params, limit, stop, keep=True)
    stepped = run_batch(bars, entries, exits, params, limit=limit, stop=stop, keep_equity=True)
    np.testing.assert_array_equal(stepped.equity, python.equity)
    for name, values in python.metrics.items():
        np.testing.assert_array_equal(stepped.metrics[name], values, err_msg=name)
    assert python.metrics["num_trades"].sum() > 0


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


def _cents(value: float) -> float:
    return round(value, 2)


def _hand_bars() -> Bars:
    """Six bars: bar 1's high reaches 103, then closes 100, 95, 90, 90, 90."""
    opens = [100.0, 100.0, 100.0, 95.0, 90.0, 90.0]
    highs = [101.0, 103.0, 100.0, 95.0, 90.0, 90.0]
    lows = [99.0, 99.0, 95.0, 90.0, 90.0, 90.0]
    closes = [100.0, 100.0, 95.0, 90.0, 90.0, 90.0]
    days = np.arange(6).astype("datetime64[D]")
    return Bars(days, opens, highs, lows, closes, [1.0] * 6)


BORROWING = TradingParams(
    initial_capital=10_000,
    fee_rate=0.0,
    position_size=1_020,
    direction="longshort",
    borrow_rate=0.252,  # over 252 bars a year: 0.1% of the short's value a close
)


def test_a_short_entered_with_a_limit_order_pays_its_borrow_fee_at_each_close_it_is_held():
    """An exit signal at bar 0 places a sell limit at 102; bar 1's high 103 fills it at 102:
    10 shares (1,020 / 102). Closes 100, 95, 90 charge 1.00, 0.95 and 0.90; the entry
    signal at bar 3 (its buy limit has no price: cancelled) covers at bar 4's open 90, which
    pays none. PnL = 10 × (102 − 90) − 2.85 = 117.15. Equity: bar 1 = 10,000 + 1,020 −
    1.00 − 1,000 = 10,019.00, bar 2 = 11,018.05 − 950 = 10,068.05, bar 3 = 11,017.15 − 900
    = 10,117.15, then flat."""
    bars = _hand_bars()
    entries = np.array([False, False, False, True, False, False])
    exits = np.array([True, False, False, False, False, False])
    limit = np.array([102.0, np.nan, np.nan, np.nan, np.nan, np.nan])
    params = dataclasses.replace(BORROWING, entry_type="limit", valid_bars=2)
    result = run(bars, entries, exits, params, limit=limit)
    (short,) = result.trades
    assert (short.direction, short.size, short.entry_bar, short.exit_bar) == (-1, 10, 1, 4)
    assert (short.entry_price, short.exit_price) == (102.0, 90.0)
    assert _cents(result.trades.borrow_fee[0]) == 2.85
    assert _cents(short.pnl) == 117.15
    assert [_cents(v) for v in result.equity] == [
        10_000.00, 10_019.00, 10_068.05, 10_117.15, 10_117.15, 10_117.15
    ]  # fmt: skip
    assert _cents(result.cash[3]) == 11_017.15


def test_an_on_close_short_pays_at_the_close_it_opens_on_and_not_at_the_one_it_closes_on():
    """``on_close``: the exit at bar 1 shorts 10 at its close 100 (held at that close: 1.00),
    bar 2's close 95 charges 0.95, the entry at bar 3 covers at its close 90 (not held at
    that close: nothing) and opens a long, which never pays. Short PnL = 10 × 10 − 1.95."""
    bars = _hand_bars()
    entries = np.array([False, False, False, True, False, False])
    exits = np.array([False, True, False, False, False, False])
    params = dataclasses.replace(BORROWING, entry_type="on_close", position_size=1_000)
    result = run(bars, entries, exits, params)
    short, long_ = result.trades
    assert (short.direction, short.size, short.entry_bar, short.exit_bar) == (-1, 10, 1, 3)
    assert _cents(result.trades.borrow_fee[0]) == 1.95
    assert result.trades.borrow_fee[1] == 0.0 and long_.direction == 1
    assert _cents(short.pnl) == 98.05
    assert [_cents(v) for v in result.equity[:3]] == [10_000.00, 9_999.00, 10_048.05]


@pytest.mark.parametrize("kind", ["limit", "stop", "stop_limit", "on_close"])
@pytest.mark.parametrize(("sl", "tp", "trail"), STOPS[:2])
def test_a_batch_with_entry_orders_charges_the_borrow_fee_as_the_python_walk(kind, sl, tp, trail):
    """A longshort batch paying a borrow fee (high enough to move every short's numbers):
    every core metric and the equity through the broker's step equal the Python order
    walk's exactly, and the fee lowers the total return of most runs."""
    rng = np.random.default_rng(len(kind) + 11)
    bars = _random_bars(rng, 300)
    entries = rng.random((64, 300)) < 0.05
    exits = rng.random((64, 300)) < 0.05
    limit = bars.close[None] * (1.0 + rng.uniform(-0.02, 0.02, (64, 1)))
    stop = bars.close[None] * (1.0 + rng.uniform(-0.02, 0.02, (64, 1)))
    params = TradingParams(
        fee_rate=0.001,
        slippage_bps=3.0,
        position_size=50.0,
        size_type="percent",
        direction="longshort",
        entry_type=kind,
        valid_bars=int(rng.integers(1, 5)),
        stop_loss_pct=sl,
        take_profit_pct=tp,
        trailing_stop_pct=trail,
        borrow_rate=0.2,
    )
    stepped = run_batch(bars, entries, exits, params, limit=limit, stop=stop, keep_equity=True)
    python = _legacy_batch(bars, entries, exits, params, limit, stop, keep=True)
    np.testing.assert_array_equal(stepped.equity, python.equity)
    for name, values in python.metrics.items():
        np.testing.assert_array_equal(stepped.metrics[name], values, err_msg=name)
    free = dataclasses.replace(params, borrow_rate=None)
    unpaid = run_batch(bars, entries, exits, free, limit=limit, stop=stop)
    assert (stepped.metrics["total_return_pct"] < unpaid.metrics["total_return_pct"]).sum() > 32


def test_a_market_entry_type_with_a_borrow_fee_is_the_market_walk_byte_for_byte():
    """``entry_type`` market beside a borrow fee: the same equity, cash and trades (borrow
    fees included) as the run without it."""
    rng = np.random.default_rng(13)
    bars = _random_bars(rng, 200)
    entries, exits = rng.random(200) < 0.07, rng.random(200) < 0.07
    plain = TradingParams(direction="longshort", borrow_rate=0.05)
    market = dataclasses.replace(plain, entry_type="market")
    a, b = run(bars, entries, exits, plain), run(bars, entries, exits, market)
    assert a.equity.tobytes() == b.equity.tobytes() and a.cash.tobytes() == b.cash.tobytes()
    assert a.trades == b.trades and b.orders is None
    assert a.trades.borrow_fee.tobytes() == b.trades.borrow_fee.tobytes()
    assert a.trades.borrow_fee.sum() > 0
