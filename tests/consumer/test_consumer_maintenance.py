"""The queue's maintenance lock (``consumer.maintenance``): a process killed while holding it
stalls RQ's registry cleanup — and the ids it rescues from the intermediate list — for at
most ``MAINTENANCE_LOCK_TTL`` seconds, not RQ's 899 (Redis only)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
from redis import Redis
from rq import Queue

from consumer import maintenance
from tests.stack import PROJECT_ROOT, wait_until

pytestmark = [pytest.mark.redis]

KILLED_HOLDER = textwrap.dedent(
    """
    import os, signal, sys
    from redis import Redis
    from rq import Queue
    from consumer import maintenance

    maintenance.MAINTENANCE_LOCK_TTL = 2  # the test's short lock
    maintenance.clean_registries = lambda queue: os.kill(os.getpid(), signal.SIGKILL)
    queue = Queue(sys.argv[2], connection=Redis.from_url(sys.argv[1]))
    maintenance.clean_queue_registries(queue)
    """
)
"""A process that takes the maintenance lock and is SIGKILLed in the middle of the cleanup
(a consumer's pod killed at its start-up cleanup)."""


@pytest.fixture
def queue(redis_url) -> Queue:
    connection = Redis.from_url(redis_url)
    connection.delete("rq:clean_registries:maint")
    return Queue("maint", connection=connection)


def test_a_lock_left_by_a_killed_holder_stops_blocking_cleanup_after_its_short_life(
    redis_url, queue
):
    """The killed holder's lock blocks the next cleanup, then expires within its short
    life (2 s here; RQ's own would hold for 899 s) and the cleanup runs again."""
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_HOLDER, redis_url, queue.name],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -9, killed.stderr
    assert queue.connection.exists(queue.registry_cleaning_key), "the dead holder's lock"
    assert not maintenance.clean_queue_registries(queue), "blocked while the lock lives"
    assert 0 < queue.connection.ttl(queue.registry_cleaning_key) <= 2
    begun = time.monotonic()
    wait_until(lambda: maintenance.clean_queue_registries(queue), 10, 0.2, what="cleanup")
    assert time.monotonic() - begun < 3


def test_a_lock_taken_with_rqs_long_life_is_cut_to_the_short_one(queue):
    """A lock taken by RQ's own acquisition (899 s: an older consumer, RQ's worker) is cut
    to ``MAINTENANCE_LOCK_TTL`` by the first cleanup that finds it."""
    assert queue.acquire_maintenance_lock()
    assert queue.connection.ttl(queue.registry_cleaning_key) > maintenance.MAINTENANCE_LOCK_TTL
    assert not maintenance.clean_queue_registries(queue)
    assert 0 < queue.connection.ttl(queue.registry_cleaning_key) <= maintenance.MAINTENANCE_LOCK_TTL


def test_a_cleanup_releases_its_lock_but_never_another_holders(queue):
    """A finished cleanup leaves no lock; a holder whose lock expired and was taken by
    another process does not release the other's."""
    assert maintenance.clean_queue_registries(queue)
    assert not queue.connection.exists(queue.registry_cleaning_key)
    token = maintenance.acquire_maintenance_lock(queue)
    assert token is not None and maintenance.acquire_maintenance_lock(queue) is None
    queue.connection.set(queue.registry_cleaning_key, "another holder")
    maintenance.release_maintenance_lock(queue, token)
    assert queue.connection.get(queue.registry_cleaning_key) == b"another holder"
