"""A sweep's results.csv served from the parts its chunks' Jobs stored (kinds.sweeps.export,
kinds.sweeps.csv_parts), on MariaDB and Redis: the bytes are the rows each chunk evaluated,
exactly as formatting them from the sweep's stored rows or from its chunks evaluated again
gives them; the answer says its length (Content-Length) whether identity or gzip; the web
never evaluates a chunk for it; and sweeps stored before the parts still download (a compact
one once a backfill wrote them: tests/sweeps/test_sweep_csv_backfill.py)."""

from __future__ import annotations

import gzip

import pytest
from sqlalchemy import delete, func, select, update

from kinds.sweeps.csv_backfill import backfill
from kinds.sweeps.csv_parts import MissingPart, csv_state, evaluated_rows, stored_rows
from kinds.sweeps.export import csv_lines
from store.db import make_engine, make_sessionmaker
from store.models import Sweep, SweepChunk, SweepCsvPart
from tests.sweeps.support import compute_queued_chunks, sweep_app
from tests.sweeps.test_sweep_compact import BODY, COMPACT

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


def _finished(app) -> str:
    accepted = app.test_client().post("/api/sweeps", json=BODY)
    assert accepted.status_code == 202, accepted.json
    assert compute_queued_chunks(app) == 4
    return accepted.json["sweep_id"]


def _sessions(app):
    return make_sessionmaker(make_engine(app.config["DATABASE_URL"]))


def _reference(app, sweep_id: str, rows) -> bytes:
    """The CSV formatted without the stored parts: the header, then each finished chunk's
    rows from ``rows`` (``stored_rows``: the result rows; ``evaluated_rows``: the chunk
    evaluated again from its message, as the web streamed a compact sweep's CSV)."""
    with _sessions(app)() as session:
        sweep = session.get(Sweep, sweep_id)
        state = csv_state(session, sweep)
        chunks = [
            MissingPart(*chunk)
            for chunk in session.execute(
                select(SweepChunk.chunk_no, SweepChunk.combo_first, SweepChunk.combo_count)
                .where(SweepChunk.sweep_id == sweep_id)
                .order_by(SweepChunk.chunk_no)
            )
        ]
        lines = [csv_lines(rows(session, sweep, chunk, state)) for chunk in chunks]
    return state.stored.head + b"".join(lines)


def _break_messages(app, sweep_id: str) -> None:
    """Make every chunk of the sweep impossible to evaluate again (its stored message
    emptied): a download that evaluated one would fail."""
    with _sessions(app).begin() as session:
        session.execute(
            update(SweepChunk).where(SweepChunk.sweep_id == sweep_id).values(payload_json="{}")
        )


def _drop_parts(app, sweep_id: str) -> None:
    """The sweep as stored before its chunks kept their CSV parts."""
    with _sessions(app).begin() as session:
        session.execute(delete(SweepCsvPart).where(SweepCsvPart.sweep_id == sweep_id))


@pytest.fixture
def compact(mysql_url, redis_url):
    """(app, sweep id) of BODY stored compactly (each chunk keeps its best 3 per metric)."""
    app = sweep_app(mysql_url, redis_url, **COMPACT)
    return app, _finished(app)


def test_a_compact_sweeps_csv_is_its_chunks_every_row_as_evaluated_again_and_says_its_length(
    compact,
):
    """200 combinations from the stored parts, byte for byte what evaluating each chunk again
    gives (the CSV as it was streamed), with Content-Length equal to the body: a client that
    receives less knows its copy is cut."""
    app, sweep_id = compact
    expected = _reference(app, sweep_id, evaluated_rows)
    response = app.test_client().get(f"/api/sweeps/{sweep_id}/results.csv")
    body = response.get_data()
    assert response.status_code == 200 and body == expected and body.count(b"\n") == 201
    assert response.headers["Content-Length"] == str(len(body))
    assert "Content-Encoding" not in response.headers


def test_a_compact_sweeps_csv_download_evaluates_nothing(compact):
    """The chunks' messages are emptied after they ran: the download still answers the same
    bytes, read from storage (evaluating a chunk again would fail)."""
    app, sweep_id = compact
    client = app.test_client()
    before = client.get(f"/api/sweeps/{sweep_id}/results.csv").get_data()
    _break_messages(app, sweep_id)
    after = client.get(f"/api/sweeps/{sweep_id}/results.csv")
    assert after.status_code == 200 and after.get_data() == before


def test_a_gzip_download_is_the_same_bytes_compressed_with_its_own_length(compact):
    """Accept-Encoding gzip: Content-Encoding gzip, Content-Length the compressed body's, and
    the body decompresses to the identity CSV; each representation has its own ETag, and
    If-None-Match with it answers 304."""
    app, sweep_id = compact
    client = app.test_client()
    url = f"/api/sweeps/{sweep_id}/results.csv"
    plain = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    body = packed.get_data()
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Content-Length"] == str(len(body)) and len(body) < len(plain.data)
    assert gzip.decompress(body) == plain.get_data()
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = client.get(url, headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_a_row_by_row_sweeps_csv_is_its_stored_rows_formatted(mysql_url, redis_url):
    """A sweep stored row by row: the parts its Jobs wrote from their rows in memory are the
    bytes formatting its stored rows gives."""
    app = sweep_app(mysql_url, redis_url)
    sweep_id = _finished(app)
    response = app.test_client().get(f"/api/sweeps/{sweep_id}/results.csv")
    assert response.get_data() == _reference(app, sweep_id, stored_rows)
    assert response.headers["Content-Length"] == str(len(response.get_data()))


def test_a_row_by_row_sweep_stored_before_its_parts_gets_them_from_its_rows(mysql_url, redis_url):
    """Its parts are gone (a sweep stored before them): the first download writes them from
    the stored rows (no evaluation: the messages are emptied) and answers the same bytes."""
    app = sweep_app(mysql_url, redis_url)
    sweep_id = _finished(app)
    client = app.test_client()
    before = client.get(f"/api/sweeps/{sweep_id}/results.csv").get_data()
    _drop_parts(app, sweep_id)
    _break_messages(app, sweep_id)
    after = client.get(f"/api/sweeps/{sweep_id}/results.csv")
    assert after.status_code == 200 and after.get_data() == before
    with _sessions(app)() as session:
        parts = session.scalar(select(func.count()).where(SweepCsvPart.sweep_id == sweep_id))
    assert parts == 4


def test_the_operators_backfill_writes_a_compact_sweeps_missing_parts(compact):
    """kinds.sweeps.csv_backfill (what the command and the backfill Job run) writes the
    parts of a compact sweep stored before them: the download is the same bytes as before,
    at once (no backfill queued: tests/sweeps/test_sweep_csv_backfill.py)."""
    app, sweep_id = compact
    client = app.test_client()
    before = client.get(f"/api/sweeps/{sweep_id}/results.csv").get_data()
    _drop_parts(app, sweep_id)
    with _sessions(app)() as session:
        assert backfill(session, session.get(Sweep, sweep_id)) == 4
    after = client.get(f"/api/sweeps/{sweep_id}/results.csv")
    assert after.status_code == 200 and after.get_data() == before
