"""The buy-and-hold benchmark: the initial capital held in the asset from the first close."""

from __future__ import annotations

from adapters._plain import float_list, number
from adapters.timestamps import iso_utc
from engine import Bars


def buy_and_hold(bars: Bars, initial_capital: float) -> dict[str, list | float | None]:
    """Equity of ``initial_capital`` × close / first close on every bar, and its return.

    No fees, fractional holding, bought at the first close: the same convention as
    backtesting.py's "Buy & Hold Return [%]" (close[-1] / close[0] − 1) × 100.
    """
    close = bars.close
    return {
        "timestamps": iso_utc(bars.timestamps),
        "equity": float_list(initial_capital * close / close[0]),
        "return_pct": number((close[-1] / close[0] - 1.0) * 100.0),
    }
