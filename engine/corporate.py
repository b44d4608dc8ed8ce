"""Corporate actions applied to a position: splits, cash dividends and a delisting.

A run's bars stay as traded; ``CorporateActions`` says, per bar of the run, which events act
there (docs/execution.md, "Corporate actions on a position"). The broker's compiled step
(``engine.broker.step``) applies them to each unit it holds:

* at an ex-bar's **open**, before its fills: a split of ratio r turns n shares into
  floor(n × r) (a short: −floor(|n| × r); ``split_holding``), the fraction paid (a short:
  charged) in cash at that open, without slippage or fee (cash in lieu), and the entry
  price and every stop level divided by r; a position (a unit) left without a whole share
  is closed there by that cash; then a dividend d pays n × d to a long, charges |n| × d to
  a short;
* at the **close** of the file's last bar, after the borrow fee: a delisting closes the
  position at its cash per share, without slippage or fee (exit reason ``delisted``).

Each event that met a position is logged (``Applied``), and ``adjust_trades`` turns a run's
trades into what a broker shows: shares after the splits, the entry price divided by their
ratios, the dividends and the cash in lieu in the PnL. Pure Python floats and numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import Self

import numpy as np

SPLIT, DIVIDEND, DELISTING = 0, 1, 2
"""Codes of ``EventLog.kind`` (``KINDS`` holds their names)."""

KINDS = ("split", "dividend", "delisting")
"""The event types, by code (the names of ``data.events``)."""

DELISTED = 7
"""The exit-reason code of a delisting (``engine.result.EXIT_REASONS[7]``)."""

SHARE_TOLERANCE = 1e-9
"""A split's n × r is floored to whole shares after adding this: 3 shares of a 1:3 reverse
split (r = 1/3 as a float) are 1 share, not 0."""


@dataclass(frozen=True, eq=False)
class CorporateActions:
    """The events acting on each of a run's T bars: ``split`` (the ratio of new shares to
    old, 1.0 where none), ``dividend`` (cash per share, 0.0 where none), both at the bar's
    open, and ``delisting`` (the cash per share paid at the last bar's close; None: not
    delisted within the run's bars).

    >>> acts = CorporateActions(np.array([1.0, 4.0, 1.0]), np.array([0.0, 0.0, 0.25]))
    >>> acts.acts
    True
    """

    split: np.ndarray
    dividend: np.ndarray
    delisting: float | None = None

    @cached_property
    def columns(self) -> tuple[list[float], list[float]]:
        """``split`` and ``dividend`` as Python floats, what a walk reads bar by bar: made
        once for all the runs of a batch."""
        return self.split.tolist(), self.dividend.tolist()

    @property
    def acts(self) -> bool:
        """Whether any event can meet a position: a split or dividend after the first bar
        (nothing is held at the first open), or a delisting."""
        return bool(
            self.delisting is not None
            or (self.split[1:] != 1.0).any()
            or (self.dividend[1:] != 0.0).any()
        )


@dataclass
class EventLog:
    """The events that met positions, as columns (one entry an event, in the order they
    acted): ``owner`` (whose position: a run's index, or a portfolio's asset), ``bar``,
    ``kind`` (``SPLIT``, ``DIVIDEND``, ``DELISTING``), ``value`` (ratio, dividend or cash
    per share), signed ``before`` and ``after`` shares, ``cash`` (what it moved: the
    dividend, the cash in lieu, the delisting's proceeds) and ``price`` (the price a split's
    fraction was settled at: the ex-bar's open; 0 otherwise)."""

    owner: list[int] = field(default_factory=list)
    bar: list[int] = field(default_factory=list)
    kind: list[int] = field(default_factory=list)
    value: list[float] = field(default_factory=list)
    before: list[float] = field(default_factory=list)
    after: list[float] = field(default_factory=list)
    cash: list[float] = field(default_factory=list)
    price: list[float] = field(default_factory=list)

    def add(self, *row: float) -> None:
        """Log one event: (owner, bar, kind, value, before, after, cash, price)."""
        for column, value in zip(self._columns(), row, strict=True):
            column.append(value)

    def _columns(self) -> tuple[list, ...]:
        return tuple(getattr(self, name) for name in _LOG_COLUMNS)

    def where(self, keep: list[int]) -> Self:
        """A log of the events at the indices ``keep``, in their order."""
        out = type(self)()
        for column, kept in zip(out._columns(), self._columns(), strict=True):
            column.extend(kept[i] for i in keep)
        return out

    def kind_names(self) -> list[str]:
        """Each event's type name (``split``, ``dividend``, ``delisting``)."""
        return [KINDS[kind] for kind in self.kind]

    def __len__(self) -> int:
        return len(self.bar)


_LOG_COLUMNS = tuple(f.name for f in fields(EventLog))


class Applied(EventLog):
    """A run engine's log: ``owner`` is the run (``run``)."""

    @property
    def run(self) -> list[int]:
        """Each event's run."""
        return self.owner

    def of_run(self, run: int, last_bar: int | None = None) -> Applied:
        """The events of ``run`` up to ``last_bar`` (a bust bar: later ones never were)."""
        return self.where(
            [
                i
                for i, (r, b) in enumerate(zip(self.owner, self.bar, strict=True))
                if r == run and (last_bar is None or b <= last_bar)
            ]
        )


def split_holding(shares: float, ratio: float, price: float) -> tuple[float, float]:
    """(the shares after a split of ``ratio``, the cash in lieu of their fraction at
    ``price``) for a holding of ``shares`` (signed: a short's fraction is charged); the
    product is taken to ``SHARE_TOLERANCE`` of a share.

    >>> split_holding(-7.0, 1.5, 20.0)
    (-10.0, -10.0)
    """
    held = abs(shares) * ratio
    whole = float(math.floor(held + SHARE_TOLERANCE))
    return math.copysign(whole, shares), math.copysign(max(held - whole, 0.0), shares) * price


@dataclass(frozen=True)
class TradeEvents:
    """What the events did to each trade of a run (one entry a trade): ``size`` (the shares
    after its splits), ``entry_price`` (divided by their ratios), ``dividends`` (received
    positive, paid negative) and ``in_lieu`` (the PnL of the fractions settled in cash)."""

    size: np.ndarray
    entry_price: np.ndarray
    dividends: np.ndarray
    in_lieu: np.ndarray


def adjust_trades(
    applied: Applied,
    entry_bar: np.ndarray,
    exit_bar: np.ndarray,
    direction: np.ndarray,
    size: np.ndarray,
    entry_price: np.ndarray,
) -> TradeEvents:
    """Each trade's figures after the events of one run (``applied``) that acted while it
    was held: those at an open after its entry bar, up to its exit bar (a delisting is its
    exit fill, not an adjustment). A split's fraction is sold at the ex-bar's open for what
    it cost, so its PnL is (open − entry price after the split) × fraction, signed."""
    size = size.astype(np.float64).copy()
    entry_price = entry_price.copy()
    dividends = np.zeros(size.size)
    in_lieu = np.zeros(size.size)
    # one position at a time: an event's trade is the last entered before its bar
    held = np.searchsorted(entry_bar, np.array(applied.bar, dtype=np.int64), side="left") - 1
    for k, i in enumerate(held.tolist()):
        if i < 0 or applied.bar[k] > exit_bar[i] or applied.kind[k] == DELISTING:
            continue
        if applied.kind[k] == DIVIDEND:
            dividends[i] += applied.cash[k]
            continue
        ratio = applied.value[k]
        entry_price[i] /= ratio
        fraction = abs(applied.before[k]) * ratio - abs(applied.after[k])
        in_lieu[i] += direction[i] * max(fraction, 0.0) * (applied.price[k] - entry_price[i])
        size[i] = abs(applied.after[k])
    return TradeEvents(size.astype(np.int64), entry_price, dividends, in_lieu)


__all__ = [
    "DELISTED",
    "KINDS",
    "Applied",
    "CorporateActions",
    "EventLog",
    "TradeEvents",
    "adjust_trades",
]
