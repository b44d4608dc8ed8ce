"""The pydantic model of a run request body and the translation of its errors into the
contract's ``RequestError`` (our messages, the offending field), plus its JSON Schema.

Kept apart from ``kinds.runs.contract`` (which holds the plain dataclasses every process passes
around) so that importing the contract stays cheap; ``parse_request`` imports this module
on first use. The rule part (``rule_type`` and ``params``) is checked by the registry's
generated models (``rules.validate_rule``); this model checks every other field.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from data.adjust import ADJUSTMENTS
from data.timeframe import DAILY
from engine.capacity import MAX_POINTS as CAPACITY_MAX_POINTS
from engine.param_specs import (
    BORROW_RATE,
    DEFAULT_DIRECTION,
    DEFAULT_SIZE_TYPE,
    DIRECTIONS,
    ENTRY_ORDER_TYPES,
    EXIT_FRACTION,
    FEE_FIXED,
    FEE_MAX,
    FEE_MAX_BELOW_MIN,
    FEE_MIN,
    FEE_PER_SHARE,
    FEE_RATE,
    IMPACT_K,
    IMPACT_WINDOW,
    INITIAL_CAPITAL,
    MAX_ENTRIES,
    PERCENT_MAX,
    PERCENT_MESSAGE,
    POSITION_SIZE,
    PRICE_IMPACT,
    REQUEST_NUMBERS,
    SIZE_TYPES,
    SIZE_UNITS,
    SLIPPAGE_BPS,
    SLIPPAGE_MODELS,
    SPREAD_BOTH,
    SPREAD_BPS,
    SPREAD_MODELS,
    SPREAD_WINDOW,
    STOP_LOSS_PCT,
    TAKE_PROFIT_FRACTION,
    TAKE_PROFIT_FRACTION_ALONE,
    TAKE_PROFIT_PCT,
    TRAILING_STOP_PCT,
    VALID_BARS_MAX,
    VOLUME_LIMIT,
    NumberSpec,
    percent_size_too_large,
)
from kinds.runs.fields import (
    NAME_MAX,
    NOTES_MAX,
    REQUIRED_FIELDS,
    RULE_ID_PATTERN,
    RUN_ID_PATTERN,
    TAG_MAX,
    TAG_PATTERN,
    TAGS_MAX,
    TIMEFRAMES,
)
from work.errors import RequestError, unknown_field

_BEFORE_RULE = frozenset({"run_id", "ticker"})
"""Fields checked before the rule (the order users have always seen errors in)."""


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _required(value: Any) -> Any:
    if value is None or value == "":
        raise PydanticCustomError("required", "is required")
    return value


def _iso_date(value: str) -> str:
    """A date stays ``YYYY-MM-DD``; a datetime (intraday) becomes ``YYYY-MM-DDTHH:MM:SS`` in
    UTC (an offset is converted, none means UTC)."""
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
        if len(text) < 16 or text[10] not in "T ":
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PydanticCustomError("date_invalid", "is not a valid date") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat()


def _range_end(value: str) -> str:
    """``end_date`` as the last moment it covers, comparable as text: a date is its whole day."""
    return f"{value}T23:59:59" if len(value) == 10 else value


def _blank_text(value: Any) -> Any:
    """A name or notes as stored: stripped; blank is None (no name)."""
    if isinstance(value, str):
        return value.strip() or None
    return value


def _distinct(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?$"
"""A request date: ``YYYY-MM-DD`` (a whole day) or ``YYYY-MM-DDTHH:MM[:SS]`` (UTC, intraday)."""
_DATE_SCHEMA = {
    "type": "string",
    "pattern": DATE_PATTERN,
    "description": "a date YYYY-MM-DD, or for intraday tickers YYYY-MM-DDTHH:MM (UTC)",
}
Number = Annotated[float, Field(strict=True)]


def bounded(spec: NumberSpec) -> Any:
    """A strict number in ``spec``'s domain (``engine.param_specs``: the engine checks the
    same bounds)."""
    return Annotated[Number, Field(**spec.bounds())]


Capital = bounded(INITIAL_CAPITAL)
"""Starting cash (runs, portfolios)."""
FeeRate = bounded(FEE_RATE)
"""A fee per order as a fraction of its value (runs, portfolios)."""
SlippageBps = bounded(SLIPPAGE_BPS)
"""Slippage in basis points against the trader (runs, portfolios)."""
Date = Annotated[str, AfterValidator(_iso_date), Field(json_schema_extra=_DATE_SCHEMA)]
CAPACITY_CAPITAL_MAX = 1e12
"""The largest capital of a capacity curve (``capacity_capitals``)."""
CapacityCapitals = Annotated[
    list[Annotated[Number, Field(gt=0, le=CAPACITY_CAPITAL_MAX)]] | None,
    Field(min_length=2, max_length=CAPACITY_MAX_POINTS),
]
Name = Annotated[
    Annotated[str, Field(strict=True, max_length=NAME_MAX)] | None,
    BeforeValidator(_blank_text),
    Field(description="a label for the run (metadata: it does not affect the result)"),
]
Tags = Annotated[
    list[Annotated[str, Field(strict=True, pattern=TAG_PATTERN)]],
    Field(max_length=TAGS_MAX, description="short labels to filter the history by"),
    AfterValidator(_distinct),
]
Notes = Annotated[
    Annotated[str, Field(strict=True, max_length=NOTES_MAX)] | None,
    BeforeValidator(_blank_text),
    Field(description="free text about the run (metadata)"),
]


PRICE_TEXT_MAX = 2_000
"""The longest price expression of an entry order (the strategy language bounds it too)."""


class EntryOrderBody(BaseModel):
    """How signals open positions (docs/execution.md, "Entry orders"): the order type, its
    price expressions (checked by ``rules.entry_prices``), their ``$name`` values and how
    many bars after the signal bar the order is good for."""

    model_config = ConfigDict(extra="forbid", title="EntryOrder")

    type: Literal[ENTRY_ORDER_TYPES] = Field(  # type: ignore[valid-type]
        "market", description=" | ".join(ENTRY_ORDER_TYPES)
    )
    limit: Annotated[str, Field(strict=True, max_length=PRICE_TEXT_MAX)] | None = Field(
        None, description="limit price expression, evaluated on the signal bar's close"
    )
    stop: Annotated[str, Field(strict=True, max_length=PRICE_TEXT_MAX)] | None = Field(
        None, description="stop price expression, evaluated on the signal bar's close"
    )
    params: dict[str, Any] | None = Field(None, description="a number per $name of the prices")
    valid_bars: Annotated[int, Field(strict=True, ge=1, le=VALID_BARS_MAX)] = Field(
        1, description="bars after the signal bar the order is good for"
    )


class SizeExprBody(BaseModel):
    """The position size as an expression (docs/execution.md, "Position size as an
    expression"): its text (checked by ``rules.size_expr``; ``equity`` allowed), what its
    value is, its cap and its ``$name`` values."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, title="SizeExpr")

    expr: Annotated[str, Field(strict=True, max_length=PRICE_TEXT_MAX)] = Field(
        description="size expression, evaluated on the signal bar's close"
    )
    unit: Literal[SIZE_UNITS] = Field(  # type: ignore[valid-type]
        "fraction", description="fraction (of equity) | shares"
    )
    max_size: Annotated[float, Field(gt=0)] | None = Field(
        None, description="the cap of the size: at most 1 for a fraction (the default)"
    )
    params: dict[str, Any] | None = Field(None, description="a number per $name of expr")


class RunRequestBody(BaseModel):
    """A run request as users send it (``POST /run_backtest``, a bulk file, a preset).

    ``rule_type`` and ``params`` are typed loosely here: the registry's models check them
    (see ``kinds.runs.request_model.json_schema`` for their schema)."""

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        title="RunRequest",
        json_schema_extra={
            "if": {"properties": {"size_type": {"const": "percent"}}, "required": ["size_type"]},
            "then": {"properties": {"position_size": {"maximum": PERCENT_MAX}}},
        },
    )

    run_id: Annotated[
        Annotated[str, Field(pattern=RUN_ID_PATTERN)] | None, BeforeValidator(_blank_to_none)
    ] = None
    ticker: Annotated[str, Field(min_length=1, strict=True)]
    rule_type: Annotated[Any, AfterValidator(_required)]
    params: Any = None
    rule_id: Annotated[
        Annotated[str, Field(pattern=RULE_ID_PATTERN)] | None, BeforeValidator(_blank_to_none)
    ] = None
    start_date: Date
    end_date: Date
    charts: StrictBool = True
    cache: StrictBool = Field(
        True,
        description="answer from a stored identical run's result when there is one (no Job); "
        "false always runs a Job. Not part of the request: it changes no result",
    )
    initial_capital: Capital = INITIAL_CAPITAL.default
    fee_rate: FeeRate = FEE_RATE.default
    slippage_bps: SlippageBps = SLIPPAGE_BPS.default
    position_size: bounded(POSITION_SIZE) = POSITION_SIZE.default  # type: ignore[valid-type]
    size_type: Literal[SIZE_TYPES] = DEFAULT_SIZE_TYPE  # type: ignore[valid-type]
    direction: Literal[DIRECTIONS] = DEFAULT_DIRECTION  # type: ignore[valid-type]
    timeframe: Literal[TIMEFRAMES] = DAILY  # type: ignore[valid-type]
    stop_loss_pct: bounded(STOP_LOSS_PCT) | None = Field(  # type: ignore[valid-type]
        STOP_LOSS_PCT.default,
        description="stop-loss, percent below (long) / above (short) the entry fill; null = off",
    )
    take_profit_pct: bounded(TAKE_PROFIT_PCT) | None = Field(  # type: ignore[valid-type]
        TAKE_PROFIT_PCT.default,
        description="take-profit, percent above (long) / below (short) the entry fill; null = off",
    )
    trailing_stop_pct: bounded(TRAILING_STOP_PCT) | None = Field(  # type: ignore[valid-type]
        TRAILING_STOP_PCT.default,
        description="trailing stop, percent from the best high (long) / low (short) since entry; "
        "null = off",
    )
    fee_fixed: bounded(FEE_FIXED) | None = Field(  # type: ignore[valid-type]
        FEE_FIXED.default, description="a fixed fee per order (currency), on top of fee_rate"
    )
    fee_per_share: bounded(FEE_PER_SHARE) | None = Field(  # type: ignore[valid-type]
        FEE_PER_SHARE.default,
        description="a fee per share of each order (currency), within fee_min and fee_max",
    )
    fee_min: bounded(FEE_MIN) | None = Field(  # type: ignore[valid-type]
        FEE_MIN.default, description="the least per-share fee of an order (currency)"
    )
    fee_max: bounded(FEE_MAX) | None = Field(  # type: ignore[valid-type]
        FEE_MAX.default,
        description="the most per-share fee of an order (currency); null = no maximum",
    )
    borrow_rate: bounded(BORROW_RATE) | None = Field(  # type: ignore[valid-type]
        BORROW_RATE.default,
        description="annual fee on a short's value, charged at each close it is held",
    )
    close_open_trades_at_end: StrictBool = Field(
        False,
        description="close a position still open after the last bar at that bar's open "
        "(backtesting.py's finalize_trades)",
    )
    entry_order: EntryOrderBody | None = Field(
        None, description="how signals open positions; null = a market order at the next open"
    )
    price_adjustment: Literal[ADJUSTMENTS] | None = Field(  # type: ignore[valid-type]
        None,
        description="the prices indicators and signals see: raw (as traded, the default), "
        "split or total_return adjusted by the ticker's events; the run trades raw prices",
    )
    size_expr: SizeExprBody | None = Field(
        None,
        description="the position size as an expression on the signal bar; null = "
        "position_size and size_type",
    )
    max_entries: Annotated[int, Field(strict=True, **MAX_ENTRIES.bounds())] = Field(
        MAX_ENTRIES.default,
        description="the most units a position holds at once: each entry signal bar while "
        "long (exit bar while short) adds one, with its own stops",
    )
    exit_fraction: bounded(EXIT_FRACTION) = Field(  # type: ignore[valid-type]
        EXIT_FRACTION.default,
        description="the part of each unit a signal against the units closes, "
        "max(1, round(shares x f)); 1 = the whole position",
    )
    take_profit_fraction: bounded(TAKE_PROFIT_FRACTION) = Field(  # type: ignore[valid-type]
        TAKE_PROFIT_FRACTION.default,
        description="the part of a unit its take-profit sells, max(1, round(shares x f)), "
        "the rest kept with its stop-loss and trailing stop; 1 = all; needs take_profit_pct",
    )
    exit_priority: StrictBool = Field(
        False,
        description="a bar whose entry and exit both hold: true = the exit closes a long "
        "held, the entry acts otherwise (backtesting.py's `if position and exit: close() "
        "elif entry: buy()`); false = the bar is ignored",
    )
    volume_limit: bounded(VOLUME_LIMIT) | None = Field(  # type: ignore[valid-type]
        VOLUME_LIMIT.default,
        description="the part (0, 1] of a bar's volume the run's fills on it may take; the "
        "rest of an order fills on later bars; null = no limit",
    )
    slippage_model: Literal[SLIPPAGE_MODELS] = Field(  # type: ignore[valid-type]
        "fixed",
        description="market impact beyond slippage_bps: fixed (none) | volume_share "
        "(price_impact x (shares / bar volume)^2) | square_root (impact_k x daily volatility "
        "x sqrt(shares / ADV))",
    )
    price_impact: bounded(PRICE_IMPACT) = Field(  # type: ignore[valid-type]
        PRICE_IMPACT.default, description="the volume_share model's coefficient"
    )
    impact_k: bounded(IMPACT_K) = Field(  # type: ignore[valid-type]
        IMPACT_K.default, description="the square_root model's coefficient"
    )
    impact_window: Annotated[int, Field(strict=True, **IMPACT_WINDOW.bounds())] = Field(
        IMPACT_WINDOW.default,
        description="bars before the fill bar the square_root model's volatility and ADV read",
    )
    spread_bps: bounded(SPREAD_BPS) | None = Field(  # type: ignore[valid-type]
        SPREAD_BPS.default,
        description="a fixed quoted spread (basis points), half paid on every fill; null = none",
    )
    spread_model: Literal[SPREAD_MODELS] | None = Field(  # type: ignore[valid-type]
        None,
        description="the spread estimated from the bars before the fill bar, half paid on "
        "every fill: corwin_schultz | abdi_ranaldo; null = none",
    )
    spread_window: Annotated[int, Field(strict=True, **SPREAD_WINDOW.bounds())] = Field(
        SPREAD_WINDOW.default, description="bars the spread_model reads"
    )
    strategy_code: Any = Field(
        None,
        description="rule_type PYTHON: the strategy module's source text (at most 64 KiB)",
    )
    strategy_class: Any = Field(
        None, description="rule_type PYTHON: the name of the strategy class to run"
    )
    refs: Any = Field(
        None,
        description="rule_type PYTHON: the other catalog tickers the strategy may read with "
        "self.ref (at most 16)",
    )
    capacity: StrictBool = Field(
        False,
        description="also re-simulate the run at starting capitals from 10k to 1B (12 points, "
        "log-spaced) and store its capacity curve (docs/capacity.md)",
    )
    capacity_capitals: CapacityCapitals = Field(
        None,
        description=f"the capacity curve's capitals instead of the 12 default ones (2 to "
        f"{CAPACITY_MAX_POINTS}, each above 0 and at most {CAPACITY_CAPITAL_MAX:.0e}); "
        "needs capacity true",
    )
    margin: Any = Field(
        None,
        description="rule_type PYTHON: the margin requirement in (0, 1], leverage 1/margin "
        "(backtesting.py's Backtest margin); null = 1",
    )
    trade_on_close: Any = Field(
        None,
        description="rule_type PYTHON: market orders fill at the close of the bar they are "
        "placed on, not the next open",
    )
    hedging: Any = Field(
        None, description="rule_type PYTHON: long and short trades may be open at once"
    )
    exclusive_orders: Any = Field(
        None,
        description="rule_type PYTHON: each new order cancels the other orders and closes "
        "every open trade",
    )
    name: Name = None
    tags: Tags = []
    notes: Notes = None

    @model_validator(mode="after")
    def _capitals_with_capacity(self) -> RunRequestBody:
        if self.capacity_capitals is not None and not self.capacity:
            raise PydanticCustomError("capitals_without_capacity", CAPITALS_WITHOUT_CAPACITY)
        return self

    @field_validator("end_date")
    @classmethod
    def _not_before_start(cls, value: str, info: ValidationInfo) -> str:
        start = info.data.get("start_date")
        if start is not None and _range_end(value) < start:
            raise PydanticCustomError("date_order", "must be on or after start_date")
        return value

    @model_validator(mode="after")
    def _percent_at_most_100(self) -> RunRequestBody:
        if percent_size_too_large(self.size_type, self.position_size):
            raise PydanticCustomError("percent_size", PERCENT_MESSAGE)
        return self

    @model_validator(mode="after")
    def _fee_max_at_least_fee_min(self) -> RunRequestBody:
        if self.fee_max is not None and self.fee_max < (self.fee_min or 0.0):
            raise PydanticCustomError("fee_max_below_min", FEE_MAX_BELOW_MIN)
        return self

    @model_validator(mode="after")
    def _one_spread(self) -> RunRequestBody:
        if self.spread_model is not None and self.spread_bps is not None:
            raise PydanticCustomError("spread_both", SPREAD_BOTH)
        return self

    @model_validator(mode="after")
    def _take_profit_fraction_with_take_profit(self) -> RunRequestBody:
        if self.take_profit_fraction != 1 and self.take_profit_pct is None:
            raise PydanticCustomError("take_profit_fraction_alone", TAKE_PROFIT_FRACTION_ALONE)
        return self

    @model_validator(mode="after")
    def _size_expr_fits(self) -> RunRequestBody:
        size = self.size_expr
        if size is None:
            return self
        if size.unit == "fraction" and size.max_size is not None and size.max_size > 1:
            raise PydanticCustomError("size_fraction_cap", SIZE_FRACTION_CAP)
        return self


