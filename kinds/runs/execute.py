"""The one execution path: a ``RunRequest`` in, a ``RunResult`` out.

The consumer (queue Jobs and ``python -m consumer --request``), sweeps and tests all call
``execute``. It reads the data file (the only I/O) and then chains pure steps: rule signals
→ engine → adapters (curves, trades, metrics, benchmark, charts).

Indicators warm up on the history before ``start_date`` when the file has it: signals are
computed on every bar up to ``end_date`` and then cut to the window, so an SMA(200) run
from 2020-01-02 can trade from its first bar. A signal on bar t uses bars <= t only. A rule
whose signal on bar t reads a bounded stretch of bars exactly (``rules.cost.reach``) is
computed from the window's start minus that reach instead: the same signals, fewer bars.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

import data
from config import process
from engine import ENGINE_VERSION, TRADING_DAYS, Bars, EngineResult, bar_returns
from engine import run as run_engine
from kinds.runs.contract import RequestError, RunRequest, RunResult
from kinds.runs.references import attach_references

if TYPE_CHECKING:  # pragma: no cover
    from engine.corporate import CorporateActions
    from rules.spec import Panel

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"


def max_bars() -> int | None:
    """RUN_MAX_BARS: the most bars one run may cover, or None (the default: no count; the
    run's memory estimate decides, ``kinds.runs.run_memory``; docs/execution.md)."""
    return process.RUN_MAX_BARS.value()


def curve_points() -> int:
    """RUN_CURVE_POINTS (default 20,000): the most points a run's stored curves keep."""
    return process.RUN_CURVE_POINTS.value()


def load_market_data(
    request: RunRequest, data_dir: Path | None = None, bar_limit: int | None = None
) -> data.History:
    """The request's data: every bar of its ticker's file, the window of its dates, the hash.
    ``bar_limit`` (the web passes its RUN_MAX_BARS setting) defaults to ``max_bars()``;
    None: no count.

    The tickers its rule ``ref``s are loaded too, attached to its bars and folded into its
    ``data_hash`` (``kinds.runs.references``). With a ``price_adjustment`` the history
    carries its bars up to the window's end adjusted by its events
    (``data.History.with_adjustment``), which signals are computed on; ``data_hash`` covers
    the events file either way (``data.events.combined_hash``).

    Raises ``RequestError`` naming ``ticker`` (unknown, or a file failing its quality
    checks), ``timeframe`` (not the ticker's), ``start_date`` (no bar in the range),
    ``end_date`` (too many bars) or ``params.entry``/``params.exit`` (a ``ref`` to an
    unknown ticker).
    """
    try:
        catalog = data.load_catalog(data_dir, skip_invalid=True)  # once, for the refs too
        history = data.load_history(request.ticker, request.start, request.end, data_dir, catalog)
    except data.UnknownTickerError as exc:
        raise RequestError("ticker", str(exc)) from None
    except data.DataQualityError as exc:
        raise RequestError("ticker", f"data file for {request.ticker} is invalid: {exc}") from None
    except data.EmptyRangeError as exc:
        raise RequestError("start_date", str(exc)) from None
    if request.timeframe != history.timeframe:
        raise RequestError(
            "timeframe",
            f"{request.ticker} has {history.timeframe} bars; set timeframe to {history.timeframe}",
        )
    bars = history.stop - history.start
    limit = max_bars() if bar_limit is None else bar_limit
    if limit is not None and bars > limit:
        raise RequestError(
            "end_date", f"the range holds {bars:,} bars; a run may cover at most {limit:,}"
        )
    if request.price_adjustment is not None:
        history = history.with_adjustment(request.price_adjustment)
    return attach_references(request, history, data_dir, catalog)


def _actions(market: data.History) -> CorporateActions | None:
    """The ticker's events acting on the window (``data.adjust.window_actions``)."""
    from data.adjust import window_actions

    return window_actions(market.bars, market.events, market.start, market.stop)


@dataclass(frozen=True, eq=False)
class MarketWindow:
    """What signals are computed on and what is traded: ``history`` is every bar of the file
    up to the window's end (indicators warm up on the bars before the window), ``bars`` the
    window ``[start, stop)`` itself, ``window`` its index range inside ``history``;
    ``bars_per_year`` annualises its statistics (the ticker's catalog figure);
    ``signal_start`` is the first history bar signals are computed from (0, or the window's
    start minus the rule's exact reach: ``kinds.runs.signal_cost``). With a price
    adjustment, ``history`` is adjusted while ``bars`` stay as traded, and
    ``price_factor`` (one per history bar) turns a price computed on ``history`` back into
    traded units (``traded_units``). ``actions``: the ticker's events acting on the window
    (the engine applies them to the position), None when none does."""

    history: Bars
    bars: Bars
    window: slice
    data_hash: str
    bars_per_year: float = TRADING_DAYS
    signal_start: int = 0
    price_factor: np.ndarray | None = None
    actions: CorporateActions | None = None

    def traded_units(self, values: np.ndarray) -> np.ndarray:
        """A price series computed on ``signal_history()`` in the traded prices' units at
        each bar (itself without a price adjustment)."""
        if self.price_factor is None:
            return values
        return values / self.price_factor[self.signal_start :]

    def signal_history(self) -> tuple[Bars, slice]:
        """The bars signals are computed on (``history`` from ``signal_start``) and the
        window's index range inside them: the same objects on every call, so an indicator
        cache bound to them (``rules.generate_signals_batch``) survives a sweep's blocks."""
        return self._signal_view

    @cached_property
    def _signal_view(self) -> tuple[Bars, slice]:
        first = self.signal_start
        if first == 0:
            return self.history, self.window
        window = slice(self.window.start - first, self.window.stop - first)
        return self.history.slice(first, len(self.history)), window


def market_window(market: data.History, signal_start: int = 0) -> MarketWindow:
    """Split loaded data into the history signals see and the window a run trades;
    ``signal_start``: ``check_signal_cost``'s answer (0: every bar of the file)."""
    history = market.bars.slice(0, market.stop)
    return MarketWindow(
        history=market.signal_history(),
        bars=history.slice(market.start, market.stop),
        window=slice(market.start, market.stop),
        data_hash=market.data_hash,
        bars_per_year=market.bars_per_year,
        signal_start=min(max(signal_start, 0), market.start),
        price_factor=market.price_factor,
        actions=_actions(market),
    )


def signals_in_window(
    frame: MarketWindow, rule_type: str, params_list: list[dict], cache: dict | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(entries, exits), N × window bars, for N parameter sets of one rule: computed on every
    bar from ``frame.signal_start`` up to the window's end, then cut to the window. The one
    signal step of single runs (N = 1) and sweep chunks; ``cache`` (bound to the frame's
    signal history) keeps indicators between calls (``rules.generate_signals_batch``). The
    parameter sets are validated already: by ``parse_request`` (runs) or when the sweep was
    submitted (chunks)."""
    from rules import generate_signals_batch

    history, window = frame.signal_history()
    entries, exits = generate_signals_batch(rule_type, params_list, history, cache, validated=True)
    return entries[:, window], exits[:, window]


def position_exits_in_window(
    frame: MarketWindow, rule_type: str, params_list: list[dict], cache: dict | None = None
) -> list | None:
    """The position-aware exits of N parameter sets of one rule on the window's bars (one
    per set, for the engine's ``position_exit``; docs/execution.md, "Position-aware
    exits"), or None when the rule's exit names no position series. Their position-free
    parts are computed on the signal history as the signals are, the position's returns on
    the window's closes as traded; ``cache``: the one ``signals_in_window`` used."""
    from rules import position_exits

    history, window = frame.signal_history()
    return position_exits(rule_type, params_list, history, window, cache, frame.bars.close)


def size_in_window(frame: MarketWindow, size_expr: dict | None):
    """The request's size series on the window's bars (``rules.size_expr.SizeAt``, the
    engine's ``size``), its ``equity``-free parts computed on the signal history as the
    signals are; None without a ``size_expr``. With a price adjustment a size in
    ``shares`` counts the adjusted series' shares, so it is turned into the shares traded
    on its bar (times the bar's adjustment factor: 100 shares after a later 4:1 split are
    25 before it)."""
    if size_expr is None:
        return None
    from rules.size_expr import size_at

    history, window = frame.signal_history()
    scale = None
    if size_expr["unit"] == "shares" and frame.price_factor is not None:
        scale = frame.price_factor[frame.signal_start :][window]
    return size_at(size_expr["expr"], history, size_expr["params"], window, scale)


def overlays_in_window(frame: MarketWindow, rule_type: str, params: dict) -> dict[str, np.ndarray]:
    """The rule's overlays ({label: price-scale line}, empty when it has none), computed on
    every bar up to the window's end and cut to the window, as its signals are."""
    from rules import RULES

    draw = RULES[rule_type].overlays
    history, window = frame.signal_history()
    lines = draw(history, params) if draw is not None else {}
    return {label: frame.traded_units(np.asarray(line))[window] for label, line in lines.items()}


def entry_prices_in_window(
    frame: MarketWindow, entry_order: dict | None
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(limit, stop) prices of a request's entry orders on every window bar (None: not
    used), computed on the signal history and cut to the window, as its signals are, in
    traded units (``MarketWindow.traded_units``)."""
    if entry_order is None:
        return None, None
    from rules.entry_prices import compile_prices, prices

    compiled = compile_prices(entry_order.get("limit"), entry_order.get("stop"))
    history, window = frame.signal_history()
    limit, stop = prices(compiled, history, entry_order["params"])
    return (
        None if limit is None else frame.traded_units(limit)[window],
        None if stop is None else frame.traded_units(stop)[window],
    )


def panels_in_window(frame: MarketWindow, rule_type: str, params: dict) -> list[Panel]:
    """The rule's oscillator panels (empty when it has none), computed on every bar up to
    the window's end and cut to the window, as its signals are."""
    from rules import RULES

    draw = RULES[rule_type].panels
    history, window = frame.signal_history()
    panels = draw(history, params) if draw is not None else []
    return [
        replace(panel, series={k: np.asarray(v)[window] for k, v in panel.series.items()})
        for panel in panels
    ]


def execute(
    request: RunRequest, data_dir: Path | None = None, *, every_bar: bool = False
) -> RunResult:
    """Run one backtest and derive everything the platform shows about it; ``every_bar``
    keeps every bar in the curves of a run longer than ``curve_points()`` (a walk-forward's
    fold and the overfitting check read them bar by bar; a stored result samples them).

    Raises ``RequestError`` for a request the data cannot serve, whose signals would cost
    more than ``SIGNAL_MAX_WORK``/``SIGNAL_MAX_VALUES`` or whose Job would need more than
    ``RUN_MAX_MEMORY_MB`` (checked before computing them); any other exception is a system
    fault for the caller to record. A PYTHON request is ``kinds.runs.python_run``'s
    (``kinds.runs.kind.execute_request`` chooses).
    """
    from kinds.runs.run_memory import check_run_memory
    from kinds.runs.signal_cost import checked_cost
    from rules import RULES

    market = load_market_data(request, data_dir)
    start, cost = checked_cost(request, market)
    check_run_memory(request, market, start, cost=cost)
    frame = market_window(market, start)
    cache: dict = {}
    entries, exits = signals_in_window(frame, request.rule_type, [request.params], cache)
    entries, exits = entries[0], exits[0]
    held = position_exits_in_window(frame, request.rule_type, [request.params], cache)
    limit, stop = entry_prices_in_window(frame, request.entry_order)
    params = request.trading_params(frame.bars_per_year)
    inputs = {
        "limit": limit,
        "stop": stop,
        "position_exit": None if held is None else held[0],
        "size": size_in_window(frame, request.size_expr),
        "actions": frame.actions,
    }
    result = run_engine(frame.bars, entries, exits, params, **inputs)
    capacity = None
    if request.capacity:
        capacity = capacity_curve(request, frame, entries, exits, inputs)

    overlays = None
    if request.charts and RULES[request.rule_type].overlays is not None:
        overlays = overlays_in_window(frame, request.rule_type, request.params)
    return assemble(
        request,
        frame.bars,
        result,
        entries,
        exits,
        frame.data_hash,
        overlays,
        frame.bars_per_year,
        every_bar=every_bar,
        capacity=capacity,
    )


def capacity_curve(
    request: RunRequest,
    frame: MarketWindow,
    entries: np.ndarray,
    exits: np.ndarray,
    inputs: dict,
) -> dict:
    """The request's capacity document (``adapters.capacity.capacity_table``): the run on
    the window's bars with the same signals and engine ``inputs`` re-simulated at each of
    its ``capacity_capitals`` (default ``engine.capacity.capital_grid()``) in this process
    (``engine.capacity.run_capacity``)."""
    from adapters.capacity import capacity_table
    from engine.capacity import capital_grid, run_capacity

    capitals = request.capacity_capitals or capital_grid()
    params = request.trading_params(frame.bars_per_year)
    runs = run_capacity(frame.bars, entries, exits, params, capitals, **inputs)
    return capacity_table(runs, frame.bars.timestamps, frame.bars_per_year)


def assemble(
    request: RunRequest,
    bars: Bars,
    result: EngineResult,
    entries: np.ndarray,
    exits: np.ndarray,
    data_hash: str,
    overlays: dict[str, np.ndarray] | None = None,
    bars_per_year: float = TRADING_DAYS,
    *,
    every_bar: bool = False,
    capacity: dict | None = None,
) -> RunResult:
    """Turn an engine result into the stored/served ``RunResult`` (adapters only; its
    ``capacity`` document, when the request asked for one, as computed). A run of
    more bars than ``curve_points()`` stores its curves, candles and charts at evenly spaced
    points (``adapters.curve_points``); metrics and trades always cover every bar. Its curves,
    candles and signal times are held as arrays (``adapters.columnar.Columns``), which
    ``kinds.runs.serialize.to_json`` writes in one pass."""
    import adapters
    from adapters.corporate import events_applied
    from adapters.curves import curve_points as points_of
    from adapters.run_robustness import METRIC_KEYS, sharpe_probability
    from kinds.runs.curve_metrics import one_curve_metrics

    points = None if every_bar else points_of(len(bars), curve_points())
    records = adapters.trade_records(bars, result, columnar=True)
    applied = events_applied(bars, result)
    orders = None
    if request.entry_order is not None:
        from adapters.orders import order_records, with_entry_order

        orders = order_records(bars, result, request.entry_order["type"])
        records = with_entry_order(records, request.entry_order["type"])
    benchmark = adapters.buy_and_hold(bars, request.initial_capital, points, columnar=True)
    returns = bar_returns(result.equity[None, :])  # once, for every statistic below
    peak = np.maximum.accumulate(result.equity)  # once, for the drawdowns' length and curve
    enhanced = adapters.enhanced_metrics(
        bars, result, records, benchmark, bars_per_year, returns, peak
    )
    exposure = enhanced["avg_exposure_pct"]
    benchmark |= adapters.at_exposure(benchmark, request.initial_capital, exposure)
    psr = sharpe_probability(result.equity, returns[0])
    metrics = {**result.metrics, **enhanced, **{key: psr[key] for key in METRIC_KEYS}}
    metrics |= one_curve_metrics(bars.timestamps, result.equity, metrics, bars_per_year, returns)
    chart_base64, charts = None, {}
    if request.charts:
        from kinds.runs.font_cache import seed_font_cache

        seed_font_cache()  # before matplotlib loads its font list
        chart_base64, charts = adapters.render_charts(
            bars,
            result,
            entries=entries,
            exits=exits,
            records=records,
            benchmark=benchmark,
            overlays=overlays,
            points=points,
            applied=applied,
        )
    return RunResult(
        run_id=request.run_id,
        status=SUCCEEDED,
        metrics=metrics,
        equity_curve=adapters.equity_curve(bars, result, points, columnar=True),
        drawdown_curve=adapters.drawdown_curve(bars, result, points, columnar=True, peak=peak),
        portfolio_curve=adapters.portfolio_curve(bars, result, points, columnar=True),
        trades=records,
        charts=charts,
        chart_base64=chart_base64,
        price_candles=adapters.price_candles(bars, points, columnar=True),
        signals=adapters.signal_markers(bars, entries, exits, records, applied, columnar=True),
        benchmark=benchmark,
        data_hash=data_hash,
        engine_version=ENGINE_VERSION,
        request=request.to_dict(),
        probabilistic_sharpe=psr,
        orders=orders,
        events_applied=applied,
        capacity=capacity,
    )


def failed_result(request: RunRequest | dict, message: str) -> RunResult:
    """A FAILED result carrying a user-safe message (never a stack trace)."""
    payload = request.to_dict() if isinstance(request, RunRequest) else dict(request)
    return RunResult(
        run_id=str(payload.get("run_id", "")),
        status=FAILED,
        error_message=message,
        engine_version=ENGINE_VERSION,
        request=payload,
    )
