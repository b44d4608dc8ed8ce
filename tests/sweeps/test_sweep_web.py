"""web/api/sweeps.py: the sweep API on SQLite and a real Redis — 202 with chunk messages queued,
400s naming the field, 404s, 503 when Redis is down, and the read endpoints."""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from redis import Redis

from data import TickerInfo, load_catalog, save_catalog
from kinds.sweeps.contract import SIZED_CHUNKS
from store.db import make_engine, make_sessionmaker
from tests.adapters.support import decimals
from tests.sweeps.support import SWEEP_QUEUE, queued_chunks, store_chunk, sweep_app
from tests.web.support import CLOSED_REDIS, TICKER, write_data_dir
from web.db import get_engine
from work.queue import backtest_queue

pytestmark = pytest.mark.redis

"""The repository's demo data directory."""

BODY = {
    "tickers": ["ACME", "GLOBEX"],
    "rule_type": "SMA_CROSS",
    "grid": {"fast": "2:10:2", "slow": [10, 20]},
    "start_date": "2016-01-01",
    "end_date": "2017-12-31",
    "chunk_size": 50,
}


@pytest.fixture
def app(sqlite_url, redis_url):
    return sweep_app(sqlite_url, redis_url)


@pytest.fixture
def client(app):
    return app.test_client()


def _run_all_chunks(app, redis_url) -> None:
    """What the consumers do, in-process: evaluate and store every queued chunk."""
    sessions = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    for payload in queued_chunks(redis_url):
        store_chunk(sessions, payload)


def test_a_sweep_is_accepted_and_one_message_per_chunk_is_queued(client, redis_url):
    """202 with counts; fast 10 >= slow 10 skipped on each ticker; 2 chunks of 9 combos, on
    the sweep queue (runs never wait behind them)."""
    response = client.post("/api/sweeps", json=BODY)
    assert response.status_code == 202, response.json
    body = response.json
    assert (body["combos"], body["skipped"], body["chunks"]) == (18, 2, 2)
    assert response.headers["Location"] == body["status_url"]
    queue = backtest_queue(Redis.from_url(redis_url), SWEEP_QUEUE)
    assert backtest_queue(queue.connection, "sweep-test").count == 0  # runs' queue: untouched
    jobs = queue.jobs
    assert [job.id for job in jobs] == [f"{body['sweep_id']}-c0", f"{body['sweep_id']}-c1"]
    assert all(job.func_name == "consumer.sweep_jobs.run_chunk" for job in jobs)
    assert jobs[0].retries_left == 1 and jobs[0].timeout == 900
    status = client.get(body["status_url"]).json
    assert status["status"] == "PENDING" and status["progress"]["total"] == 18


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"grid": {"fast": "2:10:0"}}, "grid.fast"),
        ({"grid": {"fast": "10:2:1"}}, "grid.fast"),
        ({"grid": {"fast": [2.5]}}, "grid.fast"),
        ({"grid": {"speed": [2]}}, "grid.speed"),
        ({"grid": {"fast": "2:400:1", "slow": "3:600:1"}}, "grid"),
        ({"tickers": ["ACME", "NOPE"]}, "tickers[1]"),
        ({"start_date": "1990-01-01", "end_date": "1990-12-31"}, "start_date"),
        ({"charts": True}, "charts"),
    ],
)
def test_bad_requests_are_400_naming_the_field(client, change, field):
    """Nothing is recorded or queued for a refused sweep."""
    response = client.post("/api/sweeps", json={**BODY, **change})
    assert response.status_code == 400 and response.json["field"] == field, response.json
    assert client.get("/api/sweeps").json["total"] == 0


@pytest.fixture
def two_ranges(tmp_path, demo_data_dir) -> Path:
    """A data directory with ACME (2014–2024, the demo file) and TESTCO (2021 only)."""
    root = write_data_dir(tmp_path / "data")
    shutil.copy(demo_data_dir / "ACME.csv", root / "ACME.csv")
    acme = TickerInfo("ACME", "Acme", "ACME.csv", True, "demo")
    save_catalog(load_catalog(root).with_entry(acme))
    return root


