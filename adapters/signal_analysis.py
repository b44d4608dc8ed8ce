"""The signal analyzer: what a rule's signals look like on a window, before any trading.

Pure (no I/O): window bars, the rule's entries/exits on them (computed on the history up to
the window's end and cut to the window, as a run does) and the rule's warm-up in window bars
→ counts, frequency, gaps, conflicting bars, forward returns after entries and exits versus
a random-entry baseline, and the validator's warnings. Everything is counted in bars, so it
holds for any timeframe; only ``per_year`` reads the timestamps. Definitions
(docs/rules.md#signal-analyzer):

* forward return after bar t at horizon h: close[t+h] / close[t] − 1 (t and t+h in the
  window; a signal whose horizon passes the window's last bar is not counted);
* statistics of a set of returns: count, mean, median, hit rate (share of returns > 0);
* baseline: the exact expectation for an entry on a uniformly random bar — the same
  statistics over EVERY eligible bar (past the entry warm-up, horizon inside the window),
  so there is no sampling noise and the answer is reproducible;
* gaps: bars between consecutive signals of one kind (t₂ − t₁), min / median / max;
* episodes: runs of consecutive signal bars (a level rule such as RSI < 30 fires on every
  bar of a dip: many signals, one episode).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adapters._plain import float_list, number
from adapters.timestamps import iso_utc
from engine import Bars

DEFAULT_HORIZONS = (1, 5, 20)
"""Forward-return horizons in bars when a request names none."""

MOST_BARS_SHARE = 0.5
"""``fires_on_most_bars`` is warned when entries fall on more than this share of the
window's bars."""

YEAR_SECONDS = 365.25 * 86_400
"""One year, for ``per_year`` (window span from its first to its last bar's timestamp)."""


def forward_returns(close: np.ndarray, bars: np.ndarray, horizon: int) -> np.ndarray:
    """close[t+h] / close[t] − 1 for each bar index t in ``bars`` with t + h inside ``close``
    (later ones are dropped).

    >>> forward_returns(np.array([10.0, 11, 12, 9]), np.array([0, 2, 3]), 1)
    array([ 0.1 , -0.25])
    """
    bars = np.asarray(bars, dtype=np.intp)
    bars = bars[bars + horizon < len(close)]
    return close[bars + horizon] / close[bars] - 1


def return_stats(returns: np.ndarray) -> dict[str, float | int | None]:
    """count, mean, median and hit rate (share > 0) of a set of returns; None when empty."""
    if returns.size == 0:
        return {"count": 0, "mean": None, "median": None, "hit_rate": None}
    return {
        "count": int(returns.size),
        "mean": number(returns.mean()),
        "median": number(np.median(returns)),
        "hit_rate": number(np.count_nonzero(returns > 0) / returns.size),
    }


def gap_stats(bars: np.ndarray) -> dict[str, float | int | None]:
    """min / median / max of the bars between consecutive signal bars (None under two).

    >>> gap_stats(np.array([2, 5, 6, 16]))
    {'min': 1, 'median': 3.0, 'max': 10}
    """
    if len(bars) < 2:
        return {"min": None, "median": None, "max": None}
    gaps = np.diff(bars)
    return {"min": int(gaps.min()), "median": float(np.median(gaps)), "max": int(gaps.max())}


def _window_years(bars: Bars) -> float | None:
    if len(bars) < 2:
        return None
    seconds = (bars.timestamps[-1] - bars.timestamps[0]) / np.timedelta64(1, "s")
    return float(seconds) / YEAR_SECONDS if seconds > 0 else None


def _counts(bars: Bars, fired: np.ndarray, years: float | None) -> dict:
    where = np.flatnonzero(fired)
    n = len(bars)
    stamps = iso_utc(bars.timestamps[where[[0, -1]]]) if where.size else [None, None]
    return {
        "count": int(where.size),
        "episodes": int(np.count_nonzero(np.diff(fired.astype(np.int8), prepend=0) == 1)),
        "per_100_bars": where.size * 100 / n if n else None,
        "per_year": where.size / years if years else None,
        "share_of_bars": where.size / n if n else None,
        "first": stamps[0],
        "last": stamps[1],
        "gap_bars": gap_stats(where),
    }


