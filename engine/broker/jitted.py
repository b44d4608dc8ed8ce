"""The broker's rules compiled (numba), once, for every compiled walk.

``engine.broker.costs``, ``engine.broker.impact``, ``engine.broker.orders``,
``engine.broker.stops`` and ``engine.corporate`` write each rule as plain arithmetic on
floats, which the Python walks call as it is; the compiled kernels (the one-pass sweep
kernel ``engine._kernel``, the broker's step ``engine.broker.step``, a portfolio of rules'
kernel ``engine._signals_kernel``) call these compiled forms, inlined into their loops.
The costs' arithmetic is rebuilt with numba's ``floor``, ``sign`` ... in place of its
Python ones (``engine.broker.rebind``).
A size series' or a position-aware exit's program (``engine.broker.program``) is compiled
with numpy's error model (a division by zero gives ±inf or NaN, as numpy's), and called,
not inlined, so the step's own arithmetic keeps its model.
Compilation is lazy (on a kernel's first call) and cached on disk like the kernels; this
module installs ``engine.broker.inlining`` (numba's inliner copying each inlined function's
variables once) before any kernel that inlines these rules compiles.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine import corporate
from engine.broker import costs, impact, inlining, orders, program, stops
from engine.broker.rebind import rebind

inlining.install()

_rule = njit(cache=True, nogil=True, inline="always")

_costs = rebind(
    (*costs.ARITHMETIC, costs.borrow_charge, costs.signal_equity),
    {"sign": np.sign, "floor": np.floor, "where": _rule(costs.where), "minimum": min,
     "maximum": max},
    _rule,
)  # fmt: skip
order_fee = _costs["order_fee"]
"""``engine.broker.costs.order_fee``: the fee of an order (on ``Costs.as_array``'s layout)."""
affordable = _costs["affordable"]
fill = _costs["fill"]
"""``engine.broker.costs.fill``: (close_price, close_fee, open_price, qty, open_fee, cash)."""
sized = _costs["sized"]
borrow_charge = _costs["borrow_charge"]
signal_equity = _costs["signal_equity"]

impact_fraction = _rule(impact.impact_fraction)
"""``engine.broker.impact.impact_fraction``: a fill's market impact (NaN: no fill)."""
liquidity_price = _rule(impact.liquidity_price)
"""``engine.broker.impact.liquidity_price``: the fill price paying impact and half spread."""

allowed = rebind((impact.allowed,), {"where": _rule(costs.where), "floor": np.floor}, _rule)
allowed = allowed["allowed"]
"""``engine.broker.impact.allowed``: the whole shares a bar's volume allows its fills."""

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

_programs = rebind(
    program.ARITHMETIC,
    {},
    lambda f: njit(cache=True, nogil=True, _nrt=False, error_model="numpy")(f),
)
evaluate = _programs["evaluate"]
"""``engine.broker.program.evaluate``: a program's value on a bar."""
open_return = _programs["open_return"]
running_max = _programs["running_max"]
program_size = _programs["sized"]
"""``engine.broker.program.sized``: a size program's value as the size series gives it."""
first_exit = rebind(
    (program.first_exit,),
    rebind(
        program.ARITHMETIC,
        {},
        lambda f: njit(cache=True, nogil=True, _nrt=False, error_model="numpy", inline="always")(f),
    ),
    lambda f: njit(cache=True, nogil=True, _nrt=False, error_model="numpy")(f),
)["first_exit"]
"""``engine.broker.program.first_exit``: the exit program over a stretch of held bars, with
``evaluate`` inlined into its loop (one call a stretch, not a call a bar)."""

__all__ = [
    "affordable",
    "allowed",
    "borrow_charge",
    "evaluate",
    "fill",
    "fill_bar_stop",
    "first_exit",
    "impact_fraction",
    "levels",
    "liquidity_price",
    "open_return",
    "order_fee",
    "order_price",
    "order_prices",
    "program_size",
    "ratchet",
    "running_max",
    "signal_equity",
    "sized",
    "split_holding",
    "stop_exit",
    "usable",
]
