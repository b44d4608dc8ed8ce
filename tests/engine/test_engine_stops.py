"""Stops on hand-made bars whose answer is known (docs/execution.md, "Stops")."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from engine import Bars, EngineParamError, TradingParams, run, run_batch
from tests.engine.test_engine_golden import CASES, case_inputs

NO_FEES = {"fee_rate": 0.0, "position_size": 100, "size_type": "percent"}


def _bars(rows: list[tuple[float, float, float, float]]) -> Bars:
    """Bars from (open, high, low, close) rows, one day apart."""
    o, h, lo, c = (np.array(col, dtype=float) for col in zip(*rows, strict=True))
    ts = np.datetime64("2021-01-01", "s") + np.arange(len(rows)) * np.timedelta64(1, "D")
    return Bars(ts, o, h, lo, c, np.ones(len(rows)))


def _signals(n: int, entry=(), exit=()) -> tuple[np.ndarray, np.ndarray]:
    entries, exits = np.zeros(n, bool), np.zeros(n, bool)
    entries[list(entry)] = True
    exits[list(exit)] = True
    return entries, exits


def test_a_bar_gapping_through_the_stop_loss_fills_at_its_open():
    """Entry at 100 (stop 90); the next bar opens at 80: the long is sold at 80, not 90."""
    bars = _bars([(100, 100, 100, 100), (100, 101, 99, 100), (80, 82, 78, 81), (81, 81, 81, 81)])
    res = run(bars, *_signals(4, entry=[0]), TradingParams(**NO_FEES, stop_loss_pct=10))
    (trade,) = res.trades
    assert (trade.entry_bar, trade.exit_bar, trade.exit_price) == (1, 2, 80.0)
    assert trade.exit_reason == "stop_loss" and not trade.is_open
    assert res.position.tolist() == [0, 1000, 0, 0]
    assert res.equity[-1] == 80_000.0


def test_a_stop_inside_the_bar_fills_at_the_stop_price_with_slippage_and_fee():
    """A low of 85 crosses the 90 stop: the sell fills at 90 less 10 bps, paying the fee."""
    bars = _bars([(100, 100, 100, 100), (100, 101, 99, 100), (95, 96, 85, 88)])
    params = TradingParams(fee_rate=0.001, slippage_bps=10, position_size=10_000, stop_loss_pct=10)
    (trade,) = run(bars, *_signals(3, entry=[0]), params).trades
    entry = 100 * 1.001  # the entry fill price, slippage included
    assert trade.exit_price == pytest.approx(entry * 0.9 * 0.999, rel=1e-15)
    assert trade.exit_fee == pytest.approx(trade.size * trade.exit_price * 0.001, rel=1e-15)


def test_stop_loss_wins_when_stop_loss_and_take_profit_are_both_in_one_bar():
    """backtesting.py's order: the SL is processed first, even on a bar that opens above the
    take-profit (a long, SL 95 and TP 110: the bar 112/115/90 fills the SL at 95)."""
    bars = _bars([(100, 100, 100, 100), (100, 101, 99, 100), (112, 115, 90, 100)])
    params = TradingParams(**NO_FEES, stop_loss_pct=5, take_profit_pct=10)
    (trade,) = run(bars, *_signals(3, entry=[0]), params).trades
    assert (trade.exit_bar, trade.exit_price, trade.exit_reason) == (2, 95.0, "stop_loss")


def test_take_profit_fills_at_its_level_or_at_a_gap_open():
    """A long with TP 110: a high of 111 fills at 110; a short with TP 90 gapping to 85 at 85."""
    bars = _bars([(100, 100, 100, 100), (100, 101, 99, 100), (105, 111, 104, 106)])
    long = run(bars, *_signals(3, entry=[0]), TradingParams(**NO_FEES, take_profit_pct=10))
    assert [(t.exit_price, t.exit_reason) for t in long.trades] == [
        (pytest.approx(110.0, rel=1e-15), "take_profit")
    ]
    bars = _bars([(100, 100, 100, 100), (100, 101, 99, 100), (85, 86, 84, 85)])
    short = run(
        bars,
        *_signals(3, exit=[0]),
        TradingParams(**NO_FEES, direction="longshort", take_profit_pct=10),
    )
    assert [(t.direction, t.exit_price, t.exit_reason) for t in short.trades] == [
        (-1, 85.0, "take_profit")
    ]


def test_a_stop_can_fire_on_the_entry_bar():
    """Entered at the open of 100 with SL 5: the entry bar's low of 94 stops it at 95."""
    bars = _bars([(100, 100, 100, 100), (100, 101, 94, 97), (97, 97, 97, 97)])
    (trade,) = run(bars, *_signals(3, entry=[0]), TradingParams(**NO_FEES, stop_loss_pct=5)).trades
    assert (trade.entry_bar, trade.exit_bar, trade.exit_price) == (1, 1, 95.0)


