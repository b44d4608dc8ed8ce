"""How much of its equity a run kept in the market, and buy and hold at that exposure.

A run sized at 10,000 a trade out of 100,000 is at most 10 % invested, while buy and hold
(``adapters.benchmark``) is 100 % invested: beside the full buy and hold, these give the
comparison at the run's own exposure.

* **Invested fraction** on bar t: |shares held × close| / equity, both marked at the bar's
  close after its fills (the engine's ``position`` and ``equity``); 0 on a bar whose equity
  is not positive (a bankrupt short is liquidated there). A short counts by its size, like
  a long.
* **Average exposure** (``avg_exposure_pct``): the time-weighted mean of the invested
  fraction, × 100: every bar weighs the same (the bars are the run's clock, as for
  ``exposure_pct``, the share of bars with a position), bar 0 included (always flat).
* **Buy and hold at the run's exposure**: that fraction e of the initial capital C bought at
  the first close and held, the rest kept as cash: C × (1 − e) + C × e × close / first
  close = C + e × (buy-and-hold equity − C) on every bar, so its return is e × the buy and
  hold return. No fees, fractional holding, as the full buy and hold.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from adapters._plain import float_list, number


def invested_fraction(position_value: np.ndarray, equity: np.ndarray) -> np.ndarray:
    """|position value| / equity on every bar (0 where equity <= 0).

    >>> invested_fraction(np.array([0.0, 50.0, -25.0, 10.0]), np.array([100.0, 100.0, 50.0, 0.0]))
    array([0. , 0.5, 0.5, 0. ])
    """
    fraction = np.abs(np.asarray(position_value, dtype=np.float64))  # a new array: divided in place
    equity = np.asarray(equity, dtype=np.float64)
    positive = equity > 0
    np.divide(fraction, equity, out=fraction, where=positive)
    fraction[~positive] = 0.0
    return fraction


def average_exposure_pct(position_value: np.ndarray, equity: np.ndarray) -> float | None:
    """The time-weighted mean invested fraction × 100 (None without a bar).

    >>> average_exposure_pct(np.array([0.0, 50.0, 50.0, 0.0]), np.array([100.0] * 4))
    25.0
    """
    fraction = invested_fraction(position_value, equity)
    return number(fraction.mean() * 100.0) if fraction.size else None


def at_exposure(
    benchmark: Mapping, initial_capital: float, exposure_pct: float | None
) -> dict[str, float | None]:
    """Buy and hold at ``exposure_pct`` of the capital, from a full buy and hold
    (``adapters.buy_and_hold``'s ``return_pct``): the keys the result's ``benchmark`` gains,
    ``exposure_pct`` and ``exposed_return_pct``. Its curve is not stored: it is a line of
    the full one (``exposed_equity``), which the run page draws itself, so a result stays
    as small as before.

    >>> at_exposure({"equity": [100.0, 120.0], "return_pct": 20.0}, 100.0, 25.0)
    {'exposure_pct': 25.0, 'exposed_return_pct': 5.0}
    """
    return {
        "exposure_pct": number(exposure_pct),
        "exposed_return_pct": exposed_return_pct(benchmark.get("return_pct"), exposure_pct),
    }


def exposed_equity(
    benchmark_equity: np.ndarray, initial_capital: float, exposure_pct: float | None
) -> list[float | None]:
    """The equity of buy and hold at ``exposure_pct``: that share of the capital in the
    asset, the rest in cash, ``capital + share × (full buy-and-hold equity − capital)``.

    >>> exposed_equity(np.array([100.0, 120.0]), 100.0, 25.0)
    [100.0, 105.0]
    """
    share = 0.0 if exposure_pct is None else exposure_pct / 100.0
    equity = np.asarray(benchmark_equity, dtype=np.float64)
    return float_list(initial_capital + share * (equity - initial_capital))


def exposed_return_pct(full_return_pct: float | None, exposure_pct: float | None) -> float | None:
    """The return of buy and hold at ``exposure_pct``: exposure × the full return (None
    when either is undefined).

    >>> exposed_return_pct(40.0, 12.5)
    5.0
    """
    if full_return_pct is None or exposure_pct is None:
        return None
    return number(exposure_pct / 100.0 * full_return_pct)


def portfolio_exposure_pct(portfolio_curve: Mapping) -> float | None:
    """``average_exposure_pct`` of a stored result's ``portfolio_curve`` (its ``position``
    value and ``total`` equity; None where a value is undefined), None without the curve:
    what a result stored before ``avg_exposure_pct`` existed still tells.

    >>> portfolio_exposure_pct({"position": [0.0, 50.0], "total": [100.0, 100.0]})
    25.0
    """
    position, total = portfolio_curve.get("position"), portfolio_curve.get("total")
    if not position or not total:
        return None
    return average_exposure_pct(_array(position), _array(total))


def _array(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
