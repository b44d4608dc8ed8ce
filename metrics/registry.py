"""The metric registry: every metric a run reports, as the pages name and format it, and the
ones a parameter sweep stores per combination.

``METRICS`` is in display order (the run page's KPI cards, the compare table's rows).
``SWEEP_METRICS`` is the engine's core metrics then the equity-curve metrics, in the order the
``sweep_results`` columns and the sweep CSV carry them. Definitions of how each is computed
live with the code that computes it (``engine/_stats.py``, ``adapters/metrics.py``) and in
docs/execution.md.

A metric beyond these is a row that names its curve function (``MetricDef.function``): a row
of ``METRICS``, or one ``register`` adds while the process runs. Every such metric is
computed for a run and for each sweep combination (``kinds.runs.curve_metrics``) and stored
in a sweep's ``extra_metrics`` JSON, so it needs no column and no migration. Readers that
must see it call ``all_metrics``, ``sweep_metrics``, ``sweep_metric_keys`` and
``lower_is_better``, never the constants, which hold the built-in rows only.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields

from metrics.notes import note


@dataclass(frozen=True)
class MetricDef:
    """One metric: its key in a result's ``metrics``, label, unit and decimals.

    ``better`` is +1 when higher is better, -1 when lower is better, 0 when neither (the
    compare table marks the best run of a row with it; a sweep ranks combinations by it,
    treating 0 as higher-is-better). ``integer``: stored as an integer column.
    ``function``: ``"module:name"`` of the function computing a metric beyond the built-in
    ones from equity curves (``adapters.metrics.Curves`` in, N values out); empty for the
    built-in ones, which the engine and ``adapters.metrics`` compute.
    ``scope``: ``"run"`` (the default) for a metric every run and every sweep combination
    computes and stores; ``"report"`` for a report-depth one, computed from one stored
    equity curve and its trades when a run's or portfolio's report is built, never stored
    nor computed per combination: its ``function`` takes an ``adapters.tearsheet.ReportSeries``
    and gives one value (``REPORT_METRICS``, ``report_metrics``); ``"portfolio"`` for a
    portfolio result's own figures (``PORTFOLIO_METRICS``), which its computation
    (``kinds.portfolios.compute``) writes and no run has.
    """

    key: str
    label: str
    unit: str = ""
    digits: int = 2
    better: int = 1
    integer: bool = False
    function: str = ""
    scope: str = "run"


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

_TEARSHEET = "adapters.tearsheet:"


def _report(key: str, label: str, unit: str = "", digits: int = 2, better: int = 1) -> MetricDef:
    return MetricDef(key, label, unit, digits, better, function=_TEARSHEET + key, scope="report")


REPORT_METRICS: tuple[MetricDef, ...] = (
    _report("omega_ratio", "Omega"),
    _report("smart_sharpe", "Smart Sharpe"),
    _report("gain_to_pain_ratio", "Gain/pain"),
    _report("tail_ratio", "Tail ratio"),
    _report("var_95_pct", "Value at risk (95%, 1 bar)", "%"),
    _report("cvar_95_pct", "CVaR (95%, 1 bar)", "%"),
    _report("ulcer_index_pct", "Ulcer index", "%", better=-1),
    _report("avg_drawdown_pct", "Avg drawdown", "%", better=-1),
    _report("kelly_pct", "Kelly criterion", "%"),
    _report("sqn", "SQN"),
    _report("win_month_pct", "Winning months", "%"),
    _report("win_year_pct", "Winning years", "%"),
    _report("best_day_pct", "Best day", "%"),
    _report("worst_day_pct", "Worst day", "%"),
    _report("best_month_pct", "Best month", "%"),
    _report("worst_month_pct", "Worst month", "%"),
    _report("best_year_pct", "Best year", "%"),
    _report("worst_year_pct", "Worst year", "%"),
    _report("total_fees", "Total fees", "", better=-1),
)
"""The report-depth metrics (``scope="report"``), in display order: computed by
``adapters.tearsheet`` when a run's or a portfolio's report is built, not stored with a run
nor per sweep combination."""

PORTFOLIO_METRICS: tuple[MetricDef, ...] = (
    MetricDef("num_orders", "Orders", "", 0, better=0, integer=True, scope="portfolio"),
    MetricDef("num_rebalances", "Rebalances", "", 0, better=0, integer=True, scope="portfolio"),
    MetricDef("fees_paid", "Fees paid", "", 2, better=-1, scope="portfolio"),
    MetricDef("turnover_pct", "Turnover", "%", 0, better=-1, scope="portfolio"),
    MetricDef("annual_turnover_pct", "Annual turnover", "%", 0, better=-1, scope="portfolio"),
    MetricDef("avg_cash_pct", "Avg cash", "%", better=0, scope="portfolio"),
)
"""A portfolio result's own metrics beyond those of its equity curve, in display order."""

