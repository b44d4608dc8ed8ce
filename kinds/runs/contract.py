"""The run contract between web and consumer: the request and result schemas.

Additive only: a field is never renamed or dropped, and every new field gets a default, so
a consumer built from an older image still reads a newer request (``strict=False`` ignores
fields it does not know) and the web still reads older results.

``parse_request`` is the one validation of user input: the pydantic models of
``kinds.runs.request_model`` (the body) and ``rules.params_model`` (the rule, generated from the
registry's ParamSpecs) check it, and every problem is a ``RequestError`` whose ``field``
names the offending field (the API answers 400 with it) and whose message is ours, not
pydantic's.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from typing import Any

from data.adjust import RAW
from data.timeframe import DAILY
from engine import COST_FIELDS, LIQUIDITY_FIELDS, STOP_FIELDS, TradingParams
from kinds.runs.fields import LABEL_FIELDS
from work.errors import RequestError

_ENGINE_DEFAULTS = TradingParams()
"""The trading fields' defaults are the engine's (``engine.TradingParams``)."""


@dataclass(frozen=True)
class RunRequest:
    """One backtest to run. Defaults are the documented platform defaults."""

    run_id: str
    ticker: str
    rule_type: str
    start_date: str
    end_date: str
    params: dict[str, Any] = field(default_factory=dict)
    rule_id: str = ""
    initial_capital: float = _ENGINE_DEFAULTS.initial_capital
    fee_rate: float = _ENGINE_DEFAULTS.fee_rate
    slippage_bps: float = _ENGINE_DEFAULTS.slippage_bps
    position_size: float = _ENGINE_DEFAULTS.position_size
    size_type: str = _ENGINE_DEFAULTS.size_type
    direction: str = _ENGINE_DEFAULTS.direction
    timeframe: str = "1d"
    charts: bool = True
    stop_loss_pct: float | None = None
    take_profit_pct: float | None = None
    trailing_stop_pct: float | None = None
    fee_fixed: float | None = None
    fee_per_share: float | None = None
    fee_min: float | None = None
    fee_max: float | None = None
    borrow_rate: float | None = None
    close_open_trades_at_end: bool = False
    entry_order: dict[str, Any] | None = None
    """How signals open positions, normalised (``type``, the ``limit``/``stop`` texts its
    type uses, ``params``, ``valid_bars``); None: a market order at the next open
    (docs/execution.md, "Entry orders")."""
    price_adjustment: str | None = None
    """The prices indicators and signals see (``data.adjust.ADJUSTMENTS``: ``split`` or
    ``total_return``); None: as traded (``raw``). The engine trades the prices as traded
    (docs/execution.md, "Adjusted prices")."""
    size_expr: dict[str, Any] | None = None
    """The position size as an expression, normalised (``expr``, ``unit``, ``max_size``,
    ``params``); None: ``position_size`` and ``size_type`` (docs/execution.md, "Position
    size as an expression")."""
    max_entries: int = _ENGINE_DEFAULTS.max_entries
    """The most units a long holds at once (docs/execution.md, "Scaling in and out")."""
    exit_fraction: float = _ENGINE_DEFAULTS.exit_fraction
    """The part of each unit an exit signal sells (1: the whole position)."""
    take_profit_fraction: float = _ENGINE_DEFAULTS.take_profit_fraction
    """The part of a unit its take-profit sells (1: all of it)."""
    exit_priority: bool = _ENGINE_DEFAULTS.exit_priority
    """A bar whose entry and exit both hold: True, the exit while long and the entry
    otherwise; False, ignored (docs/execution.md, "Execution convention")."""
    volume_limit: float | None = None
    """The part of a bar's volume the run's fills may take (docs/execution.md, "Liquidity");
    None: no limit."""
    slippage_model: str = _ENGINE_DEFAULTS.slippage_model
    price_impact: float = _ENGINE_DEFAULTS.price_impact
    impact_k: float = _ENGINE_DEFAULTS.impact_k
    impact_window: int = _ENGINE_DEFAULTS.impact_window
    spread_bps: float | None = None
    spread_model: str | None = None
    spread_window: int = _ENGINE_DEFAULTS.spread_window
    """The impact model and its parameters, the spread (docs/execution.md, "Liquidity")."""
    strategy_code: str | None = None
    """rule_type PYTHON: the strategy module's source text (``params`` are its class
    attributes); None for every other rule."""
    strategy_class: str | None = None
    """rule_type PYTHON: the name of the class of ``strategy_code`` to run."""
    refs: list[str] | None = None
    """rule_type PYTHON: the other catalog tickers the strategy may ``ref`` (sorted, upper
    case); None: none."""
    capacity: bool = False
    """Also re-simulate the run at ``capacity_capitals`` and store its capacity curve
    (``RunResult.capacity``; docs/capacity.md)."""
    capacity_capitals: list[float] | None = None
    """The capacity curve's capitals, ascending and distinct; None: the 12 default ones
    (``engine.capacity.capital_grid``)."""
    margin: float | None = None
    """rule_type PYTHON: the book's margin requirement in (0, 1), leverage 1/margin
    (backtesting.py's ``Backtest(margin=)``); None: 1, no leverage."""
    trade_on_close: bool = False
    """rule_type PYTHON: a market order fills at the close of the bar it was placed on."""
    hedging: bool = False
    """rule_type PYTHON: trades of both directions open at once (no FIFO netting)."""
    exclusive_orders: bool = False
    """rule_type PYTHON: each new order cancels the others and closes every trade."""

    def trading_params(self, bars_per_year: float | None = None) -> TradingParams:
        """The engine's view of this request; ``bars_per_year`` is the ticker's (catalog;
        None = 252, daily)."""
        engine_fields = {name: getattr(self, name) for name in _ENGINE_FIELDS}
        return TradingParams(
            bars_per_year=bars_per_year,
            close_at_end=self.close_open_trades_at_end,
            **engine_fields,
            **self.entry_settings(),
            **self.size_settings(),
        )

    def size_settings(self) -> dict[str, Any]:
        """The engine's size fields (``size_unit``, ``max_size``); empty without a
        ``size_expr``."""
        size = self.size_expr
        if size is None:
            return {}
        return {"size_unit": size["unit"], "max_size": size["max_size"]}

    def entry_settings(self) -> dict[str, Any]:
        """The engine's entry order fields (``entry_type``, ``valid_bars``); empty for a
        market entry."""
        order = self.entry_order
        if order is None:
            return {}
        return {"entry_type": order["type"], "valid_bars": order["valid_bars"]}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, in field order (the queue payload and ``request_json``). Stops
        that are off (``None``), costs not charged (``None``), a market entry (no
        ``entry_order``), raw prices (no ``price_adjustment``), no ``size_expr``,
        ``close_open_trades_at_end`` and ``exit_priority`` false, ``max_entries`` 1,
        ``exit_fraction`` 1, ``take_profit_fraction`` 1, the liquidity fields at their
        defaults, the strategy fields of a rule other than PYTHON, a PYTHON book's settings at
        their defaults, ``capacity`` false and no ``capacity_capitals`` are left out, so a
        request without them stores and queues the same bytes as before they existed."""
        data = asdict(self)
        for name in ("max_entries", "exit_fraction", "take_profit_fraction", *LIQUIDITY_FIELDS):
            if data[name] == getattr(_ENGINE_DEFAULTS, name):
                del data[name]
        for name in (
            *STOP_FIELDS,
            *COST_FIELDS,
            "entry_order",
            "price_adjustment",
            "size_expr",
            "strategy_code",
            "strategy_class",
            "refs",
            "capacity_capitals",
            "margin",
        ):
            if data[name] is None:
                del data[name]
        for name in (
            "close_open_trades_at_end",
            "exit_priority",
            "capacity",
            "trade_on_close",
            "hedging",
            "exclusive_orders",
        ):
            if not data[name]:
                del data[name]
        return data

    @classmethod
    def from_stored(cls, data: dict[str, Any]) -> RunRequest:
        """The request a ``to_dict()`` stored, read back without validating it again: it
        was validated (``parse_request``) before it was stored, and the database, not the
        queue, is what a consumer trusts. Fields a newer web added are ignored; fields an
        older one did not write take their defaults (the contract is additive).

        :raise RequestError: naming a required field the stored dict lacks.
        """
        missing = [name for name in _REQUIRED_FIELDS if name not in data]
        if missing:
            raise RequestError(missing[0], "missing from the stored request")
        return cls(**{name: data[name] for name in _FIELD_NAMES if name in data})

    @property
    def start(self) -> date:
        """``start_date`` as a date, or a naive UTC datetime when it carries a time."""
        return request_moment(self.start_date)

    @property
    def end(self) -> date:
        """``end_date`` as a date (the whole day), or a naive UTC datetime."""
        return request_moment(self.end_date)


def request_moment(text: str) -> date:
    """An ISO date (``YYYY-MM-DD``) as a date, or an ISO datetime (``YYYY-MM-DDTHH:MM[:SS]``,
    UTC) as a naive datetime."""
    if len(text) == 10:
        return date.fromisoformat(text)
    return datetime.fromisoformat(text)


@dataclass(frozen=True)
class RunLabels:
    """A run's name, tags and notes: set with the request, editable afterwards
    (``PATCH /api/runs/<run_id>``); they label the run and never affect its result."""

    name: str | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None


_FIELD_NAMES = tuple(f.name for f in fields(RunRequest))
_REQUIRED_FIELDS = ("run_id", "ticker", "rule_type", "start_date", "end_date")
_ENGINE_FIELDS = tuple(f.name for f in fields(TradingParams) if f.name in _FIELD_NAMES)
"""The request's fields the engine takes as they are: every field of ``TradingParams`` but
``bars_per_year`` (the ticker's, from the catalog)."""


REQUEST_FIELDS = tuple(f.name for f in fields(RunRequest))


def new_run_id() -> str:
    """A fresh UUID4 run id."""
    return str(uuid.uuid4())


def parse_request(payload: object, *, strict: bool = True) -> RunRequest:
    """Validate a request body (a decoded JSON object) into a ``RunRequest``.

    ``strict`` rejects unknown fields (user input at the API); the consumer parses with
    ``strict=False`` so that fields added by a newer web are ignored, never fatal.
    Checks the shape and domain of every field and the rule and its params against the
    rule registry; whether the ticker exists and the range holds bars is checked against
    the data catalog by ``kinds.runs.execute.check_data``.

    :raise RequestError: for the first problem, in the order: unknown fields, missing
        required fields, run_id, ticker, the rule, then the other fields in field order.
    """
    from pydantic import ValidationError

    from kinds.runs.python_request import (
        RULE_TYPE,
        check_applies,
        check_class,
        check_code,
        check_params,
        check_refs,
        check_settings,
        is_python,
        refuse_strategy_fields,
    )
    from kinds.runs.python_request import rule_id as python_rule_id
    from kinds.runs.request_model import (
        LenientRunRequestBody,
        RunRequestBody,
        error_field_message,
        ordered_errors,
    )
    from rules import RuleValidationError, validate_rule
    from rules.registry import slug_of

    if not isinstance(payload, dict):
        raise RequestError("body", "must be a JSON object")
    model = RunRequestBody if strict else LenientRunRequestBody
    late: list[dict] = []
    try:
        body = model.model_validate(payload)
    except ValidationError as exc:
        early, late = ordered_errors(exc)
        if early:
            raise RequestError(*error_field_message(early[0])) from None
        body = None
    python = is_python(payload["rule_type"])
    try:
        if python:
            rule_type, params = RULE_TYPE, check_params(payload.get("params"))
            code = check_code(payload.get("strategy_code"))
            class_name = check_class(payload.get("strategy_class"))
            refs = check_refs(payload.get("refs"))
            settings = check_settings(payload)
        else:
            rule_type, params = validate_rule(payload["rule_type"], payload.get("params"))
            refuse_strategy_fields(payload)
            code = class_name = refs = None
            settings = {}
    except RuleValidationError as exc:
        raise RequestError(exc.field, exc.message) from None
    if body is None:
        raise RequestError(*error_field_message(late[0]))
    if python:
        check_applies(body)
        if body.capacity:
            raise RequestError("capacity", "is not available for rule_type PYTHON")
    check_daily_dates(body.timeframe, body.start_date, body.end_date)
    entry_order = _entry_order(body.entry_order)
    return RunRequest(
        run_id=body.run_id or new_run_id(),
        ticker=body.ticker.strip().upper(),
        rule_type=rule_type,
        start_date=body.start_date,
        end_date=body.end_date,
        params=params,
        rule_id=body.rule_id
        or (python_rule_id(class_name, code) if python else slug_of(rule_type, params)),
        initial_capital=float(body.initial_capital),
        fee_rate=float(body.fee_rate),
        slippage_bps=float(body.slippage_bps),
        position_size=float(body.position_size),
        size_type=body.size_type,
        direction=body.direction,
        timeframe=body.timeframe,
        charts=body.charts,
        **{name: _percent(getattr(body, name)) for name in STOP_FIELDS},
        **{name: _cost(name, getattr(body, name)) for name in COST_FIELDS},
        close_open_trades_at_end=body.close_open_trades_at_end,
        entry_order=entry_order,
        price_adjustment=None if body.price_adjustment == RAW else body.price_adjustment,
        size_expr=_size_expr(body.size_expr),
        max_entries=body.max_entries,
        exit_fraction=float(body.exit_fraction),
        take_profit_fraction=float(body.take_profit_fraction),
        exit_priority=body.exit_priority,
        **_liquidity(body),
        strategy_code=code,
        strategy_class=class_name,
        refs=refs,
        capacity=body.capacity,
        capacity_capitals=stored_capitals(body.capacity_capitals),
        **settings,
    )


def stored_capitals(capitals: list[float] | None) -> list[float] | None:
    """A capacity curve's capitals as stored: floats, ascending, each once; None: the
    default grid."""
    if capitals is None:
        return None
    return sorted({float(capital) for capital in capitals})


def _liquidity(body: Any) -> dict[str, Any]:
    """A request's liquidity fields as the engine takes them (numbers as floats, windows as
    ints, the models as named)."""
    out = {name: getattr(body, name) for name in LIQUIDITY_FIELDS}
    for name in ("volume_limit", "price_impact", "impact_k", "spread_bps"):
        if out[name] is not None:
            out[name] = float(out[name])
    return out


def _size_expr(body: Any) -> dict[str, Any] | None:
    """A request's ``size_expr`` normalised (its text, unit, cap and checked ``$name``
    values), or None.

    :raise RequestError: naming ``size_expr.expr`` or ``size_expr.params.<name>``.
    """
    if body is None:
        return None
    from rules.size_expr import check_size
    from rules.spec import RuleValidationError

    try:
        values = check_size(body.expr, body.params)
    except RuleValidationError as exc:
        raise RequestError(exc.field, exc.message) from None
    max_size = None if body.max_size is None else float(body.max_size)
    return {"expr": body.expr, "unit": body.unit, "max_size": max_size, "params": values}


def _entry_order(body: Any) -> dict[str, Any] | None:
    """A request's ``entry_order`` normalised: None for none or a market order; else its
    type, the price texts it uses, their checked ``$name`` values and ``valid_bars`` (1 for
    ``on_close``, which fills on the signal bar).

    :raise RequestError: naming ``entry_order.limit``, ``entry_order.stop`` or
        ``entry_order.params.<name>``.
    """
    if body is None:
        return None  # before the import below, which most requests (no entry order) never need
    from rules.entry_prices import PRICE_FIELDS, check_prices
    from rules.spec import RuleValidationError

    if body.type == "market":
        for name in (*PRICE_FIELDS, "params"):
            if getattr(body, name) is not None:
                raise RequestError(f"entry_order.{name}", "is not used by a market order")
        return None
    texts = {name: getattr(body, name) for name in PRICE_FIELDS}
    try:
        _, values = check_prices(body.type, texts, body.params)
    except RuleValidationError as exc:
        raise RequestError(exc.field, exc.message) from None
    order: dict[str, Any] = {"type": body.type}
    order.update({name: text for name, text in texts.items() if text is not None})
    order["params"] = values
    order["valid_bars"] = 1 if body.type == "on_close" else body.valid_bars
    return order


def check_daily_dates(timeframe: str, start_date: str, end_date: str) -> None:
    """A daily request's dates carry no time (a daily bar stands for its whole day).

    :raise RequestError: naming the date that has a time.
    """
    if timeframe != DAILY:
        return
    for name, value in (("start_date", start_date), ("end_date", end_date)):
        if len(value) != 10:
            raise RequestError(name, "takes a date YYYY-MM-DD for timeframe 1d (no time)")


def _percent(value: float | None) -> float | None:
    return None if value is None else float(value)


def _cost(name: str, value: float | None) -> float | None:
    """A cost as stored: a float, or None when it charges nothing (0 is None, so a cost
    written as 0 and one left out are one request; ``fee_max`` 0 is a maximum of 0)."""
    if value is None or (value == 0 and name != "fee_max"):
        return None
    return float(value)


def parse_labels(payload: dict[str, Any]) -> RunLabels:
    """The labels (``name``, ``tags``, ``notes``) of a request body ``parse_request``
    accepted: blank name and notes are None, tags keep their first occurrence's order.

    :raise RequestError: naming the label field that is invalid.
    """
    from kinds.runs.request_model import label_values

    return RunLabels(**label_values(payload, LABEL_FIELDS))


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run, as stored (``result_json``) and served by /status.

    Curves are columnar: ``{"timestamps": [...], "<series>": [...]}``; timestamps are
    ISO-8601 UTC. An executed run holds them as ``adapters.columnar.Columns`` (arrays that
    read as those dicts of lists). ``request`` is the normalised request (params included)
    that produced it. A FAILED result carries ``error_message`` and empty outputs.
    ``probabilistic_sharpe`` (result schema 1.3.0, the last field: additive) is the PSR of
    the bar returns with its inputs (``adapters.run_robustness.sharpe_probability``).
    """

    run_id: str
    status: str
    error_message: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    equity_curve: Mapping[str, list] = field(default_factory=dict)
    drawdown_curve: Mapping[str, list] = field(default_factory=dict)
    portfolio_curve: Mapping[str, list] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)
    chart_base64: str | None = None
    price_candles: Mapping[str, list] = field(default_factory=dict)
    signals: Mapping[str, list] = field(default_factory=dict)
    benchmark: Mapping[str, Any] = field(default_factory=dict)
    data_hash: str | None = None
    engine_version: str | None = None
    request: dict[str, Any] = field(default_factory=dict)
    probabilistic_sharpe: dict[str, Any] = field(default_factory=dict)
    orders: list[dict[str, Any]] | None = None
    """The entry orders of a request with an ``entry_order`` (``adapters.orders``); None,
    and left out of the document, for market entries (additive)."""
    events_applied: list[dict[str, Any]] | None = None
    """The corporate actions that met the position (``adapters.events_applied``); None, and
    left out of the document, when none did (additive)."""
    strategy_hash: str | None = None
    """rule_type PYTHON: the sha256 of the strategy's source text
    (``kinds.runs.python_request.code_hash``); None, and left out of the document, for
    every other rule (additive)."""
    capacity: dict[str, Any] | None = None
    """The capacity curve of a request with ``capacity`` (``adapters.capacity``:
    ``points``, ``reference_sharpe``, ``half_sharpe_capital``); None, and left out of the
    document, otherwise (additive)."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in field order, its curves plain dicts of lists; ``orders`` only
        when there are entry orders, ``events_applied`` only when an event met the
        position and ``strategy_hash`` only for a Python strategy, so other runs' documents
        keep the bytes of before."""
        from adapters.columnar import plain

        return {name: plain(value) for name, value in self.document().items()}

    def document(self) -> dict[str, Any]:
        """``to_dict`` with its curves as they are held (``adapters.columnar.Columns``:
        arrays, read as dicts of lists), what ``kinds.runs.serialize.to_json`` writes in one
        pass."""
        data = {name: getattr(self, name) for name in RESULT_FIELDS}
        for name in ("orders", "events_applied", "strategy_hash", "capacity"):
            if data[name] is None:
                del data[name]
        return data


RESULT_FIELDS = tuple(f.name for f in fields(RunResult))