class LenientRunRequestBody(RunRequestBody):
    """The same checks, ignoring unknown fields (a consumer reading a newer web's request)."""

    model_config = ConfigDict(extra="ignore")


_RANGE_MESSAGES = {spec.name: spec.message for spec in REQUEST_NUMBERS}
"""The engine's words for an out-of-range trading parameter (``engine.param_specs``, which
``engine.TradingParams`` checks with)."""

_RANGE_TYPES = frozenset({"greater_than", "greater_than_equal", "less_than", "less_than_equal"})

_TYPE_MESSAGES = {
    "run_id": "must be a lower-case UUID4",
    "ticker": "must be a string",
    "rule_id": "must be a slug of a-z, 0-9 and . _ + - (max 120)",
    "start_date": "must be a date string YYYY-MM-DD (or YYYY-MM-DDTHH:MM)",
    "end_date": "must be a date string YYYY-MM-DD (or YYYY-MM-DDTHH:MM)",
    "charts": "must be true or false",
    "cache": "must be true or false",
    "close_open_trades_at_end": "must be true or false",
    "capacity": "must be true or false",
    "capacity_capitals": (
        f"must be a list of 2 to {CAPACITY_MAX_POINTS} capitals, each above 0 and at most "
        f"{CAPACITY_CAPITAL_MAX:.0e}, or null"
    ),
    "exit_priority": "must be true or false",
    "slippage_model": f"must be one of: {', '.join(SLIPPAGE_MODELS)}",
    "spread_model": f"must be one of: {', '.join(SPREAD_MODELS)}, or null",
    "size_type": f"must be one of: {', '.join(SIZE_TYPES)}",
    "price_adjustment": f"must be one of: {', '.join(ADJUSTMENTS)}, or null",
    "direction": f"must be one of: {', '.join(DIRECTIONS)}",
    "timeframe": f"must be one of: {', '.join(TIMEFRAMES)}",
    "name": f"must be a string of at most {NAME_MAX} characters, or null",
    "tags": (
        f"must be a list of at most {TAGS_MAX} tags, each 1 to {TAG_MAX} characters of "
        "A-Z a-z 0-9 _ . -"
    ),
    "notes": f"must be a string of at most {NOTES_MAX} characters, or null",
    "pinned": "must be true or false",
    "shared": "must be true or false",
}


