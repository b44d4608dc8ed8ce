"""The Python units walk of engine 1.x (``engine._scaling._Walk`` as it was before the
broker's compiled step took every units run), kept ONLY as the test-only reference of
tests/engine/test_engine_broker_step.py: the frozen legacy copy (``tests.engine.
legacy_engine``) cannot serve for the order types added since (market-if-touched) nor for
the settled borrow convention (docs/execution.md, "Short borrow fee"). ``scale_events``
walks every run in Python and returns ``engine._simulate.Events`` whose ``units`` are unit
tables (``engine._scaling.unit_trades`` reads them).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from engine import _simulate as sim
from engine.broker.costs import (
    Costs,
    affordable,
    borrow_charge,
    order_fee,
    signal_equity,
    sized,
)
from engine.broker.orders import (
    CANCELLED,
    EXPIRED,
    FILLED,
    MARKET,
    ON_CLOSE,
    ORDER_FIELDS,
    PENDING,
    Orders,
    fill_bar_stop,
    order_code,
    order_price,
    order_prices,
    usable,
)
from engine.broker.stops import SIGNAL, TAKE_PROFIT, Position, Stops
from engine.corporate import (
    DELISTED,
    DELISTING,
    DIVIDEND,
    SPLIT,
    Applied,
    CorporateActions,
    split_holding,
)
from engine.params import TradingParams
from engine.result import EXIT_REASONS

CLOSED_AT_END = "closed_at_end"
"""The reason of a unit closed at the last bar's open (``close_at_end``)."""

LIQUIDATION = EXIT_REASONS.index("liquidation")
"""The exit-reason code of the units closed when the equity reaches zero."""


@dataclass(eq=False)
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
    dividends: float = 0.0
    """The dividends the unit's shares received while held."""
    in_lieu: float = 0.0
    """The PnL of the fractions of its shares a split settled in cash: (the ex-bar's open −
    the entry price after the split) × the fraction (``engine.corporate.adjust_trades``)."""
    side: float = 1.0
    """+1 a long unit, -1 a short one (``longshort``)."""
    borrow: float = 0.0
    """The borrow fee a short unit paid at the closes it was held."""
    stop: Position | None = dataclasses.field(default=None, repr=False)
    """The unit's stop levels (``engine.broker.stops.Position``) while it is held; None:
    no stop is set, or the unit is a closed part."""


