"""The result cache (web/api/runs/submit.py ``serve_cached``, kinds/runs/cache.py): an
identical run request is answered from a stored SUCCEEDED run without a Job, on MariaDB and
the real test Redis, with the first run executed by the real Job path (``run_item``)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from kinds.runs.contract import RunRequest
from kinds.runs.execute import execute
from kinds.runs.kind import RUN
from kinds.runs.serialize import to_json
from kinds.runs.store import get_run
from store.models import BacktestRun
from tests.web.support import (
    TICKER,
    app_with_schema,
    jobs_here,
    queue_key,
    serve,
    valid_request,
    write_data_dir,
)
from tests.web.support_auth import SECRET_KEY, bearer, new_token, sign_in
from web.db import get_database
from work.lifecycle import run_item
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return write_data_dir(tmp_path / "data")


@pytest.fixture
def job_env(mysql_url: str, data_dir: Path, monkeypatch) -> Iterator[None]:
    """A Job in this process reads the app's database and data directory."""
    yield from jobs_here(monkeypatch, mysql_url, data_dir)


@pytest.fixture
def app(mysql_url: str, redis_url: str, data_dir: Path, job_env) -> Flask:
    yield from serve(app_with_schema(mysql_url, redis_url, data_dir))


@pytest.fixture
def token_app(empty_mysql_url: str, redis_url: str, data_dir: Path, monkeypatch) -> Flask:
    """AUTH_MODE=token on a database of its own (tokens are not emptied between tests)."""
    with contextmanager(jobs_here)(monkeypatch, empty_mysql_url, data_dir):
        app = app_with_schema(
            empty_mysql_url, redis_url, data_dir, AUTH_MODE="token", SECRET_KEY=SECRET_KEY
        )
        yield from serve(app)


def row_of(app: Flask, run_id: str) -> BacktestRun:
    with get_database(app).sessionmaker() as session:
        return get_run(session, run_id)


def computed(app: Flask, client, body: dict, **headers) -> str:
    """Submit ``body`` (which must miss the cache) and run its Job here; the run id."""
    answer = client.post("/api/runs", json=body, headers=headers).get_json()
    assert answer["status"] == RunStatus.PENDING, answer
    payload = json.loads(row_of(app, answer["run_id"]).request_json)
    assert run_item(RUN, payload)["status"] == RunStatus.SUCCEEDED
    return answer["run_id"]


def test_an_identical_request_is_served_from_the_cache_with_the_result_a_job_would_store(
    app, redis
):
    """The second identical run: 202 SUCCEEDED at once, nothing queued, its own id and
    timestamps, ``cached_from`` the first; its result is byte for byte what a Job computes
    for it (the first's bytes with the first's id replaced by its own)."""
    client = app.test_client()
    first = computed(app, client, valid_request())
    waiting = redis.llen(queue_key(app))
    answer = client.post("/api/runs", json=valid_request(name="again"))
    body = answer.get_json()
    assert answer.status_code == 202
    assert body["status"] == RunStatus.SUCCEEDED and body["cached_from"] == first
    assert redis.llen(queue_key(app)) == waiting
    second = row_of(app, body["run_id"])
    source = row_of(app, first)
    assert second.run_id != first and second.status == RunStatus.SUCCEEDED
    assert second.created_at == second.started_at == second.completed_at
    assert second.created_at > source.completed_at
    assert second.name == "again" and second.cached_from == first and second.attempts == 0
    request = RunRequest.from_stored(json.loads(second.request_json))
    assert second.result_json == to_json(execute(request))
    assert second.result_json == source.result_json.replace(first, second.run_id)
    assert (second.data_hash, second.engine_version) == (source.data_hash, source.engine_version)
    assert second.cache_key is None and source.cache_key is not None
    status = client.get(body["status_url"]).get_json()
    assert status["cached"] is True and status["cached_from"] == first
    assert status["result"]["run_id"] == second.run_id
    assert client.get(f"/api/runs/{first}").get_json()["cached"] is False


@pytest.mark.parametrize(
    "change",
    [
        {"params": {"fast": 3, "slow": 9}},
        {"start_date": "2021-02-02"},
        {"end_date": "2021-05-28"},
        {"fee_rate": 0.002},
        {"charts": False},
        {"rule_id": "custom"},
    ],
)
def test_any_change_to_the_request_misses(app, change):
    """A param, a date, a fee, charts or the rule id changes the key: a Job runs."""
    client = app.test_client()
    computed(app, client, valid_request())
    answer = client.post("/api/runs", json=valid_request(**change)).get_json()
    assert answer["status"] == RunStatus.PENDING and "cached_from" not in answer


