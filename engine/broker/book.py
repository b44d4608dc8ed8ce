"""The order book of a Python strategy: backtesting.py 0.6's order semantics on the broker's
rules (docs/strategies.md, "Order semantics").

A Python strategy only *places* orders; this book fills them. Each bar ``step`` works the
pending orders against the bar (market, limit, stop, stop-limit; stop-loss and take-profit as
contingent orders of their trade; closes of a trade or part of it), FIFO-closes opposite trades
unless ``hedging``, records the equity and returns the ``state`` the strategy may read; the
strategy answers with ``decisions`` (new orders, cancels, closes, SL/TP changes) that ``apply``
validates and books. Both are plain JSON-able data, so the same boundary crosses the
sandbox's pipe. ``drive`` alternates the two for one run.

The arithmetic is the broker's: the touch and fill price of a pending order is
``engine.broker.orders.order_price``, the slipped entry price and the fee model are
``engine.broker.costs`` (``fill``, ``order_fee``). What is backtesting.py's own is the size
model (a fraction of the available margin at the bar's close, or whole units), the margin
account (cash moves by a trade's profit and its fees, not its notional) and the order in
which a bar's orders are worked.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from math import copysign

import numpy as np

from engine.broker.costs import Costs, borrow_charge, opening_price, order_fee
from engine.broker.deferred import Deferred
from engine.broker.orders import LIMIT, STOP, STOP_LIMIT, order_price
from engine.corporate import DELISTING, DIVIDEND, SPLIT, Applied, CorporateActions, split_holding

OPS = ("order", "cancel", "close", "sl", "tp")
"""The decisions a strategy may return, by their ``op``."""


def book_costs(
    cash: float,
    spread: float = 0.0,
    fee_rate: float = 0.0,
    *,
    fee_fixed: float = 0.0,
    fee_per_share: float = 0.0,
    fee_min: float = 0.0,
    fee_max: float = math.inf,
) -> Costs:
    """The broker's ``Costs`` of a book: ``spread`` is the slippage of an entry, and the fee
    model (rate, fixed, per share bounded by min and max) is the one every run has, its
    orders sized by the strategy (``Costs.sized_elsewhere``), not through
    ``Costs.of(TradingParams(...))``: a spread given as
    a fraction would pass through basis points and back, which need not give the same float
    (and backtesting.py's rebates, a negative rate, are not a request's)."""
    fees = {"fee_fixed": fee_fixed, "fee_per_share": fee_per_share, "fee_min": fee_min}
    return Costs.sized_elsewhere(cash, spread, fee_rate, fee_max=fee_max, **fees)


@dataclass(eq=False)
class Trade:
    """An open or closed trade; ``sl_order`` and ``tp_order`` are its contingent orders."""

    id: int
    size: float
    entry_price: float
    entry_bar: int
    tag: object = None
    exit_price: float | None = None
    exit_bar: int | None = None
    sl_order: Order | None = None
    tp_order: Order | None = None
    commissions: float = 0.0
    sl: float | None = None
    """The stop-loss level a closed trade had (its stats' ``SL``)."""
    tp: float | None = None
    carried: float = 0.0
    """What the trade's holding was paid (+) or charged (-) beside its price move: dividends,
    the short borrow fee and the PnL of a split's fraction settled in cash."""

    def as_dict(self) -> dict:
        """The trade as the strategy reads it."""
        return {
            "id": self.id,
            "size": self.size,
            "entry_price": self.entry_price,
            "entry_bar": self.entry_bar,
            "exit_price": self.exit_price,
            "exit_bar": self.exit_bar,
            "sl": self.sl_order.stop if self.sl_order else self.sl,
            "tp": self.tp_order.limit if self.tp_order else self.tp,
            "tag": self.tag,
            "commissions": self.commissions,
            "carried": self.carried,
        }


@dataclass(eq=False)
class Order:
    """A pending order; ``trade`` is set for a contingent SL/TP order or a trade's close."""

    id: int
    size: float
    limit: float | None = None
    stop: float | None = None
    sl: float | None = None
    tp: float | None = None
    tag: object = None
    trade: Trade | None = None

    @property
    def contingent(self) -> bool:
        trade = self.trade
        return bool(trade and (self is trade.sl_order or self is trade.tp_order))

    def as_dict(self) -> dict:
        """The order as the strategy reads it."""
        return {
            "id": self.id,
            "size": self.size,
            "limit": self.limit,
            "stop": self.stop,
            "sl": self.sl,
            "tp": self.tp,
            "tag": self.tag,
            "trade": self.trade.id if self.trade else None,
            "contingent": self.contingent,
        }


@dataclass
class Book:
    """The pending orders, open and closed trades and cash of one run over bars
    ``open``/``high``/``low``/``close``, with backtesting.py's ``Backtest`` settings."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    costs: Costs
    margin: float = 1.0
    trade_on_close: bool = False
    hedging: bool = False
    exclusive_orders: bool = False
    actions: CorporateActions | None = None
    """The ticker's splits, dividends and delisting acting on these bars
    (``data.adjust.window_actions``), applied to the open trades by ``engine.corporate``."""
    borrow: float = 0.0
    """The short borrow fee per bar (``borrow_rate`` / bars per year)."""
    cash: float = field(init=False)
    orders: list[Order] = field(init=False, default_factory=list)
    trades: list[Trade] = field(init=False, default_factory=list)
    closed: list[Trade] = field(init=False, default_factory=list)
    equity: np.ndarray = field(init=False)
    position: np.ndarray = field(init=False)
    """Units held after each bar's fills (0 before the strategy's first bar)."""
    bar: int = field(init=False, default=0)
    broke: bool = field(init=False, default=False)
    """Equity fell to 0 or below: every trade was closed and the run stops."""
    _next_trade: int = field(init=False, default=1)
    _next_own: int = field(init=False, default=-1)
    _reported: int = field(init=False, default=0)
    _acted: int = field(init=False, default=-1)
    _recorded: tuple[int, float] = field(init=False, default=(-1, 0.0))
    """The last bar ``advance`` worked and the equity it recorded there, as a float."""
    _shown: tuple[list[dict], list[dict]] | None = field(init=False, default=None)
    """The open trades and pending orders as the last state showed them (None: changed
    since)."""
    applied: Applied = field(init=False, default_factory=Applied)
    """The corporate actions that met a trade, one row a trade (``owner``: its id)."""

    def __post_init__(self) -> None:
        if not self.costs.initial_capital > 0:
            raise ValueError(f"cash: must be above 0, is {self.costs.initial_capital}")
        if not 0 < self.margin <= 1:
            raise ValueError(f"margin: must be in (0, 1], is {self.margin}")
        self.cash = self.costs.initial_capital
        self.leverage = 1.0 / self.margin
        self.equity = np.full(len(self.close), np.nan)
        self.position = np.zeros(len(self.close))
        # the closes as floats, read every bar (``advance``, ``engine.broker.deferred``)
        self.close_floats = self.close.astype(np.float64).tolist()

    # --- the account -------------------------------------------------------------------

    def fee(self, size: float, price: float) -> float:
        """The fee of an order of ``size`` units (either sign) at ``price``."""
        return order_fee(abs(size), price, self.costs.floats)

    @property
    def last_price(self) -> float:
        return self.close_floats[self.bar]

    def position_size(self) -> int:
        return sum([int(trade.size) for trade in self.trades])

    def holding(self) -> tuple[int, float]:
        """The units held (``position_size``) and what they were entered at (each trade's
        size × entry price, summed): a price × the first less the second is their open
        profit (``unrealized``; ``advance`` and ``advance_to`` value each bar by it). With
        one trade, ``sum``'s own operations written out (0 + the term); with none, 0 and 0."""
        trades = self.trades
        if len(trades) == 1:
            trade = trades[0]
            return 0 + int(trade.size), 0 + trade.size * trade.entry_price
        if not trades:
            return 0, 0
        return (
            sum([int(trade.size) for trade in trades]),
            sum([trade.size * trade.entry_price for trade in trades]),
        )

    def unrealized(self) -> float:
        size, entered = self.holding()
        return self.last_price * size - entered

    def account_equity(self) -> float:
        return self.cash + self.unrealized()

    def margin_available(self) -> float:
        used = sum(abs(trade.size) * self.last_price / self.leverage for trade in self.trades)
        return max(0.0, self.account_equity() - used)

    def entry_price(self, price: float, size: float) -> float:
        """``price`` slipped against an order of ``size``: the open side of ``costs.fill``."""
        side = 1.0 if size > 0 else -1.0
        return opening_price(price, side, self.costs.floats)

    # --- one bar -----------------------------------------------------------------------

    def step(self, bar: int) -> dict:
        """Work the pending orders against ``bar``, record its equity and return the state
        the strategy reads at its close."""
        self.advance(bar)
        return self.state()

    def advance(self, bar: int) -> None:
        """``step`` without the state: what a replay of logged decisions needs
        (``kinds.strategies.replayed``)."""
        first = bar != self._acted  # ``finish`` works the last bar again: once only
        self.bar = self._acted = bar
        if first and self.actions is not None and (self.trades or self.orders):
            self._shown = None
            self._at_open(bar)
        if self.orders:  # most bars: nothing to work, no prices to read
            self._shown = None
            self._process_orders()
        if first and self.borrow:
            self._charge_borrow()
        if first and self.actions is not None and bar == len(self.close) - 1:
            self._shown = None
            self._delist(bar)
        price = self.close_floats[bar]
        size, entered = self.holding()  # ``account_equity`` and ``position_size`` at once
        equity = self.cash + (price * size - entered)
        self.equity[bar] = equity
        if equity <= 0:
            self._shown = None
            for trade in list(self.trades):
                self._close_trade(trade, price, bar)
            self.cash = 0.0
            self.equity[bar:] = 0.0
            self.broke = True
            size = self.position_size()
            equity = 0.0
        self.position[bar] = size
        self._recorded = (bar, equity)

    def advance_to(self, bar: int, end: int) -> None:
        """``advance`` of each bar from ``bar`` up to ``end`` (excluded), none of them given a
        decision (a replay's bars between two decisions,
        ``engine.broker.decision_log.Replay``); stops on the bar the book goes broke. Bars on
        which nothing can act — no order pending, no corporate action that bar, no borrow fee
        on a trade held — only record the equity and the position: their run is written at once,
        each bar's equity by the same operations as ``advance``'s, in the same order (float64
        arithmetic on each element, as on each float), so bit for bit the same."""
        while bar < end and not self.broke:
            quiet = min(end, self.acting_from(bar))
            if quiet == bar:
                self.advance(bar)
                bar += 1
                continue
            size, entered = self.holding()
            equity = self.cash + (self.close[bar:quiet] * size - entered)
            below = np.flatnonzero(equity <= 0)
            stop = quiet if not below.size else bar + int(below[0])
            self.equity[bar:stop] = equity[: stop - bar]
            self.position[bar:stop] = size
            if stop > bar:
                self.bar = self._acted = stop - 1
            if stop < quiet:  # the bar it goes broke on: ``advance`` closes every trade
                self.advance(stop)
                stop += 1
            bar = stop

    def acting_from(self, bar: int) -> int:
        """The first bar from ``bar`` on which more than the close may act on the book:
        ``bar`` itself while an order is pending, a borrow fee is charged on a trade held or
        the book is broke; else the next bar a corporate action may act on, or the end. The
        bars before it only record the equity and the position (``advance_to``,
        ``engine.broker.deferred.Deferred``)."""
        if self.orders or self.broke or (self.borrow and self.trades):
            return bar
        events = self._event_bars
        return len(self.close) if events is None else int(events[events.searchsorted(bar)])

    @cached_property
    def _event_bars(self) -> np.ndarray | None:
        """The bars a corporate action may act on (a split, a dividend, the last bar when
        delisted), then the bar past the last: None without corporate actions."""
        if self.actions is None:
            return None
        split, dividend = self.actions.split, self.actions.dividend
        acting = (split != 1.0) | (dividend != 0.0)
        if self.actions.delisting is not None:
            acting[-1] = True
        return np.append(np.flatnonzero(acting), len(self.close))

    def state(self) -> dict:
        """What the strategy may read at the close of the bar ``step`` last worked: its
        equity, open trades, trades closed since the last state, and pending orders (plain
        data). While nothing changed the open trades and pending orders (no order worked, no
        decision booked, no corporate action, borrow fee or bust), their lists are the very
        ones the last state showed, so that a reader may skip reading them again
        (``backtest_strategy.host.Host``)."""
        closed, reported = self.closed, self._reported
        if len(closed) > reported:
            shown = [trade.as_dict() for trade in closed[reported:]]
            self._reported = len(closed)
        else:  # most bars close nothing
            shown = []
        held = self._shown
        if held is None:
            held = self._shown = (
                [trade.as_dict() for trade in self.trades],
                [order.as_dict() for order in self.orders] if self.orders else [],
            )
        recorded_bar, equity = self._recorded  # ``advance``'s, as a float
        if recorded_bar != self.bar:
            equity = float(self.equity[self.bar])
        return {
            "bar": self.bar,
            "equity": equity,  # recorded by ``step`` a moment ago
            "trades": held[0],
            "closed": shown,
            "orders": held[1],
        }

    def finish(self) -> None:
        """backtesting.py's ``finalize_trades``: close every open trade (last first) and work
        the last bar's orders once more."""
        self._shown = None
        for trade in reversed(self.trades):
            self._close_order(trade, 1.0)
        self.step(self.bar)

    # --- corporate actions and the borrow fee ------------------------------------------

    def _at_open(self, bar: int) -> None:
        """The split then the dividend of ``bar`` on each trade held over the previous close
        (docs/execution.md, "Corporate actions on a position"), trade by trade as the step
        splits units: ``engine.corporate.split_holding`` gives the shares and the cash in
        lieu; in this margin account the fraction sold at the open books its profit over
        the split entry price. A split divides the entry price, the trade's SL/TP and a
        pending order's limit and stop by its ratio."""
        assert self.actions is not None
        split, dividend = self.actions.columns
        ratio, amount, price = split[bar], dividend[bar], float(self.open[bar])
        if ratio != 1.0:
            for trade in self.trades:
                before = trade.size
                after, in_lieu = split_holding(before, ratio, price)
                trade.entry_price /= ratio
                fraction = copysign(max(abs(before) * ratio - abs(after), 0.0), before)
                profit = fraction * (price - trade.entry_price)  # the fraction sold at the open
                self.cash += profit
                trade.carried += profit
                trade.size = int(after)
                self.applied.add(trade.id, bar, SPLIT, ratio, before, after, in_lieu, price)
            for order in self.orders:
                order.limit = order.limit / ratio if order.limit else order.limit
                order.stop = order.stop / ratio if order.stop else order.stop
                if order.contingent:
                    order.size = -order.trade.size  # type: ignore[union-attr]
                elif order.trade is not None:  # a close of part of a trade, in its shares
                    order.size = copysign(max(1, round(abs(order.size) * ratio)), order.size)
                else:
                    order.sl = order.sl / ratio if order.sl else order.sl
                    order.tp = order.tp / ratio if order.tp else order.tp
            for trade in [t for t in self.trades if not t.size]:
                self._close_trade(trade, price, bar, fee=False)  # split to less than a share
        if amount:
            for trade in self.trades:
                paid = trade.size * amount
                self.cash += paid
                trade.carried += paid
                self.applied.add(trade.id, bar, DIVIDEND, amount, trade.size, trade.size, paid, 0.0)

    def _charge_borrow(self) -> None:
        """Each short trade held at this close pays ``engine.broker.costs.borrow_charge``."""
        close = self.last_price
        for trade in self.trades:
            charge = borrow_charge(trade.size, close, self.borrow)
            if charge:  # a short's (a long pays none: its trade is unchanged)
                self._shown = None
            self.cash -= charge
            trade.carried -= charge

    def _delist(self, bar: int) -> None:
        """A delisting closes every trade at the last close at its cash per share, without
        slippage or fee."""
        assert self.actions is not None
        price = self.actions.delisting
        if price is None:
            return
        for trade in list(self.trades):
            size = trade.size
            self._close_trade(trade, price, bar, fee=False)
            self.applied.add(trade.id, bar, DELISTING, price, size, 0.0, size * price, 0.0)

    def _process_orders(self) -> None:
        if not self.orders:  # most bars: nothing to work, no prices to read
            return
        i = self.bar
        o, h, lo, c = (float(a[i]) for a in (self.open, self.high, self.low, self.close))
        prev_close = float(self.close[i - 1])
        reprocess = False
        for order in list(self.orders):
            if order not in self.orders:
                continue  # a contingent order removed with its trade this bar
            stop_price, limit, long = order.stop, order.limit, order.size > 0
            side = 1.0 if long else -1.0
            contingent = order.contingent
            if stop_price or limit:
                kind = (STOP_LIMIT if limit else STOP) if stop_price else LIMIT
                at = prev_close if self.trade_on_close and not contingent and not limit else o
                price, touched = order_price(
                    kind, side, limit or math.nan, stop_price or math.nan, False, at, h, lo, c
                )
                if stop_price and touched:
                    order.stop = None  # a touched stop order is a market or limit order now
                if price != price:
                    continue
            else:
                price = prev_close if self.trade_on_close and not contingent else o
            market = not limit and not stop_price
            when = i - 1 if market and self.trade_on_close and not contingent else i

            if order.trade:
                trade = order.trade
                size = copysign(min(abs(trade.size), abs(order.size)), order.size)
                if trade in self.trades:
                    if order is trade.sl_order:
                        order.stop = stop_price  # the trade's stats keep the SL that filled
                    self._reduce_trade(trade, price, size, when)
                if not contingent:
                    self.orders.remove(order)  # a close order, done
                continue

            entry = self.entry_price(price, order.size)
            per_unit = entry + self.fee(order.size, price) / abs(order.size)
            size = order.size
            if -1 < size < 1:
                size = copysign(
                    int((self.margin_available() * self.leverage * abs(size)) // per_unit), size
                )
                if not size:
                    self.orders.remove(order)  # not enough margin for one unit: cancelled
                    continue
            need = int(size)
            if not self.hedging:
                for trade in list(self.trades):
                    if (trade.size > 0) == long:
                        continue
                    if abs(need) >= abs(trade.size):
                        self._close_trade(trade, price, when)
                        need += trade.size
                    else:
                        self._reduce_trade(trade, price, need, when)
                        need = 0
                    if not need:
                        break
            if abs(need) * per_unit > self.margin_available() * self.leverage:
                self.orders.remove(order)  # not enough margin: cancelled
                continue
            if need:
                self._open_trade(entry, need, order.sl, order.tp, when, order.tag)
                if order.sl or order.tp:
                    if market:
                        reprocess = True  # its SL/TP may act on this very bar
                    elif (
                        stop_price
                        and not limit
                        and order.tp
                        and (
                            (long and order.tp <= h and (order.sl or -math.inf) < lo)
                            or (not long and order.tp >= lo and (order.sl or math.inf) > h)
                        )
                    ):
                        reprocess = True  # a stop entry whose TP the bar went on to reach
            self.orders.remove(order)
        if reprocess:
            self._process_orders()

    def _reduce_trade(self, trade: Trade, price: float, size: float, when: int) -> None:
        left = trade.size + size
        if not left:
            closing = trade
        else:
            trade.size = left
            if trade.sl_order:
                trade.sl_order.size = -left
            if trade.tp_order:
                trade.tp_order.size = -left
            closing = Trade(self._trade_id(), -size, trade.entry_price, trade.entry_bar, trade.tag)
            self.trades.append(closing)
        self._close_trade(closing, price, when)

    def _close_trade(self, trade: Trade, price: float, when: int, fee: bool = True) -> None:
        self.trades.remove(trade)
        for order in (trade.sl_order, trade.tp_order):
            if order:
                self.orders.remove(order)
        trade.sl = trade.sl_order.stop if trade.sl_order else None
        trade.tp = trade.tp_order.limit if trade.tp_order else None
        trade.sl_order = trade.tp_order = None
        trade.exit_price, trade.exit_bar = price, when
        self.closed.append(trade)
        paid = self.fee(trade.size, price) if fee else 0.0
        self.cash += trade.size * (price - trade.entry_price) - paid
        trade.commissions = paid + self.fee(trade.size, trade.entry_price)

    def _open_trade(
        self,
        price: float,
        size: int,
        sl: float | None,
        tp: float | None,
        when: int,
        tag: object,
    ) -> None:
        trade = Trade(self._trade_id(), size, price, when, tag)
        self.trades.append(trade)
        self.cash -= self.fee(size, price)
        if tp:
            self._set_contingent(trade, "tp", tp)
        if sl:
            self._set_contingent(trade, "sl", sl)

    def _trade_id(self) -> int:
        self._next_trade += 1
        return self._next_trade - 1

    def _own_id(self) -> int:
        self._next_own -= 1
        return self._next_own + 1

    # --- the strategy's decisions ------------------------------------------------------

    def apply(self, decisions: Sequence[dict]) -> None:
        """Book the strategy's ``decisions`` in their order; a malformed one raises
        ``ValueError`` naming its field."""
        if decisions:
            self._shown = None
        for n, decision in enumerate(decisions):
            if not isinstance(decision, dict) or decision.get("op") not in OPS:
                raise ValueError(f"decisions[{n}].op: must be one of {', '.join(OPS)}")
            getattr(self, "_" + decision["op"])(n, decision)

    def _order(self, n: int, d: dict) -> None:
        ident = d.get("id")
        if not isinstance(ident, int) or ident <= 0 or self._find_order(ident) is not None:
            raise ValueError(f"decisions[{n}].id: must be a new positive integer")
        size = _number(n, d, "size")
        if size is None or not (0 < abs(size) < 1 or (round(size) == size and abs(size) >= 1)):
            raise ValueError(
                f"decisions[{n}].size: a fraction of equity in (0, 1) or whole units, either sign"
            )
        self.new_order(
            ident,
            size,
            *(_number(n, d, name) for name in ("limit", "stop", "sl", "tp")),
            d.get("tag"),
        )

    def new_order(
        self,
        ident: int,
        size: float,
        limit: float | None = None,
        stop: float | None = None,
        sl: float | None = None,
        tp: float | None = None,
        tag: object = None,
        trade: Trade | None = None,
    ) -> Order:
        """Place an order (backtesting.py's ``_Broker.new_order``): SL < price < TP for a
        long, the reverse for a short; ``exclusive_orders`` cancels the others and closes
        every trade first; a trade's stop-loss goes first in the book."""
        price = limit or stop or self.entry_price(self.last_price, size)
        low, high = (sl, tp) if size > 0 else (tp, sl)
        if not (low or -math.inf) < price < (high or math.inf):
            side = "Long" if size > 0 else "Short"
            raise ValueError(f"sl/tp: {side} orders require {low} < {price} < {high}")
        order = Order(ident, size, limit, stop, sl, tp, tag, trade)
        if not trade and self.exclusive_orders:
            for other in self.orders:  # backtesting.py's loop, removing as it goes
                if not other.contingent:
                    self._cancel_order(other)
            for open_trade in self.trades:
                self._close_order(open_trade, 1.0)
        self.orders.insert(0 if trade and stop else len(self.orders), order)
        return order

    def _cancel(self, n: int, d: dict) -> None:
        order = self._find_order(d.get("order"))
        if order is None:
            raise ValueError(f"decisions[{n}].order: no pending order of that id")
        self._cancel_order(order)

    def _cancel_order(self, order: Order) -> None:
        self.orders.remove(order)
        trade = order.trade
        if trade:
            if order is trade.sl_order:
                trade.sl_order = None
            elif order is trade.tp_order:
                trade.tp_order = None

    def _close(self, n: int, d: dict) -> None:
        trade = self._find_trade(n, d)
        portion = _number(n, d, "portion")
        if portion is None or not 0 < portion <= 1:
            raise ValueError(f"decisions[{n}].portion: must be in (0, 1]")
        self._close_order(trade, portion)

    def _close_order(self, trade: Trade, portion: float) -> None:
        """backtesting.py's ``Trade.close``: an order for ``portion`` of the trade, first in
        the book, at the next market price."""
        size = copysign(max(1, round(abs(trade.size) * portion)), -trade.size)
        self.orders.insert(0, Order(self._own_id(), size, trade=trade, tag=trade.tag))

    def _sl(self, n: int, d: dict) -> None:
        self._set_contingent(self._find_trade(n, d), "sl", _number(n, d, "price"))

    def _tp(self, n: int, d: dict) -> None:
        self._set_contingent(self._find_trade(n, d), "tp", _number(n, d, "price"))

    def _set_contingent(self, trade: Trade, kind: str, price: float | None) -> None:
        if price is not None and not 0 < price < math.inf:
            raise ValueError(f"{kind}: must be None or 0 < price < inf, is {price}")
        attr = kind + "_order"
        order = getattr(trade, attr)
        if order:
            self._cancel_order(order)
        if price:
            where = {"stop": price} if kind == "sl" else {"limit": price}
            order = self.new_order(self._own_id(), -trade.size, trade=trade, tag=trade.tag, **where)
            setattr(trade, attr, order)

    def _find_order(self, ident: object) -> Order | None:
        return next((order for order in self.orders if order.id == ident), None)

    def _find_trade(self, n: int, d: dict) -> Trade:
        trade = next((t for t in self.trades if t.id == d.get("trade")), None)
        if trade is None:
            raise ValueError(f"decisions[{n}].trade: no open trade of that id")
        return trade

    # --- the run's record --------------------------------------------------------------

    def final_equity(self) -> np.ndarray:
        """The equity on every bar: bars before the strategy's first take its first value
        (backtesting.py's back-fill), a run without any bar its cash."""
        equity = self.equity.copy()
        seen = np.flatnonzero(~np.isnan(equity))
        if seen.size:
            equity[: seen[0]] = equity[seen[0]]
        else:
            equity[:] = self.cash
        return equity

    def trade_columns(self) -> dict[str, np.ndarray | list]:
        """The closed trades as columns, in their order of closing."""
        closed = self.closed
        column = {
            name: np.array([getattr(t, name) for t in closed], dtype=np.float64)
            for name in ("size", "entry_price", "exit_price", "commissions")
        }
        column["entry_bar"] = np.array([t.entry_bar for t in closed], dtype=np.int64)
        column["exit_bar"] = np.array([t.exit_bar for t in closed], dtype=np.int64)
        for name in ("sl", "tp"):
            column[name] = np.array(
                [math.nan if getattr(t, name) is None else getattr(t, name) for t in closed],
                dtype=np.float64,
            )
        size, entry, exit_ = column["size"], column["entry_price"], column["exit_price"]
        costs = column["commissions"]
        carried = np.array([t.carried for t in closed], dtype=np.float64)
        if carried.any():  # dividends, borrow, cash in lieu: net of the commissions
            costs = costs - carried
        column["pnl"] = size * (exit_ - entry) - costs
        gross = np.sign(size) * (exit_ / entry - 1)
        column["return_pct"] = gross - costs / (np.abs(size) * entry)
        column["tag"] = [t.tag for t in closed]
        return column


def _number(n: int, d: dict, name: str) -> float | None:
    """Field ``name`` of decision ``n`` as a float (None or 0: unset, as backtesting.py's
    ``price and float(price)``); a non-number or a non-finite number raises."""
    value = d.get(name)
    if value is None:
        return None
    if not isinstance(value, bool) and isinstance(value, int | float):
        try:
            number = float(value)  # an int of 400 digits is too large for a float
        except OverflowError:
            number = math.inf
        if math.isfinite(number):
            return number or None
    raise ValueError(f"decisions[{n}].{name}: must be a finite number or null")


Decider = Callable[[int, Deferred], Sequence[dict]]
"""A strategy as the bar loops call it: ``decide(bar, states)`` gives its decisions at
``bar``'s close, reading the book's state there as ``states.state(bar)`` if it reads it
(``backtest_strategy.host.Host.on_bar``); ``states`` is a ``Deferred`` or anything with
its ``state`` (``engine.broker.shown.ShownStates``)."""


def reading(decide: Callable[[dict], Sequence[dict]]) -> Decider:
    """A ``Decider`` of ``decide(state)``: a strategy that reads the whole state every bar."""
    return lambda bar, states: decide(states.state(bar))


def drive(book: Book, start: int, decide: Decider, finalize: bool) -> None:
    """Run the strategy answering ``decide(bar, states)`` over the book's bars from
    ``start``: each bar the book works its orders, then the strategy decides at the close.
    A bar is worked when something acts on it, when the strategy reads the book or decides
    (``engine.broker.deferred.Deferred``): the same book as working every bar."""
    deferred = Deferred(book, start)
    end = len(book.close)
    for bar in range(start, end):
        if deferred.due(bar):
            deferred.through(bar)
            if book.broke:
                deferred.end(bar)
                return
        decisions = decide(bar, deferred)
        if type(decisions) is not list or decisions:
            deferred.through(bar)
            book.apply(decisions)
            deferred.settle()
    if start < end:
        deferred.end(end - 1)
        if finalize:
            book.finish()
