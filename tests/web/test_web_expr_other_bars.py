"""ref and tf through the API on the demo data: a run, the signal analyzer, a sweep and a
study over a $name take a market filter on DEMOIX; an unknown or non-literal ticker is a
400 naming the text; the run's data_hash covers the referenced file."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from adapters.timestamps import iso_utc
from data import load_catalog, load_history
from kinds.runs.contract import parse_request
from kinds.runs.execute import execute, load_market_data
from rules import generate_signals
from rules.expr.market import attach
from store.db import make_engine, make_sessionmaker
from tests.sweeps.support import queued_chunks, store_chunk, sweep_app
from tests.web.support import app_with_schema, handled, serve

pytestmark = pytest.mark.redis

MARKET_FILTER = {
    "entry": 'close > sma(close, $n) and ref("DEMOIX", close) > ref("DEMOIX", sma(close, 200))',
    "exit": 'tf("1w", close) < tf("1w", sma(close, 10))',
    "n": 50,
}
"""docs/rules.md's market filter, with a weekly-trend exit."""


def acme(**params) -> dict:
    return {
        "ticker": "ACME",
        "rule_type": "EXPR",
        "params": {**MARKET_FILTER, **params},
        "start_date": "2016-01-01",
        "end_date": "2020-12-31",
    }


@pytest.fixture
def app(sqlite_url, redis_url, demo_data_dir):
    yield from serve(app_with_schema(sqlite_url, redis_url, demo_data_dir))


@pytest.fixture
def client(app):
    return app.test_client()


def test_a_run_on_a_market_filter_is_accepted_and_trades_on_the_signals_of_both_files(
    client, demo_data_dir
):
    """The API accepts the run; executing its stored request trades on the signals a
    direct computation gives: the expression on ACME with DEMOIX's bars beside it."""
    response = client.post("/run_backtest", json=acme())
    assert response.status_code in (200, 201, 202), response.get_json()
    stored = client.get(f"/api/runs/{response.get_json()['run_id']}").get_json()
    request = parse_request(stored.get("request", stored), strict=False)
    result = execute(request, demo_data_dir)
    assert result.status == "SUCCEEDED" and len(result.trades) > 0

    history = load_history("ACME", date(2016, 1, 1), date(2020, 12, 31), demo_data_dir)
    bars = history.bars.slice(0, history.stop)
    index = load_history("DEMOIX", date(2014, 1, 1), date(2024, 12, 31), demo_data_dir).bars
    attach(bars, {"DEMOIX": index})
    entries, exits = generate_signals("EXPR", request.params, bars)
    window = slice(history.start, history.stop)
    stamps = bars.timestamps[window]
    assert result.signals["entries"] == iso_utc(stamps[entries[window]])
    assert result.signals["exits"] == iso_utc(stamps[exits[window]])
    alone = replace(request, params={**request.params, "entry": "close > sma(close, $n)"})
    assert execute(alone, demo_data_dir).signals["entries"] != result.signals["entries"]


def test_the_signal_analyzer_reads_the_referenced_ticker(client):
    response = client.post("/api/analyze_signals", json={**acme(), "horizons": [5]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["entries"]["count"] > 0 and body["exits"]["count"] > 0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('ref("NOPE", close) > 1', "'NOPE', which is not in the data catalog"),
        ('ref("not a ticker!", close) > 1', "which is not in the data catalog"),
        ("ref(DEMOIX, close) > 1", "must be a quoted catalog ticker"),
        ('tf("5d", close) > 1', 'must be one of "1d", "1w", "1M"'),
    ],
)
def test_a_bad_ticker_or_timeframe_is_a_400_naming_the_text_quickly(client, entry, message):
    body = {**acme(), "params": {"entry": entry, "exit": "close < 0"}}
    response, elapsed = handled(client, "POST", "/run_backtest", json=body)
    assert elapsed < 0.2
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == "params.entry"
    assert message in response.get_json()["error"]


def test_an_unknown_ticker_in_the_exit_names_params_exit(client):
    body = {**acme(), "params": {"entry": "close > 0", "exit": 'ref("NOPE", close) < 0'}}
    response = client.post("/run_backtest", json=body)
    assert response.status_code == 400 and response.get_json()["field"] == "params.exit"


