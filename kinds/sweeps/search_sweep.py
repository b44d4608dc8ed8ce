"""The one sweep over a base request of any kind that declares a search (``work.search``): the
request of a search over another kind (``{"kind": "<noun>", "base": {...}, "grid":
{...}}``, optionally ``random`` to sample the grid's points), its points and chunk messages,
and the evaluation of every sweep chunk, a run sweep's included (``evaluate_sweep_chunk``).

The kind is resolved through the registry (``searchable_kind``): a request or chunk message
without ``kind`` is a run sweep's, whose request shape (tickers × a grid of rule parameters,
``kinds.sweeps.contract``) and chunk messages are unchanged. Each chunk's points are
evaluated by its kind's search (``Search.score``: runs in one vectorised pass,
``kinds.sweeps.run_search``; other kinds point by point), and its rows, block statistics and
Sharpe grid are built here for every kind.

A search sweep is stored like a run sweep (``sweeps``, ``sweep_chunks``, ``sweep_results``;
its ``rule_type`` is the kind's noun, its one "ticker" ``UNIVERSE``), so its status, table,
heatmap, line, CSV and overfitting statistics are a run sweep's. Each point runs with its
kind's own computation under an id derived from the sweep and the point (``point_id``), so
``GET /api/sweeps/<id>/combos/<n>`` gives the request that, submitted alone, computes the
same result byte for byte.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from kinds.runs.contract import RequestError, new_run_id
from kinds.sweeps.contract import chunk_id
from kinds.sweeps.fields import CHUNK_SIZE_MAX, CSCV_BLOCKS, CSCV_BLOCKS_MAX
from kinds.sweeps.grid import (
    MAX_COMBOS,
    MAX_VALUES,
    Grid,
    Points,
    RangeError,
    is_range_text,
    parse_range,
)
from kinds.sweeps.sampling import check_random, sample
from work.search import Domain, Search, search_of

if TYPE_CHECKING:  # pragma: no cover
    from kinds.sweeps.caps import RequestCaps
    from kinds.sweeps.contract import ChunkSpec
    from kinds.sweeps.evaluate import EvaluatedChunk
    from work.kind import WorkKind

UNIVERSE = "UNIVERSE"
"""The ``ticker`` of a search sweep's chunks and results: the whole base request (a
portfolio's universe; a kind without tickers has this one too)."""

SEARCH_FIELDS = ("kind", "base", "grid", "random", "chunk_size", "cscv_blocks")
"""Every field a search sweep request may carry."""

SEARCH_CHUNK_SIZE = 20
"""Points per chunk when the request names none: a point costs its kind's whole computation
(a portfolio's: tens of milliseconds to seconds), not a vectorised row."""


RUN = "run"
"""The kind a sweep, walk-forward or study request without ``kind`` searches: today's run
request shapes (``kinds.sweeps.contract``, ``kinds.studies.contract``) are searches over
runs."""


def searchable_kind(noun: object) -> tuple[WorkKind, Search]:
    """The kind a search's ``kind`` names (its ``noun``; None: a run) and its ``Search``: the
    one look-up of sweeps, walk-forwards and studies, their chunks, folds and batches.

    :raise RequestError: naming ``kind`` for a kind that is unknown or cannot be searched.
    """
    from kinds.registry import all_kinds, kinds_in_order

    noun = RUN if noun is None else noun
    for kind in kinds_in_order():
        if kind.noun == noun and kind.search is not None:
            search = search_of(kind)
            if search is not None:
                return kind, search
    names = ", ".join(repr(kind.noun) for kind in all_kinds() if kind.search is not None)
    raise RequestError("kind", f"must be one of {names} (a search over runs names no kind)")


def is_search_request(payload: object) -> bool:
    """Whether a sweep, walk-forward or study request (as sent or stored) has the shape of a
    search over another kind's ``base`` (``kind`` names a kind other than runs), not a
    run's request shape."""
    return isinstance(payload, dict) and payload.get("kind") not in (None, RUN)


