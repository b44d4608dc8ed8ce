"""TA-Lib parity on GOOG.csv for the volatility and trend indicators the ATR and TREND rules
use: same NaN warm-up, same values (ATR to 1e-12 relative, ±DI and ADX exactly)."""

from __future__ import annotations

import csv
import doctest
from pathlib import Path

import numpy as np
import pytest
import talib

from rules import indicators_trend
from rules.indicators import adx, atr, obv
from rules.indicators_trend import directional


@pytest.fixture(scope="module")
def hlcv(goog_csv: Path) -> tuple[np.ndarray, ...]:
    """GOOG high, low, close, volume as float arrays."""
    with goog_csv.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return tuple(
        np.array([float(row[f]) for row in rows]) for f in ("High", "Low", "Close", "Volume")
    )


def _same(actual: np.ndarray, expected: np.ndarray, rtol: float = 0.0) -> None:
    """NaN on exactly the same bars, values equal (within rtol) everywhere else."""
    assert np.array_equal(np.isnan(actual), np.isnan(expected))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=0.0)


@pytest.mark.parametrize("n", [1, 2, 14, 50])
def test_atr_matches_talib_atr_including_its_warm_up(hlcv, n):
    """First value at index n (the mean of true ranges 1…n), then Wilder's recursion."""
    high, low, close, _ = hlcv
    _same(atr(high, low, close, n), talib.ATR(high, low, close, timeperiod=n), rtol=1e-12)


@pytest.mark.parametrize("n", [2, 5, 14, 30])
def test_directional_lines_equal_talib_plus_di_minus_di_and_adx(hlcv, n):
    """TA-Lib's n−1-bar seed and 2n−1 ADX warm-up, reproduced bit for bit."""
    high, low, close, _ = hlcv
    plus_di, minus_di, adx = directional(high, low, close, n)
    _same(plus_di, talib.PLUS_DI(high, low, close, timeperiod=n))
    _same(minus_di, talib.MINUS_DI(high, low, close, timeperiod=n))
    _same(adx, talib.ADX(high, low, close, timeperiod=n))
    assert np.isnan(adx[: 2 * n - 1]).all() and not np.isnan(adx[2 * n - 1 :]).any()


@pytest.mark.parametrize("n", [2, 14, 40])
def test_the_one_adx_is_talib_adx(hlcv, n):
    """``rules.indicators.adx`` is the ADX the TREND rule uses: TA-Lib's, bit for bit (there is
    no second, textbook-seeded ADX to drift from it)."""
    high, low, close, _ = hlcv
    _same(adx(high, low, close, n), talib.ADX(high, low, close, timeperiod=n))


def test_directional_on_flat_bars_gives_zero_lines_like_talib():
    """A zero true range makes both DIs 0 and leaves ADX at 0 (TA-Lib's TA_IS_ZERO)."""
    flat = np.full(12, 5.0)
    plus_di, minus_di, adx = directional(flat, flat, flat, 3)
    for ours, theirs in zip(
        (plus_di, minus_di, adx),
        (
            talib.PLUS_DI(flat, flat, flat, 3),
            talib.MINUS_DI(flat, flat, flat, 3),
            talib.ADX(flat, flat, flat, 3),
        ),
        strict=True,
    ):
        _same(ours, theirs)
    assert np.nanmax(adx) == 0.0


def test_obv_matches_talib_obv(hlcv):
    """OBV starts at the first bar's volume, as TA-Lib's."""
    _, _, close, volume = hlcv
    _same(obv(close, volume), talib.OBV(close, volume))


def test_directional_docstring_example_holds():
    """The worked example in the docstring is what the function returns."""
    assert doctest.testmod(indicators_trend).failed == 0
