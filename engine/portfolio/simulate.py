"""The portfolio simulation: one cash ledger over a universe, rebalanced to target weights.

Semantics in docs/execution.md, "Portfolios". Only fill bars need per-bar work: between
two fills the holdings are constant, so cash, equity and weights of a whole segment are
computed at once; the drift check looks at a segment's weights in one pass too. Every
order's fee and a cut buy's whole shares are the broker's (``engine.broker.costs``:
``order_fee``, ``affordable``); a book whose equity reaches 0 at a close is liquidated
there and trades no more (the bust rule, as a run's).
"""

from __future__ import annotations

import numpy as np

from engine.broker.costs import ARRAYS, Costs, affordable, order_fee
from engine.portfolio.benchmark import buy_and_hold
from engine.portfolio.closes import ForcedCloses, check_closes
from engine.portfolio.corporate import ActionTable, Corporate, PortfolioActions, check_actions
from engine.portfolio.prices import check_prices, last_close
from engine.portfolio.result import OrderTable, PortfolioConfig, PortfolioResult
from engine.result import EXIT_REASONS

LIQUIDATION = EXIT_REASONS.index("liquidation")
FORCED = -1
"""An order's ``reason`` (``OrderTable.reason``): a bust's sale; a forced close (a
delisting, leaving the index)."""


def simulate_portfolio(
    open_: np.ndarray,
    close: np.ndarray,
    targets: np.ndarray,
    decide: np.ndarray,
    config: PortfolioConfig,
    closes: ForcedCloses | None = None,
    actions: PortfolioActions | None = None,
) -> PortfolioResult:
    """Simulate rebalancing to ``targets`` on the ``decide`` bars' closes, filling at the
    next bar's open. ``open_``/``close`` (T, N) are NaN where a ticker has no bar; ``targets``
    (T, N) come from ``target_weights`` and ``decide`` (T,) from ``rebalance_schedule``.
    ``closes`` (optional): the bars a ticker may not be held on (``ForcedCloses``: a
    holding is closed where such a run begins, and never bought inside it).
    ``actions`` (optional): splits and dividends on each ticker's ex-bars
    (``PortfolioActions``: at such an open, before its fill, a holding's shares split and
    its dividend is paid, or charged to a short).
    When the equity at a close is <= 0 (a short book, or a levered one), every holding is
    sold or bought back at that close (no slippage, the fee model's fee), the deficit left
    is written off (``written_off``) and the book trades no more: cash, shares and equity
    are 0 from that close on (``bust_bar``). A book that never reaches 0 is walked once;
    one that does is walked again to its first close at 0 (the bars before it are the
    same), so the bust costs nothing to the books that never go bust."""
    args = (open_, close, targets, decide, config, closes, actions)
    result = _simulate(*args)
    broke = np.flatnonzero(result.equity <= 0.0)
    return _simulate(*args, bust_at=int(broke[0])) if broke.size else result


