"""Run management through the API, on SQLite and on MariaDB with the real Redis: cancel
takes a waiting run off the queue, delete removes the row and its result, PATCH edits the
labels, and the history filters by tag and name and sorts by any metric."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import update

from store.models import BacktestRun
from tests.web.support import app_with_data, queue_key, serve, valid_request
from tests.web.support_dashboard import add_pending, add_running, add_with_metrics
from web.db import get_database
from work.status import RunStatus

pytestmark = pytest.mark.redis


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def app(request, redis_url, tmp_path: Path):
    """The app on a fresh SQLite file, or on the session's MariaDB database (shared: tests
    there see their own runs through a tag of their own)."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("mysql_url")
    yield from serve(app_with_data(url, redis_url, tmp_path))


def _submit(client, **fields) -> str:
    response = client.post("/run_backtest", json=valid_request(**fields))
    assert response.status_code == 202, response.get_json()
    return response.get_json()["run_id"]


def _status(client, run_id: str) -> dict:
    return client.get(f"/status/{run_id}").get_json()


def _label(app, run_id: str, tag: str) -> None:
    with get_database(app).sessionmaker.begin() as session:
        session.execute(
            update(BacktestRun).where(BacktestRun.run_id == run_id).values(tags=f'["{tag}"]')
        )


def test_cancel_takes_a_pending_run_off_the_queue(app, client, redis):
    """PENDING → CANCELLED, its id gone from rq:queue:<name> and its job hash deleted."""
    run_id = _submit(client)
    assert redis.llen(queue_key(app)) == 1

    response = client.post(f"/api/runs/{run_id}/cancel")

    assert response.status_code == 200
    assert response.get_json() == {
        "run_id": run_id,
        "status": "CANCELLED",
        "removed_from_queue": True,
    }
    assert redis.llen(queue_key(app)) == 0
    assert not redis.exists(f"rq:job:{run_id}")
    status = _status(client, run_id)
    assert status["status"] == "CANCELLED" and status["completed_at"] is not None
    again = client.post(f"/api/runs/{run_id}/cancel")
    assert again.status_code == 200, "cancelling twice answers the same"


def test_a_started_or_finished_run_cannot_be_cancelled(app, client):
    """RUNNING and SUCCEEDED runs answer 409 naming their status; the row is unchanged."""
    running = add_running(app).run_id
    done = add_with_metrics(app, {"total_return": 1.0}).run_id
    for run_id, status in ((running, "RUNNING"), (done, "SUCCEEDED")):
        response = client.post(f"/api/runs/{run_id}/cancel")
        assert response.status_code == 409
        body = response.get_json()
        assert body["status"] == status and status in body["error"]
        assert _status(client, run_id)["status"] == status


def test_cancel_and_delete_of_an_unknown_run_are_404(client):
    for run_id in (str(uuid.uuid4()), "not-a-run-id"):
        assert client.post(f"/api/runs/{run_id}/cancel").status_code == 404
        assert client.delete(f"/api/runs/{run_id}").status_code == 404
        assert client.patch(f"/api/runs/{run_id}", json={"name": "x"}).status_code == 404


def test_delete_removes_a_finished_run_and_its_result(app, client):
    run_id = add_with_metrics(app, {"total_return": 1.0}).run_id
    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    assert client.get(f"/status/{run_id}").status_code == 404
    with get_database(app).sessionmaker() as session:
        assert session.get(BacktestRun, run_id) is None
    assert client.delete(f"/api/runs/{run_id}").status_code == 404


def test_delete_of_a_pending_run_cancels_it_and_takes_it_off_the_queue(app, client, redis):
    run_id = _submit(client)
    assert client.delete(f"/api/runs/{run_id}").status_code == 204
    assert redis.llen(queue_key(app)) == 0
    assert client.get(f"/status/{run_id}").status_code == 404


def test_a_running_run_cannot_be_deleted(app, client):
    run_id = add_running(app).run_id
    response = client.delete(f"/api/runs/{run_id}")
    assert response.status_code == 409
    assert response.get_json()["status"] == "RUNNING"
    assert _status(client, run_id)["status"] == "RUNNING"


def test_labels_are_stored_with_the_request_and_leave_the_request_alone(app, client, redis):
    """name/tags/notes are kept beside the run; the queued message and request_json do not
    carry them (the result cannot depend on them)."""
    run_id = _submit(client, name="  first try ", tags=["rsi", "v2", "rsi"], notes="hello")
    status = _status(client, run_id)
    assert (status["name"], status["tags"], status["notes"], status["pinned"]) == (
        "first try",
        ["rsi", "v2"],
        "hello",
        False,
    )
    assert not {"name", "tags", "notes"} & set(status["request"])


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "x" * 101}, "name"),
        ({"name": 5}, "name"),
        ({"tags": ["has space"]}, "tags"),
        ({"tags": "one"}, "tags"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"notes": "n" * 2001}, "notes"),
    ],
)
def test_invalid_labels_are_a_400_naming_the_field(app, client, fields, field):
    response = client.post("/run_backtest", json=valid_request(**fields))
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    patched = client.patch(f"/api/runs/{add_pending(app).run_id}", json=fields)
    assert patched.status_code == 400
    assert patched.get_json()["field"] == field


