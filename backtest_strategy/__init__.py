"""Write a strategy as with backtesting.py 0.6 and run it on the platform's broker: in a
notebook (``Backtest``) and, through the same boundary, in the platform's sandbox
(docs/strategies.md).

    from backtest_strategy import Strategy
    from backtest_strategy.lib import crossover

``Strategy``, ``lib`` and the modules they use import numpy, pandas and the standard library
only (they run inside the sandbox); ``Backtest`` (notebook mode) imports the platform's
engine, so it is loaded only when asked for.
"""

from __future__ import annotations

from typing import Any

from backtest_strategy.strategy import Order, Position, Strategy, Trade

__version__ = "0.1.0"
__all__ = ["Backtest", "Order", "Position", "Strategy", "Trade"]


def __getattr__(name: str) -> Any:
    if name == "Backtest":
        from backtest_strategy.backtest import Backtest

        return Backtest
    raise AttributeError(f"module 'backtest_strategy' has no attribute {name!r}")
