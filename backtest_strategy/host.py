"""The strategy's side of the one boundary with the broker: ``Host`` runs a ``Strategy``
class over the bars, takes the broker's state at each bar's close (plain data: equity, open
trades, trades closed since the last bar, pending orders) and returns the strategy's
decisions as plain data (``engine.broker.book.OPS``: new orders, cancels, closes, SL/TP
changes). In a notebook the broker calls it in process; inside the sandbox the same calls
cross its pipe. numpy, pandas and the standard library only."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from backtest_strategy.data import _Data, _Indicator, revealed
from backtest_strategy.refs import Refs, aligned, loaded, ticker_of
from backtest_strategy.strategy import Order, Position, Strategy, Trade


def _price(value: Any) -> float | None:
    """A price the strategy gave, as a float (None or 0: none, as backtesting.py reads it)."""
    return float(value) if value else None


def warmup_bars(indicators: list[_Indicator]) -> int:
    """The bars before every indicator (but a ``scatter`` one) has a value: the largest
    index of a first non-NaN value (backtesting.py's rule, an all-NaN row counting 0)."""
    return max(
        (
            int(np.isnan(ind.astype(float)).argmin(axis=-1).max())
            for ind in indicators
            if not ind._opts["scatter"]
        ),
        default=0,
    )


class Host:
    """One strategy instance over ``df`` (Open, High, Low, Close, Volume and any other
    column) with ``params`` set on it; ``refs``: the other tickers it may ``ref``
    (``backtest_strategy.refs``)."""

    def __init__(
        self,
        strategy: type[Strategy],
        df: pd.DataFrame,
        params: dict,
        refs: Refs | None = None,
    ) -> None:
        if not (isinstance(strategy, type) and issubclass(strategy, Strategy)):
            raise TypeError("strategy: must be a backtest_strategy.Strategy subclass")
        self.data = _Data(df.copy(deep=False))
        self._close = df["Close"].to_numpy(dtype=np.float64).tolist()  # floats, read each bar
        self._bar = 0
        self._states: Any = None  # where the current bar's state is read, until it is read
        self._equity = float("nan")
        self._trades: list[Trade] = []
        self._closed_trades: list[Trade] = []
        self._orders: list[Order] = []
        self.position = Position(self)
        self._trade_ids: dict[int, Trade] = {}
        self._order_ids: dict[int, Order] = {}
        self._decisions: list[dict] = []
        self._shown: tuple[Any, Any] = (None, None)  # the state's lists of trades and orders read
        self._trades_read: tuple[Trade, ...] = ()
        self._orders_read: tuple[Order, ...] = ()
        self._placed = 0
        self._refs = refs
        self._ref_data: dict[str, _Data] = {}
        self.strategy = strategy(self, self.data, params)

    def init(self) -> int:
        """Run the strategy's ``init``; return the first bar ``next`` is called on (one past
        the indicators' warm-up, and at least 1)."""
        self.strategy.init()
        self.data._update()
        indicators = [  # each revealed bar by bar; a 2-d one (``_rows``) by its columns
            (attr, revealed(value))
            for attr, value in vars(self.strategy).items()
            if isinstance(value, _Indicator)
        ]
        self._series = [(attr, value) for attr, value in indicators if value.ndim == 1]
        self._rows = [(attr, value) for attr, value in indicators if value.ndim != 1]
        self._shown_indicators = vars(self.strategy)
        return 1 + warmup_bars([value for _, value in indicators])

    def on_bar(self, bar: int, states: Any) -> list[dict]:
        """The strategy's decisions at ``bar``'s close (``engine.broker.book.Decider``): it
        reads the book's state there, ``states.state(bar)`` (``engine.broker.book.Book.
        state``), when it first reads its equity, trades, orders or position, or decides."""
        length = bar + 1
        data = self.data
        if data._shown or self._ref_data:  # a column or another ticker read last bar
            data._set_length(length)
            for other in self._ref_data.values():
                other._set_length(length)
        else:
            data._length = length
        shown = self._shown_indicators  # the strategy's attributes, as setattr sets them
        for attr, indicator in self._series:
            shown[attr] = indicator[:length]
        for attr, indicator in self._rows:
            shown[attr] = indicator[..., :length]
        self._bar, self._states = bar, states
        self._decisions = []
        self.strategy.next()
        return self._decisions

    def next(self, state: dict) -> list[dict]:
        """The strategy's decisions on the bar of ``state``, given whole: read at once
        (its closed trades are those closed since the state before)."""
        self._read(state)
        return self.on_bar(state["bar"], None)

    def _sync(self) -> None:
        """Read the current bar's state, if not read yet."""
        states = self._states
        if states is not None:
            self._states = None
            self._read(states.state(self._bar))

    @property
    def equity(self) -> float:
        if self._states is not None:
            self._sync()
        return self._equity

    @property
    def last_price(self) -> float:
        return self._close[self._bar]

    @property
    def trades(self) -> list[Trade]:
        if self._states is not None:
            self._sync()
        return self._trades

    @property
    def orders(self) -> list[Order]:
        if self._states is not None:
            self._sync()
        return self._orders

    @property
    def closed_trades(self) -> list[Trade]:
        if self._states is not None:
            self._sync()
        return self._closed_trades

    def _read(self, state: dict) -> None:
        self._equity = state["equity"]
        for fields in state["closed"]:
            trade = self._trade_ids.pop(fields["id"], None) or Trade(self, fields)
            trade._given = fields
            self._closed_trades.append(trade)
        trades, orders = state["trades"], state["orders"]
        if trades is self._shown[0] and orders is self._shown[1]:
            # the very lists of the last state (``Book.state``: nothing changed them), in a
            # host that booked no decision since: the same trades and orders
            self._trades, self._orders = list(self._trades_read), list(self._orders_read)
            return
        known, self._trade_ids = self._trade_ids, {}
        for fields in trades:
            trade = known.get(fields["id"]) or Trade(self, fields)
            trade._given = fields
            self._trade_ids[fields["id"]] = trade
        self._trades = list(self._trade_ids.values())
        known_orders, self._order_ids = self._order_ids, {}
        for fields in orders:
            order = known_orders.get(fields["id"]) or Order(self, fields)
            order._given = fields
            self._order_ids[fields["id"]] = order
        self._orders = list(self._order_ids.values())
        self._shown = (trades, orders)
        self._trades_read, self._orders_read = tuple(self._trades), tuple(self._orders)

    def ref(self, name: object) -> _Data:
        """The bars of ticker ``name`` on this run's calendar, as long as ``data`` now
        (``backtest_strategy.refs.aligned``), made once per run."""
        ticker = ticker_of(name)
        other = self._ref_data.get(ticker)
        if other is None:
            frame = aligned(self.data._frame.index, loaded(self._refs, ticker))
            other = self._ref_data[ticker] = _Data(frame)
            other._set_length(len(self.data))
        return other

    # --- what the strategy's calls record ----------------------------------------------

    def decide(self, decision: dict) -> None:
        """Record one decision (``engine.broker.book.OPS``) for the broker, which books it
        on the bar's state: read first."""
        self._sync()
        self._decisions.append(decision)

    def place(
        self,
        side: int,
        size: float,
        limit: Any,
        stop: Any,
        sl: Any,
        tp: Any,
        tag: object,
    ) -> Order:
        """Record a new order of ``side`` (1 buy, -1 sell) for ``size`` > 0 (ids the strategy
        places are positive, the broker's own negative) and show it among ``orders`` at
        once."""
        assert 0 < size < 1 or round(size) == size >= 1, (
            "size must be a positive fraction of equity, or a positive whole number of units"
        )
        self._placed += 1
        fields = {
            "id": self._placed,
            "size": float(side * size),
            "limit": _price(limit),
            "stop": _price(stop),
            "sl": _price(sl),
            "tp": _price(tp),
            "tag": tag,
        }
        self.decide({"op": "order", **fields})
        order = Order(self, {**fields, "trade": None, "contingent": False})
        self._order_ids[self._placed] = order
        self.orders.append(order)
        return order

    def cancel(self, order: Order) -> None:
        """Record the cancel of ``order`` and drop it from ``orders`` at once."""
        self.decide({"op": "cancel", "order": order._fields["id"]})
        if order in self.orders:
            self.orders.remove(order)

    def close_trade(self, trade: Trade, portion: float) -> None:
        """Record the close of ``portion`` of ``trade``."""
        self.decide({"op": "close", "trade": trade._fields["id"], "portion": float(portion)})

    def set_contingent(self, trade: Trade, kind: str, price: Any) -> None:
        """Record a new stop-loss (``kind`` "sl") or take-profit ("tp") price of ``trade``,
        None to cancel it; the trade reads it back at once."""
        price = _price(price)
        self.decide({"op": kind, "trade": trade._fields["id"], "price": price})
        trade._fields[kind] = price

    def trade_by_id(self, ident: int | None) -> Trade | None:
        self._sync()
        return None if ident is None else self._trade_ids.get(ident)


# --- the sandbox's side: the bars and the class arrive as plain data ------------------------


def frame_from_columns(bars: dict) -> pd.DataFrame:
    """The frame of bars a sandboxed run was sent: ``{"index": {"values", "datetime",
    "unit", "tz", "name"}, "columns": {name: {"dtype", "values"}}}`` (null for a missing float),
    rebuilt with its dtypes so that the strategy reads what a notebook would."""
    index = bars["index"]
    if index["datetime"]:
        values = pd.DatetimeIndex(np.array(index["values"], dtype=f"datetime64[{index['unit']}]"))
        frame_index = values.tz_localize("UTC").tz_convert(index["tz"]) if index["tz"] else values
    else:
        frame_index = pd.Index(index["values"])
    frame_index.name = index["name"]
    columns = {
        name: np.array(
            [np.nan if v is None else v for v in column["values"]]
            if column["dtype"] == "float64"
            else column["values"],
            dtype=column["dtype"],
        )
        for name, column in bars["columns"].items()
    }
    return pd.DataFrame(columns, index=frame_index)


def hosted(namespace: dict, payload: dict, frame: pd.DataFrame | None = None) -> Host:
    """The ``Host`` of the class ``payload["class"]`` that the user's module (its
    ``namespace``) defines, over ``payload["bars"]`` (or ``frame``, those bars rebuilt
    once for many hosts) with ``payload["params"]`` and the other tickers' bars
    ``payload["refs"]`` ({ticker: bars as columns}) it may ``ref``.

    :raise LookupError: the module defines no such name; TypeError: not a Strategy class.
    """
    name = payload["class"]
    strategy = namespace.get(name)
    if strategy is None:
        defined = sorted(
            key
            for key, value in namespace.items()
            if isinstance(value, type) and issubclass(value, Strategy) and value is not Strategy
        )
        raise LookupError(
            f"strategy_class: the code defines no class {name!r}"
            + (f" (its Strategy classes: {', '.join(defined)})" if defined else "")
        )
    if not (isinstance(strategy, type) and issubclass(strategy, Strategy)):
        raise TypeError(f"strategy_class: {name!r} is not a backtest_strategy.Strategy subclass")
    refs = {ticker: frame_from_columns(bars) for ticker, bars in payload.get("refs", {}).items()}
    bars = frame_from_columns(payload["bars"]) if frame is None else frame
    return Host(strategy, bars, payload["params"], refs)
