"""Scaling in and out: a long built of units (pyramiding) and closed in parts, bar by bar.

docs/execution.md, "Scaling in and out": long with k < ``max_entries`` units, every bar whose
entry signal holds adds a unit at the next open, sized as the first from the cash then; an
exit signal sells max(1, round(n × ``exit_fraction``)) shares of each open unit of n shares
(backtesting.py's ``position.close(portion)``), each sale its own order. Long only, market
entries, no stops. The walk returns ``engine._simulate.Events`` (one fill per bar that
trades: ``shares`` is the whole position after it) and each run's units as trade records.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from engine._simulate import SIGNAL, Events, _Costs, _FloatMath, _order_fee, _shares, events_of_rows
from engine.params import TradingParams
from engine.result import EXIT_REASONS, Trades

CLOSED_AT_END = "closed_at_end"
"""The reason of a unit closed at the last bar's open (``close_at_end``)."""


@dataclass
class Unit:
    """One unit of a run: ``size`` shares bought at ``entry_price`` on ``entry_bar`` paying
    ``entry_fee`` for them; closed when ``exit_bar`` is set (``exit_reason`` then)."""

    entry_bar: int
    entry_price: float
    size: float
    entry_fee: float
    exit_bar: int | None = None
    exit_price: float = 0.0
    exit_fee: float = 0.0
    exit_reason: str = "signal"


def scale_events(
    entries: np.ndarray, exits: np.ndarray, open_: np.ndarray, params: TradingParams
) -> Events:
    """The fills of N runs with ``params.max_entries`` and ``params.exit_fraction``; their
    ``units`` hold, per run, its units (closed parts, then the open rests)."""
    costs = _Costs.of(params)
    opens = open_.tolist()
    rows: list[tuple] = []
    units: list[list[Unit]] = []
    counts = np.zeros(entries.shape[0], dtype=np.int64)
    for i in range(entries.shape[0]):
        before = len(rows)
        units.append(_walk(i, entries[i].tolist(), exits[i].tolist(), opens, params, costs, rows))
        counts[i] = len(rows) - before
    return dataclasses.replace(events_of_rows(rows, counts), units=units)


def _walk(
    run: int,
    entries: list[bool],
    exits: list[bool],
    opens: list[float],
    params: TradingParams,
    c: _Costs,
    rows: list,
) -> list[Unit]:
    """Append run ``run``'s fills to ``rows``; return its units."""
    last = len(opens) - 1
    cash, shares, pending = c.initial_capital, 0.0, 0
    held: list[Unit] = []
    done: list[Unit] = []
    for bar in range(last + 1):
        if pending > 0:
            price = opens[bar] * (1.0 + c.slip)
            budget = min(c.position_size, cash) if c.by_value else cash * c.fraction
            qty = _shares(budget, price, c, _FloatMath) if cash > 0.0 else 0.0
            if qty > 0:
                fee = _order_fee(qty, price, c, _FloatMath)
                cash = cash - qty * price - fee
                shares += qty
                held.append(Unit(bar, price, qty, fee))
                rows.append((run, bar, 0.0, 0.0, 0.0, qty, price, fee, cash, shares, SIGNAL))
        elif pending < 0:
            cash, sold, price, fees = _sell(bar, opens[bar], cash, held, done, params, c)
            shares -= sold
            rows.append((run, bar, sold, price, fees, 0.0, 0.0, 0.0, cash, shares, SIGNAL))
        pending = 0
        if bar < last and entries[bar] != exits[bar]:
            if entries[bar] and len(held) < params.max_entries:
                pending = 1
            elif exits[bar] and held:
                pending = -1
    if c.close_at_end and held and last >= 0:
        cash, sold, price, fees = _sell(last, opens[last], cash, held, done, None, c)
        rows.append((run, last, sold, price, fees, 0.0, 0.0, 0.0, cash, 0.0, SIGNAL))
    return done + held


def _sell(
    bar: int,
    open_: float,
    cash: float,
    held: list[Unit],
    done: list[Unit],
    params: TradingParams | None,
    c: _Costs,
) -> tuple[float, float, float, float]:
    """Sell part of each unit in ``held`` at ``open_`` (all of them with ``params`` None:
    the close at the end); returns (cash, shares sold, price, fees)."""
    price = open_ * (1.0 - c.slip)
    sold = fees = 0.0
    for unit in list(held):
        if params is None or params.exit_fraction == 1.0:
            qty = unit.size
        else:
            qty = float(min(unit.size, max(1, round(unit.size * params.exit_fraction))))
        fee = _order_fee(qty, price, c, _FloatMath)
        cash = cash + qty * price - fee
        sold += qty
        fees += fee
        reason = "signal" if params is not None else CLOSED_AT_END
        if qty == unit.size:
            held.remove(unit)
            closed = unit
        else:
            part = unit.entry_fee * qty / unit.size
            closed = Unit(unit.entry_bar, unit.entry_price, qty, part)
            unit.size -= qty
            unit.entry_fee -= part
        closed.exit_bar, closed.exit_price, closed.exit_fee = bar, price, fee
        closed.exit_reason = reason
        done.append(closed)
    return cash, sold, price, fees


def unit_trades(units: list[Unit], close: np.ndarray, params: TradingParams) -> Trades:
    """The trade table of one run's units, by entry bar then exit bar (a unit still held
    last, marked at the last close with reason ``end``)."""
    n = len(close) - 1
    ordered = sorted(
        units, key=lambda u: (u.entry_bar, n + 1 if u.exit_bar is None else u.exit_bar)
    )
    exit_bar = [n if u.exit_bar is None else u.exit_bar for u in ordered]
    exit_price = [float(close[n]) if u.exit_bar is None else u.exit_price for u in ordered]
    reason = [EXIT_REASONS.index("end" if u.exit_bar is None else u.exit_reason) for u in ordered]
    size = np.array([u.size for u in ordered], dtype=np.float64)
    entry_price = np.array([u.entry_price for u in ordered], dtype=np.float64)
    entry_fee = np.array([u.entry_fee for u in ordered], dtype=np.float64)
    exit_fee = np.array([u.exit_fee for u in ordered], dtype=np.float64)
    exits = np.array(exit_price, dtype=np.float64)
    pnl = size * (exits - entry_price) - entry_fee - exit_fee
    return Trades(
        entry_bar=np.array([u.entry_bar for u in ordered], dtype=np.int64),
        exit_bar=np.array(exit_bar, dtype=np.int64),
        direction=np.ones(len(ordered), dtype=np.int64),
        size=size.astype(np.int64),
        entry_price=entry_price,
        exit_price=exits,
        entry_fee=entry_fee,
        exit_fee=exit_fee,
        pnl=pnl,
        reason=np.array(reason, dtype=np.int8),
        borrow_fee=np.zeros(len(ordered)) if params.has_costs else None,
    )
