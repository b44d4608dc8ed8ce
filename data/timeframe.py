"""Bar spacing: which timeframes the platform runs, how a file's timeframe is detected, and
how many bars a year holds (the annualisation factor of Sharpe, Sortino and volatility).

* Timeframes: ``1d`` (one bar per calendar date; gaps for weekends and holidays are fine),
  ``1h``, ``5m`` and ``1m`` (gaps for nights, weekends and holidays are fine).
* Detection: the median of the non-zero steps between consecutive timestamps (their size:
  a file in descending order is detected, then refused by the ordering check). Daily when it
  lies between 0.8 and 4.5 days, hourly within 10% of 1 hour, 5-minute (1-minute) within
  10% of 5 minutes (1 minute); anything else (weekly, monthly, 15-minute, ...) is refused
  with a message naming what was seen, e.g. "bars are ~30 days apart (monthly); supported:
  1d, 1h, 5m, 1m".
* Markets set the trading days of a year: ``equity`` 252 (a session on weekdays minus
  holidays), ``fx`` 260 (24 hours, 5 days a week) and ``crypto`` 365 (24/7).
* Bars per year = bars per day × the market's days, where bars per day is 1 for daily data
  and, for intraday data, the median number of bars per UTC date of the file (measured at
  import). Catalog entries without a recorded figure use ``NOMINAL_BARS_PER_DAY``.
"""

from __future__ import annotations

import numpy as np

from engine import TRADING_DAYS

TIMEFRAME_SECONDS = {"1d": 86_400, "1h": 3_600, "5m": 300, "1m": 60}
"""Supported timeframes and their nominal bar spacing in seconds."""

TIMEFRAMES = tuple(TIMEFRAME_SECONDS)
"""The timeframes a request and a catalog entry may name."""

DAILY = "1d"

MARKET_DAYS = {"equity": TRADING_DAYS, "fx": 260, "crypto": 365}
"""Trading days per year of each market calendar (equity: the engine's ``TRADING_DAYS``)."""

MARKETS = tuple(MARKET_DAYS)

NOMINAL_BARS_PER_DAY = {
    ("1d", "equity"): 1,
    ("1d", "fx"): 1,
    ("1d", "crypto"): 1,
    ("1h", "equity"): 7,
    ("5m", "equity"): 78,
    ("1h", "fx"): 24,
    ("5m", "fx"): 288,
    ("1h", "crypto"): 24,
    ("5m", "crypto"): 288,
    ("1m", "equity"): 390,
    ("1m", "fx"): 1440,
    ("1m", "crypto"): 1440,
}
"""Bars per trading day when a catalog entry records none: a 6.5-hour equity session is 7
hourly bars (the last one half an hour), 78 five-minute or 390 one-minute bars; FX and
crypto trade 24 h."""

_DAY = 86_400
_DAILY_RANGE = (0.8 * _DAY, 4.5 * _DAY)
_INTRADAY_TOLERANCE = 0.1


def bars_per_year(timeframe: str, market: str, bars_per_day: float | None = None) -> float:
    """Bars per year: ``bars_per_day`` (default: the nominal figure) × the market's days.

    >>> bars_per_year("1d", "equity"), bars_per_year("1h", "fx", 24)
    (252.0, 6240.0)
    """
    per_day = NOMINAL_BARS_PER_DAY[timeframe, market] if bars_per_day is None else bars_per_day
    return float(per_day * MARKET_DAYS[market])


def describe_spacing(seconds: float) -> str:
    """Words for a bar spacing, e.g. "~30 days apart (monthly)" or "~15 minutes apart".

    >>> describe_spacing(30 * 86_400), describe_spacing(900)
    ('~30 days apart (monthly)', '~15 minutes apart')
    """
    if seconds >= _DAILY_RANGE[0]:
        days = seconds / _DAY
        names = ((6, 8, "weekly"), (27, 32, "monthly"), (88, 93, "quarterly"), (360, 370, "yearly"))
        name = next((label for low, high, label in names if low <= days <= high), None)
        text = f"~{days:.3g} days apart"
        return f"{text} ({name})" if name else text
    if seconds >= 3_600:
        return f"~{seconds / 3_600:.3g} hours apart"
    if seconds >= 60:
        return f"~{seconds / 60:.3g} minutes apart"
    return f"~{seconds:.3g} seconds apart"


def detect_timeframe(seconds: np.ndarray) -> str | None:
    """The timeframe of bars stamped ``seconds`` (UTC epoch seconds, file order), or None
    when the median positive step matches no supported timeframe. Fewer than two distinct
    stamps are daily (nothing to measure)."""
    steps = np.abs(np.diff(np.asarray(seconds, dtype=np.int64)))
    steps = steps[steps > 0]
    if not steps.size:
        return DAILY
    median = float(np.median(steps))
    if _DAILY_RANGE[0] <= median <= _DAILY_RANGE[1]:
        return DAILY
    for name, nominal in TIMEFRAME_SECONDS.items():
        if name != DAILY and abs(median - nominal) <= _INTRADAY_TOLERANCE * nominal:
            return name
    return None


def unsupported_message(seconds: np.ndarray) -> str:
    """Why ``seconds`` has no supported timeframe, naming the spacing seen."""
    steps = np.abs(np.diff(np.asarray(seconds, dtype=np.int64)))
    median = float(np.median(steps[steps > 0]))
    return f"bars are {describe_spacing(median)}; supported: {', '.join(TIMEFRAMES)}"


def bars_per_day(timestamps: np.ndarray) -> int:
    """The median number of bars per UTC date (1 for daily bars)."""
    days = np.asarray(timestamps, dtype="datetime64[s]").astype("datetime64[D]")
    _, counts = np.unique(days, return_counts=True)
    return int(np.median(counts)) if counts.size else 1


def infer_market(timestamps: np.ndarray, timeframe: str) -> str:
    """The market calendar bars look like: ``crypto`` when at least half of the Saturdays
    they span hold a bar, ``fx`` when intraday bars fill 20+ hours a day, else ``equity``."""
    days = np.unique(np.asarray(timestamps, dtype="datetime64[s]").astype("datetime64[D]"))
    if not days.size:
        return "equity"
    span = np.arange(days[0], days[-1] + 1)
    saturdays = span[(span.astype(np.int64) + 3) % 7 == 5]  # 1970-01-01 was a Thursday
    if saturdays.size and np.isin(saturdays, days).mean() >= 0.5:
        return "crypto"
    if timeframe != DAILY:
        hours = bars_per_day(timestamps) * TIMEFRAME_SECONDS[timeframe] / 3_600
        if hours >= 20:
            return "fx"
    return "equity"