def _simulate(
    open_: np.ndarray,
    close: np.ndarray,
    targets: np.ndarray,
    decide: np.ndarray,
    config: PortfolioConfig,
    closes: ForcedCloses | None,
    actions: PortfolioActions | None,
    bust_at: int | None = None,
) -> PortfolioResult:
    """``simulate_portfolio``'s walk; ``bust_at``: the close where the book goes bust."""
    open_, close = check_prices(open_, close)
    n_bars, n_assets = close.shape
    decide = np.asarray(decide, dtype=bool)
    if decide.shape != (n_bars,):
        raise ValueError(f"decide: expected shape ({n_bars},)")
    targets = _check_targets(targets, decide, close.shape, config.max_leverage, config.allow_short)
    mark = np.nan_to_num(last_close(close), nan=0.0)
    growth = (1.0 + config.cash_rate) ** (1.0 / config.bars_per_year) if config.cash_rate else 1.0
    borrow = config.borrow_rate / config.bars_per_year
    ledger = _Ledger(n_bars, n_assets, config.initial_capital, growth, borrow, mark)
    ledger.bust_at = bust_at
    book = _Fills(config, n_bars)
    forced = None if closes is None else _Forced(check_closes(closes, close.shape))
    corporate = None if actions is None else Corporate(check_actions(actions, close), open_)
    scheduled = np.flatnonzero(decide[:-1]) if n_bars else np.empty(0, dtype=np.int64)
    last_target: np.ndarray | None = None
    start = 0  # the first bar whose holdings are not yet written
    while True:
        at = int(np.searchsorted(scheduled, start))
        nxt = int(scheduled[at]) if at < scheduled.size else None
        stop = n_bars - 1 if nxt is None else nxt  # bars start..stop-1 are unscheduled
        event = None if forced is None else forced.next_bar(start, ledger.now_shares)
        if corporate is not None:  # the open of ``start`` has had its events
            event = _earliest(event, corporate.next_bar(start + 1, ledger.now_shares))
        if event is not None:
            stop = min(stop, event)  # the holdings change at the event's open
        drift = None
        if last_target is not None and config.drift_threshold is not None and stop > start:
            drift = _first_drift(
                ledger,
                mark,
                start,
                stop,
                last_target,
                config.drift_threshold,
                None if forced is None else forced.blocked,
            )
        if drift is not None:
            bar, weights = drift, last_target
        elif nxt is not None and (event is None or nxt < event):
            bar, weights = nxt, targets[nxt]
            last_target = weights
        elif event is not None:
            if _hold(ledger, book, start, event):
                break
            _at_open(ledger, book, event, forced, corporate, open_, close, mark)
            start = event
            continue
        else:
            _hold(ledger, book, start, n_bars)
            break
        if _hold(ledger, book, start, bar + 1):
            break
        if event == bar + 1:
            _at_open(ledger, book, event, forced, corporate, open_, close, mark)
        if forced is not None:
            weights = np.where(forced.blocked[bar + 1], 0.0, weights)
        ledger.decisions[bar] = True
        book.rebalance(ledger, bar + 1, weights, open_, close, mark)
        start = bar + 1
    values = ledger.shares * mark
    equity = ledger.cash + values.sum(axis=1)
    weights_out = np.divide(
        values, equity[:, None], out=np.zeros_like(values), where=equity[:, None] > 0
    )
    orders = book.table()
    log = None if corporate is None or not len(corporate.log) else corporate.log
    return PortfolioResult(
        equity=equity,
        cash=ledger.cash,
        shares=ledger.shares,
        weights=weights_out,
        orders=orders,
        contribution=_contribution(orders, ledger, mark, log),
        turnover=book.turnover,
        benchmark=buy_and_hold(open_, close, mark, config, corporate),
        decisions=ledger.decisions,
        events=log,
        bust_bar=ledger.bust_bar,
        written_off=ledger.written_off,
    )


def _hold(ledger: _Ledger, book: _Fills, start: int, end: int) -> bool:
    """Hold bars start..end-1 (``_Ledger.hold``); True when the book went bust at one of
    their closes (then liquidated there, and every later bar written)."""
    bust = ledger.hold(start, end)
    if bust is None:
        return False
    book.liquidate(ledger, bust)
    return True


def _earliest(first: int | None, second: int | None) -> int | None:
    """The earlier of two bars, either of which may be None."""
    if first is None or second is None:
        return second if first is None else first
    return min(first, second)


def _at_open(
    ledger: _Ledger,
    book: _Fills,
    bar: int,
    forced: _Forced | None,
    corporate: Corporate | None,
    open_: np.ndarray,
    close: np.ndarray,
    mark: np.ndarray,
) -> None:
    """What happens at ``bar``'s open before its fill: the splits and dividends on the
    holdings, then the forced closes."""
    if corporate is not None:
        ledger.now_cash = corporate.apply(bar, ledger.now_shares, ledger.now_cash)
    if forced is not None:
        book.close(ledger, bar, forced, open_, close, mark)


