"""The simulation core: signals → fills → cash/position/equity paths, for N runs at once.

All N runs share the bars and trading parameters and differ by their signals (one row per
parameter set), so a parameter sweep is one vectorised pass and a single run is the same
code with N = 1: a sweep's numbers equal a single run's bit for bit.

Execution convention (README "Execution convention"):

* The desired position after bar t follows the most recent signal up to t: an entry means
  long; an exit means flat (``longonly``) or short (``longshort``). A bar where entry and
  exit are both true is conflicting and ignored.
* A change of the desired position on bar t's close fills at bar t+1's open: first the
  open position is closed, then the new one is opened. A change on the last bar never fills.
* Fill prices carry slippage against the trader: a buy at open × (1 + bps/10000), a sell at
  open × (1 − bps/10000). Fees are ``fee_rate`` × traded notional, on each side.
* Whole shares. Budget: ``value`` → min(position_size, cash); ``percent`` → cash ×
  position_size / 100 (the position is flat then, so cash is the equity). Shares =
  floor(budget / (price × (1 + fee_rate))), lowered by one if rounding would overspend.
  A change that cannot buy one share opens nothing; the run waits for the next change.
* Equity = cash + position × close, on every bar. If equity reaches zero or below (only a
  short can do that), the position is liquidated at that close, the deficit is absorbed
  (cash 0) and the run stops trading: equity stays 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.params import TradingParams


@dataclass(frozen=True, eq=False)
class Events:
    """The fills of N runs, padded to K events per row (``valid`` marks real ones).

    For event k of row i, at bar ``bar[i, k]``: ``closed[i, k]`` signed shares were closed
    at ``close_price`` paying ``close_fee``; then ``opened`` signed shares were opened at
    ``open_price`` paying ``open_fee``; ``cash`` and ``shares`` are the state after it.
    """

    valid: np.ndarray
    bar: np.ndarray
    closed: np.ndarray
    close_price: np.ndarray
    close_fee: np.ndarray
    opened: np.ndarray
    open_price: np.ndarray
    open_fee: np.ndarray
    cash: np.ndarray
    shares: np.ndarray


@dataclass(frozen=True, eq=False)
class Paths:
    """Per-bar state of N runs (N × T) and, per run, the bust bar (-1 when none)."""

    cash: np.ndarray
    position: np.ndarray
    equity: np.ndarray
    bust_bar: np.ndarray


def desired_state(entries: np.ndarray, exits: np.ndarray, direction: str) -> np.ndarray:
    """The position each run wants after each bar: +1 long, 0 flat, -1 short (int8, N × T)."""
    signal = entries.astype(np.int8) - exits.astype(np.int8)
    n_bars = signal.shape[1]
    last = np.where(signal != 0, np.arange(n_bars), -1)
    np.maximum.accumulate(last, axis=1, out=last)
    state = np.take_along_axis(signal, np.maximum(last, 0), axis=1)
    state[last < 0] = 0
    if direction == "longonly":
        np.maximum(state, 0, out=state)
    return state


def fill_events(state: np.ndarray, open_: np.ndarray, params: TradingParams) -> Events:
    """Walk the changes of ``state`` in time order and size and price every fill."""
    n_runs = state.shape[0]
    previous = np.zeros_like(state)
    previous[:, 1:] = state[:, :-1]
    rows, cols = np.nonzero(state[:, :-1] != previous[:, :-1])
    counts = np.bincount(rows, minlength=n_runs)
    width = int(counts.max()) if rows.size else 0
    rank = np.arange(rows.size) - (np.cumsum(counts) - counts)[rows]

    valid = np.zeros((n_runs, width), dtype=bool)
    bar = np.zeros((n_runs, width), dtype=np.int64)
    target = np.zeros((n_runs, width), dtype=np.float64)
    valid[rows, rank] = True
    bar[rows, rank] = cols + 1
    target[rows, rank] = state[rows, cols]

    out = {name: np.zeros((n_runs, width)) for name in _EVENT_FIELDS}
    costs = _Costs.of(params)
    price = open_[bar]
    if n_runs == 1:
        _walk_one(price[0], target[0], costs, {name: arr[0] for name, arr in out.items()})
    else:
        _walk_many(price, target, valid, costs, out)
    return Events(valid=valid, bar=bar, **out)


_EVENT_FIELDS = (
    "closed",
    "close_price",
    "close_fee",
    "opened",
    "open_price",
    "open_fee",
    "cash",
    "shares",
)


@dataclass(frozen=True)
class _Costs:
    initial_capital: float
    slip: float
    fee_rate: float
    fee_factor: float
    by_value: bool
    position_size: float
    fraction: float

    @classmethod
    def of(cls, params: TradingParams) -> _Costs:
        return cls(
            initial_capital=params.initial_capital,
            slip=params.slippage_bps / 10_000.0,
            fee_rate=params.fee_rate,
            fee_factor=1.0 + params.fee_rate,
            by_value=params.size_type == "value",
            position_size=params.position_size,
            fraction=params.position_size / 100.0,
        )


class _FloatMath:
    """The few numpy functions the fill step uses, for Python floats (same IEEE results)."""

    @staticmethod
    def sign(x: float) -> float:
        return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)

    abs = abs
    minimum = min

    @staticmethod
    def floor(x: float) -> float:
        return float(math.floor(x))

    @staticmethod
    def where(condition: bool, a: float, b: float) -> float:
        return a if condition else b


def _fill(cash, shares, price, side, c: _Costs, xp):
    """One fill, written once for floats (xp=_FloatMath) and arrays (xp=numpy): close
    ``shares`` at ``price``, then open ``side``. Returns (close_price, close_fee,
    open_price, qty, open_fee, cash after)."""
    close_price = price * (1.0 - xp.sign(shares) * c.slip)
    close_fee = xp.abs(shares) * close_price * c.fee_rate
    cash_flat = cash + shares * close_price - close_fee
    open_price = price * (1.0 + side * c.slip)
    budget = xp.minimum(c.position_size, cash_flat) if c.by_value else cash_flat * c.fraction
    qty = xp.floor(budget / (open_price * c.fee_factor))
    qty = qty - (qty * open_price + qty * open_price * c.fee_rate > budget)
    qty = xp.where((side != 0) & (qty > 0), qty, 0.0)
    notional = qty * open_price
    open_fee = notional * c.fee_rate
    return close_price, close_fee, open_price, qty, open_fee, cash_flat - side * notional - open_fee


def _walk_one(prices: np.ndarray, sides: np.ndarray, c: _Costs, out: dict) -> None:
    """The events of one run, in Python floats (a single backtest: ~50x fewer calls)."""
    cash, shares = c.initial_capital, 0.0
    for k, (price, side) in enumerate(zip(prices.tolist(), sides.tolist(), strict=True)):
        close_price, close_fee, open_price, qty, open_fee, cash = _fill(
            cash, shares, price, side, c, _FloatMath
        )
        out["closed"][k] = shares
        shares = side * qty
        out["close_price"][k] = close_price
        out["close_fee"][k] = close_fee
        out["opened"][k] = shares
        out["open_price"][k] = open_price
        out["open_fee"][k] = open_fee
        out["cash"][k] = cash
        out["shares"][k] = shares


def _walk_many(
    prices: np.ndarray, sides: np.ndarray, valid: np.ndarray, c: _Costs, out: dict
) -> None:
    """The events of N runs, event k of every run at once (padded events change nothing)."""
    cash = np.full(prices.shape[0], c.initial_capital)
    shares = np.zeros(prices.shape[0])
    for k in range(prices.shape[1]):
        live = valid[:, k]
        side = sides[:, k]
        close_price, close_fee, open_price, qty, open_fee, cash_after = _fill(
            cash, shares, prices[:, k], side, c, np
        )
        out["closed"][:, k] = np.where(live, shares, 0.0)
        out["close_price"][:, k] = close_price
        out["close_fee"][:, k] = np.where(live, close_fee, 0.0)
        out["opened"][:, k] = np.where(live, side * qty, 0.0)
        out["open_price"][:, k] = open_price
        out["open_fee"][:, k] = np.where(live, open_fee, 0.0)
        cash = np.where(live, cash_after, cash)
        shares = np.where(live, side * qty, shares)
        out["cash"][:, k] = cash
        out["shares"][:, k] = shares


def paths(events: Events, close: np.ndarray, initial_capital: float) -> Paths:
    """Cash, position and equity on every bar, with bankruptcy applied."""
    n_runs, width = events.valid.shape
    n_bars = close.shape[0]
    count = np.zeros((n_runs, n_bars), dtype=np.int64)
    rows, ks = np.nonzero(events.valid)
    count[rows, events.bar[rows, ks]] = 1
    np.cumsum(count, axis=1, out=count)

    cash_steps = np.empty((n_runs, width + 1))
    cash_steps[:, 0] = initial_capital
    cash_steps[:, 1:] = events.cash
    share_steps = np.zeros((n_runs, width + 1))
    share_steps[:, 1:] = events.shares
    cash = np.take_along_axis(cash_steps, count, axis=1)
    position = np.take_along_axis(share_steps, count, axis=1)
    equity = cash + position * close

    bust = equity <= 0.0
    bust_bar = np.where(bust.any(axis=1), bust.argmax(axis=1), -1)
    for row in np.flatnonzero(bust_bar >= 0):
        start = bust_bar[row]
        cash[row, start:] = 0.0
        position[row, start:] = 0.0
        equity[row, start:] = 0.0
    return Paths(cash=cash, position=position, equity=equity, bust_bar=bust_bar)


def trade_counts(events: Events, bust_bar: np.ndarray) -> np.ndarray:
    """Trades opened per run (closed or still open), up to the bust bar."""
    opened = events.valid & (events.opened != 0)
    last_bar = np.where(bust_bar >= 0, bust_bar, np.iinfo(np.int64).max)
    return (opened & (events.bar <= last_bar[:, None])).sum(axis=1)
