"""adapters.relative: alpha, beta, correlation, tracking error, information ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adapters.relative import STAT_KEYS, common_bars, relative_stats


def curve(returns: list[float], start: float = 100.0) -> np.ndarray:
    return start * np.cumprod(np.r_[1.0, 1.0 + np.asarray(returns)])


def test_a_strategy_twice_the_benchmark_has_beta_2_correlation_1_and_alpha_0():
    """r = 2b exactly: beta 2, correlation 1, alpha (mean r − 2 mean b) × 252 = 0; the
    active return r − b = b, so TE = std(b) √252 and IR = mean(b) / std(b) √252."""
    b = [0.01, -0.02, 0.015, 0.005, -0.01]
    stats = relative_stats(curve([2 * x for x in b]), curve(b))
    std_b = np.std(b, ddof=1)
    assert stats["beta"] == pytest.approx(2.0, rel=1e-9)
    assert stats["correlation"] == pytest.approx(1.0, rel=1e-9)
    assert stats["alpha_pct"] == pytest.approx(0.0, abs=1e-9)
    assert stats["tracking_error_pct"] == pytest.approx(std_b * np.sqrt(252) * 100, rel=1e-9)
    assert stats["information_ratio"] == pytest.approx(np.mean(b) / std_b * np.sqrt(252))
    assert stats["return_pairs"] == 5


def test_statistics_match_pandas_on_random_returns():
    """pandas' cov / var / corr / std on 250 random return pairs, 252 bars a year."""
    rng = np.random.default_rng(5)
    b = rng.normal(0.0004, 0.01, 250)
    r = 0.6 * b + rng.normal(0.0002, 0.008, 250)
    stats = relative_stats(curve(r.tolist(), 50.0), curve(b.tolist(), 80.0))
    rs, bs = pd.Series(r), pd.Series(b)
    beta = rs.cov(bs) / bs.var()
    active = rs - bs
    assert stats["beta"] == pytest.approx(beta, rel=1e-9)
    assert stats["alpha_pct"] == pytest.approx((rs.mean() - beta * bs.mean()) * 252 * 100)
    assert stats["correlation"] == pytest.approx(rs.corr(bs), rel=1e-9)
    assert stats["tracking_error_pct"] == pytest.approx(active.std() * np.sqrt(252) * 100)
    assert stats["information_ratio"] == pytest.approx(
        active.mean() / active.std() * np.sqrt(252), rel=1e-9
    )


def test_undefined_statistics_are_none():
    """A flat benchmark (var 0): no beta, alpha or correlation; one return pair: nothing."""
    stats = relative_stats(curve([0.01, -0.01, 0.02]), np.full(4, 10.0))
    assert (stats["beta"], stats["alpha_pct"], stats["correlation"]) == (None, None, None)
    assert stats["tracking_error_pct"] is not None
    short = relative_stats(np.array([1.0, 2.0]), np.array([1.0, 3.0]))
    assert [short[key] for key in STAT_KEYS] == [None] * 5
    assert short["return_pairs"] == 1


def test_common_bars_are_the_timestamps_both_curves_hold():
    """Days 1..5 against days 3..7: indices 2, 3, 4 and 0, 1, 2."""
    day = np.timedelta64(1, "D")
    ours = np.datetime64("2024-01-01") + np.arange(5) * day
    theirs = np.datetime64("2024-01-03") + np.arange(5) * day
    a, b = common_bars(ours, theirs)
    assert a.tolist() == [2, 3, 4] and b.tolist() == [0, 1, 2]
