"""The fold plan of a walk-forward, in bar indices over the bars of its window (PURE).

Fold k tests bars ``[test_start, test_start + test_bars)`` with ``test_start = train_bars +
k × step_bars``; it trains on the ``train_bars`` bars before its test window (rolling), or on
every bar from the window's first (anchored: the training window grows). Only full test
windows count: the last fold ends at or before the window's last bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from work.errors import RequestError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

MAX_FOLDS = 50
"""Most folds one walk-forward may have (each is a sweep and a queued job)."""


def first_windows(bars: int, least_train: int) -> dict[str, int]:
    """The windows a first walk-forward over ``bars`` bars is offered (what a form starts
    with): a third of them to train on and a sixth to test on, rolling and stepping by the
    test window — four folds, three when ``bars`` overstates the window by a few percent."""
    return {"train_bars": max(least_train, bars // 3), "test_bars": max(1, bars // 6)}


@dataclass(frozen=True)
class FoldWindow:
    """One fold's windows as half-open bar ranges ``[start, stop)`` over the window's bars."""

    fold: int
    train_start: int
    train_stop: int
    test_start: int
    test_stop: int

    @property
    def train_bars(self) -> int:
        return self.train_stop - self.train_start

    @property
    def test_bars(self) -> int:
        return self.test_stop - self.test_start


def plan_folds(
    bars: int, train_bars: int, test_bars: int, step_bars: int, anchored: bool
) -> list[FoldWindow]:
    """Every fold that fits ``bars`` bars, in time order.

    :raise RequestError: ``train_bars`` when not even one fold fits (fewer than
        ``train_bars + test_bars`` bars); ``step_bars`` when there would be more than
        ``MAX_FOLDS``.
    """
    if bars < train_bars + test_bars:
        raise RequestError(
            "train_bars",
            f"train_bars + test_bars = {train_bars + test_bars:,} bars do not fit the window's "
            f"{bars:,} bars",
        )
    count = (bars - train_bars - test_bars) // step_bars + 1
    if count > MAX_FOLDS:
        raise RequestError(
            "step_bars", f"gives {count:,} folds; a walk-forward may have at most {MAX_FOLDS}"
        )
    folds = []
    for k in range(count):
        test_start = train_bars + k * step_bars
        train_start = 0 if anchored else test_start - train_bars
        folds.append(FoldWindow(k, train_start, test_start, test_start, test_start + test_bars))
    return folds


def window_span(stamps: np.ndarray, first: int, stop: int, daily: bool) -> dict:
    """A half-open bar range as the API shows it (ISO first/last bar, bars) plus the dates
    a run request uses for it (``daily``: the bars' dates; intraday: their UTC date-times,
    ``YYYY-MM-DDTHH:MM:SS``) and its first bar's index over the walk-forward's bars."""
    from adapters import iso_utc

    ends = iso_utc(stamps[[first, stop - 1]])
    days = stamps[[first, stop - 1]].astype("datetime64[D]" if daily else "datetime64[s]")
    days = days.astype(str)
    return {
        "start": ends[0],
        "end": ends[1],
        "bars": stop - first,
        "first": first,
        "start_date": str(days[0]),
        "end_date": str(days[1]),
    }
