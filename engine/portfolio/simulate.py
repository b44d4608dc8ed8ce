"""The portfolio simulation: one cash ledger over a universe, rebalanced to target weights.

Semantics in docs/execution.md, "Portfolios". Only fill bars need per-bar work: between
two fills the holdings are constant, so cash, equity and weights of a whole segment are
computed at once; the drift check looks at a segment's weights in one pass too. Every
order's fee and a cut buy's whole shares are the broker's (``engine.broker.costs``:
``order_fee``, ``affordable``); a book whose equity reaches 0 at a close is liquidated
there and trades no more (the bust rule, as a run's).
"""

from __future__ import annotations

import math

import numpy as np

from engine.broker.costs import ARRAYS, Costs, affordable, order_fee
from engine.broker.impact import FIXED, MODELS, impact_fraction, liquidity_price
from engine.broker.liquid import shares_allowed
from engine.portfolio.benchmark import buy_and_hold
from engine.portfolio.closes import ForcedCloses, check_closes
from engine.portfolio.corporate import ActionTable, Corporate, PortfolioActions, check_actions
from engine.portfolio.liquidity import PortfolioLiquidity, adv_cap
from engine.portfolio.prices import check_prices, last_close
from engine.portfolio.result import (
    OrderTable,
    PortfolioConfig,
    PortfolioResult,
    RebalanceOrders,
)
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
    liquidity: PortfolioLiquidity | None = None,
    compiled: bool = False,
) -> PortfolioResult:
    """Simulate rebalancing to ``targets`` on the ``decide`` bars' closes, filling at the
    next bar's open. ``open_``/``close`` (T, N) are NaN where a ticker has no bar; ``targets``
    (T, N) come from ``target_weights`` and ``decide`` (T,) from ``rebalance_schedule``.
    ``closes`` (optional): the bars a ticker may not be held on (``ForcedCloses``: a
    holding is closed where such a run begins, and never bought inside it).
    ``actions`` (optional): splits and dividends on each ticker's ex-bars
    (``PortfolioActions``: at such an open, before its fill, a holding's shares split and
    its dividend is paid, or charged to a short).
    ``liquidity`` (optional; read when ``config.liquid``): each ticker's per-bar volume,
    trailing volatility, ADV and half spread (``PortfolioLiquidity``): a target is capped
    at ``max_adv_participation`` × ADV shares, a fill on a bar takes at most
    ``volume_limit`` × its volume and pays the broker's impact and half spread
    (``engine.broker.impact``), and what a rebalance's order could not fill is carried to
    the next bars' opens until filled or superseded by the next rebalance.
    When the equity at a close is <= 0 (a short book, or a levered one), every holding is
    sold or bought back at that close (no slippage, the fee model's fee), the deficit left
    is written off (``written_off``) and the book trades no more: cash, shares and equity
    are 0 from that close on (``bust_bar``). A book that never reaches 0 is walked once;
    one that does is walked again to its first close at 0 (the bars before it are the
    same), so the bust costs nothing to the books that never go bust.
    ``compiled``: walk with the compiled twin (``engine._rebalance_kernel``, bit for bit
    this walk) where it covers the book (``compiled_covers``), whatever its size: a caller
    simulating one book many times (a capacity curve) pays for numba once."""
    if config.liquid and liquidity is None:
        raise ValueError("liquidity: the config's liquidity fields need its inputs")
    liquidity = liquidity.check(np.shape(close)) if config.liquid and liquidity else None
    args = (open_, close, targets, decide, config, closes, actions, liquidity)
    walk = _compiled if compiled and compiled_covers(config, closes, actions) else _simulate
    result = walk(*args)
    broke = np.flatnonzero(result.equity <= 0.0)
    return walk(*args, bust_at=int(broke[0])) if broke.size else result


def compiled_covers(
    config: PortfolioConfig, closes: ForcedCloses | None, actions: PortfolioActions | None
) -> bool:
    """Whether the compiled walk covers a book: no forced closes, no corporate actions, no
    cash rate and no borrow fee (the Python walk keeps those)."""
    return closes is None and actions is None and not config.cash_rate and not config.borrow_rate


