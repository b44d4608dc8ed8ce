"""adapters.rolling: rolling Sharpe and volatility over a window of bar returns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adapters import rolling
from adapters.rolling import rolling_risk


def test_the_first_window_bars_have_no_value_and_the_next_uses_the_last_window_returns():
    """Equity 100, 110, 99, 108.9: returns +10%, −10%, +10%. Window 2 at bar 2 uses
    (+10%, −10%): mean 0, std 0.1414…; at bar 3 (−10%, +10%) again."""
    out = rolling_risk(np.array([100.0, 110.0, 99.0, 108.9]), 2, bars_per_year=4)
    std = np.sqrt(((0.1 - 0) ** 2 + (-0.1 - 0) ** 2) / 1)
    assert np.isnan(out["sharpe"][:2]).all() and np.isnan(out["volatility_pct"][:2]).all()
    assert out["volatility_pct"][2:] == pytest.approx([std * 2 * 100] * 2, rel=1e-12)
    assert out["sharpe"][2:] == pytest.approx([0.0, 0.0], abs=1e-12)


def test_rolling_values_match_pandas_rolling_with_the_given_annualisation():
    """300 random bars, window 21, 252 bars a year: pandas' rolling mean / std (ddof 1)."""
    rng = np.random.default_rng(11)
    equity = 100.0 * np.cumprod(1 + rng.normal(0.0005, 0.012, 300))
    out = rolling_risk(equity, 21)
    returns = pd.Series(equity).pct_change()
    std = returns.rolling(21).std()
    expected_vol = (std * np.sqrt(252) * 100).to_numpy()
    expected_sharpe = (returns.rolling(21).mean() / std * np.sqrt(252)).to_numpy()
    np.testing.assert_allclose(out["volatility_pct"], expected_vol, rtol=1e-9)
    np.testing.assert_allclose(out["sharpe"], expected_sharpe, rtol=1e-9)


def test_bars_per_year_scales_by_its_square_root():
    """Hourly-like 252 × 7 bars a year: volatility and Sharpe grow by √7 over daily."""
    equity = np.array([100.0, 101.0, 99.5, 102.0, 101.0, 103.0])
    daily, hourly = rolling_risk(equity, 3), rolling_risk(equity, 3, bars_per_year=252 * 7)
    np.testing.assert_allclose(
        hourly["volatility_pct"][3:], daily["volatility_pct"][3:] * np.sqrt(7)
    )
    np.testing.assert_allclose(hourly["sharpe"][3:], daily["sharpe"][3:] * np.sqrt(7))


def test_a_flat_window_has_zero_volatility_and_no_sharpe():
    """No position: every return 0 → volatility 0, Sharpe undefined (NaN)."""
    out = rolling_risk(np.full(6, 100.0), 3)
    assert out["volatility_pct"][3:].tolist() == [0.0, 0.0, 0.0]
    assert np.isnan(out["sharpe"]).all()


def test_a_window_longer_than_the_returns_gives_nothing_and_a_window_below_2_is_refused():
    """4 bars = 3 returns: window 4 leaves every bar NaN; window 1 raises ValueError."""
    out = rolling_risk(np.array([1.0, 2.0, 3.0, 4.0]), 4)
    assert np.isnan(out["volatility_pct"]).all()
    with pytest.raises(ValueError, match="at least 2"):
        rolling_risk(np.array([1.0, 2.0, 3.0]), 1)


def test_windows_reduced_in_blocks_give_the_same_values(monkeypatch):
    """Blocks of 40 values (window 8: 5 windows a block, 60 blocks) equal pandas too."""
    monkeypatch.setattr(rolling, "_BLOCK_VALUES", 40)
    equity = 100.0 * np.cumprod(1 + np.random.default_rng(2).normal(0, 0.01, 300))
    returns = pd.Series(equity).pct_change()
    out = rolling.rolling_risk(equity, 8)
    expected = (returns.rolling(8).std() * np.sqrt(252) * 100).to_numpy()
    np.testing.assert_allclose(out["volatility_pct"], expected, rtol=1e-9)
