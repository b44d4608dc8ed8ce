"""A PYTHON run: the request's strategy module run in the sandbox on the request's bars
(``kinds.strategies.sandboxed.run_strategy``, the book in this process), and its
statistics, trades and equity as the platform's ``RunResult``.

The strategy sees the window's bars as traded (``start_date`` to ``end_date``: no warm-up
bars before it, as in notebook mode), starts with ``initial_capital`` and pays the
request's fee model (``fee_rate``, ``fee_fixed``, ``fee_per_share`` within ``fee_min`` and
``fee_max``); ``slippage_bps`` is the book's spread; ``margin``, ``trade_on_close``,
``hedging`` and ``exclusive_orders`` are the book's settings of those names; shorts pay
``borrow_rate`` per bar held at a close, and the ticker's splits, dividends and delisting
in the window act on the open trades (``engine.broker.book.Book``), listed in
``events_applied``. With a ``price_adjustment`` the strategy reads the window's bars
back-adjusted, its orders' prices and sizes turned into traded ones
(``engine.broker.shown``), while the book trades the bars as traded. ``random`` and
``numpy.random`` are seeded from the normalised request, so the same request gives the
same bytes. The tickers of its ``refs`` (loaded and hashed with the run's data:
``kinds.runs.references``) cross into the sandbox up to the window's last bar, for
``self.ref``. A failure of the user's code (an exception, a limit, a refused order) raises
``WorkFailed`` with their message and traceback: the item FAILS with it.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import data
from engine import ENGINE_VERSION, Bars, EngineResult
from kinds.runs.contract import RunRequest, RunResult
from work.kind import WorkFailed

METRIC_NAMES = {
    "Return [%]": "total_return_pct",
    "Sharpe Ratio": "sharpe_ratio",
    "# Trades": "num_trades",
    "Equity Final [$]": "final_equity",
    "Exposure Time [%]": "exposure_pct",
    "Buy & Hold Return [%]": "benchmark_return_pct",
    "CAGR [%]": "cagr_pct",
    "Volatility (Ann.) [%]": "volatility_pct",
    "Sortino Ratio": "sortino_ratio",
    "Calmar Ratio": "calmar_ratio",
    "Max. Drawdown Duration [days]": "max_drawdown_duration_days",
    "Win Rate [%]": "win_rate_pct",
    "Best Trade [%]": "best_trade_pct",
    "Worst Trade [%]": "worst_trade_pct",
    "Avg. Trade [%]": "avg_trade_return_pct",
    "Profit Factor": "profit_factor",
    "Commissions [$]": "total_fees",
}
"""The strategy statistics (``adapters.strategy_stats``, backtesting.py's names) as the
platform's metric keys: the same figures, computed by the same functions, renamed.
``max_drawdown_pct`` is the negated ``Max. Drawdown [%]``."""

TRACEBACK_MAX = 8_000
"""The most characters of a user's traceback kept in the item's error."""


def strategy_frame(bars: Bars) -> pd.DataFrame:
    """The bars as a strategy's data: Open, High, Low, Close, Volume on a UTC-naive
    DatetimeIndex (what notebook mode is given for the same run)."""
    return pd.DataFrame(
        {
            "Open": bars.open,
            "High": bars.high,
            "Low": bars.low,
            "Close": bars.close,
            "Volume": bars.volume,
        },
        index=pd.DatetimeIndex(bars.timestamps.astype("datetime64[ns]")),
    )


@dataclass(frozen=True, eq=False)
class AdjustedView:
    """What a strategy reads with a ``price_adjustment``: the window's ``bars`` back-adjusted
    (``data.History.with_adjustment``), and per window bar the ``price`` factor (adjusted =
    traded × factor) and the ``shares`` factor (the splits': shares shown = traded /
    factor), which ``engine.broker.shown`` turns the book's units into and back."""

    bars: Bars
    price: np.ndarray
    shares: np.ndarray


def adjusted_view(history: data.History) -> AdjustedView | None:
    """The adjusted view of ``history``'s window (None: it is as traded)."""
    if history.signal_bars is None or history.price_factor is None:
        return None
    from data.adjust import price_factors

    window = slice(history.start, history.stop)
    splits = price_factors(history.bars.slice(0, history.stop), history.events, dividends=False)
    return AdjustedView(
        history.signal_bars.slice(history.start, history.stop),
        history.price_factor[window],
        splits[window],
    )


def book_inputs(request: RunRequest, market: data.History, frame: Any) -> dict[str, Any]:
    """What a strategy's run takes beside its bars and costs (``run_strategy``'s
    ``actions``, ``borrow`` and ``adjusted``): the ticker's corporate actions in the window
    (``frame``: ``kinds.runs.execute.market_window(market)``), the borrow fee per bar, and
    the adjusted bars with their factors (None: as traded)."""
    view = adjusted_view(market)
    return {
        "actions": frame.actions,
        "borrow": (request.borrow_rate or 0.0) / frame.bars_per_year,
        "adjusted": None if view is None else (strategy_frame(view.bars), view.price, view.shares),
    }


def ref_frames(request: RunRequest, attached: Bars, window: Bars) -> dict[str, pd.DataFrame]:
    """The frames of the request's ``refs`` (attached to the ``attached`` bars when its data
    loaded), from the last bar at or before the ``window``'s first to the last at or before
    its last: every bar an as-of join on the window can show, and no later one."""
    if not request.refs:
        return {}
    from rules.expr.market import others_of

    others = others_of(attached)
    first, last = window.timestamps[0], window.timestamps[-1]
    frames = {}
    for ticker in request.refs:
        stamps = others[ticker].timestamps
        start = max(int(np.searchsorted(stamps, first, side="right")) - 1, 0)
        stop = int(np.searchsorted(stamps, last, side="right"))
        frames[ticker] = strategy_frame(others[ticker].slice(start, stop))
    return frames


def request_costs(request: RunRequest) -> Any:
    """The book's costs of a request (``engine.broker.book.book_costs``)."""
    from engine.broker.book import book_costs
    from engine.broker.costs import fee_model

    fees = fee_model(request.fee_fixed, request.fee_per_share, request.fee_min, request.fee_max)
    return book_costs(
        request.initial_capital, request.slippage_bps / 10_000.0, request.fee_rate, **fees
    )


def request_seed(request: RunRequest) -> int:
    """The seed of a request's ``random`` and ``numpy.random``: from its canonical text
    (``kinds.runs.cache.canonical_request``, which leaves out ``run_id``), 32 bits."""
    from kinds.runs.cache import canonical_request

    digest = hashlib.sha256(canonical_request(request).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def execute_python(
    request: RunRequest, data_dir: Path | None = None, *, every_bar: bool = False
) -> RunResult:
    """Run a PYTHON request in the sandbox and build its result; ``every_bar`` keeps every
    bar of its curves (as ``kinds.runs.execute.execute``'s).

    :raise RequestError: the data cannot serve the request (``load_market_data``).
    :raise WorkFailed: the strategy failed: its message and traceback.
    """
    from kinds.runs.execute import load_market_data, market_window
    from kinds.runs.python_request import book_settings, code_hash
    from kinds.strategies.sandboxed import run_strategy

    market = load_market_data(request, data_dir)
    frame = market_window(market)
    code = request.strategy_code or ""
    outcome = run_strategy(
        code,
        request.strategy_class or "",
        request.params,
        strategy_frame(frame.bars),
        request_costs(request),
        finalize_trades=request.close_open_trades_at_end,
        seed=request_seed(request),
        refs=ref_frames(request, market.bars, frame.bars),
        **book_inputs(request, market, frame),
        **book_settings(request),
    )
    if outcome.status != "SUCCEEDED":
        raise WorkFailed(failure_message(outcome.failure))
    return strategy_result(
        request, frame.bars, outcome.value, frame.data_hash, code_hash(code), every_bar=every_bar
    )


def failure_message(failure: Any) -> str:
    """A failed strategy's error as stored: its message, then its traceback (the user's
    frames only, as the sandbox gives it), cut to ``TRACEBACK_MAX``."""
    text = f"strategy failed: {failure.message}"
    if failure.traceback:
        text += "\n" + failure.traceback[-TRACEBACK_MAX:]
    return text


def strategy_result(
    request: RunRequest,
    bars: Bars,
    stats: pd.Series,
    data_hash: str,
    strategy_hash: str,
    *,
    every_bar: bool = False,
) -> RunResult:
    """The ``RunResult`` of a strategy's statistics on ``bars``: its equity and drawdown
    curves, price candles, trades, metrics and buy-and-hold benchmark. A strategy's run has
    no cash/shares curve, signals or charts (their fields stay empty), and its trades carry
    no split of fees into entry and exit nor an exit reason (null)."""
    import adapters
    from adapters.curves import curve_points as points_of
    from kinds.runs.execute import SUCCEEDED, curve_points

    equity = stats["_equity_curve"]["Equity"].to_numpy(dtype=np.float64)
    result = EngineResult(
        cash=equity,
        position=np.zeros_like(equity),
        equity=equity,
        trades=(),
        metrics={},
        bust_bar=None,
    )
    points = None if every_bar else points_of(len(bars), curve_points())
    metrics = strategy_metrics(stats)
    return RunResult(
        run_id=request.run_id,
        status=SUCCEEDED,
        metrics=metrics,
        equity_curve=adapters.equity_curve(bars, result, points, columnar=True),
        drawdown_curve=adapters.drawdown_curve(bars, result, points, columnar=True),
        trades=trade_records(stats["_trades"]),
        price_candles=adapters.price_candles(bars, points, columnar=True),
        benchmark=adapters.buy_and_hold(bars, request.initial_capital, points, columnar=True),
        data_hash=data_hash,
        engine_version=ENGINE_VERSION,
        request=request.to_dict(),
        strategy_hash=strategy_hash,
        events_applied=stats.get("_events_applied"),
    )


def strategy_metrics(stats: Mapping[str, Any]) -> dict[str, Any]:
    """A strategy run's metrics as its ``RunResult`` holds them (``METRIC_NAMES``), from its
    statistics (``adapters.strategy_stats``: the Series, or its figures' ``stats``)."""
    metrics: dict[str, Any] = {key: _plain(stats[name]) for name, key in METRIC_NAMES.items()}
    metrics["max_drawdown_pct"] = _plain(-stats["Max. Drawdown [%]"])
    return metrics


def trade_records(trades: pd.DataFrame) -> list[dict[str, Any]]:
    """A strategy's closed trades (``_trades``) in the platform's trade record keys
    (``adapters.trades.TRADE_FIELDS``), with its ``tag``."""
    from adapters.timestamps import iso_utc

    entry = iso_utc(trades["EntryTime"].to_numpy(dtype="datetime64[s]"))
    exit_ = iso_utc(trades["ExitTime"].to_numpy(dtype="datetime64[s]"))
    records = []
    for i, row in enumerate(trades.itertuples(index=False)):
        records.append(
            {
                "trade_no": i + 1,
                "side": "BUY" if row.Size > 0 else "SELL",
                "size": _plain(abs(row.Size)),
                "entry_timestamp": entry[i],
                "exit_timestamp": exit_[i],
                "entry_price": _plain(row.EntryPrice),
                "exit_price": _plain(row.ExitPrice),
                "entry_fee": None,
                "exit_fee": None,
                "pnl_abs": _plain(row.PnL),
                "pnl_pct": _plain(row.ReturnPct * 100.0),
                "holding_period": int(row.Duration / pd.Timedelta(days=1)),
                "is_open": False,
                "exit_reason": None,
                "fees": _plain(row.Commission),
                "tag": None if row.Tag is None else str(row.Tag),
            }
        )
    return records


def _plain(value: Any) -> Any:
    """A statistic as JSON: a float (None when not finite), an int, or None."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    number = float(value)
    return number if math.isfinite(number) else None
