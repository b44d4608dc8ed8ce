"""A finished sweep's overfitting statistics (issue 27; docs/execution.md, "Overfitting
statistics"): per ticker, the probability of backtest overfitting by CSCV on the block
statistics its chunks stored, the deflated Sharpe ratio of its best combination (by Sharpe)
and the parameter stability of that best on the grid — computed once, when the sweep's last
chunk has finished (``kinds.sweeps.kind``'s ``finished`` hook; the API computes it on read
for a finished sweep that has none yet), and stored in ``sweeps.overfitting_json``.

The statistics read what the chunks stored, plus one run of each ticker's best combination
(its bar returns' skewness and kurtosis, which DSR needs, and the window's length, which
gives the blocks' sizes): no sweep is evaluated again. A chunk stores its combinations'
block statistics (``sweep_chunks.block_stats``) and their Sharpe ratios and grid positions
(``sweep_chunks.sharpe_grid``, ``kinds.sweeps.evaluate.pack_sharpe_grid``): the statistics
read one blob pair per chunk and one result row (the best's, by its key) per ticker. A
sweep whose chunks are older than ``sharpe_grid`` is read from its result rows and their
params instead, to the same statistics. Plain SQL on a ``store.dbapi.Tx``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from adapters.cscv import BlockStats, probability_of_backtest_overfitting
from adapters.deflated import deflated_sharpe_of_best, dsr_verdict
from adapters.stability import grid_from_indices, neighbourhood
from work.status import RunStatus

if TYPE_CHECKING:  # pragma: no cover
    from kinds.runs.contract import RunRequest

logger = logging.getLogger("kinds.sweeps.overfitting")

LOGIT_EDGES = tuple(np.round(np.arange(-6.0, 6.01, 0.5), 2).tolist())
"""The logit histogram's bin edges (λ below −6 or above 6 fall in the end bins)."""

PBO_LIKELY = 0.5
"""A PBO above this: the in-sample best is more likely than not to underperform out of
sample (the verdict says so)."""


PLATEAU_RATIO = 0.5
"""A best whose neighbours' median Sharpe is at least this share of its own sits on a
plateau; below, it is a lone spike (only said of a positive best)."""


def verdict(stats: dict[str, Any]) -> str:
    """One sentence a user decides on: PBO first, then the DSR, then the stability."""
    parts = []
    pbo = stats.get("pbo") or {}
    if pbo.get("pbo") is not None:
        value = pbo["pbo"]
        if value > PBO_LIKELY:
            parts.append(
                f"PBO {value:.2f}: the best in-sample combination is more likely than not to "
                "underperform out of sample"
            )
        else:
            parts.append(
                f"PBO {value:.2f}: the best in-sample combination usually stays above the "
                "median out of sample"
            )
    dsr = (stats.get("dsr") or {}).get("dsr")
    if dsr is not None:
        parts.append(dsr_verdict(dsr, stats["dsr"]["n_trials"], stats.get("combinations")))
    stability = stats.get("stability") or {}
    ratio, best = stability.get("neighbour_ratio"), stability.get("best")
    if ratio is not None and best is not None and best > 0:
        parts.append(
            "its neighbours on the grid do almost as well (a plateau)"
            if ratio >= PLATEAU_RATIO
            else "its neighbours on the grid do much worse (a lone spike)"
        )
    return "; ".join(parts) if parts else "not enough data for the statistics"


def _histogram(logits: np.ndarray) -> dict[str, list]:
    finite = logits[np.isfinite(logits)]
    clipped = np.clip(finite, LOGIT_EDGES[0], LOGIT_EDGES[-1] - 1e-9)
    counts, _ = np.histogram(clipped, bins=np.asarray(LOGIT_EDGES))
    return {"edges": list(LOGIT_EDGES), "counts": counts.astype(int).tolist()}