def test_a_ticker_without_bars_in_the_window_refuses_the_sweep_naming_it(
    sqlite_url, redis_url, two_ranges
):
    """When one ticker of a list has no bar between the dates, the sweep is refused naming
    that ticker and the dates its data covers (results stay comparable across tickers);
    when none has, the dates are at fault, as for a run."""
    client = sweep_app(sqlite_url, redis_url, DATA_DIR=str(two_ranges)).test_client()
    body = {**BODY, "tickers": ["ACME", TICKER]}
    response = client.post("/api/sweeps", json=body)
    assert response.status_code == 400
    assert response.json["field"] == "tickers[1]"
    assert TICKER in response.json["error"] and "2021-01-04" in response.json["error"]
    early = {**body, "start_date": "1990-01-01", "end_date": "1990-12-31"}
    assert client.post("/api/sweeps", json=early).json["field"] == "start_date"
    both = {**body, "start_date": "2021-02-01", "end_date": "2021-05-31"}
    assert client.post("/api/sweeps", json=both).status_code == 202
    assert client.get("/api/sweeps").json["total"] == 1


def test_a_huge_grid_names_its_count(client):
    """The 400 gives the number of combinations."""
    response = client.post(
        "/api/sweeps", json={**BODY, "grid": {"fast": "2:400:1", "slow": "3:600:1"}}
    )
    assert "318,402" in response.json["error"]


def _refusal(client, body: dict) -> dict:
    """The 400 of ``POST /api/sweeps`` for ``body``, checked equal to the forms' validator's
    (``POST /api/schema/sweep/validate``) and with nothing recorded."""
    response = client.post("/api/sweeps", json=body)
    assert response.status_code == 400, response.json
    checked = client.post("/api/schema/sweep/validate", json=body)
    assert (checked.status_code, checked.json) == (400, response.json)
    assert client.get("/api/sweeps").json["total"] == 0
    return response.json


def test_a_sweep_past_request_max_combinations_is_a_400_naming_the_grid(sqlite_url, redis_url):
    """REQUEST_MAX_COMBINATIONS 17: the 9 combos on each of 2 tickers (18) are refused
    naming the grid, with the total, the cap and the variable, by the submission and by
    the forms' validator alike; at 18 the same sweep is accepted."""
    refused = _refusal(
        sweep_app(sqlite_url, redis_url, REQUEST_MAX_COMBINATIONS=17).test_client(), BODY
    )
    assert refused["field"] == "grid"
    assert "9 combinations to run on each of 2 tickers, 18 in all" in refused["error"]
    assert "at most 17 (REQUEST_MAX_COMBINATIONS)" in refused["error"]
    at_cap = sweep_app(sqlite_url, redis_url, REQUEST_MAX_COMBINATIONS=18).test_client()
    assert at_cap.post("/api/sweeps", json=BODY).status_code == 202


def test_a_sweep_past_request_max_chunks_is_a_400_naming_chunk_size(sqlite_url, redis_url):
    """REQUEST_MAX_CHUNKS 1: the sweep's 2 chunks (one a ticker) are refused naming
    chunk_size, by the submission and the validator alike, before any chunk is built;
    at 2 it is accepted."""
    refused = _refusal(sweep_app(sqlite_url, redis_url, REQUEST_MAX_CHUNKS=1).test_client(), BODY)
    assert refused["field"] == "chunk_size"
    assert "2 chunks" in refused["error"] and "at most 1 (REQUEST_MAX_CHUNKS)" in refused["error"]
    assert queued_chunks(redis_url) == []
    at_cap = sweep_app(sqlite_url, redis_url, REQUEST_MAX_CHUNKS=2).test_client()
    assert at_cap.post("/api/sweeps", json=BODY).json["chunks"] == 2


def test_the_sweep_forms_combination_limit_follows_the_cap(sqlite_url, redis_url):
    """The form counts a grid against the limit the API applies: REQUEST_MAX_COMBINATIONS
    when it is below a sweep's own 100,000."""
    page = sweep_app(sqlite_url, redis_url, REQUEST_MAX_COMBINATIONS=500).test_client()
    assert '"max_combos": 500' in page.get("/sweeps").get_data(as_text=True)


@pytest.mark.parametrize("name", ["REQUEST_MAX_COMBINATIONS", "REQUEST_MAX_CHUNKS"])
def test_the_request_caps_are_read_from_the_environment_and_must_be_positive(
    sqlite_url, redis_url, monkeypatch, name
):
    """Each cap is the sweep kind's variable: set to 1 in the environment, the 18-combo,
    2-chunk sweep is refused naming it; 0 stops the app from being built."""
    monkeypatch.setenv(name, "1")
    refused = _refusal(sweep_app(sqlite_url, redis_url).test_client(), BODY)
    assert f"({name})" in refused["error"]
    monkeypatch.setenv(name, "0")
    with pytest.raises(ValueError, match=name):
        sweep_app(sqlite_url, redis_url)