def _compiled(
    open_: np.ndarray,
    close: np.ndarray,
    targets: np.ndarray,
    decide: np.ndarray,
    config: PortfolioConfig,
    closes: None,
    actions: None,
    liquidity: PortfolioLiquidity | None,
    bust_at: int | None = None,
) -> PortfolioResult:
    """``_simulate`` walked by ``engine._rebalance_kernel.walk_rebalance``."""
    from engine._rebalance_kernel import LIQUIDATION as LIQUIDATED
    from engine._rebalance_kernel import walk_rebalance

    open_, close, targets, scheduled, mark = _checked(open_, close, targets, decide, config)
    costs = config.broker_costs()
    drift = math.nan if config.drift_threshold is None else float(config.drift_threshold)
    floats = np.array(
        [
            costs.slip,
            float(config.min_trade),
            float(config.max_leverage),
            drift,
            float(config.initial_capital),
            float(config.price_impact),
            float(config.impact_k),
        ]
    )
    none = np.empty((0, 0))
    limits = (none, none, none, none, none, none)
    model, priced = 0, False
    if liquidity is not None:
        allowed, cap, model, priced = _liquid_limits(config, liquidity)
        limits = (allowed, cap, liquidity.volume, liquidity.sigma, liquidity.adv)
        limits = (*limits, liquidity.half_spread)
    shares, cash, decisions, turnover, ints, reals, records, bust_bar, written_off = walk_rebalance(
        *(np.ascontiguousarray(a) for a in (open_, close, targets)),
        scheduled,
        np.ascontiguousarray(mark),
        costs.as_array(),
        floats,
        -1 if bust_at is None else int(bust_at),
        liquidity is not None,
        priced,
        model,
        *(np.ascontiguousarray(a, dtype=np.float64) for a in limits),
    )
    liquidated = ints[:, 3] == LIQUIDATED
    orders = OrderTable(
        bar=ints[:, 0].copy(),
        asset=ints[:, 1].copy(),
        shares=ints[:, 2].copy(),
        price=reals[:, 0].copy(),
        fee=reals[:, 1].copy(),
        value=reals[:, 2].copy(),
        forced=np.zeros(len(ints), dtype=bool),
        reason=np.where(liquidated, LIQUIDATION, 0) if liquidated.any() else None,
    )
    logged = None
    if liquidity is not None:
        rows = records[np.lexsort(records.T[::-1])]
        logged = RebalanceOrders(*(rows[:, k].copy() for k in range(5)))
    return assembled(
        (open_, close, mark, config),
        (shares, cash, decisions, turnover),
        orders,
        None,
        (None if bust_bar < 0 else int(bust_bar), float(written_off)),
        logged,
    )


def _checked(
    open_: np.ndarray,
    close: np.ndarray,
    targets: np.ndarray,
    decide: np.ndarray,
    config: PortfolioConfig,
) -> tuple[np.ndarray, ...]:
    """The walk's inputs checked (prices, ``decide``'s shape, the targets): (open, close,
    targets, the scheduled decision bars (``decide``'s but the last bar's, int64), each
    ticker's last known close (0 before its first bar))."""
    open_, close = check_prices(open_, close)
    n_bars = close.shape[0]
    decide = np.asarray(decide, dtype=bool)
    if decide.shape != (n_bars,):
        raise ValueError(f"decide: expected shape ({n_bars},)")
    targets = _check_targets(targets, decide, close.shape, config.max_leverage, config.allow_short)
    mark = np.nan_to_num(last_close(close), nan=0.0)
    scheduled = np.flatnonzero(decide[:-1]).astype(np.int64)
    return open_, close, targets, scheduled, mark


def assembled(
    market: tuple[np.ndarray, np.ndarray, np.ndarray, PortfolioConfig],
    ledger: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    orders: OrderTable,
    corporate: Corporate | None,
    bust: tuple[int | None, float] = (None, 0.0),
    rebalance_orders: RebalanceOrders | None = None,
) -> PortfolioResult:
    """The result of a walk (a rebalancing book's, a portfolio of rules'): ``market``
    (open, close, last close, config), the walk's ``ledger`` record (shares, cash,
    decisions, turnover), its orders, its splits and dividends (``corporate``, None
    without), ``bust`` (bust bar, written off) and rebalance orders."""
    open_, close, mark, config = market
    log = None if corporate is None or not len(corporate.log) else corporate.log
    shares, cash, decisions, turnover = ledger
    values = shares * mark
    equity = cash + values.sum(axis=1)
    weights_out = np.divide(
        values, equity[:, None], out=np.zeros_like(values), where=equity[:, None] > 0
    )
    final = shares[-1] if mark.shape[0] else np.zeros(mark.shape[1], dtype=np.int64)
    return PortfolioResult(
        equity=equity,
        cash=cash,
        shares=shares,
        weights=weights_out,
        orders=orders,
        contribution=contribution(orders, final, mark, log),
        turnover=turnover,
        benchmark=buy_and_hold(open_, close, mark, config, corporate),
        decisions=decisions,
        events=log,
        bust_bar=bust[0],
        written_off=bust[1],
        rebalance_orders=rebalance_orders,
    )


