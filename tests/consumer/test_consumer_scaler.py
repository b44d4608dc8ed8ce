"""consumer.scaler's log: a poll line when the counts change (an idle scaler wrote one every
2 s), and a failing poll logged once with its traceback, then once when it works again (a
lost Redis printed a traceback every interval); and the starting consumers it records for
the queue panel (work.starting); and its polls at a fixed rate, as KEDA's ticker."""

from __future__ import annotations

import logging

import pytest
from redis import Redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from consumer.scaler import DEFAULT_MANIFESTS, LocalScaler, manifest_paths
from consumer.scaling import load_scaled_job
from work.starting import read_starting, starting_key

pytestmark = pytest.mark.redis


@pytest.fixture
def scaler(redis_url):
    connection = Redis.from_url(redis_url)
    scaler = LocalScaler(load_scaled_job(manifest_paths()[0]), connection, command=["true"])
    yield scaler
    scaler.shutdown(grace=5)
    connection.close()


def _poll_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("queue=")]


def test_an_idle_scaler_logs_its_counts_once_and_again_only_when_they_change(
    scaler, caplog, redis_url
):
    caplog.set_level(logging.INFO, logger="consumer.scaler")
    for _ in range(5):
        scaler.poll_once()
    assert _poll_lines(caplog) == [
        f"queue=0 running=0 pending=0 started=0 list={scaler.spec.list_name}"
    ]
    scaler.connection.rpush(scaler.spec.list_name, "some-run")
    scaler.poll_once()
    assert _poll_lines(caplog)[-1].startswith("queue=1 ")


def test_a_failing_poll_is_logged_once_and_its_recovery_once(scaler, caplog):
    caplog.set_level(logging.INFO, logger="consumer.scaler")
    working = scaler.connection
    # a closed port, refused at once: without retries (redis-py's default retries each
    # command ten times with a backoff, ~4 s a poll) a failing poll costs no wait
    scaler.connection = Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    for _ in range(4):
        scaler._poll_logging_failures()
    failures = [r for r in caplog.records if r.getMessage().startswith("poll failed")]
    assert len(failures) == 1 and failures[0].exc_info is not None
    scaler.connection = working
    scaler._poll_logging_failures()
    scaler._poll_logging_failures()
    recovered = [r for r in caplog.records if r.getMessage().startswith("polling works again")]
    assert len(recovered) == 1


@pytest.fixture
def sleeping_scaler(redis_url):
    """A scaler whose consumers are processes that sleep (never register, never claim)."""
    connection = Redis.from_url(redis_url)
    scaler = LocalScaler(load_scaled_job(DEFAULT_MANIFESTS[0]), connection, command=["sleep", "30"])
    connection.delete(scaler.spec.list_name, starting_key(scaler.queue_name))
    yield scaler
    scaler.shutdown(grace=5)
    connection.delete(scaler.spec.list_name)
    connection.close()


def test_started_consumers_are_recorded_as_starting_until_they_claim(sleeping_scaler):
    """Each consumer the scaler launches is in the starting record (with its HOSTNAME and
    an expiry) until its claim file appears; shutting down clears the record."""
    scaler = sleeping_scaler
    scaler.connection.rpush(scaler.spec.list_name, "run-a", "run-b")
    assert scaler.poll_once().started == 2
    starting = read_starting(scaler.connection, scaler.queue_name)
    assert [c.name for c in starting] == ["local-consumer-1", "local-consumer-2"]
    assert all(c.started_at.endswith("+00:00") for c in starting)
    assert 0 < scaler.connection.ttl(starting_key(scaler.queue_name)) <= scaler.starting_ttl
    scaler.consumers[0].claim_file.touch()
    scaler.connection.lpop(scaler.spec.list_name)
    scaler.poll_once()
    assert [c.name for c in read_starting(scaler.connection, scaler.queue_name)] == [
        "local-consumer-2"
    ]
    scaler.shutdown(grace=5)
    assert scaler.connection.exists(starting_key(scaler.queue_name)) == 0


def test_an_idle_scaler_records_no_starting_consumers(scaler):
    """No queue, no consumers: the record is an empty list (the panel shows 0 starting)."""
    scaler.poll_once()
    assert read_starting(scaler.connection, scaler.queue_name) == []
    assert scaler.connection.exists(starting_key(scaler.queue_name)) == 1


def test_polls_keep_their_rate_when_a_poll_takes_long(redis_url):
    """As KEDA's ticker: a poll that takes half the interval (here the reaper's pass) does
    not push the next one back by as much (polled every 1.5 s instead of 1 s, a run queued
    just after a poll waited that much longer for its Job)."""
    import dataclasses
    import itertools
    import threading
    import time

    connection = Redis.from_url(redis_url)
    spec = dataclasses.replace(load_scaled_job(manifest_paths()[0]), polling_interval=1)
    passes: list[float] = []

    def slow_reaper() -> None:
        passes.append(time.monotonic())
        time.sleep(0.5)

    scaler = LocalScaler(
        spec, connection, command=["true"], reaper=slow_reaper, reaper_interval=0.0
    )
    stop = threading.Event()
    polling = threading.Thread(target=scaler.run, args=(stop,))
    polling.start()
    time.sleep(3.3)
    stop.set()
    polling.join(10)
    connection.close()
    gaps = [later - earlier for earlier, later in itertools.pairwise(passes)]
    assert len(passes) >= 4 and all(0.8 < gap < 1.25 for gap in gaps), gaps
