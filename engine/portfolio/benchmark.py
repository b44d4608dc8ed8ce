"""The equal-weight buy-and-hold of a universe: the benchmark a portfolio is drawn against."""

from __future__ import annotations

import numpy as np

from engine.portfolio.prices import check_prices, last_close
from engine.portfolio.result import PortfolioConfig


def equal_weight_buy_and_hold(
    open_: np.ndarray, close: np.ndarray, config: PortfolioConfig
) -> np.ndarray:
    """(T,) equity of the initial capital split equally over the N tickers, each slice
    bought once at the open of the ticker's second bar (its first close decides, the next
    bar fills) in whole shares with the fee and slippage, then held; a slice stays cash
    until then and its remainder for good (docs/execution.md, "Portfolios")."""
    open_, close = check_prices(open_, close)
    return buy_and_hold(open_, close, np.nan_to_num(last_close(close), nan=0.0), config)


def buy_and_hold(
    open_: np.ndarray, close: np.ndarray, mark: np.ndarray, config: PortfolioConfig
) -> np.ndarray:
    """``equal_weight_buy_and_hold`` of checked prices whose last closes (0 before a
    ticker's first bar) are ``mark``."""
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
    price = open_[fill_bar[assets], assets] * (1.0 + config.slippage_bps / 10_000.0)
    budget = capital / n_assets
    shares = np.zeros(n_assets)
    shares[assets] = np.floor((budget / (1.0 + config.fee_rate)) / price)
    cost = shares[assets] * price
    spent = np.zeros(n_bars)
    np.add.at(spent, fill_bar[assets], cost + cost * config.fee_rate)
    held = np.where(rows >= fill_bar, mark, 0.0)
    return capital - np.cumsum(spent) + held @ shares
