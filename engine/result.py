"""What the engine returns: per-bar paths, trades and core metrics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, overload

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from engine.broker.orders import Orders
    from engine.corporate import Applied


@dataclass(frozen=True)
class Trade:
    """One round trip. Bars are indices into the run's ``Bars``.

    ``direction`` is +1 for a long trade (opened by a buy) and -1 for a short one. An open
    trade (``is_open``) is marked at the last close: ``exit_bar`` is the last bar,
    ``exit_price`` the last close and ``exit_fee`` 0 (nothing was paid yet).
    ``pnl`` is net of both fees. ``exit_reason`` (one of ``EXIT_REASONS``) says why it
    closed: ``signal``, a stop (``stop_loss``, ``take_profit``, ``trailing_stop``), ``end``
    (still open at the last bar), ``liquidation`` (equity reached zero), ``closed_at_end``
    (closed at the last bar's open by ``close_at_end``) or ``delisted`` (closed at a
    delisting's cash, ``engine.corporate``). ``pnl`` is also net of a short's
    borrow fee, which ``Trades.borrow_fee`` holds (the columns, not this view).
    """

    entry_bar: int
    exit_bar: int
    direction: int
    size: int
    entry_price: float
    exit_price: float
    entry_fee: float
    exit_fee: float
    pnl: float
    is_open: bool
    exit_reason: str = "signal"


EXIT_REASONS = (
    "signal",
    "stop_loss",
    "take_profit",
    "trailing_stop",
    "end",
    "liquidation",
    "closed_at_end",
    "delisted",
)
"""Why a trade closed, in the order of their codes in ``engine._simulate`` (0 = signal;
``delisted``: ``engine.corporate.DELISTED``)."""

ADDED_FILL = -1
"""The reason code of a fill row that adds shares to a unit an earlier fill opened (an
entry filled over several bars, docs/execution.md, "Liquidity"): not a new trade."""


@dataclass(frozen=True, eq=False)
class Trades(Sequence[Trade]):
    """The trades of one run as columns (one array per ``Trade`` field, in entry order;
    ``reason`` holds the ``EXIT_REASONS`` codes), read as a sequence of ``Trade``.

    A long run's 100,000 trades cost one array each instead of 100,000 objects: adapters
    read the columns (``adapters.trade_records``), and a ``Trade`` is built only when one is
    asked for (indexing, iterating). It equals the tuple of the same trades, as
    ``EngineResult.trades`` was before (``result.trades == ()`` holds for no trade).
    """

    entry_bar: np.ndarray
    exit_bar: np.ndarray
    direction: np.ndarray
    size: np.ndarray
    entry_price: np.ndarray
    exit_price: np.ndarray
    entry_fee: np.ndarray
    exit_fee: np.ndarray
    pnl: np.ndarray
    reason: np.ndarray
    borrow_fee: np.ndarray | None = None
    """The short borrow fee each trade paid (None: no run fee, all 0)."""
    dividends: np.ndarray | None = None
    """The dividends each trade received (positive) or paid (a short: negative), which its
    PnL includes (None: the run's bars held no corporate action, ``engine.corporate``)."""

    @classmethod
    def of(cls, trades: Sequence[Trade]) -> Trades:
        """The columns of ``trades`` (a ``Trades`` is returned as it is)."""
        if isinstance(trades, Trades):
            return trades

        def column(name: str, dtype: type) -> np.ndarray:
            return np.array([getattr(t, name) for t in trades], dtype=dtype)

        ints = ("entry_bar", "exit_bar", "direction", "size")
        floats = ("entry_price", "exit_price", "entry_fee", "exit_fee", "pnl")
        return cls(
            **{name: column(name, np.int64) for name in ints},
            **{name: column(name, np.float64) for name in floats},
            reason=np.array([EXIT_REASONS.index(t.exit_reason) for t in trades], dtype=np.int8),
        )

    @property
    def is_open(self) -> np.ndarray:
        """Whether each trade is still open at the last bar (its reason is ``end``)."""
        return self.reason == _END

    @property
    def fees(self) -> np.ndarray:
        """What each trade paid the broker: entry fee + exit fee + borrow fee."""
        paid = self.entry_fee + self.exit_fee
        return paid if self.borrow_fee is None else paid + self.borrow_fee

    @property
    def exit_reason(self) -> list[str]:
        """Why each trade closed, as ``EXIT_REASONS`` names."""
        return [EXIT_REASONS[code] for code in self.reason.tolist()]

    @cached_property
    def _objects(self) -> tuple[Trade, ...]:
        columns = [getattr(self, name).tolist() for name in _TRADE_FIELDS[:-2]]
        return tuple(
            map(Trade, *columns, self.is_open.tolist(), self.exit_reason)  # type: ignore[call-arg]
        )

    def __len__(self) -> int:
        return len(self.reason)

    @overload
    def __getitem__(self, index: int) -> Trade: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[Trade, ...]: ...

    def __getitem__(self, index: int | slice) -> Trade | tuple[Trade, ...]:
        return self._objects[index]

    def __iter__(self) -> Iterator[Trade]:
        return iter(self._objects)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Trades | tuple | list):
            return self._objects == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._objects)

    def __repr__(self) -> str:
        return repr(self._objects)


