"""Notebook mode's settings as the fields of a platform run request (rule_type PYTHON):
what ``Backtest.submit`` sends so that the platform's run of the same code and data is the
notebook's, bit for bit. Plain Python only: it builds a dict, the client sends it.

``cash`` is ``initial_capital``; ``commission`` (a rate, or ``(fixed, rate)``) is
``fee_rate`` and ``fee_fixed``; ``fee_per_share``, ``fee_min`` and ``fee_max`` keep their
names; ``spread`` is ``slippage_bps`` (when it is a whole float of basis points, so that
the platform's ``slippage_bps / 10_000`` gives back the same spread); ``finalize_trades``
is ``close_open_trades_at_end``. The book's ``margin``, ``trade_on_close``, ``hedging``
and ``exclusive_orders`` keep their names, sent only when not at backtesting.py's default
(``setting_fields``)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

BOOK_DEFAULTS = {
    "margin": 1.0,
    "trade_on_close": False,
    "hedging": False,
    "exclusive_orders": False,
}
"""The book's settings at backtesting.py's defaults: a request leaves them out."""


def fee_fields(
    cash: float,
    spread: float,
    fee_rate: float,
    fee_fixed: float,
    fee_per_share: float,
    fee_min: float,
    fee_max: float,
    finalize_trades: bool,
) -> dict[str, Any]:
    """The request fields of a notebook run's cash and costs (fees left at zero, or a
    ``fee_max`` without a bound, are not sent: the platform's default is no fee).

    :raise ValueError: ``spread`` that basis points do not carry exactly, named.
    """
    bps = spread * 10_000.0
    if bps / 10_000.0 != spread:
        raise ValueError(
            f"spread: {spread!r} is not a whole float of basis points (slippage_bps / 10 000 "
            "gives another number); the platform's run would differ"
        )
    fields: dict[str, Any] = {
        "initial_capital": float(cash),
        "fee_rate": float(fee_rate),
        "slippage_bps": bps,
        "close_open_trades_at_end": bool(finalize_trades),
    }
    for name, value in (
        ("fee_fixed", fee_fixed),
        ("fee_per_share", fee_per_share),
        ("fee_min", fee_min),
    ):
        if value:
            fields[name] = float(value)
    if math.isfinite(fee_max):
        fields["fee_max"] = float(fee_max)
    return fields


def setting_fields(settings: dict[str, Any]) -> dict[str, Any]:
    """The request fields of the book ``settings`` not at their default (``margin`` a float,
    the others booleans)."""
    fields: dict[str, Any] = {}
    for name, default in BOOK_DEFAULTS.items():
        value = settings.get(name, default)
        if value != default:
            fields[name] = float(value) if name == "margin" else bool(value)
    return fields


def window(index: pd.Index) -> tuple[str, str]:
    """``start_date`` and ``end_date`` covering exactly the bars of ``index``: ISO dates
    when no two bars share a (UTC) day (daily bars, stamped at any hour), else ISO
    datetimes to the second (UTC).

    :raise ValueError: the index is not of timestamps.
    """
    if not isinstance(index, pd.DatetimeIndex):
        raise ValueError("data: submitting needs bars indexed by time (a DatetimeIndex)")
    stamps = index.tz_convert("UTC").tz_localize(None) if index.tz is not None else index
    first, last = stamps[0], stamps[-1]
    if not stamps.normalize().duplicated().any():
        return first.date().isoformat(), last.date().isoformat()
    return first.isoformat(timespec="seconds"), last.isoformat(timespec="seconds")
