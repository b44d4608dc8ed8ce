"""The run form's fixed fields (dates, trading parameters) with the client-side hints that
mirror the server's validation: their bounds are ``engine.param_specs``', which the request
model (``kinds.runs.contract.parse_request``) and ``engine.TradingParams`` check.

Rule parameters are not listed here: the form builds them from ``/api/rules`` (the rule
registry's types, defaults, min and max). A hint is only a hint: the server validates again
and its 400 message is shown next to the field it names.

The entry order (``entry_order``: its type, price expressions, their ``$name`` values and
``valid_bars``) is described by ``ENTRY_ORDER``, the size expression (``size_expr``) by
``SIZE_EXPR``, both read from the request model (``kinds.runs.request_model``); the
request's booleans (``close_open_trades_at_end``, ``exit_priority`` and the run form's
``capacity``) are the checkboxes of ``RUN_FLAGS``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from data.adjust import ADJUSTMENTS, RAW
from data.timeframe import TIMEFRAMES
from engine import DIRECTIONS, SIZE_TYPES
from engine import param_specs as specs
from kinds.runs.contract import RunRequest
from kinds.runs.request_model import EntryOrderBody, RunRequestBody, SizeExprBody
from kinds.sweeps.grid import SWEPT_TRADING
from rules.entry_prices import NEEDS

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
    needs: str | None = None
    """Another field that must be set for this one to leave its default (the server
    refuses it, naming this one, otherwise)."""
    sweepable: bool = False
    """May be a sweep's grid entry and a study's space entry (a stop or a scaling field,
    ``kinds.sweeps.grid.SWEPT_TRADING``): the sweep, walk-forward and study forms offer it
    as one."""
    title: str = ""
    """A longer description, shown on hover (a checkbox's: the request model's)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the template and the form's script."""
        return asdict(self)


def _number(spec: specs.NumberSpec, label: str, help: str, **extra: Any) -> FormField:
    """The field of ``spec``: its name, the request's default, its domain as the form's hints
    (inclusive bounds become HTML ``min``/``max``), optional when it has no default (a
    stop: off unless set)."""
    names = {"ge": "min", "le": "max", "gt": "gt", "lt": "lt"}
    hints = {names[key]: value for key, value in spec.bounds().items()}
    default = getattr(_DEFAULTS, spec.name)
    return FormField(
        spec.name,
        label,
        default,
        help,
        optional=default is None,
        sweepable=spec.name in SWEPT_TRADING,
        **extra,
        **hints,
    )


TRADING_FIELDS = (
    _number(specs.INITIAL_CAPITAL, "Initial capital", "Cash at the start (> 0)."),
    _number(
        specs.POSITION_SIZE,
        "Position size",
        "Currency per trade (value) or percent of equity (percent, at most 100).",
        percent_max=specs.PERCENT_MAX,
    ),
    FormField("size_type", "Size type", _DEFAULTS.size_type, "", choices=SIZE_TYPES),
    FormField("direction", "Direction", _DEFAULTS.direction, "", choices=DIRECTIONS),
    _number(specs.FEE_RATE, "Fee rate", "Fraction of the traded value: 0.001 = 0.1% (0 to < 0.1)."),
    _number(specs.SLIPPAGE_BPS, "Slippage (bps)", "Basis points against every fill (0 to 1000)."),
    _number(
        specs.STOP_LOSS_PCT,
        "Stop-loss %",
        "Below (long) / above (short) the entry fill; empty = off (0 to 100, exclusive).",
    ),
    _number(
        specs.TAKE_PROFIT_PCT,
        "Take-profit %",
        "Above (long) / below (short) the entry fill; empty = off (> 0).",
    ),
    _number(
        specs.TRAILING_STOP_PCT,
        "Trailing stop %",
        "From the best high (long) / low (short) since the entry; empty = off (0 to 100).",
    ),
    _number(
        specs.FEE_FIXED,
        "Fixed fee",
        "Currency per order, on top of the fee rate; empty = none (>= 0).",
    ),
    _number(
        specs.FEE_PER_SHARE,
        "Fee per share",
        "Currency per share of an order; empty = none (>= 0).",
    ),
    _number(
        specs.FEE_MIN,
        "Min per-share fee",
        "Least per-share fee of an order (currency); empty = none (>= 0).",
    ),
    _number(
        specs.FEE_MAX,
        "Max per-share fee",
        "Most per-share fee of an order (currency); empty = no maximum (>= min).",
    ),
    _number(
        specs.BORROW_RATE,
        "Borrow rate",
        "Annual fee on a short's value, per bar held: 0.03 = 3% (0 to < 1); empty = none.",
    ),
    _number(
        specs.MAX_ENTRIES,
        "Max entries",
        "Units a position holds at once: each entry bar while long (exit bar while short) "
        "adds one, with its own stops (1 to 100).",
        step="1",
    ),
    _number(
        specs.EXIT_FRACTION,
        "Exit fraction",
        "Part of each unit a signal against the units closes: 1 = all, 0.5 = half (0 "
        "exclusive to 1).",
    ),
    _number(
        specs.TAKE_PROFIT_FRACTION,
        "Take-profit fraction",
        "Part of a unit its take-profit sells, the rest kept with its stops: 1 = all "
        "(0 exclusive to 1; needs a take-profit %).",
        needs=specs.TAKE_PROFIT_PCT.name,
    ),
    _number(
        specs.VOLUME_LIMIT,
        "Volume limit",
        "Part of a bar's volume the run's fills may take: 0.025 = 2.5%; the rest fills on later "
        "bars; empty = no limit (0 exclusive to 1).",
    ),
    FormField(
        "slippage_model",
        "Impact model",
        _DEFAULTS.slippage_model,
        "Market impact beyond the slippage: fixed (none), volume_share, square_root.",
        choices=specs.SLIPPAGE_MODELS,
    ),
    _number(specs.PRICE_IMPACT, "Price impact", "The volume_share coefficient (0 to 1)."),
    _number(specs.IMPACT_K, "Impact k", "The square_root coefficient (0 to 100)."),
    _number(
        specs.IMPACT_WINDOW,
        "Impact window",
        "Bars before the fill the square_root model's volatility and ADV read (2 to 1000).",
        step="1",
    ),
    _number(
        specs.SPREAD_BPS,
        "Spread (bps)",
        "A fixed quoted spread, half paid on every fill; empty = none (0 to 1000).",
    ),
    _number(
        specs.SPREAD_WINDOW,
        "Spread window",
        "Bars the spread estimate reads (2 to 1000).",
        step="1",
    ),
    FormField("timeframe", "Timeframe", _DEFAULTS.timeframe, "", choices=TIMEFRAMES),
    FormField(
        "price_adjustment",
        "Price adjustment",
        RAW,
        "Prices the rule sees: raw (as traded), split or total_return adjusted by the "
        "ticker's events; the run trades raw prices.",
        choices=ADJUSTMENTS,
    ),
)
"""The trading fields of the form, in display order."""

