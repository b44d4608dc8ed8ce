"""The strategy side of the API: ``Strategy`` with backtesting.py 0.6's names and meaning
(``init``, ``next``, ``I``, ``data``, ``buy``/``sell``, ``position``, ``trades``,
``closed_trades``, ``orders``, ``equity``) and the ``Order``, ``Trade`` and ``Position``
views a strategy reads. A strategy never fills anything: what it reads comes from the
broker's state at the bar's close and what it does (orders, cancels, closes, SL/TP changes)
is recorded as plain decisions (``backtest_strategy.host``). numpy, pandas and the
standard library only: this runs inside the strategy sandbox."""

from __future__ import annotations

import sys
from collections.abc import Callable
from itertools import chain
from math import copysign
from numbers import Number
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from backtest_strategy.data import _Data, _Indicator

if TYPE_CHECKING:  # pragma: no cover
    from backtest_strategy.host import Host

__all__ = ["Order", "Position", "Strategy", "Trade"]


_INITIALS = {"Open": "O", "High": "H", "Low": "L", "Close": "C", "Volume": "V"}
"""The label of an OHLCV column among an indicator's arguments."""
_LABEL_WIDTH = 10
"""The longest label; a longer one is cut to one less and an ellipsis."""


def _as_str(value: Any) -> str:
    """The short label of an indicator's argument (or function) in its default name, as
    backtesting.py writes them: a number or string as written, a DataFrame "df", an OHLCV
    column by its initial, a function by its name (a lambda "λ"), anything else by its
    ``name`` ("" without one), cut to ``_LABEL_WIDTH``."""
    if isinstance(value, str | Number):
        return str(value)
    if isinstance(value, pd.DataFrame):
        return "df"
    label = str(getattr(value, "name", None) or "")
    if label in _INITIALS:
        return _INITIALS[label]
    if callable(value):
        label = getattr(value, "__name__", type(value).__name__)
        label = "λ" if label == "<lambda>" else label
    return label if len(label) <= _LABEL_WIDTH else label[: _LABEL_WIDTH - 1] + "…"


def _indicator_rows(result: Any, bars: int) -> np.ndarray | None:
    """What an indicator's function returned as a C-ordered array of one row per series and
    one column per bar: a DataFrame's columns or a tuple's items become rows, an array of
    ``bars`` rows is turned; None when it is not 1 or 2 rows deep with ``bars`` columns."""
    if isinstance(result, pd.DataFrame):
        result = result.to_numpy().T
    try:
        rows = np.asarray(result)
    except Exception:  # anything numpy cannot take as an array is not an indicator
        return None
    if rows.ndim and rows.shape[0] == bars:
        rows = rows.T
    if rows.ndim not in (1, 2) or rows.shape[-1] != bars:
        return None
    return np.ascontiguousarray(rows)


def _current(self: Order | Trade) -> dict:
    """An order's or a trade's fields as the broker reports them on the current bar (the
    host reads the bar's state first, if it has not yet)."""
    host = self._host
    if host._states is not None:
        host._sync()
    return self._given


def _give(self: Order | Trade, fields: dict) -> None:
    self._given = fields


class Order:
    """A pending order, as the broker last reported it (or as just placed)."""

    def __init__(self, host: Host, fields: dict) -> None:
        self._host = host
        self._given = fields

    _fields = property(_current, _give)

    def __repr__(self) -> str:
        shown = ("size", "limit", "stop", "sl", "tp", "tag")
        return "<Order {}>".format(
            ", ".join(f"{k}={self._fields[k]!r}" for k in shown if self._fields.get(k) is not None)
        )

    def cancel(self) -> None:
        """Cancel the order."""
        self._host.cancel(self)

    size = property(
        lambda self: self._fields["size"], doc="Units (negative: short), or a fraction of equity."
    )
    limit = property(lambda self: self._fields.get("limit"), doc="Limit price, or None.")
    stop = property(lambda self: self._fields.get("stop"), doc="Stop price (None once touched).")
    sl = property(lambda self: self._fields.get("sl"), doc="Stop-loss of the trade it opens.")
    tp = property(lambda self: self._fields.get("tp"), doc="Take-profit of the trade it opens.")
    tag = property(lambda self: self._fields.get("tag"), doc="The strategy's tag.")
    is_long = property(lambda self: self._fields["size"] > 0)
    is_short = property(lambda self: self._fields["size"] < 0)
    is_contingent = property(
        lambda self: bool(self._fields.get("contingent")), doc="A trade's SL or TP order."
    )

    @property
    def parent_trade(self) -> Trade | None:
        return self._host.trade_by_id(self._fields.get("trade"))


