"""adapters.curves: equity, drawdown and portfolio curves, one value per bar."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.curves import drawdown_curve, drawdown_pct, equity_curve, portfolio_curve
from adapters.timestamps import iso_utc
from engine import TradingParams, run
from tests.adapters.support import hand_result, make_bars, signals

EQUITY = [100.0, 110.0, 99.0, 121.0, 110.0, 132.0]


def test_equity_curve_pairs_every_bar_timestamp_with_its_equity():
    """Timestamps are the bars' ISO UTC stamps; equity is the engine's path as floats."""
    bars = make_bars([1, 2, 3, 4, 5, 6])
    curve = equity_curve(bars, hand_result(EQUITY))
    assert list(curve) == ["timestamps", "equity"]
    assert curve["timestamps"] == iso_utc(bars.timestamps)
    assert curve["timestamps"][0] == "2024-01-01T21:00:00+00:00"
    assert curve["equity"] == EQUITY


def test_drawdown_is_percent_below_the_running_peak_worked_by_hand():
    """Peaks 100, 110, 110, 121, 121, 132: falls of 11/110 and 11/121 below them."""
    curve = drawdown_curve(make_bars([1, 2, 3, 4, 5, 6]), hand_result(EQUITY))
    assert list(curve) == ["timestamps", "drawdown_pct"]
    expected = [0.0, 0.0, -11 / 110 * 100, 0.0, -11 / 121 * 100, 0.0]
    assert curve["drawdown_pct"] == pytest.approx(expected, rel=1e-12)
    assert all(v <= 0 for v in curve["drawdown_pct"])


def test_deepest_drawdown_equals_the_engines_max_drawdown():
    """min(drawdown_pct) == -max_drawdown_pct of the same run, exactly."""
    bars = make_bars([10, 12, 9, 8, 11, 7, 13, 6], open_=[10, 11, 10, 9, 8, 12, 7, 12])
    res = run(bars, signals(8, [0, 4]), signals(8, [2, 6]), TradingParams(fee_rate=0.01))
    assert min(drawdown_curve(bars, res)["drawdown_pct"]) == -res.metrics["max_drawdown_pct"]
    assert res.metrics["max_drawdown_pct"] > 0


def test_drawdown_pct_is_minus_100_after_a_bust():
    """Equity 0 (bankrupt) is 100% below the peak."""
    assert drawdown_pct(np.array([100.0, 150.0, 0.0, 0.0])).tolist() == [0.0, 0.0, -100.0, -100.0]


def test_portfolio_curve_splits_equity_into_cash_and_position_value():
    """shares = signed position, position = shares × close, total = equity = cash + position."""
    close = [10.0, 11.0, 12.0, 11.0, 14.0, 15.0]
    bars = make_bars(close, open_=[10.0, 11.0, 12.0, 13.0, 14.0, 15.0])
    params = TradingParams(position_size=1000, direction="longshort")
    res = run(bars, signals(6, [3]), signals(6, [0]), params)
    curve = portfolio_curve(bars, res)
    assert list(curve) == ["timestamps", "cash", "shares", "position", "total"]
    assert curve["shares"] == [0.0, -90.0, -90.0, -90.0, 71.0, 71.0]  # short 90, then long 71
    assert curve["position"] == [s * c for s, c in zip(curve["shares"], close, strict=True)]
    assert curve["total"] == res.equity.tolist()
    assert np.allclose(np.add(curve["cash"], curve["position"]), curve["total"], rtol=1e-12)


def test_curves_are_json_serialisable_without_nan():
    """json.dumps(..., allow_nan=False) accepts every curve."""
    bars = make_bars([10, 12, 9, 8])
    res = run(bars, signals(4, [0]), signals(4, [2]))
    for curve in (equity_curve(bars, res), drawdown_curve(bars, res), portfolio_curve(bars, res)):
        assert json.loads(json.dumps(curve, allow_nan=False)) == curve


def test_a_long_run_keeps_every_kth_bar_and_the_last_with_their_bar_indices():
    """Past ``max_points`` bars a curve holds evenly spaced points, the first and the last
    bar included, and a ``bar`` column; drawdown is every bar's, sampled (not recomputed
    from the points)."""
    from adapters.curves import bar_step, curve_points

    assert curve_points(6, 6) is None
    points = curve_points(6, 3)
    assert points.tolist() == [0, 3, 5]
    equity = [100.0, 130.0, 99.0, 121.0, 110.0, 132.0]
    bars = make_bars([1, 2, 3, 4, 5, 6])
    curve = drawdown_curve(bars, hand_result(equity), points)
    assert list(curve) == ["timestamps", "drawdown_pct", "bar"]
    assert curve["bar"] == [0, 3, 5]
    assert curve["timestamps"] == [iso_utc(bars.timestamps)[i] for i in (0, 3, 5)]
    assert curve["drawdown_pct"] == pytest.approx([0.0, -9 / 130 * 100, 0.0], rel=1e-12)
    assert bar_step(curve) == 3 and bar_step(equity_curve(bars, hand_result(equity))) == 1


def test_curve_points_never_exceed_the_limit():
    from adapters.curves import curve_points

    for bars in (20_001, 98_280, 491_400, 5_000_000):
        points = curve_points(bars, 20_000)
        assert len(points) <= 20_000 and points[0] == 0 and points[-1] == bars - 1
        assert np.all(np.diff(points) > 0)


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 3_000_000), st.integers(2, 30_000))
def test_curve_points_are_every_kth_bar_and_the_last_sorted_and_distinct(bars, max_points):
    """The points as ``np.unique`` of every k-th bar and the last gave them (the same
    int64 array), without sorting them again."""
    from adapters.curves import curve_points

    points = curve_points(bars, max_points)
    if bars <= max_points:
        assert points is None
        return
    step = -(-(bars - 1) // (max_points - 1))
    expected = np.unique(np.append(np.arange(0, bars, step), bars - 1))
    assert points.dtype == expected.dtype and np.array_equal(points, expected)
    assert len(points) <= max_points


@settings(max_examples=100, deadline=None)
@given(
    moves=st.lists(st.floats(-0.5, 0.5), min_size=2, max_size=400),
    max_points=st.integers(2, 50),
)
def test_curves_computed_at_their_points_are_every_bars_values_sampled_bit_for_bit(
    moves, max_points
):
    """The drawdown and the position value computed where a long run keeps its points (and
    the drawdown from a peak the caller hands) are those computed on every bar, sampled."""
    from adapters.curves import curve_points

    equity = 100.0 * np.cumprod(1.0 + np.array(moves))
    points = curve_points(equity.size, max_points)
    peak = np.maximum.accumulate(equity)
    whole = drawdown_pct(equity)
    at = slice(None) if points is None else points
    assert drawdown_pct(equity, points).tobytes() == whole[at].tobytes()
    assert drawdown_pct(equity, points, peak).tobytes() == whole[at].tobytes()
    bars = make_bars((equity / 7.0).tolist())
    result = hand_result(equity.tolist())
    result = replace(result, position=np.round(equity / 3.0))
    curve = portfolio_curve(bars, result, points)
    assert curve["position"] == (result.position * bars.close)[at].tolist()