NUMBER_FIELDS = tuple(f.name for f in TRADING_FIELDS if not f.choices)
"""Fields sent as JSON numbers."""


def _entry_order() -> dict[str, Any]:
    """The entry order's inputs as the request model describes them: the types (the first,
    ``market``, sends no ``entry_order``), the price texts each type uses
    (``rules.entry_prices.NEEDS``), ``valid_bars``' default and bounds, and each field's
    description as its help."""
    properties = EntryOrderBody.model_json_schema()["properties"]
    valid_bars = properties["valid_bars"]
    return {
        "types": list(properties["type"]["enum"]),
        "default": properties["type"]["default"],
        "needs": {kind: list(texts) for kind, texts in NEEDS.items()},
        "valid_bars": {
            "default": valid_bars["default"],
            "min": valid_bars["minimum"],
            "max": valid_bars["maximum"],
        },
        "help": {name: field.get("description", "") for name, field in properties.items()},
    }


ENTRY_ORDER = _entry_order()
"""The run form's entry order inputs (``entry_order``): types, texts, ``valid_bars``."""


def _size_expr() -> dict[str, Any]:
    """The size expression's inputs as the request model describes them: the units (the
    first the default), and each field's description as its help."""
    properties = SizeExprBody.model_json_schema()["properties"]
    return {
        "units": list(properties["unit"]["enum"]),
        "default_unit": properties["unit"]["default"],
        "help": {name: field.get("description", "") for name, field in properties.items()},
    }


SIZE_EXPR = _size_expr()
"""The run form's size expression inputs (``size_expr``): its text, unit, cap, $values."""


def _flag(name: str, label: str, help: str) -> FormField:
    """The checkbox of the request's boolean ``name``, sent only when ticked: ``help`` says
    what ticking it does, in a line; the request model's description is its tooltip."""
    description = RunRequestBody.model_fields[name].description or ""
    return FormField(name, label, getattr(_DEFAULTS, name), help, title=description)


CLOSE_AT_END = _flag(
    "close_open_trades_at_end",
    "Close open trades at the end",
    "Close a position still open after the last bar at that bar's open (backtesting.py's "
    "finalize_trades); unticked, it stays open, marked at the last close.",
)
"""The checkbox of ``close_open_trades_at_end``."""

EXIT_PRIORITY = _flag(
    "exit_priority",
    "Exit priority",
    "A bar whose entry and exit both hold is the exit while long, the entry otherwise "
    "(backtesting.py's order: a time exit ends a trade when due); unticked, it is ignored.",
)
"""The checkbox of ``exit_priority``."""

FLAGS = (CLOSE_AT_END, EXIT_PRIORITY)
"""The request's trading checkboxes, in display order (entry_order.js sends each ticked one
as ``true``)."""

CAPACITY = _flag(
    "capacity",
    "Capacity curve",
    "Also re-simulate the run at starting capitals from 10k to 1B (12 points) and show Sharpe, "
    "CAGR and the unfilled share against capital on the run page (docs/capacity.md).",
)
"""The checkbox of ``capacity`` (the run form's only: a sweep takes no capacity curve)."""

RUN_FLAGS = (*FLAGS, CAPACITY)
"""The run form's checkboxes, in display order."""

LAUNCH_FIELDS = (*TRADING_FIELDS, *FLAGS)
"""What the sweep, walk-forward and study forms draw below their parameters: the trading
fields, then the request's booleans as checkboxes (a field whose default is a bool;
``SweepForm.tradingInputs``), each sent only when ticked."""
