"""The equal-weight buy-and-hold of a universe: the benchmark a portfolio is drawn against."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from engine.broker.costs import ARRAYS
from engine.portfolio.corporate import at_open
from engine.portfolio.prices import check_prices, last_close
from engine.portfolio.result import PortfolioConfig

if TYPE_CHECKING:  # pragma: no cover
    from engine.portfolio.corporate import Corporate


def equal_weight_buy_and_hold(
    open_: np.ndarray, close: np.ndarray, config: PortfolioConfig
) -> np.ndarray:
    """(T,) equity of the initial capital split equally over the N tickers, each slice
    bought once at the open of the ticker's second bar (its first close decides, the next
    bar fills) in the most whole shares the slice pays for with the fee model's fee
    (``engine.broker.costs.affordable``) and slippage, then held; a slice stays cash
    until then and its remainder for good (docs/execution.md, "Portfolios")."""
    open_, close = check_prices(open_, close)
    return buy_and_hold(open_, close, np.nan_to_num(last_close(close), nan=0.0), config)


def buy_and_hold(
    open_: np.ndarray,
    close: np.ndarray,
    mark: np.ndarray,
    config: PortfolioConfig,
    corporate: Corporate | None = None,
) -> np.ndarray:
    """``equal_weight_buy_and_hold`` of checked prices whose last closes (0 before a
    ticker's first bar) are ``mark``; ``corporate`` (optional): the splits and dividends
    its holdings receive after their fill (``_with_events``)."""
    n_bars, n_assets = close.shape
    capital = float(config.initial_capital)
    if not n_bars or not n_assets:
        return np.full(n_bars, capital)
    has_bar = np.isfinite(close)
    rows = np.arange(n_bars)[:, None]
    first = np.where(has_bar.any(axis=0), has_bar.argmax(axis=0), n_bars)
    later = has_bar & (rows > first)
    bought = later.any(axis=0)
    fill_bar = np.where(bought, later.argmax(axis=0), n_bars)
    assets = np.flatnonzero(bought)
    costs = config.broker_costs()
    price = ARRAYS["opening_price"](open_[fill_bar[assets], assets], 1.0, costs.floats)
    budget = capital / n_assets
    shares = np.zeros(n_assets)
    shares[assets] = np.maximum(ARRAYS["affordable"](budget, price, costs.floats), 0.0)
    cost = shares[assets] * price
    spent = np.zeros(n_bars)
    np.add.at(
        spent, fill_bar[assets], cost + ARRAYS["order_fee"](shares[assets], price, costs.floats)
    )
    held = np.where(rows >= fill_bar, mark, 0.0)
    if corporate is not None:
        paths = _with_events(corporate, shares, fill_bar)
        if paths is not None:
            path, received = paths
            return capital - np.cumsum(spent) + np.cumsum(received) + (held * path).sum(axis=1)
    return capital - np.cumsum(spent) + held @ shares


def _with_events(
    corporate: Corporate, shares: np.ndarray, fill_bar: np.ndarray
) -> tuple[np.ndarray, np.ndarray] | None:
    """((T, N) shares each slice holds at each close, (T,) the cash its events paid at each
    open) once the splits and dividends after each slice's fill bar acted on it; None when
    none met a holding (the benchmark is then the formula without events, byte for byte)."""
    n_bars = corporate.split.shape[0]
    path = np.broadcast_to(shares, (n_bars, shares.size)).copy()
    received = np.zeros(n_bars)
    met = False
    for bar, asset in zip(corporate.bars.tolist(), corporate.assets.tolist(), strict=True):
        held = int(path[bar, asset])
        if bar <= fill_bar[asset] or not held:
            continue
        ratio = float(corporate.split[bar, asset])
        amount = float(corporate.dividend[bar, asset])
        after, in_lieu, paid = at_open(held, ratio, amount, float(corporate.open[bar, asset]))
        received[bar] += in_lieu + paid
        path[bar:, asset] = after
        met = True
    return (path, received) if met else None
