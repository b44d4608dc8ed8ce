"""Sweeps end to end on MariaDB + Redis: web and local scaler as processes; a sweep over
HTTP fans out one consumer per chunk, reaches 100% and its results are readable; the bulk
command submits one and waits with a progress bar."""

from __future__ import annotations

import io

import pytest
import requests

from scripts import bulk_sweep
from tests.stack import ended, wait_until

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

BODY = {
    "tickers": ["ACME", "GLOBEX"],
    "rule_type": "SMA_CROSS",
    "grid": {"fast": "2:20:2", "slow": "10:60:10"},
    "start_date": "2016-01-01",
    "end_date": "2020-12-31",
    "chunk_size": 50,
}


def test_a_small_sweep_over_http_reaches_100_percent_with_readable_results(stack):
    """106 combos (14 skipped: fast >= slow) in 4 chunks: SUCCEEDED, each combo stored once;
    its best combo run on its own gives the same Sharpe."""
    response = requests.post(f"{stack.base_url}/api/sweeps", json=BODY, timeout=30)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert (accepted["combos"], accepted["skipped"], accepted["chunks"]) == (106, 14, 4)
    status = wait_until(
        lambda: ended(stack.base_url + accepted["status_url"]), 180, 0.5, what="the sweep"
    )
    assert status["status"] == "SUCCEEDED", status["timings"]["errors"]
    assert status["progress"] == {"done": 106, "failed": 0, "total": 106, "percent": 100.0}
    assert status["timings"]["chunks_timed"] == 4 and status["timings"]["compute_ms"] > 0
    results = requests.get(
        f"{stack.base_url}{accepted['status_url']}/results", params={"per_page": 500}, timeout=10
    ).json()
    assert sorted(r["combo_no"] for r in results["results"]) == list(range(106))
    best = status["best"][0]
    run = requests.post(
        f"{stack.base_url}/run_backtest",
        timeout=10,
        json=requests.get(
            f"{stack.base_url}{accepted['status_url']}/combos/{best['combo_no']}", timeout=10
        ).json()["run_request"],
    ).json()
    done = stack.wait_finished([run["run_id"]], timeout=120)[run["run_id"]]
    assert done["status"] == "SUCCEEDED"
    assert done["metrics"]["sharpe_ratio"] == best["metrics"]["sharpe_ratio"]
    logs = stack.log("scaler")
    assert f"{accepted['sweep_id']}-c0" in logs, "consumer logs carry the chunk id"


def test_the_bulk_command_submits_waits_with_a_progress_bar_and_prints_the_top(stack):
    """python -m scripts.bulk_sweep: progress lines ending at 100% (a pipe, not a
    terminal: whole lines, no \\r), a top table; exit 0."""
    out = io.StringIO()
    code = bulk_sweep.main(
        [
            "--url",
            stack.base_url,
            "--rule",
            "RSI",
            "--grid",
            "period=7,14,21",
            "--grid",
            "oversold=20:40:10",
            "--param",
            "overbought=70",
            "--tickers",
            "HOOLI",
            "--start",
            "2017-01-01",
            "--end",
            "2019-12-31",
            "--metric",
            "total_return_pct",
            "--top",
            "5",
            "--poll",
            "0.3",
        ],
        out=out,
    )
    text = out.getvalue()
    assert code == 0, text
    assert "9 combos in 1 chunks" in text and "9/9 combos (100.0%)  SUCCEEDED\n" in text
    assert "\r" not in text
    table = text.split("top 5 by total_return_pct:\n")[1].strip().splitlines()
    assert table[0].split()[:5] == ["#", "ticker", "period", "oversold", "total_return_pct"]
    assert len(table) == 6


def test_the_bulk_command_reports_a_refused_sweep_with_its_field(stack):
    """A bad grid: exit 1 (refused by the API, as for runs) and the field named."""
    out = io.StringIO()
    code = bulk_sweep.main(
        [
            "--url",
            stack.base_url,
            "--rule",
            "SMA_CROSS",
            "--grid",
            "fast=10:2:1",
            "--tickers",
            "ACME",
            "--start",
            "2016-01-01",
            "--end",
            "2016-12-31",
        ],
        out=out,
    )
    assert code == 1 and "grid.fast" in out.getvalue()