_TRADE_FIELDS = tuple(Trade.__dataclass_fields__)
_END = EXIT_REASONS.index("end")


CORE_METRICS = ("total_return_pct", "sharpe_ratio", "max_drawdown_pct", "num_trades")
"""Names of the core metrics, in the order they are reported."""


@dataclass(frozen=True, eq=False)
class EngineResult:
    """One backtest: per-bar ``cash``, ``position`` (signed shares) and ``equity``
    (= cash + position × close, marked on every close), the trades in entry order (a
    ``Trades``: columns read as a sequence of ``Trade``; a tuple of them compares equal), the
    core metrics (``CORE_METRICS``; ``None`` where undefined, e.g. Sharpe of a flat line),
    and ``bust_bar``: the bar where equity reached zero and trading stopped, or ``None``."""

    cash: np.ndarray
    position: np.ndarray
    equity: np.ndarray
    trades: Sequence[Trade]
    metrics: dict[str, float | int | None]
    bust_bar: int | None
    orders: Orders | None = None
    """The entry orders (``engine.orders.Orders``, one run) when signals open positions
    by other than market orders; None otherwise."""
    applied: Applied | None = None
    """The corporate actions that met the position, up to a bust (``engine.corporate``);
    None when the run was given none that could act."""
    entered: tuple[float, float] | None = None
    """With a liquidity field: (the shares the run's entries were sized for, those they
    filled), every entry counted, a market one's too (docs/capacity.md); None without.
    Not part of the stored result."""


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Core metrics of N backtests over the same bars: one array of length N per metric
    (NaN where undefined); ``equity`` is kept only when asked for (N × T).

    From the one-pass evaluation (``run_batch(one_pass=True)``) also ``curve``: per run
    the reductions of its equity curve that further metrics derive from (``CURVE_STATS``,
    one array of length N each), and ``block_stats``: N × 2S sums then sums of squares of
    the bar returns over S blocks (when blocks were asked for); with ``equity`` kept, also
    ``returns``: its ``bar_returns`` (N × T-1), which the pass computed anyway."""

    metrics: dict[str, np.ndarray]
    equity: np.ndarray | None = None
    curve: dict[str, np.ndarray] | None = None
    block_stats: np.ndarray | None = None
    returns: np.ndarray | None = None


CURVE_STATS = ("start", "final", "mean", "std", "downside", "drawdown_days")
"""``BatchResult.curve``'s keys: the first and final equity; the mean, sample std (ddof 1;
NaN under 2 returns) and downside deviation sqrt(mean(min(r, 0)²)) of the bar returns r
(NaN without returns); the longest span under water in days (as
``adapters.metrics.equity_metrics`` defines it)."""
