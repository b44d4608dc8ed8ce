"""The fair order of a queue list and the record of its items' clients (``work.fair``),
against the test Redis: rounds interleave clients stably, an item with no recorded client
(a reaper's or RQ's requeue) is a client of its own, a list already in order is left alone,
a client's waiting items are counted from the list, and entries of ids no longer listed go
once their grace is over while the whole hash expires."""

from __future__ import annotations

import pytest
from redis import Redis

from work import fair
from work.fair import (
    CLIENTS_TTL_S,
    check_client_room,
    clients_key,
    forget_taken,
    interleave,
    note_clients,
    place,
    rounds_key,
    waiting_of,
)

KEY = "rq:queue:fair-tests"


@pytest.fixture
def redis(redis_url: str):
    client = Redis.from_url(redis_url)
    yield client
    client.close()


def queue(redis: Redis, client: str | None, *ids: str) -> None:
    """Queue ``ids`` as ``client``'s (None: pushed with no client, as a requeue is)."""
    if client is not None:
        note_clients(redis, KEY, client, ids)
    redis.rpush(KEY, *ids)


def listed(redis: Redis) -> list[str]:
    return [item.decode() for item in redis.lrange(KEY, 0, -1)]


def test_rounds_interleave_clients_in_the_order_they_were_queued(redis):
    """A's a1..a4, B's b1 b2, C's c1: a1 b1 c1 | a2 b2 | a3 | a4."""
    queue(redis, "A", "a1", "a2", "a3", "a4")
    queue(redis, "B", "b1", "b2")
    queue(redis, "C", "c1")
    assert interleave(redis, KEY) == 6
    assert listed(redis) == ["a1", "b1", "c1", "a2", "b2", "a3", "a4"]


def test_an_item_with_no_recorded_client_is_a_client_of_its_own(redis):
    """Two requeued ids after A's three are each in round 1: they come right after a1."""
    queue(redis, "A", "a1", "a2", "a3")
    queue(redis, None, "r1", "r2")
    interleave(redis, KEY)
    assert listed(redis) == ["a1", "r1", "r2", "a2", "a3"]


def test_a_list_in_fair_order_is_not_rewritten(redis):
    """Interleaving twice: the second pass moves nothing; one client alone never moves."""
    queue(redis, "A", "a1", "a2")
    assert interleave(redis, KEY) == 0
    queue(redis, "B", "b1")
    assert interleave(redis, KEY) == 2
    assert interleave(redis, KEY) == 0
    assert listed(redis) == ["a1", "b1", "a2"]


def test_a_clients_waiting_items_are_counted_from_the_list(redis):
    """Only listed ids count: one taken by a consumer no longer does."""
    queue(redis, "A", "a1", "a2", "a3")
    queue(redis, "B", "b1")
    assert (waiting_of(redis, KEY, "A"), waiting_of(redis, KEY, "B")) == (3, 1)
    redis.lpop(KEY)
    assert waiting_of(redis, KEY, "A") == 2
    assert waiting_of(redis, KEY, "nobody") == 0


def test_clients_of_ids_no_longer_listed_go_after_their_grace(redis, monkeypatch):
    """An id taken from the list keeps its entry during the grace (a submission may still be
    enqueueing ids it recorded), then the next pass drops it; the hash always expires."""
    queue(redis, "A", "a1", "a2")
    note_clients(redis, KEY, "B", ["b1"])  # recorded, not pushed yet
    redis.lpop(KEY)
    interleave(redis, KEY)
    assert sorted(redis.hkeys(clients_key(KEY))) == [b"a1", b"a2", b"b1"]
    monkeypatch.setattr(fair, "CLIENT_GRACE_S", -60)  # every entry is past its grace
    interleave(redis, KEY)
    assert redis.hkeys(clients_key(KEY)) == [b"a2"]
    assert 0 < redis.ttl(clients_key(KEY)) <= CLIENTS_TTL_S


