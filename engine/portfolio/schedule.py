"""Rebalance schedules: which bars' closes are decision points (pure numpy)."""

from __future__ import annotations

import numpy as np

SCHEDULES = ("daily", "weekly", "monthly", "quarterly", "bars")
"""The schedules ``rebalance_schedule`` knows."""


def rebalance_schedule(
    days: np.ndarray, schedule: str, every_n_bars: int | None = None
) -> np.ndarray:
    """(T,) bool: True on the bars whose close is a decision point.

    ``days`` is the (T,) sorted, unique ``datetime64[D]`` union calendar. The first bar is
    always a decision (the portfolio is invested from the start, like its benchmark; since
    portfolio engine 1.1.0). Then ``daily`` = every bar; ``weekly`` / ``monthly`` /
    ``quarterly`` = the last bar of each ISO week / calendar month / calendar quarter
    present in the calendar; ``bars`` = bars 0, N, 2N, ... (``every_n_bars`` = N >= 1).
    The last bar is never a decision (nothing fills after it).
    """
    days = np.asarray(days)
    if days.ndim != 1 or not np.issubdtype(days.dtype, np.datetime64):
        raise ValueError("days: expected a 1-D datetime64 array")
    days = days.astype("datetime64[D]")
    if days.size > 1 and not bool(np.all(days[1:] > days[:-1])):
        raise ValueError("days: must be sorted and unique")
    if schedule not in SCHEDULES:
        raise ValueError(f"schedule: one of {', '.join(SCHEDULES)}")
    n = days.size
    if schedule == "bars":
        if every_n_bars is None or int(every_n_bars) != every_n_bars or every_n_bars < 1:
            raise ValueError("every_n_bars: an integer >= 1 with schedule 'bars'")
        decide = np.arange(n) % int(every_n_bars) == 0
    elif schedule == "daily":
        decide = np.ones(n, dtype=bool)
    else:
        period = _period(days, schedule)
        decide = np.ones(n, dtype=bool)
        decide[:-1] = period[1:] != period[:-1]
    if n:
        decide[0] = True
        decide[-1] = False
    return decide


def _period(days: np.ndarray, schedule: str) -> np.ndarray:
    """An integer per bar that changes exactly when the week / month / quarter changes."""
    if schedule == "weekly":
        # 1970-01-01 was a Thursday: +3 makes Monday the first day of each 7-day block.
        return (days.astype(np.int64) + 3) // 7
    months = days.astype("datetime64[M]").astype(np.int64)
    return months if schedule == "monthly" else months // 3
