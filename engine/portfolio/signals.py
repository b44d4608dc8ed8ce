"""A portfolio of rules: each ticker traded by its own entry and exit signals (and stops) on
one shared cash ledger, vectorbt's ``Portfolio.from_signals(..., group_by=True,
cash_sharing=True, call_seq="auto")``.

Every fill is the broker's (``engine.broker.costs.fill``: slippage, the fee model, the
size model and the cash limit) and every stop its contingent orders
(``engine.broker.stops.Position``): the portfolio only says which orders each bar sends, in
which order, against which cash. Semantics in docs/execution.md, "A portfolio of rules".
The walk is per bar in Python, touching only the tickers with an order or an open stop
(a bar's work is a few numpy masks and one broker call per order); from
``engine.compiled.MIN_SIGNAL_BAR_UPDATES`` bars x tickers, and without forced closes or
corporate actions, its compiled twin (``engine._signals_kernel``, the broker's compiled
fill and stop check) walks instead, bit for bit the same (a Hypothesis differential test).
"""

from __future__ import annotations

import math

import numpy as np

from engine.broker.costs import Costs, fill, order_fee
from engine.broker.stops import SIGNAL, Position, Stops
from engine.params import TradingParams
from engine.portfolio.closes import ForcedCloses, check_closes
from engine.portfolio.corporate import Corporate, PortfolioActions, check_actions
from engine.portfolio.prices import check_prices, last_close
from engine.portfolio.result import OrderTable, PortfolioConfig, PortfolioResult
from engine.portfolio.simulate import FORCED, assembled


def rule_costs(
    config: PortfolioConfig,
    *,
    by_value: bool = False,
    position_size: float = 100.0,
    fee_fixed: float = 0.0,
    fee_per_share: float = 0.0,
    fee_min: float = 0.0,
    fee_max: float = math.inf,
) -> Costs:
    """The broker's costs of a portfolio of rules: ``config``'s capital, fee rate and
    slippage, an entry's size (``position_size`` percent of the cash at its fill, or, with
    ``by_value``, that much cash) and the fixed and per-share fees of the run request, as
    ``Costs.of`` derives a run's from its ``TradingParams`` (checked by them alike)."""
    return Costs.of(
        TradingParams(
            initial_capital=float(config.initial_capital),
            fee_rate=float(config.fee_rate),
            slippage_bps=float(config.slippage_bps),
            size_type="value" if by_value else "percent",
            position_size=float(position_size),
            fee_fixed=fee_fixed,
            fee_per_share=fee_per_share,
            fee_min=fee_min,
            fee_max=None if fee_max == math.inf else fee_max,
        )
    )


