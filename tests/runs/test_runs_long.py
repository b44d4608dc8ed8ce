"""Long runs: no fixed count of bars, a memory estimate at submission instead. Five years of
one-minute bars (491,400) are accepted through the API and run in a consumer Job, whose
stored result keeps its curves at RUN_CURVE_POINTS points; a range whose estimate passes
RUN_MAX_MEMORY_MB is a 400 naming end_date with the estimate."""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

import pytest

import data
from bench.long_run_bench import FIVE_YEAR_RUN, FIVE_YEARS
from data.generate_intraday import session_csv
from kinds.runs.contract import RequestError, parse_request
from kinds.runs.execute import execute, load_market_data
from kinds.runs.run_memory import check_run_memory, estimated_mb
from tests.consumer.support import consumer, finish, stored_run
from web import create_app
from work.status import RunStatus

RUN = FIVE_YEAR_RUN


@pytest.fixture(scope="module")
def minute_dir(tmp_path_factory) -> Path:
    """A DATA_DIR holding MINUTES: five years of synthetic one-minute equity bars."""
    folder = tmp_path_factory.mktemp("minutes")
    data.register_csv(session_csv(FIVE_YEARS, 1), "MINUTES", data_dir=folder)
    return folder


def test_one_minute_bars_are_imported_as_their_own_timeframe(minute_dir):
    """The import detects 1m and a 390-bar session: 98,280 bars a year."""
    info = data.load_catalog(minute_dir).info("MINUTES")
    assert (info.timeframe, info.market, info.annual_bars) == ("1m", "equity", 390 * 252)


def test_a_range_past_the_memory_estimate_is_refused_naming_end_date(minute_dir, sqlite_url):
    """The web refuses before recording anything: 400, field end_date, the estimate and the
    limit in the message; the same request under the default limit is accepted."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": sqlite_url,
            "DATA_DIR": str(minute_dir),
            "RUN_MAX_MEMORY_MB": 300,
        }
    )
    response = app.test_client().post("/api/runs", json=RUN)
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == "end_date"
    assert "491,400 bars of the 491,400" in body["error"] and "about 600 MB" in body["error"]
    assert "300 MB, RUN_MAX_MEMORY_MB" in body["error"]


def test_the_job_refuses_what_passes_its_own_memory_limit(minute_dir, monkeypatch):
    """A request sent straight to the queue is checked by the Job too (its environment)."""
    request = parse_request(RUN)
    market = load_market_data(request, minute_dir)
    check_run_memory(request, market)  # the default limit takes five years
    monkeypatch.setenv("RUN_MAX_MEMORY_MB", "300")
    with pytest.raises(RequestError) as refused:
        execute(request, minute_dir)
    assert refused.value.field == "end_date"


def test_the_estimate_grows_with_the_bars_read_and_the_charts():
    """The parse of the file bounds a long run; charts add their fixed cost when the
    computation is the larger part."""
    assert estimated_mb(2 * FIVE_YEARS, FIVE_YEARS, 0, False) > estimated_mb(
        FIVE_YEARS, FIVE_YEARS, 0, False
    )
    small = estimated_mb(1_000, 1_000, 16_000, False)
    assert estimated_mb(1_000, 1_000, 16_000, True) > small


@pytest.mark.mysql
@pytest.mark.redis
@pytest.mark.slow  # a consumer process
def test_five_years_of_minutes_are_accepted_and_finish_in_a_job(env, minute_dir):
    """POST /api/runs accepts the 491,400-bar run with charts; a consumer Job runs it: the
    result is SUCCEEDED, under RUN_MAX_RESULT_BYTES, its curves and candles 20,000 points
    at most with the bar of each (the last bar included), its trades and metrics every bar's.
    """
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": env["DATABASE_URL"],
            "REDIS_URL": env["REDIS_URL"],
            "RQ_QUEUE": env["RQ_QUEUE"],
            "DATA_DIR": str(minute_dir),
        }
    )
    response = app.test_client().post("/api/runs", json={**RUN, "charts": True})
    assert response.status_code == 202, response.get_json()
    run_id = response.get_json()["run_id"]

    started = time.perf_counter()
    code, out = finish(consumer(env, DATA_DIR=str(minute_dir)), timeout=600)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert code == 0, out

    from tests.consumer.support import sessions_for

    sessions = sessions_for(env)
    try:
        row = stored_run(sessions, run_id)
    finally:
        sessions.kw["bind"].dispose()
    assert row.status == RunStatus.SUCCEEDED, row.error_message
    assert len(row.result_json) <= 12 * 2**20
    result = json.loads(row.result_json)
    for name in ("equity_curve", "drawdown_curve", "portfolio_curve", "price_candles"):
        curve = result[name]
        assert len(curve["timestamps"]) == len(curve["bar"]) <= 20_000, name
        assert (curve["bar"][0], curve["bar"][-1]) == (0, FIVE_YEARS - 1), name
    assert result["equity_curve"]["timestamps"][-1] == "2020-01-03T20:59:00+00:00"
    assert len(result["benchmark"]["equity"]) == len(result["equity_curve"]["bar"])
    assert result["metrics"]["num_trades"] == len(result["trades"]) > 1_000
    assert result["chart_base64"].startswith("data:image/png;base64,")
    print(f"\n5-year 1m run: Job {seconds:.1f} s, peak {peak_mb:.0f} MB, result "
          f"{len(row.result_json) / 2**20:.1f} MiB")  # fmt: skip


def test_a_long_runs_indicators_are_given_at_its_curves_points(minute_dir):
    """The run page's indicators (and the candles PNG's overlays) of a long run come at the
    points its stored candles kept, so they line up with them."""
    from adapters.curves import curve_points
    from kinds.runs.indicators import run_indicators, run_overlays

    request = parse_request(RUN)
    data_hash = load_market_data(request, minute_dir).data_hash
    view = run_indicators(request, data_hash, minute_dir)
    points = curve_points(FIVE_YEARS, 20_000)
    assert len(view["timestamps"]) == len(points)
    assert view["timestamps"][-1] == "2020-01-03T20:59:00+00:00"
    assert all(len(s) == len(points) for p in view["panels"] for s in p["series"].values())
    assert all(len(line) == len(points) for line in view["overlays"].values())
    overlays = run_overlays(request, data_hash, minute_dir)
    assert overlays and all(len(line) == len(points) for line in overlays.values())
