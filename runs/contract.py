"""The run contract between web and consumer: the request and result schemas.

Additive only: a field is never renamed or dropped, and every new field gets a default, so
a consumer built from an older image still reads a newer request (``strict=False`` ignores
fields it does not know) and the web still reads older results.

``parse_request`` is the one validation of user input: every problem is a
``RequestError`` whose ``field`` names the offending field (the API answers 400 with it).
"""

from __future__ import annotations

import math
import re
import uuid
from dataclasses import asdict, dataclass, field, fields
from datetime import date
from typing import Any

from engine import DIRECTIONS, SIZE_TYPES, EngineParamError, TradingParams

DEFAULT_QUEUE = "backtests"
"""The queue runs go to unless RQ_QUEUE says otherwise (web and consumer must agree)."""

TIMEFRAMES = ("1d",)
"""Bar sizes the platform runs; only daily bars for now."""

REQUIRED_FIELDS = ("ticker", "rule_type", "start_date", "end_date")

_RUN_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9._+-]{0,119}$")


class RequestError(ValueError):
    """A request field is missing or invalid; ``field`` names it, ``message`` is user-safe."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


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
    initial_capital: float = 100_000.0
    fee_rate: float = 0.001
    slippage_bps: float = 0.0
    position_size: float = 10_000.0
    size_type: str = "value"
    direction: str = "longonly"
    timeframe: str = "1d"
    charts: bool = True

    def trading_params(self) -> TradingParams:
        """The engine's view of this request."""
        return TradingParams(
            initial_capital=self.initial_capital,
            fee_rate=self.fee_rate,
            slippage_bps=self.slippage_bps,
            position_size=self.position_size,
            size_type=self.size_type,
            direction=self.direction,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict, in field order (the queue payload and ``request_json``)."""
        return asdict(self)

    @property
    def start(self) -> date:
        return date.fromisoformat(self.start_date)

    @property
    def end(self) -> date:
        return date.fromisoformat(self.end_date)


REQUEST_FIELDS = tuple(f.name for f in fields(RunRequest))


def new_run_id() -> str:
    """A fresh UUID4 run id."""
    return str(uuid.uuid4())


def _number(payload: dict, name: str, default: float) -> float:
    value = payload.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(name, "must be a number")
    try:
        finite = math.isfinite(value)
    except OverflowError:  # an int beyond float range
        finite = False
    if not finite:
        raise RequestError(name, "must be a finite number")
    return float(value)


def _choice(payload: dict, name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = payload.get(name, default)
    if value not in allowed:
        raise RequestError(name, f"must be one of: {', '.join(allowed)}")
    return value


def _date(payload: dict, name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str):
        raise RequestError(name, "must be a date string YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise RequestError(name, f"is not a valid date (YYYY-MM-DD): {value[:40]!r}") from None
    return parsed.isoformat()


def parse_request(payload: object, *, strict: bool = True) -> RunRequest:
    """Validate a request body (a decoded JSON object) into a ``RunRequest``.

    ``strict`` rejects unknown fields (user input at the API); the consumer parses with
    ``strict=False`` so that fields added by a newer web are ignored, never fatal.
    Checks the shape and domain of every field and the rule and its params against the
    rule registry; whether the ticker exists and the range holds bars is checked against
    the data catalog by ``runs.execute.check_data``.
    """
    from rules import RuleValidationError, rule_slug, validate_rule

    if not isinstance(payload, dict):
        raise RequestError("body", "must be a JSON object")
    if strict:
        unknown = sorted(set(payload) - set(REQUEST_FIELDS))
        if unknown:
            raise RequestError(unknown[0], "is not a request field")
    for name in REQUIRED_FIELDS:
        if payload.get(name) in (None, ""):
            raise RequestError(name, "is required")

    run_id = payload.get("run_id")
    if run_id in (None, ""):
        run_id = new_run_id()
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise RequestError("run_id", "must be a lower-case UUID4")
    ticker = payload["ticker"]
    if not isinstance(ticker, str):
        raise RequestError("ticker", "must be a string")
    try:
        rule_type, params = validate_rule(payload["rule_type"], payload.get("params"))
    except RuleValidationError as exc:
        raise RequestError(exc.field, exc.message) from None
    rule_id = payload.get("rule_id")
    if rule_id in (None, ""):
        rule_id = rule_slug(rule_type, params)
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        raise RequestError("rule_id", "must be a slug of a-z, 0-9 and . _ + - (max 120)")

    start_date = _date(payload, "start_date")
    end_date = _date(payload, "end_date")
    if end_date < start_date:
        raise RequestError("end_date", "must be on or after start_date")
    charts = payload.get("charts", True)
    if not isinstance(charts, bool):
        raise RequestError("charts", "must be true or false")

    request = RunRequest(
        run_id=run_id,
        ticker=ticker.strip().upper(),
        rule_type=rule_type,
        start_date=start_date,
        end_date=end_date,
        params=params,
        rule_id=rule_id,
        initial_capital=_number(payload, "initial_capital", 100_000.0),
        fee_rate=_number(payload, "fee_rate", 0.001),
        slippage_bps=_number(payload, "slippage_bps", 0.0),
        position_size=_number(payload, "position_size", 10_000.0),
        size_type=_choice(payload, "size_type", "value", SIZE_TYPES),
        direction=_choice(payload, "direction", "longonly", DIRECTIONS),
        timeframe=_choice(payload, "timeframe", "1d", TIMEFRAMES),
        charts=charts,
    )
    try:
        request.trading_params()
    except EngineParamError as exc:
        raise RequestError(exc.field, exc.message) from None
    return request


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run, as stored (``result_json``) and served by /status.

    Curves are columnar: ``{"timestamps": [...], "<series>": [...]}``; timestamps are
    ISO-8601 UTC. ``request`` is the normalised request (params included) that produced it.
    A FAILED result carries ``error_message`` and empty outputs.
    """

    run_id: str
    status: str
    error_message: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    equity_curve: dict[str, list] = field(default_factory=dict)
    drawdown_curve: dict[str, list] = field(default_factory=dict)
    portfolio_curve: dict[str, list] = field(default_factory=dict)
    trades: list[dict[str, Any]] = field(default_factory=list)
    charts: dict[str, str] = field(default_factory=dict)
    chart_base64: str | None = None
    price_candles: dict[str, list] = field(default_factory=dict)
    signals: dict[str, list] = field(default_factory=dict)
    benchmark: dict[str, Any] = field(default_factory=dict)
    data_hash: str | None = None
    engine_version: str | None = None
    request: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in field order (shallow: the values already are plain types)."""
        return {name: getattr(self, name) for name in RESULT_FIELDS}


RESULT_FIELDS = tuple(f.name for f in fields(RunResult))
