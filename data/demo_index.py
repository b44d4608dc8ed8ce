"""DEMOIX: an equal-weight index of the demo universe (``data.demo_universe``), written by
``python -m data.generate`` beside its members, so a first start can try a market filter
such as ``ref("DEMOIX", close) > ref("DEMOIX", sma(close, 200))``.

Built from the members' bars as written (prices in cents), deterministically: on each
trading day the index moves by the mean of the members' close-to-close ratios over the
members that have a bar that day and the day before (a member counts from the day after its
first bar); it starts at ``BASE`` on the first day. Open, high and low are the previous
index close times the mean of the members' open (high, low) over their previous close (on
the first day, over their own close), so high ≥ open, close ≥ low as for each member;
volume is those members' summed volume. It is an index, not a company: no portfolio
universe or test list of members includes it.

Its **membership file** (``DEMOIX.members.csv``, ``data.membership``; ``membership_text``)
says which companies were members when, for point-in-time portfolios: each company from
its first bar, except the late joiners and the leavers of ``CHANGES``, and the delisted
company (``data.demo_universe.DELISTED``) until its delisting. The index's bars stay the
equal weight of the 30 companies whatever the file says (they were written before it
existed and every result on them is pinned); the file is a membership for portfolios to
use, not the recipe of the series.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

INDEX_TICKER = "DEMOIX"
INDEX_NAME = "Demo Universe Index"

BASE = 1_000.0
"""The index close on its first day."""

MEMBERS_FILE = "DEMOIX.members.csv"

CHANGES = {
    "PIPR": (("2018-01-02", None),),
    "HLXG": (("2019-07-01", None),),
    "SLRA": (("2020-01-02", None),),
    "BLTH": (("2014-01-02", "2019-10-01"),),
    "KRST": (("2014-01-02", "2020-04-01"), ("2022-01-03", None)),
    "NRGX": (("2014-01-02", "2023-07-03"),),
}
"""The companies whose membership is not "from the first bar on": (from, to) intervals, to
None = still a member. Three listed late join a year or so after listing; three leave (one
comes back)."""


def equal_weight_index(members: list[tuple[int, dict[str, np.ndarray]]], n: int) -> dict:
    """The index's ``n`` daily bars (open, high, low, close, volume; prices in cents) from
    ``members``: (index of the member's first day among the ``n``, its bars from that day)."""
    ratios = {name: np.zeros(n) for name in ("open", "high", "low", "close")}
    counts = np.zeros(n)
    volume = np.zeros(n)
    for first, bars in members:
        previous = np.concatenate(([bars["close"][0]], bars["close"][:-1]))
        days = slice(first, first + len(bars["close"]))
        counted = np.ones(len(previous), dtype=bool)
        counted[0] = first == 0  # a later listing counts from the day after its first bar
        for name, total in ratios.items():
            total[days] += np.where(counted, bars[name] / previous, 0.0)
        counts[days] += counted
        volume[days] += np.where(counted, bars["volume"], 0.0)
    mean = {name: total / counts for name, total in ratios.items()}
    close = BASE * np.cumprod(np.concatenate(([1.0], mean["close"][1:])))
    previous = np.concatenate(([BASE], close[:-1]))
    open_, close = np.round(previous * mean["open"], 2), np.round(close, 2)
    high = np.maximum(np.round(previous * mean["high"], 2), np.maximum(open_, close))
    low = np.minimum(np.round(previous * mean["low"], 2), np.minimum(open_, close))
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def membership_text(listed: list[tuple[str, str]], delisted: tuple[str, str, str]) -> str:
    """DEMOIX's membership file: ``listed`` (ticker, first bar's day) members from that day
    unless ``CHANGES`` says otherwise, and ``delisted`` (ticker, first bar's day, delisting
    day) a member until the day after its delisting."""
    intervals = {ticker: CHANGES.get(ticker, ((first, None),)) for ticker, first in listed}
    ticker, first, last = delisted
    intervals[ticker] = ((first, str(date.fromisoformat(last) + timedelta(days=1))),)
    lines = ["ticker,from,to"]
    for ticker in sorted(intervals):
        lines += [f"{ticker},{start},{end or ''}" for start, end in intervals[ticker]]
    return "\n".join(lines) + "\n"
