"""adapters.metrics.equity_metrics: the equity-curve metrics of N curves at once, each row
equal (==) to that curve computed alone, and to the definitions worked out independently."""

from __future__ import annotations

import itertools
import math
import statistics

import numpy as np
import pytest

from adapters.metrics import EQUITY_METRIC_KEYS, equity_metrics

DAYS = np.datetime64("2020-01-01T21:00:00", "s") + np.arange(300) * np.timedelta64(1, "D")


def _curves(n: int, seed: int = 3) -> np.ndarray:
    """n random-walk equity curves, some flat stretches, one flat line, one that busts."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, 0.01, (n, len(DAYS)))
    steps[:, 100:130] = 0.0
    curves = 100_000 * np.exp(np.cumsum(steps, axis=1))
    curves[:, 0] = 100_000
    curves[0] = 100_000.0  # never trades
    curves[1, 200:] = 0.0  # bust: equity stays 0
    return curves


def _max_drawdown(curves: np.ndarray) -> np.ndarray:
    peak = np.maximum.accumulate(curves, axis=1)
    return ((peak - curves) / peak).max(axis=1) * 100


def test_rows_computed_together_equal_each_row_computed_alone():
    """Bit for bit: a sweep's N = 200 block and a single run's N = 1 give the same values."""
    curves = _curves(200)
    drawdown = _max_drawdown(curves)
    together = equity_metrics(DAYS, curves, drawdown)
    for row in (0, 1, 2, 57, 199):
        alone = equity_metrics(DAYS, curves[row : row + 1], drawdown[row : row + 1])
        for name in EQUITY_METRIC_KEYS:
            np.testing.assert_array_equal(together[name][row : row + 1], alone[name])


def test_returns_handed_in_give_the_same_values_and_stay_unchanged():
    """A sweep computes the bar returns once for these metrics and its block statistics:
    handed in, they give the values computed here, and are not written to."""
    from engine import bar_returns

    curves = _curves(50)
    drawdown = _max_drawdown(curves)
    returns = bar_returns(curves)
    before = returns.copy()
    handed = equity_metrics(DAYS, curves, drawdown, returns=returns)
    computed = equity_metrics(DAYS, curves, drawdown)
    for name in EQUITY_METRIC_KEYS:
        np.testing.assert_array_equal(handed[name], computed[name])
    np.testing.assert_array_equal(returns, before)


def _reference(curve: list[float], drawdown: float) -> dict:
    """The definitions (adapters.metrics docstring), in plain Python."""
    returns = [b / a - 1 if a > 0 else 0.0 for a, b in itertools.pairwise(curve)]
    days = 299.0
    cagr = ((curve[-1] / curve[0]) ** (365.25 / days) - 1) * 100
    downside = math.sqrt(sum(min(r, 0) ** 2 for r in returns) / len(returns))
    return {
        "cagr_pct": cagr,
        "volatility_pct": statistics.stdev(returns) * math.sqrt(252) * 100,
        "sortino_ratio": statistics.fmean(returns) / downside * math.sqrt(252)
        if downside
        else None,
        "calmar_ratio": cagr / drawdown if drawdown else None,
    }


def test_values_follow_the_documented_definitions():
    """CAGR, volatility, Sortino and Calmar of random curves match a plain-Python reference."""
    curves = _curves(6, seed=11)[2:]
    drawdown = _max_drawdown(curves)
    out = equity_metrics(DAYS, curves, drawdown)
    for row, curve in enumerate(curves.tolist()):
        expected = _reference(curve, drawdown[row])
        for name, value in expected.items():
            assert out[name][row] == pytest.approx(value, rel=1e-9), name


def test_drawdown_duration_spans_peak_to_recovery_or_to_the_end():
    """Peaks at day 1 (recovered day 4) and day 5 (never recovered: 8 days to the last bar)."""
    curve = np.array([[100.0, 110, 100, 105, 111, 120, 90, 95, 100, 110, 115, 119, 118, 117]])
    days = DAYS[: curve.shape[1]]
    out = equity_metrics(days, curve, _max_drawdown(curve))
    assert out["max_drawdown_duration_days"][0] == 8.0
    flat = equity_metrics(days, np.full((1, 14), 100.0), np.array([0.0]))
    assert flat["max_drawdown_duration_days"][0] == 0.0


def test_undefined_values_are_nan():
    """A flat line: no volatility-based ratio, no Calmar without a drawdown."""
    out = equity_metrics(DAYS, np.full((2, len(DAYS)), 5.0), np.zeros(2))
    assert out["volatility_pct"][0] == 0.0
    assert np.isnan(out["sortino_ratio"]).all() and np.isnan(out["calmar_ratio"]).all()
    assert out["cagr_pct"][0] == 0.0


def test_exposure_needs_positions_and_counts_bars_holding_one():
    """exposure_pct only with positions: 2 of 4 bars held -> 50%."""
    equity = np.array([[100.0, 101, 102, 103]])
    assert "exposure_pct" not in equity_metrics(DAYS[:4], equity, np.zeros(1))
    out = equity_metrics(DAYS[:4], equity, np.zeros(1), np.array([[0.0, 3, -2, 0]]))
    assert out["exposure_pct"][0] == 50.0
