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
A rebalancing portfolio's fills read the same rules per ticker
(``engine.portfolio.liquidity``, ``engine.portfolio.simulate``).

Two forms (``series``): the rows, every bar's values up front (plain numpy and one
compiled call, once per run request; a batch of runs shares them), or the inputs alone
(``lazy``), from which the step computes a bar's values only where something fills
(``engine._liquidity_kernel.volatility_and_adv_at``, ``engine.broker.impact.allowed``): a
run fills on a few thousand of its bars, and the trailing windows of the rest are never
read. Both give the same values bit for bit (tests/engine/test_liquidity_lazy.py).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Protocol

import numpy as np

from engine.broker import impact
from engine.broker.rebind import rebind

if TYPE_CHECKING:  # pragma: no cover
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

SCRATCH = 64
"""Floats of a lazy series' scratch ahead of its windows' values (2 × the window): the
pairwise sums' stack (``engine._pairwise.pairwise``'s ``left``)."""


def _in_place(ufunc):
    """``ufunc`` writing into its last argument (the fresh array ``allowed`` made): one
    array allocated for T bars, not three."""
    return lambda *args: ufunc(*args, out=args[-1])


_ARRAYS = rebind(
    (impact.allowed,),
    {"where": np.where, "multiply": _in_place(np.multiply), "floor": _in_place(np.floor)},
)


def shares_allowed(volume: np.ndarray, volume_limit: float | None) -> np.ndarray:
    """The whole shares a run's fills (or a portfolio's fills of one ticker) may take on
    each bar (``engine.broker.impact.allowed``, numpy's functions bound in place); inf
    everywhere without a limit."""
    volume = np.asarray(volume, dtype=np.float64)
    if volume_limit is None:
        return np.full(volume.shape, math.inf)
    return _ARRAYS["allowed"](volume, volume_limit)


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


def series(params: TradingParams, high, low, close, volume, lazy: bool = False) -> tuple:
    """The step's liquidity (``engine.broker.step.with_liquidity``) of a run with a
    liquidity field; without one, the step's own empty liquidity
    (``engine.broker.step.no_liquidity``). A tuple (rows, volume, close, half spread, given,
    memo, nodes, scratch), every array C order and writable:

    - the rows (``ROWS`` × T): every bar's shares allowed, volume, volatility, ADV and half
      spread; then the rest is empty;
    - ``lazy``: no rows (0 × 0); the bars' volume and close (T each), the half spread (T,
      or 1: the same on every bar), given (``volume_limit``, NaN for none; the
      ``impact_window``, 0 without the square-root model), the memo of the last bar whose
      volatility and ADV were computed (bar, -1 for none; sigma; ADV), and room for the
      windows' sums (``engine._liquidity_kernel.volatility_and_adv_at``)."""
    if not params.liquid:
        from engine.broker.step import no_liquidity

        return no_liquidity()
    volume = np.require(volume, np.float64, ("C", "W"))
    if not lazy:
        out = np.empty((ROWS, len(close)))
        out[0] = shares_allowed(volume, params.volume_limit)
        out[1] = volume
        out[2], out[3] = impact_inputs(params, close, volume)
        out[4] = half_spread(params, high, low, close)
        empty = np.empty(0)
        return out, empty, empty, empty, empty, empty, np.empty((0, 0), np.int64), empty
    spread = half_spread(params, high[:1], low[:1], close[:1])
    if params.spread_model is not None:
        spread = half_spread(params, high, low, close)
    window = params.impact_window if params.slippage_model == "square_root" else 0
    limit = math.nan if params.volume_limit is None else params.volume_limit
    return (
        np.zeros((0, 0)),
        volume,
        np.require(close, np.float64, ("C", "W")),
        np.require(spread, np.float64, ("C", "W")),
        np.array([limit, window], dtype=np.float64),
        np.array([-1.0, math.nan, math.nan]),
        np.empty((3, 64), dtype=np.int64),
        np.empty(SCRATCH + 2 * window),
    )
