"""The fold plan of a walk-forward, in bar indices over the bars of its window (PURE).

Fold k tests bars ``[test_start, test_start + test_bars)`` with ``test_start = train_bars +
k × step_bars``; it trains on the ``train_bars`` bars before its test window (rolling), or on
every bar from the window's first (anchored: the training window grows). Only full test
windows count: the last fold ends at or before the window's last bar.
"""

from __future__ import annotations

from dataclasses import dataclass

from work.errors import RequestError

MAX_FOLDS = 50
"""Most folds one walk-forward may have (each is a sweep and a queued job)."""


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
