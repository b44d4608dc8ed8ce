"""Backtest engine: the frozen, versioned computational core.

Pure numpy, no I/O. It takes OHLCV bars, entry/exit signals and trading parameters and
returns equity, cash and position per bar, the trades, and the core metrics. Everything
that can be derived from that (drawdown curves, enhanced metrics, charts) lives in
``adapters/``. Any change of semantics bumps ``ENGINE_VERSION`` and the golden tests.

Public surface::

    from engine import Bars, TradingParams, run, run_batch, ENGINE_VERSION
"""

from engine.backtest import run, run_batch
from engine.bars import Bars
from engine.params import DIRECTIONS, SIZE_TYPES, EngineParamError, TradingParams
from engine.result import BatchResult, EngineResult, Trade
from engine.version import ENGINE_VERSION

__all__ = [
    "DIRECTIONS",
    "ENGINE_VERSION",
    "SIZE_TYPES",
    "Bars",
    "BatchResult",
    "EngineParamError",
    "EngineResult",
    "Trade",
    "TradingParams",
    "run",
    "run_batch",
]
