"""Tests for scripts/bulk_submit.py: against the real web app served on loopback (SQLite,
real Redis, no consumers) for grid and file submission, resumability, 400 reports and exit
codes; and against the whole platform (the ``stack`` fixture: MariaDB, Redis, consumers) for
50 runs that all finish, a summary, and a re-run that submits nothing."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from rules import describe_rules
from scripts.bulk_grid import expand_grid, merge_params, parse_param
from scripts.bulk_state import Journal, request_key
from scripts.bulk_submit import build_parser, main
from tests.stack import free_port, run_count
from tests.web.support import TICKER, app_with_data, on_loopback

GRID = ["--tickers", TICKER, "--rules", "SMA_CROSS,RSI"]
GRID_PARAMS = ["--param", "fast=3,5", "--param", "slow=5,8", "--param", "period=5,10"]
DATES = ["--start", "2021-01-01", "--end", "2021-12-31"]


@pytest.fixture
def api_url(sqlite_url, redis_url, tmp_path: Path) -> Iterator[str]:
    """The real app on a loopback port (runs stay PENDING: no consumer runs here)."""
    with on_loopback(app_with_data(sqlite_url, redis_url, tmp_path)) as url:
        yield url


def lookup(url: str, run_ids: list[str]) -> dict[str, dict]:
    body = requests.get(f"{url}/api/runs/lookup", params={"ids": ",".join(run_ids)}, timeout=10)
    return {run["run_id"]: run for run in body.json()["runs"]}


def grid_requests(*params: str) -> list[dict]:
    """The requests the GRID options expand to, computed with the grid module directly."""
    values = merge_params([parse_param(text) for text in params[1::2]])
    base = {"start_date": "2021-01-01", "end_date": "2021-12-31"}
    return expand_grid(describe_rules(), [TICKER], ["SMA_CROSS", "RSI"], values, base).requests


# --- on the app alone ---------------------------------------------------------------------


@pytest.mark.redis
def test_grid_is_submitted_once_and_a_rerun_submits_nothing(api_url, tmp_path, capsys):
    """5 valid combinations become 5 runs with the journal's run_ids; a re-run adds none."""
    state = tmp_path / "state.jsonl"
    args = ["--url", api_url, *GRID, *GRID_PARAMS, *DATES, "--state", str(state)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "skipped 1: violates SMA_CROSS fast < slow" in out
    assert "new 5, already submitted 0" in out
    assert run_count(api_url) == 5

    journal = Journal.load(state)
    runs = lookup(api_url, [entry.run_id for entry in journal.entries.values()])
    assert len(runs) == 5
    expected = {
        (r["rule_type"], json.dumps(r["params"], sort_keys=True))
        for r in grid_requests(*GRID_PARAMS)
    }
    assert {
        (r["rule_type"], json.dumps(r["params"], sort_keys=True)) for r in runs.values()
    } == expected

    assert main(args) == 0
    assert "new 0, already submitted 5" in capsys.readouterr().out
    assert run_count(api_url) == 5


@pytest.mark.redis
def test_a_crash_between_journal_and_post_never_doubles_a_run(api_url, tmp_path, capsys):
    """An id journaled and posted before a crash answers 409 (kept); one journaled but never
    posted is posted with that same id. No other run ids appear."""
    requests_ = grid_requests(*GRID_PARAMS)
    state = tmp_path / "state.jsonl"
    journal = Journal.load(state)
    posted, unposted = requests_[0], requests_[1]
    posted_id, unposted_id = str(uuid.uuid4()), str(uuid.uuid4())
    journal.assign(request_key(posted), posted_id, posted)
    response = requests.post(f"{api_url}/run_backtest", json={**posted, "run_id": posted_id})
    assert response.status_code == 202
    journal.assign(request_key(unposted), unposted_id, unposted)

    args = ["--url", api_url, *GRID, *GRID_PARAMS, *DATES, "--state", str(state)]
    assert main(args) == 0
    assert "new 4, already submitted 1" in capsys.readouterr().out
    assert run_count(api_url) == len(requests_)
    ids = {entry.run_id for entry in Journal.load(state).entries.values()}
    assert {posted_id, unposted_id} <= ids
    assert set(lookup(api_url, sorted(ids))) == ids


@pytest.mark.redis
def test_400s_are_listed_with_field_and_message_and_exit_1(api_url, tmp_path, capsys):
    """An unknown ticker and a range without bars are refused: each printed, exit code 1."""
    state = tmp_path / "state.jsonl"
    args = ["--url", api_url, "--tickers", f"{TICKER},NOPE", "--rules", "RSI"]
    args += ["--param", "period=5", "--start", "1990-01-01", "--end", "2021-12-31"]
    assert main([*args, "--state", str(state)]) == 1
    out = capsys.readouterr().out
    assert "1 requests were refused (HTTP 400):" in out
    assert "NOPE RSI" in out
    assert "ticker: unknown ticker NOPE" in out
    assert run_count(api_url) == 1

    empty = ["--url", api_url, "--tickers", TICKER, "--rules", "RSI", "--param", "period=5"]
    empty += ["--start", "1990-01-01", "--end", "1990-12-31", "--state", str(tmp_path / "e")]
    assert main(empty) == 1
    assert "start_date: no TESTCO bars between 1990-01-01 and 1990-12-31" in capsys.readouterr().out
    assert run_count(api_url) == 1


@pytest.mark.redis
def test_file_input_merges_duplicates_and_keeps_state_in_the_user_data_dir(
    api_url, tmp_path, capsys, monkeypatch
):
    """A JSON file's duplicate requests run once; the state file is in the user data
    directory's bulk/ (nothing is written beside the input); --out writes every request's
    current state."""
    monkeypatch.setenv("USER_DATA_DIR", str(tmp_path / "home"))
    request = {
        "ticker": TICKER,
        "rule_type": "RSI",
        "start_date": "2021-01-01",
        "end_date": "2021-06-30",
    }
    other = {**request, "params": {"period": 5, "oversold": 30, "overbought": 70}}
    source = tmp_path / "requests.json"
    source.write_text(json.dumps([request, other, dict(reversed(request.items()))]))
    out_csv = tmp_path / "results.csv"
    assert main(["--url", api_url, "--input", str(source), "--out", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert "1 duplicate requests in the input were merged" in out
    assert run_count(api_url) == 2
    states = list((tmp_path / "home" / "bulk").glob("requests.json-*.state.jsonl"))
    assert len(states) == 1 and f"state: {states[0]}" in out
    assert list(tmp_path.glob("*.state.jsonl")) == []
    with out_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["status"] for row in rows) == ["SUBMITTED", "SUBMITTED"]


@pytest.mark.redis
def test_dry_run_only_plans(api_url, tmp_path, capsys):
    """--dry-run prints the plan and submits nothing."""
    args = ["--url", api_url, *GRID, *GRID_PARAMS, "--dry-run", "--state", str(tmp_path / "s")]
    assert main(args) == 0
    assert "5 requests (0 already submitted)" in capsys.readouterr().out
    assert run_count(api_url) == 0


@pytest.mark.redis
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tickers", TICKER, "--rules", "RSI", "--param", "fast=5"], "none of RSI"),
        (["--rules", "RSI"], "give --tickers and --rules"),
        (["--input", "x.json", "--rules", "RSI"], "either --input or a grid"),
        (["--tickers", TICKER, "--rules", "RSI", "--rate", "0"], "greater than 0"),
    ],
)
def test_unusable_options_exit_2(api_url, tmp_path, capsys, args, message):
    """Bad options are explained on stderr with exit code 2; nothing is submitted."""
    assert main(["--url", api_url, "--state", str(tmp_path / "s"), *args]) == 2
    assert message in capsys.readouterr().err
    assert run_count(api_url) == 0


