"""The run report: monthly and yearly returns, rolling Sharpe and volatility, the underwater
curve with the worst drawdowns, and the strategy against a benchmark — all derived from a
stored result's equity curve and a benchmark's equity curve (``adapters.periods``,
``adapters.rolling``, ``adapters.drawdowns``, ``adapters.relative``). Pure: the caller
loads both curves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adapters._plain import float_list, number
from adapters.curves import drawdown_pct
from adapters.drawdowns import worst_drawdowns
from adapters.exposure import exposed_equity
from adapters.periods import monthly_returns
from adapters.relative import STAT_KEYS, common_bars, relative_stats
from adapters.rolling import rolling_risk
from adapters.timestamps import from_iso_utc, iso_utc
from engine import TRADING_DAYS

DEFAULT_WINDOW = 63
"""Rolling window (bar returns) when none is asked for: about a quarter of daily bars."""


EMPTY_STATS: dict[str, Any] = {
    **dict.fromkeys(STAT_KEYS),
    "return_pairs": 0,
    "first": None,
    "last": None,
    "strategy_return_pct": None,
    "benchmark_return_pct": None,
}
"""The benchmark statistics of curves without a common bar: every key, nothing defined."""


def _values(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _return_pct(equity: np.ndarray) -> float | None:
    """Last over first equity − 1, in percent (None from an equity of 0)."""
    return number((equity[-1] / equity[0] - 1.0) * 100.0) if equity[0] > 0 else None


def benchmark_on_bars(
    timestamps: np.ndarray,
    equity: np.ndarray,
    benchmark_timestamps: np.ndarray,
    benchmark_equity: np.ndarray,
    bars_per_year: float = TRADING_DAYS,
) -> tuple[np.ndarray, dict[str, Any]]:
    """The benchmark's equity on the strategy's bars (NaN where it has no bar), scaled to
    the strategy's equity on the first common bar, and ``relative_stats`` over the common
    bars (with ``first``/``last``: the common span, and both curves' returns over it)."""
    ours, theirs = common_bars(timestamps, benchmark_timestamps)
    on_bars = np.full(timestamps.size, np.nan)
    stats: dict[str, Any] = {"bars": int(ours.size), **EMPTY_STATS}
    if not ours.size:
        return on_bars, stats
    start = benchmark_equity[theirs[0]]
    on_bars[ours] = benchmark_equity[theirs] / start * equity[ours[0]] if start > 0 else np.nan
    stats |= relative_stats(equity[ours], benchmark_equity[theirs], bars_per_year)
    stats["first"], stats["last"] = iso_utc(timestamps[ours[[0, -1]]])
    stats["strategy_return_pct"] = _return_pct(equity[ours])
    stats["benchmark_return_pct"] = _return_pct(benchmark_equity[theirs])
    return on_bars, stats


def run_report(
    equity_curve: dict[str, list],
    benchmark_curve: dict[str, list],
    window: int = DEFAULT_WINDOW,
    bars_per_year: float = TRADING_DAYS,
    exposure_pct: float | None = None,
) -> dict[str, Any]:
    """The report of a stored ``equity_curve`` (``{"timestamps", "equity"}``) against
    ``benchmark_curve`` (the same shape, e.g. ``adapters.buy_and_hold``), JSON-ready:

    ``timestamps`` (the run's bars) and, aligned with them, ``equity``, ``underwater_pct``,
    ``rolling`` (``{"window", "sharpe", "volatility_pct"}``) and ``benchmark.equity``;
    ``monthly`` (``periods.monthly_returns``), ``drawdowns`` (the five worst, timestamps
    ISO) and ``benchmark.stats`` (``relative_stats`` with ``bars``, ``first``, ``last``).
    With the run's average exposure (``adapters.exposure``), ``benchmark.exposure_pct``
    and ``benchmark.exposed_equity``: the benchmark held at that exposure from the same
    start (start + exposure × (benchmark − start); None where it has no bar).
    """
    timestamps = from_iso_utc(equity_curve["timestamps"])
    equity = _values(equity_curve["equity"])
    rolling = rolling_risk(equity, window, bars_per_year)
    bench_equity, stats = benchmark_on_bars(
        timestamps,
        equity,
        from_iso_utc(benchmark_curve["timestamps"]),
        _values(benchmark_curve["equity"]),
        bars_per_year,
    )
    drawdowns = worst_drawdowns(timestamps, equity)
    for episode in drawdowns:
        for key in ("peak", "trough", "recovery"):
            if episode[key] is not None:
                episode[key] = iso_utc(np.array([episode[key]]))[0]
    return {
        "timestamps": list(equity_curve["timestamps"]),
        "equity": float_list(equity),
        "bars_per_year": bars_per_year,
        "monthly": monthly_returns(timestamps, equity),
        "rolling": {
            "window": window,
            "sharpe": float_list(rolling["sharpe"]),
            "volatility_pct": float_list(rolling["volatility_pct"]),
        },
        "underwater_pct": float_list(drawdown_pct(equity)),
        "drawdowns": drawdowns,
        "benchmark": {
            "equity": float_list(bench_equity),
            "stats": stats,
            "exposure_pct": number(exposure_pct),
            "exposed_equity": _at_exposure(bench_equity, exposure_pct),
        },
    }


def _at_exposure(on_bars: np.ndarray, exposure_pct: float | None) -> list[float | None] | None:
    """``on_bars`` (NaN where no bar) held at ``exposure_pct`` from its first value."""
    known = np.flatnonzero(np.isfinite(on_bars))
    if exposure_pct is None or not known.size:
        return None
    return exposed_equity(on_bars, float(on_bars[known[0]]), exposure_pct)
