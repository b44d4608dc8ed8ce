"""A finished sweep's overfitting statistics (issue 27; docs/execution.md, "Overfitting
statistics"): per ticker, the probability of backtest overfitting by CSCV on the block
statistics its chunks stored, the deflated Sharpe ratio of its best combination (by Sharpe)
and the parameter stability of that best on the grid — computed once, when the sweep's last
chunk has finished (``kinds.sweeps.kind``'s ``finished`` hook; the API computes it on read
for a finished sweep that has none yet), and stored in ``sweeps.overfitting_json``.

The statistics read the stored rows only, plus one run of each ticker's best combination
(its bar returns' skewness and kurtosis, which DSR needs, and the window's length, which
gives the blocks' sizes): no sweep is evaluated again. Plain SQL on a ``store.dbapi.Tx``.
"""

from __future__ import annotations

import json
import logging
import math
from typing import TYPE_CHECKING, Any

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
        parts.append(dsr_verdict(dsr, stats["dsr"]["n_trials"]))
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
    equity = np.asarray(execute(request).equity_curve["equity"], dtype=np.float64)
    return bar_returns(equity[None, :])[0], equity.size, per_year


def _best_returns(stored: dict, ticker: str, swept: dict) -> tuple[np.ndarray, int, float]:
    """``returns_alone`` of one combination."""
    from kinds.runs.contract import RunRequest
    from kinds.sweeps.contract import combo_run_request

    body = combo_run_request(stored, ticker, swept)
    body.update(charts=False, run_id=stored["sweep_id"])
    return returns_alone(RunRequest.from_stored(body))


def _ticker_stats(
    stored: dict, ticker: str, combos: list[dict], blocks: np.ndarray, n_blocks: int
) -> dict[str, Any]:
    """One ticker's statistics from its combinations (in combo order) and their blocks."""
    sharpe = np.array(
        [np.nan if c["sharpe_ratio"] is None else c["sharpe_ratio"] for c in combos], dtype=float
    )
    out: dict[str, Any] = {"ticker": ticker, "combinations": len(combos), "blocks": n_blocks}
    if not np.isfinite(sharpe).any():
        out["unavailable"] = "no combination has a Sharpe ratio"
        return out
    best = int(np.nanargmax(sharpe))
    returns, n_bars, per_year = _best_returns(stored, ticker, combos[best]["params"])
    edges = np.linspace(0, n_bars - 1, n_blocks + 1).round().astype(np.int64)
    stats = BlockStats(blocks[:, :n_blocks], blocks[:, n_blocks:], np.diff(edges))
    out["best"] = {"combo_no": combos[best]["combo_no"], "params": combos[best]["params"]}
    if len(combos) >= 2:
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
    out["dsr"] = deflated_sharpe_of_best(returns, sharpe, per_year)
    out["stability"] = _stability(stored, combos, sharpe)
    return out


def _key(value: Any) -> Any:
    """A swept value as a dict key: itself (numbers, text), its JSON for a list or object."""
    return json.dumps(value, sort_keys=True) if isinstance(value, list | dict) else value


def _stability(stored: dict, combos: list[dict], sharpe: np.ndarray) -> dict[str, Any]:
    """The best's neighbourhood on the grid of Sharpe ratios over the swept values."""
    grid = stored.get("grid") or {}
    names = list(grid)
    indices = np.zeros((len(combos), len(names)), dtype=np.int64)
    for column, name in enumerate(names):
        position = {_key(v): i for i, v in enumerate(grid[name])}
        values = [c["params"].get(name) for c in combos]
        if any(isinstance(v, list | dict) for v in grid[name]):
            values = [_key(v) for v in values]
        indices[:, column] = [position.get(v, 0) for v in values]
    shape = tuple(len(grid[n]) for n in names)
    out = neighbourhood(grid_from_indices(indices, sharpe, shape))
    out["params"] = names
    return out


def overfitting(tx: Any, sweep_id: str) -> dict[str, Any] | None:
    """The sweep's statistics, or None while a chunk is unfinished or when a chunk FAILED;
    ``{"unavailable": why}`` for a sweep whose chunks stored no block statistics (older
    than them, or ``cscv_blocks`` 0, or a window too short)."""
    sweep = tx.fetchone("SELECT request_json FROM sweeps WHERE sweep_id = ?", (sweep_id,))
    if sweep is None:
        return None
    stored = json.loads(sweep["request_json"])
    chunks = tx.fetchall(
        "SELECT chunk_no, ticker, status, block_stats FROM sweep_chunks "
        "WHERE sweep_id = ? ORDER BY chunk_no",
        (sweep_id,),
    )
    if not chunks or any(status != RunStatus.SUCCEEDED for _, _, status, _ in chunks):
        return None
    n_blocks = int(stored.get("cscv_blocks") or 0)
    if not n_blocks or any(blob is None for _, _, _, blob in chunks):
        return {"unavailable": "the sweep's chunks stored no block statistics", "tickers": []}
    from kinds.sweeps.evaluate import unpack_blocks

    rows = tx.fetchall(
        "SELECT combo_no, ticker, params_json, sharpe_ratio FROM sweep_results "
        "WHERE sweep_id = ? ORDER BY combo_no",
        (sweep_id,),
    )
    per_ticker: dict[str, tuple[list, list]] = {}
    for _, ticker, _, blob in chunks:
        per_ticker.setdefault(ticker, ([], []))[1].append(unpack_blocks(bytes(blob)))
    every_params = json.loads("[" + ",".join(row[2] for row in rows) + "]")  # one parse
    for (combo_no, ticker, _, sharpe), params in zip(rows, every_params, strict=True):
        per_ticker[ticker][0].append(
            {
                "combo_no": combo_no,
                "params": params,
                "sharpe_ratio": None if sharpe is None or not math.isfinite(sharpe) else sharpe,
            }
        )
    tickers = [
        _ticker_stats(stored, ticker, combos, np.vstack(blocks), n_blocks)
        for ticker, (combos, blocks) in per_ticker.items()
    ]
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