def test_unknown_sweeps_and_combos_are_404(client):
    """A malformed id, an unknown id and a combo not stored are 404 JSON."""
    assert client.get("/api/sweeps/nope").status_code == 404
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.get(f"/api/sweeps/{missing}/results").status_code == 404
    sweep_id = client.post("/api/sweeps", json=BODY).json["sweep_id"]
    response = client.get(f"/api/sweeps/{sweep_id}/combos/3")
    assert response.status_code == 404 and "error" in response.json
    assert client.get(f"/sweeps/{missing}").status_code == 404


def test_redis_down_fails_the_chunks_and_answers_503(sqlite_url):
    """No Redis: 503 "queue unavailable"; the sweep exists with every chunk FAILED."""
    client = sweep_app(sqlite_url, CLOSED_REDIS).test_client()
    response = client.post("/api/sweeps", json=BODY)
    assert response.status_code == 503 and response.json["error"] == "queue unavailable"
    status = client.get(f"/api/sweeps/{response.json['sweep_id']}").json
    assert status["status"] == "FAILED" and status["chunk_states"]["FAILED"] == 2
    assert status["timings"]["errors"] == ["queue unavailable"]


def _assert_no_float_noise(rows: list[dict], answer: dict) -> None:
    """The CSV's metric cells have at most 10 decimal places and are the JSON's values to
    within 1e-10, where the JSON's carry more digits (float noise included)."""
    by_combo = {r["combo_no"]: r["metrics"] for r in answer["results"]}
    longer = 0
    for row in rows:
        for name, value in by_combo[int(row["combo_no"])].items():
            if isinstance(value, float):
                longer += decimals(repr(value)) > 10
                assert decimals(row[name]) <= 10, (name, row[name])
                assert float(row[name]) == pytest.approx(value, rel=0, abs=1e-10)
    assert longer, "no stored metric has more than 10 decimals: the check proves nothing"


def test_results_are_sorted_paginated_and_exported(app, client, redis_url):
    """After the chunks ran: best first by Sharpe, pages, top N, CSV, heatmap, line, combo."""
    sweep_id = client.post("/api/sweeps", json=BODY).json["sweep_id"]
    _run_all_chunks(app, redis_url)
    status = client.get(f"/api/sweeps/{sweep_id}?metric=total_return_pct").json
    assert status["status"] == "SUCCEEDED" and status["progress"]["percent"] == 100.0
    returns = [r["metrics"]["total_return_pct"] for r in status["best"]]
    assert returns == sorted(returns, reverse=True) and len(returns) == 10

    page = client.get(f"/api/sweeps/{sweep_id}/results?sort=max_drawdown_pct&per_page=4&page=2")
    drawdowns = [r["metrics"]["max_drawdown_pct"] for r in page.json["results"]]
    assert page.json["order"] == "asc" and drawdowns == sorted(drawdowns)
    assert page.json["total"] == 18 and page.json["pages"] == 5
    top = client.get(f"/api/sweeps/{sweep_id}/results?sort=sharpe_ratio&top=3&per_page=50")
    assert top.json["total"] == 3 and len(top.json["results"]) == 3

    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/api/sweeps/{sweep_id}/results.csv").data.decode()))
    )
    assert len(rows) == 18 and list(rows[0])[:4] == ["combo_no", "ticker", "fast", "slow"]
    _assert_no_float_noise(rows, client.get(f"/api/sweeps/{sweep_id}/results?per_page=50").json)

    heat = client.get(f"/api/sweeps/{sweep_id}/heatmap?metric=sharpe_ratio&x=fast&y=slow").json
    assert heat["x"]["values"] == [2, 4, 6, 8, 10] and len(heat["z"]) == 2
    best = heat["best"][1][0]  # fast 2, slow 20: max over the two tickers
    combo = client.get(f"/api/sweeps/{sweep_id}/combos/{best}").json
    assert combo["params"] == {"fast": 2, "slow": 20}
    assert combo["metrics"]["sharpe_ratio"] == heat["z"][1][0]
    assert combo["run_request"]["charts"] is True
    line = client.get(f"/api/sweeps/{sweep_id}/line?x=ticker&agg=mean").json
    assert line["x"]["values"] == ["ACME", "GLOBEX"] and line["y"] is None
    bad = client.get(f"/api/sweeps/{sweep_id}/heatmap?fix.fast=3")
    assert bad.status_code == 400 and bad.json["field"] == "fix.fast"