def _simulate(
    open_: np.ndarray,
    close: np.ndarray,
    targets: np.ndarray,
    decide: np.ndarray,
    config: PortfolioConfig,
    closes: ForcedCloses | None,
    actions: PortfolioActions | None,
    liquidity: PortfolioLiquidity | None,
    bust_at: int | None = None,
) -> PortfolioResult:
    """``simulate_portfolio``'s walk; ``bust_at``: the close where the book goes bust."""
    open_, close, targets, scheduled, mark = _checked(open_, close, targets, decide, config)
    n_bars, n_assets = close.shape
    growth = (1.0 + config.cash_rate) ** (1.0 / config.bars_per_year) if config.cash_rate else 1.0
    borrow = config.borrow_rate / config.bars_per_year
    ledger = _Ledger(n_bars, n_assets, config.initial_capital, growth, borrow, mark)
    ledger.bust_at = bust_at
    book = _Fills(config, n_bars, liquidity)
    forced = None if closes is None else _Forced(check_closes(closes, close.shape))
    corporate = None if actions is None else Corporate(check_actions(actions, close), open_)
    last_target: np.ndarray | None = None
    start = 0  # the first bar whose holdings are not yet written
    while True:
        at = int(np.searchsorted(scheduled, start))
        nxt = int(scheduled[at]) if at < scheduled.size else None
        stop = n_bars - 1 if nxt is None else nxt  # bars start..stop-1 are unscheduled
        event = None if forced is None else forced.next_bar(start, ledger.now_shares)
        if corporate is not None:  # the open of ``start`` has had its events
            event = _earliest(event, corporate.next_bar(start + 1, ledger.now_shares))
        if book.pending is not None and book.pending.any() and start + 1 < n_bars:
            event = _earliest(event, start + 1)  # a carried remainder fills at the next open
        if event is not None:
            stop = min(stop, event)  # the holdings change at the event's open
        drift = None
        waiting = book.pending is not None and book.pending.any()  # on the way to targets
        if last_target is not None and config.drift_threshold is not None and stop > start:
            drift = (
                None
                if waiting
                else _first_drift(
                    ledger,
                    mark,
                    start,
                    stop,
                    last_target,
                    config.drift_threshold,
                    None if forced is None else forced.blocked,
                )
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
            book.carry(ledger, event, open_, close, mark, forced, corporate)
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
    book.supersede(n_bars - 1 if ledger.bust_bar is None else ledger.bust_bar)
    return assembled(
        (open_, close, mark, config),
        (ledger.shares, ledger.cash, ledger.decisions, book.turnover),
        book.table(),
        corporate,
        (ledger.bust_bar, ledger.written_off),
        book.rebalance_orders(),
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


def _liquid_limits(
    config: PortfolioConfig, liquidity: PortfolioLiquidity
) -> tuple[np.ndarray, np.ndarray, int, bool]:
    """A liquid book's per-bar limits: the shares each bar's volume allows (T, N), the ADV
    cap in shares (T, N, inf without it), the slippage model's code (``FIXED``: no
    impact) and whether a fill's price moves (an impact model or a spread)."""
    allowed = shares_allowed(liquidity.volume, config.volume_limit)
    cap = adv_cap(liquidity.adv, config.max_adv_participation)
    model = MODELS[config.slippage_model]
    priced = model != FIXED or bool((liquidity.half_spread != 0.0).any())
    return allowed, cap, model, priced


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
    """Executes the orders of each fill bar and keeps them; with liquidity inputs, also the
    remainders a bar's volume left (``pending``, signed shares per ticker) and each
    rebalance order's fate (``rebalance_orders``)."""

    def __init__(
        self, config: PortfolioConfig, n_bars: int, liquidity: PortfolioLiquidity | None = None
    ) -> None:
        self.costs: Costs = config.broker_costs()
        self.slippage = self.costs.slip
        self.min_trade = float(config.min_trade)
        self.max_leverage = float(config.max_leverage)
        self.turnover = np.zeros(n_bars, dtype=np.float64)
        self._rows: list[tuple[np.ndarray, ...]] = []
        self._forced: list[int] = []  # the indices in _rows of forced closes
        self._liquidated: int | None = None  # the index in _rows of a bust's orders
        self.liquidity = liquidity
        self.pending: np.ndarray | None = None
        if liquidity is not None:
            self._liquid_setup(config, liquidity)

    def _liquid_setup(self, config: PortfolioConfig, liquidity: PortfolioLiquidity) -> None:
        """The per-bar limits of a liquid book and its order records."""
        self.allowed, self.cap, self.model, self.priced = _liquid_limits(config, liquidity)
        self.impact = (float(config.price_impact), float(config.impact_k))
        n_assets = liquidity.volume.shape[1]
        self.pending = np.zeros(n_assets, dtype=np.int64)
        self._open = np.full(n_assets, -1, dtype=np.int64)  # the fill bar of each open order
        self._ordered = np.zeros(n_assets, dtype=np.int64)
        self._filled = np.zeros(n_assets, dtype=np.int64)
        self._records: list[tuple[int, int, int, int, int]] = []

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
        whole shares of the cash above the floor (none when there is none). A liquid book
        first caps each target at ``max_adv_participation`` × ADV shares and supersedes
        the remainders still carried; each order then takes what the bar's volume allows
        (``_fill``) and carries the rest."""
        if self.pending is not None:
            self.supersede(bar - 1)
        tradable = np.isfinite(close[bar])
        price = np.where(tradable, open_[bar], mark[bar - 1])
        held = ledger.now_shares
        value = ledger.now_cash + float((held * price).sum())
        if not value > 0:
            return
        wanted = weights * value
        if self.pending is not None and np.isfinite(self.cap[bar]).any():
            with np.errstate(invalid="ignore"):  # inf x 0 where a ticker has no price
                most = self.cap[bar] * price  # the ADV cap: at most that many shares' worth
                wanted = np.where(tradable, np.clip(wanted, -most, most), wanted)
        delta = wanted / np.where(tradable, price, 1.0) - held
        order_value = wanted - held * price
        sequence = np.argsort(np.where(tradable, order_value, np.nan), kind="stable")
        sequence = sequence[tradable[sequence]]
        if self.min_trade > 0:
            sequence = sequence[np.abs(order_value[sequence]) >= self.min_trade * value]
        sells = sequence[delta[sequence] <= -1.0]
        buys = sequence[delta[sequence] >= 1.0]
        # Whole shares, each order rounded toward zero.
        sell_n = np.floor(-delta[sells]).astype(np.int64)
        buy_n = np.floor(delta[buys]).astype(np.int64)
        if self.pending is not None:
            for assets, signed in ((sells, -sell_n), (buys, buy_n)):
                self._open[assets] = bar
                self._ordered[assets] = signed
                self._filled[assets] = 0
        self._trade(ledger, bar, price, value, (sells, sell_n), (buys, buy_n), self.min_trade)

    def carry(
        self,
        ledger: _Ledger,
        bar: int,
        open_: np.ndarray,
        close: np.ndarray,
        mark: np.ndarray,
        forced: _Forced | None,
        corporate: Corporate | None,
    ) -> None:
        """Fill the carried remainders at ``bar``'s open (no rebalance there), as far as
        its volume allows, sells before buys in ascending order of their value: a ticker
        without a bar there waits; one blocked there (a forced close) or splitting there
        has its remainder cancelled; no minimum trade (each is a part of an order sent)."""
        pending = self.pending
        if pending is None or not pending.any():
            return
        if forced is not None:
            pending[forced.blocked[bar]] = 0
        if corporate is not None:
            pending[corporate.split[bar] != 1.0] = 0
        tradable = np.isfinite(close[bar])
        price = np.where(tradable, open_[bar], mark[bar - 1])
        value = ledger.now_cash + float((ledger.now_shares * price).sum())
        waiting = np.flatnonzero((pending != 0) & tradable)
        if not value > 0 or not waiting.size:
            return
        sequence = waiting[np.argsort(pending[waiting] * price[waiting], kind="stable")]
        sells = sequence[pending[sequence] < 0]
        buys = sequence[pending[sequence] > 0]
        self._trade(ledger, bar, price, value, (sells, -pending[sells]), (buys, pending[buys]), 0.0)

    def supersede(self, last: int) -> None:
        """Close the records of the rebalance orders still open, ``last`` the last bar
        they could fill on; their remainders are dropped."""
        if self.pending is None:
            return
        for asset in np.flatnonzero(self._open >= 0).tolist():
            self._records.append(
                (
                    int(self._open[asset]),
                    asset,
                    int(self._ordered[asset]),
                    int(self._filled[asset]),
                    last,
                )
            )
        self._open[:] = -1
        self.pending[:] = 0

    def rebalance_orders(self) -> RebalanceOrders | None:
        """The closed records (``RebalanceOrders``), by fill bar then ticker; None for a
        book without liquidity inputs."""
        if self.pending is None:
            return None
        rows = sorted(self._records)
        columns = list(zip(*rows, strict=True)) if rows else [()] * 5
        bar, asset, ordered, filled, last = (np.array(c, dtype=np.int64) for c in columns)
        return RebalanceOrders(bar=bar, asset=asset, ordered=ordered, filled=filled, last=last)

    def _limit(
        self, bar: int, assets: np.ndarray, n: np.ndarray, base: np.ndarray, side: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(shares, price) of each order of ``n`` shares at ``base`` (slipped) a liquid
        bar fills: at most the shares its volume allows, none where the broker's impact
        is undefined (NaN: no fill on this bar), priced with the impact of the shares it
        takes and half the spread (``liquidity_price``)."""
        take = np.minimum(n, self.allowed[bar, assets]).astype(np.int64)
        if not self.priced:
            return take, base
        liquidity = self.liquidity
        rows = (liquidity.volume, liquidity.sigma, liquidity.adv, liquidity.half_spread)
        volume, sigma, adv, half = (row[bar, assets].tolist() for row in rows)
        shares, paid = take.tolist(), base.tolist()
        for k, n in enumerate(shares):
            if n <= 0:
                continue
            impact = impact_fraction(
                self.model, *self.impact, float(n), volume[k], sigma[k], adv[k]
            )
            paid[k] = liquidity_price(paid[k], side, impact, half[k])
            if paid[k] != paid[k]:  # NaN: no fill on this bar
                shares[k], paid[k] = 0, base[k]
        take = np.array(shares, dtype=np.int64)
        price = np.array(paid, dtype=np.float64)
        return take, price

    def _trade(
        self,
        ledger: _Ledger,
        bar: int,
        price: np.ndarray,
        value: float,
        sell_orders: tuple[np.ndarray, np.ndarray],
        buy_orders: tuple[np.ndarray, np.ndarray],
        min_trade: float,
    ) -> None:
        """Execute ``bar``'s sells then buys (assets in order, whole shares > 0 each) at
        ``price`` with slippage (and a liquid book's limits: ``_limit``), buys cut to the
        cash above the floor; record the fills and the turnover against ``value``."""
        (sells, sell_n), (buys, buy_n) = sell_orders, buy_orders
        liquid = self.pending is not None
        wanted_sells, wanted_buys = sell_n, buy_n
        cash = ledger.now_cash
        sell_px = price[sells] * (1.0 - self.slippage)
        if liquid:
            sell_n, sell_px = self._limit(bar, sells, sell_n, sell_px, -1.0)
            sent = sell_n > 0
            sells, sell_n, sell_px = sells[sent], sell_n[sent], sell_px[sent]
            self.pending[sells] = -(wanted_sells[sent] - sell_n)
            self.pending[sell_orders[0][~sent]] = -wanted_sells[~sent]
        sell_value = sell_n * sell_px
        sell_fee = ARRAYS["order_fee"](sell_n, sell_px, self.costs.floats)
        if self.costs.extra:  # a sale whose fee exceeds its proceeds is not sent
            sold = sell_value >= sell_fee  # (with fee_rate < 1 alone every sale covers it)
            if liquid:  # and its order is cancelled
                self.pending[sells[~sold]] = 0
            sells, sell_n, sell_px = sells[sold], sell_n[sold], sell_px[sold]
            sell_value, sell_fee = sell_value[sold], sell_fee[sold]
        for proceeds in sell_value - sell_fee:
            cash += proceeds
        # Buys: in order; one that cash cannot cover is cut to what cash allows (cash may
        # go down to ``floor``, below 0 only with leverage).
        floor = -(self.max_leverage - 1.0) * value if self.max_leverage > 1 else 0.0
        buy_px = price[buys] * (1.0 + self.slippage)
        if liquid:
            slipped = buy_px
            buy_n, buy_px = self._limit(bar, buys, buy_n, buy_px, 1.0)
            self.pending[buys] = wanted_buys - buy_n
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
                if n <= 0 or n * price_k < min_trade * value:  # none, or below the minimum
                    n = 0
                if liquid and self.priced and n > 0:  # the impact of the shares it buys
                    one = slice(k, k + 1)
                    _, paid = self._limit(bar, buys[one], np.array([n]), slipped[one], 1.0)
                    price_k = buy_px[k] = float(paid[0])
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
        if liquid:
            np.add.at(self._filled, assets, signed)
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
