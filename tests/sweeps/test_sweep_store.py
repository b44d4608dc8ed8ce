"""kinds.sweeps.store: a sweep and its chunks inserted PENDING, guarded forward-only chunk
transitions, results stored with SUCCEEDED in one transaction and never twice, the sweep
status derived from its chunks."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kinds.sweeps.contract import chunk_payloads, parse_chunk, parse_sweep_request
from kinds.sweeps.kind import CHUNK
from kinds.sweeps.search_sweep import evaluate_chunk
from kinds.sweeps.status import PARTIAL
from kinds.sweeps.store import (
    derive_state,
    get_chunk,
    get_sweep,
    insert_sweep,
    list_chunks,
    mark_chunk_running,
    results_page,
    store_chunk_results,
    sweep_states,
)
from store.db import create_schema, make_engine, make_sessionmaker
from tests.sweeps.support import store_chunk
from work.status import RunStatus

BODY = {
    "ticker": "ACME",
    "rule_type": "SMA_CROSS",
    "grid": {"fast": "2:20:2", "slow": [30, 40]},
    "start_date": "2016-01-01",
    "end_date": "2017-12-31",
    "chunk_size": 50,
}


@pytest.fixture
def sessions(sqlite_url):
    engine = make_engine(sqlite_url)
    create_schema(engine)
    return make_sessionmaker(engine)


@pytest.fixture
def sweep(sessions):
    sweep = replace(parse_sweep_request(BODY), chunk_size=8)
    payloads = chunk_payloads(sweep)
    with sessions.begin() as session:
        insert_sweep(session, sweep, payloads, image_tag=None, queue="q")
    return sweep, payloads


def test_a_sweep_is_inserted_with_every_chunk_pending(sessions, sweep):
    """20 combos in chunks of 8: three PENDING chunks, the sweep PENDING at 0 of 20."""
    sweep, _payloads = sweep
    with sessions() as session:
        chunks = list_chunks(session, sweep.sweep_id)
        assert [(c.chunk_no, c.combo_count, c.status) for c in chunks] == [
            (0, 8, "PENDING"),
            (1, 8, "PENDING"),
            (2, 4, "PENDING"),
        ]
        states = sweep_states(session, [get_sweep(session, sweep.sweep_id)])
    state = states[sweep.sweep_id]
    assert (state.status, state.done, state.total) == ("PENDING", 0, 20)


def test_results_and_succeeded_are_one_guarded_transaction(sessions, sweep):
    """Stored once while RUNNING; a second store (a duplicate delivery) writes nothing."""
    sweep, payloads = sweep
    chunk_id = payloads[1]["chunk_id"]
    rows = evaluate_chunk(parse_chunk(payloads[1])).rows
    with sessions() as session:
        with session.begin():
            assert not store_chunk_results(session, chunk_id, rows), "PENDING: not stored"
        with session.begin():
            assert mark_chunk_running(session, chunk_id, "w1", 12.5)
        with session.begin():
            assert store_chunk_results(session, chunk_id, rows, 3.0)
        with session.begin():
            assert not store_chunk_results(session, chunk_id, rows), "already SUCCEEDED"
            assert not mark_chunk_running(session, chunk_id, "w2"), "never backwards"
            assert not CHUNK.mark_failed(session, chunk_id, "late"), "finished stays finished"
        stored, total = results_page(session, sweep.sweep_id, per_page=100)
        chunk = get_chunk(session, chunk_id)
    assert total == 8 and [r.combo_no for r in stored] == list(range(8, 16))
    assert (chunk.status, chunk.attempts, chunk.startup_ms, chunk.compute_ms) == (
        "SUCCEEDED",
        1,
        12.5,
        3.0,
    )


def test_sorting_puts_undefined_values_last_and_top_limits_the_total(sessions, sweep):
    """Sorted by Sharpe, best first; top=5 keeps five."""
    sweep, payloads = sweep
    for payload in payloads:
        store_chunk(sessions, payload, "w")
    with sessions() as session:
        rows, total = results_page(
            session, sweep.sweep_id, sort="sharpe_ratio", descending=True, per_page=50
        )
        top, top_total = results_page(
            session, sweep.sweep_id, sort="sharpe_ratio", descending=True, per_page=3, page=2, top=5
        )
        state = sweep_states(session, [get_sweep(session, sweep.sweep_id)])[sweep.sweep_id]
    values = [r.sharpe_ratio for r in rows]
    defined = [v for v in values if v is not None]
    assert defined == sorted(defined, reverse=True) and values[: len(defined)] == defined
    assert (
        total == 20
        and top_total == 5
        and [r.combo_no for r in top] == [r.combo_no for r in rows[3:5]]
    )
    assert (state.status, state.done) == ("SUCCEEDED", 20)


@pytest.mark.parametrize(
    ("counts", "status"),
    [
        ({"PENDING": 3}, "PENDING"),
        ({"PENDING": 2, "RUNNING": 1}, "RUNNING"),
        ({"PENDING": 2, "SUCCEEDED": 1}, "RUNNING"),
        ({"SUCCEEDED": 3}, "SUCCEEDED"),
        ({"FAILED": 3}, "FAILED"),
        ({"SUCCEEDED": 2, "FAILED": 1}, PARTIAL),
        ({"RUNNING": 1, "FAILED": 2}, "RUNNING"),
    ],
)
def test_the_sweep_status_is_derived_from_its_chunks(counts, status):
    """PENDING / RUNNING / SUCCEEDED / FAILED / PARTIAL, progress from SUCCEEDED combos."""
    groups = [(name, n, n * 10, None, None) for name, n in counts.items()]
    state = derive_state(30, groups)
    assert state.status == status
    assert state.done == 10 * counts.get(RunStatus.SUCCEEDED, 0)
    assert state.failed == 10 * counts.get(RunStatus.FAILED, 0)
