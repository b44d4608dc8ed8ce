"""Trading parameters of one backtest (capital, fees, slippage, sizing, direction, stops)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine._stats import TRADING_DAYS

SIZE_TYPES = ("value", "percent")
"""``value``: currency per trade; ``percent``: percent of current equity (100 = all-in)."""

DIRECTIONS = ("longonly", "longshort")
"""``longonly``: exits go flat; ``longshort``: an exit closes the long and opens a short,
an entry closes the short and opens a long."""

STOP_FIELDS = ("stop_loss_pct", "take_profit_pct", "trailing_stop_pct")
"""The optional stop parameters, percent of the entry fill price (``None`` = off)."""


class EngineParamError(ValueError):
    """A trading parameter is out of its domain; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TradingParams:
    """How orders are sized and filled. Defaults are the platform's documented defaults."""

    initial_capital: float = 100_000.0
    fee_rate: float = 0.001
    slippage_bps: float = 0.0
    position_size: float = 10_000.0
    size_type: str = "value"
    direction: str = "longonly"
    stop_loss_pct: float | None = None
    take_profit_pct: float | None = None
    trailing_stop_pct: float | None = None
    """Stops in percent of the entry fill price; ``None`` = off (docs/execution.md, "Stops")."""
    bars_per_year: float | None = None
    """Bars in a year, the annualisation factor of the Sharpe ratio: ``None`` means 252
    (daily bars); intraday runs pass their catalog entry's figure (``data.timeframe``).
    Fills ignore it."""

    @property
    def annual_bars(self) -> float:
        """``bars_per_year``, or 252 (``TRADING_DAYS``) when it is ``None``."""
        return TRADING_DAYS if self.bars_per_year is None else self.bars_per_year

    @property
    def has_stops(self) -> bool:
        """Whether any stop is set (the run then goes through the bar-by-bar stop walk)."""
        return any(getattr(self, name) is not None for name in STOP_FIELDS)

    def __post_init__(self) -> None:
        def finite(name: str) -> float:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise EngineParamError(name, "must be a number")
            if not math.isfinite(value):
                raise EngineParamError(name, "must be finite")
            return float(value)

        if finite("initial_capital") <= 0:
            raise EngineParamError("initial_capital", "must be greater than 0")
        if not 0 <= finite("fee_rate") < 0.1:
            raise EngineParamError("fee_rate", "must be from 0 to 0.1 (a fraction: 0.001 = 0.1%)")
        if self.bars_per_year is not None and finite("bars_per_year") <= 0:
            raise EngineParamError("bars_per_year", "must be greater than 0")
        if not 0 <= finite("slippage_bps") <= 1000:
            raise EngineParamError("slippage_bps", "must be between 0 and 1000 basis points")
        if finite("position_size") <= 0:
            raise EngineParamError("position_size", "must be greater than 0")
        if self.size_type not in SIZE_TYPES:
            raise EngineParamError("size_type", f"must be one of {', '.join(SIZE_TYPES)}")
        if self.size_type == "percent" and self.position_size > 100:
            raise EngineParamError("position_size", "a percent size must be at most 100")
        if self.direction not in DIRECTIONS:
            raise EngineParamError("direction", f"must be one of {', '.join(DIRECTIONS)}")
        for name in ("stop_loss_pct", "trailing_stop_pct"):
            if getattr(self, name) is not None and not 0 < finite(name) < 100:
                raise EngineParamError(name, "must be greater than 0 and less than 100 (percent)")
        if self.take_profit_pct is not None and finite("take_profit_pct") <= 0:
            raise EngineParamError("take_profit_pct", "must be greater than 0 (percent)")
        for name in ("initial_capital", "fee_rate", "slippage_bps", "position_size"):
            object.__setattr__(self, name, float(getattr(self, name)))
        for name in (*STOP_FIELDS, "bars_per_year"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, float(getattr(self, name)))
