"""The run form's fixed fields (dates, trading parameters) with the client-side hints that
mirror the server's validation: their bounds are ``engine.param_specs``', which the request
model (``kinds.runs.contract.parse_request``) and ``engine.TradingParams`` check.

Rule parameters are not listed here: the form builds them from ``/api/rules`` (the rule
registry's types, defaults, min and max). A hint is only a hint: the server validates again
and its 400 message is shown next to the field it names.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from data.timeframe import TIMEFRAMES
from engine import DIRECTIONS, SIZE_TYPES
from engine.param_specs import (
    BORROW_RATE,
    FEE_FIXED,
    FEE_MAX,
    FEE_MIN,
    FEE_PER_SHARE,
    FEE_RATE,
    INITIAL_CAPITAL,
    PERCENT_MAX,
    POSITION_SIZE,
    SLIPPAGE_BPS,
    STOP_LOSS_PCT,
    TAKE_PROFIT_PCT,
    TRAILING_STOP_PCT,
    NumberSpec,
)
from kinds.runs.contract import RunRequest

_DEFAULTS = RunRequest(run_id="", ticker="", rule_type="", start_date="", end_date="")


@dataclass(frozen=True)
class FormField:
    """One input: HTML ``min``/``max`` are inclusive; ``gt``/``lt`` are exclusive bounds the
    form's script checks (HTML has no exclusive bounds); ``percent_max`` caps the value when
    size_type is "percent"."""

    name: str
    label: str
    default: Any
    help: str
    step: str = "any"
    min: float | None = None
    max: float | None = None
    gt: float | None = None
    lt: float | None = None
    choices: tuple[str, ...] = ()
    percent_max: float | None = None
    optional: bool = False
    """May be left empty: the field is then not sent (a stop that is off)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the template and the form's script."""
        return asdict(self)


def _hints(spec: NumberSpec) -> dict[str, float]:
    """``spec``'s domain as the form's hints: inclusive bounds become HTML ``min``/``max``."""
    names = {"ge": "min", "le": "max", "gt": "gt", "lt": "lt"}
    return {names[key]: value for key, value in spec.bounds().items()}


TRADING_FIELDS = (
    FormField(
        "initial_capital",
        "Initial capital",
        _DEFAULTS.initial_capital,
        "Cash at the start (> 0).",
        step="any",
        **_hints(INITIAL_CAPITAL),
    ),
    FormField(
        "position_size",
        "Position size",
        _DEFAULTS.position_size,
        "Currency per trade (value) or percent of equity (percent, at most 100).",
        percent_max=PERCENT_MAX,
        **_hints(POSITION_SIZE),
    ),
    FormField("size_type", "Size type", _DEFAULTS.size_type, "", choices=SIZE_TYPES),
    FormField("direction", "Direction", _DEFAULTS.direction, "", choices=DIRECTIONS),
    FormField(
        "fee_rate",
        "Fee rate",
        _DEFAULTS.fee_rate,
        "Fraction of the traded value: 0.001 = 0.1% (0 to < 0.1).",
        **_hints(FEE_RATE),
    ),
    FormField(
        "slippage_bps",
        "Slippage (bps)",
        _DEFAULTS.slippage_bps,
        "Basis points against every fill (0 to 1000).",
        **_hints(SLIPPAGE_BPS),
    ),
    FormField(
        "stop_loss_pct",
        "Stop-loss %",
        _DEFAULTS.stop_loss_pct,
        "Below (long) / above (short) the entry fill; empty = off (0 to 100, exclusive).",
        optional=True,
        **_hints(STOP_LOSS_PCT),
    ),
    FormField(
        "take_profit_pct",
        "Take-profit %",
        _DEFAULTS.take_profit_pct,
        "Above (long) / below (short) the entry fill; empty = off (> 0).",
        optional=True,
        **_hints(TAKE_PROFIT_PCT),
    ),
    FormField(
        "trailing_stop_pct",
        "Trailing stop %",
        _DEFAULTS.trailing_stop_pct,
        "From the best high (long) / low (short) since the entry; empty = off (0 to 100).",
        optional=True,
        **_hints(TRAILING_STOP_PCT),
    ),
    FormField(
        "fee_fixed",
        "Fixed fee",
        _DEFAULTS.fee_fixed,
        "Currency per order, on top of the fee rate; empty = none (>= 0).",
        optional=True,
        **_hints(FEE_FIXED),
    ),
    FormField(
        "fee_per_share",
        "Fee per share",
        _DEFAULTS.fee_per_share,
        "Currency per share of an order; empty = none (>= 0).",
        optional=True,
        **_hints(FEE_PER_SHARE),
    ),
    FormField(
        "fee_min",
        "Min per-share fee",
        _DEFAULTS.fee_min,
        "Least per-share fee of an order (currency); empty = none (>= 0).",
        optional=True,
        **_hints(FEE_MIN),
    ),
    FormField(
        "fee_max",
        "Max per-share fee",
        _DEFAULTS.fee_max,
        "Most per-share fee of an order (currency); empty = no maximum (>= min).",
        optional=True,
        **_hints(FEE_MAX),
    ),
    FormField(
        "borrow_rate",
        "Borrow rate",
        _DEFAULTS.borrow_rate,
        "Annual fee on a short's value, per bar held: 0.03 = 3% (0 to < 1); empty = none.",
        optional=True,
        **_hints(BORROW_RATE),
    ),
    FormField("timeframe", "Timeframe", _DEFAULTS.timeframe, "", choices=TIMEFRAMES),
)
"""The trading fields of the form, in display order."""

NUMBER_FIELDS = tuple(f.name for f in TRADING_FIELDS if not f.choices)
"""Fields sent as JSON numbers."""
