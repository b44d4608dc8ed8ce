"""Calendar-period returns of an equity curve: every month's and every year's return (UTC).

A month's return is the equity of its last bar over the equity of the previous month's last
bar, minus 1; the first month is measured from the first bar's equity. A year's total
compounds its months (the product of 1 + each month's return, minus 1), which is the equity
of its last bar over that of the previous year's last bar (the first bar's for the first
year), minus 1. Months without a bar are ``None``; so is a return from an equity of 0.
Values are percent.
"""

from __future__ import annotations

import numpy as np

from adapters._plain import number

MONTHS = 12
"""Columns of a year's row: January .. December."""


def period_growth(
    timestamps: np.ndarray, equity: np.ndarray, unit: str
) -> tuple[np.ndarray, np.ndarray]:
    """Each UTC calendar period (``unit``: ``"D"``, ``"M"`` or ``"Y"``) that has bars, oldest
    first, and its growth factor: the equity of its last bar over that of the previous
    period's last bar (the first bar's for the first period); NaN from an equity of 0.

    >>> ts = np.array(["2021-01-04", "2021-01-29", "2021-02-26"], dtype="datetime64[s]")
    >>> period_growth(ts, np.array([100.0, 110.0, 99.0]), "M")[1].round(2).tolist()
    [1.1, 0.9]
    """
    periods = np.asarray(timestamps).astype(f"datetime64[{unit}]")
    equity = np.asarray(equity, dtype=np.float64)
    last = np.flatnonzero(np.append(periods[1:] != periods[:-1], True))
    closes = equity[last]
    previous = np.insert(closes[:-1], 0, equity[0])
    growth = np.full(closes.size, np.nan)
    np.divide(closes, previous, out=growth, where=previous > 0)
    return periods[last], growth


def monthly_returns(timestamps: np.ndarray, equity: np.ndarray) -> list[dict]:
    """One row per calendar year that has bars, oldest first:
    ``{"year": 2021, "months_pct": [12 values or None], "year_pct": float | None}``.

    >>> ts = np.array(["2021-01-04", "2021-01-29", "2021-02-26"], dtype="datetime64[s]")
    >>> monthly_returns(ts, np.array([100.0, 110.0, 99.0]))[0]["months_pct"][:3]
    [10.000000000000009, -9.999999999999998, None]
    """
    months, growth = period_growth(timestamps, equity, "M")
    rows: dict[int, dict] = {}
    for month, factor in zip(months.astype(np.int64).tolist(), growth.tolist(), strict=True):
        year = 1970 + month // MONTHS
        row = rows.setdefault(year, {"year": year, "months_pct": [None] * MONTHS, "growth": 1.0})
        row["months_pct"][month % MONTHS] = number((factor - 1.0) * 100.0)
        row["growth"] *= factor
    return [
        {
            "year": row["year"],
            "months_pct": row["months_pct"],
            "year_pct": number((row.pop("growth") - 1.0) * 100.0),
        }
        for row in rows.values()
    ]
