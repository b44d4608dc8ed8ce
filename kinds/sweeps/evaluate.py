"""Evaluating sweep combinations: one vectorised pass per block of combinations.

The same steps as a single run (``kinds.runs.execute``): the data window, signals on the history
cut to the window (``signals_in_window``), the engine (``run_batch``, row i bit-for-bit equal
to ``run``) and the equity-curve metrics (``adapters.equity_metrics``, the code a single
run's ``enhanced_metrics`` calls with N = 1). So every combination's metrics equal what
``execute`` gives for the same request, bit for bit.

Swept stops and entry-order ``$names`` (``ChunkSpec.trading``) change the trading
parameters per combination: the combinations are grouped by them and each group is one
``run_batch`` call (the engine walks each run bar by bar then; a group's entry orders are
priced once); a sweep without them is one group, as before. An entry order (the request's
``entry_order``) prices its orders on the signal history as a single run does
(``entry_prices_in_window``).

Metrics a function defines (``metrics.curve_functions``) are computed per block of
combinations from their curves (``kinds.runs.curve_metrics``), on either path: the compiled
one pass keeps each block's equity and bar returns for them, written into one space every
block reuses (``run_batch``'s ``keep_equity`` and ``into``; blocks of ``curve_rows``), which
the thread keeps for its next sweep (a study's next trials).

Trade-level metrics (win rate, profit factor, average/best/worst trade) and
``exposure_pct`` need each run's trades or positions, which a batch does not keep: they are
single-run only.

With ``blocks`` = S (the chunk message's ``cscv_blocks``), each combination's bar returns are
also cut into S blocks and reduced to their sums and sums of squares
(``adapters.cscv.block_stats``): the 2·S numbers per combination the sweep's overfitting
statistics need (``kinds.sweeps.overfitting``), stored per chunk, never the curves. Beside
them a chunk stores its combinations' Sharpe ratios and positions on the grid
(``pack_sharpe_grid``), so the statistics read one blob per chunk, not one row per
combination.
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import struct
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adapters.cscv import MIN_BARS_PER_BLOCK, block_edges, block_stats
from adapters.metrics import curve_stats_metrics, equity_metrics
from engine import BatchResult, TradingParams, bar_returns, compiled, run_batch, run_crossings
from engine.backtest import reduced_in_step
from kinds.runs.contract import RunRequest
from kinds.runs.curve_metrics import named_metrics
from kinds.runs.execute import (
    MarketWindow,
    entry_prices_in_window,
    position_exits_in_window,
    signals_in_window,
    size_in_window,
)
from kinds.sweeps.export import ChunkCells
from kinds.sweeps.grid import Points, split_entry_values, split_size_values
from metrics import curve_functions, sweep_metric_keys

BLOCK_ROWS = 500
"""Combinations whose signals and paths are built together: (N × T) arrays of 500 rows over
a few thousand bars stay within a few tens of MB, so a big sweep never needs more."""

CURVE_VALUES = 4_000_000
"""Equity values per block of combinations whose curves the compiled one pass keeps for the
registered metrics (``curve_rows``): with their bar returns 64 MB, allocated once and reused
by every block. Each block is one parallel kernel call whose threads wait for the next one
while the functions run, so the blocks are as large as that memory allows: a chunk of 1,000
combinations over 2,000 bars is one call, as without a registered metric."""


def curve_rows(n_bars: int) -> int:
    """Combinations per block whose curves the one pass keeps: ``CURVE_VALUES`` over the
    bars, at least 1.

    >>> curve_rows(2_148), curve_rows(100_000), curve_rows(10_000_000)
    (1862, 40, 1)
    """
    return max(1, CURVE_VALUES // max(n_bars, 1))


def evaluate(
    frame: MarketWindow,
    request: RunRequest,
    params_list: Sequence[dict],
    *,
    cache: dict | None = None,
    block: int | None = None,
    trading: Sequence[Mapping[str, Any]] | None = None,
    blocks: int = 0,
) -> dict[str, np.ndarray]:
    """``metrics.sweep_metric_keys()`` of every parameter set of ``request``'s rule over
    ``frame``: one array per metric (NaN where undefined), row i for ``params_list[i]``.
    ``cache`` (a dict the caller owns) keeps indicator arrays between calls on the same
    ``frame``. ``block``: combinations computed together (default ``BLOCK_ROWS``, or
    ``curve_rows`` when the compiled one pass keeps curves for registered metrics).
    ``trading[i]`` (optional) holds row i's swept stops, overriding ``request``'s.
    ``params_list`` may be ``ParamRows`` and ``trading`` ``Points``: a chunk's points by
    column, never one dict a row.
    ``blocks`` = S > 0 adds ``BLOCK_KEY``: N × 2S block sums and sums of squares of the bar
    returns (when the window has at least 2 returns per block)."""
    cache = {} if cache is None else cache
    base = request.trading_params(frame.bars_per_year)
    if blocks and len(frame.bars) - 1 < MIN_BARS_PER_BLOCK * blocks:
        blocks = 0
    size = size_in_window(frame, request.size_expr)
    work = len(params_list) * len(frame.bars)  # what a compiled kernel's loading pays for
    if not trading or (not trading.names if isinstance(trading, Points) else not any(trading)):
        prices = entry_prices_in_window(frame, request.entry_order)
        return _evaluate_rows(
            frame, request.rule_type, base, params_list, cache, block, blocks, prices, size, work
        )
    groups = trading_groups(trading)
    out = {name: np.empty(len(params_list)) for name in sweep_metric_keys()}
    out["num_trades"] = np.empty(len(params_list), dtype=np.int64)
    if blocks:
        out[BLOCK_KEY] = np.empty((len(params_list), 2 * blocks))
    for key, rows in groups:
        stops, entry_order = split_entry_values(dict(key), request.entry_order)
        size_expr = split_size_values(dict(key), request.size_expr)
        part = _evaluate_rows(
            frame,
            request.rule_type,
            dataclasses.replace(base, **stops),
            params_list.take(rows)
            if isinstance(params_list, ParamRows)
            else [params_list[i] for i in rows],
            cache,
            block,
            blocks,
            entry_prices_in_window(frame, entry_order),
            size if size_expr is request.size_expr else size_in_window(frame, size_expr),
            work,
        )
        for name in out:
            out[name][rows] = part[name]
    return out


def trading_groups(trading: Sequence[Mapping[str, Any]]) -> list[tuple[tuple, Any]]:
    """The rows of ``evaluate``'s ``trading`` grouped by their values: per distinct set
    (its items sorted by name), the rows that have it, in order of first appearance. A
    ``Points``' rows are grouped by their codes, never one dict a row."""
    if not isinstance(trading, Points):
        groups: dict[tuple, list[int]] = {}
        for i, stops in enumerate(trading):
            groups.setdefault(tuple(sorted(stops.items())), []).append(i)
        return list(groups.items())
    distinct, first, inverse = np.unique(
        trading.codes, axis=0, return_index=True, return_inverse=True
    )
    group_of = np.empty(len(distinct), dtype=np.int64)
    numbers: dict[tuple, int] = {}
    for at in np.argsort(first, kind="stable").tolist():
        codes = distinct[at].tolist()
        point = {name: trading.levels[j][codes[j]] for j, name in enumerate(trading.names)}
        group_of[at] = numbers.setdefault(tuple(sorted(point.items())), len(numbers))
    labels = group_of[inverse.reshape(-1)]
    return [(key, np.flatnonzero(labels == number)) for key, number in numbers.items()]


