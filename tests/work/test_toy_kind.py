"""A new kind is its module plus its registry entry: a toy kind (``tests.work.toy_kind``),
registered in-process and edited nowhere else, goes through the platform's one submission
path, the shared queue, a one-shot consumer that is killed mid-item, the reaper's recovery
and a second consumer, and ends SUCCEEDED with its result — on MariaDB and Redis."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import re
import signal
import sys

import pytest
from redis import Redis
from sqlalchemy import select

from consumer.reaper import queues_to_reap, reap
from kinds.registry import all_kinds, kind_of, register, unregister
from tests.consumer.support import SHORT_MARGIN, children
from tests.stack import wait_until
from tests.work.toy_kind import METADATA, TOY, TOY_ITEMS
from web import blueprints, create_app


@pytest.fixture
def toy(env, sessions):
    """The toy kind registered (and its table created) for one test."""
    engine = sessions.kw["bind"]
    METADATA.create_all(engine)
    register(TOY)
    yield TOY
    unregister(TOY)
    METADATA.drop_all(engine)


def _consume_in_a_fork() -> multiprocessing.Process:
    """``python -m consumer``'s one-shot consume, in a forked process of its own session
    (a pod): it inherits this process's registry, as a pod's image holds its kinds."""

    def consume() -> None:
        os.setsid()
        from consumer.worker import consume_one

        sys.exit(consume_one())

    process = multiprocessing.get_context("fork").Process(target=consume)
    process.start()
    return process


def _kill_pod(process: multiprocessing.Process) -> None:
    """SIGKILL the consumer and its work-horse, as losing the pod does."""
    horses = children(process.pid)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for horse in horses:
        with contextlib.suppress(ProcessLookupError):
            os.kill(horse, signal.SIGKILL)
    process.join(10)


def _row(sessions, toy_id: str):
    with sessions() as session:
        return session.execute(select(TOY_ITEMS).where(TOY_ITEMS.c.toy_id == toy_id)).one()


def test_a_registered_kind_is_known_to_every_shared_piece(toy):
    """Registering is all it takes: the consumer resolves its job name, the reaper lists it,
    the web registers its blueprint and rate-limits its submissions."""
    assert kind_of(toy.function) is toy and toy in all_kinds()
    assert "tests.work.toy_kind" in blueprints()
    app = create_app({"TESTING": True, "SUBMIT_RATE_LIMIT": "1/hour"})
    assert app.extensions["web.ratelimit"][1]["toys.submit"] == "submissions"
    assert os.environ["RQ_QUEUE"] in queues_to_reap()


def test_a_registered_kinds_page_joins_the_navigation_bar_after_the_built_in_kinds(toy):
    """A kind's page module declares its ``NAV``: every page's bar links it after the
    built-in kinds' pages (the registry's order), and marks it active on its own page."""
    client = create_app({"TESTING": True}).test_client()
    home = client.get("/").get_data(as_text=True)
    labels = re.findall(r'class="nav-link[^"]*" href="[^"]*">([^<]+)</a>', home)
    assert labels[:7] == [
        "New run",
        "History",
        "Sweeps",
        "Walk-forward",
        "Portfolios",
        "Studies",
        "Toys",
    ]
    page = client.get("/toys").get_data(as_text=True)
    assert 'nav-link active" href="/toys">Toys</a>' in page
    assert 'nav-link active" href="/sweeps"' not in page


@pytest.mark.slow
def test_a_toy_kind_survives_a_killed_consumer_and_ends_succeeded(
    env, sessions, toy, tmp_path, monkeypatch
):
    """submit → queue → consumer killed mid-item → reaper queues it again → a second
    consumer stores the result: SUCCEEDED after two attempts. The reaper's wait is RQ's
    heartbeat expiry: 2 s + ``SHORT_MARGIN``'s 5 s (the forked consumers inherit it)."""
    for name, value in SHORT_MARGIN.items():
        monkeypatch.setenv(name, value)
    app = create_app({"TESTING": True, **env})
    client = app.test_client()
    block = tmp_path / "first-delivery"
    answer = client.post("/api/toys", json={"n": 7, "block_file": str(block)})
    assert answer.status_code == 202, answer.get_json()
    toy_id = answer.get_json()["toy_id"]
    assert client.get(f"/api/toys/{toy_id}").get_json()["status"] == "PENDING"
    connection = Redis.from_url(env["REDIS_URL"])
    assert connection.lrange(f"rq:queue:{env['RQ_QUEUE']}", 0, -1) == [toy_id.encode()]

    first = _consume_in_a_fork()
    wait_until(block.exists, 30, 0.05, what="the first delivery")
    assert _row(sessions, toy_id).status == "RUNNING"
    _kill_pod(first)

    def requeued() -> bool:
        connection.delete(f"rq:clean_registries:{env['RQ_QUEUE']}")  # a worker's lock
        reap(connection, sessions, env["RQ_QUEUE"])
        return connection.llen(f"rq:queue:{env['RQ_QUEUE']}") == 1

    wait_until(requeued, 150, 0.5, what="the reaper's retry")
    assert _row(sessions, toy_id).status == "RUNNING"

    second = _consume_in_a_fork()
    second.join(60)
    assert second.exitcode == 0
    done = _row(sessions, toy_id)
    assert (done.status, done.attempts, done.square) == ("SUCCEEDED", 2, 49)
    assert client.get(f"/api/toys/{toy_id}").get_json() == {
        "toy_id": toy_id,
        "status": "SUCCEEDED",
        "attempts": 2,
        "square": 49,
    }


def test_a_bad_toy_is_a_400_naming_its_field(env, toy):
    """The kind's own validation answers before anything is recorded."""
    client = create_app({"TESTING": True, **env}).test_client()
    answer = client.post("/api/toys", json={"n": "seven"})
    assert answer.status_code == 400 and answer.get_json()["field"] == "n"
