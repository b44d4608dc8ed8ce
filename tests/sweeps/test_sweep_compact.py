"""kinds.sweeps.compact on MariaDB and Redis: a sweep above SWEEP_COMPACT_ABOVE (lowered here
by the app's config) stored compactly reads as the same sweep stored row by row — its top
table, heatmap, CSV and statistics — while storing far fewer rows; its PBO is computed on
every n-th combination; and a killed chunk of it reruns alone."""

from __future__ import annotations

import os
import signal
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from kinds.sweeps.contract import chunk_payloads, parse_sweep_request
from kinds.sweeps.kind import CHUNK
from kinds.sweeps.store import get_chunk, insert_sweep
from metrics import sweep_metric_keys
from store.models import Sweep, SweepResult
from tests.consumer.support import children, consumer, finish, long_history, signal_pod
from tests.stack import wait_until
from tests.sweeps.support import compute_queued_chunks, sweep_app
from work.status import RunStatus

pytestmark = [pytest.mark.mysql, pytest.mark.redis]

BODY = {
    "tickers": ["ACME", "GLOBEX"],
    "rule_type": "SMA_CROSS",
    "grid": {"fast": "2:21:1", "slow": [30, 40, 50, 60, 70]},
    "start_date": "2016-01-01",
    "end_date": "2019-12-31",
    "chunk_size": 50,
    "cache": False,
}
"""100 combinations on each of two tickers: four chunks of 50."""

COMPACT = {"SWEEP_COMPACT_ABOVE": 10, "SWEEP_MAX_COMBINATIONS": 1000, "SWEEP_COMPACT_TOP_K": 3}
"""Settings that store BODY's 200 combinations compactly: each chunk keeps its best 3 by
each metric as rows."""


def _finished(app) -> str:
    """Submit BODY to ``app``, run its chunks as the consumers do; the sweep's id."""
    client = app.test_client()
    accepted = client.post("/api/sweeps", json=BODY)
    assert accepted.status_code == 202, accepted.json
    assert compute_queued_chunks(app) == 4
    return accepted.json["sweep_id"]


def _stored_rows(app, sweep_id: str) -> tuple[int, int | None]:
    """How many result rows the sweep stored, and its top_k."""
    from store.db import make_engine, make_sessionmaker

    with make_sessionmaker(make_engine(app.config["DATABASE_URL"]))() as session:
        where = SweepResult.sweep_id == sweep_id
        rows = session.scalar(select(func.count()).select_from(SweepResult).where(where))
        top_k = session.scalar(select(Sweep.top_k).where(Sweep.sweep_id == sweep_id))
    return int(rows or 0), top_k


@pytest.fixture
def both(mysql_url, redis_url):
    """The same sweep stored row by row and compactly: (client, row id, compact id)."""
    rows_app = sweep_app(mysql_url, redis_url)
    compact_app = sweep_app(mysql_url, redis_url, **COMPACT)
    rows_id, compact_id = _finished(rows_app), _finished(compact_app)
    assert _stored_rows(rows_app, rows_id) == (200, None)
    stored, top_k = _stored_rows(compact_app, compact_id)
    assert top_k == 3 and stored < 200
    return compact_app.test_client(), rows_id, compact_id


def _without_id(body: dict) -> dict:
    return {key: value for key, value in body.items() if key != "sweep_id"}


def test_a_compact_sweeps_top_table_is_the_row_by_row_sweeps(both):
    """By every metric, best first, the best three are the same rows with the same values
    (each chunk kept its best three by each); so are the status's best three by Sharpe."""
    client, rows_id, compact_id = both
    for metric in sweep_metric_keys():
        query = f"sort={metric}&per_page=3&top=3"
        ours = client.get(f"/api/sweeps/{compact_id}/results?{query}").json["results"]
        theirs = client.get(f"/api/sweeps/{rows_id}/results?{query}").json["results"]
        assert ours == theirs and len(ours) == 3, metric
    best = [client.get(f"/api/sweeps/{sweep}").json["best"] for sweep in (compact_id, rows_id)]
    assert best[0][:3] == best[1][:3]


@pytest.mark.parametrize(
    "query",
    ["x=fast&y=slow", "x=slow&y=ticker&agg=mean", "x=fast&y=slow&agg=min&fix.ticker=GLOBEX"],
)
def test_a_compact_sweeps_sharpe_heatmap_is_the_row_by_row_sweeps(both, query):
    """Every cell's value, count and best combination, from the chunks' blobs."""
    client, rows_id, compact_id = both
    ours = client.get(f"/api/sweeps/{compact_id}/heatmap?metric=sharpe_ratio&{query}")
    theirs = client.get(f"/api/sweeps/{rows_id}/heatmap?metric=sharpe_ratio&{query}")
    assert ours.status_code == 200, ours.json
    assert _without_id(ours.json) == _without_id(theirs.json)
    line = "/api/sweeps/{}/line?metric=sharpe_ratio&x=fast"
    assert _without_id(client.get(line.format(compact_id)).json) == _without_id(
        client.get(line.format(rows_id)).json
    )


def test_a_compact_sweeps_heatmap_of_another_metric_is_a_400_naming_the_metric(both):
    """Only the Sharpe ratio is kept for every combination."""
    client, _, compact_id = both
    response = client.get(f"/api/sweeps/{compact_id}/heatmap?metric=cagr_pct")
    assert response.status_code == 400 and response.json["field"] == "metric"