def _is_required_error(error: dict) -> bool:
    field = error["loc"][0] if error["loc"] else None
    if field not in REQUIRED_FIELDS:
        return False
    return error["type"] in ("missing", "required") or error.get("input") in (None, "")


def ordered_errors(exc: ValidationError) -> tuple[list[dict], list[dict]]:
    """The body's errors as (reported before the rule is checked, after it): unknown fields
    (by name), then missing required fields, then run_id and ticker; then the rest in
    field order, the trading parameters' ranges last (the engine's own checks came last)."""
    errors = exc.errors(include_url=False, include_context=False)
    unknown = sorted((e for e in errors if e["type"] == "extra_forbidden"), key=_loc_text)
    required = sorted(
        (e for e in errors if _is_required_error(e)),
        key=lambda e: REQUIRED_FIELDS.index(e["loc"][0]),
    )
    sorted_out = {id(e) for e in (*unknown, *required)}  # by identity: linear, not quadratic
    rest = [e for e in errors if id(e) not in sorted_out]
    early = [e for e in rest if e["loc"] and e["loc"][0] in _BEFORE_RULE]
    late = sorted(
        (e for e in rest if not (e["loc"] and e["loc"][0] in _BEFORE_RULE)),
        key=lambda e: e["type"] in _RANGE_TYPES,
    )
    return [*unknown, *required, *early], late


