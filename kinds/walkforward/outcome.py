"""A walk-forward's outcome from its SUCCEEDED folds' stored messages and results (no I/O):
the stitched out-of-sample result (``adapters.walkforward.stitch``) and walk-forward
efficiency. The fold Job that completes a walk-forward stores it on the walk-forward's row
(``kinds.walkforward.kind``); the view computes it the same way when it is not stored yet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.walkforward import Segment, efficiency, stitch
from engine import TRADING_DAYS

DEFAULT_CAPITAL = 100_000.0
"""The run contract's default initial capital (a request that did not name one)."""


def segment(fold_no: int, message: dict[str, Any], result: dict[str, Any]) -> Segment:
    """What stitching needs of one fold: its test window's first bar index, its test and
    in-sample curves, its test trades."""
    test, train = result["test_curve"], result["train_curve"]
    return Segment(
        fold=fold_no,
        test_start=message["test"]["first"],
        timestamps=test["timestamps"],
        equity=test["equity"],
        close=test["close"],
        trades=int(result["test_trades"] or 0),
        train_timestamps=train["timestamps"],
        train_equity=train["equity"],
    )


def outcome(
    request: dict[str, Any], folds: Sequence[tuple[int, dict[str, Any], dict[str, Any]]]
) -> tuple[dict[str, Any], float | None]:
    """(the ``oos`` object, ``wfe``) of a walk-forward whose folds — ``(fold_no, message,
    result)`` in fold order — all SUCCEEDED. The stitched metrics are annualised with the
    ticker's bars per year its fold messages carry (252 in a message from before they did)."""
    capital = request.get("initial_capital", DEFAULT_CAPITAL)
    per_year = folds[0][1].get("bars_per_year", TRADING_DAYS) if folds else TRADING_DAYS
    oos = stitch([segment(*fold) for fold in folds], capital, per_year)
    metrics = oos["metrics"] or {}
    train = [result["train_metrics"].get("cagr_pct") for _, _, result in folds]
    return oos, efficiency(metrics.get("cagr_pct"), train)
