"""The walk-forward's deflated Sharpe (kinds.walkforward.outcome.deflated_oos): the DSR of the
stitched out-of-sample curve's returns against the luck of the combinations each fold tried,
equal to the adapters' formula on the same inputs; absent for folds stored before they
recorded their trials."""

from __future__ import annotations

import numpy as np
import pytest

from adapters.deflated import deflated_sharpe_ratio, return_moments
from kinds.walkforward.outcome import deflated_oos


def _folds(trials: list[dict | None]) -> list[tuple[int, dict, dict]]:
    return [(i, {}, {"trials": t} if t else {}) for i, t in enumerate(trials)]


def test_the_stitched_curve_is_deflated_by_the_trials_of_every_fold():
    """N = the mean combinations per fold, V = the mean of the folds' Sharpe variances."""
    rng = np.random.default_rng(7)
    equity = 100_000 * np.cumprod(1 + rng.normal(0.0008, 0.01, 600))
    folds = _folds(
        [
            {"count": 100, "sharpe_variance_annual": 0.4},
            {"count": 100, "sharpe_variance_annual": 0.6},
        ]
    )
    got = deflated_oos(equity.tolist(), folds, 252.0)
    returns = equity[1:] / equity[:-1] - 1
    m = return_moments(returns)
    expected = deflated_sharpe_ratio(m.sharpe, m.n, m.skewness, m.kurtosis, 100, 0.5 / 252)
    assert got["dsr"] == pytest.approx(expected, rel=1e-12)
    assert got["n_trials_per_fold"] == 100 and got["trials_variance_annual"] == 0.5
    assert got["sharpe_annual"] == pytest.approx(m.sharpe * np.sqrt(252))


def test_more_trials_deflate_the_same_curve_more():
    """The same out-of-sample curve is less convincing after 1,000 tries than after 10."""
    rng = np.random.default_rng(3)
    equity = (100_000 * np.cumprod(1 + rng.normal(0.0006, 0.01, 500))).tolist()
    few = deflated_oos(equity, _folds([{"count": 10, "sharpe_variance_annual": 0.5}]), 252.0)
    many = deflated_oos(equity, _folds([{"count": 1000, "sharpe_variance_annual": 0.5}]), 252.0)
    assert many["dsr"] < few["dsr"]


def test_folds_stored_before_their_trials_give_no_deflated_sharpe():
    """An older fold without ``trials``: None, not a made-up figure."""
    assert deflated_oos([1.0, 1.1, 1.2, 1.15], _folds([None]), 252.0) is None