class ParamRows(Sequence):
    """Every point's full rule parameters (``base`` with the point's swept rule values)
    without a dict a point: row k is built only when read; ``column`` gives one parameter
    of every row as numbers."""

    def __init__(self, base: Mapping[str, Any], points: Points) -> None:
        self.base = dict(base)
        self.points = points
        self.built: list[dict] | None = None

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, at):  # type: ignore[override]
        if isinstance(at, slice):
            return ParamRows(self.base, self.points[at])
        if self.built is not None:
            return self.built[at]
        return {**self.base, **self.points[at]}

    def __iter__(self):
        """Every row as a dict, built once (a rule that reads its sets a dict at a time,
        EXPR's or a crossing's, may walk them several times)."""
        if self.built is None:
            self.built = [{**self.base, **point} for point in self.points]
        return iter(self.built)

    def take(self, rows: np.ndarray) -> ParamRows:
        """The rows at ``rows`` (positions)."""
        points = self.points
        return ParamRows(self.base, Points(points.names, points.levels, points.codes[rows]))

    def coded(self, name: str) -> tuple[list, np.ndarray]:
        """One parameter's distinct values and each row's index into them (what the rules
        read a chunk's parameters by, ``rules._batch.by_column``)."""
        if name in self.points.names:
            return self.points.coded(name)
        return [self.base[name]], np.zeros(len(self), dtype=np.int64)


