"""Forced closes: the bars on which a ticker may not be held (a delisting, a point-in-time
index's non-member days) and the price a holding is closed at when such a run of bars
begins. ``simulate_portfolio`` takes them as an optional input; without it, nothing here
runs. Semantics in docs/execution.md, "Portfolios" ("Forced closes").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class ForcedCloses:
    """``blocked`` (T, N) bool: True on the bars where ticker j may not be held. On the first
    bar of each blocked run, at its open and before that bar's fill, a holding is closed;
    no fill buys a ticker on a blocked bar. ``price`` (T, N) float, read on those first
    bars: a finite value is the cash paid per share (a delisting's cash, or its last
    close: no slippage, the fee as a sale pays it); NaN closes like a market order at the
    bar's open (the last close where the ticker has no bar), with slippage and the fee."""

    blocked: np.ndarray
    price: np.ndarray | None = None

    def starts(self) -> tuple[np.ndarray, np.ndarray]:
        """(bars, assets) of the first bar of each blocked run after bar 0, in bar order
        (at bar 0 nothing is held yet)."""
        blocked = self.blocked
        begins = blocked[1:] & ~blocked[:-1]
        bars, assets = np.nonzero(begins)
        return bars + 1, assets

    def cash_price(self, bar: int, asset: int) -> float:
        """The cash per share a holding closed at ``bar`` gets (NaN: a market order)."""
        return np.nan if self.price is None else float(self.price[bar, asset])


def check_closes(closes: ForcedCloses, shape: tuple[int, int]) -> ForcedCloses:
    """``closes`` with its arrays as bool/float64 of ``shape``.

    :raise ValueError: naming the field (wrong shape; a negative or infinite price).
    """
    blocked = np.asarray(closes.blocked, dtype=bool)
    if blocked.shape != shape:
        raise ValueError(f"closes.blocked: expected shape {shape}")
    price = closes.price
    if price is not None:
        price = np.asarray(price, dtype=np.float64)
        if price.shape != shape:
            raise ValueError(f"closes.price: expected shape {shape}")
        with np.errstate(invalid="ignore"):
            if np.any(np.isinf(price) | (price < 0)):
                raise ValueError("closes.price: must be >= 0 and finite, or NaN")
    return ForcedCloses(blocked, price)
