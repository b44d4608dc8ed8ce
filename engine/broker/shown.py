"""A book's state and a strategy's decisions in the units of adjusted prices: a strategy run
with a ``price_adjustment`` reads back-adjusted bars (adjusted price = traded price ×
``price``, shares shown = traded shares / ``shares``, one factor per bar: ``data.adjust``),
while its book trades the bars as traded (docs/strategies.md, "Corporate actions").

``shown_state`` turns the book's state into the strategy's units: an open trade's and a
pending order's prices and sizes at the state's bar, a closed trade's at its exit bar (a
trade's entry price, already divided by the splits it lived through, times the factor of
that bar is its entry in the adjusted series). ``traded_decisions`` turns the strategy's
order prices back into traded prices at the bar it decides on, and a size in whole units
into whole traded shares (rounded, at least one). Pure Python and numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import copysign

import numpy as np

PRICES = ("entry_price", "exit_price", "sl", "tp", "limit", "stop")
"""The price fields of a trade, an order or a decision."""


def _scaled(record: dict, price: float, shares: float) -> dict:
    out = dict(record)
    for name in PRICES:
        if out.get(name) is not None:
            out[name] = out[name] * price
    if out.get("size") is not None and abs(out["size"]) >= 1:
        out["size"] = out["size"] / shares
    return out


def shown_state(state: dict, price: np.ndarray, shares: np.ndarray) -> dict:
    """``state`` (``engine.broker.book.Book.state``) in adjusted units."""
    bar = state["bar"]
    p, s = float(price[bar]), float(shares[bar])
    return {
        **state,
        "trades": [_scaled(t, p, s) for t in state["trades"]],
        "closed": [
            _scaled(t, float(price[t["exit_bar"]]), float(shares[t["exit_bar"]]))
            for t in state["closed"]
        ],
        "orders": [_scaled(o, p, s) for o in state["orders"]],
    }


def traded_decisions(decisions: Sequence[dict], bar: int, price: np.ndarray, shares: np.ndarray):
    """``decisions`` taken on ``bar`` in traded units: prices divided by the bar's price
    factor, a size of whole units times its share factor (rounded, at least one unit).
    Anything malformed passes unchanged, for the book to refuse naming the field."""
    p, s = float(price[bar]), float(shares[bar])
    out = []
    for decision in decisions:
        if not isinstance(decision, dict):
            out.append(decision)
            continue
        d = dict(decision)
        for name in (*PRICES, "price"):
            value = d.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value:
                d[name] = value / p
        size = d.get("size")
        units = isinstance(size, int | float) and not isinstance(size, bool)
        if d.get("op") == "order" and units and abs(size) >= 1 and round(size) == size:
            d["size"] = copysign(max(1, round(abs(size) * s)), size)
        out.append(d)
    return out


class ShownStates:
    """The states of ``states`` (``engine.broker.deferred.Deferred``) in adjusted units."""

    __slots__ = ("price", "shares", "states")

    def __init__(self, states: object, price: np.ndarray, shares: np.ndarray) -> None:
        self.states, self.price, self.shares = states, price, shares

    def state(self, bar: int) -> dict:
        return shown_state(self.states.state(bar), self.price, self.shares)  # type: ignore[attr-defined]


def adjusted_decider(
    decide: Callable[[int, object], Sequence[dict]], price: np.ndarray, shares: np.ndarray
) -> Callable[[int, object], list]:
    """``decide`` (a strategy reading adjusted bars) as ``engine.broker.book.drive`` calls
    it: the state shown in adjusted units, the decisions turned into traded ones."""

    def adjusted(bar: int, states: object) -> list:
        return traded_decisions(decide(bar, ShownStates(states, price, shares)), bar, price, shares)

    return adjusted