class Trade:
    """An open or closed trade, as the broker last reported it."""

    def __init__(self, host: Host, fields: dict) -> None:
        self._host = host
        self._given = fields

    _fields = property(_current, _give)

    def __repr__(self) -> str:
        f = self._fields
        return (
            f"<Trade size={f['size']} time={f['entry_bar']}-{f['exit_bar'] or ''} "
            f"price={f['entry_price']}-{f['exit_price'] or ''} pl={self.pl:.0f}>"
        )

    def close(self, portion: float = 1.0) -> None:
        """Close ``portion`` of the trade at the next market price."""
        assert 0 < portion <= 1, "portion must be a fraction between 0 and 1"
        self._host.close_trade(self, portion)

    size = property(lambda self: self._fields["size"], doc="Units (negative: short).")
    entry_price = property(lambda self: self._fields["entry_price"])
    exit_price = property(lambda self: self._fields["exit_price"])
    entry_bar = property(lambda self: self._fields["entry_bar"])
    exit_bar = property(lambda self: self._fields["exit_bar"])
    tag = property(lambda self: self._fields["tag"])
    _commissions = property(lambda self: self._fields["commissions"])
    is_long = property(lambda self: self._fields["size"] > 0)
    is_short = property(lambda self: not self._fields["size"] > 0)

    @property
    def entry_time(self) -> Any:
        return self._host.data.index[self.entry_bar]

    @property
    def exit_time(self) -> Any:
        bar = self.exit_bar
        return None if bar is None else self._host.data.index[bar]

    @property
    def _price(self) -> float:
        return self._fields["exit_price"] or self._host.last_price

    @property
    def pl(self) -> float:
        """Profit (or loss) in cash; fees count once the trade is closed."""
        return self.size * (self._price - self.entry_price) - self._commissions

    @property
    def pl_pct(self) -> float:
        """Profit (or loss) relative to the entry price, fees included once closed."""
        gross = copysign(1, self.size) * (self._price / self.entry_price - 1)
        return gross - self._commissions / (abs(self.size) * self.entry_price)

    @property
    def value(self) -> float:
        return abs(self.size) * self._price

    @property
    def sl(self) -> float | None:
        """Stop-loss price; assign a price to place or move it, None to cancel it."""
        return self._fields["sl"]

    @sl.setter
    def sl(self, price: float | None) -> None:
        self._host.set_contingent(self, "sl", price)

    @property
    def tp(self) -> float | None:
        """Take-profit price; assign a price to place or move it, None to cancel it."""
        return self._fields["tp"]

    @tp.setter
    def tp(self, price: float | None) -> None:
        self._host.set_contingent(self, "tp", price)


class Position:
    """The open trades taken together (``bool(position)``: any units held)."""

    def __init__(self, host: Host) -> None:
        self._host = host

    def __bool__(self) -> bool:
        return self.size != 0

    def __repr__(self) -> str:
        return f"<Position: {self.size} ({len(self._host.trades)} trades)>"

    @property
    def size(self) -> float:
        """Units held, negative when short."""
        return sum(int(trade.size) for trade in self._host.trades)

    @property
    def pl(self) -> float:
        """Profit (or loss) of the open trades in cash, at the current close."""
        trades = self._host.trades
        return self._host.last_price * self.size - sum(t.size * t.entry_price for t in trades)

    @property
    def pl_pct(self) -> float:
        """``pl`` in percent of what the open trades cost."""
        invested = sum(abs(t.size) * t.entry_price for t in self._host.trades)
        return (self.pl / invested) * 100 if invested else 0

    is_long = property(lambda self: self.size > 0)
    is_short = property(lambda self: self.size < 0)

    def close(self, portion: float = 1.0) -> None:
        """Close ``portion`` of every open trade."""
        for trade in self._host.trades:
            trade.close(portion)


