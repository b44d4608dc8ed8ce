"""Trading parameters of one backtest (capital, fees, slippage, sizing, direction, stops,
the broker's costs and the close at the end)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from engine import param_specs as specs
from engine._stats import TRADING_DAYS

STOP_FIELDS = tuple(spec.name for spec in specs.STOP_SPECS)
"""The optional stop parameters, percent of the entry fill price (``None`` = off)."""

SCALING_FIELDS = tuple(spec.name for spec in specs.SCALING_SPECS)
"""The scaling parameters: ``max_entries``, ``exit_fraction``, ``take_profit_fraction``."""

COST_FIELDS = tuple(spec.name for spec in specs.COST_SPECS)
"""The optional costs beyond ``fee_rate`` (``None`` = not charged; ``fee_max``: no maximum)."""

LIQUIDITY_FIELDS = (
    "volume_limit",
    "slippage_model",
    "price_impact",
    "impact_k",
    "impact_window",
    "spread_bps",
    "spread_model",
    "spread_window",
)
"""The liquidity fields (docs/execution.md, "Liquidity"), in the request's order."""


class EngineParamError(ValueError):
    """A trading parameter is out of its domain; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TradingParams:
    """How orders are sized and filled. Defaults are the platform's documented defaults;
    defaults, domains and messages come from ``engine.param_specs``."""

    initial_capital: float = specs.INITIAL_CAPITAL.default
    fee_rate: float = specs.FEE_RATE.default
    slippage_bps: float = specs.SLIPPAGE_BPS.default
    position_size: float = specs.POSITION_SIZE.default
    size_type: str = specs.DEFAULT_SIZE_TYPE
    direction: str = specs.DEFAULT_DIRECTION
    stop_loss_pct: float | None = None
    take_profit_pct: float | None = None
    trailing_stop_pct: float | None = None
    """Stops in percent of the entry fill price; ``None`` = off (docs/execution.md, "Stops")."""
    bars_per_year: float | None = None
    """Bars in a year, the annualisation factor of the Sharpe ratio and the borrow fee's day
    count: ``None`` means 252 (daily bars); intraday runs pass their catalog entry's figure
    (``data.timeframe``). Fills ignore it."""
    fee_fixed: float | None = None
    fee_per_share: float | None = None
    fee_min: float | None = None
    fee_max: float | None = None
    """Fees per order beyond ``fee_rate``: a fixed amount, and a per-share amount bounded by
    ``fee_min`` and ``fee_max``; ``None`` = none (no maximum for ``fee_max``)."""
    borrow_rate: float | None = None
    """Annual fee on a short's value, charged at each close it is held (``None`` = none)."""
    close_at_end: bool | None = None
    """True: a position still open after the last bar is closed at the last bar's open
    (backtesting.py's ``finalize_trades``); ``None`` (or False) leaves it open."""
    entry_type: str = "market"
    """How signals open positions (``ENTRY_ORDER_TYPES``); prices of limit and stop orders
    are inputs of ``run``/``run_batch`` (docs/execution.md, "Entry orders")."""
    valid_bars: int = 1
    """Bars after its signal bar an entry order is good for (limit, stop, stop_limit)."""
    size_unit: str | None = None
    """``None``: orders are sized by ``position_size`` and ``size_type``; ``fraction`` or
    ``shares`` (``SIZE_UNITS``): by a size series given to ``run``/``run_batch``, evaluated
    on the signal bar (docs/execution.md, "Position size as an expression")."""
    max_size: float | None = None
    """The cap of the size series (a fraction at most 1, or shares); ``None``: 1 for a
    fraction, none for shares."""
    max_entries: int = 1
    """The most units a long holds at once (docs/execution.md, "Scaling in and out")."""
    exit_fraction: float = 1.0
    """The part of each unit an exit signal sells (1: the whole position)."""
    take_profit_fraction: float = 1.0
    """The part of a unit its take-profit sells (1: all of it; below 1 with
    ``take_profit_pct`` only)."""
    exit_priority: bool = False
    """How a bar whose entry and exit signals both hold resolves: False ignores it (the
    position held stays); True lets the exit close a long held and the entry act otherwise
    (flat, or short in ``longshort``), as backtesting.py's ``if self.position and exit:
    close() elif entry: buy()`` (docs/execution.md, "Execution convention")."""
    volume_limit: float | None = None
    """The part (0, 1] of a bar's volume the run's fills on that bar may take in total;
    ``None``: no limit (docs/execution.md, "Liquidity")."""
    slippage_model: str = specs.DEFAULT_SLIPPAGE_MODEL
    """The market impact of a fill beyond ``slippage_bps`` (``SLIPPAGE_MODELS``)."""
    price_impact: float = specs.PRICE_IMPACT.default
    """The ``volume_share`` model's coefficient (zipline's 0.1)."""
    impact_k: float = specs.IMPACT_K.default
    """The ``square_root`` model's coefficient."""
    impact_window: int = specs.IMPACT_WINDOW.default
    """Bars before the fill bar the ``square_root`` model's volatility and ADV read."""
    spread_bps: float | None = None
    """A fixed quoted spread in basis points, half paid on every fill; ``None``: none."""
    spread_model: str | None = None
    """The spread estimated from the bars before the fill bar (``SPREAD_MODELS``)."""
    spread_window: int = specs.SPREAD_WINDOW.default
    """Bars the ``spread_model`` reads."""

    @property
    def scales(self) -> bool:
        """Whether the run scales in or out (the units walk, ``engine._scaling``)."""
        return (
            self.max_entries != specs.MAX_ENTRIES.default
            or self.exit_fraction != specs.EXIT_FRACTION.default
            or self.take_profit_fraction != specs.TAKE_PROFIT_FRACTION.default
        )

    @property
    def liquid(self) -> bool:
        """Whether any liquidity field acts (a volume limit, an impact model, a spread): the
        run then goes through the broker's compiled step as units (docs/execution.md,
        "Liquidity"); else every fill is whole at today's price."""
        return liquidity_acts(self)

    @property
    def stepped_as_units(self) -> bool:
        """Whether the run is walked as units by the broker's step (``engine._scaling``):
        it scales in or out, or a liquidity field acts."""
        return self.scales or self.liquid

    @property
    def annual_bars(self) -> float:
        """``bars_per_year``, or 252 (``TRADING_DAYS``) when it is ``None``."""
        return TRADING_DAYS if self.bars_per_year is None else self.bars_per_year

    @property
    def has_orders(self) -> bool:
        """Whether signals open positions by other than market orders (the order walk)."""
        return self.entry_type != "market"

    @property
    def has_stops(self) -> bool:
        """Whether any stop is set (the run then goes through the bar-by-bar stop walk)."""
        return any(getattr(self, name) is not None for name in STOP_FIELDS)

    @property
    def has_costs(self) -> bool:
        """Whether any cost beyond ``fee_rate`` is set (the trades then report their borrow
        fee and their fees in total, ``Trades.borrow_fee``)."""
        return any(getattr(self, name) is not None for name in COST_FIELDS)

    @property
    def borrows(self) -> bool:
        """Whether shorts pay a borrow fee (a ``longshort`` run with a ``borrow_rate``)."""
        return bool(self.borrow_rate) and self.direction == "longshort"

    @property
    def walks_bars(self) -> bool:
        """Whether the run is walked bar by bar (stops, a borrow fee charged per close, or
        a size evaluated per signal)."""
        return self.has_stops or self.borrows or self.size_unit is not None

    def __post_init__(self) -> None:
        def finite(name: str) -> float:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise EngineParamError(name, "must be a number")
            if not math.isfinite(value):
                raise EngineParamError(name, "must be finite")
            return float(value)

        def check(spec: specs.NumberSpec) -> None:
            if not spec.contains(finite(spec.name)):
                raise EngineParamError(spec.name, spec.message)

        check(specs.INITIAL_CAPITAL)
        check(specs.FEE_RATE)
        if self.bars_per_year is not None:
            check(specs.BARS_PER_YEAR)
        check(specs.SLIPPAGE_BPS)
        check(specs.POSITION_SIZE)
        if self.size_type not in specs.SIZE_TYPES:
            raise EngineParamError("size_type", f"must be one of {', '.join(specs.SIZE_TYPES)}")
        if specs.percent_size_too_large(self.size_type, self.position_size):
            raise EngineParamError("position_size", specs.PERCENT_MESSAGE)
        if self.direction not in specs.DIRECTIONS:
            raise EngineParamError("direction", f"must be one of {', '.join(specs.DIRECTIONS)}")
        if self.entry_type not in specs.ENTRY_ORDER_TYPES:
            raise EngineParamError(
                "entry_type", f"must be one of {', '.join(specs.ENTRY_ORDER_TYPES)}"
            )
        valid = self.valid_bars
        if (
            isinstance(valid, bool)
            or not isinstance(valid, int)
            or not 1 <= valid <= specs.VALID_BARS_MAX
        ):
            raise EngineParamError(
                "valid_bars", f"must be a whole number from 1 to {specs.VALID_BARS_MAX}"
            )
        for spec in (
            specs.STOP_LOSS_PCT,
            specs.TRAILING_STOP_PCT,
            specs.TAKE_PROFIT_PCT,
            *specs.COST_SPECS,
        ):
            if getattr(self, spec.name) is not None:
                check(spec)
        self._check_size()
        self._check_scaling()
        check_liquidity(self)
        if self.fee_max is not None and self.fee_max < (self.fee_min or 0.0):
            raise EngineParamError(specs.FEE_MAX.name, specs.FEE_MAX_BELOW_MIN)
        if not isinstance(self.exit_priority, bool):
            raise EngineParamError("exit_priority", "must be true or false")
        if self.close_at_end not in (None, True, False):
            raise EngineParamError("close_at_end", "must be true or false")
        object.__setattr__(self, "close_at_end", True if self.close_at_end else None)
        for spec in (
            specs.INITIAL_CAPITAL,
            specs.FEE_RATE,
            specs.SLIPPAGE_BPS,
            specs.POSITION_SIZE,
        ):
            object.__setattr__(self, spec.name, float(getattr(self, spec.name)))
        for name in (*STOP_FIELDS, *COST_FIELDS, "bars_per_year"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, float(getattr(self, name)))

    def _check_scaling(self) -> None:
        """``max_entries`` a whole number in its domain, ``exit_fraction`` and
        ``take_profit_fraction`` in (0, 1], the latter below 1 only with a take-profit."""
        count = self.max_entries
        if (
            isinstance(count, bool)
            or not isinstance(count, int)
            or not specs.MAX_ENTRIES.contains(count)
        ):
            raise EngineParamError(specs.MAX_ENTRIES.name, specs.MAX_ENTRIES.message)
        for spec in (specs.EXIT_FRACTION, specs.TAKE_PROFIT_FRACTION):
            fraction = getattr(self, spec.name)
            if isinstance(fraction, bool) or not isinstance(fraction, (int, float)):
                raise EngineParamError(spec.name, "must be a number")
            if not (math.isfinite(fraction) and spec.contains(fraction)):
                raise EngineParamError(spec.name, spec.message)
            object.__setattr__(self, spec.name, float(fraction))
        if self.take_profit_fraction != 1.0 and self.take_profit_pct is None:
            raise EngineParamError(
                specs.TAKE_PROFIT_FRACTION.name, specs.TAKE_PROFIT_FRACTION_ALONE
            )

    def _check_size(self) -> None:
        """``size_unit`` one of ``SIZE_UNITS`` (or None), ``max_size`` > 0 (at most 1 for a
        fraction, set only with a unit)."""
        if self.size_unit is None:
            if self.max_size is not None:
                raise EngineParamError("max_size", "is a cap of a size series: set size_unit")
            return
        if self.size_unit not in specs.SIZE_UNITS:
            raise EngineParamError("size_unit", f"must be one of {', '.join(specs.SIZE_UNITS)}")
        cap = self.max_size
        if cap is None:
            return
        if isinstance(cap, bool) or not isinstance(cap, (int, float)) or not cap > 0:
            raise EngineParamError("max_size", "must be a number above 0")
        if not math.isfinite(cap) or (self.size_unit == "fraction" and cap > 1):
            raise EngineParamError("max_size", "must be at most 1 for a fraction of equity")
        object.__setattr__(self, "max_size", float(cap))


