"""Row-level quality checks of parsed OHLCV columns; the first failing row is reported.

Checks (each failure names the 1-based line number of the offending row in the file):
finite numbers (no NaN/inf), prices > 0, High >= max(Open, Close), Low <= min(Open, Close),
Volume >= 0, and dates strictly ascending (sorted, no duplicate day). Intraday bars (a
``step`` in seconds is given) are checked by timestamp instead: strictly ascending and at
least one step apart. When several rows fail, the earliest line in the file is reported; on
the same line, checks run in that order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from data.errors import DataQualityError

PRICE_COLUMNS = ("Open", "High", "Low", "Close")
"""Price columns, by the names used in messages."""


def _first(mask: np.ndarray) -> int | None:
    """Index of the first True in ``mask``, or None."""
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _day(days: np.ndarray, i: int) -> str:
    return str(np.datetime64(int(days[i]), "D"))


def _moment(seconds: np.ndarray, i: int) -> str:
    return str(np.datetime64(int(seconds[i]), "s"))


def _order_checks(
    days: np.ndarray, lines: Sequence[int], step: int | None
) -> list[tuple[np.ndarray, Callable[[int], str]]]:
    """The ordering checks: by date (daily, ``step`` None) or by timestamp (intraday)."""
    gap = np.concatenate(([1 if step is None else step], np.diff(days)))
    if step is None:
        return [
            (
                gap == 0,
                lambda i: f"duplicate date {_day(days, i)} (same day as line {lines[i - 1]})",
            ),
            (
                gap < 0,
                lambda i: (
                    f"date {_day(days, i)} is before {_day(days, i - 1)} on line {lines[i - 1]}; "
                    "rows must be in ascending date order (a newest-first file: import it with "
                    "--sort)"
                ),
            ),
        ]
    return [
        (gap == 0, lambda i: f"duplicate timestamp {_moment(days, i)} (as line {lines[i - 1]})"),
        (
            gap < 0,
            lambda i: (
                f"timestamp {_moment(days, i)} is before {_moment(days, i - 1)} on line "
                f"{lines[i - 1]}; rows must be in ascending time order (a newest-first file: "
                "import it with --sort)"
            ),
        ),
        (
            (gap > 0) & (gap < step),
            lambda i: (
                f"timestamp {_moment(days, i)} is only {gap[i]} s after line {lines[i - 1]}; "
                f"these bars are {step} s apart"
            ),
        ),
    ]


def check_columns(
    days: np.ndarray,
    columns: dict[str, np.ndarray],
    lines: Sequence[int],
    step: int | None = None,
) -> None:
    """Check parsed rows; ``days`` are int64 days since 1970-01-01 (or, with ``step``, the
    bar spacing of intraday bars in seconds, epoch seconds), ``columns`` maps
    Open/High/Low/Close/Volume to float arrays and ``lines[i]`` is row i's line number.

    :raise DataQualityError: for the earliest failing row.
    """
    o, h, lo, c, v = (columns[name] for name in (*PRICE_COLUMNS, "Volume"))
    top, bottom = np.maximum(o, c), np.minimum(o, c)
    checks: list[tuple[np.ndarray, Callable[[int], str]]] = []
    for name in (*PRICE_COLUMNS, "Volume"):
        x = columns[name]
        checks.append((~np.isfinite(x), lambda i, n=name, x=x: f"{n} is {x[i]} (not finite)"))
    for name in PRICE_COLUMNS:
        x = columns[name]
        checks.append((x <= 0, lambda i, n=name, x=x: f"{n} must be positive, got {x[i]:g}"))
    checks += [
        (h < top, lambda i: f"High {h[i]:g} is below max(Open, Close) = {top[i]:g}"),
        (lo > bottom, lambda i: f"Low {lo[i]:g} is above min(Open, Close) = {bottom[i]:g}"),
        (v < 0, lambda i: f"Volume must be >= 0, got {v[i]:g}"),
        *_order_checks(days, lines, step),
    ]
    firsts = ((_first(mask), order) for order, (mask, _) in enumerate(checks))
    found = [(i, order) for i, order in firsts if i is not None]
    if found:
        index, order = min(found)
        raise DataQualityError(lines[index], checks[order][1](index))
