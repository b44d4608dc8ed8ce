"""The portfolio request (``POST /api/portfolios``): its pydantic model and ``parse_portfolio``,
which checks a body and returns it normalised, every error a ``RequestError`` naming its
field by dotted path (``allocation.top_n``, ``tickers[3]``, ``params.n``).

The trading fields (dates, capital, fees, slippage) are the run request's own types
(``kinds.runs.request_model``) with the same defaults (``engine.param_specs``); the fee
model beyond ``fee_rate`` (``fee_fixed``, ``fee_per_share``, ``fee_min``, ``fee_max``) is
left out of a normalised request that charges none, so it reads as before them; the
ranking's texts are the strategy language (``rules.ranking``). What the data say (unknown
tickers, timeframes, empty windows, the memory a universe needs) is checked against the
catalog by ``kinds.portfolios.universe``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from data.adjust import ADJUSTMENTS, RAW
from engine.param_specs import (
    ADV_PARTICIPATION,
    DEFAULT_SLIPPAGE_MODEL,
    FEE_FIXED,
    FEE_MAX,
    FEE_MAX_BELOW_MIN,
    FEE_MIN,
    FEE_PER_SHARE,
    FEE_RATE,
    IMPACT_K,
    IMPACT_WINDOW,
    INITIAL_CAPITAL,
    LIQUIDITY_SPECS,
    PRICE_IMPACT,
    SLIPPAGE_BPS,
    SLIPPAGE_MODELS,
    SPREAD_BOTH,
    SPREAD_BPS,
    SPREAD_MODELS,
    SPREAD_WINDOW,
    VOLUME_LIMIT,
)
from engine.portfolio import METHODS, RISK_METHODS, SCHEDULES, WEIGHTINGS
from engine.portfolio.result import LIQUIDITY_DEFAULTS
from engine.portfolio.risk import DEFAULT_LOOKBACK, MIN_RETURNS
from kinds.portfolios.groups import GROUP_SCORES
from kinds.portfolios.strategy import RULES_METHOD, StrategyBody, parse_strategy
from kinds.runs.contract import stored_capitals
from kinds.runs.fields import RUN_ID_PATTERN
from kinds.runs.request_model import (
    CAPITALS_WITHOUT_CAPACITY,
    CapacityCapitals,
    Capital,
    Date,
    FeeRate,
    Name,
    SlippageBps,
    bounded,
    error_field_message,
)
from rules import RuleValidationError
from rules.ranking import DEFAULT_SCORE, check_ranking
from work.errors import RequestError

MIN_TICKERS = 2
MAX_TICKERS = 500
"""A universe holds 2 to 500 tickers (issue 26)."""

MAX_RISK_LOOKBACK = 2520
"""The longest covariance lookback: ten years of daily bars."""

MAX_MIN_TRADE = 0.5
"""The largest minimum trade, as a fraction of the portfolio value."""

MAX_TARGET_VOLATILITY = 2.0
"""The highest annual volatility target (200 %)."""
MAX_CASH_RATE = 0.5
"""The highest annual cash rate (50 %)."""
MAX_BORROW_RATE = 1.0
"""The highest annual borrow fee on short positions (100 %)."""
MAX_LEVERAGE = 4.0
"""The most a volatility target may lever the book."""

DEFAULT_GROSS = 2.0
DEFAULT_NET = 0.0
"""A long-short book's default exposures: 100 % long, 100 % short."""

WEIGHT_TOLERANCE = 1e-9
"""Fixed weights may sum to 1 + this (decimal fractions such as 0.1 × 10)."""


