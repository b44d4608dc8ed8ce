"""Tests for web/api/runs/history.py: GET /api/runs ordering, pagination, filters and 400s."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from kinds.runs.contract import RunRequest
from kinds.runs.store import insert_pending, mark_failed, mark_running, mark_succeeded
from store.models import BacktestRun
from web.db import get_database
from work.status import RunStatus

pytestmark = pytest.mark.redis

T0 = datetime(2024, 5, 1, 9, 0, 0)

SUMMARY_KEYS = [
    "run_id",
    "status",
    "ticker",
    "rule_type",
    "rule_id",
    "params",
    "metrics",
    "attempts",
    "created_at",
    "started_at",
    "completed_at",
    "error_message",
    "created_by",
    "start_date",
    "end_date",
    "position_size",
    "size_type",
    "direction",
    "name",
    "tags",
    "notes",
    "pinned",
    "shared",
    "cached",
    "cached_from",
]


def add_run(
    app, minutes: int, *, ticker: str = "ACME", rule_type: str = "RSI", status: str = "PENDING"
) -> str:
    """Insert a run created ``minutes`` after T0 and move it to ``status``; its run_id."""
    request = RunRequest(
        run_id=str(uuid.uuid4()),
        ticker=ticker,
        rule_type=rule_type,
        start_date="2020-01-01",
        end_date="2020-12-31",
        params={"period": minutes},
        rule_id=f"{rule_type.lower()}-{minutes}",
    )
    with get_database(app).sessionmaker.begin() as session:
        insert_pending(session, request, None)
        session.execute(
            update(BacktestRun)
            .where(BacktestRun.run_id == request.run_id)
            .values(created_at=T0 + timedelta(minutes=minutes))
        )
        if status in (RunStatus.RUNNING, RunStatus.SUCCEEDED):
            mark_running(session, request.run_id, "w")
        if status == RunStatus.SUCCEEDED:
            mark_succeeded(
                session,
                request.run_id,
                result_json=json.dumps({"huge": "x" * 1000}),
                metrics={"num_trades": minutes},
                data_hash=None,
                engine_version="1",
            )
        if status == RunStatus.FAILED:
            mark_failed(session, request.run_id, f"failed {minutes}")
    return request.run_id


def test_history_is_newest_first_with_summaries(app, client):
    """Runs come newest first, each a summary without request or result."""
    ids = [add_run(app, minutes) for minutes in range(5)]
    body = client.get("/api/runs").get_json()
    assert [run["run_id"] for run in body["runs"]] == ids[::-1]
    assert (body["page"], body["per_page"], body["total"], body["pages"]) == (1, 50, 5, 1)
    first = body["runs"][0]
    assert list(first) == SUMMARY_KEYS
    assert first["params"] == {"period": 4}
    assert first["created_at"] == "2024-05-01T09:04:00+00:00"
    assert first["metrics"] is None


def test_history_shows_metrics_and_errors_of_finished_runs(app, client):
    """A SUCCEEDED summary has its metrics object; a FAILED one its error message."""
    add_run(app, 1, status=RunStatus.SUCCEEDED)
    add_run(app, 2, status=RunStatus.FAILED)
    failed, succeeded = client.get("/api/runs").get_json()["runs"]
    assert succeeded["status"] == "SUCCEEDED"
    assert succeeded["metrics"] == {"num_trades": 1}
    assert succeeded["attempts"] == 1
    assert succeeded["started_at"].endswith("+00:00")
    assert succeeded["completed_at"].endswith("+00:00")
    assert "result" not in succeeded
    assert failed["status"] == "FAILED"
    assert failed["error_message"] == "failed 2"


def test_history_is_empty_without_runs(client):
    """An empty history has no runs and zero pages."""
    assert client.get("/api/runs").get_json() == {
        "runs": [],
        "page": 1,
        "per_page": 50,
        "total": 0,
        "pages": 0,
        "sort": "created_at",
        "order": "desc",
    }


def test_history_pages_split_the_runs_in_order(app, client):
    """Pages of 3 over 7 runs hold 3, 3 and 1 runs; a page past the end is empty."""
    ids = [add_run(app, minutes) for minutes in range(7)][::-1]
    seen = []
    for page in (1, 2, 3):
        body = client.get(f"/api/runs?page={page}&per_page=3").get_json()
        assert (body["page"], body["per_page"], body["total"], body["pages"]) == (page, 3, 7, 3)
        seen += [run["run_id"] for run in body["runs"]]
    assert seen == ids
    past = client.get("/api/runs?page=4&per_page=3").get_json()
    assert past["runs"] == [] and past["total"] == 7


def test_history_filters_by_status_ticker_and_rule(app, client):
    """Each filter keeps only matching runs, and filters combine."""
    a = add_run(app, 1, ticker="ACME", rule_type="RSI", status=RunStatus.SUCCEEDED)
    b = add_run(app, 2, ticker="ACME", rule_type="MACD", status=RunStatus.FAILED)
    c = add_run(app, 3, ticker="HOOLI", rule_type="RSI", status=RunStatus.SUCCEEDED)
    d = add_run(app, 4, ticker="HOOLI", rule_type="SMA_CROSS")

    def ids(query: str) -> list[str]:
        body = client.get(f"/api/runs?{query}").get_json()
        assert body["total"] == len(body["runs"])
        return [run["run_id"] for run in body["runs"]]

    assert ids("status=SUCCEEDED") == [c, a]
    assert ids("status=failed") == [b]
    assert ids("status=PENDING") == [d]
    assert ids("status=RUNNING") == []
    assert ids("ticker=ACME") == [b, a]
    assert ids("ticker=hooli") == [d, c]
    assert ids("rule=RSI") == [c, a]
    assert ids("rule=sma-cross") == [d]
    assert ids("ticker=HOOLI&rule=RSI&status=SUCCEEDED") == [c]
    assert ids("ticker=&rule=&status=") == [d, c, b, a]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=abc", "page"),
        ("page=1.5", "page"),
        ("page=1_000", "page"),
        ("page=9999999999", "page"),
        ("per_page=0", "per_page"),
        ("per_page=201", "per_page"),
        ("per_page=ten", "per_page"),
        ("status=DONE", "status"),
        ("status=PENDING,FAILED", "status"),
        ("ticker=../etc/passwd", "ticker"),
        ("ticker=AAPL;rm", "ticker"),
        ("rule=NO_SUCH_RULE", "rule"),
    ],
)
def test_invalid_query_parameter_is_400_naming_it(client, query, field):
    """Each invalid query value is a 400 whose field is the query parameter."""
    response = client.get(f"/api/runs?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["field"] == field
    assert body["error"]


def test_per_page_bounds_are_accepted(app, client):
    """per_page 1 and 200 are both valid."""
    add_run(app, 1)
    add_run(app, 2)
    assert len(client.get("/api/runs?per_page=1").get_json()["runs"]) == 1
    assert client.get("/api/runs?per_page=200").get_json()["per_page"] == 200
