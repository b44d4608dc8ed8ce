"""The sweep result cache (kinds/sweeps/cache.py, kinds/sweeps/cached.py, POST /api/sweeps):
an identical finished sweep answers a submission at once — SUCCEEDED, ``cached_from``, no
chunk queued — with the same results, CSV and statistics; ``cache: false``, another window,
grid or data file, an unfinished source or another user's private sweep run the chunks."""

from __future__ import annotations

import shutil

import pytest
from redis import Redis
from sqlalchemy import text

from kinds.runs.cache import cache_key, canonical_request, key_of
from kinds.runs.contract import parse_request
from store.db import make_engine, make_sessionmaker
from tests.sweeps.support import SWEEP_QUEUE, queued_chunks, store_chunk, sweep_app
from tests.sweeps.test_sweep_web import BODY
from tests.web.support_auth import bearer, new_token, token_app

pytestmark = pytest.mark.redis


@pytest.fixture
def app(sqlite_url, redis_url, tmp_path, demo_data_dir):
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir, data)
    return sweep_app(sqlite_url, redis_url, DATA_DIR=str(data))


@pytest.fixture
def client(app):
    return app.test_client()


def _finish(app, redis_url) -> None:
    """What the consumers do, in-process: evaluate and store every queued chunk."""
    sessions = make_sessionmaker(make_engine(app.config["DATABASE_URL"]))
    for payload in queued_chunks(redis_url):
        store_chunk(sessions, payload)
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")


def _read(client, sweep_id: str) -> dict:
    """Everything a reader sees of a sweep, its own id taken out."""
    base = f"/api/sweeps/{sweep_id}"
    status = client.get(base).json
    for key in ("sweep_id", "status_url", "page_url", "created_at", "started_at",
                "completed_at", "timings", "overfitting_url", "cached_from"):  # fmt: skip
        status.pop(key)
    status["request"].pop("sweep_id")
    heatmap = client.get(f"{base}/heatmap?x=fast&y=slow").json
    assert heatmap.pop("sweep_id") == sweep_id
    return {
        "status": status,
        "results": client.get(f"{base}/results?per_page=500").json["results"],
        "csv": client.get(f"{base}/results.csv").data,
        "heatmap": heatmap,
        "overfitting": client.get(f"{base}/overfitting").data,
    }


def _blobs(app, sweep_id: str) -> list[tuple]:
    """Each chunk's stored block statistics and Sharpe ratios on the grid, in chunk order."""
    with make_engine(app.config["DATABASE_URL"]).connect() as connection:
        rows = connection.execute(
            text(
                "SELECT block_stats, sharpe_grid FROM sweep_chunks WHERE sweep_id = :id "
                "ORDER BY chunk_no"
            ),
            {"id": sweep_id},
        )
        return [tuple(row) for row in rows]


def test_an_identical_sweep_is_served_from_the_finished_one_without_a_chunk(client, app, redis_url):
    """The second identical POST: 202 SUCCEEDED naming its source, nothing queued; its
    status, results, CSV, heat map and statistics equal the source's, its chunks carry the
    source's block statistics and Sharpe ratios on the grid."""
    first = client.post("/api/sweeps", json=BODY).json
    assert "cached_from" not in first
    _finish(app, redis_url)
    second = client.post("/api/sweeps", json=BODY)
    assert second.status_code == 202
    body = second.json
    assert (body["status"], body["cached_from"]) == ("SUCCEEDED", first["sweep_id"])
    assert (body["combos"], body["chunks"]) == (first["combos"], first["chunks"])
    assert queued_chunks(redis_url) == []
    status = client.get(body["status_url"]).json
    assert (status["status"], status["cached_from"]) == ("SUCCEEDED", first["sweep_id"])
    assert status["progress"]["done"] == status["progress"]["total"] == first["combos"]
    assert _read(client, body["sweep_id"]) == _read(client, first["sweep_id"])
    assert _blobs(app, body["sweep_id"]) == _blobs(app, first["sweep_id"])
    assert all(all(blobs) for blobs in _blobs(app, body["sweep_id"]))
    listed = {s["sweep_id"]: s for s in client.get("/api/sweeps").json["sweeps"]}
    assert listed[body["sweep_id"]]["cached_from"] == first["sweep_id"]
    assert listed[first["sweep_id"]]["cached_from"] is None


def test_cache_false_a_changed_request_or_changed_data_run_the_chunks(client, app, redis_url):
    """``cache: false`` queues chunks; so does another window or grid; and once the file
    changes, the finished sweep is no source any more."""
    client.post("/api/sweeps", json=BODY)
    _finish(app, redis_url)
    for body in (
        {**BODY, "cache": False},
        {**BODY, "end_date": "2017-12-29"},
        {**BODY, "grid": {"fast": "2:10:2", "slow": [10, 30]}},
    ):
        answer = client.post("/api/sweeps", json=body).json
        assert answer["status"] == "PENDING" and "cached_from" not in answer
        assert len(queued_chunks(redis_url)) == answer["chunks"]
        Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")
    path = f"{app.config['DATA_DIR']}/ACME.csv"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write("\n")  # the same bars, other bytes: another data hash
    answer = client.post("/api/sweeps", json=BODY).json
    assert answer["status"] == "PENDING" and "cached_from" not in answer


