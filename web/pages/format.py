"""How the dashboard writes numbers: the Jinja filters that format values and metrics (whose
labels, units and decimals come from ``metrics``), and the history table's short columns.

Undefined values (None, NaN) are written as an em dash, never as 0.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from metrics import MetricDef, metric, note
from rules.registry import rule_label

MISSING = "—"
"""What an undefined metric looks like."""


HISTORY_METRICS = (
    replace(metric("total_return_pct"), label="Return"),
    metric("sharpe_ratio"),
    replace(metric("max_drawdown_pct"), label="Max DD"),
    metric("num_trades"),
)
"""The metric columns of the history table."""

KEY_FIGURES = (
    "total_return_pct",
    "benchmark_return_pct",
    "cagr_pct",
    "sharpe_ratio",
    "sortino_ratio",
    "max_drawdown_pct",
    "volatility_pct",
    "num_trades",
    "win_rate_pct",
    "profit_factor",
    "avg_exposure_pct",
)
"""The figures beside a run's equity chart on its Overview tab, as a report's first page
shows them (every metric is on the Stats tab)."""

SIGNED_KEYS = frozenset(
    {
        "total_return_pct",
        "benchmark_return_pct",
        "benchmark_exposed_return_pct",
        "cagr_pct",
        "sharpe_ratio",
        "sortino_ratio",
        "calmar_ratio",
        "avg_trade_return_pct",
        "best_trade_pct",
        "worst_trade_pct",
    }
)
"""Metrics whose sign is the news: drawn green when positive, red when negative."""


def is_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def format_number(value: Any, digits: int = 2, unit: str = "") -> str:
    """``value`` with thousands separators and ``digits`` decimals, then ``unit``.

    >>> format_number(1234.567, 1, "%")
    '1,234.6%'
    >>> format_number(None)
    '—'
    """
    if not is_number(value):
        return MISSING
    return f"{value:,.{digits}f}{unit}"


def format_metric(metrics: dict[str, Any] | None, metric: MetricDef) -> str:
    """The metric's value in ``metrics`` (None or absent: an em dash)."""
    return format_number((metrics or {}).get(metric.key), metric.digits, metric.unit)


def tone(metrics: dict[str, Any] | None, key: str) -> str:
    """The CSS class of a signed metric's value: "pos", "neg" or empty."""
    value = (metrics or {}).get(key)
    if key not in SIGNED_KEYS or not is_number(value) or value == 0:
        return ""
    return "pos" if value > 0 else "neg"


def best_index(values: list[Any], better: int) -> int | None:
    """Index of the best defined value (``better`` +1: highest, -1: lowest), or None.

    >>> best_index([1.0, None, 3.0], 1)
    2
    """
    defined = [(value, i) for i, value in enumerate(values) if is_number(value)]
    if better == 0 or len(defined) < 2:
        return None
    pick = max if better > 0 else min
    return pick(defined, key=lambda pair: pair[0])[1]


def format_when(value: datetime | None) -> str:
    """A naive UTC datetime as "2024-01-02 03:04:05 UTC" (None: an em dash)."""
    if value is None:
        return MISSING
    return value.replace(tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(start: datetime | None, end: datetime | None) -> str:
    """The time from ``start`` to ``end`` as "1.2 s", "3 min 4 s" or "2 h 5 min".

    >>> duration(datetime(2024, 1, 1), datetime(2024, 1, 1, 0, 3, 4))
    '3 min 4 s'
    """
    if start is None or end is None:
        return MISSING
    seconds = max((end - start).total_seconds(), 0.0)
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def run_rule(run: dict[str, Any]) -> str:
    """How the history names a run summary's rule (``rules.registry.rule_label``: its id,
    or an expression's texts and values rather than their hash)."""
    return rule_label(run["rule_type"], run.get("params"), run["rule_id"])


def init_app(app: Flask) -> None:
    """Register the filters ``number``, ``metric``, ``tone``, ``when``, ``rule`` and ``note``
    (a metric key's definition and how peers differ, ``metrics.notes``) on ``app``."""
    app.add_template_filter(format_number, "number")
    app.add_template_filter(format_metric, "metric")
    app.add_template_filter(tone, "tone")
    app.add_template_filter(format_when, "when")
    app.add_template_filter(run_rule, "rule")
    app.add_template_filter(note, "note")