class _Book:
    """The orders so far, one row each, in execution order."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, int, int, float, float, int]] = []

    def add(self, bar: int, asset: int, signed: int, price: float, fee: float, reason: int):
        self.rows.append((bar, asset, signed, price, fee, reason))

    def table(self) -> OrderTable:
        rows = self.rows
        bar = np.array([r[0] for r in rows], dtype=np.int64)
        shares = np.array([r[2] for r in rows], dtype=np.int64)
        price = np.array([r[3] for r in rows], dtype=np.float64)
        reason = np.array([r[5] for r in rows], dtype=np.int64)
        return OrderTable(
            bar=bar,
            asset=np.array([r[1] for r in rows], dtype=np.int64),
            shares=shares,
            price=price,
            fee=np.array([r[4] for r in rows], dtype=np.float64),
            value=shares * price,
            forced=reason == FORCED,
            reason=reason,
        )


def simulate_signals(
    open_: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    entries: np.ndarray,
    exits: np.ndarray,
    config: PortfolioConfig,
    costs: Costs,
    stops: Stops | None = None,
    closes: ForcedCloses | None = None,
    actions: PortfolioActions | None = None,
    compiled: bool = False,
) -> PortfolioResult:
    """Trade each ticker by its own signals on one cash ledger. ``open_``/``high``/``low``/
    ``close`` (T, N) are NaN where a ticker has no bar; ``entries``/``exits`` (T, N) bool
    are decided at each bar's close from bars up to it. At bar t's open, in this order: the
    splits and dividends (``actions``), the forced closes (``closes``), then the orders of
    t-1's signals — every exit of a held ticker (the largest sale first), then every entry
    of a flat one (in the universe's order), each through the broker's ``fill`` against the
    cash left (``costs``: a percent of that cash or a value, cut to what it affords); then,
    within the bar, each holding's stops (``stops``, checked from its fill bar on). A
    ticker without a bar at t, or blocked there, does not trade at t (the signal is
    dropped); a bar whose entry and exit are both true is ignored. ``compiled``: walk
    with the compiled twin (``engine._signals_kernel``) where it covers the book, whatever
    its size: a caller simulating one book many times (a capacity curve) pays for numba
    once."""
    open_, close = check_prices(open_, close)
    shape = close.shape
    n_bars, n_assets = shape
    high = np.asarray(high, dtype=np.float64)
    low = np.asarray(low, dtype=np.float64)
    entries = np.asarray(entries, dtype=bool)
    exits = np.asarray(exits, dtype=bool)
    for name, array in (("high", high), ("low", low), ("entries", entries), ("exits", exits)):
        if array.shape != shape:
            raise ValueError(f"{name}: expected shape {shape}")
    if float(costs.initial_capital) != float(config.initial_capital):
        raise ValueError("costs.initial_capital: must equal config.initial_capital")
    mark = np.nan_to_num(last_close(close), nan=0.0)
    has_bar = np.isfinite(close)
    buy = entries & ~exits
    sell = exits & ~entries
    blocked = None
    if closes is not None:
        closes = check_closes(closes, shape)
        blocked = closes.blocked
    corporate = None if actions is None else Corporate(check_actions(actions, close), open_)
    stopping = stops is not None and any(
        level is not None for level in (stops.loss, stops.profit, stops.trail)
    )
    if _compiled_pays(closes, corporate, n_bars * n_assets, compiled):
        walked = _compiled_walk(open_, high, low, has_bar, buy, sell, mark, costs, stops)
        shares_out, cash_out, turnover, decisions, orders = walked
        market = (open_, close, mark, config)
        return assembled(market, (shares_out, cash_out, decisions, turnover), orders, None)
    held = np.zeros(n_assets, dtype=np.int64)
    cash = float(config.initial_capital)
    shares_out = np.zeros(shape, dtype=np.int64)
    cash_out = np.zeros(n_bars, dtype=np.float64)
    turnover = np.zeros(n_bars, dtype=np.float64)
    decisions = np.zeros(n_bars, dtype=bool)
    positions: dict[int, Position] = {}
    book = _Book()
    for bar in range(n_bars):
        traded = 0.0
        price = np.where(has_bar[bar], open_[bar], mark[bar - 1] if bar else 0.0)
        if corporate is not None and held.any():
            before = held.copy()
            cash = corporate.apply(bar, held, cash)
            for asset in np.flatnonzero(before != held).tolist():
                if asset in positions:
                    positions[asset].split(float(corporate.split[bar, asset]))
        value = cash + float((held * price).sum())
        if blocked is not None and bar:
            starts = np.flatnonzero(blocked[bar] & ~blocked[bar - 1] & (held != 0))
            for asset in starts.tolist():
                cash, amount = _forced_close(book, bar, asset, held, cash, price, closes, costs)
                positions.pop(asset, None)
                traded += amount
        if bar:
            tradable = has_bar[bar] if blocked is None else has_bar[bar] & ~blocked[bar]
            out = np.flatnonzero(sell[bar - 1] & tradable & (held > 0))
            into = np.flatnonzero(buy[bar - 1] & tradable & (held == 0))
            if out.size or into.size:
                decisions[bar - 1] = True
            # The largest sale first (vectorbt's call_seq="auto": ascending order value).
            out = out[np.argsort(-(held[out] * open_[bar, out]), kind="stable")]
            for asset in out.tolist():
                cash, amount = _sell(book, bar, asset, held, cash, open_[bar, asset], costs, SIGNAL)
                positions.pop(asset, None)
                traded += amount
            for asset in into.tolist():
                result = fill(cash, 0.0, float(open_[bar, asset]), 1.0, costs.floats)
                _, _, fill_price, qty, fee, after = result
                if qty > 0:
                    cash = after
                    held[asset] = int(qty)
                    book.add(bar, asset, int(qty), fill_price, fee, SIGNAL)
                    traded += qty * fill_price
                    if stopping:
                        positions[asset] = Position(1.0, fill_price, stops)
        if stopping and positions:
            for asset in sorted(positions):  # the universe's order
                if not has_bar[bar, asset]:
                    continue
                hit = positions[asset].exit(open_[bar, asset], high[bar, asset], low[bar, asset])
                if hit is not None:
                    level, reason = hit
                    cash, amount = _sell(book, bar, asset, held, cash, level, costs, reason)
                    del positions[asset]
                    traded += amount
        if traded and value > 0:
            turnover[bar] = traded / value
        shares_out[bar] = held
        cash_out[bar] = cash
    ledger = (shares_out, cash_out, decisions, turnover)
    return assembled((open_, close, mark, config), ledger, book.table(), corporate)


def _compiled_pays(
    closes: ForcedCloses | None, corporate: Corporate | None, work: int, asked: bool = False
) -> bool:
    """Whether the compiled walk (``engine._signals_kernel``) runs: without forced closes or
    corporate actions (the Python walk keeps those), for enough bars x tickers or when the
    caller ``asked`` for it (``simulate_signals``' ``compiled``)."""
    from engine import compiled

    if closes is not None or corporate is not None or not work:
        return False
    return asked or compiled.pays(work, compiled.MIN_SIGNAL_BAR_UPDATES)


def _compiled_walk(open_, high, low, has_bar, buy, sell, mark, costs: Costs, stops):
    """The compiled walk's per-bar record and orders, as the Python walk gives them."""
    from engine._signals_kernel import walk_signals

    levels = np.full(3, np.nan)
    if stops is not None:
        for at, level in enumerate((stops.loss, stops.profit, stops.trail)):
            if level is not None:
                levels[at] = level
    arrays = (np.ascontiguousarray(a) for a in (open_, high, low, has_bar, buy, sell, mark))
    shares_out, cash_out, traded, value, decisions, rows = walk_signals(
        *arrays, costs.as_array(), levels, float(costs.initial_capital)
    )
    turnover = np.zeros(traded.size)
    moved = (traded != 0) & (value > 0)
    turnover[moved] = traded[moved] / value[moved]
    signed = rows[:, 2].astype(np.int64)
    price = rows[:, 3].copy()
    reason = rows[:, 5].astype(np.int64)
    orders = OrderTable(
        bar=rows[:, 0].astype(np.int64),
        asset=rows[:, 1].astype(np.int64),
        shares=signed,
        price=price,
        fee=rows[:, 4].copy(),
        value=signed * price,
        forced=reason == FORCED,
        reason=reason,
    )
    return shares_out, cash_out, turnover, decisions, orders


def _sell(
    book: _Book,
    bar: int,
    asset: int,
    held: np.ndarray,
    cash: float,
    price: float,
    costs: Costs,
    reason: int,
) -> tuple[float, float]:
    """Close ``asset``'s holding at ``price`` through the broker (slippage, fee); returns
    the cash after and the value traded."""
    shares = float(held[asset])
    close_price, close_fee, _, _, _, after = fill(cash, shares, float(price), 0.0, costs.floats)
    book.add(bar, asset, -int(shares), close_price, close_fee, reason)
    held[asset] = 0
    return after, shares * close_price


def _forced_close(
    book: _Book,
    bar: int,
    asset: int,
    held: np.ndarray,
    cash: float,
    price: np.ndarray,
    closes: ForcedCloses,
    costs: Costs,
) -> tuple[float, float]:
    """Close a holding where its blocked run begins: at the delisting's cash per share (no
    slippage, the fee model's fee), else as a market sale at this open."""
    cash_price = closes.cash_price(bar, asset)
    if not np.isfinite(cash_price):
        return _sell(book, bar, asset, held, cash, float(price[asset]), costs, FORCED)
    shares = int(held[asset])
    fee = float(order_fee(float(abs(shares)), cash_price, costs.floats))
    book.add(bar, asset, -shares, cash_price, fee, FORCED)
    held[asset] = 0
    return cash + shares * cash_price - fee, shares * cash_price


__all__ = ["FORCED", "rule_costs", "simulate_signals"]
