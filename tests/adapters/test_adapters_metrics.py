"""adapters.metrics: enhanced metrics, each worked out by hand from its definition."""

from __future__ import annotations

import json
import math
import statistics

import numpy as np
import pytest

from adapters.benchmark import buy_and_hold
from adapters.metrics import METRIC_KEYS, enhanced_metrics
from adapters.trades import trade_records
from engine import Bars, TradingParams, run
from tests.adapters.support import crossover_signals, hand_result, load_goog, make_bars

EQUITY = [100.0, 110.0, 99.0, 121.0, 110.0, 132.0]
POSITION = [0.0, 5.0, 5.0, 0.0, -3.0, -3.0]
BENCHMARK = {"return_pct": 12.5}
RECORDS = [
    {"pnl_abs": 10.0, "pnl_pct": 1.0, "is_open": False},
    {"pnl_abs": -5.0, "pnl_pct": -0.5, "is_open": False},
    {"pnl_abs": 20.0, "pnl_pct": 2.0, "is_open": False},
    {"pnl_abs": 3.0, "pnl_pct": 9.0, "is_open": True},  # open: left out of trade stats
]


def _bars_at(days: list[float]) -> Bars:
    """Bars at the given (fractional) day offsets from 2020-01-01 00:00 UTC."""
    seconds = np.round(np.asarray(days) * 86_400).astype("timedelta64[s]")
    bars = make_bars([1.0] * len(days))
    return Bars(np.datetime64("2020-01-01T00:00:00", "s") + seconds, *(
        getattr(bars, c) for c in ("open", "high", "low", "close", "volume")
    ))  # fmt: skip


@pytest.fixture
def six_bar_metrics() -> dict:
    """Equity 100, 110, 99, 121, 110, 132 over 730.5 days (peaks at 146 and 438 days)."""
    bars = _bars_at([0, 146, 292, 438, 584, 730.5])
    result = hand_result(EQUITY, POSITION, max_drawdown_pct=10.0)
    return enhanced_metrics(bars, result, RECORDS, BENCHMARK)


def test_metric_keys_are_exactly_the_documented_ones(six_bar_metrics):
    """The dict has exactly the documented keys, in order."""
    assert list(six_bar_metrics) == list(METRIC_KEYS) == [
        "cagr_pct", "volatility_pct", "win_rate_pct", "avg_trade_return_pct", "exposure_pct",
        "profit_factor", "sortino_ratio", "calmar_ratio", "best_trade_pct", "worst_trade_pct",
        "max_drawdown_duration_days", "benchmark_return_pct", "avg_exposure_pct",
        "benchmark_exposed_return_pct",
    ]  # fmt: skip


def test_cagr_compounds_over_calendar_days(six_bar_metrics):
    """×1.32 over 730.5 days = two years of 365.25 days: CAGR = √1.32 − 1."""
    assert six_bar_metrics["cagr_pct"] == pytest.approx((math.sqrt(1.32) - 1) * 100, rel=1e-12)


def test_volatility_and_sortino_from_bar_returns(six_bar_metrics):
    """Returns +10%, −10%, +22/99, −11/121, +20%: sample std and downside deviation."""
    r = [0.1, -0.1, 22 / 99, -11 / 121, 0.2]
    volatility = statistics.stdev(r) * math.sqrt(252) * 100
    downside = math.sqrt((0.1**2 + (11 / 121) ** 2) / 5)
    sortino = statistics.fmean(r) / downside * math.sqrt(252)
    assert six_bar_metrics["volatility_pct"] == pytest.approx(volatility, rel=1e-12)
    assert six_bar_metrics["sortino_ratio"] == pytest.approx(sortino, rel=1e-12)


def test_calmar_divides_cagr_by_the_engines_max_drawdown(six_bar_metrics):
    """Calmar = CAGR % / max drawdown % (10%: 110 → 99)."""
    assert six_bar_metrics["calmar_ratio"] == pytest.approx(
        (math.sqrt(1.32) - 1) * 100 / 10.0, rel=1e-12
    )


def test_max_drawdown_duration_is_the_longest_peak_to_recovery_span(six_bar_metrics):
    """Peak at day 146 recovered on day 438 (292 days); peak at 438 recovered on 730.5."""
    assert six_bar_metrics["max_drawdown_duration_days"] == 292.5


def test_an_unrecovered_drawdown_is_measured_to_the_last_bar():
    """100 90 100 | 120 90 100 110: the second fall, from bar 3, is open at bar 6: 3 days."""
    bars = make_bars([1.0] * 7)
    result = hand_result([100.0, 90.0, 100.0, 120.0, 90.0, 100.0, 110.0], max_drawdown_pct=25.0)
    metrics = enhanced_metrics(bars, result, [], BENCHMARK)
    assert metrics["max_drawdown_duration_days"] == 3.0


def test_exposure_counts_bars_with_a_long_or_short_position(six_bar_metrics):
    """4 of 6 bars hold a position (long 5 or short 3)."""
    assert six_bar_metrics["exposure_pct"] == pytest.approx(4 / 6 * 100, rel=1e-12)


