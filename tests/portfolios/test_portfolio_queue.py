"""A portfolio end to end on the real services: POST /api/portfolios → the shared queue →
a ``python -m consumer`` Job → SUCCEEDED with its result, on MariaDB and Redis; its data
hash covers every file read in ticker order, and the same request gives the same bytes."""

from __future__ import annotations

import hashlib
import json

import pytest

from data import file_sha256, load_catalog
from kinds.portfolios.kind import run_locally
from kinds.portfolios.store import LIST_LIMIT
from store.models import Portfolio
from tests.consumer.support import consumer, finish
from tests.portfolios.support import DEMO, valid_portfolio
from web import create_app


def _submit(client, body: dict) -> str:
    answer = client.post("/api/portfolios", json=body)
    assert answer.status_code == 202, answer.get_json()
    assert answer.headers["Location"] == answer.get_json()["status_url"]
    return answer.get_json()["portfolio_id"]


def _consume(env: dict) -> None:
    code, log = finish(consumer(env))
    assert code == 0, log


def _listed(client) -> list[str]:
    """The ids ``GET /api/portfolios`` lists."""
    return [item["portfolio_id"] for item in client.get("/api/portfolios").get_json()["portfolios"]]


def _rows(sessions) -> dict[str, Portfolio]:
    with sessions() as session:
        return {row.portfolio_id: row for row in session.query(Portfolio)}


def test_a_portfolio_runs_through_the_queue_and_stores_its_result(env, sessions):
    """submit → queue → consumer → SUCCEEDED: the result has its documented parts (curves
    per bar, the benchmark, weights, contributions summing to the P&L, orders) and the
    list shows it, once, beside what the database held before (the session's database is
    shared with the other tests of this process, which leave portfolios in it)."""
    client = create_app({"TESTING": True, **env}).test_client()
    before = _listed(client)
    assert len(before) < LIST_LIMIT  # room in the newest-first page for the one added
    portfolio_id = _submit(client, valid_portfolio())
    assert client.get(f"/api/portfolios/{portfolio_id}").get_json()["status"] == "PENDING"
    _consume(env)
    body = client.get(f"/api/portfolios/{portfolio_id}").get_json()
    assert body["status"] == "SUCCEEDED", body
    result = body["result"]
    bars = len(result["timestamps"])
    assert result["tickers"] == list(DEMO)
    assert len(result["equity"]) == len(result["benchmark"]["equity"]) == bars > 900
    assert result["equity"][0] == 100_000.0
    assert result["orders_total"] == len(result["orders"]) > 0
    assert {order["ticker"] for order in result["orders"]} <= set(DEMO)
    pnl = sum(row["pnl"] for row in result["contribution"])
    assert pnl == pytest.approx(result["equity"][-1] - 100_000.0, abs=1e-6)
    weights = result["weights"]
    assert set(weights["tickers"]) <= set(DEMO)
    assert all(len(column) == len(weights["timestamps"]) for column in weights["values"])
    assert result["metrics"]["num_rebalances"] >= 40  # monthly over four years
    assert result["data_hash"] == body["data_hash"]
    assert body["total_return_pct"] == result["metrics"]["total_return_pct"]
    assert (
        client.get(f"/api/portfolios/{portfolio_id}?result=false").get_json().get("result") is None
    )
    assert sorted(_listed(client)) == sorted([*before, portfolio_id])


def test_the_data_hash_covers_every_file_read_in_ticker_order(env, sessions):
    """The stored data_hash is the SHA-256 of "<ticker>:<file sha256>" lines in the
    request's ticker order: every file counts, and another order is another hash."""
    client = create_app({"TESTING": True, **env}).test_client()
    forward = _submit(client, valid_portfolio())
    backward = _submit(client, valid_portfolio(tickers=list(reversed(DEMO))))
    _consume(env)
    _consume(env)
    catalog = load_catalog()
    rows = _rows(sessions)
    for portfolio_id, tickers in ((forward, DEMO), (backward, tuple(reversed(DEMO)))):
        lines = "".join(f"{t}:{file_sha256(catalog.resolve(t))}\n" for t in tickers)
        assert rows[portfolio_id].status == "SUCCEEDED"
        assert rows[portfolio_id].data_hash == hashlib.sha256(lines.encode()).hexdigest()
    assert rows[forward].data_hash != rows[backward].data_hash


def test_the_same_request_gives_byte_identical_results(env, sessions):
    """The stored result of a Job and the same stored request executed again: the same
    bytes; two submissions of one body differ only by their ids."""
    client = create_app({"TESTING": True, **env}).test_client()
    first = _submit(client, valid_portfolio())
    second = _submit(client, valid_portfolio())
    _consume(env)
    _consume(env)
    rows = _rows(sessions)
    again = run_locally(json.loads(rows[first].payload_json))
    assert rows[first].result_json == again
    other = rows[second].result_json.replace(second, first)
    assert other == rows[first].result_json
