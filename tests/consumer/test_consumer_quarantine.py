"""Hostile queue entries (MariaDB + Redis): an id RQ refuses, a job hash it cannot parse,
data that is not JSON, a function nobody registered. Each is quarantined on its own — logged,
recorded on ``rq:quarantine:<queue>``, its hash kept aside — and recovery goes on: the
reaper still reconciles the database, consumers still run the good entries."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consumer import reaper
from consumer.quarantine import quarantine_key, quarantined, quarantined_job_key
from tests.consumer.support import consumer, finish, quick_run, stored_run
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


@pytest.fixture(autouse=True)
def no_grace(monkeypatch):
    monkeypatch.setattr(reaper, "PENDING_GRACE", timedelta(0))
    monkeypatch.setattr(reaper, "RUNNING_GRACE", timedelta(0))


def _listed(queue) -> list[str]:
    connection = queue.connection
    return [
        entry.decode()
        for key in (queue.key, queue.intermediate_queue_key)
        for entry in connection.lrange(key, 0, -1)
    ]


def test_an_id_rq_refuses_is_quarantined_and_the_reconcile_still_runs(sessions, queue):
    """An id with a space ("a b") in the list and the intermediate list made every RQ
    cleanup raise: now it is moved aside, the lock is free, and a PENDING run whose job
    vanished is requeued in the same pass."""
    connection = queue.connection
    connection.rpush(queue.key, "a b")
    connection.rpush(queue.intermediate_queue_key, "a b")
    orphan = quick_run(sessions, queue, enqueue=False)

    report = reaper.reap(connection, sessions, queue.name)

    assert report.rq_cleaned and report.requeued == [orphan]
    assert _listed(queue) == [orphan]
    records = quarantined(queue)
    assert [r["id"] for r in records] == ["a b"]
    assert "letters, numbers, underscores and dashes" in records[0]["reason"]
    assert not connection.exists(queue.registry_cleaning_key), "maintenance lock released"


@pytest.mark.parametrize(
    ("field", "value"),
    [("created_at", "yesterday"), ("timeout", "soon"), ("status", "bogus"), ("retries_left", "x")],
)
def test_a_job_hash_rq_cannot_parse_is_set_aside_and_its_run_is_queued_again(
    sessions, queue, field, value
):
    """The database decides what runs: the run behind a corrupt hash gets a fresh job from
    its stored request; the corrupt hash is kept for the operator."""
    run_id = quick_run(sessions, queue)
    connection = queue.connection
    connection.hset(f"rq:job:{run_id}", field, value)

    report = reaper.reap(connection, sessions, queue.name)

    assert report.requeued == [run_id] and report.failed == []
    assert [r["id"] for r in quarantined(queue)] == [run_id]
    assert "job hash cannot be read" in quarantined(queue)[0]["reason"]
    assert connection.hget(quarantined_job_key(run_id), field).decode() == value
    assert connection.hget(f"rq:job:{run_id}", field).decode() != value, "a fresh job"
    assert _listed(queue) == [run_id]


def test_a_pending_run_whose_id_was_removed_from_the_list_is_pushed_back(sessions, queue):
    """``LREM`` left the job hash (status queued) but no id to pop: the reaper pushes it."""
    run_id = quick_run(sessions, queue)
    queue.connection.lrem(queue.key, 0, run_id)
    assert _listed(queue) == []

    report = reaper.reap(queue.connection, sessions, queue.name)

    assert report.requeued == [run_id] and _listed(queue) == [run_id]
    assert reaper.reap(queue.connection, sessions, queue.name).requeued == [], "once"


def test_one_bad_entry_among_good_ones_costs_only_itself(sessions, queue):
    """Quarantine is one entry at a time: the good ids around it stay queued, in order."""
    first = quick_run(sessions, queue)
    queue.connection.rpush(queue.key, "bad id!")
    second = quick_run(sessions, queue)

    reaper.reap(queue.connection, sessions, queue.name)

    assert _listed(queue) == [first, second]
    assert [r["id"] for r in quarantined(queue)] == ["bad id!"]


def test_the_quarantine_record_list_is_bounded(sessions, queue, monkeypatch):
    from consumer import quarantine

    monkeypatch.setattr(quarantine, "QUARANTINE_KEEP", 3)
    for n in range(5):
        queue.connection.rpush(queue.key, f"bad {n}")
    reaper.reap(queue.connection, sessions, queue.name)
    assert queue.connection.llen(quarantine_key(queue.name)) == 3
    assert _listed(queue) == []


@pytest.mark.slow  # consumer processes
def test_a_consumer_quarantines_what_it_cannot_execute_and_exits_zero(env, sessions, queue):
    """Data that is not JSON and a function nobody registered are never executed: each
    consumer logs one line, exits 0 (a failed Kubernetes Job would be retried), and the
    next consumer runs the good run behind them."""
    connection = queue.connection
    queue.enqueue("builtins.print", "not ours", job_id="stranger")
    queue.enqueue("builtins.print", "not json", job_id="garbled")
    connection.hset("rq:job:garbled", "data", b"\x00not json")
    connection.rpush(queue.key, "a b")
    good = quick_run(sessions, queue)

    logs = []
    for _ in range(3):
        code, log = finish(consumer(env))
        assert code == 0, log
        assert "Traceback" not in log, log
        logs.append(log)

    assert "not a registered kind of work" in logs[0]
    assert "cannot be deserialised" in logs[1]
    assert stored_run(sessions, good).status == RunStatus.SUCCEEDED, logs[2]
    assert {r["id"] for r in quarantined(queue)} == {"stranger", "garbled", "a b"}
    assert not connection.exists("rq:job:stranger") and not connection.exists("rq:job:garbled")


@pytest.mark.slow  # a consumer process
def test_a_job_naming_any_other_callable_is_refused_without_importing_or_running_it(
    env, sessions, queue, tmp_path
):
    """The queue is a trust boundary: whoever can write to Redis can name any importable
    callable. ``os.system`` with a shell command and a function in a module that marks its
    own import are quarantined by name: the command never runs, the module is never
    imported, the consumer exits 0 and the next consumer runs the good run behind them."""
    ran = tmp_path / "os-system-ran"
    marker = tmp_path / "module-imported"
    queue.enqueue("os.system", f"touch {ran}", job_id="shell")
    queue.enqueue("tests.consumer.import_marker.anything", "x", job_id="importer")
    good = quick_run(sessions, queue)
    logs = []
    for _ in range(3):
        code, log = finish(consumer(env, IMPORT_MARKER=str(marker)))
        assert code == 0, log
        logs.append(log)
    assert not ran.exists(), "os.system ran"
    assert not marker.exists(), "the job's module was imported"
    assert "'os.system' is not a registered kind of work" in logs[0]
    assert "is not a registered kind of work" in logs[1]
    assert stored_run(sessions, good).status == RunStatus.SUCCEEDED, logs[2]
    assert {"shell", "importer"} <= {r["id"] for r in quarantined(queue)}