class _Ledger:
    """The holdings and cash now, and their per-bar record written segment by segment;
    ``growth`` is the factor cash (or debt) grows by at each close (1 = no cash rate);
    ``borrow`` the share of the short positions' value at ``mark`` (each close) that cash
    pays at that close (0 = no borrow fee)."""

    def __init__(
        self,
        n_bars: int,
        n_assets: int,
        capital: float,
        growth: float = 1.0,
        borrow: float = 0.0,
        mark: np.ndarray | None = None,
    ) -> None:
        self.growth = growth
        self.borrow = borrow
        self.mark = mark
        self.now_shares = np.zeros(n_assets, dtype=np.int64)
        self.now_cash = float(capital)
        self.shares = np.zeros((n_bars, n_assets), dtype=np.int64)
        self.cash = np.zeros(n_bars, dtype=np.float64)
        self.decisions = np.zeros(n_bars, dtype=bool)
        self.bust_at: int | None = None  # the close whose equity is <= 0 first, when known
        self.bust_bar: int | None = None
        self.written_off = 0.0

    def hold(self, start: int, end: int) -> int | None:
        """Bars start..end-1 keep the current holdings and cash (with its interest, less the
        borrow fees); returns ``bust_at`` when it is one of them (the bust: the bars from
        it on are left for ``bust``), else None."""
        self.shares[start:end] = self.now_shares
        if end <= start:
            return None
        cash = self.cash_ahead(start, end)
        self.cash[start:end] = cash
        if not isinstance(cash, float):  # interest or fees moved it
            self.now_cash = float(self.cash[end - 1])
        bust = self.bust_at
        if bust is None or not start <= bust < end:
            return None
        self.now_cash = float(self.cash[bust])
        return bust

    def bust(self, bar: int) -> None:
        """After ``bar``'s liquidation (``now_cash`` the cash it left, <= 0): the deficit
        is written off and the book holds nothing from that close on."""
        self.written_off = -self.now_cash
        self.now_cash = 0.0
        self.now_shares[:] = 0
        self.shares[bar:] = 0
        self.cash[bar:] = 0.0
        self.bust_bar = bar

    def cash_ahead(self, start: int, end: int) -> np.ndarray | float:
        """The cash at closes start..end-1 without a trade: grown by the cash rate, less
        the borrow fee of each close."""
        fees = self._borrow_fees(start, end)
        if fees is None:
            if self.growth == 1.0:
                return self.now_cash
            return self.now_cash * self.growth ** np.arange(1, end - start + 1)
        if self.growth == 1.0:
            return self.now_cash - np.cumsum(fees)
        # c_t = c_(t-1) g - f_t, so c_t / g^t = c_0 - sum of f_s / g^s up to t
        powers = self.growth ** np.arange(1, end - start + 1)
        return powers * (self.now_cash - np.cumsum(fees / powers))

    def _borrow_fees(self, start: int, end: int) -> np.ndarray | None:
        """The borrow fee paid at closes start..end-1 on the short holdings (None: no fee)."""
        short = np.minimum(self.now_shares, 0)
        if not self.borrow or self.mark is None or not short.any():
            return None
        return self.borrow * (self.mark[start:end] @ -short.astype(np.float64))


def _first_drift(
    ledger: _Ledger,
    mark: np.ndarray,
    start: int,
    stop: int,
    target: np.ndarray,
    limit: float,
    blocked: np.ndarray | None = None,
) -> int | None:
    """The first bar in start..stop-1 whose weights differ from ``target`` by more than
    ``limit`` (absolute) in any ticker, or None; a ticker ``blocked`` (forced closes) at
    that bar or the next is not compared (it cannot be bought back)."""
    values = mark[start:stop] * ledger.now_shares
    equity = ledger.cash_ahead(start, stop) + values.sum(axis=1)
    weights = np.divide(
        values, equity[:, None], out=np.zeros_like(values), where=equity[:, None] > 0
    )
    gap = np.abs(weights - target)
    if blocked is not None:
        gap[blocked[start:stop] | blocked[start + 1 : stop + 1]] = 0.0
    drifted = np.flatnonzero(gap.max(axis=1) > limit)
    return start + int(drifted[0]) if drifted.size else None


class _Forced:
    """The checked forced closes and the (bar, asset) where each blocked run begins."""

    def __init__(self, closes: ForcedCloses) -> None:
        self.closes = closes
        self.blocked = closes.blocked
        self.bars, self.assets = closes.starts()

    def next_bar(self, start: int, held: np.ndarray) -> int | None:
        """The first bar >= ``start`` where a run begins for a ticker ``held`` (shares)."""
        at = int(np.searchsorted(self.bars, start))
        hit = np.flatnonzero(held[self.assets[at:]] != 0)
        return int(self.bars[at + hit[0]]) if hit.size else None

    def at(self, bar: int) -> np.ndarray:
        """The assets whose blocked run begins at ``bar``."""
        lo, hi = np.searchsorted(self.bars, [bar, bar + 1])
        return self.assets[lo:hi]


