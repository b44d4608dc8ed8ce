"""The signal cost caps of ref and tf, on a one-month daily window that refs a 100,000-bar
5-minute ticker (the adversary's shape): a series inside ref is costed on the bars of the
referenced ticker it is computed on, so a Job and the analyzer refuse what passes a cap
there before computing it, naming the ticker; ref computes its series only on the stretch of
the ticker's bars the window (and the series' reach) needs, with the very results of the
whole file."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import data
from data.generate_intraday import five_minute_csv
from kinds.runs import signal_cost
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute, load_market_data, market_window, signals_in_window
from kinds.runs.run_memory import BYTES_PER_PARSED_BAR, run_estimate_mb
from kinds.runs.serialize import to_json
from kinds.runs.signal_cost import check_signal_cost, request_cost
from kinds.runs.signal_report import report_for
from rules.expr import stretch
from rules.expr.frames import as_of

OTHER, BARS = "FIVEMIN", 100_000
"""The referenced ticker: 5-minute bars from 2015-01-02 to 2020-02-06."""

MONTH = ("2020-01-02", "2020-01-31")
"""The run's window on ACME's daily bars: the last whole month of the other file."""

PEAK_MB = 150
"""The most a refused request may allocate at once (both files' parses included)."""


def zscores(terms: int) -> str:
    return " + ".join(f"zscore(close, {2000 - i})" for i in range(terms))


def smas(terms: int) -> str:
    return " + ".join(f"sma(close, {20 + i})" for i in range(terms))


OVER_WORK = {"entry": f'ref("{OTHER}", {zscores(44)}) > 0', "exit": "close < 0"}
"""44 zscore windows of about 2,000 bars on the 99,762 bars of FIVEMIN it reads: 8.7e9
operations; 1.3e8 on ACME's 1,531 bars (what was counted when ref counted on the run's)."""

OVER_VALUES = {"entry": f'ref("{OTHER}", {smas(48)}) > 0', "exit": "close < 0"}
"""48 sma lines on the 99,762 bars of FIVEMIN it reads: 3.4e7 values held (6 per line)."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory, demo_data_dir) -> Path:
    folder = tmp_path_factory.mktemp("refcost")
    for ticker in ("ACME", "DEMOIX"):
        raw = (demo_data_dir / f"{ticker}.csv").read_bytes()
        data.register_csv(raw, ticker, data_dir=folder)
    data.register_csv(five_minute_csv(BARS), OTHER, data_dir=folder)
    return folder


def request(params: dict, **fields) -> dict:
    start, end = MONTH
    body = {"ticker": "ACME", "rule_type": "EXPR", "params": params}
    return {**body, "start_date": start, "end_date": end, "charts": False, **fields}


def _refused(function, *args) -> tuple[RequestError, float]:
    tracemalloc.start()
    try:
        with pytest.raises(RequestError) as refused:
            function(*args)
        return refused.value, tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("params", "variable"), [(OVER_WORK, "SIGNAL_MAX_WORK"), (OVER_VALUES, "SIGNAL_MAX_VALUES")]
)
def test_a_job_refuses_a_ref_over_a_cap_on_the_tickers_bars_before_computing_it(
    folder, params, variable
):
    run = parse_request(request(params))
    error, peak = _refused(execute, run, folder)
    assert error.field == "params"
    assert variable in error.message
    assert f'for ref("{OTHER}", …) on the ' in error.message
    assert peak < PEAK_MB


def test_the_analyzer_refuses_a_ref_over_a_cap_on_the_tickers_bars(folder):
    body = {key: value for key, value in request(OVER_WORK).items() if key != "charts"}
    error, _ = _refused(report_for, body, folder)
    assert error.field == "params"
    assert "SIGNAL_MAX_WORK" in error.message and OTHER in error.message


def test_the_same_series_on_the_runs_own_bars_is_refused_as_inside_ref(folder):
    """The un-wrapped text on FIVEMIN's own one-day window: refused by the same cap."""
    own = {"entry": f"{zscores(44)} > 0", "exit": "close < 0"}
    run = parse_request({**request(own), "ticker": OTHER, "timeframe": "5m"})
    with pytest.raises(RequestError, match="SIGNAL_MAX_WORK") as refused:
        check_signal_cost(run, load_market_data(run, folder))
    assert refused.value.field == "params"


def test_a_jobs_memory_estimate_counts_the_files_its_rule_refs_and_no_other(folder):
    """FIVEMIN's parse (100,000 bars, 1 KB each) is the largest a Job does for a run that
    refs it; a run that refs nothing is estimated on ACME alone, though FIVEMIN is still
    attached to ACME's cached bars by the run before."""
    reffing = parse_request(request({"entry": f'ref("{OTHER}", close) > 0', "exit": "close < 0"}))
    with_ref = run_estimate_mb(reffing, load_market_data(reffing, folder))
    plain = parse_request(request({"entry": "close > 0", "exit": "close < 0"}))
    without = run_estimate_mb(plain, load_market_data(plain, folder))
    assert with_ref - without == pytest.approx((BARS - 2_768) * BYTES_PER_PARSED_BAR / 2**20)


def _positions(run_request, folder) -> tuple[np.ndarray, int]:
    """Which FIVEMIN bar each bar of the run's signal history sees, and the window start
    inside that history."""
    market = load_market_data(run_request, folder)
    frame = market_window(market, check_signal_cost(run_request, market))
    history, window = frame.signal_history()
    other = data.load_file(OTHER, folder).bars
    return as_of(history.timestamps, other.timestamps), window.start


def test_a_ref_of_a_bounded_series_reads_the_windows_stretch_and_its_reach(folder):
    """ref("FIVEMIN", highest(close, 400)) is computed from 399 bars before the bar the
    window's first day sees up to the one its last day sees: 2,000-odd of 100,000."""
    params = {"entry": f'ref("{OTHER}", highest(close, 400)) < close', "exit": "close < 0"}
    run = parse_request(request(params))
    at, start = _positions(run, folder)
    assert start == 0  # the run's own history is cut to the window: ref reads no earlier bar
    market = load_market_data(run, folder)
    first = check_signal_cost(run, market)
    (part,) = request_cost(run, market, first).others
    assert part.where == f'ref("{OTHER}", …)'
    assert part.bars == at[-1] - (at[0] - 399) + 1 < 3_000
    cache: dict = {}
    signals_in_window(market_window(market, first), "EXPR", [run.params], cache)
    lengths = {len(line) for line in cache.values() if isinstance(line, np.ndarray)}
    assert lengths == {part.bars}  # what the evaluator computed is the stretch counted


def test_a_ref_of_an_unbounded_series_reads_the_file_up_to_the_windows_end(folder):
    params = {"entry": f'ref("{OTHER}", sma(close, 20)) < close', "exit": "close < 0"}
    run = parse_request(request(params))
    at, _ = _positions(run, folder)
    market = load_market_data(run, folder)
    (part,) = request_cost(run, market, check_signal_cost(run, market)).others
    assert part.bars == at[-1] + 1 < BARS


TEXTS = [
    (f'ref("{OTHER}", highest(close, 400)) < close', f'ref("{OTHER}", lag(low, 30)) > close'),
    (
        f'crossover(close / 3, ref("{OTHER}", sma(close, 50)))',
        f'ref("{OTHER}", rsi(close, 9)) > 70',
    ),
    (
        f'ref("{OTHER}", tf("1d", ema(close, 5))) > ref("{OTHER}", lowest(close, 78))',
        f'tf("1w", ref("{OTHER}", close)) < ref("DEMOIX", zscore(close, 20))',
    ),
    (
        f'ref("{OTHER}", highest(close, 5)) > ref("{OTHER}", lag(highest(close, 5), 200))'
        " and close > sma(close, 10)",
        f'ref("{OTHER}", stoch_k(14)) > 80',
    ),
]
"""Bounded and unbounded series inside ref, refs inside tf and tf inside ref, two stretches
of one ticker, two tickers."""


@pytest.mark.parametrize(("entry", "exit"), TEXTS)
@pytest.mark.parametrize("adjustment", [None, "split"])
def test_a_run_reading_stretches_equals_the_run_computing_on_every_bar(
    folder, monkeypatch, entry, exit, adjustment
):
    """Byte for byte: the result with ref's series on their stretches (and the run's own
    history cut to the window when ref's series is bounded), and with every series on
    every bar (``stretch.cut`` keeping the whole file, no reach: as before the cut)."""
    fields = {"price_adjustment": adjustment} if adjustment else {}
    run = parse_request(request({"entry": entry, "exit": exit}, charts=True, **fields))
    cut = to_json(execute(run, folder))

    def whole(function, bars, at, reach):
        return bars, at, 0, len(bars)

    monkeypatch.setattr(stretch, "cut", whole)
    monkeypatch.setattr(signal_cost, "reach", lambda rule_type, params: None)
    assert cut == to_json(execute(run, folder))
