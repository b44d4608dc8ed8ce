"""The web API against the real MariaDB/MySQL (TEST_DATABASE_URL) and real Redis: the
submit happy path, conflicts, status with a large result, history and presets."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from kinds.runs.contract import parse_request
from kinds.runs.serialize import to_json
from kinds.runs.store import mark_running, mark_succeeded
from tests.web.support import app_with_data, job_payload, queue_key, serve, valid_request
from web.body import NOT_UNICODE
from web.db import get_database
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


@pytest.fixture
def app(mysql_url, redis_url, tmp_path: Path):
    yield from serve(app_with_data(mysql_url, redis_url, tmp_path))


def test_submit_on_mysql_records_pending_and_enqueues(app, client, redis):
    """POST → 202, a PENDING row in MySQL, and a queued JSON job named by the run_id."""
    response = client.post("/run_backtest", json=valid_request())
    assert response.status_code == 202
    run_id = response.get_json()["run_id"]
    status = client.get(f"/status/{run_id}").get_json()
    assert status["status"] == "PENDING"
    assert status["created_at"].endswith("+00:00")
    assert redis.lrange(queue_key(app), 0, -1) == [run_id.encode()]
    job = redis.hgetall(f"rq:job:{run_id}")
    assert job[b"status"] == b"queued"
    assert job_payload(job[b"data"])[2] == [parse_request(valid_request(run_id=run_id)).to_dict()]


def test_existing_run_id_on_mysql_is_409(client):
    """MySQL's primary key turns a repeated run_id into a 409."""
    run_id = str(uuid.uuid4())
    assert client.post("/run_backtest", json=valid_request(run_id=run_id)).status_code == 202
    response = client.post("/run_backtest", json=valid_request(run_id=run_id))
    assert response.status_code == 409
    assert response.get_json()["field"] == "run_id"


def test_status_serves_a_result_larger_than_a_mysql_text(app, client):
    """A SUCCEEDED result over 64 KiB (LONGTEXT) comes back whole."""
    run_id = client.post("/run_backtest", json=valid_request()).get_json()["run_id"]
    result = {"run_id": run_id, "status": "SUCCEEDED", "chart_base64": "A" * 200_000}
    with get_database(app).sessionmaker.begin() as session:
        assert mark_running(session, run_id, "worker")
        assert mark_succeeded(
            session,
            run_id,
            result_json=to_json(result),
            metrics={"num_trades": 0},
            data_hash="0" * 64,
            engine_version="1.0.0",
        )
    body = client.get(f"/status/{run_id}").get_json()
    assert body["status"] == RunStatus.SUCCEEDED
    assert body["result"] == result
    assert body["metrics"] == {"num_trades": 0}


def test_history_on_mysql_is_newest_first_and_filtered(app, client):
    """/api/runs pages and filters the MySQL rows, newest first."""
    ids = [client.post("/run_backtest", json=valid_request()).get_json()["run_id"] for _ in "abc"]
    body = client.get("/api/runs?per_page=2").get_json()
    assert [run["run_id"] for run in body["runs"]] == ids[::-1][:2]
    assert (body["total"], body["pages"]) == (3, 2)
    page2 = client.get("/api/runs?per_page=2&page=2").get_json()
    assert [run["run_id"] for run in page2["runs"]] == [ids[0]]
    assert client.get("/api/runs?status=SUCCEEDED").get_json()["total"] == 0
    assert client.get("/api/runs?ticker=testco&rule=SMA_CROSS").get_json()["total"] == 3
    assert json.dumps(body["runs"][0]["params"]) == '{"fast": 3, "slow": 8}'


def test_presets_on_mysql_keep_markup_and_refuse_duplicates(client):
    """Preset names round-trip verbatim through MySQL and a duplicate is a 409."""
    name = "<script>alert('é☃')</script>"
    created = client.post("/api/strategies", json={"name": name, "payload": {"fast": 5}})
    assert created.status_code == 201
    assert client.get("/api/strategies").get_json()[0]["name"] == name
    again = client.post("/api/strategies", json={"name": name, "payload": {}})
    assert again.status_code == 409
    preset_id = created.get_json()["id"]
    assert client.delete(f"/api/strategies/{preset_id}").status_code == 204
    assert client.delete(f"/api/strategies/{preset_id}").status_code == 404


RAW_SURROGATE = b"\xed\xa0\x80"
"""The UTF-8 encoder's bytes for U+D800, a lone surrogate: no valid UTF-8 (issue 23 §9)."""


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [
        ("POST", b'{"name": "p' + RAW_SURROGATE + b'", "payload": {}}', "name"),
        ("POST", b'{"name": "p", "payload": {"notes": "' + RAW_SURROGATE + b'"}}', "payload.notes"),
        ("PUT", b'{"name": "' + RAW_SURROGATE + b'", "payload": {}}', "name"),
    ],
)
def test_raw_surrogate_bytes_in_a_preset_are_a_400_on_mysql_and_nothing_is_stored(
    client, method, body, field
):
    """Raw surrogate bytes in a preset's name were a 500 from the MySQL driver and were stored
    inside its payload: a 400 naming the field, and the presets stay as they were."""
    target = client.post("/api/strategies", json={"name": "target", "payload": {"fast": 5}})
    path = "/api/strategies" if method == "POST" else f"/api/strategies/{target.get_json()['id']}"
    response = client.open(path, method=method, data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json() == {"error": NOT_UNICODE, "field": field}
    presets = client.get("/api/strategies").get_json()
    assert [(p["name"], p["payload"]) for p in presets] == [("target", {"fast": 5})]
