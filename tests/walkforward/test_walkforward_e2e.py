"""Walk-forward end to end on MariaDB + Redis (web and local scaler as processes): each
fold's chosen parameters are the best of a separate sweep of its training window by the same
metric, each fold's out-of-sample equity is a single run of those parameters over its test
window (every bar), the list, the folds CSV."""

from __future__ import annotations

import csv
import io

import pytest
import requests

from metrics import SWEEP_METRIC_KEYS
from scripts import bulk_submit, bulk_walkforward
from tests.adapters.support import decimals
from tests.stack import ended, wait_until

pytestmark = [pytest.mark.mysql, pytest.mark.redis, pytest.mark.slow]

BODY = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "grid": {"fast": "5:20:5", "slow": "30:60:10"},
    "start_date": "2018-01-01",
    "end_date": "2020-12-31",
    "train_bars": 250,
    "test_bars": 150,
    "min_trades": 1,
}


@pytest.fixture(scope="module")
def walkforward(stack) -> dict:
    """A 3-fold walk-forward over the local stack, finished."""
    response = requests.post(f"{stack.base_url}/api/walkforward", json=BODY, timeout=30)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert (accepted["folds"], accepted["combos_per_fold"]) == (3, 16)
    assert accepted["status_url"] == f"/api/walkforward/{accepted['walkforward_id']}"
    body = wait_until(
        lambda: ended(stack.base_url + accepted["status_url"]), 300, 0.5, what="walk-forward"
    )
    assert body["status"] == "SUCCEEDED", body["error_message"]
    return body


def _best_of_separate_sweep(base_url: str, window: dict, metric: str) -> dict:
    """Submit the fold's training window as a sweep of its own and take its best combo by
    ``metric`` (the API's order: best first, ties by combo_no) with at least one trade."""
    body = {
        **{k: v for k, v in BODY.items() if k not in ("train_bars", "test_bars", "min_trades")},
        "start_date": window["start"][:10],
        "end_date": window["end"][:10],
    }
    accepted = requests.post(f"{base_url}/api/sweeps", json=body, timeout=30).json()
    done = wait_until(lambda: ended(base_url + accepted["status_url"]), 180, 0.5, what="the sweep")
    assert done["status"] == "SUCCEEDED"
    results = requests.get(
        f"{base_url}{accepted['status_url']}/results",
        params={"sort": metric, "per_page": 500},
        timeout=10,
    ).json()["results"]
    eligible = [
        r for r in results if r["metrics"][metric] is not None and r["metrics"]["num_trades"] >= 1
    ]
    return eligible[0]


def test_each_fold_chooses_the_best_of_a_separate_sweep_of_its_training_window(stack, walkforward):
    """Per fold: the chosen params and training metric equal those of the best combo of a
    sweep submitted on its own over the fold's training window."""
    for fold in walkforward["folds"]:
        best = _best_of_separate_sweep(stack.base_url, fold["train"], "sharpe_ratio")
        assert fold["params"] == best["params"], fold["fold"]
        assert fold["train_metric"] == best["metrics"]["sharpe_ratio"]
        assert fold["train_metrics"] == best["metrics"]


def test_each_folds_out_of_sample_equity_is_a_single_run_over_its_test_window(stack, walkforward):
    """Per fold: POST /run_backtest with the chosen params over the test window's dates gives
    the fold's test metrics, and its equity, scaled to where the stitched curve starts the
    fold, is the stitched curve's segment bar for bar."""
    stitched = walkforward["oos"]["equity_curve"]
    request = walkforward["request"]
    offset = 0
    for fold in walkforward["folds"]:
        body = {
            "ticker": request["ticker"],
            "rule_type": request["rule_type"],
            "params": {**request["params"], **fold["params"]},
            "start_date": fold["test"]["start"][:10],
            "end_date": fold["test"]["end"][:10],
            "charts": False,
        }
        run_id = stack.submit(body).json()["run_id"]
        done = stack.wait_finished([run_id], timeout=120)[run_id]
        assert done["status"] == "SUCCEEDED"
        result = requests.get(f"{stack.base_url}/runs/{run_id}/result.json", timeout=10).json()
        assert result["metrics"] == fold["test_metrics"]
        equity = result["equity_curve"]["equity"]
        assert len(equity) == fold["test"]["bars"]
        segment = stitched["equity"][offset : offset + len(equity)]
        assert (
            stitched["timestamps"][offset : offset + len(equity)]
            == (result["equity_curve"]["timestamps"])
        )
        level = stitched["equity"][offset - 1] if offset else equity[0]
        if level != equity[0]:  # the stitch's rule: scaled to start where the last fold ended
            equity = [value * level / equity[0] for value in equity]
        assert segment == equity
        if offset == 0:  # the first fold starts with the initial capital: as run
            assert segment == result["equity_curve"]["equity"]
        offset += len(equity)
    assert offset == len(stitched["equity"])


