"""How many bars each rule needs before it can fire: its warm-up, from its indicators.

A rule's indicators are NaN during their warm-up (``rules.indicators``) and a comparison
with NaN is False, so a rule cannot signal before every value its condition reads is
defined. Each rule declares its warm-up beside its signals (``RuleSpec.warmup``, in its
module of ``rules/library``); ``warmup(rule_type, params)`` gives, per side, the index of
the first bar on which the entry (exit) condition can be true — equivalently the number
of bars before it:

* an indicator's first defined bar is its documented warm-up (SMA(n): n − 1; RSI(n),
  ROC(n), ATR(n): n; MACD signal line: slow + signal − 2; ADX(n): 2n − 1; ±DI(n): n);
* a cross (``cross_above``/``cross_below``) or a "previous bar" read needs bar t − 1
  defined too: one bar more;
* an AND of conditions waits for the latest of them, an OR for the earliest.

The warm-up counts bars of the history the rule sees (the data file up to the window's
end), not of the window: signals warm up on the bars before ``start_date``.
``tests/rules/test_rules_warmup.py`` checks every formula against the rule's own signal
function (no signal before the warm-up; a signal on its first bar is possible).
"""

from __future__ import annotations

from rules.spec import Warmup, same_warmup


def warmup(rule_type: str, params: dict) -> Warmup:
    """(entry, exit) warm-up in bars of a validated rule request (``validate_rule``): the
    rule's own ``RuleSpec.warmup``, declared in its module beside its signals.

    >>> warmup("SMA_CROSS", {"fast": 10, "slow": 20})
    (20, 20)
    >>> warmup("TREND", {"period": 14, "adx_threshold": 25.0})
    (27, 14)

    :raise KeyError: for a rule without a warm-up (a test keeps every rule declaring one).
    """
    from rules import RULES

    declared = RULES[rule_type].warmup
    if declared is None:
        raise KeyError(rule_type)
    return declared(params)


def has_warmup(rule_type: str) -> bool:
    """Whether ``rule_type`` declares its warm-up."""
    from rules import RULES

    return RULES[rule_type].warmup is not None


__all__ = ["Warmup", "has_warmup", "same_warmup", "warmup"]