class Allocation(BaseModel):
    """How the portfolio is split: ``equal`` over the eligible universe, ``fixed`` weights
    per ticker (sum <= 1, the rest cash), or ``rank``: the ``top_n`` tickers by the ``score``
    expression among those passing ``filter``, weighted ``equal`` or by ``score``. A risk
    ``weighting`` (``inverse_volatility``, ``equal_risk_contribution``, ``min_variance``)
    weights the eligible (``equal``) or chosen (``rank``) tickers from the Ledoit-Wolf
    covariance of their last ``risk_lookback`` daily returns."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    method: Literal[(*METHODS, RULES_METHOD)] = "equal"  # type: ignore[valid-type]
    """``rules``: each ticker traded by the ``strategy`` block's rule on the one ledger."""
    weights: dict[str, Annotated[float, Field(strict=False, ge=0, le=1)]] | None = None
    score: Annotated[str, Field(strict=True, max_length=2000)] | None = None
    filter: Annotated[str, Field(strict=True, max_length=2000)] | None = None
    top_n: Annotated[int, Field(strict=True, ge=1, le=MAX_TICKERS)] | None = 10
    weighting: Literal[WEIGHTINGS] | None = "equal"  # type: ignore[valid-type]
    risk_lookback: (
        Annotated[int, Field(strict=True, ge=MIN_RETURNS, le=MAX_RISK_LOOKBACK)] | None
    ) = None
    max_weight: Annotated[float, Field(gt=0, le=1)] | None = None
    """The most any ticker may weigh at a decision; the excess goes to the others."""
    max_sector_weight: Annotated[float, Field(gt=0, le=1)] | None = None
    """The most a catalog sector may weigh at a decision; the excess goes to the others."""
    target_volatility: Annotated[float, Field(gt=0, le=MAX_TARGET_VOLATILITY)] | None = None
    """Scale each decision's book so its trailing annualised volatility is this (0.1 = 10 %)."""
    max_leverage: Annotated[float, Field(ge=1, le=MAX_LEVERAGE)] = 1.0
    """The most the volatility target may scale the book to, per unit of value."""
    short_n: Annotated[int, Field(strict=True, ge=1, le=MAX_TICKERS)] | None = None
    """A ranking's long-short book: the ``short_n`` worst-scored tickers short (None = long
    only)."""
    gross_exposure: Annotated[float, Field(gt=0, le=MAX_LEVERAGE)] | None = None
    """A long-short book's long + |short| weight (default 2: 100 % a side)."""
    net_exposure: Annotated[float, Field(ge=-MAX_LEVERAGE, le=MAX_LEVERAGE)] | None = None
    """A long-short book's long - |short| weight (default 0: dollar neutral)."""
    top_groups: Annotated[int, Field(strict=True, ge=1, le=MAX_TICKERS)] | None = None
    """A ranking's group ranking: hold only members of the ``top_groups`` catalog sectors
    whose members score best (``group_score``); None = off (``kinds.portfolios.groups``)."""
    per_group: Annotated[int, Field(strict=True, ge=1, le=MAX_TICKERS)] | None = None
    """With ``top_groups``: at most this many names of each kept group (None: no limit)."""
    group_score: Literal[GROUP_SCORES] | None = None  # type: ignore[valid-type]
    """With ``top_groups``: a group's score, the ``mean`` (default) or ``median`` of its
    members' scores."""
    """``top_n`` and ``weighting`` may be null (what a normalised ``equal`` or ``fixed``
    request holds, so a stored request parses again unchanged); ``rank`` needs a top_n."""


