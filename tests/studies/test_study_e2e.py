"""A study end to end on MariaDB + Redis (web and local scaler as processes): POST
/api/studies, the scaler starts a consumer Job per queued batch, each batch's finished hook
queues the next, the study SUCCEEDS with its budget of trials; its best trial run as a
backtest gives the trial's metrics; the bulk command reports it."""

from __future__ import annotations

import io

import pytest
import requests

from scripts import bulk_study
from tests.stack import ended, wait_until

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

BODY = {
    "ticker": "ACME",
    "rule_type": "RSI",
    "start_date": "2016-01-01",
    "end_date": "2020-12-31",
    "space": {
        "period": {"low": 2, "high": 40},
        "oversold": {"low": 10, "high": 45, "step": 0.5},
        "overbought": {"low": 55, "high": 90, "step": 0.5},
        "stop_loss_pct": {"low": 1, "high": 15, "step": 1},
    },
    "n_trials": 60,
    "batch_size": 15,
    "parallelism": 2,
}


def test_a_study_runs_through_the_queue_to_its_budget(stack):
    """Four batches through the scaler's Jobs: SUCCEEDED, 60 trials numbered 0..59, each
    COMPLETE or PRUNED; the best trial as a run has the trial's Sharpe."""
    response = requests.post(f"{stack.base_url}/api/studies", json=BODY, timeout=30)
    assert response.status_code == 202, response.text
    status_url = stack.base_url + response.json()["status_url"]
    body = wait_until(lambda: ended(status_url), 300, 0.5, what="the study")
    assert body["status"] == "SUCCEEDED", body["error_message"]
    assert body["batches"] == {"SUCCEEDED": 4}
    trials = requests.get(stack.base_url + body["trials_url"], timeout=10).json()["trials"]
    assert [t["number"] for t in trials] == list(range(60))
    assert {t["state"] for t in trials} <= {"COMPLETE", "PRUNED"}
    best = body["best"]
    run = requests.post(f"{status_url}/trials/{best['number']}/run", timeout=30).json()
    done = stack.wait_finished([run["run_id"]])[run["run_id"]]
    assert done["status"] == "SUCCEEDED"
    assert done["result"]["metrics"]["sharpe_ratio"] == best["metrics"]["sharpe_ratio"]


def test_the_bulk_command_waits_and_prints_the_best_trials(stack):
    """``scripts.bulk_study``: exit 0 and a table headed by the space's parameters."""
    out = io.StringIO()
    code = bulk_study.main(
        ["--url", stack.base_url, "--rule", "RSI", "--space", "period=2:30",
         "--space", "oversold=10:40:1", "--ticker", "ACME", "--start", "2018-01-01",
         "--end", "2020-12-31", "--trials", "20", "--batch-size", "10", "--poll", "0.5"],
        out,
    )  # fmt: skip
    assert code == 0, out.getvalue()
    assert "trial" in out.getvalue() and "period" in out.getvalue()
