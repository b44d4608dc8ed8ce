"""Drawdown episodes of an equity curve: peak → trough → recovery, and the deepest of them.

An episode is a run of bars whose equity is below its running peak (``curves.drawdown_pct``
< 0): its **peak** is the bar before the run, its **trough** the run's lowest bar (the
first, on a tie), its **recovery** the first bar back at or above the peak (``None`` when
the curve ends under water). ``depth_pct`` is the fall from peak to trough in percent of the
peak, positive like the engine's ``max_drawdown_pct`` (the deepest episode's depth equals
it). ``length_bars`` and ``length_days`` (calendar days, fractional for intraday bars) run
from the peak to the recovery, or to the last bar when not recovered — the span
``max_drawdown_duration_days`` measures.
"""

from __future__ import annotations

import numpy as np

from adapters._plain import number
from adapters.curves import drawdown_pct

WORST_COUNT = 5
"""How many episodes ``worst_drawdowns`` lists by default."""

_DAY = np.timedelta64(1, "D")


def drawdown_episodes(timestamps: np.ndarray, equity: np.ndarray) -> list[dict]:
    """Every episode of ``equity``, in time order (see the module docstring); timestamps
    are returned as given (``datetime64``).

    >>> ts = np.arange(5).astype("datetime64[D]")
    >>> [e["depth_pct"] for e in drawdown_episodes(ts, np.array([10.0, 8, 10, 9, 9.5]))]
    [20.0, 10.0]
    """
    timestamps = np.asarray(timestamps)
    underwater = drawdown_pct(np.asarray(equity, dtype=np.float64))
    below = np.concatenate(([False], underwater < 0, [False]))
    edges = np.flatnonzero(below[1:] != below[:-1])
    last = underwater.size - 1
    episodes = []
    for start, stop in zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True):
        peak = start - 1
        trough = start + int(np.argmin(underwater[start:stop]))
        recovery = stop if stop <= last else None
        end = last if recovery is None else recovery
        episodes.append(
            {
                "peak": timestamps[peak],
                "trough": timestamps[trough],
                "recovery": None if recovery is None else timestamps[recovery],
                "depth_pct": number(-underwater[trough]),
                "length_bars": end - peak,
                "length_days": float((timestamps[end] - timestamps[peak]) / _DAY),
            }
        )
    return episodes


def worst_drawdowns(
    timestamps: np.ndarray, equity: np.ndarray, count: int = WORST_COUNT
) -> list[dict]:
    """The ``count`` deepest episodes, deepest first (an equal depth: the earlier first)."""
    episodes = drawdown_episodes(timestamps, equity)
    return sorted(episodes, key=lambda e: -(e["depth_pct"] or 0.0))[:count]