@dataclass(frozen=True)
class SearchSweep:
    """A validated search sweep: the kind's noun, its normalised base request, its grid (the
    points, in ``itertools.product`` order of the names in the space's order, or the random
    sample of them in that order) and how it is cut into chunks. Quacks like
    ``kinds.sweeps.contract.SweepRequest`` where a sweep is stored (``insert_sweep``)."""

    sweep_id: str
    kind: str
    base: dict[str, Any]
    grid: Grid
    chunk_size: int
    cscv_blocks: int = CSCV_BLOCKS
    random: dict[str, int] | None = None
    top_k: int | None = None
    """Always None: a search sweep's points are few (``MAX_RANDOM``, the caps) and each
    one is stored as a row."""

    @property
    def rule_type(self) -> str:
        return self.kind

    @property
    def tickers(self) -> tuple[str, ...]:
        return (UNIVERSE,)

    @property
    def combos(self) -> int:
        return len(self.grid.combos)

    @property
    def chunk_count(self) -> int:
        return -(-len(self.grid.combos) // self.chunk_size)

    def to_dict(self) -> dict[str, Any]:
        """The normalised request as stored: ranges expanded into value lists."""
        out = {
            "sweep_id": self.sweep_id,
            "kind": self.kind,
            "tickers": list(self.tickers),
            "base": self.base,
            "grid": {name: self.grid.values[name] for name in self.grid.names},
            "chunk_size": self.chunk_size,
            "cscv_blocks": self.cscv_blocks,
        }
        if self.random is not None:
            out["random"] = self.random
        return out


def _values(domain: Domain, spec: object, path: str) -> list:
    """One grid entry's checked values: a list, a ``"start:stop:step"`` range (numbers) or
    a single value."""
    if is_range_text(spec) and domain.type != "choice":
        try:
            found = parse_range(str(spec), integers=domain.type == "int")
        except RangeError as exc:
            raise RequestError(path, f"is not a valid start:stop:step range ({exc.kind})") from None
        if found.more_than(MAX_VALUES):
            raise RequestError(path, f"holds more than {MAX_VALUES:,} values")
        cast = int if domain.type == "int" else float
        spec = [cast(value) for value in found.values()]
    values = spec if isinstance(spec, list) else [spec]
    if not values:
        raise RequestError(path, "must hold at least one value")
    if len(values) > MAX_VALUES:
        raise RequestError(path, f"holds more than {MAX_VALUES:,} values")
    checked = [domain.check(value, f"{path}[{at}]") for at, value in enumerate(values)]
    return list(dict.fromkeys(checked))


def _check_points(
    search: Search, base: dict[str, Any], names: tuple[str, ...], values: dict[str, list]
) -> None:
    """Each grid value, and the grid's first point, applied to the base as a submission of
    its kind would be checked (what the domains alone cannot say: a drift threshold of 0,
    ``every_n_bars`` without schedule ``bars``), so a point fails at submission, not in
    its chunk.

    :raise RequestError: naming ``grid.<name>``.
    """
    for name in names:
        for value in values[name]:
            search.apply(base, {name: value})
    search.apply(base, {name: values[name][0] for name in names})


def parse_search_sweep(
    payload: dict[str, Any], caps: RequestCaps | None = None, sweep_id: str | None = None
) -> SearchSweep:
    """A search sweep request checked: its kind, its base like a submission of that kind,
    each grid entry against the base's space, the points held to ``caps``.

    :raise RequestError: naming the field (``base.top_n``, ``grid.lookback``, ``random``…).
    """
    for name in payload:
        if name not in SEARCH_FIELDS:
            raise RequestError(str(name)[:64], "is not a field of a sweep over a kind's base")
    kind, search = searchable_kind(payload.get("kind"))
    base = payload.get("base")
    if not isinstance(base, dict):
        raise RequestError("base", f"must be a {kind.noun} request (a JSON object)")
    try:
        base = search.apply(base, {})
    except RequestError as exc:
        raise RequestError(f"base.{exc.field}", exc.message) from None
    space = search.space(base)
    grid = payload.get("grid")
    if not isinstance(grid, dict) or not grid:
        raise RequestError("grid", f"must name at least one of: {', '.join(space)}")
    search.check_point(space, {})
    for name in grid:
        if name not in space:
            search.check_point(space, {name: None})
    names = tuple(name for name in space if name in grid)
    values = {name: _values(space[name], grid[name], f"grid.{name}") for name in names}
    _check_points(search, base, names, values)
    total = int(np.prod([len(values[name]) for name in names], dtype=np.float64))
    if total > MAX_COMBOS * 10:
        raise RequestError("grid", f"describes {total:,} points; at most {MAX_COMBOS:,} may run")
    combos = list(itertools.product(*(values[name] for name in names)))
    random = check_random(payload.get("random"), len(combos))
    combos = sample(combos, random)
    if caps is not None:
        caps.check_combinations(len(combos))
    elif len(combos) > MAX_COMBOS:
        raise RequestError("grid", f"has {len(combos):,} points; at most {MAX_COMBOS:,} may run")
    chunk_size = payload.get("chunk_size") or SEARCH_CHUNK_SIZE
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int):
        raise RequestError("chunk_size", "must be a whole number")
    if not 1 <= chunk_size <= CHUNK_SIZE_MAX:
        raise RequestError("chunk_size", f"must be 1 to {CHUNK_SIZE_MAX}")
    blocks = payload.get("cscv_blocks", CSCV_BLOCKS)
    if (
        isinstance(blocks, bool)
        or not isinstance(blocks, int)
        or not 0 <= blocks <= CSCV_BLOCKS_MAX
        or blocks % 2
    ):
        raise RequestError("cscv_blocks", f"must be an even number from 0 to {CSCV_BLOCKS_MAX}")
    sweep = SearchSweep(
        sweep_id=sweep_id or new_run_id(),
        kind=str(kind.noun),
        base=base,
        grid=Grid(names, values, combos, 0),
        chunk_size=chunk_size,
        cscv_blocks=blocks,
        random=random,
    )
    if caps is not None:
        caps.check_chunks(sweep.chunk_count)
    return sweep


