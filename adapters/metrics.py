"""Enhanced metrics derived from an engine result, its trade records and the benchmark.

The engine's core metrics (total return, Sharpe, max drawdown, number of trades) are not
recomputed here; these are the extra KPIs shown on the dashboard. Return series and
annualisation reuse the engine's ``bar_returns``; annualised figures take ``bars_per_year``
B as an input (the engine's ``TRADING_DAYS``, 252, for daily bars; the ticker's catalog
figure for intraday bars, ``data.timeframe``).

Definitions (``None`` wherever a value is undefined):

* ``cagr_pct``: ((final equity / initial equity) ^ (365.25 / D) − 1) × 100, D = calendar
  days (fractional) between the first and last bar; None when D = 0. The initial equity
  is the equity on the first bar, which is always the initial capital (fills start on
  bar 1). Same as backtesting.py's "CAGR [%]".
* ``volatility_pct``: sample std (ddof 1) of the bar returns × √B × 100; needs 2 returns.
* ``win_rate_pct``: closed trades with ``pnl_abs`` > 0 / closed trades × 100.
* ``avg_trade_return_pct``: arithmetic mean of ``pnl_pct`` over closed trades
  (backtesting.py's "Avg. Trade [%]" is a geometric mean instead).
* ``exposure_pct``: bars with a non-zero position / all bars × 100 (position after the
  bar's fills, so an entry bar counts and an exit bar does not).
* ``profit_factor``: sum of ``pnl_abs`` of winning closed trades / |sum of ``pnl_abs`` of
  losing closed trades|; None without a losing trade (backtesting.py sums percent
  returns instead of money).
* ``sortino_ratio``: mean(r) / sqrt(mean(min(r, 0)²)) × √B over the bar returns r,
  risk-free rate and target 0; None when no return is negative. This is empyrical's
  ``sortino_ratio``. backtesting.py puts the geometric annualised return
  (1 + gmean(r))^252 − 1 over the same downside deviation × √252 (on daily-resampled
  equity): equal to first order, apart by compounding for larger returns.
* ``calmar_ratio``: ``cagr_pct`` / the engine's ``max_drawdown_pct`` over the whole run;
  None without a drawdown. (backtesting.py divides its geometric annualised return.)
* ``best_trade_pct`` / ``worst_trade_pct``: max / min ``pnl_pct`` of closed trades.
* ``max_drawdown_duration_days``: the longest span, in calendar days (fractional for
  intraday bars), from a peak of equity to the first bar back at or above it; a drawdown
  not recovered by the end is measured to the last bar. 0.0 when equity never falls below
  its running peak. Same as backtesting.py's "Max. Drawdown Duration".
* ``benchmark_return_pct``: the buy-and-hold return (``adapters.benchmark``), 100 %
  invested.
* ``avg_exposure_pct``: the time-weighted mean of |shares × close| / equity × 100, how
  much of its equity the run kept invested (``adapters.exposure``); ``exposure_pct`` is how
  often it held anything.
* ``benchmark_exposed_return_pct``: buy and hold at the run's exposure,
  ``avg_exposure_pct`` / 100 × ``benchmark_return_pct`` (``adapters.exposure``).

Closed trades exclude a trade still open at the end (marked, not realised); a trade
liquidated on bankruptcy is closed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from adapters._plain import number
from adapters.columnar import field_array
from adapters.exposure import average_exposure_pct, exposed_return_pct
from engine import TRADING_DAYS, Bars, EngineResult, bar_returns, core_metrics

METRIC_KEYS = (
    "cagr_pct",
    "volatility_pct",
    "win_rate_pct",
    "avg_trade_return_pct",
    "exposure_pct",
    "profit_factor",
    "sortino_ratio",
    "calmar_ratio",
    "best_trade_pct",
    "worst_trade_pct",
    "max_drawdown_duration_days",
    "benchmark_return_pct",
    "avg_exposure_pct",
    "benchmark_exposed_return_pct",
)
"""Keys of ``enhanced_metrics``, in order."""

FEW_TRADES = 10
"""A run with fewer trades than this carries the ``few_trades`` warning (``run_warnings``):
its win rate, profit factor and trade averages rest on a handful of trades."""

_DAY = np.timedelta64(1, "D")


EQUITY_METRIC_KEYS = (
    "cagr_pct",
    "volatility_pct",
    "sortino_ratio",
    "calmar_ratio",
    "max_drawdown_duration_days",
)
"""The enhanced metrics that derive from the equity curve alone: ``equity_metrics`` computes
them for N curves at once (a parameter sweep) and for one run (N = 1) with the same code."""


def equity_metrics(
    timestamps: np.ndarray,
    equity: np.ndarray,
    max_drawdown_pct: np.ndarray,
    position: np.ndarray | None = None,
    bars_per_year: float = TRADING_DAYS,
    returns: np.ndarray | None = None,
    peak: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """``EQUITY_METRIC_KEYS`` of N equity curves (N × T) over the same bars, one array of
    length N each (NaN where undefined), plus ``exposure_pct`` when ``position`` (N × T) is
    given. ``max_drawdown_pct`` is the engine's (length N); volatility and Sortino are
    annualised with ``bars_per_year``. ``returns``: the curves' ``bar_returns`` when the
    caller has computed them for another use (a sweep's block statistics), read, not
    changed; computed here otherwise. ``peak``: likewise their running peaks
    (``np.maximum.accumulate`` along the bars; a run's drawdown curve draws them).

    The only code of these formulas: a single run calls it with N = 1, so a run inside a
    sweep and the same run on its own give bit-for-bit equal values.
    """
    equity = np.asarray(equity, dtype=np.float64)
    n_runs, n_bars = equity.shape
    if returns is None:
        returns = bar_returns(equity)
    missing = np.full(n_runs, np.nan)
    std = returns.std(axis=1, ddof=1) if n_bars - 1 >= 2 else missing
    mean, downside = missing, missing
    if returns.shape[1]:
        mean = returns.mean(axis=1)
        downside = np.minimum(returns, 0.0)
        np.square(downside, out=downside)
        downside = np.sqrt(downside.mean(axis=1))
    curve = {
        "start": equity[:, 0],
        "final": equity[:, -1],
        "mean": mean,
        "std": std,
        "downside": downside,
        "drawdown_days": _max_drawdown_duration_days(timestamps, equity, peak),
    }
    out = curve_stats_metrics(timestamps, curve, max_drawdown_pct, bars_per_year)
    if position is not None:
        out["exposure_pct"] = np.count_nonzero(position, axis=1) / n_bars * 100.0
    return out


def curve_stats_metrics(
    timestamps: np.ndarray,
    curve: dict[str, np.ndarray],
    max_drawdown_pct: np.ndarray,
    bars_per_year: float = TRADING_DAYS,
) -> dict[str, np.ndarray]:
    """``EQUITY_METRIC_KEYS`` of N curves from their reductions (``engine.CURVE_STATS``:
    ``equity_metrics`` reduces with numpy, the engine's one-pass evaluation in its compiled
    loop, both in numpy's order) and the engine's ``max_drawdown_pct``."""
    max_drawdown_pct = np.asarray(max_drawdown_pct, dtype=np.float64)
    cagr = _cagr_pct(timestamps, curve["start"], curve["final"])
    calmar = np.full(cagr.shape[0], np.nan)
    defined = np.isfinite(cagr) & np.isfinite(max_drawdown_pct) & (max_drawdown_pct != 0)
    calmar[defined] = cagr[defined] / max_drawdown_pct[defined]
    sortino = np.full(cagr.shape[0], np.nan)
    downside = curve["downside"]
    ok = downside != 0
    sortino[ok] = curve["mean"][ok] / downside[ok] * np.sqrt(bars_per_year)
    return {
        "cagr_pct": cagr,
        "volatility_pct": curve["std"] * np.sqrt(bars_per_year) * 100.0,
        "sortino_ratio": sortino,
        "calmar_ratio": calmar,
        "max_drawdown_duration_days": curve["drawdown_days"],
    }


@dataclass(frozen=True)
class Curves:
    """What a metric beyond the built-in ones is computed from (``metrics.MetricDef.function``
    takes one and returns N values, NaN or None where undefined): N equity curves over the
    same T bars, their ``bar_returns`` (N × T-1), the bars' timestamps, the bars per year
    annualised figures use, and the metrics already computed for the N curves (the
    engine's and ``equity_metrics``', one array of length N each). A sweep passes a block
    of combinations, a single run N = 1: the same function gives both."""

    timestamps: np.ndarray
    equity: np.ndarray
    returns: np.ndarray
    bars_per_year: float
    metrics: dict[str, np.ndarray]


def enhanced_metrics(
    bars: Bars,
    result: EngineResult,
    records: Sequence[dict],
    benchmark: Mapping,
    bars_per_year: float = TRADING_DAYS,
    returns: np.ndarray | None = None,
    peak: np.ndarray | None = None,
) -> dict[str, float | None]:
    """The enhanced metrics (``METRIC_KEYS``) of one run; see the module docstring.
    ``records``: its trade records (``adapters.trade_records``, a list or ``Rows``, read by
    column); ``returns``: the run's ``bar_returns`` (1 × bars − 1) and ``peak`` its equity's
    running peak (bars) when the caller has them."""
    max_drawdown = result.metrics.get("max_drawdown_pct")
    curve = equity_metrics(
        bars.timestamps,
        result.equity[None, :],
        np.array([np.nan if max_drawdown is None else max_drawdown]),
        result.position[None, :],
        bars_per_year,
        returns,
        None if peak is None else peak[None, :],
    )
    curve = {name: number(values[0]) for name, values in curve.items()}
    closed = ~field_array(records, "is_open", bool)
    pnl_abs = field_array(records, "pnl_abs")[closed]
    pnl_pct = field_array(records, "pnl_pct")[closed]
    pnl_pct = pnl_pct[np.isfinite(pnl_pct)]
    gross_loss = -pnl_abs[pnl_abs < 0].sum()
    exposure = average_exposure_pct(result.position * bars.close, result.equity)
    return {
        "cagr_pct": curve["cagr_pct"],
        "volatility_pct": curve["volatility_pct"],
        "win_rate_pct": number((pnl_abs > 0).mean() * 100.0) if pnl_abs.size else None,
        "avg_trade_return_pct": number(pnl_pct.mean()) if pnl_pct.size else None,
        "exposure_pct": curve["exposure_pct"],
        "profit_factor": (
            number(pnl_abs[pnl_abs > 0].sum() / gross_loss) if gross_loss > 0 else None
        ),
        "sortino_ratio": curve["sortino_ratio"],
        "calmar_ratio": curve["calmar_ratio"],
        "best_trade_pct": number(pnl_pct.max()) if pnl_pct.size else None,
        "worst_trade_pct": number(pnl_pct.min()) if pnl_pct.size else None,
        "max_drawdown_duration_days": curve["max_drawdown_duration_days"],
        "benchmark_return_pct": number(benchmark.get("return_pct")),
        "avg_exposure_pct": exposure,
        "benchmark_exposed_return_pct": exposed_return_pct(
            number(benchmark.get("return_pct")), exposure
        ),
    }


def curve_metrics(
    timestamps: np.ndarray,
    equity: np.ndarray,
    initial_capital: float,
    num_trades: int,
    bars_per_year: float = TRADING_DAYS,
) -> dict[str, float | int | None]:
    """The metrics a sweep stores (``metrics.SWEEP_METRIC_KEYS``) of ONE equity curve that
    no single engine run produced (a walk-forward's stitched out-of-sample curve): the
    engine's own core metrics (``engine.core_metrics``: total return against
    ``initial_capital``, Sharpe annualised with ``bars_per_year`` — 252 for daily bars, the
    ticker's figure for intraday ones — and max drawdown) and the equity-curve metrics of
    ``equity_metrics``. ``num_trades`` is passed through."""
    curve = np.asarray(equity, dtype=np.float64)[None, :]
    core = core_metrics(curve, initial_capital, np.array([num_trades]), bars_per_year)
    more = equity_metrics(timestamps, curve, core["max_drawdown_pct"], bars_per_year=bars_per_year)
    return {
        **{name: number(values[0]) for name, values in {**core, **more}.items()},
        "num_trades": int(num_trades),
    }


def _cagr_pct(timestamps: np.ndarray, start: np.ndarray, final: np.ndarray) -> np.ndarray:
    cagr = np.full(start.shape[0], np.nan)
    days = (timestamps[-1] - timestamps[0]) / _DAY
    if days <= 0:
        return cagr
    exponent = 365.25 / days
    # One scalar power per row (C pow, ``math.pow``): numpy's array power may take a SIMD
    # path whose last bit differs, and the value must not depend on how many curves are
    # computed together. A power math refuses (a negative growth, an overflow) is numpy's
    # scalar one, as before: NaN, or infinity.
    rows = np.flatnonzero(start > 0)
    powers = [_power(growth, exponent) for growth in (final[rows] / start[rows]).tolist()]
    with np.errstate(over="ignore"):  # a power near the float's top: its percent is infinity
        cagr[rows] = (np.array(powers, dtype=np.float64) - 1.0) * 100.0
    return cagr


def _power(base: float, exponent: float) -> float:
    """``base ** exponent`` by C's pow, as numpy's float64 scalar power gives it."""
    try:
        return math.pow(base, exponent)
    except (OverflowError, ValueError):  # infinity, or NaN for a negative base (no warning)
        with np.errstate(over="ignore", invalid="ignore"):
            return float(np.float64(base) ** exponent)


def _max_drawdown_duration_days(
    timestamps: np.ndarray, equity: np.ndarray, peak: np.ndarray | None = None
) -> np.ndarray:
    """Per row: the longest span from a peak to the first bar back at or above it (to the
    last bar when not recovered); 0.0 for a curve never below its running peak (``peak``,
    computed when not given).

    A drawdown is a run of bars below the running peak: its peak is the bar before the run,
    its end the first bar after it (the last bar when the run lasts to the end). Runs are
    found from the edges of the under-water mask, so no per-bar peak index is built.
    """
    n_runs, n_bars = equity.shape
    longest = np.zeros(n_runs)
    underwater = np.zeros((n_runs, n_bars + 1), dtype=bool)
    peak = np.maximum.accumulate(equity, axis=1) if peak is None else peak
    np.less(equity, peak, out=underwater[:, :n_bars])
    edges = np.zeros((n_runs, n_bars + 1), dtype=bool)
    edges[:, 1:] = underwater[:, 1:] != underwater[:, :-1]  # bar 0 is never under water
    rows, cols = np.divmod(np.flatnonzero(edges), n_bars + 1)  # np.nonzero's, ~15x cheaper
    if not rows.size:
        return longest
    starts, ends = cols[0::2], np.minimum(cols[1::2], n_bars - 1)
    spans = (timestamps[ends] - timestamps[starts - 1]) / _DAY
    np.maximum.at(longest, rows[0::2], spans)
    return longest


def run_warnings(metrics: dict | None) -> list[dict[str, str]]:
    """The warnings about a finished run's ``metrics``, each ``{code, message}`` like the
    signal analyzer's: ``few_trades`` when ``num_trades`` is below ``FEW_TRADES`` (a rule
    that seldom fires, or a window too short for it). None (no metrics yet): none.

    >>> run_warnings({"num_trades": 2})[0]["code"], run_warnings({"num_trades": 10})
    ('few_trades', [])
    """
    trades = (metrics or {}).get("num_trades")
    if trades is None or trades >= FEW_TRADES:
        return []
    message = (
        f"the run made {trades} trade{'s' * (trades != 1)}, fewer than {FEW_TRADES}: its "
        "trade statistics rest on too few trades (the signal analyzer shows how often the "
        "rule fires)"
    )
    return [{"code": "few_trades", "message": message}]