def _loc_text(error: dict) -> str:
    return ".".join(str(part) for part in error["loc"])


def error_field_message(error: dict) -> tuple[str, str]:
    """(field, message) of one error of ``RunRequestBody``, in the contract's words."""
    kind, value = error["type"], error.get("input")
    if kind == "percent_size":
        return "position_size", PERCENT_MESSAGE
    if kind == "fee_max_below_min":
        return FEE_MAX.name, FEE_MAX_BELOW_MIN
    if kind == "size_fraction_cap":
        return "size_expr.max_size", SIZE_FRACTION_CAP
    if kind == "capitals_without_capacity":
        return "capacity_capitals", CAPITALS_WITHOUT_CAPACITY
    if kind == "spread_both":
        return "spread_model", SPREAD_BOTH
    if kind == "take_profit_fraction_alone":
        return TAKE_PROFIT_FRACTION.name, TAKE_PROFIT_FRACTION_ALONE
    field = str(error["loc"][0])
    if field == "entry_order" and kind != "extra_forbidden":
        return _entry_order_error(error)
    if field == "size_expr":
        return _size_expr_error(error)
    if kind == "extra_forbidden":
        return unknown_field(_loc_text(error)[:40], "request")
    if _is_required_error(error):
        return field, "is required"
    if kind == "date_invalid":
        return field, f"is not a valid date (YYYY-MM-DD or YYYY-MM-DDTHH:MM): {value[:40]!r}"
    if kind == "date_order":
        return field, "must be on or after start_date"
    if field in _RANGE_MESSAGES:
        if kind == "finite_number":
            return field, "must be a finite number"
        if kind == "float_type":
            is_int = isinstance(value, int) and not isinstance(value, bool)
            return field, "must be a finite number" if is_int else "must be a number"
        return field, _RANGE_MESSAGES[field]
    return field, _TYPE_MESSAGES.get(field, "is invalid")