BLOCK_KEY = "block_stats"
"""``evaluate``'s key of the per-combination block statistics (N × 2S: sums, then squares)."""


def _evaluate_rows(
    frame: MarketWindow,
    rule_type: str,
    trading: TradingParams,
    params_list: list[dict],
    cache: dict,
    block: int | None,
    blocks: int = 0,
    prices: tuple = (None, None),
    size=None,
    work: int = 0,
) -> dict[str, np.ndarray]:
    """``evaluate`` for parameter sets that share their trading parameters (and entry
    order ``prices``: limit, stop; ``size``: the request's size series). ``work``: the
    bar-updates of the whole ``evaluate`` call (at least these rows'), on which the compiled
    kernels are chosen: numba is loaded once for all of its blocks and groups."""
    work = max(work, len(params_list) * len(frame.bars))
    held = _position_exits(rule_type, params_list)
    one_pass = not held and _one_pass(frame, trading, work)
    stepped = not (one_pass or held) and size is None  # walked: the broker step's pass
    stepped = stepped and reduced_in_step(frame.bars, trading, actions=frame.actions)
    crossing = _crossing(frame, rule_type, params_list, cache) if one_pass or stepped else None
    keep = (one_pass or crossing is not None) and bool(curve_functions())  # for the functions
    if block is None:
        block = curve_rows(len(frame.bars)) if keep else BLOCK_ROWS
    into = _curve_space(min(block, len(params_list)), len(frame.bars)) if keep else None
    parts: list[dict[str, np.ndarray]] = []
    if crossing is not None:  # without N × T signals; all at once unless curves are kept
        _, window = frame.signal_history()
        lines, line, other = crossing
        step = block if keep else max(len(params_list), 1)
        for first in range(0, len(params_list), step):
            picked = slice(first, first + step)
            batch = run_crossings(
                frame.bars,
                lines,
                line[picked],
                other[picked],
                window.start,
                trading,
                block_edges=_edges(frame, blocks),
                keep_equity=keep,
                into=into,
                prices=prices,
                work=work,
            )
            parts.append(_finish_one_pass(frame, batch, trading, blocks))
    else:
        for first in range(0, len(params_list), block):
            rows = params_list[first : first + block]
            entries, exits = signals_in_window(frame, rule_type, rows, cache)
            exits_held = position_exits_in_window(frame, rule_type, rows, cache) if held else None
            sizes = None if size is None else [size] * len(rows)
            parts.append(
                _evaluate_block(
                    frame,
                    entries,
                    exits,
                    trading,
                    blocks,
                    one_pass,
                    prices,
                    exits_held,
                    sizes,
                    into,
                    work,
                )
            )
    keys = (*sweep_metric_keys(), BLOCK_KEY) if blocks else sweep_metric_keys()
    if not parts:
        return {name: np.empty((0, 2 * blocks) if name == BLOCK_KEY else 0) for name in keys}
    return {name: np.concatenate([part[name] for part in parts]) for name in keys}


_kept = threading.local()
"""The curve space of this thread's last sweep that kept curves (``_curve_space``)."""


def _curve_space(rows: int, n_bars: int) -> tuple[np.ndarray, np.ndarray]:
    """The equity (rows × T) and bar returns (rows × max(T - 1, 1)) a block's one pass
    keeps, allocated once for every block of the combinations (``run_batch``'s ``into``),
    and kept by the thread for its next sweep while it holds at most 2 × ``CURVE_VALUES``
    floats (64 MB): a worker's next sweep writes into pages already mapped instead of
    faulting in and zeroing 64 MB of new ones (24 ms of system time for 4,000 combinations
    of 2,520 bars, docs/benchmarks.md). Nothing reads a block's curves once its metrics are
    computed: ``named_metrics`` copies what the functions give."""
    width = max(n_bars - 1, 1)
    size = rows * n_bars
    need = size + rows * width
    space = getattr(_kept, "space", None)
    if space is None or space.size < need:
        space = np.empty(need)
        if need <= 2 * CURVE_VALUES:
            _kept.space = space
    return space[:size].reshape(rows, n_bars), space[size:need].reshape(rows, width)