def search_chunk_payloads(sweep: SearchSweep) -> list[dict[str, Any]]:
    """Every chunk's queue message: the kind, its base request, the names, each one's
    values and the chunk's points as value rows (``request`` names the universe as the
    chunk's ticker, what a sweep's chunk rows and logs read)."""
    names = list(sweep.grid.names)
    out = []
    for chunk_no, first in enumerate(range(0, len(sweep.grid.combos), sweep.chunk_size)):
        combos = sweep.grid.combos[first : first + sweep.chunk_size]
        out.append(
            {
                "chunk_id": chunk_id(sweep.sweep_id, chunk_no),
                "sweep_id": sweep.sweep_id,
                "chunk_no": chunk_no,
                "combo_first": first,
                "kind": sweep.kind,
                "base": sweep.base,
                "request": {"ticker": UNIVERSE, "params": {}},
                "grid_params": names,
                "grid_values": [sweep.grid.values[name] for name in names],
                "combos": [list(combo) for combo in combos],
                "cscv_blocks": sweep.cscv_blocks,
            }
        )
    return out


def point_id(sweep_id: str, combo_no: int) -> str:
    """The id one point's request carries: a UUID4-shaped id derived from the sweep and the
    point, the same every time (the result names it, so it is part of its bytes)."""
    digest = uuid.uuid5(uuid.NAMESPACE_URL, f"sweep:{sweep_id}/{combo_no}").bytes
    return str(uuid.UUID(bytes=digest, version=4))


def sweep_base(stored: dict[str, Any], ticker: str = UNIVERSE) -> dict[str, Any]:
    """The base request a stored sweep's points on ``ticker`` vary: a search sweep's
    ``base``; a run sweep's stored request (its rule, params and shared fields) on that
    ticker, without charts."""
    if is_search_request(stored):
        return stored["base"]
    return {**stored, "ticker": ticker, "charts": False}