def test_trade_statistics_use_closed_trades_only(six_bar_metrics):
    """Closed pnl 10, −5, 20 (pnl % 1, −0.5, 2); the open trade (+9%) is left out."""
    assert six_bar_metrics["win_rate_pct"] == pytest.approx(2 / 3 * 100, rel=1e-12)
    assert six_bar_metrics["avg_trade_return_pct"] == pytest.approx(2.5 / 3, rel=1e-12)
    assert six_bar_metrics["profit_factor"] == pytest.approx(30 / 5, rel=1e-12)
    assert six_bar_metrics["best_trade_pct"] == 2.0
    assert six_bar_metrics["worst_trade_pct"] == -0.5
    assert six_bar_metrics["benchmark_return_pct"] == 12.5


def test_undefined_metrics_are_none():
    """One bar: no span, no returns, no trades; only exposures and duration are defined."""
    metrics = enhanced_metrics(make_bars([5.0]), hand_result([100.0]), [], {"return_pct": 0.0})
    assert metrics == {
        "cagr_pct": None,
        "volatility_pct": None,
        "win_rate_pct": None,
        "avg_trade_return_pct": None,
        "exposure_pct": 0.0,
        "profit_factor": None,
        "sortino_ratio": None,
        "calmar_ratio": None,
        "best_trade_pct": None,
        "worst_trade_pct": None,
        "max_drawdown_duration_days": 0.0,
        "benchmark_return_pct": 0.0,
        "avg_exposure_pct": 0.0,
        "benchmark_exposed_return_pct": 0.0,
    }


def test_profit_factor_is_none_without_a_loss_and_zero_without_a_win():
    """Only winners: undefined (division by zero gross loss). Only losers: 0."""
    bars, result = make_bars([1.0, 1.0]), hand_result([100.0, 100.0])
    win = [{"pnl_abs": 4.0, "pnl_pct": 4.0, "is_open": False}]
    loss = [{"pnl_abs": -4.0, "pnl_pct": -4.0, "is_open": False}]
    assert enhanced_metrics(bars, result, win, BENCHMARK)["profit_factor"] is None
    assert enhanced_metrics(bars, result, loss, BENCHMARK)["profit_factor"] == 0.0


def test_sortino_and_calmar_are_none_without_downside():
    """A rising equity line has no negative return and no drawdown."""
    metrics = enhanced_metrics(make_bars([1.0] * 3), hand_result([100.0, 101.0, 103.0]), [], {})
    assert metrics["sortino_ratio"] is None and metrics["calmar_ratio"] is None
    assert metrics["cagr_pct"] is not None and metrics["benchmark_return_pct"] is None


def test_cagr_that_overflows_is_none_not_infinity():
    """×10,000 in one minute annualises beyond float range: None."""
    bars = make_bars([1.0, 1.0], step=np.timedelta64(1, "m"))
    assert enhanced_metrics(bars, hand_result([100.0, 1e6]), [], {})["cagr_pct"] is None


def test_cagr_of_an_equity_ending_below_zero_is_none_without_a_warning():
    """A short that ends past a total loss: the growth -0.5 has no real power over 1.5
    days (NaN, so None), and no RuntimeWarning escapes (the suite makes it an error)."""
    bars = make_bars([1.0, 1.0, 1.0], step=np.timedelta64(18, "h"))
    assert enhanced_metrics(bars, hand_result([100.0, 20.0, -50.0]), [], {})["cagr_pct"] is None


def test_metrics_of_an_engine_run_are_plain_json():
    """Metrics from engine.run + trade_records serialise with allow_nan=False."""
    bars = make_bars([10.0, 12.0, 9.0, 8.0, 11.0, 7.0, 13.0])
    entries = np.array([1, 0, 0, 1, 0, 0, 0], dtype=bool)
    exits = np.array([0, 1, 0, 0, 1, 0, 0], dtype=bool)
    result = run(bars, entries, exits, TradingParams(direction="longshort"))
    metrics = enhanced_metrics(bars, result, trade_records(bars, result), buy_and_hold(bars, 1e5))
    assert json.loads(json.dumps(metrics, allow_nan=False)) == metrics
    assert all(type(v) is float for v in metrics.values() if v is not None)


@pytest.mark.filterwarnings("ignore:DatetimeIndex.dayofweek is deprecated")
def test_cagr_and_drawdown_duration_match_backtesting_py_on_goog(goog_csv):
    """On the same equity path, backtesting.py's compute_stats gives the same CAGR and
    max drawdown duration; its Sortino (geometric return) agrees to first order."""
    import pandas as pd
    from backtesting._stats import compute_stats

    bars = load_goog(goog_csv)
    entries, exits, _, _ = crossover_signals(bars.close)
    result = run(bars, entries, exits, TradingParams())
    ours = enhanced_metrics(bars, result, trade_records(bars, result), buy_and_hold(bars, 1e5))
    frame = pd.DataFrame(
        {"Open": bars.open, "High": bars.high, "Low": bars.low, "Close": bars.close},
        index=pd.DatetimeIndex(bars.timestamps),
    )
    theirs = compute_stats([], result.equity, frame, None)
    assert ours["cagr_pct"] == pytest.approx(theirs["CAGR [%]"], rel=1e-9)
    assert ours["max_drawdown_duration_days"] == theirs["Max. Drawdown Duration"].days
    assert ours["sortino_ratio"] == pytest.approx(theirs["Sortino Ratio"], rel=0.02)
    assert ours["benchmark_return_pct"] == pytest.approx(theirs["Buy & Hold Return [%]"])