def test_patch_edits_labels_and_pin_and_leaves_the_rest(app, client):
    run_id = _submit(client, name="old", tags=["a"])
    response = client.patch(f"/api/runs/{run_id}", json={"tags": ["b", "c"], "pinned": True})
    assert response.status_code == 200
    assert response.get_json() == {
        "run_id": run_id,
        "name": "old",
        "tags": ["b", "c"],
        "notes": None,
        "pinned": True,
        "shared": False,
    }
    cleared = client.patch(f"/api/runs/{run_id}", json={"name": "", "notes": "why"}).get_json()
    assert (cleared["name"], cleared["notes"], cleared["pinned"]) == (None, "why", True)
    unknown = client.patch(f"/api/runs/{run_id}", json={"status": "SUCCEEDED"})
    assert unknown.status_code == 400 and unknown.get_json()["field"] == "status"
    assert _status(client, run_id)["status"] == "PENDING"


def test_history_filters_by_tag_and_name(app, client):
    tag = f"t{uuid.uuid4().hex[:12]}"
    wanted = _submit(client, name="Momentum_%_test", tags=[tag, "x"])
    _submit(client, name="Momentum other", tags=[f"{tag}2"])
    runs = client.get(f"/api/runs?tag={tag}").get_json()["runs"]
    assert [run["run_id"] for run in runs] == [wanted]
    runs = client.get(f"/api/runs?tag={tag}&q=_%_").get_json()["runs"]
    assert [run["run_id"] for run in runs] == [wanted], "% and _ are text, not wildcards"
    bad = client.get("/api/runs?tag=a%20b")
    assert bad.status_code == 400 and bad.get_json()["field"] == "tag"


def test_history_sorts_by_a_metric_with_missing_values_last(app, client):
    """Numbers compare as numbers (10 after 9, negatives first ascending); a run without
    the metric comes last in both directions."""
    tag = f"s{uuid.uuid4().hex[:12]}"
    values = {"a": 9.5, "b": 10.0, "c": -3.0, "d": None}
    ids = {}
    for name, value in values.items():
        metrics = {} if value is None else {"sharpe_ratio": value}
        ids[name] = add_with_metrics(app, metrics).run_id
        _label(app, ids[name], tag)
    pending = add_pending(app).run_id
    _label(app, pending, tag)

    def order(direction: str) -> list[str]:
        body = client.get(f"/api/runs?tag={tag}&sort=sharpe_ratio&order={direction}").get_json()
        assert (body["sort"], body["order"]) == ("sharpe_ratio", direction)
        names = {run_id: name for name, run_id in ids.items()} | {pending: "p"}
        return [names[run["run_id"]] for run in body["runs"]]

    assert order("desc")[:3] == ["b", "a", "c"]
    assert order("asc")[:3] == ["c", "a", "b"]
    assert set(order("asc")[3:]) == {"d", "p"}


def test_history_sorts_by_a_column(app, client):
    tag = f"c{uuid.uuid4().hex[:12]}"
    first = _submit(client, ticker="testco", tags=[tag], name="b")
    second = _submit(client, tags=[tag], name="a")
    runs = client.get(f"/api/runs?tag={tag}&sort=name&order=asc").get_json()["runs"]
    assert [run["run_id"] for run in runs] == [second, first]
    runs = client.get(f"/api/runs?tag={tag}&sort=created_at&order=asc").get_json()["runs"]
    assert [run["run_id"] for run in runs] == [first, second]


@pytest.mark.parametrize(
    ("query", "field"), [("sort=bogus", "sort"), ("sort=ticker&order=up", "order")]
)
def test_an_invalid_sort_is_a_400_naming_the_parameter(client, query, field):
    response = client.get(f"/api/runs?{query}")
    assert response.status_code == 400
    assert response.get_json()["field"] == field


def test_history_rows_carry_window_sizing_and_direction(app, client):
    tag = f"w{uuid.uuid4().hex[:12]}"
    _submit(client, tags=[tag], direction="longshort", size_type="percent", position_size=50)
    (run,) = client.get(f"/api/runs?tag={tag}").get_json()["runs"]
    assert (run["start_date"], run["end_date"]) == ("2021-02-01", "2021-05-31")
    assert (run["position_size"], run["size_type"], run["direction"]) == (
        50,
        "percent",
        "longshort",
    )


def test_the_status_filter_knows_cancelled(app, client):
    tag = f"k{uuid.uuid4().hex[:12]}"
    run_id = _submit(client, tags=[tag])
    client.post(f"/api/runs/{run_id}/cancel")
    runs = client.get(f"/api/runs?tag={tag}&status=cancelled").get_json()["runs"]
    assert [run["status"] for run in runs] == [RunStatus.CANCELLED]
