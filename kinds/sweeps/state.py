"""A sweep chunk's row as its Job sees it: the guarded chunk transitions, storing the chunk's
results, its timings and its stored message, in plain SQL (``work.transitions``,
``store.dbapi``) so a Job imports no SQLAlchemy. ``kinds.sweeps.store`` re-exports them for the web,
the reaper and the tests, which call them with an SQLAlchemy session.

A chunk's results (its rows, and the values of its metrics without a column in
``sweep_metric_values``), its SUCCEEDED transition and its timings are ONE transaction
(``kinds.sweeps.kind``) whose first statement is the guarded UPDATE: a retried, late or duplicated
delivery finds the chunk no longer RUNNING and stores nothing, and (sweep_id, combo_no) is
the results' primary key, so no combination is ever stored twice. Nothing here commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kinds.sweeps.export import CsvPart
from metrics import SWEEP_METRIC_KEYS
from store.dbapi import as_tx
from work.status import RunStatus
from work.transitions import start_item, succeed_item

CHUNKS = "sweep_chunks"
RESULTS = "sweep_results"
"""The chunks' and the results' tables (``store.models.SweepChunk``, ``SweepResult``)."""

RESULT_COLUMNS = (
    "sweep_id", "combo_no", "chunk_no", "ticker", "params_json", *SWEEP_METRIC_KEYS,
    "extra_metrics", "error",
)  # fmt: skip
INSERT_RESULTS = (
    f"INSERT INTO {RESULTS} ({', '.join(RESULT_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(RESULT_COLUMNS))})"
)
"""One result row per combination; PyMySQL sends a chunk's rows as multi-row INSERTs."""

CSV_PARTS = "sweep_csv_parts"
"""Per finished chunk, its rows as the sweep's CSV lines, compressed
(``store.models.SweepCsvPart``)."""

METRIC_VALUES = "sweep_metric_values"
"""Per combination, its metrics without a column, one row each (``store.models.SweepMetricValue``):
what sorting and filtering by them reads."""
INSERT_METRIC_VALUES = (
    f"INSERT INTO {METRIC_VALUES} (sweep_id, metric, combo_no, value, negated) "
    "VALUES (?, ?, ?, ?, ?)"
)


def mark_chunk_running(
    handle: Any, chunk_id: str, worker: str, startup_ms: float | None = None
) -> bool:
    """PENDING → RUNNING (or RUNNING again, when an abandoned chunk is retried)."""
    return start_item(handle, CHUNKS, "chunk_id", chunk_id, worker, startup_ms=startup_ms)


def store_chunk_results(
    handle: Any,
    chunk_id: str,
    rows: Sequence[dict],
    compute_ms: float | None = None,
    *,
    block_stats: bytes | None = None,
    sharpe_grid: bytes | None = None,
    csv_part: CsvPart | None = None,
) -> bool:
    """RUNNING → SUCCEEDED, the chunk's result rows (with their metrics without a column
    in ``sweep_metric_values`` too), its combinations' packed block
    statistics (``kinds.sweeps.evaluate.pack_blocks``) and their packed Sharpe ratios and
    grid positions (``pack_sharpe_grid``; None: not computed) and its part of the sweep's CSV
    (``kinds.sweeps.export``; None: none written), in the caller's transaction
    (the guarded UPDATE first); False, with nothing written, when the chunk was not
    RUNNING. ``rows`` are ``kinds.sweeps.search_sweep.evaluate_sweep_chunk`` rows. Wrap the
    transaction in ``work.retry.retry_transaction``: it can lose an InnoDB deadlock or its
    connection."""
    tx = as_tx(handle)
    stored = succeed_item(
        tx,
        CHUNKS,
        "chunk_id",
        chunk_id,
        compute_ms=compute_ms,
        block_stats=block_stats,
        sharpe_grid=sharpe_grid,
    )
    if not stored:
        return False
    chunk = tx.fetchone(f"SELECT sweep_id, chunk_no FROM {CHUNKS} WHERE chunk_id = ?", (chunk_id,))
    if chunk is None:  # not reached: the guarded UPDATE just matched it
        return False
    # No DELETE first: rows are only ever written by the transaction that moves the chunk
    # RUNNING → SUCCEEDED, so a crashed attempt left none, and a later delivery cannot pass
    # the guard above. (A range DELETE also took gap locks that made neighbouring chunks
    # deadlock on InnoDB.)
    sweep_id = chunk["sweep_id"]
    extras = [extra_values(row) for row in rows]
    tx.executemany(
        INSERT_RESULTS,
        [
            (
                sweep_id,
                row["combo_no"],
                chunk["chunk_no"],
                row["ticker"],
                json.dumps(row["params"], separators=(",", ":")),
                *(row[name] for name in SWEEP_METRIC_KEYS),
                extra_json(extra),
                row.get("error"),
            )
            for row, extra in zip(rows, extras, strict=True)
        ],
    )
    values = [
        (sweep_id, key, row["combo_no"], value, -value)
        for row, extra in zip(rows, extras, strict=True)
        for key, value in extra.items()
    ]
    if values:
        tx.executemany(INSERT_METRIC_VALUES, values)
    if csv_part is not None:
        write_csv_part(tx, sweep_id, chunk["chunk_no"], csv_part)
    return True


def write_csv_part(handle: Any, sweep_id: str, chunk_no: int, part: CsvPart) -> None:
    """Store ``part`` as the chunk's CSV part, in place of any it had (one written under
    other columns), in the caller's transaction."""
    tx = as_tx(handle)
    tx.execute(f"DELETE FROM {CSV_PARTS} WHERE sweep_id = ? AND chunk_no = ?", (sweep_id, chunk_no))
    tx.execute(
        f"INSERT INTO {CSV_PARTS} (sweep_id, chunk_no, header_sha, size, crc, data) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (sweep_id, chunk_no, part.header_sha, part.size, part.crc, part.data),
    )


_NOT_EXTRA = frozenset(("combo_no", "ticker", "params", "error", *SWEEP_METRIC_KEYS))


def extra_values(row: dict) -> dict[str, float]:
    """The metrics of an ``evaluate_chunk`` row without a column, undefined ones left out:
    its ``extra_metrics`` and its ``sweep_metric_values`` rows."""
    return {k: v for k, v in row.items() if k not in _NOT_EXTRA and v is not None}


def extra_json(extra: dict[str, float]) -> str | None:
    """The stored ``extra_metrics`` of ``extra_values``: a JSON object, None when empty."""
    return json.dumps(extra, separators=(",", ":"), allow_nan=False) if extra else None


def record_write_ms(handle: Any, chunk_id: str, write_ms: float) -> None:
    """Note how long storing the chunk's results took (a timing, not a transition), in the
    same transaction as the results."""
    as_tx(handle).execute(
        f"UPDATE {CHUNKS} SET write_ms = ? WHERE chunk_id = ?", (write_ms, chunk_id)
    )


def open_chunks(handle: Any, sweep_id: str) -> int:
    """How many of the sweep's chunks are still PENDING or RUNNING (0: the sweep is done)."""
    row = as_tx(handle).fetchone(
        f"SELECT COUNT(*) AS open FROM {CHUNKS} WHERE sweep_id = ? AND status IN (?, ?)",
        (sweep_id, RunStatus.PENDING, RunStatus.RUNNING),
    )
    return int(row["open"]) if row else 0