def test_a_sweep_over_a_name_of_a_market_filter_runs_every_combination(
    sqlite_url, redis_url, demo_data_dir
):
    """A sweep of $n over two tickers: accepted, every chunk evaluated by the consumer's
    code, every combination stored with the trades of the single run of its values."""
    app = sweep_app(sqlite_url, redis_url, DATA_DIR=str(demo_data_dir))
    body = {
        "tickers": ["ACME", "GLOBEX"],
        "rule_type": "EXPR",
        "params": {key: value for key, value in MARKET_FILTER.items() if key != "n"},
        "grid": {"n": [20, 50]},
        "start_date": "2016-01-01",
        "end_date": "2019-12-31",
        "chunk_size": 50,
    }
    response = app.test_client().post("/api/sweeps", json=body)
    assert response.status_code == 202, response.get_json()
    sessions = make_sessionmaker(make_engine(sqlite_url))
    for payload in queued_chunks(redis_url):
        store_chunk(sessions, payload)
    sweep_id = response.get_json()["sweep_id"]
    status = app.test_client().get(f"/api/sweeps/{sweep_id}").get_json()
    assert status["status"] == "SUCCEEDED", status
    rows = app.test_client().get(f"/api/sweeps/{sweep_id}/results?per_page=50").get_json()
    assert rows["total"] == 4
    for row in rows["results"]:  # each combination is the single run of its values
        single = parse_request(
            {**acme(n=row["params"]["n"]), "ticker": row["ticker"], "end_date": "2019-12-31"}
        )
        metrics = execute(single, demo_data_dir).metrics
        assert row["metrics"]["num_trades"] == metrics["num_trades"] > 0
        assert row["metrics"]["total_return_pct"] == pytest.approx(metrics["total_return_pct"])


def test_the_data_hash_changes_when_a_referenced_file_changes(tmp_path, demo_data_dir):
    """Without ref the hash is the file's own; with ref it covers DEMOIX's bytes too."""
    folder = Path(shutil.copytree(demo_data_dir, tmp_path / "data"))
    plain = parse_request({**acme(), "params": {"entry": "close > 0", "exit": "close < 0"}})
    own = load_market_data(plain, folder).data_hash
    assert own == load_history("ACME", date(2016, 1, 1), date(2020, 12, 31), folder).data_hash
    request = parse_request(acme())
    before = load_market_data(request, folder).data_hash
    assert before != own
    path = load_catalog(folder).resolve("DEMOIX")
    lines = path.read_text().splitlines()
    day, *cells = lines[-1].split(",")
    lines[-1] = ",".join([day, *cells[:5], str(int(cells[5]) + 1)])  # one more share traded
    path.write_text("\n".join(lines) + "\n")
    after = load_market_data(request, folder).data_hash
    assert after != before
    assert load_market_data(plain, folder).data_hash == own
    reordered = replace(request, params={**request.params})
    assert load_market_data(reordered, folder).data_hash == after
    assert np.array_equal(execute(plain, folder).trades, execute(plain, demo_data_dir).trades)


def test_a_study_searches_a_name_of_a_weekly_and_market_filter(
    sqlite_url, redis_url, demo_data_dir
):
    """A study over $n of a text with ref and tf: accepted, its batches evaluated as a
    consumer's Job does, every trial COMPLETE or PRUNED and the study SUCCEEDED."""
    from tests.studies.test_study_web import drain

    app = sweep_app(sqlite_url, redis_url, DATA_DIR=str(demo_data_dir))
    client = app.test_client()
    body = {
        "ticker": "ACME",
        "rule_type": "EXPR",
        "params": {key: value for key, value in MARKET_FILTER.items() if key != "n"},
        "start_date": "2016-01-01",
        "end_date": "2019-12-31",
        "space": {"n": {"low": 10, "high": 80}},
        "n_trials": 6,
        "batch_size": 3,
    }
    response = client.post("/api/studies", json=body)
    assert response.status_code == 202, response.get_json()
    assert drain(app, redis_url) >= 2
    study = client.get(response.get_json()["status_url"]).get_json()
    assert study["status"] == "SUCCEEDED", study
    trials = client.get(f"{response.get_json()['status_url']}/trials").get_json()["trials"]
    assert len(trials) == 6 and {t["state"] for t in trials} <= {"COMPLETE", "PRUNED"}
