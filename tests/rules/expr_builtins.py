"""The 12 built-in rules written in the strategy language (no tests here): each entry is
(rule_type, entry, exit), with ``$names`` equal to the rule's parameter names, so a
built-in request's params are the EXPR request's values. COMPOSITE is its default, MACD
AND MOMENTUM, with the sub-rules' parameters flattened (their names do not clash). docs/rules.md
lists the same texts (tests/rules/test_rules_expr_builtins.py checks it)."""

from __future__ import annotations

BUILTINS: tuple[tuple[str, str, str], ...] = (
    ("RSI", "rsi(close, $period) < $oversold", "rsi(close, $period) > $overbought"),
    (
        "MACD",
        "crossover(macd(close, $fast, $slow), macd_signal(close, $fast, $slow, $signal))",
        "crossunder(macd(close, $fast, $slow), macd_signal(close, $fast, $slow, $signal))",
    ),
    (
        "SMA_CROSS",
        "crossover(sma(close, $fast), sma(close, $slow))",
        "crossunder(sma(close, $fast), sma(close, $slow))",
    ),
    (
        "RSI_MACD",
        "crossover(macd(close, $fast, $slow), macd_signal(close, $fast, $slow, $signal))"
        " and rsi(close, $rsi_period) < $rsi_below",
        "crossunder(macd(close, $fast, $slow), macd_signal(close, $fast, $slow, $signal))"
        " or rsi(close, $rsi_period) > $overbought",
    ),
    (
        "BOLLINGER",
        "crossunder(close, bb_lower(close, $period, $std_dev))",
        "crossover(close, bb_upper(close, $period, $std_dev))",
    ),
    ("MOMENTUM", "roc(close, $period) > $entry_threshold", "roc(close, $period) < $exit_threshold"),
    ("MEAN_REVERSION", "zscore(close, $period) < $entry_z", "zscore(close, $period) > $exit_z"),
    (
        "BREAKOUT",
        "close > lag(highest(high, $entry_period), 1)",
        "close < lag(lowest(low, $exit_period), 1)",
    ),
    (
        "VOLUME",
        "volume > $volume_factor * sma(volume, $volume_period) and close > lag(close, 1)",
        "close < sma(close, $exit_period)",
    ),
    (
        "TREND",
        "adx($period) > $adx_threshold and plus_di($period) > minus_di($period)",
        "plus_di($period) < minus_di($period)",
    ),
    (
        "ATR",
        "close > lag(close, 1) + $multiplier * lag(atr($period), 1)",
        "close < lag(close, 1) - $multiplier * lag(atr($period), 1)",
    ),
    (
        "COMPOSITE",
        "crossover(macd(close, $fast, $slow), macd_signal(close, $fast, $slow, $signal))"
        " and roc(close, $period) > $entry_threshold",
        "crossunder(macd(close, $fast, $slow), macd_signal(close, $fast, $slow, $signal))"
        " and roc(close, $period) < $exit_threshold",
    ),
)


ISSUE_EXAMPLE = {
    "entry": "close > sma(close, 200) and rsi(close, $n) < $low",
    "exit": "rsi(close, $n) > $high or close < lag(lowest(low, 20), 1)",
    "bounds": {"n": [2, 50]},
    "n": 2,
    "low": 10,
    "high": 90,
}
"""The example of issue 25 as EXPR params (``$n`` declared from 2 to 50)."""


def expr_params(rule_type: str, entry: str, exit: str, params: dict) -> dict:
    """The EXPR params equal to a built-in request's normalised ``params``."""
    if rule_type == "COMPOSITE":
        values = {k: v for sub in params["rules"] for k, v in sub["params"].items()}
    else:
        values = dict(params)
    return {"entry": entry, "exit": exit, **values}
