"""A walk-forward's outcome from its SUCCEEDED folds' stored messages and results (no I/O):
the stitched out-of-sample result (``adapters.walkforward.stitch``, with every metric a
sweep stores, the registry's function-defined ones too) and walk-forward efficiency. The
fold Job that completes a walk-forward stores it on the walk-forward's row
(``kinds.walkforward.kind``); the view computes it the same way when it is not stored yet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from adapters.deflated import deflated_sharpe_ratio, return_moments
from adapters.timestamps import from_iso_utc
from adapters.walkforward import Segment, efficiency, stitch
from engine import TRADING_DAYS, bar_returns
from engine.param_specs import INITIAL_CAPITAL
from kinds.runs.curve_metrics import one_curve_metrics

DEFAULT_CAPITAL = INITIAL_CAPITAL.default
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
    if oos["metrics"] is not None:  # and the metrics a function defines (the registry's)
        curve = oos["equity_curve"]
        stamps, equity = from_iso_utc(curve["timestamps"]), np.asarray(curve["equity"])
        oos["metrics"] |= one_curve_metrics(stamps, equity, oos["metrics"], per_year)
    oos["deflated_sharpe"] = deflated_oos(oos["equity_curve"]["equity"], folds, per_year)
    metrics = oos["metrics"] or {}
    train = [result["train_metrics"].get("cagr_pct") for _, _, result in folds]
    return oos, efficiency(metrics.get("cagr_pct"), train)


def deflated_oos(
    equity: Sequence[float], folds: Sequence[tuple[int, dict, dict]], per_year: float
) -> dict[str, Any] | None:
    """The deflated Sharpe ratio of the stitched out-of-sample equity (docs/execution.md,
    "Overfitting statistics"): its bar returns' Sharpe, skewness and kurtosis against the
    expected maximum of N trials with no skill, N = the combinations each fold's training
    sweep tried and their Sharpe variance the mean of the folds' (each fold records its
    sweep's, ``kinds.walkforward.kind``). None for folds stored before they recorded it."""
    trials = [result.get("trials") for _, _, result in folds]
    if not trials or any(not t for t in trials) or len(equity) < 3:
        return None
    n_trials = round(float(np.mean([t["count"] for t in trials])))
    variance = float(np.mean([t["sharpe_variance_annual"] for t in trials]))
    moments = return_moments(bar_returns(np.asarray(equity, dtype=np.float64)[None, :])[0])
    dsr = deflated_sharpe_ratio(
        moments.sharpe,
        moments.n,
        moments.skewness,
        moments.kurtosis,
        max(n_trials, 1),
        variance / per_year,
    )
    return {
        "dsr": None if not np.isfinite(dsr) else float(dsr),
        "n_trials_per_fold": n_trials,
        "trials_variance_annual": variance,
        "sharpe_annual": None
        if not np.isfinite(moments.sharpe)
        else float(moments.sharpe * np.sqrt(per_year)),
        "skewness": None if not np.isfinite(moments.skewness) else float(moments.skewness),
        "kurtosis": None if not np.isfinite(moments.kurtosis) else float(moments.kurtosis),
        "n_returns": moments.n,
    }