class Rebalance(BaseModel):
    """When the portfolio trades: the last bar of each week/month/quarter, every bar, or
    every N bars; and, between those, whenever a holding drifts ``drift_threshold`` (an
    absolute weight) from its target. ``min_trade`` skips small orders."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    schedule: Literal[SCHEDULES] = "monthly"  # type: ignore[valid-type]
    every_n_bars: Annotated[int, Field(strict=True, ge=1, le=10_000)] | None = None
    drift_threshold: Annotated[float, Field(gt=0, le=1)] | None = None
    min_trade: Annotated[float, Field(ge=0, le=MAX_MIN_TRADE)] = 0.0
    """Skip an order worth less than this fraction of the portfolio value (0 = off)."""


class PortfolioRequestBody(BaseModel):
    """A portfolio request as users send it (docs/portfolios.md)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, title="PortfolioRequest")

    portfolio_id: Annotated[str, Field(pattern=RUN_ID_PATTERN)] | None = None
    tickers: Annotated[
        list[Annotated[str, Field(strict=True, min_length=1, max_length=32)]],
        Field(min_length=MIN_TICKERS, max_length=MAX_TICKERS),
    ]
    start_date: Date
    end_date: Date
    timeframe: Literal["1d"] = "1d"
    initial_capital: Capital = INITIAL_CAPITAL.default
    fee_rate: FeeRate = FEE_RATE.default
    slippage_bps: SlippageBps = SLIPPAGE_BPS.default
    fee_fixed: bounded(FEE_FIXED) | None = None  # type: ignore[valid-type]
    """A fixed fee per order (currency), on top of ``fee_rate``; None or 0 = none."""
    fee_per_share: bounded(FEE_PER_SHARE) | None = None  # type: ignore[valid-type]
    """A fee per share of each order (currency), within ``fee_min`` and ``fee_max``."""
    fee_min: bounded(FEE_MIN) | None = None  # type: ignore[valid-type]
    """The least per-share fee of an order (currency)."""
    fee_max: bounded(FEE_MAX) | None = None  # type: ignore[valid-type]
    """The most per-share fee of an order (currency); None = no maximum."""
    cash_rate: Annotated[float, Field(ge=0, le=MAX_CASH_RATE)] = 0.0
    """The annual rate cash earns (and borrowed cash pays) at each close; 0 = none."""
    borrow_rate: Annotated[float, Field(ge=0, le=MAX_BORROW_RATE)] = 0.0
    """The annual fee a long-short book's short positions pay on their value at each close,
    rate / 252 a bar; 0 = none (and then left out of the normalised request)."""
    allocation: Allocation = Allocation()
    rebalance: Rebalance = Rebalance()
    params: dict[str, Any] = {}
    name: Name = None
    membership: Annotated[str, Field(strict=True, min_length=1, max_length=32)] | None = None
    """An index ticker with a membership file (``data.membership``): on each day only its
    members then are ranked and held (a point-in-time universe); None = every ticker."""
    survivorship_audit: Annotated[bool, Field(strict=True)] = False
    """Also compute the same request on the tickers never delisted, side by side."""
    strategy: StrategyBody | None = None  # type: ignore[valid-type]
    """With ``allocation.method`` ``rules``: the run request's rule, stop, size and fee
    fields applied to every ticker (``kinds.portfolios.strategy``); left out otherwise."""
    volume_limit: bounded(VOLUME_LIMIT) | None = VOLUME_LIMIT.default  # type: ignore[valid-type]
    """The part of a bar's volume each ticker's fills on that bar may take; the rest of a
    rebalance's order is carried to the next bars' opens (None = no limit)."""
    slippage_model: Literal[SLIPPAGE_MODELS] = DEFAULT_SLIPPAGE_MODEL  # type: ignore[valid-type]
    """The market impact of a fill beyond ``slippage_bps``: ``fixed`` (none),
    ``volume_share`` or ``square_root`` (``engine.broker.impact``)."""
    price_impact: bounded(PRICE_IMPACT) = PRICE_IMPACT.default  # type: ignore[valid-type]
    """The ``volume_share`` model's coefficient (zipline's 0.1)."""
    impact_k: bounded(IMPACT_K) = IMPACT_K.default  # type: ignore[valid-type]
    """The ``square_root`` model's coefficient."""
    impact_window: Annotated[int, Field(strict=True, **IMPACT_WINDOW.bounds())] = (
        IMPACT_WINDOW.default
    )
    """Bars before the fill bar the volatility and the ADV are taken over."""
    spread_bps: bounded(SPREAD_BPS) | None = SPREAD_BPS.default  # type: ignore[valid-type]
    """A fixed quoted spread in basis points, half paid on every fill (None = none)."""
    spread_model: Literal[SPREAD_MODELS] | None = None  # type: ignore[valid-type]
    """The spread estimated from the bars before the fill bar, half paid on every fill."""
    spread_window: Annotated[int, Field(strict=True, **SPREAD_WINDOW.bounds())] = (
        SPREAD_WINDOW.default
    )
    """Bars the ``spread_model`` reads."""
    max_adv_participation: bounded(ADV_PARTICIPATION) | None = ADV_PARTICIPATION.default  # type: ignore[valid-type]
    """No target holding above this many times the ticker's average daily volume (of the
    ``impact_window`` bars before the fill), in shares; what it cuts stays cash."""
    price_adjustment: Literal[ADJUSTMENTS] | None = None  # type: ignore[valid-type]
    """The prices the score, the filter and the risk estimates read: ``raw`` (as traded,
    the default, then left out of the normalised request), ``split`` or ``total_return``
    adjusted by each ticker's events; the portfolio trades the prices as traded."""
    capacity: Annotated[bool, Field(strict=True)] = False
    """Also re-simulate the portfolio at starting capitals from 10k to 1B and store its
    capacity curve (docs/capacity.md); false is left out of the normalised request."""
    capacity_capitals: CapacityCapitals = None
    """The capacity curve's capitals instead of the 12 default ones (a run request's
    field); stored ascending, each once; None is left out."""

    @model_validator(mode="after")
    def _dates_in_order(self) -> PortfolioRequestBody:
        if self.end_date < self.start_date:
            raise PydanticCustomError("date_order", "must be on or after start_date")
        if self.fee_max is not None and self.fee_max < (self.fee_min or 0.0):
            raise PydanticCustomError("fee_max_below_min", FEE_MAX_BELOW_MIN)
        if self.spread_model is not None and self.spread_bps is not None:
            raise PydanticCustomError("spread_both", SPREAD_BOTH)
        if self.capacity_capitals is not None and not self.capacity:
            raise PydanticCustomError("capitals_without_capacity", CAPITALS_WITHOUT_CAPACITY)
        return self


