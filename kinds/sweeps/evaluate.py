"""Evaluating sweep combinations: one vectorised pass per block of combinations.

The same steps as a single run (``kinds.runs.execute``): the data window, signals on the history
cut to the window (``signals_in_window``), the engine (``run_batch``, row i bit-for-bit equal
to ``run``) and the equity-curve metrics (``adapters.equity_metrics``, the code a single
run's ``enhanced_metrics`` calls with N = 1). So every combination's metrics equal what
``execute`` gives for the same request, bit for bit.

Swept stops (``ChunkSpec.trading``) change the trading parameters per combination: the
combinations are grouped by their stops and each group is one ``run_batch`` call (the
engine walks each run bar by bar then); a sweep without swept stops is one group, as
before.

Trade-level metrics (win rate, profit factor, average/best/worst trade) and
``exposure_pct`` need each run's trades or positions, which a batch does not keep: they are
single-run only.

With ``blocks`` = S (the chunk message's ``cscv_blocks``), each combination's bar returns are
also cut into S blocks and reduced to their sums and sums of squares
(``adapters.cscv.block_stats``): the 2·S numbers per combination the sweep's overfitting
statistics need (``kinds.sweeps.overfitting``), stored per chunk, never the curves.
"""

from __future__ import annotations

import dataclasses
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from adapters.cscv import MIN_BARS_PER_BLOCK, block_stats
from adapters.metrics import equity_metrics
from engine import TradingParams, bar_returns, run_batch
from kinds.runs.contract import RunRequest
from kinds.runs.execute import MarketWindow, load_market_data, market_window, signals_in_window
from kinds.sweeps.contract import ChunkSpec
from metrics import SWEEP_METRIC_KEYS

BLOCK_ROWS = 500
"""Combinations whose signals and paths are built together: (N × T) arrays of 500 rows over
a few thousand bars stay within a few tens of MB, so a big sweep never needs more."""


def evaluate(
    frame: MarketWindow,
    request: RunRequest,
    params_list: list[dict],
    *,
    cache: dict | None = None,
    block: int = BLOCK_ROWS,
    trading: list[dict] | None = None,
    blocks: int = 0,
) -> dict[str, np.ndarray]:
    """``SWEEP_METRIC_KEYS`` of every parameter set of ``request``'s rule over ``frame``: one
    array per metric (NaN where undefined), row i for ``params_list[i]``. ``cache`` (a dict
    the caller owns) keeps indicator arrays between calls on the same ``frame``.
    ``trading[i]`` (optional) holds row i's swept stops, overriding ``request``'s.
    ``blocks`` = S > 0 adds ``BLOCK_KEY``: N × 2S block sums and sums of squares of the bar
    returns (when the window has at least 2 returns per block)."""
    cache = {} if cache is None else cache
    base = request.trading_params(frame.bars_per_year)
    if blocks and len(frame.bars) - 1 < MIN_BARS_PER_BLOCK * blocks:
        blocks = 0
    if not trading or not any(trading):
        return _evaluate_rows(frame, request.rule_type, base, params_list, cache, block, blocks)
    groups: dict[tuple, list[int]] = {}
    for i, stops in enumerate(trading):
        groups.setdefault(tuple(sorted(stops.items())), []).append(i)
    out = {name: np.empty(len(params_list)) for name in SWEEP_METRIC_KEYS}
    out["num_trades"] = np.empty(len(params_list), dtype=np.int64)
    if blocks:
        out[BLOCK_KEY] = np.empty((len(params_list), 2 * blocks))
    for key, rows in groups.items():
        part = _evaluate_rows(
            frame,
            request.rule_type,
            dataclasses.replace(base, **dict(key)),
            [params_list[i] for i in rows],
            cache,
            block,
            blocks,
        )
        for name in out:
            out[name][rows] = part[name]
    return out


BLOCK_KEY = "block_stats"
"""``evaluate``'s key of the per-combination block statistics (N × 2S: sums, then squares)."""


