"""The retention pass (``consumer.retention``) on SQLite and MariaDB: finished runs older
than RESULT_RETENTION_DAYS go, pinned, recent and waiting ones stay; 0 keeps everything."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from consumer import retention
from kinds.runs.contract import parse_request
from kinds.runs.store import insert_pending, mark_cancelled, mark_failed, mark_running
from store.db import create_schema, make_engine, make_sessionmaker
from store.models import BacktestRun
from tests.consumer.support import QUICK_RUN

NOW = datetime(2026, 6, 1, 12, 0, 0)


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def sessions(request):
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "empty_mysql_url")
    engine = make_engine(url)
    create_schema(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def _run(sessions, age_days: float, status: str, *, pinned: bool = False) -> str:
    request = parse_request(QUICK_RUN)
    run_id = request.run_id
    with sessions.begin() as session:
        insert_pending(session, request, None)
        if status == "FAILED":
            mark_running(session, run_id, "w")
            mark_failed(session, run_id, "boom")
        elif status == "CANCELLED":
            mark_cancelled(session, run_id)
        elif status == "RUNNING":
            mark_running(session, run_id, "w")
        session.execute(
            update(BacktestRun)
            .where(BacktestRun.run_id == run_id)
            .values(created_at=NOW - timedelta(days=age_days), pinned=pinned)
        )
    return run_id


def _left(sessions, run_ids) -> set[str]:
    with sessions() as session:
        return {run_id for run_id in run_ids if session.get(BacktestRun, run_id) is not None}


def test_old_unpinned_finished_runs_are_deleted_and_the_rest_kept(sessions):
    old_failed = _run(sessions, 31, "FAILED")
    old_cancelled = _run(sessions, 40, "CANCELLED")
    kept = {
        "pinned": _run(sessions, 31, "FAILED", pinned=True),
        "recent": _run(sessions, 29, "FAILED"),
        "pending": _run(sessions, 60, "PENDING"),
        "running": _run(sessions, 60, "RUNNING"),
    }
    everything = {old_failed, old_cancelled, *kept.values()}

    assert retention.purge(sessions, 30, now=NOW) == 2

    assert _left(sessions, everything) == set(kept.values())
    assert retention.purge(sessions, 30, now=NOW) == 0


def test_deletes_go_in_batches_until_none_is_left(sessions, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    old = [_run(sessions, 10, "FAILED") for _ in range(5)]
    assert retention.purge(sessions, 7, now=NOW) == 5
    assert _left(sessions, old) == set()


def test_zero_days_keeps_every_run(sessions):
    old = _run(sessions, 3650, "FAILED")
    assert retention.purge(sessions, 0, now=NOW) == 0
    assert _left(sessions, [old]) == {old}


@pytest.mark.parametrize(("raw", "days"), [(None, 0), ("", 0), ("0", 0), (" 30 ", 30)])
def test_the_setting_defaults_to_keeping_forever(raw, days):
    environ = {} if raw is None else {"RESULT_RETENTION_DAYS": raw}
    assert retention.retention_days(environ) == days


@pytest.mark.parametrize("raw", ["-1", "1.5", "month"])
def test_a_bad_setting_is_refused(raw):
    with pytest.raises(ValueError, match="RESULT_RETENTION_DAYS"):
        retention.retention_days({"RESULT_RETENTION_DAYS": raw})