def test_the_status_answer_carries_progress_oos_metrics_wfe_and_stability(stack, walkforward):
    """Progress complete; the stitched curve's metrics; buy & hold over the same bars;
    an in-sample curve per fold; stability per grid parameter; the list shows it."""
    assert walkforward["progress"] == {
        "folds": 3,
        "folds_done": 3,
        "combos_total": 48,
        "combos_done": 48,
    }
    oos = walkforward["oos"]
    assert oos["benchmark"]["timestamps"] == oos["equity_curve"]["timestamps"]
    assert [curve["fold"] for curve in oos["in_sample"]] == [0, 1, 2]
    assert oos["metrics"]["num_trades"] == sum(f["test_trades"] for f in walkforward["folds"])
    assert set(walkforward["stability"]) == {"fast", "slow"}
    assert walkforward["stability"]["fast"]["values"] == [
        f["params"]["fast"] for f in walkforward["folds"]
    ]
    listed = requests.get(f"{stack.base_url}/api/walkforward", timeout=10).json()["walkforwards"]
    mine = next(w for w in listed if w["walkforward_id"] == walkforward["walkforward_id"])
    assert mine["status"] == "SUCCEEDED" and mine["folds_done"] == 3
    assert mine["oos_return_pct"] == oos["metrics"]["total_return_pct"]
    assert mine["wfe"] == walkforward["wfe"]


def test_folds_csv_has_one_row_per_fold_with_params_and_metrics(stack, walkforward):
    """…/folds.csv: the header of the contract and one row per fold with its values, its
    floats without float noise (10 decimal places at most)."""
    response = requests.get(stack.base_url + walkforward["folds_csv_url"], timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [int(row["fold"]) for row in rows] == [0, 1, 2]
    for row, fold in zip(rows, walkforward["folds"], strict=True):
        assert int(row["fast"]) == fold["params"]["fast"]
        assert float(row["train_sharpe_ratio"]) == pytest.approx(fold["train_metric"], abs=1e-10)
        tested = fold["test_metrics"]["total_return_pct"]
        assert float(row["test_total_return_pct"]) == pytest.approx(tested, abs=1e-10)
        metrics = ["train_sharpe_ratio", *(f"test_{name}" for name in SWEEP_METRIC_KEYS)]
        assert all(decimals(row[name]) <= 10 for name in metrics), row
        assert int(row["test_trades"]) == fold["test_trades"]
        assert row["test_start"] == fold["test"]["start"]


def test_the_bulk_command_submits_waits_with_a_progress_bar_and_prints_the_folds(stack, capsys):
    """python -m scripts.bulk_submit walkforward: progress lines to every fold, a fold table
    and the out-of-sample line; exit 0. A refused one prints the field and exits 1."""
    out = io.StringIO()
    args = ["--url", stack.base_url, "--rule", "RSI", "--grid", "period=7,14",
            "--ticker", "HOOLI", "--start", "2019-01-01", "--end", "2020-12-31",
            "--train-bars", "250", "--test-bars", "120", "--poll", "0.3"]  # fmt: skip
    assert bulk_walkforward.main(args, out) == 0
    text = out.getvalue()
    assert "combos (100.0%)  2/2 folds  SUCCEEDED\n" in text and "\r" not in text
    assert "test_total_return_pct" in text and "out of sample: total_return_pct" in text
    refused = ["--url", stack.base_url, "walkforward", *args[2:-6], "--train-bars", "900",
               "--test-bars", "120"]  # fmt: skip
    assert bulk_submit.main(refused) == 1
    assert "train_bars" in capsys.readouterr().out


def test_an_anchored_walkforward_trains_from_the_first_bar_and_still_picks_each_best(stack):
    """anchored, step 100 < test 150: every training window starts at the window's first
        bar and grows by the step; each fold's choice is still the best of a separate sweep of
        its training window; overlapping test windows stitch to 100 bars of each fold but the
    last, which gives all its 150."""
    body = {**BODY, "anchored": True, "step_bars": 100, "metric": "total_return_pct"}
    response = requests.post(f"{stack.base_url}/api/walkforward", json=body, timeout=30)
    assert response.status_code == 202, response.text
    url = stack.base_url + response.json()["status_url"]
    done = wait_until(lambda: ended(url), 300, 0.5, what="the anchored walk-forward")
    assert done["status"] == "SUCCEEDED", done["error_message"]
    folds = done["folds"]
    assert len(folds) == 4  # 756 bars: test starts 250, 350, 450, 550 (+150 <= 756)
    assert {f["train"]["start"] for f in folds} == {folds[0]["train"]["start"]}
    assert [f["train"]["bars"] for f in folds] == [250, 350, 450, 550]
    for fold in folds:
        best = _best_of_separate_sweep(stack.base_url, fold["train"], "total_return_pct")
        assert fold["params"] == best["params"], fold["fold"]
    assert len(done["oos"]["equity_curve"]["equity"]) == 3 * 100 + 150