def test_the_same_request_spelled_differently_hits(app):
    """Defaults written out, other key order, 1e-3 for 0.001, a lower-case ticker: the same."""
    client = app.test_client()
    first = computed(app, client, valid_request())
    spelled = {
        "fee_rate": 1e-3,
        **dict(reversed(valid_request(ticker=TICKER.lower()).items())),
        "initial_capital": 100000,
        "charts": True,
        "tags": ["x"],
    }
    assert client.post("/api/runs", json=spelled).get_json()["cached_from"] == first


def test_changed_data_file_bytes_miss(app, data_dir):
    """The same request after the ticker's file changed (one volume figure) runs a Job."""
    client = app.test_client()
    computed(app, client, valid_request())
    path = data_dir / f"{TICKER}.csv"
    path.write_text(path.read_text().replace(",1000\n", ",1001\n", 1))
    answer = client.post("/api/runs", json=valid_request()).get_json()
    assert answer["status"] == RunStatus.PENDING


def test_another_engine_version_misses(app, monkeypatch):
    """A web whose ENGINE_VERSION differs from the one that computed the result runs a Job."""
    client = app.test_client()
    computed(app, client, valid_request())
    monkeypatch.setattr("kinds.runs.cache.ENGINE_VERSION", "99.0.0")
    assert client.post("/api/runs", json=valid_request()).get_json()["status"] == "PENDING"


def test_cache_false_queues_a_job(app, redis):
    """``cache: false`` runs a Job as before, even with a stored identical result."""
    client = app.test_client()
    computed(app, client, valid_request())
    waiting = redis.llen(queue_key(app))
    answer = client.post("/api/runs", json=valid_request(cache=False)).get_json()
    assert answer["status"] == RunStatus.PENDING
    assert redis.llen(queue_key(app)) == waiting + 1
    assert "cache" not in json.loads(row_of(app, answer["run_id"]).request_json)


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_cache_flag_that_is_not_a_boolean_is_400(app, value):
    """``cache`` takes true or false only."""
    response = app.test_client().post("/api/runs", json=valid_request(cache=value))
    assert response.status_code == 400
    assert response.get_json() == {"error": "must be true or false", "field": "cache"}


def test_a_pending_or_failed_identical_run_is_no_source(app):
    """Only SUCCEEDED results are served: an identical run still PENDING is not one."""
    client = app.test_client()
    client.post("/api/runs", json=valid_request())
    assert client.post("/api/runs", json=valid_request()).get_json()["status"] == "PENDING"


def test_a_taken_run_id_is_409_on_a_hit_too(app):
    """A hit inserts a row like any submission: an id already there is a 409."""
    client = app.test_client()
    first = computed(app, client, valid_request())
    response = client.post("/api/runs", json=valid_request(run_id=first))
    assert response.status_code == 409 and response.get_json()["field"] == "run_id"


def test_a_cached_run_outlives_its_source_and_lists_as_cached(app):
    """Deleting the source keeps the copy's result; history shows ``cached``; the copy
    serves no one (only a Job's run is a source)."""
    client = app.test_client()
    first = computed(app, client, valid_request())
    second = client.post("/api/runs", json=valid_request()).get_json()["run_id"]
    assert client.delete(f"/api/runs/{first}").status_code in (200, 204)
    status = client.get(f"/api/runs/{second}").get_json()
    assert status["status"] == "SUCCEEDED" and status["result"]["run_id"] == second
    listed = {run["run_id"]: run["cached"] for run in client.get("/api/runs").get_json()["runs"]}
    assert listed == {second: True}
    third = client.post("/api/runs", json=valid_request()).get_json()
    assert third["status"] == RunStatus.PENDING  # a copy is no source: a Job makes a new one


def test_cache_hits_and_misses_are_counted(app):
    """Telemetry counts hit, miss and off by outcome."""
    client = app.test_client()
    computed(app, client, valid_request())
    client.post("/api/runs", json=valid_request())
    client.post("/api/runs", json=valid_request(cache=False))
    text = client.get("/metrics").get_data(as_text=True)
    for outcome, count in (("hit", 1), ("miss", 1), ("off", 1)):
        assert f'backtest_run_cache_total{{outcome="{outcome}"}} {count}.0' in text


