"""The trading parameters' defaults, bounds and messages as data, stated once.

``engine.TradingParams`` checks its fields against these specs; the run request's pydantic
model (``kinds.runs.request_model``, and through it the portfolio request's), its error
messages and the run form's hints (``web.pages.form_fields``) are built from the same
objects, so a bound or a message changes in one place. Plain data: no I/O, standard
library only (the engine imports nothing else).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class NumberSpec:
    """One numeric parameter: its default and its domain, with the message a value outside
    it gets (``EngineParamError``'s and the API's 400 alike). Bounds left ``None`` are open:
    ``gt``/``lt`` exclusive, ``ge``/``le`` inclusive. They keep the literal types written
    here (0 stays an int) because the request's JSON Schema prints them."""

    name: str
    default: float | None
    message: str
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None

    def bounds(self) -> dict[str, float]:
        """The bounds that are set, by their pydantic/JSON Schema names (``gt``, ``le``…)."""
        limits = {"gt": self.gt, "ge": self.ge, "lt": self.lt, "le": self.le}
        return {key: value for key, value in limits.items() if value is not None}

    def contains(self, value: float) -> bool:
        """Whether a finite ``value`` lies in the domain."""
        return (
            (self.gt is None or value > self.gt)
            and (self.ge is None or value >= self.ge)
            and (self.lt is None or value < self.lt)
            and (self.le is None or value <= self.le)
        )

    def outside(self) -> float:
        """A finite value just outside the domain (for tests and examples)."""
        if self.gt is not None:
            return self.gt
        if self.ge is not None:
            return self.ge - 1
        if self.lt is not None:
            return self.lt
        assert self.le is not None
        return math.nextafter(self.le, math.inf)


INITIAL_CAPITAL = NumberSpec("initial_capital", 100_000.0, "must be greater than 0", gt=0)
FEE_RATE = NumberSpec(
    "fee_rate", 0.001, "must be from 0 to 0.1 (a fraction: 0.001 = 0.1%)", ge=0, lt=0.1
)
SLIPPAGE_BPS = NumberSpec(
    "slippage_bps", 0.0, "must be between 0 and 1000 basis points", ge=0, le=1000
)
POSITION_SIZE = NumberSpec("position_size", 10_000.0, "must be greater than 0", gt=0)
STOP_LOSS_PCT = NumberSpec(
    "stop_loss_pct", None, "must be greater than 0 and less than 100 (percent)", gt=0, lt=100
)
TAKE_PROFIT_PCT = NumberSpec("take_profit_pct", None, "must be greater than 0 (percent)", gt=0)
TRAILING_STOP_PCT = NumberSpec(
    "trailing_stop_pct", None, "must be greater than 0 and less than 100 (percent)", gt=0, lt=100
)
FEE_FIXED = NumberSpec("fee_fixed", None, "must be 0 or more (currency per order)", ge=0)
FEE_PER_SHARE = NumberSpec("fee_per_share", None, "must be 0 or more (currency per share)", ge=0)
FEE_MIN = NumberSpec(
    "fee_min", None, "must be 0 or more (currency per order, the per-share fee's least)", ge=0
)
FEE_MAX = NumberSpec(
    "fee_max", None, "must be 0 or more (currency per order, the per-share fee's most)", ge=0
)
FEE_MAX_BELOW_MIN = "must be at least fee_min"
"""What a ``fee_max`` below ``fee_min`` gets (on ``fee_max``)."""
BORROW_RATE = NumberSpec(
    "borrow_rate", None, "must be from 0 to 1 (an annual fraction: 0.03 = 3% a year)", ge=0, lt=1
)
MAX_ENTRIES = NumberSpec(
    "max_entries", 1, "must be a whole number from 1 to 100 (units held at once)", ge=1, le=100
)
EXIT_FRACTION = NumberSpec(
    "exit_fraction",
    1.0,
    "must be greater than 0 and at most 1 (the part of each unit sold)",
    gt=0,
    le=1,
)
TAKE_PROFIT_FRACTION = NumberSpec(
    "take_profit_fraction",
    1.0,
    "must be greater than 0 and at most 1 (the part of a unit its take-profit sells)",
    gt=0,
    le=1,
)
TAKE_PROFIT_FRACTION_ALONE = "needs take_profit_pct (the take-profit it sells a part at)"
"""What a ``take_profit_fraction`` below 1 without a take-profit gets (on that field)."""
BARS_PER_YEAR = NumberSpec("bars_per_year", None, "must be greater than 0", gt=0)
"""Not a request field: the ticker's catalog entry gives it (``TradingParams.bars_per_year``)."""

VOLUME_LIMIT = NumberSpec(
    "volume_limit",
    None,
    "must be greater than 0 and at most 1 (the part of a bar's volume its fills may take)",
    gt=0,
    le=1,
)
PRICE_IMPACT = NumberSpec(
    "price_impact", 0.1, "must be from 0 to 1 (the volume_share model's coefficient)", ge=0, le=1
)
IMPACT_K = NumberSpec(
    "impact_k", 1.0, "must be from 0 to 100 (the square_root model's coefficient)", ge=0, le=100
)
IMPACT_WINDOW = NumberSpec(
    "impact_window", 20, "must be a whole number from 2 to 1000 (bars)", ge=2, le=1000
)
SPREAD_BPS = NumberSpec(
    "spread_bps", None, "must be between 0 and 1000 basis points (the quoted spread)", ge=0, le=1000
)
SPREAD_WINDOW = NumberSpec(
    "spread_window", 20, "must be a whole number from 2 to 1000 (bars)", ge=2, le=1000
)