PORTFOLIO_PAGE_METRICS: tuple[MetricDef, ...] = (
    *(m for m in METRICS if m.key != "num_trades"),
    *PORTFOLIO_METRICS,
)
"""The rows of a portfolio's metrics table, in order (a row the result lacks is not shown):
its equity's run metrics, then its own; ``num_trades``, which counts a portfolio's orders
for a sweep's and a study's tables, is the ``num_orders`` row."""

_BY_KEY = {m.key: m for m in (*METRICS, *REPORT_METRICS, *PORTFOLIO_METRICS)}


_REGISTERED: dict[str, MetricDef] = {}
"""Metrics ``register`` added while the process runs, in registration order."""

_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")

SCOPES = ("run", "report")
"""Where a metric is computed (``MetricDef.scope``)."""

RESERVED: frozenset[str] = frozenset(
    ("sweep_id", "combo_no", "chunk_no", "ticker", "params", "params_json", "extra_metrics",
     "created_at", "completed_at", "rule_type", "status", "name")
)  # fmt: skip
"""Names a stored sweep result or the run history sorts by as columns: no metric's key."""


def register(definition: MetricDef) -> None:
    """Add a metric beyond the built-in rows for the rest of the process: every reader that
    goes through ``all_metrics``/``sweep_metrics`` sees it (the run page, a sweep's table,
    sort, filter and CSV, a study's objectives). Its ``function`` computes it.

    :raise ValueError: a key taken (a metric's or ``RESERVED``) or not ``[a-z][a-z0-9_]*``,
        or no ``function``.
    """
    taken = definition.key in _BY_KEY | _REGISTERED or definition.key in RESERVED
    if definition.scope not in SCOPES:
        raise ValueError(f"{definition.key!r}: a metric's scope is one of {SCOPES}")
    if taken or not _KEY.fullmatch(definition.key):
        raise ValueError(f"{definition.key!r}: a metric key must be new and [a-z][a-z0-9_]*")
    if ":" not in definition.function:
        raise ValueError(f"{definition.key!r}: a registered metric names its function")
    _REGISTERED[definition.key] = definition


def unregister(key: str) -> None:
    """Drop a metric ``register`` added (no error when there is none)."""
    _REGISTERED.pop(key, None)


def all_metrics() -> tuple[MetricDef, ...]:
    """``METRICS`` then the registered metrics of scope ``"run"``: what a run reports, in
    display order."""
    return (*METRICS, *(m for m in _REGISTERED.values() if m.scope == "run"))


def report_metrics() -> tuple[MetricDef, ...]:
    """``REPORT_METRICS`` then the registered metrics of scope ``"report"``: what a run's and
    a portfolio's report add, in display order."""
    return (*REPORT_METRICS, *(m for m in _REGISTERED.values() if m.scope == "report"))


def metric(key: str) -> MetricDef:
    """The definition of ``key`` (a registered one too).

    :raise KeyError: for a key that is no metric.
    """
    return _BY_KEY[key] if key in _BY_KEY else _REGISTERED[key]


def curve_functions() -> tuple[MetricDef, ...]:
    """The metrics computed by a named function (``MetricDef.function``), in display order:
    what a run and a sweep compute beyond the built-in metrics."""
    return tuple(m for m in all_metrics() if m.function)


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
"""The built-in metrics whose best value is the smallest (``lower_is_better`` asks about any)."""


def sweep_metrics() -> tuple[MetricDef, ...]:
    """What a sweep stores per combination: ``SWEEP_METRICS`` (its columns), then every
    metric computed by a named function (its ``extra_metrics``)."""
    return (*SWEEP_METRICS, *curve_functions())


def sweep_metric_keys() -> tuple[str, ...]:
    """``sweep_metrics`` by key: what a sweep's table sorts and filters by, its CSV's metric
    headers and a study's objective choices."""
    return tuple(m.key for m in sweep_metrics())


def lower_is_better(key: str) -> bool:
    """Whether ``key``'s best value is its smallest (False for a key that is no metric)."""
    definition = _BY_KEY.get(key) or _REGISTERED.get(key)
    return definition is not None and definition.better < 0


_PAGE_FIELDS = tuple(f.name for f in fields(MetricDef) if f.name not in ("function", "scope"))


def metrics_json(
    definitions: tuple[MetricDef, ...] | None = None, *, notes: bool = False
) -> list[dict]:
    """The definitions (default: ``all_metrics()``) as the pages' JavaScript reads them
    (key, label, unit, digits, better, integer), in order; with ``notes``, each one's hover
    note (``metrics.notes.note``) too."""
    chosen = all_metrics() if definitions is None else definitions
    rows = [{name: asdict(m)[name] for name in _PAGE_FIELDS} for m in chosen]
    return [row | {"note": note(row["key"])} for row in rows] if notes else rows
