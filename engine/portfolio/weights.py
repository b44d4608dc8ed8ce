"""Target weights decided at each bar's close: equal, fixed or ranked, weighted equally, by
score or by risk (pure numpy)."""

from __future__ import annotations

import numpy as np

from engine.portfolio.risk import DEFAULT_LOOKBACK, RISK_METHODS, risk_weights

METHODS = ("equal", "fixed", "rank")
WEIGHTINGS = ("equal", "score", *RISK_METHODS)


def target_weights(
    eligible: np.ndarray,
    *,
    method: str,
    fixed: np.ndarray | None = None,
    scores: np.ndarray | None = None,
    top_n: int | None = None,
    weighting: str = "equal",
    rows: np.ndarray | None = None,
    close: np.ndarray | None = None,
    lookback: int = DEFAULT_LOOKBACK,
) -> np.ndarray:
    """(T, N) float target weights decided at each bar's close (used on decision bars only).

    ``eligible`` (T, N) bool: the ticker has a bar at t, is listed and (for ``rank``) passes
    the filter. ``equal``: 1/k over the k eligible tickers. ``fixed``: the given (N,) weights
    (sum <= 1, the rest cash); an ineligible ticker's weight stays in cash. ``rank``: the
    ``top_n`` eligible tickers by ``scores`` (NaN or infinite = not eligible; ties to the
    lower column), weighted ``equal`` (1/k over the k chosen, k <= top_n) or ``score``
    (proportional to the positive scores among the chosen; a score <= 0 gets 0). Rows sum
    to <= 1.

    ``rows`` (T,) bool (an addition; ``None`` = all): compute only these rows, the others
    are 0. Pass the decision bars (``rebalance_schedule``'s answer) to skip a ranking's work
    on the bars whose targets are never used.

    Risk weightings (an addition; ``RISK_METHODS``, methods ``equal`` and ``rank``): the
    eligible (``equal``) or chosen (``rank``) tickers weighted ``inverse_volatility``,
    ``equal_risk_contribution`` or ``min_variance`` from the Ledoit-Wolf covariance of
    their last ``lookback`` returns of ``close`` (T, N) up to the decision's close
    (``engine.portfolio.risk.risk_weights``).
    """
    if weighting in RISK_METHODS:
        if method not in ("equal", "rank"):
            raise ValueError(f"weighting: {weighting} needs method 'equal' or 'rank'")
        if close is None:
            raise ValueError(f"close: required with weighting {weighting}")
        chosen = target_weights(
            eligible, method=method, scores=scores, top_n=top_n, weighting="equal", rows=rows
        )
        return risk_weights(close, chosen > 0, method=weighting, lookback=lookback)
    eligible = np.asarray(eligible, dtype=bool)
    if eligible.ndim != 2:
        raise ValueError("eligible: expected a (T, N) array")
    if rows is not None:
        rows = np.asarray(rows, dtype=bool)
        if rows.shape != eligible.shape[:1]:
            raise ValueError(f"rows: expected shape ({eligible.shape[0]},)")
        picked = None if scores is None else np.asarray(scores, dtype=np.float64)[rows]
        weights = np.zeros(eligible.shape)
        weights[rows] = target_weights(
            eligible[rows],
            method=method,
            fixed=fixed,
            scores=picked,
            top_n=top_n,
            weighting=weighting,
        )
        return weights
    if method == "equal":
        count = eligible.sum(axis=1, keepdims=True)
        return np.where(eligible, 1.0 / np.maximum(count, 1), 0.0)
    if method == "fixed":
        return _fixed(eligible, fixed)
    if method == "rank":
        return _rank(eligible, scores, top_n, weighting)
    raise ValueError(f"method: one of {', '.join(METHODS)}")


def _fixed(eligible: np.ndarray, fixed: np.ndarray | None) -> np.ndarray:
    if fixed is None:
        raise ValueError("fixed: required with method 'fixed'")
    weights = np.asarray(fixed, dtype=np.float64)
    if weights.shape != (eligible.shape[1],):
        raise ValueError(f"fixed: expected {eligible.shape[1]} weights")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("fixed: weights must be finite and >= 0")
    if weights.sum() > 1.0 + 1e-12:
        raise ValueError("fixed: weights must sum to <= 1")
    return np.where(eligible, weights[None, :], 0.0)


def _rank(
    eligible: np.ndarray, scores: np.ndarray | None, top_n: int | None, weighting: str
) -> np.ndarray:
    if scores is None:
        raise ValueError("scores: required with method 'rank'")
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != eligible.shape:
        raise ValueError(f"scores: expected shape {eligible.shape}")
    if top_n is None or int(top_n) != top_n or top_n < 1:
        raise ValueError("top_n: an integer >= 1 with method 'rank'")
    if weighting not in WEIGHTINGS:
        raise ValueError(f"weighting: one of {', '.join(WEIGHTINGS)}")
    candidate = eligible & np.isfinite(scores)
    key = np.where(candidate, -scores, np.inf)
    order = np.argsort(key, axis=1, kind="stable")  # best first, ties by column
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=1)
    chosen = candidate & (rank < int(top_n))
    if weighting == "equal":
        count = chosen.sum(axis=1, keepdims=True)
        return np.where(chosen, 1.0 / np.maximum(count, 1), 0.0)
    positive = np.where(chosen & (scores > 0), scores, 0.0)
    total = positive.sum(axis=1, keepdims=True)
    return np.divide(positive, total, out=np.zeros_like(positive), where=total > 0)
