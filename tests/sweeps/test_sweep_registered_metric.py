"""A metric added to the registry while the process runs (a row and its function, no
migration) reaches every reader: a sweep's table, its sort, its filter and its CSV on SQLite
and MariaDB, a study's objective choices and trials, a run's result and its page."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from redis import Redis

from adapters.metrics import Curves
from kinds.runs.kind import RUN
from metrics import MetricDef, register, unregister
from store.db import make_engine, make_sessionmaker
from tests.studies.support import valid_study
from tests.studies.test_study_web import drain
from tests.sweeps.support import SWEEP_QUEUE, queued_chunks, store_chunk, sweep_app
from tests.sweeps.test_sweep_web import BODY
from tests.web.support import app_with_data, jobs_here, valid_request
from work.lifecycle import run_item
from work.status import RunStatus

pytestmark = pytest.mark.redis

TOY = MetricDef(
    "toy_equity_ratio",
    "Toy equity ratio",
    "x",
    4,
    function="tests.sweeps.test_sweep_registered_metric:equity_ratio",
)
"""The metric the tests add: final over first equity, higher is better."""


def equity_ratio(curves: Curves) -> np.ndarray:
    """``TOY``'s function: each curve's final equity over its first (1 + total return)."""
    return curves.equity[:, -1] / curves.equity[:, 0]


@pytest.fixture
def toy_metric() -> Iterator[MetricDef]:
    """``TOY`` registered for the test, gone after it."""
    register(TOY)
    try:
        yield TOY
    finally:
        unregister(TOY.key)


@pytest.fixture(params=["sqlite", "mysql"])
def database_url(request) -> str:
    """The sweep's database: a fresh SQLite file, or the MariaDB scratch database."""
    return request.getfixturevalue(f"{request.param}_url")


def finished_sweep(database_url: str, redis_url: str):
    """A test client of an app on ``database_url`` and the status URL of a sweep of
    ``BODY`` whose chunks were evaluated and stored here as a consumer does."""
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")
    app = sweep_app(database_url, redis_url)
    client = app.test_client()
    answer = client.post("/api/sweeps", json={**BODY, "cache": False})
    assert answer.status_code == 202, answer.json
    sessions = make_sessionmaker(make_engine(database_url))
    for payload in queued_chunks(redis_url):
        store_chunk(sessions, payload)
    return client, answer.json["status_url"]


def test_a_registered_metric_is_in_the_sweep_table_sorted_filtered_and_exported(
    toy_metric, database_url, redis_url
):
    client, status_url = finished_sweep(database_url, redis_url)
    rows = client.get(f"{status_url}/results?per_page=500").json["results"]
    assert len(rows) == 18
    for row in rows:
        expected = 1 + row["metrics"]["total_return_pct"] / 100
        assert row["metrics"]["toy_equity_ratio"] == pytest.approx(expected, rel=1e-12)

    ranked = client.get(f"{status_url}/results?sort=toy_equity_ratio&per_page=500").json
    assert ranked["order"] == "desc"  # higher is better: best first by default
    values = [r["metrics"]["toy_equity_ratio"] for r in ranked["results"]]
    assert values == sorted(values, reverse=True)
    ascending = client.get(f"{status_url}/results?sort=toy_equity_ratio&order=asc&per_page=500")
    assert [r["metrics"]["toy_equity_ratio"] for r in ascending.json["results"]] == sorted(values)

    middle = sorted(values)[9]
    kept = client.get(f"{status_url}/results?min.toy_equity_ratio={middle}&per_page=500").json
    assert kept["total"] == sum(v >= middle for v in values) == len(kept["results"])
    assert all(r["metrics"]["toy_equity_ratio"] >= middle for r in kept["results"])
    both = client.get(
        f"{status_url}/results?max.toy_equity_ratio={middle}&min.num_trades=1&per_page=500"
    ).json
    assert both["total"] == sum(
        r["metrics"]["toy_equity_ratio"] <= middle and r["metrics"]["num_trades"] >= 1 for r in rows
    )

    best = client.get(f"{status_url}?metric=toy_equity_ratio").json["best"]
    assert best[0]["metrics"]["toy_equity_ratio"] == values[0]

    table = list(csv.reader(io.StringIO(client.get(f"{status_url}/results.csv").text)))
    assert table[0][-1] == "toy_equity_ratio"
    by_combo = {r["combo_no"]: r["metrics"]["toy_equity_ratio"] for r in rows}
    for line in table[1:]:
        assert float(line[-1]) == pytest.approx(by_combo[int(line[0])], rel=1e-12)

    heatmap = client.get(f"{status_url}/heatmap?metric=toy_equity_ratio&x=fast&y=slow").json
    assert max(v for line in heatmap["z"] for v in line if v is not None) == values[0]


