"""SMA_CROSS: buy when a fast simple moving average crosses above a slow one."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from rules import _batch
from rules.indicators import sma, sma_rows
from rules.signals import cross_above, cross_below
from rules.spec import ParamSpec, RuleSpec, same_warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars


def signals(bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
    """Entry when SMA(fast) of the close crosses above SMA(slow); exit when it crosses
    below (``cross_above``/``cross_below``; no signal before bar slow)."""
    fast, slow = sma(bars.close, params["fast"]), sma(bars.close, params["slow"])
    return cross_above(fast, slow), cross_below(fast, slow)


def overlays(bars: Bars, params: dict) -> dict[str, np.ndarray]:
    """The two moving averages."""
    return {
        f"SMA {params['fast']}": sma(bars.close, params["fast"]),
        f"SMA {params['slow']}": sma(bars.close, params["slow"]),
    }


def _sma_lines(cache: dict, bars: Bars, windows: list[int]) -> np.ndarray:
    """(N, T) SMAs of the close, one per window, cached as ``_batch.indicator_rows`` caches
    ``sma`` (other rules find them): those not cached computed in one ``sma_rows`` call."""
    keys = [(sma.__name__, ("close",), window) for window in windows]
    return _batch.rows(cache, keys, lambda missing: sma_rows(bars.close, [k[2] for k in missing]))


def batch(bars: Bars, params_list: list[dict], cache: dict) -> tuple[np.ndarray, np.ndarray]:
    """``signals`` for N parameter sets: one SMA per distinct window, (N, T) crossings."""
    windows = [p["fast"] for p in params_list] + [p["slow"] for p in params_list]
    both = _sma_lines(cache, bars, windows)
    fast, slow = both[: len(params_list)], both[len(params_list) :]
    return cross_above(fast, slow), cross_below(fast, slow)


def crossing(bars: Bars, params_list: list[dict], cache: dict) -> _batch.Crossing:
    """``batch``'s signals as crossings of two lines: one SMA row per distinct window, and
    per parameter set the rows of its fast and slow SMA (``cross_above`` of fast over slow
    enters, ``cross_below`` exits)."""
    windows = sorted({p["fast"] for p in params_list} | {p["slow"] for p in params_list})
    lines = _sma_lines(cache, bars, windows)
    row = {window: i for i, window in enumerate(windows)}
    return _batch.Crossing(
        lines,
        np.array([row[p["fast"]] for p in params_list], dtype=np.int64),
        np.array([row[p["slow"]] for p in params_list], dtype=np.int64),
    )


SPEC = RuleSpec(
    rule_type="SMA_CROSS",
    description="Buy when the fast SMA crosses above the slow SMA, sell when it crosses below.",
    params=(
        ParamSpec("fast", "int", 10, 2, 400, "Fast moving-average window in bars."),
        ParamSpec("slow", "int", 20, 3, 600, "Slow moving-average window in bars."),
    ),
    constraints=("fast < slow",),
    signals=signals,
    overlays=overlays,
    # SMA(slow) is defined from bar slow − 1, and a cross reads the bar before it.
    warmup=same_warmup("slow"),
)
