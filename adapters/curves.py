"""Per-bar curves of one backtest (equity, drawdown, portfolio) as JSON-ready dicts.

Every curve is aligned with the bars: one value per bar, stamped with ``iso_utc``. A long
run's stored curves keep evenly spaced points instead (``curve_points``: every k-th bar and
the last); such a curve has one more column, ``bar``, the index of each point's bar in the
run (absent when every bar is kept, so the curves of shorter runs are as they were). A curve
is ``adapters.columnar.Columns``: its columns stay arrays until read or written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from adapters.columnar import Column, Columns, FloatColumn, TimeColumn, held
from engine import Bars, EngineResult


def drawdown_pct(
    equity: np.ndarray, points: np.ndarray | None = None, peak: np.ndarray | None = None
) -> np.ndarray:
    """Percent below the running peak of ``equity`` on each bar (values <= 0): at
    ``points`` only when given (``curve_points``: the peak runs over every bar, the rest is
    computed where kept); ``peak``: ``np.maximum.accumulate(equity)`` when the caller has it.

    The same definition as the engine's ``max_drawdown_pct``, with the sign flipped:
    ``-drawdown_pct(equity).min() == max_drawdown_pct``.

    >>> drawdown_pct(np.array([100.0, 120.0, 90.0, 130.0])).tolist()
    [0.0, 0.0, -25.0, 0.0]
    """
    peak = np.maximum.accumulate(equity) if peak is None else peak
    if points is not None:
        equity, peak = equity[points], peak[points]
    return (equity - peak) / peak * 100.0


def curve_points(bars: int, max_points: int) -> np.ndarray | None:
    """The bars a run's stored curves keep: None (every bar) when ``bars`` <= ``max_points``,
    else every k-th bar from the first and the last bar, k the smallest step that keeps at
    most ``max_points`` points.

    >>> curve_points(10, 10) is None, curve_points(10, 4).tolist()
    (True, [0, 3, 6, 9])
    """
    if bars <= max_points:
        return None
    step = -(-(bars - 1) // (max_points - 1))
    points = np.arange(0, bars, step)
    return points if points[-1] == bars - 1 else np.append(points, bars - 1)  # sorted, distinct


def bars_at(bars: Bars, points: np.ndarray) -> Bars:
    """The bars at ``points`` (``curve_points``), each as it is: what a long run's charts,
    candles and indicators are drawn on."""
    return Bars(
        bars.timestamps[points],
        *(getattr(bars, name)[points] for name in ("open", "high", "low", "close", "volume")),
    )


def bar_step(curve: Mapping[str, Any]) -> int:
    """Bars between consecutive points of a stored curve: 1 unless it was thinned (its
    ``bar`` column), so a statistic of its point-to-point returns annualises with bars per
    year / ``bar_step``."""
    bars = curve.get("bar") or []
    return int(bars[1] - bars[0]) if len(bars) > 1 else 1


def columns(
    timestamps: np.ndarray,
    series: Mapping[str, np.ndarray | Column],
    points: np.ndarray | None = None,
    *,
    columnar: bool = False,
) -> dict[str, list] | Columns:
    """A curve's JSON columns: ``timestamps`` and each series at ``points`` (every bar when
    None; a series given as a ``Column`` is at the points already, computed there only),
    then the points' bar indices as ``bar`` when thinned. A plain dict of lists, or with
    ``columnar`` the same as ``Columns`` (arrays until read or written: what a run's result
    holds, ``kinds.runs.execute.assemble``)."""
    curve: dict[str, Column] = {"timestamps": TimeColumn(timestamps, points)}
    curve |= {
        name: values if isinstance(values, Column) else FloatColumn(values, points)
        for name, values in series.items()
    }
    if points is not None:
        curve["bar"] = Column(points)
    return held(Columns(curve), columnar)


def equity_curve(
    bars: Bars, result: EngineResult, points: np.ndarray | None = None, *, columnar: bool = False
) -> dict[str, list] | Columns:
    """Equity (cash + position marked at the close) on every bar (at ``points``);
    ``columnar``: as ``columns``."""
    return columns(bars.timestamps, {"equity": result.equity}, points, columnar=columnar)


def drawdown_curve(
    bars: Bars,
    result: EngineResult,
    points: np.ndarray | None = None,
    *,
    columnar: bool = False,
    peak: np.ndarray | None = None,
) -> dict[str, list] | Columns:
    """Drawdown in percent below the running peak of equity on every bar (<= 0; at
    ``points``: the drawdown of every bar, sampled); ``columnar``: as ``columns``;
    ``peak``: the equity's running peak when the caller has it (``drawdown_pct``)."""
    drawdown = FloatColumn(drawdown_pct(result.equity, points, peak))
    return columns(bars.timestamps, {"drawdown_pct": drawdown}, points, columnar=columnar)


def portfolio_curve(
    bars: Bars, result: EngineResult, points: np.ndarray | None = None, *, columnar: bool = False
) -> dict[str, list] | Columns:
    """Cash, shares held (signed: negative when short), the position's market value
    (shares × close) and the total (= equity) on every bar (at ``points``); ``columnar``: as
    ``columns``."""

    def at(values: np.ndarray) -> np.ndarray:
        return values if points is None else values[points]

    series = {
        "cash": result.cash,
        "shares": result.position,
        "position": FloatColumn(at(result.position) * at(bars.close)),  # where kept only
        "total": result.equity,
    }
    return columns(bars.timestamps, series, points, columnar=columnar)