def test_a_long_trailing_stop_ratchets_with_the_highs_checked_before_the_bar_moves_it():
    """Trail 10% from the entry at 100: highs 110, 120 lift the level to 99, 108; the bar
    with high 125 and low 107 hits 108 (the level of the bars before it), filling at 108."""
    bars = _bars(
        [
            (100, 100, 100, 100),
            (100, 110, 99.5, 108),  # level 90 holds; then 110 → 99
            (108, 120, 100, 118),  # 99 holds (low 100); then 120 → 108
            (118, 125, 107, 110),  # 108 is hit before 125 would move it
            (110, 110, 110, 110),
        ]
    )
    res = run(bars, *_signals(5, entry=[0]), TradingParams(**NO_FEES, trailing_stop_pct=10))
    (trade,) = res.trades
    assert (trade.exit_bar, trade.exit_reason) == (3, "trailing_stop")
    assert trade.exit_price == pytest.approx(108.0, rel=1e-15)


def test_a_short_trailing_stop_ratchets_with_the_lows():
    """Short from 100 with a 10% trail: lows 90, 80 lower the level to 99, 88; a gap open at
    95 fills at the open, above the level."""
    bars = _bars(
        [
            (100, 100, 100, 100),
            (100, 100.5, 90, 92),
            (92, 98, 80, 82),
            (95, 96, 94, 95),
        ]
    )
    params = TradingParams(**NO_FEES, direction="longshort", trailing_stop_pct=10)
    (trade,) = run(bars, *_signals(4, exit=[0]), params).trades
    assert (trade.direction, trade.exit_bar, trade.exit_price) == (-1, 3, 95.0)
    assert trade.exit_reason == "trailing_stop"


def test_the_tighter_of_stop_loss_and_trailing_stop_exits():
    """SL 5% (95) and trail 3% (97 from the entry): the trailing level is hit first."""
    bars = _bars([(100, 100, 100, 100), (100, 100, 96, 99), (99, 99, 99, 99)])
    params = TradingParams(**NO_FEES, stop_loss_pct=5, trailing_stop_pct=3)
    (trade,) = run(bars, *_signals(3, entry=[0]), params).trades
    assert (trade.exit_price, trade.exit_reason) == (97.0, "trailing_stop")


def test_a_stopped_out_position_stays_flat_until_the_next_entry_signal():
    """Long stopped on bar 2; no re-entry while the old entry signal stands; the entry on
    bar 4 re-opens at bar 5's open. A repeated entry without a stop changes nothing."""
    flat = (100, 100, 100, 100)
    bars = _bars([flat, flat, (100, 100, 80, 85), (85, 86, 84, 85), (85, 86, 84, 85), flat, flat])
    entries, exits = _signals(7, entry=[0, 4])
    res = run(bars, entries, exits, TradingParams(**NO_FEES, stop_loss_pct=10))
    assert [(t.entry_bar, t.exit_bar, t.exit_reason) for t in res.trades] == [
        (1, 2, "stop_loss"),
        (5, 6, "end"),
    ]
    assert res.position[2:5].tolist() == [0, 0, 0]
    plain = run(bars, entries, exits, TradingParams(**NO_FEES))
    assert [(t.entry_bar, t.exit_reason) for t in plain.trades] == [(1, "end")]


def test_stops_never_hit_give_the_same_numbers_as_no_stops_bit_for_bit():
    """The bar-by-bar stop walk equals the vectorised path when no stop fires (every golden
    GOOG case with stops too far away to trigger)."""
    for name, case in CASES.items():
        if case.batch or case.market != "goog" or case.params.has_stops:
            continue  # (the squeeze's short would hit even a 99.99% stop: it doubles)
        bars, entries, exits = case_inputs(case)
        far = dataclasses.replace(case.params, stop_loss_pct=99.99, take_profit_pct=1e9)
        a, b = run(bars, entries, exits, case.params), run(bars, entries, exits, far)
        assert a.equity.tobytes() == b.equity.tobytes(), name
        assert a.cash.tobytes() == b.cash.tobytes(), name
        assert a.trades == b.trades, name


def test_a_batch_with_stops_equals_single_runs_row_by_row():
    """run_batch walks each row like run: equity and metrics bit for bit."""
    case = CASES["goog-batch-percent-longshort-fee0.002-slip10"]
    bars, entries, exits = case_inputs(case)
    params = dataclasses.replace(case.params, stop_loss_pct=3, trailing_stop_pct=6)
    batch = run_batch(bars, entries, exits, params, keep_equity=True)
    for i in range(entries.shape[0]):
        single = run(bars, entries[i], exits[i], params)
        assert batch.equity[i].tobytes() == single.equity.tobytes()
        assert batch.metrics["num_trades"][i] == single.metrics["num_trades"]
        assert any(t.exit_reason != "signal" for t in single.trades)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stop_loss_pct", 0),
        ("stop_loss_pct", 100),
        ("trailing_stop_pct", -1),
        ("take_profit_pct", 0),
        ("take_profit_pct", float("inf")),
        ("stop_loss_pct", "5"),
    ],
)
def test_out_of_range_stops_are_refused_naming_the_field(field, value):
    with pytest.raises(EngineParamError) as info:
        TradingParams(**{field: value})
    assert info.value.field == field
