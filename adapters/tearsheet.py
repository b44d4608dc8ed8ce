"""The report-depth metrics: the figures a tearsheet (quantstats' report, pyfolio's) adds to
a run's own, computed from ONE stored equity curve and its closed trades when a report is
built, never per sweep combination (``metrics.REPORT_METRICS`` names each row and its
function here; ``report_values`` calls them).

Each function takes a ``ReportSeries`` and gives one float, or None where undefined. r is
the bar returns (``engine.bar_returns``), n their count, B the bars per year. Percent
figures are × 100 of quantstats' fractions. The definitions, and each one's peer:

* ``omega_ratio``: sum(r > 0) / −sum(r < 0), threshold 0 (quantstats' and empyrical's).
* ``ulcer_index_pct``: sqrt(sum(dd²) / (n − 1)) × 100, dd the fall below the running equity
  peak on every bar (quantstats').
* ``tail_ratio``: |95th percentile of r| / |5th percentile| (linear interpolation;
  quantstats' and empyrical's).
* ``var_95_pct``: historical one-bar value at risk, the 5th percentile of r (empyrical's;
  quantstats' default is parametric: mean + σ × Φ⁻¹(0.05)).
* ``cvar_95_pct``: the mean of the k = ⌊(n − 1) × 0.05⌋ + 1 lowest returns (empyrical's;
  quantstats' default is the parametric normal expected shortfall).
* ``kelly_pct``: p − (1 − p) / b over closed trades' profit in currency, p their win rate
  (a break-even trade is no win), b average win / average loss (backtesting.py's; quantstats
  applies the same formula to bar returns and leaves zero returns out).
* ``sqn``: √N × mean / sample std (ddof 1) of N closed trades' profit in currency (Van
  Tharp's System Quality Number, backtesting.py's; quantstats has none).
* ``avg_drawdown_pct``: the mean depth of every drawdown episode, an unrecovered one included
  (``adapters.drawdowns``; quantstats' "Avg. Drawdown").
* ``smart_sharpe``: the Sharpe ratio with its std multiplied by the autocorrelation penalty
  sqrt(1 + 2 Σₖ (n − k) / n × |ρ₁|ᵏ), ρ₁ the lag-1 autocorrelation (quantstats').
* ``gain_to_pain_ratio``: sum of daily returns / |sum of the negative ones|, a day's return
  the sum of its bars' (quantstats', resolution "D").
* ``win_month_pct`` / ``win_year_pct``: calendar months (years) with a gain / those with a
  non-zero return × 100, a period's return compounded from its bars (quantstats' win rate
  aggregated "ME" / "YE").
* ``best_/worst_day_pct``, ``_month_pct``, ``_year_pct``: the best and worst calendar
  day's, month's and year's compounded return (quantstats' best / worst).
* ``total_fees``: what the run's trades paid the broker, in currency: the sum of each
  trade's entry fee, exit fee and short borrow fee (docs/execution.md, "Commissions and
  fees"), the open trade's entry fee included (backtesting.py's "Commissions [$]" counts
  closed trades only).

Calendar periods are UTC (``adapters.periods``). Pure: the caller loads the curve.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from adapters._plain import number
from adapters.curves import drawdown_pct
from adapters.drawdowns import drawdown_episodes
from adapters.periods import period_growth
from engine import bar_returns

VAR_CUTOFF = 0.05
"""The tail of the value at risk and the conditional value at risk: the worst 5 % of bars."""


@dataclass(frozen=True)
class ReportSeries:
    """What a report metric is computed from: one equity curve over its bars' timestamps
    (``datetime64``), its bar returns, the bars per year and the closed trades' profit in
    currency (None where the result has no round trips, as a portfolio's)."""

    timestamps: np.ndarray
    equity: np.ndarray
    returns: np.ndarray
    bars_per_year: float
    trade_pnl: np.ndarray | None = None
    trade_fees: np.ndarray | None = None
    """Every trade's fees in currency (``trade_fees``); None where there are no round trips."""


def report_series(
    timestamps: np.ndarray,
    equity: np.ndarray,
    bars_per_year: float,
    trade_pnl: np.ndarray | None = None,
    trade_fees: np.ndarray | None = None,
) -> ReportSeries:
    """A ``ReportSeries`` of ``equity`` (T values, NaN-free) with its bar returns."""
    equity = np.asarray(equity, dtype=np.float64)
    returns = bar_returns(equity[None, :])[0]
    pnl = None if trade_pnl is None else np.asarray(trade_pnl, dtype=np.float64)
    fees = None if trade_fees is None else np.asarray(trade_fees, dtype=np.float64)
    return ReportSeries(np.asarray(timestamps), equity, returns, float(bars_per_year), pnl, fees)


def closed_trade_pnl(trades: list[dict]) -> np.ndarray:
    """The profit in currency (``pnl_abs``) of the closed trades of a stored result's
    ``trades`` (``adapters.trades``), in order."""
    return np.array(
        [t["pnl_abs"] for t in trades if not t.get("is_open") and t.get("pnl_abs") is not None],
        dtype=np.float64,
    )


def _ratio(top: float, bottom: float) -> float | None:
    return number(top / bottom) if bottom != 0 else None


def omega_ratio(s: ReportSeries) -> float | None:
    """Gains over losses of the bar returns (module docstring)."""
    r = s.returns
    return _ratio(r[r > 0].sum(), -r[r < 0].sum()) if r.size >= 2 else None


def ulcer_index_pct(s: ReportSeries) -> float | None:
    """The root mean square of the drawdowns, in percent (module docstring)."""
    if s.returns.size < 2:
        return None
    dd = drawdown_pct(s.equity) / 100.0
    return number(np.sqrt(np.square(dd).sum() / (s.returns.size - 1)) * 100.0)


def tail_ratio(s: ReportSeries) -> float | None:
    """The right tail over the left tail of the bar returns (module docstring)."""
    if not s.returns.size:
        return None
    return _ratio(abs(np.percentile(s.returns, 95)), abs(np.percentile(s.returns, 5)))


def var_95_pct(s: ReportSeries) -> float | None:
    """Historical one-bar value at risk at 95 %, in percent (module docstring)."""
    if not s.returns.size:
        return None
    return number(np.percentile(s.returns, 100 * VAR_CUTOFF) * 100.0)


def cvar_95_pct(s: ReportSeries) -> float | None:
    """The mean of the worst 5 % of bar returns, in percent (module docstring)."""
    if not s.returns.size:
        return None
    tail = int((s.returns.size - 1) * VAR_CUTOFF) + 1
    return number(np.sort(s.returns)[:tail].mean() * 100.0)


def trade_fees(trades: list[dict]) -> np.ndarray:
    """What each trade of a stored result's ``trades`` (``adapters.trades``) paid: its
    ``fees`` (engine 1.2.0's costs), else its entry fee + exit fee."""
    return np.array(
        [t["fees"] if "fees" in t else t["entry_fee"] + t["exit_fee"] for t in trades],
        dtype=np.float64,
    )


def total_fees(s: ReportSeries) -> float | None:
    """The fees every trade paid, in currency (module docstring)."""
    return None if s.trade_fees is None else number(s.trade_fees.sum())


def kelly_pct(s: ReportSeries) -> float | None:
    """The Kelly fraction of the closed trades, in percent (module docstring)."""
    pnl = s.trade_pnl
    if pnl is None or not (pnl > 0).any() or not (pnl < 0).any():
        return None
    win = (pnl > 0).mean()
    payoff = pnl[pnl > 0].mean() / -pnl[pnl < 0].mean()
    return number((win - (1.0 - win) / payoff) * 100.0)


def sqn(s: ReportSeries) -> float | None:
    """Van Tharp's System Quality Number of the closed trades (module docstring)."""
    pnl = s.trade_pnl
    if pnl is None or pnl.size < 2:
        return None
    return _ratio(np.sqrt(pnl.size) * pnl.mean(), pnl.std(ddof=1))


def avg_drawdown_pct(s: ReportSeries) -> float | None:
    """The mean depth of the drawdown episodes (module docstring)."""
    depths = [e["depth_pct"] for e in drawdown_episodes(s.timestamps, s.equity)]
    return number(np.mean(depths)) if depths else None


def smart_sharpe(s: ReportSeries) -> float | None:
    """The Sharpe ratio with the autocorrelation penalty (module docstring)."""
    r = s.returns
    n = r.size
    if n < 2:
        return None
    std = r.std(ddof=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        coef = abs(np.corrcoef(r[:-1], r[1:])[0, 1]) if n > 2 else np.nan
    penalty = 1.0
    if np.isfinite(coef):
        lags = np.arange(1, n)
        penalty = np.sqrt(1 + 2 * np.sum(((n - lags) / n) * coef**lags))
    return _ratio(r.mean() * np.sqrt(s.bars_per_year), std * penalty)


def _day_returns(s: ReportSeries) -> np.ndarray:
    """Each UTC day's sum of its bars' returns (bar t's return is its own day's)."""
    days = s.timestamps[1:].astype("datetime64[D]")
    if not days.size:
        return s.returns
    starts = np.flatnonzero(np.insert(days[1:] != days[:-1], 0, True))
    return np.add.reduceat(s.returns, starts)


def gain_to_pain_ratio(s: ReportSeries) -> float | None:
    """Sum of daily returns over the sum of the losing days' (module docstring)."""
    daily = _day_returns(s)
    return _ratio(daily.sum(), abs(daily[daily < 0].sum()))


def _period_returns(s: ReportSeries, unit: str) -> np.ndarray:
    """Each calendar period's compounded return; a first period holding only the first bar
    has no return (its bar is the start, as quantstats' first return is bar 1's)."""
    periods, growth = period_growth(s.timestamps, s.equity, unit)
    if s.returns.size and periods[0] != s.timestamps[1].astype(periods.dtype):
        growth = growth[1:]
    growth = growth - 1.0
    return growth[np.isfinite(growth)]


def _win_pct(s: ReportSeries, unit: str) -> float | None:
    returns = _period_returns(s, unit) if s.returns.size else np.empty(0)
    moved = np.count_nonzero(returns)
    return number(np.count_nonzero(returns > 0) / moved * 100.0) if moved else None


def win_month_pct(s: ReportSeries) -> float | None:
    """Months with a gain over months that moved, in percent (module docstring)."""
    return _win_pct(s, "M")


def win_year_pct(s: ReportSeries) -> float | None:
    """Years with a gain over years that moved, in percent (module docstring)."""
    return _win_pct(s, "Y")


def _extreme(s: ReportSeries, unit: str, pick: Callable[[np.ndarray], float]) -> float | None:
    returns = _period_returns(s, unit) if s.returns.size else np.empty(0)
    return number(pick(returns) * 100.0) if returns.size else None


def best_day_pct(s: ReportSeries) -> float | None:
    """The best calendar day's return, in percent."""
    return _extreme(s, "D", np.max)


def worst_day_pct(s: ReportSeries) -> float | None:
    """The worst calendar day's return, in percent."""
    return _extreme(s, "D", np.min)


def best_month_pct(s: ReportSeries) -> float | None:
    """The best calendar month's return, in percent."""
    return _extreme(s, "M", np.max)


def worst_month_pct(s: ReportSeries) -> float | None:
    """The worst calendar month's return, in percent."""
    return _extreme(s, "M", np.min)


def best_year_pct(s: ReportSeries) -> float | None:
    """The best calendar year's return, in percent."""
    return _extreme(s, "Y", np.max)


def worst_year_pct(s: ReportSeries) -> float | None:
    """The worst calendar year's return, in percent."""
    return _extreme(s, "Y", np.min)


def _function(path: str) -> Callable[[ReportSeries], float | None]:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def report_values(series: ReportSeries, paths: dict[str, str]) -> dict[str, float | None]:
    """Each report metric (key → its function's ``"module:name"``, from the registry: code,
    never a request) of ``series``, by key in the given order."""
    return {key: number(_function(path)(series)) for key, path in paths.items()}