def _position_exits(rule_type: str, params_list: list[dict]) -> bool:
    """Whether the combinations' exits name position series (an EXPR whose exit does: the
    runs are walked bar by bar with them, ``position_exits_in_window``)."""
    if rule_type != "EXPR" or not params_list:
        return False
    from rules.library.expr import uses_position

    return any(uses_position(params) for params in params_list)


def _edges(frame: MarketWindow, blocks: int) -> np.ndarray | None:
    """The bar edges of the window's ``blocks`` blocks (None for none: no block statistics)."""
    return block_edges(len(frame.bars) - 1, blocks) if blocks else None


def _evaluate_block(
    frame: MarketWindow,
    entries: np.ndarray,
    exits: np.ndarray,
    trading: TradingParams,
    blocks: int,
    one_pass: bool,
    prices: tuple = (None, None),
    position_exits: list | None = None,
    sizes: list | None = None,
    into: tuple | None = None,
    work: int | None = None,
) -> dict[str, np.ndarray]:
    """The stored metrics of a block of combinations: each in one compiled pass
    (``one_pass``; keeping the curves in ``into`` when registered metrics take them), in
    the broker step's pass (walked single positions, ``reduced_in_step``: the same
    reductions, the curves kept only for registered metrics), or from their equity curves
    (N × T); ``prices``: their entry orders' limit and stop
    prices; ``position_exits``: their position-aware exits; ``sizes``: their size series;
    ``work``: the sweep's bar-updates, on which the entry orders' kernel is chosen."""
    if one_pass:
        batch = run_batch(
            frame.bars,
            entries,
            exits,
            trading,
            one_pass=True,
            block_edges=_edges(frame, blocks),
            keep_equity=into is not None,
            into=into,
        )
        return _finish_one_pass(frame, batch, trading, blocks)
    limit, stop = prices
    work = entries.size if work is None else work
    routes = {"position_exits": position_exits, "sizes": sizes, "actions": frame.actions}
    stepped = reduced_in_step(frame.bars, trading, **routes)
    batch = run_batch(
        frame.bars,
        entries,
        exits,
        trading,
        keep_equity=not stepped or bool(curve_functions()),
        block_edges=_edges(frame, blocks) if stepped else None,
        limit=limit,
        stop=stop,
        work=work,
        **routes,
    )
    if stepped:  # reduced in the broker step's pass, as the one pass reduces
        return _finish_one_pass(frame, batch, trading, blocks)
    returns = bar_returns(batch.equity)  # once, for the curve metrics and the blocks
    curve = equity_metrics(
        frame.bars.timestamps,
        batch.equity,
        batch.metrics["max_drawdown_pct"],
        bars_per_year=trading.annual_bars,
        returns=returns,
    )
    part = {**batch.metrics, **curve}
    part |= named_metrics(frame.bars.timestamps, batch.equity, returns, trading.annual_bars, part)
    if blocks:
        stats = block_stats(returns, blocks)
        part[BLOCK_KEY] = np.hstack([stats.sums, stats.squares])
    return part


def _finish_one_pass(
    frame: MarketWindow, batch: BatchResult, trading: TradingParams, blocks: int
) -> dict[str, np.ndarray]:
    """The stored metrics of one-pass results: the engine's, those of its reductions and,
    from the curves it kept (``batch.equity``), the registered metrics."""
    part = {**batch.metrics}
    part |= curve_stats_metrics(
        frame.bars.timestamps, batch.curve, part["max_drawdown_pct"], trading.annual_bars
    )
    if batch.equity is not None:
        stamps, equity, returns = frame.bars.timestamps, batch.equity, batch.returns
        part |= named_metrics(stamps, equity, returns, trading.annual_bars, part)
    if blocks:
        part[BLOCK_KEY] = batch.block_stats
    return part


def _crossing(frame: MarketWindow, rule_type: str, params_list: list[dict], cache: dict):
    """The combinations' signals as crossings of two lines over the signal history
    (``rules.crossing_lines``), or None for a rule whose signals are not of that form."""
    from rules import crossing_lines

    history, _ = frame.signal_history()
    return crossing_lines(rule_type, params_list, history, cache)


