"""What a run's and a portfolio's report share: the report-depth metrics of a stored equity
curve (``metrics.report_metrics``, computed by ``adapters.tearsheet``) and the report exported
as ONE self-contained HTML file (inline CSS and SVG charts, no script, font or link to
fetch), rendered in memory on each request (web/templates/export/report.html)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from flask import Response, render_template

from adapters.periods import monthly_returns
from adapters.svg import line_chart
from adapters.tearsheet import report_series, report_values
from metrics import METRICS, metric, metrics_json, note, report_metrics

NOT_TRADES = "Kelly and SQN read closed round-trip trades; a portfolio reports orders, not trades."
"""Why a portfolio's trade-based report metrics are empty (the page and the export say it)."""


def report_definitions() -> list[dict]:
    """The report metrics as the pages read them (``metrics_json``) with each one's note."""
    return metrics_json(report_metrics(), notes=True)


def report_metric_values(
    timestamps: np.ndarray,
    equity: Sequence[float | None],
    bars_per_year: float,
    trade_pnl: np.ndarray | None = None,
    trade_fees: np.ndarray | None = None,
) -> dict[str, float | None]:
    """Every report metric of one stored curve (a None equity is taken as the last known);
    ``trade_pnl``: the closed trades' profits, ``trade_fees`` every trade's fees, None
    where there are no round trips."""
    values = np.array([np.nan if v is None else v for v in equity], dtype=np.float64)
    known = np.isfinite(values)
    if not known.all():
        values = values[np.maximum.accumulate(np.where(known, np.arange(values.size), 0))]
    series = report_series(np.asarray(timestamps), values, bars_per_year, trade_pnl, trade_fees)
    return report_values(series, {m.key: m.function for m in report_metrics()})


def _formatted(value: Any, digits: int, unit: str) -> str:
    if value is None or isinstance(value, str):
        return "—" if value is None else value
    if isinstance(value, bool):
        return str(value)
    return f"{value:,.{digits}f}{unit.strip() if unit == ' d' else unit}"


def metric_rows(columns: Sequence[dict], keys: Sequence[str]) -> list[dict]:
    """One row per metric key: label, note and each column's formatted value (a key that is
    no registry metric shows under its own name with 2 decimals)."""
    rows = []
    for key in keys:
        try:
            definition = metric(key)
            label, digits, unit = definition.label, definition.digits, definition.unit
        except KeyError:
            label, digits, unit = key.replace("_", " "), 2, "%" if key.endswith("_pct") else ""
        cells = [_formatted(column.get(key), digits, unit) for column in columns]
        rows.append({"label": label, "note": note(key), "cells": cells})
    return rows


def run_metric_keys(stored: dict) -> list[str]:
    """The stored metrics' keys in the registry's display order, then any other."""
    ordered = [m.key for m in METRICS if m.key in stored]
    return ordered + [key for key in stored if key not in ordered]


def export(
    filename: str,
    title: str,
    subtitle: str,
    columns: Sequence[str],
    groups: Sequence[dict],
    curves: dict[str, Any],
    drawdowns: Sequence[dict] = (),
    remark: str = "",
) -> Response:
    """The report as one HTML attachment. ``groups``: ``{"title", "rows"}`` (``metric_rows``);
    ``curves``: ``timestamps`` (datetime64), ``labels`` (ISO), ``equity`` and
    ``benchmark`` (values per bar, None a gap), ``benchmark_label`` and ``underwater_pct``."""
    labels = curves["labels"]
    first, last = (labels[0][:10], labels[-1][:10]) if labels else ("", "")
    charts = [
        {
            "title": "Equity against the benchmark",
            "svg": line_chart(
                [
                    (columns[0], "#0d6efd", curves["equity"]),
                    (curves["benchmark_label"], "#adb5bd", curves["benchmark"]),
                ],
                first,
                last,
            ),
        },
        {
            "title": "Underwater: drawdown below the running peak (%)",
            "svg": line_chart(
                [("drawdown", "#dc3545", curves["underwater_pct"])], first, last, "%"
            ),
        },
    ]
    equity = np.array([np.nan if v is None else v for v in curves["equity"]], dtype=np.float64)
    html = render_template(
        "export/report.html",
        title=title,
        subtitle=subtitle,
        columns=columns,
        groups=groups,
        charts=charts,
        monthly=monthly_returns(curves["timestamps"], equity),
        drawdowns=drawdowns,
        remark=remark,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
