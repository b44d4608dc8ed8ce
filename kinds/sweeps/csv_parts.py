"""A sweep's stored CSV parts (``kinds.sweeps.export``) through an SQLAlchemy session: which
are current (``csv_state``, what the web serves ``results.csv`` from), one part's bytes
(``read_part``), and the parts a finished chunk lacks written again (``write_parts``): from
its stored rows (a sweep stored row by row: the web does it at the download) or by
evaluating its message again (a sweep stored compactly: ``kinds.sweeps.csv_backfill``, in a
process of its own, never the web).

A chunk lacks a current part when it was stored before parts were (migration 0022), or its
part was written under another header line (a metric registered or removed since).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from kinds.sweeps.export import PartInfo, StoredCsv, csv_lines, encode_part, header, header_sha
from kinds.sweeps.state import write_csv_part
from kinds.sweeps.store import iter_results
from metrics import sweep_metric_keys
from store.models import Sweep, SweepChunk, SweepCsvPart
from work.status import RunStatus


@dataclass(frozen=True)
class MissingPart:
    """A finished chunk without a current CSV part: its number, first combination and
    number of combinations."""

    chunk_no: int
    combo_first: int
    combo_count: int


@dataclass(frozen=True)
class CsvState:
    """A sweep's CSV as stored now: its header line and the current parts of its finished
    chunks (``stored``), and the finished chunks without one (``missing``)."""

    stored: StoredCsv
    missing: tuple[MissingPart, ...]
    names: tuple[str, ...]
    keys: tuple[str, ...]


def csv_state(session: Session, sweep: Sweep) -> CsvState:
    """The sweep's finished chunks in chunk order, each with its part's length, CRC-32 and
    stored length when it has one written under the current header (the request's grid
    names, the metrics a sweep stores now): one query, no part's data read."""
    names = tuple(json.loads(sweep.request_json)["grid"])
    keys = tuple(sweep_metric_keys())
    head = header(names, keys)
    part = SweepCsvPart
    rows = session.execute(
        select(
            SweepChunk.chunk_no,
            SweepChunk.combo_first,
            SweepChunk.combo_count,
            part.header_sha,
            part.size,
            part.crc,
            func.length(part.data),
        )
        .outerjoin(
            part, and_(part.sweep_id == SweepChunk.sweep_id, part.chunk_no == SweepChunk.chunk_no)
        )
        .where(SweepChunk.sweep_id == sweep.sweep_id, SweepChunk.status == RunStatus.SUCCEEDED)
        .order_by(SweepChunk.chunk_no)
    ).all()
    current = header_sha(head)
    parts, missing = [], []
    for chunk_no, first, count, sha, size, crc, stored in rows:
        if sha == current:
            parts.append(PartInfo(chunk_no, int(size), int(crc), int(stored)))
        else:
            missing.append(MissingPart(chunk_no, first, count))
    return CsvState(StoredCsv(head, tuple(parts)), tuple(missing), names, keys)


def read_part(session: Session, sweep_id: str, chunk_no: int) -> bytes:
    """One stored part's segment (``kinds.sweeps.export.CsvPart.data``)."""
    data = session.scalar(
        select(SweepCsvPart.data).where(
            SweepCsvPart.sweep_id == sweep_id, SweepCsvPart.chunk_no == chunk_no
        )
    )
    if data is None:
        raise LookupError(f"sweep {sweep_id} has no CSV part for chunk {chunk_no}")
    return bytes(data)


RowSource = Callable[[Session, Sweep, MissingPart, CsvState], Iterable[Sequence]]
"""A missing part's rows as CSV cells (combo_no, ticker, the swept values, the metrics)."""


def stored_rows(
    session: Session, sweep: Sweep, chunk: MissingPart, state: CsvState
) -> Iterable[Sequence]:
    """A chunk's rows as stored (a sweep stored row by row): its combinations' result rows."""
    columns = ("combo_no", "ticker", "params_json", *state.keys)
    last = chunk.combo_first + chunk.combo_count - 1
    for combo_no, ticker, params, *metrics in iter_results(
        session, sweep.sweep_id, columns, within=(chunk.combo_first, last)
    ):
        swept = json.loads(params)
        yield [combo_no, ticker, *(swept.get(name) for name in state.names), *metrics]


def evaluated_rows(
    session: Session, sweep: Sweep, chunk: MissingPart, state: CsvState
) -> Iterable[Sequence]:
    """A chunk's rows evaluated again from its stored message without block statistics or
    pruning (a sweep stored compactly): the rows its Job computed before it kept its best,
    value for value, as the same code computes them from the same message. CPU-bound: for
    ``kinds.sweeps.csv_backfill``, never the web."""
    from kinds.sweeps.search_sweep import evaluate_sweep_chunk, read_chunk

    payload = json.loads(
        session.scalar(
            select(SweepChunk.payload_json).where(
                SweepChunk.sweep_id == sweep.sweep_id, SweepChunk.chunk_no == chunk.chunk_no
            )
        )
    )
    payload = {**payload, "cscv_blocks": 0}
    payload.pop("top_k", None)
    for row in evaluate_sweep_chunk(read_chunk(payload)).rows:
        yield [row["combo_no"], row["ticker"], *(row["params"].get(n) for n in state.names),
               *(row.get(k) for k in state.keys)]  # fmt: skip


def write_parts(session: Session, sweep: Sweep, state: CsvState, rows: RowSource) -> int:
    """Write each missing part of ``state`` from ``rows``, committing one chunk at a time;
    how many were written."""
    head_sha = header_sha(state.stored.head)
    for chunk in state.missing:
        part = encode_part(csv_lines(rows(session, sweep, chunk, state)), head_sha)
        write_csv_part(session, sweep.sweep_id, chunk.chunk_no, part)
        session.commit()
    return len(state.missing)


__all__ = [
    "CsvState",
    "MissingPart",
    "csv_state",
    "evaluated_rows",
    "read_part",
    "stored_rows",
    "write_parts",
]