def test_an_unfinished_sweep_is_no_source_and_a_bad_cache_flag_is_a_400(client, redis_url):
    """While the first sweep's chunks wait, an identical one queues its own; ``cache``
    must be a boolean."""
    first = client.post("/api/sweeps", json=BODY).json
    second = client.post("/api/sweeps", json=BODY).json
    assert second["status"] == "PENDING" and second["sweep_id"] != first["sweep_id"]
    bad = client.post("/api/sweeps", json={**BODY, "cache": "yes"})
    assert (bad.status_code, bad.json["field"]) == (400, "cache")
    checked = client.post("/api/schema/sweep/validate", json={**BODY, "cache": 1})
    assert (checked.status_code, checked.json["field"]) == (400, "cache")


def _alices_finished_sweep(redis_url, sqlite_url, tmp_path, demo_data_dir) -> tuple:
    """The client of an app with tokens, alice's and bob's headers, and alice's finished
    sweep (its 202 body)."""
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir, data)
    app = token_app(sqlite_url, redis_url, data, RQ_QUEUE="sweep-test")
    headers = {who: bearer(new_token(app, who)) for who in ("alice", "bob")}
    client = app.test_client()
    first = client.post("/api/sweeps", json=BODY, headers=headers["alice"]).json
    _finish(app, redis_url)
    return client, headers, first


def test_another_users_private_sweep_is_no_source(redis_url, sqlite_url, tmp_path, demo_data_dir):
    """With tokens, alice's finished sweep serves alice's identical one, not bob's; once
    she shares it, bob's too."""
    client, headers, first = _alices_finished_sweep(redis_url, sqlite_url, tmp_path, demo_data_dir)
    mine = client.post("/api/sweeps", json=BODY, headers=headers["alice"]).json
    assert mine["cached_from"] == first["sweep_id"]
    theirs = client.post("/api/sweeps", json=BODY, headers=headers["bob"]).json
    assert theirs["status"] == "PENDING" and "cached_from" not in theirs
    Redis.from_url(redis_url).delete(f"rq:queue:{SWEEP_QUEUE}")
    url = f"/api/sweeps/{first['sweep_id']}"
    assert client.patch(url, json={"shared": True}, headers=headers["alice"]).status_code == 200
    shared = client.post("/api/sweeps", json=BODY, headers=headers["bob"]).json
    assert shared["cached_from"] == first["sweep_id"]


def test_a_cached_sweep_hides_its_source_once_the_viewer_may_no_longer_read_it(
    redis_url, sqlite_url, tmp_path, demo_data_dir
):
    """Bob's sweep served from alice's shared one names it; once she unshares it, bob's
    status and list name no source (null, as a run's) and his results stay."""
    client, headers, first = _alices_finished_sweep(redis_url, sqlite_url, tmp_path, demo_data_dir)
    url = f"/api/sweeps/{first['sweep_id']}"
    assert client.patch(url, json={"shared": True}, headers=headers["alice"]).status_code == 200
    theirs = client.post("/api/sweeps", json=BODY, headers=headers["bob"]).json
    assert theirs["cached_from"] == first["sweep_id"]
    bobs = f"/api/sweeps/{theirs['sweep_id']}"
    assert client.get(bobs, headers=headers["bob"]).json["cached_from"] == first["sweep_id"]
    assert client.patch(url, json={"shared": False}, headers=headers["alice"]).status_code == 200

    status = client.get(bobs, headers=headers["bob"])
    assert (status.status_code, status.json["status"]) == (200, "SUCCEEDED")
    assert status.json["cached_from"] is None
    assert first["sweep_id"] not in status.get_data(as_text=True)
    listed = client.get("/api/sweeps", headers=headers["bob"]).json["sweeps"]
    assert [(s["sweep_id"], s["cached_from"]) for s in listed] == [(theirs["sweep_id"], None)]
    results = client.get(f"{bobs}/results", headers=headers["bob"]).json["results"]
    assert len(results) == first["combos"]


def test_the_run_keys_recipe_is_unchanged_by_the_shared_helpers():
    """Runs, trials and sweeps share ``key_of``; a run's key is still its canonical request,
    data hash and versions, as stored runs were keyed."""
    request = parse_request(
        {"ticker": "ACME", "rule_type": "RSI", "start_date": "2018-01-01", "end_date": "2019-01-01"}
    )
    assert cache_key(request, "h") == key_of(canonical_request(request), "h")
    assert cache_key(request, "h") != cache_key(request, "other")


def test_the_client_says_which_sweep_a_cached_one_was_copied_from(app, redis_url):
    """``Client.sweep`` twice: the second handle's ``cached_from`` names the first, which
    has none; ``cache=False`` runs the chunks."""
    from backtest_client import Client
    from tests import loopback

    with loopback.wsgi(app) as url:
        client = Client(url)
        fields = {k: v for k, v in BODY.items() if k not in ("tickers", "rule_type", "grid")}
        first = client.sweep("SMA_CROSS", BODY["grid"], BODY["tickers"], **fields)
        _finish(app, redis_url)
        second = client.sweep("SMA_CROSS", BODY["grid"], BODY["tickers"], **fields)
        assert (first.cached_from, second.cached_from) == (None, first.sweep_id)
        assert client.get_sweep(second.sweep_id).cached_from == first.sweep_id
        third = client.sweep("SMA_CROSS", BODY["grid"], BODY["tickers"], cache=False, **fields)
        assert third.cached_from is None and third.status() == "PENDING"