ADV_PARTICIPATION = NumberSpec(
    "max_adv_participation",
    None,
    "must be greater than 0 and at most 100 (a holding's most shares, in days of average volume)",
    gt=0,
    le=100,
)
"""A rebalancing portfolio's cap on each target holding, a multiple of the ticker's
average daily volume (``engine.portfolio``; not a run's field)."""

SLIPPAGE_MODELS = ("fixed", "volume_share", "square_root")
"""How a fill's price moves against it beyond ``slippage_bps`` (docs/execution.md,
"Liquidity"): ``fixed`` not at all, ``volume_share`` by ``price_impact`` × (shares filled /
bar volume)², ``square_root`` by ``impact_k`` × daily volatility × sqrt(shares filled /
average daily volume)."""

DEFAULT_SLIPPAGE_MODEL = "fixed"

SPREAD_MODELS = ("corwin_schultz", "abdi_ranaldo")
"""The spread estimated from the bars before the fill bar (``engine.liquidity``)."""

SPREAD_BOTH = "is set with spread_bps: give one of them"
"""What a ``spread_model`` set beside a ``spread_bps`` gets (on ``spread_model``)."""

LIQUIDITY_SPECS = (VOLUME_LIMIT, PRICE_IMPACT, IMPACT_K, IMPACT_WINDOW, SPREAD_BPS, SPREAD_WINDOW)
"""The numeric liquidity fields (docs/execution.md, "Liquidity"): at their defaults (and
``slippage_model`` fixed, no ``spread_model``) every fill is whole at today's price."""

LIQUIDITY_WINDOWS = (IMPACT_WINDOW, SPREAD_WINDOW)
"""The liquidity fields that are whole numbers of bars."""

STOP_SPECS = (STOP_LOSS_PCT, TAKE_PROFIT_PCT, TRAILING_STOP_PCT)
"""The optional stops, percent of the entry fill price (``None`` = off)."""

SCALING_SPECS = (MAX_ENTRIES, EXIT_FRACTION, TAKE_PROFIT_FRACTION)
"""Scaling in and out (docs/execution.md, "Scaling in and out"): at their defaults a run
holds one unit and sells all of it."""

COST_SPECS = (FEE_FIXED, FEE_PER_SHARE, FEE_MIN, FEE_MAX, BORROW_RATE)
"""The broker's costs beyond ``fee_rate`` (engine 1.2.0; docs/execution.md, "Commissions and
fees", "Short borrow fee"): ``None`` (the default) = not charged, the same as 0 except
``fee_max``, where ``None`` = no maximum."""

REQUEST_NUMBERS = (
    INITIAL_CAPITAL,
    FEE_RATE,
    SLIPPAGE_BPS,
    POSITION_SIZE,
    STOP_LOSS_PCT,
    TAKE_PROFIT_PCT,
    TRAILING_STOP_PCT,
    *COST_SPECS,
    MAX_ENTRIES,
    EXIT_FRACTION,
    TAKE_PROFIT_FRACTION,
    *LIQUIDITY_SPECS,
)
"""The numeric fields of a run request, in the request's order."""

PERCENT_MAX = 100.0
"""The largest ``position_size`` when ``size_type`` is "percent" (all-in)."""

PERCENT_MESSAGE = "a percent size must be at most 100"
"""What a larger percent size gets (on ``position_size``)."""


def percent_size_too_large(size_type: str, position_size: float) -> bool:
    """Whether ``position_size`` is above ``PERCENT_MAX`` while ``size_type`` is "percent":
    refused with ``PERCENT_MESSAGE`` (the engine and the run request alike)."""
    return size_type == "percent" and position_size > PERCENT_MAX


SIZE_TYPES = ("value", "percent")
"""``value``: currency per trade; ``percent``: percent of current equity (100 = all-in)."""

DIRECTIONS = ("longonly", "longshort")
"""``longonly``: exits go flat; ``longshort``: an exit closes the long and opens a short,
an entry closes the short and opens a long."""

DEFAULT_SIZE_TYPE = "value"
DEFAULT_DIRECTION = "longonly"

ENTRY_ORDER_PRICES = {
    "market": (),
    "limit": ("limit",),
    "stop": ("stop",),
    "stop_limit": ("stop", "limit"),
    "on_close": (),
    "market_if_touched": ("limit",),
}
"""Each entry order type and the price series it reads (and the only ones it accepts): the
``limit`` and ``stop`` inputs of ``run``/``run_batch``, a request's price expressions."""

ENTRY_ORDER_TYPES = tuple(ENTRY_ORDER_PRICES)
"""How a signal opens its position (docs/execution.md, "Entry orders"): ``market`` at the
next open (the default), a ``limit``, ``stop`` or ``stop_limit`` order good for
``valid_bars`` bars after the signal bar, ``on_close`` at the signal bar's close, or a
``market_if_touched`` order good for ``valid_bars`` bars that becomes a market order when a
bar touches its price and fills at that bar's close. Their
codes (``engine.broker.orders``) are their indices here."""

SIZE_UNITS = ("fraction", "shares")
"""What a position size expression gives (docs/execution.md, "Position size as an
expression"): a fraction of equity or a number of shares."""

VALID_BARS_MAX = 10_000
"""The most bars an entry order may stay good for."""