class _Fills:
    """Executes the orders of each fill bar and keeps them."""

    def __init__(self, config: PortfolioConfig, n_bars: int) -> None:
        self.costs: Costs = config.broker_costs()
        self.slippage = self.costs.slip
        self.min_trade = float(config.min_trade)
        self.max_leverage = float(config.max_leverage)
        self.turnover = np.zeros(n_bars, dtype=np.float64)
        self._rows: list[tuple[np.ndarray, ...]] = []
        self._forced: list[int] = []  # the indices in _rows of forced closes
        self._liquidated: int | None = None  # the index in _rows of a bust's orders

    def rebalance(
        self,
        ledger: _Ledger,
        bar: int,
        weights: np.ndarray,
        open_: np.ndarray,
        close: np.ndarray,
        mark: np.ndarray,
    ) -> None:
        """Trade towards ``weights`` at ``bar``'s open: sized from the portfolio value at
        this open (last close for a ticker without a bar), sells before buys, each group in
        ascending order of its order value, buys cut to the cash left; an order worth less
        than ``min_trade`` of the value is skipped, and so is a buy cut below it. Each
        order pays the broker's ``order_fee``; a sale whose fee exceeds its proceeds is not
        sent (vectorbt's ``CantCoverFees``); a cut buy gets the broker's ``affordable``
        whole shares of the cash above the floor (none when there is none)."""
        tradable = np.isfinite(close[bar])
        price = np.where(tradable, open_[bar], mark[bar - 1])
        held = ledger.now_shares
        value = ledger.now_cash + float((held * price).sum())
        if not value > 0:
            return
        wanted = weights * value
        delta = wanted / np.where(tradable, price, 1.0) - held
        order_value = wanted - held * price
        sequence = np.argsort(np.where(tradable, order_value, np.nan), kind="stable")
        sequence = sequence[tradable[sequence]]
        if self.min_trade > 0:
            sequence = sequence[np.abs(order_value[sequence]) >= self.min_trade * value]
        sells = sequence[delta[sequence] <= -1.0]
        buys = sequence[delta[sequence] >= 1.0]
        cash = ledger.now_cash
        # Sells: whole shares, the order rounded toward zero; cash only grows.
        sell_n = np.floor(-delta[sells]).astype(np.int64)
        sell_px = price[sells] * (1.0 - self.slippage)
        sell_value = sell_n * sell_px
        sell_fee = ARRAYS["order_fee"](sell_n, sell_px, self.costs.floats)
        if self.costs.extra:  # a sale whose fee exceeds its proceeds is not sent
            sold = sell_value >= sell_fee  # (with fee_rate < 1 alone every sale covers it)
            sells, sell_n, sell_px = sells[sold], sell_n[sold], sell_px[sold]
            sell_value, sell_fee = sell_value[sold], sell_fee[sold]
        for proceeds in sell_value - sell_fee:
            cash += proceeds
        # Buys: in order; one that cash cannot cover is cut to what cash allows (cash may
        # go down to ``floor``, below 0 only with leverage).
        floor = -(self.max_leverage - 1.0) * value if self.max_leverage > 1 else 0.0
        buy_px = price[buys] * (1.0 + self.slippage)
        buy_n = np.floor(delta[buys]).astype(np.int64)
        cost = buy_n * buy_px
        buy_fee = ARRAYS["order_fee"](buy_n, buy_px, self.costs.floats)
        spent = np.cumsum(cost + buy_fee)
        covered = int(np.searchsorted(spent > cash - floor, True))  # the buys before it fit
        if covered:
            cash -= float(spent[covered - 1])
        for k in range(covered, buys.size):
            total = float(cost[k] + buy_fee[k])
            if total > cash - floor:
                price_k, budget = float(buy_px[k]), cash - floor
                n = int(affordable(budget, price_k, self.costs.floats)) if budget > 0 else 0
                if n <= 0 or n * price_k < self.min_trade * value:  # none, or below the minimum
                    n = 0
                buy_n[k] = n
                buy_fee[k] = order_fee(n, price_k, self.costs.floats)
                total = n * price_k + float(buy_fee[k])
            cash -= total
        keep = buy_n > 0
        assets = np.concatenate([sells, buys[keep]])
        signed = np.concatenate([-sell_n, buy_n[keep]])
        prices = np.concatenate([sell_px, buy_px[keep]])
        fees = np.concatenate([sell_fee, buy_fee[keep]])
        values = signed * prices
        np.add.at(ledger.now_shares, assets, signed)
        ledger.now_cash = cash
        self.turnover[bar] = float(np.abs(values).sum()) / value
        if assets.size:
            self._rows.append((np.full(assets.size, bar), assets, signed, prices, fees, values))

    def close(
        self,
        ledger: _Ledger,
        bar: int,
        forced: _Forced,
        open_: np.ndarray,
        close: np.ndarray,
        mark: np.ndarray,
    ) -> None:
        """Close, at ``bar``'s open, every holding whose blocked run begins there: at its
        cash price (no slippage), else as a market order at the open (the last close
        without a bar) with slippage; the fee as any order pays it."""
        assets = forced.at(bar)
        assets = assets[ledger.now_shares[assets] != 0]
        signed = -ledger.now_shares[assets]
        prices = np.empty(assets.size)
        for k, asset in enumerate(assets.tolist()):
            cash_price = forced.closes.cash_price(bar, asset)
            if np.isfinite(cash_price):
                prices[k] = cash_price
                continue
            market = open_[bar, asset] if np.isfinite(close[bar, asset]) else mark[bar - 1, asset]
            prices[k] = market * (1.0 + self.slippage if signed[k] > 0 else 1.0 - self.slippage)
        values = signed * prices
        fees = ARRAYS["order_fee"](np.abs(signed), prices, self.costs.floats)
        for value, fee in zip(values.tolist(), fees.tolist(), strict=True):
            ledger.now_cash -= value + fee
        ledger.now_shares[assets] = 0
        if assets.size:
            rows = (np.full(assets.size, bar), assets, signed, prices, fees, values)
            self._rows.append(rows)
            self._forced.append(len(self._rows) - 1)

    def liquidate(self, ledger: _Ledger, bar: int) -> None:
        """The bust at ``bar``'s close: every holding closed at its last close (no
        slippage), paying the fee model's fee; then the ledger writes off what is left
        below 0 (``_Ledger.bust``)."""
        assets = np.flatnonzero(ledger.now_shares)
        signed = -ledger.now_shares[assets]
        prices = ledger.mark[bar, assets]
        values = signed * prices
        fees = ARRAYS["order_fee"](np.abs(signed), prices, self.costs.floats)
        for value, fee in zip(values.tolist(), fees.tolist(), strict=True):
            ledger.now_cash -= value + fee
        if assets.size:
            self._rows.append((np.full(assets.size, bar), assets, signed, prices, fees, values))
            self._liquidated = len(self._rows) - 1
        ledger.bust(bar)

    def table(self) -> OrderTable:
        """Every order so far, in execution order (with ``reason`` after a bust)."""
        columns = list(zip(*self._rows, strict=True)) if self._rows else [()] * 6
        dtypes = (np.int64, np.int64, np.int64, np.float64, np.float64, np.float64)
        bar, asset, shares, price, fee, value = (
            np.concatenate(col).astype(dtype) if col else np.empty(0, dtype=dtype)
            for col, dtype in zip(columns, dtypes, strict=True)
        )
        forced = np.zeros(bar.size, dtype=bool)
        if self._forced:
            ends = np.cumsum([rows[0].size for rows in self._rows])
            for at in self._forced:
                forced[ends[at] - self._rows[at][0].size : ends[at]] = True
        reason = None
        if self._liquidated is not None:
            reason = np.where(forced, FORCED, 0)
            reason[bar.size - self._rows[self._liquidated][0].size :] = LIQUIDATION
        return OrderTable(
            bar=bar,
            asset=asset,
            shares=shares,
            price=price,
            fee=fee,
            value=value,
            forced=forced,
            reason=reason,
        )


