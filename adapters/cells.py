"""Values as the cells of an export (trades.csv, a sweep's results.csv, a walk-forward's
folds.csv): a float is rounded to ``EXPORT_DECIMALS`` places and written in its shortest
form, so the binary noise of float arithmetic is gone while every digit the inputs carry
stays; ``None`` is an empty cell; anything else is written as ``csv`` writes it.

Why 10 places: prices have cents and a slippage of a few basis points (49.74 × 1.0005 =
49.76487), fees multiply those by a rate of a few significant digits (0.001 × 217 ×
45.832905 = 9.945740385, which float arithmetic yields as 9.945740384999999): 10 places
hold every such product exactly, and a ratio (a return in percent, a Sharpe ratio) keeps
far more precision than any reader uses. The JSON result keeps the engine's floats as they
are (``repr`` round-trips them); the dashboard shows 2 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

EXPORT_DECIMALS = 10
"""Decimal places of a float in an export."""


def csv_cell(value: Any) -> Any:
    """One value as an export cell: a finite float rounded to ``EXPORT_DECIMALS`` places
    (``repr``: its shortest form, 9.945740384999999 → "9.945740385"), a NaN or infinite
    one empty; booleans, integers, text and ``None`` unchanged.

    >>> csv_cell(0.1 + 0.2), csv_cell(-195.5950830000003), csv_cell(7), csv_cell(None)
    ('0.3', '-195.595083', 7, None)
    """
    if not isinstance(value, float):
        return value
    if not math.isfinite(value):
        return None
    return repr(round(value, EXPORT_DECIMALS) + 0.0)  # + 0.0: no "-0.0" cell


def csv_row(values: Iterable[Any]) -> list[Any]:
    """``csv_cell`` of each value, for ``csv.writer.writerow``."""
    return [csv_cell(value) for value in values]


__all__ = ["EXPORT_DECIMALS", "csv_cell", "csv_row"]
