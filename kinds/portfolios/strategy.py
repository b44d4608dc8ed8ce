"""A portfolio of rules' ``strategy`` block (``allocation.method: "rules"``): the run
request's rule, stop, size and fee fields, applied to every ticker of the universe.

The fields are the run request's own (``kinds.runs.request_model.RunRequestBody``: the same
types, bounds and defaults, taken from it, not written again); the rule is checked by the
registry (``rules.validate_rule``). Every error names its field under ``strategy.``.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, ValidationError, create_model

from engine.param_specs import (
    FEE_MAX_BELOW_MIN,
    PERCENT_MAX,
    PERCENT_MESSAGE,
    percent_size_too_large,
)
from kinds.runs.request_model import RunRequestBody
from rules import RuleValidationError, validate_rule
from work.errors import RequestError

RULES_METHOD = "rules"
"""``allocation.method`` of a portfolio of rules."""

STRATEGY_FIELDS = (
    "rule_type",
    "params",
    "size_type",
    "position_size",
    "stop_loss_pct",
    "take_profit_pct",
    "trailing_stop_pct",
    "fee_fixed",
    "fee_per_share",
    "fee_min",
    "fee_max",
)
"""The run request's fields a strategy block takes, in its normalised order."""

StrategyBody = create_model(
    "Strategy",
    __config__=ConfigDict(extra="forbid", allow_inf_nan=False),
    **{
        name: (RunRequestBody.model_fields[name].annotation, RunRequestBody.model_fields[name])
        for name in STRATEGY_FIELDS
    },
)
"""The strategy block as users send it: the run request's fields of ``STRATEGY_FIELDS``."""


def _error(error: dict) -> RequestError:
    loc = ".".join(str(part) for part in error["loc"])
    field = f"strategy.{loc}" if loc else "strategy"
    if error["type"] == "extra_forbidden":
        return RequestError(field, "is not a strategy field")
    if error["type"] in ("missing", "required"):
        return RequestError(field, "is required")
    return RequestError(field, error["msg"][:200])


def parse_strategy(payload: Any, n_tickers: int) -> dict[str, Any]:
    """The strategy block (a dict as sent, or the ``StrategyBody`` the request model
    validated) checked and normalised: the rule validated, every field present; without a
    ``position_size`` an entry spends 100 / N percent of the cash at its fill (unless
    ``size_type`` is ``value``: then the run's default value).

    :raise RequestError: naming ``strategy.<field>``.
    """
    if isinstance(payload, StrategyBody):
        body = payload
    elif not isinstance(payload, dict):
        raise RequestError("strategy", "must be a JSON object with a rule_type")
    else:
        try:
            body = StrategyBody.model_validate(payload)
        except ValidationError as exc:
            raise _error(exc.errors(include_url=False, include_context=False)[0]) from None
    given = body.model_fields_set
    strategy = body.model_dump()
    try:
        rule_type, params = validate_rule(strategy["rule_type"], strategy["params"])
    except RuleValidationError as exc:
        raise RequestError(f"strategy.{exc.field}", exc.message) from None
    _check_rule(rule_type, params, "strategy.params")
    strategy.update(rule_type=rule_type, params=params)
    if "position_size" not in given and ("size_type" not in given or body.size_type == "percent"):
        strategy.update(size_type="percent", position_size=PERCENT_MAX / n_tickers)
    if percent_size_too_large(strategy["size_type"], strategy["position_size"]):
        raise RequestError("strategy.position_size", PERCENT_MESSAGE)
    if strategy["fee_max"] is not None and strategy["fee_max"] < (strategy["fee_min"] or 0.0):
        raise RequestError("strategy.fee_max", FEE_MAX_BELOW_MIN)
    return {name: strategy[name] for name in STRATEGY_FIELDS}


def _check_rule(rule_type: str, params: dict, field: str) -> None:
    """Refuse what a portfolio of rules cannot compute per ticker: an EXPR reading another
    ticker (``ref``) or an exit naming the position (``bars_held``...); a COMPOSITE's
    sub-rules alike."""
    if rule_type == "COMPOSITE":
        for at, sub in enumerate(params.get("rules") or []):
            _check_rule(sub["rule_type"], sub["params"], f"{field}.rules[{at}].params")
        return
    if rule_type != "EXPR":
        return
    from rules.library.expr import program_of

    program = program_of(params)
    if program.tickers:
        raise RequestError(field, "ref() is not available in a portfolio of rules")
    if program.position_exit:
        raise RequestError(
            f"{field}.exit", "a position-aware exit is not available in a portfolio of rules"
        )


def rule_costs_of(strategy: dict, config: Any) -> Any:
    """The broker's costs of ``strategy`` on ``config`` (``engine.portfolio.rule_costs``)."""
    import math

    from engine.portfolio.signals import rule_costs

    return rule_costs(
        config,
        by_value=strategy["size_type"] == "value",
        position_size=strategy["position_size"],
        fee_fixed=strategy["fee_fixed"] or 0.0,
        fee_per_share=strategy["fee_per_share"] or 0.0,
        fee_min=strategy["fee_min"] or 0.0,
        fee_max=math.inf if strategy["fee_max"] is None else strategy["fee_max"],
    )


__all__ = ["RULES_METHOD", "STRATEGY_FIELDS", "StrategyBody", "parse_strategy", "rule_costs_of"]
