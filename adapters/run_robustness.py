"""A run's robustness statistics — "is it luck?" — from what its result holds: the
probabilistic Sharpe ratio of its bar returns (``adapters.deflated``) and its Monte Carlo,
trade-order reshuffling of its trade returns and the stationary block bootstrap of its bar
returns (``adapters.montecarlo``). Pure: the caller passes the stored curves and trades.

* **PSR** against SR* = 0 of the engine's bar returns of the equity curve (the returns its
  ``sharpe_ratio`` is computed from), with their skewness and non-excess kurtosis: the
  probability that the run's true Sharpe ratio is above 0. Stored with every run (result
  schema 1.3.0), with its inputs, and ``metrics.psr``.
* **Trade returns** as fractions of equity, for reshuffling: the engine holds one position
  at a time and equity moves only while a trade is open, so the equity before trade i is
  the initial capital C plus the PnL of the trades before it, and r_i = pnl_i / (C +
  Σ_{j<i} pnl_j) (every trade, the one still open at the end marked at the last close);
  Π(1 + r_i) − 1 is then the run's total return, which a permutation keeps.
* **Monte Carlo of a stored result**: both methods with the same ``paths`` and ``seed``
  (the same inputs give byte-identical answers), computed on demand, never stored; as CSV,
  one row per method and statistic (``MONTE_CARLO_FIELDS``, ``adapters.cells`` rounding).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from adapters._plain import number
from adapters.cells import csv_row
from adapters.deflated import probabilistic_sharpe_ratio, return_moments
from adapters.montecarlo import PERCENTILES, reshuffle_trades, stationary_bootstrap
from engine import bar_returns

PSR_BENCHMARK = 0.0
"""The per-bar Sharpe ratio a run's PSR is measured against."""

METRIC_KEYS = ("psr",)
"""What a run's ``metrics`` carry of these statistics (after the enhanced metrics): the
PSR, as a metric the pages, the history sort and the exports know (``metrics.METRICS``)."""

DEFAULT_BLOCK = 10
"""Mean block length (bars) of the stationary bootstrap unless told otherwise (fewer when
the run has fewer returns)."""


def equity_returns(equity: Sequence[float | None] | np.ndarray) -> np.ndarray:
    """The engine's bar returns (``engine.bar_returns``) of one equity curve (stored values
    ``None`` read as NaN)."""
    return bar_returns(np.array(equity, dtype=np.float64, ndmin=2))[0]


def sharpe_probability(
    equity: Sequence[float | None] | np.ndarray, returns: np.ndarray | None = None
) -> dict[str, Any]:
    """The PSR of a run's equity curve against ``PSR_BENCHMARK`` and its inputs, JSON-ready:
    ``psr``, ``benchmark_sharpe``, ``sharpe_per_bar`` (mean / sample std of the bar returns),
    ``skewness``, ``kurtosis`` (non-excess) and ``n_returns``; None where undefined (fewer
    than 2 returns, or returns without variance). ``returns``: the curve's
    ``equity_returns`` when the caller has them."""
    moments = return_moments(equity_returns(equity) if returns is None else returns)
    psr = probabilistic_sharpe_ratio(
        moments.sharpe, moments.n, moments.skewness, moments.kurtosis, PSR_BENCHMARK
    )
    return {
        "psr": number(psr),
        "benchmark_sharpe": PSR_BENCHMARK,
        "sharpe_per_bar": number(moments.sharpe),
        "skewness": number(moments.skewness),
        "kurtosis": number(moments.kurtosis),
        "n_returns": moments.n,
    }


