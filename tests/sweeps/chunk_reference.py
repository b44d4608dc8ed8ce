"""A sweep chunk evaluated and written the way it was before chunks were handled by column:
one dict a combination from the message to the stored rows (its swept values, its full rule
parameters, its stops, its metrics, its row), the rules given a dict a parameter set, the CSV
part's swept columns gathered a point at a time. The reference the column path is held to
(``test_sweep_chunk_columns``) and timed against (``bench.sweep_scale_bench --cpu``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.csv_columns import column_lines
from kinds.sweeps.compact import sampled, top_rows
from kinds.sweeps.contract import _spec_for, grid_values
from kinds.sweeps.evaluate import (
    BLOCK_KEY,
    evaluate,
    grid_positions,
    metric_columns,
    metric_rows,
    pack_blocks,
    pack_sharpe_grid,
)
from kinds.sweeps.export import CsvPart, encode_part, header, header_sha
from kinds.sweeps.grid import combos_between, split_swept
from kinds.sweeps.search_sweep import RUN, searchable_kind
from metrics import sweep_metric_keys


@dataclass(frozen=True)
class ReferenceChunk:
    """What the per-combination path stored for a chunk."""

    rows: list[dict]
    block_stats: bytes | None
    sharpe_grid: bytes | None
    csv_part: CsvPart


def reference_combos(payload: dict[str, Any]) -> list[list]:
    """The chunk's combinations as value rows (a compact message's rebuilt a tuple each)."""
    if payload.get("combos") is not None:
        return payload["combos"]
    request, names = payload["request"], payload["grid_params"]
    by_name = grid_values(names, payload["grid_values"])
    spec = _spec_for(request.get("rule_type"), request.get("params"))
    first, stop = (int(bound) for bound in payload["grid_range"])
    base = {**spec.defaults(), **request.get("params", {})}
    return [list(combo) for combo in combos_between(spec, tuple(names), by_name, base, first, stop)]


def _run_points(base: dict, points: list[dict], blocks: int, label: str):
    from kinds.runs.contract import RunRequest
    from kinds.runs.execute import load_market_data, market_window

    parts = [split_swept(dict(point)) for point in points]
    params_list = [{**base["params"], **rule} for rule, _ in parts]
    first = params_list[0] if params_list else base["params"]
    request = RunRequest.from_stored({**base, "run_id": label, "params": first})
    frame = market_window(load_market_data(request))
    trading = [stops for _, stops in parts]
    metrics = evaluate(frame, request, params_list, trading=trading, blocks=blocks)
    columns = metric_columns(metrics)
    return metric_rows(columns), metrics.get(BLOCK_KEY), columns


def reference_chunk(payload: dict[str, Any]) -> ReferenceChunk:
    """The chunk evaluated and its CSV part written a combination at a time."""
    names = payload["grid_params"]
    swept = [dict(zip(names, combo, strict=True)) for combo in reference_combos(payload)]
    request = payload["request"]
    base = payload.get("base", request)
    ticker = str(request.get("ticker"))
    first = int(payload.get("combo_first", 0))
    blocks_asked = int(payload.get("cscv_blocks") or 0)
    label = str(payload.get("chunk_id", ""))
    top_k = int(payload["top_k"]) if payload.get("top_k") else None
    stride = max(1, int(payload.get("pbo_stride") or 1))
    kind = payload.get("kind")
    if kind in (None, RUN):
        metrics, blocks, columns = _run_points(base, swept, blocks_asked, label)
    else:
        scored = searchable_kind(kind)[1].score(base, swept, blocks_asked, label)
        metrics, blocks, columns = scored.metrics, scored.blocks, scored.columns
    keys = sweep_metric_keys()
    rows = [
        {"combo_no": first + k, "ticker": ticker, "params": point, **(found or {})}
        for k, (point, found) in enumerate(zip(swept, metrics, strict=True))
    ]
    if columns is None:
        columns = {key: [None if found is None else found.get(key) for found in metrics]
                   for key in keys}  # fmt: skip
    count = len(swept)
    lines = column_lines(
        [
            np.arange(first, first + count),
            [ticker] * count,
            *([point.get(name) for point in swept] for name in names),
            *(columns.get(key, [None] * count) for key in keys),
        ]
    )
    part = encode_part(lines, header_sha(header(names, keys)))
    grid = grid_values(names, payload.get("grid_values"))
    if blocks is None and top_k is None:
        return ReferenceChunk(rows, None, None, part)
    sharpe_grid = None
    if grid is not None:
        sharpe = np.array([np.nan if row["sharpe_ratio"] is None else row["sharpe_ratio"]
                           for row in rows], dtype=np.float64)  # fmt: skip
        sharpe_grid = pack_sharpe_grid(sharpe, grid_positions(swept, grid))
    if top_k is not None:
        if blocks is not None:
            blocks = blocks[sampled(first, len(rows), stride)]
        rows = [rows[at] for at in top_rows(rows, top_k, keys)]
    packed = None if blocks is None else pack_blocks(blocks)
    return ReferenceChunk(rows, packed, sharpe_grid, part)
