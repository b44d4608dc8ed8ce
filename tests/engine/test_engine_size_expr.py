"""The position size as an expression (docs/execution.md, "Position size as an expression"):
risk-per-trade ATR sizing and volatility targeting equal hand-computed references on fixed
bars; the cap, the cash limit, an undefined size and ``equity`` behave as documented; a
batch's rows equal their runs alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Bars, TradingParams, run, run_batch
from rules import generate_signals_batch, validate_rule
from rules.size_expr import check_size, size_at

CAPITAL = 100_000.0
FEE = 0.001


def _bars(close: np.ndarray, volume: np.ndarray) -> Bars:
    """Bars whose open is the close before, high and low 1 away from the close: while a
    close moves by at most 1 a bar, every true range is 2, so atr(14) is 2 from bar 14."""
    open_ = np.r_[close[0], close[:-1]]
    days = np.arange(len(close)).astype("datetime64[D]")
    return Bars(days, open_, close + 1.0, close - 1.0, close, volume)


def _signals(entry_bars: list[int], exit_bars: list[int], n_bars: int) -> np.ndarray:
    """Volume 2 on the entry bars, 1 on the exit bars: the rule volume == 2 → volume == 1."""
    volume = np.zeros(n_bars)
    volume[entry_bars] = 2.0
    volume[exit_bars] = 1.0
    return volume


def _run(bars: Bars, text: str, unit: str, max_size=None, values=None, **trading):
    _, rule = validate_rule("EXPR", {"entry": "volume == 2", "exit": "volume == 1"})
    entries, exits = generate_signals_batch("EXPR", [rule], bars, {}, validated=True)
    checked = check_size(text, values)
    size = size_at(text, bars, checked, slice(0, len(bars)))
    params = TradingParams(
        initial_capital=CAPITAL, fee_rate=FEE, size_unit=unit, max_size=max_size, **trading
    )
    return run(bars, entries[0], exits[0], params, size=size)


def _wavy(n_bars: int) -> np.ndarray:
    return 100.0 + 0.5 * np.sin(np.arange(n_bars) / 3.0)


def test_atr_risk_per_trade_sizing_equals_the_hand_computed_shares():
    """0.01 × equity / (2 × atr(14)) with atr 2: 0.0025 × equity shares. The first long
    (signal bar 20, flat at 100,000) buys 250; the second (signal bar 40) 0.0025 × the
    equity after the first trade's PnL, rounded down."""
    n_bars = 60
    bars = _bars(_wavy(n_bars), _signals([20, 40], [30, 50], n_bars))
    result = _run(bars, "0.01 * equity / (2 * atr(14))", "shares")
    first, second = result.trades
    assert (first.entry_bar, first.size) == (21, 250)
    equity = CAPITAL + first.pnl
    assert second.entry_bar == 41
    assert second.size == math.floor(0.0025 * equity)
    assert second.size != 250


def test_volatility_targeting_equals_the_hand_computed_fraction():
    """Closes alternately up and down 1 %: the 20-bar population standard deviation of
    the returns is 0.01, so 0.10 / (0.01 × sqrt(252)) = 0.62994 of the cash is spent,
    at the next open with the fee: floor(0.62994 × 100,000 / (open × 1.001)) shares."""
    n_bars = 50
    steps = np.where(np.arange(n_bars) % 2 == 1, 1.01, 0.99)
    steps[0] = 1.0
    close = 100.0 * np.cumprod(steps)
    bars = _bars(close, _signals([30], [45], n_bars))
    text = "0.10 / (stdev(roc(close, 1) / 100, 20) * sqrt(252))"
    (trade,) = _run(bars, text, "fraction").trades
    fraction = 0.10 / (0.01 * math.sqrt(252))
    assert trade.entry_bar == 31 and trade.entry_price == bars.open[31]
    assert trade.size == math.floor(fraction * CAPITAL / (bars.open[31] * (1 + FEE)))


def test_the_cap_and_the_cash_bound_the_size():
    n_bars = 40
    bars = _bars(_wavy(n_bars), _signals([20], [30], n_bars))
    assert _run(bars, "1000", "shares", max_size=300).trades[0].size == 300
    price = bars.open[21]
    affordable = math.floor(CAPITAL / (price * (1 + FEE)))
    assert _run(bars, "1e9", "shares").trades[0].size == affordable
    assert _run(bars, "5", "fraction").trades[0].size == affordable  # a fraction caps at 1
    half = math.floor(0.5 * CAPITAL / (price * (1 + FEE)))
    assert _run(bars, "0.9", "fraction", max_size=0.5).trades[0].size == half


def test_equity_is_the_equity_at_the_signal_bar_close():
    """min(1, 50,000 / equity) spends 50,000 of the 100,000 whatever the trade before."""
    n_bars = 40
    bars = _bars(_wavy(n_bars), _signals([20], [30], n_bars))
    (trade,) = _run(bars, "min(1, 50000 / equity)", "fraction").trades
    assert trade.size == math.floor(50_000 / (bars.open[21] * (1 + FEE)))


def test_an_undefined_size_opens_nothing_and_the_run_waits_for_the_next_change():
    """atr(14) is undefined on bar 5: that entry opens nothing, and the standing entry of
    bar 8 is no change; the entry after the exit of bar 12 opens with atr defined."""
    n_bars = 40
    bars = _bars(_wavy(n_bars), _signals([5, 8, 20], [12, 30], n_bars))
    result = _run(bars, "0.01 * equity / (2 * atr(14))", "shares")
    assert [(t.entry_bar, t.size) for t in result.trades] == [(21, 250)]


def test_a_size_in_a_batch_equals_the_run_alone_and_refuses_one_pass():
    n_bars = 60
    bars = _bars(_wavy(n_bars), _signals([20, 40], [30, 50], n_bars))
    _, rule = validate_rule("EXPR", {"entry": "volume == 2", "exit": "volume == 1"})
    entries, exits = generate_signals_batch("EXPR", [rule], bars, {}, validated=True)
    entries, exits = np.repeat(entries, 3, axis=0), np.repeat(exits, 3, axis=0)
    texts = [f"{k} * equity / (2 * atr(14))" for k in (0.005, 0.01, 0.02)]
    sizes = [size_at(text, bars, {}, slice(0, n_bars)) for text in texts]
    params = TradingParams(size_unit="shares", stop_loss_pct=2.0)
    batch = run_batch(bars, entries, exits, params, keep_equity=True, sizes=sizes)
    for i, size in enumerate(sizes):
        alone = run(bars, entries[i], exits[i], params, size=size)
        assert np.array_equal(batch.equity[i], alone.equity)
    assert len({float(row[-1]) for row in batch.equity}) == 3
    with pytest.raises(ValueError, match="one_pass"):
        run_batch(bars, entries, exits, params, one_pass=True, sizes=sizes)
    with pytest.raises(ValueError, match="size_unit"):
        run(bars, entries[0], exits[0], TradingParams(), size=sizes[0])