@pytest.mark.parametrize("order", ["desc", "asc"])
def test_combinations_stored_before_a_metric_was_registered_lack_it_and_sort_last(
    database_url, redis_url, order
):
    """The first chunk is stored before the metric exists, the second after: the first's
    combos show null for it and come after every defined value in either order, in combo
    order; a filter on it drops them; their CSV cells are empty."""
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")
    client = sweep_app(database_url, redis_url).test_client()
    status_url = client.post("/api/sweeps", json={**BODY, "cache": False}).json["status_url"]
    sessions = make_sessionmaker(make_engine(database_url))
    first, second = queued_chunks(redis_url)
    store_chunk(sessions, first)
    register(TOY)
    try:
        store_chunk(sessions, second)
        url = f"{status_url}/results?sort=toy_equity_ratio&order={order}&per_page=500"
        rows = client.get(url).json["results"]
        filtered = client.get(f"{status_url}/results?min.toy_equity_ratio=-1e300").json
        table = list(csv.reader(io.StringIO(client.get(f"{status_url}/results.csv").text)))
    finally:
        unregister(TOY.key)
    values = [r["metrics"]["toy_equity_ratio"] for r in rows]
    defined = [v for v in values if v is not None]
    assert len(defined) == len(second["combos"]) and len(values) == 18
    assert values[: len(defined)] == sorted(defined, reverse=order == "desc")
    undefined = rows[len(defined) :]
    assert [r["ticker"] for r in undefined] == [first["request"]["ticker"]] * len(undefined)
    assert [r["combo_no"] for r in undefined] == sorted(r["combo_no"] for r in undefined)
    assert filtered["total"] == len(defined)
    assert sum(line[-1] == "" for line in table[1:]) == len(undefined)


def test_a_metric_filter_naming_no_metric_or_no_number_is_a_400(toy_metric, sqlite_url, redis_url):
    client, status_url = finished_sweep(sqlite_url, redis_url)
    for query, field in (
        ("min.nope=1", "min.nope"),
        ("max.toy_equity_ratio=x", "max.toy_equity_ratio"),
    ):
        answer = client.get(f"{status_url}/results?{query}")
        assert answer.status_code == 400 and answer.json["field"] == field


def test_a_study_accepts_a_registered_metric_as_its_objective(toy_metric, sqlite_url, redis_url):
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}", "rq:queue:sweep-test")
    app = sweep_app(sqlite_url, redis_url)
    client = app.test_client()
    page = client.get("/studies").text
    assert '"key": "toy_equity_ratio"' in page or '"key":"toy_equity_ratio"' in page
    objective = {"metric": "toy_equity_ratio", "direction": "maximize"}
    answer = client.post(
        "/api/studies", json=valid_study(n_trials=10, batch_size=10, objectives=[objective])
    )
    assert answer.status_code == 202, answer.json
    assert drain(app, redis_url) >= 1
    trials = client.get(f"{answer.json['status_url']}/trials").json["trials"]
    complete = [t for t in trials if t["state"] == "COMPLETE"]
    assert complete
    for trial in complete:
        assert trial["values"] == [trial["metrics"]["toy_equity_ratio"]]


def test_a_run_reports_a_registered_metric_and_its_page_shows_it(
    toy_metric, sqlite_url, redis_url, tmp_path: Path, monkeypatch
):
    app = app_with_data(sqlite_url, redis_url, tmp_path)
    with _jobs(monkeypatch, sqlite_url, tmp_path / "data"):
        client = app.test_client()
        answer = client.post("/api/runs", json=valid_request()).get_json()
        with app.app_context():
            from kinds.runs.store import get_run
            from web.db import get_session

            payload = json.loads(get_run(get_session(), answer["run_id"]).request_json)
        assert run_item(RUN, payload)["status"] == RunStatus.SUCCEEDED
        result = client.get(f"/api/runs/{answer['run_id']}").get_json()["result"]
    metrics = result["metrics"]
    assert metrics["toy_equity_ratio"] == pytest.approx(1 + metrics["total_return_pct"] / 100)
    page = client.get(f"/runs/{answer['run_id']}").text
    assert "Toy equity ratio" in page
    assert f"{metrics['toy_equity_ratio']:,.4f}x" in page
    history = client.get("/api/runs?sort=toy_equity_ratio")
    assert history.status_code == 200, history.get_json()


def _jobs(monkeypatch, database_url: str, data_dir: Path):
    return contextmanager(jobs_here)(monkeypatch, database_url, data_dir)


def test_without_registration_the_metric_is_no_choice(sqlite_url, redis_url):
    """The same requests without ``toy_metric``: 400s naming the field (the registry, read
    at request time, is what widened the choices above)."""
    client, status_url = finished_sweep(sqlite_url, redis_url)
    answer = client.get(f"{status_url}/results?sort=toy_equity_ratio")
    assert answer.status_code == 400 and answer.json["field"] == "sort"
    objective = {"metric": "toy_equity_ratio", "direction": "maximize"}
    answer = client.post("/api/studies", json=valid_study(objectives=[objective]))
    assert answer.status_code == 400 and answer.json["field"] == "objectives.0.metric"
