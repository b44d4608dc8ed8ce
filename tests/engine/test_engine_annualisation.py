"""The engine's Sharpe ratio is annualised with ``TradingParams.bars_per_year``: None is
252 bit for bit (daily results unchanged), another figure scales it by √(B / 252)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Bars, EngineParamError, TradingParams, run


def _run(bars_per_year: float | None) -> float:
    rng = np.random.default_rng(7)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 300)))
    bars = Bars(np.arange(300).astype("datetime64[h]"), close, close, close, close, np.ones(300))
    entries = np.zeros(300, bool)
    entries[[5, 120]] = True
    exits = np.zeros(300, bool)
    exits[[80, 250]] = True
    params = TradingParams(bars_per_year=bars_per_year)
    return run(bars, entries, exits, params).metrics["sharpe_ratio"]


def test_default_bars_per_year_is_252_bit_for_bit():
    assert _run(None) == _run(252) == _run(252.0)


def test_sharpe_scales_with_the_square_root_of_bars_per_year():
    assert _run(1764) == pytest.approx(_run(None) * math.sqrt(1764 / 252), rel=1e-12)


@pytest.mark.parametrize("bad", [0, -5, float("nan"), "252"])
def test_a_bars_per_year_out_of_its_domain_is_a_param_error_naming_it(bad):
    with pytest.raises(EngineParamError) as err:
        TradingParams(bars_per_year=bad)
    assert err.value.field == "bars_per_year"
