"""Trading rules: indicators, crossing detectors, and the registry of rule types.

Pure numpy (no I/O, no pandas): arrays in, arrays or booleans out. A rule turns bars and a
parameter dict into (entries, exits) boolean arrays for ``engine.run``; the registry
validates rule requests and describes every rule for the API and the dashboard form.

Public surface::

    from rules import RULES, validate_rule, generate_signals, generate_signals_batch
    from rules import position_exits  # an EXPR exit naming the open position's series
    from rules import rule_slug, describe_rules, RuleValidationError
    from rules import sma, ema, rsi, macd, bollinger, atr, stochastic, adx, obv, vwap
    from rules import directional  # +DI, −DI, ADX as TA-Lib computes them
    from rules import cross_above, cross_below
"""

from rules._validate import format_number, parse_constraint
from rules.indicators import (
    adx,
    atr,
    bands,
    bollinger,
    ema,
    ema_rows,
    macd,
    macd_line,
    macd_line_rows,
    obv,
    previous,
    roc,
    rolling_max,
    rolling_min,
    rsi,
    sma,
    stddev,
    stochastic,
    true_range,
    vwap,
    zscore,
)
from rules.indicators_trend import directional
from rules.registry import (
    RULES,
    crossing_lines,
    describe_rules,
    generate_signals,
    generate_signals_batch,
    position_exits,
    rule_slug,
    validate_rule,
)
from rules.signals import cross_above, cross_below
from rules.spec import ParamSpec, RuleSpec, RuleValidationError

__all__ = [
    "RULES",
    "ParamSpec",
    "RuleSpec",
    "RuleValidationError",
    "adx",
    "atr",
    "bands",
    "bollinger",
    "cross_above",
    "cross_below",
    "crossing_lines",
    "describe_rules",
    "directional",
    "ema",
    "ema_rows",
    "format_number",
    "generate_signals",
    "generate_signals_batch",
    "macd",
    "macd_line",
    "macd_line_rows",
    "obv",
    "parse_constraint",
    "position_exits",
    "previous",
    "roc",
    "rolling_max",
    "rolling_min",
    "rsi",
    "rule_slug",
    "sma",
    "stddev",
    "stochastic",
    "true_range",
    "validate_rule",
    "vwap",
    "zscore",
]
