"""The signal cost cap and the exact cut on a 100,000-bar 5-minute ticker (the adversary's
shape): the analyzer and a run compute zscore(close, 2000) on a one-day window in bounded
memory (tracemalloc's peak), a Job refuses the heaviest expression the grammar admits before
computing it (naming params), and a local expression computed from the window's start minus
its reach gives the very result of the whole history."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

import data
from data.generate_intraday import five_minute_csv
from kinds.runs import signal_cost
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute, load_market_data
from kinds.runs.serialize import to_json
from kinds.runs.signal_report import report_for

TICKER, BARS = "FIVEMIN", 100_000
DAY = "2020-02-05"
"""A whole session near the end of the file: 78 bars after 99,900 of history."""

PEAK_MB = 150
"""The most a one-day request on the ticker may allocate at once (the file's parse
included); the whole-array stddev alone took 1,571 MB."""


def nested_stdev(depth: int, window: int = 2000) -> str:
    text = "close"
    for i in range(depth):
        text = f"stdev({text}, {window - i})"
    return text


HEAVIEST = {
    "entry": f"{nested_stdev(14)} > 0",
    "exit": "+".join(f"stdev(close, {2000 - i})" for i in range(49)) + " > 0",
}
"""The most stdev calls one EXPR admits (depth 30 and 200 parts per text): 63 windows of
about 2,000 bars, 1.2e10 operations on this history."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fivemin")
    data.register_csv(five_minute_csv(BARS), TICKER, data_dir=folder)
    return folder


def request(params: dict, **fields) -> dict:
    return {
        "ticker": TICKER,
        "timeframe": "5m",
        "rule_type": "EXPR",
        "params": params,
        "start_date": DAY,
        "end_date": DAY,
        **fields,
    }


ZSCORE = {"entry": "zscore(close, 2000) > 0", "exit": "zscore(close, 2000) < 0"}


def _peak_mb(function, *args):
    tracemalloc.start()
    try:
        result = function(*args)
        return result, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def test_the_analyzer_computes_a_2000_bar_zscore_on_a_day_in_bounded_memory(folder):
    report, peak = _peak_mb(report_for, request(ZSCORE), folder)
    assert report.body["bars"] == 78
    assert report.body["entries"]["count"] + report.body["exits"]["count"] > 0
    assert peak < PEAK_MB


def test_a_run_computes_a_2000_bar_zscore_on_a_day_in_bounded_memory(folder):
    run = parse_request(request(ZSCORE, charts=False))
    result, peak = _peak_mb(execute, run, folder)
    assert result.status == "SUCCEEDED"
    assert peak < PEAK_MB


def test_a_job_refuses_the_heaviest_expression_before_computing_it(folder):
    """The estimate (1.2e10 > SIGNAL_MAX_WORK's 1e9) is checked before any indicator: the
    refusal allocates no window and names params."""
    run = parse_request(request(HEAVIEST, charts=False))
    tracemalloc.start()
    try:
        with pytest.raises(RequestError) as refused:
            execute(run, folder)
        peak = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()
    assert refused.value.field == "params"
    assert "SIGNAL_MAX_WORK" in refused.value.message
    assert peak < PEAK_MB


def test_a_job_reads_its_limits_from_its_environment(folder, monkeypatch):
    run = parse_request(request(ZSCORE, charts=False))
    monkeypatch.setenv("SIGNAL_MAX_WORK", "100000000")
    with pytest.raises(RequestError, match="SIGNAL_MAX_WORK") as refused:
        execute(run, folder)
    assert refused.value.field == "params"
    monkeypatch.setenv("SIGNAL_MAX_WORK", "1000000000")
    monkeypatch.setenv("SIGNAL_MAX_VALUES", "500000")  # 9 series × 99,900 bars
    with pytest.raises(RequestError, match="SIGNAL_MAX_VALUES"):
        execute(run, folder)


def test_a_local_expression_reads_only_the_window_and_its_reach(folder):
    params = {"entry": "crossover(close, lag(highest(close, 2000), 1))", "exit": "close < 0"}
    run = parse_request(request(params))
    market = load_market_data(run, folder)
    assert signal_cost.check_signal_cost(run, market) == market.start - 2001


def test_a_local_expression_run_equals_its_whole_history_run(folder, monkeypatch):
    """The cut changes no byte of the result (signals, trades, charts' overlays)."""
    params = {
        "entry": "close > lag(highest(high, 400), 1)",
        "exit": "close < lag(lowest(low, 300), 1)",
    }
    run = parse_request(request(params, start_date="2020-01-27", end_date=DAY))
    cut = execute(run, folder)
    monkeypatch.setattr(signal_cost, "reach", lambda rule_type, params: None)
    whole = execute(run, folder)
    assert to_json(cut) == to_json(whole)
    assert cut.metrics["num_trades"] > 0
