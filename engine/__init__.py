"""Backtest engine: the frozen, versioned computational core.

Pure numpy, no I/O; large work runs the same arithmetic compiled (``engine.compiled``). It
takes OHLCV bars, entry/exit signals and trading parameters and returns equity, cash and
position per bar, the trades, and the core metrics. Everything that can be derived from
that (drawdown curves, enhanced metrics, charts) lives in ``adapters/``. Any change of
semantics bumps ``ENGINE_VERSION`` and the golden tests.

Public surface::

    from engine import Bars, TradingParams, run, run_batch, ENGINE_VERSION

``TRADING_DAYS``, ``bar_returns`` and ``core_metrics`` are public so that adapters derive
further metrics with the engine's own annualisation and return convention, and the core
metrics of a curve no single run produced (a walk-forward's stitched curve), instead of a
copy.
"""

from typing import TYPE_CHECKING, Any

from engine._stats import TRADING_DAYS, bar_returns, core_metrics
from engine.backtest import run, run_batch, run_crossings
from engine.bars import Bars
from engine.param_specs import DIRECTIONS, SIZE_TYPES
from engine.params import (
    COST_FIELDS,
    LIQUIDITY_FIELDS,
    SCALING_FIELDS,
    STOP_FIELDS,
    EngineParamError,
    TradingParams,
)
from engine.result import CURVE_STATS, EXIT_REASONS, BatchResult, EngineResult, Trade, Trades
from engine.version import ENGINE_VERSION

if TYPE_CHECKING:  # pragma: no cover
    from engine.corporate import CorporateActions


def __getattr__(name: str) -> Any:
    """``CorporateActions`` (``engine.corporate``), imported on first use: a run whose bars
    hold no split, dividend or delisting never loads the corporate-action code."""
    if name == "CorporateActions":
        from engine.corporate import CorporateActions

        return CorporateActions
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "COST_FIELDS",
    "CURVE_STATS",
    "DIRECTIONS",
    "ENGINE_VERSION",
    "EXIT_REASONS",
    "LIQUIDITY_FIELDS",
    "SCALING_FIELDS",
    "SIZE_TYPES",
    "STOP_FIELDS",
    "TRADING_DAYS",
    "Bars",
    "BatchResult",
    "CorporateActions",
    "EngineParamError",
    "EngineResult",
    "Trade",
    "Trades",
    "TradingParams",
    "bar_returns",
    "core_metrics",
    "run",
    "run_batch",
    "run_crossings",
]