def point_request(
    stored: dict[str, Any], combo_no: int, swept: dict[str, Any], ticker: str = UNIVERSE
) -> dict:
    """The request of one stored point (on ``ticker``, for a run sweep): submitted alone,
    it computes the point's result.

    :raise RequestError: the stored request no longer describes one (a changed kind).
    """
    kind, search = searchable_kind(stored.get("kind"))
    request = search.apply(sweep_base(stored, ticker), swept)
    request[kind.id_field] = point_id(stored["sweep_id"], combo_no)
    return request


def search_returns(
    stored: dict[str, Any], ticker: str, combo_no: int, swept: dict[str, Any]
) -> tuple[np.ndarray, int, float]:
    """(bar returns, bar count, bars per year) of one stored point computed alone by its
    kind (the overfitting statistics' best combination of ``ticker``).

    :raise RequestError: the kind gives no returns for its points.
    """
    _, search = searchable_kind(stored.get("kind"))
    outcome = search.evaluate_one(point_request(stored, combo_no, swept, ticker))
    if outcome.returns is None or outcome.bars_per_year is None:
        raise RequestError("kind", f"a {search.kind} gives no returns to judge")
    returns = np.asarray(list(outcome.returns), dtype=np.float64)
    return returns, returns.size + 1, float(outcome.bars_per_year)


@dataclass(frozen=True)
class SweepChunk:
    """A chunk message as every kind's chunk is evaluated: its kind's ``Search``, the base
    request its points vary (a search chunk's ``base``; a run sweep's chunk, queued without
    ``kind``, carries it as ``request``), the ticker its rows name, its first combination's
    number, its points (the swept values), the grid's value lists (None: a message queued
    before ``grid_values``), the blocks its returns are cut into (0: none) and its id."""

    search: Search
    base: dict[str, Any]
    ticker: str
    combo_first: int
    swept: Sequence[Mapping[str, Any]]
    """The points: ``Points`` (by column) as a message is read; any sequence of
    ``{name: value}`` works."""
    grid: dict[str, list] | None
    blocks: int
    label: str
    id_field: str = ""
    sweep_id: str = ""
    top_k: int | None = None
    """Stored compactly (``kinds.sweeps.compact``): the rows kept per metric; None: all."""
    pbo_stride: int = 1
    """Stored compactly: the step between the combo_nos that keep their block statistics."""

    def identify(self, k: int, request: dict[str, Any]) -> dict[str, Any]:
        """The k-th point's request under its id (``point_id``): submitted alone, it
        computes the bytes the chunk computed for it."""
        if self.id_field and self.sweep_id:
            request[self.id_field] = point_id(self.sweep_id, self.combo_first + k)
        return request


def read_chunk(payload: object) -> SweepChunk:
    """A chunk message of any kind, read (fields a newer web adds are ignored).

    :raise RequestError: a message its Job could not evaluate, naming what is missing.
    """
    from kinds.sweeps.contract import grid_values, range_points

    if not isinstance(payload, dict):
        raise RequestError("body", "a chunk message must be a JSON object")
    kind, search = searchable_kind(payload.get("kind"))
    names, combos = payload.get("grid_params"), payload.get("combos")
    points = None
    if combos is None and "grid_range" in payload:  # a large sweep's compact message
        points = range_points(payload)
    request = payload.get("request")
    if points is None or not len(points):
        if not (isinstance(names, list) and isinstance(combos, list) and combos):
            raise RequestError("combos", "a chunk message needs grid_params and combos")
        points = Points.from_rows(names, combos)
    if not isinstance(request, dict) or not isinstance(request.get("params"), dict):
        raise RequestError("request", "a chunk message needs its base request")
    base = payload.get("base", request)
    if not isinstance(base, dict):
        raise RequestError("base", "a search chunk message needs its base request")
    return SweepChunk(
        search=search,
        base=base,
        ticker=str(request.get("ticker")),
        combo_first=int(payload.get("combo_first", 0)),
        swept=points,
        grid=grid_values(names, payload.get("grid_values")),
        blocks=int(payload.get("cscv_blocks") or 0),
        label=str(payload.get("chunk_id", "")),
        id_field=kind.id_field,
        sweep_id=str(payload.get("sweep_id", "")),
        top_k=int(payload["top_k"]) if payload.get("top_k") else None,
        pbo_stride=max(1, int(payload.get("pbo_stride") or 1)),
    )