FEE_FIELDS = ("fee_fixed", "fee_per_share", "fee_min", "fee_max")
"""The fee model beyond ``fee_rate``: the run request's fields (a portfolio of rules gives
them in its ``strategy`` block instead)."""

CAPACITY_FIELDS = ("capacity", "capacity_capitals")
"""The capacity curve's fields: a run request's, with its 400s (docs/capacity.md)."""

_SHARED = frozenset(
    {
        "start_date",
        "end_date",
        "initial_capital",
        "fee_rate",
        "slippage_bps",
        *FEE_FIELDS,
        *(spec.name for spec in LIQUIDITY_SPECS),
        "slippage_model",
        "spread_model",
        *CAPACITY_FIELDS,
    }
)
"""Fields whose errors read as a run request's (``error_field_message``)."""


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _error(error: dict) -> RequestError:
    loc = error["loc"]
    if error["type"] == "date_order":
        return RequestError("end_date", "must be on or after start_date")
    if error["type"] in ("fee_max_below_min", "spread_both", "capitals_without_capacity"):
        return RequestError(*error_field_message(error))
    if len(loc) == 1 and loc[0] == ADV_PARTICIPATION.name:
        return RequestError(loc[0], ADV_PARTICIPATION.message)
    if (len(loc) == 1 and loc[0] in _SHARED) or (loc and loc[0] in CAPACITY_FIELDS):
        return RequestError(*error_field_message(error))
    field = _loc(loc) or "body"
    if error["type"] == "extra_forbidden":
        return RequestError(field, "is not a portfolio request field")
    if error["type"] == "missing":
        return RequestError(field, "is required")
    if field == "tickers" and error["type"] in ("too_short", "too_long"):
        return RequestError(field, f"must list {MIN_TICKERS} to {MAX_TICKERS} tickers")
    if field == "price_adjustment":
        return RequestError(field, f"must be one of: {', '.join(ADJUSTMENTS)}, or null")
    return RequestError(field, error["msg"][:200])


def parse_portfolio(payload: Any) -> dict[str, Any]:
    """``payload`` checked and normalised (defaults filled, tickers upper-case and
    distinct, the ranking's texts checked and its ``$name`` values typed): the request a
    Job computes and a result records.

    :raise RequestError: naming the first offending field.
    """
    if not isinstance(payload, dict):
        raise RequestError("body", "must be a JSON object")
    try:
        body = PortfolioRequestBody.model_validate(payload)
    except ValidationError as exc:
        raise _error(exc.errors(include_url=False, include_context=False)[0]) from None
    tickers = [ticker.strip().upper() for ticker in body.tickers]
    seen: dict[str, int] = {}
    for at, ticker in enumerate(tickers):
        if ticker in seen:
            raise RequestError(f"tickers[{at}]", f"{ticker} is listed twice")
        seen[ticker] = at
    allocation = body.allocation.model_dump()
    rebalance = body.rebalance.model_dump()
    params = _allocation(allocation, tickers, body.params)
    if rebalance["schedule"] == "bars" and rebalance["every_n_bars"] is None:
        raise RequestError("rebalance.every_n_bars", "is required with schedule 'bars'")
    if rebalance["schedule"] != "bars":
        rebalance["every_n_bars"] = None
    request = body.model_dump()
    request.update(tickers=tickers, allocation=allocation, rebalance=rebalance, params=params)
    _strategy(request, body.strategy)
    _fees(request)
    _borrow(request)
    _point_in_time(request)
    _adjustment(request)
    _liquidity(request)
    _capacity(request)
    return request


