"""Entry orders: the bar-by-bar walk of runs whose signals open their positions with a
limit, stop, stop-limit or on-close order instead of a market order at the next open.

docs/execution.md, "Entry orders". A signal change on bar t places one order at t's close
to open the new side, priced from the ``limit``/``stop`` series at bar t; the position held
before is closed at t+1's open as with market orders. Per bar: (1) that market close at the
open, (2) the pending order against the bar's range (buy limit: low <= L, at min(open, L);
buy stop: high >= S, at max(open, S); a stop-limit turns into a limit once its stop is
touched, filling on that bar only at S when L is beyond S, backtesting.py's rule; sells
mirrored), (3) the stops of the position held, from the actual fill price (not on the
bar an order filled in, but for ``fill_bar_exit``'s one case), (4) the bar's signal.
``on_close`` fills the whole change at the signal bar's close; (5) with a borrow fee, the
short held at the close pays it then. With corporate actions (``engine.corporate``) their
events act at the open before (1), a split dividing a pending order's prices too, and a
delisting at the last close after (5). An order is good for
``valid_bars`` bars after its signal bar, then expires; an expired or cancelled order
leaves the run flat until the next signal for a side.

A position-aware exit (``engine._simulate.PositionExit``) is read on each close while a
long is open, from its fill bar and fill price (an ``on_close`` long from the next close
on); a size series (``engine._simulate.Sizer``) is read on the signal bar's close with the
equity then, and sizes the order when it fills (docs/execution.md, "Entry orders with
position-aware exits and sizes").

Fills go through the broker's fill step (``engine.broker.costs.fill``) and stops
through its ``Position``, so costs and stop levels are the same arithmetic. This walk
serves the runs with corporate actions and the small runs that do not pay for numba
(``engine.backtest._stepped``); the others go through the broker's compiled step
(``engine._scaling.stepped_events``), with the same numbers bit for bit
(tests/engine/test_engine_broker_differential.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from engine._simulate import (
    BOTH,
    Events,
    PositionExit,
    Sizer,
    events_of_rows,
    signal_code,
    signal_codes,
)
from engine.broker.costs import Costs, borrow_charge, fill, fill_sized, signal_equity
from engine.broker.orders import (
    CANCELLED,
    EXPIRED,
    FILLED,
    ON_CLOSE,
    ORDER_STATUSES,
    PENDING,
    Orders,
    fill_bar_exit,
    order_code,
    order_price,
    order_prices,
    orders_of,
    usable,
)
from engine.broker.stops import SIGNAL, Position, Stops
from engine.params import TradingParams

if TYPE_CHECKING:  # pragma: no cover
    from engine.corporate import Applied, CorporateActions

__all__ = ["ORDER_STATUSES", "Orders", "order_events"]


def order_events(
    entries: np.ndarray,
    exits: np.ndarray,
    ohlc: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    limit: np.ndarray,
    stop: np.ndarray,
    params: TradingParams,
    position_exits: Sequence[PositionExit | None] | None = None,
    sizes: Sequence[Sizer] | None = None,
    *,
    actions: CorporateActions | None = None,
) -> tuple[Events, Orders]:
    """The fills and entry orders of N runs (``entries``/``exits`` N × T) walked bar by bar
    in Python floats; ``limit`` and ``stop`` (N × T, NaN where unused) are each bar's order
    prices, ``ohlc`` the bars' open, high, low and close. With a borrow fee a short pays it
    at each close it is held, and the events keep the cash at every close and each charge
    (``Events.cash_path``, ``Events.borrow``), as the market walk's ``stop_events``; with
    ``actions`` (``engine.corporate.CorporateActions``) the events act on the position, as
    in ``stop_events``, and the shares at every close are kept too.
    ``position_exits[i]`` (or None): run i's exit while a long is open, in place of its row
    of ``exits``; ``sizes[i]``: run i's size series (with ``params.size_unit``), as in
    ``engine._simulate.stop_events``."""
    if (sizes is None) != (params.size_unit is None):
        raise ValueError("a size series goes with params.size_unit, and only with it")
    signal = signal_codes(entries, exits, params)
    prices = tuple(column.tolist() for column in ohlc)
    walk = _Walk(params, actions)
    counts = np.zeros(signal.shape[0], dtype=np.int64)
    order_counts = np.zeros(signal.shape[0], dtype=np.int64)
    for i, sides in enumerate(signal.tolist()):
        before, placed = len(walk.rows), len(walk.orders)
        held = None
        if position_exits is not None and position_exits[i] is not None:
            held = (position_exits[i], entries[i].tolist(), params.exit_priority)
        size_of = None if sizes is None else sizes[i]
        walk.run(i, sides, prices, limit[i].tolist(), stop[i].tolist(), held, size_of)
        counts[i] = len(walk.rows) - before
        order_counts[i] = len(walk.orders) - placed
    paths = None
    if walk.cash_paths:  # a borrow fee: the cash at every close and each charge (N × T)
        paths = {
            "cash_path": np.array(walk.cash_paths, dtype=np.float64),
            "borrow": np.array(walk.charges, dtype=np.float64) if walk.costs.borrow else None,
        }
    events = events_of_rows(walk.rows, counts, **(paths or {}))
    if walk.applied is not None:
        positions = np.array(walk.positions, dtype=np.float64).reshape(signal.shape)
        events = replace(events, position_path=positions, applied=walk.applied)
    return events, orders_of(walk.orders, order_counts)


class _Walk:
    """The walk's fixed inputs and what it has recorded: fills as ``events_of_rows`` rows,
    orders as ``engine.broker.orders.ORDER_FIELDS`` lists."""

    def __init__(self, params: TradingParams, actions: CorporateActions | None = None) -> None:
        self.actions = actions
        self.applied: Applied | None = None
        self.positions: list[list[float]] = []
        if actions is not None:
            from engine.corporate import Applied

            self.applied = Applied()
        self.costs, self.stops = Costs.of(params), Stops.of(params)
        self.checks_stops = params.has_stops
        self.kind = order_code(params.entry_type)
        self.valid = params.valid_bars
        self.longonly = params.direction == "longonly"
        self.rows: list[tuple] = []
        self.orders: list[list] = []
        self.cash_paths: list[list[float]] = []
        self.charges: list[list[float]] = []

    def fill(
        self,
        run: int,
        bar: int,
        cash: float,
        shares: float,
        price: float,
        side: float,
        size: float | None = None,
    ):
        """Close ``shares`` and open ``side`` at ``price`` (the market walk's fill step;
        ``size``: a size series' value for the opening order); records the fill and returns
        (cash, opened shares, entry fill price)."""
        if size is None:
            close_price, close_fee, open_price, qty, open_fee, cash = fill(
                cash, shares, price, side, self.costs.floats
            )
        else:
            close_price, close_fee, open_price, qty, open_fee, cash = fill_sized(
                cash, shares, price, side, self.costs, size
            )
        opened = side * qty
        closing = (run, bar, shares, close_price, close_fee)
        self.rows.append((*closing, opened, open_price, open_fee, cash, opened, SIGNAL))
        return cash, opened, open_price

    def run(
        self,
        run: int,
        signals: list[int],
        prices: tuple,
        limits: list,
        stops: list,
        held: tuple[PositionExit, list, bool] | None = None,
        size_of: Sizer | None = None,
    ) -> None:
        """Walk run ``run``: ``signals`` holds +1 (entry), -1 (exit), 0 or
        ``engine._simulate.BOTH`` per bar (``signal_codes``, resolved against the side
        asked for last as ``engine._simulate.resolved`` does). With a
        borrow fee, the short held at each close (after that close's ``on_close`` fill) pays
        it, and the cash at every close and the charges are kept. ``held`` (a position-aware
        exit, the run's entries and ``exit_priority``): while a long is open, a bar's signal
        is its entry against that exit on the bar's close (``signal_code``). ``size_of``:
        the size of an order, read on its signal bar's close with the equity then and
        applied when it fills."""
        opens, highs, lows, closes = prices
        kind, c = self.kind, self.costs
        borrow = c.borrow
        last = len(signals) - 1
        cash_path: list[float] = []
        charges: list[float] = []
        shares_path: list[float] = []
        ledger = None
        if self.actions is not None:
            from engine.corporate import Ledger

            ledger = Ledger(run, self.actions, opens, self.applied)
        cash, shares, previous = c.initial_capital, 0.0, 0
        close_next, triggered = False, False
        order: list | None = None
        order_size: float | None = None
        position: Position | None = None
        exit_at: Callable[[int], bool] | None = None
        for bar in range(last + 1):
            if ledger is not None:
                cash, shares = ledger.at_open(bar, cash, shares, position)
                ratio = ledger.split[bar]
                if order is not None and ratio != 1.0:  # prices in new shares
                    order[2], order[3] = order[2] / ratio, order[3] / ratio
                if exit_at is not None and ratio != 1.0:
                    exit_at.split(bar, ratio)  # type: ignore[attr-defined]
            if close_next:
                cash, _, _ = self.fill(run, bar, cash, shares, opens[bar], 0.0)
                shares, position, close_next, exit_at = 0.0, None, False, None
            filled_now = False
            if order is not None:
                side = float(order[1])
                price, triggered = order_price(
                    kind,
                    side,
                    order[2],
                    order[3],
                    triggered,
                    opens[bar],
                    highs[bar],
                    lows[bar],
                    closes[bar],
                )
                if price == price:  # not NaN: the order fills
                    cash, shares, entry = self.fill(run, bar, cash, 0.0, price, side, order_size)
                    if shares:
                        order[5:] = [FILLED, bar, entry]
                        filled_now = True
                        position = Position(side, entry, self.stops)
                        if held is not None and side > 0:  # a long: an exit closes longs
                            exit_at = held[0](side, bar, entry)
                    else:  # cash buys no share: like a broker, cancel it
                        self.rows.pop()
                        order[5] = CANCELLED
                        previous = 0
                    order = None
                elif bar == order[4]:
                    order[5], order, previous = EXPIRED, None, 0
            if position is not None and self.checks_stops:
                if filled_now:
                    hit = fill_bar_exit(kind, position, opens[bar], highs[bar], lows[bar])
                else:
                    hit = position.exit(opens[bar], highs[bar], lows[bar])
                if hit is not None:
                    close_price, close_fee, _, _, _, cash = fill(
                        cash, shares, hit[0], 0.0, c.floats
                    )
                    self.rows.append(
                        (run, bar, shares, close_price, close_fee, 0.0, 0.0, 0.0, cash, 0.0, hit[1])
                    )
                    shares, position, previous, exit_at = 0.0, None, 0, None
            signal = signals[bar]
            if exit_at is not None:
                signal = signal_code(held[1][bar], exit_at(bar), held[2])  # type: ignore[index]
            if signal == BOTH:  # ``engine._simulate.resolved`` inlined: a call every bar
                signal = -1 if previous > 0 else 1
            side = max(signal, 0) if self.longonly else signal
            if signal and bar != last and side != previous:
                previous = side
                if order is not None:
                    order[5], order = CANCELLED, None
                size = None
                if size_of is not None:
                    size = (
                        size_of(bar, self.equity(kind, cash, shares, closes[bar])) if side else 0.0
                    )
                if kind == ON_CLOSE and side and not (size is None or size > 0.0):
                    # an undefined size: cancelled when placed, the position held closed
                    if shares:
                        cash, shares, _ = self.fill(run, bar, cash, shares, closes[bar], 0.0)
                    position, exit_at, previous = None, None, 0
                    self.orders.append(
                        [bar, side, math.nan, math.nan, bar, CANCELLED, -1, math.nan]
                    )
                elif kind == ON_CLOSE:
                    cash, shares, entry = self.fill(
                        run, bar, cash, shares, closes[bar], float(side), size
                    )
                    position = Position(float(side), entry, self.stops) if shares else None
                    exit_at = None
                    if held is not None and shares > 0.0:  # read from the next close on
                        exit_at = held[0](float(side), bar, entry)
                    if side:
                        done = (FILLED, bar, entry) if shares else (CANCELLED, -1, math.nan)
                        self.orders.append([bar, side, math.nan, math.nan, bar, *done])
                else:
                    close_next = shares != 0.0
                    if side:
                        limit, stop = order_prices(kind, limits[bar], stops[bar])
                        order = [bar, side, limit, stop, bar + self.valid, PENDING, -1, math.nan]
                        self.orders.append(order)
                        triggered, order_size = False, size
                        if not usable(kind, limit, stop) or not (size is None or size > 0.0):
                            order[5], order, previous = CANCELLED, None, 0
            if borrow or ledger is not None:  # the short held at this close pays its fee
                charge = borrow_charge(shares, closes[bar], borrow)
                cash -= charge
                if ledger is not None:
                    cash, shares = ledger.at_close(bar, cash, shares, self.rows)
                    shares_path.append(shares)
                cash_path.append(cash)
                charges.append(charge)
        if borrow or ledger is not None:
            self.cash_paths.append(cash_path)
            self.charges.append(charges)
            self.positions.append(shares_path)

    def equity(self, kind: int, cash: float, shares: float, close: float) -> float:
        """The equity at a signal bar's close, what its size series reads: cash + position
        × close, less the borrow fee the short held pays at that close (not on an
        ``on_close`` bar: the position is closed at that close, before the fee)."""
        return signal_equity(cash, shares, close, self.costs.borrow, kind == ON_CLOSE)
