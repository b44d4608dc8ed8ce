"""The queue's maintenance lock (``consumer.maintenance``): a process killed while holding it
stalls RQ's registry cleanup — and the ids it rescues from the intermediate list — for at
most ``MAINTENANCE_LOCK_TTL`` seconds, not RQ's 899 (Redis only)."""

from __future__ import annotations

import time

import pytest
from redis import Redis
from rq import Queue

from consumer import maintenance
from tests.consumer.support import kill_while_holding_maintenance_lock
from tests.stack import wait_until

pytestmark = [pytest.mark.redis]


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
    killed = kill_while_holding_maintenance_lock(redis_url, queue.name, lock_ttl=2)
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