def _capacity(request: dict[str, Any]) -> None:
    """A capacity curve's fields as a run request stores them (``capacity_capitals``
    ascending, each once); ``capacity`` false and no ``capacity_capitals`` are left out, so
    a request without them reads, and computes, as before they existed."""
    if request["capacity"]:
        request["capacity_capitals"] = stored_capitals(request["capacity_capitals"])
    else:
        del request["capacity"]
    if request["capacity_capitals"] is None:
        del request["capacity_capitals"]


def _liquidity(request: dict[str, Any]) -> None:
    """The liquidity fields (the run request's, with ``engine.param_specs``' bounds,
    defaults and 400 messages, and ``max_adv_participation``) at their defaults are left
    out, so a request without them reads, and computes, as it did before they existed; a
    portfolio of rules takes none (its fills are the broker's signal fills, whole)."""
    for name, default in LIQUIDITY_DEFAULTS.items():
        value = request[name]
        if value == default and type(value) is type(default):
            del request[name]
        elif request["allocation"]["method"] == RULES_METHOD:
            raise RequestError(name, "is not used with method 'rules'")
        elif isinstance(value, float) or name in ("price_impact", "impact_k", "spread_bps"):
            request[name] = float(value)


RULES_UNUSED = (
    "max_weight",
    "max_sector_weight",
    "target_volatility",
    "short_n",
    "top_groups",
    "risk_lookback",
)
"""Allocation fields a portfolio of rules does not use: refused with it."""


def _strategy(request: dict[str, Any], strategy: Any) -> None:
    """A portfolio of rules' ``strategy`` checked and normalised; without method ``rules``
    it is refused, and left out when unset so a request reads as before it existed."""
    allocation = request["allocation"]
    if allocation["method"] != RULES_METHOD:
        if request["strategy"] is not None:
            raise RequestError("strategy", "is used with allocation.method 'rules' only")
        del request["strategy"]
        return
    if request["strategy"] is None:
        raise RequestError("strategy", "is required with allocation.method 'rules'")
    if request["rebalance"]["drift_threshold"] is not None:
        raise RequestError("rebalance.drift_threshold", "is not used with method 'rules'")
    if request["rebalance"]["min_trade"]:
        raise RequestError("rebalance.min_trade", "is not used with method 'rules'")
    if request["cash_rate"]:
        raise RequestError("cash_rate", "is not used with method 'rules'")
    request["strategy"] = parse_strategy(strategy, len(request["tickers"]))


def _fees(request: dict[str, Any]) -> None:
    """The fee model beyond ``fee_rate``: a fee that charges nothing (None, or 0 but for a
    ``fee_max`` of 0) is left out, so a request without one reads as it did before the
    fields existed; a portfolio of rules takes them in ``strategy`` (refused here)."""
    rules = request["allocation"]["method"] == RULES_METHOD
    for name in FEE_FIELDS:
        value = request[name]
        if value is None or (value == 0 and name != "fee_max"):
            del request[name]
        elif rules:
            raise RequestError(name, f"is given as strategy.{name} with method 'rules'")
        else:
            request[name] = float(value)


def _point_in_time(request: dict[str, Any]) -> None:
    """``membership`` upper-case, and left out with ``survivorship_audit`` when unset, so a
    request without them reads as it did before they existed. Whether the index has a
    membership file is the catalog's to say (``kinds.portfolios.universe``)."""
    if request["membership"] is None:
        del request["membership"]
    else:
        request["membership"] = request["membership"].strip().upper()
        if not request["membership"]:
            raise RequestError("membership", "must name an index ticker")
    if not request["survivorship_audit"]:
        del request["survivorship_audit"]


def _adjustment(request: dict[str, Any]) -> None:
    """``price_adjustment`` ``raw`` (the default) is left out, so a request without it reads
    as it did before it existed (the run request's convention)."""
    if request["price_adjustment"] in (None, RAW):
        del request["price_adjustment"]


def _borrow(request: dict[str, Any]) -> None:
    """A borrow fee needs short positions; at 0 it is left out, so a request without one
    reads as it did before the fee existed."""
    if not request["borrow_rate"]:
        del request["borrow_rate"]
    elif request["allocation"]["short_n"] is None:
        raise RequestError("borrow_rate", "is used with a long-short book (allocation.short_n)")


