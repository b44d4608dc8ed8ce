"""Fair shares of the queues between clients (``work.fair`` through ``web.submit``): each
accepted submission leaves its queue in an order that interleaves clients — one client's
pile never makes another's single item wait behind all of it — and a client with its share
waiting (RUN_MAX_PENDING_PER_CLIENT, SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT) is refused 429
naming the setting while other clients are still accepted. The client is the token's name,
else the address. The list stays one list of the queued ids, whose length KEDA counts."""

from __future__ import annotations

import pytest
from redis import Redis

from kinds.sweeps.kind import CHUNK
from tests.web.support import app_with_schema, close_app, queue_key, valid_request, valid_sweep
from tests.web.support_auth import bearer, new_token, token_app
from web.queue import get_run_queue
from work.fair import clients_key

A, B = {"REMOTE_ADDR": "10.0.0.1"}, {"REMOTE_ADDR": "10.0.0.2"}
"""Two clients of an AUTH_MODE=none app: two addresses."""


def submit_run(client, environ) -> str:
    """Submit one run as the client at ``environ``'s address; its run_id."""
    answer = client.post("/run_backtest", json=valid_request(), environ_base=environ)
    assert answer.status_code == 202, answer.get_json()
    return answer.get_json()["run_id"]


def waiting(redis: Redis, key: str) -> list[str]:
    """The ids of the list ``key``, head (next to be taken) first."""
    return [item.decode() for item in redis.lrange(key, 0, -1)]


def test_a_single_run_of_another_client_is_taken_second_not_after_sixty(client, app, redis):
    """Client A queues 60 runs, then B one: B's run is second in the list (not 61st), the
    list still holds exactly the 61 queued ids (KEDA's LLEN), A's in their own order."""
    mine = [submit_run(client, A) for _ in range(60)]
    theirs = submit_run(client, B)
    queued = waiting(redis, queue_key(app))
    assert queued.index(theirs) <= 1
    assert redis.llen(queue_key(app)) == 61
    assert sorted(queued) == sorted([*mine, theirs])
    assert [item for item in queued if item != theirs] == mine


def sweep_of(client, environ, grid: dict) -> list[str]:
    """Submit a sweep of 50-combo chunks as ``environ``'s client; its chunk ids in order."""
    answer = client.post(
        "/api/sweeps", json=valid_sweep(grid=grid, chunk_size=50), environ_base=environ
    )
    assert answer.status_code == 202, answer.get_json()
    sweep_id, chunks = answer.get_json()["sweep_id"], answer.get_json()["chunks"]
    return [f"{sweep_id}-c{n}" for n in range(chunks)]


def test_a_small_sweep_interleaves_with_a_big_one_queued_before_it(client, app, redis):
    """A's 400-chunk sweep, then B's 38-chunk one: the sweep queue alternates A, B for B's
    38 chunks from its head, then A's remaining 362; nothing lost, nothing doubled."""
    big = sweep_of(client, A, {"fast": "2:101:1", "slow": "102:301:1"})
    small = sweep_of(client, B, {"fast": "2:20:1", "slow": "22:121:1"})
    assert (len(big), len(small)) == (400, 38)
    key = get_run_queue(app).of(CHUNK).key
    queued = waiting(redis, key)
    assert queued[: 2 * 38] == [
        chunk for pair in zip(big[:38], small, strict=True) for chunk in pair
    ]
    assert queued[2 * 38 :] == big[38:]
    assert redis.llen(key) == 438


@pytest.fixture
def capped(sqlite_url, redis_url, data_dir):
    """An AUTH_MODE=none app: at most 2 waiting runs and 3 waiting chunks per client."""
    app = app_with_schema(
        sqlite_url,
        redis_url,
        data_dir,
        RUN_MAX_PENDING_PER_CLIENT=2,
        SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT=3,
    )
    yield app
    close_app(app)


def test_a_client_with_its_share_of_runs_waiting_is_429_while_another_is_accepted(capped):
    """A's third waiting run is refused (429, Retry-After, the setting named, field
    remote_addr, nothing recorded); B's run is accepted; once one of A's runs left the list,
    A is accepted again."""
    client = capped.test_client()
    first = submit_run(client, A)
    submit_run(client, A)
    refused = client.post("/run_backtest", json=valid_request(), environ_base=A)
    assert refused.status_code == 429
    body = refused.get_json()
    assert "RUN_MAX_PENDING_PER_CLIENT" in body["error"]
    assert body["field"] == "remote_addr"
    assert int(refused.headers["Retry-After"]) > 0
    submit_run(client, B)
    assert client.get("/api/runs").get_json()["total"] == 3
    get_run_queue(capped).redis.lrem(queue_key(capped), 0, first)  # a consumer took it
    submit_run(client, A)


def test_a_client_with_its_share_of_chunks_waiting_is_429_and_a_bigger_sweep_is_400(capped):
    """Sweeps of 2 chunks with a share of 3: A's second is 429 naming
    SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT, B's first is accepted, and a 4-chunk sweep (more
    than a share on its own) is a 400 on ``grid``."""
    client = capped.test_client()
    two = {"fast": "2:21:1", "slow": "22:26:1"}  # 100 combos: 2 chunks of 50
    assert len(sweep_of(client, A, two)) == 2
    refused = client.post("/api/sweeps", json=valid_sweep(grid=two, chunk_size=50), environ_base=A)
    assert refused.status_code == 429
    assert "SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT" in refused.get_json()["error"]
    assert len(sweep_of(client, B, two)) == 2
    four = {"fast": "2:21:1", "slow": "22:31:1"}
    too_big = client.post("/api/sweeps", json=valid_sweep(grid=four, chunk_size=50), environ_base=B)
    assert too_big.status_code == 400
    assert too_big.get_json()["field"] == "grid"
    assert "SWEEP_MAX_PENDING_CHUNKS_PER_CLIENT" in too_big.get_json()["error"]


def test_with_tokens_the_share_is_the_tokens_not_the_address(sqlite_url, redis_url, data_dir):
    """AUTH_MODE=token: two tokens from one address each have their own share, and the
    queue's clients are the tokens' names."""
    app = token_app(sqlite_url, redis_url, data_dir, RUN_MAX_PENDING_PER_CLIENT=1)
    try:
        alice, bob = new_token(app, "alice"), new_token(app, "bob")
        client = app.test_client()
        post = lambda token: client.post(  # noqa: E731
            "/run_backtest", json=valid_request(), headers=bearer(token), environ_base=A
        )
        assert post(alice).status_code == 202
        assert post(alice).status_code == 429
        assert post(bob).status_code == 202
        clients = get_run_queue(app).redis.hvals(clients_key(queue_key(app)))
        assert sorted(value.decode().split("|", 1)[1] for value in clients) == [
            "token:alice",
            "token:bob",
        ]
    finally:
        close_app(app)