def test_an_unreachable_api_exits_3(tmp_path, capsys):
    """With nothing listening the script says the API is unavailable (exit 3)."""
    url = f"http://127.0.0.1:{free_port()}"
    args = ["--url", url, *GRID, "--retries", "1", "--state", str(tmp_path / "s")]
    assert main(args) == 3
    assert "the API is unavailable" in capsys.readouterr().err


# --- on the whole platform ----------------------------------------------------------------


@pytest.mark.mysql
@pytest.mark.redis
@pytest.mark.slow
def test_fifty_runs_finish_with_a_summary_and_a_rerun_adds_none(stack, tmp_path, capsys):
    """A 50-run grid on 5 tickers all SUCCEED; the summary ranks them by Sharpe; the CSV has
    every result; running the same command again submits nothing."""
    before = run_count(stack.base_url)
    state, out_csv = tmp_path / "state.jsonl", tmp_path / "results.csv"
    args = ["--url", stack.base_url, "--tickers", "ACME,GLOBEX,HOOLI,INITECH,UMBRELLA"]
    args += ["--rules", "RSI,SMA_CROSS", "--param", "period=10,12,14,16,20"]
    args += ["--param", "fast=5,10", "--param", "slow=10,20,30", "--start", "2022-01-01"]
    args += ["--end", "2024-12-31", "--no-charts", "--wait", "--poll", "1", "--timeout", "600"]
    args += ["--rate", "20", "--state", str(state), "--out", str(out_csv)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "50 requests (0 already submitted)" in out
    assert "skipped 5: violates SMA_CROSS fast < slow" in out
    assert "finished 50 (0 failed)" in out
    assert run_count(stack.base_url) == before + 50

    with out_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 50
    assert {row["status"] for row in rows} == {"SUCCEEDED"}
    best = sorted(rows, key=lambda row: -float(row["sharpe_ratio"] or "-inf"))[:10]
    table = out.split("best 10 by sharpe_ratio:")[1].splitlines()[3:13]
    assert [line.split()[1] for line in table] == [row["run_id"] for row in best]

    assert main(args) == 0
    assert "new 0, already submitted 50" in capsys.readouterr().out
    assert run_count(stack.base_url) == before + 50


def test_the_sweep_subcommand_hands_over_to_the_sweep_script(monkeypatch):
    """`bulk_submit sweep …` runs scripts.bulk_sweep with the remaining arguments."""
    import scripts.bulk_sweep

    seen = []
    monkeypatch.setattr(scripts.bulk_sweep, "main", lambda argv: seen.append(argv) or 7)
    assert main(["sweep", "--rule", "RSI"]) == 7
    assert seen == [["--rule", "RSI"]]


@pytest.mark.parametrize(
    "argv",
    [
        ["--url", "http://h:1", "sweep", "--rule", "RSI"],
        ["--url=http://h:1", "sweep", "--rule", "RSI"],
        ["sweep", "--url", "http://h:1", "--rule", "RSI"],
    ],
)
def test_the_shared_url_option_works_before_and_after_sweep(monkeypatch, argv):
    """One layout: `--url` may stand before the subcommand, as for the runs command."""
    import scripts.bulk_sweep

    seen = []
    monkeypatch.setattr(scripts.bulk_sweep, "main", lambda args: seen.append(args) or 0)
    assert main(argv) == 0
    parsed = scripts.bulk_sweep.build_parser().parse_args(
        [*seen[0], "--grid", "period=5:10:1", "--tickers", "ACME", "--start", "2016-01-01",
         "--end", "2016-12-31"]
    )  # fmt: skip
    assert parsed.url == "http://h:1" and parsed.rule == "RSI"


def test_the_runs_and_sweep_commands_read_backtest_url(monkeypatch):
    import scripts.bulk_sweep

    monkeypatch.setenv("BACKTEST_URL", "http://platform.example:8080")
    assert build_parser().parse_args(["--tickers", "ACME"]).url == "http://platform.example:8080"
    sweep = scripts.bulk_sweep.build_parser().parse_args(
        ["--rule", "RSI", "--tickers", "ACME", "--start", "2016-01-01", "--end", "2016-12-31"]
    )
    assert sweep.url == "http://platform.example:8080"


def test_the_help_names_the_sweep_subcommand(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "sweep" in capsys.readouterr().out


def test_a_sweep_against_an_unreachable_api_exits_3_with_one_line(capsys):
    """A refused connection is exit 3 and one line on stderr, as for runs (it was a raw
    ConnectionError traceback)."""
    code = main(
        ["--url", "http://127.0.0.1:1", "sweep", "--rule", "RSI", "--grid", "period=5:10:1",
         "--tickers", "ACME", "--start", "2016-01-01", "--end", "2016-12-31"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("error: the API is unavailable:") and "Traceback" not in err


def test_a_grid_leaves_the_checkout_clean(api_url, tmp_path, monkeypatch):
    """The documented grid command, run from the checkout without --state, writes its
    state file under USER_DATA_DIR: git status --porcelain is unchanged (it used to leave
    bulk-<hash>.state.jsonl in the repository root)."""
    from tests.data.test_data_import_csv import PROJECT_ROOT, git_status

    monkeypatch.setenv("USER_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(PROJECT_ROOT)
    before = git_status()
    assert main(["--url", api_url, *GRID, *GRID_PARAMS, *DATES]) == 0
    assert len(list((tmp_path / "bulk").glob("bulk-*.state.jsonl"))) == 1
    assert git_status() == before


def test_the_sweep_command_sends_an_expressions_texts_whole_and_its_bounds_as_json():
    """``bulk_sweep --param entry=…`` keeps the text whole (spaces, commas, parentheses),
    ``--param bounds={…}`` and ``--grid low=[…]`` are JSON; the body is one the sweep
    contract accepts."""
    import scripts.bulk_sweep
    from kinds.sweeps.contract import parse_sweep_request

    entry = "crossover(sma(close, $fast), sma(close, 50)) and rsi(close, 2) < $low"
    exit_ = "crossunder(sma(close, $fast), sma(close, 50))"
    args = scripts.bulk_sweep.build_parser().parse_args(
        ["--rule", "EXPR", "--tickers", "ACME", "--start", "2016-01-01", "--end", "2018-12-31",
         "--param", f"entry={entry}", "--param", f"exit={exit_}",
         "--param", 'bounds={"fast": [2, 40]}', "--grid", "fast=5:15:5", "--grid", "low=[10, 20]"]
    )  # fmt: skip
    body = scripts.bulk_sweep.sweep_body(args)
    assert body["params"] == {"entry": entry, "exit": exit_, "bounds": {"fast": [2, 40]}}
    assert body["grid"] == {"fast": "5:15:5", "low": [10, 20]}
    assert parse_sweep_request(body).combos == 6


@pytest.mark.redis
def test_no_cache_sends_cache_false_with_every_request(api_url, tmp_path, capsys):
    """``--no-cache`` asks for a Job for every run: the app counts each as cache outcome off."""
    state = tmp_path / "state.jsonl"
    args = ["--url", api_url, *GRID, *GRID_PARAMS, *DATES, "--state", str(state), "--no-cache"]
    assert main(args) == 0
    metrics = requests.get(f"{api_url}/metrics", timeout=10).text
    assert 'backtest_run_cache_total{outcome="off"} 5.0' in metrics
    assert 'backtest_run_cache_total{outcome="miss"} 0.0' in metrics
