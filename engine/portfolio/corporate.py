"""Splits and cash dividends on a portfolio's holdings: the per-bar events a universe's
events files put on each ticker's ex-bars, and what they do to a holding at that open.

``simulate_portfolio`` takes them as an optional input (``PortfolioActions``); without it,
or when no event meets a holding, nothing here changes a number. The conventions are the
run engine's (``engine.corporate``: whole shares, the fraction paid as cash in lieu at the
ex-bar's open, a short charged its dividends). Semantics in docs/execution.md,
"Portfolios" ("Splits and dividends").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine.corporate import DIVIDEND, SPLIT, EventLog, split_holding


@dataclass(frozen=True, eq=False)
class PortfolioActions:
    """``split`` (T, N): the ratio of new shares to old acting at a bar's open (1.0 where
    none); ``dividend`` (T, N): the cash per share paid at that open (0.0 where none), in
    the prices traded that day. An event sits on a bar where its ticker has a bar."""

    split: np.ndarray
    dividend: np.ndarray

    def cells(self) -> tuple[np.ndarray, np.ndarray]:
        """(bars, assets) of every cell where an event acts after bar 0, in bar order
        (nothing is held at the first open)."""
        acting = (self.split != 1.0) | (self.dividend != 0.0)
        acting[:1] = False
        return np.nonzero(acting)


def check_actions(actions: PortfolioActions, close: np.ndarray) -> PortfolioActions:
    """``actions`` as float64 arrays of ``close``'s shape, checked.

    :raise ValueError: naming the field (wrong shape; a ratio not finite and > 0, a dividend
        not finite and >= 0; an event on a bar where its ticker has none).
    """
    split = np.asarray(actions.split, dtype=np.float64)
    dividend = np.asarray(actions.dividend, dtype=np.float64)
    for name, array in (("actions.split", split), ("actions.dividend", dividend)):
        if array.shape != close.shape:
            raise ValueError(f"{name}: expected shape {close.shape}")
    with np.errstate(invalid="ignore"):
        if not (np.isfinite(split).all() and (split > 0).all()):
            raise ValueError("actions.split: ratios must be finite and > 0 (1 where none)")
        if not (np.isfinite(dividend).all() and (dividend >= 0).all()):
            raise ValueError("actions.dividend: must be finite and >= 0 (0 where none)")
    if (((split != 1.0) | (dividend != 0.0)) & ~np.isfinite(close)).any():
        raise ValueError("actions: an event must sit on a bar its ticker has")
    return PortfolioActions(split, dividend)


class ActionTable(EventLog):
    """A portfolio's log: ``owner`` is the asset (``asset``), ``kind`` ``SPLIT`` or
    ``DIVIDEND``, shares whole, ``price`` 0."""

    @property
    def asset(self) -> list[int]:
        """Each event's asset."""
        return self.owner

    def cash_by_asset(self, n_assets: int) -> np.ndarray:
        """(N,) the cash the events moved, per ticker (its dividends and cash in lieu)."""
        return np.bincount(
            np.array(self.owner, dtype=np.int64),
            weights=np.array(self.cash, dtype=np.float64),
            minlength=n_assets,
        )


def at_open(shares: int, ratio: float, dividend: float, price: float) -> tuple[int, float, float]:
    """(shares, cash in lieu, dividend cash) after a split of ``ratio`` then a dividend of
    ``dividend`` per share act on a holding of ``shares`` at an open of ``price``.

    >>> at_open(-7, 1.5, 0.5, 20.0)  # a short: 10 shares, the half charged, then 5 paid
    (-10, -10.0, -5.0)
    """
    in_lieu = 0.0
    if ratio != 1.0 and shares:
        after, in_lieu = split_holding(shares, ratio, price)
        shares = int(after)
    return shares, in_lieu, shares * dividend


class Corporate:
    """A simulation's events: where the next one meets a holding, and applying a bar's."""

    def __init__(self, actions: PortfolioActions, open_: np.ndarray) -> None:
        self.split = actions.split
        self.dividend = actions.dividend
        self.open = open_
        self.bars, self.assets = actions.cells()
        self.log = ActionTable()

    def next_bar(self, start: int, held: np.ndarray) -> int | None:
        """The first bar >= ``start`` where an event acts on a ticker ``held`` (shares)."""
        at = int(np.searchsorted(self.bars, start))
        hit = np.flatnonzero(held[self.assets[at:]] != 0)
        return int(self.bars[at + hit[0]]) if hit.size else None

    def apply(self, bar: int, shares: np.ndarray, cash: float) -> float:
        """Apply ``bar``'s events to ``shares`` (changed in place); the cash after them."""
        lo, hi = np.searchsorted(self.bars, [bar, bar + 1])
        for asset in self.assets[lo:hi].tolist():
            before = int(shares[asset])
            if not before:
                continue
            ratio = float(self.split[bar, asset])
            amount = float(self.dividend[bar, asset])
            after, in_lieu, paid = at_open(before, ratio, amount, float(self.open[bar, asset]))
            if ratio != 1.0:
                cash += in_lieu
                self.log.add(asset, bar, SPLIT, ratio, before, after, in_lieu, 0.0)
            if amount and after:
                cash += paid
                self.log.add(asset, bar, DIVIDEND, amount, after, after, paid, 0.0)
            shares[asset] = after
        return cash


__all__ = ["ActionTable", "PortfolioActions", "at_open", "check_actions"]
