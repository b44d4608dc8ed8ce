"""The entry-order walk compiled (numba): N runs whose signals open positions with limit,
stop, stop-limit or on-close orders, one pass each (fills, stops, equity), rows spread over
the cores, reduced to the core metrics' inputs.

The same walk as ``engine.orders`` (docs/execution.md, "Entry orders"), operation by
operation with ``fastmath`` off: fills through the market walk's compiled fill step
(``engine._kernel.fill``), the stop check of ``engine.broker.stops.Position``, equity marked
on every close (less the short's borrow fee, charged after the close's fills as the Python
walk charges it) with the bust rule of ``engine._simulate.paths``, and its curve reduced by
``engine._kernel.reduce_curve`` (numpy's order). So its metrics equal the Python walk's
bit for bit; the tests compare both on many random cases. Imported only when the work pays
for numba (``engine.compiled``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from engine import _kernel, kernel_stamp
from engine.broker import jitted
from engine.broker.costs import BORROW
from engine.broker.orders import ON_CLOSE

fill = _kernel.fill
_reduce_curve = _kernel.reduce_curve
LOSS, PROFIT, TRAIL = range(3)  # the stops array: fractions of the entry, NaN = off
FINAL, MEAN, STD, DRAWDOWN, TRADES = range(5)
N_STATS = 5
"""Columns of ``evaluate_orders``' statistics, per run."""


_order_price, _usable, _order_prices = jitted.order_price, jitted.usable, jitted.order_prices
"""The broker's entry-order rules compiled (``engine.broker.jitted``)."""


@njit(cache=True, nogil=True)
def _walk(enter, leave, limits, stops_at, bars, setup, costs, stops, equity) -> int:
    """One run: fills ``equity`` (T) and returns the trades opened up to bankruptcy;
    ``bars`` = (open, high, low, close), ``setup`` = (order type, valid bars, long only,
    exit priority)."""
    open_, high, low, close = bars
    kind, valid, longonly, exit_first = setup
    n_bars = close.size
    last = n_bars - 1
    cash, shares, previous = costs[0], 0.0, 0
    borrow = costs[BORROW]
    close_next, triggered, pending = False, False, False
    o_side, o_limit, o_stop, o_last = 0.0, np.nan, np.nan, 0
    held, side_held = False, 0.0
    loss = profit = trail_level = extreme = 0.0
    has_stops = not (np.isnan(stops[LOSS]) and np.isnan(stops[PROFIT]) and np.isnan(stops[TRAIL]))
    trades, bust = 0, False
    for bar in range(n_bars):
        if bust:
            equity[bar] = 0.0
            continue
        if close_next:
            _, _, _, _, _, cash = fill(cash, shares, open_[bar], 0.0, costs)
            shares, held, close_next = 0.0, False, False
        filled_now = False
        if pending:
            price, triggered = _order_price(
                kind,
                o_side,
                o_limit,
                o_stop,
                triggered,
                open_[bar],
                high[bar],
                low[bar],
                close[bar],
            )
            if price == price:
                _, _, entry, qty, _, cash_after = fill(cash, 0.0, price, o_side, costs)
                if o_side * qty != 0.0:
                    cash, shares = cash_after, o_side * qty
                    trades += 1
                    filled_now, held, side_held = True, True, o_side
                    loss, profit, trail_level, extreme = _levels(o_side, entry, stops)
                else:
                    previous = 0
                pending = False
            elif bar == o_last:
                pending, previous = False, 0
        if held and has_stops:
            hit_price, trail_level, extreme = _stop_hit(
                filled_now,
                kind,
                side_held,
                loss,
                profit,
                trail_level,
                extreme,
                stops[TRAIL],
                open_[bar],
                high[bar],
                low[bar],
            )
            if hit_price == hit_price:
                _, _, _, _, _, cash = fill(cash, shares, hit_price, 0.0, costs)
                shares, held, previous = 0.0, False, 0
        signal = (1 if enter[bar] else 0) - (1 if leave[bar] else 0)
        if exit_first and enter[bar] and leave[bar]:  # ``engine._simulate.resolved``
            signal = -1 if previous > 0 else 1
        if signal != 0 and bar != last:
            side = max(signal, 0) if longonly else signal
            if side != previous:
                previous = side
                pending = False
                if kind == ON_CLOSE:
                    _, _, entry, qty, _, cash = fill(cash, shares, close[bar], float(side), costs)
                    shares = side * qty
                    held, side_held = shares != 0.0, float(side)
                    if held:
                        trades += 1
                        loss, profit, trail_level, extreme = _levels(float(side), entry, stops)
                else:
                    close_next = shares != 0.0
                    if side != 0:
                        o_side = float(side)
                        o_limit, o_stop = _order_prices(kind, limits[bar], stops_at[bar])
                        o_last, triggered, pending = bar + valid, False, True
                        if not _usable(kind, o_limit, o_stop):
                            pending, previous = False, 0
        if shares < 0.0 and borrow > 0.0:  # the short held at this close pays its fee
            cash -= abs(shares) * close[bar] * borrow
        value = cash + shares * close[bar]
        if value <= 0.0:
            bust = True
            value = 0.0
        equity[bar] = value
    return trades