class Strategy:
    """A trading strategy: subclass it, declare indicators in ``init`` and trade in ``next``.
    Class attributes are its parameters (``Backtest.run(**params)`` sets them)."""

    class _FullEquity(float):
        def __repr__(self) -> str:
            return ".9999"

    _FULL_EQUITY = _FullEquity(1 - sys.float_info.epsilon)

    def __init__(self, host: Host, data: _Data, params: dict) -> None:
        self._indicators: list[_Indicator] = []
        self._host = host
        self._data = data
        self._params = self._check_params(params)

    def __repr__(self) -> str:
        return "<Strategy " + str(self) + ">"

    def __str__(self) -> str:
        params = ",".join(f"{k}={_as_str(v)}" for k, v in self._params.items())
        return f"{type(self).__name__}({params})" if params else type(self).__name__

    def _check_params(self, params: dict) -> dict:
        for key, value in params.items():
            if not hasattr(self, key):
                raise AttributeError(
                    f"Strategy '{type(self).__name__}' is missing parameter '{key}'. "
                    "Strategy class should define parameters as class variables before they "
                    "can be optimized or run with."
                )
            setattr(self, key, value)
        return params

    def I(  # noqa: E743 - backtesting.py's name
        self,
        func: Callable,
        *args: Any,
        name: Any = None,
        plot: bool = True,
        overlay: bool | None = None,
        color: str | None = None,
        scatter: bool = False,
        **kwargs: Any,
    ) -> np.ndarray:
        """Declare an indicator: ``func(*args, **kwargs)`` computed once on the full arrays,
        an array (or a tuple of arrays) as long as the data, revealed bar by bar in ``next``.

        .. warning:: warm-up NaNs delay the start: ``next`` is first called on the first bar
           where every declared indicator (but a ``scatter`` one) has a value.
        """
        if name is None:
            labels = (_as_str(arg) for arg in chain(args, kwargs.values()))
            inside = ",".join(label for label in labels if label)
            name = f"{_as_str(func)}({inside})" if inside else _as_str(func)
        try:
            result = func(*args, **kwargs)
        except Exception as error:
            raise RuntimeError(f'Indicator "{name}" error. See traceback above.') from error
        bars = len(self._data)
        rows = _indicator_rows(result, bars)
        if rows is None:
            raise ValueError(
                "Indicators must return (optionally a tuple of) numpy.arrays of same length "
                f'as `data` (data shape: {(bars,)}; indicator "{name}" shape: '
                f"{getattr(result, 'shape', '')}, returned value: {result})"
            )
        indicator = _Indicator(
            rows,
            name=name,
            index=self._data.index,
            plot=plot,
            overlay=overlay,
            color=color,
            scatter=scatter,
        )
        self._indicators.append(indicator)
        return indicator

    def init(self) -> None:
        """Declare indicators and precompute what can be computed on the full arrays."""

    def next(self) -> None:
        """Decide on the current bar (the last value of every array)."""

    def buy(
        self,
        *,
        size: float = _FULL_EQUITY,
        limit: float | None = None,
        stop: float | None = None,
        sl: float | None = None,
        tp: float | None = None,
        tag: object = None,
    ) -> Order:
        """Place a long order: ``size`` a fraction of the available margin in (0, 1) or
        whole units; ``limit``/``stop`` make it a limit, stop or stop-limit order;
        ``sl``/``tp`` become contingent orders of the trade it opens."""
        return self._host.place(1, size, limit, stop, sl, tp, tag)

    def sell(
        self,
        *,
        size: float = _FULL_EQUITY,
        limit: float | None = None,
        stop: float | None = None,
        sl: float | None = None,
        tp: float | None = None,
        tag: object = None,
    ) -> Order:
        """Place a short order (see ``buy``); it closes long trades first (FIFO) unless the
        run hedges."""
        return self._host.place(-1, size, limit, stop, sl, tp, tag)

    def ref(self, ticker: str) -> _Data:
        """Another catalog ticker's bars on this run's calendar, read like ``self.data``
        (``self.ref("DEMOIX").Close[-1]``): on each bar, that ticker's last bar at or before
        it (NaN before its first), growing bar by bar, so it never shows a later bar. In
        ``init`` it is whole, as ``self.data`` is, for ``self.I``. On the platform the
        request names the tickers a strategy may ref (``refs``); in a notebook
        ``Backtest(..., refs=)`` gives them."""
        return self._host.ref(ticker)

    @property
    def equity(self) -> float:
        """Cash plus the open trades' profit at the current close."""
        return self._host.equity

    @property
    def data(self) -> _Data:
        """The bars so far: ``data.Close[-1]`` is the current close."""
        return self._data

    @property
    def position(self) -> Position:
        return self._host.position

    @property
    def orders(self) -> tuple[Order, ...]:
        """The orders waiting to be filled."""
        return tuple(self._host.orders)

    @property
    def trades(self) -> tuple[Trade, ...]:
        """The open trades."""
        return tuple(self._host.trades)

    @property
    def closed_trades(self) -> tuple[Trade, ...]:
        """The closed trades."""
        return tuple(self._host.closed_trades)