def _check_targets(
    targets: np.ndarray,
    decide: np.ndarray,
    shape: tuple[int, int],
    leverage: float = 1.0,
    short: bool = False,
) -> np.ndarray:
    targets = np.asarray(targets, dtype=np.float64)
    if targets.shape != shape:
        raise ValueError(f"targets: expected shape {shape}")
    used = targets[decide]
    if not np.all(np.isfinite(used)) or (not short and np.any(used < 0)):
        raise ValueError("targets: weights on decision bars must be finite and >= 0")
    if used.size and np.any(np.abs(used).sum(axis=1) > leverage + 1e-9):
        raise ValueError("targets: weights on a decision bar must sum to <= max_leverage (1)")
    return targets


def _contribution(
    orders: OrderTable, ledger: _Ledger, mark: np.ndarray, events: ActionTable | None = None
) -> np.ndarray:
    """``contribution`` of the ledger's final holdings."""
    if not mark.shape[0]:
        return np.zeros(mark.shape[1])
    return contribution(orders, ledger.shares[-1], mark, events)


def contribution(
    orders: OrderTable, final: np.ndarray, mark: np.ndarray, events: ActionTable | None = None
) -> np.ndarray:
    """Each ticker's P&L: its ``final`` holding at the last close minus what was paid for it
    (net of sales) and its fees, plus the cash its ``events`` moved (dividends, cash in
    lieu)."""
    n_assets = mark.shape[1]
    if not mark.shape[0]:
        return np.zeros(n_assets)
    flows = np.bincount(orders.asset, weights=orders.value + orders.fee, minlength=n_assets)
    pnl = final * mark[-1] - flows
    return pnl if events is None else pnl + events.cash_by_asset(n_assets)
