"""Choosing a fold's parameters from its training sweep's rows (PURE).

A row is eligible when its metric is defined (finite) and it made at least ``min_trades``
trades. The best eligible row has the largest metric value, or the smallest for a metric
where lower is better (``metrics.LOWER_IS_BETTER``: drawdown, volatility, drawdown
duration); a metric with no preferred direction counts as higher-is-better, as a sweep
ranks it. Ties (equal values) go to the lowest ``combo_no``: the first in the grid's order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from metrics import LOWER_IS_BETTER


@dataclass(frozen=True)
class Choice:
    """The chosen combination of a training sweep."""

    combo_no: int
    params: dict[str, Any]
    value: float


def select_best(
    rows: Iterable[tuple[int, dict[str, Any], int | None, float | None]],
    metric: str,
    min_trades: int,
) -> Choice | None:
    """The best of ``rows`` — ``(combo_no, swept params, num_trades, metric value)`` — by
    ``metric``, or None when no row is eligible (see the module docstring)."""
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    best: Choice | None = None
    for combo_no, params, trades, value in rows:
        if value is None or not math.isfinite(value) or (trades or 0) < min_trades:
            continue
        if (
            best is None
            or sign * value > sign * best.value
            or (value == best.value and combo_no < best.combo_no)
        ):
            best = Choice(int(combo_no), params, float(value))
    return best