def returns_alone(request: RunRequest) -> tuple[np.ndarray, int, float]:
    """The bar returns of ``request`` run on its own, the window's bar count and the
    ticker's bars per year (``kinds.runs.execute``: the one execution path; a selected
    sweep combination's or study trial's, whose DSR needs their moments)."""
    from engine import bar_returns
    from kinds.runs.execute import execute, load_market_data

    per_year = load_market_data(request).bars_per_year
    equity = np.asarray(execute(request, every_bar=True).equity_curve["equity"], dtype=np.float64)
    return bar_returns(equity[None, :])[0], equity.size, per_year


def _best_returns(
    stored: dict, ticker: str, swept: dict, combo_no: int = 0
) -> tuple[np.ndarray, int, float]:
    """(bar returns, bar count, bars per year) of one combination computed alone by the
    sweep's kind (``kinds.sweeps.search_sweep.search_returns``)."""
    from kinds.sweeps.search_sweep import search_returns

    return search_returns(stored, ticker, combo_no, swept)


@dataclass(frozen=True)
class TickerCombos:
    """One ticker's combinations in combo order, as the statistics need them: their Sharpe
    ratios (float64, NaN: none), grid positions (K × n, ``evaluate.grid_positions``) and
    block statistics (K × 2S; a compactly stored sweep's: those of its subset,
    ``kinds.sweeps.compact``), and how to get the i-th one's ``(combo_no, params)``."""

    sharpe: np.ndarray
    positions: np.ndarray
    blocks: np.ndarray
    combo: Callable[[int], tuple[int, dict]]


def _ticker_stats(stored: dict, ticker: str, combos: TickerCombos, n_blocks: int) -> dict[str, Any]:
    """One ticker's statistics from its combinations."""
    sharpe = combos.sharpe
    out: dict[str, Any] = {"ticker": ticker, "combinations": int(sharpe.size), "blocks": n_blocks}
    if not np.isfinite(sharpe).any():
        out["unavailable"] = "no combination has a Sharpe ratio"
        return out
    combo_no, params = combos.combo(int(np.nanargmax(sharpe)))
    returns, n_bars, per_year = _best_returns(stored, ticker, params, combo_no)
    edges = np.linspace(0, n_bars - 1, n_blocks + 1).round().astype(np.int64)
    blocks = combos.blocks
    stats = BlockStats(blocks[:, :n_blocks], blocks[:, n_blocks:], np.diff(edges))
    out["best"] = {"combo_no": combo_no, "params": params}
    if blocks.shape[0] >= 2:
        pbo = probability_of_backtest_overfitting(stats, per_year)
        summary = pbo.as_dict()
        out["pbo"] = {
            "pbo": summary["pbo"],
            "degradation_slope": summary["degradation_slope"],
            "degradation_intercept": summary["degradation_intercept"],
            "prob_oos_loss": summary["prob_oos_loss"],
            "splits": summary["n_splits"],
            "logit_histogram": _histogram(pbo.logits),
        }
        if blocks.shape[0] != sharpe.size:  # a compact sweep's subset (kinds.sweeps.compact)
            out["pbo"]["combinations"] = int(blocks.shape[0])
    out["dsr"] = deflated_sharpe_of_best(returns, sharpe, per_year)
    out["stability"] = _stability(stored, combos.positions, sharpe)
    return out


def _stability(stored: dict, positions: np.ndarray, sharpe: np.ndarray) -> dict[str, Any]:
    """The best's neighbourhood on the grid of Sharpe ratios over the swept values."""
    grid = stored.get("grid") or {}
    shape = tuple(len(values) for values in grid.values())
    out = neighbourhood(grid_from_indices(positions, sharpe, shape))
    out["params"] = list(grid)
    return out


def _sharpe_column(values: list) -> np.ndarray:
    """Stored Sharpe ratios as float64, NaN for none or a non-finite one."""
    sharpe = np.array(values, dtype=np.float64)  # None → NaN
    sharpe[~np.isfinite(sharpe)] = np.nan
    return sharpe


class _Chunk(NamedTuple):
    """A chunk's row as the statistics read it."""

    ticker: str
    status: str
    combo_first: int
    combo_count: int
    block_stats: bytes | None
    sharpe_grid: bytes | None