def test_another_users_result_serves_only_once_shared_and_its_id_then_hides(token_app):
    """Alice's run serves Bob only when Bob may read it (shared); when Alice stops sharing,
    Bob's copy keeps its result but no longer names her run."""
    client = token_app.test_client()
    alice = bearer(new_token(token_app, "alice"))
    bob = bearer(new_token(token_app, "bob"))
    first = computed(token_app, client, valid_request(), **alice)
    missed = client.post("/api/runs", json=valid_request(), headers=bob).get_json()
    assert missed["status"] == "PENDING" and "cached_from" not in missed
    client.patch(f"/api/runs/{first}", json={"shared": True}, headers=alice)
    hit = client.post("/api/runs", json=valid_request(), headers=bob).get_json()
    assert hit["cached_from"] == first
    copy = row_of(token_app, hit["run_id"])
    assert copy.created_by == "bob" and copy.shared is False and copy.name is None
    client.patch(f"/api/runs/{first}", json={"shared": False}, headers=alice)
    status = client.get(f"/api/runs/{hit['run_id']}", headers=bob).get_json()
    assert status["cached"] is True and status["cached_from"] is None
    assert status["result"]["run_id"] == hit["run_id"]
    assert first not in json.dumps(status)
    listed = client.get("/api/runs", headers=bob).get_json()["runs"]
    assert [(run["cached"], run["cached_from"]) for run in listed] == [(True, None), (False, None)]
    assert first not in json.dumps(listed)
    own = client.post("/api/runs", json=valid_request(), headers=alice).get_json()
    assert own["cached_from"] == first


def test_an_admin_may_be_served_from_any_run(token_app):
    """An admin reads every run, so any stored identical result serves them."""
    client = token_app.test_client()
    first = computed(token_app, client, valid_request(), **bearer(new_token(token_app, "a")))
    admin = bearer(new_token(token_app, "root", "admin"))
    answer = client.post("/api/runs", json=valid_request(), headers=admin).get_json()
    assert answer["cached_from"] == first
    with get_database(token_app).sessionmaker() as session:
        owners = session.scalars(select(BacktestRun.created_by).order_by(BacktestRun.created_at))
        assert list(owners) == ["a", "root"]


def test_the_run_page_links_a_readable_source_and_the_form_offers_the_cache(app):
    """A cached run's page says it was served from the cache, linking the source run; the run
    form has the "use cached result" checkbox, on by default."""
    client = app.test_client()
    first = computed(app, client, valid_request())
    second = client.post("/api/runs", json=valid_request()).get_json()["run_id"]
    page = client.get(f"/runs/{second}").get_data(as_text=True)
    assert 'id="cache-note"' in page and f'href="/runs/{first}"' in page
    assert 'id="cache-note"' not in client.get(f"/runs/{first}").get_data(as_text=True)
    form = client.get("/").get_data(as_text=True)
    checkbox = r'<input class="form-check-input" type="checkbox" id="use-cache"[^>]* checked>'
    assert re.search(checkbox, form)


def test_the_run_page_names_no_source_the_viewer_may_not_read(token_app):
    """Once the source is no longer shared, the copy's page says "cached" with no id."""
    client = token_app.test_client()
    alice = bearer(new_token(token_app, "alice"))
    bob_token = new_token(token_app, "bob")
    first = computed(token_app, client, valid_request(), **alice)
    client.patch(f"/api/runs/{first}", json={"shared": True}, headers=alice)
    hit = client.post("/api/runs", json=valid_request(), headers=bearer(bob_token)).get_json()
    client.patch(f"/api/runs/{first}", json={"shared": False}, headers=alice)
    browser = token_app.test_client()
    sign_in(browser, bob_token)
    page = browser.get(f"/runs/{hit['run_id']}").get_data(as_text=True)
    assert "an identical run you cannot open" in page and first not in page


def test_a_cached_run_exports_and_compares_as_its_source(app):
    """result.json, trades.csv, the report, the compared curves and the compare page of a
    cached run: the source's, under its own id."""
    client = app.test_client()
    first = computed(app, client, valid_request())
    second = client.post("/api/runs", json=valid_request()).get_json()["run_id"]
    assert (
        client.get(f"/runs/{second}/result.json").get_data()
        == row_of(app, second).result_json.encode()
    )
    trades = [client.get(f"/runs/{run_id}/trades.csv") for run_id in (first, second)]
    assert trades[0].status_code == 200 and trades[0].get_data() == trades[1].get_data()
    assert client.get(f"/api/runs/{second}/report").status_code == 200
    curves = client.get(f"/compare/curves.json?ids={first},{second}").get_json()["runs"]
    assert [curve["run_id"] for curve in curves] == [first, second]
    assert curves[0]["equity"] == curves[1]["equity"]
    assert client.get(f"/compare?ids={first},{second}").status_code == 200
