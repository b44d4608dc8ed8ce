"""Tests for scripts/bulk_report.py: the ranking and summary table, and
the results CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from scripts.bulk_report import (
    CSV_FIELDS,
    rank,
    results_rows,
    summary_table,
    write_results_csv,
)
from scripts.bulk_state import Journal


def run(run_id: str, status: str = "SUCCEEDED", **metrics) -> dict:
    return {
        "run_id": run_id,
        "status": status,
        "ticker": "ACME",
        "rule_id": "rsi-14",
        "metrics": metrics,
    }


def test_rank_is_descending_except_for_lower_is_better_metrics():
    """Higher Sharpe first; smaller drawdown first; missing values and failed runs last/out."""
    runs = [
        run("a", sharpe_ratio=0.5, max_drawdown_pct=9.0),
        run("b", sharpe_ratio=None, max_drawdown_pct=2.0),
        run("c", sharpe_ratio=1.5, max_drawdown_pct=5.0),
        run("d", "FAILED"),
    ]
    assert [r["run_id"] for r in rank(runs, "sharpe_ratio")] == ["c", "a", "b"]
    assert [r["run_id"] for r in rank(runs, "max_drawdown_pct")] == ["b", "c", "a"]


def test_summary_table_shows_the_top_runs_aligned():
    """The table has a header, a rule and ``top`` rows in rank order."""
    runs = [
        run(f"id-{i}", sharpe_ratio=float(i), total_return_pct=i * 2.0, num_trades=i)
        for i in range(5)
    ]
    lines = summary_table(runs, "sharpe_ratio", 3).splitlines()
    assert lines[0].split() == [
        "#",
        "run_id",
        "ticker",
        "rule_id",
        "sharpe_ratio",
        "return",
        "%",
        "max",
        "dd",
        "%",
        "trades",
    ]  # the ranking metric once (Sharpe was printed twice: sharpe_ratio and sharpe)
    assert set(lines[1]) <= {"-", " "}
    assert [line.split()[1] for line in lines[2:]] == ["id-4", "id-3", "id-2"]
    assert lines[2].split()[4:7] == ["4.000", "8.000", "-"]
    assert len({len(line) for line in lines[:2]}) == 1


def test_a_summary_ranked_by_another_metric_shows_sharpe_once_and_it_last():
    runs = [run("a", sharpe_ratio=1.0, total_return_pct=3.0, num_trades=7)]
    header, _, row = summary_table(runs, "num_trades", 1).splitlines()
    assert header.split()[4:] == ["num_trades", "return", "%", "sharpe", "max", "dd", "%"]
    assert row.split()[4:7] == ["7", "3.000", "1.000"]


def test_results_csv_has_one_row_per_request_with_metrics(tmp_path: Path):
    """Finished, rejected and unfinished requests each get a row; metrics become columns."""
    journal = Journal.load(tmp_path / "s.jsonl")
    request = {
        "ticker": "ACME",
        "rule_type": "RSI",
        "start_date": "2020-01-01",
        "params": {"period": 5},
    }
    journal.assign("k1", "run-1", request)
    journal.submitted("k1", 202)
    journal.finished("k1", {**run("run-1", sharpe_ratio=1.25), "rule_type": "RSI"})
    journal.assign("k2", "run-2", {**request, "ticker": "NOPE"})
    journal.rejected("k2", 400, "ticker", "unknown ticker NOPE")
    journal.assign("k3", "run-3", request)
    journal.submitted("k3", 202)
    path = tmp_path / "out.csv"
    write_results_csv(path, results_rows(list(journal.entries.values())))
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[: len(CSV_FIELDS)] == list(CSV_FIELDS)
    assert [(r["run_id"], r["status"]) for r in rows] == [
        ("run-1", "SUCCEEDED"),
        ("run-2", "REJECTED"),
        ("run-3", "SUBMITTED"),
    ]
    assert float(rows[0]["sharpe_ratio"]) == 1.25
    assert rows[1]["message"] == "unknown ticker NOPE"
    assert rows[1]["sharpe_ratio"] == ""
