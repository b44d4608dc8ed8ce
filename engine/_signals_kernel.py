"""The compiled walk of a portfolio of rules (numba): ``engine.portfolio.signals``' per-bar
walk without corporate actions or forced closes, operation for operation, so its numbers
equal the Python walk's bit for bit (tests/engine/test_portfolio_signals_compiled.py).

Fills are the broker's compiled ``fill`` (``engine.broker.jitted``), stops the broker's own rules
(``engine.broker.stops.levels`` and ``stop_exit``, which ``Position`` calls) compiled in.
Imported only when a walk is large enough to pay for numba (``engine.compiled``); cached
on disk like the other kernels and warmed with them (``engine.compiled.warm``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from engine import kernel_stamp
from engine._pairwise import pairwise_sum
from engine.broker import jitted
from engine.broker.stops import SIGNAL

LOSS, PROFIT, TRAIL = range(3)  # the stops array: fractions of the entry, NaN = off
_levels, _stop_exit, fill = jitted.levels, jitted.stop_exit, jitted.fill


@njit(cache=True, nogil=True, inline="always")
def _record(orders, count, bar, asset, shares, price, fee, reason) -> int:
    """Write order ``count`` (bar, asset, signed shares, price, fee, reason); the next's."""
    orders[count, 0] = bar
    orders[count, 1] = asset
    orders[count, 2] = shares
    orders[count, 3] = price
    orders[count, 4] = fee
    orders[count, 5] = reason
    return count + 1


@njit(cache=True, nogil=True)
def walk_signals(open_, high, low, has_bar, buy, sell, mark, costs, stops, capital):
    """The walk: (shares (T, N), cash (T,), traded value (T,), value at each open (T,),
    decisions (T,), orders (K, 6): bar, asset, signed shares, price, fee, reason)."""
    n_bars, n_assets = open_.shape
    held = np.zeros(n_assets, dtype=np.int64)
    cash = capital
    shares_out = np.zeros((n_bars, n_assets), dtype=np.int64)
    cash_out = np.zeros(n_bars)
    traded_out = np.zeros(n_bars)
    value_out = np.zeros(n_bars)
    decisions = np.zeros(n_bars, dtype=np.bool_)
    capacity = 2 * int(buy.sum()) + int(sell.sum()) + 1
    orders = np.empty((capacity, 6))
    count = 0
    stopping = not (np.isnan(stops[LOSS]) and np.isnan(stops[PROFIT]) and np.isnan(stops[TRAIL]))
    open_pos = np.zeros(n_assets, dtype=np.bool_)
    loss = np.zeros(n_assets)
    profit = np.zeros(n_assets)
    trail_level = np.zeros(n_assets)
    extreme = np.zeros(n_assets)
    worth = np.zeros(n_assets)
    out = np.empty(n_assets, dtype=np.int64)
    keys = np.empty(n_assets)
    for bar in range(n_bars):
        traded = 0.0
        for j in range(n_assets):
            if has_bar[bar, j]:
                price = open_[bar, j]
            elif bar:
                price = mark[bar - 1, j]
            else:
                price = 0.0
            worth[j] = held[j] * price
        value = cash + pairwise_sum(worth, 0, n_assets)
        value_out[bar] = value
        if bar:
            n_out = 0
            n_in = 0
            for j in range(n_assets):
                if has_bar[bar, j] and (sell[bar - 1, j] and held[j] > 0):
                    n_out += 1
                if has_bar[bar, j] and (buy[bar - 1, j] and held[j] == 0):
                    n_in += 1
            if n_out or n_in:
                decisions[bar - 1] = True
            # the sales, the largest first (a stable sort of -held x open)
            k = 0
            for j in range(n_assets):
                if has_bar[bar, j] and sell[bar - 1, j] and held[j] > 0:
                    key = -(held[j] * open_[bar, j])
                    at = k
                    while at > 0 and keys[at - 1] > key:
                        keys[at] = keys[at - 1]
                        out[at] = out[at - 1]
                        at -= 1
                    keys[at] = key
                    out[at] = j
                    k += 1
            for m in range(k):
                j = out[m]
                shares = float(held[j])
                close_price, close_fee, _, _, _, cash = fill(
                    cash, shares, open_[bar, j], 0.0, costs
                )
                count = _record(orders, count, bar, j, -shares, close_price, close_fee, SIGNAL)
                held[j] = 0
                open_pos[j] = False
                traded += shares * close_price
            for j in range(n_assets):
                if not (has_bar[bar, j] and buy[bar - 1, j] and held[j] == 0):
                    continue
                _, _, fill_price, qty, fee, after = fill(cash, 0.0, open_[bar, j], 1.0, costs)
                if qty > 0:
                    cash = after
                    held[j] = int(qty)
                    count = _record(orders, count, bar, j, qty, fill_price, fee, SIGNAL)
                    traded += qty * fill_price
                    if stopping:
                        loss[j], profit[j], trail_level[j], extreme[j] = _levels(
                            1.0, fill_price, stops[LOSS], stops[PROFIT], stops[TRAIL]
                        )
                        open_pos[j] = True
        if stopping:
            for j in range(n_assets):
                if not (open_pos[j] and has_bar[bar, j]):
                    continue
                hit, reason, trail_level[j], extreme[j] = _stop_exit(
                    1.0,
                    loss[j],
                    profit[j],
                    trail_level[j],
                    extreme[j],
                    stops[TRAIL],
                    open_[bar, j],
                    high[bar, j],
                    low[bar, j],
                )
                if np.isnan(hit):
                    continue
                shares = float(held[j])
                close_price, close_fee, _, _, _, cash = fill(cash, shares, hit, 0.0, costs)
                count = _record(orders, count, bar, j, -shares, close_price, close_fee, reason)
                held[j] = 0
                open_pos[j] = False
                traded += shares * close_price
        traded_out[bar] = traded
        shares_out[bar] = held
        cash_out[bar] = cash
    return shares_out, cash_out, traded_out, value_out, decisions, orders[:count]


kernel_stamp.forget_stale(__name__, globals())
