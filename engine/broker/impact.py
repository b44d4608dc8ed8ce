"""The broker's price of liquidity: the market impact of a fill and the half spread it
pays, written once as plain arithmetic on floats, which a portfolio's simulation calls as
it is and ``engine.broker.jitted`` compiles (docs/execution.md, "Liquidity", "Spread and impact
estimators"), and the shares a bar's volume allows its fills (``allowed``, ``volume_limit``
× the volume, whole shares: the rows' rule for every bar, ``engine.broker.liquid``, and the
step's for one). The step decides what fills within them; this module prices it.

Models (``TradingParams.slippage_model``, by its int code ``MODELS``):

- ``FIXED``: no impact (``slippage_bps`` alone, applied by ``engine.broker.costs``).
- ``VOLUME_SHARE``: zipline's ``VolumeShareSlippage``, impact = ``price_impact`` ×
  (filled / volume)², where filled is the shares filled on the bar IN TOTAL, this fill
  included (zipline's ``volume_for_bar`` + ``cur_volume``), and volume the bar's volume.
  zipline caps the share at its ``volume_limit``; here the step never fills more than
  ``volume_limit`` × volume on a bar, so the share never exceeds it.
- ``SQUARE_ROOT``: the square-root law (Almgren et al. 2005; Kissell), impact =
  ``impact_k`` × sigma × √(filled / adv), sigma the daily volatility and adv the average
  daily volume of the bars before the fill bar (``engine.liquidity.trailing_volatility``,
  ``trailing_adv``); filled as above.

What an input the impact cannot be computed from means — decided here, once:
``impact_fraction`` returns NaN, and a NaN impact means NO FILL on that bar (the order stays
in the book for later bars, until filled, cancelled or past ``valid_bars``):
- ``VOLUME_SHARE`` on a bar whose volume is zero, negative or NaN (nothing traded, or not
  known to have: zipline fills nothing on a zero-volume bar either);
- ``SQUARE_ROOT`` while sigma or adv is NaN (the window warming up, or holding a NaN
  volume or close), or when adv is not > 0 or sigma < 0.
A negative or NaN ``filled`` is NaN too. An infinite volume or adv gives a zero impact
(the share is 0). ``FIXED`` is 0 whatever the inputs. The parameters (``price_impact``,
``impact_k`` >= 0) are validated by the request.

``liquidity_price``: a buy (side > 0) pays price × (1 + impact + half_spread), a sell
(side < 0) gets price × (1 − impact − half_spread), clamped at 0 (a sell never pays to
deliver its shares); a NaN impact or spread gives a NaN price, a fill that does not happen
on that bar.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from engine.broker.costs import where

FIXED, VOLUME_SHARE, SQUARE_ROOT = 0, 1, 2
"""The slippage models' codes, as the compiled step takes them."""

MODELS = {"fixed": FIXED, "volume_share": VOLUME_SHARE, "square_root": SQUARE_ROOT}
"""``TradingParams.slippage_model``'s names and their codes."""


def impact_fraction(
    model: int,
    price_impact: float,
    impact_k: float,
    filled: float,
    volume: float,
    sigma: float,
    adv: float,
) -> float:
    """The market impact of a fill, as a fraction of the price: ``model``'s formula (module
    docstring) on the bar's ``filled`` shares in total (this fill included, >= 0), its
    ``volume``, and the ``sigma`` and ``adv`` of the bars before it; NaN when it cannot
    be computed, which means no fill on this bar."""
    if model == VOLUME_SHARE:
        if not (volume > 0.0 and filled >= 0.0):  # zero, negative or NaN volume
            return math.nan
        share = filled / volume
        return price_impact * (share * share)
    if model == SQUARE_ROOT:
        if not (adv > 0.0 and sigma >= 0.0 and filled >= 0.0):  # NaN: warming up
            return math.nan
        return impact_k * sigma * math.sqrt(filled / adv)
    return 0.0


def liquidity_price(price: float, side: float, impact: float, half_spread: float) -> float:
    """The fill price of ``side`` (+1 buy, −1 sell) at ``price`` paying ``impact`` and
    ``half_spread`` (fractions of the price): a buy pays more, a sell gets less, never
    below 0."""
    paid = price * (1.0 + side * (impact + half_spread))
    return 0.0 if paid < 0.0 else paid


multiply, floor = operator.mul, np.floor
"""What ``allowed`` calls beside ``where`` (``engine.broker.costs``'), for one bar's floats;
``engine.broker.liquid`` binds numpy's for every bar at once, ``engine.broker.jitted``
numba's (``engine.broker.rebind``)."""


def allowed(volume, volume_limit: float):
    """The whole shares a bar's ``volume`` allows its fills: floor(``volume_limit`` ×
    volume), 0 where the volume is not above 0 (0, negative or NaN: nothing is known to
    have traded)."""
    return floor(multiply(volume_limit, where(volume > 0.0, volume, 0.0)))


ARITHMETIC = (impact_fraction, liquidity_price)
"""The functions ``engine.broker.jitted`` compiles from this one source."""
