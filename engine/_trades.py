"""The round trips of one run, built from its fills as columns (``engine.result.Trades``).

Numpy over the ``Events`` arrays, no loop per fill or per trade: a trade opens at every fill
that opens shares and closes at the first later fill that closes some (the same fill when
it reverses, the close coming first), unless another fill opens before that (the later
entry replaces it). The figures are the same float operations, in the same order, as a
walk over the fills would do, so the trades are bit-for-bit those of that walk.
"""

from __future__ import annotations

import numpy as np

from engine import _simulate
from engine.bars import Bars
from engine.broker.costs import Costs, held_borrow, order_fee
from engine.params import TradingParams
from engine.result import EXIT_REASONS, Trades

_END = EXIT_REASONS.index("end")
_LIQUIDATION = EXIT_REASONS.index("liquidation")
_CLOSED_AT_END = EXIT_REASONS.index("closed_at_end")


def _next_at_or_after(flags: np.ndarray) -> np.ndarray:
    """For every index i, the first index j >= i where ``flags[j]``; len(flags) when none."""
    size = len(flags)
    at = np.where(flags, np.arange(size), size)
    return np.minimum.accumulate(at[::-1])[::-1]


def trade_table(
    events: _simulate.Events, bust_bar: int, bars: Bars, params: TradingParams
) -> Trades:
    """Round trips of run 0, in entry order; the last may be open (marked at the last close,
    reason ``end``), closed at the last bar's open (``close_at_end``: reason
    ``closed_at_end``, the fill ``engine._simulate.paths`` made), or liquidated on bust at
    that close paying an exit's fee on it (as backtesting.py charges it). Fills after the
    bust bar are ignored. With a borrow fee each trade's ``borrow_fee`` is the sum of the
    charges at the closes it was held, and its PnL is net of it; with any cost beyond
    ``fee_rate`` the column is there (zeros without a borrow fee), else it is None. With
    corporate actions (``events.applied``) a trade's size and entry price are those after
    its splits and its PnL includes its dividends and cash in lieu
    (``engine.corporate.adjust_trades``); closed by a delisting, its reason is
    ``delisted``."""
    close = bars.close
    if events.units is not None:  # scaling in and out: a trade per unit (engine._scaling)
        from engine._scaling import unit_trades

        charges = None if events.borrow is None else events.borrow[0]
        return unit_trades(events.units[0], close, params, events.applied is not None, charges)
    costs = Costs.of(params)
    first, last = int(events.offsets[0]), int(events.offsets[1])
    bar = events.bar[first:last]
    if bust_bar >= 0:
        last = first + int(np.searchsorted(bar, bust_bar, side="right"))
        bar = bar[: last - first]
    fills = slice(first, last)
    opened = events.opened[fills]
    closed = events.closed[fills]
    count = last - first
    entries = np.flatnonzero(opened != 0)
    after = np.append(entries[1:] if entries.size else entries, count)
    # the close ending an entry: the first closing fill after it, at or before the next entry
    closes = np.append(_next_at_or_after(closed != 0), count)[entries + 1]
    ended = (closes <= after[: entries.size]) & (closes < count)
    dangling = entries.size > 0 and not ended[-1]
    kept = entries[ended | (np.arange(entries.size) == entries.size - 1)]
    exits = closes[ended]

    size = np.abs(opened[kept]).astype(np.int64)
    direction = np.where(opened[kept] > 0, 1, -1).astype(np.int64)
    entry_price = events.open_price[fills][kept]
    entry_fee = events.open_fee[fills][kept]
    exit_bar = bar[exits].astype(np.int64)
    exit_price = events.close_price[fills][exits]
    exit_fee = events.close_fee[fills][exits]
    if events.reason is None:
        reason = np.full(exits.size, _simulate.SIGNAL, dtype=np.int8)
    else:
        reason = events.reason[fills][exits].astype(np.int8)
    entry_bar = bar[kept].astype(np.int64)
    at = bust_bar if bust_bar >= 0 else len(close) - 1
    dividends = None
    if events.applied is not None:  # corporate actions: shares and entry after the splits
        from engine.corporate import adjust_trades

        applied = events.applied.of_run(0, bust_bar if bust_bar >= 0 else None)
        ends = np.append(exit_bar, at) if dangling else exit_bar
        moved = adjust_trades(applied, entry_bar, ends, direction, size, entry_price)
        size, entry_price, dividends = moved.size, moved.entry_price, moved.dividends
    if dangling:  # still held after the last fill: liquidated on bust, or open at the end
        price, fee, code = float(close[at]), 0.0, _END
        held = float(size[-1])
        if bust_bar >= 0:
            fee, code = order_fee(held, price, costs.floats), _LIQUIDATION
        elif costs.close_at_end:
            price = float(bars.open[at]) * (1.0 - float(direction[-1]) * costs.slip)
            fee = order_fee(held, price, costs.floats)
            code = _CLOSED_AT_END
        exit_bar = np.append(exit_bar, at)
        exit_price = np.append(exit_price, price)
        exit_fee = np.append(exit_fee, fee)
        reason = np.append(reason, code).astype(np.int8)
    gross = direction * size * (exit_price - entry_price)
    pnl = gross - entry_fee - exit_fee
    if dividends is not None:
        pnl = pnl + dividends + moved.in_lieu
    borrow = None
    if events.borrow is not None:
        borrow = held_borrow(events.borrow[0], entry_bar, exit_bar, reason)
        pnl = pnl - borrow
    elif params.has_costs:
        borrow = np.zeros(entry_bar.size)
    return Trades(
        entry_bar=entry_bar,
        exit_bar=exit_bar,
        direction=direction,
        size=size,
        entry_price=entry_price,
        exit_price=exit_price,
        entry_fee=entry_fee,
        exit_fee=exit_fee,
        pnl=pnl,
        reason=reason,
        borrow_fee=borrow,
        dividends=dividends,
    )