def test_a_compact_sweeps_csv_is_the_row_by_row_sweeps_byte_for_byte(both):
    """Every combination, each chunk evaluated again from its stored message."""
    client, rows_id, compact_id = both
    ours = client.get(f"/api/sweeps/{compact_id}/results.csv").get_data()
    theirs = client.get(f"/api/sweeps/{rows_id}/results.csv").get_data()
    assert ours == theirs and ours.count(b"\n") == 201


def test_a_compact_sweeps_statistics_are_the_row_by_row_sweeps(both):
    """Every combination keeps its block statistics (200 of at most 50,000): the same PBO,
    DSR, stability and verdict."""
    client, rows_id, compact_id = both
    ours = client.get(f"/api/sweeps/{compact_id}/overfitting").json
    theirs = client.get(f"/api/sweeps/{rows_id}/overfitting").json
    assert ours == theirs and ours["tickers"][0]["pbo"]["pbo"] is not None


def test_a_compact_sweeps_pbo_is_computed_on_every_nth_combination(mysql_url, redis_url):
    """SWEEP_COMPACT_PBO_COMBINATIONS 50 of 200: every 4th combo_no keeps its block
    statistics, 25 per ticker, which the PBO says it used; the DSR still counts every
    combination and the best is the row-by-row sweep's."""
    rows_app = sweep_app(mysql_url, redis_url)
    app = sweep_app(mysql_url, redis_url, **COMPACT, SWEEP_COMPACT_PBO_COMBINATIONS=50)
    rows_id, compact_id = _finished(rows_app), _finished(app)
    client = app.test_client()
    ours = client.get(f"/api/sweeps/{compact_id}/overfitting").json["tickers"]
    theirs = client.get(f"/api/sweeps/{rows_id}/overfitting").json["tickers"]
    for mine, full in zip(ours, theirs, strict=True):
        assert mine["pbo"]["combinations"] == 25 and "combinations" not in full["pbo"]
        assert (mine["best"], mine["dsr"], mine["stability"]) == (
            full["best"],
            full["dsr"],
            full["stability"],
        )


@pytest.mark.slow  # consumer processes
def test_a_killed_chunk_of_a_compact_sweep_reruns_alone(env, sessions, queue, tmp_path):
    """Chunk 0 finishes; chunk 1's work-horse is SIGKILLed mid-chunk: it is queued again,
    stores nothing, and the next consumer runs it alone (attempt 2) while chunk 0 keeps its
    single attempt and rows; each combination kept is stored once."""
    data = long_history(tmp_path / "longdata", "LONG", seed=3)
    body = {
        "ticker": "LONG",
        "rule_type": "SMA_CROSS",
        "grid": {"fast": "2:51:1", "slow": "110:300:10"},
        "start_date": "1940-01-01",
        "end_date": "1994-12-31",
    }
    sweep = replace(parse_sweep_request(body), chunk_size=500, top_k=5, pbo_stride=7)
    payloads = chunk_payloads(sweep)
    assert [p["top_k"] for p in payloads] == [5, 5]
    with sessions.begin() as session:
        insert_sweep(session, sweep, payloads, image_tag="test", queue=queue.name)
    ids = [payload["chunk_id"] for payload in payloads]
    CHUNK.enqueue(queue, payloads[0])
    code, out = finish(consumer(env, DATA_DIR=str(data), CLAIM_FILE=str(tmp_path / "c0")), 600)
    assert code == 0, out

    def chunk(chunk_id):
        with sessions() as session:
            return get_chunk(session, chunk_id)

    def rows() -> list[int]:
        with sessions() as session:
            return list(
                session.scalars(
                    select(SweepResult.combo_no)
                    .where(SweepResult.sweep_id == sweep.sweep_id)
                    .order_by(SweepResult.combo_no)
                )
            )

    first = rows()
    assert first and all(n < 500 for n in first) and len(first) < 5 * len(sweep_metric_keys()) + 1
    CHUNK.enqueue(queue, payloads[1])
    proc = consumer(env, DATA_DIR=str(data), CLAIM_FILE=str(tmp_path / "c1"))
    wait_until(lambda: chunk(ids[1]).status == RunStatus.RUNNING, 60, 0.01, what="RUNNING")
    signal_pod(proc, signal.SIGSTOP)
    (horse,) = children(proc.pid)
    os.kill(horse, signal.SIGKILL)
    signal_pod(proc, signal.SIGCONT)
    code, out = finish(proc, 600)
    assert code == 0, out
    assert queue.connection.lrange(f"rq:queue:{env['RQ_QUEUE']}", 0, -1) == [ids[1].encode()]
    assert rows() == first, "nothing stored by the killed try"

    code, out = finish(consumer(env, DATA_DIR=str(data), CLAIM_FILE=str(tmp_path / "c2")), 600)
    assert code == 0, out
    done = [chunk(chunk_id) for chunk_id in ids]
    assert [(c.status, c.attempts) for c in done] == [
        (RunStatus.SUCCEEDED, 1),
        (RunStatus.SUCCEEDED, 2),
    ]
    every = rows()
    assert every[: len(first)] == first and len(set(every)) == len(every) > len(first)
    assert all(n >= 500 for n in every[len(first) :])
