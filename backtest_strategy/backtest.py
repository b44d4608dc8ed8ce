"""Notebook mode: ``Backtest(df, StrategyClass, cash=, commission=, ...).run(**params)`` runs
a strategy in process on the platform's broker (``engine.broker.book``) and returns its
statistics with backtesting.py's names, ``_equity_curve`` and ``_trades``; ``.optimize``
searches a grid of the strategy's parameters; ``.submit(client)`` sends the same backtest
to the platform as a rule_type PYTHON run. The figures are the platform's
(``adapters.strategy_stats``, shared with the sandboxed run).

This module is the one part of the package that needs the platform's engine (run it from
a checkout of the repository); the strategy side does not import it."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from itertools import product
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from adapters.strategy_stats import COLUMNS, strategy_stats
from backtest_strategy.host import Host
from backtest_strategy.refs import Refs, ticker_of
from backtest_strategy.request import fee_fields, setting_fields, window
from backtest_strategy.strategy import Strategy
from data.adjust import RAW
from engine.broker.book import Book, book_costs, drive, reading
from engine.broker.shown import adjusted_decider
from engine.corporate import CorporateActions
from engine.params import TRADING_DAYS
from kinds.runs.python_run import AdjustedView, strategy_frame


def _wired(host: Host) -> Any:
    """``host.next`` with its state and decisions passed through JSON, as the sandbox's
    pipe passes them: proof that the boundary carries plain data only."""

    def decide(state: dict) -> list[dict]:  # read whole, every bar: what would cross the pipe
        return json.loads(json.dumps(host.next(json.loads(json.dumps(state)))))

    return reading(decide)


class Backtest:
    """A strategy class on one frame of bars (``Open``, ``High``, ``Low``, ``Close``, and
    optionally ``Volume`` and other columns the strategy reads), or on a catalog ticker's
    bars (``data`` the ticker, ``start_date`` .. ``end_date`` its window, else its whole
    file, read from ``data_dir``, default the platform's), with backtesting.py's settings
    and the platform's further fee fields.

    ``commission``: a rate, or ``(fixed, rate)``; ``fee_per_share`` with ``fee_min`` and
    ``fee_max``: the per-share fee every run has; ``spread``: the entry's slippage
    (a fraction of the price). ``wire``: pass the state and decisions through JSON.
    ``refs``: the other tickers ``Strategy.ref`` reads, as frames by ticker or a function
    of a ticker to its frame (each loaded once); a ``Backtest`` made from a catalog ticker
    reads them from the catalog by default.

    ``borrow_rate``: the annual short borrow fee, charged per bar over ``bars_per_year``
    (default: the catalog ticker's, else 252). A ``Backtest`` made from a catalog ticker
    applies that ticker's splits, dividends and delisting in its window to the open trades,
    as the platform's run does (docs/strategies.md, "Corporate actions"), and takes a
    ``price_adjustment`` (``raw``, ``split``, ``total_return``: the bars the strategy reads).
    """

    def __init__(
        self,
        data: pd.DataFrame | str,
        strategy: type[Strategy],
        *,
        start_date: str | None = None,
        end_date: str | None = None,
        data_dir: str | None = None,
        cash: float = 10_000,
        spread: float = 0.0,
        commission: float | tuple[float, float] = 0.0,
        margin: float = 1.0,
        trade_on_close: bool = False,
        hedging: bool = False,
        exclusive_orders: bool = False,
        finalize_trades: bool = False,
        refs: Refs | None = None,
        fee_per_share: float = 0.0,
        fee_min: float = 0.0,
        fee_max: float = math.inf,
        borrow_rate: float = 0.0,
        bars_per_year: float | None = None,
        price_adjustment: str | None = None,
        wire: bool = False,
    ) -> None:
        if not (isinstance(strategy, type) and issubclass(strategy, Strategy)):
            raise TypeError("strategy: must be a backtest_strategy.Strategy subclass")
        self.ticker: str | None = None
        self._actions: CorporateActions | None = None
        self._view: AdjustedView | None = None
        self._adjustment = None if price_adjustment in (None, RAW) else price_adjustment
        annual = float(TRADING_DAYS)
        if isinstance(data, str):
            from backtest_strategy.catalog import catalog_market

            self.ticker = data.strip().upper()
            data, self._actions, annual, self._view = catalog_market(
                self.ticker, start_date, end_date, data_dir, price_adjustment
            )
            if refs is None:
                from backtest_strategy.catalog import catalog_loader

                refs = catalog_loader(data_dir)
        elif start_date is not None or end_date is not None:
            raise ValueError("start_date, end_date: only with a catalog ticker as data")
        elif self._adjustment is not None:
            raise ValueError("price_adjustment: only with a catalog ticker as data")
        if not isinstance(data, pd.DataFrame) or not set(COLUMNS) <= set(data.columns):
            raise TypeError("data: a pandas DataFrame with Open, High, Low and Close columns")
        if len(data) == 0:
            raise ValueError("data: empty")
        if data[list(COLUMNS)].isnull().values.any():
            raise ValueError("data: some Open/High/Low/Close values are missing (NaN)")
        fixed, rate = commission if isinstance(commission, tuple) else (0.0, commission)
        data = data.copy(deep=False)
        if "Volume" not in data:
            data["Volume"] = np.nan
        self._data = data.sort_index() if not data.index.is_monotonic_increasing else data
        self._strategy = strategy
        self._costs = book_costs(
            cash,
            spread,
            rate,
            fee_fixed=fixed,
            fee_per_share=fee_per_share,
            fee_min=fee_min,
            fee_max=fee_max,
        )
        self._settings = {
            "margin": margin,
            "trade_on_close": trade_on_close,
            "hedging": hedging,
            "exclusive_orders": exclusive_orders,
        }
        if not 0 <= borrow_rate < 1:
            raise ValueError("borrow_rate: an annual fraction from 0 to 1 (0.03 = 3% a year)")
        self._borrow_rate = float(borrow_rate)
        self._borrow = self._borrow_rate / (bars_per_year or annual)
        self._finalize = bool(finalize_trades)
        self._wire = wire
        self._dates = (start_date, end_date) if start_date is not None else None
        self._fee_fields = (cash, spread, rate, fixed, fee_per_share, fee_min, fee_max)
        self._refs: dict[str, pd.DataFrame] = {}
        self._load = None
        if callable(refs):
            self._load = refs
        elif refs is not None:
            self._refs = {ticker_of(ticker): frame for ticker, frame in refs.items()}

    def _ref(self, ticker: str) -> pd.DataFrame:
        """A ref's frame: given, or loaded once (a ``KeyError`` names a ticker not given)."""
        if ticker not in self._refs:
            if self._load is None:
                known = ", ".join(sorted(self._refs)) or "none"
                raise KeyError(f"ref: {ticker!r} is not among the refs given ({known})")
            self._refs[ticker] = self._load(ticker)
        return self._refs[ticker]

    def run(self, **params: Any) -> pd.Series:
        """Run the strategy with ``params`` set as its class attributes; the statistics,
        with ``_equity_curve``, ``_trades`` and ``_strategy``."""
        df = self._data
        view = self._view
        shown = df if view is None else strategy_frame(view.bars)
        host = Host(self._strategy, shown, params, self._ref)
        book = Book(
            *(df[column].to_numpy(dtype=np.float64) for column in COLUMNS),
            costs=self._costs,
            actions=self._actions,
            borrow=self._borrow,
            **self._settings,
        )
        start = host.init()
        decide = _wired(host) if self._wire else host.on_bar
        if view is not None:
            decide = adjusted_decider(decide, view.price, view.shares)
        with np.errstate(invalid="ignore"):
            drive(book, start, decide, self._finalize)
        return strategy_stats(df, book, host.strategy)

    def submit(
        self,
        client: Any,
        *,
        ticker: str | None = None,
        fields: dict[str, Any] | None = None,
        **params: Any,
    ) -> Any:
        """Send this backtest to the platform through ``client`` (a ``backtest_client``
        ``Client``, or any object with its ``run(ticker, params=, start_date=, end_date=,
        strategy=, **fields)``) as a rule_type PYTHON run of the strategy class's module
        with ``params``: the same bars (``ticker``, default the catalog ticker this was made
        from, over this run's window), cash and fees, so that its result holds ``run()``'s
        statistics, trades and equity. The request's ``refs`` are the tickers given as
        frames, or the ones a loader has loaded (by a ``run`` before). ``fields``: further
        request fields (``charts``, ``name``, ``tags``...). Returns what ``client.run``
        returns (a ``Run``).

        :raise ValueError: no ticker, or a spread that basis points do not carry exactly,
            named.
        """
        ticker = ticker or self.ticker
        if not ticker:
            raise ValueError("ticker: name the catalog ticker whose bars this frame holds")
        start_date, end_date = self._dates or window(self._data.index)
        request = {
            **fee_fields(*self._fee_fields, finalize_trades=self._finalize),
            **setting_fields(self._settings),
            **({"borrow_rate": self._borrow_rate} if self._borrow_rate else {}),
            **({"price_adjustment": self._adjustment} if self._adjustment else {}),
            **({"refs": sorted(self._refs)} if self._refs else {}),
            **(fields or {}),
        }
        return client.run(
            ticker,
            params=params or None,
            start_date=start_date,
            end_date=end_date,
            strategy=self._strategy,
            **request,
        )

    def optimize(
        self,
        *,
        maximize: str | Callable[[pd.Series], float] = "Equity Final [$]",
        constraint: Callable[[Any], bool] | None = None,
        return_heatmap: bool = False,
        **params: Any,
    ) -> pd.Series | tuple[pd.Series, pd.Series]:
        """Run every combination of ``params`` (each a value or a list of values) that
        ``constraint`` admits (it reads them as attributes: ``lambda p: p.fast < p.slow``)
        and return the statistics of the one scoring highest by ``maximize`` (a statistic's
        name or a function of the statistics); runs without a trade score NaN, as in
        backtesting.py. ``return_heatmap``: also every combination's score."""
        if not params:
            raise ValueError("params: name the parameters to search, each with its values")
        if isinstance(maximize, str):
            key = maximize

            def maximize(stats: pd.Series) -> float:
                if key not in stats.index:
                    raise ValueError(f"maximize: {key!r} is not a statistic of run()")
                return stats[key]

        else:
            key = None
        names = list(params)
        values = [
            v if isinstance(v, Sequence) and not isinstance(v, str) else (v,)
            for v in params.values()
        ]
        combos = [
            combo
            for combo in product(*values)
            if constraint is None
            or constraint(SimpleNamespace(**dict(zip(names, combo, strict=True))))
        ]
        if not combos:
            raise ValueError("constraint: admits no combination of the parameters")
        heatmap = pd.Series(np.nan, name=key, index=pd.MultiIndex.from_tuples(combos, names=names))
        for combo in combos:
            stats = self.run(**dict(zip(names, combo, strict=True)))
            if stats["# Trades"]:
                heatmap[combo] = maximize(stats)
        best = combos[0] if heatmap.isna().all() else heatmap.idxmax(skipna=True)
        stats = self.run(**dict(zip(names, best, strict=True)))
        return (stats, heatmap) if return_heatmap else stats
