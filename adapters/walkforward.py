"""A walk-forward's out-of-sample result from its folds' stored curves (PURE): the stitched
equity curve, buy & hold over the same bars, the in-sample curves placed against it, the
stitched curve's metrics, walk-forward efficiency and parameter stability
(docs/walkforward.md defines each).

Stitching: fold k contributes its test bars up to the next fold's test start (all of them
when test windows do not overlap: ``step_bars >= test_bars``; the last fold always all of
them). Each fold's test run starts flat with the initial capital, so its segment is its
equity × the stitched curve's last value before it / its first equity (the initial
capital; the first fold's segment is its run's equity as it is): the curve is
continuous and compounds fold after fold, as one account re-optimised at each fold start.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters._plain import float_list, number
from adapters.metrics import curve_metrics
from adapters.timestamps import from_iso_utc
from engine import TRADING_DAYS


@dataclass(frozen=True)
class Segment:
    """What one SUCCEEDED fold stored: its test window's first bar index (over the
    walk-forward's bars), the test run's bars (ISO timestamps, equity, close), its trades,
    and the chosen parameters' equity over the training window."""

    fold: int
    test_start: int
    timestamps: Sequence[str]
    equity: Sequence[float]
    close: Sequence[float]
    trades: int
    train_timestamps: Sequence[str]
    train_equity: Sequence[float]


def _lengths(segments: Sequence[Segment]) -> list[int]:
    """How many of its test bars each fold contributes (up to the next fold's test start)."""
    lengths = []
    for k, segment in enumerate(segments):
        size = len(segment.equity)
        if k + 1 < len(segments):
            size = min(size, segments[k + 1].test_start - segment.test_start)
        lengths.append(size)
    return lengths


def stitch(
    segments: Sequence[Segment], initial_capital: float, bars_per_year: float = TRADING_DAYS
) -> dict[str, Any]:
    """``{"equity_curve", "benchmark", "in_sample", "metrics"}`` of folds in time order (see
    the module docstring), its metrics annualised with ``bars_per_year`` (the ticker's).
    The benchmark holds ``initial_capital`` × close / first close
    over the stitched bars; fold k's in-sample curve is rescaled so that its last bar is at
    the stitched curve's value on fold k's first test bar (where the test run starts)."""
    timestamps: list[str] = []
    equity: list[np.ndarray] = []
    close: list[float] = []
    starts: list[float] = []
    level = float(initial_capital)
    for segment, size in zip(segments, _lengths(segments), strict=True):
        part = np.asarray(segment.equity[:size], dtype=np.float64)
        if part.size and part[0] and part[0] != level:
            part = part * level / part[0]
        starts.append(float(part[0]) if part.size else level)
        timestamps += segment.timestamps[:size]
        close += segment.close[:size]
        equity.append(part)
        level = float(part[-1]) if part.size else level
    curve = np.concatenate(equity) if equity else np.empty(0)
    closes = np.asarray(close, dtype=np.float64)
    in_sample = []
    for segment, start in zip(segments, starts, strict=True):
        train = np.asarray(segment.train_equity, dtype=np.float64)
        scaled = train * start / train[-1] if train.size and train[-1] else train
        in_sample.append(
            {
                "fold": segment.fold,
                "timestamps": list(segment.train_timestamps),
                "equity": float_list(scaled),
            }
        )
    metrics = None
    if curve.size:
        metrics = curve_metrics(
            from_iso_utc(timestamps),
            curve,
            initial_capital,
            sum(s.trades for s in segments),
            bars_per_year,
        )
    return {
        "equity_curve": {"timestamps": timestamps, "equity": float_list(curve)},
        "benchmark": {
            "timestamps": list(timestamps),
            "equity": float_list(initial_capital * closes / closes[0]) if closes.size else [],
        },
        "in_sample": in_sample,
        "metrics": metrics,
    }


def efficiency(oos_cagr_pct: float | None, train_cagr_pct: Sequence[float | None]) -> float | None:
    """Walk-forward efficiency: the stitched out-of-sample curve's annualised return
    (``cagr_pct``) over the mean annualised return of the chosen parameters on their
    training windows. None when either is undefined or the in-sample mean is not positive
    (a ratio against a loss or zero says nothing)."""
    values = [v for v in train_cagr_pct if v is not None and math.isfinite(v)]
    if oos_cagr_pct is None or not values or len(values) < len(train_cagr_pct):
        return None
    mean = sum(values) / len(values)
    return number(oos_cagr_pct / mean) if mean > 0 else None


def stability(names: Sequence[str], chosen: Sequence[dict[str, Any] | None]) -> dict[str, Any]:
    """Per grid parameter: the value chosen in each fold (None where none was chosen), how
    many distinct values were chosen, the most common (ties: the one chosen first) and the
    share of folds that chose it (of all folds)."""
    out: dict[str, Any] = {}
    for name in names:
        values = [None if params is None else params.get(name) for params in chosen]
        picked = [v for v in values if v is not None]
        counts = Counter(picked)
        most_common = max(counts, key=lambda v: (counts[v], -picked.index(v))) if picked else None
        out[name] = {
            "values": values,
            "distinct": len(counts),
            "most_common": most_common,
            "share": counts[most_common] / len(values) if picked else 0.0,
        }
    return out