_ENTRY_ORDER_MESSAGES = {
    "type": f"must be one of: {', '.join(ENTRY_ORDER_TYPES)}",
    "limit": f"must be a price expression of at most {PRICE_TEXT_MAX} characters, or null",
    "stop": f"must be a price expression of at most {PRICE_TEXT_MAX} characters, or null",
    "params": "must be an object of $name values",
    "valid_bars": f"must be a whole number from 1 to {VALID_BARS_MAX}",
}


def _entry_order_error(error: dict) -> tuple[str, str]:
    """(field, message) of an error inside ``entry_order``: the field is its path."""
    loc = error["loc"]
    if len(loc) < 2 or str(loc[1]) not in _ENTRY_ORDER_MESSAGES:
        return "entry_order", "must be an object (type, limit, stop, params, valid_bars) or null"
    name = str(loc[1])
    return f"entry_order.{name}", _ENTRY_ORDER_MESSAGES[name]


CAPITALS_WITHOUT_CAPACITY = "needs capacity true"
SIZE_FRACTION_CAP = "must be at most 1 for a fraction of equity (a buy never spends more cash)"

_SIZE_EXPR_MESSAGES = {
    "expr": f"must be a size expression of at most {PRICE_TEXT_MAX} characters",
    "unit": f"must be one of: {', '.join(SIZE_UNITS)}",
    "max_size": "must be a number above 0, or null",
    "params": "must be an object of $name values",
}