def _tickers(chunks: list[_Chunk]) -> dict[str, list[_Chunk]]:
    """The chunks by ticker, in chunk order (a ticker's chunks hold its combinations in
    combo order)."""
    out: dict[str, list[_Chunk]] = {}
    for chunk in chunks:
        out.setdefault(chunk.ticker, []).append(chunk)
    return out


def _blocks(chunks: list[_Chunk]) -> np.ndarray:
    """The chunks' block statistics stacked in chunk order (``overfitting`` has checked that
    every chunk stored them)."""
    from kinds.sweeps.evaluate import unpack_blocks

    return np.vstack([unpack_blocks(bytes(chunk.block_stats)) for chunk in chunks])


def _from_rows(
    tx: Any, sweep_id: str, stored: dict, chunks: list[_Chunk]
) -> list[tuple[str, TickerCombos]]:
    """Every ticker's combinations read from the result rows and their params (chunks
    stored before ``sharpe_grid``): one query of every row, one parse of every params."""
    from kinds.sweeps.evaluate import grid_positions

    rows = tx.fetchall(
        "SELECT combo_no, ticker, params_json, sharpe_ratio FROM sweep_results "
        "WHERE sweep_id = ? ORDER BY combo_no",
        (sweep_id,),
    )
    every_params = json.loads("[" + ",".join(row[2] for row in rows) + "]")  # one parse
    tickers = [row[1] for row in rows]
    out = []
    for ticker, mine in _tickers(chunks).items():
        at = [i for i, t in enumerate(tickers) if t == ticker]
        combo_nos = [rows[i][0] for i in at]
        params = [every_params[i] for i in at]
        combos = TickerCombos(
            _sharpe_column([rows[i][3] for i in at]),
            grid_positions(params, stored.get("grid") or {}),
            _blocks(mine),
            lambda i, combo_nos=combo_nos, params=params: (combo_nos[i], params[i]),
        )
        out.append((ticker, combos))
    return out


def _from_chunks(
    tx: Any, sweep_id: str, stored: dict, chunks: list[_Chunk]
) -> list[tuple[str, TickerCombos]] | None:
    """Every ticker's combinations from its chunks' blobs (``block_stats``, ``sharpe_grid``),
    the best's combo_no and params from its one result row, looked up by its key; None
    when a chunk stored no Sharpe ratios on the sweep's grid (older than ``sharpe_grid``)."""
    from kinds.sweeps.evaluate import unpack_sharpe_grid

    n = len(stored.get("grid") or {})
    out = []
    for ticker, mine in _tickers(chunks).items():
        if any(chunk.sharpe_grid is None for chunk in mine):
            return None
        unpacked = [unpack_sharpe_grid(bytes(chunk.sharpe_grid)) for chunk in mine]
        counts = [sharpe.size for sharpe, _ in unpacked]
        if counts != [c.combo_count for c in mine] or any(p.shape[1] != n for _, p in unpacked):
            return None
        starts = np.cumsum([0, *counts[:-1]])
        firsts = [chunk.combo_first for chunk in mine]

        def combo(i: int, starts=starts, firsts=firsts) -> tuple[int, dict]:
            at = int(np.searchsorted(starts, i, side="right")) - 1
            row = tx.fetchone(
                "SELECT combo_no, params_json FROM sweep_results "
                "WHERE sweep_id = ? AND combo_no = ?",
                (sweep_id, firsts[at] + i - int(starts[at])),
            )
            if row is None:
                raise LookupError(f"sweep {sweep_id}: the best combination has no result row")
            return row["combo_no"], json.loads(row["params_json"])

        combos = TickerCombos(
            np.concatenate([sharpe for sharpe, _ in unpacked]),
            np.concatenate([positions for _, positions in unpacked]),
            _blocks(mine),
            combo,
        )
        out.append((ticker, combos))
    return out


