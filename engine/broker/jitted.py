"""The broker's order and stop rules compiled (numba), once, for every compiled walk.

``engine.broker.orders``, ``engine.broker.stops`` and ``engine.corporate`` write each rule
as plain arithmetic on floats, which the Python walks call as it is; the compiled walks
(the broker's step ``engine.broker.step``, a portfolio of rules' kernel
``engine._signals_kernel``) call these compiled forms, inlined into their loops.
Compilation is lazy (on a kernel's first call) and cached on disk like the kernels.
"""

from __future__ import annotations

from numba import njit

from engine import corporate
from engine.broker import orders, stops

_rule = njit(cache=True, nogil=True, inline="always")

order_price = _rule(orders.order_price)
"""``engine.broker.orders.order_price``: (fill price or NaN, stop touched)."""
order_prices = _rule(orders.order_prices)
usable = _rule(orders.usable)
fill_bar_stop = _rule(orders.fill_bar_stop)
levels = _rule(stops.levels)
stop_exit = _rule(stops.stop_exit)
ratchet = _rule(stops.ratchet)
split_holding = _rule(corporate.split_holding)
"""``engine.corporate.split_holding``: (shares after a split, the cash in lieu)."""

__all__ = [
    "fill_bar_stop",
    "levels",
    "order_price",
    "order_prices",
    "ratchet",
    "split_holding",
    "stop_exit",
    "usable",
]
