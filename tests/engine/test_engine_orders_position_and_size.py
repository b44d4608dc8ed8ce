"""Entry orders with a position-aware exit and a size expression (docs/execution.md, "Entry
orders with position-aware exits and sizes"): hand-computed limit, stop and on-close cases,
the equity a size reads, a buy limit that always fills at the next open equal to the market
walk, and a batch's rows equal to runs alone (walked in Python, never compiled)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Bars, TradingParams, compiled, run, run_batch
from rules import generate_signals_batch, position_exits, validate_rule
from rules.size_expr import check_size, size_at
from tests.engine.test_engine_orders import _random_bars
from tests.engine.test_engine_position_exits import ENTRY
from tests.engine.test_engine_position_exits import _bars as _steps
from tests.engine.test_engine_size_expr import _bars as _flat_range
from tests.engine.test_engine_size_expr import _signals as _volume_signals
from tests.engine.test_engine_size_expr import _wavy

CAPITAL = 100_000.0
FEE = 0.001
ATR_SIZE = "0.01 * equity / (2 * atr(14))"


def _rule(bars: Bars, entry: str, exit_: str, rows: list[dict] | None = None):
    """(entries, exits, position exits) of an EXPR rule on ``bars`` for ``rows``."""
    rows = [{}] if rows is None else rows
    checked = [validate_rule("EXPR", {"entry": entry, "exit": exit_, **row})[1] for row in rows]
    cache: dict = {}
    entries, exits = generate_signals_batch("EXPR", checked, bars, cache, validated=True)
    held = position_exits("EXPR", checked, bars, slice(0, len(bars)), cache)
    return entries, exits, held


def _size(bars: Bars, text: str, values: dict | None = None):
    return size_at(text, bars, check_size(text, values), slice(0, len(bars)))


def _trades(result) -> list[tuple]:
    return [
        (t.entry_bar, t.exit_bar, t.entry_price, t.exit_price, t.exit_reason) for t in result.trades
    ]


def test_a_limit_entry_s_time_exit_counts_bars_from_its_fill_bar():
    """The entry holds on bar 2 (close 11.5): a buy limit at 10.9 good for 4 bars misses
    bars 3-5 (lows 11, 12, 11) and fills on bar 6 (low 10) at 10.9. ``bars_held >= 3``
    holds on bar 9's close (not bar 5's: the count starts at the fill), so the long is
    closed at bar 10's open, 13; the entry of bar 8 finds it open and changes nothing."""
    bars = _steps()
    entries, exits, held = _rule(bars, ENTRY, "bars_held >= 3")
    params = TradingParams(fee_rate=0.0, position_size=1000.0, entry_type="limit", valid_bars=4)
    result = run(bars, entries[0], exits[0], params, limit=bars.close - 0.6, position_exit=held[0])
    assert _trades(result) == [(6, 10, 10.9, 13.0, "signal")]
    assert result.trades[0].size == math.floor(1000.0 / 10.9)
    assert list(result.orders.fill_bar) == [6]


@pytest.mark.parametrize(
    ("exit_", "expected"),
    [
        # open_return on bar 3's close: 100 × (12.5 / 11.5 - 1) = 8.7 >= 5: out at that close
        ("open_return >= 5", [(2, 3, 11.5, 12.5, "signal"), (8, 9, 11.5, 12.5, "signal")]),
        # bars_held is 1 on the close after the signal bar's fill, 2 on the next
        ("bars_held >= 2", [(2, 4, 11.5, 13.5, "signal"), (8, 10, 11.5, 13.5, "signal")]),
    ],
)
def test_an_on_close_entry_s_position_exit_reads_the_closes_after_its_fill(exit_, expected):
    """An ``on_close`` long fills at its signal bar's close (11.5, bars 2 and 8): its exit
    is read from the next close on, and, as every change of an ``on_close`` run, it fills
    at the close where it holds."""
    bars = _steps()
    entries, exits, held = _rule(bars, ENTRY, exit_)
    params = TradingParams(fee_rate=0.0, position_size=1000.0, entry_type="on_close")
    result = run(bars, entries[0], exits[0], params, position_exit=held[0])
    assert _trades(result) == expected


def test_a_stop_entry_sized_by_atr_buys_the_hand_computed_shares():
    """atr(14) is 2 on these bars, so the size is 0.0025 × the equity at the signal bar's
    close: 250 shares from 100,000 for the first stop (close + 0.5, touched on the next bar
    and filled at it); the second 0.0025 × the equity after the first trade."""
    n_bars = 60
    bars = _flat_range(_wavy(n_bars), _volume_signals([20, 40], [30, 50], n_bars))
    entries, exits, _ = _rule(bars, "volume == 2", "volume == 1")
    params = TradingParams(
        initial_capital=CAPITAL, fee_rate=FEE, size_unit="shares", entry_type="stop", valid_bars=3
    )
    stop = bars.close + 0.5
    result = run(bars, entries[0], exits[0], params, stop=stop, size=_size(bars, ATR_SIZE))
    first, second = result.trades
    assert (first.entry_bar, first.entry_price, first.size) == (21, stop[20], 250)
    assert (second.entry_bar, second.entry_price) == (41, stop[40])
    assert second.size == math.floor(0.0025 * (CAPITAL + first.pnl)) != 250


def test_a_size_beyond_the_cash_buys_what_the_cash_pays_at_the_fill_price():
    n_bars = 40
    bars = _flat_range(_wavy(n_bars), _volume_signals([20], [30], n_bars))
    entries, exits, _ = _rule(bars, "volume == 2", "volume == 1")
    params = TradingParams(
        initial_capital=CAPITAL, fee_rate=FEE, size_unit="shares", entry_type="stop"
    )
    stop = bars.close + 0.5
    (trade,) = run(bars, entries[0], exits[0], params, stop=stop, size=_size(bars, "1e9")).trades
    assert trade.size == math.floor(CAPITAL / (stop[20] * (1 + FEE)))