def scale_events(
    entries: np.ndarray,
    exits: np.ndarray,
    ohlc: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    params: TradingParams,
    sizes: Sequence[sim.Sizer] | None = None,
    position_exits: Sequence[sim.PositionExit | None] | None = None,
    actions: CorporateActions | None = None,
    order_prices: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[sim.Events, Orders | None]:
    """The fills of N runs with ``params.max_entries``, ``params.exit_fraction`` and
    ``params.take_profit_fraction`` over the bars' (open, high, low, close); their ``units``
    hold, per run, its units (closed parts, then the open rests). ``sizes[i]``
    (``engine._simulate.Sizer``, with ``params.size_unit``): run i's size series, read on
    each signal bar that adds a unit. ``position_exits[i]`` (``engine._simulate.
    PositionExit``, or None): run i's exit while its long is open, in place of its row of
    ``exits``, told of the long's first fill and of each change of its units' average
    entry price (``reprice``). ``actions`` (``engine.corporate.CorporateActions``): the
    splits, dividends and delisting acting on every unit; the cash and shares at every close
    are kept then (``Events.cash_path``, ``Events.position_path``) with the events that met
    a long (``Events.applied``). ``order_prices`` (the ``limit`` and ``stop`` series, N ×
    T, of ``params.entry_type`` limit, stop or stop_limit): each unit is opened by an
    entry order (``engine.orders``), and the orders are returned too (else None)."""
    if (sizes is None) != (params.size_unit is None):
        raise ValueError("a size series goes with params.size_unit, and only with it")
    costs, stops = Costs.of(params), Stops.of(params)
    prices = tuple(column.tolist() for column in ohlc)
    rows: list[tuple] = []
    units: list[list[Unit]] = []
    counts = np.zeros(entries.shape[0], dtype=np.int64)
    applied = None if actions is None else Applied()
    paths: list[tuple[list[float], list[float]]] = []
    orders: list[list] = []
    order_counts = np.zeros(entries.shape[0], dtype=np.int64)
    for i in range(entries.shape[0]):
        before = len(rows)
        walk = _Walk(i, prices, params, costs, stops, rows)
        walk.sizer = None if sizes is None else sizes[i]
        walk.exit_of = None if position_exits is None else position_exits[i]
        if actions is not None and applied is not None:
            walk.actions = _Actions(actions, applied)
        walk.paths = ([], []) if actions is not None or costs.borrow else None
        if order_prices is not None:
            walk.order_prices = (order_prices[0][i].tolist(), order_prices[1][i].tolist())
        units.append(_unit_table(walk.run(entries[i].tolist(), exits[i].tolist())))
        counts[i] = len(rows) - before
        orders.extend(walk.orders)
        order_counts[i] = len(walk.orders)
        if walk.paths is not None:
            paths.append(walk.paths)
    placed = None if order_prices is None else orders_of(orders, order_counts)
    if not paths:
        return dataclasses.replace(events_of_rows(rows, counts), units=units), placed

    def per_bar(part: int) -> np.ndarray:
        return np.array([path[part] for path in paths], dtype=np.float64)

    events = events_of_rows(rows, counts, cash_path=per_bar(0))
    events = dataclasses.replace(events, position_path=per_bar(1), applied=applied, units=units)
    return events, placed


class _Actions:
    """One run's corporate actions during its units walk."""

    def __init__(self, actions: CorporateActions, applied: Applied) -> None:
        self.split, self.dividend = actions.columns
        self.delisting = actions.delisting
        self.applied = applied


class _Walk:
    """One run's units walked bar by bar, appending its fills to ``rows`` as (run, bar,
    *``engine._simulate`` event fields, reason) tuples."""

    def __init__(
        self,
        run: int,
        prices: tuple[list[float], list[float], list[float], list[float]],
        params: TradingParams,
        costs: Costs,
        stops: Stops,
        rows: list,
    ) -> None:
        self.run_index = run
        self.opens, self.highs, self.lows, self.closes = prices
        self.params, self.c, self.stops, self.rows = params, costs, stops, rows
        self.stopped = params.has_stops
        self.cash, self.shares = costs.initial_capital, 0.0
        self.held: list[Unit] = []
        self.done: list[Unit] = []
        self.sizer: sim.Sizer | None = None
        """The run's size series (None: ``position_size`` and ``size_type``)."""
        self.size = math.nan
        """The size series' value on the signal bar of the unit pending."""
        self.exit_of: sim.PositionExit | None = None
        """The run's position-aware exit (None: its exits are signals only)."""
        self.exit_at: Callable[[int], bool] | None = None
        """The exit of the long held, from its first unit's fill (``exit_of``)."""
        self.entry = math.nan
        """The units' share-weighted average entry price the exit was last told of."""
        self.actions: _Actions | None = None
        """The run's corporate actions (None: its window holds none that meet a long)."""
        self.kind = order_code(params.entry_type)
        self.order_prices: tuple[list[float], list[float]] | None = None
        """Each bar's limit and stop prices of an entry order (None: market entries)."""
        self.orders: list[list] = []
        """The run's entry orders, as ``engine.broker.orders.ORDER_FIELDS`` lists."""
        self.order: list | None = None
        """The entry order pending (one at a time), or None."""
        self.triggered = False
        """Whether the pending stop-limit order's stop was touched on an earlier bar."""
        self.paths: tuple[list[float], list[float]] | None = None
        """The cash and shares at every close, kept when they move between fills (corporate
        actions, a borrow fee); None: not kept."""
        self.longshort = params.direction == "longshort"
        self.exit_first = params.exit_priority
        """A bar whose entry and exit both hold: the exit while long units are held, the
        entry otherwise (False: ignored)."""
        self.bust = False
        """Whether the run's equity reached zero (its units liquidated; no more trading)."""

    def run(self, entries: list[bool], exits: list[bool]) -> list[Unit]:
        """Walk the bars; return the run's units."""
        opens, c, held = self.opens, self.c, self.held
        last = len(opens) - 1
        pending = 0
        acts = self.actions
        for bar in range(last + 1):
            if self.bust:  # liquidated: nothing more trades
                self._keep(bar)
                continue
            if acts is not None:
                if held:
                    self._events_at_open(bar, acts)
                ratio = acts.split[bar]
                if self.order is not None and ratio != 1.0:  # prices in new shares
                    self.order[2], self.order[3] = self.order[2] / ratio, self.order[3] / ratio
            if pending:
                self._at_open(bar, pending)
            pending = 0
            fresh = self._fill_order(bar) if self.order is not None else None
            if self.stopped and held:
                self._check_stops(bar, fresh)
            exit_now = exits[bar]
            if self.exit_of is not None:
                exit_now = self._position_exit(bar, exit_now)
            if bar < last and entries[bar] != exit_now:
                pending = self._signal(bar, 1 if entries[bar] else -1)
            elif bar < last and entries[bar] and self.exit_first:  # both hold
                pending = self._signal(bar, -1 if held and held[0].side > 0 else 1)
            if c.borrow and self.shares < 0.0:  # after the close's fills (``on_close``)
                self._charge_borrow(bar)
            if acts is not None and bar == last and acts.delisting is not None and held:
                self._delist(bar, acts)
            if self.shares < 0.0 and self.cash + self.shares * self.closes[bar] <= 0.0:
                self._liquidate(bar)
            self._keep(bar)
        if c.close_at_end and held and last >= 0:
            side = held[0].side
            price = opens[last] * (1.0 - side * c.slip)
            sold, fees = 0.0, 0.0
            for unit in list(held):
                sold += side * unit.size
                fees += self._close(unit, unit.size, last, price, CLOSED_AT_END)
            self._record(last, sold, price, fees, SIGNAL)
            if self.paths is not None:  # the last close holds the cash after these orders
                self.paths[0][-1], self.paths[1][-1] = self.cash, self.shares
        return self.done + held

    def _signal(self, bar: int, side: int) -> int:
        """What the signal for ``side`` (+1 an entry, -1 an exit) on ``bar``'s close asks
        for: it cancels an entry order pending for the other side; against the units held,
        a sale of ``exit_fraction`` of each (``_against``); else a unit of ``side`` while
        fewer than ``max_entries`` are held (a short only in ``longshort``), by a market
        order, at this close (``on_close``) or by an entry order when none is pending.
        Returns the side of the market order at the next open (0: none)."""
        held, order = self.held, self.order
        opens_side = side > 0 or self.longshort
        if order is not None and order[1] != side:
            order[5], self.order = CANCELLED, None
        if held and held[0].side == -side:
            return self._against(bar, side, opens_side)
        if not opens_side or len(held) >= self.params.max_entries:
            return 0
        if self.kind not in (MARKET, ON_CLOSE) and self.order is not None:
            return 0  # one order pending at a time, with its signal bar's size
        self._read_size(bar)
        if self.kind == MARKET:
            return side
        if self.kind == ON_CLOSE:
            self._buy_on_close(bar, side)
        else:
            self._place(bar, side)
        return 0

    def _against(self, bar: int, side: int, opens_side: bool) -> int:
        """A signal for ``side`` against the units held: ``exit_fraction`` of each closed
        at the next open (at this close with ``on_close``) and, in ``longshort``, a unit of
        ``side`` once none is left: at that open by a market order, at this close with
        ``on_close``, else by an entry order placed now when the sale will leave none."""
        if opens_side:
            self._read_size(bar)
        if self.kind == ON_CLOSE:
            self._sell_part(bar, self.closes[bar])
            if not self.held and opens_side:
                self._buy_on_close(bar, side)
            return 0
        if self.kind != MARKET and opens_side:
            fraction = self.params.exit_fraction
            if all(_part(unit.size, fraction) >= unit.size for unit in self.held):
                self._place(bar, side)
        return side

    def _read_size(self, bar: int) -> None:
        """The size series' value on ``bar``'s close (with the equity then, less the borrow
        fee the shorts held pay at that close: ``engine.broker.costs.signal_equity``), for
        the unit its signal opens."""
        if self.sizer is not None:
            equity = signal_equity(
                self.cash, self.shares, self.closes[bar], self.c.borrow, self.kind == ON_CLOSE
            )
            self.size = self.sizer(bar, equity)

    def _at_open(self, bar: int, side: int) -> None:
        """The market order a signal for ``side`` asked for, at ``bar``'s open: the sale
        of part of each unit of the other side, then (market entries) a unit of ``side``
        when none of the other is left (a short only in ``longshort``) and fewer than
        ``max_entries`` are held."""
        held, at = self.held, self.opens[bar]
        if held and held[0].side == -side:
            self._sell_part(bar, at)
        if self.kind != MARKET or (held and held[0].side != side):
            return
        if (side > 0 or self.longshort) and len(held) < self.params.max_entries:
            self._buy(bar, at, self.size, float(side))

    def _charge_borrow(self, bar: int) -> None:
        """The short units' borrow fee at ``bar``'s close (docs/execution.md, "Short borrow
        fee"): |shares| × close × rate / bars a year from the cash, each unit's share kept
        with it."""
        close, rate = self.closes[bar], self.c.borrow
        self.cash -= borrow_charge(self.shares, close, rate)
        for unit in self.held:
            unit.borrow += unit.size * close * rate

    def _liquidate(self, bar: int) -> None:
        """The equity reached zero at ``bar``'s close (only shorts can): every unit closed
        at that close paying its fee, no slippage (``liquidation``); the run trades no more."""
        price, before, fees = self.closes[bar], self.shares, 0.0
        for unit in list(self.held):
            fees += self._close(unit, unit.size, bar, price, "liquidation")
        self._record(bar, before, price, fees, LIQUIDATION)
        self.bust = True

    def _keep(self, bar: int) -> None:
        """Keep the cash and shares at ``bar``'s close (when they are kept)."""
        if self.paths is not None:
            self.paths[0].append(self.cash)
            self.paths[1].append(self.shares)

    def _events_at_open(self, bar: int, acts: _Actions) -> None:
        """The split then the dividend of ``bar`` acting on the units held over the previous
        close (docs/execution.md, "Scaling in and out"): each unit of n shares becomes
        floor(n × r), its fraction paid in cash at the open (``engine.corporate.
        split_holding``), its entry price and stop levels divided by r; a unit left without
        a whole share is closed by that cash; a dividend d pays every share held d."""
        ratio, amount = acts.split[bar], acts.dividend[bar]
        if ratio != 1.0:
            price, before, paid = self.opens[bar], self.shares, 0.0
            for unit in list(self.held):
                after, in_lieu = split_holding(unit.side * unit.size, ratio, price)
                after = abs(after)
                paid += in_lieu
                fraction = max(unit.size * ratio - after, 0.0)
                unit.entry_price /= ratio
                unit.in_lieu += unit.side * fraction * (price - unit.entry_price)
                unit.size = after
                if unit.stop is not None:
                    unit.stop.split(ratio)
                if not after:  # settled whole in cash: a trade of no shares left
                    self.held.remove(unit)
                    unit.exit_bar, unit.exit_price = bar, price
                    self.done.append(unit)
            self.cash += paid
            self.shares = sum(unit.side * unit.size for unit in self.held)
            acts.applied.add(self.run_index, bar, SPLIT, ratio, before, self.shares, paid, price)
        if amount and self.shares:
            for unit in self.held:
                unit.dividends += unit.side * unit.size * amount
            paid = self.shares * amount
            self.cash += paid
            acts.applied.add(
                self.run_index, bar, DIVIDEND, amount, self.shares, self.shares, paid, 0.0
            )

    def _delist(self, bar: int, acts: _Actions) -> None:
        """A delisting at the last bar's close: every unit closed at its cash per share,
        without slippage or fee (exit reason ``delisted``)."""
        price = acts.delisting
        assert price is not None
        before = self.shares
        for unit in list(self.held):
            self._close(unit, unit.size, bar, price, EXIT_REASONS[DELISTED], fee=False)
        proceeds = before * price
        acts.applied.add(self.run_index, bar, DELISTING, price, before, 0.0, proceeds, 0.0)
        self._record(bar, before, price, 0.0, DELISTED)

    def _position_exit(self, bar: int, outside: bool) -> bool:
        """The exit on ``bar``'s close, after its fills and stops (docs/execution.md,
        "Scaling in and out"): while units are held, the position-aware exit of the long
        opened by the first of them, priced at their share-weighted average entry; else
        ``outside`` (the exit outside a long)."""
        held = self.held
        if not held or held[0].side < 0:  # the names describe a long
            self.exit_at = None
            return outside
        if len(held) == 1:
            entry = held[0].entry_price
        else:
            entry = sum(u.size * u.entry_price for u in held) / sum(u.size for u in held)
        if self.exit_at is None:
            assert self.exit_of is not None
            self.exit_at = self.exit_of(1.0, min(u.entry_bar for u in held), entry)
        elif entry != self.entry:
            self.exit_at.reprice(bar, entry)  # type: ignore[attr-defined]
        self.entry = entry
        return bool(self.exit_at(bar))

    def _place(self, bar: int, side: int) -> None:
        """Place the entry order of a unit of ``side`` at ``bar``'s close, priced from that
        bar's limit and stop series and good for ``valid_bars`` bars; cancelled at once when
        a price it needs (or the size series' value) is undefined or not above 0."""
        assert self.order_prices is not None
        kind = self.kind
        limit, stop = order_prices(kind, self.order_prices[0][bar], self.order_prices[1][bar])
        order = [bar, side, limit, stop, bar + self.params.valid_bars, PENDING, -1, math.nan]
        self.orders.append(order)
        self.order, self.triggered = order, False
        if not usable(kind, limit, stop) or (self.sizer is not None and not self.size > 0.0):
            order[5], self.order = CANCELLED, None

    def _buy_on_close(self, bar: int, side: int) -> None:
        """An ``on_close`` order's unit of ``side``, filled at ``bar``'s close (its signal
        bar) and recorded as an order: ``cancelled`` when it buys no share."""
        unit = self._buy(bar, self.closes[bar], self.size, float(side))
        done = [FILLED, bar, unit.entry_price] if unit else [CANCELLED, -1, math.nan]
        self.orders.append([bar, side, math.nan, math.nan, bar, *done])

    def _fill_order(self, bar: int) -> Unit | None:
        """The pending entry order against ``bar``'s range (``engine.orders.order_price``):
        the unit it opens (None: it did not fill, expired at its last bar, or was cancelled
        because the cash buys no share)."""
        order = self.order
        assert order is not None
        side = float(order[1])
        if self.held and self.held[0].side != side:  # the other side still held
            order[5], self.order = CANCELLED, None
            return None
        o, h, lo, c = self.opens[bar], self.highs[bar], self.lows[bar], self.closes[bar]
        price, self.triggered = order_price(
            self.kind, side, order[2], order[3], self.triggered, o, h, lo, c
        )
        if price == price:  # not NaN: the order fills
            unit = self._buy(bar, price, self.size, side)
            order[5:] = [FILLED, bar, unit.entry_price] if unit else [CANCELLED, -1, math.nan]
            self.order = None
            return unit
        if bar == order[4]:
            order[5], self.order = EXPIRED, None
        return None

    def _buy(self, bar: int, at: float, size: float, side: float = 1.0) -> Unit | None:
        """Open a unit of ``side`` (a short: sold) at price ``at`` (slippage against it),
        sized from the free cash then, or by the size series' value on its signal bar
        ``size`` (a fraction of the equity at that price, held units marked there, at most
        the free cash; or shares); none when it cannot buy one share. The free cash is the
        cash, less twice the shorts' value at ``at`` (what a short sale's proceeds and the
        margin it ties up take: the equity less the shorts' value)."""
        c = self.c
        price = at * (1.0 + side * c.slip)
        free = self.cash if self.shares >= 0.0 else self.cash + 2.0 * self.shares * at
        if self.sizer is not None:
            equity = self.cash + self.shares * at
            qty = sized(size, free, price, equity, c.by_fraction, c.max_size, c.floats)
        else:
            budget = min(c.position_size, free) if c.by_value else free * c.fraction
            qty = affordable(budget, price, c.floats) if free > 0.0 else 0.0
        if qty <= 0:
            return None
        fee = order_fee(qty, price, c.floats)
        self.cash = self.cash - side * qty * price - fee
        self.shares += side * qty
        stop = Position(side, price, self.stops) if self.stopped else None
        unit = Unit(bar, price, qty, fee, side=side, stop=stop)
        self.held.append(unit)
        opened = side * qty
        self.rows.append(
            (
                self.run_index,
                bar,
                0.0,
                0.0,
                0.0,
                opened,
                price,
                fee,
                self.cash,
                self.shares,
                SIGNAL,
            )
        )
        return unit

    def _sell_part(self, bar: int, at: float) -> None:
        """An exit signal's sale at price ``at`` (``bar``'s open, or its close with
        ``on_close`` orders; slippage taken off): max(1, round(n × ``exit_fraction``))
        shares of each unit of n, each its own order."""
        side = self.held[0].side
        price = at * (1.0 - side * self.c.slip)
        fraction = self.params.exit_fraction
        sold = fees = 0.0
        for unit in list(self.held):
            qty = unit.size if fraction == 1.0 else _part(unit.size, fraction)
            sold += side * qty
            fees += self._close(unit, qty, bar, price, "signal")
        self._record(bar, sold, price, fees, SIGNAL)

    def _check_stops(self, bar: int, fresh: Unit | None = None) -> None:
        """Each unit's stops against the bar's range (docs/execution.md, "Stops"): a unit
        whose stop is hit is sold whole at the stop's fill, its own order; with
        ``take_profit_fraction`` f below 1 a take-profit sells max(1, round(n × f)) of its n
        shares, and the rest keeps its stop-loss and trailing level (ratcheted by this
        bar) without a take-profit. ``fresh``: the unit an entry order opened within this
        bar, checked as ``engine.orders.fill_bar_exit`` checks it (its stops start with the
        next bar, but a stop entry's take-profit when the bar went one way)."""
        opens, highs, lows = self.opens, self.highs, self.lows
        fraction = self.params.take_profit_fraction
        for unit in list(self.held):
            stop = unit.stop
            assert stop is not None
            if unit is fresh:
                hit = fill_bar_exit(self.kind, stop, opens[bar], highs[bar], lows[bar])
            else:
                hit = stop.exit(opens[bar], highs[bar], lows[bar])
            if hit is None:
                continue
            level, code = hit
            price = level * (1.0 - unit.side * self.c.slip)
            qty = unit.size
            if code == TAKE_PROFIT and fraction != 1.0:
                qty = _part(unit.size, fraction)
            rest = qty < unit.size
            fee = self._close(unit, qty, bar, price, EXIT_REASONS[code])
            self._record(bar, unit.side * qty, price, fee, code)
            if rest:
                stop.profit = math.inf
                if unit is not fresh:
                    stop.ratchet(highs[bar], lows[bar])

    def _close(
        self, unit: Unit, qty: float, bar: int, price: float, reason: str, fee: bool = True
    ) -> float:
        """Close ``qty`` shares of ``unit`` at ``price`` (sold, or bought back for a short;
        all of it: the unit is closed; fewer: the closed part becomes a closed unit with its
        share of the entry fee, the dividends, the cash in lieu and the borrow fee); returns
        the order's fee (none without ``fee``)."""
        paid = order_fee(qty, price, self.c.floats) if fee else 0.0
        self.cash = self.cash + unit.side * qty * price - paid
        self.shares -= unit.side * qty
        if qty == unit.size:
            self.held.remove(unit)
            closed = unit
        else:
            share = qty / unit.size
            part = unit.entry_fee * share
            closed = Unit(unit.entry_bar, unit.entry_price, qty, part, side=unit.side)
            closed.dividends, closed.in_lieu = unit.dividends * share, unit.in_lieu * share
            closed.borrow = unit.borrow * share
            unit.size -= qty
            unit.entry_fee -= part
            unit.dividends -= closed.dividends
            unit.in_lieu -= closed.in_lieu
            unit.borrow -= closed.borrow
        closed.exit_bar, closed.exit_price, closed.exit_fee = bar, price, paid
        closed.exit_reason = reason
        self.done.append(closed)
        return paid

    def _record(self, bar: int, sold: float, price: float, fees: float, reason: int) -> None:
        """One fill row for the sales of a bar's order (the position after it)."""
        self.rows.append(
            (self.run_index, bar, sold, price, fees, 0.0, 0.0, 0.0, self.cash, self.shares, reason)
        )


def _part(size: float, fraction: float) -> float:
    """The shares a fraction of a unit of ``size`` sells: max(1, round(size × fraction))
    (Python's round, halves to even: backtesting.py's ``trade.close(portion)``), at most
    the unit."""
    return float(min(size, max(1, round(size * fraction))))


(
    ENTRY_BAR,
    ENTRY_PRICE,
    SIZE,
    ENTRY_FEE,
    EXIT_BAR,
    EXIT_PRICE,
    EXIT_FEE,
    REASON,
    SIDE,
    UNIT_BORROW,
    DIVIDENDS,
    IN_LIEU,
) = range(12)
"""Columns of a unit table: the compiled step's first ten (``engine.broker.step``), then
the dividends and cash in lieu of the Python walk's units."""


def _unit_table(units: list[Unit]) -> np.ndarray:
    """The Python walk's units as a unit table (an open unit's exit bar -1)."""
    table = np.zeros((len(units), 12))
    for k, u in enumerate(units):
        table[k] = (
            u.entry_bar,
            u.entry_price,
            u.size,
            u.entry_fee,
            -1 if u.exit_bar is None else u.exit_bar,
            u.exit_price,
            u.exit_fee,
            EXIT_REASONS.index(u.exit_reason),
            u.side,
            u.borrow,
            u.dividends,
            u.in_lieu,
        )
    return table


# The engine's Python walks' helpers as they were before every walk went through the step.


def events_of_rows(
    rows: list[tuple],
    counts: np.ndarray,
    cash_path: np.ndarray | None = None,
    borrow: np.ndarray | None = None,
) -> sim.Events:
    """``sim.Events`` of fills walked as (run, bar, *``EVENT_FIELDS``, reason) tuples, run-major;
    ``counts`` holds each run's number of fills; ``cash_path`` and ``borrow`` the cash at
    every close and each borrow charge (N × T) of a walk that charged a borrow fee."""
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    columns = list(zip(*rows, strict=True)) if rows else [()] * 11
    fields = {
        name: np.array(col, dtype=np.float64)
        for name, col in zip(sim.EVENT_FIELDS, columns[2:10], strict=True)
    }
    return sim.Events(
        offsets=offsets,
        run=np.array(columns[0], dtype=np.int64),
        bar=np.array(columns[1], dtype=np.int64),
        reason=np.array(columns[10], dtype=np.int8),
        cash_path=cash_path,
        borrow=borrow,
        **fields,
    )


def fill_bar_exit(
    kind: int, position: Position, o: float, h: float, lo: float
) -> tuple[float, int] | None:
    """``fill_bar_stop`` of a ``Position``: (fill price, reason), or None."""
    price, reason = fill_bar_stop(
        kind, position.side, position.loss, position.profit, position.trail_level, o, h, lo
    )
    return None if price != price else (price, reason)


def orders_of(orders: list[list], counts: np.ndarray) -> Orders:
    """``Orders`` of orders walked as ``ORDER_FIELDS`` lists, run-major; ``counts`` holds
    each run's number of orders."""
    offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    columns = list(zip(*orders, strict=True)) if orders else [()] * 8
    kinds = (np.int64, np.float64, np.float64, np.float64, np.int64, np.int8, np.int64, np.float64)
    fields = {
        name: np.array(col, dtype=kind)
        for name, col, kind in zip(ORDER_FIELDS, columns, kinds, strict=True)
    }
    return Orders(offsets=offsets, **fields)