def overfitting(tx: Any, sweep_id: str) -> dict[str, Any] | None:
    """The sweep's statistics, or None while a chunk is unfinished or when a chunk FAILED;
    ``{"unavailable": why}`` for a sweep whose chunks stored no block statistics (older
    than them, or ``cscv_blocks`` 0, or a window too short). Read from the chunks' blobs
    when every chunk stored its Sharpe ratios on the grid, else from the result rows: the
    same statistics."""
    sweep = tx.fetchone("SELECT request_json FROM sweeps WHERE sweep_id = ?", (sweep_id,))
    if sweep is None:
        return None
    stored = json.loads(sweep["request_json"])
    chunks = [
        _Chunk(*row)
        for row in tx.fetchall(
            "SELECT ticker, status, combo_first, combo_count, block_stats, sharpe_grid "
            "FROM sweep_chunks WHERE sweep_id = ? ORDER BY chunk_no",
            (sweep_id,),
        )
    ]
    if not chunks or any(chunk.status != RunStatus.SUCCEEDED for chunk in chunks):
        return None
    n_blocks = int(stored.get("cscv_blocks") or 0)
    if not n_blocks or any(chunk.block_stats is None for chunk in chunks):
        return {"unavailable": "the sweep's chunks stored no block statistics", "tickers": []}
    per_ticker = _from_chunks(tx, sweep_id, stored, chunks)
    if per_ticker is None:
        per_ticker = _from_rows(tx, sweep_id, stored, chunks)
    tickers = [_ticker_stats(stored, ticker, combos, n_blocks) for ticker, combos in per_ticker]
    best = max(
        (t for t in tickers if "best" in t),
        key=lambda t: t["dsr"].get("psr") or -1.0,
        default=None,
    )
    return {
        "tickers": tickers,
        "verdict": verdict(best) if best else "not enough data for the statistics",
    }


def store_overfitting(tx: Any, sweep_id: str, stats: dict[str, Any]) -> bool:
    """Store the statistics once (a later call, or a racing one, changes nothing)."""
    text = json.dumps(stats, allow_nan=False, separators=(",", ":"))
    return bool(
        tx.execute(
            "UPDATE sweeps SET overfitting_json = ? "
            "WHERE sweep_id = ? AND overfitting_json IS NULL",
            (text, sweep_id),
        )
    )


CSV_COLUMNS = (
    ("ticker", ("ticker",)),
    ("combinations", ("combinations",)),
    ("blocks", ("blocks",)),
    ("best_combo_no", ("best", "combo_no")),
    ("pbo", ("pbo", "pbo")),
    ("cscv_splits", ("pbo", "splits")),
    ("degradation_slope", ("pbo", "degradation_slope")),
    ("degradation_intercept", ("pbo", "degradation_intercept")),
    ("prob_oos_loss", ("pbo", "prob_oos_loss")),
    ("dsr", ("dsr", "dsr")),
    ("psr", ("dsr", "psr")),
    ("n_trials", ("dsr", "n_trials")),
    ("expected_max_sharpe_annual", ("dsr", "expected_max_sharpe_annual")),
    ("trials_variance_annual", ("dsr", "trials_variance_annual")),
    ("skewness", ("dsr", "skewness")),
    ("kurtosis", ("dsr", "kurtosis")),
    ("n_returns", ("dsr", "n_returns")),
    ("neighbour_median", ("stability", "neighbour_median")),
    ("neighbour_ratio", ("stability", "neighbour_ratio")),
)
"""The columns of ``overfitting.csv``: one row per ticker (docs/sweeps.md)."""


def overfitting_csv(stats: dict[str, Any]) -> str:
    """The statistics as CSV: one row per ticker (``CSV_COLUMNS``, floats as
    ``adapters.cells`` writes them), the best's swept params as JSON, then the verdict."""
    import csv
    import io

    from adapters.cells import csv_row

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([name for name, _ in CSV_COLUMNS] + ["best_params", "verdict"])
    for ticker in stats.get("tickers", []):
        values = []
        for _, path in CSV_COLUMNS:
            value: Any = ticker
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            values.append(value)
        params = (ticker.get("best") or {}).get("params")
        writer.writerow(
            csv_row([*values, json.dumps(params, sort_keys=True), stats.get("verdict")])
        )
    return buffer.getvalue()