def _size_expr_error(error: dict) -> tuple[str, str]:
    """(field, message) of an error inside ``size_expr``: the field is its path."""
    loc = error["loc"]
    if len(loc) < 2 or str(loc[1]) not in _SIZE_EXPR_MESSAGES:
        return "size_expr", "must be an object (expr, unit, max_size, params) or null"
    name = str(loc[1])
    return f"size_expr.{name}", _SIZE_EXPR_MESSAGES[name]


class RunLabelsBody(BaseModel):
    """A run's editable labels (``PATCH /api/runs/<run_id>``): any of name, tags, notes,
    ``pinned`` (kept by the retention clean-up) and ``shared`` (read-only for every signed-in
    user, docs/security.md); a field left out is unchanged."""

    model_config = ConfigDict(extra="forbid", title="RunLabels")

    name: Name = None
    tags: Tags = []
    notes: Notes = None
    pinned: StrictBool = False
    shared: StrictBool = False


def label_values(payload: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The label fields ``names`` present in ``payload``, validated and normalised (tags as
    a tuple); an unknown field or a bad value is a ``RequestError`` naming it."""
    try:
        wanted = frozenset(names)  # a set: a body of many keys is checked in linear time
        body = RunLabelsBody.model_validate({k: v for k, v in payload.items() if k in wanted})
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_context=False)[0]
        raise RequestError(*error_field_message(error)) from None
    values = {name: getattr(body, name) for name in names if name in payload}
    if "tags" in values:
        values["tags"] = tuple(values["tags"])
    return values


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a run request: this model's fields, ``rule_type`` as the
    registry's rule names and PYTHON, and ``params`` as the generated params model of the
    rule named (``if``/``then`` per rule; ``x-constraints`` lists a rule's cross-field
    constraints), or a PYTHON strategy's class attributes
    (``kinds.runs.python_request.json_schema_parts``)."""
    from kinds.runs.python_request import RULE_TYPE, json_schema_parts
    from rules import RULES
    from rules.registry import rule_schema

    schema = RunRequestBody.model_json_schema()
    rules = rule_schema()
    python_params, python_part = json_schema_parts()
    schema.setdefault("$defs", {}).update(rules.get("$defs", {}))
    schema["$defs"][python_params["title"]] = python_params
    properties = schema["properties"]
    properties["rule_type"] = {
        "title": "Rule Type",
        "type": "string",
        "enum": [*RULES, RULE_TYPE],
    }
    properties["params"] = {
        "title": "Params",
        "anyOf": [{"type": "object"}, {"type": "null"}],
        "default": None,
    }
    schema["allOf"] = [
        {"if": schema.pop("if"), "then": schema.pop("then")},
        *(
            {
                "if": {"properties": {"rule_type": {"const": name}}, "required": ["rule_type"]},
                "then": {
                    "properties": {
                        "params": {"anyOf": [{"$ref": f"#/$defs/{name}Params"}, {"type": "null"}]}
                    }
                },
            }
            for name in RULES
        ),
        python_part,
    ]
    return schema


__all__ = [
    "EntryOrderBody",
    "LenientRunRequestBody",
    "RunLabelsBody",
    "RunRequestBody",
    "error_field_message",
    "json_schema",
    "label_values",
    "ordered_errors",
]
