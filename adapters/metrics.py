"""Enhanced metrics derived from an engine result, its trade records and the benchmark.

The engine's core metrics (total return, Sharpe, max drawdown, number of trades) are not
recomputed here; these are the extra KPIs shown on the dashboard. Return series and
annualisation reuse the engine's ``bar_returns`` and ``TRADING_DAYS`` (252).

Definitions (``None`` wherever a value is undefined):

* ``cagr_pct``: ((final equity / initial equity) ^ (365.25 / D) − 1) × 100, D = calendar
  days (fractional) between the first and last bar; None when D = 0. The initial equity
  is the equity on the first bar, which is always the initial capital (fills start on
  bar 1). Same as backtesting.py's "CAGR [%]".
* ``volatility_pct``: sample std (ddof 1) of the bar returns × √252 × 100; needs 2 returns.
* ``win_rate_pct``: closed trades with ``pnl_abs`` > 0 / closed trades × 100.
* ``avg_trade_return_pct``: arithmetic mean of ``pnl_pct`` over closed trades
  (backtesting.py's "Avg. Trade [%]" is a geometric mean instead).
* ``exposure_pct``: bars with a non-zero position / all bars × 100 (position after the
  bar's fills, so an entry bar counts and an exit bar does not).
* ``profit_factor``: sum of ``pnl_abs`` of winning closed trades / |sum of ``pnl_abs`` of
  losing closed trades|; None without a losing trade (backtesting.py sums percent
  returns instead of money).
* ``sortino_ratio``: mean(r) / sqrt(mean(min(r, 0)²)) × √252 over the bar returns r,
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
* ``benchmark_return_pct``: the buy-and-hold return (``adapters.benchmark``).

Closed trades exclude a trade still open at the end (marked, not realised); a trade
liquidated on bankruptcy is closed.
"""

from __future__ import annotations

import numpy as np

from adapters._plain import number
from engine import Bars, EngineResult
from engine._stats import TRADING_DAYS, bar_returns

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
)
"""Keys of ``enhanced_metrics``, in order."""

_DAY = np.timedelta64(1, "D")


def enhanced_metrics(
    bars: Bars, result: EngineResult, records: list[dict], benchmark: dict
) -> dict[str, float | None]:
    """The enhanced metrics (``METRIC_KEYS``) of one run; see the module docstring."""
    equity = result.equity
    returns = bar_returns(equity[None, :])[0]
    closed = [record for record in records if not record["is_open"]]
    pnl_abs = np.array([record["pnl_abs"] for record in closed], dtype=np.float64)
    pnl_pct = np.array([record["pnl_pct"] for record in closed], dtype=np.float64)
    pnl_pct = pnl_pct[np.isfinite(pnl_pct)]
    cagr = _cagr_pct(bars.timestamps, equity)
    max_drawdown = result.metrics.get("max_drawdown_pct")

    gross_loss = -pnl_abs[pnl_abs < 0].sum()
    return {
        "cagr_pct": cagr,
        "volatility_pct": (
            number(returns.std(ddof=1) * np.sqrt(TRADING_DAYS) * 100.0)
            if returns.size >= 2
            else None
        ),
        "win_rate_pct": number((pnl_abs > 0).mean() * 100.0) if closed else None,
        "avg_trade_return_pct": number(pnl_pct.mean()) if pnl_pct.size else None,
        "exposure_pct": number(np.count_nonzero(result.position) / len(equity) * 100.0),
        "profit_factor": (
            number(pnl_abs[pnl_abs > 0].sum() / gross_loss) if gross_loss > 0 else None
        ),
        "sortino_ratio": _sortino(returns),
        "calmar_ratio": (
            number(cagr / max_drawdown) if cagr is not None and max_drawdown else None
        ),
        "best_trade_pct": number(pnl_pct.max()) if pnl_pct.size else None,
        "worst_trade_pct": number(pnl_pct.min()) if pnl_pct.size else None,
        "max_drawdown_duration_days": _max_drawdown_duration_days(bars.timestamps, equity),
        "benchmark_return_pct": number(benchmark.get("return_pct")),
    }


def _cagr_pct(timestamps: np.ndarray, equity: np.ndarray) -> float | None:
    days = (timestamps[-1] - timestamps[0]) / _DAY
    if days <= 0 or equity[0] <= 0:
        return None
    with np.errstate(over="ignore"):
        growth = np.float64(equity[-1] / equity[0]) ** (365.25 / days)
    return number((growth - 1.0) * 100.0)


def _sortino(returns: np.ndarray) -> float | None:
    if not returns.size:
        return None
    downside = np.sqrt(np.mean(np.minimum(returns, 0.0) ** 2))
    if downside == 0:
        return None
    return number(returns.mean() / downside * np.sqrt(TRADING_DAYS))


def _max_drawdown_duration_days(timestamps: np.ndarray, equity: np.ndarray) -> float:
    underwater = equity < np.maximum.accumulate(equity)
    if not underwater.any():
        return 0.0
    bars = np.arange(len(equity))
    last_peak = np.maximum.accumulate(np.where(underwater, 0, bars))
    ends = np.flatnonzero(underwater[:-1] & ~underwater[1:]) + 1
    if underwater[-1]:
        ends = np.append(ends, len(equity) - 1)
    spans = (timestamps[ends] - timestamps[last_peak[ends - 1]]) / _DAY
    return float(spans.max())
