"""The broker's order module: the entry-order types, the rule by which a pending order fills
against a bar, and the book of orders a walk returns. docs/execution.md, "Entry orders".

A new entry-order type is added here (its code and its touch rule in ``order_price``) and
in ``engine.param_specs.ENTRY_ORDER_PRICES`` (its name and the prices it reads): every
walk, Python and compiled (``engine.broker.step`` compiles these very functions), fills it
through these rules. ``fill_bar_stop`` is the stop check on the bar an entry order filled in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from engine.broker.stops import TAKE_PROFIT
from engine.param_specs import ENTRY_ORDER_PRICES, ENTRY_ORDER_TYPES

MARKET, LIMIT, STOP, STOP_LIMIT, ON_CLOSE, MARKET_IF_TOUCHED = range(6)
"""Codes of ``ENTRY_ORDER_TYPES``, in its order."""

ORDER_STATUSES = ("pending", "filled", "expired", "cancelled")
"""An order's status at the end of the walk, in the order of their codes."""
PENDING, FILLED, EXPIRED, CANCELLED = range(4)

ORDER_FIELDS = ("signal_bar", "side", "limit", "stop", "last_bar", "status", "fill_bar", "price")


@dataclass(frozen=True, eq=False)
class Orders:
    """The entry orders of N runs as flat arrays, run-major and in signal order; run i's
    are ``offsets[i]:offsets[i + 1]``. Order k was placed at ``signal_bar[k]``'s close to
    open ``side[k]`` (+1 buy, -1 sell) with ``limit``/``stop`` prices (NaN: none), good up to
    ``last_bar``; ``status`` is a code of ``ORDER_STATUSES``; ``fill_bar`` (-1: none) and
    ``price`` (the fill price with slippage; NaN: none) say where it filled."""

    offsets: np.ndarray
    signal_bar: np.ndarray
    side: np.ndarray
    limit: np.ndarray
    stop: np.ndarray
    last_bar: np.ndarray
    status: np.ndarray
    fill_bar: np.ndarray
    price: np.ndarray
    ordered: np.ndarray | None = None
    """With a liquidity field (docs/execution.md, "Liquidity"): the shares each order was
    sized for when it first filled (0: it never filled); None without."""
    filled: np.ndarray | None = None
    """With a liquidity field: the shares it filled, over one bar or several (the rest,
    ``ordered - filled``, was cancelled or expired, or is still pending); None without."""

    def of_run(self, i: int) -> range:
        """Indices of run i's orders."""
        return range(int(self.offsets[i]), int(self.offsets[i + 1]))


def placed_until(orders: Orders, bar: int) -> Orders:
    """A single run's ``orders`` (an ``Orders``) placed up to ``bar``'s close: a run that
    went bust at ``bar`` places no order after it (docs/execution.md, "If equity reaches
    zero"), the step stops there; a Python walk, which learns of the bust only from the
    paths, logs each later entry signal as an order and is cut here."""
    kept = np.asarray(orders.signal_bar) <= bar
    fields = {
        name: None if value is None else np.asarray(value)[kept]
        for name, value in vars(orders).items()
        if name != "offsets"
    }
    return replace(orders, offsets=np.array([0, int(kept.sum())], dtype=np.int64), **fields)


def order_code(entry_type: str) -> int:
    """The code of an entry order type (``ENTRY_ORDER_TYPES``)."""
    return ENTRY_ORDER_TYPES.index(entry_type)


READS_LIMIT = tuple(
    code for code, name in enumerate(ENTRY_ORDER_TYPES) if "limit" in ENTRY_ORDER_PRICES[name]
)
"""Codes of the order types that read the ``limit`` series (``ENTRY_ORDER_PRICES``)."""

READS_STOP = tuple(
    code for code, name in enumerate(ENTRY_ORDER_TYPES) if "stop" in ENTRY_ORDER_PRICES[name]
)
"""Codes of the order types that read the ``stop`` series."""


def order_prices(kind: int, limit: float, stop: float) -> tuple[float, float]:
    """The (limit, stop) prices an order of type ``kind`` placed on a bar whose series hold
    ``limit`` and ``stop`` takes: those its type reads, NaN for the others."""
    return (
        limit if kind in READS_LIMIT else math.nan,
        stop if kind in READS_STOP else math.nan,
    )


def order_price(
    kind: int,
    side: float,
    limit: float,
    stop: float,
    triggered: bool,
    o: float,
    h: float,
    lo: float,
    c: float,
) -> tuple[float, bool]:
    """(fill price or NaN, stop touched) of a pending order of type ``kind`` on a bar
    (open ``o``, high ``h``, low ``lo``, close ``c``); ``triggered``: its stop was touched on
    an earlier bar (a stop-limit that is a limit order now). A market-if-touched order at
    ``limit`` becomes a market order on the bar that touches it (a buy: low <= limit; a
    sell: high >= limit) and fills at that bar's close."""
    if kind == MARKET_IF_TOUCHED:
        touched = lo <= limit if side > 0 else h >= limit
        return (c, triggered) if touched else (math.nan, triggered)
    if side > 0:
        if kind == STOP:
            return (max(o, stop), True) if h >= stop else (math.nan, False)
        if kind == STOP_LIMIT and not triggered:
            if h < stop:
                return math.nan, False
            return (stop, True) if lo <= limit and limit > stop else (math.nan, True)
        return (min(o, limit), triggered) if lo <= limit else (math.nan, triggered)
    if kind == STOP:
        return (min(o, stop), True) if lo <= stop else (math.nan, False)
    if kind == STOP_LIMIT and not triggered:
        if lo > stop:
            return math.nan, False
        return (stop, True) if h >= limit and limit < stop else (math.nan, True)
    return (max(o, limit), triggered) if h >= limit else (math.nan, triggered)


def fill_bar_stop(
    kind: int,
    side: float,
    loss: float,
    profit: float,
    trail_level: float,
    o: float,
    h: float,
    lo: float,
) -> tuple[float, int]:
    """(fill price or NaN, reason) of the stops on the bar a limit, stop or stop-limit order
    filled in: none, as the order of the bar's high and low around the fill is unknown,
    except a stop entry whose take-profit is within the bar while its stop-loss and
    trailing level are not (the bar went one way: backtesting.py's one unambiguous case),
    at the take-profit. Plain arithmetic on floats (``engine.broker.step`` compiles it)."""
    if kind != STOP or math.isinf(profit):
        return math.nan, TAKE_PROFIT
    if side > 0:
        if h >= profit and max(loss, trail_level) < lo:
            return max(o, profit), TAKE_PROFIT
        return math.nan, TAKE_PROFIT
    if lo <= profit and min(loss, trail_level) > h:
        return min(o, profit), TAKE_PROFIT
    return math.nan, TAKE_PROFIT


def usable(kind: int, limit: float, stop: float) -> bool:
    """Whether an order's prices on its signal bar can be used: the ones its type reads
    are finite and above 0."""
    if kind in READS_LIMIT and not (math.isfinite(limit) and limit > 0.0):
        return False
    return not (kind in READS_STOP and not (math.isfinite(stop) and stop > 0.0))