def _evaluate_rows(
    frame: MarketWindow,
    rule_type: str,
    trading: TradingParams,
    params_list: list[dict],
    cache: dict,
    block: int,
    blocks: int = 0,
) -> dict[str, np.ndarray]:
    """``evaluate`` for parameter sets that share their trading parameters."""
    parts: list[dict[str, np.ndarray]] = []
    for first in range(0, len(params_list), block):
        entries, exits = signals_in_window(
            frame, rule_type, params_list[first : first + block], cache
        )
        batch = run_batch(frame.bars, entries, exits, trading, keep_equity=True)
        returns = bar_returns(batch.equity)  # once, for the curve metrics and the blocks
        curve = equity_metrics(
            frame.bars.timestamps,
            batch.equity,
            batch.metrics["max_drawdown_pct"],
            bars_per_year=trading.annual_bars,
            returns=returns,
        )
        part = {**batch.metrics, **curve}
        if blocks:
            stats = block_stats(returns, blocks)
            part[BLOCK_KEY] = np.hstack([stats.sums, stats.squares])
        parts.append(part)
    keys = (*SWEEP_METRIC_KEYS, BLOCK_KEY) if blocks else SWEEP_METRIC_KEYS
    if not parts:
        return {name: np.empty((0, 2 * blocks) if name == BLOCK_KEY else 0) for name in keys}
    return {name: np.concatenate([part[name] for part in parts]) for name in keys}


def _plain(name: str, value: np.generic) -> float | int | None:
    """A stored metric: an int for ``num_trades``, a float, or None when not finite (as
    ``execute`` reports it)."""
    if name == "num_trades":
        return int(value)
    value = float(value)
    return value if math.isfinite(value) else None


def metric_rows(metrics: dict[str, np.ndarray]) -> list[dict[str, float | int | None]]:
    """Per combination, ``{metric: value}`` with plain Python values."""
    columns = {name: metrics[name].tolist() for name in SWEEP_METRIC_KEYS}
    count = len(columns[SWEEP_METRIC_KEYS[0]])
    return [
        {name: _plain(name, columns[name][i]) for name in SWEEP_METRIC_KEYS} for i in range(count)
    ]


@dataclass(frozen=True)
class EvaluatedChunk:
    """A chunk's result rows and, when its message asked for them and its window is long
    enough, its combinations' block statistics as stored (``pack_blocks``)."""

    rows: list[dict]
    block_stats: bytes | None = None


def pack_blocks(stats: np.ndarray) -> bytes:
    """The stored form of N × 2S block statistics: one ``.npy`` (little-endian float64, its
    shape in the header) — the same array gives the same bytes."""
    out = io.BytesIO()
    np.save(out, np.ascontiguousarray(stats, dtype="<f8"), allow_pickle=False)
    return out.getvalue()


def unpack_blocks(blob: bytes) -> np.ndarray:
    """The N × 2S array ``pack_blocks`` stored."""
    return np.load(io.BytesIO(blob), allow_pickle=False)


def evaluate_chunk(spec: ChunkSpec, data_dir: Path | None = None) -> EvaluatedChunk:
    """Load the chunk's data and evaluate its combinations: one row per combination,
    ``{"combo_no", "ticker", "params" (swept values), **metrics}``, and their block
    statistics when ``spec.cscv_blocks`` is set.

    Raises ``RequestError`` when the data cannot serve the request (as ``execute`` does).
    """
    frame = market_window(load_market_data(spec.request, data_dir))
    metrics = evaluate(
        frame, spec.request, spec.params_list, trading=spec.trading, blocks=spec.cscv_blocks
    )
    rows = [
        {"combo_no": spec.combo_first + k, "ticker": spec.request.ticker, "params": swept, **row}
        for k, (swept, row) in enumerate(zip(spec.swept, metric_rows(metrics), strict=True))
    ]
    blocks = metrics.get(BLOCK_KEY)
    return EvaluatedChunk(rows, None if blocks is None else pack_blocks(blocks))