def _one_pass(frame: MarketWindow, trading: TradingParams, bar_updates: int) -> bool:
    """Whether the combinations run as the engine's compiled one-pass evaluation: the same
    numbers bit for bit, and chosen when the work pays for loading the kernels, without
    swept or set stops, entry orders, scaling, a liquidity field or corporate actions in the
    window (walked bar by bar), on finite prices (the numpy path carries a NaN through; the
    kernel takes none). Registered curve metrics take each combination's curve: the pass
    keeps them, a block of combinations at a time."""
    return (
        not trading.has_stops
        and trading.size_unit is None
        and not trading.stepped_as_units
        and not trading.has_orders
        and frame.actions is None
        and compiled.pays(bar_updates, compiled.MIN_BAR_UPDATES)
        and bool(np.isfinite(frame.bars.open).all() and np.isfinite(frame.bars.close).all())
    )


def metric_columns(metrics: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``evaluate``'s arrays of ``metrics.sweep_metric_keys()`` as stored: ``num_trades``
    as int64, every other metric as float64 (NaN or infinite: undefined)."""
    return {
        name: np.asarray(metrics[name]).astype(
            np.int64 if name == "num_trades" else np.float64, copy=False
        )
        for name in sweep_metric_keys()
    }


def _plain(column: np.ndarray) -> list[float | int | None]:
    """A ``metric_columns`` array as plain Python values: ints, or floats with None where
    not finite (as ``execute`` reports a metric)."""
    if column.dtype.kind != "f":
        return column.tolist()
    values = column.astype(object)
    values[~np.isfinite(column)] = None
    return values.tolist()


def metric_rows(metrics: Mapping[str, np.ndarray]) -> list[dict[str, float | int | None]]:
    """Per combination, ``{metric: value}`` with plain Python values (``metric_columns``)."""
    columns = metric_columns(metrics)
    values = zip(*map(_plain, columns.values()), strict=True)
    return [dict(zip(columns, row, strict=True)) for row in values]


class MetricRows(Sequence):
    """``metric_rows`` of ``metric_columns`` built a row at a time, when read: what a chunk
    evaluated by column hands on (``work.search.Scored.metrics``), whose rows are read only
    for the combinations it stores."""

    def __init__(self, columns: Mapping[str, np.ndarray]) -> None:
        self.columns = columns
        self.count = len(next(iter(columns.values()))) if columns else 0

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, at):  # type: ignore[override]
        if isinstance(at, slice):
            return [self[k] for k in range(*at.indices(self.count))]
        if not -self.count <= at < self.count:
            raise IndexError(at)
        return {name: _plain_value(column[at].item()) for name, column in self.columns.items()}

    def at(self, positions: Sequence[int]) -> list[dict[str, float | int | None]]:
        """The rows at ``positions``, built together (``metric_rows`` of those rows)."""
        taken = np.asarray(positions, dtype=np.int64)
        columns = {name: column[taken] for name, column in self.columns.items()}
        values = zip(*map(_plain, columns.values()), strict=True)
        return [dict(zip(columns, row, strict=True)) for row in values]


def _plain_value(value: float | int) -> float | int | None:
    """One ``_plain`` value: None for a float that is not finite."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


@dataclass(frozen=True)
class EvaluatedChunk:
    """A chunk's result rows and, when its message asked for them and its window is long
    enough, its combinations' block statistics as stored (``pack_blocks``) and, when its
    message also carries the grid's values, their Sharpe ratios and grid positions
    (``pack_sharpe_grid``)."""

    rows: list[dict]
    block_stats: bytes | None = None
    sharpe_grid: bytes | None = None
    cells: ChunkCells | None = None
    """Every combination's values by column (``rows`` may keep only the best: a chunk
    stored compactly, ``kinds.sweeps.compact``): what its CSV part is written from."""


def pack_blocks(stats: np.ndarray) -> bytes:
    """The stored form of N × 2S block statistics: one ``.npy`` (little-endian float64, its
    shape in the header) — the same array gives the same bytes."""
    out = io.BytesIO()
    np.save(out, np.ascontiguousarray(stats, dtype="<f8"), allow_pickle=False)
    return out.getvalue()


def unpack_blocks(blob: bytes) -> np.ndarray:
    """The N × 2S array ``pack_blocks`` stored."""
    return np.load(io.BytesIO(blob), allow_pickle=False)


def _grid_key(value: Any) -> Any:
    """A swept value as a dict key: itself (numbers, text, None), its JSON with sorted keys
    for a list or an object."""
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


def grid_positions(swept: Sequence[Mapping[str, Any]], grid: Mapping[str, Sequence]) -> np.ndarray:
    """Each combination's position on the grid: K × n int64, column j the index of its value
    of the grid's j-th parameter in that parameter's value list (0 for a value the list
    lacks; a list or object value matched by its JSON). ``swept`` may be ``Points``.

    >>> grid_positions([{"fast": 10, "slow": 40}, {"fast": 5, "slow": 60}],
    ...                {"fast": [5, 10], "slow": [40, 60]}).tolist()
    [[1, 0], [0, 1]]
    """
    out = np.zeros((len(swept), len(grid)), dtype=np.int64)
    for column, (name, values) in enumerate(grid.items()):
        position = {_grid_key(v): i for i, v in enumerate(values)}
        if isinstance(swept, Points):  # each distinct value looked up once
            if name not in swept.names:
                out[:, column] = position.get(None, 0)
                continue
            levels, codes = swept.coded(name)
            found = [position.get(_grid_key(v), 0) for v in levels]
            out[:, column] = np.asarray(found, dtype=np.int64)[codes]
            continue
        column_values = [combo.get(name) for combo in swept]
        if any(isinstance(v, list | dict) for v in values):
            column_values = [_grid_key(v) for v in column_values]
        out[:, column] = [position.get(v, 0) for v in column_values]
    return out


SHARPE_GRID_MAGIC = b"SGP1"
"""The first four bytes of a ``pack_sharpe_grid`` blob: the layout's name and version."""

_SHARPE_GRID_HEADER = struct.Struct("<4sIHB5x")
"""magic, K (uint32), n (uint16), the positions' item size in bytes (uint8), 5 zero bytes
of padding: 16 bytes, so the float64 Sharpe ratios that follow are 8-byte aligned."""

_POSITION_TYPES = {1: "<u1", 2: "<u2", 4: "<u4"}


def pack_sharpe_grid(sharpe: np.ndarray, positions: np.ndarray) -> bytes:
    """The stored form of K combinations' Sharpe ratios (K; a non-finite one stored as NaN:
    none) and grid positions (K × n non-negative integers, ``grid_positions``), in combo
    order. Little-endian throughout::

        offset        size     field
        0             4        b"SGP1" (``SHARPE_GRID_MAGIC``)
        4             4        K, uint32
        8             2        n, uint16 (swept parameters)
        10            1        w, the positions' item size: 1, 2 or 4 (uint8/16/32, the
                               smallest that holds the largest position)
        11            5        zero
        16            8·K      the Sharpe ratios, float64
        16 + 8·K      w·K·n    the positions, row-major (combination i, parameter j at i·n + j)

    The same arrays give the same bytes.

    :raise ValueError: ``positions`` not K × n non-negative, or above uint32.
    """
    values = np.asarray(sharpe, dtype=np.float64).ravel()
    at = np.asarray(positions)
    if at.ndim != 2 or at.shape[0] != values.size or (at.size and at.min() < 0):
        raise ValueError("positions must be K × n non-negative integers, one row per Sharpe")
    largest = int(at.max()) if at.size else 0
    width = next((w for w in (1, 2, 4) if largest < 1 << (8 * w)), None)
    if width is None:
        raise ValueError("a grid position above uint32")
    header = _SHARPE_GRID_HEADER.pack(SHARPE_GRID_MAGIC, values.size, at.shape[1], width)
    finite = np.where(np.isfinite(values), values, np.nan).astype("<f8")
    return header + finite.tobytes() + np.ascontiguousarray(at, _POSITION_TYPES[width]).tobytes()


def unpack_sharpe_grid(blob: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The Sharpe ratios (K float64) and grid positions (K × n, the stored unsigned type)
    ``pack_sharpe_grid`` stored: read-only views of ``blob``.

    :raise ValueError: not such a blob, or cut short.
    """
    magic, count, n, width = _SHARPE_GRID_HEADER.unpack_from(blob)
    kind = _POSITION_TYPES.get(width)
    start = _SHARPE_GRID_HEADER.size
    if magic != SHARPE_GRID_MAGIC or kind is None or len(blob) != start + count * (8 + width * n):
        raise ValueError("not a packed array of Sharpe ratios and grid positions")
    sharpe = np.frombuffer(blob, "<f8", count, start)
    positions = np.frombuffer(blob, kind, count * n, start + 8 * count).reshape(count, n)
    return sharpe, positions