_broker_levels, _stop_exit = jitted.levels, jitted.stop_exit
_fill_bar_stop = jitted.fill_bar_stop


@njit(cache=True, nogil=True, inline="always")
def _levels(side, entry, stops):
    """``engine.broker.stops.levels`` of a new position: (loss, profit, trailing level,
    extreme)."""
    return _broker_levels(side, entry, stops[LOSS], stops[PROFIT], stops[TRAIL])


@njit(cache=True, nogil=True, inline="always")
def _stop_hit(fresh, kind, side, loss, profit, trail_level, extreme, trail, o, h, lo):
    """(exit price or NaN, trailing level, extreme): ``engine.broker.stops.stop_exit``, or
    on the fill bar of a limit, stop or stop-limit entry ``engine.broker.orders.
    fill_bar_stop``."""
    if fresh:
        price, _ = _fill_bar_stop(kind, side, loss, profit, trail_level, o, h, lo)
        return price, trail_level, extreme
    price, _, trail_level, extreme = _stop_exit(
        side, loss, profit, trail_level, extreme, trail, o, h, lo
    )
    return price, trail_level, extreme


@njit(cache=True, parallel=True)
def evaluate_orders(
    entries,
    exits,
    limits,
    limit_row,
    stops_at,
    stop_row,
    open_,
    high,
    low,
    close,
    kind,
    valid,
    longonly,
    exit_first,
    costs,
    stops,
    keep_equity,
):
    """N runs (``entries``/``exits`` N × T) with entry orders of type ``kind``: run i's
    order prices are ``limits[limit_row[i]]`` and ``stops_at[stop_row[i]]`` (K × T each, so
    a sweep's runs share the rows of equal prices); ``exit_first``: ``exit_priority``.
    Returns (N × ``N_STATS``: final equity,
    mean and sample std of the bar returns, the largest fraction fallen from a running peak
    (as ``core_metrics`` reduces a curve, T >= 3) and the trades; the N × T equity when
    ``keep_equity``, else 0 × T: each run's curve then lives in its own buffer)."""
    n_runs, n_bars = entries.shape
    out = np.empty((n_runs, N_STATS))
    kept = np.empty((n_runs if keep_equity else 0, n_bars))
    for i in prange(n_runs):
        equity = kept[i] if keep_equity else np.empty(n_bars)
        returns = np.empty(n_bars - 1)
        trades = _walk(
            entries[i],
            exits[i],
            limits[limit_row[i]],
            stops_at[stop_row[i]],
            (open_, high, low, close),
            (kind, valid, longonly, exit_first),
            costs,
            stops,
            equity,
        )
        mean, std, drawdown = _reduce_curve(equity, returns)
        out[i, FINAL] = equity[n_bars - 1]
        out[i, MEAN] = mean
        out[i, STD] = std
        out[i, DRAWDOWN] = drawdown
        out[i, TRADES] = trades
    return out, kept


kernel_stamp.forget_stale(__name__, globals())
