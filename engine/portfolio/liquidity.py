"""A rebalancing portfolio's liquidity inputs: each ticker's per-bar volume, the volatility
and average daily volume (ADV) of the bars before each bar, and the half spread its fills
pay, computed on the ticker's own bars (its whole history, so the window's first bars are
warmed up by the ones before it) by ``engine.liquidity``'s estimators, then aligned on the
universe's calendar (docs/execution.md, "Portfolios", "Liquidity").

The series are a run's (``engine.broker.liquid``: the same half spread, volatility and
ADV); what a fill does with them (the shares a bar allows, ``engine.broker.liquid``'s
``shares_allowed``; the impact and the price, ``engine.broker.impact``) is the broker's and
the simulation's (``engine.portfolio.simulate``); this module only builds the (T, N)
inputs. Pure numpy, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.broker.liquid import half_spread, impact_inputs
from engine.portfolio.result import PortfolioConfig


@dataclass(frozen=True, eq=False)
class PortfolioLiquidity:
    """(T, N) per-bar inputs of a portfolio's liquid fills: ``volume`` each ticker's bar
    volume (NaN where it has no bar); ``sigma`` and ``adv`` the daily volatility of its
    close-to-close returns and its mean volume over the ``impact_window`` bars before each
    bar (NaN while warming up, or when not needed); ``half_spread`` half the spread a fill
    on that bar pays, a fraction of the price (0 while a spread estimate warms up)."""

    volume: np.ndarray
    sigma: np.ndarray
    adv: np.ndarray
    half_spread: np.ndarray

    def check(self, shape: tuple[int, int]) -> PortfolioLiquidity:
        """These inputs as float64, each of ``shape``.

        :raise ValueError: naming the input of another shape."""
        arrays = {}
        for name in ("volume", "sigma", "adv", "half_spread"):
            array = np.asarray(getattr(self, name), dtype=np.float64)
            if array.shape != shape:
                raise ValueError(f"liquidity.{name}: expected shape {shape}")
            arrays[name] = array
        return PortfolioLiquidity(**arrays)


def ticker_inputs(
    config: PortfolioConfig,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    volume: np.ndarray,
) -> np.ndarray:
    """(4, n) rows ``volume``, ``sigma``, ``adv``, ``half_spread`` of one ticker's own ``n``
    bars (``PortfolioLiquidity``'s order). ``sigma`` and ``adv`` are a run's
    (``engine.broker.liquid.impact_inputs``: the ``square_root`` model's, NaN otherwise:
    not read), ``adv`` also for ``max_adv_participation``; the half spread is a run's
    (``engine.broker.liquid.half_spread``)."""
    n = len(close)
    out = np.full((4, n), math.nan)
    out[0] = np.asarray(volume, dtype=np.float64)
    out[1], out[2] = impact_inputs(config, close, out[0])
    if config.max_adv_participation is not None and config.slippage_model != "square_root":
        from engine.liquidity import trailing_adv

        out[2] = trailing_adv(out[0], config.impact_window)
    out[3] = half_spread(config, high, low, close)
    return out


def aligned_inputs(
    config: PortfolioConfig,
    columns: Sequence[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]],
    rows: Sequence[np.ndarray],
    n_bars: int,
) -> PortfolioLiquidity:
    """The (T, N) ``PortfolioLiquidity`` of ``n_bars`` calendar bars: each ticker's
    (high, low, close, volume) over its own history (``columns``) through
    ``ticker_inputs``, placed at ``rows`` (each history bar's calendar index, -1 before the
    window); NaN (half spread 0) where a ticker has no bar."""
    n_assets = len(columns)
    out = np.full((4, n_bars, n_assets), math.nan)
    out[3] = 0.0
    for column, ((high, low, close, volume), at) in enumerate(zip(columns, rows, strict=True)):
        series = ticker_inputs(config, high, low, close, volume)
        inside = at >= 0
        out[:, at[inside], column] = series[:, inside]
    return PortfolioLiquidity(volume=out[0], sigma=out[1], adv=out[2], half_spread=out[3])


def adv_cap(adv: np.ndarray, participation: float | None) -> np.ndarray:
    """The most shares a target may hold of each ticker (``max_adv_participation``):
    floor(participation × ADV), 0 where the ADV is not known (NaN: the ticker's first
    ``impact_window`` bars) or not above 0; inf everywhere without the cap."""
    adv = np.asarray(adv, dtype=np.float64)
    if participation is None:
        return np.full(adv.shape, math.inf)
    return np.floor(participation * np.where(adv > 0.0, adv, 0.0))
