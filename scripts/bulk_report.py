"""What the bulk script prints and writes: the table of the best runs by a metric and the
results CSV (its progress bar is ``scripts.bulk_progress``'s).

"Best" is the highest value, except for metrics where lower is better
(``metrics.lower_is_better``); runs without the metric come last.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from metrics import lower_is_better
from work.status import RunStatus

CSV_FIELDS = (
    "key",
    "run_id",
    "status",
    "ticker",
    "rule_type",
    "rule_id",
    "start_date",
    "end_date",
    "params",
    "http_status",
    "field",
    "message",
    "error_message",
    "cached_from",
)
"""Leading columns of the results CSV; every metric key seen follows, sorted."""


def _metric(run: dict[str, Any] | None, metric: str) -> float | None:
    value = ((run or {}).get("metrics") or {}).get(metric)
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def rank(runs: list[dict[str, Any]], metric: str) -> list[dict[str, Any]]:
    """SUCCEEDED runs ordered best first by ``metric`` (runs without it last)."""
    succeeded = [run for run in runs if run.get("status") == RunStatus.SUCCEEDED]
    sign = 1 if lower_is_better(metric) else -1

    def order(run: dict[str, Any]) -> tuple[int, float]:
        value = _metric(run, metric)
        return (1, 0.0) if value is None else (0, sign * value)

    return sorted(succeeded, key=order)


def _summary_cell(run: dict[str, Any], key: str) -> str:
    value = _metric(run, key)
    if key == "num_trades":
        return "-" if value is None else str(int(value))
    return _cell(value)


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:,.3f}"


SUMMARY_COLUMNS = (
    ("return %", "total_return_pct"),
    ("sharpe", "sharpe_ratio"),
    ("max dd %", "max_drawdown_pct"),
    ("trades", "num_trades"),
)
"""The metrics every summary shows after the ranking metric (which is not repeated)."""


def summary_table(runs: list[dict[str, Any]], metric: str, top: int) -> str:
    """The ``top`` best runs by ``metric`` as an aligned text table: the ranking metric,
    then ``SUMMARY_COLUMNS`` other than it."""
    columns = [(label, key) for label, key in SUMMARY_COLUMNS if key != metric]
    header = ("#", "run_id", "ticker", "rule_id", metric, *(label for label, _ in columns))
    rows = [header]
    for place, run in enumerate(rank(runs, metric)[:top], start=1):
        cells = [_summary_cell(run, key) for key in (metric, *(key for _, key in columns))]
        rows.append(
            (str(place), run["run_id"], run.get("ticker", ""), run.get("rule_id", ""), *cells)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = set(range(4, len(header))) | {0}
    lines = []
    for row in rows:
        cells = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def results_rows(entries: list[Any]) -> list[dict[str, Any]]:
    """One CSV row per journal entry: its request, outcome and (when finished) metrics."""
    rows = []
    for entry in entries:
        run = entry.run or {}
        request = entry.request
        row = {
            "key": entry.key,
            "run_id": entry.run_id,
            "status": run.get("status") or entry.state.upper(),
            "ticker": run.get("ticker") or request.get("ticker"),
            "rule_type": run.get("rule_type") or request.get("rule_type"),
            "rule_id": run.get("rule_id"),
            "start_date": request.get("start_date"),
            "end_date": request.get("end_date"),
            "params": json.dumps(run.get("params") or request.get("params"), sort_keys=True),
            "http_status": entry.http_status,
            "field": entry.field,
            "message": entry.message,
            "error_message": run.get("error_message"),
            "cached_from": run.get("cached_from"),
        }
        row.update(run.get("metrics") or {})
        rows.append(row)
    return rows


def write_results_csv(path: str | Path, rows: list[dict[str, Any]]) -> None:
    """Write ``results_rows`` to ``path``: ``CSV_FIELDS`` then the metric keys, sorted."""
    metric_keys = sorted({key for row in rows for key in row} - set(CSV_FIELDS))
    with Path(path).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*CSV_FIELDS, *metric_keys])
        writer.writeheader()
        for row in rows:
            writer.writerow({key: ("" if value is None else value) for key, value in row.items()})