def test_six_thousand_items_are_ordered_in_one_pass(redis):
    """The sweep queue's capacity: 5,472 of A's, then 528 of B's, alternate from the head;
    the list keeps its 6,000 ids."""
    a = [f"a{i}" for i in range(5472)]
    b = [f"b{i}" for i in range(528)]
    queue(redis, "A", *a)
    queue(redis, "B", *b)
    interleave(redis, KEY)
    order = listed(redis)
    assert order[:4] == ["a0", "b0", "a1", "b1"]
    assert order[1055:1057] == ["b527", "a528"]
    assert redis.llen(KEY) == 6000 and sorted(order) == sorted(a + b)


def submit(redis: Redis, client: str, *ids: str) -> None:
    """What a submission does: record the client, push the ids (RQ), place them."""
    queue(redis, client, *ids)
    place(redis, KEY, client, ids)


def test_placing_moves_each_new_id_to_the_end_of_its_round(redis):
    """A's a1..a3, then B's b1, then C's c1 c2, then A's a4: a1 b1 c1 | a2 c2 | a3 | a4,
    the same order a full interleave gives, and the list keeps every id once."""
    submit(redis, "A", "a1", "a2", "a3")
    submit(redis, "B", "b1")
    submit(redis, "C", "c1", "c2")
    submit(redis, "A", "a4")
    assert listed(redis) == ["a1", "b1", "c1", "a2", "c2", "a3", "a4"]
    assert interleave(redis, KEY) == 0


def test_a_client_back_after_its_items_were_taken_starts_at_the_current_round(redis):
    """A's three are queued and two taken: B's first round is the head's (a3's, round 3),
    so b1 is second, and A's a4 (round 4) comes after B's b2 (round 4, placed first)."""
    submit(redis, "A", "a1", "a2", "a3")
    redis.lpop(KEY, 2)
    submit(redis, "B", "b1", "b2")
    submit(redis, "A", "a4")
    assert listed(redis) == ["a3", "b1", "b2", "a4"]


def test_ids_pushed_by_others_in_between_are_kept_in_their_order(redis):
    """Another submission's ids pushed after this one's (not yet placed) stay, in order."""
    submit(redis, "A", "a1", "a2")
    queue(redis, "B", "b1")
    redis.rpush(KEY, "r1")  # a requeue with no client, pushed meanwhile
    place(redis, KEY, "B", ["b1"])
    assert sorted(listed(redis)) == ["a1", "a2", "b1", "r1"]
    assert listed(redis)[:2] == ["a1", "b1"] and listed(redis).index("a2") < listed(redis).index(
        "r1"
    )


def test_the_share_check_recounts_only_when_its_estimate_says_full(redis):
    """With a share of 2, A's two waiting refuse a third; once one left the list (not by
    our code), the recount finds room."""
    submit(redis, "A", "a1")
    submit(redis, "A", "a2")
    with pytest.raises(fair.ClientFull):
        check_client_room(redis, KEY, "A", 1, 2, "LIMIT")
    redis.lrem(KEY, 0, "a1")
    check_client_room(redis, KEY, "A", 1, 2, "LIMIT")


def test_forget_taken_drops_the_entries_of_ids_no_longer_queued(redis, monkeypatch):
    """Of two recorded ids past their grace, the one whose job is still queued keeps its
    client and round; the one whose job is gone loses both."""
    submit(redis, "A", "a1", "a2")
    redis.hset("rq:job:a1", "status", "queued")
    assert forget_taken(redis, KEY) == 0  # within the grace: kept
    monkeypatch.setattr(fair, "CLIENT_GRACE_S", -60)
    assert forget_taken(redis, KEY) == 1
    assert redis.hkeys(clients_key(KEY)) == [b"a1"]
    assert redis.hkeys(rounds_key(KEY)) == [b"a1"]
    redis.delete("rq:job:a1")