def check_liquidity(settings: object) -> None:
    """The liquidity fields of ``settings`` (a ``TradingParams`` or a portfolio's
    ``PortfolioConfig``: frozen dataclasses with ``LIQUIDITY_FIELDS``) in their domains
    (``engine.param_specs``): numbers finite and bounded (stored as floats), windows
    whole, the models named, at most one of ``spread_bps`` and ``spread_model``.

    :raise EngineParamError: naming the first field out of its domain."""
    for spec in specs.LIQUIDITY_SPECS:
        value = getattr(settings, spec.name)
        if value is None and spec.default is None:
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise EngineParamError(spec.name, "must be a number")
        whole = spec in specs.LIQUIDITY_WINDOWS
        if whole and not isinstance(value, int):
            raise EngineParamError(spec.name, spec.message)
        if not (math.isfinite(value) and spec.contains(value)):
            raise EngineParamError(spec.name, spec.message)
        if not whole:
            object.__setattr__(settings, spec.name, float(value))
    if settings.slippage_model not in specs.SLIPPAGE_MODELS:  # type: ignore[attr-defined]
        raise EngineParamError(
            "slippage_model", f"must be one of {', '.join(specs.SLIPPAGE_MODELS)}"
        )
    spread_model = settings.spread_model  # type: ignore[attr-defined]
    if spread_model is not None:
        if spread_model not in specs.SPREAD_MODELS:
            raise EngineParamError(
                "spread_model", f"must be one of {', '.join(specs.SPREAD_MODELS)} or null"
            )
        if settings.spread_bps is not None:  # type: ignore[attr-defined]
            raise EngineParamError("spread_model", specs.SPREAD_BOTH)


def liquidity_acts(settings: object) -> bool:
    """Whether a liquidity field of ``settings`` (a ``TradingParams`` or a
    ``PortfolioConfig``) acts: a volume limit, an impact model or a spread. At their
    defaults none does and every fill is whole at today's price."""
    return (
        settings.volume_limit is not None  # type: ignore[attr-defined]
        or settings.slippage_model != specs.DEFAULT_SLIPPAGE_MODEL  # type: ignore[attr-defined]
        or settings.spread_bps is not None  # type: ignore[attr-defined]
        or settings.spread_model is not None  # type: ignore[attr-defined]
    )
