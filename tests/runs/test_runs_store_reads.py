"""The run-page reads of kinds/runs/store.py on a temporary SQLite database: the run page's row
without its result, summaries by id in the asked order, and the stored result text."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from sqlalchemy import inspect

from kinds.runs.store import (
    HEADER_COLUMNS,
    get_result_text,
    get_run_header,
    get_run_summaries,
)
from tests.web.support import app_with_data, serve
from tests.web.support_dashboard import add_failed, add_pending, add_succeeded
from web.db import get_database

pytestmark = pytest.mark.redis


@pytest.fixture
def app(sqlite_url, redis_url, tmp_path: Path):
    yield from serve(app_with_data(sqlite_url, redis_url, tmp_path))


def test_run_header_leaves_the_result_unloaded(app):
    """Every column but result_json is loaded; unknown ids give None."""
    request, result = add_succeeded(app)
    with get_database(app).sessionmaker() as session:
        row = get_run_header(session, request.run_id)
        unloaded = inspect(row).unloaded
        assert "result_json" in unloaded
        assert not {column.key for column in HEADER_COLUMNS} & unloaded
        assert json.loads(row.request_json) == request.to_dict()
        assert row.data_hash == result["data_hash"]
        assert get_run_header(session, str(uuid.uuid4())) is None


def test_summaries_come_in_the_order_asked_without_results(app):
    """Rows of existing ids, in the given order; unknown ids are left out."""
    first = add_pending(app).run_id
    second = add_failed(app, "boom").run_id
    with get_database(app).sessionmaker() as session:
        rows = get_run_summaries(session, [second, str(uuid.uuid4()), first])
        assert [row.run_id for row in rows] == [second, first]
        assert all("result_json" in inspect(row).unloaded for row in rows)
        assert get_run_summaries(session, []) == []


def test_result_text_is_the_stored_json_with_the_status(app):
    """(status, result text) of a run; None text before it succeeded; None for no run."""
    request, result = add_succeeded(app)
    waiting = add_pending(app)
    with get_database(app).sessionmaker() as session:
        status, text = get_result_text(session, request.run_id)
        assert status == "SUCCEEDED"
        assert json.loads(text) == result
        assert get_result_text(session, waiting.run_id) == ("PENDING", None)
        assert get_result_text(session, str(uuid.uuid4())) is None
