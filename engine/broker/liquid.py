"""The liquidity inputs of the broker's step: a run's liquidity fields and its bars' volume
as the per-bar rows the compiled step reads (``engine.broker.step.with_liquidity``;
docs/execution.md, "Liquidity").

Everything a fill on bar t needs beyond its prices is known before that bar's open or is
the bar's own volume: the shares the run's fills may take on it (``volume_limit`` × its
volume, floored to whole shares; none on a bar whose volume is 0, negative or NaN; no limit
without ``volume_limit``), its volume (the ``volume_share`` model's denominator), the
volatility and average volume of the ``impact_window`` bars before it (the ``square_root``
model's) and half the spread paid on its fills (``spread_bps``, or the ``spread_model``
estimated from the ``spread_window`` bars before it; 0 while that estimate warms up).
Plain numpy, once per run request, never per bar. A rebalancing portfolio's fills read
the same rules per ticker (``engine.portfolio.liquidity``, ``engine.portfolio.simulate``).
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from engine.params import TradingParams


class LiquiditySettings(Protocol):
    """The liquidity fields the series read: a run's ``TradingParams`` or a portfolio's
    ``PortfolioConfig``."""

    slippage_model: str
    impact_window: int
    spread_bps: float | None
    spread_model: str | None
    spread_window: int


ROWS = 5
"""Rows of the series, in ``engine.broker.step``'s order (``CAP`` ... ``HALF_SPREAD``)."""


def shares_allowed(volume: np.ndarray, volume_limit: float | None) -> np.ndarray:
    """The whole shares a run's fills (or a portfolio's fills of one ticker) may take on
    each bar: floor(``volume_limit`` × volume), 0 where the volume is not above 0 (0,
    negative or NaN: nothing is known to have traded); inf everywhere without a limit."""
    volume = np.asarray(volume, dtype=np.float64)
    if volume_limit is None:
        return np.full(volume.shape, math.inf)
    traded = np.where(volume > 0.0, volume, 0.0)  # NaN and negative volumes: nothing traded
    return np.floor(np.multiply(volume_limit, traded, out=traded), out=traded)


def half_spread(params: LiquiditySettings, high, low, close) -> np.ndarray:
    """Half the spread paid on a fill on each bar, a fraction of its price: ``spread_bps``
    / 2, or half the ``spread_model``'s estimate from the bars before it (0 while it warms
    up or where the estimate is undefined); 0 without either."""
    n = len(close)
    if params.spread_bps is not None:
        return np.full(n, params.spread_bps / 20_000.0)
    if params.spread_model is None:
        return np.zeros(n)
    from engine.liquidity import spread_series

    spread = spread_series(
        params.spread_model,
        np.asarray(high, dtype=np.float64),
        np.asarray(low, dtype=np.float64),
        np.asarray(close, dtype=np.float64),
        params.spread_window,
    )
    return np.where(np.isfinite(spread) & (spread > 0.0), spread / 2.0, 0.0)


def impact_inputs(params: LiquiditySettings, close, volume) -> tuple[np.ndarray, np.ndarray]:
    """(daily volatility, average daily volume) of the ``impact_window`` bars before each
    bar, for the ``square_root`` model (NaN for the other models: not read)."""
    n = len(close)
    if params.slippage_model != "square_root":
        return np.full(n, math.nan), np.full(n, math.nan)
    from engine.liquidity import volatility_and_adv

    return volatility_and_adv(close, volume, params.impact_window)


def series(params: TradingParams, high, low, close, volume) -> np.ndarray:
    """The step's liquidity rows (``ROWS`` × T, C order) of a run with a liquidity field;
    0 × 0 (the step reads none) without."""
    if not params.liquid:
        return np.zeros((0, 0))
    out = np.empty((ROWS, len(close)))
    out[0] = shares_allowed(volume, params.volume_limit)
    out[1] = np.asarray(volume, dtype=np.float64)
    out[2], out[3] = impact_inputs(params, close, volume)
    out[4] = half_spread(params, high, low, close)
    return out