def evaluate_sweep_chunk(chunk: SweepChunk) -> EvaluatedChunk:
    """Evaluate a chunk's points with their kind's own computation (``Search.score``: in
    one vectorised pass where the kind has one, point by point otherwise): one row per
    point (``{"combo_no", "ticker", "params" (swept values), **metrics}``, and ``error``
    when the point failed alone: its metrics are None), their block
    statistics when the message asks and the window is long enough (``pack_blocks``) and,
    with them, their Sharpe ratios and grid positions (``pack_sharpe_grid``) when the
    message carries the grid's values.

    :raise RequestError: a point or its data cannot be computed.
    """
    from kinds.sweeps.evaluate import (
        EvaluatedChunk,
        MetricRows,
        grid_positions,
        pack_blocks,
        pack_sharpe_grid,
    )
    from kinds.sweeps.export import ChunkCells
    from metrics import sweep_metric_keys

    scored = chunk.search.score(
        chunk.base, chunk.swept, chunk.blocks, chunk.label, identify=chunk.identify
    )
    first, count, points = chunk.combo_first, len(chunk.swept), chunk.swept
    if len(scored.metrics) != count:
        raise ValueError("a kind scored another number of points than it was given")
    keys = sweep_metric_keys()
    errors = scored.errors
    columns = scored.columns
    if columns is None:
        columns = {key: [None if found is None else found.get(key) for found in scored.metrics]
                   for key in keys}  # fmt: skip

    def rows_at(kept: Sequence[int]) -> list[dict]:  # only the rows stored are built
        found = (
            scored.metrics.at(kept)
            if isinstance(scored.metrics, MetricRows)
            else [scored.metrics[k] for k in kept]
        )
        return [
            {
                "combo_no": first + k,
                "ticker": chunk.ticker,
                "params": points[k],
                **(row or {}),
                **({"error": errors[k]} if errors and errors[k] is not None else {}),
            }
            for k, row in zip(kept, found, strict=True)
        ]

    cells = ChunkCells(first, chunk.ticker, points, columns)
    if scored.blocks is None and chunk.top_k is None:
        return EvaluatedChunk(rows_at(range(count)), cells=cells)
    sharpe_grid = None
    if chunk.grid is not None:
        sharpe = np.array(columns["sharpe_ratio"], dtype=np.float64)
        sharpe_grid = pack_sharpe_grid(sharpe, grid_positions(points, chunk.grid))
    blocks = scored.blocks
    kept: Sequence[int] = range(count)
    if chunk.top_k is not None:
        from kinds.sweeps.compact import sampled, top_positions

        if blocks is not None:
            blocks = blocks[sampled(first, count, chunk.pbo_stride)]
        kept = top_positions(columns, count, chunk.top_k, keys)
    packed = None if blocks is None else pack_blocks(blocks)
    return EvaluatedChunk(rows_at(kept), packed, sharpe_grid, cells)


def evaluate_chunk(spec: ChunkSpec) -> EvaluatedChunk:
    """A parsed run sweep chunk (``kinds.sweeps.contract.parse_chunk``) evaluated as every
    chunk is (``evaluate_sweep_chunk`` with the run kind's search, whose
    points are evaluated by ``evaluate``): one row per combination, ``{"combo_no",
    "ticker", "params" (swept values), **metrics}``, their block statistics when
    ``spec.cscv_blocks`` is set and, with them, their Sharpe ratios and grid positions when
    the message carries the grid's values (``spec.grid``).

    Raises ``RequestError`` when the data cannot serve the request (as ``execute`` does).
    """
    chunk = SweepChunk(
        search=searchable_kind(None)[1],
        base=spec.base,
        ticker=spec.request.ticker,
        combo_first=spec.combo_first,
        swept=spec.swept,
        grid=spec.grid,
        blocks=spec.cscv_blocks,
        label=spec.chunk_id,
    )
    return evaluate_sweep_chunk(chunk)