def test_a_streamed_csv_gives_its_database_connection_back_when_it_ends(app, client, redis_url):
    """The CSV is streamed after the view has returned and the request's session was closed:
    the stream reads on a session of its own and closes it when it ends, whether read to the
    end or left by the client after its first rows, so no download keeps a connection of the
    pool checked out (which, download after download, would exhaust it)."""
    sweep_id = client.post("/api/sweeps", json=BODY).json["sweep_id"]
    _run_all_chunks(app, redis_url)
    pool = get_engine(app).pool
    whole = client.get(f"/api/sweeps/{sweep_id}/results.csv", buffered=True)
    assert whole.status_code == 200 and whole.text.count("\n") == 19
    assert pool.checkedout() == 0
    left = client.get(f"/api/sweeps/{sweep_id}/results.csv")  # streamed, not read
    next(left.response)
    left.close()  # the client went away
    assert pool.checkedout() == 0


def test_the_pages_render_with_a_content_security_policy(client):
    """/sweeps and /sweeps/<id> are HTML pages extending the dashboard; no inline script."""
    sweep_id = client.post("/api/sweeps", json=BODY).json["sweep_id"]
    for url in ("/sweeps", f"/sweeps/{sweep_id}"):
        response = client.get(url)
        assert response.status_code == 200 and b"sweeps.js" in response.data
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_apps_sweep_chunk_size_setting_is_the_default_not_the_environment(
    sqlite_url, redis_url, monkeypatch
):
    """create_app's SWEEP_CHUNK_SIZE (50) cuts a request that names no chunk size; an
    environment variable set after the app was built changes nothing."""
    app = sweep_app(sqlite_url, redis_url, SWEEP_CHUNK_SIZE=50)
    monkeypatch.setenv("SWEEP_CHUNK_SIZE", "2000")
    body = {k: v for k, v in BODY.items() if k != "chunk_size"}
    body["grid"] = {"fast": "2:20:1", "slow": [30, 40, 50, 60, 70, 80]}
    response = app.test_client().post("/api/sweeps", json=body)
    assert response.status_code == 202, response.json
    assert response.json["chunks"] == 2 * -(-response.json["combos"] // 2 // 50)


def test_a_large_sweep_that_names_no_chunk_size_gets_fewer_larger_chunks(client, redis_url):
    """20,000 combinations: SIZED_CHUNKS chunks of 2,500 instead of 20 of 1,000; a request
    that names its chunk size keeps it."""
    body = {k: v for k, v in BODY.items() if k != "chunk_size"}
    body["grid"] = {"fast": "2:101:1", "slow": "110:308:2"}
    sized = client.post("/api/sweeps", json=body)
    assert sized.status_code == 202, sized.json
    assert (sized.json["combos"], sized.json["chunks"]) == (20_000, SIZED_CHUNKS)
    status = client.get(sized.json["status_url"]).json
    assert status["chunk_size"] == 20_000 // SIZED_CHUNKS
    named = client.post("/api/sweeps", json={**body, "chunk_size": 2000})
    assert named.status_code == 202, named.json
    assert named.json["chunks"] == 10


def test_a_sweep_past_the_queue_limit_is_429_with_retry_after_and_records_nothing(
    sqlite_url, redis_url
):
    """SWEEP_MAX_PENDING_CHUNKS 3: a 2-chunk sweep fits, a second one would make 4: 429 with
    Retry-After naming the field, nothing recorded or queued; a sweep bigger than the limit on
    its own is a 400; once the queue drained, the same sweep is accepted."""
    app = sweep_app(sqlite_url, redis_url, SWEEP_MAX_PENDING_CHUNKS=3)
    client = app.test_client()
    assert client.post("/api/sweeps", json=BODY).status_code == 202
    refused = client.post("/api/sweeps", json=BODY)
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.json["field"] == "grid"
    assert "SWEEP_MAX_PENDING_CHUNKS" in refused.json["error"]
    queue = backtest_queue(Redis.from_url(redis_url), SWEEP_QUEUE)
    assert queue.count == 2
    assert client.get("/api/sweeps").json["total"] == 1
    too_big = client.post("/api/sweeps", json={**BODY, "grid": {"fast": "2:120:1", "slow": [200]}})
    assert too_big.status_code == 400 and too_big.json["field"] == "grid"
    queue.empty()
    assert client.post("/api/sweeps", json=BODY).status_code == 202
