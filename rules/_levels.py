"""Rules that compare one indicator of the close with two levels of their own (RSI, MOMENTUM,
MEAN_REVERSION): one description gives the signals of one parameter set, of N, and the
warm-up, so the single run and the sweep compare the very same arrays."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rules._batch import coded, column, indicator_rows
from rules.spec import Warmup, same_warmup

if TYPE_CHECKING:  # pragma: no cover
    from engine import Bars

Compare = Callable[[np.ndarray, float | np.ndarray], np.ndarray]
"""A comparison of the indicator with a level: ``operator.lt`` or ``operator.gt``."""


@dataclass(frozen=True)
class Levels:
    """Entry where ``entry(indicator(close, params["period"]), params[entry_level])``, exit
    where ``exit(…, params[exit_level])``: levels, not crossings. The indicator is first
    defined on bar ``period + first_bar`` (``rules.warmup``), and so are both sides."""

    indicator: Callable[[np.ndarray, int], np.ndarray]
    entry: Compare
    entry_level: str
    exit: Compare
    exit_level: str
    first_bar: int = 0

    def signals(self, bars: Bars, params: dict) -> tuple[np.ndarray, np.ndarray]:
        """(entries, exits) of one parameter set, bool arrays of length T."""
        value = self.indicator(bars.close, params["period"])
        return self._compare(value, params[self.entry_level], params[self.exit_level])

    def batch(
        self, bars: Bars, params_list: list[dict], cache: dict
    ) -> tuple[np.ndarray, np.ndarray]:
        """``signals`` for N parameter sets: one indicator row per distinct period, (N, T)
        comparisons with each set's levels."""
        found = coded(params_list, "period")
        if found is not None:  # by column: each distinct comparison once, then taken
            levels, codes = found
            rows = indicator_rows(cache, bars, self.indicator, ("close",), [(p,) for p in levels])
            return (
                _taken(self.entry, rows, codes, coded(params_list, self.entry_level)),
                _taken(self.exit, rows, codes, coded(params_list, self.exit_level)),
            )
        periods = [(p["period"],) for p in params_list]
        value = indicator_rows(cache, bars, self.indicator, ("close",), periods)
        entry_level = column(params_list, self.entry_level)
        return self._compare(value, entry_level, column(params_list, self.exit_level))

    def warmup(self, params: dict) -> Warmup:
        """Both sides read the indicator alone: its first defined bar."""
        return same_warmup("period", self.first_bar)(params)

    def _compare(
        self, value: np.ndarray, entry_level: float | np.ndarray, exit_level: float | np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.entry(value, entry_level), self.exit(value, exit_level)


def _taken(
    compare: Compare, rows: np.ndarray, periods: np.ndarray, levels: tuple[list, np.ndarray] | None
) -> np.ndarray:
    """(N, T) ``compare(rows[periods[i]], level of set i)`` computed once for each distinct
    (period, level) pair among the N sets and taken row by row: the same comparisons, on
    the same values, as comparing every set's row."""
    assert levels is not None  # the sets are held by column
    values, codes = levels
    pairs = periods * len(values) + codes
    used, inverse = np.unique(pairs, return_inverse=True)
    row, level = np.divmod(used, len(values))
    return compare(rows[row], np.asarray(values, dtype=np.float64)[level][:, None])[inverse.ravel()]