def trade_returns(trades: Sequence[dict[str, Any]], initial_capital: float) -> np.ndarray:
    """Each trade's PnL as a fraction of the equity before it (module docstring), in the
    order of ``trades`` (trade records, entry order).

    :raise ValueError: a trade without a PnL, or the equity before a trade not positive.
    """
    pnl = np.array([trade.get("pnl_abs") for trade in trades], dtype=np.float64)
    if not np.isfinite(pnl).all():
        raise ValueError("a trade has no PnL")
    before = initial_capital + np.concatenate(([0.0], np.cumsum(pnl)[:-1]))
    if not (before > 0).all():
        raise ValueError("the equity before a trade was not positive")
    return pnl / before


def _method(compute: Callable[[], dict[str, Any]], **sizes: int) -> dict[str, Any]:
    """One method's summary with its input sizes, or ``unavailable`` with the reason."""
    try:
        return {**sizes, **compute()}
    except ValueError as exc:
        return {**sizes, "unavailable": str(exc)}


def monte_carlo(
    result: dict[str, Any], paths: int, seed: int, mean_block: int = DEFAULT_BLOCK
) -> dict[str, Any]:
    """The Monte Carlo of a stored run ``result`` (its ``equity_curve``, ``trades``,
    ``request.initial_capital`` and ``metrics``), JSON-ready: ``paths``, ``seed``,
    ``mean_block``; ``run`` (the run's own total return and max drawdown); ``trades``
    (``reshuffle_trades`` of ``trade_returns``, with ``n_trades``) and ``bootstrap``
    (``stationary_bootstrap`` of the bar returns, with ``n_returns``). A method its inputs
    cannot feed (no trade; fewer than 2 returns) carries ``unavailable``: why."""
    returns = equity_returns((result.get("equity_curve") or {}).get("equity") or [])
    trades = result.get("trades") or []
    capital = float((result.get("request") or {}).get("initial_capital") or math.nan)
    metrics = result.get("metrics") or {}

    def reshuffled() -> dict[str, Any]:
        if not trades:
            raise ValueError("the run has no trade")
        return reshuffle_trades(trade_returns(trades, capital), paths, seed)

    def bootstrapped() -> dict[str, Any]:
        if returns.size < 2:
            raise ValueError("the run has fewer than 2 bar returns")
        return stationary_bootstrap(returns, float(mean_block), paths, seed)

    return {
        "paths": paths,
        "seed": seed,
        "mean_block": mean_block,
        "run": {
            "total_return_pct": metrics.get("total_return_pct"),
            "max_drawdown_pct": metrics.get("max_drawdown_pct"),
        },
        "trades": _method(reshuffled, n_trades=len(trades)),
        "bootstrap": _method(bootstrapped, n_returns=int(returns.size)),
    }


METHODS = ("trades", "bootstrap")
"""The methods of ``monte_carlo``, in the order of its answer and of its CSV."""

STATISTICS = ("total_return_pct", "max_drawdown_pct")
"""What each method reports percentiles of."""

MONTE_CARLO_FIELDS = (
    "method",
    "statistic",
    *(f"p{p}" for p in PERCENTILES),
    "run",
    "prob_loss",
    "n_paths",
    "seed",
    "mean_block",
    "unavailable",
)
"""The header of ``monte_carlo_csv``."""


def monte_carlo_csv(answer: dict[str, Any]) -> str:
    """A ``monte_carlo`` answer as CSV text: one row per method and statistic (the
    percentiles, the run's own value, the method's probability of a loss), or one row with
    ``unavailable`` for a method that could not run; floats as export cells."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MONTE_CARLO_FIELDS)
    settings = (answer["seed"], answer["mean_block"])
    for method in METHODS:
        found = answer[method]
        if "unavailable" in found:
            blanks = [None] * (len(MONTE_CARLO_FIELDS) - 5)
            writer.writerow([method, None, *blanks, *settings, found["unavailable"]])
            continue
        for statistic in STATISTICS:
            points = [found[statistic][f"p{p}"] for p in PERCENTILES]
            run = answer["run"][statistic]
            row = [*points, run, found["prob_loss"], found["n_paths"], *settings, None]
            writer.writerow(csv_row([method, statistic, *row]))
    return out.getvalue()