def _allocation(allocation: dict, tickers: list[str], values: dict) -> dict[str, Any]:
    """Check the allocation against the universe and return the ``$name`` values; keeps
    only the fields the method uses (the others are None) so equal requests read equal."""
    method = allocation["method"]
    if method == RULES_METHOD:
        for name in RULES_UNUSED:
            if allocation.get(name) is not None:
                raise RequestError(f"allocation.{name}", "is not used with method 'rules'")
        if allocation["weighting"] not in (None, "equal"):
            raise RequestError("allocation.weighting", "is not used with method 'rules'")
    if method == "fixed":
        weights = allocation["weights"]
        if not weights:
            raise RequestError("allocation.weights", "is required with method 'fixed'")
        upper = {str(name).strip().upper(): float(w) for name, w in weights.items()}
        for name in upper:
            if name not in tickers:
                raise RequestError(f"allocation.weights.{name[:32]}", "is not one of tickers")
        if math.fsum(upper.values()) > 1 + WEIGHT_TOLERANCE:
            raise RequestError("allocation.weights", "must sum to at most 1 (the rest is cash)")
        allocation["weights"] = {name: upper.get(name, 0.0) for name in tickers}
    else:
        allocation["weights"] = None
    risk = allocation["weighting"] in RISK_METHODS
    if risk and method == "fixed":
        raise RequestError("allocation.weighting", "a risk weighting needs method equal or rank")
    targeted = allocation["target_volatility"] is not None
    lookback = allocation["risk_lookback"] or DEFAULT_LOOKBACK
    allocation["risk_lookback"] = lookback if risk or targeted else None
    allocation["max_leverage"] = allocation["max_leverage"] if targeted else 1.0
    _long_short(allocation)
    _groups(allocation)
    if method != "rank":
        if allocation["score"] is not None or allocation["filter"] is not None:
            raise RequestError("allocation.score", "is used with method 'rank' only")
        weighting = allocation["weighting"] if risk else None
        allocation.update(score=None, filter=None, top_n=None, weighting=weighting)
        if values:
            raise RequestError("params", "names $parameters, but only a ranking uses them")
        return {}
    if allocation["top_n"] is None:
        raise RequestError("allocation.top_n", "is required with method 'rank'")
    allocation["weighting"] = allocation["weighting"] or "equal"
    if allocation["score"] is None:
        allocation["score"] = DEFAULT_SCORE
    try:
        _, checked = check_ranking(allocation["score"], allocation["filter"], values)
    except RuleValidationError as exc:
        raise RequestError(exc.field, exc.message) from None
    return checked


GROUP_FIELDS = ("top_groups", "per_group", "group_score")
"""The group ranking's fields: left out of a normalised request without ``top_groups``, so a
request without them reads as it did before they existed."""


def _groups(allocation: dict) -> None:
    """Check a group ranking's fields (``kinds.portfolios.groups``); ``group_score`` is
    ``mean`` unless given; without ``top_groups`` the three are left out."""
    if allocation["top_groups"] is None:
        for name in GROUP_FIELDS[1:]:
            if allocation[name] is not None:
                raise RequestError(f"allocation.{name}", "is used with allocation.top_groups")
        for name in GROUP_FIELDS:
            del allocation[name]
        return
    if allocation["method"] != "rank":
        raise RequestError("allocation.top_groups", "is used with method 'rank' only")
    if allocation["short_n"] is not None:
        raise RequestError(
            "allocation.top_groups", "ranks a long-only book (not with allocation.short_n)"
        )
    allocation["group_score"] = allocation["group_score"] or GROUP_SCORES[0]


def _long_short(allocation: dict) -> None:
    """Check a long-short book's fields; without ``short_n`` they are None."""
    if allocation["short_n"] is None:
        allocation.update(gross_exposure=None, net_exposure=None)
        return
    if allocation["method"] != "rank":
        raise RequestError("allocation.short_n", "is used with method 'rank' only")
    gross = allocation["gross_exposure"] or DEFAULT_GROSS
    net = DEFAULT_NET if allocation["net_exposure"] is None else allocation["net_exposure"]
    if abs(net) > gross:
        raise RequestError("allocation.net_exposure", "must be between -gross and gross")
    allocation.update(gross_exposure=gross, net_exposure=net)


__all__ = [
    "LIQUIDITY_DEFAULTS",
    "MAX_BORROW_RATE",
    "MAX_TICKERS",
    "MIN_TICKERS",
    "PortfolioRequestBody",
    "parse_portfolio",
]
