"""The metric registry: every metric a run reports, as the pages name and format it, and the
ones a parameter sweep stores per combination.

``METRICS`` is in display order (the run page's KPI cards, the compare table's rows).
``SWEEP_METRICS`` is the engine's core metrics then the equity-curve metrics, in the order the
``sweep_results`` columns and the sweep CSV carry them. Definitions of how each is computed
live with the code that computes it (``engine/_stats.py``, ``adapters/metrics.py``) and in
docs/execution.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class MetricDef:
    """One metric: its key in a result's ``metrics``, label, unit and decimals.

    ``better`` is +1 when higher is better, -1 when lower is better, 0 when neither (the
    compare table marks the best run of a row with it; a sweep ranks combinations by it,
    treating 0 as higher-is-better). ``integer``: stored as an integer column.
    """

    key: str
    label: str
    unit: str = ""
    digits: int = 2
    better: int = 1
    integer: bool = False


METRICS: tuple[MetricDef, ...] = (
    MetricDef("total_return_pct", "Total return", "%"),
    MetricDef("benchmark_return_pct", "Buy & hold (100% invested)", "%", better=0),
    MetricDef("benchmark_exposed_return_pct", "Buy & hold at run's exposure", "%", better=0),
    MetricDef("cagr_pct", "CAGR", "%"),
    MetricDef("sharpe_ratio", "Sharpe"),
    MetricDef("psr", "PSR (Sharpe > 0)", "", 3),
    MetricDef("sortino_ratio", "Sortino"),
    MetricDef("calmar_ratio", "Calmar"),
    MetricDef("max_drawdown_pct", "Max drawdown", "%", better=-1),
    MetricDef("max_drawdown_duration_days", "Max DD duration", " d", 0, better=-1),
    MetricDef("volatility_pct", "Volatility", "%", better=-1),
    MetricDef("num_trades", "Trades", "", 0, better=0, integer=True),
    MetricDef("win_rate_pct", "Win rate", "%"),
    MetricDef("profit_factor", "Profit factor"),
    MetricDef("avg_trade_return_pct", "Avg trade", "%"),
    MetricDef("best_trade_pct", "Best trade", "%"),
    MetricDef("worst_trade_pct", "Worst trade", "%"),
    MetricDef("exposure_pct", "Time in market", "%", better=0),
    MetricDef("avg_exposure_pct", "Avg exposure", "%", better=0),
)
"""Every metric of a run, in display order."""

_BY_KEY = {m.key: m for m in METRICS}


def metric(key: str) -> MetricDef:
    """The definition of ``key``.

    :raise KeyError: for a key that is no metric.
    """
    return _BY_KEY[key]


SWEEP_METRICS: tuple[MetricDef, ...] = tuple(
    metric(key)
    for key in (
        # the engine's core metrics (engine.result.CORE_METRICS), then the equity-curve
        # metrics (adapters.metrics.EQUITY_METRIC_KEYS): tests/metrics check both orders
        "total_return_pct",
        "sharpe_ratio",
        "max_drawdown_pct",
        "num_trades",
        "cagr_pct",
        "volatility_pct",
        "sortino_ratio",
        "calmar_ratio",
        "max_drawdown_duration_days",
    )
)
"""What a sweep stores per combination (one ``sweep_results`` column each), in order."""

SWEEP_METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in SWEEP_METRICS)
"""``SWEEP_METRICS`` by key: the stored columns and the CSV's metric headers."""

PORTFOLIO_LIST_METRICS: tuple[MetricDef, ...] = tuple(
    metric(key) for key in ("total_return_pct", "sharpe_ratio", "max_drawdown_pct")
)
"""The figures a portfolio row stores besides its result, for the list (one ``portfolios``
column each): its Job writes them from the result's metrics and the list shows them."""

PORTFOLIO_LIST_METRIC_KEYS: tuple[str, ...] = tuple(m.key for m in PORTFOLIO_LIST_METRICS)
"""``PORTFOLIO_LIST_METRICS`` by key: the stored columns and the list's keys."""

LOWER_IS_BETTER: frozenset[str] = frozenset(m.key for m in METRICS if m.better < 0)
"""Metrics whose best value is the smallest; for every other metric it is the largest."""


def metrics_json(definitions: tuple[MetricDef, ...] = METRICS) -> list[dict]:
    """The definitions as the pages' JavaScript reads them (key, label, unit, digits,
    better, integer), in order."""
    return [asdict(m) for m in definitions]
