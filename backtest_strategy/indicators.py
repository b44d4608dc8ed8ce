"""The platform's indicators by name, for ``Strategy.I``:

    from backtest_strategy.lib import indicator

    self.rsi = self.I(indicator("rsi"), self.data.Close, 14)

``indicator(name)`` is the function of ``rules/indicators.py`` itself (not a copy), the
one the platform's rules and EXPR texts run, so a strategy's RSI is the rules' RSI bit for
bit. In a notebook it is imported from the checkout; in the sandbox the harness makes the
rules' numpy-only indicator modules importable read-only (``sandbox.runner.Harness``)
without the rest of the ``rules`` package."""

from __future__ import annotations

from collections.abc import Callable

NAMES = (
    "sma",
    "ema",
    "rsi",
    "macd",
    "macd_line",
    "bollinger",
    "bands",
    "stddev",
    "zscore",
    "roc",
    "rolling_max",
    "rolling_min",
    "previous",
    "true_range",
    "atr",
    "adx",
    "directional",
    "stochastic",
    "obv",
    "vwap",
)
"""The indicators a strategy may name: ``rules.indicators``' one-series functions (its
``*_rows`` variants compute many parameter rows at once for sweeps)."""


def indicator(name: str) -> Callable:
    """The platform's indicator function ``name`` (``NAMES``), e.g. ``indicator("rsi")``
    is ``rules.indicators.rsi(close, n=14)``; its arguments are documented there.

    :raise ValueError: not one of ``NAMES``.
    """
    if name not in NAMES:
        raise ValueError(f"indicator: {name!r} is not one of the platform's: {', '.join(NAMES)}")
    from rules import indicators

    return getattr(indicators, name)