@pytest.mark.parametrize(("kind", "fill_bar"), [("limit", 21), ("on_close", 20)])
def test_an_order_whose_size_is_undefined_is_cancelled_when_placed(kind, fill_bar):
    """atr(14) is undefined on bars 5 and 8: those orders are cancelled at once (the run is
    flat, so the entry of bar 8 places a new one); bar 20's fills with 250 shares."""
    n_bars = 40
    bars = _flat_range(_wavy(n_bars), _volume_signals([5, 8, 20], [12, 30], n_bars))
    entries, exits, _ = _rule(bars, "volume == 2", "volume == 1")
    params = TradingParams(size_unit="shares", entry_type=kind, valid_bars=2)
    limit = bars.close + 5.0  # above the next open: fills there
    result = run(bars, entries[0], exits[0], params, limit=limit, size=_size(bars, ATR_SIZE))
    assert list(result.orders.status) == [3, 3, 1]  # cancelled, cancelled, filled
    assert list(result.orders.signal_bar) == [5, 8, 20]
    assert [(t.entry_bar, t.size) for t in result.trades] == [(fill_bar, 250)]


def test_a_size_reads_the_equity_at_its_signal_bar_close_with_a_short_still_open():
    """Long-short: the entry that covers a short places a buy limit; the short is closed at
    the next open and the limit fills bars later, sized by the equity at the signal bar's
    close (the short marked there), not the cash at the fill."""
    rng = np.random.default_rng(3)
    bars = _random_bars(rng, 200)
    entries, exits = rng.random(200) < 0.08, rng.random(200) < 0.08
    params = TradingParams(
        direction="longshort", entry_type="limit", valid_bars=5, size_unit="shares"
    )
    result = run(
        bars, entries, exits, params, limit=bars.close * 0.99, size=_size(bars, "equity / 1000")
    )
    orders = result.orders
    signal_bar = dict(zip(orders.fill_bar.tolist(), orders.signal_bar.tolist(), strict=True))
    checked = 0
    for trade in result.trades:
        if trade.direction == 1 and trade.entry_bar in signal_bar:
            at = signal_bar[trade.entry_bar]
            assert trade.size == math.floor(result.equity[at] / 1000.0)
            checked += trade.entry_bar > at + 1
    assert checked


@pytest.mark.parametrize("seed", range(6))
def test_a_buy_limit_that_always_fills_at_the_next_open_equals_the_market_walk(seed):
    """Long only, a buy limit at ten times the close, good for one bar: it fills at the
    next open as a market order does, so with the same time, profit and signal exits and
    the same ATR size, every trade and every bar's equity equal the market entry's."""
    rng = np.random.default_rng(seed)
    bars = _random_bars(rng, 250)
    exit_ = "crossunder(close, sma(close, 20)) or bars_held >= $n or open_return >= $k"
    rows = [{"n": int(rng.integers(1, 15)), "k": float(rng.uniform(1, 10))}]
    entries, exits, held = _rule(bars, "crossover(close, sma(close, 10))", exit_, rows)
    entries[:, :20] = False  # no entry while atr(14) warms up (see the cancelled orders)
    size = _size(bars, ATR_SIZE)
    trading = {"fee_rate": FEE, "slippage_bps": 2.0, "size_unit": "shares"}
    market = run(
        bars, entries[0], exits[0], TradingParams(**trading), position_exit=held[0], size=size
    )
    limit = TradingParams(**trading, entry_type="limit")
    ordered = run(
        bars, entries[0], exits[0], limit, limit=bars.close * 10, position_exit=held[0], size=size
    )
    assert len(market.trades) > 2
    assert [dataclass_row(t) for t in ordered.trades] == [dataclass_row(t) for t in market.trades]
    np.testing.assert_array_equal(ordered.equity, market.equity)


def dataclass_row(trade) -> tuple:
    return (trade.entry_bar, trade.exit_bar, trade.entry_price, trade.exit_price, trade.size)


@pytest.mark.parametrize("kind", ["limit", "stop", "on_close"])
def test_a_batch_of_order_runs_with_exits_and_sizes_equals_each_run_alone(kind, monkeypatch):
    """Even where the work would pay for the batch pass over the cores, rows with position
    exits or sizes take the step's walk that calls them, and each equals its run alone, bit
    for bit."""
    monkeypatch.setattr(compiled, "MIN_BAR_UPDATES", 0)
    rng = np.random.default_rng(11)
    bars = _random_bars(rng, 200)
    rows = [{"n": n} for n in (2, 5, 9)]
    entries, exits, held = _rule(bars, "crossover(close, sma(close, 5))", "bars_held >= $n", rows)
    sizes = [_size(bars, f"{k} * equity / (2 * atr(14))") for k in (0.005, 0.01, 0.02)]
    params = TradingParams(
        entry_type=kind, valid_bars=3, size_unit="shares", stop_loss_pct=4.0, fee_rate=FEE
    )
    prices = {"limit": bars.close * 0.99, "stop": bars.close * 1.01}
    batch = run_batch(
        bars, entries, exits, params, keep_equity=True, position_exits=held, sizes=sizes, **prices
    )
    for i in range(3):
        alone = run(
            bars, entries[i], exits[i], params, position_exit=held[i], size=sizes[i], **prices
        )
        np.testing.assert_array_equal(batch.equity[i], alone.equity)
        assert batch.metrics["num_trades"][i] == alone.metrics["num_trades"]
    assert len({float(row[-1]) for row in batch.equity}) == 3