def analyze_signals(
    bars: Bars,
    entries: np.ndarray,
    exits: np.ndarray,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    entry_warmup_in_window: int = 0,
) -> dict:
    """The analysis of one rule's signals on the window ``bars`` (JSON-ready).

    ``entry_warmup_in_window``: the window's leading bars on which the rule cannot enter
    yet (its entry warm-up runs past the window's start); the baseline draws from the bars
    after them. Horizons are in bars and should be below ``len(bars)`` (a longer one has
    count 0 everywhere).
    """
    entries = np.asarray(entries, dtype=bool)
    exits = np.asarray(exits, dtype=bool)
    close = bars.close
    years = _window_years(bars)
    entry_bars, exit_bars = np.flatnonzero(entries), np.flatnonzero(exits)
    eligible = np.arange(min(max(entry_warmup_in_window, 0), len(bars)), len(bars))
    table = [
        {
            "horizon": int(h),
            "entries": return_stats(forward_returns(close, entry_bars, h)),
            "exits": return_stats(forward_returns(close, exit_bars, h)),
            "baseline": return_stats(forward_returns(close, eligible, h)),
        }
        for h in horizons
    ]
    timestamps = iso_utc(bars.timestamps[[0, -1]]) if len(bars) else [None, None]
    return {
        "bars": len(bars),
        "first_bar": timestamps[0],
        "last_bar": timestamps[1],
        "years": years,
        "entries": _counts(bars, entries, years),
        "exits": _counts(bars, exits, years),
        "conflicting_bars": int(np.count_nonzero(entries & exits)),
        "entry_warmup_in_window": int(max(entry_warmup_in_window, 0)),
        "forward_returns": table,
    }


def signal_warnings(analysis: dict, warmup_bars: int) -> list[dict[str, str]]:
    """The validator's warnings about an ``analyze_signals`` answer, each {code, message}:

    * ``never_fires``: no entry in the window;
    * ``fires_on_most_bars``: entries on more than ``MOST_BARS_SHARE`` of the window's bars;
    * ``never_exits``: entries but no exit signal (a position then closes only by a stop or
      at the window's end);
    * ``warmup_in_window``: the history before the window is shorter than the rule's
      entry warm-up (``warmup_bars``), so the window's first bars cannot enter.
    """
    bars = analysis["bars"]
    entries = analysis["entries"]["count"]
    warnings = []
    if entries == 0:
        warnings.append(("never_fires", "the rule never enters in this window"))
    elif entries > MOST_BARS_SHARE * bars:
        share = f"{entries / bars:.0%}"
        warnings.append(
            ("fires_on_most_bars", f"the rule enters on {share} of the window's bars ({entries})")
        )
    if entries and analysis["exits"]["count"] == 0:
        warnings.append(("never_exits", "the rule never exits in this window"))
    blind = analysis["entry_warmup_in_window"]
    if blind:
        warnings.append(
            (
                "warmup_in_window",
                f"the rule needs {warmup_bars} bars of warm-up: the window's first {blind} "
                "bars cannot enter (the data before start_date is shorter)",
            )
        )
    return [{"code": code, "message": message} for code, message in warnings]


def signal_series(bars: Bars, entries: np.ndarray, exits: np.ndarray) -> dict[str, list]:
    """The chart's data: timestamps and closes of the window, and the bar indices of its
    entries and exits."""
    return {
        "timestamps": iso_utc(bars.timestamps),
        "close": float_list(bars.close),
        "entry_bars": np.flatnonzero(entries).tolist(),
        "exit_bars": np.flatnonzero(exits).tolist(),
    }


__all__ = [
    "DEFAULT_HORIZONS",
    "MOST_BARS_SHARE",
    "analyze_signals",
    "forward_returns",
    "gap_stats",
    "return_stats",
    "signal_series",
    "signal_warnings",
]
